"""Training: fit the model and its logistic baseline, evaluate, register, export."""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import model as m
from . import registry
from .artifacts import (
    BASELINE,
    CHALLENGER,
    CHAMPION,
    GBM,
    REFERENCE,
    ModelRecord,
    save_artifact,
)
from .config import Settings
from .data import split
from .schema import FEATURES, ID, TARGET
from .tracking import tracked_run

SCORE = "prediction_score"
SERVE_CHOICES = ("auto", "model", "baseline")


@dataclass
class TrainResult:
    model: ModelRecord  # the served one: gradient boosting or the baseline (``model.kind``)
    baseline_metrics: dict[str, float]
    alias: str  # which alias the new version got
    model_metrics: dict[str, float]  # gradient boosting's, whichever serves
    comparison: dict  # gradient boosting vs baseline: paired AUC gain, 95% interval, why


def compare_to_baseline(y: np.ndarray, p_model: np.ndarray, p_base: np.ndarray, serve: str) -> dict:
    """Which model serves: gradient boosting only when its AUC gain over the baseline has a paired
    (DeLong) 95% interval above 0; else the baseline, a model too and the simpler one. ``serve``
    ``model`` or ``baseline`` overrides the choice (the reason says so)."""
    from .gate import delong

    if serve not in SERVE_CHOICES:
        raise ValueError(f"serve must be one of {', '.join(SERVE_CHOICES)}, not {serve!r}")
    gain, se, p_value = delong(y, p_model, p_base)
    low, high = gain - 1.959964 * se, gain + 1.959964 * se
    beats = bool(low > 0)
    interval = f"AUC gain {gain:+.4f}, paired 95% interval [{low:+.4f}, {high:+.4f}]"
    if serve == "auto":
        served = GBM if beats else BASELINE
        verdict = (
            "gradient boosting beats the logistic baseline"
            if beats
            else "gradient boosting does not beat the logistic baseline: the baseline serves"
        )
    else:
        served = GBM if serve == "model" else BASELINE
        verdict = f"{served} serves because --serve {serve} said so" + (
            "" if beats == (served == GBM) else " (against the comparison)"
        )
    return {
        "gain": gain, "low": low, "high": high, "p_value": p_value,
        "beats_baseline": beats, "served": served, "interval": interval,
        "reason": f"{verdict} ({interval})",
    }  # fmt: skip


def fit_model(
    settings: Settings, frame: pd.DataFrame, with_baseline: bool = True
) -> tuple[Any, Any, float, dict]:
    """Fit the HGB pipeline (and the baseline) on ``frame``'s train part, calibrate it on its
    valid part (:func:`model.calibrate`), then pick the threshold on the calibrated valid scores."""
    train, valid = fit_parts(frame)
    ts = settings.train
    fitted = m.fit(m.gradient_boosting(ts.seed, ts.max_iter, ts.learning_rate), train, ts.threads)
    hgb = m.calibrate(fitted, valid)
    y_valid = valid[TARGET].astype(int).to_numpy()
    threshold = ts.threshold
    if threshold is None:
        threshold = m.best_threshold(y_valid, m.scores(hgb, valid))
    extra: dict = {"n_calibration": len(valid)}
    if not with_baseline:
        return hgb, None, float(threshold), extra
    base, base_threshold = fit_baseline(settings, frame)
    return hgb, base, float(threshold), {**extra, "baseline_threshold": base_threshold}


def fit_and_test(settings: Settings, frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows a model learns from (train + valid splits) and the test split."""
    parts = split(frame, settings.data.test_share, settings.data.valid_share)
    return pd.concat([parts["train"], parts["valid"]], ignore_index=True), parts["test"]


def validation_losses(settings: Settings, frame: pd.DataFrame, pipeline: Any) -> dict[str, float]:
    """Each validation customer's log loss under ``pipeline``: the experiment log's units (the
    rows `train` calibrates and thresholds on, never the test split)."""
    valid = fit_parts(fit_and_test(settings, frame)[0])[1]
    y = valid[TARGET].astype(int).to_numpy()
    p = np.clip(m.scores(pipeline, valid), 1e-6, 1 - 1e-6)
    loss = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    return dict(zip(valid[ID].astype(str), loss.tolist(), strict=True))


def fit_parts(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The rows a model is fitted on and the validation rows it is calibrated and thresholded on."""
    parts = split(frame, test_share=0.0, valid_share=0.15, salt="valid")
    return parts["train"], parts["valid"]


def fit_baseline(settings: Settings, frame: pd.DataFrame) -> tuple[Any, float]:
    """The logistic baseline fitted and calibrated as `train` does, and its F1-best validation
    threshold (`evaluate` refits it the same way: the same figures, never a test threshold)."""
    train, valid = fit_parts(frame)
    fitted = m.fit(m.baseline(settings.train.seed), train, settings.train.threads)
    base = m.calibrate(fitted, valid)
    y_valid = valid[TARGET].astype(int).to_numpy()
    threshold = settings.train.threshold
    if threshold is None:
        threshold = m.best_threshold(y_valid, m.scores(base, valid))
    return base, float(threshold)


def reference_frame(pipeline: Any, frame: pd.DataFrame, n: int = 5000) -> pd.DataFrame:
    """A sample of the training inputs and their scores: the monitor's reference for a model."""
    sample = frame.sample(n, random_state=0) if len(frame) > n else frame
    reference = sample[FEATURES].copy()
    reference[SCORE] = m.scores(pipeline, sample)
    return reference


def write_reference(reference: pd.DataFrame, artifacts_dir: Path) -> None:
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    reference.to_csv(artifacts_dir / REFERENCE, index=False)


def register(
    run: Any,
    model: Any,
    reference: pd.DataFrame,
    name: str,
    threshold: float,
    metrics: dict[str, float],
    kind: str = GBM,
) -> tuple[str, str]:
    """Register ``model`` from ``run`` and keep its drift reference with the run (so `export` and
    `promote` can restore it); return the new version and the run id."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / REFERENCE
        reference.to_csv(path, index=False)
        run.artifact(path)
    tags = {"threshold": threshold, "metrics": json.dumps(metrics), "kind": kind}
    return registry.log_model(model, name, tags), run.run_id


def train(
    settings: Settings,
    frame: pd.DataFrame,
    *,
    track: bool = True,
    root: Path = Path("."),
    data_facts: dict | None = None,
    serve: str = "auto",
) -> TrainResult:
    """Train the model and the baseline, evaluate on the test split, log, register, export.

    The model registered and served is gradient boosting only when it beats the baseline
    (:func:`compare_to_baseline`), else the baseline; ``serve`` overrides the choice."""
    fit_frame, test = fit_and_test(settings, frame)
    if test[TARGET].nunique() < 2 or fit_frame[TARGET].nunique() < 2:
        raise ValueError("the data needs churned and retained customers in every split")
    hgb, base, threshold, extra = fit_model(settings, fit_frame)
    y = test[TARGET].astype(int).to_numpy()
    p_model, p_base = m.scores(hgb, test), m.scores(base, test)
    model_metrics = m.metrics(y, p_model, threshold)
    base_metrics = m.metrics(y, p_base, extra["baseline_threshold"])
    comparison = compare_to_baseline(y, p_model, p_base, serve)
    if comparison["served"] == BASELINE:
        served, served_threshold, served_metrics = base, extra["baseline_threshold"], base_metrics
    else:
        served, served_threshold, served_metrics = hgb, threshold, model_metrics
    reports = root / settings.reports_dir
    curves = {GBM: p_model, BASELINE: p_base}
    before = m.uncalibrated_scores({GBM: hgb, BASELINE: base}, test)
    calibration = m.calibration_report(y, curves, before, extra["n_calibration"])
    plots = m.plot_curves(y, curves, reports, before)
    artifacts_dir = root / settings.serve.artifacts_dir
    name = settings.train.model_name
    version, run_id, alias = f"local-{int(time.time())}", None, CHAMPION
    if track:
        registry.ensure_experiment(
            settings.train.experiment, root / settings.train.mlflow_artifacts
        )
    with tracked_run(settings.train.experiment, run_name="train", enabled=track) as run:
        ts = settings.train
        run.params({
            "model": "HistGradientBoostingClassifier", "max_iter": ts.max_iter,
            "learning_rate": ts.learning_rate, "seed": ts.seed, "threshold": threshold,
            "n_fit": len(fit_frame), "n_test": len(test), "served": comparison["served"],
        })  # fmt: skip
        run.metrics({f"test_{k}": v for k, v in model_metrics.items()})
        run.metrics({f"baseline_{k}": v for k, v in base_metrics.items()})
        reference = reference_frame(served, fit_frame)
        if track:
            version, run_id = register(
                run, served, reference, name, served_threshold, served_metrics,
                kind=comparison["served"],
            )  # fmt: skip
            alias = CHALLENGER if registry.alias_version(name, CHAMPION) else CHAMPION
            registry.set_alias(name, alias, version)
        record = ModelRecord(
            served, version, served_threshold, served_metrics, run_id, kind=comparison["served"]
        )
        facts = run_facts(
            frame, "train", version=version, sha256=record.digest, run_id=run_id,
            **(data_facts or {}),
        )  # fmt: skip
        write_metrics(
            reports, y, p_model, p_base, model_metrics, base_metrics, facts, comparison, calibration
        )
        for path in [*plots, reports / "metrics.json"]:
            run.artifact(path)
    if track:
        registry.export(name, artifacts_dir)
    else:
        save_artifact(record, artifacts_dir, alias)
    if alias == CHAMPION:
        write_reference(reference, artifacts_dir)
        write_history(root / settings.data.history, fit_frame, settings.promotion.history_rows)
    return TrainResult(record, base_metrics, alias, model_metrics, comparison)


def write_history(path: Path, frame: pd.DataFrame, rows: int) -> None:
    """Keep the latest ``rows`` labelled rows the champion learnt from (retraining reuses them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame[[ID, *FEATURES, TARGET]].tail(rows).to_csv(path, index=False)


def read_history(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    frame = pd.read_csv(path, dtype={ID: str})
    frame[TARGET] = frame[TARGET].astype(bool)
    return frame


def intervals(y: np.ndarray, p: np.ndarray) -> dict[str, tuple[float, float, float]]:
    """ROC-AUC and PR-AUC with 95% bootstrap intervals over the rows."""
    from sklearn.metrics import average_precision_score, roc_auc_score

    from .stats import bootstrap_interval

    return {
        name: tuple(float(v) for v in bootstrap_interval(fn, y, p, n_boot=300, seed=0))
        for name, fn in (("roc_auc", roc_auc_score), ("pr_auc", average_precision_score))
    }


def write_metrics(
    reports: Path, y: np.ndarray, p_model: np.ndarray, p_base: np.ndarray,
    model_metrics: dict, base_metrics: dict, run: dict, comparison: dict, calibration: dict,
) -> Path:  # fmt: skip
    """reports/metrics.json: both models' test metrics, their intervals, the paired comparison
    (and so which one serves), the ECE before and after calibration, and the run's facts."""
    reports.mkdir(parents=True, exist_ok=True)
    path = reports / "metrics.json"
    body = {
        "model": model_metrics,
        "baseline": base_metrics,
        "intervals": {"model": intervals(y, p_model), "baseline": intervals(y, p_base)},
        "comparison": comparison,
        "calibration": calibration,
        "served": comparison["served"],
        "version": run.get("version"),
        "run": run,
    }
    path.write_text(json.dumps(body, indent=2) + "\n", "utf-8")
    return path


def run_facts(frame: pd.DataFrame, command: str, **extra: object) -> dict:
    """What the model card's provenance says about this run."""
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=False).values).hexdigest()
    return {
        "command": command,
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "rows": len(frame),
        "fingerprint": f"sha256:{digest}",
        **extra,
    }
