"""Your own interactions file: every record accounted for, ids kept exactly as written.

The shared tables.py reads the file (CSV/TSV, JSONL or Parquet) as strings and counts its records
apart from the parser; here types are parsed and bad rows rejected with a reason and line number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .dataset import COLUMNS, Dataset, add_unlisted_items, items_frame, split_tokens
from .ledger import DataError, Ledger
from .tables import read_table

DEFAULT_EVENT_WEIGHTS = dict(
    view=1.0, click=1.0, add_to_cart=3.0, cart=3.0, wishlist=3.0, purchase=5.0, buy=5.0
)
# Column names taken as the time of an event when no --timestamp-col is given, in this order.
TIME_COLUMNS = ("timestamp", "event_time", "ts", "time", "datetime", "date", "when", "created_at")


@dataclass
class Columns:
    """Column names of an interactions file. ``rating``/``timestamp``/``event`` None: the default
    name's column if present (for the time, the first of TIME_COLUMNS); "": none. A name given
    must exist (a typo is an error, never a silent fallback)."""

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
        name, _, value = (t.strip() for t in part.partition("="))
        weights[name] = float(value) if re.fullmatch(r"\d*\.?\d+(e-?\d+)?", value) else 0.0
        if not name or weights[name] <= 0:
            raise DataError(f"--event-weights: {part!r} is not NAME=POSITIVE_NUMBER")
    if not weights:
        raise DataError("--event-weights: give at least one NAME=WEIGHT")
    return weights


def parse_timestamps(values: pd.Series) -> pd.Series:
    """Seconds since 1970 (UTC) per value, NaN where it is neither epoch seconds nor ISO-8601
    (precisions may mix in a column; no offset means UTC)."""
    seconds = pd.to_numeric(values, errors="coerce").astype("float64")
    text = values[seconds.isna()].astype(str).str.strip().str.replace(" ", "T", n=1)
    stamps = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    seconds[text.index] = (stamps - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)
    return seconds


def _resolve(header: list[str], given: str | None, *defaults: str) -> str | None:
    if given is None:
        return next((name for name in defaults if name in header), None)
    return given or None


def time_notice(report: dict) -> str:
    """One line saying which column gives event times, or that the split follows row order
    (printed by validate and train, and written in the README results and the model card)."""
    column = report.get("columns", {"timestamp": "timestamp"})["timestamp"]
    if column and report.get("constant_time"):
        return (
            f"all {report['constant_time']} events have the same time in column {column!r}: it "
            "orders nothing, so splits follow row order; name another with --timestamp-col NAME"
        )
    if column:
        return f"event times from column {column!r} (another: --timestamp-col NAME)"
    return (
        "no time column (looked for " + ", ".join(TIME_COLUMNS) + "): splits follow row order; "
        "name one with --timestamp-col NAME"
    )


def data_notes(report: dict) -> list[str]:
    """What loading did beyond the ledger, one line each (printed by validate and train)."""
    notes = [time_notice(report)]
    if report.get("exact_duplicates_dropped"):
        notes.append(
            f"{report['exact_duplicates_dropped']} exact duplicate rows dropped "
            "(same user, item, rating, time and event as an earlier row)"
        )
    if report.get("event_weights"):
        counts = report.get("events") or {}
        shown = ", ".join(
            f"{name}={weight:g} ({counts.get(name.lower(), 0)} rows)"
            for name, weight in report["event_weights"].items()
        )
        notes.append(f"event weights: {shown}; change them with --event-weights")
    if "items_file" in report:
        notes.append(report["items_file"]["summary"])
    return notes


def load_interactions(path: Path, columns: Columns | None = None) -> tuple[Dataset, Ledger]:
    """Load and type-check an interactions file; see :class:`Columns` for the column rules."""
    columns = columns or Columns()
    given = {"rating": columns.rating, "timestamp": columns.timestamp, "event": columns.event}
    explicit = [name for name in given.values() if name]
    auto = [
        *(d for d in ("rating", "event") if given[d] is None),
        *(TIME_COLUMNS if columns.timestamp is None else ()),
    ]
    raw, ledger = read_table(path, required=[columns.user, columns.item, *explicit], optional=auto)
    header = [c for c in raw.columns if c != "_line"]
    rating = _resolve(header, columns.rating, "rating")
    timestamp = _resolve(header, columns.timestamp, *TIME_COLUMNS)
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
        values = pd.to_numeric(raw[rating], errors="coerce").to_numpy("float64", na_value=np.nan)
        reject(~np.isfinite(values), "rating is not a number")
        frame["rating"] = values
    frame["timestamp"] = np.arange(len(frame), dtype=np.int64)
    if timestamp:
        seconds = parse_timestamps(raw[timestamp])
        reject(seconds.isna().to_numpy(), "timestamp is neither a number nor ISO-8601")
        frame["timestamp"] = seconds.fillna(0).round().astype("int64").to_numpy()
    frame["weight"] = 1.0
    if event:
        names = raw[event].str.strip().str.lower()
        weights = names.map({k.lower(): v for k, v in columns.event_weights.items()})
        reject(weights.isna().to_numpy(), "unknown event type (see --event-weights)")
        frame["weight"] = weights.fillna(0.0).to_numpy()
    ledger.read = int((~bad).sum())
    ledger.check()
    # Exact duplicates: the same user, item, rating, time and event on two lines (a logging
    # glitch, not a repeat). Without a time column every line is its own event.
    same = frame.assign(event=raw[event].str.strip().str.lower() if event else "")
    duplicate = same.duplicated(keep="first").to_numpy() if timestamp else np.zeros(len(same), bool)
    kept = frame[~bad & ~duplicate][COLUMNS].sort_values("timestamp", kind="stable")
    if kept.empty:
        raise DataError(f"{path}: no usable interactions; run `validate` to see why")
    # One time for every event orders nothing: row order stands in, as without a time column.
    constant = bool(timestamp) and len(kept) > 1 and kept["timestamp"].nunique() == 1
    if constant:
        kept = kept.assign(timestamp=np.arange(len(kept), dtype=np.int64))
    report = {
        **ledger.as_dict(),
        "summary": ledger.summary(),
        "columns": {"rating": rating, "timestamp": timestamp, "event": event},
        "has_timestamps": bool(timestamp) and not constant,
        "constant_time": len(kept) if constant else 0,
        "exact_duplicates_dropped": int((duplicate & ~bad).sum()),
        "interactions": len(kept),
        "event_weights": dict(columns.event_weights) if event else None,
        "events": same["event"][~bad & ~duplicate].value_counts().to_dict() if event else None,
    }
    # One row per event: repeats of a pair are merged only after the split, so no later event
    # adds to an earlier one's weight.
    items = pd.DataFrame(columns=["item", "title", "tokens"])
    return Dataset(kept.reset_index(drop=True), items, path.stem, report), ledger


def load_items(
    path: Path, id_col: str, title_col: str | None, tokens_col: str | None
) -> tuple[pd.DataFrame, Ledger]:
    """An item metadata file (id, title, tokens separated by ``| , ;``) and its ledger; columns
    None: ``title``/``genres`` if present. Rows without an id or with a repeated id are rejected."""
    explicit = [c for c in (title_col, tokens_col) if c]
    auto = [d for d, c in (("title", title_col), ("genres", tokens_col)) if c is None]
    raw, ledger = read_table(path, required=[id_col, *explicit], optional=auto)
    ledger.read = len(raw)
    ids = raw[id_col].str.strip()
    lines = raw["_line"].to_numpy()
    for line in lines[(ids == "").to_numpy()]:
        ledger.reject(int(line), "missing item id")
    for line in lines[(ids.duplicated() & (ids != "")).to_numpy()]:
        ledger.reject(int(line), "item id repeated (the first row is kept)")
    ledger.check()
    keep = (ids != "") & ~ids.duplicated()
    raw, ids = raw[keep], ids[keep]
    title_col = _resolve(list(raw.columns), title_col, "title")
    tokens_col = _resolve(list(raw.columns), tokens_col, "genres")
    tokens = raw[tokens_col].map(lambda s: split_tokens(s, "|,;")) if tokens_col else None
    titles = raw[title_col].where(raw[title_col].str.strip() != "") if title_col else None
    return items_frame(ids, titles, tokens), ledger


def load_own(
    path: Path,
    columns: Columns | None = None,
    items_path: Path | None = None,
    title_col: str | None = None,
    tokens_col: str | None = None,
    items_id_col: str | None = None,
) -> tuple[Dataset, Ledger]:
    """Interactions and optional item metadata (id column ``items_id_col``, by default the
    interactions'); the items file's ledger goes into ``report["items_file"]``."""
    dataset, ledger = load_interactions(path, columns)
    items = dataset.items
    if items_path is not None:
        id_col = items_id_col or (columns or Columns()).item
        items, items_ledger = load_items(items_path, id_col, title_col, tokens_col)
        dataset.report["items_file"] = {**items_ledger.as_dict(), "summary": items_ledger.summary()}
    dataset.items = add_unlisted_items(items, dataset.interactions)
    return dataset, ledger
