"""The served forecasters: load artifacts/ (no torch: deep models run in ONNX Runtime).

Two models may be served. The winner on validation forecasts known series (once per series and
horizon, then cached). A posted history needs a forecast per request, so it goes to the best
model on validation among those that answer in milliseconds (``models.POSTED_MODELS``, the
``posted_model``): MSTL refits its decomposition on every history and LightGBM's recursive pass
rebuilds its features at every step. Each response names the model that produced it.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pandas as pd

from . import calendars
from .artifacts import META_FILE, model_version
from .models import DEEP, Seasons, local_model


def onnx_file(name: str) -> str:
    return f"{name}.onnx"


class BadRequest(ValueError):
    """A request the model cannot answer (the API turns it into a 422 with the field)."""

    def __init__(self, detail: str, field: str) -> None:
        super().__init__(detail)
        self.field = field


class OnnxForecaster:
    """A deep model exported to ONNX: the last ``input_len`` values in, ``horizon`` out."""

    exog: tuple[str, ...] = ()

    def __init__(self, path: Path, input_len: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        self.min_history = input_len

    def forecast(self, history: np.ndarray, end: pd.Timestamp, h: int, exog=None) -> np.ndarray:
        window = np.asarray(history[-self.min_history :], np.float32)[None]
        return self.session.run(None, {self.input: window})[0][0, :h].astype(float)


class Forecaster:
    """Forecasts with intervals for a known series or a posted history."""

    def __init__(self, folder: Path | str) -> None:
        folder = Path(folder)
        meta_path = folder / META_FILE
        if not meta_path.is_file():
            raise FileNotFoundError(f"no trained model in {folder}: run `train` first")
        self.meta = json.loads(meta_path.read_text("utf-8"))
        self.name = self.meta["model"]
        self.posted_name = self.meta["posted_model"]
        self.version = self.meta.get("model_version") or model_version(folder, self.meta)
        self.freq = calendars.from_spec(self.meta.get("calendar") or {"freq": self.meta["freq"]})
        self.seasons = Seasons(**self.meta["seasons"])
        self.horizon = int(self.meta["horizon"])
        self.levels = tuple(int(x) for x in self.meta["levels"])
        self.models = {n: self._load(folder, n) for n in {self.name, self.posted_name}}
        self.model, self.posted = self.models[self.name], self.models[self.posted_name]
        self.min_history = int(self.posted.min_history)
        self.series = {
            uid: (
                np.asarray(s["values"], float),
                pd.Timestamp(s["end"]),
                np.asarray(s["exog"], float) if s.get("exog") is not None else None,
            )
            for uid, s in self.meta["series"].items()
        }
        self._cache: OrderedDict = OrderedDict()

    def _load(self, folder: Path, name: str):
        spec = self.meta["models"][name]
        model = local_model(name, self.seasons, self.meta["lookback_weeks"], tuple(spec["exog"]))
        if model is not None:
            return model
        if name == "lightgbm":
            from .boosting import Boosting

            return Boosting.load(folder, self.seasons, self.freq)
        if name in DEEP:
            return OnnxForecaster(folder / onnx_file(name), int(spec["input_len"]))
        raise ValueError(f"artifacts name an unknown model: {name}")

    def exog_of(self, name: str) -> tuple[str, ...]:
        """The exogenous columns a served model needs (their future values at forecast time)."""
        return tuple(getattr(self.models[name], "exog", ()))

    def check(self, h: int, levels: list[int]) -> None:
        if not 1 <= h <= self.horizon:
            raise BadRequest(f"horizon must be 1..{self.horizon} (the trained maximum)", "horizon")
        unknown = [x for x in levels if x not in self.levels]
        if unknown:
            raise BadRequest(f"interval levels must be among {list(self.levels)}", "levels")

    def parse_history(
        self, timestamps: list[str], values: list[float]
    ) -> tuple[np.ndarray, pd.Timestamp]:
        """Validate a posted history: as long as the model needs, finite, sorted, regular."""
        if len(timestamps) != len(values):
            raise BadRequest("timestamps and values must have the same length", "values")
        if len(values) < self.min_history:
            raise BadRequest(
                f"history too short: {len(values)} values, the model needs {self.min_history}",
                "values",
            )
        y = np.asarray(values, dtype=float)
        if not np.isfinite(y).all():
            raise BadRequest("values must be finite numbers (no NaN or infinity)", "values")
        try:
            ds = pd.DatetimeIndex(pd.to_datetime(timestamps, utc=True, format="ISO8601"))
        except (ValueError, TypeError, OverflowError):
            raise BadRequest("timestamps must be ISO 8601 date-times", "timestamps") from None
        if (np.diff(ds.asi8) <= 0).any():
            raise BadRequest("timestamps must be sorted and without repeats", "timestamps")
        ds = ds.tz_localize(None)
        if not calendars.consecutive(ds, self.freq):
            raise BadRequest(
                f"timestamps must follow each other by one {self.freq.freqstr} step (the trained "
                "frequency; business days: open days at midnight)",
                "timestamps",
            )
        return y, ds[-1]

    def parse_exog(
        self, name: str, future: dict | None, h: int, past: np.ndarray | dict, n: int
    ) -> np.ndarray | None:
        """Exogenous values over the history (``n`` steps) and ``h`` steps ahead, validated."""
        needed = self.exog_of(name)
        if not needed:
            return None
        if isinstance(past, dict):  # posted: the caller's columns; known: the stored ones
            past = _columns(past, needed, n, "exog", "the history's length")
        future_x = _columns(future or {}, needed, h, "future_exog", "the horizon")
        return np.vstack([np.asarray(past, float)[-n:], future_x])

    def forecast(
        self, name: str, values: np.ndarray, end: pd.Timestamp, h: int, levels, exog=None
    ) -> dict:
        point = np.asarray(self.models[name].forecast(values, end, h, exog), float)[:h]
        times = calendars.after(end, h, self.freq)
        widths = self.meta["models"][name]["widths"]
        out = {
            "model": name,
            "timestamps": [t.isoformat() for t in times],
            "forecast": point.tolist(),
            "intervals": {},
        }
        for level in levels:
            half = np.asarray(widths[str(level)][:h])
            out["intervals"][str(level)] = {
                "lower": (point - half).tolist(),
                "upper": (point + half).tolist(),
            }
        return out

    def for_series(self, uid: str, h: int, levels: list[int], future_exog=None) -> dict:
        """Forecast after a stored series' last value by the winner (cached without exog)."""
        if uid not in self.series:
            raise KeyError(uid)
        values, end, past = self.series[uid]
        exog = self.parse_exog(self.name, future_exog, h, past, len(values))
        if exog is not None:
            return self.forecast(self.name, values, end, h, levels, exog)
        key = (uid, h, tuple(levels))
        if key not in self._cache:
            self._cache[key] = self.forecast(self.name, values, end, h, levels)
            if len(self._cache) > 10_000:
                self._cache.popitem(last=False)
        return self._cache[key]

    def for_history(self, timestamps, values, h: int, levels, exog=None, future_exog=None) -> dict:
        """Forecast after a posted history by the posted-history model."""
        y, end = self.parse_history(timestamps, values)
        x = self.parse_exog(self.posted_name, future_exog, h, exog or {}, len(y))
        return self.forecast(self.posted_name, y, end, h, levels, x)


def _columns(given: dict, needed: tuple[str, ...], length: int, field: str, what: str):
    """The ``needed`` columns of ``given`` as an array (length, k), or a one-line BadRequest."""
    missing = [c for c in needed if c not in given]
    if missing:
        raise BadRequest(
            f"{field} must give {', '.join(needed)} ({length} values each: {what}); "
            f"missing {', '.join(missing)}",
            field,
        )
    columns = []
    for name in needed:
        col = np.asarray(given[name], dtype=float)
        if col.shape != (length,):
            raise BadRequest(
                f"{field}.{name} needs {length} values ({what}), got {col.size}", field
            )
        if not np.isfinite(col).all():
            raise BadRequest(f"{field}.{name} must be finite numbers", field)
        columns.append(col)
    return np.column_stack(columns)
