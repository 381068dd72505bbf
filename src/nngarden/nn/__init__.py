"""Building blocks: one concept per file, no training logic."""
