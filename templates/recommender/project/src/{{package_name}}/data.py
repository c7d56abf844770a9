"""The dataset every loader returns, and helpers the loaders share.

``interactions``: one row per event: ``user``, ``item`` (strings as given), ``rating`` (NaN
without), ``timestamp`` (int seconds, or row order) and ``weight``; repeats of a pair are merged
only after the split. ``items``: ``item``, ``title``, ``tokens``. ``report``: the source's account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .ledger import Ledger

COLUMNS = ["user", "item", "rating", "timestamp", "weight"]


@dataclass
class Dataset:
    interactions: pd.DataFrame
    items: pd.DataFrame
    name: str
    report: dict[str, object] = field(default_factory=dict)
    licence: str = ""

    @property
    def int_ids(self) -> bool:
        """True when every item id is a canonical integer (no leading zeros), so JSON numbers
        round-trip to the same id; otherwise the API returns ids as strings."""
        return bool(self.items["item"].str.fullmatch(r"0|-?[1-9]\d{0,15}").all())


def items_frame(ids: pd.Series, titles: pd.Series | None, tokens: pd.Series | None) -> pd.DataFrame:
    """An items table (first row per id wins)."""
    frame = pd.DataFrame({"item": ids.astype(str).to_numpy(), "title": None, "tokens": None})
    frame["title"] = titles.to_numpy() if titles is not None else None
    frame["tokens"] = tokens.to_numpy() if tokens is not None else [[] for _ in ids]
    return frame.drop_duplicates("item", keep="first").reset_index(drop=True)


def add_unlisted_items(items: pd.DataFrame, interactions: pd.DataFrame) -> pd.DataFrame:
    """Items that appear in interactions but not in the metadata, with no title or tokens."""
    extra = sorted(set(interactions["item"]) - set(items["item"]))
    rows = pd.DataFrame({"item": extra, "title": None, "tokens": [[] for _ in extra]})
    return pd.concat([items, rows], ignore_index=True) if extra else items


def split_tokens(value: object, separators: str = "|") -> list[str]:
    """Lower-cased genre/tag tokens of one metadata cell."""
    if not isinstance(value, str) or value in ("", "(no genres listed)"):
        return []
    import re

    return [t.strip().lower() for t in re.split(f"[{re.escape(separators)}]", value) if t.strip()]


def ratings_frame(
    user: pd.Series, item: pd.Series, rating: pd.Series | None, timestamp: pd.Series | None
) -> pd.DataFrame:
    """A clean interactions frame from already-parsed columns of a trusted source."""
    frame = pd.DataFrame({"user": user.astype(str).to_numpy(), "item": item.astype(str).to_numpy()})
    frame["rating"] = rating.astype("float64").to_numpy() if rating is not None else np.nan
    frame["timestamp"] = np.arange(len(frame)) if timestamp is None else timestamp.to_numpy()
    frame["timestamp"] = frame["timestamp"].astype("int64")
    frame["weight"] = 1.0
    return frame


def account(path: Path, read: int, header: bool) -> dict[str, object]:
    """The ledger of a trusted source file: its non-empty lines (less the header), counted
    without the parser, must equal the ``read`` records."""
    with path.open("rb") as handle:
        records = sum(1 for line in handle if line.strip()) - int(header)
    ledger = Ledger(str(path.name), records)
    ledger.read = read
    ledger.check()
    return ledger.as_dict()
