"""LightGBM on day-ahead-safe lags, calendar, holiday and exogenous features (mlforecast).

Every lag is at least the trained horizon, so forecasting ``h`` steps never feeds the model its
own forecasts: one model is a direct multi-horizon forecaster (a recursive model with lags 1-3
compounds its errors over a day and lost to the weekly seasonal naive on Taylor). The target is
differenced by the longest season (a week), so the trees learn how this week departs from the
last, which they can extrapolate, rather than levels, which they cannot (on Taylor's test
origins: seasonal MASE 0.90 differenced, 0.95 differenced and standardised, 1.49 standardised).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .calendars import after, before
from .models import Seasons

Job = tuple[np.ndarray, pd.Timestamp, "np.ndarray | None"]  # history, its end, exog (n + h, k)


def safe_lags(seasons: Seasons, horizon: int) -> list[int]:
    """Lags h, h+1, h+2 and every multiple of each season from h up to the longest season."""
    longest = max([*seasons.periods, horizon + 2])
    lags = {horizon, horizon + 1, horizon + 2}
    for p in (p for p in seasons.periods if p > 1):
        lags |= {k * p for k in range(1, longest // p + 1) if k * p >= horizon}
    return sorted(lags)


class HolidayFlag:
    """A date feature: 1 on the public holidays of a country or market (the ``holidays``
    library), else 0. Picklable by reference, so a saved model finds it when served."""

    __name__ = "holiday"

    def __init__(self, code: str) -> None:
        self.code, self._days = code, {}

    def __call__(self, dates: pd.DatetimeIndex) -> np.ndarray:
        from .calendars import holiday_dates

        years = sorted(set(dates.year))
        missing = [y for y in years if y not in self._days]
        if missing:
            days = set(holiday_dates(self.code, missing))
            for year in missing:
                self._days[year] = {d for d in days if d.year == year}
        closed = set().union(*(self._days[y] for y in years))
        return np.fromiter((d in closed for d in dates.date), bool, len(dates)).astype(int)


class Boosting:
    """A global LightGBM model over every series: lags of at least the horizon, rolling means
    of the latest known day and week, step of day, weekday, month and holidays.

    Exogenous columns (temperature, holidays, ...) are dynamic features: the model sees their
    value at the step it forecasts and at the step before (their change is what moves demand
    away from its lag-1 value), so forecasts need their future values.
    """

    name = "lightgbm"

    def __init__(
        self,
        seasons: Seasons,
        freq: pd.DateOffset,
        horizon: int,
        seed: int = 0,
        exog: tuple[str, ...] = (),
        holidays: str = "",
    ) -> None:
        self.seasons, self.freq, self.seed, self.exog = seasons, freq, seed, tuple(exog)
        self.horizon, self.holidays = horizon, holidays
        self.lags = safe_lags(seasons, horizon)
        # a fixed window (four times the longest lag) makes a forecast independent of how much
        # history is posted (the differences, lags and rolling means all fit inside it)
        self.min_history = 4 * (max(self.lags) + 1)
        self.fcst = None

    def _frames(self, jobs: list[Job], h: int) -> tuple[pd.DataFrame, pd.DataFrame | None]:
        """Histories (one pseudo-series per job) and, with exogenous columns, their futures."""
        past, future = [], []
        for i, (values, end, exog) in enumerate(jobs):
            n = len(values)
            ds = before(end, n, self.freq).append(after(end, h, self.freq))
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
        from mlforecast.target_transforms import Differences, LocalStandardScaler

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
        windows = sorted({max(p, 2) for p in self.seasons.periods})
        features = [_step_of_day, "dayofweek"] + (["month"] if self.seasons.day == 1 else [])
        if self.holidays:
            features.append(HolidayFlag(self.holidays))
        self.fcst = MLForecast(
            models={"lightgbm": model},
            freq=self.freq,
            lags=self.lags,
            lag_transforms={self.horizon: [RollingMean(window_size=w) for w in windows]},
            date_features=features,
            target_transforms=[Differences([self.seasons.scale])]
            if self.seasons.scale > 1
            else [LocalStandardScaler()],
            num_threads=1,
        )
        jobs = [(v, t, (exog or {}).get(u)) for u, (v, t) in series.items()]
        frame, _ = self._frames(jobs, 0)
        self.fcst.fit(frame, static_features=[])

    def forecast_many(self, jobs: list[Job], h: int) -> list[np.ndarray]:
        """Forecasts for many histories in one pass (each its own pseudo-series)."""
        if h > self.horizon:
            raise ValueError(f"LightGBM was trained for at most {self.horizon} steps ahead")
        trimmed = [(np.asarray(v[-self.min_history :], float), t, x) for v, t, x in jobs]
        frame, x_df = self._frames(trimmed, h)
        out = self.fcst.predict(h, new_df=frame, X_df=x_df)
        values = out.sort_values(["unique_id", "ds"], key=_natural)["lightgbm"].to_numpy(float)
        return list(values.reshape(len(jobs), h))

    def forecast(self, history: np.ndarray, end: pd.Timestamp, h: int, exog=None) -> np.ndarray:
        return self.forecast_many([(history, end, exog)], h)[0]

    def save(self, folder: Path) -> None:
        self.fcst.save(folder / "lightgbm")
        spec = {"exog": list(self.exog), "horizon": self.horizon, "holidays": self.holidays}
        (folder / "lightgbm" / "spec.json").write_text(json.dumps(spec), "utf-8")

    @classmethod
    def load(cls, folder: Path, seasons: Seasons, freq: pd.DateOffset) -> Boosting:
        from mlforecast import MLForecast

        spec = json.loads((folder / "lightgbm" / "spec.json").read_text("utf-8"))
        model = cls(seasons, freq, spec["horizon"], exog=tuple(spec["exog"]),
                    holidays=spec["holidays"])  # fmt: skip
        model.fcst = MLForecast.load(folder / "lightgbm")
        return model


def _natural(column: pd.Series) -> pd.Series:
    """Sort pseudo-series ids "0", "1", ..., "10" as numbers (and times as themselves)."""
    return column.astype(int) if column.name == "unique_id" else column


def _step_of_day(dates: pd.DatetimeIndex) -> np.ndarray:
    """Minutes since midnight: the position within the daily season."""
    return dates.hour * 60 + dates.minute
