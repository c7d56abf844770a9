"""Test-set figures with 95% intervals: per-label P/R/F1, PR-AUC, ROC-AUC, macro-F1, the paired
difference to the baseline, the thresholds reported on test, and calibration."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score, precision_recall_fscore_support, roc_auc_score

from .calibration import fit_temperature, to_probs
from .metrics import accuracy, decide, macro_f1
from .stats import bootstrap_interval, paired_bootstrap, wilson_interval


def _interval(metric, *arrays, n_boot: int) -> dict:
    point, low, high = bootstrap_interval(metric, *arrays, n_boot=n_boot, seed=0)
    return {"value": point, "low": low, "high": high}


def _safe(fn):
    def metric(y, s):
        return fn(y, s) if 0 < y.sum() < len(y) else float("nan")

    return metric


def per_label(
    onehot: np.ndarray, probs: np.ndarray, pred: np.ndarray, labels: list[str], n_boot: int
) -> dict:
    """Precision, recall, F1 (default decision), PR-AUC and ROC-AUC per label, with intervals."""
    out = {}
    for j, label in enumerate(labels):
        y, s, p = onehot[:, j], probs[:, j], pred[:, j]

        def prf(y, p, k):
            return precision_recall_fscore_support(y, p, average="binary", zero_division=0)[k]

        out[label] = {
            "support": int(y.sum()),
            "precision": _interval(lambda y, p: prf(y, p, 0), y, p, n_boot=n_boot),
            "recall": _interval(lambda y, p: prf(y, p, 1), y, p, n_boot=n_boot),
            "f1": _interval(lambda y, p: prf(y, p, 2), y, p, n_boot=n_boot),
            "pr_auc": _interval(_safe(average_precision_score), y, s, n_boot=n_boot),
            "roc_auc": _interval(_safe(roc_auc_score), y, s, n_boot=n_boot),
        }
    return out


def summary(y: np.ndarray, probs: np.ndarray, multilabel: bool, n_boot: int) -> dict:
    return {
        "macro_f1": _interval(lambda y, p: macro_f1(y, p, multilabel), y, probs, n_boot=n_boot),
        "accuracy": _interval(lambda y, p: accuracy(y, p, multilabel), y, probs, n_boot=n_boot),
    }


def versus(y: np.ndarray, a: np.ndarray, b: np.ndarray, multilabel: bool, n_boot: int) -> dict:
    """Paired bootstrap of macro-F1(a) - macro-F1(b) on the same resampled test rows."""
    point, low, high = paired_bootstrap(
        lambda y, p: macro_f1(y, p, multilabel), (y, a), (y, b), n_boot=n_boot, seed=0
    )
    return {"value": point, "low": low, "high": high}


def thresholds_on_test(
    onehot: np.ndarray, probs: np.ndarray, labels: list[str], thresholds: dict
) -> dict:
    """Precision and recall (Wilson intervals) of each validation-chosen threshold on test,
    with a warning where the test interval lies wholly under the goal."""
    goals = {"block": ("precision", "block_precision"), "review": ("recall", "review_recall")}
    out = {}
    for label, levels in thresholds["labels"].items():
        j = labels.index(label)
        y, s = onehot[:, j], probs[:, j]
        out[label] = {}
        for level, t in levels.items():
            if t is None:
                out[label][level] = None
                continue
            fired = s >= t
            tp, n_fired, pos = int((fired & (y == 1)).sum()), int(fired.sum()), int(y.sum())
            out[label][level] = {
                "threshold": t,
                "fired": n_fired,
                "precision": tp / n_fired if n_fired else float("nan"),
                "precision_ci": wilson_interval(tp, n_fired),
                "recall": tp / pos if pos else float("nan"),
                "recall_ci": wilson_interval(tp, pos),
            }
            metric, goal_name = goals[level]
            goal, high = thresholds["goals"][goal_name], out[label][level][f"{metric}_ci"][1]
            if high < goal:
                out[label][level]["warning"] = (
                    f"{label} {level}: test {metric} 95% interval "
                    f"{out[label][level][f'{metric}_ci'][0]:.2f}-{high:.2f} is under the goal "
                    f"{goal} (chosen on validation); do not trust this threshold"
                )
    return out


def warnings(thresholds_test: dict) -> list[str]:
    """The threshold warnings of ``thresholds_on_test``, in label order."""
    return [
        r["warning"]
        for levels in thresholds_test.values()
        for r in levels.values()
        if r and "warning" in r
    ]


def calibration(onehot: np.ndarray, probs: np.ndarray, bins: int = 10) -> dict:
    """Expected calibration error and reliability bins over all (row, label) scores; Brier score."""
    y, s = onehot.ravel().astype(float), probs.ravel()
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(s, edges) - 1, 0, bins - 1)
    rows, ece = [], 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            conf, freq = float(s[mask].mean()), float(y[mask].mean())
            ece += mask.mean() * abs(conf - freq)
            rows.append({"bin": b, "n": int(mask.sum()), "confidence": conf, "frequency": freq})
    return {"ece": float(ece), "brier": float(((s - y) ** 2).mean()), "bins": rows}


def calibrate(logits: np.ndarray, y: np.ndarray, onehot: np.ndarray, multilabel: bool) -> dict:
    """A temperature fitted on these logits (pass validation's), with ECE before and after."""
    t = fit_temperature(logits, y, multilabel)
    return {
        "method": "temperature",
        "temperature": t,
        "n": len(y),
        "ece_before": calibration(onehot, to_probs(logits, multilabel))["ece"],
        "ece_after": calibration(onehot, to_probs(logits, multilabel, t))["ece"],
    }


def predictions(probs: np.ndarray, multilabel: bool, n_labels: int) -> np.ndarray:
    """(n, labels) 0/1 of the default decision rule."""
    pred = decide(probs, multilabel)
    return pred if multilabel else np.eye(n_labels, dtype=np.int64)[pred]
