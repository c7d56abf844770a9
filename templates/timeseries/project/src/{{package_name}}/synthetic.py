"""Synthetic half-hourly demand with known daily and weekly seasons (tests, smoke runs, demos)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

STEPS_PER_DAY = 48


def demand(days: int, *, seed: int = 0, level: float = 1000.0, noise: float = 0.03) -> np.ndarray:
    """``days`` of half-hourly values: daily and weekly shapes, a slow drift, AR(1) noise."""
    rng = np.random.default_rng(seed)
    n = days * STEPS_PER_DAY
    t = np.arange(n)
    day = t / STEPS_PER_DAY
    daily = 0.25 * np.sin(2 * np.pi * (day - 0.3)) + 0.1 * np.sin(4 * np.pi * day)
    weekday = (t // STEPS_PER_DAY) % 7
    weekly = np.where(weekday >= 5, -0.2, 0.05 * np.sin(2 * np.pi * weekday / 5))
    drift = 0.05 * np.sin(2 * np.pi * day / 60)
    eps = np.zeros(n)
    shocks = rng.normal(0, noise, n)
    for i in range(1, n):
        eps[i] = 0.8 * eps[i - 1] + shocks[i]
    return level * (1 + daily + weekly * (1 + daily) + drift + eps)


def write_csv(
    path: Path, *, days: int = 42, series: int = 1, seed: int = 0, start: str = "2024-01-01"
) -> Path:
    """Write a long CSV (``timestamp,series_id,demand``) with ``series`` synthetic series."""
    import pandas as pd

    frames = []
    for k in range(series):
        y = demand(days, seed=seed + k, level=1000.0 * (k + 1))
        ts = pd.date_range(start, periods=len(y), freq="30min")
        frames.append(pd.DataFrame({"timestamp": ts, "series_id": f"zone-{k + 1}", "demand": y}))
    frame = pd.concat(frames, ignore_index=True)
    frame["timestamp"] = frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    frame["demand"] = frame["demand"].round(3)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path
