"""Each user's latest items, newest first: the compact history the served artifact keeps.

`train` builds it from all interactions (every event, not only positives) and stores it in
``artifacts/catalog.npz`` (``history_*`` arrays), so `GET /users/{id}/history` needs no training
data. Each user keeps the ``HISTORY_LIMIT`` items they interacted with most recently, one row
per item at the time of its latest event. numpy only at serving; `build` takes the pandas frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

HISTORY_LIMIT = 50  # items kept per user: bounds the artifact (50 x 12 bytes per user)


@dataclass
class History:
    """Per user row (the catalogue's user order): item indices and times, newest first."""

    indptr: np.ndarray  # n_users + 1 offsets into items/times
    items: np.ndarray  # catalogue item indices
    times: np.ndarray  # the item's latest event: seconds since the epoch, or row order
    dated: bool  # False when the data had no time column (times are then row order)

    def for_user(self, row: int, k: int) -> tuple[np.ndarray, np.ndarray]:
        start = self.indptr[row]
        end = min(self.indptr[row + 1], start + k)
        return self.items[start:end], self.times[start:end]

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "history_indptr": self.indptr,
            "history_items": self.items,
            "history_times": self.times,
            "history_dated": np.array(self.dated),
        }

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> History | None:
        if "history_indptr" not in arrays:
            return None
        return cls(
            arrays["history_indptr"],
            arrays["history_items"],
            arrays["history_times"],
            bool(arrays["history_dated"]),
        )


def build(
    interactions: pd.DataFrame,
    users: np.ndarray,
    items: np.ndarray,
    dated: bool,
    limit: int = HISTORY_LIMIT,
) -> History:
    """The ``limit`` latest distinct items of each of ``users`` (events of equal time: the later
    row is the newer); users without events get an empty row."""
    import pandas as pd

    frame = interactions[["user", "item", "timestamp"]].assign(row=np.arange(len(interactions)))
    frame = frame.assign(
        u=pd.Index(users).get_indexer(frame["user"]), i=pd.Index(items).get_indexer(frame["item"])
    )
    frame = frame[(frame["u"] >= 0) & (frame["i"] >= 0)]
    latest = frame.sort_values(["u", "timestamp", "row"], ascending=[True, False, False])
    latest = latest.drop_duplicates(["u", "i"], keep="first")
    latest = latest[latest.groupby("u").cumcount() < limit]
    counts = np.bincount(latest["u"].to_numpy(), minlength=len(users))
    return History(
        np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        latest["i"].to_numpy(dtype=np.int32),
        latest["timestamp"].to_numpy(dtype=np.int64),
        dated,
    )
