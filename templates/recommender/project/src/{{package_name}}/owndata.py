"""Your own interactions file: every record accounted for, ids kept exactly as written.

The shared ledger reads the file (CSV/TSV with strict quoting, JSONL or Parquet), counts its raw
records independently of the parser and keeps every value as a string. This module parses types
and rejects rows with a reason and a line number: read + rejected always equals the records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .data import COLUMNS, Dataset, add_unlisted_items, items_frame, merge_repeats, split_tokens
from .ledger import DataError, Ledger, read_table

DEFAULT_EVENT_WEIGHTS = {"view": 1.0, "click": 1.0, "cart": 3.0, "wishlist": 3.0, "purchase": 5.0}


@dataclass
class Columns:
    """Column names of an interactions file.

    ``rating``, ``timestamp`` and ``event`` None: use the column of the default name when the
    file has one. A name given explicitly must exist (a typo is an error, never a silent
    fallback); an empty string means the file has no such column.
    """

    user: str = "user_id"
    item: str = "item_id"
    rating: str | None = None
    timestamp: str | None = None
    event: str | None = None
    event_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_EVENT_WEIGHTS))


def parse_event_weights(text: str) -> dict[str, float]:
    """``view=1,cart=3,purchase=5`` -> a dict; raises DataError on a malformed entry."""
    weights: dict[str, float] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        try:
            weights[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip() or weights.get(name.strip(), 0) <= 0:
            raise DataError(f"--event-weights: {part!r} is not NAME=POSITIVE_NUMBER")
    if not weights:
        raise DataError("--event-weights: give at least one NAME=WEIGHT")
    return weights


def parse_timestamps(values: pd.Series) -> pd.Series:
    """Seconds since 1970 (UTC) per value; NaN where a value is neither a number nor ISO-8601.

    Numbers are epoch seconds; ISO-8601 strings may mix precisions in one column
    (``2022-01-02`` beside ``2022-01-02T22:51:00`` or ``...T22:51:00.5+02:00``); times without
    an offset are taken as UTC.
    """
    numeric = pd.to_numeric(values, errors="coerce")
    out = numeric.astype("float64")
    text = values[numeric.isna()]
    if len(text):
        parsed = pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns, UTC]")
        for index, value in text.items():
            try:
                stamp = pd.Timestamp(value.strip().replace(" ", "T", 1))
            except (ValueError, TypeError):
                continue
            if stamp is pd.NaT:
                continue
            parsed[index] = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
        seconds = (parsed - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)
        out[text.index] = seconds.to_numpy(dtype="float64", na_value=np.nan)
    return out


def _resolve(header: list[str], given: str | None, default: str) -> str | None:
    if given is None:
        return default if default in header else None
    return given or None


def load_interactions(path: Path, columns: Columns | None = None) -> tuple[Dataset, Ledger]:
    """Load and type-check an interactions file; see :class:`Columns` for the column rules."""
    columns = columns or Columns()
    given = {"rating": columns.rating, "timestamp": columns.timestamp, "event": columns.event}
    explicit = [name for name in given.values() if name]
    auto = [default for default, name in given.items() if name is None]
    raw, ledger = read_table(path, required=[columns.user, columns.item, *explicit], optional=auto)
    header = [c for c in raw.columns if c != "_line"]
    rating = _resolve(header, columns.rating, "rating")
    timestamp = _resolve(header, columns.timestamp, "timestamp")
    event = _resolve(header, columns.event, "event")
    frame = pd.DataFrame(
        {"user": raw[columns.user].str.strip(), "item": raw[columns.item].str.strip()}
    )
    lines = raw["_line"].to_numpy()
    bad = np.zeros(len(raw), dtype=bool)

    def reject(mask: np.ndarray, reason: str) -> None:
        for line in lines[mask & ~bad]:
            ledger.reject(int(line), reason)
        bad[:] |= mask

    reject(((frame["user"] == "") | (frame["item"] == "")).to_numpy(), "missing user or item id")
    frame["rating"] = np.nan
    if rating:
        values = pd.to_numeric(raw[rating], errors="coerce")
        reject(
            (~np.isfinite(values.to_numpy(dtype="float64", na_value=np.nan))),
            "rating is not a number",
        )
        frame["rating"] = values.to_numpy(dtype="float64", na_value=np.nan)
    if timestamp:
        seconds = parse_timestamps(raw[timestamp])
        reject(seconds.isna().to_numpy(), "timestamp is neither a number nor ISO-8601")
        frame["timestamp"] = seconds.fillna(0).round().astype("int64").to_numpy()
    else:
        frame["timestamp"] = np.arange(len(frame), dtype=np.int64)
    frame["weight"] = 1.0
    if event:
        names = raw[event].str.strip().str.lower()
        weights = names.map({k.lower(): v for k, v in columns.event_weights.items()})
        reject(weights.isna().to_numpy(), "unknown event type (see --event-weights)")
        frame["weight"] = weights.fillna(0.0).to_numpy()
    ledger.read = int((~bad).sum())
    ledger.check()
    kept = frame[~bad][COLUMNS]
    if kept.empty:
        raise DataError(f"{path}: no usable interactions; run `validate` to see why")
    merged, repeats = merge_repeats(kept)
    report = ledger.as_dict()
    report.update(
        {
            "summary": ledger.summary(),
            "columns": {"rating": rating, "timestamp": timestamp, "event": event},
            "has_timestamps": bool(timestamp),
            "repeats_merged": repeats,
            "interactions": len(merged),
        }
    )
    return Dataset(
        merged, pd.DataFrame(columns=["item", "title", "tokens"]), path.stem, report
    ), ledger


def load_items(
    path: Path, id_col: str, title_col: str | None, tokens_col: str | None
) -> pd.DataFrame:
    """An item metadata file: id, title and tokens (separated by ``| , ;``).

    ``title_col``/``tokens_col`` None: ``title``/``genres`` when present; a name given must exist.
    """
    explicit = [c for c in (title_col, tokens_col) if c]
    auto = [d for d, c in (("title", title_col), ("genres", tokens_col)) if c is None]
    raw, ledger = read_table(path, required=[id_col, *explicit], optional=auto)
    ledger.read = len(raw)
    title_col = _resolve(list(raw.columns), title_col, "title")
    tokens_col = _resolve(list(raw.columns), tokens_col, "genres")
    ids = raw[id_col].str.strip()
    tokens = raw[tokens_col].map(lambda s: split_tokens(s, "|,;")) if tokens_col else None
    titles = raw[title_col].where(raw[title_col].str.strip() != "") if title_col else None
    return items_frame(ids, titles, tokens)


def load_own(
    path: Path,
    columns: Columns | None = None,
    items_path: Path | None = None,
    title_col: str | None = None,
    tokens_col: str | None = None,
) -> tuple[Dataset, Ledger]:
    """Interactions plus optional item metadata; returns (Dataset, Ledger)."""
    dataset, ledger = load_interactions(path, columns)
    items = pd.DataFrame({"item": [], "title": [], "tokens": []})
    if items_path is not None:
        items = load_items(items_path, (columns or Columns()).item, title_col, tokens_col)
    dataset.items = add_unlisted_items(items, dataset.interactions)
    return dataset, ledger
