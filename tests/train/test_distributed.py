"""DDP under torchrun: 2 CPU processes (gloo) match one process with the same global batch."""

import json
import subprocess
import sys

import pytest
import torch

from nngarden.train import checkpoint as ckpt

from ._tiny import env, make_text, run_cli, tensors, train_args


def losses(out):
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    return [r["train_loss"] for r in rows if "train_loss" in r], [
        r["val_loss"] for r in rows if "val_loss" in r
    ]


@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed is not available")
def test_two_gloo_processes_match_one_process(tmp_path):
    text = make_text(tmp_path / "tiny.txt")
    sets = ("train.max_steps=12", "train.grad_accum=2", "train.batch_size=8")
    single = run_cli(train_args(tmp_path / "one", text, *sets))
    assert single.returncode == 0, single.stderr
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=2",
        "-m",
        "nngarden",
        *train_args(tmp_path / "two", text, *sets),
    ]
    ddp = subprocess.run(cmd, env=env(), capture_output=True, text=True, timeout=300)
    assert ddp.returncode == 0, ddp.stderr[-3000:]
    assert ddp.stdout.count("finished at step 12") == 1  # only rank 0 reports
    batch_one, val_one = losses(tmp_path / "one")
    batch_two, val_two = losses(tmp_path / "two")
    assert len(batch_two) == 12 and len(val_two) == len(val_one) == 3
    assert batch_two == pytest.approx(batch_one, rel=1e-5)
    assert val_two == pytest.approx(val_one, rel=1e-5)
    state = ckpt.read_state(ckpt.latest_checkpoint(tmp_path / "two" / "checkpoints"))
    assert state["data"]["world_size"] == 2 and len(state["rng_per_rank"]) == 2
    one = tensors(ckpt.latest_checkpoint(tmp_path / "one" / "checkpoints"))
    two = tensors(ckpt.latest_checkpoint(tmp_path / "two" / "checkpoints"))
    for key in one:
        torch.testing.assert_close(two[key], one[key], rtol=1e-4, atol=1e-5)
