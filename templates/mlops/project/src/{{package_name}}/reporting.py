"""Markdown summary of reports/ for the README (the `report` command)."""

from __future__ import annotations

import json
from pathlib import Path

from .artifacts import BASELINE, GBM
from .config import Settings
from .readme import markdown_table

METRICS = ["roc_auc", "pr_auc", "f1", "precision", "recall", "threshold", "brier", "ece"]


def results_markdown(reports: Path) -> str:
    """Tables of the latest evaluation, promotion decisions, drift check and A/B test."""
    parts: list[str] = []
    metrics_path = reports / "metrics.json"
    if not metrics_path.is_file():
        raise ValueError(f"no {metrics_path}: run `train` or `evaluate` first")
    metrics = json.loads(metrics_path.read_text("utf-8"))
    rows = [
        {"model": name, **{k: float(metrics[key][k]) for k in METRICS}}
        for name, key in _labels(metrics)
    ]
    n = int(metrics["model"]["n"])
    parts.append(f"Test split ({n} customers), from `reports/metrics.json`:\n")
    parts.append(markdown_table(rows, ["model", *METRICS]))
    parts.append(f"\n**Served: {served(metrics)}.** {serving_reason(metrics)}")
    parts.append(f"\n{calibration_line(metrics)} Reliability plot: `reports/calibration.png`.")
    parts.append(
        "\n![ROC](reports/roc.png) ![PR](reports/pr.png) ![calibration](reports/calibration.png)"
    )
    decisions = reports / "decisions.jsonl"
    if decisions.is_file():
        lines = [json.loads(x) for x in decisions.read_text("utf-8").splitlines() if x.strip()]

        def score(value: float | None) -> object:
            return "-" if value is None else value

        rows = [
            {
                "challenger": d["challenger_version"],
                "champion": d["champion_version"] or "-",
                "metric": d["metric"],
                "challenger score": score(d["challenger_score"]),
                "champion score": score(d["champion_score"]),
                "promoted": "yes" if d["promoted"] else "no",
                "reason": d["reason"],
            }
            for d in lines[-5:]
        ]
        parts.append("\nLatest promotion decisions (`reports/decisions.jsonl`):\n")
        parts.append(markdown_table(rows, list(rows[0]) if rows else ["challenger"]))
    drift = reports / "drift.json"
    if drift.is_file():
        report = json.loads(drift.read_text("utf-8"))
        verdict = ", ".join(report["drifted_features"]) or "none"
        parts.append(
            f"\nLatest drift check (`reports/drift.html`): {report['n_current']} production rows"
            " vs "
            f"{report['n_reference']} reference rows; drifted columns: {verdict}."
        )
    ab = reports / "ab_report.json"
    if ab.is_file():
        report = json.loads(ab.read_text("utf-8"))
        rows = [
            {k: arm[k] for k in ("variant", "model_version", "outcomes", "log_loss", "accuracy")}
            for arm in report["arms"]
        ]
        parts.append("\nA/B test (`reports/ab_report.json`):\n")
        parts.append(markdown_table(rows, list(rows[0])))
        parts.append(f"\nDecision: **{report['decision']}** ({report['reason']}).")
    return "\n".join(parts)


def served(metrics: dict) -> str:
    return metrics.get("served", GBM)


def serving_reason(metrics: dict) -> str:
    """One plain sentence: why the served model serves (its paired comparison)."""
    comparison = metrics.get("comparison") or {}
    reason = comparison.get("reason", "no comparison with the baseline recorded")
    return reason[0].upper() + reason[1:] + "."


def calibration_line(metrics: dict) -> str:
    """One sentence: how the probabilities were calibrated, and each model's test ECE before and
    after."""
    calibration = metrics.get("calibration")
    if not calibration:
        return "The probabilities are not calibrated (no calibration in metrics.json)."
    changes = "; ".join(
        f"{name} {ece['before']:.4f} -> {ece['after']:.4f} (change {ece['change'][0]:+.4f}, "
        f"paired 95% interval [{ece['change'][1]:+.4f}, {ece['change'][2]:+.4f}])"
        for name, ece in calibration["ece"].items()
    )
    return (
        f"Probabilities calibrated by {calibration['method']} ({calibration['n_valid']} "
        f"customers); expected calibration error (ECE) on the test split, before -> after: "
        f"{changes}. An interval that contains 0 is a change within the noise of ECE."
    )


def _labels(metrics: dict) -> list[tuple[str, str]]:
    """(row label, metrics.json key) of the two models, the served one marked."""
    if served(metrics) == BASELINE and metrics.get("run", {}).get("command") == "evaluate":
        return [(f"{BASELINE} (served)", "model"), (f"{BASELINE} (refit)", "baseline")]
    mark = {served(metrics): " (served)"}
    return [(GBM + mark.get(GBM, ""), "model"), (BASELINE + mark.get(BASELINE, ""), "baseline")]


def _interval_rows(metrics: dict) -> list[dict]:
    rows = []
    for name, key in _labels(metrics):
        for metric, (point, low, high) in metrics.get("intervals", {}).get(key, {}).items():
            rows.append({"model": name, "metric": metric, "value": point, "low": low, "high": high})
    return rows


def scaffold_version(answers: Path) -> str:
    """The mlscaffold release this project was started or last updated from (copier's answers
    file ``_commit``), or why it is unknown."""
    import yaml

    try:
        commit = (yaml.safe_load(answers.read_text("utf-8")) or {}).get("_commit")
    except (OSError, yaml.YAMLError):
        return f"unknown (no readable {answers.name})"
    return str(commit) if commit else f"unknown (no _commit in {answers.name})"


def write_card(settings: Settings, path: Path) -> Path:
    """MODEL_CARD.md from reports/metrics.json (and the latest decisions), via the shared card."""
    from . import __version__
    from .modelcard import ModelCard, write_model_card

    reports = Path(settings.reports_dir)
    metrics_path = reports / "metrics.json"
    if not metrics_path.is_file():
        raise ValueError(f"no {metrics_path}: run `train` or `evaluate` first")
    metrics = json.loads(metrics_path.read_text("utf-8"))
    run = metrics.get("run", {})
    card = ModelCard(
        title=f"Churn model ({served(metrics)}, served with ONNX Runtime)",
        summary=(
            "Predicts the probability that a telecom customer leaves (churns), from 19 account "
            "and service columns. Served behind a champion/challenger router with drift, live "
            "performance monitoring and a promotion gate."
        ),
        intended_use=[
            "Ranking customers for retention offers, with a person deciding on the offer.",
            "Running the model as a loop: registry, A/B routing, drift checks, retraining.",
        ],
        out_of_scope=[
            "Decisions about individuals without human review (credit, pricing, termination).",
            "Populations unlike the training data (other countries, products or eras).",
        ],
        data=[
            f"Source: {run.get('data', settings.data.path)} ({run.get('rows', '?')} rows read).",
            "Public option: IBM Telco Customer Churn sample (Apache-2.0, 7,043 customers); "
            "`generate` makes seeded synthetic customers.",
            f"Split by a hash of customer_id: test {settings.data.test_share:.0%}, "
            f"validation {settings.data.valid_share:.0%}, the rest for training; "
            f"test rows: {int(metrics['model']['n'])}.",
            f"Rejected rows: {run.get('rejected', 0)} (`validate` lists them by line).",
        ],
        metrics=_interval_rows(metrics),
        metrics_note=(
            f"Served: {served(metrics)}. {serving_reason(metrics)} Test split; 95% intervals by "
            "bootstrap over test rows; the comparison is paired (DeLong) on the same rows. "
            f"{calibration_line(metrics)} The threshold for F1 is the F1-best on the calibrated "
            "validation scores, for both models."
        ),
        limitations=[
            "Synthetic data, when used, only imitates Telco's rates and effects.",
            "Scores are calibrated on the validation split of the training population; a "
            "retrain recalibrates, and `monitor` reports the live ECE after drift.",
            "A/B decisions use log loss of outcomes that arrive via /feedback, counted only "
            f"once their prediction is {settings.ab.label_maturity_days:g} days old "
            "(ab.label_maturity_days); missing feedback still biases them.",
        ],
        ethics=[
            "Gender and senior-citizen status are inputs: check slice metrics (the promotion "
            "gate does for senior_citizen and contract) before acting on scores.",
        ],
        provenance={
            "run id": str(run.get("run_id") or "untracked"),
            "model version": str(metrics.get("version", "?")),
            "served model (ONNX SHA-256)": str(run.get("sha256", "?")),
            "command": run.get("command", "train"),
            "date": run.get("date", "?"),
            "scaffold version": scaffold_version(Path(".copier-answers.yml")),
            "package version": __version__,
            "data fingerprint": run.get("fingerprint", "?"),
        },
    )
    write_model_card(path, card)
    return path
