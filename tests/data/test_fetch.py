"""``nngarden data fetch``: pinned hashes, idempotent, atomic, and a clear line when data is absent."""

import hashlib
import io
import tarfile
import zipfile

import pytest

from nngarden.data import fetch as fetch_module
from nngarden.data.fetch import ASSETS, Asset, DataMissing, data_dir, fetch_asset, require

PAYLOAD = b"sentence\trating\n1\t2.5\n"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tar(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _asset(archive_bytes: bytes, member="pkg-1.0/data.txt", payload=PAYLOAD, source=True) -> Asset:
    return Asset(
        name="toy",
        requirement="toy==1.0",
        archive="toy-1.0.tar.gz",
        archive_sha256=_digest(archive_bytes),
        files=((member, "data.txt", _digest(payload)),),
        source=source,
        what="a toy",
    )


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NNGARDEN_DATA", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _downloader(archive_bytes: bytes, calls: list):
    def download(asset, into):
        calls.append(asset.requirement)
        path = into / asset.archive
        path.write_bytes(archive_bytes)
        return path

    return download


def test_the_cache_folder_follows_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("NNGARDEN_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "xdg" / "nngarden"
    monkeypatch.setenv("NNGARDEN_DATA", str(tmp_path / "explicit"))
    assert data_dir() == tmp_path / "explicit"


def test_fetch_verifies_keeps_the_pinned_files_and_is_idempotent(cache, monkeypatch):
    archive = _tar({"pkg-1.0/data.txt": PAYLOAD, "pkg-1.0/other.txt": b"unused"})
    asset, calls = _asset(archive), []
    monkeypatch.setitem(ASSETS, "toy", asset)
    folder = fetch_asset(asset, _downloader(archive, calls), say=lambda line: None)
    assert (folder / "data.txt").read_bytes() == PAYLOAD and sorted(p.name for p in folder.iterdir()) == [
        "data.txt"
    ]
    fetch_asset(asset, _downloader(archive, calls), say=lambda line: None)
    assert calls == ["toy==1.0"]  # the second call found it present
    assert require("toy") == folder
    assert [p.name for p in cache.iterdir()] == ["toy"]  # no temporary folder left


def test_a_wrong_archive_or_member_hash_is_refused_and_nothing_is_kept(cache):
    archive = _tar({"pkg-1.0/data.txt": PAYLOAD})
    tampered = _tar({"pkg-1.0/data.txt": b"tampered"})
    with pytest.raises(RuntimeError, match="does not match its pinned SHA-256"):
        fetch_asset(_asset(archive), _downloader(tampered, []), say=lambda line: None)
    honest_archive_bad_member = _asset(archive, payload=b"what the pin expected")
    with pytest.raises(RuntimeError, match="data.txt in toy-1.0.tar.gz does not match"):
        fetch_asset(honest_archive_bad_member, _downloader(archive, []), say=lambda line: None)
    assert not (cache / "toy").exists()


def test_a_wheel_member_is_read_from_the_zip(cache):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as wheel:
        wheel.writestr("toy/model/data.txt", PAYLOAD)
    archive = buffer.getvalue()
    folder = fetch_asset(
        _asset(archive, member="toy/model/data.txt", source=False),
        _downloader(archive, []),
        say=lambda line: None,
    )
    assert (folder / "data.txt").read_bytes() == PAYLOAD


def test_require_names_the_command_when_data_is_absent_or_altered(cache, monkeypatch):
    archive = _tar({"pkg-1.0/data.txt": PAYLOAD})
    monkeypatch.setitem(ASSETS, "toy", _asset(archive))
    with pytest.raises(DataMissing, match="run `nngarden data fetch`"):
        require("toy")
    folder = fetch_asset(ASSETS["toy"], _downloader(archive, []), say=lambda line: None)
    (folder / "data.txt").write_bytes(b"edited")
    with pytest.raises(DataMissing, match="does not match its pinned SHA-256"):
        require("toy")


def test_archive_paths_outside_the_archive_are_refused(tmp_path):
    with pytest.raises(ValueError, match="outside the archive"):
        fetch_module._read_member(tmp_path / "x.tar.gz", "../etc/passwd", True)
