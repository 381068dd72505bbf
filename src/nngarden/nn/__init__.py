"""Building blocks: one concept per file, no training logic."""


def count_parameters(model) -> int:
    """Number of parameters of a ``torch.nn.Module``, each tensor once: weights tied between layers (an
    embedding shared with the output layer) count once, a pruning mask's ``weight_orig`` at full size."""
    return sum(p.numel() for p in model.parameters())
