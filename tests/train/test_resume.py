"""Section 7 reliability: kill -9 while training or while writing a checkpoint, signals, NaN losses.

Each run is a real ``nngarden train gpt`` process on a tiny model and a small text made here; test-only
environment hooks (``nngarden.train.hooks``) stop the process at an exact step so the kill is not a race.
"""

import json
import signal

import pytest

from nngarden import cli
from nngarden.train import checkpoint as ckpt

from ._tiny import assert_bit_identical, make_text, run_cli, start_cli, tensors, train_args, wait_for_marker


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_text(tmp_path_factory.mktemp("corpus") / "tiny.txt")


@pytest.fixture(scope="module")
def uninterrupted(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("uninterrupted")
    done = run_cli(train_args(out, corpus))
    assert done.returncode == 0, done.stderr
    return out


def losses(out):
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return (
        [(r["step"], r["train_loss"]) for r in rows if "train_loss" in r],
        [(r["step"], r["val_loss"]) for r in rows if "val_loss" in r],
    )


def final(out):
    return ckpt.latest_checkpoint(out / "checkpoints")


def test_the_uninterrupted_run_evaluates_and_checkpoints_on_schedule(uninterrupted):
    steps = [s for s, _ in ckpt.complete_checkpoints(uninterrupted / "checkpoints")]
    assert steps == [8, 16, 24]
    batch, evals = losses(uninterrupted)
    assert [s for s, _ in batch] == list(range(24))
    assert [s for s, _ in evals] == [0, 8, 16, 24]
    assert evals[-1][1] < evals[0][1]


def test_kill_9_mid_training_then_same_command_is_bit_identical(corpus, uninterrupted, tmp_path):
    out, marker = tmp_path / "run", tmp_path / "marker"
    proc = start_cli(
        train_args(out, corpus), NNGARDEN_TEST_HANG_AT_STEP="13", NNGARDEN_TEST_MARKER=str(marker)
    )
    wait_for_marker(marker, proc)
    proc.kill()  # SIGKILL: no handler runs
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    assert [s for s, _ in ckpt.complete_checkpoints(out / "checkpoints")] == [8]
    again = run_cli(train_args(out, corpus))
    assert again.returncode == 0, again.stderr
    assert "resuming from" in again.stdout and "step-00000008" in again.stdout
    assert_bit_identical(tensors(final(out)), tensors(final(uninterrupted)))
    assert_bit_identical(
        tensors(final(out), "optimizer.safetensors"), tensors(final(uninterrupted), "optimizer.safetensors")
    )
    assert losses(out) == losses(uninterrupted)  # the log has no duplicates or gaps either
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    clock = ckpt.read_state(final(out))["clock"]
    for key in ("train_cpu_seconds", "wall_seconds"):  # the resumed run continues the count
        counts = [r[key] for r in rows if "train_loss" in r]
        assert counts == sorted(counts) and counts[0] > 0, key
        assert clock[key] == pytest.approx(counts[-1], abs=1e-3), key


def test_kill_9_inside_a_checkpoint_write_keeps_and_resumes_the_previous_one(corpus, uninterrupted, tmp_path):
    out, marker = tmp_path / "run", tmp_path / "marker"
    proc = start_cli(
        train_args(out, corpus), NNGARDEN_TEST_HANG_IN_CHECKPOINT="16", NNGARDEN_TEST_MARKER=str(marker)
    )
    tmp_dir = wait_for_marker(marker, proc)
    proc.kill()
    proc.wait()
    root = out / "checkpoints"
    assert ".tmp-step-00000016" in tmp_dir
    leftovers = [p.name for p in root.iterdir()]
    assert any(name.startswith(".tmp-step-00000016") for name in leftovers)  # the torn write
    assert [s for s, _ in ckpt.complete_checkpoints(root)] == [8]  # is not a checkpoint
    assert ckpt.verify(root / "step-00000008")["step"] == 8  # the previous is intact
    again = run_cli(train_args(out, corpus))
    assert again.returncode == 0, again.stderr
    assert "step-00000008" in again.stdout  # the previous checkpoint is the one resumed
    assert "resuming with changed" not in again.stdout  # nothing changed (train.betas is a tuple here,
    # a list in the checkpoint's JSON: the same value)
    assert not any(p.name.startswith(".tmp-") for p in root.iterdir())
    assert_bit_identical(tensors(final(out)), tensors(final(uninterrupted)))


def test_sigterm_writes_a_final_checkpoint_and_the_run_resumes_from_it(corpus, uninterrupted, tmp_path):
    out, marker = tmp_path / "run", tmp_path / "marker"
    proc = start_cli(
        train_args(out, corpus), NNGARDEN_TEST_HANG_AT_STEP="13", NNGARDEN_TEST_MARKER=str(marker)
    )
    wait_for_marker(marker, proc)
    proc.send_signal(signal.SIGTERM)
    stdout, _ = proc.communicate(timeout=120)
    assert proc.returncode == 143
    assert "stopped by SIGTERM at step 13" in stdout
    assert [s for s, _ in ckpt.complete_checkpoints(out / "checkpoints")] == [8, 13]
    again = run_cli(train_args(out, corpus))
    assert again.returncode == 0 and "step-00000013" in again.stdout
    assert_bit_identical(tensors(final(out)), tensors(final(uninterrupted)))


def test_sigint_also_checkpoints_before_exit(corpus, tmp_path):
    out, marker = tmp_path / "run", tmp_path / "marker"
    proc = start_cli(
        train_args(out, corpus), NNGARDEN_TEST_HANG_AT_STEP="5", NNGARDEN_TEST_MARKER=str(marker)
    )
    wait_for_marker(marker, proc)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert [s for s, _ in ckpt.complete_checkpoints(out / "checkpoints")] == [5]


@pytest.mark.parametrize("value", ["nan", "inf"])
def test_a_non_finite_loss_stops_naming_the_step_and_keeps_the_last_good_checkpoint(
    corpus, tmp_path, monkeypatch, capsys, value
):
    monkeypatch.setenv("NNGARDEN_TEST_NAN_AT_STEP", "10")
    monkeypatch.setenv("NNGARDEN_TEST_NAN_VALUE", value)
    out = tmp_path / "run"
    assert cli.main(train_args(out, corpus)) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    assert "non-finite training loss at step 10" in err and "step-00000008" in err
    assert [s for s, _ in ckpt.complete_checkpoints(out / "checkpoints")] == [8]
    weights = tensors(out / "checkpoints" / "step-00000008")
    assert all(t.isfinite().all() for t in weights.values())
