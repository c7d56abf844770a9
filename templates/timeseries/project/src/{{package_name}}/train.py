"""Backtest every model, choose the winner on validation origins, save what the API serves."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__, calendars
from .artifacts import META_FILE, file_fingerprint, model_version, staged
from .backtest import LEVELS, Protocol, choose, per_origin, run, too_short
from .comparison import compare, gate
from .data import Dataset
from .models import DEEP, EXOG_MODELS, POSTED_MODELS, Seasons, check_models

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
    load: dict | None = None,
) -> dict:
    """Run the backtest, publish artifacts/ (the served models; ``load``, the data options, as
    load.json) and write reports/backtest.json. ``options["serve"]`` forces the served model."""
    started = time.perf_counter()
    seasons = Seasons.for_freq(data.freq)
    names = check_models(names, seasons)
    forced = options.get("serve", "")
    if forced and forced not in names:
        raise ValueError(f"--serve {forced}: not among the backtested models ({', '.join(names)})")
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
    comparison = compare(origins, options.get("seed", 0))
    decision = compare(origins, options.get("seed", 0), block="val")
    serving = gate(decision, winner, posted, forced, POSTED_MODELS)
    log(serving["reason"])
    summary = {
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "version": __version__,
        "source": data.source,
        "data_fingerprint": data_fingerprint(data),
        "data": data.report,
        "protocol": protocol.__dict__,
        "models": list(names),
        "winner": winner,
        "served": serving["model"],
        "posted_model": serving["posted_model"],
        "served_reason": serving["reason"],
        "levels": list(LEVELS),
        "seconds": timings,
        "total_seconds": 0.0,
        "metrics": summarize(origins),
        "comparison": comparison,
        "gate_comparison": decision,
        "val_scores": _val_scores(origins, serving["model"]),
        "skipped": skipped,
    }
    reports.mkdir(parents=True, exist_ok=True)
    artifacts.parent.mkdir(parents=True, exist_ok=True)
    with staged(artifacts) as staging:
        frame.to_parquet(staging / BACKTEST_FILE, index=False)
        meta = _serving_meta(data, serving, seasons, protocol, options)
        for name in dict.fromkeys((serving["model"], serving["posted_model"])):
            meta["models"][name] = _save_model(name, fitted.get(name), widths[name], data, staging)
        for key in ("test_metrics", "posted_test_metrics"):
            name = serving["model" if key == "test_metrics" else "posted_model"]
            meta[key] = summary["metrics"][name]["test"]
        meta |= {"comparison": comparison, "served_reason": serving["reason"],
                 "data_fingerprint": summary["data_fingerprint"]}  # fmt: skip
        meta["model_version"] = summary["model_version"] = model_version(staging, meta)
        (staging / "load.json").write_text(json.dumps(load or {}), "utf-8")
        (staging / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", "utf-8")
        summary["total_seconds"] = round(time.perf_counter() - started, 2)
        (reports / "backtest.json").write_text(json.dumps(summary, indent=2) + "\n", "utf-8")
    return summary


def _val_scores(origins: pd.DataFrame, model: str) -> dict[str, float]:
    """The served model's MASE at each validation origin, keyed ``series@origin``."""
    rows = origins[(origins["model"] == model) & (origins["block"] == "val")]
    return {f"{r.unique_id}@{r.origin}": float(r.mase) for r in rows.itertuples()}


def data_fingerprint(data: Dataset) -> str:
    """A hash of the data: the file's bytes, else the series as loaded."""
    if Path(data.source).is_file():
        return file_fingerprint(data.source)
    rows = pd.util.hash_pandas_object(data.frame, index=False).to_numpy()
    return f"sha256:{hashlib.sha256(rows.tobytes()).hexdigest()}"


def _serving_meta(data, serving: dict, seasons, protocol, options) -> dict:
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
        "model": serving["model"],
        "posted_model": serving["posted_model"],
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
