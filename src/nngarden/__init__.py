"""nngarden: a researcher's notebook on neural networks as a library and a garden of measured notes."""

__version__ = "0.1.0"
