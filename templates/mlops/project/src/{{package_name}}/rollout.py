"""Moving a challenger between serving modes: out of the shadow into an A/B test or a canary once
its shadow period passed its checks (``promote --to ab``), to champion or out on the A/B test's
decision (``ab-report --apply``), and the record of a canary's automatic rollback. Every change
is tagged on the model source and logged in ``reports/decisions.jsonl``.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import pandas as pd

from . import registry
from .abtest import log_losses, mature, plan, shadow_pairs
from .artifacts import (
    CHALLENGER,
    CHAMPION,
    MODES,
    ROLLED_BACK,
    ModelNotFound,
    artifact_state,
    load_artifact,
    remove_artifact,
    save_artifact,
    set_artifact_mode,
)
from .canary import Rollback
from .config import Settings, ShadowSettings
from .predlog import read_predictions
from .promotion import Decision, log_decision

log = logging.getLogger(__name__)


def shadow_checks(
    frame: pd.DataFrame,
    version: str,
    settings: ShadowSettings,
    maturity_days: float = 0.0,
    now: float | None = None,
) -> dict:
    """Whether ``version``'s shadow scores earned it live traffic.

    ``frame`` is the whole log (served and shadow rows). Each shadow score is paired with the
    champion's answer to the same request; the pairs whose answer has a mature outcome (its
    prediction at least ``maturity_days`` old) compare the two models' log loss on identical
    customers.
    """
    pairs = shadow_pairs(frame, version)
    now = time.time() if now is None else now
    labelled = mature(pairs, maturity_days, now)
    checks: dict = {"shadow_predictions": int(len(pairs)), "labelled": int(len(labelled))}
    if len(labelled):
        checks["champion_log_loss"] = float(log_losses(labelled).mean())
        checks["challenger_log_loss"] = float(log_losses(labelled, "shadow_score").mean())
        checks["log_loss_increase"] = checks["challenger_log_loss"] - checks["champion_log_loss"]
    if checks["shadow_predictions"] < settings.min_predictions:
        why = f"{checks['shadow_predictions']} of {settings.min_predictions} shadow predictions"
    elif checks["labelled"] < settings.min_labelled:
        why = (
            f"{checks['labelled']} of {settings.min_labelled} shadow requests with a mature "
            f"outcome ({maturity_days:g}-day maturity)"
        )
    elif checks["log_loss_increase"] > settings.max_log_loss_increase:
        why = (
            f"log loss {checks['challenger_log_loss']:.4f} vs champion "
            f"{checks['champion_log_loss']:.4f} (limit +{settings.max_log_loss_increase})"
        )
    else:
        why = None
    gain = checks.get("log_loss_increase")
    summary = why or f"{checks['labelled']} labelled requests, log loss change {gain:+.4f}"
    return {"passed": why is None, "reason": summary, "checks": checks}


def change_mode(
    settings: Settings, mode: str, *, track: bool, root: Path = Path("."), force: bool = False
) -> Decision:
    """Let the challenger serve as ``mode`` (ab or canary); out of a shadow only past its checks."""
    if mode not in MODES:
        raise ValueError(f"a challenger serves as one of {', '.join(MODES)}, not {mode!r}")
    name, artifacts = settings.train.model_name, root / settings.serve.artifacts_dir
    state = (
        registry.alias_state(name, CHALLENGER) if track else artifact_state(artifacts, CHALLENGER)
    )
    if state is None:
        raise ModelNotFound("no challenger to move: `retrain` puts a passing one in the shadow")
    version, current = state
    if current == ROLLED_BACK:
        raise ValueError(f"challenger v{version} was rolled back: retrain a new one")
    if current == mode:
        raise ValueError(f"challenger v{version} already serves as {mode}")
    outcome = {"reason": f"by hand from {current or 'the API setting'}", "checks": {}}
    if current == "shadow" and not force:
        frame = read_predictions(settings.serve.prediction_db, served_only=False)  # path or URL
        outcome = shadow_checks(frame, version, settings.shadow, settings.ab.label_maturity_days)
        if not outcome["passed"]:
            raise ValueError(f"the shadow period has not passed: {outcome['reason']} (--force)")
        if mode == "ab":
            share = settings.routing.challenger_share
            outcome["reason"] += "; " + plan(frame, version, settings.ab, share)
    if track:
        registry.set_challenger_mode(name, mode)
        registry.export(name, artifacts)
    else:
        set_artifact_mode(artifacts, CHALLENGER, mode)
    checks = outcome["checks"]
    decision = Decision(
        metric="shadow_log_loss", champion_version=None, challenger_version=version,
        champion_score=checks.get("champion_log_loss"),
        challenger_score=checks.get("challenger_log_loss"),
        min_improvement=-settings.shadow.max_log_loss_increase, promoted=False, deployed=mode,
        reason=f"{current} -> {mode}: {outcome['reason']}", n_train=0,
        n_holdout=checks.get("labelled", 0), timestamp=time.time(), checks=checks,
    )  # fmt: skip
    log_decision(root / settings.reports_dir, decision)
    return decision


def persist_rollback(settings: Settings, champion: str | None, version: str, why: Rollback) -> None:
    """Mark ``version`` rolled back in the API's model source (every worker's reload drops it)
    and log the decision. Runs in a worker thread of the API: failures are logged, not raised."""
    name, source = settings.train.model_name, settings.serve.model_source
    artifacts = Path(settings.serve.artifacts_dir)
    try:
        if source == "registry":
            mc = registry.client()
            mc.set_model_version_tag(name, version, "mode", ROLLED_BACK)
            mc.set_model_version_tag(name, version, "rollback", why.reason[:500])
        elif (artifact_state(artifacts, CHALLENGER) or ("",))[0] == version:
            set_artifact_mode(artifacts, CHALLENGER, ROLLED_BACK)
        decision = Decision(
            metric=f"canary_{why.guard}", champion_version=champion, challenger_version=version,
            champion_score=None, challenger_score=None, min_improvement=0.0, promoted=False,
            deployed="none", reason=f"canary rolled back: {why.reason}", n_train=0, n_holdout=0,
            timestamp=time.time(),
        )  # fmt: skip
        log_decision(Path(settings.reports_dir), decision)
    except Exception:  # the in-process rollback already happened; say why persisting failed
        log.exception("could not persist the rollback of challenger v%s", version)


def apply_decision(settings: Settings, report: dict) -> str:
    """Promote the challenger or end its test, as ``report`` decided; logged as a decision."""
    from .promotion import promote

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
        record = load_artifact(artifacts, CHALLENGER)
        record.mode = None
        save_artifact(record, artifacts, CHAMPION)
    elif not local:
        registry.delete_alias(name, CHALLENGER)
        registry.export(name, artifacts)
    if local:
        remove_artifact(artifacts, CHALLENGER)
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
