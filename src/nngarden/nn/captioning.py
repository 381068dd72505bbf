"""Image captioning: one-to-many, from one image to a sentence, with and without attention.

- Vinyals et al. (2015), "Show and Tell": a CNN encodes the image into one vector that starts an LSTM,
  which then writes the caption word by word. :class:`ShowTell` builds that vector v (width d) as a
  learned linear map of the flattened feature grid (every cell's features in their place:
  ``pooling="flatten"``) or of the grid's mean (``pooling="mean"``). Vinyals et al. feed v once; here v
  also starts the state and is fed again at every word, as the seq2seq note's fixed-context decoder
  (Cho et al. 2014) is: the strongest fixed-vector baseline (the decoder need not carry the image in
  its own state), and a decoder that differs from the attention one only in its context.
- Xu et al. (2015), "Show, Attend and Tell": the decoder reads the whole grid of feature vectors
  a_1 .. a_L at every word. :class:`ShowAttendTell` follows their soft attention: weights
  alpha_t = softmax_i(v^T tanh(W h_{t-1} + U a_i)) (Bahdanau's additive score, ``nn/attention.py``, as
  in the seq2seq note), a gating scalar beta_t = sigmoid(f_beta(h_{t-1})) on the context
  z_t = beta_t sum_i alpha_ti a_i, the LSTM fed [E y_{t-1}, z_t], the state started from the mean
  annotation (h_0, c_0 = tanh(f_init(mean_i a_i))), the deep output
  p(y_t) = softmax(L_o(E y_{t-1} + L_h h_t + L_z z_t)) and the "doubly stochastic" penalty
  lambda sum_i (tau - sum_t alpha_ti)^2 (:func:`doubly_stochastic_penalty`).

Both decoders are the same LSTM with the same deep output; their context differs: the one vector v at
every word, or the attended z_t. Both speak the decoding protocol of ``nn/seq2seq.py`` (``encode``,
``init_state``, ``step``), so its greedy decoding and beam search caption an image unchanged (the image
is the "source"; it has no length). Token ids 0, 1, 2 are padding, begin and end.

Shapes: B batch, T caption length, L grid cells, C feature channels, D decoder width, E embedding.
"""

from __future__ import annotations

import torch
import torch.nn as nn

from .attention import AdditiveAttention
from .seq2seq import PAD


class GridEncoder(nn.Module):
    """A small CNN trained from scratch: images (B, 3, S, S) -> a grid of feature vectors (B, L, C).

    Each stage is a 3x3 convolution, batch normalisation (Ioffe and Szegedy 2015), ReLU and 2x2
    max-pooling, so three stages turn a 24x24 image into a 3x3 grid (L = 9, raster order), one feature
    vector per 8x8 cell of the scene.

    The image comes in with two more channels, its pixels' row and column in [-1, 1] (CoordConv: Liu et
    al. 2018, "An intriguing failing of convolutional neural networks and the CoordConv solution").
    Without them a cell's features could not say where the cell is: on a black background the zero
    padding at the border looks like empty background, so the convolutions are blind to position, and
    a decoder that reads the grid through attention or a mean could not name a place.
    """

    def __init__(self, channels: tuple[int, ...] = (16, 32, 64), coordinates: bool = True):
        super().__init__()
        self.coordinates = coordinates
        layers, c_in = [], 3 + (2 if coordinates else 0)
        for c_out in channels:
            layers += [
                nn.Conv2d(c_in, c_out, 3, padding=1),
                nn.BatchNorm2d(c_out),
                nn.ReLU(),
                nn.MaxPool2d(2),
            ]
            c_in = c_out
        self.net = nn.Sequential(*layers)
        self.out_channels = c_in
        self.downsampling = 2 ** len(channels)

    def grid_cells(self, image_size: int) -> int:
        side = image_size // self.downsampling
        return side * side

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        if self.coordinates:
            b, _, h, w = images.shape
            rows = torch.linspace(-1, 1, h, device=images.device)[:, None].expand(h, w)
            cols = torch.linspace(-1, 1, w, device=images.device)[None, :].expand(h, w)
            images = torch.cat([images, torch.stack([rows, cols]).expand(b, 2, h, w)], dim=1)
        features = self.net(images)  # (B, C, s, s)
        return features.flatten(2).transpose(1, 2)  # (B, L, C)


class ShowTell(nn.Module):
    """A captioner with one image vector v = W_I grid (width d): it starts the LSTM's state and is its
    context at every word (see the module docstring)."""

    def __init__(
        self,
        vocab: int,
        width: int,
        embed: int,
        channels: tuple[int, ...] = (16, 32, 64),
        image_size: int = 24,
        pooling: str = "flatten",
    ):
        super().__init__()
        if pooling not in ("flatten", "mean"):
            raise ValueError(f"pooling must be 'flatten' or 'mean', got {pooling!r}")
        self.pooling = pooling
        self.encoder = GridEncoder(channels)
        c, cells = self.encoder.out_channels, self.encoder.grid_cells(image_size)
        self.image_vector = nn.Linear(c * cells if pooling == "flatten" else c, width)  # W_I
        self.init_h, self.init_c = nn.Linear(width, width), nn.Linear(width, width)
        self.embedding = nn.Embedding(vocab, embed, padding_idx=PAD)
        self.lstm = nn.LSTM(embed + width, width, batch_first=True)
        self.out_h, self.out_v = nn.Linear(width, embed), nn.Linear(width, embed)
        self.head = nn.Linear(embed, vocab)

    def encode(self, images: torch.Tensor, lengths: torch.Tensor | None = None) -> dict:
        grid = self.encoder(images)  # (B, L, C)
        pooled = grid.flatten(1) if self.pooling == "flatten" else grid.mean(dim=1)
        return {"v": self.image_vector(pooled)}  # (B, d)

    def init_state(self, memory: dict) -> dict:
        v = memory["v"]
        return {"h": torch.tanh(self.init_h(v)), "c": torch.tanh(self.init_c(v))}

    def _run(self, memory: dict, state: dict, emb: torch.Tensor):
        """emb (B, T, E) -> (h_t for every step (B, T, D), final state); v joins every input."""
        v = memory["v"][:, None].expand(-1, emb.size(1), -1)
        out, (h, c) = self.lstm(torch.cat([emb, v], dim=-1), (state["h"][None], state["c"][None]))
        return out, {"h": h[0], "c": c[0]}

    def _logits(self, emb: torch.Tensor, h: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return self.head(emb + self.out_h(h) + self.out_v(v))

    def step(self, memory: dict, state: dict, token: torch.Tensor, need_weights: bool = True):
        """token (B,) -> (logits (B, V), state, no attention weights)."""
        emb = self.embedding(token)
        out, state = self._run(memory, state, emb[:, None])
        return self._logits(emb, out[:, 0], memory["v"]), state, None

    def forward(self, images: torch.Tensor, tgt_in: torch.Tensor):
        """Teacher forcing: images (B, 3, S, S), tgt_in (B, T) from BOS -> (logits (B, T, V), None)."""
        memory = self.encode(images)
        emb = self.embedding(tgt_in)
        out, _ = self._run(memory, self.init_state(memory), emb)
        return self._logits(emb, out, memory["v"][:, None]), None


class ShowAttendTell(nn.Module):
    """Xu et al.'s soft-attention captioner over the encoder's grid (see the module docstring)."""

    def __init__(
        self,
        vocab: int,
        width: int,
        embed: int,
        attn_hidden: int,
        channels: tuple[int, ...] = (16, 32, 64),
    ):
        super().__init__()
        self.encoder = GridEncoder(channels)
        c = self.encoder.out_channels
        self.init_h, self.init_c = nn.Linear(c, width), nn.Linear(c, width)
        self.attention = AdditiveAttention(width, c, attn_hidden)
        self.gate = nn.Linear(width, 1)  # f_beta
        self.embedding = nn.Embedding(vocab, embed, padding_idx=PAD)
        self.cell = nn.LSTMCell(embed + c, width)
        self.out_h, self.out_z = nn.Linear(width, embed), nn.Linear(c, embed)  # L_h, L_z
        self.head = nn.Linear(embed, vocab)  # L_o

    def encode(self, images: torch.Tensor, lengths: torch.Tensor | None = None) -> dict:
        grid = self.encoder(images)  # (B, L, C)
        return {"grid": grid, "keys": self.attention.w_key(grid)}  # U a_i, once per image

    def init_state(self, memory: dict) -> dict:
        mean = memory["grid"].mean(dim=1)
        return {"h": torch.tanh(self.init_h(mean)), "c": torch.tanh(self.init_c(mean))}

    def _advance(self, memory: dict, state: dict, emb: torch.Tensor):
        """One word: emb (B, E) -> (h (B, D), z (B, C), weights (B, L), state)."""
        context, weights = self.attention(state["h"], memory["grid"], None, memory["keys"])
        z = torch.sigmoid(self.gate(state["h"])) * context  # beta_t sum_i alpha_ti a_i
        h, c = self.cell(torch.cat([emb, z], dim=-1), (state["h"], state["c"]))
        return h, z, weights, {"h": h, "c": c}

    def _logits(self, emb: torch.Tensor, h: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        return self.head(emb + self.out_h(h) + self.out_z(z))

    def step(self, memory: dict, state: dict, token: torch.Tensor, need_weights: bool = True):
        """token (B,) -> (logits (B, V), state, attention weights (B, L))."""
        emb = self.embedding(token)
        h, z, weights, state = self._advance(memory, state, emb)
        return self._logits(emb, h, z), state, weights

    def forward(self, images: torch.Tensor, tgt_in: torch.Tensor):
        """Teacher forcing -> (logits (B, T, V), attention weights (B, T, L))."""
        memory = self.encode(images)
        state = self.init_state(memory)
        emb = self.embedding(tgt_in)  # (B, T, E)
        hs, zs, weights = [], [], []
        for t in range(tgt_in.size(1)):
            h, z, w, state = self._advance(memory, state, emb[:, t])
            hs.append(h)
            zs.append(z)
            weights.append(w)
        logits = self._logits(emb, torch.stack(hs, dim=1), torch.stack(zs, dim=1))
        return logits, torch.stack(weights, dim=1)


def doubly_stochastic_penalty(weights: torch.Tensor, mask: torch.Tensor, tau: float = 1.0) -> torch.Tensor:
    """Xu et al.'s sum_i (tau - sum_t alpha_ti)^2 per caption: weights (B, T, L), mask (B, T) True at the
    words of the caption (padding excluded) -> (B,)."""
    attention_per_cell = (weights * mask[..., None].to(weights.dtype)).sum(dim=1)  # (B, L)
    return ((tau - attention_per_cell) ** 2).sum(dim=-1)


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
