"""The training loop in-process: schedule, logging, accumulation, evaluation cadence."""

import json

import pytest
import torch

from nngarden.data.text import CharTokenizer, LMBatches, TextData
from nngarden.nn.gpt import GPT, GPTConfig
from nngarden.train.config import TrainConfig
from nngarden.train.loop import train_model
from nngarden.train.schedule import lr_at

from ._tiny import make_text


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    text = make_text(tmp_path_factory.mktemp("c") / "t.txt").read_text()
    return TextData.from_text(text, CharTokenizer.train(text), block_size=16)


def gpt(vocab):
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=vocab, block_size=16, n_layer=1, n_head=2, n_embd=32, bias=False))


class FixedGlobalBatch:
    """One global batch per step, cut into micro-batches: lets accumulation be compared exactly."""

    def __init__(self, lm: LMBatches, global_size: int):
        self.lm, self.global_size = lm, global_size

    def train_batch(self, step, micro, size):
        x, y = self.lm.train_batch(step, 0, self.global_size)
        return x[micro * size : (micro + 1) * size], y[micro * size : (micro + 1) * size]

    def eval_batch(self, split, index, size):
        return self.lm.eval_batch(split, index, size)


def rows(out):
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def test_loss_falls_and_the_log_follows_the_contract(data, tmp_path):
    cfg = TrainConfig(
        batch_size=8,
        max_steps=60,
        lr=3e-3,
        min_lr=3e-4,
        warmup_steps=10,
        eval_interval=25,
        eval_batches=3,
        checkpoint_interval=25,
    )
    result = train_model(
        gpt(data.tokenizer.vocab_size), LMBatches(data, 16, 0), cfg, tmp_path, seed=0, state={"model": "tiny"}
    )
    log = rows(tmp_path)
    evals = [r for r in log if "val_loss" in r]
    assert [r["step"] for r in evals] == [0, 25, 50, 60]  # every interval, and the final step
    assert evals[-1]["val_loss"] < evals[0]["val_loss"] - 0.5
    batch = [r for r in log if "train_loss" in r]
    assert [r["step"] for r in batch] == list(range(60))
    keys = {"step", "train_loss", "lr", "train_cpu_seconds", "wall_seconds", "grad_norm", "ms_per_step"}
    assert all(keys <= set(r) for r in batch)
    assert all({"val_loss", "train_eval_loss", "train_cpu_seconds", "wall_seconds"} <= set(r) for r in evals)
    assert all(a["wall_seconds"] <= b["wall_seconds"] for a, b in zip(batch, batch[1:]))  # cumulative
    assert all(r["lr"] == pytest.approx(lr_at(r["step"], 3e-3, 3e-4, 10, 60)) for r in batch)
    assert all(r["threads"] == torch.get_num_threads() and r["tokens_per_s"] > 0 for r in batch)
    assert result.finished and result.step == 60 and result.checkpoint.name == "step-00000060"
    assert [p.name for p in sorted((tmp_path / "checkpoints").iterdir())] == [
        "step-00000025",
        "step-00000050",
        "step-00000060",
    ]


def test_gradient_accumulation_equals_one_big_batch(data, tmp_path):
    finals = []
    for accum in (1, 2, 4):
        cfg = TrainConfig(
            batch_size=8,
            grad_accum=accum,
            max_steps=6,
            warmup_steps=2,
            eval_interval=100,
            eval_batches=1,
            checkpoint_interval=100,
        )
        out = tmp_path / f"a{accum}"
        model = gpt(data.tokenizer.vocab_size)
        train_model(model, FixedGlobalBatch(LMBatches(data, 16, 0), 8), cfg, out, seed=0, state={})
        finals.append(([r["train_loss"] for r in rows(out) if "train_loss" in r], model.state_dict()))
    for losses, weights in finals[1:]:
        assert losses == pytest.approx(finals[0][0], rel=1e-5)
        for key in weights:
            torch.testing.assert_close(weights[key], finals[0][1][key], rtol=1e-4, atol=1e-5)


def test_running_again_after_the_end_does_nothing(data, tmp_path):
    cfg = TrainConfig(
        batch_size=4, max_steps=4, warmup_steps=1, eval_interval=2, eval_batches=1, checkpoint_interval=2
    )
    train_model(gpt(data.tokenizer.vocab_size), LMBatches(data, 16, 0), cfg, tmp_path, seed=0, state={})
    before = (tmp_path / "metrics.jsonl").read_text()
    again = train_model(
        gpt(data.tokenizer.vocab_size), LMBatches(data, 16, 0), cfg, tmp_path, seed=0, state={}
    )
    assert again.start_step == 4 and again.steps_run == 0 and again.finished
    assert (tmp_path / "metrics.jsonl").read_text() == before


def test_a_checkpoint_of_another_model_is_refused(data, tmp_path):
    cfg = TrainConfig(
        batch_size=4, max_steps=2, warmup_steps=1, eval_interval=2, eval_batches=1, checkpoint_interval=2
    )
    train_model(
        gpt(data.tokenizer.vocab_size), LMBatches(data, 16, 0), cfg, tmp_path, seed=0, state={"model": "a"}
    )
    from nngarden.config import ConfigError

    with pytest.raises(ConfigError, match="different model"):
        train_model(
            gpt(data.tokenizer.vocab_size),
            LMBatches(data, 16, 0),
            cfg,
            tmp_path,
            seed=0,
            state={"model": "b"},
        )


def test_bf16_is_refused_off_cuda(data, tmp_path):
    from nngarden.config import ConfigError

    with pytest.raises(ConfigError, match="--bf16"):
        train_model(
            gpt(data.tokenizer.vocab_size),
            LMBatches(data, 16, 0),
            TrainConfig(max_steps=1),
            tmp_path,
            seed=0,
            state={},
            bf16=True,
        )


def test_the_engine_and_fit_raise_one_non_finite_loss_class():
    from nngarden.train import fit, loop

    assert loop.NonFiniteLoss is fit.NonFiniteLoss
