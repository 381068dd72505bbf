"""Faults a long run meets: a diverging loss, a full disk, a second command on its folder. Each ends in
one line and exit 1, and leaves only checkpoints that can be used.

The runs are ``nngarden train gpt`` on the tiny recipe of ``_tiny.py``, in this process (``cli.main``)
where a function is replaced to inject the fault, in a child process where the fault is real.
"""

import errno
import json
import re
import signal
import subprocess
import uuid

import pytest
import torch

from nngarden import cli
from nngarden.runs import LOCK_FILE
from nngarden.train import checkpoint as ckpt
from nngarden.train.language_model import load_gpt

from ._tiny import make_text, run_cli, start_cli, train_args, wait_for_marker


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_text(tmp_path_factory.mktemp("corpus") / "tiny.txt")


@pytest.fixture(scope="module")
def good_checkpoint(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("good") / "run"
    assert cli.main(train_args(out, corpus, "train.max_steps=8")) == 0
    return ckpt.latest_checkpoint(out / "checkpoints")


def one_line(capsys) -> str:
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    return err


def corpus_loss(folder, corpus) -> float:
    """The model's loss on the first 64 windows of the corpus."""
    model, tokenizer, _ = load_gpt(folder)
    block = model.config.block_size
    ids = torch.tensor(tokenizer.encode(corpus.read_text()[: 64 * block + 1]))
    with torch.no_grad():
        _, loss = model(ids[:-1].view(64, block), ids[1:].view(64, block))
    return float(loss)


# --- a loss that blows up ---------------------------------------------------------------------------


def test_a_diverging_run_keeps_only_checkpoints_whose_loss_was_finite(corpus, tmp_path, capsys):
    """A learning rate of 1000 makes the loss NaN after a few updates. A checkpoint is due at every step:
    the one of the failing step holds weights that already give a NaN loss and must not be kept."""
    out = tmp_path / "run"
    assert cli.main(train_args(out, corpus, "train.lr=1000", "train.checkpoint_interval=1")) == 1
    err = one_line(capsys)
    kept = ckpt.complete_checkpoints(out / "checkpoints")
    assert kept
    for _, folder in kept:
        assert torch.isfinite(torch.tensor(corpus_loss(folder, corpus))), folder
    failing = int(re.search(r"non-finite training loss at step (\d+)", err).group(1))
    assert [s for s, _ in kept][-1] == failing - 1
    assert f"the last good checkpoint is step {failing - 1} (" in err
    assert cli.main(["sample", "--checkpoint", str(out), "--tokens", "200"]) == 0  # the run folder's newest
    assert len(capsys.readouterr().out) > 200


def broken_copy(folder, tmp_path, change) -> str:
    """A checkpoint (valid manifest and hashes) of the model in ``folder`` after ``change(model)``."""
    model, tokenizer, state = load_gpt(folder)
    with torch.no_grad():
        change(model)
    root = tmp_path / "broken"
    return str(ckpt.save_checkpoint(root, state["step"], model, None, state, tokenizer.to_json()))


def test_sample_refuses_weights_that_are_not_finite(good_checkpoint, tmp_path, capsys):
    folder = broken_copy(
        good_checkpoint, tmp_path, lambda m: m.transformer.h[0].mlp.c_fc.weight.fill_(float("nan"))
    )
    assert cli.main(["sample", "--checkpoint", folder]) == 1
    err = one_line(capsys)
    assert "NaN or infinite" in err and "transformer.h.0.mlp.c_fc.weight" in err


def test_sample_refuses_logits_that_are_not_finite(good_checkpoint, tmp_path, capsys):
    def blow_up(model):
        for p in model.parameters():
            p.mul_(1e20)  # every weight finite, their products are not

    folder = broken_copy(good_checkpoint, tmp_path, blow_up)
    assert cli.main(["sample", "--checkpoint", folder, "--prompt", "KING:"]) == 1
    err = one_line(capsys)
    assert "logits" in err and "NaN or infinite" in err


# --- a disk that fills up ---------------------------------------------------------------------------


def test_a_full_disk_is_one_line_naming_what_failed_and_what_is_intact(corpus, tmp_path, monkeypatch, capsys):
    real = ckpt._save_tensors

    def full_at_step_16(path, tensors):
        if "step-00000016" in str(path):
            path.write_bytes(b"\0" * 100)  # a torn write, as a full disk leaves it
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real(path, tensors)

    monkeypatch.setattr(ckpt, "_save_tensors", full_at_step_16)
    out = tmp_path / "run"
    assert cli.main(train_args(out, corpus)) == 1
    err = one_line(capsys)
    assert "could not write checkpoint" in err and "step-00000016" in err
    assert "No space left on device (ENOSPC)" in err
    assert "the newest intact checkpoint is step 8" in err
    root = out / "checkpoints"
    assert sorted(p.name for p in root.iterdir()) == ["step-00000008"]  # nothing half-written
    ckpt.verify(root / "step-00000008")


def test_a_full_disk_anywhere_else_is_one_line_too(corpus, tmp_path, monkeypatch, capsys):
    from nngarden.runs import MetricsLog

    def full(self, step, **values):
        raise OSError(errno.ENOSPC, "No space left on device", str(self.path))

    monkeypatch.setattr(MetricsLog, "log", full)
    assert cli.main(train_args(tmp_path / "run", corpus)) == 1
    err = one_line(capsys)
    assert "metrics.jsonl could not be written: No space left on device (ENOSPC)" in err


@pytest.fixture
def small_filesystem(tmp_path):
    """A 2 MiB tmpfs (needs root and permission to mount: skipped elsewhere)."""
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip("cannot mount a small tmpfs here (not root, or no permission)")
    yield mount
    subprocess.run(["umount", "--lazy", str(mount)], check=False)


def test_a_really_full_disk_is_the_same_one_line(corpus, small_filesystem, tmp_path):
    """The same on a real filesystem: the run waits at step 10, the disk is filled, SIGTERM asks for a
    checkpoint that cannot be written (safetensors reports this as its own error, not an OSError)."""
    out, marker = small_filesystem / "run", tmp_path / "marker"
    proc = start_cli(
        train_args(out, corpus), NNGARDEN_TEST_HANG_AT_STEP="10", NNGARDEN_TEST_MARKER=str(marker)
    )
    wait_for_marker(marker, proc)
    try:
        with open(small_filesystem / f"filler-{uuid.uuid4().hex}", "wb", buffering=0) as fh:
            while True:
                fh.write(b"\0" * 65536)
    except OSError as err:
        assert err.errno == errno.ENOSPC
    except BaseException:
        proc.kill()
        raise
    proc.terminate()
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 1
    err = stderr.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert "could not write checkpoint" in err and "step-00000010" in err and "ENOSPC" in err
    assert "the newest intact checkpoint is step 8" in err
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["step-00000008"]
    ckpt.verify(out / "checkpoints" / "step-00000008")


# --- two commands on one folder ---------------------------------------------------------------------


def test_a_second_train_on_the_same_folder_is_refused_naming_the_first(corpus, tmp_path):
    out, marker = tmp_path / "run", tmp_path / "marker"
    first = start_cli(
        train_args(out, corpus), NNGARDEN_TEST_HANG_AT_STEP="5", NNGARDEN_TEST_MARKER=str(marker)
    )
    wait_for_marker(marker, first)
    second = run_cli(train_args(out, corpus))
    err = second.stderr.strip()
    assert second.returncode == 1, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err, err
    assert f"is in use by process {first.pid} (nngarden train gpt" in err
    first.send_signal(signal.SIGTERM)  # the first run goes on undisturbed: its checkpoint, its log
    first.communicate(timeout=120)
    assert first.returncode == 143
    assert [s for s, _ in ckpt.complete_checkpoints(out / "checkpoints")] == [5]
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if "train_loss" in r] == [0, 1, 2, 3, 4]
    assert not (out / LOCK_FILE).exists()  # released


def test_a_lock_left_by_a_killed_train_is_taken_over(corpus, tmp_path):
    out, marker = tmp_path / "run", tmp_path / "marker"
    first = start_cli(
        train_args(out, corpus), NNGARDEN_TEST_HANG_AT_STEP="5", NNGARDEN_TEST_MARKER=str(marker)
    )
    wait_for_marker(marker, first)
    first.kill()
    first.wait()
    assert json.loads((out / LOCK_FILE).read_text())["pid"] == first.pid  # the file outlives its process
    again = run_cli(train_args(out, corpus))
    assert again.returncode == 0, again.stderr
    assert not (out / LOCK_FILE).exists()
