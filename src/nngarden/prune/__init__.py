"""Pruning: scores, exact-size masks that survive training, schedules, structured pruning, metrics.

Typical use::

    from nngarden.prune import prune_model, compression_ratio
    prune_model(model, compression=8, score="magnitude", ranking="layer")
    ...fine-tune; masks stay applied...
    compression_ratio(model)  # ~8.0
"""

from .io import load_pruned, save_pruned
from .masks import (
    RANKINGS,
    apply_mask,
    effective_weight,
    is_masked,
    keep_budget,
    lamp_transform,
    make_permanent,
    masks_from_scores,
    prunable_layers,
)
from .metrics import (
    compression_ratio,
    count_nonzero,
    count_params,
    fitted_overhead,
    interleaved_latencies,
    layer_densities,
    measure_latency,
    measured_speedups,
    multiply_adds,
)
from .schedules import geometric_ratios, iterative, lottery_rewind, one_shot, rewind_weights
from .scores import SCORES, compute_scores, gradient_scores, magnitude_scores, random_scores
from .structured import (
    choose_gpt_units,
    mask_gpt_units,
    shrink_cnn,
    shrink_gpt,
    shrink_mlp,
    widths_for_compression,
)
from .unstructured import prune_model

__all__ = [
    "RANKINGS",
    "SCORES",
    "apply_mask",
    "choose_gpt_units",
    "compression_ratio",
    "compute_scores",
    "count_nonzero",
    "count_params",
    "effective_weight",
    "geometric_ratios",
    "gradient_scores",
    "is_masked",
    "iterative",
    "keep_budget",
    "lamp_transform",
    "layer_densities",
    "load_pruned",
    "lottery_rewind",
    "magnitude_scores",
    "make_permanent",
    "mask_gpt_units",
    "masks_from_scores",
    "fitted_overhead",
    "interleaved_latencies",
    "measure_latency",
    "measured_speedups",
    "multiply_adds",
    "one_shot",
    "prunable_layers",
    "prune_model",
    "random_scores",
    "rewind_weights",
    "save_pruned",
    "shrink_cnn",
    "shrink_gpt",
    "shrink_mlp",
    "widths_for_compression",
]
