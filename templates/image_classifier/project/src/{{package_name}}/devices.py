"""Devices, torchrun process groups, seeds, threads and mixed precision."""

from __future__ import annotations

import os
import random
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import torch
import torch.distributed as dist


@dataclass
class Dist:
    """This process's place in a torchrun job (rank 0 of 1 without torchrun)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def pick_device(name: str) -> torch.device:
    """``auto`` (CUDA when there is a GPU, else CPU), or a device name; ValueError if unusable."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as exc:
        raise ValueError(f"unknown device {name!r}: use auto, cpu, cuda, cuda:1, mps ...") from exc
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {name}, but this torch ({torch.__version__}) sees no GPU")
    return device


def init_distributed(device_name: str) -> tuple[Dist, torch.device]:
    """Join the torchrun process group when launched by torchrun; pick the device."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    info = Dist(int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0")))
    device = pick_device(device_name)
    if device == torch.device("cuda") and world > 1:
        device = torch.device("cuda", info.local_rank)
        torch.cuda.set_device(device)
    if world > 1 and not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return info, device


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def set_threads(threads: int | None, world: int) -> int:
    """Torch CPU threads: ``threads``, else the usable cores shared among the processes."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    count = max(1, threads or (cores or 1) // max(1, world))
    torch.set_num_threads(count)
    return count


def autocast_for(device: torch.device, enabled: bool):
    """bf16 autocast on CUDA (fp16 where bf16 is missing); full precision on CPU."""
    if device.type != "cuda" or not enabled:
        return nullcontext(), None
    dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    scaler = torch.amp.GradScaler("cuda") if dtype is torch.float16 else None
    return torch.autocast("cuda", dtype=dtype), scaler
