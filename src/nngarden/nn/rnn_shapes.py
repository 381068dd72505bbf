"""The five shapes of a recurrent network: one recurrent core, wired five ways.

Karpathy (2015), "The Unreasonable Effectiveness of Recurrent Neural Networks", draws them as boxes: x
an input, [h] one step of the recurrent core, y an output, ``>`` the state carried to the next step::

    one-to-one    one-to-many        many-to-one        many-to-many,         many-to-many,
                                                        out of step           in step
        y          y    y    y              y                  y    y    y      y    y    y
        ^          ^    ^    ^              ^                  ^    ^    ^      ^    ^    ^
       [h]        [h] >[h] >[h]   [h] >[h] >[h]   [h] >[h] >[h] >[h] >[h]     [h] >[h] >[h]
        ^          ^                ^    ^    ^     ^    ^                      ^    ^    ^
        x          x                x    x    x     x    x                      x    x    x

- one-to-one (:class:`OneToOne`): one step of the core, e.g. the class of an image;
- one-to-many (:class:`OneToMany`): the input sets the first state, then each step is fed the output
  before it, e.g. a number to the letters of its name (an image to its caption: ``nn/captioning.py``);
- many-to-one (:class:`ManyToOne`): read the whole sequence, answer once, e.g. a sum;
- many-to-many out of step (:class:`ManyToManyOutOfStep`): read everything, then write, so the
  output's length is free (Sutskever et al. 2014; ``nn/seq2seq.py``), e.g. reversing a sequence;
- many-to-many in step (:class:`ManyToManyInStep`): an output at every input, which can depend only on
  the inputs so far (causal), e.g. a running sum.

The core is a GRU (Cho et al. 2014) run over a whole sequence in one call. The models that write a
sequence speak the decoding protocol of ``nn/seq2seq.py`` (``encode``, ``init_state``, ``step``), so
its greedy decoding and beam search run them unchanged; token ids 0, 1, 2 are padding, begin and end.

Shapes: B batch, T time, I input features, H hidden units, V vocabulary.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .seq2seq import PAD


class RecurrentCore(nn.Module):
    """h_t = GRU(x_t, h_{t-1}), the one unit all five shapes are built from."""

    def __init__(self, input_size: int, hidden: int):
        super().__init__()
        self.hidden = hidden
        self.gru = nn.GRU(input_size, hidden, batch_first=True)

    def forward(self, x: torch.Tensor, h: torch.Tensor | None = None):
        """x (B, T, I), h (B, H) or None (zeros) -> (states (B, T, H), last state (B, H))."""
        states, last = self.gru(x, None if h is None else h[None].contiguous())
        return states, last[0]


def last_states(states: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
    """The state after each row's last real input: states (B, T, H), lengths (B,) -> (B, H).

    The core reads left to right, so padding after a row's end never reaches the states before it.
    """
    if lengths is None:
        return states[:, -1]
    rows = torch.arange(states.size(0), device=states.device)
    return states[rows, lengths.to(states.device) - 1]


class OneToOne(nn.Module):
    """x -> [h] -> y: one step of the core from a zero state, then a linear head."""

    def __init__(self, in_features: int, hidden: int, n_out: int):
        super().__init__()
        self.core = RecurrentCore(in_features, hidden)
        self.head = nn.Linear(hidden, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x (B, I) -> logits (B, n_out)."""
        _, h = self.core(x[:, None, :])
        return self.head(h)


class OneToMany(nn.Module):
    """x sets the first state h_0 = tanh(W x); then [h] > [h] > ... each fed the previous output token.

    With ``feed_input`` x also joins every step's input, as the seq2seq note's fixed context does (Cho
    et al. 2014): the state then need not carry x to the end of the output.
    """

    def __init__(self, in_features: int, vocab: int, hidden: int, embed: int, feed_input: bool = True):
        super().__init__()
        self.feed_input = feed_input
        self.start = nn.Linear(in_features, hidden)
        self.embedding = nn.Embedding(vocab, embed, padding_idx=PAD)
        self.core = RecurrentCore(embed + (in_features if feed_input else 0), hidden)
        self.head = nn.Linear(hidden, vocab)

    def _inputs(self, x: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
        """tokens (B, T) -> the core's inputs (B, T, E [+ I])."""
        emb = self.embedding(tokens)
        if not self.feed_input:
            return emb
        return torch.cat([emb, x[:, None].expand(-1, tokens.size(1), -1)], dim=-1)

    def forward(self, x: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        """Teacher forcing: x (B, I), tgt_in (B, T) starting with BOS -> logits (B, T, V)."""
        states, _ = self.core(self._inputs(x, tgt_in), torch.tanh(self.start(x)))
        return self.head(states)

    # the decoding protocol of nn/seq2seq.py: the input is the "source", with no length
    def encode(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> dict:
        return {"x": x, "h": torch.tanh(self.start(x))}

    def init_state(self, memory: dict) -> dict:
        return {"h": memory["h"]}

    def step(self, memory: dict, state: dict, token: torch.Tensor, need_weights: bool = True):
        """token (B,) -> (logits (B, V), state, no attention weights)."""
        _, h = self.core(self._inputs(memory["x"], token[:, None]), state["h"])
        return self.head(h), {"h": h}, None


class ManyToOne(nn.Module):
    """x_1 .. x_T -> [h] > ... > [h] -> y: the state after the last real input answers."""

    def __init__(self, vocab: int, hidden: int, embed: int, n_out: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed, padding_idx=PAD)
        self.core = RecurrentCore(embed, hidden)
        self.head = nn.Linear(hidden, n_out)

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """tokens (B, T), lengths (B,) or None (no padding) -> logits (B, n_out)."""
        states, _ = self.core(self.embedding(tokens))
        return self.head(last_states(states, lengths))


class ManyToManyInStep(nn.Module):
    """y_t from [h_t], which has read x_1 .. x_t only: one output per input, causal by construction."""

    def __init__(self, vocab: int, hidden: int, embed: int, n_out: int):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed, padding_idx=PAD)
        self.core = RecurrentCore(embed, hidden)
        self.head = nn.Linear(hidden, n_out)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """tokens (B, T) -> logits (B, T, n_out)."""
        states, _ = self.core(self.embedding(tokens))
        return self.head(states)


class ManyToManyOutOfStep(nn.Module):
    """An encoder core reads x_1 .. x_S; a decoder core, started from its last state, writes y_1 .. y_T,
    each step fed the previous output, for as many steps as it likes (it ends with EOS).

    With ``attention`` the decoder also reads every encoder state: after each decoder step, Luong et
    al.'s (2015) "general" score s_t^T W h_j gives weights over the source and the context
    c_t = sum_j a_tj h_j joins s_t in the output. The score uses s_t, not s_{t-1}, so the decoder core
    still runs over a whole teacher-forced target in one call (no input feeding).
    """

    def __init__(self, src_vocab: int, tgt_vocab: int, hidden: int, embed: int, attention: bool = True):
        super().__init__()
        self.src_embedding = nn.Embedding(src_vocab, embed, padding_idx=PAD)
        self.tgt_embedding = nn.Embedding(tgt_vocab, embed, padding_idx=PAD)
        self.encoder = RecurrentCore(embed, hidden)
        self.decoder = RecurrentCore(embed, hidden)
        self.score = nn.Linear(hidden, hidden, bias=False) if attention else None
        self.head = nn.Linear(hidden * (2 if attention else 1), tgt_vocab)

    def encode(self, src: torch.Tensor, src_len: torch.Tensor | None = None) -> dict:
        states, _ = self.encoder(self.src_embedding(src))  # (B, S, H)
        memory = {"h": last_states(states, src_len), "states": states, "pad": src == PAD}
        if self.score is not None:
            memory["keys"] = self.score(states)  # W h_j, once per source
        return memory

    def _output(self, memory: dict, s: torch.Tensor):
        """Decoder states s (B, T, H) -> (logits (B, T, V), weights (B, T, S) or None)."""
        if self.score is None:
            return self.head(s), None
        scores = torch.bmm(s, memory["keys"].transpose(1, 2))  # (B, T, S)
        weights = F.softmax(scores.masked_fill(memory["pad"][:, None, :], float("-inf")), dim=-1)
        context = torch.bmm(weights, memory["states"])  # (B, T, H)
        return self.head(torch.cat([s, context], dim=-1)), weights

    def forward(self, src: torch.Tensor, src_len: torch.Tensor | None, tgt_in: torch.Tensor):
        """Teacher forcing: src (B, S), tgt_in (B, T) starting with BOS -> (logits (B, T, V), weights)."""
        memory = self.encode(src, src_len)
        s, _ = self.decoder(self.tgt_embedding(tgt_in), memory["h"])
        return self._output(memory, s)

    def init_state(self, memory: dict) -> dict:
        return {"h": memory["h"]}

    def step(self, memory: dict, state: dict, token: torch.Tensor, need_weights: bool = True):
        """token (B,) -> (logits (B, V), state, weights (B, S) or None)."""
        s, h = self.decoder(self.tgt_embedding(token)[:, None], state["h"])
        logits, weights = self._output(memory, s)
        return logits[:, 0], {"h": h}, None if weights is None else weights[:, 0]
