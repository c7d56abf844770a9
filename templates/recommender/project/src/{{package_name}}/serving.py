"""Artifacts loaded once for serving: answers are precomputed or a few vector operations away.

Imports only numpy and scipy, so the Docker image needs neither pandas nor the training stack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .artifacts import ArtifactsError, load_catalog, load_history, load_models, read_meta
from .itemitem import ItemItem
from .models import ContentBased, MatrixFactorization, Scorer, top_k

MAX_K = 100
__all__ = ["ArtifactsError", "MAX_K", "Recommender", "UnknownItems", "UnknownUser"]


class UnknownItems(KeyError):
    """Item ids the catalogue does not know."""

    def __init__(self, ids: list[str]) -> None:
        super().__init__(ids)
        self.ids = ids


class UnknownUser(KeyError):
    """A user id the served model was not trained on."""


@dataclass
class Recommendation:
    items: np.ndarray  # catalogue indices, best first
    scores: np.ndarray
    strategy: str
    unknown: list[str] = field(default_factory=list)  # asked-for ids the catalogue lacks


class Recommender:
    """The served model, the baselines it falls back on, and every user's top list precomputed."""

    def __init__(self, folder: Path, model: str | None = None, ann: bool = False) -> None:
        self.meta = read_meta(folder)
        self.version: str = self.meta.get("model_version", "unknown")
        prep, titles = load_catalog(folder / "catalog.npz")
        self.user_ids: list[str] = prep.users.tolist()
        self.item_ids: list[str] = prep.items.tolist()
        self.positives = prep.positives
        self.history = load_history(folder / "catalog.npz")
        self.seen = prep.seen  # every interaction a user has: never recommended back
        self.user_index = {u: i for i, u in enumerate(self.user_ids)}
        self.item_index = {i: n for n, i in enumerate(self.item_ids)}
        self.model_name = model or self.meta["served_model"]
        names = {self.model_name, "popularity", "itemknn", "content"}
        self.models: dict[str, Scorer] = load_models(folder / "models", names)
        if self.model_name not in self.models:
            raise ArtifactsError(f"model {self.model_name!r} is not in {folder / 'models'}")
        # Every response item is built once here, so a request only picks from a list.
        to_id = int if self.meta.get("int_ids") else str
        self._item_json = [
            {"item_id": to_id(item), **({"title": title} if title else {})}
            for item, title in zip(self.item_ids, titles, strict=True)
        ]
        self._item_counts = np.bincount(self.positives.indices, minlength=len(self.item_ids))
        # the search order: most popular first, each item as "id title" in lower case
        self._by_popularity = np.argsort(-self._item_counts, kind="stable")
        self._search_text = [
            f"{self.item_ids[i]} {titles[i]}".casefold() for i in self._by_popularity.tolist()
        ]
        self.ann = None
        if ann and isinstance(self.model, MatrixFactorization):
            from .ann import AnnIndex

            self.ann = AnnIndex(self.model.item_factors)
        self._precompute_users()
        self._popular = self._popular_list()

    @property
    def model(self) -> Scorer:
        return self.models[self.model_name]

    def _precompute_users(self, batch: int = 1024) -> None:
        n_users = len(self.user_ids)
        self._top = np.zeros((n_users, min(MAX_K, len(self.item_ids))), dtype=np.int32)
        self._top_scores = np.zeros(self._top.shape, dtype=np.float32)
        for start in range(0, n_users, batch):
            rows = np.arange(start, min(start + batch, n_users))
            if self.ann is not None:
                assert isinstance(self.model, MatrixFactorization)
                best, scores = self.ann.top_k(
                    self.model.user_factors[rows], self._top.shape[1], self.seen[rows]
                )
                self._top[rows] = best
                self._top_scores[rows] = scores
                continue
            scores = self.model.score(rows, self.positives[rows])
            best = top_k(scores, self._top.shape[1], self.seen[rows])
            self._top[rows] = best
            self._top_scores[rows] = np.where(
                best >= 0, np.take_along_axis(scores, np.maximum(best, 0), axis=1), -np.inf
            )

    def _popular_list(self) -> Recommendation:
        pop = self.models.get("popularity")
        if pop is None:
            counts = np.asarray((self.positives > 0).sum(axis=0), dtype=np.float32).ravel()
        else:
            counts = pop.counts
        best = np.argsort(-counts, kind="stable")[:MAX_K]
        return Recommendation(best, counts[best], "popularity")

    # -- queries ------------------------------------------------------------------------------
    def known_user(self, user_id: str) -> bool:
        return user_id in self.user_index

    def for_user(self, user_id: str, k: int) -> Recommendation:
        row = self.user_index.get(user_id)
        if row is None:
            pop = self._popular
            return Recommendation(pop.items[:k], pop.scores[:k], "popularity-fallback")
        items, scores = self._top[row, :k], self._top_scores[row, :k]
        keep = items >= 0
        return Recommendation(items[keep], scores[keep], self.model_name)

    def indices(self, item_ids: list[str]) -> np.ndarray:
        missing = [i for i in item_ids if i not in self.item_index]
        if missing:
            raise UnknownItems(missing)
        return np.array(sorted({self.item_index[i] for i in item_ids}), dtype=np.int64)

    def for_items(self, item_ids: list[str], k: int) -> Recommendation:
        """An anonymous user who liked ``item_ids``: the served model folds them in.

        Ids the catalogue does not know (a book added after training) are listed in ``unknown``
        and the known ones answer; with none known, popular items do. When none of the items has
        any interaction (all cold), collaborative models have nothing to go on, so the content
        model answers from the items' metadata.
        """
        unknown = list(dict.fromkeys(i for i in item_ids if i not in self.item_index))
        known = [i for i in item_ids if i in self.item_index]
        if not known:
            pop = self._popular
            return Recommendation(pop.items[:k], pop.scores[:k], "popularity-fallback", unknown)
        liked = self.indices(known)
        row = sp.csr_matrix(
            (np.ones(liked.size, dtype=np.float32), liked, np.array([0, liked.size])),
            shape=(1, len(self.item_ids)),
        )
        warm = self._item_counts[liked] > 0
        name = self.model_name
        if not warm.any() and "content" in self.models:
            name = "content"
        scores = self.models[name].score(None, row)
        if name == "content":
            best = self._ties_by_popularity(scores[0], k, liked)
        else:
            best = top_k(scores, k, row)[0]
            best = best[best >= 0]
        return Recommendation(best, scores[0, best], name, unknown)

    def _ties_by_popularity(self, scores: np.ndarray, k: int, exclude: np.ndarray) -> np.ndarray:
        """The k best-scoring items with a positive score, equal scores the more popular first."""
        scores = np.asarray(scores, dtype=np.float32).copy()
        scores[exclude] = -np.inf
        order = np.lexsort((-self._item_counts, -scores))[:k]
        return order[scores[order] > 0]

    def similar(self, item_id: str, k: int) -> Recommendation:
        """Items like ``item_id``: item-kNN neighbours, content similarity for cold items."""
        item = self.indices([item_id])[0]
        knn = self.models.get("itemknn")
        candidates: list[tuple[str, Scorer]] = []
        warm = self._item_counts[item] > 0
        if isinstance(knn, ItemItem) and warm:
            # the kept neighbours are the row's few non-zeros: sort those, no dense vector
            sim = knn.similarity
            start, end = sim.indptr[item], sim.indptr[item + 1]
            cols, values = sim.indices[start:end], sim.data[start:end]
            order = np.argsort(-values, kind="stable")
            order = order[(values[order] > 0) & (cols[order] != item)][:k]
            if order.size:
                return Recommendation(cols[order], values[order], "itemknn")
        if isinstance(self.model, MatrixFactorization) and warm:
            candidates.append((self.model_name, self.model))
        content = self.models.get("content")
        if isinstance(content, ContentBased):
            candidates.append(("content", content))
        for name, model in candidates:
            scores = np.asarray(model.similar(int(item)), dtype=np.float32)  # type: ignore[attr-defined]
            best = self._ties_by_popularity(scores, k, np.array([item]))
            if best.size:
                return Recommendation(best, scores[best], name)
        return Recommendation(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), "none")

    def user_history(self, user_id: str, k: int) -> list[dict[str, object]]:
        """The user's latest ``k`` items (at most what the artifact keeps), newest first, each
        with ``at``: its latest event's UTC time, or None when the data had no time column."""
        row = self.user_index.get(user_id)
        if row is None:
            raise UnknownUser(user_id)
        items, times = self.history.for_user(row, k)
        return [
            {**self._item_json[i], "at": _iso(t) if self.history.dated else None}
            for i, t in zip(items.tolist(), times.tolist(), strict=True)
        ]

    def history_size(self, user_id: str) -> int:
        """How many distinct items the user interacted with (the history keeps the latest)."""
        row = self.user_index[user_id]
        return int(self.seen.indptr[row + 1] - self.seen.indptr[row])

    def search(self, query: str, k: int) -> list[dict[str, object]]:
        """Items whose id or title contains ``query`` (any case), the exact id first, then the
        more popular first."""
        needle = query.strip().casefold()
        found = [n for n, text in enumerate(self._search_text) if needle in text][:k]
        exact = self.item_index.get(query.strip())
        picked = [int(self._by_popularity[n]) for n in found]
        if exact is not None:
            picked = [exact, *(i for i in picked if i != exact)][:k]
        return [self._item_json[i] for i in picked]

    def popular_ids(self, n: int) -> list[str]:
        return [self.item_ids[i] for i in self._popular.items[:n].tolist()]

    def render_one(self, item_id: str) -> dict[str, object]:
        return self._item_json[self.item_index[item_id]]

    def render(self, rec: Recommendation) -> list[dict[str, object]]:
        return [
            {**self._item_json[i], "score": round(float(s), 6)}
            for i, s in zip(rec.items.tolist(), rec.scores.tolist(), strict=True)
        ]


def _iso(seconds: int) -> str | None:
    try:
        moment = datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError):  # not seconds since the epoch
        return None
    return moment.isoformat().replace("+00:00", "Z")
