"""Backtest every model, choose the winner on validation origins, save what the API serves."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__
from .backtest import LEVELS, Protocol, choose, per_origin, run
from .data import Dataset
from .models import DEEP, Seasons, check_models
from .serving import META_FILE

BACKTEST_FILE = "backtest.parquet"


def summarize(origins: pd.DataFrame) -> dict[str, dict[str, dict]]:
    """Mean of every metric per model and block."""
    numeric = [c for c in origins.columns if c not in ("model", "block", "unique_id", "origin")]
    out: dict[str, dict[str, dict]] = {}
    for (name, block), g in origins.groupby(["model", "block"], sort=False):
        out.setdefault(name, {})[block] = {
            c: float(g[c].mean()) for c in numeric if g[c].notna().any()
        }
    return out


def train(
    data: Dataset,
    names: tuple[str, ...],
    protocol: Protocol,
    options: dict,
    artifacts: Path,
    reports: Path,
    log=print,
) -> dict:
    """Run the backtest and save artifacts/ (the winner) and reports/backtest.json."""
    started = time.perf_counter()
    seasons = Seasons.for_freq(data.freq)
    names = check_models(names, seasons)
    timings: dict[str, float] = {}
    frames, fitted, widths = [], {}, {}
    for name in names:
        t0 = time.perf_counter()
        bt = run(data, (name,), protocol, options, log)
        timings[name] = round(time.perf_counter() - t0, 2)
        frames.append(bt.frame)
        fitted |= bt.fitted
        widths |= bt.widths
    frame = pd.concat(frames, ignore_index=True)
    origins = per_origin(frame)
    winner = choose(origins)
    artifacts.mkdir(parents=True, exist_ok=True)
    reports.mkdir(parents=True, exist_ok=True)
    for stale in [artifacts / "model.onnx", artifacts / "lightgbm"]:
        if stale.is_file():
            stale.unlink()
    frame.to_parquet(artifacts / BACKTEST_FILE, index=False)
    meta = _serving_meta(
        data, winner, fitted.get(winner), seasons, protocol, widths[winner], options
    )
    if winner == "lightgbm":
        fitted[winner].save(artifacts)
    if winner in DEEP:
        from .export import export_onnx

        x = _sample_windows(data, fitted[winner].input_len)
        meta["onnx"] = export_onnx(fitted[winner], artifacts, x)
        fitted[winner].save(artifacts / "checkpoints")
    summary = {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "version": __version__,
        "source": data.source,
        "data": data.report,
        "protocol": protocol.__dict__,
        "models": list(names),
        "winner": winner,
        "levels": list(LEVELS),
        "seconds": timings,
        "total_seconds": round(time.perf_counter() - started, 2),
        "metrics": summarize(origins),
    }
    meta["test_metrics"] = summary["metrics"][winner]["test"]
    (artifacts / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
    (reports / "backtest.json").write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
    return summary


def _serving_meta(data, winner, model, seasons, protocol, widths, options) -> dict:
    keep = 4 * seasons.week + protocol.horizon if seasons.week > 1 else 2000
    keep = max(keep, options.get("lookback_weeks", 4) * seasons.week)
    series = {}
    for uid in data.ids:
        values, times = data.values(uid), data.times(uid)
        series[uid] = {"values": values[-keep:].round(6).tolist(), "end": times[-1].isoformat()}
    meta = {
        "model": winner,
        "freq": str(data.freq),
        "seasons": {"day": seasons.day, "week": seasons.week},
        "horizon": protocol.horizon,
        "levels": list(LEVELS),
        "widths": widths,
        "lookback_weeks": options.get("lookback_weeks", 4),
        "series": series,
        "source": data.source,
    }
    if winner in DEEP:
        meta["input_len"] = model.input_len
    return meta


def _sample_windows(data: Dataset, input_len: int, count: int = 64) -> np.ndarray:
    rows = []
    for uid in data.ids:
        values = data.values(uid)
        for end in np.linspace(input_len, len(values), min(count, 16)).astype(int):
            rows.append(values[end - input_len : end])
    return np.asarray(rows, np.float32)
