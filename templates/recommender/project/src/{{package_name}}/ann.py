"""Approximate nearest neighbours for large catalogues (``serve --ann``; needs ``pip install .[ann]``).

An HNSW index (hnswlib) over the item factors of a matrix-factorisation model answers top-k
inner-product queries without scoring every item. Items the user already has are filtered out,
so each query asks for k plus the user's number of seen items. ``recall_at_k`` measures how many
of the exact top-k the index returns (reported by benchmarks/ann.py).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .models import top_k


class AnnIndex:
    def __init__(self, item_factors: np.ndarray, m: int = 16, ef_construction: int = 200) -> None:
        try:
            import hnswlib
        except ImportError as exc:  # pragma: no cover - depends on the install
            raise RuntimeError("--ann needs hnswlib: pip install '.[ann]'") from exc
        vectors = np.ascontiguousarray(item_factors, dtype=np.float32)
        self.n_items = vectors.shape[0]
        self.index = hnswlib.Index(space="ip", dim=vectors.shape[1])
        self.index.init_index(
            max_elements=self.n_items, M=m, ef_construction=ef_construction, random_seed=0
        )
        self.index.add_items(vectors, np.arange(self.n_items), num_threads=1)

    def top_k(
        self, queries: np.ndarray, k: int, exclude: sp.csr_matrix
    ) -> tuple[np.ndarray, np.ndarray]:
        """(items, scores) of the best ``k`` per query row, excluded items removed, -1 padded."""
        items = np.full((len(queries), k), -1, dtype=np.int64)
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        for r, query in enumerate(np.asarray(queries, dtype=np.float32)):
            seen = exclude.indices[exclude.indptr[r] : exclude.indptr[r + 1]]
            want = min(k + seen.size, self.n_items)
            self.index.set_ef(max(want, 64))
            labels, distances = self.index.knn_query(query[None, :], k=want, num_threads=1)
            keep = ~np.isin(labels[0], seen)
            found, dist = labels[0][keep][:k], distances[0][keep][:k]
            items[r, : found.size] = found
            scores[r, : found.size] = 1.0 - dist  # hnswlib's "ip" distance is 1 - <q, x>
        return items, scores


def recall_at_k(
    user_factors: np.ndarray, item_factors: np.ndarray, exclude: sp.csr_matrix, k: int = 10
) -> float:
    """Share of the exact top-k (seen items excluded) that the HNSW index also returns."""
    exact = top_k(user_factors @ item_factors.T, k, exclude)
    approx, _ = AnnIndex(item_factors).top_k(user_factors, k, exclude)
    hits = [
        len(set(a[a >= 0]) & set(e[e >= 0])) / max((e >= 0).sum(), 1)
        for a, e in zip(approx, exact, strict=True)
    ]
    return float(np.mean(hits))
