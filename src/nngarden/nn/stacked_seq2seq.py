"""M GRU encoder-decoders of one config trained side by side as one module (the seeds of a note).

A GRU seq2seq model at hidden 32 and batch 64 spends a CPU training step in per-operation overhead:
the decoder's loop issues some twenty small operations per target position, each with its autograd
node, and Adam loops over every parameter tensor. :class:`StackedRNNSeq2Seq` holds M ``RNNSeq2Seq``
models' weights as (M, ...) tensors and runs every loop once for all M, with batched matrix products,
so the operations per step do not grow with M.

As in ``nn/stacked.py``, members share nothing: member i's logits depend only on its own weights and
its own batch, so the gradient of the sum of per-member losses is each member's own gradient,
:meth:`StackedRNNSeq2Seq.clip_grad_norm_` clips each member by its own global norm, and Adam (which
is elementwise) updates each member as it would update the model alone, up to float rounding.

Only teacher-forced training is stacked. :meth:`StackedRNNSeq2Seq.write_back` copies the trained
weights into the ordinary models, which decode and align as before.

The arithmetic follows ``nn/seq2seq.py`` (and ``nn.GRU``'s equations); what differs:

- the bidirectional encoder is a GRU loop over the padded batch instead of packed sequences; it
  reproduces them exactly: the backward direction reads each source reversed within its own length,
  outputs at padding are zero, and each direction's final state is taken after its last real token
  (states computed past a sequence's end are never used, so they receive no gradient). The two
  directions run as 2M members of one loop;
- the decoder cell's input weights are split into the embedding part (applied to all steps at once)
  and the context part (applied per step): the same sum, in another order;
- each member's batch is padded to the longest source and target of the step: padded source positions
  get weight exactly zero, padded target positions are left out of the loss.

Shapes: M members, B batch, S source length, T target length, E embedding, H encoder units per
direction, D = H x directions the annotation (and decoder) size, V vocabulary, A the additive score's
hidden size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..config import ConfigError
from .attention import AdditiveAttention
from .seq2seq import PAD, GRUEncoder, LuongAttention, RNNSeq2Seq
from .positional import sinusoidal_table


def _layout(model: RNNSeq2Seq) -> dict[str, torch.Tensor | tuple[torch.Tensor, ...]]:
    """One model's weights in the stacked layout, as views of its own parameters (so that
    ``write_back`` can copy into them): Linear weights transposed to (in, out) for ``x @ w``, biases
    (1, out); a tuple (the GRU encoder's two directions) becomes an axis after the member axis."""
    enc, dec = model.encoder, model.decoder
    out: dict[str, torch.Tensor | tuple[torch.Tensor, ...]] = {"enc_embedding": enc.embedding.weight}
    if isinstance(enc, GRUEncoder):
        gru = enc.gru
        suffixes = ("_l0", "_l0_reverse")[: 2 if gru.bidirectional else 1]
        for name, kind in (("enc_w_ih", "weight_ih"), ("enc_w_hh", "weight_hh")):
            out[name] = tuple(getattr(gru, kind + s).T for s in suffixes)  # (E or H, 3H) per direction
        for name, kind in (("enc_b_ih", "bias_ih"), ("enc_b_hh", "bias_hh")):
            out[name] = tuple(getattr(gru, kind + s)[None] for s in suffixes)  # (1, 3H)
    embed = dec.embedding.embedding_dim
    out["dec_embedding"] = dec.embedding.weight  # (V, E)
    out["bridge_w"], out["bridge_b"] = dec.bridge.weight.T, dec.bridge.bias[None]  # (D, D), (1, D)
    out["cell_w_emb"] = dec.cell.weight_ih[:, :embed].T  # (E, 3D): the cell's input is [emb, context]
    out["cell_w_ctx"] = dec.cell.weight_ih[:, embed:].T  # (D, 3D)
    out["cell_b_ih"], out["cell_b_hh"] = dec.cell.bias_ih[None], dec.cell.bias_hh[None]  # (1, 3D)
    out["cell_w_hh"] = dec.cell.weight_hh.T  # (D, 3D)
    out["readout_w"], out["readout_b"] = dec.readout.weight.T, dec.readout.bias[None]  # (2D + E, D)
    out["out_w"], out["out_b"] = dec.out.weight.T, dec.out.bias[None]  # (D, V), (1, V)
    attention = dec.attention
    if isinstance(attention, AdditiveAttention):
        out["att_w_query"] = attention.w_query.weight.T  # (D, A)
        out["att_w_key"], out["att_b_key"] = attention.w_key.weight.T, attention.w_key.bias[None]
        out["att_v"] = attention.v.weight.T  # (A, 1)
    elif isinstance(attention, LuongAttention) and attention.w is not None:
        out["att_w"] = attention.w.weight.T  # general: keys @ att_w = W h_j, (D, D)
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
# Autograd would record some twenty small nodes per step, and its backward computes each step's weight
# gradient by a separate small product. Here a loop runs without a graph, keeps what the backward needs,
# and the backward walks the steps in reverse, collecting the per-step gradients of the gate inputs so
# that the weight gradients are one large product over all steps at the end.


def _softmax(x: torch.Tensor) -> torch.Tensor:
    """softmax over the last dimension (a handful of source positions, where torch.softmax is slow on
    CPU); a -inf entry gets weight exactly zero."""
    e = (x - x.amax(dim=-1, keepdim=True)).exp_()
    return e.div_(e.sum(dim=-1, keepdim=True))


def _gates(gi: torch.Tensor, gh: torch.Tensor, h: torch.Tensor):
    """nn.GRU's update for (..., 3H) gate inputs gi = W_i x + b_i, gh = W_h h + b_h in the order r, z, n:
    r, z = sigmoid(gi_rz + gh_rz), n = tanh(gi_n + r gh_n), h' = (1 - z) n + z h.
    -> (h', rz, n), the last two kept for the backward."""
    units = h.size(-1)
    rz = torch.sigmoid_(gi[..., : 2 * units] + gh[..., : 2 * units])
    n = torch.tanh_(torch.addcmul(gi[..., 2 * units :], rz[..., :units], gh[..., 2 * units :]))
    return torch.lerp(n, h, rz[..., units:]), rz, n


def _gates_backward(dh, h_prev, rz, n, gh_n):
    """The gradients of :func:`_gates` for dL/dh' (..., H): -> (dL/dgi, dL/dgh (..., 3H), the part of
    dL/dh that flows directly through h' = (1 - z) n + z h)."""
    units = dh.size(-1)
    r, z = rz[..., :units], rz[..., units:]
    dh_direct = dh * z
    dn_in = torch.ops.aten.tanh_backward(dh - dh_direct, n)  # dL/d(gi_n + r gh_n)
    drz = torch.cat([dn_in * gh_n, dh * (h_prev - n)], dim=-1)  # dL/dr, dL/dz
    drz_in = torch.ops.aten.sigmoid_backward(drz, rz)
    return torch.cat([drz_in, dn_in], dim=-1), torch.cat([drz_in, dn_in * r], dim=-1), dh_direct


class _GRULoop(torch.autograd.Function):
    """N stacked GRUs over T steps: gi (N, B, T, 3H) the input part of every step, h0 (N, B, H), w_hh
    (N, H, 3H), b_hh (N, 1, 3H) -> every step's state (N, B, T, H)."""

    @staticmethod
    def forward(ctx, gi, h0, w_hh, b_hh):
        h, states, kept = h0, [], []
        for gi_t in gi.unbind(2):
            gh = torch.baddbmm(b_hh, h, w_hh)  # (N, B, 3H)
            h, rz, n = _gates(gi_t, gh, h)
            states.append(h)
            kept.append((rz, n, gh[..., 2 * h.size(-1) :]))
        hs = torch.stack(states, dim=2)
        ctx.save_for_backward(h0, w_hh, hs)
        ctx.kept = kept
        return hs

    @staticmethod
    def backward(ctx, d_hs):
        h0, w_hh, hs = ctx.saved_tensors
        n_, b, steps, units = hs.shape
        h_prev = torch.cat([h0[:, :, None], hs[:, :, :-1]], dim=2)  # (N, B, T, H)
        w_hh_t = w_hh.transpose(1, 2)
        dh, d_gi, d_gh = torch.zeros_like(h0), [None] * steps, [None] * steps
        for t in reversed(range(steps)):
            d_gi[t], d_gh[t], dh_direct = _gates_backward(
                d_hs[:, :, t] + dh, h_prev[:, :, t], *ctx.kept[t]
            )
            dh = torch.baddbmm(dh_direct, d_gh[t], w_hh_t)
        d_gi, d_gh = torch.stack(d_gi, dim=2), torch.stack(d_gh, dim=2)  # (N, B, T, 3H)
        flat_gh = d_gh.view(n_, b * steps, -1)
        d_w_hh = torch.bmm(h_prev.view(n_, b * steps, units).transpose(1, 2), flat_gh)
        return d_gi, dh, d_w_hh, flat_gh.sum(dim=1, keepdim=True)


class _AttentionLoop(torch.autograd.Function):
    """The attention decoder's recurrence for M members: at each step the previous state s scores every
    source position, the softmax weights average the annotations into the context c, and the GRU cell
    reads [emb, c].

    gi_emb (M, B, T, 3D): the embedding part of the cell's input (plus b_ih) for every step; s0 (M, B,
    D); keys (M, B, S, K): W h_j (general), h_j (dot) or U h_j + b (additive); states (M, B, S, D);
    key_bias (M, B, S) 0 or -inf at padding; w_ctx (M, D, 3D); w_hh, b_hh; w_query (M, D, A) and v
    (M, A, 1) for the additive score, else None.
    -> decoder states (M, B, T, D), contexts (M, B, T, D), weights (M, B, T, S) (not differentiable).
    """

    @staticmethod
    def forward(ctx, gi_emb, s0, keys, states, key_bias, w_ctx, w_hh, b_hh, w_query, v):
        m, b, src_len, d = states.shape
        additive = w_query is not None
        flat_states = states.reshape(m * b, src_len, d)  # (M B, S, D)
        keys_t = None if additive else keys.reshape(m * b, src_len, -1).transpose(1, 2).contiguous()
        bias = key_bias.reshape(m * b, 1, src_len)
        s, out_s, out_c, out_w, kept = s0, [], [], [], []
        for gi_t in gi_emb.unbind(2):
            if additive:  # e_j = v^T tanh(W s + U h_j + b)
                hidden = torch.tanh_(torch.bmm(s, w_query)[:, :, None] + keys)  # (M, B, S, A)
                score = torch.bmm(hidden.view(m, b * src_len, -1), v).view(m * b, 1, src_len) + bias
            else:  # e_j = s^T (W) h_j, all positions in one product per sequence
                hidden, score = None, torch.baddbmm(bias, s.view(m * b, 1, -1), keys_t)
            w = _softmax(score)  # (M B, 1, S)
            c = torch.bmm(w, flat_states).view(m, b, d)
            gh = torch.baddbmm(b_hh, s, w_hh)
            s_new, rz, n = _gates(torch.baddbmm(gi_t, c, w_ctx), gh, s)
            kept.append((rz, n, gh[..., 2 * d :], hidden))
            out_s.append(s_new)
            out_c.append(c)
            out_w.append(w.view(m, b, src_len))
            s = s_new
        outputs = [torch.stack(x, dim=2) for x in (out_s, out_c, out_w)]
        ctx.save_for_backward(s0, keys, states, w_ctx, w_hh, w_query, v, *outputs)
        ctx.kept = kept
        ctx.mark_non_differentiable(outputs[2])
        return tuple(outputs)

    @staticmethod
    def backward(ctx, d_dec, d_ctx, _d_weights):
        s0, keys, states, w_ctx, w_hh, w_query, v, dec, contexts, weights = ctx.saved_tensors
        m, b, src_len, d = states.shape
        steps, additive = dec.size(2), w_query is not None
        s_prev = torch.cat([s0[:, :, None], dec[:, :, :-1]], dim=2)  # (M, B, T, D)
        states_t = states.reshape(m * b, src_len, d).transpose(1, 2)  # (M B, D, S)
        flat_keys = None if additive else keys.reshape(m * b, src_len, -1)
        w_ctx_t, w_hh_t = w_ctx.transpose(1, 2), w_hh.transpose(1, 2)
        ds = torch.zeros_like(s0)
        d_gi, d_gh, d_c, d_score, d_query, d_hidden = ([None] * steps for _ in range(6))
        for t in reversed(range(steps)):
            rz, n, gh_n, hidden = ctx.kept[t]
            d_gi[t], d_gh[t], ds_direct = _gates_backward(d_dec[:, :, t] + ds, s_prev[:, :, t], rz, n, gh_n)
            ds = torch.baddbmm(ds_direct, d_gh[t], w_hh_t)
            d_c[t] = torch.baddbmm(d_ctx[:, :, t], d_gi[t], w_ctx_t)  # (M, B, D)
            w = weights[:, :, t].reshape(m * b, 1, src_len)
            dw = torch.bmm(d_c[t].view(m * b, 1, d), states_t)  # (M B, 1, S)
            d_score[t] = w * (dw - (w * dw).sum(dim=-1, keepdim=True))  # softmax backward
            if additive:
                d_pre = torch.ops.aten.tanh_backward(d_score[t].view(m, b, src_len, 1) * v.view(m, 1, 1, -1), hidden)
                d_hidden[t], d_query[t] = d_pre, d_pre.sum(dim=2)  # (M, B, S, A), (M, B, A)
                ds = torch.baddbmm(ds, d_query[t], w_query.transpose(1, 2))
            else:
                ds = torch.baddbmm(ds.view(m * b, 1, d), d_score[t], flat_keys).view(m, b, d)
        d_gi, d_gh = torch.stack(d_gi, dim=2), torch.stack(d_gh, dim=2)  # (M, B, T, 3D)
        flat_gh, flat_gi = d_gh.view(m, b * steps, -1), d_gi.view(m, b * steps, -1)
        d_w_hh = torch.bmm(s_prev.view(m, b * steps, d).transpose(1, 2), flat_gh)
        d_w_ctx = torch.bmm(contexts.view(m, b * steps, d).transpose(1, 2), flat_gi)
        d_c = torch.stack(d_c, dim=2).view(m * b, steps, d)
        d_score = torch.cat(d_score, dim=1)  # (M B, T, S)
        d_states = torch.bmm(weights.view(m * b, steps, src_len).transpose(1, 2), d_c).view(m, b, src_len, d)
        d_w_query = d_v = None
        if additive:
            d_keys = torch.stack(d_hidden, dim=2).sum(dim=2)  # (M, B, S, A)
            d_query = torch.stack(d_query, dim=2).view(m, b * steps, -1)
            d_w_query = torch.bmm(s_prev.view(m, b * steps, d).transpose(1, 2), d_query)
            hidden = torch.stack([kept[3] for kept in ctx.kept], dim=2)  # (M, B, T, S, A)
            d_v = torch.bmm(hidden.view(m, b * steps * src_len, -1).transpose(1, 2), d_score.view(m, -1, 1))
        else:
            d_keys = torch.bmm(d_score.transpose(1, 2), s_prev.view(m * b, steps, d)).view(keys.shape)
        d_b_hh = flat_gh.sum(dim=1, keepdim=True)
        return d_gi, ds, d_keys, d_states, None, d_w_ctx, d_w_hh, d_b_hh, d_w_query, d_v


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
        self._names = list(layouts[0])
        with torch.no_grad():
            for name in self._names:
                parts = [lay[name] for lay in layouts]
                if isinstance(parts[0], tuple):
                    parts = [torch.stack(p) for p in parts]
                self.register_parameter(name, nn.Parameter(torch.stack(parts).contiguous()))
        if self.embedding_encoder:  # the EmbeddingEncoder's fixed position table (S_max, D)
            self.register_buffer("positions", sinusoidal_table(cfg.max_len, self.enc_embedding.size(-1)), False)

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
        positions = torch.arange(s, device=src.device)
        real = positions < src_len[..., None]  # (M, B, S)
        mirrored = torch.where(real, src_len[..., None] - 1 - positions, positions)  # (M, B, S)
        # direction 1 reads each source reversed within its own length (padding stays at the end)
        order = torch.stack([positions.expand(m, b, s), mirrored], dim=1)[:, :dirs]  # (M, dirs, B, S)
        x = _lookup(self.enc_embedding, src[:, None].expand(-1, dirs, -1, -1).gather(3, order))
        n, units = m * dirs, self.enc_w_hh.size(-2)  # the two directions are 2M members of one loop
        gi = torch.baddbmm(
            self.enc_b_ih.view(n, 1, -1), x.view(n, b * s, -1), self.enc_w_ih.view(n, -1, 3 * units)
        ).view(n, b, s, 3 * units)  # input part of every step at once
        h0 = x.new_zeros(n, b, units)
        out = _GRULoop.apply(gi, h0, self.enc_w_hh.view(n, units, -1), self.enc_b_hh.view(n, 1, -1))
        out = out.view(m, dirs, b, s, units)  # in each direction's reading order
        last = (src_len - 1).view(m, 1, b, 1, 1).expand(-1, dirs, -1, -1, units)
        final = out.gather(3, last).squeeze(3)  # (M, dirs, B, H): after each direction's last real token
        # back to source order (the mirror is its own inverse), zero at padding as pad_packed_sequence
        out = out.gather(3, order[..., None].expand(-1, -1, -1, -1, units)) * real[:, None, :, :, None]
        states = out.permute(0, 2, 3, 1, 4).reshape(m, b, s, dirs * units)  # [forward | backward]
        return states, final.permute(0, 2, 1, 3).reshape(m, b, dirs * units)

    def _embedding_encode(self, src: torch.Tensor, src_len: torch.Tensor):
        """EmbeddingEncoder: h_j = E x_j + PE(j), zero at padding; the summary is their mean."""
        s = src.size(-1)
        states = (_lookup(self.enc_embedding, src) + self.positions[:s]).masked_fill((src == PAD)[..., None], 0)
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
        emb = _lookup(self.dec_embedding, tgt_in)  # (M, B, T, E)
        s0 = torch.tanh(torch.baddbmm(self.bridge_b, summary, self.bridge_w))  # (M, B, D)
        gi_emb = torch.baddbmm(self.cell_b_ih, emb.view(m, b * t, -1), self.cell_w_emb).view(m, b, t, -1)
        if self.score is None:  # fixed: the context never changes, so its input part is added once
            gi = gi_emb + torch.bmm(summary, self.cell_w_ctx)[:, :, None]  # (M, B, T, 3D)
            dec = _GRULoop.apply(gi, s0, self.cell_w_hh, self.cell_b_hh)  # (M, B, T, D)
            context, weights = summary[:, :, None].expand(-1, -1, t, -1), None
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
        features = torch.cat([dec, context, emb], dim=-1)  # (M, B, T, 2D + E), as [s, c, emb]
        feat = torch.tanh(torch.baddbmm(self.readout_b, features.view(m, b * t, -1), self.readout_w))
        return torch.baddbmm(self.out_b, feat, self.out_w).view(m, b, t, -1), weights


def member_losses(logits: torch.Tensor, tgt_out: torch.Tensor) -> torch.Tensor:
    """Each member's cross-entropy, its own mean over its own real target tokens (PAD ignored), as
    ``F.cross_entropy(..., ignore_index=PAD)`` on that member alone: logits (M, B, T, V), tgt_out
    (M, B, T) -> (M,)."""
    m = logits.size(0)
    per_token = F.cross_entropy(
        logits.reshape(-1, logits.size(-1)), tgt_out.reshape(-1), ignore_index=PAD, reduction="none"
    )
    return per_token.view(m, -1).sum(dim=1) / (tgt_out != PAD).view(m, -1).sum(dim=1)
