"""The bert note's library side: `train bert` (checkpoints, resume, DDP-ready loop) and `fill`."""

import json
from collections import Counter

import pytest
import torch

from nngarden.notes.bert import BertNoteConfig
from nngarden.notes.bert.experiment import both_sides, distance_to_context
from nngarden.train import checkpoint as ckpt

from ...train._tiny import assert_bit_identical, make_text, run_cli, tensors

TINY = [
    "model.n_layer=1",
    "model.n_head=2",
    "model.n_embd=64",
    "model.block_size=32",
    "train.batch_size=32",
    "train.warmup_steps=10",
    "train.eval_interval=40",
    "train.eval_batches=4",
    "train.checkpoint_interval=40",
    "train.lr=2e-3",
]


def train_args(out, text, steps, *extra):
    args = [
        "train",
        "bert",
        "--preset",
        "tiny",
        "--out",
        str(out),
        "--set",
        f"data.path={text}",
        "--set",
        f"train.max_steps={steps}",
    ]
    for item in TINY + list(extra):
        args += ["--set", item]
    return args


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_text(tmp_path_factory.mktemp("corpus") / "tiny.txt", n_lines=1500)


@pytest.fixture(scope="module")
def trained(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("bert")
    done = run_cli(train_args(out, corpus, 480))
    assert done.returncode == 0, done.stderr
    return out


def test_train_bert_learns_to_denoise(trained, corpus):
    """The loss on hidden characters ends well below the entropy of the character frequencies: the
    model reads the context, it does not only learn which characters are common."""
    rows = [json.loads(line) for line in (trained / "metrics.jsonl").read_text().splitlines()]
    val = [r["val_loss"] for r in rows if "val_loss" in r]
    counts = Counter(corpus.read_text())
    freq = torch.tensor(list(counts.values()), dtype=torch.float64) / sum(counts.values())
    unigram_entropy = float(-(freq * freq.log()).sum())
    assert val[0] > unigram_entropy + 0.5
    assert val[-1] < unigram_entropy - 0.15


def test_resume_continues_bit_identically(corpus, trained, tmp_path):
    """Stopping at step 40 and running again to 80 equals the uninterrupted 80-step run."""
    out = tmp_path / "resumed"
    first = run_cli(train_args(out, corpus, 40, "train.lr_decay_steps=80"))
    assert first.returncode == 0, first.stderr
    again = run_cli(train_args(out, corpus, 80, "train.lr_decay_steps=80"))
    assert again.returncode == 0 and "resuming from" in again.stdout, again.stdout + again.stderr
    reference = run_cli(train_args(tmp_path / "straight", corpus, 80, "train.lr_decay_steps=80"))
    assert reference.returncode == 0
    assert_bit_identical(
        tensors(ckpt.latest_checkpoint(out / "checkpoints")),
        tensors(ckpt.latest_checkpoint(tmp_path / "straight" / "checkpoints")),
    )


def test_fill_prints_predictions_for_each_mask(trained):
    done = run_cli(
        ["fill", "--checkpoint", str(trained), "--text", "the ki[MASK]g is de[MASK]d", "--top", "3"]
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("[MASK] 1") and lines[1].startswith("[MASK] 2")
    assert lines[-1].startswith("filled: the ki") and "[MASK]" not in lines[-1]
    assert len(lines[-1]) == len("filled: the king is dead")
    # the corpus knows 'ki?g' only as 'king': a trained denoiser ranks 'n' among its top three
    assert "'n'" in lines[0]


@pytest.mark.parametrize(
    "text, words", [("no mask here", "contains no [MASK]"), ("the [MASK] is " + "long " * 10, "at most 32")]
)
def test_fill_bad_text_is_a_clear_error(trained, text, words):
    done = run_cli(["fill", "--checkpoint", str(trained), "--text", text])
    assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr


def test_fill_refuses_a_gpt_checkpoint(corpus, tmp_path):
    from ...train._tiny import train_args as gpt_args

    out = tmp_path / "gpt"
    assert run_cli(gpt_args(out, corpus, "train.max_steps=2")).returncode == 0
    done = run_cli(["fill", "--checkpoint", str(out), "--text", "a[MASK]"])
    assert done.returncode == 2 and "not a BERT" in done.stderr


def test_distance_to_context():
    hidden = torch.tensor([[False, True, True, True, False, True]])
    assert distance_to_context(hidden).tolist() == [[0, 1, 2, 1, 0, 1]]


def test_both_sides_readers_see_what_they_should():
    """On a stream 0 1 2 ... 9 0 1 ..., a reader of the right neighbour and a reader of the left neighbour
    both know the hidden token; a masked reader with nothing to the left (a causal mask hiding the
    right side) has nothing to read."""
    from nngarden.data.text import TextData

    v, mask = 10, 10
    stream = torch.arange(600) % v
    data = TextData(None, stream[:500], stream[500:], 600)
    config = BertNoteConfig.tiny().with_overrides(["eval.windows=40", "model.block_size=16"])

    class ReadsRight(torch.nn.Module):  # predicts (right neighbour - 1); token 0 where there is none
        def forward(self, idx):
            right = torch.cat([idx[:, 1:], torch.full((idx.size(0), 1), 1)], dim=1)
            return torch.nn.functional.one_hot((right - 1) % v, v + 1).float(), None

    class ReadsLeft(torch.nn.Module):  # a next-token predictor: (last token + 1)
        def forward(self, idx):
            return torch.nn.functional.one_hot((idx + 1) % v, v).float(), None

    class Guesses(torch.nn.Module):  # a masked reader that reads neither side: always token 0
        def forward(self, idx):
            return torch.nn.functional.one_hot(torch.zeros_like(idx), v + 1).float(), None

    gpts = {"gpt": ReadsLeft(), "gpt-tokens": Guesses()}
    acc = both_sides(ReadsRight(), Guesses(), gpts, data, mask, config)
    assert acc["bert_both_sides"] == 1.0 and acc["gpt_equal_steps"] == 1.0
    assert acc["bert_left_only"] < 0.3 and acc["gpt_equal_tokens"] < 0.3
    table = acc["tables"]["bert_both_sides_vs_bert_left_only"]
    assert table["only_b"] == table["neither"] == 0 and table["both"] + table["only_a"] == 40


def test_the_models_and_their_budgets():
    cfg = BertNoteConfig.quick()
    plans = cfg.trained_models()
    assert set(plans) == {"bert", "bert-left", "gpt", "gpt-tokens"}
    assert plans["bert-left"]["causal"] and not plans["bert"]["causal"]
    assert cfg.eval.windows == 3000 and BertNoteConfig.full().eval.windows == 6000
    tokens = cfg.model_config("gpt-tokens").train  # as many predicted tokens as BERT: 15% of the steps
    assert (tokens.max_steps, tokens.warmup_steps, tokens.decay_steps) == (150, 8, 150)
    assert cfg.model_config("bert-left").model.causal and not cfg.model_config("bert").model.causal
    assert cfg.model_config("gpt") is cfg
    assert "bert-0.4" in BertNoteConfig.full().trained_models()


def test_the_tiny_run_rejudges_from_its_stages_without_loading_a_model(tmp_path, monkeypatch):
    from nngarden.notes.bert import NOTE, experiment
    from nngarden.runs import rejudge_run, run_note

    data, _ = run_note(NOTE, BertNoteConfig.tiny(), tmp_path / "run", preset="tiny")
    assert [c["kind"] for c in data["claims"]] == ["finding"] * 3
    assert (tmp_path / "run" / "bert-left" / "checkpoints").is_dir()
    assert (tmp_path / "run" / "gpt-tokens" / "checkpoints").is_dir()
    assert "figures/fills.txt" in data["figures"] and "figures/both_sides.png" in data["figures"]

    def no_loading(*args, **kwargs):
        raise AssertionError("rejudging loaded a checkpoint")

    monkeypatch.setattr(experiment, "load_bert", no_loading)
    again = rejudge_run(NOTE, tmp_path / "run")
    assert [(c["id"], c["verdict"], c["evidence"]) for c in again["claims"]] == [
        (c["id"], c["verdict"], c["evidence"]) for c in data["claims"]
    ]
    assert again["figures"] == data["figures"]
