"""The forecasters side by side: naive, seasonal naive, MSTL (statsforecast), and the registry.

Every model answers ``forecast(history, end, h, exog)``: the next ``h`` values after ``history``
(a 1-d array whose last value is at time ``end``). ``exog`` is None or an array of shape
``(len(history) + h, k)``: the exogenous columns over the history and the ``h`` future steps
(the models in ``EXOG_MODELS`` use them; the others ignore them). Local models refit on each call;
global ones (LightGBM, LSTM, Transformer) are fitted once with ``fit`` on the training part of
every series.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import calendars

MODEL_CHOICES = (
    "naive",
    "snaive_day",
    "snaive_week",
    "snaive_year",
    "mstl",
    "mstl_arima",
    "ets",
    "tbats",
    "lightgbm",
    "lstm",
    "transformer",
)
DEFAULT_MODELS = (
    "naive",
    "snaive_day",
    "snaive_week",
    "snaive_year",
    "mstl",
    "lightgbm",
    "lstm",
    "transformer",
)
BASELINES = ("naive", "snaive_day", "snaive_week", "snaive_year")
QUICK_MODELS = DEFAULT_MODELS
DEEP = ("lstm", "transformer")
EXOG_MODELS = ("mstl_arima", "lightgbm")  # regress on exogenous columns when the data has them
# Forecast a posted history in milliseconds: no refit (MSTL decomposes again, 0.1-0.4 s) and no
# recursive pass (mlforecast rebuilds LightGBM's features once per step, 0.1-1 s for a day).
POSTED_MODELS = ("naive", "snaive_day", "snaive_week", "snaive_year", "lstm", "transformer")


@dataclass(frozen=True)
class Seasons:
    """Season lengths in steps: a day, a week (5 business days) and, for weekly or coarser
    steps, a year (1 where the step is not shorter than the season)."""

    day: int
    week: int
    year: int = 1

    @classmethod
    def for_freq(cls, freq: pd.DateOffset) -> Seasons:
        return cls(*calendars.season_lengths(freq))

    @property
    def scale(self) -> int:
        """The season of the seasonal-naive MASE scale: a week, else a year, else 1."""
        return self.week if self.week > 1 else self.year

    @property
    def periods(self) -> list[int]:
        return [p for p in (self.day, self.week, self.year) if p > 1] or [1]


class Naive:
    """The last value, held flat."""

    name = "naive"
    min_history = 1

    def forecast(self, history: np.ndarray, end: pd.Timestamp, h: int, exog=None) -> np.ndarray:
        return np.full(h, float(history[-1]))


class SeasonalNaive:
    """The value one season earlier (a day or a week), repeated."""

    def __init__(self, name: str, season: int) -> None:
        self.name, self.season, self.min_history = name, season, season

    def forecast(self, history: np.ndarray, end: pd.Timestamp, h: int, exog=None) -> np.ndarray:
        last = np.asarray(history[-self.season :], dtype=float)
        return np.resize(last, h) if len(last) else np.full(h, np.nan)


class Mstl:
    """MSTL decomposition (daily + weekly seasons) with an ETS or ARIMA trend, refit per origin.

    The ARIMA variant regresses the deseasonalised series on the exogenous columns (regression
    with ARIMA errors) when there are any; ETS takes none. STL runs with R's loess jumps (see
    ``stl_jumps``): statsmodels evaluates every point by default, about 4x slower for the same fit.
    """

    def __init__(
        self, name: str, seasons: Seasons, lookback_weeks: int = 4, exog: tuple[str, ...] = ()
    ) -> None:
        self.name = name
        self.periods = seasons.periods
        self.lookback = max(self.periods) * lookback_weeks
        self.min_history = 2 * max(self.periods) + 1
        self.exog = tuple(exog) if name == "mstl_arima" else ()

    def forecast(self, history: np.ndarray, end: pd.Timestamp, h: int, exog=None) -> np.ndarray:
        from statsforecast.models import MSTL, AutoARIMA, AutoETS

        trend = (
            AutoARIMA(seasonal=False, max_p=3, max_q=3)
            if self.name == "mstl_arima"
            else AutoETS(model="ZZN")
        )
        model = MSTL(
            season_length=self.periods, trend_forecaster=trend, stl_kwargs=stl_jumps(self.periods)
        )
        y = np.asarray(history[-self.lookback :], dtype=float)
        kwargs = {}
        if self.exog:
            x = np.asarray(exog, dtype=float)[-(len(y) + h) :]
            kwargs = {"X": x[: len(y)], "X_future": x[len(y) :]}
        return np.asarray(model.forecast(y=y, h=h, **kwargs)["mean"], dtype=float)


class Ets:
    """statsforecast's AutoETS (error, trend and season chosen by AICc) on the shortest season,
    refit per origin. One season only: on half-hourly data it cannot see the week, and each fit
    takes seconds (opt-in: ``--models ...,ets``)."""

    name = "ets"

    def __init__(self, seasons: Seasons, lookback_weeks: int = 4) -> None:
        self.season = min(seasons.periods)
        self.lookback = max(seasons.periods) * lookback_weeks
        self.min_history = 2 * self.season + 1

    def forecast(self, history: np.ndarray, end: pd.Timestamp, h: int, exog=None) -> np.ndarray:
        from statsforecast.models import AutoETS

        y = np.asarray(history[-self.lookback :], dtype=float)
        return np.asarray(AutoETS(season_length=self.season).forecast(y=y, h=h)["mean"], float)


class Tbats:
    """statsforecast's AutoTBATS on every season (daily and weekly: double seasonal), refit per
    origin; trend and damping chosen by AIC. Box-Cox and ARMA errors are left out of the search:
    with them one fit on 4 weeks of half-hourly data took 14 s instead of 1.9 s, for the same
    forecast on a double-seasonal test series (opt-in: ``--models ...,tbats``)."""

    name = "tbats"

    def __init__(self, seasons: Seasons, lookback_weeks: int = 4) -> None:
        self.periods = seasons.periods
        self.lookback = max(self.periods) * lookback_weeks
        self.min_history = 2 * max(self.periods) + 1

    def forecast(self, history: np.ndarray, end: pd.Timestamp, h: int, exog=None) -> np.ndarray:
        from statsforecast.models import AutoTBATS

        model = AutoTBATS(season_length=self.periods, use_boxcox=False, use_arma_errors=False)
        y = np.asarray(history[-self.lookback :], dtype=float)
        return np.asarray(model.forecast(y=y, h=h)["mean"], dtype=float)


def stl_jumps(periods: list[int]) -> dict[str, int]:
    """R's ``stl`` defaults, ``ceil(window / 10)``, for the windows of the shortest season.

    statsmodels' STL fits loess at every point (jump 1); R interpolates between every
    ``jump``-th point. On Taylor this changes the MSTL forecasts' MAE by under 0.1% and cuts
    the decomposition, which is most of MSTL's time, about four-fold.
    """
    p = min(periods)
    if p <= 1:
        return {}
    trend = int(np.ceil(1.5 * p / (1 - 1.5 / 11)))  # statsmodels' default trend window
    return {
        "seasonal_jump": 2,  # ceil(11 / 10): the daily season's window is 11
        "trend_jump": int(np.ceil(trend / 10)),
        "low_pass_jump": int(np.ceil((p + 1) / 10)),
    }


def local_model(name: str, seasons: Seasons, lookback_weeks: int = 4, exog: tuple[str, ...] = ()):
    """A model that needs no training (refit per origin), or None for global models."""
    if name == "naive":
        return Naive()
    if name == "snaive_day":
        return SeasonalNaive(name, seasons.day)
    if name == "snaive_week":
        return SeasonalNaive(name, seasons.week)
    if name == "snaive_year":
        return SeasonalNaive(name, seasons.year)
    if name in ("mstl", "mstl_arima"):
        return Mstl(name, seasons, lookback_weeks, exog)
    if name == "ets":
        return Ets(seasons, lookback_weeks)
    if name == "tbats":
        return Tbats(seasons, lookback_weeks)
    return None


def check_models(names: tuple[str, ...], seasons: Seasons) -> tuple[str, ...]:
    """Drop the models a frequency cannot support (no daily season for daily data, ...)."""
    keep = []
    for name in names:
        if name == "snaive_day" and seasons.day <= 1:
            continue
        if name == "snaive_week" and seasons.week <= 1:
            continue
        if name == "snaive_year" and seasons.year <= 1:
            continue
        keep.append(name)
    return tuple(keep)
