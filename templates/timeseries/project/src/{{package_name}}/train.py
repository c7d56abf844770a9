"""Backtest every model, choose the winner on validation origins, save what the API serves."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__, calendars
from .backtest import LEVELS, Protocol, choose, per_origin, run, too_short
from .comparison import compare
from .data import Dataset
from .models import DEEP, EXOG_MODELS, POSTED_MODELS, Seasons, check_models
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
    skipped = too_short(data, names, protocol, options)
    if len(skipped) == len(data.ids):
        raise ValueError(f"every series is too short: {next(iter(skipped.values()))}")
    for uid, why in skipped.items():
        log(f"skipped series {uid}: {why}")
    data = data.without(skipped)
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
    # a posted history is forecast per request: by the best model that answers in milliseconds
    slow = tuple(n for n in names if n not in POSTED_MODELS)
    posted = winner if len(slow) == len(names) else choose(origins, exclude=slow)
    artifacts.mkdir(parents=True, exist_ok=True)
    reports.mkdir(parents=True, exist_ok=True)
    for stale in artifacts.glob("*.onnx"):
        stale.unlink()
    frame.to_parquet(artifacts / BACKTEST_FILE, index=False)
    meta = _serving_meta(data, winner, posted, seasons, protocol, options)
    for name in dict.fromkeys((winner, posted)):
        meta["models"][name] = _save_model(name, fitted.get(name), widths[name], data, artifacts)
    summary = {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "version": __version__,
        "source": data.source,
        "data": data.report,
        "protocol": protocol.__dict__,
        "models": list(names),
        "winner": winner,
        "posted_model": posted,
        "levels": list(LEVELS),
        "seconds": timings,
        "total_seconds": round(time.perf_counter() - started, 2),
        "metrics": summarize(origins),
        "comparison": compare(origins, options.get("seed", 0)),
        "skipped": skipped,
    }
    for key, name in (("test_metrics", winner), ("posted_test_metrics", posted)):
        meta[key] = summary["metrics"][name]["test"]
    meta["comparison"] = summary["comparison"]
    (artifacts / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
    (reports / "backtest.json").write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
    return summary


def _serving_meta(data, winner, posted, seasons, protocol, options) -> dict:
    keep = 4 * seasons.scale + protocol.horizon if seasons.scale > 1 else 2000
    keep = max(keep, options.get("lookback_weeks", 4) * seasons.scale, 2000)
    series = {}
    for uid in data.ids:
        values, times, exog = data.values(uid), data.times(uid), data.exog_values(uid)
        series[uid] = {
            "values": values[-keep:].round(6).tolist(),
            "end": times[-1].isoformat(),
            "exog": None if exog is None else exog[-keep:].round(6).tolist(),
        }
    return {
        "model": winner,
        "posted_model": posted,
        "models": {},
        "freq": data.freq.freqstr,
        "calendar": calendars.to_spec(data.freq),
        "holidays": data.report.get("holidays", ""),
        "seasons": {"day": seasons.day, "week": seasons.week, "year": seasons.year},
        "horizon": protocol.horizon,
        "levels": list(LEVELS),
        "exog": list(data.exog),
        "lookback_weeks": options.get("lookback_weeks", 4),
        "series": series,
        "source": data.source,
    }


def _save_model(name: str, model, widths: dict, data: Dataset, artifacts: Path) -> dict:
    """Save what serving needs of one model; its entry in meta.json's ``models``."""
    spec = {"widths": widths, "exog": list(data.exog) if name in EXOG_MODELS else []}
    if name == "lightgbm":
        model.save(artifacts)
    if name in DEEP:
        from .export import export_onnx

        spec["input_len"] = model.input_len
        spec["onnx"] = export_onnx(model, artifacts, _sample_windows(data, model.input_len))
        model.save(artifacts / "checkpoints")
    return spec


def _sample_windows(data: Dataset, input_len: int, count: int = 64) -> np.ndarray:
    rows = []
    for uid in data.ids:
        values = data.values(uid)
        for end in np.linspace(input_len, len(values), min(count, 16)).astype(int):
            rows.append(values[end - input_len : end])
    return np.asarray(rows, np.float32)
