"""Hutto and Gilbert's (2014) sentiment ground truth: 23,703 sentences, each rated by 20 people.

The VADER paper ("VADER: A Parsimonious Rule-based Model for Sentiment Analysis of Social Media Text",
ICWSM 2014) collected a mean rating in [-4, 4] for sentences from four sources: tweets (4,200), movie
review snippets (10,605; from the sentence polarity data of Pang and Lee), Amazon review snippets
(3,708) and New York Times editorial snippets (5,190). The files travel inside the vadersentiment 3.3.2
source distribution; ``nngarden data fetch`` keeps their archive, ``hutto_ICWSM_2014.tar.gz``, in the data
cache, and this module reads it in place (no extraction to disk).

Labels are the sign of the mean rating; a mean of exactly zero has no sign, so those sentences are
dropped from anything labelled (:func:`labelled`). Folds are fixed by sentence id (a hash of source and
id), so a sentence's fold does not depend on file order or on which other sentences are present.
"""

from __future__ import annotations

import hashlib
import tarfile
from dataclasses import dataclass
from pathlib import Path

ARCHIVE = "hutto_ICWSM_2014.tar.gz"
FOLDER = "hutto_ICWSM_2014"
SOURCES = {  # source name -> ground-truth file inside the archive
    "tweets": "tweets_GroundTruth.txt",
    "movies": "movieReviewSnippets_GroundTruth.txt",
    "amazon": "amazonReviewSnippets_GroundTruth.txt",
    "nyt": "nytEditorialSnippets_GroundTruth.txt",
}


@dataclass(frozen=True)
class Sentence:
    source: str
    id: str
    rating: float  # mean human rating in [-4, 4]
    text: str

    @property
    def label(self) -> int:
        """1 positive, 0 negative (only for a non-zero rating)."""
        if self.rating == 0:
            raise ValueError(f"{self.source}/{self.id} has a mean rating of exactly 0: no sign")
        return int(self.rating > 0)

    def fold(self, k: int) -> int:
        """This sentence's fold among ``k``, fixed by its source and id."""
        digest = hashlib.sha256(f"{self.source}/{self.id}".encode()).digest()
        return int.from_bytes(digest[:8], "big") % k


def archive_path(folder: Path | None = None) -> Path:
    """The archive in ``folder``, else in the data cache (raises ``DataMissing`` naming the fetch command)."""
    if folder is None:
        from .fetch import require

        folder = require("vader")
    return Path(folder) / ARCHIVE


def parse_ground_truth(text: str, source: str) -> list[Sentence]:
    """Rows ``ID<TAB>MEAN<TAB>TEXT`` (CRLF line ends in the original files)."""
    sentences = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 3:
            raise ValueError(f"{source} line {number}: expected ID, rating and text separated by tabs")
        sentences.append(Sentence(source, parts[0].strip(), float(parts[1]), parts[2].strip()))
    return sentences


def load_ratings(folder: Path | None = None, sources: tuple[str, ...] = tuple(SOURCES)) -> list[Sentence]:
    """Every sentence of ``sources``, read from the archive without extracting it."""
    unknown = sorted(set(sources) - set(SOURCES))
    if unknown:
        raise ValueError(f"unknown source {unknown[0]!r}; allowed: {', '.join(SOURCES)}")
    sentences: list[Sentence] = []
    with tarfile.open(archive_path(folder), "r:gz") as tar:
        for source in sources:
            handle = tar.extractfile(f"{FOLDER}/{SOURCES[source]}")
            if handle is None:
                raise ValueError(f"{SOURCES[source]} is not a file in {ARCHIVE}")
            sentences += parse_ground_truth(handle.read().decode("utf-8"), source)
    return sentences


def labelled(sentences: list[Sentence]) -> tuple[list[Sentence], int]:
    """(the sentences with a non-zero mean rating, how many were dropped for a mean of exactly 0)."""
    kept = [s for s in sentences if s.rating != 0]
    return kept, len(sentences) - len(kept)
