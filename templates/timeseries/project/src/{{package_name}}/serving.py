"""The served forecaster: loads artifacts/ (no torch: deep winners run in ONNX Runtime)."""

from __future__ import annotations

import json
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pandas as pd

from .models import DEEP, Seasons, local_model

META_FILE = "meta.json"
ONNX_FILE = "model.onnx"


class BadRequest(ValueError):
    """A request the model cannot answer (the API turns it into a 422 with the field)."""

    def __init__(self, detail: str, field: str) -> None:
        super().__init__(detail)
        self.field = field


class OnnxForecaster:
    """A deep winner exported to ONNX: the last ``input_len`` values in, ``horizon`` out."""

    def __init__(self, path: Path, input_len: int) -> None:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name
        self.min_history = input_len

    def forecast(self, history: np.ndarray, end: pd.Timestamp, h: int) -> np.ndarray:
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
        self.freq = pd.Timedelta(self.meta["freq"])
        self.seasons = Seasons(**self.meta["seasons"])
        self.horizon = int(self.meta["horizon"])
        self.levels = tuple(int(x) for x in self.meta["levels"])
        self.widths = self.meta["widths"]
        self.model = self._load(folder)
        self.min_history = int(self.model.min_history)
        self.series = {
            uid: (np.asarray(s["values"], float), pd.Timestamp(s["end"]))
            for uid, s in self.meta["series"].items()
        }
        self._cache: OrderedDict = OrderedDict()

    def _load(self, folder: Path):
        model = local_model(self.name, self.seasons, self.meta.get("lookback_weeks", 4))
        if model is not None:
            return model
        if self.name == "lightgbm":
            from .boosting import Boosting

            return Boosting.load(folder, self.seasons, self.freq)
        if self.name in DEEP:
            return OnnxForecaster(folder / ONNX_FILE, int(self.meta["input_len"]))
        raise ValueError(f"artifacts name an unknown model: {self.name}")

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
        steps = np.diff(ds.asi8)
        if (steps <= 0).any():
            raise BadRequest("timestamps must be sorted and without repeats", "timestamps")
        if (steps != self.freq.value).any():
            raise BadRequest(
                f"timestamps must be {self.freq} apart (the trained frequency)", "timestamps"
            )
        return y, ds[-1].tz_localize(None)

    def forecast(self, values: np.ndarray, end: pd.Timestamp, h: int, levels: list[int]) -> dict:
        point = np.asarray(self.model.forecast(values, end, h), float)[:h]
        times = pd.date_range(end + self.freq, periods=h, freq=self.freq)
        out = {
            "timestamps": [t.isoformat() for t in times],
            "forecast": point.tolist(),
            "intervals": {},
        }
        for level in levels:
            half = np.asarray(self.widths[str(level)][:h])
            out["intervals"][str(level)] = {
                "lower": (point - half).tolist(),
                "upper": (point + half).tolist(),
            }
        return out

    def for_series(self, uid: str, h: int, levels: list[int]) -> dict:
        """Forecast after a stored series' last value (cached: the data does not change)."""
        if uid not in self.series:
            raise KeyError(uid)
        key = (uid, h, tuple(levels))
        if key not in self._cache:
            values, end = self.series[uid]
            self._cache[key] = self.forecast(values, end, h, levels)
            if len(self._cache) > 10_000:
                self._cache.popitem(last=False)
        return self._cache[key]
