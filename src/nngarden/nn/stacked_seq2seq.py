"""M GRU encoder-decoders of one config trained side by side as one module (the seeds of a note).

:class:`StackedRNNSeq2Seq` holds M ``RNNSeq2Seq`` models' weights as (M, ...) tensors and runs their
teacher-forced training step at once, with batched matrix products, so that the operations per step
do not grow with M. As in ``nn/stacked.py``, members share nothing: member i's logits depend only on
its own weights and its own batch, so the gradient of the sum of per-member losses is each member's
own gradient, :meth:`StackedRNNSeq2Seq.clip_grad_norm_` clips each member by its own global norm, and
Adam (elementwise) updates each member as it would update the model alone, up to float rounding.
Only training is stacked: :meth:`StackedRNNSeq2Seq.write_back` copies the trained weights into the
ordinary models, which decode and align as before.

The arithmetic is that of ``nn/seq2seq.py`` and ``nn.GRU``; what differs, and why:

- the recurrences (the encoder's GRU, the decoder's attention + GRU cell) are autograd Functions with
  hand-written backward passes. On a CPU thread a step of these small models is dominated by the
  cost of many small kernels, not by arithmetic: autograd would record some twenty nodes per time
  step and compute every step's weight gradient by its own small product. Here the forward loop runs
  without a graph and keeps what the backward needs; the backward walks the steps in reverse and
  computes the weight gradients as one product over all steps at the end;
- gate tensors are gate-major, (N, 3, B, H) for the gates r, z, n, so that each gate is a contiguous
  block (slicing gates off the last dimension makes every elementwise kernel slow), and time-major
  (N, T, B, ...) so that each step is a contiguous slice;
- the bidirectional encoder is a GRU loop over the padded batch instead of packed sequences. It
  reproduces them exactly: the backward direction reads each source reversed within its own length,
  outputs at padding are zero, and each direction's final state is the one after its last real token
  (states computed past a sequence's end are never used, so they receive no gradient). The two
  directions run as 2M members of one loop;
- each member's batch is padded to the longest source and target of the step: padded source positions
  get attention weight exactly zero, padded target positions are left out of the loss.

Shapes: M members, N members of one loop (2M for a bidirectional encoder), B batch, S source length,
T target length (or time steps), E embedding, H encoder units per direction, D = H x directions the
annotation and decoder size, K the keys' size, A the additive score's hidden size, V vocabulary.
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
def _gate_major(weight: torch.Tensor) -> torch.Tensor:
    """A GRU weight (3H, in), gates r, z, n stacked on rows, as (3, in, H): x @ w[g] is gate g's part."""
    return weight.view(3, -1, weight.size(-1)).transpose(1, 2)


def _layout(model: RNNSeq2Seq) -> dict[str, torch.Tensor | tuple[torch.Tensor, ...]]:
    """One model's weights in the stacked layout, as views of its own parameters (so that ``write_back``
    can copy into them): Linear weights as (in, out) for ``x @ w``, biases (1, out), GRU weights
    gate-major (3, in, H) and biases (3, 1, H); a tuple (the encoder's directions) becomes an axis after
    the member axis."""
    enc, dec = model.encoder, model.decoder
    out: dict[str, torch.Tensor | tuple[torch.Tensor, ...]] = {"enc_embedding": enc.embedding.weight}
    if isinstance(enc, GRUEncoder):
        gru = enc.gru
        suffixes = ("_l0", "_l0_reverse")[: 2 if gru.bidirectional else 1]
        out["enc_w_ih"] = tuple(_gate_major(getattr(gru, "weight_ih" + s)) for s in suffixes)  # (3, E, H)
        out["enc_w_hh"] = tuple(_gate_major(getattr(gru, "weight_hh" + s)) for s in suffixes)  # (3, H, H)
        out["enc_b_ih"] = tuple(getattr(gru, "bias_ih" + s).view(3, 1, -1) for s in suffixes)
        out["enc_b_hh"] = tuple(getattr(gru, "bias_hh" + s).view(3, 1, -1) for s in suffixes)
    embed, cell = dec.embedding.embedding_dim, dec.cell
    out["dec_embedding"] = dec.embedding.weight  # (V, E)
    out["bridge_w"], out["bridge_b"] = dec.bridge.weight.T, dec.bridge.bias[None]  # (D, D), (1, D)
    out["cell_w_emb"] = _gate_major(cell.weight_ih[:, :embed])  # (3, E, D): the cell reads [emb, context]
    out["cell_w_ctx"] = _gate_major(cell.weight_ih[:, embed:])  # (3, D, D)
    out["cell_w_hh"] = _gate_major(cell.weight_hh)  # (3, D, D)
    out["cell_b_ih"], out["cell_b_hh"] = cell.bias_ih.view(3, 1, -1), cell.bias_hh.view(3, 1, -1)
    out["readout_w"], out["readout_b"] = dec.readout.weight.T, dec.readout.bias[None]  # (2D + E, D)
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
def _softmax(x: torch.Tensor) -> torch.Tensor:
    """softmax over the last dimension, a handful of source positions (torch.softmax is slow on a short
    last dimension on CPU); a -inf entry gets weight exactly zero."""
    e = (x - x.amax(dim=-1, keepdim=True)).exp_()
    return e.div_(e.sum(dim=-1, keepdim=True))


def _gates(gi: torch.Tensor, gh: torch.Tensor, h: torch.Tensor):
    """nn.GRU's update from the gate inputs gi = x W_i + b_i, gh = h W_h + b_h (N, 3, B, H):
    r, z = sigmoid(gi_rz + gh_rz), n = tanh(gi_n + r gh_n), h' = (1 - z) n + z h.
    -> (h' (N, B, H), rz (N, 2, B, H), n), the last two kept for the backward."""
    rz = torch.sigmoid_(gi[:, :2] + gh[:, :2])
    n = torch.tanh_(torch.addcmul(gi[:, 2], rz[:, 0], gh[:, 2]))
    return torch.lerp(n, h, rz[:, 1]), rz, n


def _gates_backward(dh, h_prev, rz, n, gh_n):
    """:func:`_gates` backward for dL/dh' (N, B, H): -> (dL/dgi, dL/dgh (N, 3, B, H), the part of dL/dh
    that flows directly through h' = (1 - z) n + z h)."""
    dh_direct = dh * rz[:, 1]
    dn_in = torch.ops.aten.tanh_backward(dh - dh_direct, n)  # dL/d(gi_n + r gh_n)
    drz_in = torch.ops.aten.sigmoid_backward(torch.stack([dn_in * gh_n, dh * (h_prev - n)], dim=1), rz)
    d_gi = torch.cat([drz_in, dn_in[:, None]], dim=1)
    return d_gi, torch.cat([drz_in, (dn_in * rz[:, 0])[:, None]], dim=1), dh_direct


def _weight_grad(inputs: torch.Tensor, d_gates: torch.Tensor) -> torch.Tensor:
    """The gradient of a gate-major weight (N, 3, in, H) summed over every step and sequence: inputs
    (N, T, B, in), d_gates (N, 3, T, B, H); one product per gate, each gate's block read in place."""
    n, steps, b, width = inputs.shape
    flat = inputs.reshape(n, steps * b, width).transpose(1, 2)  # (N, in, T B)
    return torch.stack([torch.bmm(flat, d_gates[:, g].reshape(n, steps * b, -1)) for g in range(3)], dim=1)


def _hidden_part(h: torch.Tensor, w_hh: torch.Tensor, b_hh: torch.Tensor) -> torch.Tensor:
    """gh = h W_h + b_h for all gates: h (N, B, H), w_hh (N, 3, H, H), b_hh (N, 3, 1, H) -> (N, 3, B, H)."""
    return torch.matmul(h[:, None], w_hh).add_(b_hh)


def _hidden_grad(d_gh: torch.Tensor, w_hh: torch.Tensor) -> torch.Tensor:
    """dL/dh through gh = h W_h: d_gh (N, 3, B, H), w_hh (N, 3, H_in, H) -> (N, B, H_in)."""
    return torch.matmul(d_gh, w_hh.transpose(2, 3)).sum(dim=1)


class _GRULoop(torch.autograd.Function):
    """N stacked GRUs over T steps: gi (N, 3, T, B, H) the input part of every step (b_ih included),
    h0 (N, B, H), w_hh (N, 3, H, H), b_hh (N, 3, 1, H) -> every step's state (N, T, B, H)."""

    @staticmethod
    def forward(ctx, gi, h0, w_hh, b_hh):
        h, states, kept = h0, [], []
        for t in range(gi.size(2)):
            gh = _hidden_part(h, w_hh, b_hh)
            h, rz, n = _gates(gi[:, :, t], gh, h)
            states.append(h)
            kept.append((rz, n, gh[:, 2]))
        hs = torch.stack(states, dim=1)
        ctx.save_for_backward(h0, w_hh, hs)
        ctx.kept = kept
        return hs

    @staticmethod
    def backward(ctx, d_hs):
        h0, w_hh, hs = ctx.saved_tensors
        h_prev = torch.cat([h0[:, None], hs[:, :-1]], dim=1)  # (N, T, B, H)
        dh, d_gi, d_gh = torch.zeros_like(h0), [], []
        for t in reversed(range(hs.size(1))):
            gi_t, gh_t, dh_direct = _gates_backward(d_hs[:, t] + dh, h_prev[:, t], *ctx.kept[t])
            dh = dh_direct + _hidden_grad(gh_t, w_hh)
            d_gi.append(gi_t)
            d_gh.append(gh_t)
        d_gi, d_gh = torch.stack(d_gi[::-1], dim=2), torch.stack(d_gh[::-1], dim=2)  # (N, 3, T, B, H)
        return d_gi, dh, _weight_grad(h_prev, d_gh), d_gh.sum(dim=(2, 3))[:, :, None]


class _AttentionLoop(torch.autograd.Function):
    """The attention decoder's recurrence for M members: at each step the previous state s scores every
    source position, the softmax weights average the annotations into the context c, and the GRU cell
    reads [emb, c].

    gi_emb (M, 3, T, B, D): the embedding part of the cell's input (b_ih included) at every step; s0
    (M, B, D); keys (M, B, S, K): W h_j (general), h_j (dot) or U h_j + b (additive); states (M, B, S,
    D); key_bias (M, B, S), 0 or -inf at padding; w_ctx (M, 3, D, D); w_hh (M, 3, D, D); b_hh (M, 3, 1,
    D); w_query (M, D, A) and v (M, A, 1) for the additive score, else None.
    -> decoder states (M, T, B, D), contexts (M, T, B, D), weights (M, T, B, S) (not differentiable).
    """

    @staticmethod
    def forward(ctx, gi_emb, s0, keys, states, key_bias, w_ctx, w_hh, b_hh, w_query, v):
        m, b, src_len, d = states.shape
        additive = w_query is not None
        flat_states = states.reshape(m * b, src_len, d)
        keys_t = None if additive else keys.reshape(m * b, src_len, -1).transpose(1, 2).contiguous()
        bias = key_bias.reshape(m * b, 1, src_len)
        s, out_s, out_c, out_w, kept = s0, [], [], [], []
        for t in range(gi_emb.size(2)):
            if additive:  # e_j = v^T tanh(W s + U h_j + b)
                hidden = torch.tanh_(torch.bmm(s, w_query)[:, :, None] + keys)  # (M, B, S, A)
                score = torch.bmm(hidden.view(m, b * src_len, -1), v).view(m * b, 1, src_len) + bias
            else:  # e_j = s^T (W h_j), every position in one product per sequence
                hidden, score = None, torch.baddbmm(bias, s.view(m * b, 1, d), keys_t)
            w = _softmax(score)  # (M B, 1, S)
            c = torch.bmm(w, flat_states).view(m, b, d)
            gh = _hidden_part(s, w_hh, b_hh)
            s_new, rz, n = _gates(gi_emb[:, :, t] + torch.matmul(c[:, None], w_ctx), gh, s)
            kept.append((rz, n, gh[:, 2], hidden))
            out_s.append(s_new)
            out_c.append(c)
            out_w.append(w.view(m, b, src_len))
            s = s_new
        outputs = [torch.stack(x, dim=1) for x in (out_s, out_c, out_w)]
        ctx.save_for_backward(s0, keys, states, w_ctx, w_hh, w_query, v, *outputs)
        ctx.kept = kept
        ctx.mark_non_differentiable(outputs[2])
        return tuple(outputs)

    @staticmethod
    def backward(ctx, d_dec, d_ctx, _d_weights):
        s0, keys, states, w_ctx, w_hh, w_query, v, dec, contexts, weights = ctx.saved_tensors
        m, b, src_len, d = states.shape
        additive = w_query is not None
        s_prev = torch.cat([s0[:, None], dec[:, :-1]], dim=1)  # (M, T, B, D)
        states_t = states.reshape(m * b, src_len, d).transpose(1, 2)  # (M B, D, S)
        flat_keys = None if additive else keys.reshape(m * b, src_len, -1)
        ds = torch.zeros_like(s0)
        d_gi, d_gh, d_c, d_score, d_hidden = [], [], [], [], []
        for t in reversed(range(dec.size(1))):
            rz, n, gh_n, hidden = ctx.kept[t]
            gi_t, gh_t, ds_direct = _gates_backward(d_dec[:, t] + ds, s_prev[:, t], rz, n, gh_n)
            ds = ds_direct + _hidden_grad(gh_t, w_hh)
            c_t = d_ctx[:, t] + _hidden_grad(gi_t, w_ctx)  # (M, B, D)
            w = weights[:, t].reshape(m * b, 1, src_len)
            dw = torch.bmm(c_t.view(m * b, 1, d), states_t)  # (M B, 1, S)
            score_t = w * (dw - (w * dw).sum(dim=-1, keepdim=True))  # softmax backward
            if additive:
                d_pre = torch.ops.aten.tanh_backward(
                    score_t.view(m, b, src_len, 1) * v.view(m, 1, 1, -1), hidden
                )  # (M, B, S, A)
                ds = torch.baddbmm(ds, d_pre.sum(dim=2), w_query.transpose(1, 2))
                d_hidden.append(d_pre)
            else:
                ds = torch.baddbmm(ds.view(m * b, 1, d), score_t, flat_keys).view(m, b, d)
            d_gi.append(gi_t)
            d_gh.append(gh_t)
            d_c.append(c_t)
            d_score.append(score_t.view(m, b, src_len))
        d_gi, d_gh = torch.stack(d_gi[::-1], dim=2), torch.stack(d_gh[::-1], dim=2)  # (M, 3, T, B, D)
        d_c, d_score = torch.stack(d_c[::-1], dim=1), torch.stack(d_score[::-1], dim=1)  # (M, T, B, .)
        d_states = torch.einsum("mtbs,mtbd->mbsd", weights, d_c)
        d_w_query = d_v = None
        if additive:
            d_pre = torch.stack(d_hidden[::-1], dim=1)  # (M, T, B, S, A)
            d_keys = d_pre.sum(dim=1)
            d_w_query = torch.einsum("mtbd,mtba->mda", s_prev, d_pre.sum(dim=3))
            hidden = torch.stack([kept[3] for kept in ctx.kept], dim=1)  # (M, T, B, S, A)
            d_v = torch.einsum("mtbsa,mtbs->ma", hidden, d_score)[..., None]
        else:
            d_keys = torch.einsum("mtbs,mtbk->mbsk", d_score, s_prev)
        d_b_hh = d_gh.sum(dim=(2, 3))[:, :, None]
        d_w_ctx, d_w_hh = _weight_grad(contexts, d_gi), _weight_grad(s_prev, d_gh)
        return d_gi, ds, d_keys, d_states, None, d_w_ctx, d_w_hh, d_b_hh, d_w_query, d_v


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
        with torch.no_grad():
            for name in layouts[0]:
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
        (logits (M, B, T, V), weights (M, B, T, S) or None)."""
        if src.dim() != 3 or src.size(0) != self.members:
            raise ValueError(f"src must be (members={self.members}, batch, length), got {tuple(src.shape)}")
        encode = self._embedding_encode if self.embedding_encoder else self._gru_encode
        states, summary = encode(src, src_len)
        return self._decode(states, summary, src == PAD, tgt_in)

    # --- encoders ------------------------------------------------------------------------------
    def _gru_encode(self, src: torch.Tensor, src_len: torch.Tensor):
        """-> annotations (M, B, S, D) (zero at padding) and the summary (M, B, D): the forward state
        after the last real token, then the backward state after reading back to the first."""
        m, b, s = src.shape
        dirs = self.directions
        n, units = m * dirs, self.enc_w_hh.size(-1)  # the two directions are 2M members of one loop
        positions = torch.arange(s, device=src.device)[:, None]  # (S, 1)
        src, src_len = src.transpose(1, 2), src_len[:, None]  # time-major: (M, S, B), (M, 1, B)
        real = positions < src_len  # (M, S, B)
        mirrored = torch.where(real, src_len - 1 - positions, positions)  # (M, S, B)
        # direction 1 reads each source reversed within its own length (padding stays at the end)
        order = torch.stack([positions.expand(m, s, b), mirrored], dim=1)[:, :dirs]  # (M, dirs, S, B)
        x = _lookup(self.enc_embedding, src[:, None].expand(-1, dirs, -1, -1).gather(2, order))
        gi = torch.matmul(x.view(n, 1, s * b, -1), self.enc_w_ih.view(n, 3, -1, units))
        gi = gi.view(n, 3, s, b, units) + self.enc_b_ih.view(n, 3, 1, 1, units)  # every step's input part
        h0 = x.new_zeros(n, b, units)
        out = _GRULoop.apply(
            gi, h0, self.enc_w_hh.view(n, 3, units, units), self.enc_b_hh.view(n, 3, 1, units)
        )
        out = out.view(m, dirs, s, b, units)  # in each direction's reading order
        last = (src_len - 1).view(m, 1, 1, b, 1).expand(-1, dirs, -1, -1, units)
        final = out.gather(2, last).squeeze(2)  # (M, dirs, B, H): after each direction's last real token
        # back to source order (the mirror is its own inverse), zero at padding as pad_packed_sequence
        out = out.gather(2, order[..., None].expand(-1, -1, -1, -1, units)) * real[:, None, :, :, None]
        states = out.permute(0, 3, 2, 1, 4).reshape(m, b, s, dirs * units).contiguous()  # [fwd | bwd]
        return states, final.permute(0, 2, 1, 3).reshape(m, b, dirs * units)

    def _embedding_encode(self, src: torch.Tensor, src_len: torch.Tensor):
        """EmbeddingEncoder: h_j = E x_j + PE(j), zero at padding; the summary is their mean."""
        pad = (src == PAD)[..., None]
        states = (_lookup(self.enc_embedding, src) + self.positions[: src.size(-1)]).masked_fill(pad, 0.0)
        return states, states.sum(dim=2) / src_len.to(states)[..., None]

    # --- decoder -------------------------------------------------------------------------------
    def _project_keys(self, states: torch.Tensor) -> torch.Tensor:
        """The per-source part of the score: W h_j (general), h_j (dot), U h_j + b (additive)."""
        m, b, s, d = states.shape
        if self.score == "dot":
            return states
        if self.score == "general":
            return torch.bmm(states.view(m, b * s, d), self.att_w).view(m, b, s, -1)
        return torch.baddbmm(self.att_b_key, states.view(m, b * s, d), self.att_w_key).view(m, b, s, -1)

    def _decode(self, states, summary, pad, tgt_in):
        """The Bahdanau-style decoder (previous state -> attention -> GRU cell on [emb, context] -> deep
        readout), or the fixed one (the summary as context at every step), on all members at once."""
        m, b, t = tgt_in.shape
        emb = _lookup(self.dec_embedding, tgt_in.transpose(1, 2))  # (M, T, B, E), time-major
        s0 = torch.tanh(torch.baddbmm(self.bridge_b, summary, self.bridge_w))  # (M, B, D)
        gi_emb = torch.matmul(emb.view(m, 1, t * b, -1), self.cell_w_emb)  # (M, 3, T B, D)
        gi_emb = gi_emb.view(m, 3, t, b, -1) + self.cell_b_ih[:, :, None]
        if self.score is None:  # fixed: the context never changes, so its input part is added once
            gi = gi_emb + torch.matmul(summary[:, None], self.cell_w_ctx)[:, :, None]  # (M, 3, T, B, D)
            dec = _GRULoop.apply(gi, s0, self.cell_w_hh, self.cell_b_hh)  # (M, T, B, D)
            context, weights = summary[:, None].expand(-1, t, -1, -1), None
        else:
            key_bias = torch.zeros_like(pad, dtype=states.dtype).masked_fill(pad, -math.inf)  # (M, B, S)
            additive = self.score == "additive"
            dec, context, weights = _AttentionLoop.apply(
                gi_emb,
                s0,
                self._project_keys(states),
                states,
                key_bias,
                self.cell_w_ctx,
                self.cell_w_hh,
                self.cell_b_hh,
                self.att_w_query if additive else None,
                self.att_v if additive else None,
            )
            weights = weights.transpose(1, 2)  # (M, B, T, S)
        features = torch.cat([dec, context, emb], dim=-1)  # (M, T, B, 2D + E), as [s, c, emb]
        feat = torch.tanh(torch.baddbmm(self.readout_b, features.view(m, t * b, -1), self.readout_w))
        logits = torch.baddbmm(self.out_b, feat, self.out_w).view(m, t, b, -1)
        return logits.transpose(1, 2), weights


def member_losses(logits: torch.Tensor, tgt_out: torch.Tensor) -> torch.Tensor:
    """Each member's cross-entropy, its own mean over its own real target tokens (PAD ignored), as
    ``F.cross_entropy(..., ignore_index=PAD)`` on that member alone: logits (M, B, T, V), tgt_out
    (M, B, T) -> (M,). (The stacked forward's logits are time-major underneath: read in that order.)"""
    m = logits.size(0)
    logits, tgt_out = logits.transpose(1, 2), tgt_out.transpose(1, 2)
    per_token = F.cross_entropy(
        logits.reshape(-1, logits.size(-1)), tgt_out.reshape(-1), ignore_index=PAD, reduction="none"
    )
    return per_token.view(m, -1).sum(dim=1) / (tgt_out != PAD).reshape(m, -1).sum(dim=1)
