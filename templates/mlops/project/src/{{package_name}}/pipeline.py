"""The training loop: train and register, evaluate, retrain a challenger and promote it or not."""

from __future__ import annotations

import json
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from . import model as m
from . import registry
from .config import Settings
from .data import split
from .registry import CHALLENGER, CHAMPION, REFERENCE, ModelRecord
from .schema import FEATURES, TARGET
from .tracking import tracked_run

SCORE = "prediction_score"


@dataclass
class TrainResult:
    model: ModelRecord
    baseline_metrics: dict[str, float]
    alias: str  # which alias the new version got


@dataclass
class Decision:
    """The outcome of a champion/challenger comparison on the same holdout."""

    metric: str
    champion_version: str | None
    challenger_version: str
    champion_score: float | None
    challenger_score: float | None  # None for a promotion by hand
    min_improvement: float
    promoted: bool
    reason: str
    n_train: int
    n_holdout: int
    timestamp: float


def decide(
    metric: str,
    champion_score: float | None,
    challenger_score: float,
    min_improvement: float,
) -> tuple[bool, str]:
    """Promote when there is no champion, or the challenger beats it by ``min_improvement``."""
    if champion_score is None:
        return True, "no champion yet"
    gain = challenger_score - champion_score
    if gain >= min_improvement:
        return True, f"{metric} +{gain:.4f} >= margin {min_improvement:.4f}"
    return False, f"{metric} {gain:+.4f} < margin {min_improvement:.4f}"


def _fit_model(
    settings: Settings, frame: pd.DataFrame, with_baseline: bool = True
) -> tuple[Any, Any, float, dict]:
    """Fit the HGB pipeline (and the baseline) on ``frame``; thresholds from its valid split."""
    parts = split(frame, test_share=0.0, valid_share=0.15, salt="valid")
    train, valid = parts["train"], parts["valid"]
    ts = settings.train
    hgb = m.fit(m.gradient_boosting(ts.seed, ts.max_iter, ts.learning_rate), train, ts.threads)
    y_valid = valid[TARGET].astype(int).to_numpy()
    threshold = ts.threshold
    if threshold is None:
        threshold = m.best_threshold(y_valid, m.scores(hgb, valid))
    if not with_baseline:
        return hgb, None, float(threshold), {}
    base = m.fit(m.baseline(ts.seed), train, ts.threads)
    base_threshold = m.best_threshold(y_valid, m.scores(base, valid))
    return hgb, base, float(threshold), {"baseline_threshold": base_threshold}


def reference_frame(pipeline: Any, frame: pd.DataFrame, n: int = 5000) -> pd.DataFrame:
    """A sample of the training inputs and their scores: the monitor's reference for a model."""
    sample = frame.sample(n, random_state=0) if len(frame) > n else frame
    reference = sample[FEATURES].copy()
    reference[SCORE] = m.scores(pipeline, sample)
    return reference


def write_reference(reference: pd.DataFrame, artifacts_dir: Path) -> None:
    artifacts_dir.mkdir(parents=True, exist_ok=True)
    reference.to_csv(artifacts_dir / REFERENCE, index=False)


def _register(
    run: Any,
    model: Any,
    reference: pd.DataFrame,
    name: str,
    threshold: float,
    metrics: dict[str, float],
) -> tuple[str, str]:
    """Register ``model`` from ``run`` and keep its drift reference with the run (so `export` and
    `promote` can restore it); return the new version and the run id."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / REFERENCE
        reference.to_csv(path, index=False)
        run.artifact(path)
    tags = {"threshold": threshold, "metrics": json.dumps(metrics)}
    return registry.log_model(model, name, tags), run.run_id


def train(
    settings: Settings, frame: pd.DataFrame, *, track: bool = True, root: Path = Path(".")
) -> TrainResult:
    """Train the model and the baseline, evaluate on the test split, log, register, export."""
    parts = split(frame, settings.data.test_share, settings.data.valid_share)
    fit_frame = pd.concat([parts["train"], parts["valid"]], ignore_index=True)
    test = parts["test"]
    if test[TARGET].nunique() < 2 or fit_frame[TARGET].nunique() < 2:
        raise ValueError("the data needs churned and retained customers in every split")
    hgb, base, threshold, extra = _fit_model(settings, fit_frame)
    y = test[TARGET].astype(int).to_numpy()
    p_model, p_base = m.scores(hgb, test), m.scores(base, test)
    model_metrics = m.metrics(y, p_model, threshold)
    base_metrics = m.metrics(y, p_base, extra["baseline_threshold"])
    reports = root / settings.reports_dir
    plots = m.plot_curves(y, {"gradient boosting": p_model, "logistic baseline": p_base}, reports)
    write_metrics(reports, model_metrics, base_metrics)
    artifacts_dir = root / settings.serve.artifacts_dir
    name = settings.train.model_name
    version, run_id, alias = f"local-{int(time.time())}", None, CHAMPION
    if track:
        registry.ensure_experiment(
            settings.train.experiment, root / settings.train.mlflow_artifacts
        )
    with tracked_run(settings.train.experiment, run_name="train", enabled=track) as run:
        run.params(
            {
                "model": "HistGradientBoostingClassifier",
                "max_iter": settings.train.max_iter,
                "learning_rate": settings.train.learning_rate,
                "seed": settings.train.seed,
                "threshold": threshold,
                "n_fit": len(fit_frame),
                "n_test": len(test),
            }
        )
        run.metrics({f"test_{k}": v for k, v in model_metrics.items()})
        run.metrics({f"baseline_{k}": v for k, v in base_metrics.items()})
        for path in [*plots, reports / "metrics.json"]:
            run.artifact(path)
        reference = reference_frame(hgb, fit_frame)
        if track:
            version, run_id = _register(run, hgb, reference, name, threshold, model_metrics)
            alias = CHALLENGER if registry.alias_version(name, CHAMPION) else CHAMPION
            registry.set_alias(name, alias, version)
    record = ModelRecord(hgb, version, threshold, model_metrics, run_id)
    if track:
        registry.export(name, artifacts_dir)
    else:
        registry.save_artifact(record, artifacts_dir, alias)
    if alias == CHAMPION:
        write_reference(reference, artifacts_dir)
    return TrainResult(record, base_metrics, alias)


def write_metrics(reports: Path, model_metrics: dict, base_metrics: dict) -> Path:
    reports.mkdir(parents=True, exist_ok=True)
    path = reports / "metrics.json"
    path.write_text(
        json.dumps({"model": model_metrics, "baseline": base_metrics}, indent=2) + "\n", "utf-8"
    )
    return path


def evaluate(settings: Settings, frame: pd.DataFrame, root: Path = Path(".")) -> dict[str, Any]:
    """Score the served champion (and the baseline, refitted) on the test split; write reports."""
    artifacts_dir = root / settings.serve.artifacts_dir
    champion = registry.load_artifact(artifacts_dir, CHAMPION)
    parts = split(frame, settings.data.test_share, settings.data.valid_share)
    fit_frame = pd.concat([parts["train"], parts["valid"]], ignore_index=True)
    test = parts["test"]
    y = test[TARGET].astype(int).to_numpy()
    base = m.fit(m.baseline(settings.train.seed), fit_frame, settings.train.threads)
    p_model, p_base = m.scores(champion.pipeline, test), m.scores(base, test)
    model_metrics = m.metrics(y, p_model, champion.threshold)
    base_metrics = m.metrics(y, p_base, m.best_threshold(y, p_base))
    reports = root / settings.reports_dir
    m.plot_curves(y, {"gradient boosting": p_model, "logistic baseline": p_base}, reports)
    write_metrics(reports, model_metrics, base_metrics)
    return {"model": model_metrics, "baseline": base_metrics, "version": champion.version}


def retrain(
    settings: Settings, fresh: pd.DataFrame, *, track: bool = True, root: Path = Path(".")
) -> Decision:
    """Train a challenger on ``fresh`` data; promote it only if it beats the champion on a holdout.

    Both models are scored on the same holdout of the fresh data. The decision is appended to
    ``reports/decisions.jsonl`` and logged to MLflow, whatever it is.
    """
    ps = settings.promotion
    if len(fresh) < ps.min_rows:
        raise ValueError(f"{len(fresh)} labelled rows, fewer than promotion.min_rows={ps.min_rows}")
    parts = split(fresh, test_share=ps.holdout_share, valid_share=0.0, salt="holdout")
    fit_frame, holdout = parts["train"], parts["test"]
    if holdout[TARGET].nunique() < 2:
        raise ValueError("the holdout has a single outcome: more labelled data is needed")
    artifacts_dir = root / settings.serve.artifacts_dir
    name = settings.train.model_name
    if track:
        registry.ensure_experiment(
            settings.train.experiment, root / settings.train.mlflow_artifacts
        )
    try:
        champion = (
            registry.load_registered(name, CHAMPION)
            if track
            else registry.load_artifact(artifacts_dir, CHAMPION)
        )
    except registry.ModelNotFound:
        champion = None
    hgb, _, threshold, _ = _fit_model(settings, fit_frame, with_baseline=False)
    y = holdout[TARGET].astype(int).to_numpy()
    challenger_metrics = m.metrics(y, m.scores(hgb, holdout), threshold)
    champion_metrics = (
        m.metrics(y, m.scores(champion.pipeline, holdout), champion.threshold) if champion else None
    )
    metric = ps.metric
    promoted, reason = decide(
        metric,
        champion_metrics[metric] if champion_metrics else None,
        challenger_metrics[metric],
        ps.min_improvement,
    )
    version, run_id = f"local-{int(time.time() * 1000)}", None
    with tracked_run(settings.train.experiment, run_name="retrain", enabled=track) as run:
        run.params({"n_fit": len(fit_frame), "n_holdout": len(holdout), "metric": metric})
        run.metrics({f"challenger_{k}": v for k, v in challenger_metrics.items()})
        if champion_metrics:
            run.metrics({f"champion_{k}": v for k, v in champion_metrics.items()})
        run.metrics({"promoted": float(promoted)})
        reference = reference_frame(hgb, fit_frame)
        if track:
            import mlflow

            version, run_id = _register(run, hgb, reference, name, threshold, challenger_metrics)
            mlflow.set_tags({"decision": "promote" if promoted else "keep", "reason": reason})
    decision = Decision(
        metric=metric,
        champion_version=champion.version if champion else None,
        challenger_version=version,
        champion_score=champion_metrics[metric] if champion_metrics else None,
        challenger_score=challenger_metrics[metric],
        min_improvement=ps.min_improvement,
        promoted=promoted,
        reason=reason,
        n_train=len(fit_frame),
        n_holdout=len(holdout),
        timestamp=time.time(),
    )
    record = ModelRecord(hgb, version, threshold, challenger_metrics, run_id)
    if track:
        if promoted:
            if champion is not None:
                registry.set_alias(name, "previous", champion.version)
            registry.set_alias(name, CHAMPION, version)
            registry.delete_alias(name, CHALLENGER)
        else:
            registry.set_alias(name, CHALLENGER, version)
        registry.export(name, artifacts_dir)
    elif promoted:
        registry.save_artifact(record, artifacts_dir, CHAMPION)
        registry.remove_artifact(artifacts_dir, CHALLENGER)
    else:
        registry.save_artifact(record, artifacts_dir, CHALLENGER)
    if promoted:
        write_reference(reference, artifacts_dir)
    log_decision(root / settings.reports_dir, decision)
    return decision


def promote(settings: Settings, version: str, root: Path = Path(".")) -> Decision:
    """Make registry ``version`` the champion by hand (a rollback); logged like any decision."""
    name = settings.train.model_name
    champion = registry.alias_version(name, CHAMPION)
    if champion == version:
        raise ValueError(f"version {version} of {name} is already the champion")
    registry.check_version(name, version)
    if champion is not None:
        registry.set_alias(name, "previous", champion)
    registry.set_alias(name, CHAMPION, version)
    if registry.alias_version(name, CHALLENGER) == version:
        registry.delete_alias(name, CHALLENGER)
    registry.export(name, root / settings.serve.artifacts_dir)
    decision = Decision(
        metric="manual",
        champion_version=champion,
        challenger_version=version,
        champion_score=None,
        challenger_score=None,
        min_improvement=0.0,
        promoted=True,
        reason="promoted by hand",
        n_train=0,
        n_holdout=0,
        timestamp=time.time(),
    )
    log_decision(root / settings.reports_dir, decision)
    return decision


def log_decision(reports: Path, decision: Decision) -> None:
    reports.mkdir(parents=True, exist_ok=True)
    with (reports / "decisions.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps(asdict(decision)) + "\n")


def fresh_from_log(prediction_db: Path) -> pd.DataFrame:
    """Logged predictions that got feedback, as labelled training data (latest row per customer)."""
    from .predlog import read_predictions
    from .schema import ID

    log = read_predictions(prediction_db)
    labelled = log.dropna(subset=[TARGET]).rename(columns={"entity_id": ID})
    labelled = labelled.drop_duplicates(subset=[ID], keep="last")
    labelled[TARGET] = labelled[TARGET].astype(bool)
    return labelled[[ID, *FEATURES, TARGET]].reset_index(drop=True)
