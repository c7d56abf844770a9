"""A small synthetic interactions set with real structure: users like the items of their group.

Each user belongs to one of four taste groups, likes a Zipf-distributed handful of that group's
items plus a few global blockbusters, and dislikes a couple of items of other groups. A model
that learns co-occurrence beats popularity by a wide margin; one that does not, does not.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

GROUPS = ("action", "comedy", "drama", "horror")
ITEMS_PER_GROUP = 12
COLD_ITEM = "999"  # has metadata, never interacted with


def make_interactions(
    users: int = 80, per_user: int = 14, seed: int = 0
) -> tuple[list[tuple], list[tuple]]:
    """(interaction rows user,item,rating,timestamp; item rows item,title,genres)."""
    rng = np.random.default_rng(seed)
    items = [
        (str(100 + g * ITEMS_PER_GROUP + j), f"{name.title()} movie {j}", name)
        for g, name in enumerate(GROUPS)
        for j in range(ITEMS_PER_GROUP)
    ]
    items.append((COLD_ITEM, "Brand new action movie", "action"))
    popularity = 1.0 / np.arange(1, ITEMS_PER_GROUP + 1)  # Zipf within a group
    popularity /= popularity.sum()
    blockbusters = np.array([100 + g * ITEMS_PER_GROUP for g in range(len(GROUPS))] + [101, 113])
    blockbuster_p = np.array([0.3, 0.25, 0.2, 0.1, 0.1, 0.05])
    rows = []
    for user in range(users):
        group = user % len(GROUPS)
        own = rng.choice(ITEMS_PER_GROUP, size=per_user - 5, replace=False, p=popularity)
        liked = {100 + group * ITEMS_PER_GROUP + int(j) for j in own}
        liked |= {int(i) for i in rng.choice(blockbusters, size=3, replace=False, p=blockbuster_p)}
        for item in sorted(liked):
            rating = float(rng.choice([4.0, 4.5, 5.0]))
            rows.append((f"u{user}", str(item), rating, int(rng.integers(0, 100_000))))
        for _ in range(2):  # a little noise: disliked items from other groups
            other = (group + int(rng.integers(1, len(GROUPS)))) % len(GROUPS)
            item = 100 + other * ITEMS_PER_GROUP + int(rng.integers(ITEMS_PER_GROUP))
            rating = float(rng.choice([1.0, 2.0]))
            rows.append((f"u{user}", str(item), rating, int(rng.integers(0, 100_000))))
    return rows, items


def write_sample(folder: Path, users: int = 200, seed: int = 0) -> tuple[Path, Path]:
    """interactions.csv and items.csv in ``folder``."""
    rows, items = make_interactions(users=users, seed=seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = (folder / "interactions.csv", folder / "items.csv")
    with paths[0].open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([("user_id", "item_id", "rating", "timestamp"), *rows])
    with paths[1].open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([("item_id", "title", "genres"), *items])
    return paths
