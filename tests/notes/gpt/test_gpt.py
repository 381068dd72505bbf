"""The gpt note: its config and presets, its measurements, rejudging, and bad input through the CLI."""

import json

import pytest
import torch

from nngarden import cli
from nngarden.findings import validate_findings
from nngarden.nn.gpt import GPT, GPTConfig
from nngarden.notes.gpt import NOTE, GPTNoteConfig
from nngarden.notes.gpt.config import REFERENCE_VAL_LOSS, baby_recipe_differences
from nngarden.notes.gpt.experiment import (
    CopyIndex,
    causality_check,
    count_parameters,
    seed_config,
    split_loss,
    word_share,
)
from nngarden.runs import rejudge_run, run_note

from ...train._tiny import make_text, train_args


def test_defaults_are_nanogpts_baby_recipe_and_the_quick_preset_stops_early_on_its_schedule():
    cfg = GPTNoteConfig.full()
    m, t = cfg.model, cfg.train
    assert (m.n_layer, m.n_head, m.n_embd, m.block_size, m.dropout, m.bias) == (4, 4, 128, 64, 0.0, False)
    assert (
        t.batch_size,
        t.lr,
        t.min_lr,
        t.warmup_steps,
        t.max_steps,
        t.betas,
        t.weight_decay,
        t.grad_clip,
    ) == (12, 1e-3, 1e-4, 100, 2000, (0.9, 0.99), 0.1, 1.0)
    assert cfg.data.tokenizer == "char" and cfg.data.path == ""
    quick = GPTNoteConfig.quick()
    assert quick.train.max_steps in REFERENCE_VAL_LOSS and quick.train.decay_steps == 2000
    assert baby_recipe_differences(cfg) == [] and baby_recipe_differences(quick) == []
    assert "model.n_layer" in baby_recipe_differences(GPTNoteConfig.tiny())
    assert set(NOTE.quick_decides) == {"causal", "learns", "shapes", "samples"}
    for preset in (quick, cfg):
        assert preset.findings.seeds == 3 and preset.training_seeds() == [0, 1, 2]
    assert quick.compared_steps() == [750]
    assert cfg.compared_steps() == sorted(REFERENCE_VAL_LOSS)  # the full preset: every point of the curve


def test_a_seed_stopped_early_keeps_the_whole_runs_schedule():
    cfg = GPTNoteConfig.full()
    assert seed_config(cfg, 0, 2000) is cfg  # the first seed, to the end: the run's own config
    early = seed_config(cfg, 2, 500)
    assert (early.train.seed, early.train.max_steps, early.train.decay_steps) == (2, 500, 2000)
    assert early.seed == cfg.seed and early.model == cfg.model


def test_every_issue_key_exists():
    keys = {k for k, _, _ in GPTNoteConfig.describe()}
    for key in (
        "model.n_layer",
        "model.n_head",
        "model.n_embd",
        "model.block_size",
        "model.dropout",
        "data.path",
        "data.tokenizer",
        "train.batch_size",
        "train.max_steps",
        "train.lr",
        "train.min_lr",
        "train.warmup_steps",
        "train.weight_decay",
        "train.grad_clip",
        "train.eval_interval",
        "train.eval_batches",
        "train.checkpoint_interval",
        "train.threads",
        "train.betas",
        "train.seed",
        "model.bias",
    ):
        assert key in keys, key


def test_causality_check_sees_a_leak_when_there_is_one():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=20, block_size=12, n_layer=2, n_head=2, n_embd=16)).eval()

    class Data:
        val = torch.randint(20, (200,))

        @staticmethod
        def batch(split, starts, T):
            x = Data.val[starts[:, None] + torch.arange(T)]
            return x, x

    _, before, at = causality_check(model, Data, 20, seed=0)
    assert before == 0.0 and at > 1e-4

    class Leaky(torch.nn.Module):  # adds the mean of the whole sequence: sees the future
        config = model.config

        def forward(self, idx):
            logits, _ = model(idx)
            return logits + model.transformer.wte(idx).mean(
                dim=1, keepdim=True
            ) @ model.lm_head.weight.T, None

    _, before, _ = causality_check(Leaky(), Data, 20, seed=0)
    assert before > 1e-4


def test_parameter_counts_of_published_shapes():
    assert count_parameters(dict(n_layer=12, n_head=12, n_embd=768, block_size=1024)) == 124_439_808
    assert (
        abs(count_parameters(dict(n_layer=96, n_head=96, n_embd=12288, block_size=2048)) / 175e9 - 1) < 0.01
    )


def test_word_share():
    vocabulary = {"to", "be", "or", "not", "don't"}
    assert word_share("To be, or NOT to bee", vocabulary) == (5 / 6, 6)
    share, n = word_share("!!! ...", vocabulary)
    assert n == 0 and share != share  # NaN: no words, the claim cannot be measured
    # words of 3 letters or more only; an apostrophe is not a letter
    assert word_share("To be, or NOT to bee; don't", vocabulary, 3) == (2 / 3, 3)


def _longest_copy_by_hand(sample: str, corpus: str) -> int:
    best = 0
    for i in range(len(sample)):
        while i + best < len(sample) and sample[i : i + best + 1] in corpus:
            best += 1
    return best


@pytest.mark.parametrize("seed", range(4))
def test_the_longest_copy_is_found(seed):
    import random

    rng = random.Random(seed)
    corpus = "".join(rng.choice("abcd ") for _ in range(3000))
    index = CopyIndex(corpus)
    start = rng.randrange(2000)
    for sample in (
        "".join(rng.choice("abcd ") for _ in range(300)),  # chance copies, 5-8 characters
        "xyz" + corpus[start : start + 40] + "zyx",  # a planted 40-character copy
        "xyzxyz",  # nothing copied
        "a",
    ):
        copied = index.longest_copy(sample)
        assert copied in corpus and copied in sample
        assert len(copied) == _longest_copy_by_hand(sample, corpus)


def test_split_loss_is_the_mean_over_every_whole_window():
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=16)).eval()
    stream = torch.randint(11, (8 * 150 + 5,))  # 150 whole windows (the last needs one more target)
    losses = []
    with torch.no_grad():
        for w in range(150):
            x = stream[w * 8 : w * 8 + 8]
            y = stream[w * 8 + 1 : w * 8 + 9]
            losses.append(float(model(x[None], y[None])[1]))
    assert split_loss(model, stream, 8) == pytest.approx(sum(losses) / len(losses), rel=1e-5)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return make_text(tmp_path_factory.mktemp("gpt") / "tiny.txt")


def test_the_note_runs_on_a_user_file_with_bpe(corpus, tmp_path):
    config = GPTNoteConfig.tiny().with_overrides(
        [
            f"data.path={corpus}",
            "data.tokenizer=bpe",
            "data.bpe_vocab_size=300",
            "train.max_steps=6",
            "train.eval_interval=3",
            "sample.tokens=30",
            "findings.compare_steps=3,6",
        ]
    )
    data, _ = run_note(NOTE, config, tmp_path / "run", preset="tiny")
    for seed in (0, 1, 2):  # each seed stopped at step 3 to be evaluated, then went on to step 6
        stage = json.loads((tmp_path / "run" / "stages" / f"train-seed-{seed}.json").read_text())["result"]
        assert [r["step"] for r in stage["whole_split"]] == [3, 6] and stage["steps_run"] == 6
    assert (tmp_path / "run" / "seed-2" / "checkpoints" / "step-00000006").is_dir()
    assert validate_findings(data, NOTE.claim_ids) == []
    verdicts = {c["id"]: c for c in data["claims"]}
    assert verdicts["causal"]["verdict"] == "holds" and verdicts["shapes"]["verdict"] == "holds"
    assert verdicts["learns"]["verdict"] == "inconclusive" and "data.path" in verdicts["learns"]["criterion"]
    assert "figures/samples.txt" in data["figures"] and "figures/learning_curve.png" in data["figures"]
    assert (tmp_path / "run" / "checkpoints" / "step-00000006" / "tokenizer.json").is_file()
    tokenizer = json.loads(
        (tmp_path / "run" / "checkpoints" / "step-00000006" / "tokenizer.json").read_text()
    )
    assert tokenizer["model"]["type"] == "BPE"
    again = rejudge_run(NOTE, tmp_path / "run")  # nothing trains: the stages are cached
    assert [(c["id"], c["verdict"], c["evidence"]) for c in again["claims"]] == [
        (c["id"], c["verdict"], c["evidence"]) for c in data["claims"]
    ]


def _write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


@pytest.mark.parametrize(
    "sets, words",
    [
        (["train.lrr=1"], ["unknown config key", "train.lr"]),
        (["train.lr=fast"], ["train.lr", "expected a number"]),
        (["train.batch_size=0"], ["train.batch_size", ">= 1"]),
        (["model.dropout=1.5"], ["model.dropout", "<= 0.99"]),
        (["train.betas=0.9"], ["train.betas", "expected 2"]),
        (["model.n_embd=33"], ["model.n_embd", "divisible"]),
        (["train.min_lr=0.1"], ["train.min_lr", "above lr"]),
        (["train.grad_accum=5"], ["train.batch_size", "grad_accum"]),
        (["data.tokenizer=words"], ["data.tokenizer", "char, bpe"]),
        (["data.path=/no/such/file.txt"], ["data.path", "does not exist"]),
        (["data.path={empty}"], ["data.path", "is empty"]),
        (["data.path={short}"], ["data.path", "too short"]),
        (["data.path={latin1}"], ["data.path", "not UTF-8"]),
        (["train.threads=0"], ["train.threads", ">= 1"]),
    ],
)
def test_bad_config_is_one_clear_line_and_exit_2(tmp_path, capsys, sets, words):
    files = {
        "empty": _write(tmp_path, "empty.txt", ""),
        "short": _write(tmp_path, "short.txt", "tiny text\n" * 3),
        "latin1": _write(tmp_path, "l1.txt", "caf\xe9 ".encode("latin-1") * 100),
    }
    argv = ["train", "gpt", "--preset", "tiny", "--out", str(tmp_path / "out")]
    for item in sets:
        argv += ["--set", item.format(**files)]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    for word in words:
        assert word in err


def test_resuming_with_another_model_is_refused(corpus, tmp_path, capsys):
    assert (
        cli.main(train_args(tmp_path / "run", corpus, "train.max_steps=2", "train.checkpoint_interval=2"))
        == 0
    )
    capsys.readouterr()
    assert cli.main(train_args(tmp_path / "run", corpus, "train.max_steps=4", "model.n_embd=32")) == 2
    err = capsys.readouterr().err
    assert "model.n_embd" in err and "another --out" in err
    # more steps on the same model is fine: it resumes
    assert (
        cli.main(train_args(tmp_path / "run", corpus, "train.max_steps=4", "train.checkpoint_interval=2"))
        == 0
    )
    assert "resuming from" in capsys.readouterr().out


def test_recipes_set_their_fields_over_the_preset_and_set_comes_last():
    from nngarden.commands.notes import resolve_config
    from nngarden.config import ConfigError
    from nngarden.notes.gpt.config import RECIPES, SPEEDRUN

    baby = resolve_config(NOTE, "full", [], None, "baby")
    assert baby == GPTNoteConfig.full()  # the baby recipe is today's defaults, unchanged
    fast = resolve_config(NOTE, "full", ["train.max_steps=7"], 3, "speedrun")
    assert fast.train.optimizer == SPEEDRUN["train.optimizer"] == "muon" and fast.seed == 3
    assert fast.train.max_steps == 7  # --set after the recipe
    assert set(RECIPES["baby"]) == set(RECIPES["speedrun"])  # --help shows both side by side
    with pytest.raises(ConfigError, match="--recipe: got 'fast', allowed: baby, speedrun"):
        resolve_config(NOTE, "full", [], None, "fast")


def test_train_help_lists_both_recipes_values(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    out = capsys.readouterr().out
    assert "--recipe" in out and "recipe 'baby' of 'gpt'" in out and "recipe 'speedrun' of 'gpt'" in out
    assert "train.optimizer=muon" in out and "train.optimizer=adamw" in out


def test_a_recipe_the_note_lacks_is_one_clear_line(tmp_path, capsys):
    code = cli.main(["train", "bert", "--recipe", "speedrun", "--out", str(tmp_path / "b")])
    assert code == 2
    assert "--recipe: got 'speedrun', allowed: none (note 'bert' has no recipes)" in capsys.readouterr().err


def test_the_speedrun_finding_trains_both_recipes_side_by_side_and_rejudges(corpus, tmp_path, monkeypatch):
    """The comparison's plumbing at a tiny size (the recipes' shapes and lengths shrunk, 3 seeds each)."""
    from nngarden.notes.gpt import speedrun

    tiny = {
        "model.n_layer": 1,
        "model.n_embd": 16,
        "model.n_head": 2,
        "model.block_size": 16,
        "train.batch_size": 4,
    }
    for recipe, steps in (("baby", 30), ("speedrun", 15)):
        sizes = {"train.max_steps": steps, "train.eval_interval": 5, "train.warmup_steps": 2}
        monkeypatch.setitem(speedrun.COMPARISON, recipe, {**speedrun.COMPARISON[recipe], **tiny, **sizes})
    config = GPTNoteConfig.tiny().with_overrides(
        [f"data.path={corpus}", "speedrun.seeds=3", "train.max_steps=4"]
    )
    data, _ = run_note(NOTE, config, tmp_path / "run", preset="tiny")
    claim = next(c for c in data["claims"] if c["id"] == "speedrun")
    assert claim["verdict"] in ("holds", "fails") and claim["evidence"]["n_seeds"] == 3
    assert "figures/speedrun_curves.png" in data["figures"]
    stages = sorted(p.name for p in (tmp_path / "run" / "stages").glob("speedrun-*.json"))
    assert stages == [f"speedrun-{r}-{s}.json" for r in ("baby", "speedrun") for s in range(3)]
    run = json.loads((tmp_path / "run" / "stages" / "speedrun-baby-0.json").read_text())["result"]
    assert [row[0] for row in run["evals"]] == [0, 5, 10, 15, 20, 25, 30]  # whole-split evaluations
    again = rejudge_run(NOTE, tmp_path / "run")  # nothing trains: every run is a cached stage
    assert next(c for c in again["claims"] if c["id"] == "speedrun")["evidence"] == claim["evidence"]
