"""The `report` command: README results and MODEL_CARD.md, both from reports/metrics.json."""

from __future__ import annotations

import json
from pathlib import Path

from . import __version__
from .history import HISTORY_LIMIT
from .modelcard import ModelCard, write_model_card
from .readme import write_results
from .reporting import activity_table, comparison_table, plot_metrics


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
        f"{stats.get('items', '?')} catalogue items); model choice and tuning used a validation "
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
    rows = []
    for name, result in summary["models"].items():
        low, high = result.get("ndcg_ci95") or (None, None)
        rows.append(
            {
                "model": name,
                "metric": f"NDCG@{k}",
                "value": result["ndcg"],
                "low": low,
                "high": high,
            }
        )
    strict = (summary.get("rolling") or {}).get("comparison") or {}
    if strict.get("ratio") is not None:
        rows.append(
            {
                "model": f"{served} / popularity (strict, rolling cut-offs)",
                "metric": f"NDCG@{k} ratio",
                "value": strict["ratio"],
                "low": strict["low"],
                "high": strict["high"],
            }
        )
    for other, c in summary.get("comparisons", {}).items():
        if c.get("ratio") is not None:
            rows.append(
                {
                    "model": f"{served} / {other} ({summary['split']}, leaks across users)",
                    "metric": f"NDCG@{k} ratio",
                    "value": c["ratio"],
                    "low": c["low"],
                    "high": c["high"],
                }
            )
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
