"""Training throughput and peak memory: nngarden's GPT against HF transformers' GPT2LMHeadModel.

Both models get identical dimensions (default: nanoGPT's CPU "baby" shape, 4 layers, 4 heads, width
128, block 64, batch 12, vocab 65), the same optimizer (fused AdamW unless ``--optimizer default``),
the same loss (cross-entropy on the logits, computed outside the model for both), the same gradient
clipping, and the same random batches. They run in one process with interleaved repeats (ours, HF,
ours, HF, ...) so that a noisy shared machine hits both alike, at a fixed thread count. Each step is
timed with process CPU time (robust when other processes share the cores) and wall time.

Peak memory is measured in a fresh child process per model, so the two models' allocations do not
mix: after two warm-up steps the peak-RSS mark is reset, and the high-water mark of the resident set
over the next steps minus the resident set between steps is what one training step needs at its
peak (activations, gradients, temporaries).

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/gpt_train.py [--compile] [--compile-hf] [--profile]

GFLOP/s are 6 x parameters x tokens per step / seconds per step (the usual training estimate; it
leaves out attention's T^2 term). The reference peak is one Zen 3 core: 2 FMA x 8 lanes x 2 x 2.45 GHz.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

PEAK_GFLOPS_ONE_CORE = 78.4


def build_ours(args):
    from nngarden.nn.gpt import GPT, GPTConfig

    cfg = GPTConfig(
        vocab_size=args.vocab,
        block_size=args.block,
        n_layer=args.n_layer,
        n_head=args.n_head,
        n_embd=args.n_embd,
        dropout=0.0,
        bias=True,
    )
    return GPT(cfg)


def build_hf(args):
    from transformers import GPT2Config, GPT2LMHeadModel

    cfg = GPT2Config(
        vocab_size=args.vocab,
        n_positions=args.block,
        n_embd=args.n_embd,
        n_layer=args.n_layer,
        n_head=args.n_head,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        use_cache=False,
        activation_function=args.hf_activation,
    )
    return GPT2LMHeadModel(cfg)


def loss_fn(name: str, model):
    """A callable (idx, targets) -> mean cross-entropy for either model (the same loss for both).

    nngarden's GPT computes it through its public API, ``model(idx, targets)``; HF's logits go through
    the same ``F.cross_entropy`` (HF's own ``labels=`` path would shift and copy the labels first).
    """
    if name.startswith("hf"):

        def hf_loss(idx, targets):
            logits = model(input_ids=idx, use_cache=False).logits
            return F.cross_entropy(logits.reshape(-1, logits.size(-1)), targets.reshape(-1))

        return hf_loss
    return lambda idx, targets: model(idx, targets)[1]


def make_optimizer(model, kind: str):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=1e-3, betas=(0.9, 0.99), fused=(kind == "fused") or None)


def make_batches(args, n: int = 8):
    g = torch.Generator().manual_seed(0)
    return [
        (
            torch.randint(args.vocab, (args.batch, args.block), generator=g),
            torch.randint(args.vocab, (args.batch, args.block), generator=g),
        )
        for _ in range(n)
    ]


def train_step(forward, model, optimizer, x, y) -> float:
    """One step of the baby recipe: forward and cross-entropy, backward, clip at 1.0, AdamW."""
    loss = forward(x, y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0, foreach=True)  # one multi-tensor norm
    optimizer.step()
    return loss.item()


def setup(name: str, args):
    """``name``: ours, hf, ours+compile or hf+compile -> (model, loss callable, optimizer)."""
    torch.manual_seed(0)
    model = (build_hf if name.startswith("hf") else build_ours)(args)
    model.train()
    forward = loss_fn(name, model)
    if name.endswith("+compile"):
        # inductor on CPU: fuses the pointwise ops (bias + GELU, residual adds), LayerNorm and the loss
        forward = torch.compile(forward, options=json.loads(args.inductor_options) or None)
    return model, forward, make_optimizer(model, args.optimizer)


def n_params(model) -> int:
    seen, total = set(), 0
    for p in model.parameters():
        if id(p) not in seen:
            seen.add(id(p))
            total += p.numel()
    return total


def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"/proc/self/status has no {field}")


def measure_memory(name: str, args) -> dict:
    """In this (fresh) process: peak resident memory while training ``name``, above its steady state.

    Two warm-up steps first (they allocate optimizer state and libraries' one-off workspaces), then
    the peak-RSS mark is reset (Linux ``clear_refs`` 5) and the next steps' high-water mark is read.
    """
    model, forward, opt = setup(name, args)
    batches = make_batches(args, 2)
    for i in range(2):
        train_step(forward, model, opt, *batches[i % len(batches)])
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")
    base = _status_kb("VmRSS")
    for i in range(args.memory_steps):
        train_step(forward, model, opt, *batches[i % len(batches)])
    peak = _status_kb("VmHWM")
    return {"base_mb": base / 1024, "peak_mb": peak / 1024, "training_mb": (peak - base) / 1024}


def memory_in_child(name: str, argv: list[str]) -> dict | None:
    cmd = [sys.executable, os.path.abspath(__file__), *argv, "--memory-only", name]
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "OMP_NUM_THREADS": "1"})
    if out.returncode != 0:
        print(f"memory measurement of {name} failed: {out.stderr.strip().splitlines()[-1:]}")
        return None
    return json.loads(out.stdout.strip().splitlines()[-1])


def profile(name: str, args, steps: int = 10) -> None:
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    model, forward, opt = setup(name, args)
    batches = make_batches(args)
    for i in range(3):
        train_step(forward, model, opt, *batches[i % len(batches)])
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        for i in range(steps):
            train_step(forward, model, opt, *batches[i % len(batches)])
    print(f"\n--- profile of {name} ({steps} steps) ---")
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))


def parse(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--n-layer", type=int, default=4)
    p.add_argument("--n-head", type=int, default=4)
    p.add_argument("--n-embd", type=int, default=128)
    p.add_argument("--block", type=int, default=64)
    p.add_argument("--batch", type=int, default=12)
    p.add_argument("--vocab", type=int, default=65)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--steps", type=int, default=20, help="timed steps per model per repeat")
    p.add_argument("--repeats", type=int, default=5, help="interleaved repeats (ours, hf, ours, hf, ...)")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--optimizer", choices=("fused", "default"), default="fused")
    p.add_argument(
        "--compile",
        action="store_true",
        help="also time nngarden's model under torch.compile (inductor on CPU; needs a C++ compiler)",
    )
    p.add_argument("--compile-hf", action="store_true", help="also time the HF model under torch.compile")
    p.add_argument(
        "--inductor-options",
        default="{}",
        help="JSON options for torch.compile, e.g. '{\"cpp_wrapper\": true}'",
    )
    p.add_argument(
        "--hf-activation",
        default="gelu_new",
        help="HF GPT2Config.activation_function (gelu_new is GPT-2's and HF's default)",
    )
    p.add_argument("--profile", action="store_true", help="print a torch.profiler table for both models")
    p.add_argument("--no-memory", action="store_true", help="skip the child-process memory measurement")
    p.add_argument("--memory-steps", type=int, default=5)
    p.add_argument(
        "--memory-only", choices=("ours", "hf", "ours+compile", "hf+compile"), help=argparse.SUPPRESS
    )
    return p.parse_args(argv)


def main(argv=None) -> dict:
    argv = sys.argv[1:] if argv is None else argv
    args = parse(argv)
    torch.set_num_threads(args.threads)
    if args.memory_only:
        print(json.dumps(measure_memory(args.memory_only, args)))
        return {}
    load0 = os.getloadavg()
    names = (
        ["ours"]
        + (["ours+compile"] if args.compile else [])
        + ["hf"]
        + (["hf+compile"] if args.compile_hf else [])
    )
    runs = {name: setup(name, args) for name in names}
    batches = make_batches(args)
    params = {name: n_params(runs[name][0]) for name in names}
    tokens = args.batch * args.block
    for name in names:  # warm-up (and compilation) outside the timings
        model, forward, opt = runs[name]
        for i in range(args.warmup):
            train_step(forward, model, opt, *batches[i % len(batches)])
    cpu = {n: [] for n in names}
    wall = {n: [] for n in names}
    for _ in range(args.repeats):
        for name in names:
            model, forward, opt = runs[name]
            for i in range(args.steps):
                x, y = batches[i % len(batches)]
                w0, c0 = time.perf_counter(), time.process_time()
                train_step(forward, model, opt, x, y)
                cpu[name].append(time.process_time() - c0)
                wall[name].append(time.perf_counter() - w0)
    load1 = os.getloadavg()

    def med(xs):
        return statistics.median(xs)

    print(
        f"shape: {args.n_layer} layers, {args.n_head} heads, width {args.n_embd}, block {args.block}, "
        f"batch {args.batch}, vocab {args.vocab}; optimizer AdamW ({args.optimizer}); "
        f"HF activation {args.hf_activation}"
    )
    print(
        f"threads: {torch.get_num_threads()}; load average before {load0[0]:.2f} {load0[1]:.2f} "
        f"{load0[2]:.2f}, after {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}; cores {os.cpu_count()}"
    )
    print(
        f"parameters: ours {params['ours']:,}, hf {params['hf']:,}; "
        f"{args.repeats} x {args.steps} steps each, "
        f"interleaved; medians of per-step times"
    )
    out = {}
    print(
        f"{'model':13} {'cpu ms/step':>12} {'wall ms/step':>13} {'tokens/s (cpu)':>15} "
        f"{'GFLOP/s (cpu)':>14} {'% of 1-core peak':>17}"
    )
    for name in names:
        c, w = med(cpu[name]), med(wall[name])
        gflops = 6 * params[name] * tokens / c / 1e9
        out[name] = {"cpu_ms": 1e3 * c, "wall_ms": 1e3 * w, "tokens_per_s": tokens / c, "gflops": gflops}
        print(
            f"{name:13} {1e3 * c:12.1f} {1e3 * w:13.1f} {tokens / c:15.0f} {gflops:14.1f} "
            f"{100 * gflops / PEAK_GFLOPS_ONE_CORE:16.1f}%"
        )
    for name in names:
        if name == "hf":
            continue
        ratio_cpu = med(cpu["hf"]) / med(cpu[name])
        ratio_wall = med(wall["hf"]) / med(wall[name])
        # the ratio within each repeat shows how much the noise of a shared machine moves it
        per_rep = [
            med(cpu["hf"][r * args.steps : (r + 1) * args.steps])
            / med(cpu[name][r * args.steps : (r + 1) * args.steps])
            for r in range(args.repeats)
        ]
        print(
            f"speed-up {name} / hf: {ratio_cpu:.2f}x on CPU time (per repeat {min(per_rep):.2f}-"
            f"{max(per_rep):.2f}), {ratio_wall:.2f}x on wall time"
        )
        out[name].update(ratio_cpu=ratio_cpu, ratio_wall=ratio_wall)
    out["load"] = [load0, load1]
    if not args.no_memory:
        child_argv = [a for a in argv if a not in ("--profile", "--compile", "--compile-hf")]
        for name in ("ours", "hf"):  # eager only: a child that compiles would take minutes
            mem = memory_in_child(name, child_argv)
            if mem:
                out[name].update(mem)
                print(
                    f"peak memory {name}: {mem['training_mb']:.1f} MB above the resident set between steps "
                    f"(resident peak {mem['peak_mb']:.0f} MB)"
                )
    if args.profile:
        for name in names:
            profile(name, args)
    return out


if __name__ == "__main__":
    main()
