"""README results and MODEL_CARD.md, written from reports/metrics.json (never typed by hand)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from . import __version__
from .modelcard import ModelCard, write_model_card
from .readme import markdown_table, write_results

COLUMNS = ("mase", "smape", "mae", "rmse", "coverage_90", "width_90", "pinball_90")


def _fmt(cell: dict | None) -> str:
    if not cell:
        return ""
    return f"{cell['value']:.3f} [{cell['low']:.3f}, {cell['high']:.3f}]"


def results_markdown(metrics: dict) -> str:
    rows = []
    posted = metrics.get("posted_model", metrics["winner"])
    for row in metrics["test"]:
        mark = " (served)" if row["model"] == metrics["winner"] else ""
        mark += " (posted histories)" if row["model"] == posted != metrics["winner"] else ""
        rows.append({"model": row["model"] + mark} | {c: _fmt(row.get(c)) for c in COLUMNS})
    p = metrics["protocol"]
    val = {r["model"]: r["mase"]["value"] for r in metrics["validation"]}
    lines = [
        f"Data: `{metrics['source']}`, {metrics['data']['regularity']['series']} series at "
        f"{metrics['data']['freq']}. Rolling origins: {p['val_origins']} validation then "
        f"{p['test_origins']} test origins, {p['horizon']} steps ahead each.",
        "",
        f"Winner on validation MASE: **{metrics['winner']}** "
        f"({val[metrics['winner']]:.3f}); test figures below, mean over test origins with a 95% "
        "bootstrap interval over origins. MASE scales by the in-sample one-step naive MAE; "
        "width and pinball are scaled the same way; intervals are split-conformal, calibrated "
        "on the validation origins.",
        "",
        f"A posted history (`POST /forecast` with `timestamps` and `values`) is forecast by "
        f"**{posted}**, the best on validation among models that answer in milliseconds.",
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


def model_card(metrics: dict, reports: Path) -> ModelCard:
    rows = []
    for row in metrics["test"]:
        for metric in ("mase", "mae", "coverage_90"):
            if row.get(metric):
                cell = row[metric]
                rows.append({"model": row["model"], "metric": metric, "value": cell["value"],
                             "low": cell["low"], "high": cell["high"]})  # fmt: skip
    ledger = metrics["data"]["ledger"]
    regular = metrics["data"]["regularity"]
    digest = hashlib.sha256((reports / "backtest.json").read_bytes()).hexdigest()[:12]
    p = metrics["protocol"]
    return ModelCard(
        title=f"Demand forecaster: {metrics['winner']}",
        summary=(
            f"{metrics['winner']} forecasts the next {p['horizon']} steps of each series, with "
            "80% and 90% conformal intervals; chosen among naive, seasonal naive, statistical, "
            "boosting and deep models on validation origins and scored on later test origins."
        ),
        intended_use=[
            "Short-term load forecasting of series like the training data (same frequency).",
            "A portfolio baseline to compare new models against, honestly backtested.",
        ],
        out_of_scope=[
            "Horizons beyond the trained maximum, other frequencies, series with regime changes "
            "unseen in training (holidays, outages) without retraining.",
        ],
        data=[
            f"Source: {metrics['source']}; {ledger['records']} records, {ledger['read']} used, "
            f"{ledger.get('bad', 0)} rejected by reason: {json.dumps(ledger.get('rejected', {}))[:300]}.",
            f"Frequency {metrics['data']['freq']}; {regular['duplicates']} duplicate timestamps, "
            f"{regular['gaps']} gaps ({regular['filled']} steps filled).",
            f"Split: {p['val_origins']} validation origins, then {p['test_origins']} test origins "
            f"every {p['step'] or p['horizon']} steps; nothing after an origin is seen.",
        ],
        metrics=rows,
        metrics_note=(
            "Test origins; 95% bootstrap intervals over origins. Baselines (naive, seasonal naive) "
            "are in the table; MASE below 1 beats the one-step naive in-sample error."
        ),
        limitations=[
            "Few origins give wide intervals; the ranking of close models can flip.",
            "Conformal coverage assumes errors like those on the validation origins.",
            "Deep models are trained once per block, not refit at each origin.",
        ],
        ethics=["Demand data can reveal household behaviour: aggregate meters before sharing."],
        provenance={
            "created": metrics["created"],
            "command": "train, evaluate, report",
            "template version": __version__,
            "backtest fingerprint": digest,
        },
    )


def write_reports(readme: Path, reports: Path, card_path: Path) -> None:
    path = reports / "metrics.json"
    if not path.is_file():
        raise FileNotFoundError(f"no {path}: run `train` and `evaluate` first")
    metrics = json.loads(path.read_text("utf-8"))
    write_results(readme, results_markdown(metrics))
    write_model_card(card_path, model_card(metrics, reports))
