"""Evaluation: the served champion against the logistic baseline on the test split."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from . import model as m
from .artifacts import BASELINE, CHAMPION, GBM, load_artifact
from .config import Settings
from .gate import compare_to_baseline
from .schema import TARGET
from .training import fit_and_test, fit_calibrated, fit_parts, run_facts, write_metrics


def evaluate(settings: Settings, frame: pd.DataFrame, root: Path = Path(".")) -> dict[str, Any]:
    """Score the served champion on the test split against gradient boosting's baseline, fitted
    and thresholded on validation exactly as `train` does; write the reports."""
    champion = load_artifact(root / settings.serve.artifacts_dir, CHAMPION)
    fit_frame, test = fit_and_test(settings, frame)
    y = test[TARGET].astype(int).to_numpy()
    base, base_threshold = fit_calibrated(settings, m.baseline(settings.train.seed), fit_frame)
    p_model, p_base = m.scores(champion.pipeline, test), m.scores(base, test)
    model_metrics = m.metrics(y, p_model, champion.threshold)
    base_metrics = m.metrics(y, p_base, base_threshold)
    if champion.kind == BASELINE:  # the baseline serves: nothing to compare it with
        reason = "the logistic baseline serves: gradient boosting did not beat it at `train`"
        comparison = {"served": BASELINE, "reason": reason, "beats_baseline": False}
    else:
        comparison = compare_to_baseline(y, p_model, p_base, "auto")
        if not comparison["beats_baseline"]:
            comparison["reason"] = (
                "gradient boosting serves but does not beat the logistic baseline on this data "
                f"({comparison['interval']}): `train --serve auto` would serve the baseline"
            )
        comparison["served"] = GBM
    facts = run_facts(
        frame, "evaluate", version=champion.version, sha256=champion.digest,
        run_id=champion.run_id,
    )  # fmt: skip
    pipelines = {f"{champion.kind} (served)": champion.pipeline, BASELINE: base}
    n_valid = len(fit_parts(fit_frame)[1])
    write_metrics(
        root / settings.reports_dir, test, pipelines, [model_metrics, base_metrics], n_valid,
        facts, comparison,
    )  # fmt: skip
    return {
        "model": model_metrics, "baseline": base_metrics, "version": champion.version,
        "served": champion.kind, "comparison": comparison["reason"],
    }  # fmt: skip
