"""Muon for the hidden matrices and AdamW for everything else, in one optimizer (one state to checkpoint).

Muon (Jordan et al. 2024, "Muon: An optimizer for hidden layers in neural networks"; Bernstein and
Newhouse 2024, "Old Optimizer, New Norm") takes SGD's Nesterov momentum and replaces each matrix's update
by its nearest semi-orthogonal matrix, U V^T of the update's SVD U S V^T, approximated by a few steps of
a quintic Newton-Schulz iteration. Every direction of the update then moves by the same amount, however
skewed the gradient's spectrum. It is for the 2-D weights inside the network; embeddings, the output
head, gains and biases keep AdamW (Loshchilov and Hutter 2019), as in the Muon write-up.

``torch.optim.Muon`` runs its iteration in bfloat16, which a CPU without native bfloat16 executes far
more slowly than float32; this one iterates in the parameters' own dtype (float32), and orthogonalises
the matrices of one shape together, as one batched matmul chain instead of one small chain each. The
update is torch.optim.Muon's (same momentum, Nesterov, coefficients, decoupled weight decay and
``original`` learning-rate adjustment, sqrt(max(1, rows / cols))).

Every group is one of the two kinds (``group["muon"]``), so a checkpoint holds one state dict: Muon's
momentum buffers beside AdamW's moments, which keeps a resumed run bit-identical.
"""

from __future__ import annotations

import math

import torch

NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)  # torch.optim.Muon's (Jordan et al. 2024)


def orthogonalize(
    g: torch.Tensor, steps: int, coefficients=NS_COEFFICIENTS, eps: float = 1e-7
) -> torch.Tensor:
    """About U V^T for each matrix of ``g`` (..., m, n) = U S V^T: the quintic Newton-Schulz iteration
    X <- a X + (b A + c A^2) X with A = X X^T, started from X = G / ||G||_F (spectral norm <= 1).

    Run on the wide orientation (m <= n), so the Gram matrix A is the small m x m one. The coefficients
    push singular values towards 1 fast rather than exactly (they end in about [0.7, 1.2]), which
    Jordan et al. found trains as well as the exact polar factor.
    """
    a, b, c = coefficients
    tall = g.size(-2) > g.size(-1)
    x = g.mT if tall else g
    x = x / (torch.linalg.matrix_norm(x, keepdim=True) + eps)
    for _ in range(steps):
        gram = x @ x.mT  # (..., m, m)
        poly = (
            torch.baddbmm(gram, gram, gram, beta=b, alpha=c)
            if gram.dim() == 3
            else b * gram + c * gram @ gram
        )
        x = torch.baddbmm(x, poly, x, beta=a) if x.dim() == 3 else a * x + poly @ x
    return x.mT if tall else x


def _adjusted_lr(lr: float, shape: torch.Size) -> float:
    """torch.optim.Muon's ``original`` adjustment: updates of tall matrices scaled by sqrt(rows / cols)."""
    return lr * math.sqrt(max(1.0, shape[0] / shape[1]))


class MuonAdamW(torch.optim.Optimizer):
    """One optimizer with two kinds of group: ``muon=True`` groups (2-D weights) take Muon, the others AdamW.

    Muon groups: ``lr``, ``momentum``, ``nesterov``, ``ns_steps``, ``weight_decay``. AdamW groups: ``lr``,
    ``betas``, ``eps``, ``weight_decay``. A group's ``lr_scale`` multiplies the learning rate a schedule
    sets (the engine sets ``lr`` to schedule x ``lr_scale``), so the two kinds keep their own peaks.
    """

    def __init__(self, groups: list[dict], fused: bool = False):
        defaults = dict(
            lr=1e-3,
            lr_scale=1.0,
            muon=False,
            momentum=0.95,
            nesterov=True,
            ns_steps=5,
            betas=(0.9, 0.99),
            eps=1e-8,
            weight_decay=0.0,
        )
        super().__init__(groups, defaults)
        self.fused = fused
        for group in self.param_groups:
            if group["muon"] and any(p.dim() != 2 for p in group["params"]):
                raise ValueError("MuonAdamW: a Muon group holds 2-D weights only")

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if params:
                (self._muon if group["muon"] else self._adamw)(group, params)
        return loss

    def _muon(self, group: dict, params: list[torch.Tensor]) -> None:
        """Nesterov momentum, orthogonalised per matrix (matrices of one shape in one batch)."""
        by_shape: dict[tuple, list[tuple[torch.Tensor, torch.Tensor]]] = {}
        mu = group["momentum"]
        for p in params:
            state = self.state[p]
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = torch.zeros_like(p)
            buf = state["momentum_buffer"]
            buf.mul_(mu).add_(p.grad)  # B <- mu B + g
            update = p.grad.add(buf, alpha=mu) if group["nesterov"] else buf  # g + mu B
            by_shape.setdefault(tuple(p.shape), []).append((p, update))
        for shape, pairs in by_shape.items():
            stacked = torch.stack([u for _, u in pairs])  # (k, m, n)
            ortho = orthogonalize(stacked, group["ns_steps"])
            lr = _adjusted_lr(group["lr"], torch.Size(shape))
            for (p, _), o in zip(pairs, ortho):
                if group["weight_decay"]:
                    p.mul_(1 - group["lr"] * group["weight_decay"])  # decoupled, as AdamW's
                p.add_(o, alpha=-lr)

    def _adamw(self, group: dict, params: list[torch.Tensor]) -> None:
        """torch's own AdamW update (its functional form, fused where this torch has it)."""
        from torch.optim.adamw import adamw

        grads, exp_avgs, exp_avg_sqs, steps = [], [], [], []
        for p in params:
            state = self.state[p]
            if "step" not in state:
                state["step"] = torch.zeros((), dtype=torch.float32, device=p.device)
                state["exp_avg"] = torch.zeros_like(p)
                state["exp_avg_sq"] = torch.zeros_like(p)
            grads.append(p.grad)
            exp_avgs.append(state["exp_avg"])
            exp_avg_sqs.append(state["exp_avg_sq"])
            steps.append(state["step"])
        beta1, beta2 = group["betas"]
        adamw(
            params,
            grads,
            exp_avgs,
            exp_avg_sqs,
            [],
            steps,
            foreach=None if self.fused else True,
            fused=self.fused or None,
            amsgrad=False,
            beta1=beta1,
            beta2=beta2,
            lr=group["lr"],
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            maximize=False,
        )


def muon_param_groups(model: torch.nn.Module, weight_decay: float, head: str = "lm_head") -> list[dict]:
    """The hidden matrices (the weights of every ``nn.Linear`` but the output ``head``) for Muon; the rest
    for AdamW: embeddings and an untied head with ``weight_decay``, gains and biases without.

    Each trainable parameter lands in exactly one group (a tied head is the embedding, counted once).
    """
    hidden = {
        id(module.weight): module.weight
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear) and name != head and module.weight.requires_grad
    }
    params = [p for p in model.parameters() if p.requires_grad]  # de-duplicated: tied weights once
    hidden = [p for p in params if id(p) in hidden and id(p) not in _embedding_ids(model)]
    chosen = {id(p) for p in hidden}
    return [
        {"params": hidden, "muon": True, "weight_decay": 0.0},
        {"params": [p for p in params if id(p) not in chosen and p.dim() >= 2], "weight_decay": weight_decay},
        {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0},
    ]


def _embedding_ids(model: torch.nn.Module) -> set[int]:
    return {id(m.weight) for m in model.modules() if isinstance(m, torch.nn.Embedding)}
