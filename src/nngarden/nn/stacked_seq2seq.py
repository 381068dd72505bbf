"""M GRU encoder-decoders of one config trained side by side as one module (the seeds of a note).

:class:`StackedRNNSeq2Seq` holds M ``RNNSeq2Seq`` models' weights as (M, ...) tensors and runs their
teacher-forced training step at once, with batched matrix products. As in ``nn/stacked.py``, members
share nothing: member i's logits depend only on its own weights and its own batch, so the gradient of
the sum of per-member losses is each member's own gradient, :meth:`StackedRNNSeq2Seq.clip_grad_norm_`
clips each member by its own global norm, and Adam (elementwise) updates each member as it would
update the model alone, up to float rounding. Only training is stacked:
:meth:`StackedRNNSeq2Seq.write_back` copies the trained weights into the ordinary models, which decode
and align as before.

The arithmetic is that of ``nn/seq2seq.py`` and ``nn.GRU``; what differs, and why. On a CPU thread a
step of these small models costs per operation and per byte moved more than per multiply:

- the recurrences (the encoder's GRU, the decoder's attention + GRU cell) are autograd Functions with
  hand-written backward passes: autograd would record some twenty nodes per time step and compute
  every step's weight gradient by its own small product. The forward loop runs without a graph and
  keeps what the backward needs; the backward walks the steps in reverse, writes each step's gate
  gradients into one buffer, and forms the weight gradients as one product over all steps;
- every step, the members are sorted by source length, longest first (an exact reordering of weights
  and batch, undone on the outputs), so that the members not yet past their end are a prefix and a
  loop step computes only those: the M batches are padded to the longest, but the loops skip most of
  that padding;
- the bidirectional encoder is a GRU loop over the padded batch instead of packed sequences. It
  reproduces them exactly: the backward direction reads each source reversed within its own length,
  outputs at padding are zero, and each direction's final state is the one after its last real token
  (states computed past a sequence's end are never used, so they receive no gradient). The two
  directions run as 2M members of one loop;
- the general score s^T W h_j is computed as (W^T s) . h_j (the same number, without projecting every
  annotation), and the deep readout tanh([s, c, emb] W + b) one block of W at a time (no concatenated
  copy; the fixed model's context block once per sequence);
- padded source positions get attention weight exactly zero, padded target positions are left out of
  the loss.

Shapes: M members, N members of one loop (2M for a bidirectional encoder), B batch, S source length,
T target length (or time steps), E embedding, H encoder units per direction, D = H x directions the
annotation and decoder size, K the score's query size, A the additive score's hidden size, V
vocabulary.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..config import ConfigError
from .attention import AdditiveAttention
from .positional import sinusoidal_table
from .seq2seq import PAD, GRUEncoder, LuongAttention, RNNSeq2Seq


# --- one model's weights in the stacked layout ------------------------------------------------------
def _layout(model: RNNSeq2Seq) -> dict[str, torch.Tensor | tuple[torch.Tensor, ...]]:
    """One model's weights in the stacked layout, as views of its own parameters (so that ``write_back``
    can copy into them): weights as (in, out) for ``x @ w`` (a GRU's out is its gates r, z, n side by
    side, 3H), biases (1, out); a tuple (the encoder's directions) becomes an axis after the member
    axis."""
    enc, dec = model.encoder, model.decoder
    out: dict[str, torch.Tensor | tuple[torch.Tensor, ...]] = {"enc_embedding": enc.embedding.weight}
    if isinstance(enc, GRUEncoder):
        gru = enc.gru
        suffixes = ("_l0", "_l0_reverse")[: 2 if gru.bidirectional else 1]
        out["enc_w_ih"] = tuple(getattr(gru, "weight_ih" + s).T for s in suffixes)  # (E, 3H)
        out["enc_w_hh"] = tuple(getattr(gru, "weight_hh" + s).T for s in suffixes)  # (H, 3H)
        out["enc_b_ih"] = tuple(getattr(gru, "bias_ih" + s)[None] for s in suffixes)  # (1, 3H)
        out["enc_b_hh"] = tuple(getattr(gru, "bias_hh" + s)[None] for s in suffixes)
    embed, cell = dec.embedding.embedding_dim, dec.cell
    out["dec_embedding"] = dec.embedding.weight  # (V, E)
    out["bridge_w"], out["bridge_b"] = dec.bridge.weight.T, dec.bridge.bias[None]  # (D, D), (1, D)
    out["cell_w_emb"] = cell.weight_ih[:, :embed].T  # (E, 3D): the cell reads [emb, context]
    out["cell_w_ctx"] = cell.weight_ih[:, embed:].T  # (D, 3D)
    out["cell_w_hh"] = cell.weight_hh.T  # (D, 3D)
    out["cell_b_ih"], out["cell_b_hh"] = cell.bias_ih[None], cell.bias_hh[None]  # (1, 3D)
    d = dec.cell.hidden_size  # the readout reads [s, c, emb]: one (in, D) block for each
    out["readout_w_s"], out["readout_w_c"] = dec.readout.weight[:, :d].T, dec.readout.weight[:, d : 2 * d].T
    out["readout_w_e"], out["readout_b"] = dec.readout.weight[:, 2 * d :].T, dec.readout.bias[None]
    out["out_w"], out["out_b"] = dec.out.weight.T, dec.out.bias[None]  # (D, V), (1, V)
    attention = dec.attention
    if isinstance(attention, AdditiveAttention):
        out["att_w_query"] = attention.w_query.weight.T  # (D, A)
        out["att_w_key"], out["att_b_key"] = attention.w_key.weight.T, attention.w_key.bias[None]
        out["att_v"] = attention.v.weight.T  # (A, 1)
    elif isinstance(attention, LuongAttention) and attention.w is not None:
        out["att_w"] = attention.w.weight.T  # general: h_j @ att_w = W h_j, (D, D)
    return out


def _lookup(table: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
    """Member m's rows of table (M, V, E) for ids (M, ...) -> (M, ..., E).

    One embedding call on the (M V, E) table. Every PAD reads row 0 (member 0's PAD row, zero like
    every member's) declared as padding_idx, so no PAD row gets a gradient, as in ``nn.Embedding``.
    """
    members, vocab = table.shape[:2]
    offsets = torch.arange(members, device=ids.device).view(-1, *[1] * (ids.dim() - 1)) * vocab
    flat = torch.where(ids == PAD, 0, ids + offsets)
    return F.embedding(flat, table.view(members * vocab, -1), padding_idx=0)


# --- the recurrences, with hand-written backward passes ------------------------------------------
# Members are sorted by length (longest first), so the members still inside their sequences at a step
# are a prefix: ``active[t]`` of them. A step computes only those; the rest are padding from there on,
# their outputs are left zero and their output gradients (zero: padding is masked or left out of the
# loss downstream) are not read.


def _softmax(x: torch.Tensor) -> torch.Tensor:
    """softmax over the last dimension, a handful of source positions (torch.softmax is slow on a short
    last dimension on CPU); a -inf entry gets weight exactly zero."""
    e = (x - x.amax(dim=-1, keepdim=True)).exp_()
    return e.div_(e.sum(dim=-1, keepdim=True))


def _step_buffer(ref: torch.Tensor, shape: tuple, active: list[int]) -> torch.Tensor:
    """An (N, T, ...) buffer for per-step results: a step writes its active members' entries, so only
    the others are zeroed here (not the whole buffer)."""
    buf = ref.new_empty(shape)
    for t, k in enumerate(active):
        if k < shape[0]:
            buf[k:, t].zero_()
    return buf


class _Permuted(torch.autograd.Function):
    """The members of every tensor in ``order`` (an exact reordering along dim 0); the backward puts
    each gradient back in place with the inverse order (instead of autograd's zero-fill and scatter
    per tensor)."""

    @staticmethod
    def forward(ctx, order, back, *tensors):
        ctx.back = back
        return tuple(x.index_select(0, order) for x in tensors)

    @staticmethod
    def backward(ctx, *grads):
        return (None, None) + tuple(None if g is None else g.index_select(0, ctx.back) for g in grads)


def _gru_step(gi: torch.Tensor, h: torch.Tensor, w_hh: torch.Tensor, b_hh: torch.Tensor, out: torch.Tensor):
    """One step of nn.GRU for N stacked cells: gi = x W_i + b_i (N, B, 3H) (gates r, z, n side by side),
    h (N, B, H), w_hh (N, H, 3H), b_hh (N, 1, 3H); r, z = sigmoid(gi_rz + gh_rz), n = tanh(gi_n +
    r gh_n), h' = (1 - z) n + z h with gh = h W_h + b_h. Writes h' into ``out`` (N, B, H) and returns
    it, with what the backward needs: rz, n, gh_n."""
    units = h.size(-1)
    gh = torch.bmm(h, w_hh).add_(b_hh)
    rz = torch.sigmoid_(gi[..., : 2 * units] + gh[..., : 2 * units])
    gh_n = gh[..., 2 * units :]
    n = torch.tanh_(torch.addcmul(gi[..., 2 * units :], rz[..., :units], gh_n))
    return torch.lerp(n, h, rz[..., units:], out=out), (rz, n, gh_n)


def _gru_step_backward(dh, h_prev, kept, d_gi, d_gh) -> torch.Tensor:
    """:func:`_gru_step` backward for dh = dL/dh' (N, B, H): writes dL/dgi and dL/dgh (N, B, 3H) into
    ``d_gi`` and ``d_gh``; -> the part of dL/dh that flows directly through h' = (1 - z) n + z h."""
    rz, n, gh_n = kept
    units = dh.size(-1)
    dh_direct = dh * rz[..., units:]
    d_n_in = torch.ops.aten.tanh_backward(dh - dh_direct, n)  # dL/d(gi_n + r gh_n)
    d_rz = d_gh[..., : 2 * units]
    torch.mul(d_n_in, gh_n, out=d_rz[..., :units])  # dL/dr
    torch.mul(dh, h_prev - n, out=d_rz[..., units:])  # dL/dz
    torch.ops.aten.sigmoid_backward.grad_input(d_rz, rz, grad_input=d_rz)
    torch.mul(d_n_in, rz[..., :units], out=d_gh[..., 2 * units :])
    d_gi[..., : 2 * units] = d_rz
    d_gi[..., 2 * units :] = d_n_in
    return dh_direct


def _first(x: torch.Tensor, k: int) -> torch.Tensor:
    """The first k members of x (x itself when that is all of them: a view costs more than the check)."""
    return x if k == x.size(0) else x[:k]


class _GRULoop(torch.autograd.Function):
    """N stacked GRUs over T steps: gi (N, T, B, 3H) the input part of every step (b_ih included),
    h0 (N, B, H), w_hh (N, H, 3H), b_hh (N, 1, 3H), active (T numbers) -> every step's state (N, T, B,
    H)."""

    @staticmethod
    def forward(ctx, gi, h0, w_hh, b_hh, active):
        hs = _step_buffer(gi, h0.shape[:1] + gi.shape[1:3] + h0.shape[2:], active)
        h, kept = h0, []
        for k, gi_t, out in zip(active, gi.unbind(1), hs.unbind(1)):
            h, step = _gru_step(
                _first(gi_t, k), _first(h, k), _first(w_hh, k), _first(b_hh, k), _first(out, k)
            )
            kept.append(step)
        ctx.save_for_backward(h0, w_hh, hs)
        ctx.kept, ctx.active = kept, active
        return hs

    @staticmethod
    def backward(ctx, d_hs):
        h0, w_hh, hs = ctx.saved_tensors
        n, steps, b, units = hs.shape
        h_prev = torch.cat([h0[:, None], hs[:, :-1]], dim=1)  # (N, T, B, H)
        w_hh_t = w_hh.transpose(1, 2)
        d_gi, d_gh = (_step_buffer(hs, (n, steps, b, 3 * units), ctx.active) for _ in range(2))
        dh = torch.zeros_like(h0)  # dL/dh_t flowing back from step t + 1
        per_step = zip(ctx.active, ctx.kept, d_hs.unbind(1), h_prev.unbind(1), d_gi.unbind(1), d_gh.unbind(1))
        for k, kept, d_out, h_in, gi_t, gh_t in reversed(list(per_step)):
            dh_k, gh_t = _first(dh, k), _first(gh_t, k)
            dh_direct = _gru_step_backward(
                _first(d_out, k) + dh_k, _first(h_in, k), kept, _first(gi_t, k), gh_t
            )
            torch.baddbmm(dh_direct, gh_t, _first(w_hh_t, k), out=dh_k)
        flat_gh = d_gh.view(n, steps * b, -1)
        d_w_hh = torch.bmm(h_prev.view(n, steps * b, units).transpose(1, 2), flat_gh)
        return d_gi, dh, d_w_hh, flat_gh.sum(dim=1, keepdim=True), None


def _prefixes(tensors: dict, k: int, b: int) -> dict:
    """The first k members of each tensor (flattened (M B, ...) ones: the first k B rows)."""
    return {
        name: None if x is None else x[: k * b if name.startswith("flat") else k]
        for name, x in tensors.items()
    }


class _AttentionLoop(torch.autograd.Function):
    """The attention decoder's recurrence for M members: at each step the previous state s scores every
    source position, the softmax weights average the annotations into the context c, and the GRU cell
    reads [emb, c].

    gi_emb (M, T, B, 3D): the embedding part of the cell's input (b_ih included) at every step; s0
    (M, B, D); states (M, B, S, D); key_bias (M, B, S), 0 or -inf at padding; w_ctx, w_hh (M, D, 3D);
    b_hh (M, 1, 3D); the score's weights: w_query (M, D, K) and, for "additive", keys = U h_j + b (M, B,
    S, A) and v (M, A, 1), else None; active (T numbers); score: "dot", "general" or "additive".
    -> decoder states (M, T, B, D), contexts (M, T, B, D), weights (M, T, B, S) (not differentiable).

    dot and general: e_j = q . h_j with q = s (dot) or q = W^T s (general: s^T W h_j, W h_j not formed
    for every annotation), so score and context read the same annotations. additive: e_j = v^T tanh(
    W s + U h_j + b).
    """

    @staticmethod
    def forward(ctx, gi_emb, s0, states, key_bias, w_ctx, w_hh, b_hh, w_query, keys, v, active, score):
        m, b, src_len, d = states.shape
        steps = gi_emb.size(1)
        shared = {
            "flat_states": states.reshape(m * b, src_len, d),
            "flat_states_t": states.reshape(m * b, src_len, d).transpose(1, 2).contiguous(),  # (M B, D, S)
            "flat_bias": key_bias.reshape(m * b, 1, src_len),
            "w_ctx": w_ctx, "w_hh": w_hh, "b_hh": b_hh, "w_query": w_query, "keys": keys, "v": v,
        }  # fmt: skip
        dec, contexts = (_step_buffer(s0, (m, steps, b, d), active) for _ in range(2))
        queries = _step_buffer(s0, (m, steps, b, d), active) if score == "general" else None
        s, kept, hiddens, weights, p, p_k = s0, [], [], [], None, None
        for t, k in enumerate(active):
            if k != p_k:  # the members' weights are sliced once for each number of active members
                p, p_k = _prefixes(shared, k, b), k
            s, kb = s[:k], k * b
            if score == "additive":
                hidden = torch.tanh_(torch.bmm(s, p["w_query"])[:, :, None] + p["keys"])  # (k, B, S, A)
                e = torch.bmm(hidden.view(k, b * src_len, -1), p["v"]).view(kb, 1, src_len) + p["flat_bias"]
                hiddens.append(hidden)
            else:
                q = s if score == "dot" else torch.bmm(s, p["w_query"])  # (k, B, D)
                if queries is not None:
                    queries[:k, t] = q
                e = torch.baddbmm(p["flat_bias"], q.reshape(kb, 1, d), p["flat_states_t"])
            w = _softmax(e)  # (k B, 1, S)
            c = torch.bmm(w, p["flat_states"]).view(k, b, d)
            gi = torch.baddbmm(gi_emb[:k, t], c, p["w_ctx"])
            s, step = _gru_step(gi, s, p["w_hh"], p["b_hh"], out=dec[:k, t])
            contexts[:k, t] = c
            weights.append(w.view(k, b, src_len))
            kept.append(step)
        weights = torch.stack(
            [torch.cat([w, w.new_zeros(m - w.size(0), b, src_len)]) for w in weights], dim=1
        )
        ctx.save_for_backward(s0, states, w_ctx, w_hh, w_query, v, dec, contexts, weights, queries)
        ctx.kept, ctx.hiddens, ctx.active, ctx.score = kept, hiddens, active, score
        ctx.mark_non_differentiable(weights)
        return dec, contexts, weights

    @staticmethod
    def backward(ctx, d_dec, d_ctx, _d_weights):
        s0, states, w_ctx, w_hh, w_query, v, dec, contexts, weights, queries = ctx.saved_tensors
        m, b, src_len, d = states.shape
        steps, score = dec.size(1), ctx.score
        s_prev = torch.cat([s0[:, None], dec[:, :-1]], dim=1)  # (M, T, B, D)
        shared = {
            "flat_states": states.reshape(m * b, src_len, d),
            "flat_states_t": states.reshape(m * b, src_len, d).transpose(1, 2),
            "w_ctx_t": w_ctx.transpose(1, 2), "w_hh_t": w_hh.transpose(1, 2), "v": v,
            "w_query_t": None if w_query is None else w_query.transpose(1, 2),
        }  # fmt: skip
        active = ctx.active
        d_gi, d_gh = (_step_buffer(dec, (m, steps, b, 3 * d), active) for _ in range(2))
        d_c, d_score = _step_buffer(dec, contexts.shape, active), _step_buffer(dec, weights.shape, active)
        d_query = None if score == "dot" else _step_buffer(dec, (m, steps, b, w_query.size(-1)), active)
        d_pre = (
            _step_buffer(dec, (m, steps, b, src_len, w_query.size(-1)), active)
            if score == "additive"
            else None
        )
        ds, p, p_k = torch.zeros_like(s0), None, None  # ds: dL/ds_t flowing back from step t + 1
        for t in reversed(range(steps)):
            k, kb = ctx.active[t], ctx.active[t] * b
            if k != p_k:
                p, p_k = _prefixes(shared, k, b), k
            ds_direct = _gru_step_backward(
                d_dec[:k, t] + ds[:k], s_prev[:k, t], ctx.kept[t], d_gi[:k, t], d_gh[:k, t]
            )
            ds_t = torch.baddbmm(ds_direct, d_gh[:k, t], p["w_hh_t"])
            c_t = torch.baddbmm(d_ctx[:k, t], d_gi[:k, t], p["w_ctx_t"])  # (k, B, D)
            d_c[:k, t] = c_t
            w = weights[:k, t].reshape(kb, 1, src_len)
            dw = torch.bmm(c_t.view(kb, 1, d), p["flat_states_t"])  # (k B, 1, S)
            e_t = w * (dw - (w * dw).sum(dim=-1, keepdim=True))  # softmax backward
            d_score[:k, t] = e_t.view(k, b, src_len)
            if score == "additive":
                pre_t = torch.ops.aten.tanh_backward(
                    e_t.view(k, b, src_len, 1) * p["v"].view(k, 1, 1, -1), ctx.hiddens[t]
                )  # (k, B, S, A)
                d_pre[:k, t] = pre_t
                q_t = pre_t.sum(dim=2)  # dL/d(W s)
            else:
                q_t = torch.bmm(e_t, p["flat_states"]).view(k, b, d)  # dL/dq
            if score == "dot":
                ds[:k] = ds_t + q_t
            else:
                d_query[:k, t] = q_t
                ds[:k] = torch.baddbmm(ds_t, q_t, p["w_query_t"])
        d_states = torch.einsum("mtbs,mtbd->mbsd", weights, d_c)
        d_w_query = d_keys = d_v = None
        if d_query is not None:
            d_w_query = torch.einsum("mtbd,mtbk->mdk", s_prev, d_query)
        if score == "additive":
            d_keys = d_pre.sum(dim=1)  # (M, B, S, A)
            hidden = torch.stack(
                [torch.cat([h, h.new_zeros((m - h.size(0),) + h.shape[1:])]) for h in ctx.hiddens], dim=1
            )
            d_v = torch.einsum("mtbsa,mtbs->ma", hidden, d_score)[..., None]
        else:  # the score read the annotations too: e_j = q . h_j
            d_states = d_states + torch.einsum(
                "mtbs,mtbd->mbsd", d_score, s_prev if score == "dot" else queries
            )
        d_gi_flat, d_gh_flat = d_gi.view(m, steps * b, -1), d_gh.view(m, steps * b, -1)
        d_w_ctx = torch.bmm(contexts.view(m, steps * b, d).transpose(1, 2), d_gi_flat)
        d_w_hh = torch.bmm(s_prev.view(m, steps * b, d).transpose(1, 2), d_gh_flat)
        d_b_hh = d_gh_flat.sum(dim=1, keepdim=True)
        return d_gi, ds, d_states, None, d_w_ctx, d_w_hh, d_b_hh, d_w_query, d_keys, d_v, None, None


# --- the module -----------------------------------------------------------------------------------
class StackedRNNSeq2Seq(nn.Module):
    """M ``RNNSeq2Seq`` models of one config: ``forward(src, src_len, tgt_in)`` on (M, B, ...) batches
    gives each member's teacher-forced logits (and attention weights) on its own batch."""

    def __init__(self, models: Sequence[RNNSeq2Seq]):
        super().__init__()
        if not models or any(not isinstance(m, RNNSeq2Seq) for m in models):
            raise ConfigError("StackedRNNSeq2Seq needs RNNSeq2Seq models")
        cfg = models[0].cfg
        if any(m.cfg != cfg for m in models):
            raise ConfigError("StackedRNNSeq2Seq needs models of one Seq2SeqConfig")
        self.cfg = cfg
        self.directions = 2 if cfg.bidirectional else 1
        self.embedding_encoder = cfg.encoder == "embedding"
        self.score = cfg.score if cfg.arch == "attention" else None  # None: the fixed context vector
        layouts = [_layout(m) for m in models]
        self.names = list(layouts[0])
        with torch.no_grad():
            for name in self.names:
                parts = [lay[name] for lay in layouts]
                if isinstance(parts[0], tuple):
                    parts = [torch.stack(p) for p in parts]
                self.register_parameter(name, nn.Parameter(torch.stack(parts).contiguous()))
        if self.embedding_encoder:  # the EmbeddingEncoder's fixed position table (max_len, D)
            table = sinusoidal_table(cfg.max_len, self.enc_embedding.size(-1))
            self.register_buffer("positions", table, persistent=False)

    @property
    def members(self) -> int:
        return self.dec_embedding.size(0)

    @torch.no_grad()
    def write_back(self, models: Sequence[RNNSeq2Seq]) -> None:
        """Copy each member's weights into the corresponding model (same order as built)."""
        for i, model in enumerate(models):
            for name, view in _layout(model).items():
                stacked = getattr(self, name)[i]
                if isinstance(view, tuple):  # the encoder's directions
                    for d, part in enumerate(view):
                        part.copy_(stacked[d])
                else:
                    view.copy_(stacked)

    @torch.no_grad()
    def clip_grad_norm_(self, max_norm: float) -> torch.Tensor:
        """Clip each member's gradient by its own global norm, as ``torch.nn.utils.clip_grad_norm_``
        does for that model alone (the norm of the per-tensor norms; scale max_norm / (norm + 1e-6)
        when below 1). -> each member's norm before clipping (M,)."""
        grads = [p.grad for p in self.parameters() if p.grad is not None]
        per_tensor = [torch.linalg.vector_norm(g.flatten(1), dim=1) for g in grads]  # each (M,)
        norms = torch.linalg.vector_norm(torch.stack(per_tensor), dim=0)  # (M,)
        scale = (max_norm / (norms + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(scale.view(-1, *[1] * (g.dim() - 1)))
        return norms

    def forward(self, src: torch.Tensor, src_len: torch.Tensor, tgt_in: torch.Tensor):
        """Teacher forcing. src (M, B, S), src_len (M, B), tgt_in (M, B, T) starting with BOS ->
        (logits (M, B, T, V), weights (M, B, T, S) or None).

        Inside, the members run longest source first (weights and batch permuted, an exact
        reordering), so that each loop step computes only the members that are not past their end.
        """
        if src.dim() != 3 or src.size(0) != self.members:
            raise ValueError(f"src must be (members={self.members}, batch, length), got {tuple(src.shape)}")
        src_lengths, tgt_lengths = src_len.amax(dim=1), (tgt_in != PAD).sum(dim=2).amax(dim=1)  # (M,)
        order = torch.argsort(src_lengths, descending=True, stable=True)
        back = torch.argsort(order)
        w = dict(zip(self.names, _Permuted.apply(order, back, *(getattr(self, name) for name in self.names))))
        src, src_len, tgt_in = (x.index_select(0, order) for x in (src, src_len, tgt_in))
        sorted_src, sorted_tgt = src_lengths[order].tolist(), tgt_lengths[order].tolist()
        encode = self._embedding_encode if self.embedding_encoder else self._gru_encode
        states, summary = encode(w, src, src_len, _active(sorted_src, src.size(2)))
        logits, weights = self._decode(
            w, states, summary, src == PAD, tgt_in, _active(sorted_tgt, tgt_in.size(2))
        )
        return logits.index_select(0, back), None if weights is None else weights.index_select(0, back)

    # --- encoders ------------------------------------------------------------------------------
    def _gru_encode(self, w: dict, src: torch.Tensor, src_len: torch.Tensor, active: list[int]):
        """-> annotations (M, B, S, D) (zero at padding) and the summary (M, B, D): the forward state
        after the last real token, then the backward state after reading back to the first."""
        m, b, s = src.shape
        dirs = self.directions
        n, units = m * dirs, w["enc_w_hh"].size(-2)  # the two directions are 2M members of one loop
        positions = torch.arange(s, device=src.device)[:, None]  # (S, 1)
        src, src_len = src.transpose(1, 2), src_len[:, None]  # time-major: (M, S, B), (M, 1, B)
        real = positions < src_len  # (M, S, B)
        mirrored = torch.where(real, src_len - 1 - positions, positions)  # (M, S, B)
        # direction 1 reads each source reversed within its own length (padding stays at the end)
        order = torch.stack([positions.expand(m, s, b), mirrored], dim=1)[:, :dirs]  # (M, dirs, S, B)
        x = _lookup(w["enc_embedding"], src[:, None].expand(-1, dirs, -1, -1).gather(2, order))
        gi = torch.baddbmm(
            w["enc_b_ih"].view(n, 1, -1), x.view(n, s * b, -1), w["enc_w_ih"].view(n, -1, 3 * units)
        ).view(n, s, b, -1)  # the input part of every step
        w_hh, b_hh = w["enc_w_hh"].view(n, units, -1), w["enc_b_hh"].view(n, 1, -1)
        out = _GRULoop.apply(gi, x.new_zeros(n, b, units), w_hh, b_hh, [dirs * k for k in active])
        out = out.view(m, dirs, s, b, units)  # in each direction's reading order
        last = (src_len - 1).view(m, 1, 1, b, 1).expand(-1, dirs, -1, -1, units)
        final = out.gather(2, last).squeeze(2)  # (M, dirs, B, H): after each direction's last real token
        # back to source order (the mirror is its own inverse), zero at padding as pad_packed_sequence
        out = out.gather(2, order[..., None].expand(-1, -1, -1, -1, units)) * real[:, None, :, :, None]
        states = out.permute(0, 3, 2, 1, 4).reshape(m, b, s, dirs * units).contiguous()  # [fwd | bwd]
        return states, final.permute(0, 2, 1, 3).reshape(m, b, dirs * units)

    def _embedding_encode(self, w: dict, src: torch.Tensor, src_len: torch.Tensor, active: list[int]):
        """EmbeddingEncoder: h_j = E x_j + PE(j), zero at padding; the summary is their mean."""
        pad = (src == PAD)[..., None]
        states = (_lookup(w["enc_embedding"], src) + self.positions[: src.size(-1)]).masked_fill(pad, 0.0)
        return states, states.sum(dim=2) / src_len.to(states)[..., None]

    # --- decoder -------------------------------------------------------------------------------
    def _decode(self, w: dict, states, summary, pad, tgt_in, active: list[int]):
        """The Bahdanau-style decoder (previous state -> attention -> GRU cell on [emb, context] -> deep
        readout), or the fixed one (the summary as context at every step), on all members at once."""
        m, b, t = tgt_in.shape
        emb = _lookup(w["dec_embedding"], tgt_in.transpose(1, 2))  # (M, T, B, E), time-major
        s0 = torch.tanh(torch.baddbmm(w["bridge_b"], summary, w["bridge_w"]))  # (M, B, D)
        gi_emb = torch.baddbmm(w["cell_b_ih"], emb.view(m, t * b, -1), w["cell_w_emb"]).view(m, t, b, -1)
        if self.score is None:  # fixed: the context never changes, so its input part is added once
            gi = gi_emb + torch.bmm(summary, w["cell_w_ctx"])[:, None]  # (M, T, B, 3D)
            dec = _GRULoop.apply(gi, s0, w["cell_w_hh"], w["cell_b_hh"], active)  # (M, T, B, D)
            weights = None
        else:
            key_bias = torch.zeros_like(pad, dtype=states.dtype).masked_fill(pad, -math.inf)  # (M, B, S)
            keys = v = w_query = None
            if self.score == "additive":  # U h_j + b for every annotation, once
                keys = torch.baddbmm(w["att_b_key"], states.view(m, -1, states.size(-1)), w["att_w_key"])
                keys, v, w_query = keys.view(states.shape[:3] + (-1,)), w["att_v"], w["att_w_query"]
            elif self.score == "general":  # s^T W h_j = (W^T s) . h_j
                w_query = w["att_w"].transpose(1, 2)
            dec, context, weights = _AttentionLoop.apply(
                gi_emb,
                s0,
                states,
                key_bias,
                w["cell_w_ctx"],
                w["cell_w_hh"],
                w["cell_b_hh"],
                w_query,
                keys,
                v,
                active,
                self.score,
            )
            weights = weights.transpose(1, 2)  # (M, B, T, S)
        # deep readout tanh([s, c, emb] W + b), one block of W at a time (no concatenated copy)
        pre = torch.baddbmm(w["readout_b"], emb.view(m, t * b, -1), w["readout_w_e"])  # (M, T B, D)
        pre = torch.baddbmm(pre, dec.view(m, t * b, -1), w["readout_w_s"]).view(m, t, b, -1)
        if self.score is None:  # the same c at every step: its part once per sequence
            pre = pre + torch.bmm(summary, w["readout_w_c"])[:, None]
        else:
            pre = torch.baddbmm(pre.view(m, t * b, -1), context.view(m, t * b, -1), w["readout_w_c"])
        logits = torch.baddbmm(w["out_b"], torch.tanh(pre).view(m, t * b, -1), w["out_w"]).view(m, t, b, -1)
        return logits.transpose(1, 2), weights


def _active(lengths: list[int], steps: int) -> list[int]:
    """For members sorted by source length: how many leading members to compute at each of ``steps``
    steps, enough to cover every member whose length exceeds the step (the prefix up to the last one)."""
    return [max((i + 1 for i, n in enumerate(lengths) if n > t), default=0) for t in range(steps)]


def member_losses(logits: torch.Tensor, tgt_out: torch.Tensor) -> torch.Tensor:
    """Each member's cross-entropy, its own mean over its own real target tokens (PAD ignored), as
    ``F.cross_entropy(..., ignore_index=PAD)`` on that member alone: logits (M, B, T, V), tgt_out
    (M, B, T) -> (M,)."""
    m = logits.size(0)
    per_token = F.cross_entropy(
        logits.reshape(-1, logits.size(-1)), tgt_out.reshape(-1), ignore_index=PAD, reduction="none"
    )
    return per_token.view(m, -1).sum(dim=1) / (tgt_out != PAD).reshape(m, -1).sum(dim=1)
