"""Frequency inference, duplicate timestamps, off-grid times and gaps, reported and handled."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from .ledger import DataError, Ledger

GAP_POLICIES = ("interpolate", "refuse")
DUPLICATE_POLICIES = ("mean", "first", "refuse")


@dataclass
class Regularity:
    """What was done to put the series on a regular grid (for metrics.json and the model card)."""

    freq: str = ""
    series: int = 0
    duplicates: int = 0
    off_grid: int = 0
    gaps: int = 0
    filled: int = 0
    longest_gap: int = 0
    per_series: dict[str, dict] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return asdict(self)


def infer_freq(ds: pd.Series) -> pd.Timedelta:
    """The most common positive step between consecutive timestamps (robust to gaps)."""
    steps = ds.sort_values().diff().dropna()
    steps = steps[steps > pd.Timedelta(0)]
    if steps.empty:
        raise DataError("cannot infer the frequency: fewer than two distinct timestamps")
    return steps.mode().iloc[0]


def regularize(
    frame: pd.DataFrame,
    ledger: Ledger,
    *,
    freq: str | None,
    gaps: str,
    duplicates: str,
    max_gap: int,
) -> tuple[pd.DataFrame, pd.Timedelta, Regularity]:
    """Sort each series, settle duplicates, reject off-grid rows and fill (or refuse) gaps."""
    if gaps not in GAP_POLICIES or duplicates not in DUPLICATE_POLICIES:
        raise DataError(
            f"gaps must be one of {GAP_POLICIES}, duplicates one of {DUPLICATE_POLICIES}"
        )
    if freq:
        try:
            step = pd.Timedelta(pd.tseries.frequencies.to_offset(freq))
        except ValueError:
            raise DataError(
                f"--freq {freq!r} is not a pandas frequency (e.g. 30min, h, D)"
            ) from None
    else:
        step = min(infer_freq(g["ds"]) for _, g in frame.groupby("unique_id"))
    report = Regularity(freq=str(step))
    out = []
    for uid, group in frame.sort_values(["unique_id", "ds", "_line"]).groupby("unique_id"):
        group = _settle_duplicates(group, ledger, duplicates, report)
        offset = (group["ds"] - group["ds"].iloc[0]) % step
        for line in group.loc[offset != pd.Timedelta(0), "_line"]:
            ledger.reject(int(line), f"timestamp is off the {step} grid")
            report.off_grid += 1
        group = group.loc[offset == pd.Timedelta(0)]
        grid = pd.date_range(group["ds"].iloc[0], group["ds"].iloc[-1], freq=step)
        filled = group.set_index("ds").drop(columns=["_line", "unique_id"]).reindex(grid)
        missing = filled["y"].isna().to_numpy()
        runs = _runs(missing)
        stats = {"points": len(grid), "gaps": len(runs), "filled": int(missing.sum())}
        if runs:
            longest = max(runs)
            report.longest_gap = max(report.longest_gap, longest)
            if gaps == "refuse":
                raise DataError(
                    f"series {uid}: {len(runs)} gap(s), {int(missing.sum())} missing steps of {step} "
                    "(use --gaps interpolate to fill them)"
                )
            if longest > max_gap:
                raise DataError(
                    f"series {uid}: a gap of {longest} steps is longer than --max-gap {max_gap}; "
                    "split the series or raise --max-gap"
                )
            filled = filled.interpolate(method="time", limit_area="inside")
        report.gaps += len(runs)
        report.filled += int(missing.sum())
        report.per_series[str(uid)] = stats
        filled = filled.rename_axis("ds").reset_index()
        filled.insert(0, "unique_id", str(uid))
        out.append(filled)
    report.series = len(out)
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
    reason = (
        "duplicate timestamp (kept the first)"
        if policy == "first"
        else ("duplicate timestamp (averaged into the first)")
    )
    for line in group.loc[repeated, "_line"]:
        ledger.reject(int(line), reason)
    if policy == "first":
        return group.loc[~repeated]
    values = group.drop(columns=["unique_id", "_line"]).groupby("ds").mean().reset_index()
    lines = group.groupby("ds")["_line"].first().to_numpy()
    values.insert(0, "unique_id", group["unique_id"].iloc[0])
    values["_line"] = lines
    return values


def _runs(missing: np.ndarray) -> list[int]:
    """Lengths of the runs of True in ``missing``."""
    runs, current = [], 0
    for flag in missing:
        if flag:
            current += 1
        elif current:
            runs.append(current)
            current = 0
    if current:
        runs.append(current)
    return runs
