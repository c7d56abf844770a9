"""`report`: README results and MODEL_CARD.md, written from reports/ (never by hand)."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from .artifacts import METADATA_FILE
from .gate import why
from .linear import BASELINE_GRAPH
from .modelcard import ModelCard, write_model_card
from .readme import markdown_table, write_results

METRICS_FILE, CURVE_FILE = "metrics.json", "learning_curve.json"


def _ci(m: dict | None) -> str:
    return "n/a" if not m else f"{m['value']:.3f} [{m['low']:.3f}, {m['high']:.3f}]"


def _wilson(value: float, ci: list[float]) -> str:
    return f"{value:.3f} [{ci[0]:.3f}, {ci[1]:.3f}]"


def scaffold_version(answers: Path) -> str:
    """The mlscaffold release the project was started or last updated from (copier's answers)."""
    text = answers.read_text("utf-8") if answers.is_file() else ""
    found = re.search(r"^_commit:\s*['\"]?([^'\"\s]+)", text, re.MULTILINE)
    return found.group(1) if found else f"unknown (no _commit in {answers})"


def served(artifacts: Path) -> dict:
    """The exported graph `serve` runs, its version and model, or why there is none."""
    path = artifacts / METADATA_FILE
    meta = json.loads(path.read_text("utf-8")) if path.is_file() else {}
    if "onnx" not in meta:
        none = "none: run `export`"
        return {"graph": none, "version": none, "model": none}
    graph = meta["onnx"]["serve"]
    model = "baseline (TF-IDF + logistic regression)" if graph == BASELINE_GRAPH else "transformer"
    return {"graph": graph, "version": meta["onnx"]["versions"][graph], "model": model}


def _benign(m: dict) -> str:
    return ", ".join(m["benign"]) or "none (multi-label: every label is moderated)"


def _ledger(ledger: dict) -> str:
    why = "; ".join(f"{reason}: {r['count']}" for reason, r in ledger["reasons"].items())
    return f"{ledger['records']} records, {ledger['rejected']} rejected" + (
        f" ({why})" if why else ""
    )


def served_line(m: dict) -> str:
    """Which model `serve` answers with and why (the baseline gate), with its interval."""
    gate = m.get("gate")
    if not gate:
        return "Served: the transformer (trained before the baseline gate: retrain to check it)."
    return f"Served: the {gate['served']}, {why(gate)}."


def calibration_line(m: dict) -> str:
    """The temperatures fitted on validation and each model's test ECE before and after."""
    parts = [
        f"{name} T = {c['temperature']:.3f}, test ECE {c['test_ece_before']:.3f} -> "
        f"{c['test_ece_after']:.3f}"
        for name, c in m["calibration"].items()
    ]
    return (
        "Probabilities (API, demo, thresholds, this report) are temperature-scaled, the "
        f"temperature fitted on the validation split: {'; '.join(parts)}."
    )


def results_markdown(m: dict, curve: list[dict] | None) -> str:
    t, b = m["models"]["transformer"], m["models"]["baseline"]
    cal = m["calibration"]
    d = m["transformer_minus_baseline_macro_f1"]
    lines = [
        f"Test split: {m['n_test']} texts; fine-tuned `{m['model']}` vs TF-IDF + logistic "
        f"regression; 95% bootstrap intervals ({m['n_boot']} resamples). Trained in "
        f"{m['train_seconds']:.0f} s on {m['device']}. Benign label (never flagged): "
        f"{_benign(m)}.",
        "",
        markdown_table(
            [
                {
                    "model": name,
                    "macro-F1": _ci(x["macro_f1"]),
                    "accuracy": _ci(x["accuracy"]),
                    "ECE before -> after": f"{cal[arm]['test_ece_before']:.3f} -> "
                    f"{cal[arm]['test_ece_after']:.3f}",
                }
                for name, arm, x in (
                    ("transformer", "transformer", t),
                    ("baseline TF-IDF", "baseline", b),
                )
            ],
            ["model", "macro-F1", "accuracy", "ECE before -> after"],
        ),
        "",
        calibration_line(m),
        "",
        f"Transformer minus baseline, macro-F1 (paired bootstrap): {_ci(d)}.",
        "",
        f"**{served_line(m)}**",
        "",
        "Per label (transformer):",
        "",
        markdown_table(
            [
                {
                    "label": label,
                    "support": r["support"],
                    "precision": _ci(r["precision"]),
                    "recall": _ci(r["recall"]),
                    "F1": _ci(r["f1"]),
                    "PR-AUC": _ci(r["pr_auc"]),
                    "ROC-AUC": _ci(r["roc_auc"]),
                }
                for label, r in t["per_label"].items()
            ],
            ["label", "support", "precision", "recall", "F1", "PR-AUC", "ROC-AUC"],
        ),
    ]
    goals = m["thresholds"]["goals"]
    rows = []
    for label, levels in m["thresholds"]["test"].items():
        for level, r in levels.items():
            if r is None:
                rows.append({"label": label, "level": level, "threshold": "goal not reachable"})
                continue
            rows.append(
                {
                    "label": label,
                    "level": level,
                    "threshold": f"{r['threshold']:.3f}",
                    "precision": _wilson(r["precision"], r["precision_ci"]),
                    "recall": _wilson(r["recall"], r["recall_ci"]),
                    "fired": r["fired"],
                }
            )
    lines += [
        "",
        f"Moderation thresholds, chosen on validation so that the 95% lower bound reaches the "
        f"goal (block: precision >= {goals['block_precision']}; review: recall >= "
        f"{goals['review_recall']}), on test:",
        "",
        markdown_table(rows, ["label", "level", "threshold", "precision", "recall", "fired"]),
        *(f"\n**Warning:** {w}." for w in m.get("warnings", [])),
    ]
    lines += [
        "",
        "Slices (macro-F1):",
        "",
        markdown_table(
            [
                {
                    "slice": r["slice"],
                    "n": r["n"],
                    "transformer": _ci(r["transformer"]),
                    "baseline": _ci(r["baseline"]),
                }
                for r in m["slices"]
            ],
            ["slice", "n", "transformer", "baseline"],
        ),
    ]
    if curve:
        lines += [
            "",
            "Learning curve (test macro-F1):",
            "",
            markdown_table(curve, ["train_size", "baseline", "transformer"]),
        ]
    mistakes = [{**r, "text": r["text"][:100].replace("|", "/")} for r in m["mistakes"][:5]]
    if mistakes:
        cols = [c for c in ("text", "true", "predicted", "label", "score") if c in mistakes[0]]
        lines += ["", "Most confident mistakes:", "", markdown_table(mistakes, cols)]
    return "\n".join(lines)


def model_card(m: dict, serving: dict, scaffold: str) -> ModelCard:
    t, b = m["models"]["transformer"], m["models"]["baseline"]
    rows = []
    for name, arm, x in (
        ("fine-tuned transformer", "transformer", t),
        ("TF-IDF + logistic regression", "baseline", b),
    ):
        for metric in ("macro_f1", "accuracy"):
            rows.append(
                {
                    "model": name,
                    "metric": metric,
                    "value": x[metric]["value"],
                    "low": x[metric]["low"],
                    "high": x[metric]["high"],
                }
            )
        for when in ("before", "after"):
            value = m["calibration"][arm][f"test_ece_{when}"]
            rows.append({"model": name, "metric": f"ECE {when} calibration", "value": value})
    ledger = m["data"]["ledger"]
    return ModelCard(
        title=f"Text moderator: fine-tuned {m['model']}",
        summary=f"Scores texts for {', '.join(m['labels'])} and maps the scores to allow / "
        f"review / block with thresholds chosen on validation.",
        intended_use=[
            "Triage of user texts for human moderators, with review as the default action "
            "for uncertain texts",
            "Comparing a fine-tuned encoder with a TF-IDF baseline on one held-out test split",
        ],
        out_of_scope=[
            "Fully automatic decisions about people without human review",
            "Languages and domains unlike the training data",
        ],
        data=[
            f"Source: {m['data']['source']} ({m['data'].get('fingerprint', 'no fingerprint')})",
            f"Records: {_ledger(ledger)}",
            *m["data"].get("notes", []),
            "Split sizes: "
            + ", ".join(f"{k} {v}" for k, v in m["data"]["sizes"].items())
            + " (seeded, stratified, duplicate texts on one side; saved as artifacts/split.csv)",
            f"Benign label (never flagged): {_benign(m)}",
        ],
        metrics=rows,
        metrics_note=f"Test split of {m['n_test']} texts; 95% bootstrap intervals. "
        f"Transformer minus baseline macro-F1: {_ci(m['transformer_minus_baseline_macro_f1'])}. "
        + served_line(m)
        + " "
        + calibration_line(m),
        limitations=[
            "Texts longer than the token limit are truncated (the API says so)",
            "Thresholds hold for data like the validation split; re-check them on new data",
            "Slices are keyword-based and small: wide intervals",
        ],
        ethics=[
            "Identity terms can be over-flagged: see the slice table before deploying",
            "Keep a human in the loop for block decisions",
        ],
        provenance={
            "served model": serving["model"],
            "served model version": serving["version"],
            "served graph": serving["graph"],
            "trained at": m.get("trained_at", "unknown"),
            "command": "train; evaluate; export; report",
            "date": dt.date.today().isoformat(),
            "scaffold version": scaffold,
            "data fingerprint": m["data"].get("fingerprint", "unknown"),
        },
    )


def write_report(
    reports: Path,
    readme: Path,
    card: Path,
    artifacts: Path = Path("artifacts"),
    answers: Path = Path(".copier-answers.yml"),
) -> None:
    path = reports / METRICS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no {path}: run `evaluate` first")
    metrics = json.loads(path.read_text("utf-8"))
    curve_path = reports / CURVE_FILE
    curve = json.loads(curve_path.read_text("utf-8")) if curve_path.is_file() else None
    write_results(readme, results_markdown(metrics, curve))
    write_model_card(card, model_card(metrics, served(artifacts), scaffold_version(answers)))
