CALLS = {"stage": 0}


def measure(cfg, ctx) -> dict:
    def work():
        CALLS["stage"] += 1
        for step in range(cfg.steps):
            ctx.log(step, train_loss=1.0 / (step + 1))
        return {"value": cfg.steps * 2}

    return ctx.stage("work", work)


def metrics(cfg, results) -> dict:
    return {"value": results["value"]}
