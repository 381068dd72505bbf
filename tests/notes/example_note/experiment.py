import torch

from nngarden.train.fit import fit


def fit_line(cfg, seed: int, ctx) -> dict:
    torch.manual_seed(seed)
    model = torch.nn.Linear(1, 1)

    def batches(step):
        x = torch.linspace(-1, 1, 32).unsqueeze(1)
        return x, cfg.slope * x

    result = fit(
        model,
        lambda m, b: torch.nn.functional.mse_loss(m(b[0]), b[1]),
        batches,
        lambda p: torch.optim.SGD(p, lr=0.5),
        steps=cfg.steps,
        device=ctx.device,
        log=ctx.log,
        tag=f"seed{seed}",
    )
    return {"slope": float(model.weight.item()), "train_cpu_seconds": result.train_cpu_seconds}


def measure(cfg, ctx) -> dict:
    fits = [
        ctx.stage(f"fit-seed{cfg.seed + s}", lambda s=s: fit_line(cfg, cfg.seed + s, ctx))
        for s in range(cfg.seeds)
    ]
    return {"fits": fits}


def metrics(cfg, results) -> dict:
    return {"mean_slope": sum(f["slope"] for f in results["fits"]) / len(results["fits"])}
