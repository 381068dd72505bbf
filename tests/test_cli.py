"""The CLI contract, exercised in-process with a small fake note (real notes: tests/notes/)."""

import json
import subprocess
import sys

import pytest

from nngarden import cli, notes

from .notes.counting_note import NOTE as COUNTING
from .notes.counting_note.experiment import CALLS


@pytest.fixture
def fake_note(monkeypatch):
    monkeypatch.setattr(notes, "_REGISTRY", {"fake": COUNTING})
    CALLS["stage"] = 0
    return COUNTING


def test_run_writes_the_contract_and_reuses_a_finished_run(fake_note, tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["run", "fake", "--out", str(out), "--set", "steps=4", "--seed", "3"]) == 0
    findings = json.loads((out / "findings.json").read_text())
    assert findings["note"] == "fake" and findings["claims"][0]["verdict"] == "holds"
    assert findings["provenance"]["seed"] == 3 and findings["provenance"]["threads"] == 1
    assert json.loads((out / "config.json").read_text())["config"]["steps"] == 4
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows] == [0, 1, 2, 3]
    assert findings["claims"][0]["kind"] == "check"
    assert cli.main(["run", "fake", "--out", str(out), "--set", "steps=4", "--seed", "3"]) == 0
    assert "reused" in capsys.readouterr().out and CALLS["stage"] == 1
    assert cli.main(["run", "fake", "--out", str(out), "--set", "steps=4", "--seed", "3", "--force"]) == 0
    assert CALLS["stage"] == 2


def test_unfinished_run_resumes_finished_stages(fake_note, tmp_path):
    out = tmp_path / "run"
    assert cli.main(["run", "fake", "--out", str(out)]) == 0
    (out / "findings.json").unlink()  # as if killed after the stage, before the findings
    assert cli.main(["run", "fake", "--out", str(out)]) == 0
    assert CALLS["stage"] == 1


def test_a_different_config_in_the_same_directory_is_refused(fake_note, tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(["run", "fake", "--out", str(out)]) == 0
    assert cli.main(["run", "fake", "--out", str(out), "--set", "steps=5"]) == 2
    assert "different config" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, words",
    [
        (["run", "nope"], ["unknown slug", "fake"]),
        (["run", "fake", "--set", "steps=0"], ["steps", ">= 1"]),
        (["run", "fake", "--set", "stpes=2"], ["unknown config key", "steps"]),
        (["run", "fake", "--set", "steps"], ["key=value"]),
        (["run"], ["name a note"]),
    ],
)
def test_bad_input_is_one_line_and_exit_2(fake_note, tmp_path, capsys, argv, words):
    assert cli.main(argv + ["--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    for word in words:
        assert word in err


def test_list_and_help_in_a_real_process():
    out = subprocess.run([sys.executable, "-m", "nngarden", "list"], capture_output=True, text=True)
    assert out.returncode == 0
    for slug in notes.all_notes():
        assert slug in out.stdout
    helped = subprocess.run(
        [sys.executable, "-m", "nngarden", "run", "--help"], capture_output=True, text=True
    )
    assert helped.returncode == 0 and "--set" in helped.stdout and "--jobs" in helped.stdout
    for slug, note in notes.all_notes().items():
        assert f"config fields of '{slug}'" in helped.stdout
        for key, _, _ in note.config_cls.describe():
            assert key in helped.stdout


def _modules_after(argv: list[str], tmp_path) -> tuple[int, set[str]]:
    """(exit code, heavy modules imported) of ``nngarden ARGV`` run in a fresh process."""
    code = (
        "import contextlib, io, json, sys\n"
        "from nngarden import cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        f"        rc = cli.main({argv!r})\n"
        "    except SystemExit as exit:\n"
        "        rc = exit.code\n"
        "heavy = [m for m in ('torch', 'numpy', 'matplotlib', 'scipy') if m in sys.modules]\n"
        "print(json.dumps([rc, heavy]))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    rc, heavy = json.loads(out.stdout.splitlines()[-1])
    return rc, set(heavy)


def test_help_imports_neither_torch_nor_numpy(tmp_path):
    assert _modules_after(["--help"], tmp_path) == (0, set())


@pytest.mark.parametrize(
    "argv", [["list"], ["report", "--runs", "runs", "--out", "site"], ["train", "--help"]], ids=str
)
def test_commands_that_read_notes_leave_torch_unimported(argv, tmp_path):
    """Listing notes, building the garden and the notes' config help read every note's page and
    config, which must not import torch."""
    (tmp_path / "runs").mkdir()
    rc, heavy = _modules_after(argv, tmp_path)
    assert rc == 0
    assert "torch" not in heavy


def test_the_language_model_notes_and_commands_import_without_torch():
    code = (
        "import sys\n"
        "import nngarden.notes.gpt, nngarden.notes.bert, nngarden.train.language_model\n"
        "import nngarden.commands.notes, nngarden.commands.run, nngarden.commands.train\n"
        "import nngarden.commands.sample, nngarden.commands.fill, nngarden.commands.garden\n"
        "print(sorted(m for m in ('torch', 'numpy', 'matplotlib') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_data_fetch_and_list_name_the_assets_and_refuse_unknown_ones(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv("NNGARDEN_DATA", str(tmp_path))
    assert cli.main(["data", "list"]) == 0
    out = capsys.readouterr().out
    assert "vader: vadersentiment==3.3.2" in out and str(tmp_path) in out
    assert cli.main(["data", "fetch", "nope"]) == 2
    assert "unknown asset 'nope'; allowed: vader, all-MiniLM-L6-v2" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv, nearest",
    [
        (["run", "gpt", "--quik"], "did you mean --quick?"),
        (["run", "gpt", "--preset", "quik"], "did you mean quick?"),
        (["rn", "gpt"], "did you mean run?"),
    ],
)
def test_a_mistyped_flag_is_one_line_naming_the_nearest_valid_one(argv, nearest, capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(argv)
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and nearest in captured.err and "usage:" not in captured.err
