"""LightGBM on lags and calendar features through mlforecast (recursive multi-step forecasts)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .models import Seasons


class Boosting:
    """A global LightGBM model over every series; lags of a day and a week, hour and weekday."""

    name = "lightgbm"

    def __init__(self, seasons: Seasons, freq: pd.Timedelta, seed: int = 0) -> None:
        self.seasons, self.freq, self.seed = seasons, freq, seed
        self.lags = sorted({1, 2, 3, seasons.day, 2 * seasons.day, seasons.week} - {0})
        self.min_history = max(self.lags) + 1
        self.fcst = None

    def _frame(self, series: dict[str, tuple[np.ndarray, pd.Timestamp]]) -> pd.DataFrame:
        frames = []
        for uid, (values, end) in series.items():
            ds = pd.date_range(end=end, periods=len(values), freq=self.freq)
            frames.append(pd.DataFrame({"unique_id": uid, "ds": ds, "y": values}))
        return pd.concat(frames, ignore_index=True)

    def fit(self, series: dict[str, tuple[np.ndarray, pd.Timestamp]]) -> None:
        """Fit on ``{id: (values, time of the last value)}``, the past of every series."""
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
        self.fcst.fit(self._frame(series), static_features=[])

    def forecast(self, history: np.ndarray, end: pd.Timestamp, h: int) -> np.ndarray:
        frame = self._frame({"s": (np.asarray(history[-4 * self.min_history :], float), end)})
        out = self.fcst.predict(h, new_df=frame)
        return out["lightgbm"].to_numpy(float)

    def save(self, folder: Path) -> None:
        self.fcst.save(folder / "lightgbm")

    @classmethod
    def load(cls, folder: Path, seasons: Seasons, freq: pd.Timedelta) -> Boosting:
        from mlforecast import MLForecast

        model = cls(seasons, freq)
        model.fcst = MLForecast.load(folder / "lightgbm")
        return model


def _step_of_day(dates: pd.DatetimeIndex) -> np.ndarray:
    """Minutes since midnight: the position within the daily season."""
    return dates.hour * 60 + dates.minute
