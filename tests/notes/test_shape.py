"""Every note is a package in one shape: __init__ (the Note and its claim specs), config, experiment,
claims, figures; claims declared once as data; no function under notes/ longer than 100 lines."""

import ast
import importlib
from pathlib import Path

import pytest

import nngarden.notes
from nngarden.findings import KINDS, ClaimSpec
from nngarden.notes import all_notes

NOTES = all_notes()
NOTES_DIR = Path(nngarden.notes.__file__).parent
MODULES = ("config", "experiment", "claims", "figures")
MAX_FUNCTION_LINES = 100


def _shaped(slug):
    return NOTES[slug]


@pytest.mark.parametrize("slug", list(NOTES))
def test_a_note_is_a_package_with_the_five_modules_and_a_judge_per_claim(slug):
    note = _shaped(slug)
    package = importlib.import_module(note.package)
    assert Path(package.__file__).name == "__init__.py" and note.package.endswith(slug.replace("-", "_"))
    for name in MODULES:
        assert (Path(package.__file__).parent / f"{name}.py").is_file(), f"{slug} lacks {name}.py"
    assert all(isinstance(spec, ClaimSpec) and spec.kind in KINDS for spec in note.claims)
    assert set(note.module("claims").JUDGES) == set(note.claim_ids)
    assert callable(note.module("experiment").measure) and callable(note.module("figures").draw)


def _long_functions(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                yield f"{path.relative_to(NOTES_DIR)}:{node.lineno} {node.name} ({length} lines)"


def test_no_function_under_notes_is_longer_than_100_lines():
    long = [f for path in sorted(NOTES_DIR.rglob("*.py")) for f in _long_functions(path)]
    assert long == []
