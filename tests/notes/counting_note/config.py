from dataclasses import dataclass

from nngarden.config import option
from nngarden.notes.base import NoteConfig


@dataclass
class CountingConfig(NoteConfig):
    steps: int = option(3, "steps", low=1)

    @classmethod
    def tiny(cls):
        return cls(steps=2)

    quick = tiny
    full = tiny
