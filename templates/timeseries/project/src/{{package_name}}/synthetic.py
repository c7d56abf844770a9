"""Synthetic half-hourly demand with known daily and weekly seasons (tests, smoke runs, demos)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

STEPS_PER_DAY = 48


def demand(
    days: int,
    *,
    seed: int = 0,
    level: float = 1000.0,
    noise: float = 0.03,
    shifts: float = 0.0,
    driver: np.ndarray | None = None,
) -> np.ndarray:
    """``days`` of half-hourly values: daily and weekly shapes, a slow drift, AR(1) noise.

    ``shifts`` > 0 moves the level at each midnight by that standard deviation (a random walk
    of log level, which a week-old copy cannot follow); ``driver`` (one value per step, e.g.
    ``temperature``) raises demand by 20% per unit.
    """
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
    y = level * (1 + daily + weekly * (1 + daily) + drift + eps)
    if shifts:
        y *= np.repeat(np.exp(np.cumsum(rng.normal(0, shifts, days))), STEPS_PER_DAY)
    if driver is not None:
        y *= 1 + 0.2 * np.asarray(driver, float)
    return y


def temperature(days: int, *, seed: int = 0) -> np.ndarray:
    """A temperature anomaly with unit variance that forgets itself within hours (AR(1), 0.9
    per step): a day ahead, no past value of it or of the demand predicts it."""
    rng = np.random.default_rng(seed + 10_000)
    shocks = rng.normal(0, np.sqrt(1 - 0.9**2), days * STEPS_PER_DAY)
    out = np.zeros_like(shocks)
    for i in range(1, len(out)):
        out[i] = 0.9 * out[i - 1] + shocks[i]
    return out


def write_csv(
    path: Path,
    *,
    days: int = 42,
    series: int = 1,
    seed: int = 0,
    start: str = "2024-01-01",
    shifts: float = 0.0,
    driver: bool = False,
) -> Path:
    """Write a long CSV (``timestamp,series_id,demand[,temperature]``) of synthetic series."""
    import pandas as pd

    frames = []
    for k in range(series):
        temp = temperature(days, seed=seed + k) if driver else None
        y = demand(days, seed=seed + k, level=1000.0 * (k + 1), shifts=shifts, driver=temp)
        ts = pd.date_range(start, periods=len(y), freq="30min")
        frame = pd.DataFrame({"timestamp": ts, "series_id": f"zone-{k + 1}", "demand": y})
        if driver:
            frame["temperature"] = temp.round(3)
        frames.append(frame)
    frame = pd.concat(frames, ignore_index=True)
    frame["timestamp"] = frame["timestamp"].dt.strftime("%Y-%m-%dT%H:%M:%S")
    frame["demand"] = frame["demand"].round(3)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)
    return path
