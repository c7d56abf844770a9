"""Point and probabilistic forecast metrics, per origin (so they can be bootstrapped over origins).

MASE divides a forecast's MAE by the in-sample MAE of the one-step naive forecast on the history
before the origin (Hyndman & Koehler 2006, m=1): below 1 beats naive's one-step error.
"""

from __future__ import annotations

import numpy as np

POINT = ("mase", "smape", "mae", "rmse")


def naive_scale(history: np.ndarray) -> float:
    """In-sample MAE of the one-step naive forecast (a floor avoids dividing by zero)."""
    scale = float(np.mean(np.abs(np.diff(history)))) if len(history) > 1 else 0.0
    return max(scale, 1e-8 * max(1.0, float(np.abs(history).mean())))


def point_metrics(actual: np.ndarray, forecast: np.ndarray, scale: float) -> dict[str, float]:
    """MASE, sMAPE (percent), MAE and RMSE of one origin's forecast."""
    err = actual - forecast
    mae = float(np.mean(np.abs(err)))
    denom = np.abs(actual) + np.abs(forecast)
    smape = float(np.mean(np.where(denom > 0, 2 * np.abs(err) / np.maximum(denom, 1e-12), 0.0)))
    return {
        "mase": mae / scale,
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
