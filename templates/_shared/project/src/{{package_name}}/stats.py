"""Uncertainty for reported metrics: Wilson intervals and (paired) percentile bootstraps."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from statistics import NormalDist

import numpy as np

Metric = Callable[..., float]


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson score interval of a proportion ``successes / n`` (``(0, 1)`` when n is 0)."""
    if not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    if n == 0:
        return 0.0, 1.0
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return low, high


def _rows(arrays: Sequence) -> tuple[tuple[np.ndarray, ...], int]:
    arrays = tuple(np.asarray(a) for a in arrays)
    if not arrays:
        raise ValueError("need at least one array")
    sizes = {len(a) for a in arrays}
    if len(sizes) != 1:
        raise ValueError(f"arrays have different lengths: {sorted(sizes)}")
    n = sizes.pop()
    if n == 0:
        raise ValueError("cannot bootstrap empty arrays")
    return arrays, n


def _bounds(values: np.ndarray, confidence: float) -> tuple[float, float]:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    alpha = (1 - confidence) / 2
    values = values[np.isfinite(values)]
    if values.size == 0:
        return math.nan, math.nan
    low, high = np.quantile(values, [alpha, 1 - alpha])
    return float(low), float(high)


def bootstrap_interval(
    metric: Metric, *arrays, n_boot: int = 1000, seed: int = 0, confidence: float = 0.95
) -> tuple[float, float, float]:
    """``(point, low, high)``: ``metric(*arrays)`` and its percentile bootstrap interval.

    Rows of all arrays are resampled together (row i of each array stays paired).
    """
    arrays, n = _rows(arrays)
    rng = np.random.default_rng(seed)
    values = np.empty(n_boot)
    for b in range(n_boot):
        idx = rng.integers(0, n, n)
        values[b] = metric(*(a[idx] for a in arrays))
    return (float(metric(*arrays)), *_bounds(values, confidence))


def _as_arrays(arrays) -> tuple:
    """One numpy array is one argument; any other sequence holds one array per argument."""
    return (arrays,) if isinstance(arrays, np.ndarray) else tuple(arrays)


def paired_bootstrap(
    metric: Metric,
    a_arrays,
    b_arrays,
    *,
    n_boot: int = 1000,
    seed: int = 0,
    confidence: float = 0.95,
    ratio: bool = False,
) -> tuple[float, float, float]:
    """``(point, low, high)`` of ``metric(*a) - metric(*b)`` (or their ratio) on the same rows.

    ``a_arrays`` and ``b_arrays`` are a numpy array or a sequence of arrays each (e.g.
    ``(y_true, pred_a)`` and ``(y_true, pred_b)``); every array has one entry per row.
    """
    a, n = _rows(_as_arrays(a_arrays))
    b, n_b = _rows(_as_arrays(b_arrays))
    if n != n_b:
        raise ValueError(f"a has {n} rows but b has {n_b}: a paired bootstrap needs the same rows")

    def compare(x: float, y: float) -> float:
        if not ratio:
            return x - y
        return x / y if y != 0 else math.nan

    rng = np.random.default_rng(seed)
    values = np.empty(n_boot)
    for i in range(n_boot):
        idx = rng.integers(0, n, n)
        values[i] = compare(metric(*(x[idx] for x in a)), metric(*(y[idx] for y in b)))
    return (float(compare(metric(*a), metric(*b))), *_bounds(values, confidence))
