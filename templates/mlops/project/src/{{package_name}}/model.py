"""The churn model (preprocessing + gradient boosting), its logistic baseline, and metrics."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    precision_recall_curve,
    precision_recall_fscore_support,
    roc_auc_score,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from .schema import CATEGORICAL, FEATURES, NUMERIC, TARGET

CALIBRATION = "Platt scaling (a sigmoid), fitted on the validation split"


def gradient_boosting(seed: int = 0, max_iter: int = 100, learning_rate: float = 0.1) -> Pipeline:
    """Ordinal-encoded categoricals (unknown values: -1) + HGB splitting on the codes.

    The codes are split as numbers, not as native categories: ONNX's tree ensemble (what the API
    serves) has no categorical splits, and on this data the difference is about 0.002 AUC.
    """
    codes = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1)
    encode = ColumnTransformer([("cat", codes, CATEGORICAL), ("num", "passthrough", NUMERIC)])
    model = HistGradientBoostingClassifier(
        max_iter=max_iter,
        learning_rate=learning_rate,
        max_leaf_nodes=8,  # small trees and large leaves: churn tables are small and noisy
        min_samples_leaf=50,
        early_stopping=False,
        l2_regularization=1.0,
        random_state=seed,
    )
    return Pipeline([("prep", encode), ("model", model)])


def baseline(seed: int = 0) -> Pipeline:
    """One-hot + scaled numerics + logistic regression: the model to beat."""
    encode = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORICAL),
            ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), NUMERIC),
        ]
    )
    return Pipeline([("prep", encode), ("model", LogisticRegression(max_iter=2000))])


def fit(pipeline: Pipeline, frame: pd.DataFrame, threads: int | None = 1) -> Pipeline:
    """Fit on ``frame``'s features and label with at most ``threads`` OpenMP threads (None: all).

    One thread is the default: on tables this size the histogram work is small, and on a busy
    2-core machine OpenMP's spinning threads make a fit several times slower, not faster.
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=threads):
        return pipeline.fit(frame[FEATURES], frame[TARGET].astype(int))


def calibrate(fitted: Pipeline, frame: pd.DataFrame) -> Pipeline:
    """``fitted`` with Platt scaling (a sigmoid on its decision function) fitted on ``frame``, the
    validation split: the same steps, the classifier frozen inside ``CalibratedClassifierCV``.

    Platt, not isotonic: it keeps the ranking (AUC and the paired comparison do not move), needs
    few rows, and skl2onnx reproduces it (its isotonic graph differs from scikit-learn's).
    """
    calibrator = CalibratedClassifierCV(FrozenEstimator(fitted[-1]), method="sigmoid")
    calibrator.fit(fitted[:-1].transform(frame[FEATURES]), frame[TARGET].astype(int))
    return Pipeline([*fitted.steps[:-1], ("model", calibrator)])


def uncalibrated(pipeline: Pipeline) -> Pipeline:
    """The pipeline as fitted, before :func:`calibrate` (itself when it is not calibrated)."""
    if not isinstance(pipeline[-1], CalibratedClassifierCV):
        return pipeline
    return Pipeline([*pipeline.steps[:-1], ("model", pipeline[-1].estimator.estimator)])


def scores(pipeline: Pipeline, frame: pd.DataFrame) -> np.ndarray:
    """Churn probabilities for every row of ``frame``."""
    return pipeline.predict_proba(frame[FEATURES])[:, 1]


def best_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The threshold that maximises F1 on (y, p)."""
    precision, recall, thresholds = precision_recall_curve(y, p)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    return float(thresholds[int(np.argmax(f1[:-1]))]) if len(thresholds) else 0.5


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Mean |observed rate - mean score| over equal-width score bins, weighted by bin size."""
    which = np.clip(np.digitize(p, np.linspace(0, 1, bins + 1)[1:-1]), 0, bins - 1)
    gaps = np.abs(np.bincount(which, y, bins) - np.bincount(which, p, bins))  # per-bin sums
    return float(gaps.sum() / len(p))


def calibration_report(
    y: np.ndarray, after: dict[str, np.ndarray], before: dict[str, np.ndarray], n_valid: int
) -> dict:
    """Each model's ECE on the test split before and after its calibration on validation, and a
    paired bootstrap 95% interval of the change (after - before, on the same rows)."""
    from .stats import paired_bootstrap

    ece, y = expected_calibration_error, np.asarray(y).astype(int)
    report: dict = {"method": CALIBRATION, "n_valid": n_valid, "ece": {}}
    for name, p in after.items():
        change = paired_bootstrap(ece, (y, p), (y, before[name]), n_boot=300, seed=0)
        report["ece"][name] = {
            "before": ece(y, before[name]), "after": ece(y, p), "change": list(change),
        }  # fmt: skip
    return report


def metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    """ROC-AUC, PR-AUC, F1/precision/recall at ``threshold``, and calibration (Brier, ECE)."""
    y = np.asarray(y).astype(int)
    both = len(np.unique(y)) == 2
    precision, recall, f1, _ = precision_recall_fscore_support(
        y, (p >= threshold).astype(int), average="binary", zero_division=0
    )
    return {
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, p)) if both else float("nan"),
        "f1": float(f1),
        "precision": float(precision),
        "recall": float(recall),
        "threshold": float(threshold),
        "brier": float(brier_score_loss(y, p)),
        "ece": expected_calibration_error(y, p),
        "log_loss": float(log_loss(y, np.clip(p, 1e-7, 1 - 1e-7), labels=[0, 1])),
        "churn_rate": float(y.mean()),
        "n": float(len(y)),
    }


def plot_curves(
    y: np.ndarray, curves: dict[str, np.ndarray], before: dict[str, np.ndarray], out_dir: Path
) -> list[Path]:
    """ROC, precision-recall and reliability plots of each model's scores, as PNG files (drawn by
    scikit-learn's displays); the reliability plot also draws the ``before`` (uncalibrated)
    scores, dashed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.calibration import CalibrationDisplay
    from sklearn.metrics import PrecisionRecallDisplay, RocCurveDisplay

    out_dir.mkdir(parents=True, exist_ok=True)
    y = np.asarray(y).astype(int)
    bins = {"n_bins": 10, "strategy": "quantile"}
    paths = []
    for name, title, display, options in (
        ("roc", "ROC", RocCurveDisplay, {"plot_chance_level": True}),
        ("pr", "Precision-recall", PrecisionRecallDisplay, {"plot_chance_level": True}),
        ("calibration", "Reliability", CalibrationDisplay, bins),
    ):
        fig, ax = plt.subplots(figsize=(5, 5))
        for label, p in curves.items():
            display.from_predictions(y, p, name=label, ax=ax, **options)
        for label, p in before.items() if display is CalibrationDisplay else ():
            display.from_predictions(
                y, p, name=f"{label}, before calibration", ax=ax, ls="--", marker="x", **bins
            )
        ax.set_title(title)
        paths.append(out_dir / f"{name}.png")
        fig.savefig(paths[-1], dpi=100, bbox_inches="tight")
        plt.close(fig)
    return paths
