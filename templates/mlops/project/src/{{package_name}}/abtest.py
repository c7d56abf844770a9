"""The A/B test that decides: champion and challenger *versions* as arms, on logged outcomes.

Each answered prediction with feedback is one observation: its log loss (a proper scoring rule:
lower is better). The power analysis gives the sample size per arm that detects ``ab.min_effect``
in mean log loss with ``ab.power`` at two-sided ``ab.alpha`` (from the pooled spread of the data).

- ``ab.test: sequential`` (default): an always-valid p-value (:mod:`.sequential`, mSPRT) over the
  outcomes in arrival order, so `ab-report` may run every day and stop at the first significant
  look: *promote* (challenger better) or *stop* (worse); *stop* for futility when both arms
  reach ``ab.max_n_factor`` times the fixed-horizon size without a verdict; else *keep*.
- ``ab.test: fixed``: *keep* until both arms reach the fixed-horizon size (unless the challenger
  is already worse at ``ab.alpha / 10``: *stop*, a guard), then Welch's t-test decides. Looking
  before the horizon and acting on it would inflate false promotions; the sequential test exists
  for that.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
from scipy import stats

from .artifacts import CHALLENGER, CHAMPION
from .config import ABSettings
from .sequential import always_valid_p


def arm_of(frame: pd.DataFrame, variant: str) -> pd.DataFrame:
    """The served predictions of ``variant``'s latest model version (older versions left out)."""
    rows = frame[frame["variant"] == variant]
    if rows.empty:
        return rows
    latest = rows.sort_values("ts")["model_version"].iloc[-1]
    return rows[rows["model_version"] == latest]


def log_losses(rows: pd.DataFrame) -> np.ndarray:
    known = rows.dropna(subset=["churn"])
    y = known["churn"].astype(int).to_numpy()
    p = np.clip(known["score"].astype(float).to_numpy(), 1e-6, 1 - 1e-6)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))


def required_n(sd: float, effect: float, alpha: float, power: float) -> int:
    """Observations per arm for a two-sided two-sample test to detect ``effect``."""
    z = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    return max(2, math.ceil(2 * (z * sd / effect) ** 2))


def ab_report(frame: pd.DataFrame, settings: ABSettings) -> dict:
    arms, samples = [], {}
    for variant in (CHAMPION, CHALLENGER):
        rows = arm_of(frame, variant)
        losses = log_losses(rows)
        known = rows.dropna(subset=["churn"])
        correct = (known["label"].astype(int) == known["churn"].astype(int)).to_numpy()
        samples[variant] = losses
        arms.append({
            "variant": variant,
            "model_version": str(rows["model_version"].iloc[0]) if len(rows) else None,
            "predictions": int(len(rows)),
            "outcomes": int(len(losses)),
            "log_loss": float(losses.mean()) if len(losses) else float("nan"),
            "accuracy": float(correct.mean()) if len(correct) else float("nan"),
        })  # fmt: skip
    a, b = samples[CHAMPION], samples[CHALLENGER]
    report = {
        "generated_at": time.time(),
        "metric": "log_loss",
        "test": settings.test,
        "alpha": settings.alpha,
        "power": settings.power,
        "min_effect": settings.min_effect,
        "arms": arms,
        "required_per_arm": None,
        "p_value": None,
        "difference": None,
    }
    if settings.test not in ("sequential", "fixed"):
        raise ValueError(f"ab.test must be sequential or fixed, not {settings.test!r}")
    if len(b) == 0 or arms[1]["model_version"] is None:
        return {**report, "decision": "keep", "reason": "no challenger outcomes yet"}
    if min(len(a), len(b)) < 2:
        return {**report, "decision": "keep", "reason": "fewer than 2 outcomes in an arm"}
    sd = float(np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)) or 1e-9
    need = required_n(sd, settings.min_effect, settings.alpha, settings.power)
    diff = float(b.mean() - a.mean())  # < 0: the challenger's log loss is lower (better)
    report.update(required_per_arm=need, difference=diff)
    have = min(len(a), len(b))
    if settings.test == "sequential":
        return _sequential(report, frame, settings, have, math.ceil(need * settings.max_n_factor))
    test = stats.ttest_ind(b, a, equal_var=False)
    p = float(test.pvalue) if np.isfinite(test.pvalue) else 1.0
    report["p_value"] = p
    if have < need:
        if diff > 0 and p < settings.alpha / 10:
            return {**report, "decision": "stop", "reason": f"challenger worse early (p={p:.2g})"}
        return {**report, "decision": "keep", "reason": f"{have} of {need} outcomes per arm"}
    if p < settings.alpha and diff < 0:
        reason = f"challenger's log loss lower by {-diff:.4f} (p={p:.2g} < {settings.alpha})"
        return {**report, "decision": "promote", "reason": reason}
    reason = f"no significant gain at the horizon (difference {diff:+.4f}, p={p:.2g})"
    return {**report, "decision": "stop", "reason": reason}


def _sequential(report: dict, frame: pd.DataFrame, settings: ABSettings, have: int, cap: int):
    """Decide on the always-valid p-value of both arms' outcomes in arrival order."""
    rows = pd.concat([arm_of(frame, CHAMPION), arm_of(frame, CHALLENGER)]).dropna(subset=["churn"])
    rows = rows.sort_values("ts", kind="stable")
    p = float(
        always_valid_p(log_losses(rows), rows["variant"] == CHALLENGER, settings.min_effect)[-1]
    )
    diff, alpha = report["difference"], settings.alpha
    report.update(p_value=p, max_per_arm=cap)
    if p < alpha:
        better = diff < 0
        reason = (
            f"challenger's log loss {'lower' if better else 'higher'} by {abs(diff):.4f} "
            f"(always-valid p={p:.2g} < {alpha})"
        )
        return {**report, "decision": "promote" if better else "stop", "reason": reason}
    if have >= cap:
        reason = f"no significant difference in {have} outcomes per arm (p={p:.2g}): futile"
        return {**report, "decision": "stop", "reason": reason}
    return {**report, "decision": "keep", "reason": f"p={p:.2g}; {have} of at most {cap} per arm"}
