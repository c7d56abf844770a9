"""A/B analysis of logged predictions with their feedback: per-variant metrics, intervals, tests."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats

from .registry import CHALLENGER, CHAMPION


def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion."""
    if n == 0:
        return float("nan"), float("nan")
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def two_proportion_test(k1: int, n1: int, k2: int, n2: int) -> float:
    """Two-sided p-value of the pooled two-proportion z-test (1.0 when undefined)."""
    if min(n1, n2) == 0:
        return float("nan")
    pooled = (k1 + k2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return 1.0
    z = (k1 / n1 - k2 / n2) / se
    return float(2 * stats.norm.sf(abs(z)))


def mean_interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    if len(values) < 2:
        return float("nan"), float("nan")
    half = stats.t.ppf(0.5 + confidence / 2, len(values) - 1) * stats.sem(values)
    mean = float(np.mean(values))
    return mean - float(half), mean + float(half)


def ab_report(frame: pd.DataFrame, alpha: float = 0.05) -> dict:
    """Per-variant outcome metrics of predictions that have feedback, and the tests between them.

    ``frame`` needs columns ``variant``, ``model_version``, ``score``, ``label`` (the yes/no the API
    answered) and ``churn`` (the outcome, missing when no feedback came).

    - churn rate (the business outcome) with a Wilson interval, compared by a two-proportion z-test;
    - accuracy of the yes/no answer, Wilson interval, two-proportion z-test;
    - Brier score (mean squared error of the probability), t interval, Welch t-test.
    """
    known = frame.dropna(subset=["churn"])
    variants: dict[str, dict] = {}
    samples: dict[str, dict[str, np.ndarray]] = {}
    for variant in (CHAMPION, CHALLENGER):
        rows = known[known["variant"] == variant]
        y = rows["churn"].astype(int).to_numpy()
        correct = (rows["label"].astype(int).to_numpy() == y).astype(int)
        squared = (rows["score"].to_numpy(dtype=float) - y) ** 2
        n = len(rows)
        samples[variant] = {"churn": y, "correct": correct, "squared": squared}
        variants[variant] = {
            "model_versions": sorted(rows["model_version"].astype(str).unique().tolist()),
            "predictions": int((frame["variant"] == variant).sum()),
            "with_feedback": n,
            "churn_rate": float(y.mean()) if n else float("nan"),
            "churn_rate_ci": wilson(int(y.sum()), n),
            "accuracy": float(correct.mean()) if n else float("nan"),
            "accuracy_ci": wilson(int(correct.sum()), n),
            "brier": float(squared.mean()) if n else float("nan"),
            "brier_ci": mean_interval(squared),
        }
    a, b = samples[CHAMPION], samples[CHALLENGER]
    tests = {
        "churn_rate": two_proportion_test(
            int(a["churn"].sum()), len(a["churn"]), int(b["churn"].sum()), len(b["churn"])
        ),
        "accuracy": two_proportion_test(
            int(a["correct"].sum()), len(a["correct"]), int(b["correct"].sum()), len(b["correct"])
        ),
        "brier": (
            float(stats.ttest_ind(a["squared"], b["squared"], equal_var=False).pvalue)
            if min(len(a["squared"]), len(b["squared"])) >= 2
            else float("nan")
        ),
    }
    significant = {k: bool(p < alpha) for k, p in tests.items() if not math.isnan(p)}
    return {
        "alpha": alpha,
        "variants": variants,
        "p_values": tests,
        "significant": significant,
        "verdict": verdict(variants, tests, alpha),
    }


def verdict(variants: dict, p_values: dict, alpha: float) -> str:
    a, b = variants[CHAMPION], variants[CHALLENGER]
    if min(a["with_feedback"], b["with_feedback"]) == 0:
        return "not enough feedback: both variants need predictions with known outcomes"
    p = p_values["accuracy"]
    better = CHALLENGER if b["accuracy"] > a["accuracy"] else CHAMPION
    if p < alpha:
        return f"{better} is significantly more accurate (p = {p:.3g} < {alpha})"
    return f"no significant difference in accuracy (p = {p:.3g} >= {alpha})"
