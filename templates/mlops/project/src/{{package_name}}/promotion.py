"""Retraining and promotion: a challenger learns from history plus fresh data, must pass the gate
(:mod:`.gate`), and then serves as a shadow or A/B challenger, never straight to 100%.

Every decision is appended to ``reports/decisions.jsonl`` (and tagged in the registry).
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from . import model as m
from . import registry
from .artifacts import (
    CHALLENGER,
    CHAMPION,
    ModelNotFound,
    ModelRecord,
    load_artifact,
    save_artifact,
)
from .config import Settings
from .data import split
from .gate import evaluate_gate
from .schema import FEATURES, ID, TARGET
from .tracking import tracked_run
from .training import fit_model, read_history, reference_frame, write_history, write_reference


@dataclass
class Decision:
    """The outcome of a champion/challenger comparison (or of a promotion by hand)."""

    metric: str
    champion_version: str | None
    challenger_version: str
    champion_score: float | None
    challenger_score: float | None  # None for a promotion by hand
    min_improvement: float
    promoted: bool  # the challenger became the champion
    deployed: str  # champion, shadow, ab or none
    reason: str
    n_train: int
    n_holdout: int
    timestamp: float
    checks: dict[str, float] = field(default_factory=dict)


def training_window(settings: Settings, fit: pd.DataFrame, root: Path) -> pd.DataFrame:
    """The fresh rows plus the latest ``history_rows`` of the champion's history (fresh wins)."""
    history = read_history(root / settings.data.history)
    if history is None:
        return fit
    history = history[~history[ID].isin(set(fit[ID]))]
    window = pd.concat([history, fit], ignore_index=True)
    return window.tail(max(settings.promotion.history_rows, len(fit))).reset_index(drop=True)


def _champion(settings: Settings, track: bool, artifacts: Path) -> ModelRecord | None:
    name = settings.train.model_name
    try:
        if track:
            return registry.load_registered(name, CHAMPION)
        return load_artifact(artifacts, CHAMPION)
    except ModelNotFound:
        return None


def retrain(
    settings: Settings, fresh: pd.DataFrame, *, track: bool = True, root: Path = Path(".")
) -> Decision:
    """Fit a challenger on history + the fresh data's fit part and gate it on the fresh holdout.

    Passing: it becomes the challenger, serving as ``promotion.deploy_as`` (shadow or ab) until
    ``ab-report --apply`` or ``promote`` decides; with no champion yet it becomes the champion.
    """
    ps = settings.promotion
    if len(fresh) < ps.min_rows:
        raise ValueError(f"{len(fresh)} labelled rows, fewer than promotion.min_rows={ps.min_rows}")
    parts = split(fresh, test_share=ps.holdout_share, valid_share=0.0, salt="holdout")
    holdout = parts["test"]
    if holdout[TARGET].nunique() < 2:
        raise ValueError("the holdout has a single outcome: more labelled data is needed")
    window = training_window(settings, parts["train"], root)
    if window[TARGET].nunique() < 2:
        raise ValueError("the training window has a single outcome: more labelled data is needed")
    artifacts = root / settings.serve.artifacts_dir
    name = settings.train.model_name
    if track:
        registry.ensure_experiment(
            settings.train.experiment, root / settings.train.mlflow_artifacts
        )
    champion = _champion(settings, track, artifacts)
    hgb, base, threshold, _ = fit_model(settings, window)
    y = holdout[TARGET].astype(int).to_numpy()
    p_new, p_base = m.scores(hgb, holdout), m.scores(base, holdout)
    p_old = m.scores(champion.pipeline, holdout) if champion else None
    gate = evaluate_gate(
        holdout, y, p_new, p_old, p_base,
        min_improvement=ps.min_improvement, min_holdout=ps.min_holdout,
        max_ece_increase=ps.max_ece_increase, max_slice_drop=ps.max_slice_drop, slices=ps.slices,
        confidence=ps.confidence,
    )  # fmt: skip
    new_metrics = m.metrics(y, p_new, threshold)
    old_metrics = m.metrics(y, p_old, champion.threshold) if champion else None
    deployed = "none" if not gate.passed else (ps.deploy_as if champion else CHAMPION)
    reason = "no champion yet" if champion is None and gate.passed else gate.summary
    version, run_id = f"local-{int(time.time() * 1000)}", None
    reference = reference_frame(hgb, window)
    with tracked_run(settings.train.experiment, run_name="retrain", enabled=track) as run:
        run.params({"n_fit": len(window), "n_holdout": len(holdout), "metric": ps.metric})
        run.metrics({f"challenger_{k}": v for k, v in new_metrics.items()})
        if old_metrics:
            run.metrics({f"champion_{k}": v for k, v in old_metrics.items()})
        run.metrics({"gate_passed": float(gate.passed)})
        if track:
            import mlflow

            from .training import register

            version, run_id = register(run, hgb, reference, name, threshold, new_metrics)
            mlflow.set_tags({"decision": deployed, "reason": reason[:500]})
    record = ModelRecord(hgb, version, threshold, new_metrics, run_id, mode=deployed)
    _deploy(settings, record, deployed, champion, track, artifacts)
    if deployed == CHAMPION:
        write_reference(reference, artifacts)
        write_history(root / settings.data.history, window, ps.history_rows)
    decision = Decision(
        metric=ps.metric,
        champion_version=champion.version if champion else None,
        challenger_version=version,
        champion_score=old_metrics[ps.metric] if old_metrics else None,
        challenger_score=new_metrics[ps.metric],
        min_improvement=ps.min_improvement,
        promoted=deployed == CHAMPION,
        deployed=deployed,
        reason=reason,
        n_train=len(window),
        n_holdout=len(holdout),
        timestamp=time.time(),
        checks=gate.checks,
    )
    log_decision(root / settings.reports_dir, decision)
    return decision


def _deploy(
    settings: Settings,
    record: ModelRecord,
    deployed: str,
    champion: ModelRecord | None,
    track: bool,
    artifacts: Path,
) -> None:
    name = settings.train.model_name
    if deployed == "none":
        return  # registered (when tracking) for the record, but serves nowhere
    alias = CHAMPION if deployed == CHAMPION else CHALLENGER
    if track:
        registry.set_alias(name, alias, record.version)
        registry.client().set_model_version_tag(name, record.version, "mode", deployed)
        registry.export(name, artifacts)
    else:
        save_artifact(record, artifacts, alias)


def promote(
    settings: Settings, version: str, root: Path = Path("."), reason: str = "promoted by hand"
) -> Decision:
    """Make registry ``version`` the champion (a promotion on A/B evidence, or a rollback)."""
    name = settings.train.model_name
    champion = registry.alias_version(name, CHAMPION)
    if champion == version:
        raise ValueError(f"version {version} of {name} is already the champion")
    registry.check_version(name, version)
    if champion is not None:
        registry.set_alias(name, "previous", champion)
    registry.set_alias(name, CHAMPION, version)
    registry.client().set_model_version_tag(name, version, "promoted", reason[:500])
    if registry.alias_version(name, CHALLENGER) == version:
        registry.delete_alias(name, CHALLENGER)
    registry.export(name, root / settings.serve.artifacts_dir)
    decision = Decision(
        metric="manual", champion_version=champion, challenger_version=version,
        champion_score=None, challenger_score=None, min_improvement=0.0, promoted=True,
        deployed=CHAMPION, reason=reason, n_train=0, n_holdout=0, timestamp=time.time(),
    )  # fmt: skip
    log_decision(root / settings.reports_dir, decision)
    return decision


def log_decision(reports: Path, decision: Decision) -> None:
    reports.mkdir(parents=True, exist_ok=True)
    with (reports / "decisions.jsonl").open("a", encoding="utf-8") as out:
        out.write(json.dumps(json_safe(asdict(decision)), allow_nan=False) + "\n")


def json_safe(value: object) -> object:
    """``value`` with every NaN or infinity replaced by None (JSON has no NaN)."""
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def fresh_from_log(prediction_db: str) -> pd.DataFrame:
    """Logged predictions that got feedback, as labelled training data (latest row per customer)."""
    from .predlog import read_predictions

    log = read_predictions(prediction_db)
    if log.empty or TARGET not in log or log[TARGET].isna().all():
        raise ValueError(
            f"no prediction in {prediction_db} has feedback yet: send outcomes to /feedback "
            "or retrain with --data"
        )
    labelled = log.dropna(subset=[TARGET]).rename(columns={"entity_id": ID})
    labelled = labelled.drop_duplicates(subset=[ID], keep="last")
    labelled[TARGET] = labelled[TARGET].astype(bool)
    return labelled[[ID, *FEATURES, TARGET]].reset_index(drop=True)
