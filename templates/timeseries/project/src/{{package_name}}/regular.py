"""Duplicate timestamps, off-grid times and gaps on the series' calendar, reported and handled."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import pandas as pd

from . import calendars
from .ledger import DataError, Ledger


@dataclass
class Regularity:
    """What was done to put the series on a regular grid (for metrics.json and the model card)."""

    freq: str = ""
    series: int = 0
    duplicates: int = 0
    merged: int = 0
    off_grid: int = 0
    gaps: int = 0
    filled: int = 0
    longest_gap: int = 0
    closed_weekdays: int = 0  # weekdays no series has, taken as closures (business days only)

    def as_dict(self) -> dict:
        return asdict(self)


FILL_WARNING = 0.03  # above this share of filled steps, `load` warns: the series is partly made up


def choose_offset(frame: pd.DataFrame, freq: str | None, holidays: str) -> pd.DateOffset:
    """The given ``--freq`` or the one inferred from the longest series; business days become
    a calendar whose closures are the weekdays absent from every series (and ``--holidays``)."""
    if freq:
        offset = calendars.parse(freq)
    else:
        longest = frame.groupby("unique_id")["ds"].nunique().idxmax()
        times = pd.DatetimeIndex(frame.loc[frame["unique_id"] == longest, "ds"].unique())
        offset = calendars.infer(times.sort_values())
    if calendars.is_business(offset):
        offset = calendars.business_calendar(pd.DatetimeIndex(frame["ds"]), offset, holidays)
    return offset


def regularize(
    frame: pd.DataFrame,
    ledger: Ledger,
    *,
    freq: str | None,
    gaps: str,
    duplicates: str,
    max_gap: int,
    holidays: str = "",
) -> tuple[pd.DataFrame, pd.DateOffset, Regularity]:
    """Sort each series, settle duplicates (``mean``, ``first`` or ``refuse``), reject off-grid
    rows and fill gaps (``interpolate``, up to ``max_gap`` steps) or ``refuse`` them."""
    step = choose_offset(frame, freq, holidays)
    report = Regularity(freq=step.freqstr)
    if isinstance(step, pd.offsets.CustomBusinessDay):
        report.closed_weekdays = len(calendars.absent_weekdays(pd.DatetimeIndex(frame["ds"])))
    out = []
    for uid, group in frame.sort_values(["unique_id", "ds", "_line"]).groupby("unique_id"):
        group = _settle_duplicates(group, ledger, duplicates, report)
        grid = calendars.grid(group["ds"].iloc[0], group["ds"].iloc[-1], step)
        on_grid = group["ds"].isin(grid)
        for line in group.loc[~on_grid, "_line"]:
            ledger.reject(int(line), f"timestamp is off the {step.freqstr} calendar")
            report.off_grid += 1
        group = group.loc[on_grid]
        if group.empty:
            continue
        grid = grid[(grid >= group["ds"].iloc[0]) & (grid <= group["ds"].iloc[-1])]
        filled = group.set_index("ds").drop(columns=["_line", "unique_id"]).reindex(grid)
        missing = filled["y"].isna()
        runs = missing.groupby((~missing).cumsum()[missing]).size().tolist()  # lengths of gaps
        if runs:
            longest = max(runs)
            report.longest_gap = max(report.longest_gap, longest)
            if gaps == "refuse":
                raise DataError(
                    f"series {uid}: {len(runs)} gap(s), {int(missing.sum())} missing steps of "
                    f"{step.freqstr} "
                    "(use --gaps interpolate to fill them)"
                )
            if longest > max_gap:
                raise DataError(
                    f"series {uid}: a gap of {longest} steps is longer than --max-gap {max_gap}; "
                    "split the series or raise --max-gap"
                )
            filled = filled.interpolate(method="time", limit_area="inside")
        filled["filled"] = missing.to_numpy()
        report.gaps += len(runs)
        report.filled += int(missing.sum())
        filled = filled.rename_axis("ds").reset_index()
        filled.insert(0, "unique_id", str(uid))
        out.append(filled)
    report.series = len(out)
    if not out:
        raise DataError(f"no series has a timestamp on the {step.freqstr} calendar")
    result = pd.concat(out, ignore_index=True)
    return result, step, report


def _settle_duplicates(
    group: pd.DataFrame, ledger: Ledger, policy: str, report: Regularity
) -> pd.DataFrame:
    repeated = group["ds"].duplicated(keep="first")
    if not repeated.any():
        return group
    report.duplicates += int(repeated.sum())
    if policy == "refuse":
        first = group.loc[repeated].iloc[0]
        raise DataError(
            f"series {first['unique_id']}: {int(repeated.sum())} duplicate timestamps, first "
            f"{first['ds']} on line {first['_line']} (--duplicates mean|first settles them)"
        )
    if policy == "first":
        for line in group.loc[repeated, "_line"]:
            ledger.reject(int(line), "duplicate timestamp (kept the first)")
        return group.loc[~repeated]
    report.merged += int(repeated.sum())  # averaged rows are used, not rejected
    values = group.drop(columns=["unique_id", "_line"]).groupby("ds").mean().reset_index()
    lines = group.groupby("ds")["_line"].first().to_numpy()
    values.insert(0, "unique_id", group["unique_id"].iloc[0])
    values["_line"] = lines
    return values
