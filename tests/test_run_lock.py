"""One writer per run directory: ``run``, ``rejudge``, ``train``, ``export`` and the library's
``lock_run_dir`` are refused while another process writes the folder, and take over a lock whose process
was killed. The holder is a real ``nngarden run``, stopped inside its first stage by a test hook."""

import json

import pytest

from nngarden import runs
from nngarden.runs import LOCK_FILE, RunDirInUse, lock_run_dir

from .train._tiny import make_text, run_cli, start_cli, train_args, wait_for_marker

NOTE = ["inductive-bias", "--preset", "tiny"]


@pytest.fixture
def held(tmp_path):
    """A run directory that a ``nngarden run`` process is writing (it waits inside its first stage)."""
    out, marker = tmp_path / "run", tmp_path / "marker"
    proc = start_cli(
        ["run", *NOTE, "--out", str(out)], NNGARDEN_TEST_HANG_IN_STAGE="*", NNGARDEN_TEST_MARKER=str(marker)
    )
    wait_for_marker(marker, proc)
    yield out, proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def refused(done, pid: int) -> str:
    err = done.stderr.strip()
    assert done.returncode == 1, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert f"is in use by process {pid} (nngarden run inductive-bias" in err
    return err


def test_every_command_that_writes_a_run_directory_is_refused_while_another_writes_it(held):
    out, proc = held
    refused(run_cli(["run", *NOTE, "--out", str(out)]), proc.pid)
    refused(run_cli(["run", *NOTE, "--out", str(out), "--force"]), proc.pid)  # --force deletes nothing
    assert (out / "config.json").exists() and (out / "stages").is_dir()
    refused(run_cli(["rejudge", str(out)]), proc.pid)
    refused(run_cli(["train", "gpt", "--preset", "tiny", "--out", str(out)]), proc.pid)
    with pytest.raises(RunDirInUse, match=f"process {proc.pid}"):  # the library's helper
        with lock_run_dir(out, "export"):
            pass


def test_export_into_a_folder_another_process_writes_is_refused(held, tmp_path):
    out, proc = held
    text = make_text(tmp_path / "tiny.txt")
    assert run_cli(train_args(tmp_path / "gpt", text, "train.max_steps=2")).returncode == 0
    done = run_cli(["export", "--checkpoint", str(tmp_path / "gpt"), "--format", "hf", "--out", str(out)])
    refused(done, proc.pid)
    assert not (out / "config.json").read_text().count("n_positions")  # the run's config, not GPT-2's


def test_a_lock_left_by_a_killed_run_is_taken_over_and_the_run_finishes(held):
    out, proc = held
    proc.kill()
    proc.wait()
    assert json.loads((out / LOCK_FILE).read_text())["pid"] == proc.pid
    done = run_cli(["run", *NOTE, "--out", str(out)])
    assert done.returncode == 0, done.stderr
    assert (out / "findings.json").exists() and not (out / LOCK_FILE).exists()


def test_the_lock_is_reentrant_in_one_process_and_released_after(tmp_path):
    with lock_run_dir(tmp_path / "run", "run") as folder:
        with lock_run_dir(folder, "export"):
            record = json.loads((folder / LOCK_FILE).read_text())
            assert record["command"] == "run" and record["pid"] == runs.os.getpid()
        assert (folder / LOCK_FILE).exists()  # still held by the outer block
    assert not (folder / LOCK_FILE).exists()
    with lock_run_dir(folder, "again"):  # and can be taken again
        pass
