from dataclasses import dataclass

from nngarden.config import option
from nngarden.notes.base import NoteConfig


@dataclass
class ExampleConfig(NoteConfig):
    steps: int = option(200, "gradient steps", low=1)
    seeds: int = option(3, "independent fits", low=1)
    slope: float = option(2.0, "the true slope")

    @classmethod
    def tiny(cls):
        return cls(steps=100, seeds=1)

    @classmethod
    def quick(cls):
        return cls()

    @classmethod
    def full(cls):
        return cls(seeds=5)
