"""The engine's optimizers: AdamW with decay and no-decay parameter groups, fused where this torch offers
it; or Muon for the hidden matrices with AdamW for the rest (``muon.py``)."""

from __future__ import annotations

import inspect

import torch


def param_groups(model: torch.nn.Module, weight_decay: float) -> list[dict]:
    """Matrices and embeddings (dim >= 2) are decayed; biases and norm gains (dim < 2) are not.

    Decaying a gain or a bias pulls it toward zero, which is not the shrinkage weight decay is for;
    nanoGPT draws the same line. Tied parameters appear once (``named_parameters`` de-duplicates).
    """
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def fused_available(device: str) -> bool:
    """torch >= 2.4 has a fused AdamW on CPU as well as CUDA; older versions only on CUDA."""
    if "fused" not in inspect.signature(torch.optim.AdamW).parameters:
        return False
    if device == "cuda":
        return True
    if device != "cpu":
        return False
    probe = torch.nn.Parameter(torch.zeros(2))
    try:
        probe.grad = torch.zeros(2)
        torch.optim.AdamW([probe], lr=1e-3, fused=True).step()
        return True
    except (RuntimeError, TypeError, NotImplementedError):
        return False


def adamw(
    model: torch.nn.Module, lr: float, betas: tuple[float, float], weight_decay: float, device: str
) -> torch.optim.AdamW:
    fused = fused_available(device)
    return torch.optim.AdamW(
        param_groups(model, weight_decay), lr=lr, betas=tuple(betas), **({"fused": True} if fused else {})
    )


def build_optimizer(model: torch.nn.Module, cfg, device: str) -> torch.optim.Optimizer:
    """The optimizer a TrainConfig names: ``adamw`` (the baby recipe's) or ``muon`` (Muon and AdamW in one).

    With Muon each group carries ``lr_scale``, the ratio of its peak to ``cfg.lr``: the engine sets
    ``lr = schedule(step) x lr_scale``, so one schedule drives both learning rates.
    """
    if cfg.optimizer == "adamw":
        return adamw(model, cfg.lr, cfg.betas, cfg.weight_decay, device)
    from .muon import MuonAdamW, muon_param_groups

    groups = muon_param_groups(model, cfg.weight_decay)
    for group in groups:
        if group.get("muon"):
            group.update(lr_scale=cfg.muon_lr / cfg.lr, momentum=cfg.muon_momentum, ns_steps=cfg.ns_steps)
        group["betas"] = tuple(cfg.betas)
    return MuonAdamW(groups, fused=fused_available(device))
