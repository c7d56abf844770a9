"""The A/B test that decides: champion and challenger *versions* as arms, on logged outcomes.

Each answered prediction with feedback is one observation: its log loss (a proper scoring rule:
lower is better). The test is fixed-horizon: the sample size per arm that detects
``ab.min_effect`` in mean log loss with ``ab.power`` at two-sided ``ab.alpha`` comes from the
pooled spread of the data (power analysis); until both arms have it the answer is *keep*
(collect more), unless the challenger is already worse at ``ab.alpha / 10`` (*stop*, a guard).
At the horizon, Welch's t-test says *promote* (challenger significantly better) or *stop*.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
from scipy import stats

from .config import ABSettings, Settings
from .registry import CHALLENGER, CHAMPION


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
        "alpha": settings.alpha,
        "power": settings.power,
        "min_effect": settings.min_effect,
        "arms": arms,
        "required_per_arm": None,
        "p_value": None,
        "difference": None,
    }
    if len(b) == 0 or arms[1]["model_version"] is None:
        return {**report, "decision": "keep", "reason": "no challenger outcomes yet"}
    if min(len(a), len(b)) < 2:
        return {**report, "decision": "keep", "reason": "fewer than 2 outcomes in an arm"}
    sd = float(np.sqrt((a.var(ddof=1) + b.var(ddof=1)) / 2)) or 1e-9
    need = required_n(sd, settings.min_effect, settings.alpha, settings.power)
    test = stats.ttest_ind(b, a, equal_var=False)
    diff = float(b.mean() - a.mean())  # < 0: the challenger's log loss is lower (better)
    p = float(test.pvalue) if np.isfinite(test.pvalue) else 1.0
    report.update(required_per_arm=need, p_value=p, difference=diff)
    have = min(len(a), len(b))
    if have < need:
        if diff > 0 and p < settings.alpha / 10:
            return {**report, "decision": "stop", "reason": f"challenger worse early (p={p:.2g})"}
        return {**report, "decision": "keep", "reason": f"{have} of {need} outcomes per arm"}
    if p < settings.alpha and diff < 0:
        reason = f"challenger's log loss lower by {-diff:.4f} (p={p:.2g} < {settings.alpha})"
        return {**report, "decision": "promote", "reason": reason}
    reason = f"no significant gain at the horizon (difference {diff:+.4f}, p={p:.2g})"
    return {**report, "decision": "stop", "reason": reason}


def apply_decision(settings: Settings, report: dict) -> str:
    """Promote the challenger or end its test, as ``report`` decided; logged as a decision."""
    from pathlib import Path

    from . import registry
    from .promotion import Decision, log_decision, promote

    version = report["arms"][1]["model_version"]
    decision = report["decision"]
    if decision == "keep" or version is None:
        return "nothing to apply: the test continues"
    name, artifacts = settings.train.model_name, Path(settings.serve.artifacts_dir)
    local = version.startswith("local-")
    reason = f"A/B: {report['reason']}"
    if decision == "promote":
        if not local:
            promote(settings, version, reason=reason)
            return f"version {version} promoted to champion"
        record = registry.load_artifact(artifacts, CHALLENGER)
        record.mode = None
        registry.save_artifact(record, artifacts, CHAMPION)
    elif not local:
        registry.delete_alias(name, CHALLENGER)
        registry.export(name, artifacts)
    if local:
        registry.remove_artifact(artifacts, CHALLENGER)
    log_decision(
        Path(settings.reports_dir),
        Decision(
            metric="ab_log_loss", champion_version=report["arms"][0]["model_version"],
            challenger_version=version, champion_score=report["arms"][0]["log_loss"],
            challenger_score=report["arms"][1]["log_loss"], min_improvement=settings.ab.min_effect,
            promoted=decision == "promote", deployed=CHAMPION if decision == "promote" else "none",
            reason=reason, n_train=0, n_holdout=min(a["outcomes"] for a in report["arms"]),
            timestamp=time.time(),
        ),
    )  # fmt: skip
    return f"version {version} {'promoted to champion' if decision == 'promote' else 'stopped'}"
