"""BERT's masking recipe (Devlin et al. 2019, section 3.1), seeded and reproducible.

Choose ``rate`` of the non-special positions (15% in the paper); of those, 80% become [MASK], 10% a
random ordinary token, 10% stay unchanged. The loss is taken on chosen positions only: every other
label is IGNORE_INDEX. The random draws come from a generator seeded by (seed, step), so the same
batch is masked the same way when a run resumes, on any rank.
"""

from __future__ import annotations

import torch

from ..nn.bert import IGNORE_INDEX
from .text import keyed_generator


def masking_generator(seed: int, step: int, rank: int = 0) -> torch.Generator:
    """A CPU generator whose stream depends only on (seed, step, rank)."""
    return keyed_generator(seed, "mask", step, rank)


def mask_tokens(
    ids: torch.Tensor,
    *,
    mask_id: int,
    vocab_size: int,
    special_ids: tuple[int, ...] = (),
    rate: float = 0.15,
    mask_frac: float = 0.8,
    random_frac: float = 0.1,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """ids: (B, T) -> (corrupted inputs (B, T), labels (B, T) with IGNORE_INDEX off the chosen positions).

    Random replacement tokens are drawn from the ordinary (non-special) tokens only.
    """
    if not 0.0 < rate <= 1.0:
        raise ValueError(f"rate must be in (0, 1], got {rate}")
    if mask_frac < 0 or random_frac < 0 or mask_frac + random_frac > 1:
        raise ValueError(f"mask_frac + random_frac must be within [0, 1], got {mask_frac} + {random_frac}")
    gen = generator
    cpu_ids = ids.cpu()
    special = torch.zeros_like(cpu_ids, dtype=torch.bool)
    for sid in special_ids:
        special |= cpu_ids == sid
    chosen = (torch.rand(cpu_ids.shape, generator=gen) < rate) & ~special
    action = torch.rand(cpu_ids.shape, generator=gen)
    to_mask = chosen & (action < mask_frac)
    to_random = chosen & (action >= mask_frac) & (action < mask_frac + random_frac)

    excluded = set(special_ids) | {mask_id}
    ordinary = torch.tensor([t for t in range(vocab_size) if t not in excluded])
    random_tokens = ordinary[torch.randint(len(ordinary), cpu_ids.shape, generator=gen)]

    inputs = cpu_ids.clone()
    inputs[to_mask] = mask_id
    inputs[to_random] = random_tokens[to_random]
    labels = torch.full_like(cpu_ids, IGNORE_INDEX)
    labels[chosen] = cpu_ids[chosen]
    return inputs.to(ids.device), labels.to(ids.device)


class MaskedLMBatches:
    """Masked-LM batches for the training loop: (corrupted windows, labels), a function of (seed, step).

    Windows are cut from a token stream (``TextData``) the way ``LMBatches`` cuts them; the masking of
    each batch is drawn from its own (seed, step, micro-step) generator, so a resumed run and every DDP
    rank see exactly the batches an uninterrupted single process would.
    """

    def __init__(
        self,
        data,
        block_size: int,
        seed: int,
        *,
        mask_id: int,
        vocab_size: int,
        rate: float = 0.15,
        mask_frac: float = 0.8,
        random_frac: float = 0.1,
    ):
        self.data, self.block_size, self.seed = data, block_size, seed
        self.mask_id, self.vocab_size = mask_id, vocab_size
        self.rate, self.mask_frac, self.random_frac = rate, mask_frac, random_frac

    def windows(self, split: str, key: tuple, size: int) -> torch.Tensor:
        """(size, block_size) windows of the split at positions drawn from ``key``."""
        stream = self.data.split(split)
        gen = keyed_generator(self.seed, "windows", *key)
        starts = torch.randint(len(stream) - self.block_size, (size,), generator=gen)
        return stream[starts[:, None] + torch.arange(self.block_size)]

    def _masked(self, windows: torch.Tensor, key: tuple) -> tuple[torch.Tensor, torch.Tensor]:
        return mask_tokens(
            windows,
            mask_id=self.mask_id,
            vocab_size=self.vocab_size,
            rate=self.rate,
            mask_frac=self.mask_frac,
            random_frac=self.random_frac,
            generator=keyed_generator(self.seed, "mask", *key),
        )

    def train_batch(self, step: int, micro: int, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        key = ("train", step, micro)
        return self._masked(self.windows("train", key, size), key)

    def eval_batch(self, split: str, index: int, size: int) -> tuple[torch.Tensor, torch.Tensor]:
        key = ("eval", split, index)
        return self._masked(self.windows(split, key, size), key)
