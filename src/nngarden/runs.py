"""Run directories: layout, resumable stages, metrics log, provenance, and running a note.

A run directory holds ``config.json``, ``metrics.jsonl``, ``findings.json``, ``figures/``,
``checkpoints/`` and ``stages/``. A run is finished when ``findings.json`` exists; running again on
an unfinished directory reuses every finished stage (``RunContext.stage``) and redoes nothing
finished unless ``force``.

One process writes a run directory at a time: every command that writes one (``run``, ``train``,
``rejudge``, ``export``) holds :func:`lock_run_dir` while it does, and a second is refused with
:class:`RunDirInUse` naming the process that holds it.
"""

from __future__ import annotations

import datetime as _dt
import importlib.metadata
import json
import math
import os
import platform
import random
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .config import Config, ConfigError, Failure
from .findings import Findings, validate_findings

PRESETS = ("tiny", "quick", "full")


def atomic_write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never a torn one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


# --- one writer per run directory -------------------------------------------------------------------

LOCK_FILE = ".nngarden.lock"


class RunDirInUse(Failure):
    """Another process holds the run directory (it is training, running or rejudging into it)."""


_held: dict[Path, int] = {}  # run directories this process holds -> nesting depth


@contextmanager
def lock_run_dir(run_dir: Path, command: str) -> Iterator[Path]:
    """Hold ``run_dir`` (created if missing) for this process while the block runs; yield its path.

    Every command that writes a run directory takes this lock, so two of them never write the same
    ``metrics.jsonl`` or race over a checkpoint: the second raises :class:`RunDirInUse` (one line,
    exit 1) naming the process that holds it. The lock is an ``flock`` on ``run_dir/.nngarden.lock``,
    which holds the holder's PID, host and ``command`` for that message. The kernel releases an flock
    when its process dies, however it dies, so a lock file left by a killed process is simply taken
    over. Taking the lock again inside the block (the same process) is allowed.
    """
    import fcntl

    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    key = run_dir.resolve()
    if key in _held:
        _held[key] += 1
        try:
            yield run_dir
        finally:
            _held[key] -= 1
        return
    path = run_dir / LOCK_FILE
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _lock_holder(os.pread(fd, 4096, 0))
            os.close(fd)
            raise RunDirInUse(
                f"run directory {run_dir} is in use by {holder}; wait for it to end or use another "
                "output folder"
            ) from None
        except OSError as err:
            os.close(fd)
            raise Failure(f"run directory {run_dir} cannot be locked ({err.strerror})") from None
        try:  # a holder that ended between our open and our lock removed the file: lock the new one
            if os.fstat(fd).st_ino == os.stat(path).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    record = {"pid": os.getpid(), "host": socket.gethostname(), "command": command, "since": _now()}
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(record) + "\n").encode(), 0)
    _held[key] = 1
    try:
        yield run_dir
    finally:
        del _held[key]
        try:
            os.unlink(path)  # still holding the lock: a newcomer sees the file gone and retries
        except OSError:
            pass
        os.close(fd)


def _now() -> str:
    return _dt.datetime.now().astimezone().isoformat(timespec="seconds")


def _lock_holder(raw: bytes) -> str:
    """'process 1234 (nngarden train gpt, since ...)' from a lock file's record."""
    try:
        record = json.loads(raw.decode())
        pid = int(record["pid"])
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        return "another process (its lock file names none yet)"
    host = record.get("host")
    where = f" on {host}" if host and host != socket.gethostname() else ""
    return f"process {pid}{where} (nngarden {record.get('command', '?')}, since {record.get('since', '?')})"


def set_threads(threads: int) -> int:
    """Set torch's intra-op thread count explicitly (one busy thread is fastest on a small box)."""
    import torch

    torch.set_num_threads(threads)
    return torch.get_num_threads()


def resolve_device(name: str) -> str:
    """``auto`` picks CUDA, then MPS, then CPU; an explicit device that is absent is an error."""
    import torch

    if name == "auto":
        if torch.cuda.is_available():
            return "cuda"
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return "mps"
        return "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device: cuda was asked for but torch sees no CUDA device; allowed: auto, cpu")
    if name == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ConfigError("device: mps was asked for but is not available; allowed: auto, cpu")
    if name not in ("cpu", "cuda", "mps"):
        raise ConfigError(f"device: got {name!r}, allowed: auto, cpu, cuda, mps")
    return name


def seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def git_commit() -> str:
    here = Path(__file__).resolve().parent
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5
        )
        if out.returncode == 0:
            dirty = subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=here,
                capture_output=True,
                text=True,
                timeout=5,
            ).stdout.strip()
            return out.stdout.strip() + ("+dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return "unknown"


def package_versions(extra: tuple[str, ...] = ()) -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for pkg in ("nngarden", "torch", "numpy", "scipy") + tuple(extra):
        try:
            versions[pkg] = importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            pass
    return versions


class MetricsLog:
    """Append-only JSONL of metric dicts (each line carries at least ``step``)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def log(self, step: int, **values: Any) -> None:
        row = {"step": int(step)}
        for key, value in values.items():
            if isinstance(value, float) and not math.isfinite(value):
                value = None  # JSON has no NaN; a missing value reads as null
            row[key] = value
        with open(self.path, "a") as fh:
            fh.write(json.dumps(row) + "\n")
            fh.flush()

    def read(self) -> list[dict[str, Any]]:
        return read_metrics(self.path)


def read_metrics(path: Path) -> list[dict[str, Any]]:
    rows = []
    path = Path(path)
    if not path.exists():
        return rows
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line torn by a kill is skipped, the rest stays readable
    return rows


class StageMissing(ConfigError):
    """Rejudging needs a stage that the run directory has not cached."""


@dataclass
class RunContext:
    """What a note's ``run`` gets besides its config: where to write, which device, how to log."""

    run_dir: Path
    preset: str = "quick"
    device: str = "cpu"
    threads: int = 1
    force: bool = False
    progress: bool = False
    cached_only: bool = False  # rejudging: every stage must already be cached, nothing is computed
    figures_folder: str = "figures"  # rejudging draws into a fresh folder, swapped in when complete
    _metrics: MetricsLog | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.run_dir = Path(self.run_dir)
        for sub in ("figures", "checkpoints", "stages"):
            (self.run_dir / sub).mkdir(parents=True, exist_ok=True)
        self._metrics = MetricsLog(self.run_dir / "metrics.jsonl")

    @property
    def figures_dir(self) -> Path:
        return self.run_dir / self.figures_folder

    @property
    def checkpoints_dir(self) -> Path:
        return self.run_dir / "checkpoints"

    def figure(self, name: str) -> tuple[Path, str]:
        """(absolute path, path relative to the run dir) for a figure file named ``name``."""
        path = self.figures_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        return path, str(Path("figures") / name)

    def log(self, step: int, **values: Any) -> None:
        """Append one metrics row (JSON-serialisable values) to ``metrics.jsonl`` (not when rejudging)."""
        if not self.cached_only:
            self._metrics.log(step, **values)

    def metrics(self) -> list[dict[str, Any]]:
        return self._metrics.read()

    def stage(self, name: str, compute: Callable[[], Any]) -> Any:
        """Run ``compute`` once per run directory and cache its JSON result under ``stages/``.

        A run killed half-way resumes here: finished stages are read back, not recomputed. When
        rejudging (``cached_only``), a stage that is not cached raises :class:`StageMissing`.
        """
        path = self.run_dir / "stages" / f"{name}.json"
        if path.exists() and not self.force:
            try:
                return json.loads(path.read_text())["result"]
            except (json.JSONDecodeError, KeyError):
                pass  # a damaged stage file is recomputed
        if self.cached_only:
            raise StageMissing(f"{self.run_dir} has no cached stage {name!r}; run the note to compute it")
        from .train import hooks

        hooks.hang_in_stage(name)  # tests: a run that holds its directory, to be killed
        result = compute()
        atomic_write_text(path, json.dumps({"result": result}, allow_nan=True))
        return result


def new_run_dir(root: Path, slug: str) -> Path:
    stamp = _dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    base = Path(root) / slug / stamp
    path, n = base, 1
    while path.exists():
        n += 1
        path = base.with_name(f"{stamp}-{n}")
    return path


def run_note(
    note,
    config: Config,
    run_dir: Path,
    *,
    preset: str,
    device: str = "cpu",
    threads: int = 1,
    force: bool = False,
    progress: bool = False,
) -> tuple[dict[str, Any], bool]:
    """Run ``note`` with ``config`` in ``run_dir``; return (findings dict, whether it was reused).

    A finished run (``findings.json`` present, same config) is returned as it is unless ``force``.
    A directory that holds a different config is refused rather than silently mixed, and one that
    another process is writing is refused with :class:`RunDirInUse`.
    """
    with lock_run_dir(run_dir, f"run {note.slug}"):
        return _run_note(
            note,
            config,
            Path(run_dir),
            preset=preset,
            device=device,
            threads=threads,
            force=force,
            progress=progress,
        )


def _run_note(
    note,
    config: Config,
    run_dir: Path,
    *,
    preset: str,
    device: str,
    threads: int,
    force: bool,
    progress: bool,
) -> tuple[dict[str, Any], bool]:
    findings_path = run_dir / "findings.json"
    config_path = run_dir / "config.json"
    resolved = {"note": note.slug, "preset": preset, "config": config.to_dict()}
    if config_path.exists() and not force:
        try:
            previous = json.loads(config_path.read_text())
        except json.JSONDecodeError:
            previous = None
        if previous is not None and previous != json.loads(json.dumps(resolved)):
            raise ConfigError(
                f"run directory {run_dir} holds a run with a different config; "
                "use another --out or --force to start over"
            )
    if force and run_dir.exists():
        for sub in ("stages", "figures", "checkpoints"):
            shutil.rmtree(run_dir / sub, ignore_errors=True)
        for name in ("metrics.jsonl", "findings.json"):
            (run_dir / name).unlink(missing_ok=True)
    if findings_path.exists():
        return json.loads(findings_path.read_text()), True

    run_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(config_path, json.dumps(resolved, indent=2))
    threads = set_threads(threads)
    seed_everything(getattr(config, "seed", 0))
    ctx = RunContext(run_dir, preset=preset, device=device, threads=threads, force=False, progress=progress)
    wall0, cpu0 = time.perf_counter(), time.process_time()
    findings: Findings = note.findings(config, ctx)
    findings.note, findings.title = note.slug, note.title
    findings.metrics.setdefault("wall_seconds", time.perf_counter() - wall0)
    findings.metrics.setdefault("cpu_seconds", time.process_time() - cpu0)
    findings.provenance = {
        "preset": preset,
        "seed": int(getattr(config, "seed", 0)),
        "threads": threads,
        "device": device,
        "seconds": round(time.perf_counter() - wall0, 3),
        "cpu_seconds": round(time.process_time() - cpu0, 3),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else [],
        "commit": git_commit(),
        "versions": package_versions(note.packages),
        "finished": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
    }
    data = findings.to_dict()
    problems = validate_findings(data, note.claim_ids)
    if problems:
        raise RuntimeError(f"note {note.slug} broke the findings contract: " + "; ".join(problems))
    findings.write(findings_path)
    return data, False


def rejudge_run(note, run_dir: Path) -> dict[str, Any]:
    """Recompute a finished or interrupted run's verdicts and figures from its cached stages.

    Nothing is trained: every stage the note's ``measure`` asks for must be cached (else
    :class:`StageMissing`, a ConfigError). ``findings.json`` and ``figures/`` are replaced atomically; the
    provenance keeps the run's own record and adds which commit judged, and when. A run directory that
    another process is writing is refused with :class:`RunDirInUse`.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ConfigError(f"{run_dir} is not a directory")
    with lock_run_dir(run_dir, f"rejudge {note.slug}"):  # first: a run still writing it has no stages yet
        return _rejudge_run(note, run_dir)


def _rejudge_run(note, run_dir: Path) -> dict[str, Any]:
    if not (run_dir / "stages").is_dir() or not any((run_dir / "stages").glob("*.json")):
        raise ConfigError(f"{run_dir} holds no cached stages to rejudge (is it a run directory of a note?)")
    try:
        saved = json.loads((run_dir / "config.json").read_text())
        config = note.config_cls.from_dict(saved["config"])
    except (OSError, json.JSONDecodeError, KeyError, TypeError) as err:
        raise ConfigError(
            f"{run_dir / 'config.json'} cannot be read as a {note.slug} config: {err}"
        ) from None
    if saved.get("note") != note.slug:
        raise ConfigError(f"{run_dir} is a run of {saved.get('note')!r}, not of {note.slug!r}")
    old: dict[str, Any] = {}
    if (run_dir / "findings.json").exists():
        old = json.loads((run_dir / "findings.json").read_text())
    provenance = dict(old.get("provenance") or {})
    metrics_before = dict(old.get("metrics") or {})
    fresh = f".figures-rejudge-{os.getpid()}"
    shutil.rmtree(run_dir / fresh, ignore_errors=True)
    threads = set_threads(int(provenance.get("threads", 1)))
    ctx = RunContext(
        run_dir, preset=saved.get("preset", "quick"), threads=threads, cached_only=True, figures_folder=fresh
    )
    cpu0, wall0 = time.process_time(), time.perf_counter()
    try:
        findings = note.findings(config, ctx)
    except BaseException:
        shutil.rmtree(run_dir / fresh, ignore_errors=True)
        raise
    findings.note, findings.title = note.slug, note.title
    for key in ("wall_seconds", "cpu_seconds"):  # the run's own cost, not the rejudging's
        if key in metrics_before:
            findings.metrics.setdefault(key, metrics_before[key])
    for key, value in (
        ("preset", ctx.preset),
        ("seed", int(getattr(config, "seed", 0))),
        ("threads", threads),
        ("seconds", None),
        ("commit", None),
        ("versions", package_versions(note.packages)),
    ):
        provenance.setdefault(key, value)
    provenance["judged"] = {
        "commit": git_commit(),
        "at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "cpu_seconds": round(time.process_time() - cpu0, 3),
        "seconds": round(time.perf_counter() - wall0, 3),
    }
    findings.provenance = provenance
    data = findings.to_dict()
    problems = validate_findings(data, note.claim_ids)
    if problems:
        shutil.rmtree(run_dir / fresh, ignore_errors=True)
        raise RuntimeError(f"note {note.slug} broke the findings contract: " + "; ".join(problems))
    # the new figures folder is swapped in whole, then findings.json is replaced atomically
    old_figures = run_dir / f".figures-old-{os.getpid()}"
    (run_dir / fresh).mkdir(exist_ok=True)  # a run that drew no figure (e.g. its data was missing)
    if (run_dir / "figures").exists():
        os.replace(run_dir / "figures", old_figures)
    os.replace(run_dir / fresh, run_dir / "figures")
    findings.write(run_dir / "findings.json")
    shutil.rmtree(old_figures, ignore_errors=True)
    return data
