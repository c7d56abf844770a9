"""Split-conformal prediction intervals per horizon step, calibrated on earlier origins only."""

from __future__ import annotations

import numpy as np

POOL = 3  # residuals of steps h-3..h+3 calibrate step h: a few origins give usable quantiles


def calibrate(residuals: np.ndarray, levels: tuple[int, ...]) -> dict[str, list[float]]:
    """Half-widths per level and step from absolute residuals of shape (origins, horizon).

    The conformal quantile of the pooled absolute residuals: ``ceil((n+1)·level)/n``, so with
    exchangeable errors the interval covers at least ``level`` of future values.
    """
    abs_res = np.abs(np.asarray(residuals, dtype=float))
    if abs_res.ndim != 2 or abs_res.shape[0] == 0:
        raise ValueError("conformal calibration needs residuals of at least one origin")
    horizon = abs_res.shape[1]
    widths: dict[str, list[float]] = {}
    for level in levels:
        half = []
        for h in range(horizon):
            pooled = abs_res[:, max(0, h - POOL) : h + POOL + 1].ravel()
            pooled = pooled[np.isfinite(pooled)]  # NaN: an interpolated step, not an actual
            n = len(pooled)
            if n == 0:
                raise ValueError("conformal calibration needs residuals of at least one origin")
            q = min(1.0, np.ceil((n + 1) * level / 100) / n)
            half.append(float(np.quantile(pooled, q, method="higher")))
        widths[str(level)] = half
    return widths
