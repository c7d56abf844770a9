"""Comparison table, bar chart and README results, all built from reports/metrics.json."""

from __future__ import annotations

import json
from pathlib import Path

from .metrics import METRICS
from .readme import markdown_table, write_results

LABELS = {
    "precision": "Precision",
    "recall": "Recall",
    "ndcg": "NDCG",
    "map": "MAP",
    "hit_rate": "Hit rate",
    "coverage": "Coverage",
}


def comparison_table(summary: dict) -> str:
    k = summary["k"]
    columns = ["model", *(f"{LABELS[m]}@{k}" for m in METRICS)]
    rows = []
    ranked = sorted(summary["models"].items(), key=lambda kv: -kv[1]["ndcg"])
    for name, result in ranked:
        label = f"**{name}** (served)" if name == summary.get("served_model") else name
        rows.append({"model": label, **{f"{LABELS[m]}@{k}": float(result[m]) for m in METRICS}})
    return markdown_table(rows, columns)


def plot_metrics(summary: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    names = list(summary["models"])
    width = 0.8 / max(len(names), 1)
    x = np.arange(len(METRICS))
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=100)
    for i, name in enumerate(names):
        values = [summary["models"][name][m] for m in METRICS]
        ax.bar(x + i * width - 0.4 + width / 2, values, width, label=name)
    ax.set_xticks(x, [f"{LABELS[m]}@{summary['k']}" for m in METRICS])
    ax.set_ylabel("score (higher is better)")
    ax.set_title(f"{summary['dataset']}, {summary['split']} split: models side by side")
    ax.legend(ncols=3, fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def results_markdown(summary: dict, chart: str = "reports/metrics.png") -> str:
    stats = summary.get("stats", {})
    data = summary.get("data", {})
    best = summary["served_model"]
    lift = ""
    info = summary.get("lift_vs_popularity")
    if info and info.get("ratio"):
        low, high = info["ci95"]
        lift = (
            f" Its NDCG@{summary['k']} is {info['ratio']:.2f}x the popularity baseline's "
            f"(paired bootstrap 95% interval over the {info['users']} test users: "
            f"{low:.2f}x to {high:.2f}x)."
        )
    lines = [
        f"Dataset **{summary['dataset']}**, **{summary['split']}** split, "
        f"{stats.get('eval_users', '?')} test users with training history, "
        f"{stats.get('items', '?')} catalogue items; "
        f"{data.get('bad_rows_total', 0)} bad rows dropped out of {data.get('rows_read', '?')}. "
        f"Items a user interacted with in training are never recommended.",
        "",
        comparison_table(summary),
        "",
        f"The API serves **{best}**, the best NDCG@{summary['k']} on this split.{lift}",
        "",
        f"![metrics]({chart})",
        "",
        "_Written by the `report` command from `reports/metrics.json`._",
    ]
    return "\n".join(lines)


def write_readme(readme: Path, reports: Path) -> None:
    metrics = reports / "metrics.json"
    if not metrics.is_file():
        raise FileNotFoundError(f"{metrics} not found: run `train` (or `evaluate`) first")
    summary = json.loads(metrics.read_text("utf-8"))
    write_results(readme, results_markdown(summary))
