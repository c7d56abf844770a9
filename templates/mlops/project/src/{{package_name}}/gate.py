"""The promotion gate: a challenger must be significantly better, and not worse anywhere it matters.

The AUC gain is tested with DeLong's paired test (both models scored on the same holdout rows):
promotion needs the lower end of the 99% interval (``promotion.confidence``) above zero and the
point gain at least the margin. The challenger must also beat the logistic baseline, keep its
calibration (ECE) within a margin, and lose no more than a margin of AUC on any slice (e.g.
senior citizens).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from .model import expected_calibration_error


def _midranks(x: np.ndarray) -> np.ndarray:
    return stats.rankdata(x, method="average")


def delong(y: np.ndarray, p_a: np.ndarray, p_b: np.ndarray) -> tuple[float, float, float]:
    """AUC(a) - AUC(b) on the same rows, its standard error, and the one-sided p-value of
    "a is no better than b" (DeLong, DeLong & Clarke-Pearson 1988; Sun & Xu's fast algorithm)."""
    y = np.asarray(y).astype(bool)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos < 2 or neg < 2:
        return float("nan"), float("nan"), 1.0
    scores = np.vstack([p_a, p_b])
    aucs, v01, v10 = [], [], []
    for s in scores:
        x, z = s[y], s[~y]
        tx, tz, t = _midranks(x), _midranks(z), _midranks(np.concatenate([x, z]))
        aucs.append((t[:pos].sum() - pos * (pos + 1) / 2) / (pos * neg))
        v01.append((t[:pos] - tx) / neg)
        v10.append(1.0 - (t[pos:] - tz) / pos)
    s01, s10 = np.cov(np.vstack(v01)), np.cov(np.vstack(v10))
    cov = s01 / pos + s10 / neg
    var = cov[0, 0] + cov[1, 1] - 2 * cov[0, 1]
    diff = float(aucs[0] - aucs[1])
    se = float(np.sqrt(max(var, 1e-12)))
    return diff, se, float(stats.norm.sf(diff / se))


def auc(y: np.ndarray, p: np.ndarray) -> float:
    y = np.asarray(y).astype(bool)
    pos, neg = int(y.sum()), int((~y).sum())
    if pos == 0 or neg == 0:
        return float("nan")
    ranks = _midranks(p)
    return float((ranks[y].sum() - pos * (pos + 1) / 2) / (pos * neg))


@dataclass
class GateResult:
    passed: bool
    reasons: list[str]  # every failed check (empty when passed)
    checks: dict[str, float] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        return "passed every check" if self.passed else "; ".join(self.reasons)


def evaluate_gate(
    holdout: pd.DataFrame,
    y: np.ndarray,
    challenger: np.ndarray,
    champion: np.ndarray | None,
    baseline: np.ndarray,
    *,
    min_improvement: float,
    min_holdout: int,
    max_ece_increase: float,
    max_slice_drop: float,
    slices: list[str],
    confidence: float = 0.99,
    min_slice_rows: int = 100,
) -> GateResult:
    """Run every check; ``champion`` None (no champion yet) leaves only the baseline checks."""
    reasons: list[str] = []
    checks: dict[str, float] = {"n_holdout": float(len(y)), "challenger_auc": auc(y, challenger)}
    if len(y) < min_holdout:
        reasons.append(f"holdout of {len(y)} rows < promotion.min_holdout={min_holdout}")
    gain_base, _, p_base = delong(y, challenger, baseline)
    checks.update(baseline_auc=auc(y, baseline), baseline_gain=gain_base)
    if not gain_base > 0:
        reasons.append(f"AUC {gain_base:+.4f} against the logistic baseline")
    if champion is not None:
        gain, se, p_value = delong(y, challenger, champion)
        z = float(stats.norm.ppf(0.5 + confidence / 2))
        low, high = gain - z * se, gain + z * se
        checks.update(
            champion_auc=auc(y, champion), gain=gain, gain_low=low, gain_high=high, p_value=p_value
        )
        if not (low > 0 and gain >= min_improvement):
            reasons.append(
                f"AUC gain {gain:+.4f} [{low:+.4f}, {high:+.4f}] is not significantly above 0 "
                f"with at least the margin {min_improvement}"
            )
        ece_new = expected_calibration_error(y, challenger)
        ece_old = expected_calibration_error(y, champion)
        checks.update(challenger_ece=ece_new, champion_ece=ece_old)
        if ece_new > ece_old + max_ece_increase:
            reasons.append(f"calibration worse: ECE {ece_new:.4f} vs {ece_old:.4f}")
        for column in slices:
            if column not in holdout:
                continue
            for value, index in holdout.groupby(column).indices.items():
                ys = y[index]
                if len(index) < min_slice_rows or ys.min() == ys.max():
                    continue
                drop = auc(ys, champion[index]) - auc(ys, challenger[index])
                checks[f"slice_drop[{column}={value}]"] = drop
                if drop > max_slice_drop:
                    reasons.append(f"AUC on {column}={value} falls by {drop:.4f}")
    return GateResult(not reasons, reasons, checks)
