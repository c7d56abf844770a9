"""README results and MODEL_CARD.md, written from reports/metrics.json (never typed by hand)."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from . import __version__
from .comparison import coverage_flag, describe
from .modelcard import ModelCard, write_model_card
from .readme import markdown_table, write_results

COLUMNS = ("mase", "vs_baseline", "mase1", "smape", "mae", "coverage_90", "width_90")


def _fmt(cell: dict | None) -> str:
    if not cell:
        return ""
    if "low" not in cell:
        return f"{cell['value']:.3f}"
    return f"{cell['value']:.3f} [{cell['low']:.3f}, {cell['high']:.3f}]"


def _coverage(cell: dict | None) -> str:
    flag = coverage_flag(cell["value"]) if cell else ""
    return _fmt(cell) + (f" ⚠ {flag}" if flag else "")


def scaffold_version(answers: Path) -> str:
    """The template commit the project was generated or last updated from (copier's answers)."""
    text = answers.read_text("utf-8") if answers.is_file() else ""
    found = re.search(r"^_commit:\s*['\"]?([^'\"\s]+)", text, re.MULTILINE)
    return found.group(1) if found else f"unknown (no _commit in {answers})"


def results_markdown(metrics: dict) -> str:
    rows = []
    served = metrics.get("served", metrics["winner"])
    posted = metrics.get("posted_model", served)
    comparison = metrics["comparison"]
    for row in metrics["test"]:
        mark = " (served)" if row["model"] == served else ""
        mark += " (posted histories)" if row["model"] == posted != served else ""
        cells = {c: _fmt(row.get(c)) for c in COLUMNS}
        cells["coverage_90"] = _coverage(row.get("coverage_90"))
        cells["vs_baseline"] = describe(row["model"], comparison)
        rows.append({"model": row["model"] + mark} | cells)
    p = metrics["protocol"]
    val = {r["model"]: r["mase"]["value"] for r in metrics["validation"]}
    skipped = metrics.get("skipped", {})
    lines = [
        f"Data: {Path(metrics['source']).name}, {metrics['data']['regularity']['series']} series "
        f"at {metrics['data']['freq']}. Rolling origins: {p['val_origins']} validation then "
        f"{p['test_origins']} test origins, {p['horizon']} steps ahead each."
        + (f" Skipped as too short: {', '.join(sorted(skipped))}." if skipped else ""),
        "",
        f"**{comparison['verdict']}** Served: **{served}** (model version "
        f"{metrics.get('model_version', 'unknown')}): {metrics.get('served_reason', '')}",
        "",
        f"Winner on validation MASE: **{metrics['winner']}** "
        f"({val[metrics['winner']]:.3f}); test figures below, mean over test origins with a 95% "
        "bootstrap interval over origins. MASE scales by the in-sample MAE of the seasonal naive "
        "(a week back for daily and finer steps, a year for coarser ones; M4 practice), `mase1` "
        "by the one-step naive's. `vs_baseline`: the mean MASE difference to the best baseline on "
        "the same test origins, with its 95% paired bootstrap interval. Intervals are "
        "split-conformal, calibrated on the validation origins; a 90% coverage outside 85-95% is "
        "flagged.",
        "",
        f"A posted history (`POST /forecast` with `timestamps` and `values`) is forecast by "
        f"**{posted}**: the best on validation among the models that answer in milliseconds if "
        "it beats the best baseline on the validation origins, else that baseline.",
        "",
        markdown_table(rows, ("model", *COLUMNS)),
        "",
        f"Backtest seconds per model: {json.dumps(metrics['seconds'])} "
        f"(total {metrics['total_seconds']} s).",
        "",
        "![forecasts](reports/forecasts.png) ![errors](reports/errors.png)",
    ]
    if "serving_replay" in metrics:
        replay = json.dumps(metrics["serving_replay"])
        lines.insert(-2, f"Serving replay of the test origins (relative max difference): {replay}.")
    return "\n".join(lines)


def model_card(metrics: dict, reports: Path, answers: Path) -> ModelCard:
    rows = []
    for row in metrics["test"]:
        for metric in ("mase", "mase1", "mae", "coverage_90"):
            if row.get(metric):
                cell = row[metric]
                rows.append({"model": row["model"], "metric": metric, "value": cell["value"],
                             "low": cell["low"], "high": cell["high"]})  # fmt: skip
    ledger = metrics["data"]["ledger"]
    regular = metrics["data"]["regularity"]
    digest = hashlib.sha256((reports / "backtest.json").read_bytes()).hexdigest()[:12]
    p = metrics["protocol"]
    comparison = metrics["comparison"]
    name = metrics.get("served", metrics["winner"])
    served = describe(name, comparison)
    coverage = coverage_flag(next(r for r in metrics["test"] if r["model"] == name)
                             .get("coverage_90", {"value": 0.9})["value"])  # fmt: skip
    return ModelCard(
        title=f"Forecaster: {name}",
        summary=(
            f"{name} forecasts the next {p['horizon']} steps of each series, with "
            "80% and 90% conformal intervals; chosen among naive, seasonal naive, statistical, "
            "boosting and deep models on validation origins and scored on later test origins."
        ),
        intended_use=[
            "Short-term forecasting of series like the training data (same frequency).",
            "A backtested reference to compare new forecasting models against.",
        ],
        out_of_scope=[
            "Horizons beyond the trained maximum, other frequencies, series with regime changes "
            "unseen in training (holidays, outages) without retraining.",
        ],
        data=[
            f"Source: {Path(metrics['source']).name}; {ledger['records']} records, "
            f"{ledger['read']} used, {ledger['rejected']} rejected by reason: "
            f"{json.dumps({k: v['count'] for k, v in ledger['reasons'].items()})[:300]}.",
            f"Frequency {metrics['data']['freq']}; {regular['duplicates']} duplicate timestamps "
            f"({regular.get('merged', 0)} averaged into the first), {regular['gaps']} gaps "
            f"({regular['filled']} steps filled by interpolation, never scored).",
            f"Series skipped as too short: {', '.join(sorted(metrics.get('skipped', {})))}."
            if metrics.get("skipped")
            else "No series skipped.",
            f"Split: {p['val_origins']} validation origins, then {p['test_origins']} test origins "
            f"every {p['step'] or p['horizon']} steps; nothing after an origin is seen.",
        ],
        metrics=rows,
        metrics_note=(
            f"{comparison['verdict']} {metrics.get('served_reason', '')} Served model: "
            f"{served or 'no comparison'}. "
            "Test origins; 95% bootstrap intervals over origins. MASE scales by the in-sample "
            "seasonal naive error (mase1 by the one-step naive's)."
            + (f" 90% intervals {coverage}." if coverage else "")
        ),
        limitations=[
            "Few origins give wide intervals; the ranking of close models can flip.",
            "Conformal coverage assumes errors like those on the validation origins.",
            "Deep models are trained once per block, not refit at each origin.",
        ],
        ethics=[
            "Series about people (meters, sales, visits) can reveal behaviour: aggregate "
            "before sharing."
        ],  # fmt: skip
        provenance={
            "created": metrics["created"],
            "command": "train, evaluate, report",
            "model version": metrics.get("model_version", "unknown"),
            "scaffold version": scaffold_version(answers),
            "package version": __version__,
            "data fingerprint": metrics.get("data_fingerprint", "unknown"),
            "backtest fingerprint": digest,
        },
    )


def write_reports(
    readme: Path, reports: Path, card_path: Path, answers: Path = Path(".copier-answers.yml")
) -> None:
    path = reports / "metrics.json"
    if not path.is_file():
        raise FileNotFoundError(f"no {path}: run `train` and `evaluate` first")
    metrics = json.loads(path.read_text("utf-8"))
    write_results(readme, results_markdown(metrics))
    write_model_card(card_path, model_card(metrics, reports, answers))
