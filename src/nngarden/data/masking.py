"""BERT's masking recipe (Devlin et al. 2019, section 3.1), seeded and reproducible.

Choose ``rate`` of the non-special positions (15% in the paper); of those, 80% become [MASK], 10% a
random ordinary token, 10% stay unchanged. The loss is taken on chosen positions only: every other
label is IGNORE_INDEX. The random draws come from a generator seeded by (seed, step), so the same
batch is masked the same way when a run resumes, on any rank.
"""

from __future__ import annotations

import torch

from ..nn.bert import IGNORE_INDEX


def masking_generator(seed: int, step: int, rank: int = 0) -> torch.Generator:
    """A CPU generator whose stream depends only on (seed, step, rank)."""
    gen = torch.Generator()
    gen.manual_seed((seed * 1_000_003 + step * 9_176 + rank * 7_919) % (2**63 - 1))
    return gen


def mask_tokens(ids: torch.Tensor, *, mask_id: int, vocab_size: int, special_ids: tuple[int, ...] = (),
                rate: float = 0.15, mask_frac: float = 0.8, random_frac: float = 0.1,
                generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
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

    ordinary = torch.tensor([t for t in range(vocab_size) if t not in set(special_ids) | {mask_id}])
    random_tokens = ordinary[torch.randint(len(ordinary), cpu_ids.shape, generator=gen)]

    inputs = cpu_ids.clone()
    inputs[to_mask] = mask_id
    inputs[to_random] = random_tokens[to_random]
    labels = torch.full_like(cpu_ids, IGNORE_INDEX)
    labels[chosen] = cpu_ids[chosen]
    return inputs.to(ids.device), labels.to(ids.device)
