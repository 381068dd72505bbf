def draw(cfg, results, ctx) -> list[str]:
    return []
