"""Test-only fault injection, switched on by environment variables (all unset in normal use).

The reliability tests need to kill a process at a precise moment or make a loss non-finite. These
hooks make those moments deterministic instead of racing a timer:

- ``NNGARDEN_TEST_HANG_AT_STEP=N``: the training loop stops before the update of step N, touches
  ``NNGARDEN_TEST_MARKER`` and waits there (to be killed, or for SIGTERM/SIGINT).
- ``NNGARDEN_TEST_HANG_IN_CHECKPOINT=N``: the checkpoint write of step N stops after its tensors and
  state are written but before its manifest, touches the marker and sleeps (to be killed with -9).
- ``NNGARDEN_TEST_NAN_AT_STEP=N``: the training loss of step N becomes NaN (``inf`` with
  ``NNGARDEN_TEST_NAN_VALUE=inf``).
- ``NNGARDEN_TEST_HANG_IN_STAGE=NAME``: a note's run stops before computing its stage NAME (``*``: the
  first stage it computes), touches the marker and sleeps (to be killed), holding its run directory.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path


def _step_env(name: str) -> int | None:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else None


def _touch_marker(detail: str) -> None:
    marker = os.environ.get("NNGARDEN_TEST_MARKER")
    if marker:
        Path(marker).write_text(detail)


def hang_at_step(step: int, should_stop: Callable[[], bool]) -> None:
    if _step_env("NNGARDEN_TEST_HANG_AT_STEP") != step:
        return
    _touch_marker(f"step {step}")
    while not should_stop():
        time.sleep(0.02)


def pause_in_checkpoint(step: int, tmp_dir: Path) -> None:
    if _step_env("NNGARDEN_TEST_HANG_IN_CHECKPOINT") != step:
        return
    _touch_marker(str(tmp_dir))
    while True:
        time.sleep(0.05)


def poison_loss(step: int, loss):
    if _step_env("NNGARDEN_TEST_NAN_AT_STEP") != step:
        return loss
    return loss * float(os.environ.get("NNGARDEN_TEST_NAN_VALUE", "nan"))


def hang_in_stage(name: str) -> None:
    if os.environ.get("NNGARDEN_TEST_HANG_IN_STAGE") not in (name, "*"):
        return
    _touch_marker(f"stage {name}")
    while True:
        time.sleep(0.05)
