"""`report`: the README results section and MODEL_CARD.md, both built from reports/metrics.json."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from . import __version__, plots
from .modelcard import ModelCard, write_model_card
from .readme import markdown_table


def _ci(figure: dict[str, float]) -> str:
    return f"{figure['value']:.3f} [{figure['low']:.3f}, {figure['high']:.3f}]"


def metric_rows(metrics: dict[str, Any]) -> list[dict[str, Any]]:
    """(model, metric, value, low, high) rows: the model, flip TTA, then the baselines."""
    models = [(metrics["model"]["name"], metrics["model"])]
    if "flip_tta" in metrics:
        models.append(("same, with flip TTA", metrics["flip_tta"]))
    models += [(c["name"], c) for c in metrics.get("compared", [])]
    models += list(metrics["baselines"].items())
    return [
        {
            "model": name,
            "metric": metric,
            "value": fig[metric]["value"],
            "low": fig[metric]["low"],
            "high": fig[metric]["high"],
        }
        for name, fig in models
        for metric in ("accuracy", "macro_f1")
    ]


def comparison_sentence(metrics: dict[str, Any]) -> str:
    diff = metrics["vs_best_baseline"]["accuracy"]
    verdict = (
        "better than"
        if diff["low"] > 0
        else "worse than"
        if diff["high"] < 0
        else "not distinguishable from"
    )
    return (
        f"On these {metrics['n_test']} test images the model is {verdict} the best baseline "
        f"({metrics['best_baseline']}): accuracy difference {diff['value']:+.3f}, 95% interval "
        f"[{diff['low']:+.3f}, {diff['high']:+.3f}] (paired bootstrap over the same images)."
    )


def served_sentence(metrics: dict[str, Any]) -> str:
    """What is served and why: `train`'s gate, the model vs the servable baseline on validation."""
    gate = metrics.get("gate")
    if not gate:
        return ""
    text = f"Served: the {gate['served']} ({gate['reason']}"
    if diff := gate["model_minus_baseline"]:
        text += (
            f"; validation accuracy of the model minus the {gate['baseline']}: "
            f"{diff['value']:+.3f}, 95% interval [{diff['low']:+.3f}, {diff['high']:+.3f}], "
            f"paired bootstrap over {gate['n_val']} images"
        )
    text += ")."
    if gate["served"] == "baseline":
        text += (
            " The model is not the headline: the first row above is the baseline, which "
            "`evaluate` scored and the API serves."
        )
        if gate["requested"] == "auto":
            text += " `train --serve model` serves the model anyway."
    return text


def calibration_sentence(metrics: dict[str, Any]) -> str:
    """The ECE before and after the temperature, and where the temperature was fitted."""
    cal = metrics["calibration"]
    if not cal.get("fitted_on"):
        return (
            f"Calibration: expected calibration error {cal['ece']:.3f} ({cal['n_bins']} bins); "
            "not calibrated, since the model was trained without a validation split."
        )
    if cal["temperature"] == 1.0:
        return (
            f"Calibration: expected calibration error {cal['ece']:.3f} ({cal['n_bins']} bins); "
            f"no temperature fitted on the {cal['n_val']} validation images lowered their NLL, "
            "so the probabilities are the model's own."
        )
    return (
        f"Calibration: expected calibration error {cal['ece_before']:.3f} before and "
        f"{cal['ece']:.3f} after temperature scaling ({cal['n_bins']} bins), with the "
        f"temperature {cal['temperature']:.3f} fitted on the {cal['n_val']} validation images, "
        "never on the test images; the probabilities reported and served are the calibrated ones."
    )


def compared_sentence(metrics: dict[str, Any], other: dict[str, Any]) -> str:
    diff = other["main_minus_this"]["accuracy"]
    return (
        f"{metrics['model']['name']} minus {other['name']} (`{other['artifacts']}`), same test "
        f"images: accuracy {diff['value']:+.3f}, 95% interval [{diff['low']:+.3f}, "
        f"{diff['high']:+.3f}].\n"
    )


def results_markdown(metrics: dict[str, Any]) -> str:
    """The README results section."""
    rows = [
        {"model": r["model"], "accuracy": _ci(f["accuracy"]), "macro F1": _ci(f["macro_f1"])}
        for r, f in _models(metrics)
    ]
    lines = [
        f"Test split of `{metrics.get('data', '')}`: {metrics['n_test']} images, scored once by "
        "`evaluate`; 95% intervals in brackets (Wilson for accuracy, bootstrap for macro F1).",
        "",
        markdown_table(rows, ["model", "accuracy", "macro F1"]),
        "",
        comparison_sentence(metrics),
        "",
        served_sentence(metrics),
        "",
        *[compared_sentence(metrics, other) for other in metrics.get("compared", [])],
        calibration_sentence(metrics),
        "Accuracy, F1 and the table below score one pass per image, as the API serves by default.",
        "",
        markdown_table(metrics["per_class"], ["class", "precision", "recall", "f1", "support"]),
        "",
    ]
    if metrics.get("train_seconds") is not None:
        lines += [f"Training took {metrics['train_seconds']:.1f} s on {metrics.get('device')}.", ""]
    for title, png in (
        ("Learning curves", plots.CURVES_PNG),
        ("Confusion matrix", plots.CONFUSION_PNG),
        ("Reliability diagram", plots.RELIABILITY_PNG),
        ("Most confidently wrong test images", plots.ERRORS_PNG),
    ):
        lines += [f"![{title}](reports/{png})", ""]
    lines.append("_Generated from `reports/metrics.json` by the `report` command._")
    return "\n".join(lines)


def _models(metrics: dict[str, Any]):
    yield {"model": metrics["model"]["name"]}, metrics["model"]
    if "flip_tta" in metrics:
        yield {"model": "same, with flip TTA"}, metrics["flip_tta"]
    for other in metrics.get("compared", []):
        yield {"model": other["name"]}, other
    for name, figures in metrics["baselines"].items():
        yield {"model": name}, figures


def model_card(metrics: dict[str, Any], metadata: dict[str, Any], title: str) -> ModelCard:
    sizes = metadata.get("dataset_sizes", {})
    data = [
        f"Source: `{metrics.get('data', '')}` ("
        + (
            "CIFAR-10, Krizhevsky 2009, from its official site"
            if metrics.get("data") == "cifar10"
            else "your own images, one folder per class; their licence is yours to state"
        )
        + ").",
        f"Split: train {sizes.get('train', '?')}, validation {sizes.get('val', '?')}, test "
        f"{metrics['n_test']} images; the file lists with SHA-256 hashes are in "
        "`artifacts/split.json`.",
        f"Input: {metadata['channels']} x {metadata['image_size']} x {metadata['image_size']} "
        f"pixels; {metrics.get('skipped_files', 0)} unreadable file(s) skipped.",
        *[f"Note: {note}." for note in metrics.get("data_notes", [])],
    ]
    worst = min(metrics["per_class"], key=lambda row: row["f1"])
    sentences = [f(metrics) for f in (comparison_sentence, served_sentence, calibration_sentence)]
    return ModelCard(
        title=title,
        summary=(
            f"{metrics['model']['name']} image classifier over {len(metrics['classes'])} "
            f"classes: {', '.join(metrics['classes'][:12])}."
        ),
        intended_use=[
            "Classifying images like those of the training folder, one label each.",
            "Comparing this model with its baselines on one held-out test split, with intervals.",
        ],
        out_of_scope=[
            "Images unlike the training data (other cameras, domains, resolutions).",
            "Decisions about people, or any use where a wrong label causes harm.",
        ],
        data=data,
        metrics=metric_rows(metrics),
        metrics_note=" ".join(filter(None, sentences)),
        limitations=[
            f"Weakest class: {worst['class']} (F1 {worst['f1']:.3f} on {worst['support']} images).",
            "Intervals cover test-set sampling only, not a change of data or of training seed.",
            f"Inputs are resized to {metadata['image_size']} px squares; detail is lost.",
        ],
        ethics=[
            "Check the data's licence and consent before publishing a model trained on it.",
            "Probabilities are calibrated on average (one temperature), not per image or for "
            "other data; see the reliability diagram.",
        ],
        provenance={
            "model version": metrics.get("model_version") or "not exported yet",
            "trained at": metadata.get("trained_at", ""),
            "evaluated at": metrics.get("evaluated_at", ""),
            "command": "train, evaluate, report",
            "code version": __version__,
            "device": str(metrics.get("device", "")),
        },
    )


def write_report(
    metrics: dict[str, Any], metadata: dict[str, Any], readme: Path, card: Path, title: str
) -> None:
    from .readme import write_results

    write_results(readme, results_markdown(metrics))
    write_model_card(card, model_card(metrics, metadata, title))
