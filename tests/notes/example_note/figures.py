from nngarden.plotting import figure


def draw(cfg, results, ctx) -> list[str]:
    figures: list[str] = []
    with figure(ctx, "slopes.png", figures) as (fig, ax):
        ax.bar(range(len(results["fits"])), [f["slope"] for f in results["fits"]])
        ax.axhline(cfg.slope, color="k", ls="--", label="true slope")
        ax.set(xlabel="seed", ylabel="fitted slope")
        ax.legend()
    return figures
