"""Markdown summary of reports/ for the README (the `report` command)."""

from __future__ import annotations

import json
from pathlib import Path

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
        for name, key in (("gradient boosting", "model"), ("logistic baseline", "baseline"))
    ]
    n = int(metrics["model"]["n"])
    parts.append(f"Test split ({n} customers), from `reports/metrics.json`:\n")
    parts.append(markdown_table(rows, ["model", *METRICS]))
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
            {
                "variant": variant,
                "outcomes": row["with_feedback"],
                "accuracy": row["accuracy"],
                "accuracy 95% CI": "[{:.3f}, {:.3f}]".format(*row["accuracy_ci"]),
                "churn rate": row["churn_rate"],
                "Brier": row["brier"],
            }
            for variant, row in report["variants"].items()
        ]
        parts.append("\nA/B test (`reports/ab_report.json`):\n")
        parts.append(markdown_table(rows, list(rows[0])))
        parts.append(f"\n{report['verdict']}.")
    return "\n".join(parts)
