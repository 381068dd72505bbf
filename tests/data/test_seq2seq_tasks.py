"""Generated seq2seq tasks, batching, scores, and the SWORD verse loader on data the test makes."""

import datetime as dt
import json
import os
import stat
import sys

import numpy as np
import pytest
import torch

from nngarden.config import ConfigError
from nngarden.data import sword
from nngarden.data.seq2seq_tasks import (
    TaskSampler,
    Vocab,
    algorithmic_ids,
    algorithmic_pairs,
    bleu_and_chrf,
    date_pairs,
    date_vocabs,
    date_words,
    exact_and_token_accuracy,
    make_batch,
    symbols,
    teacher_forcing_batch,
)


@pytest.mark.parametrize("task", ["copy", "reverse", "sort"])
def test_algorithmic_tasks_have_exact_lengths_and_the_right_targets(task):
    rng = np.random.default_rng(0)
    pairs = algorithmic_pairs(task, [1, 5, 9], 20, rng)
    assert [len(p.src) for p in pairs] == [1, 5, 9]
    for p in pairs:
        expected = {"copy": p.src, "reverse": p.src[::-1], "sort": sorted(p.src, key=lambda s: int(s[1:]))}[
            task
        ]
        assert p.tgt == expected


@pytest.mark.parametrize("task", ["copy", "reverse", "sort"])
def test_algorithmic_ids_draw_the_same_batches_as_pairs_and_make_batch(task):
    vocab = Vocab(symbols(20))
    drawn, vectorised = np.random.default_rng(3), np.random.default_rng(3)
    for lengths in ([1, 5, 9, 9, 2], [4] * 7, [12, 3]):
        expected = make_batch(algorithmic_pairs(task, lengths, 20, drawn), vocab, vocab)
        got = teacher_forcing_batch(*algorithmic_ids(task, lengths, 20, vectorised), lengths, lengths)
        for key in ("src", "src_len", "tgt_in", "tgt_out"):
            assert torch.equal(getattr(got, key), getattr(expected, key)), key
    assert drawn.integers(1 << 40) == vectorised.integers(1 << 40)  # the same numbers consumed


def test_algorithmic_ids_pad_to_a_shared_width_and_batches_stack():
    rng = np.random.default_rng(0)
    src, tgt = algorithmic_ids("reverse", [2, 3], 20, rng, width=6)
    assert src.shape == tgt.shape == (2, 6) and not src[:, 3:].any() and not src[0, 2:].any()
    assert list(tgt[1, :3]) == list(src[1, 2::-1])
    batch = teacher_forcing_batch(np.stack([src, src]), np.stack([tgt, tgt]), [[2, 3]] * 2, [[2, 3]] * 2)
    assert batch.tgt_out.shape == (2, 2, 7) and batch.tgt_out[0, 0, 2] == 2 and batch.tgt_in[1, 1, 0] == 1


def test_sampler_draws_lengths_from_the_whole_range_and_fixed_lengths_on_request():
    s = TaskSampler("copy", n_symbols=5, min_len=3, max_len=7, seed=0)
    lengths = {len(p.src) for p in s.pairs(300)}
    assert lengths == {3, 4, 5, 6, 7}
    assert {len(p.src) for p in s.pairs(20, length=11)} == {11}
    with pytest.raises(ConfigError, match="task"):
        TaskSampler("translate")
    with pytest.raises(ConfigError, match="min_len"):
        TaskSampler("copy", min_len=5, max_len=4)


def test_dates_are_words_in_varied_order_and_iso_targets():
    day = dt.date(1999, 3, 21)
    assert date_words(day, "day-of-month") == "the twenty first of march nineteen ninety nine".split()
    assert date_words(day, "month-day") == "march twenty first nineteen ninety nine".split()
    assert date_words(dt.date(1905, 12, 2), "day-month") == "second december nineteen oh five".split()
    pairs = date_pairs(300, np.random.default_rng(0))
    src_vocab, tgt_vocab = date_vocabs()
    for p in pairs:
        iso = "".join(p.tgt)
        parsed = dt.date.fromisoformat(iso)
        assert 1100 <= parsed.year <= 2099
        assert src_vocab.encode(p.src) and tgt_vocab.encode(p.tgt)  # every token is known
        assert p.src[-1] != p.tgt[-1]
    assert len({len(p.src) for p in pairs}) >= 4  # lengths vary...
    assert {len(p.tgt) for p in pairs} == {10}  # ...the ISO form does not
    assert {p.src[0] in ("the",) for p in pairs} == {True, False}  # several word orders


def test_make_batch_pads_and_shifts_targets():
    vocab = Vocab(["a", "b", "c"])
    from nngarden.data.seq2seq_tasks import Pair

    batch = make_batch([Pair(["a", "b", "c"], ["c"]), Pair(["b"], ["a", "b"])], vocab, vocab)
    assert batch.src.tolist() == [[3, 4, 5], [4, 0, 0]]
    assert batch.src_len.tolist() == [3, 1]
    assert batch.tgt_in.tolist() == [[1, 5, 0], [1, 3, 4]]
    assert batch.tgt_out.tolist() == [[5, 2, 0], [3, 4, 2]]
    with pytest.raises(ValueError, match="vocabulary"):
        make_batch([Pair(["z"], ["a"])], vocab, vocab)


def test_vocab_unknown_words_and_decoding():
    vocab = Vocab(["x", "y"], unk="<unk>")
    assert vocab.encode(["x", "zzz"]) == [4, 3]
    assert vocab.decode([1, 4, 5, 0, 2, 4]) == ["x", "y"]


def test_accuracies_on_hand_made_outputs():
    exact, token = exact_and_token_accuracy([[1, 2, 3], [1, 2], [9]], [[1, 2, 3], [1, 2, 4], [5, 6]])
    assert exact == pytest.approx(1 / 3)
    assert token == pytest.approx((3 + 2 + 0) / 8)


def test_bleu_and_chrf_reward_right_outputs():
    refs = ["1 9 9 9 - 0 3 - 2 1", "2 0 0 5 - 1 2 - 0 1"]
    assert bleu_and_chrf(refs, refs) == (pytest.approx(100.0), pytest.approx(100.0))
    bleu, chrf = bleu_and_chrf(["1 9 9 9 - 0 3 - 2 2", "2 0 0 5 - 1 1 - 0 1"], refs)
    assert 0 < bleu < 100 and 50 < chrf < 100


# --- SWORD verses on small data the test makes ---------------------------------------------------
ENGLISH_IMP = """$$$[ Module Heading ]

$$$Genesis 1:0
<chapter n="1" osisID="Gen.1"/>
$$$Genesis 1:1
In the <w lemma="strong:H7225">beginning</w> God created the heaven and the earth.
$$$Genesis 1:2
\u00b6 And the earth was <note placement="foot">Or, <hi>empty</hi></note>without form &amp; void.
$$$John 11:35
<w lemma="strong:G2424">Jesus</w> wept.
"""
SPANISH_IMP = """$$$Genesis 1:1
<w lemma="strong:H7225">EN el principio</w> crió Dios los cielos y la tierra.
$$$John 11:35
Y lloró <w>Jesús</w>.
"""


def test_parse_imp_drops_headings_notes_and_markup():
    verses = sword.parse_imp(ENGLISH_IMP)
    assert list(verses) == ["Genesis 1:1", "Genesis 1:2", "John 11:35"]
    assert verses["Genesis 1:1"] == "In the beginning God created the heaven and the earth."
    assert verses["Genesis 1:2"] == "And the earth was without form & void."
    pairs = sword.align(verses, sword.parse_imp(SPANISH_IMP))
    assert [(p.key, p.target) for p in pairs] == [
        ("Genesis 1:1", "EN el principio crió Dios los cielos y la tierra."),
        ("John 11:35", "Y lloró Jesús."),
    ]
    assert sword.tokenize("Y lloró Jesús.") == ["y", "lloró", "jesús", "."]


@pytest.fixture
def fake_mod2imp(tmp_path):
    """An executable that prints our small modules the way mod2imp would."""
    data = tmp_path / "modules.json"
    data.write_text(json.dumps({sword.ENGLISH: ENGLISH_IMP, sword.SPANISH: SPANISH_IMP}))
    tool = tmp_path / "fake_mod2imp"
    tool.write_text(
        f"#!{sys.executable}\nimport json, sys\nmods = json.load(open({str(data)!r}))\n"
        "if sys.argv[1] not in mods:\n    sys.exit('no such module')\nsys.stdout.write(mods[sys.argv[1]])\n"
    )
    tool.chmod(tool.stat().st_mode | stat.S_IEXEC)
    return str(tool)


def test_verse_pairs_through_the_tool_and_cache(fake_mod2imp, tmp_path):
    ok, reason = sword.sword_status(mod2imp=fake_mod2imp)
    assert ok, reason
    cache = tmp_path / "cache" / "verses.json"
    pairs = sword.verse_pairs(mod2imp=fake_mod2imp, cache=cache)
    assert [p.key for p in pairs] == ["Genesis 1:1", "John 11:35"]
    os.remove(fake_mod2imp)  # the cache alone now serves
    assert sword.verse_pairs(mod2imp=fake_mod2imp, cache=cache) == pairs


def test_sword_status_explains_what_is_missing(fake_mod2imp):
    ok, reason = sword.sword_status(mod2imp="no-such-mod2imp-tool")
    assert not ok and "apt-get install" in reason
    ok, reason = sword.sword_status(modules=("noSuchModule",), mod2imp=fake_mod2imp)
    assert not ok and "noSuchModule" in reason


def test_batches_of_dates_have_variable_source_lengths():
    s = TaskSampler("dates", seed=3)
    batch = make_batch(s.pairs(16), s.src_vocab, s.tgt_vocab)
    assert batch.src_len.min() < batch.src_len.max()
    assert int((batch.src != 0).sum()) == int(batch.src_len.sum())
    assert torch.all(batch.tgt_out[:, 10] == 2)
