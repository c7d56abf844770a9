"""Score the backtest: metrics with bootstrap intervals over origins, plots, serving replay."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .backtest import LEVELS, per_origin
from .serving import Forecaster
from .stats import bootstrap_interval
from .train import BACKTEST_FILE

REPORTED = ("mase", "mase1", "smape", "mae", "rmse", "coverage_90", "pinball_90", "coverage_80")
MEANS = ("width_90",)  # a mean without an interval: a width is not a quantity to test


def table(origins: pd.DataFrame, block: str = "test", seed: int = 0) -> list[dict]:
    """Mean of each metric per model over origins, with a 95% bootstrap interval."""
    rows = []
    part = origins[origins["block"] == block]
    for name, g in part.groupby("model", sort=False):
        row: dict = {"model": name, "origins": len(g)}
        for metric in REPORTED:
            if metric not in g or g[metric].isna().all():
                continue
            point, low, high = bootstrap_interval(np.mean, g[metric].to_numpy(), seed=seed)
            row[metric] = {"value": point, "low": low, "high": high}
        for metric in MEANS:
            if metric in g and g[metric].notna().any():
                row[metric] = {"value": float(g[metric].mean())}
        rows.append(row)
    return sorted(rows, key=lambda r: r["mase"]["value"])


def replay(artifacts: Path, frame: pd.DataFrame, data) -> dict:
    """Forecast the test origins again through the served models and compare with the backtest."""
    served = Forecaster(artifacts)
    out = {}
    for name in served.models:
        part = frame[(frame["model"] == name) & (frame["block"] == "test")]
        diffs = []
        for (uid, origin), g in part.groupby(["unique_id", "origin"], sort=False):
            values, times, exog = data.values(uid), data.times(uid), data.exog_values(uid)
            start = int(np.searchsorted(times.asi8, pd.Timestamp(origin).value))
            x = None if exog is None else exog[: start + len(g)]
            got = served.models[name].forecast(values[:start], times[start - 1], len(g), x)
            scale = float(np.abs(g["forecast"]).mean()) or 1.0
            diffs.append(float(np.abs(got - g["forecast"].to_numpy()).max()) / scale)
        out[name] = {"origins": len(diffs), "relative_max_abs_diff": max(diffs, default=None)}
    return out


def evaluate(artifacts: Path, reports: Path, data=None) -> dict:
    """Write reports/metrics.json and the plots from artifacts/backtest.parquet."""
    path = artifacts / BACKTEST_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no backtest in {artifacts}: run `train` first")
    frame = pd.read_parquet(path)
    summary = json.loads((reports / "backtest.json").read_text("utf-8"))
    origins = per_origin(frame)
    result = {
        "winner": summary["winner"],
        "served": summary.get("served", summary["winner"]),
        "served_reason": summary.get("served_reason", ""),
        "posted_model": summary["posted_model"],
        "model_version": summary.get("model_version", "unknown"),
        "data_fingerprint": summary.get("data_fingerprint", "unknown"),
        "protocol": summary["protocol"],
        "data": summary["data"],
        "source": summary["source"],
        "seconds": summary["seconds"],
        "total_seconds": summary["total_seconds"],
        "created": summary["created"],
        "levels": list(LEVELS),
        "validation": table(origins, "val"),
        "test": table(origins, "test"),
        "comparison": summary["comparison"],
        "skipped": summary.get("skipped", {}),
    }
    if data is not None:
        result["serving_replay"] = replay(artifacts, frame, data)
    from .plots import plot_all

    result["plots"] = plot_all(frame, origins, result["served"], reports)
    (reports / "metrics.json").write_text(json.dumps(result, indent=2) + "\n", "utf-8")
    return result
