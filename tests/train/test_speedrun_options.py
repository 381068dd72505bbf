"""The speedrun issue's trainer options in-process: Muon, warmup-stable-decay, stopping at a target loss,
whole-split evaluation, and exact resume with every model and optimizer option on."""

import json

import pytest
import torch

from nngarden.data.text import CharTokenizer, LMBatches, TextData
from nngarden.nn.gpt import GPT, GPTConfig
from nngarden.train import checkpoint as ckpt
from nngarden.train.config import TrainConfig
from nngarden.train.loop import train_model
from nngarden.train.schedule import lr_at

from ._tiny import assert_bit_identical, make_text, tensors

EVERY_OPTION = dict(
    position="rotary",
    qk_norm=True,
    tie_embeddings=False,
    zero_init=True,
    logit_softcap=15.0,
    activation="relu2",
)


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    text = make_text(tmp_path_factory.mktemp("c") / "t.txt").read_text()
    return TextData.from_text(text, CharTokenizer.train(text), block_size=16)


def gpt(vocab, **options):
    torch.manual_seed(0)
    shape = dict(vocab_size=vocab, block_size=16, n_layer=2, n_head=2, n_embd=32, bias=False)
    return GPT(GPTConfig(**shape, **options))


def rows(out):
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def speedrun_cfg(**kw):
    base = dict(
        batch_size=8,
        max_steps=20,
        lr=3e-3,
        min_lr=0.0,
        warmup_steps=3,
        schedule="wsd",
        cooldown=0.5,
        optimizer="muon",
        muon_lr=0.03,
        eval_interval=10,
        eval_batches=2,
        checkpoint_interval=5,
        keep_checkpoints=10,
    )
    base.update(kw)
    return TrainConfig(**base)


def test_wsd_holds_the_peak_then_decays_linearly_to_the_floor():
    lrs = [lr_at(s, 1.0, 0.1, 10, 100, "wsd", 0.3) for s in range(110)]
    assert lrs[9] < 1.0 and lrs[10:70] == [1.0] * 60
    assert lrs[85] == pytest.approx(1.0 + 15 / 30 * (0.1 - 1.0))
    assert all(b < a for a, b in zip(lrs[70:100], lrs[71:100])) and lrs[100:] == [0.1] * 10
    with pytest.raises(ValueError, match="schedule"):
        lr_at(0, 1.0, 0.0, 0, 10, "step")


def test_muon_and_wsd_train_and_log_both_learning_rates(data, tmp_path):
    model = gpt(data.tokenizer.vocab_size)
    cfg = speedrun_cfg(max_steps=40, checkpoint_interval=40)
    train_model(model, LMBatches(data, 16, 0), cfg, tmp_path, seed=0, state={})
    log = rows(tmp_path)
    evals = [r["val_loss"] for r in log if "val_loss" in r]
    assert evals[-1] < evals[0] - 0.5
    assert [r["lr"] for r in log if "train_loss" in r] == pytest.approx(
        [lr_at(s, 3e-3, 0.0, 3, 40, "wsd", 0.5) for s in range(40)]
    )


def test_every_option_resumes_bit_identically(data, tmp_path):
    cfg = speedrun_cfg()
    whole = tmp_path / "whole"
    train_model(
        gpt(data.tokenizer.vocab_size, **EVERY_OPTION), LMBatches(data, 16, 0), cfg, whole, seed=0, state={}
    )
    part = tmp_path / "part"
    first = speedrun_cfg(max_steps=10, lr_decay_steps=20)  # the same schedule, stopped half-way
    train_model(
        gpt(data.tokenizer.vocab_size, **EVERY_OPTION), LMBatches(data, 16, 0), first, part, seed=0, state={}
    )
    again = train_model(
        gpt(data.tokenizer.vocab_size, **EVERY_OPTION), LMBatches(data, 16, 0), cfg, part, seed=0, state={}
    )
    assert again.start_step == 10 and again.finished
    a, b = ckpt.latest_checkpoint(whole / "checkpoints"), ckpt.latest_checkpoint(part / "checkpoints")
    assert_bit_identical(tensors(a), tensors(b))
    assert_bit_identical(tensors(a, "optimizer.safetensors"), tensors(b, "optimizer.safetensors"))
    names = tensors(a, "optimizer.safetensors")
    assert any(k.endswith("momentum_buffer") for k in names) and any(k.endswith("exp_avg") for k in names)


def test_training_stops_at_the_first_evaluation_at_or_below_the_target(data, tmp_path):
    full = tmp_path / "full"
    cfg = speedrun_cfg(max_steps=40, eval_interval=5, checkpoint_interval=40)
    train_model(gpt(data.tokenizer.vocab_size), LMBatches(data, 16, 0), cfg, full, seed=0, state={})
    evals = [(r["step"], r["val_loss"]) for r in rows(full) if "val_loss" in r]
    target = evals[3][1] + 1e-6  # met first at the fourth evaluation (losses fall here)
    assert all(v > target for _, v in evals[:3])
    out = tmp_path / "stop"
    stopped = train_model(
        gpt(data.tokenizer.vocab_size),
        LMBatches(data, 16, 0),
        speedrun_cfg(max_steps=40, eval_interval=5, checkpoint_interval=40, target_val_loss=target),
        out,
        seed=0,
        state={},
    )
    assert stopped.target_reached and stopped.finished and stopped.step == evals[3][0]
    assert ckpt.latest_checkpoint(out / "checkpoints").name == f"step-{evals[3][0]:08d}"
    assert [r for r in rows(out) if "val_loss" in r][-1]["step"] == evals[3][0]
    again = train_model(  # the same command again: done already, nothing trained
        gpt(data.tokenizer.vocab_size),
        LMBatches(data, 16, 0),
        speedrun_cfg(max_steps=40, eval_interval=5, checkpoint_interval=40, target_val_loss=target),
        out,
        seed=0,
        state={},
    )
    assert again.steps_run == 0 and again.target_reached


def test_eval_batches_zero_reads_the_whole_validation_split_once_per_window(data, tmp_path):
    source = LMBatches(data, 16, 0)
    x, y = source.split_windows("val")
    assert len(x) == (len(data.val) - 1) // 16 and torch.equal(x[1], data.val[16:32])
    assert torch.equal(y[:, :-1], x[:, 1:])  # next-token targets
    model = gpt(data.tokenizer.vocab_size).eval()
    with torch.no_grad():
        expected = torch.nn.functional.cross_entropy(
            model(x)[0].reshape(-1, data.tokenizer.vocab_size), y.reshape(-1)
        ).item()
    cfg = speedrun_cfg(max_steps=1, eval_batches=0, optimizer="adamw")
    train_model(gpt(data.tokenizer.vocab_size), source, cfg, tmp_path, seed=0, state={})
    first = next(r for r in rows(tmp_path) if "val_loss" in r)
    assert first["val_loss"] == pytest.approx(expected, rel=1e-5)
    assert first["train_cpu_seconds"] > 0  # model and optimizer construction are training time
    assert all("train_cpu_seconds" in r for r in rows(tmp_path) if "val_loss" in r)


def test_eval_batches_zero_is_refused_for_drawn_batches(data, tmp_path):
    from nngarden.config import ConfigError

    class Drawn:
        def train_batch(self, step, micro, size):
            return LMBatches(data, 16, 0).train_batch(step, micro, size)

        def eval_batch(self, split, index, size):
            return LMBatches(data, 16, 0).eval_batch(split, index, size)

    with pytest.raises(ConfigError, match="eval_batches"):
        train_model(
            gpt(data.tokenizer.vocab_size), Drawn(), speedrun_cfg(eval_batches=0), tmp_path, seed=0, state={}
        )
