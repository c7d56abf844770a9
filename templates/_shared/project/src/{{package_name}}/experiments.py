"""The experiment log: one line per `train` run in reports/runs.jsonl, and EXPERIMENTS.md from it.

`train --note "..."` appends the run: the owner's note, the settings, the data fingerprint, the
served model and its version, and the validation metric per unit (example, origin, user) so that
two runs on the same units compare with a paired interval. `report` writes EXPERIMENTS.md, newest
first: what changed since the previous run, the metric with its 95% interval, the difference to
the best run before it, and a chart of the metric over the runs.

Written here rather than read from MLflow: tracking is optional (`--no-track`) and its store stays
out of git, while reports/ is committed, so the log travels with the repository a reviewer reads.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from .stats import bootstrap_interval, paired_bootstrap

RUNS_FILE = "runs.jsonl"
CHART_FILE = "experiments.png"
MAX_SCORES = 20_000  # per-unit scores kept per run (the first ones by key); the mean uses all


def log_run(
    reports: Path,
    *,
    note: str,
    params: Mapping[str, object],
    data: str,
    model: str,
    model_version: str,
    metric: str,
    scores: Mapping[str, float],
    lower_is_better: bool,
) -> dict:
    """Append this run to ``reports/runs.jsonl`` and return its record. ``scores`` maps each
    validation unit to its score; the metric is their mean, with a 95% bootstrap interval."""
    values = np.array([float(v) for v in scores.values()], dtype=float)
    if not len(values) or not np.isfinite(values).all():
        raise ValueError(f"the run's {metric} needs finite scores for at least one unit")
    value, low, high = bootstrap_interval(np.mean, values)
    kept = dict(sorted((str(k), float(v)) for k, v in scores.items())[:MAX_SCORES])
    previous = read_runs(reports)
    record = {
        "run": len(previous) + 1,
        "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "note": note.strip(),
        "params": {k: _plain(v) for k, v in params.items()},
        "data": data,
        "model": model,
        "model_version": model_version,
        "metric": metric,
        "lower_is_better": lower_is_better,
        "value": value,
        "low": low,
        "high": high,
        "units": len(values),
        "scores": kept,
    }
    reports.mkdir(parents=True, exist_ok=True)
    with (reports / RUNS_FILE).open("a", encoding="utf-8") as log:
        log.write(json.dumps(record, sort_keys=True) + "\n")
    return record


def read_runs(reports: Path) -> list[dict]:
    """Every logged run, oldest first (a line that is not a run is a one-line error)."""
    path = reports / RUNS_FILE
    if not path.is_file():
        return []
    runs = []
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            run = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}, line {number}: not a JSON run record ({exc.msg})") from exc
        if not isinstance(run, dict) or "value" not in run:
            raise ValueError(f"{path}, line {number}: not a run record")
        runs.append(run)
    return runs


def changes(before: dict, after: dict) -> list[str]:
    """What differs between two runs: settings, data and served model, in words."""
    said = []
    old, new = before.get("params", {}), after.get("params", {})
    for key in sorted(set(old) | set(new)):
        if old.get(key) != new.get(key):
            said.append(f"{key} {old.get(key, 'unset')} → {new.get(key, 'unset')}")
    if before.get("data") != after.get("data"):
        said.append("other data")
    if before.get("model") != after.get("model"):
        said.append(f"served model {before.get('model')} → {after.get('model')}")
    return said


def versus_best(run: dict, earlier: list[dict]) -> str:
    """``run`` against the best run before it: the paired difference over their common units."""
    if not earlier:
        return "the first run"
    sign = 1 if run["lower_is_better"] else -1
    best = min(earlier, key=lambda r: sign * r["value"])
    common = sorted(set(run["scores"]) & set(best["scores"]))
    head = f"vs the best run before it (run {best['run']}, {best['value']:.3f}): "
    if len(common) < 2:
        return head + f"{run['value'] - best['value']:+.3f}, not paired (no common units)"
    diff, low, high = paired_bootstrap(
        np.mean,
        np.array([run["scores"][k] for k in common]),
        np.array([best["scores"][k] for k in common]),
    )
    better, worse = (high < 0, low > 0) if run["lower_is_better"] else (low > 0, high < 0)
    verdict = "better" if better else "worse" if worse else "not different"
    return (
        head + f"{diff:+.3f} [{low:+.3f}, {high:+.3f}] over {len(common)} common units, {verdict}"
    )


def write_experiments(reports: Path, out: Path) -> int:
    """Write ``out`` (EXPERIMENTS.md) and reports/experiments.png from the log; the run count."""
    runs = read_runs(reports)
    lines = ["# Experiments", ""]
    chart = Path(os.path.relpath(reports / CHART_FILE, out.parent)).as_posix()
    if not runs:
        lines.append('No run is logged yet: `train --note "what this run tries"` logs one.')
    else:
        lines += [
            f"Every `train` run, newest first ({len(runs)} run{'s' * (len(runs) != 1)}; the log is "
            f"reports/{RUNS_FILE}). Intervals are 95% bootstrap intervals over the validation "
            "units; a comparison is paired over the units both runs scored.",
            "",
            f"![{runs[-1]['metric']} over the runs]({chart})",
            "",
        ]
        _chart(runs, reports / CHART_FILE)
    for index in range(len(runs) - 1, -1, -1):
        run = runs[index]
        changed = changes(runs[index - 1], run) if index else []
        lines += [
            f"## Run {run['run']}: {run['note'] or '(no note)'}",
            "",
            f"- {_when(run['time'])}; served {run['model']} (model version {run['model_version']})",
            f"- {run['metric']}: {run['value']:.3f} [{run['low']:.3f}, {run['high']:.3f}] "
            f"over {run['units']} units",
            "- changed since the previous run: "
            + ("; ".join(changed) if changed else "nothing" if index else "n/a (first run)"),
            f"- {versus_best(run, runs[:index])}",
            "",
        ]
    out.write_text("\n".join(lines), "utf-8")
    return len(runs)


def _chart(runs: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [r["run"] for r in runs]
    y = np.array([r["value"] for r in runs])
    err = np.array([[r["value"] - r["low"] for r in runs], [r["high"] - r["value"] for r in runs]])
    best = np.minimum.accumulate(y) if runs[-1]["lower_is_better"] else np.maximum.accumulate(y)
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.errorbar(x, y, yerr=err, fmt="o", capsize=3, label="run (95% interval)")
    ax.step(x, best, where="post", linestyle="--", label="best so far")
    ax.set_xlabel("run")
    better = "lower" if runs[-1]["lower_is_better"] else "higher"
    ax.set_ylabel(f"{runs[-1]['metric']} ({better} is better)")
    ax.set_xticks(x)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def _when(iso: str) -> str:
    """``2026-12-07T06:02:48+00:00`` as ``2026-12-07 06:02 UTC``."""
    try:
        return dt.datetime.fromisoformat(iso).astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return iso


def _plain(value: object) -> object:
    """A JSON-friendly setting: paths and other objects as text."""
    return value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
