"""Load one or many series from CSV/Parquet; every record is accounted for by the shared ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .ledger import DataError, Ledger, read_table
from .regular import Regularity, regularize


@dataclass
class Columns:
    """Names of the input columns (``series`` empty for a single series)."""

    time: str = "timestamp"
    value: str = "demand"
    series: str = ""
    exog: tuple[str, ...] = ()


@dataclass
class Dataset:
    """Series in Nixtla's long format: ``unique_id``, ``ds`` (UTC-naive), ``y`` (+ exogenous)."""

    frame: pd.DataFrame
    freq: pd.Timedelta
    ledger: Ledger
    regularity: Regularity
    source: str
    exog: tuple[str, ...] = ()
    report: dict = field(default_factory=dict)

    @property
    def ids(self) -> list[str]:
        return sorted(self.frame["unique_id"].unique())

    def values(self, uid: str) -> np.ndarray:
        return self.frame.loc[self.frame["unique_id"] == uid, "y"].to_numpy(float)

    def times(self, uid: str) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(self.frame.loc[self.frame["unique_id"] == uid, "ds"])

    def exog_values(self, uid: str) -> np.ndarray | None:
        """The exogenous columns of a series, shape (steps, columns), or None without any."""
        if not self.exog:
            return None
        return self.frame.loc[self.frame["unique_id"] == uid, list(self.exog)].to_numpy(float)


def _parse_times(raw: pd.Series, timezone: str | None) -> pd.Series:
    """Timestamps to UTC-naive. Offsets in the data win; naive local times need ``timezone``."""
    parsed = pd.to_datetime(raw, errors="coerce", utc=True, format="ISO8601")
    has_offset = raw.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True, na=False)
    if timezone and not has_offset.any():
        naive = pd.to_datetime(raw, errors="coerce", format="ISO8601")
        # DST: the repeated autumn hour is told apart by order, the skipped spring hour is invalid
        local = naive.dt.tz_localize(timezone, ambiguous="infer", nonexistent="NaT")
        parsed = local.dt.tz_convert("UTC")
    return parsed.dt.tz_localize(None)


def load(
    path: Path | str,
    columns: Columns = Columns(),
    *,
    freq: str | None = None,
    gaps: str = "interpolate",
    duplicates: str = "mean",
    timezone: str | None = None,
    max_gap: int = 48,
) -> Dataset:
    """Read, parse, reject bad rows (with their lines) and put every series on one regular grid."""
    path = Path(path)
    optional = [c for c in (columns.series, *columns.exog) if c]
    table, ledger = read_table(path, required=[columns.time, columns.value], optional=optional)
    for name in optional:
        if name not in table.columns:
            raise DataError(f"{path}: no column {name!r} (columns: {', '.join(table.columns)})")
    try:
        ds = _parse_times(table[columns.time].astype(str).str.strip(), timezone)
    except Exception as exc:  # pandas raises several types for a bad time zone or ambiguity
        raise DataError(f"{path}: timestamps cannot be read in {timezone}: {exc}") from None
    y = pd.to_numeric(table[columns.value].str.strip(), errors="coerce")
    frame = pd.DataFrame(
        {
            "unique_id": table[columns.series].str.strip() if columns.series else "series",
            "ds": ds,
            "y": y,
            "_line": table["_line"].astype(int),
        }
    )
    for name in columns.exog:
        frame[name] = pd.to_numeric(table[name].str.strip(), errors="coerce")
    bad = {
        "timestamp is not a date-time": frame["ds"].isna(),
        "value is not a finite number": ~np.isfinite(frame["y"].fillna(np.nan)),
        "series id is empty": frame["unique_id"].isin(["", "nan"]) | frame["unique_id"].isna(),
    }
    for name in columns.exog:
        bad[f"{name} is not a number"] = frame[name].isna()
    dropped = pd.Series(False, index=frame.index)
    for reason, mask in bad.items():
        mask = mask & ~dropped
        for line in frame.loc[mask, "_line"]:
            ledger.reject(int(line), reason)
        dropped |= mask
    frame = frame.loc[~dropped]
    if frame.empty:
        raise DataError(f"{path}: no usable rows ({ledger.summary()})")
    frame, step, regularity = regularize(
        frame, ledger, freq=freq, gaps=gaps, duplicates=duplicates, max_gap=max_gap
    )
    report = {"ledger": ledger.as_dict(), "regularity": regularity.as_dict(), "freq": str(step)}
    return Dataset(frame, step, ledger, regularity, str(path), tuple(columns.exog), report)
