"""BERT as a denoising auto-encoder, set against GPT's one-way prediction (Devlin et al. 2019).

The notebook describes BERT as a denoising auto-encoder: hide a fraction of the tokens and make the
model guess them from both sides. This note trains a character-level BERT on Shakespeare with BERT's
masking recipe and a GPT of the same size and training budget on the same text, then measures:
(a) hidden characters of held-out text are recovered far more often than the most frequent character
would be; (b) on the same held-out positions, BERT with both sides beats the GPT, which sees only the
left side, and BERT shown only the left side falls back towards the GPT; (c) how much a much higher
masking rate changes the result at the same budget.

``nngarden train bert`` trains the BERT alone as a long, resumable run (checkpoints, DDP under
torchrun); ``nngarden fill`` fills [MASK] tokens with a trained checkpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config import Config, ConfigError, nested, option
from ..data.text_config import TextDataConfig
from ..findings import Findings, judge, undecided
from ..train.config import TrainConfig
from ..train.language_model import load_bert, train_bert, train_gpt  # load_bert, train_bert re-exported
from .base import Note, NoteConfig

EVAL_RATES = (0.05, 0.15, 0.3, 0.45, 0.6, 0.8)  # masking rates the trained models are probed at
DISTANCE_RATE = 0.45  # masking rate of the distance-to-context probe

CLAIMS = {
    "denoises": "A masked language model denoises: it recovers hidden characters of held-out text far more "
    "often than the best trivial predictor (always the most frequent character).",
    "both-sides": "Both sides matter: on the same held-out positions BERT, seeing both sides, predicts a hidden "
    "character better than a GPT of the same size and budget that sees only the left side, and "
    "hiding the right context from BERT brings its accuracy down towards the GPT's.",
    "mask-rate": "The masking recipe matters less than the task: a much higher masking rate at the same budget "
    "moves held-out accuracy far less than the task moves it above the trivial predictor.",
}


@dataclass
class ModelSection(Config):
    """Model shape, shared by the BERT and the GPT it is compared with."""

    n_layer: int = option(2, "transformer blocks", low=1, high=512)
    n_head: int = option(2, "attention heads per block", low=1, high=512)
    n_embd: int = option(128, "model width, divisible by n_head", low=1, high=65536)
    block_size: int = option(64, "sequence length in tokens", low=4, high=65536)
    dropout: float = option(0.0, "dropout probability", low=0.0, high=0.99)
    bias: bool = option(True, "biases in Linear and LayerNorm layers")
    positions: str = option(
        "learned",
        "BERT's position encoding (the GPT always learns its positions)",
        choices=("learned", "sinusoidal"),
    )

    def validate(self) -> None:
        if self.n_embd % self.n_head:
            raise ConfigError(f"n_embd: {self.n_embd} is not divisible by n_head={self.n_head}")


@dataclass
class MaskingSection(Config):
    """BERT's corruption recipe and the higher rate it is compared with."""

    rate: float = option(
        0.15, "fraction of positions chosen for prediction", low=0.0, low_open=True, high=1.0
    )
    mask_frac: float = option(
        0.8, "of the chosen positions, the fraction replaced by [MASK]", low=0.0, high=1.0
    )
    random_frac: float = option(
        0.1, "of the chosen positions, the fraction replaced by a random token", low=0.0, high=1.0
    )
    compare_rate: float = option(
        0.4,
        "the much higher masking rate trained for the mask-rate claim (0 skips that model)",
        low=0.0,
        high=1.0,
    )

    def validate(self) -> None:
        if self.mask_frac + self.random_frac > 1.0:
            raise ConfigError(f"mask_frac: {self.mask_frac} + random_frac {self.random_frac} exceeds 1")


@dataclass
class EvalSection(Config):
    """Held-out evaluation."""

    windows: int = option(
        2000,
        "held-out windows for the accuracies (one hidden character each for the both-sides claim)",
        low=10,
    )
    batch_size: int = option(250, "windows per evaluation batch", low=1)


@dataclass
class BertNoteConfig(NoteConfig):
    model: ModelSection = nested(ModelSection)
    data: TextDataConfig = nested(TextDataConfig)
    train: TrainConfig = nested(TrainConfig)
    masking: MaskingSection = nested(MaskingSection)
    eval: EvalSection = nested(EvalSection)

    def training_seed(self) -> int:
        return self.seed if self.train.seed is None else self.train.seed

    @classmethod
    def full(cls) -> BertNoteConfig:
        """BERT-Tiny's shape at character level (2 layers, width 128, 2 heads), 3000 steps of 32 windows."""
        return cls(
            train=TrainConfig(
                batch_size=32, max_steps=3000, warmup_steps=100, eval_interval=250, checkpoint_interval=500
            )
        )

    @classmethod
    def quick(cls) -> BertNoteConfig:
        """The same width and depth on windows of 32 characters, 1000 steps, no higher-rate model (about
        2 minutes of one core). Short windows get BERT past its early plateau (where it predicts
        character frequencies only) sooner."""
        return cls(
            model=ModelSection(block_size=32),
            train=TrainConfig(
                batch_size=32,
                max_steps=1000,
                warmup_steps=50,
                eval_interval=250,
                eval_batches=10,
                checkpoint_interval=250,
            ),
            masking=MaskingSection(compare_rate=0.0),
            eval=EvalSection(windows=3000),
        )

    @classmethod
    def tiny(cls) -> BertNoteConfig:
        return cls(
            model=ModelSection(n_layer=1, n_embd=32, block_size=16),
            train=TrainConfig(
                batch_size=8,
                max_steps=20,
                warmup_steps=2,
                eval_interval=10,
                eval_batches=2,
                checkpoint_interval=10,
            ),
            masking=MaskingSection(compare_rate=0.4),
            eval=EvalSection(windows=40, batch_size=20),
        )


# --- measurements ---------------------------------------------------------------------------------


def _probe(config: BertNoteConfig, data, mask_id: int, vocab_size: int, rate: float, seed_offset: int):
    """Held-out windows with ``rate`` of positions hidden behind [MASK] (all of them: a pure denoising
    probe, no random or unchanged tokens), as (inputs, labels) batches."""
    from ..data.masking import MaskedLMBatches

    probe = MaskedLMBatches(
        data,
        config.model.block_size,
        config.seed + seed_offset,
        mask_id=mask_id,
        vocab_size=vocab_size,
        rate=rate,
        mask_frac=1.0,
        random_frac=0.0,
    )
    n = config.eval.windows
    sizes = [min(config.eval.batch_size, n - i) for i in range(0, n, config.eval.batch_size)]
    return [probe.eval_batch("val", i, size) for i, size in enumerate(sizes)]


def hidden_accuracy(model, batches) -> tuple[float, list[list[int]]]:
    """Accuracy on hidden positions and, per batch, the (target, prediction, distance) triples."""
    import torch

    from ..nn.bert import IGNORE_INDEX

    correct = total = 0
    details = []
    with torch.no_grad():
        for inputs, labels in batches:
            logits, _ = model(inputs)
            hidden = labels != IGNORE_INDEX
            pred = logits.argmax(-1)
            correct += int((pred[hidden] == labels[hidden]).sum())
            total += int(hidden.sum())
            dist = distance_to_context(hidden)
            details.append(torch.stack([labels[hidden], pred[hidden], dist[hidden]], 1).tolist())
    return correct / max(total, 1), details


def distance_to_context(hidden):
    """(B, T) bool of hidden positions -> (B, T) distance to the nearest visible position (T+1 if none)."""
    import torch

    b, t = hidden.shape
    big = t + 1
    left = torch.full((b, t), big)
    right = torch.full((b, t), big)
    last = torch.full((b,), -big)
    for i in range(t):
        last = torch.where(~hidden[:, i], torch.full_like(last, i), last)
        left[:, i] = i - last
    nxt = torch.full((b,), 2 * big + t)
    for i in reversed(range(t)):
        nxt = torch.where(~hidden[:, i], torch.full_like(nxt, i), nxt)
        right[:, i] = nxt - i
    return torch.minimum(left, right).clamp(max=big)


def both_sides(bert, gpt, data, mask_id: int, config: BertNoteConfig) -> dict[str, float]:
    """Accuracy at one hidden position per held-out window, for three readers of the same text.

    Window w of length T, position p = T // 2: BERT sees w with w[p] hidden (both sides); BERT sees only
    w[:p] then [MASK] (left side); the GPT sees w[:p] and predicts the next character. Because all three
    read the same positions, they are compared pairwise (McNemar): ``z_a_vs_b`` = (a right and b wrong -
    b right and a wrong) / sqrt(their sum).
    """
    import torch

    from ..data.text import keyed_generator

    t = config.model.block_size
    p = t // 2
    stream = data.val
    starts = torch.randint(
        len(stream) - t, (config.eval.windows,), generator=keyed_generator(config.seed, "both")
    )
    windows = stream[starts[:, None] + torch.arange(t)]  # (N, T)
    target = windows[:, p]
    right = {"bert_both_sides": [], "bert_left_only": [], "gpt_left_only": []}
    with torch.no_grad():
        for chunk in torch.split(torch.arange(len(windows)), config.eval.batch_size):
            w, y = windows[chunk], target[chunk]
            both = w.clone()
            both[:, p] = mask_id
            left = torch.cat([w[:, :p], torch.full((len(w), 1), mask_id)], dim=1)
            right["bert_both_sides"].append(bert(both)[0][:, p].argmax(-1) == y)
            right["bert_left_only"].append(bert(left)[0][:, p].argmax(-1) == y)
            right["gpt_left_only"].append(gpt(w[:, :p])[0][:, -1].argmax(-1) == y)
    right = {name: torch.cat(hits) for name, hits in right.items()}
    out = {name: float(hits.float().mean()) for name, hits in right.items()}
    for a, b in (("bert_both_sides", "gpt_left_only"), ("bert_both_sides", "bert_left_only")):
        only_a = int((right[a] & ~right[b]).sum())
        only_b = int((right[b] & ~right[a]).sum())
        out[f"z_{a}_vs_{b}"] = (only_a - only_b) / max(only_a + only_b, 1) ** 0.5
    return out


def example_fills(bert, tokenizer, data, mask_id: int, config: BertNoteConfig, n: int = 6) -> str:
    """Held-out lines with every fourth character hidden, and what BERT puts there."""
    import torch

    from ..data.text import keyed_generator

    t = config.model.block_size
    starts = torch.randint(len(data.val) - t, (n,), generator=keyed_generator(config.seed, "fills"))
    out = []
    for s in starts.tolist():
        w = data.val[s : s + t].clone()
        hidden = torch.zeros(t, dtype=torch.bool)
        hidden[2::4] = True
        inputs = w.masked_fill(hidden, mask_id)
        with torch.no_grad():
            pred = bert(inputs[None])[0][0].argmax(-1)
        filled = torch.where(hidden, pred, w)
        shown = "".join("_" if h else tokenizer.decode([int(c)]) for c, h in zip(w, hidden))
        out.append(
            "input:    "
            + shown.replace("\n", "⏎")
            + "\n"
            + "BERT:     "
            + tokenizer.decode(filled.tolist()).replace("\n", "⏎")
            + "\n"
            + "original: "
            + tokenizer.decode(w.tolist()).replace("\n", "⏎")
            + "\n"
            + f"hidden characters right: {int((pred[hidden] == w[hidden]).sum())} of {int(hidden.sum())}\n"
        )
    return "\n".join(out)


# --- the note -------------------------------------------------------------------------------------


def run(config: BertNoteConfig, ctx) -> Findings:
    import torch

    from ..plotting import figure
    from ..runs import read_metrics

    models = {"bert": config.masking.rate, "gpt": None}
    if config.masking.compare_rate > 0:
        models[f"bert-{config.masking.compare_rate:g}"] = config.masking.compare_rate
    timings = {}
    for name, rate in models.items():

        def train_stage(name=name, rate=rate):
            out = ctx.run_dir / name
            if rate is None:
                # the GPT of the same shape, tokenizer, batches and budget: left side only
                result = train_gpt(config, out, note="bert", device=ctx.device, progress=ctx.progress).result
            else:
                result = train_bert(config, out, rate=rate, device=ctx.device, progress=ctx.progress).result
            if result.stopped_by:
                raise KeyboardInterrupt(
                    f"{name}: training stopped by {result.stopped_by} at step {result.step}"
                )
            return {"ms_per_step": result.ms_per_step, "steps": result.step, "threads": result.threads}

        timings[name] = ctx.stage(f"train-{name}", train_stage)

    bert, tokenizer, state = load_bert(ctx.run_dir / "bert")
    from ..train.language_model import load_gpt

    gpt = load_gpt(ctx.run_dir / "gpt")[0]
    from ..data.text import load_text_data

    _, _, data = load_text_data(config.data, config.model.block_size, tokenizer.to_json())
    mask_id, vocab = state["mask_id"], bert.config.vocab_size
    berts = {"bert": bert}
    for name in models:
        if name.startswith("bert-"):
            berts[name] = load_bert(ctx.run_dir / name)[0]

    def measure():
        counts = torch.bincount(data.train, minlength=tokenizer.vocab_size)
        top = int(counts.argmax())
        probe = _probe(config, data, mask_id, vocab, config.masking.rate, 1)
        targets = torch.cat([labels[labels >= 0] for _, labels in probe])
        result = {
            "trivial_accuracy": float((targets == top).float().mean()),
            "top_token": top,
            "hidden_accuracy": {},
            "rate_curve": {},
            "by_distance": {},
        }
        for name, model in berts.items():
            result["hidden_accuracy"][name] = hidden_accuracy(model, probe)[0]
            result["rate_curve"][name] = {
                f"{r:g}": hidden_accuracy(model, _probe(config, data, mask_id, vocab, r, 2))[0]
                for r in EVAL_RATES
            }
            _, details = hidden_accuracy(model, _probe(config, data, mask_id, vocab, DISTANCE_RATE, 3))
            rows = [row for batch in details for row in batch]
            by = {}
            for target, pred, dist in rows:
                hit, n = by.get(dist, (0, 0))
                by[dist] = (hit + (target == pred), n + 1)
            result["by_distance"][name] = {str(d): [h / n, n] for d, (h, n) in sorted(by.items())}
        result["both_sides"] = both_sides(bert, gpt, data, mask_id, config)
        result["fills"] = example_fills(bert, tokenizer, data, mask_id, config)
        return result

    m = ctx.stage("measure", measure)
    claims, figures = [], []
    trivial = m["trivial_accuracy"]
    acc = m["hidden_accuracy"]["bert"]

    # (a) denoising
    claims.append(
        judge(
            "denoises",
            CLAIMS["denoises"],
            acc >= max(2 * trivial, trivial + 0.2),
            {
                "hidden_accuracy": acc,
                "most_frequent_accuracy": trivial,
                "windows": config.eval.windows,
                "masking_rate": config.masking.rate,
            },
            f"on {config.eval.windows} held-out windows with {config.masking.rate:.0%} of the characters hidden "
            "behind [MASK]: accuracy at the hidden positions >= max(2 x, +0.2 over) the accuracy of always "
            "predicting the training split's most frequent character",
        )
    )

    # (b) both sides
    b = m["both_sides"]
    gap, drop = b["bert_both_sides"] - b["gpt_left_only"], b["bert_both_sides"] - b["bert_left_only"]
    z_gpt = b["z_bert_both_sides_vs_gpt_left_only"]
    z_left = b["z_bert_both_sides_vs_bert_left_only"]
    claims.append(
        judge(
            "both-sides",
            CLAIMS["both-sides"],
            z_gpt >= 3 and z_left >= 3 and drop >= 0.5 * gap,
            {
                "bert_both_sides": b["bert_both_sides"],
                "bert_left_only": b["bert_left_only"],
                "gpt_left_only": b["gpt_left_only"],
                "both_minus_gpt": gap,
                "both_minus_left": drop,
                "z_both_vs_gpt": z_gpt,
                "z_both_vs_left": z_left,
                "windows": config.eval.windows,
            },
            f"one hidden character per held-out window (the middle of {config.model.block_size}), the same "
            "positions for all three readers: BERT with both sides beats the GPT and beats itself shown the "
            "left side only, each by a paired (McNemar) z >= 3, and hiding the right side costs BERT at least "
            "half of its lead over the GPT",
        )
    )

    # (c) masking rate
    higher = [n for n in m["hidden_accuracy"] if n.startswith("bert-")]
    if not higher:
        claims.append(
            undecided(
                "mask-rate",
                CLAIMS["mask-rate"],
                "this preset trains no higher-rate model (masking.compare_rate=0); the full "
                "preset compares 15% with 40%",
                {"hidden_accuracy_standard": acc},
            )
        )
    else:
        other = m["hidden_accuracy"][higher[0]]
        diff = acc - other
        task = min(acc, other) - trivial
        better = f"{config.masking.rate:.0%}" if diff > 0 else f"{config.masking.compare_rate:.0%}"
        claims.append(
            judge(
                "mask-rate",
                CLAIMS["mask-rate"],
                abs(diff) <= 0.25 * task,
                {
                    "hidden_accuracy_standard": acc,
                    "hidden_accuracy_higher": other,
                    "difference": diff,
                    "task_gain_over_trivial": task,
                    "higher_rate": config.masking.compare_rate,
                },
                f"both models probed on the same held-out windows ({config.masking.rate:.0%} hidden): |accuracy "
                f"difference| <= 0.25 x the smaller gain over the trivial predictor; {better} masking was better "
                f"by {abs(diff):.3f}",
            )
        )

    # figures, from the logged metrics and the stage results
    with figure(ctx, "learning_curves.png", figures, size=(6.4, 4.2)) as (fig, ax):
        for name in models:
            rows = [
                r for r in read_metrics(ctx.run_dir / name / "metrics.jsonl") if r.get("val_loss") is not None
            ]
            label = (
                "GPT: next-character loss"
                if name == "gpt"
                else f"BERT {models[name]:.0%} masked: loss on chosen characters"
            )
            ax.plot([r["step"] for r in rows], [r["val_loss"] for r in rows], "o-", ms=3, label=label)
        ax.set_xlabel("optimizer step")
        ax.set_ylabel("validation cross-entropy (nats per predicted character)")
        ax.set_title("Training (same shape, batches and budget)")
        ax.legend(fontsize=7)
    with figure(ctx, "accuracy_vs_masking_rate.png", figures) as (fig, ax):
        for name, curve in m["rate_curve"].items():
            rates = sorted(curve, key=float)
            label = f"BERT trained at {models[name]:.0%}"
            ax.plot([100 * float(r) for r in rates], [curve[r] for r in rates], "o-", label=label)
        ax.axhline(trivial, color="k", ls=":", label="most frequent character")
        ax.set_xlabel("characters hidden at test time (%)")
        ax.set_ylabel("accuracy at hidden positions")
        ax.set_ylim(0, 1)
        ax.legend(fontsize=7)
    with figure(ctx, "accuracy_vs_distance.png", figures) as (fig, ax):
        for name, by in m["by_distance"].items():
            ds = [d for d in sorted(by, key=int) if by[d][1] >= 20]
            ax.plot(
                [int(d) for d in ds],
                [by[d][0] for d in ds],
                "o-",
                label=f"BERT trained at {models[name]:.0%}",
            )
        ax.axhline(trivial, color="k", ls=":", label="most frequent character")
        ax.set_xlabel(f"distance to the nearest visible character ({DISTANCE_RATE:.0%} hidden)")
        ax.set_ylabel("accuracy at hidden positions")
        ax.set_ylim(0, 1)
        ax.legend(fontsize=7)
    with figure(ctx, "both_sides.png", figures) as (fig, ax):
        names = ["bert_both_sides", "bert_left_only", "gpt_left_only"]
        ax.bar(
            ["BERT\nboth sides", "BERT\nleft only", "GPT\nleft only"],
            [b[n] for n in names],
            color=["tab:blue", "tab:cyan", "tab:orange"],
        )
        ax.axhline(trivial, color="k", ls=":", label="most frequent character")
        ax.set_ylabel("accuracy at the hidden middle character")
        ax.set_ylim(0, 1)
        ax.legend(fontsize=7)
    path, rel = ctx.figure("fills.txt")
    path.write_text(
        "Example fills: every fourth character of held-out text hidden (_), filled by BERT\n"
        + "=" * 72
        + "\n"
        + m["fills"],
        encoding="utf-8",
    )
    figures.append(rel)

    metrics = {
        "hidden_accuracy": acc,
        "most_frequent_accuracy": trivial,
        **{k: v for k, v in b.items() if not k.startswith("z_")},
        "parameters": bert.num_params(),
        "vocab_size": vocab,
        "bert_ms_per_step": timings["bert"]["ms_per_step"],
        "gpt_ms_per_step": timings["gpt"]["ms_per_step"],
    }
    for name in higher:
        metrics[f"hidden_accuracy_{name}"] = m["hidden_accuracy"][name]
    return Findings(claims=claims, metrics=metrics, figures=figures)


NOTE = Note(
    slug="bert",
    title="BERT: a masked language model as a denoising auto-encoder",
    claims=CLAIMS,
    config_cls=BertNoteConfig,
    run=run,
    summary=(
        "GPT predicts the next token from the left; BERT hides some tokens and predicts them from both "
        "sides, a denoising auto-encoder. A character-level BERT (BERT-Tiny's shape) and a GPT of the "
        "same size and budget are trained on Shakespeare; on held-out text the note measures how often "
        "hidden characters are recovered against the most frequent character, the three-way contrast "
        "both sides / BERT left only / GPT on the same positions, and what a much higher masking rate "
        "changes."
    ),
    links=("gpt", "transformers"),
    quick_decides=("denoises", "both-sides"),
    packages=("tokenizers", "safetensors"),
    train=train_bert,
)
