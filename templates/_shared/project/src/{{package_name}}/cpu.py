"""Sane CPU defaults: OpenMP threads that wait passively, one thread per usable core."""

from __future__ import annotations

import importlib.util
import os
import sys

THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity, not the machine's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def configure_cpu(threads: int | None = None) -> int:
    """Set thread counts and ``OMP_WAIT_POLICY=PASSIVE`` (call before heavy imports).

    ``threads`` overrides the environment; without it, variables the user set are kept and
    unset ones get the usable core count. Returns the thread count in effect.
    """
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    if threads is None:
        preset = os.environ.get("OMP_NUM_THREADS", "")
        threads = int(preset) if preset.isdigit() and int(preset) > 0 else usable_cores()
        for var in THREAD_VARS:
            os.environ.setdefault(var, str(threads))
    else:
        for var in THREAD_VARS:
            os.environ[var] = str(threads)
    if "torch" in sys.modules or importlib.util.find_spec("torch") is not None:
        import torch

        torch.set_num_threads(threads)
    return threads


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def announce(estimate_seconds: float, what: str) -> None:
    """Print one line saying how long ``what`` takes here, before long work starts."""
    preset = os.environ.get("OMP_NUM_THREADS", "")
    threads = int(preset) if preset.isdigit() and int(preset) > 0 else usable_cores()
    plural = "thread" if threads == 1 else "threads"
    print(
        f"{what}: about {_duration(estimate_seconds)} on this CPU ({threads} {plural}); "
        "--help lists faster options",
        file=sys.stderr,
        flush=True,
    )
