"""Sequence-to-sequence models and their decoding: the fixed context vector, attention, a transformer.

- Cho et al. (2014), "Learning Phrase Representations using RNN Encoder-Decoder": the decoder starts
  from a summary of the source and sees that one fixed context vector c at every step.
- Bahdanau, Cho and Bengio (2014), "Neural Machine Translation by Jointly Learning to Align and
  Translate": the same decoder, but c_i = sum_j a_ij h_j is recomputed at every step from all encoder
  states, with a_ij = softmax_j(v^T tanh(W s_{i-1} + U h_j)).
- Luong, Pham and Manning (2015): the cheaper scores s^T h_j ("dot") and s^T W h_j ("general").
- Vaswani et al. (2017): the transformer encoder-decoder, built here from the shared pre-LN blocks of
  ``nn/transformer.py``.

Every model speaks one small protocol, so that greedy decoding and beam search are written once:
``encode(src, src_len) -> memory``, ``init_state(memory) -> state`` and
``step(memory, state, token, need_weights=True) -> (logits, state, weights)``, where memory and state
are dicts of tensors whose first dimension is the batch (beam search reorders them with
``index_select``).
Token ids 0, 1, 2 are padding, begin-of-sequence and end-of-sequence in every vocabulary.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from ..config import Config, ConfigError, option
from . import count_parameters  # noqa: F401  (re-exported: notes count a model's parameters from here)
from .attention import AdditiveAttention, masked_softmax
from .positional import SinusoidalPositionalEncoding
from .transformer import Block, rename_prefix, upgrade_attention

PAD, BOS, EOS = 0, 1, 2
ARCHS = ("fixed", "attention", "transformer")
SCORES = ("additive", "dot", "general")
ENCODERS = ("gru", "embedding")


@dataclass
class Seq2SeqConfig(Config):
    """Shape of a sequence-to-sequence model (which fields matter depends on ``arch``)."""

    src_vocab: int = option(24, "source vocabulary size, specials included", low=4)
    tgt_vocab: int = option(24, "target vocabulary size, specials included", low=4)
    arch: str = option("attention", "fixed context vector, RNN with attention, or transformer", choices=ARCHS)
    score: str = option(
        "additive",
        "attention score of the RNN decoder (Bahdanau additive, Luong dot/general)",
        choices=SCORES,
    )
    hidden: int = option(64, "GRU units per encoder direction (the decoder has hidden x directions)", low=1)
    embed: int = option(32, "token embedding size of the RNN models", low=1)
    bidirectional: bool = option(True, "bidirectional GRU encoder")
    encoder: str = option(
        "gru",
        "annotations of the RNN models: the (bi)GRU's states, or 'embedding': token embedding plus "
        "sinusoidal position, no recurrence, so each annotation carries only its own token (a control"
        " for alignment)",
        choices=ENCODERS,
    )
    attn_hidden: int = option(64, "hidden size of the additive score's tanh layer", low=1)
    d_model: int = option(64, "transformer width", low=2)
    n_head: int = option(4, "transformer attention heads", low=1)
    n_layer: int = option(2, "transformer layers in the encoder and in the decoder", low=1)
    d_ff: int = option(128, "transformer feed-forward width", low=1)
    max_len: int = option(128, "longest sequence the transformer's position table covers", low=2)
    dropout: float = option(0.0, "dropout in the transformer", low=0.0, high=0.9)

    def validate(self) -> None:
        if self.arch == "transformer" and self.d_model % self.n_head:
            raise ConfigError(f"d_model: got {self.d_model}, must be divisible by n_head ({self.n_head})")
        if self.arch == "transformer" and self.d_model % 2:
            raise ConfigError(f"d_model: got {self.d_model}, must be even (sinusoidal positions)")


# --- RNN blocks -----------------------------------------------------------------------------------
class GRUEncoder(nn.Module):
    """Embedding + (bi)GRU over packed sequences, so padding never enters a state."""

    def __init__(self, vocab: int, embed: int, hidden: int, bidirectional: bool):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed, padding_idx=PAD)
        self.gru = nn.GRU(embed, hidden, batch_first=True, bidirectional=bidirectional)
        self.out_dim = hidden * (2 if bidirectional else 1)

    def forward(self, src: torch.Tensor, src_len: torch.Tensor):
        """src: (B, S) ids, src_len: (B,) -> states (B, S, D) (zero at padding), final (B, D).

        ``final`` is the forward GRU's state after the last real token, concatenated with the
        backward GRU's state after reading back to the first token: the whole source in one vector.
        """
        x = self.embedding(src)  # (B, S, E)
        packed = pack_padded_sequence(x, src_len.cpu(), batch_first=True, enforce_sorted=False)
        out, h_n = self.gru(packed)  # h_n: (dirs, B, H)
        states, _ = pad_packed_sequence(out, batch_first=True, total_length=src.size(1))
        return states, torch.cat(list(h_n), dim=-1)


class EmbeddingEncoder(nn.Module):
    """Annotations without recurrence: h_j = E x_j + PE(j), zero at padding, so h_j knows its own token and
    position and nothing else; the summary is their mean over the real tokens."""

    def __init__(self, vocab: int, dim: int, max_len: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim, padding_idx=PAD)
        self.positions = SinusoidalPositionalEncoding(dim, max_len)
        self.out_dim = dim

    def forward(self, src: torch.Tensor, src_len: torch.Tensor):
        """src: (B, S) ids, src_len: (B,) -> states (B, S, D) (zero at padding), summary (B, D)."""
        states = self.positions(self.embedding(src)).masked_fill((src == PAD)[..., None], 0.0)
        return states, states.sum(dim=1) / src_len.to(states)[:, None]


class LuongAttention(nn.Module):
    """Luong et al. (2015) scores: dot s^T h_j, or general s^T W h_j; weights softmax_j over real keys."""

    def __init__(self, query_dim: int, key_dim: int, method: str = "general"):
        super().__init__()
        if method not in ("dot", "general"):
            raise ConfigError(f"score: got {method!r}, allowed: dot, general")
        if method == "dot" and query_dim != key_dim:
            raise ConfigError(f"score: dot needs equal query and key sizes, got {query_dim} and {key_dim}")
        self.method = method
        self.w = nn.Linear(key_dim, query_dim, bias=False) if method == "general" else None

    def project_keys(self, keys: torch.Tensor) -> torch.Tensor:
        """W h_j for every key, computed once per source: (B, S, Dk) -> (B, S, Dq)."""
        return keys if self.w is None else self.w(keys)

    def forward(
        self,
        query: torch.Tensor,
        keys: torch.Tensor,
        key_padding_mask: torch.Tensor | None = None,
        projected_keys: torch.Tensor | None = None,
    ):
        """query (B, Dq), keys (B, S, Dk) -> (context (B, Dk), weights (B, S))."""
        pk = self.project_keys(keys) if projected_keys is None else projected_keys
        scores = self.score(query, pk)  # (B, S)
        mask = None if key_padding_mask is None else ~key_padding_mask.bool()
        weights = masked_softmax(scores, mask)
        return torch.bmm(weights[:, None, :], keys).squeeze(1), weights

    def score(self, query: torch.Tensor, projected_keys: torch.Tensor) -> torch.Tensor:
        """s^T (W h_j): query (B, Dq), projected keys (B, S, Dq) -> (B, S)."""
        return torch.bmm(projected_keys, query[:, :, None]).squeeze(-1)


def project_keys(attention: nn.Module, keys: torch.Tensor) -> torch.Tensor:
    """The per-source part of a score, so that each decoding step only adds the query's part."""
    if isinstance(attention, AdditiveAttention):
        return attention.w_key(keys)  # U h_j
    return attention.project_keys(keys)


class RNNDecoder(nn.Module):
    """GRU decoder fed the previous token and a context vector at every step.

    Without attention the context is the encoder's final vector at every step (Cho et al. 2014),
    the strongest fixed-vector baseline: the decoder never has to carry the source in its own state
    alone. With attention the context is recomputed from the previous decoder state (Bahdanau et al.).
    """

    def __init__(self, vocab: int, embed: int, hidden: int, key_dim: int, attention: nn.Module | None):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed, padding_idx=PAD)
        self.bridge = nn.Linear(key_dim, hidden)  # s_0 = tanh(W_s c)
        self.cell = nn.GRUCell(embed + key_dim, hidden)
        self.attention = attention
        self.readout = nn.Linear(hidden + key_dim + embed, hidden)  # deep output (Bahdanau, appendix A)
        self.out = nn.Linear(hidden, vocab)

    def init_state(self, memory: dict) -> dict:
        return {"h": torch.tanh(self.bridge(memory["summary"]))}  # (B, Hd)

    def attend(self, memory: dict, s_prev: torch.Tensor):
        """The context and weights (B, Dk), (B, S) for the previous decoder state (B, Hd).

        The same weights as the attention module's forward (masked_softmax), in fewer operations: a
        source always has a real token, so no row is empty and adding the memory's 0 / -inf key bias
        before the softmax is exact.
        """
        weights = torch.softmax(self.attention.score(s_prev, memory["keys"]) + memory["key_bias"], dim=-1)
        return torch.bmm(weights[:, None, :], memory["states"]).squeeze(1), weights

    def features(self, memory: dict, state: dict, emb: torch.Tensor):
        """One step before the output layer: emb (B, E) -> (features (B, Hd), state, weights (B, S) or
        None)."""
        s_prev = state["h"]
        if self.attention is None:
            context, weights = memory["summary"], None  # the same c every step
        else:
            context, weights = self.attend(memory, s_prev)
        s = self.cell(torch.cat([emb, context], dim=-1), s_prev)  # (B, Hd)
        feat = torch.tanh(self.readout(torch.cat([s, context, emb], dim=-1)))  # (B, Hd)
        return feat, {"h": s}, weights

    def teacher_forced(self, memory: dict, state: dict, emb: torch.Tensor):
        """Every step at once given the true previous tokens: emb (B, T, E) -> (logits (B, T, V),
        weights (B, T, S) or None). The same numbers as :meth:`features` step after step, faster: the
        read-out does not feed back, so it runs once on all steps, and without attention the context
        never changes, so the whole recurrence is one GRU call with the cell's own weights."""
        s, steps = state["h"], emb.size(1)
        if self.attention is None:
            context = memory["summary"][:, None, :].expand(-1, steps, -1)  # (B, T, Dk)
            cell = self.cell
            params = [cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh]
            states, _ = torch.gru(
                torch.cat([emb, context], dim=-1), s[None], params, True, 1, 0.0, self.training, False, True
            )
            weights = None
        else:
            states_t, contexts, weights_t = [], [], []
            for t in range(steps):
                context, w = self.attend(memory, s)
                s = self.cell(torch.cat([emb[:, t], context], dim=-1), s)
                states_t.append(s)
                contexts.append(context)
                weights_t.append(w)
            states, context = torch.stack(states_t, dim=1), torch.stack(contexts, dim=1)
            weights = torch.stack(weights_t, dim=1)
        feat = torch.tanh(self.readout(torch.cat([states, context, emb], dim=-1)))  # (B, T, Hd)
        return self.out(feat), weights


class RNNSeq2Seq(nn.Module):
    """(bi)GRU encoder + GRU decoder, with a fixed context vector or with attention."""

    def __init__(self, cfg: Seq2SeqConfig):
        super().__init__()
        if cfg.arch not in ("fixed", "attention"):
            raise ConfigError(f"arch: RNNSeq2Seq builds 'fixed' or 'attention', got {cfg.arch!r}")
        self.cfg = cfg
        if cfg.encoder == "embedding":  # the same annotation size as the GRU's, so the decoder is the same
            self.encoder = EmbeddingEncoder(
                cfg.src_vocab, cfg.hidden * (2 if cfg.bidirectional else 1), cfg.max_len
            )
        else:
            self.encoder = GRUEncoder(cfg.src_vocab, cfg.embed, cfg.hidden, cfg.bidirectional)
        d = self.encoder.out_dim
        attention = None
        if cfg.arch == "attention":
            attention = (
                AdditiveAttention(d, d, cfg.attn_hidden)
                if cfg.score == "additive"
                else LuongAttention(d, d, cfg.score)
            )
        self.decoder = RNNDecoder(cfg.tgt_vocab, cfg.embed, d, d, attention)

    def encode(self, src: torch.Tensor, src_len: torch.Tensor) -> dict:
        states, final = self.encoder(src, src_len)
        memory = {"states": states, "summary": final, "pad": src == PAD}  # pad: (B, S) True at padding
        if self.decoder.attention is not None:
            memory["keys"] = project_keys(self.decoder.attention, states)
            memory["key_bias"] = torch.zeros_like(src, dtype=states.dtype).masked_fill(
                memory["pad"], -math.inf
            )
        return memory

    def init_state(self, memory: dict) -> dict:
        return self.decoder.init_state(memory)

    def step(self, memory: dict, state: dict, token: torch.Tensor, need_weights: bool = True):
        """token (B,) -> (logits (B, V), state, weights (B, S) or None); the RNN's attention weights
        cost nothing extra, so they are returned whatever ``need_weights`` says."""
        feat, state, weights = self.decoder.features(memory, state, self.decoder.embedding(token))
        return self.decoder.out(feat), state, weights

    def forward(self, src: torch.Tensor, src_len: torch.Tensor, tgt_in: torch.Tensor):
        """Teacher forcing. src (B, S), tgt_in (B, T) starting with BOS -> (logits (B, T, V), weights
        (B, T, S) or None)."""
        memory = self.encode(src, src_len)
        return self.decoder.teacher_forced(memory, self.init_state(memory), self.decoder.embedding(tgt_in))


# --- transformer -------------------------------------------------------------------------------
def upgrade_state_dict(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A TransformerSeq2Seq state dict written before the blocks were shared, in today's names.

    Encoder layers had ``ln1``, ``attn`` (``q_proj``, ``kv_proj``, ``out_proj``), ``ln2`` and
    ``ff.net.0``/``ff.net.2``; decoder layers ``ln1``, ``self_attn``, ``ln2``, ``cross_attn``, ``ln3``
    and ``ff``. Now both are the shared Block: ``ln_1``, ``attn``, [``ln_cross``, ``cross_attn``],
    ``ln_2``, ``mlp.c_fc``/``mlp.c_proj``.
    """
    state = dict(state)
    for side in ("encoder", "decoder"):
        pattern = rf"{side}_layers\.(\d+)\.(attn|self_attn)\.q_proj\."
        layers = {int(m.group(1)) for key in state if (m := re.match(pattern, key))}
        for i in sorted(layers):
            p = f"{side}_layers.{i}."
            renames = {"ln1.": "ln_1.", "ff.net.0.": "mlp.c_fc.", "ff.net.2.": "mlp.c_proj."}
            if side == "encoder":
                upgrade_attention(state, p + "attn.", p + "attn.")
                renames["ln2."] = "ln_2."
            else:
                upgrade_attention(state, p + "self_attn.", p + "attn.")
                upgrade_attention(state, p + "cross_attn.", p + "cross_attn.", cross=True)
                renames.update({"ln2.": "ln_cross.", "ln3.": "ln_2."})
            for old, new in renames.items():
                rename_prefix(state, p + old, p + new)
    return state


class TransformerSeq2Seq(nn.Module):
    """Vaswani et al. (2017) encoder-decoder (pre-LN variant), sinusoidal positions, untied output."""

    def __init__(self, cfg: Seq2SeqConfig):
        super().__init__()
        self.cfg = cfg
        self.src_embedding = nn.Embedding(cfg.src_vocab, cfg.d_model, padding_idx=PAD)
        self.tgt_embedding = nn.Embedding(cfg.tgt_vocab, cfg.d_model, padding_idx=PAD)
        self.positions = SinusoidalPositionalEncoding(cfg.d_model, cfg.max_len)
        self.drop = nn.Dropout(cfg.dropout)
        block = dict(n_inner=cfg.d_ff, dropout=cfg.dropout)
        # encoder: self-attention over the real source tokens; decoder: causal self-attention, then
        # cross-attention to the encoder's output (padding masked)
        self.encoder_layers = nn.ModuleList(
            Block(cfg.d_model, cfg.n_head, **block) for _ in range(cfg.n_layer)
        )
        self.decoder_layers = nn.ModuleList(
            Block(cfg.d_model, cfg.n_head, causal=True, cross_attention=True, **block)
            for _ in range(cfg.n_layer)
        )
        self.ln_enc, self.ln_dec = nn.LayerNorm(cfg.d_model), nn.LayerNorm(cfg.d_model)
        self.out = nn.Linear(cfg.d_model, cfg.tgt_vocab)

    def _embed(self, table: nn.Embedding, ids: torch.Tensor) -> torch.Tensor:
        return self.drop(self.positions(table(ids) * math.sqrt(self.cfg.d_model)))

    def encode(self, src: torch.Tensor, src_len: torch.Tensor | None = None) -> dict:
        pad = src == PAD  # (B, S)
        x = self._embed(self.src_embedding, src)  # (B, S, D)
        for layer in self.encoder_layers:
            x = layer(x, key_padding_mask=pad)  # (B, S, D)
        return {"memory": self.ln_enc(x), "pad": pad}

    def decode(self, memory: dict, tgt_in: torch.Tensor, need_weights: bool = False):
        """tgt_in (B, T) -> (logits (B, T, V), last layer's cross-attention averaged over heads (B, T, S)
        or None)."""
        y = self._embed(self.tgt_embedding, tgt_in)  # (B, T, D)
        weights = None
        for i, layer in enumerate(self.decoder_layers):
            last = {"cross": None} if need_weights and i == len(self.decoder_layers) - 1 else None
            y = layer(y, memory["memory"], memory_padding_mask=memory["pad"], weights=last)
            if last is not None:
                weights = last["cross"].mean(dim=1)  # (B, H, T, S) -> (B, T, S)
        return self.out(self.ln_dec(y)), weights

    def init_state(self, memory: dict) -> dict:
        b = memory["memory"].size(0)
        return {"tokens": memory["memory"].new_zeros((b, 0), dtype=torch.long)}

    def step(self, memory: dict, state: dict, token: torch.Tensor, need_weights: bool = True):
        """Re-decodes the whole prefix (no cache: targets here are short and beams reorder freely).

        Without ``need_weights`` every attention takes the fast (SDPA) path and weights are None.
        """
        tokens = torch.cat([state["tokens"], token[:, None]], dim=1)  # (B, t)
        if tokens.size(1) > self.cfg.max_len:
            raise ValueError(f"decoding past max_len={self.cfg.max_len}")
        logits, weights = self.decode(memory, tokens, need_weights=need_weights)
        return logits[:, -1], {"tokens": tokens}, (weights[:, -1] if need_weights else None)

    def forward(
        self, src: torch.Tensor, src_len: torch.Tensor, tgt_in: torch.Tensor, need_weights: bool = False
    ):
        return self.decode(self.encode(src, src_len), tgt_in, need_weights=need_weights)

    def upgrade_state_dict(self, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Called by checkpoint loading: old checkpoints' key names -> today's."""
        return upgrade_state_dict(state)


def build_model(cfg: Seq2SeqConfig) -> nn.Module:
    return TransformerSeq2Seq(cfg) if cfg.arch == "transformer" else RNNSeq2Seq(cfg)


# --- decoding -------------------------------------------------------------------------------------
def _select(tree: dict, index: torch.Tensor) -> dict:
    return {k: v.index_select(0, index) for k, v in tree.items()}


def _allowed_log_probs(logits: torch.Tensor) -> torch.Tensor:
    """log-softmax with PAD and BOS ruled out: a decoder may only emit symbols or EOS."""
    logp = F.log_softmax(logits.float(), dim=-1)
    logp[:, PAD] = float("-inf")
    logp[:, BOS] = float("-inf")
    return logp


@torch.no_grad()
def greedy_decode(
    model: nn.Module, src: torch.Tensor, src_len: torch.Tensor, max_len: int, need_weights: bool = True
):
    """Batched greedy decoding. -> (tokens (B, T) with EOS then PAD, weights (B, T, S) or None).

    A finished row keeps emitting PAD, so the batch stops only when every row has emitted EOS.
    ``need_weights=False`` lets the transformer decode on its fast attention path (weights None).
    """
    memory = model.encode(src, src_len)
    state = model.init_state(memory)
    token = torch.full((src.size(0),), BOS, dtype=torch.long, device=src.device)
    done = torch.zeros_like(token, dtype=torch.bool)
    tokens, weights = [], []
    for _ in range(max_len):
        logits, state, w = model.step(memory, state, token, need_weights=need_weights)
        token = _allowed_log_probs(logits).argmax(dim=-1).masked_fill(done, PAD)
        tokens.append(token)
        weights.append(w)
        done |= token == EOS
        if bool(done.all()):
            break
    out = torch.stack(tokens, dim=1)
    return out, (torch.stack(weights, dim=1) if weights[0] is not None else None)


@torch.no_grad()
def beam_search(
    model: nn.Module, src: torch.Tensor, src_len: torch.Tensor, beam: int, max_len: int, alpha: float = 1.0
):
    """Batched beam search. -> (tokens (B, T) with EOS then PAD, normalised scores (B,)).

    Beams are ranked by their summed log-probability while searching; a hypothesis that has emitted
    EOS stays in the beam with a frozen score. The winner maximises sum log p / length^alpha
    (length counts EOS; alpha = 0: no normalisation, alpha = 1: mean log-probability per token),
    which removes the plain sum's preference for short outputs. With ``beam=1`` this is greedy decoding.
    """
    if beam < 1:
        raise ConfigError(f"beam: got {beam}, must be >= 1")
    b, k = src.size(0), beam
    memory = _select(model.encode(src, src_len), torch.arange(b, device=src.device).repeat_interleave(k))
    state = model.init_state(memory)
    scores = torch.zeros(b, k, device=src.device)
    scores[:, 1:] = float("-inf")  # every beam starts as the same empty prefix
    lengths = torch.zeros(b, k, dtype=torch.long, device=src.device)
    finished = torch.zeros(b, k, dtype=torch.bool, device=src.device)
    history = torch.zeros(b, k, 0, dtype=torch.long, device=src.device)
    token = torch.full((b * k,), BOS, dtype=torch.long, device=src.device)
    offsets = (torch.arange(b, device=src.device) * k)[:, None]  # (B, 1)
    for t in range(max_len):
        logits, state, _ = model.step(memory, state, token, need_weights=False)
        logp = _allowed_log_probs(logits).view(b, k, -1)  # (B, K, V)
        v = logp.size(-1)
        frozen = torch.full_like(logp, float("-inf"))
        frozen[..., PAD] = 0.0  # a finished beam extends by PAD at no cost
        logp = torch.where(finished[..., None], frozen, logp)
        top, flat = (scores[..., None] + logp).view(b, k * v).topk(k, dim=-1)  # (B, K)
        origin, new_token = flat // v, flat % v
        history = torch.cat(
            [history.gather(1, origin[..., None].expand(-1, -1, t)), new_token[..., None]], dim=-1
        )
        was_finished = finished.gather(1, origin)
        lengths = lengths.gather(1, origin) + (~was_finished).long()
        finished = was_finished | (new_token == EOS)
        scores = top
        state = _select(state, (offsets + origin).view(-1))
        token = new_token.view(-1)
        if bool(finished.all()):
            break
    normalised = scores / lengths.clamp(min=1).float() ** alpha
    best = normalised.argmax(dim=-1)  # (B,)
    rows = torch.arange(b, device=src.device)
    return history[rows, best], normalised[rows, best]


@torch.no_grad()
def sequence_log_prob(model: nn.Module, src: torch.Tensor, src_len: torch.Tensor, tgt: list[int]) -> float:
    """log p(tgt | src) for one example under the decoder's allowed-token distribution (for tests)."""
    memory = model.encode(src, src_len)
    state = model.init_state(memory)
    token = torch.full((1,), BOS, dtype=torch.long, device=src.device)
    total = 0.0
    for y in tgt:
        logits, state, _ = model.step(memory, state, token, need_weights=False)
        total += float(_allowed_log_probs(logits)[0, y])
        token = torch.full((1,), y, dtype=torch.long, device=src.device)
    return total


def strip(tokens: torch.Tensor) -> list[list[int]]:
    """(B, T) decoder output -> one list of ids per row, cut before the first EOS (PAD dropped)."""
    out = []
    for row in tokens.tolist():
        seq = []
        for t in row:
            if t == EOS:
                break
            if t != PAD:
                seq.append(t)
        out.append(seq)
    return out
