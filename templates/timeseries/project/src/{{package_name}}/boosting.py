"""LightGBM on lags, calendar features and exogenous columns through mlforecast (recursive)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .models import Seasons

Job = tuple[np.ndarray, pd.Timestamp, "np.ndarray | None"]  # history, its end, exog (n + h, k)


class Boosting:
    """A global LightGBM model over every series; lags of a day and a week, hour and weekday.

    Exogenous columns (temperature, holidays, ...) are dynamic features: the model sees their
    value at the step it forecasts and at the step before (their change is what moves demand
    away from its lag-1 value), so forecasts need their future values.
    """

    name = "lightgbm"

    def __init__(
        self, seasons: Seasons, freq: pd.Timedelta, seed: int = 0, exog: tuple[str, ...] = ()
    ) -> None:
        self.seasons, self.freq, self.seed, self.exog = seasons, freq, seed, tuple(exog)
        self.lags = sorted({1, 2, 3, seasons.day, 2 * seasons.day, seasons.week} - {0})
        # each forecast scales its history by that history's mean and deviation: a fixed window
        # (four times the longest lag) makes the forecast independent of how much is posted
        self.min_history = 4 * (max(self.lags) + 1)
        self.fcst = None

    def _frames(self, jobs: list[Job], h: int) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """Histories (one pseudo-series per job) and, with exogenous columns, their futures."""
        past, future = [], []
        for i, (values, end, exog) in enumerate(jobs):
            n = len(values)
            ds = pd.date_range(end=end + h * self.freq, periods=n + h, freq=self.freq)
            frame = pd.DataFrame({"unique_id": str(i), "ds": ds[:n], "y": values})
            if self.exog:
                x = np.asarray(exog, float)[-(n + h) :]
                x = np.hstack([x, np.vstack([x[:1], x[:-1]])])  # each column and its previous
                names = [*self.exog, *(f"{c}_previous" for c in self.exog)]
                frame[names] = x[:n]
                ahead = pd.DataFrame(x[n:], columns=names)
                future.append(ahead.assign(unique_id=str(i), ds=ds[n:]))
            past.append(frame)
        x_df = pd.concat(future, ignore_index=True) if future else None
        return pd.concat(past, ignore_index=True), x_df

    def fit(self, series: dict[str, tuple[np.ndarray, pd.Timestamp]], exog=None) -> None:
        """Fit on ``{id: (values, time of the last value)}`` and ``{id: exog (n, k)}``."""
        import lightgbm as lgb
        from mlforecast import MLForecast
        from mlforecast.lag_transforms import RollingMean
        from mlforecast.target_transforms import LocalStandardScaler

        model = lgb.LGBMRegressor(
            n_estimators=300,
            learning_rate=0.05,
            num_leaves=31,
            min_child_samples=10,
            subsample=0.9,
            subsample_freq=1,
            colsample_bytree=0.9,
            random_state=self.seed,
            n_jobs=1,
            verbosity=-1,
        )
        day = max(self.seasons.day, 2)
        self.fcst = MLForecast(
            models={"lightgbm": model},
            freq=pd.tseries.frequencies.to_offset(self.freq),
            lags=self.lags,
            lag_transforms={1: [RollingMean(window_size=day)]},
            date_features=[_step_of_day, "dayofweek"],
            target_transforms=[LocalStandardScaler()],
            num_threads=1,
        )
        jobs = [(v, t, (exog or {}).get(u)) for u, (v, t) in series.items()]
        frame, _ = self._frames(jobs, 0)
        self.fcst.fit(frame, static_features=[])

    def forecast_many(self, jobs: list[Job], h: int) -> list[np.ndarray]:
        """Forecasts for many histories in one recursive pass (each its own pseudo-series)."""
        trimmed = [(np.asarray(v[-self.min_history :], float), t, x) for v, t, x in jobs]
        frame, x_df = self._frames(trimmed, h)
        out = self.fcst.predict(h, new_df=frame, X_df=x_df)
        values = out.sort_values(["unique_id", "ds"], key=_natural)["lightgbm"].to_numpy(float)
        return list(values.reshape(len(jobs), h))

    def forecast(self, history: np.ndarray, end: pd.Timestamp, h: int, exog=None) -> np.ndarray:
        return self.forecast_many([(history, end, exog)], h)[0]

    def save(self, folder: Path) -> None:
        self.fcst.save(folder / "lightgbm")
        (folder / "lightgbm" / "exog.json").write_text(json.dumps(list(self.exog)), "utf-8")

    @classmethod
    def load(cls, folder: Path, seasons: Seasons, freq: pd.Timedelta) -> Boosting:
        from mlforecast import MLForecast

        exog = tuple(json.loads((folder / "lightgbm" / "exog.json").read_text("utf-8")))
        model = cls(seasons, freq, exog=exog)
        model.fcst = MLForecast.load(folder / "lightgbm")
        return model


def _natural(column: pd.Series) -> pd.Series:
    """Sort pseudo-series ids "0", "1", ..., "10" as numbers (and times as themselves)."""
    return column.astype(int) if column.name == "unique_id" else column


def _step_of_day(dates: pd.DatetimeIndex) -> np.ndarray:
    """Minutes since midnight: the position within the daily season."""
    return dates.hour * 60 + dates.minute
