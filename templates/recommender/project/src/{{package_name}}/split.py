"""Train/test splits that never let a model see its own future.

``user-temporal`` (the default): per user, the latest ``test_fraction`` of their interactions test
(at least one, for users with two or more); everybody with history is evaluated. This is the
per-user temporal (leave-latest-out) protocol common in the literature. ``leave-last-n``: each
user's ``n`` latest. ``temporal``: one global cut-off time, the strictest (no model sees anything
after the cut-off, from anybody) but on small data it evaluates few users.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

SPLITS = ("user-temporal", "leave-last-n", "temporal")


def temporal_split(
    interactions: pd.DataFrame, test_fraction: float = 0.2
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One global cut-off time: everything before it trains, everything from it on tests.

    The cut-off is the timestamp at the ``1 - test_fraction`` quantile; interactions sharing the
    cut-off timestamp all go to the test side, so no test interaction is older than a training one.
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError("test_fraction must be between 0 and 1")
    ordered = interactions.sort_values("timestamp", kind="stable")
    cut = ordered["timestamp"].iloc[int(len(ordered) * (1.0 - test_fraction))]
    train = ordered[ordered["timestamp"] < cut]
    test = ordered[ordered["timestamp"] >= cut]
    return train.reset_index(drop=True), test.reset_index(drop=True)


def leave_last_n_out(interactions: pd.DataFrame, n: int = 1) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per user, the ``n`` latest interactions test and the rest train (users need more than n)."""
    if n < 1:
        raise ValueError("n must be at least 1")
    ordered = interactions.sort_values(["user", "timestamp"], kind="stable")
    rank_from_end = ordered.groupby("user").cumcount(ascending=False)
    counts = ordered["user"].map(ordered["user"].value_counts())
    is_test = (rank_from_end < n) & (counts > n)
    return ordered[~is_test].reset_index(drop=True), ordered[is_test].reset_index(drop=True)


def user_temporal_split(
    interactions: pd.DataFrame, test_fraction: float = 0.2
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per user, the latest ``ceil(test_fraction * n)`` interactions test (users with n >= 2)."""
    if not 0.0 < test_fraction < 1.0:
        raise ValueError("test_fraction must be between 0 and 1")
    ordered = interactions.sort_values(["user", "timestamp"], kind="stable")
    rank_from_end = ordered.groupby("user").cumcount(ascending=False)
    counts = ordered["user"].map(ordered["user"].value_counts())
    held = np.ceil(counts * test_fraction).clip(lower=1)
    is_test = (rank_from_end < held) & (counts >= 2)
    return ordered[~is_test].reset_index(drop=True), ordered[is_test].reset_index(drop=True)


def split(
    interactions: pd.DataFrame, how: str = "user-temporal", test_fraction: float = 0.2, n: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    if how == "user-temporal":
        return user_temporal_split(interactions, test_fraction)
    if how == "temporal":
        return temporal_split(interactions, test_fraction)
    if how == "leave-last-n":
        return leave_last_n_out(interactions, n)
    raise ValueError(f"unknown split {how!r}; choose one of {', '.join(SPLITS)}")
