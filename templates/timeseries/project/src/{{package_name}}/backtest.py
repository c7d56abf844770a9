"""Rolling-origin backtest: validation origins pick the winner, later test origins score it.

Each origin forecasts ``horizon`` steps from the history before it and nothing after. Local
models refit at every origin; global models (LightGBM, LSTM, Transformer) are fitted once per
block on the data before the block's first origin, so no block ever trains on what it scores.
Validation origins end where the test origins begin, so choosing the winner never looks at test
data; conformal intervals for a test origin are calibrated on the residuals of the latest origins
whose forecasts had ended before it (at first the validation origins).
Steps that were gaps filled by interpolation are forecast but never scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from tqdm import tqdm

from . import conformal
from .data import Dataset
from .metrics import interval_metrics, naive_scale, point_metrics
from .models import DEEP, Seasons, local_model

LEVELS = (80, 90)


@dataclass
class Protocol:
    """Forecast horizon, origins per block and the step between origins (default: the horizon)."""

    horizon: int = 48
    test_origins: int = 28
    val_origins: int = 14
    step: int = 0

    def starts(self, n: int, min_history: int) -> tuple[list[int], list[int]]:
        """Positions of the first forecast step of each validation and test origin."""
        step = self.step or self.horizon
        test = [n - self.horizon - k * step for k in reversed(range(self.test_origins))]
        last_val = test[0] - self.horizon
        val = [last_val - k * step for k in reversed(range(self.val_origins))]
        if val[0] < min_history + self.horizon:
            raise ValueError(
                f"a series of {n} steps is too short for {self.val_origins}+{self.test_origins} "
                f"origins of {self.horizon} steps after {min_history} steps of history; "
                "use fewer origins (--val-origins/--test-origins) or a shorter horizon"
            )
        return val, test


@dataclass
class Backtest:
    """Every forecast of every model at every origin, in long format, and what was fitted."""

    frame: pd.DataFrame
    fitted: dict[str, object] = field(default_factory=dict)
    widths: dict[str, dict] = field(default_factory=dict)


def make_model(name: str, seasons: Seasons, freq, horizon: int, options: dict):
    exog = tuple(options.get("exog", ()))
    model = local_model(name, seasons, options.get("lookback_weeks", 4), exog)
    if model is not None:
        return model
    if name == "lightgbm":
        from .boosting import Boosting

        return Boosting(seasons, freq, horizon, options.get("seed", 0), exog,
                        options.get("holidays", ""))  # fmt: skip
    if name in DEEP:
        from .deep import DeepForecaster

        return DeepForecaster(name, seasons, horizon, options["deep"])
    raise ValueError(f"unknown model {name}")


def run(
    data: Dataset, names: tuple[str, ...], protocol: Protocol, options: dict, log=print
) -> Backtest:
    """Backtest every model on every series; fitted test-block models are kept for serving.

    With exogenous columns, each origin's forecast gets their observed values over the horizon
    (as if their forecasts were perfect: weather forecasts would add their own error).
    """
    seasons = Seasons.for_freq(data.freq)
    options = options | {"exog": data.exog, "holidays": data.report.get("holidays", "")}
    series = {uid: (data.values(uid), data.times(uid)) for uid in data.ids}
    exog = {uid: data.exog_values(uid) for uid in data.ids}
    filled = {uid: data.filled(uid) for uid in data.ids}
    h = protocol.horizon
    rows, fitted = [], {}
    for name in names:
        for block in ("val", "test"):
            model = make_model(name, seasons, data.freq, h, options)
            plans = {u: protocol.starts(len(v), model.min_history) for u, (v, _) in series.items()}
            index = 0 if block == "val" else 1
            if hasattr(model, "fit"):
                first = {u: plans[u][index][0] for u in series}
                past = {u: (v[: first[u]], t[first[u] - 1]) for u, (v, t) in series.items()}
                x_past = {u: x[: first[u]] for u, x in exog.items() if x is not None}
                model.fit(past, exog=x_past or None)
            jobs = [(u, s) for u in series for s in plans[u][index]]
            inputs = [
                (
                    series[u][0][:s],
                    series[u][1][s - 1],
                    None if exog[u] is None else exog[u][: s + h],
                )
                for u, s in jobs
            ]
            forecasts = forecast_all(model, inputs, h, f"{name} {block}")
            for (uid, start), forecast in zip(jobs, forecasts, strict=True):
                values, times = series[uid]
                rows.append(
                    pd.DataFrame(
                        {
                            "model": name,
                            "block": block,
                            "unique_id": uid,
                            "origin": times[start],
                            "step": np.arange(1, h + 1),
                            "ds": times[start : start + h],
                            "actual": values[start : start + h],
                            "forecast": forecast,
                            "filled": filled[uid][start : start + h],
                            "scale": naive_scale(values[:start], seasons.scale),
                            "scale1": naive_scale(values[:start]),
                        }
                    )
                )
            if block == "test" and hasattr(model, "fit"):
                fitted[name] = model
        log(f"{name}: backtested")
    frame = pd.concat(rows, ignore_index=True)
    result = Backtest(frame, fitted)
    add_intervals(result, h, protocol.val_origins)
    return result


def too_short(
    data: Dataset, names: tuple[str, ...], protocol: Protocol, options: dict
) -> dict[str, str]:
    """The series too short for the protocol with every model: id -> why (they are skipped)."""
    seasons = Seasons.for_freq(data.freq)
    options = options | {"exog": data.exog}
    need = max(
        make_model(n, seasons, data.freq, protocol.horizon, options).min_history for n in names
    )
    short = {}
    for uid in data.ids:
        try:
            protocol.starts(len(data.values(uid)), need)
        except ValueError as exc:
            short[uid] = str(exc)
    return short


def forecast_all(model, inputs: list, h: int, desc: str) -> list[np.ndarray]:
    """Each (history, end, exog) forecast: in one batch where the model has one, else in turn."""
    if hasattr(model, "forecast_many"):
        return model.forecast_many(inputs, h)
    return [
        model.forecast(values, end, h, x)
        for values, end, x in tqdm(inputs, desc=desc, leave=False, disable=None)
    ]


def residual_matrix(frame: pd.DataFrame, horizon: int) -> np.ndarray:
    """(origins, horizon) residuals actual - forecast, one row per series and origin (NaN on
    interpolated steps)."""
    res = (frame["actual"] - frame["forecast"]).where(~frame["filled"]).to_numpy()
    return res.reshape(-1, horizon)


def add_intervals(bt: Backtest, horizon: int, window: int) -> None:
    """Conformal intervals on test rows, calibrated the same way for every model: each test
    origin on the residuals of the latest ``window`` origin dates whose forecasts had fully
    ended before it (the validation origins first, then the earlier test origins of the same
    fitted model, as a deployed forecaster would recalibrate); serving widths on the latest
    ``window`` origin dates of all."""
    frame = bt.frame
    for level in LEVELS:
        frame[f"lo_{level}"] = np.nan
        frame[f"hi_{level}"] = np.nan
    for name, group in frame.groupby("model", sort=False):
        res = residual_matrix(group, horizon)
        rows = group.iloc[::horizon]  # one row per (series, origin), in residual_matrix's order
        origin = rows["origin"].to_numpy()
        end = group["ds"].to_numpy()[horizon - 1 :: horizon]  # each forecast's last step
        for when in np.unique(origin[(rows["block"] == "test").to_numpy()]):
            known = end < when
            widths = conformal.calibrate(res[known & _latest(origin, known, window)], LEVELS)
            index = group.index[(group["block"] == "test") & (group["origin"] == when)]
            steps = frame.loc[index, "step"].to_numpy() - 1
            for level in LEVELS:
                half = np.asarray(widths[str(level)])[steps]
                frame.loc[index, f"lo_{level}"] = frame.loc[index, "forecast"] - half
                frame.loc[index, f"hi_{level}"] = frame.loc[index, "forecast"] + half
        every = np.ones(len(origin), bool)
        bt.widths[name] = conformal.calibrate(res[_latest(origin, every, window)], LEVELS)


def _latest(origin: np.ndarray, known: np.ndarray, window: int) -> np.ndarray:
    """Rows among ``known`` whose origin date is one of the latest ``window`` such dates."""
    dates = np.unique(origin[known])[-window:]
    return known & np.isin(origin, dates)


def per_origin(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (model, block, series, origin) with every metric."""
    out = []
    for (name, block, uid, origin), g in frame.groupby(
        ["model", "block", "unique_id", "origin"], sort=False
    ):
        g = g[~g["filled"]]  # interpolated steps are not actuals
        if g.empty:
            continue
        actual, forecast = g["actual"].to_numpy(), g["forecast"].to_numpy()
        scale, scale1 = g["scale"].iloc[0], g["scale1"].iloc[0]
        row = {"model": name, "block": block, "unique_id": uid, "origin": origin}
        row |= point_metrics(actual, forecast, scale, scale1)
        if block == "test":
            for level in LEVELS:
                lo, hi = g[f"lo_{level}"].to_numpy(), g[f"hi_{level}"].to_numpy()
                m = interval_metrics(actual, lo, hi, level, scale)
                row |= {f"{k}_{level}": v for k, v in m.items()}
        out.append(row)
    return pd.DataFrame(out)


def choose(origins: pd.DataFrame, exclude: tuple[str, ...] = ()) -> str:
    """The model with the lowest mean MASE on the validation origins (among those not excluded)."""
    val = origins[(origins["block"] == "val") & ~origins["model"].isin(exclude)]
    return str(val.groupby("model")["mase"].mean().idxmin())
