import torch

from nngarden.data.masking import mask_tokens, masking_generator
from nngarden.nn.bert import IGNORE_INDEX

V, MASK, PAD, CLS = 40, 0, 1, 2
SPECIALS = (MASK, PAD, CLS)


def _batch(n=400, t=128):
    ids = torch.randint(3, V, (n, t), generator=torch.Generator().manual_seed(1))
    ids[:, 0] = CLS
    ids[:, -5:] = PAD
    return ids


def test_proportions_follow_the_recipe():
    ids = _batch()
    inputs, labels = mask_tokens(
        ids, mask_id=MASK, vocab_size=V, special_ids=SPECIALS, generator=masking_generator(0, 0)
    )
    chosen = labels != IGNORE_INDEX
    eligible = (ids != CLS) & (ids != PAD)
    rate = chosen.sum().item() / eligible.sum().item()
    assert abs(rate - 0.15) < 0.01
    n = chosen.sum().item()
    masked = (inputs[chosen] == MASK).sum().item() / n
    unchanged = (inputs[chosen] == ids[chosen]).sum().item() / n
    randomised = 1 - masked - unchanged
    assert abs(masked - 0.8) < 0.02
    # a random token equal to the original counts as unchanged: expected 0.1 + 0.1 / 37
    assert abs(unchanged - (0.1 + 0.1 / (V - 3))) < 0.02
    assert abs(randomised - (0.1 - 0.1 / (V - 3))) < 0.02


def test_specials_never_chosen_and_labels_ignored_elsewhere():
    ids = _batch(100, 64)
    inputs, labels = mask_tokens(
        ids, mask_id=MASK, vocab_size=V, special_ids=SPECIALS, rate=0.5, generator=masking_generator(3, 7)
    )
    special = (ids == CLS) | (ids == PAD)
    assert (labels[special] == IGNORE_INDEX).all()
    assert (inputs[special] == ids[special]).all()
    assert (inputs[labels == IGNORE_INDEX] == ids[labels == IGNORE_INDEX]).all()
    assert (labels[labels != IGNORE_INDEX] == ids[labels != IGNORE_INDEX]).all()
    # random replacements are ordinary tokens, never a special one
    changed = (inputs != ids) & (inputs != MASK)
    assert changed.any() and (inputs[changed] >= 3).all()


def test_masking_is_reproducible_from_seed_and_step():
    ids = _batch(20, 32)
    a = mask_tokens(ids, mask_id=MASK, vocab_size=V, special_ids=SPECIALS, generator=masking_generator(5, 11))
    b = mask_tokens(ids, mask_id=MASK, vocab_size=V, special_ids=SPECIALS, generator=masking_generator(5, 11))
    c = mask_tokens(ids, mask_id=MASK, vocab_size=V, special_ids=SPECIALS, generator=masking_generator(5, 12))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    assert not torch.equal(a[1], c[1])
