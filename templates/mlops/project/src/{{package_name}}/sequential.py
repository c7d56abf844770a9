"""A sequential two-sample test whose p-value stays valid however often it is looked at: the
mixture sequential probability ratio test (mSPRT, Johari et al., "Always Valid Inference", 2017).

After every observation, the difference of the arms' means ``d`` has an estimated variance
``V = s_a^2 / n_a + s_b^2 / n_b``. Mixing the alternative over ``N(0, tau^2)`` gives the
likelihood ratio ``L = sqrt(V / (V + tau^2)) * exp(d^2 tau^2 / (2 V (V + tau^2)))`` and the
always-valid p-value is the running minimum of ``1 / L``. Under no difference, the chance that
it ever falls below ``alpha`` is at most ``alpha`` (Ville's inequality), so a daily `ab-report`
may stop the test at the first look that is significant. A repeated fixed-horizon Welch test
would not: each look is another chance of a false positive.

Written here (about 30 lines of numpy) because the well-kept libraries for it are group-sequential
design packages whose planned looks do not fit a report run at any time.
"""

from __future__ import annotations

import numpy as np

BURN_IN = 30  # observations per arm before the plug-in variance is trusted


def _msprt_p(diff: np.ndarray, v: np.ndarray, ready: np.ndarray, tau: float) -> np.ndarray:
    """Running minimum of 1 / L for estimated differences ``diff`` with variances ``v``."""
    v = np.maximum(v, 1e-12)
    t2 = tau * tau
    log_ratio = 0.5 * np.log(v / (v + t2)) + diff**2 * t2 / (2 * v * (v + t2))
    p = np.where(ready, np.minimum(1.0, np.exp(-log_ratio)), 1.0)
    return np.minimum.accumulate(p)


def always_valid_p(values: np.ndarray, is_b: np.ndarray, tau: float) -> np.ndarray:
    """The always-valid p-value after each observation of a stream in arrival order.

    ``values``: the observations (e.g. log losses); ``is_b``: True where an observation belongs
    to arm B (the challenger); ``tau``: the spread of effects the test is tuned to detect (the
    minimum effect worth detecting is a good choice). Before ``BURN_IN`` observations per arm
    the p-value is 1.
    """
    x = np.asarray(values, dtype=float)
    b = np.asarray(is_b, dtype=bool)
    a = ~b
    n_a, n_b = np.cumsum(a), np.cumsum(b)
    s_a, s_b = np.cumsum(np.where(a, x, 0.0)), np.cumsum(np.where(b, x, 0.0))
    q_a, q_b = np.cumsum(np.where(a, x * x, 0.0)), np.cumsum(np.where(b, x * x, 0.0))
    ready = (n_a >= BURN_IN) & (n_b >= BURN_IN)
    safe_a, safe_b = np.maximum(n_a, 2), np.maximum(n_b, 2)
    mean_a, mean_b = s_a / safe_a, s_b / safe_b
    var_a = np.maximum(q_a - safe_a * mean_a**2, 0.0) / (safe_a - 1)
    var_b = np.maximum(q_b - safe_b * mean_b**2, 0.0) / (safe_b - 1)
    return _msprt_p(mean_b - mean_a, var_a / safe_a + var_b / safe_b, ready, tau)


def always_valid_paired_p(differences: np.ndarray, tau: float) -> np.ndarray:
    """The always-valid p-value of "mean difference 0" after each paired difference (B - A on
    the same unit, e.g. both models' log loss on one customer), in arrival order.

    Pairing removes the spread between customers, which dominates a two-sample comparison of
    log losses: the same evidence needs far fewer outcomes. Before ``BURN_IN`` pairs: 1.
    """
    d = np.asarray(differences, dtype=float)
    n = np.arange(1, len(d) + 1)
    safe = np.maximum(n, 2)
    mean = np.cumsum(d) / n
    var = np.maximum(np.cumsum(d * d) - n * mean**2, 0.0) / (safe - 1)
    return _msprt_p(mean, var / n, n >= BURN_IN, tau)
