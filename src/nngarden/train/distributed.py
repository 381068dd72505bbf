"""Data-parallel training under ``torchrun``: process group set-up, rank facts and small collectives.

``torchrun --standalone --nproc_per_node=N -m nngarden train gpt ...`` starts N processes with
``RANK``/``WORLD_SIZE``/``LOCAL_RANK`` in their environment. Each builds the same model, DDP averages
the gradients, and only rank 0 writes checkpoints and metrics. gloo runs on CPU, nccl on CUDA.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass

import torch
import torch.distributed as torch_dist

from ..config import ConfigError


@dataclass(frozen=True)
class Dist:
    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def active(self) -> bool:
        return self.world > 1

    def barrier(self) -> None:
        if self.active:
            torch_dist.barrier()

    def mean(self, value: float, device: str) -> float:
        """The mean of ``value`` over ranks (the value itself in one process)."""
        if not self.active:
            return value
        t = torch.tensor([value], dtype=torch.float64, device=device)
        torch_dist.all_reduce(t, op=torch_dist.ReduceOp.SUM)
        return float(t.item()) / self.world

    def total(self, value: float, device: str) -> float:
        if not self.active:
            return value
        t = torch.tensor([value], dtype=torch.float64, device=device)
        torch_dist.all_reduce(t, op=torch_dist.ReduceOp.SUM)
        return float(t.item())

    def any(self, flags: list[bool], device: str) -> list[bool]:
        """Element-wise OR over ranks, so every rank takes the same decision (stop, non-finite)."""
        if not self.active:
            return flags
        t = torch.tensor([float(f) for f in flags], device=device)
        torch_dist.all_reduce(t, op=torch_dist.ReduceOp.MAX)
        return [bool(v) for v in t.tolist()]

    def gather(self, obj):
        """Every rank's ``obj`` as a list on every rank (in-memory exchange, nothing read from disk)."""
        if not self.active:
            return [obj]
        out = [None] * self.world
        torch_dist.all_gather_object(out, obj)
        return out


def from_environment() -> Dist:
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return Dist()
    return Dist(rank=int(os.environ["RANK"]), world=world, local_rank=int(os.environ.get("LOCAL_RANK", "0")))


@contextmanager
def session(device: str):
    """Join the process group when launched by torchrun; yield (Dist, device for this rank)."""
    dist = from_environment()
    if not dist.active:
        yield dist, device
        return
    if device == "cuda":
        if torch.cuda.device_count() < dist.world:
            raise ConfigError(
                f"device: {dist.world} processes but only {torch.cuda.device_count()} CUDA devices"
            )
        torch.cuda.set_device(dist.local_rank)
        device, backend = f"cuda:{dist.local_rank}", "nccl"
    elif device == "cpu":
        backend = "gloo"
    else:
        raise ConfigError(f"device: DDP runs on cpu (gloo) or cuda (nccl), got {device}")
    torch_dist.init_process_group(backend=backend)
    try:
        yield dist, device
    finally:
        torch_dist.destroy_process_group()
