"""A small archive in the real layout (``hutto_ICWSM_2014/<source>_GroundTruth.txt``, tab-separated, CRLF
line ends, inside ``hutto_ICWSM_2014.tar.gz``) put in a data cache of its own, with the asset's pinned
hash swapped for the made archive's, so that ``require("vader")`` verifies it as it would the real one."""

import dataclasses
import hashlib
import io
import random
import tarfile

import pytest

from nngarden.data import fetch
from nngarden.data.sentiment import ARCHIVE, FOLDER, SOURCES

POSITIVE = ("good", "great", "wonderful", "love", "excellent", "happy", "fun", "brilliant")
NEGATIVE = ("bad", "awful", "terrible", "hate", "boring", "sad", "dull", "horrible")
FILLER = ("the", "movie", "plot", "actor", "scene", "was", "is", "really", "quite", "this", "story")


def ground_truth(source: str, n: int, seed: int) -> str:
    """``n`` rows ``ID<TAB>MEAN<TAB>TEXT`` whose sign follows their words; row 3 is rated exactly 0."""
    rng = random.Random(f"{source}/{seed}")
    rows = []
    for i in range(n):
        positive = rng.random() < 0.5
        words = [rng.choice(FILLER) for _ in range(rng.randint(3, 9))]
        words.insert(rng.randint(0, len(words)), rng.choice(POSITIVE if positive else NEGATIVE))
        rating = 0.0 if i == 3 else round((1 if positive else -1) * rng.uniform(0.1, 3.5), 4)
        text = " ".join(words).capitalize() + rng.choice((".", "!", "?"))
        sid = f"{i // 10 + 1}_{i % 10 + 1}" if source in ("amazon", "nyt") else str(i + 1)
        rows.append(f"{sid}\t{rating}\t{text}")
    return "\r\n".join(rows) + "\r\n"


def make_archive(per_source: int = 60, seed: int = 0) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for source, filename in SOURCES.items():
            data = ground_truth(source, per_source, seed).encode("utf-8")
            info = tarfile.TarInfo(f"{FOLDER}/{filename}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def fake_vader(tmp_path, monkeypatch):
    """A data cache holding the made archive as the ``vader`` asset; returns the cache folder."""
    from nngarden.notes.feature_engineering import experiment

    archive = make_archive()
    cache = tmp_path / "cache"
    (cache / "vader").mkdir(parents=True)
    (cache / "vader" / ARCHIVE).write_bytes(archive)
    monkeypatch.setenv("NNGARDEN_DATA", str(cache))
    asset = fetch.ASSETS["vader"]
    member, kept, _ = asset.files[0]
    pinned = dataclasses.replace(asset, files=((member, kept, hashlib.sha256(archive).hexdigest()),))
    monkeypatch.setitem(fetch.ASSETS, "vader", pinned)
    experiment.load_corpus.cache_clear()
    yield cache
    experiment.load_corpus.cache_clear()


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    from nngarden.notes.feature_engineering import experiment

    monkeypatch.setenv("NNGARDEN_DATA", str(tmp_path / "empty"))
    (tmp_path / "empty").mkdir()
    experiment.load_corpus.cache_clear()
    yield tmp_path / "empty"
    experiment.load_corpus.cache_clear()
