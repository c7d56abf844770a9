"""Load one or many series from CSV/Parquet; every record is accounted for by the shared ledger."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import calendars
from .ledger import DataError, Ledger
from .regular import FILL_WARNING, Regularity, regularize
from .tables import read_table


@dataclass
class Columns:
    """Names of the input columns (``series`` empty for a single series)."""

    time: str = "timestamp"
    value: str = "demand"
    series: str = ""
    exog: tuple[str, ...] = ()


@dataclass
class Dataset:
    """Series in Nixtla's long format: ``unique_id``, ``ds`` (UTC-naive), ``y`` (+ exogenous),
    and ``filled`` (True where a gap was interpolated: such steps are never scored)."""

    frame: pd.DataFrame
    freq: pd.DateOffset
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

    def filled(self, uid: str) -> np.ndarray:
        return self.frame.loc[self.frame["unique_id"] == uid, "filled"].to_numpy(bool)

    def without(self, skipped: dict[str, str]) -> Dataset:
        """The same data less the ``skipped`` series (id -> why), which the report names."""
        keep = self.frame[~self.frame["unique_id"].isin(skipped)]
        report = self.report | {"skipped": self.report.get("skipped", {}) | skipped}
        return Dataset(keep, self.freq, self.ledger, self.regularity, self.source, self.exog,
                       report)  # fmt: skip

    def exog_values(self, uid: str) -> np.ndarray | None:
        """The exogenous columns of a series, shape (steps, columns), or None without any."""
        if not self.exog:
            return None
        return self.frame.loc[self.frame["unique_id"] == uid, list(self.exog)].to_numpy(float)


def _parse_times(raw: pd.Series, timezone: str | None, lines: pd.Series) -> pd.Series:
    """Timestamps to UTC-naive, row by row: a row with an offset is converted from it, a naive
    row is local time in ``timezone`` (or kept as it is without one). A file that mixes both
    without ``--timezone`` is refused: its naive rows' zone is unknown."""
    has_offset = raw.str.contains(r"(?:Z|[+-]\d\d:?\d\d)$", regex=True, na=False)
    if has_offset.any() and not has_offset.all() and not timezone:
        first = int(lines[~has_offset].iloc[0])
        raise DataError(
            f"{int(has_offset.sum())} timestamps carry a UTC offset and {int((~has_offset).sum())} "
            f"do not (first on line {first}): pass --timezone ZONE for the naive ones"
        )
    parsed = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns]")
    if has_offset.any():
        aware = pd.to_datetime(raw[has_offset], errors="coerce", utc=True, format="ISO8601")
        parsed[has_offset] = aware.dt.tz_localize(None)
    if (~has_offset).any():
        naive = pd.to_datetime(raw[~has_offset], errors="coerce", format="ISO8601")
        if timezone:
            # DST: the repeated autumn hour is told apart by order, the skipped spring hour is NaT
            local = naive.dt.tz_localize(timezone, ambiguous="infer", nonexistent="NaT")
            naive = local.dt.tz_convert("UTC").dt.tz_localize(None)
        parsed[~has_offset] = naive
    return parsed


def load(
    path: Path | str,
    columns: Columns = Columns(),
    *,
    freq: str | None = None,
    gaps: str = "interpolate",
    duplicates: str = "mean",
    timezone: str | None = None,
    max_gap: int = 48,
    holidays: str = "",
    warn=None,
) -> Dataset:
    """Read, parse, reject bad rows (with their lines) and put every series on one regular grid."""
    path = Path(path)
    optional = [c for c in (columns.series, *columns.exog) if c]
    table, ledger = read_table(path, required=[columns.time, columns.value], optional=optional)
    for name in optional:
        if name not in table.columns:
            raise DataError(f"{path}: no column {name!r} (columns: {', '.join(table.columns)})")
    try:
        ds = _parse_times(table[columns.time].astype(str).str.strip(), timezone, table["_line"])
    except DataError as exc:
        raise DataError(f"{path}: {exc}") from None
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
        frame, ledger, freq=freq, gaps=gaps, duplicates=duplicates, max_gap=max_gap,
        holidays=holidays,
    )  # fmt: skip
    share = regularity.filled / max(len(frame), 1)
    if share > FILL_WARNING and warn is not None:
        warn(f"warning: {regularity.filled} of {len(frame)} steps ({share:.1%}) were gaps filled "
             "by interpolation; they are never scored, but models train on them")  # fmt: skip
    report = {"ledger": ledger.as_dict(), "regularity": regularity.as_dict(),
              "freq": step.freqstr, "calendar": calendars.to_spec(step), "holidays": holidays,
              "filled_share": round(share, 4)}  # fmt: skip
    return Dataset(frame, step, ledger, regularity, str(path), tuple(columns.exog), report)
