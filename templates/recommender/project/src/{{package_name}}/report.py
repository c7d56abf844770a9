"""The `report` command: README results, its chart and MODEL_CARD.md, from reports/metrics.json;
the comparison table `train` and `evaluate` print."""

from __future__ import annotations

import json
from pathlib import Path

from . import __version__
from .history import HISTORY_LIMIT
from .metrics import METRICS
from .modelcard import ModelCard, write_model_card
from .readme import markdown_table, write_results

LABELS = {
    "precision": "Precision",
    "recall": "Recall",
    "ndcg": "NDCG",
    "map": "MAP",
    "hit_rate": "Hit rate",
    "coverage": "Coverage",
    "novelty": "Novelty",
}


def _interval(result: dict) -> str:
    low, high = result.get("ndcg_ci95") or (None, None)
    return f"{low:.4f}-{high:.4f}" if low is not None else ""


def comparison_table(summary: dict) -> str:
    """Test figures of every model, best NDCG first, with validation NDCG beside them."""
    k = summary["k"]
    columns = ["model", "val NDCG", *(f"{LABELS[m]}@{k}" for m in METRICS), "NDCG 95% CI"]
    rows = []
    validation = summary.get("validation", {})
    ranked = sorted(summary["models"].items(), key=lambda kv: -kv[1]["ndcg"])
    for name, result in ranked:
        label = f"**{name}** (served)" if name == summary.get("served_model") else name
        row = {"model": label, "NDCG 95% CI": _interval(result)}
        if name in validation:
            row["val NDCG"] = float(validation[name]["ndcg"])
        row.update({f"{LABELS[m]}@{k}": float(result.get(m, 0.0)) for m in METRICS})
        rows.append(row)
    return markdown_table(rows, columns)


def activity_table(summary: dict) -> str:
    """NDCG@k of every model for light, medium and heavy users (terciles of training history)."""
    rows = []
    for name, result in summary["models"].items():
        buckets = result.get("ndcg_by_activity") or {}
        row: dict[str, object] = {"model": name}
        for bucket, info in buckets.items():
            row[f"{bucket} ({info['users']} users)"] = (
                float(info["ndcg"]) if info["ndcg"] is not None else "-"
            )
        rows.append(row)
    columns = list(dict.fromkeys(c for r in rows for c in r))
    return markdown_table(rows, columns)


def plot_metrics(summary: dict, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    shown = [m for m in METRICS if m != "novelty"]
    names = list(summary["models"])
    width = 0.8 / max(len(names), 1)
    x = np.arange(len(shown))
    fig, ax = plt.subplots(figsize=(9, 4.5), dpi=100)
    for i, name in enumerate(names):
        result = summary["models"][name]
        values = np.array([result.get(m, 0.0) for m in shown])
        # 95% bootstrap interval over test users (coverage is one figure per run: no bar)
        bounds = np.array(
            [result.get(f"{m}_ci95") or (v, v) for m, v in zip(shown, values, strict=True)]
        )
        errors = np.clip([values - bounds[:, 0], bounds[:, 1] - values], 0, None)
        ax.bar(x + i * width - 0.4 + width / 2, values, width, yerr=errors, capsize=2, label=name)
    ax.set_xticks(x, [f"{LABELS[m]}@{summary['k']}" for m in shown])
    ax.set_ylabel("test score with 95% interval (higher is better)")
    ax.set_title(f"{summary['dataset']}, {summary['split']} split: models side by side")
    ax.legend(ncols=4, fontsize="small")
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)
    return path


def _comparison_lines(summary: dict) -> list[str]:
    k, served = summary["k"], summary["served_model"]
    users = summary.get("stats", {}).get("eval_users", "?")
    lines = []
    for other, c in summary.get("comparisons", {}).items():
        if c.get("ratio") is None:
            lines.append(f"- {served} vs {other}: {other}'s NDCG@{k} is 0, no ratio.")
            continue
        verdict = _verdict(c)
        lines.append(
            f"- {served} vs {other}: NDCG@{k} ratio {c['ratio']:.2f}x, paired bootstrap 95% "
            f"interval {c['low']:.2f}x-{c['high']:.2f}x over the same {users} test users; {verdict}"
        )
    return lines


def _verdict(c: dict) -> str:
    if c["includes_1"]:
        return "**the interval includes 1: the difference is not established.**"
    return "the interval excludes 1."


def strict_lines(summary: dict) -> list[str]:
    """The headline: the served model against popularity under rolling global cut-offs."""
    rolling, k, served = summary.get("rolling") or {}, summary["k"], summary["served_model"]
    if not rolling:
        return ["Strict protocol: not run (`train --cutoffs 0`)."]
    head = (
        f"**Strict protocol** (the headline): {rolling['evaluations']} (user, cut-off) evaluations "
        f"at {len(rolling['windows'])} global cut-offs over the last {rolling.get('share', 0):.0%} "
        "of the log; at each cut-off every model is fit only on the events before it (nobody's "
        "future is seen) and scored on the positives of users active on both sides."
    )
    c = rolling.get("comparison")
    if not c:
        return [head, "", f"Served model {served}: no comparison with popularity."]
    if c.get("ratio") is None:
        return [head, "", f"Popularity's NDCG@{k} is 0 here: no ratio."]
    ndcg = rolling["ndcg"]
    return [
        head,
        "",
        f"- {served} vs popularity: NDCG@{k} {ndcg[served]:.4f} vs {ndcg['popularity']:.4f}, "
        f"ratio {c['ratio']:.2f}x, paired bootstrap 95% interval {c['low']:.2f}x-{c['high']:.2f}x "
        f"over {rolling['users']} users (all of a user's cut-offs resampled together); "
        f"{_verdict(c)}",
    ]


def results_markdown(summary: dict, chart: str = "reports/metrics.png") -> str:
    stats, val = summary.get("stats", {}), summary.get("protocol", {}).get("validation", {})
    data = summary.get("data", {})
    k, served = summary["k"], summary["served_model"]
    time_line = (
        []
        if data.get("has_timestamps", True)
        else [
            (
                f"**All {data['constant_time']} events have the same time: every split follows "
                "the file's row order** (name another column with `--timestamp-col`)."
                if data.get("constant_time")
                else "**The data has no time column: every split follows the file's row order** "
                "(name one with `--timestamp-col`)."
            ),
            "",
        ]
    )
    lines = [
        *time_line,
        *strict_lines(summary),
        "",
        f"Secondary, **{summary['split']}** split (it leaks across users: other users' later "
        "interactions are in training):",
        "",
        f"Dataset **{summary['dataset']}**, **{summary['split']}** split: "
        f"{stats.get('eval_users', '?')} test users evaluated on "
        f"{stats.get('held_out_positives', '?')} held-out positives "
        f"({stats.get('train_interactions', '?')} training interactions, "
        f"{stats.get('items', '?')} catalogue items); "
        f"{'model choice and tuning' if summary.get('tuning') else 'model choice'} used a validation "
        f"split carved from training ({val.get('eval_users', '?')} users). "
        f"Source records: {data.get('records', '?')}, rejected {data.get('rejected', 0)}. "
        "Items a user already has are never recommended; every model ranks the full catalogue.",
        "",
        comparison_table(summary),
        "",
        f"The API serves **{served}** ({summary.get('selection', '')}), refit on all "
        "interactions. Test figures are scored once, after the choice.",
        "",
        *_comparison_lines(summary),
        "",
        f"NDCG@{k} by user activity (terciles of training positives):",
        "",
        activity_table(summary),
        "",
        f"![metrics]({chart})",
        "",
        "_Written by the `report` command from `reports/metrics.json`._",
    ]
    return "\n".join(lines)


def model_card(summary: dict) -> ModelCard:
    k, served = summary["k"], summary["served_model"]
    stats, data = summary.get("stats", {}), summary.get("data", {})
    rows = [
        _row(name, f"NDCG@{k}", result["ndcg"], *(result.get("ndcg_ci95") or (None, None)))
        for name, result in summary["models"].items()
    ]
    strict = (summary.get("rolling") or {}).get("comparison") or {}
    if strict.get("ratio") is not None:
        label = f"{served} / popularity (strict, rolling cut-offs)"
        rows.append(_row(label, f"NDCG@{k} ratio", strict["ratio"], strict["low"], strict["high"]))
    for other, c in summary.get("comparisons", {}).items():
        if c.get("ratio") is not None:
            label = f"{served} / {other} ({summary['split']}, leaks across users)"
            rows.append(_row(label, f"NDCG@{k} ratio", c["ratio"], c["low"], c["high"]))
    return ModelCard(
        title=f"{served} recommender on {summary['dataset']}",
        summary=(
            f"Top-{k} recommendations from {served}, chosen on validation "
            f"({summary.get('selection', '')}) and refit on all interactions."
        ),
        intended_use=[
            "Ranking unseen items for known users; popular items for unknown users",
            "Items like a given item (/similar), anonymous users from liked items",
        ],
        out_of_scope=[
            "Decisions about people (credit, hiring, pricing)",
            "Domains or catalogues other than the one trained on without retraining",
        ],
        data=[
            f"Source: {summary['dataset']}; {summary.get('licence') or 'your own data'}",
            f"Records {data.get('records', '?')}, rejected {data.get('rejected', 0)} (by reason in "
            "reports/metrics.json)",
            "Time: "
            + (
                f"column {data.get('columns', {}).get('timestamp') or 'timestamp'}"
                if data.get("has_timestamps", True)
                else "one time for every event, splits follow row order"
                if data.get("constant_time")
                else "no time column, splits follow row order"
            ),
            f"Split: {summary['split']}; {stats.get('eval_users', '?')} test users, "
            f"{stats.get('held_out_positives', '?')} held-out positives, "
            f"{stats.get('items', '?')} items",
        ],
        metrics=rows,
        metrics_note=(
            "Test split scored once; 95% intervals are bootstrap intervals over test users "
            "(ratios: paired bootstrap on the same users)."
        ),
        limitations=[
            "Offline accuracy on past interactions, not a measured effect on users",
            "Popular items dominate; see coverage, novelty and the activity buckets",
            "New items are reachable only through the content model (metadata tokens)",
        ],
        ethics=[
            "Recommenders amplify popularity and past behaviour; monitor exposure of items",
            "Interaction logs are personal data: keep data/ out of version control",
            f"The served artifact keeps each user's {HISTORY_LIMIT} latest items "
            "(artifacts/catalog.npz, for GET /users/{id}/history): treat artifacts/ as personal "
            "data too",
        ],
        provenance={
            "run": summary.get("created", ""),
            "command": "train",
            "code version": __version__,
            "data fingerprint": str(data.get("sha256", data.get("records", ""))),
        },
    )


def _row(model: str, metric: str, value: float, low: float | None, high: float | None) -> dict:
    return {"model": model, "metric": metric, "value": value, "low": low, "high": high}


def load_summary(reports: Path) -> dict:
    metrics = reports / "metrics.json"
    if not metrics.is_file():
        raise FileNotFoundError(f"{metrics} not found: run `train` (or `evaluate`) first")
    return json.loads(metrics.read_text("utf-8"))


def write_readme(readme: Path, reports: Path, card: Path | None = None) -> None:
    summary = load_summary(reports)
    plot_metrics(summary, reports / "metrics.png")  # the chart changes with the README only
    write_results(readme, results_markdown(summary))
    write_model_card(card or readme.with_name("MODEL_CARD.md"), model_card(summary))
