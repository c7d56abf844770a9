"""Forecast metrics per origin. MASE scales by the in-sample MAE of the seasonal naive before
the origin (a week, or a year for coarser steps; M4 practice), ``mase1`` by the one-step naive's."""

from __future__ import annotations

import numpy as np


def naive_scale(history: np.ndarray, season: int = 1) -> float:
    """In-sample MAE of the seasonal naive (one-step if the history is not longer than a season)."""
    history = np.asarray(history, float)
    m = season if len(history) > season else 1
    scale = float(np.mean(np.abs(history[m:] - history[:-m]))) if len(history) > m else 0.0
    return max(scale, 1e-8 * max(1.0, float(np.abs(history).mean())))


def point_metrics(actual: np.ndarray, forecast: np.ndarray, scale: float, scale1: float) -> dict:
    """MASE (seasonal scale), one-step MASE, sMAPE (percent), MAE and RMSE of one origin."""
    err = actual - forecast
    mae = float(np.mean(np.abs(err)))
    denom = np.abs(actual) + np.abs(forecast)
    smape = float(np.mean(np.where(denom > 0, 2 * np.abs(err) / np.maximum(denom, 1e-12), 0.0)))
    return {
        "mase": mae / scale,
        "mase1": mae / scale1,
        "smape": 100 * smape,
        "mae": mae,
        "rmse": float(np.sqrt(np.mean(err**2))),
    }


def pinball(actual: np.ndarray, quantile: np.ndarray, q: float) -> float:
    """Mean pinball (quantile) loss of ``quantile`` as the q-quantile forecast."""
    diff = actual - quantile
    return float(np.mean(np.maximum(q * diff, (q - 1) * diff)))


def interval_metrics(
    actual: np.ndarray, lo: np.ndarray, hi: np.ndarray, level: float, scale: float
) -> dict[str, float]:
    """Coverage, mean width (scaled like MASE) and scaled pinball loss of both interval ends."""
    alpha = 1 - level / 100
    return {
        "coverage": float(np.mean((actual >= lo) & (actual <= hi))),
        "width": float(np.mean(hi - lo)) / scale,
        "pinball": (pinball(actual, lo, alpha / 2) + pinball(actual, hi, 1 - alpha / 2))
        / 2
        / scale,
    }
