"""Recommenders as numpy/scipy scorers: what the API loads needs neither pandas nor `implicit`.

Every model scores a batch of users against the whole catalogue. ``users`` are row numbers of
known (training) users, or None for anonymous users described only by ``rows``: a sparse
users x items matrix of the items they interacted with. Training lives in ``train.py``.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

MODEL_NAMES = ("random", "popularity", "itemknn", "ease", "rp3beta", "als", "bpr", "content")
# Opt-in models with heavier requirements (pyspark and Java): train with --models ...,als-spark.
OPTIONAL_MODELS = ("als-spark",)
ALL_MODELS = (*MODEL_NAMES, *OPTIONAL_MODELS)
# The simple baselines the best model must be compared with (Dacrema et al. 2019).
SIMPLE_BASELINES = ("popularity", "itemknn", "ease", "rp3beta")


class Scorer:
    name = "base"

    def score(self, users: np.ndarray | None, rows: sp.csr_matrix) -> np.ndarray:
        raise NotImplementedError

    def arrays(self) -> dict[str, np.ndarray]:
        """Everything needed to rebuild the model, as named arrays (saved with np.savez)."""
        raise NotImplementedError


class RandomScorer(Scorer):
    """Uniformly random scores: the floor every real model must clear."""

    name = "random"

    def __init__(self, n_items: int, seed: int = 0) -> None:
        self.n_items = n_items
        self.seed = int(seed)

    def score(self, users: np.ndarray | None, rows: sp.csr_matrix) -> np.ndarray:
        # Seeded by the user rows, so the same user gets the same list in every run and process.
        key = [self.seed, rows.shape[0], *(users[:8].tolist() if users is not None else [])]
        rng = np.random.default_rng(key)
        return rng.random((rows.shape[0], self.n_items), dtype=np.float32)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"n_items": np.array(self.n_items), "seed": np.array(self.seed)}


class Popularity(Scorer):
    """Number of training interactions per item, the same list for everybody."""

    name = "popularity"

    def __init__(self, counts: np.ndarray) -> None:
        self.counts = np.asarray(counts, dtype=np.float32)

    @classmethod
    def fit(cls, matrix: sp.csr_matrix) -> Popularity:
        return cls(np.asarray((matrix > 0).sum(axis=0)).ravel())

    def score(self, users: np.ndarray | None, rows: sp.csr_matrix) -> np.ndarray:
        return np.broadcast_to(self.counts, (rows.shape[0], self.counts.size)).copy()

    def arrays(self) -> dict[str, np.ndarray]:
        return {"counts": self.counts}


class MatrixFactorization(Scorer):
    """User and item factors (from ALS or BPR); anonymous users are folded in.

    ALS fold-in solves the least squares that ALS solves for a user, with the item factors fixed:
    the implicit-feedback objective of Hu, Koren & Volinsky (2008), confidence ``1 + alpha * w``
    on a positive of weight ``w``, 1 elsewhere. ``als`` (`implicit`) penalises ``lambda * |x|^2``;
    ``als-spark`` penalises ``lambda * n * |x|^2`` for a user with ``n`` positives, as Spark's
    ALS-WR does. BPR has no closed form, so its anonymous users get the mean factor of their
    items. ``item_factors`` of BPR carry the item bias as the last column (as `implicit` stores it).
    """

    def __init__(
        self,
        name: str,
        user_factors: np.ndarray,
        item_factors: np.ndarray,
        regularization: float = 0.01,
        alpha: float = 1.0,
    ) -> None:
        self.name = name
        self.user_factors = np.ascontiguousarray(user_factors, dtype=np.float32)
        self.item_factors = np.ascontiguousarray(item_factors, dtype=np.float32)
        self.regularization = float(regularization)
        self.alpha = float(alpha)
        self._gram: np.ndarray | None = None

    def fold_in(self, rows: sp.csr_matrix) -> np.ndarray:
        y = self.item_factors.astype(np.float64)
        out = np.zeros((rows.shape[0], y.shape[1]), dtype=np.float64)
        if self.name in ("als", "als-spark"):
            if self._gram is None:
                self._gram = y.T @ y
            eye = np.eye(y.shape[1])
            for r in range(rows.shape[0]):
                idx = rows.indices[rows.indptr[r] : rows.indptr[r + 1]]
                if idx.size == 0:
                    continue
                conf = confidence(rows.data[rows.indptr[r] : rows.indptr[r + 1]], self.alpha)
                penalty = self.regularization * (idx.size if self.name == "als-spark" else 1)
                yi = y[idx]
                a = self._gram + penalty * eye + (yi.T * (conf - 1.0)) @ yi
                out[r] = np.linalg.solve(a, yi.T @ conf)
        else:
            for r in range(rows.shape[0]):
                idx = rows.indices[rows.indptr[r] : rows.indptr[r + 1]]
                if idx.size:
                    out[r] = y[idx].mean(axis=0)
            if out.shape[1]:
                out[:, -1] = 1.0  # the bias column
        return out.astype(np.float32)

    def score(self, users: np.ndarray | None, rows: sp.csr_matrix) -> np.ndarray:
        factors = self.user_factors[users] if users is not None else self.fold_in(rows)
        return factors @ self.item_factors.T

    def similar(self, item: int) -> np.ndarray:
        y = self.item_factors
        norms = np.linalg.norm(y, axis=1) + 1e-9
        return (y @ y[item]) / (norms * norms[item])

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            "user_factors": self.user_factors,
            "item_factors": self.item_factors,
            "regularization": np.array(self.regularization),
            "alpha": np.array(self.alpha),
        }

    @classmethod
    def from_arrays(cls, name: str, arrays: dict[str, np.ndarray]) -> MatrixFactorization:
        return cls(
            name,
            arrays["user_factors"],
            arrays["item_factors"],
            float(arrays["regularization"]),
            float(arrays["alpha"]),
        )


class ContentBased(Scorer):
    """TF-IDF over item genres and tags; a user is the sum of the items they liked.

    Items nobody has interacted with yet still have metadata, so this model can recommend them
    and find items similar to them: it is the cold-start path.
    """

    name = "content"

    def __init__(self, features: sp.csr_matrix) -> None:
        self.features = features.tocsr().astype(np.float32)
        self._features_t = self.features.T.tocsr()

    @classmethod
    def fit(cls, tokens: list[list[str]]) -> ContentBased:
        vocab: dict[str, int] = {}
        indptr, indices = [0], []
        for item_tokens in tokens:
            ids = sorted({vocab.setdefault(t, len(vocab)) for t in item_tokens})
            indices.extend(ids)
            indptr.append(len(indices))
        n_items, n_terms = len(tokens), max(len(vocab), 1)
        data = np.ones(len(indices), dtype=np.float32)
        tf = sp.csr_matrix(
            (data, np.array(indices, dtype=np.int32), np.array(indptr)), (n_items, n_terms)
        )
        df = np.asarray((tf > 0).sum(axis=0)).ravel()
        idf = np.log((1.0 + n_items) / (1.0 + df)) + 1.0
        weighted = tf @ sp.diags(idf.astype(np.float32))
        norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
        norms[norms == 0] = 1.0
        return cls(sp.diags(1.0 / norms) @ weighted)

    def score(self, users: np.ndarray | None, rows: sp.csr_matrix) -> np.ndarray:
        profiles = rows @ self.features
        return np.asarray((profiles @ self._features_t).todense())

    def similar(self, item: int) -> np.ndarray:
        return np.asarray((self.features[item] @ self._features_t).todense()).ravel()

    def arrays(self) -> dict[str, np.ndarray]:
        return csr_arrays("features", self.features)

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray]) -> ContentBased:
        return cls(csr_from("features", arrays))


def confidence(weights: np.ndarray, alpha: float) -> np.ndarray:
    """ALS confidence of positives with these weights (Hu et al. 2008): ``1 + alpha * w``."""
    return 1.0 + alpha * np.asarray(weights, dtype=np.float64)


def top_k(scores: np.ndarray, k: int, exclude: sp.csr_matrix | None = None) -> np.ndarray:
    """Indices of the ``k`` best items per row, best first; items in ``exclude`` never appear."""
    scores = np.array(scores, dtype=np.float32, copy=True)
    if exclude is not None and exclude.nnz:
        rows = np.repeat(np.arange(exclude.shape[0]), np.diff(exclude.indptr))
        scores[rows, exclude.indices] = -np.inf
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(scores, part, axis=1), axis=1, kind="stable")
    best = np.take_along_axis(part, order, axis=1)
    if exclude is not None and exclude.nnz:
        # A user who has seen almost everything gets fewer than k items, never a seen one.
        valid = np.isfinite(np.take_along_axis(scores, best, axis=1))
        best = np.where(valid, best, -1)
    return best


def csr_arrays(prefix: str, matrix: sp.csr_matrix) -> dict[str, np.ndarray]:
    return {
        f"{prefix}_data": matrix.data,
        f"{prefix}_indices": matrix.indices,
        f"{prefix}_indptr": matrix.indptr,
        f"{prefix}_shape": np.array(matrix.shape),
    }


def csr_from(prefix: str, arrays: dict[str, np.ndarray]) -> sp.csr_matrix:
    return sp.csr_matrix(
        (arrays[f"{prefix}_data"], arrays[f"{prefix}_indices"], arrays[f"{prefix}_indptr"]),
        shape=tuple(arrays[f"{prefix}_shape"]),
    )
