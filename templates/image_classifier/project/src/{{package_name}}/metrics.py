"""Test metrics with 95% intervals: accuracy (Wilson), macro-F1 (bootstrap), calibration (ECE)."""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from .stats import bootstrap_interval, paired_bootstrap, wilson_interval

N_BOOT = 1000


def accuracy(targets: np.ndarray, predictions: np.ndarray) -> float:
    return float(np.mean(targets == predictions)) if len(targets) else 0.0


def macro_f1_for(n_classes: int):
    """macro-F1 over the classes present in the targets (fast enough for bootstrap resamples)."""

    def macro_f1(targets: np.ndarray, predictions: np.ndarray) -> float:
        flat = np.asarray(targets, np.int64) * n_classes + np.asarray(predictions, np.int64)
        matrix = np.bincount(flat, minlength=n_classes * n_classes).reshape(n_classes, -1)
        actual = matrix.sum(axis=1)
        f1 = 2 * np.diag(matrix) / np.maximum(1, actual + matrix.sum(axis=0))  # 2TP/(2TP+FP+FN)
        return float(f1[actual > 0].mean()) if actual.any() else 0.0

    return macro_f1


def scored(targets: np.ndarray, predictions: np.ndarray, n_classes: int) -> dict[str, Any]:
    """Accuracy and macro-F1, each with its 95% interval ``{value, low, high}``."""
    n, right = len(targets), int(np.sum(targets == predictions))
    low, high = wilson_interval(right, n)
    f1, f1_low, f1_high = bootstrap_interval(
        macro_f1_for(n_classes), targets, predictions, n_boot=N_BOOT
    )
    return {
        "accuracy": {"value": right / max(1, n), "low": low, "high": high},
        "macro_f1": {"value": f1, "low": f1_low, "high": f1_high},
    }


def paired_difference(
    targets: np.ndarray, a: np.ndarray, b: np.ndarray, n_classes: int
) -> dict[str, Any]:
    """Model ``a`` minus model ``b`` on the same resampled test images (paired bootstrap)."""
    out = {}
    for name, metric in (("accuracy", accuracy), ("macro_f1", macro_f1_for(n_classes))):
        point, low, high = paired_bootstrap(metric, (targets, a), (targets, b), n_boot=N_BOOT)
        out[name] = {"value": point, "low": low, "high": high}
    return out


def classification_report(
    targets: np.ndarray, predictions: np.ndarray, classes: list[str]
) -> dict[str, Any]:
    """Per-class precision/recall/F1/support, macro figures and the confusion matrix."""
    labels = list(range(len(classes)))
    precision, recall, f1, support = precision_recall_fscore_support(
        targets, predictions, labels=labels, zero_division=0
    )
    per_class = [
        {"class": c, "precision": float(p), "recall": float(r), "f1": float(f), "support": int(n)}
        for c, p, r, f, n in zip(classes, precision, recall, f1, support, strict=True)
    ]
    return {
        "macro_precision": float(precision.mean()),
        "macro_recall": float(recall.mean()),
        "n_test": len(targets),
        "per_class": per_class,
        "confusion_matrix": confusion_matrix(targets, predictions, labels=labels).tolist(),
        "classes": classes,
    }


def calibration(targets: np.ndarray, probabilities: np.ndarray, bins: int = 15) -> dict[str, Any]:
    """Expected calibration error of the top-1 confidence, and the reliability-diagram bins."""
    confidence = probabilities.max(axis=1)
    right = probabilities.argmax(axis=1) == targets
    edges = np.linspace(0, 1, bins + 1)
    index = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    counts = np.bincount(index, minlength=bins)
    conf = np.bincount(index, confidence, bins) / np.maximum(1, counts)
    acc = np.bincount(index, right, bins) / np.maximum(1, counts)
    rows = [
        {"low": float(edges[b]), "high": float(edges[b + 1]), "count": int(counts[b]),
         "confidence": float(conf[b]), "accuracy": float(acc[b])}
        for b in np.flatnonzero(counts)
    ]  # fmt: skip
    ece = float(np.sum(counts * np.abs(acc - conf)) / max(1, len(targets)))
    return {"ece": ece, "bins": rows, "n_bins": bins}
