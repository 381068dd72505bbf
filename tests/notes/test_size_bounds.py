"""Every size field of every note refuses -1 (exit 2, one line naming the field), and refuses 0 unless its
help says what 0 means.

Size fields are found, not listed: every int, optional int or tuple of ints in a note's config, nested
sections included, except seeds (named ``seed`` or ``*_seed``), which are labels, not sizes.
"""

import dataclasses
import re
import types
import typing

import pytest

from nngarden import cli
from nngarden.commands.notes import resolve_config
from nngarden.config import ConfigError
from nngarden.notes import all_notes

ZERO_MEANS = re.compile(r"(?<![\d.])0( ?[:=]| means| disables)")  # "(0: skip it)", "0 means max_steps"


def _integer_kind(tp) -> str | None:
    origin = typing.get_origin(tp)
    if tp is int:
        return "int"
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return _integer_kind(args[0]) if len(args) == 1 else None
    if origin is tuple:
        args = typing.get_args(tp)
        if args and all(a is int or a is Ellipsis for a in args):
            return "tuple"
    return None


def _size_fields(cls, instance, prefix=""):
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp, value = hints[f.name], getattr(instance, f.name)
        if dataclasses.is_dataclass(tp):
            yield from _size_fields(tp, value, f"{prefix}{f.name}.")
        elif _integer_kind(tp) and not (f.name == "seed" or f.name.endswith("_seed")):
            length = len(value) if _integer_kind(tp) == "tuple" and value else 1
            yield f"{prefix}{f.name}", length, f.metadata.get("help", "")


SIZE_FIELDS = [
    pytest.param(slug, key, length, text, id=f"{slug}:{key}")
    for slug, note in all_notes().items()
    for key, length, text in _size_fields(note.config_cls, note.config_cls.preset("tiny"))
]


def test_the_size_fields_are_found():
    keys = {(slug, key) for slug, key, *_ in (p.values for p in SIZE_FIELDS)}
    assert len(all_notes()) >= 8 and len(keys) > 100
    assert ("inductive-bias", "mlp_hidden") in keys and ("gpt", "model.n_layer") in keys
    assert ("gpt", "seed") not in keys and ("gpt", "train.seed") not in keys


@pytest.mark.parametrize("slug, key, length, text", SIZE_FIELDS)
def test_minus_one_is_refused_in_one_line_naming_the_field(slug, key, length, text, tmp_path, capsys):
    value = ",".join(["-1"] * length)
    argv = ["run", slug, "--preset", "tiny", "--out", str(tmp_path / "run"), "--set", f"{key}={value}"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and key in err, err
    assert not (tmp_path / "run").exists()  # refused before anything is written


@pytest.mark.parametrize("slug, key, length, text", SIZE_FIELDS)
def test_zero_is_refused_unless_the_help_gives_it_a_meaning(slug, key, length, text):
    note = all_notes()[slug]
    zero = [f"{key}={','.join(['0'] * length)}"]
    if ZERO_MEANS.search(text):
        resolve_config(note, "tiny", zero, None)  # accepted: the help says what it does
    else:
        with pytest.raises(ConfigError, match=re.escape(key)):
            resolve_config(note, "tiny", zero, None)


def test_the_reported_case_mlp_hidden_minus_one(tmp_path, capsys):
    out = tmp_path / "run"
    argv = ["run", "inductive-bias", "--preset", "tiny", "--out", str(out), "--set", "mlp_hidden=-1,-1"]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err == "nngarden: error: mlp_hidden: got -1, must be >= 1"
