"""A tiny corpus and a tiny GPT recipe shared by the training tests (seconds per run)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import torch

WORDS = (
    "the king is dead long live the queen and all her court who speak of love and war "
    "my lord i pray you hear me now for time is short and night is near"
).split()

TINY_SETS = [
    "model.n_layer=1",
    "model.n_head=2",
    "model.n_embd=16",
    "model.block_size=16",
    "train.batch_size=4",
    "train.max_steps=24",
    "train.warmup_steps=4",
    "train.eval_interval=8",
    "train.eval_batches=2",
    "train.checkpoint_interval=8",
    "train.keep_checkpoints=5",
]


def make_text(path: Path, n_lines: int = 800, seed: int = 0) -> Path:
    rng = random.Random(seed)
    lines = []
    for i in range(n_lines):
        if i % 6 == 0:
            lines.append(f"\n{rng.choice(['KING', 'QUEEN', 'LORD'])}:")
        lines.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 9))))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def train_args(out: Path, text: Path, *extra: str) -> list[str]:
    args = ["train", "gpt", "--preset", "tiny", "--out", str(out), "--set", f"data.path={text}"]
    for item in TINY_SETS + list(extra):
        args += ["--set", item]
    return args


def env(**extra: str) -> dict[str, str]:
    out = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    src = str(Path(__file__).resolve().parents[2] / "src")
    out["PYTHONPATH"] = src + (os.pathsep + out["PYTHONPATH"] if out.get("PYTHONPATH") else "")
    for key in [k for k in out if k.startswith("NNGARDEN_TEST_")]:
        del out[key]
    out.update(extra)
    return out


def run_cli(args: list[str], **extra_env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nngarden", *args],
        env=env(**extra_env),
        capture_output=True,
        text=True,
        timeout=300,
    )


def start_cli(args: list[str], **extra_env: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "nngarden", *args],
        env=env(**extra_env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for_marker(marker: Path, proc: subprocess.Popen, timeout: float = 240.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marker.exists() and marker.read_text():
            return marker.read_text()
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"process ended (exit {proc.returncode}) before the marker:\n{out}\n{err}")
        time.sleep(0.05)
    proc.kill()
    raise AssertionError("timed out waiting for the test marker")


def tensors(folder: Path, name: str = "model.safetensors") -> dict[str, torch.Tensor]:
    from safetensors.torch import load_file

    return load_file(str(Path(folder) / name))


def assert_bit_identical(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> None:
    assert a.keys() == b.keys()
    for key in a:
        assert a[key].dtype == b[key].dtype and torch.equal(a[key], b[key]), key
