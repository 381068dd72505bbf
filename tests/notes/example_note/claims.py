from nngarden.findings import Outcome


def slope(results, t, cfg) -> Outcome:
    errors = [abs(f["slope"] - cfg.slope) for f in results["fits"]]
    return Outcome(
        max(errors) < t.max_error,
        {"max_slope_error": max(errors), "n_seeds": len(errors)},
        {"seeds": len(errors)},
    )


def many_seeds(results, t, cfg) -> Outcome:
    return Outcome(len(results["fits"]) >= t.min_seeds, {"n_seeds": len(results["fits"])})


JUDGES = {"slope": slope, "many-seeds": many_seeds}
