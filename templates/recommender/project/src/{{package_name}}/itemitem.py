"""Item-item models: a user's scores are the sum of item-to-item weights from what they liked.

Three ways to learn the weights, all strong simple baselines (Dacrema et al., RecSys 2019):

- **itemknn**: shrunk cosine similarity of item columns, top neighbours kept;
- **EASE** (Steck, WWW 2019): the closed-form ridge regression of each item on all the others
  with a zero diagonal, ``B = -P / diag(P)`` for ``P = (X'X + lambda I)^-1``, on the ``max_items``
  most popular items (the inverse is cubic in the number of items);
- **RP3beta** (Paudel et al. 2016): three-step random walk item -> user -> item with transition
  probabilities raised to ``alpha``, divided by the target's popularity to the power ``beta``.

Each keeps the ``neighbours`` largest weights per item, so the saved model is a sparse matrix and
serving is one sparse product; evaluation uses the same pruned matrix as the API.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from .models import Scorer, csr_arrays, csr_from


class ItemItem(Scorer):
    def __init__(self, name: str, similarity: sp.csr_matrix) -> None:
        self.name = name
        self.similarity = similarity.tocsr().astype(np.float32)

    def score(self, users: np.ndarray | None, rows: sp.csr_matrix) -> np.ndarray:
        return np.asarray((rows @ self.similarity).todense())

    def similar(self, item: int) -> np.ndarray:
        return np.asarray(self.similarity[item].todense()).ravel()

    def arrays(self) -> dict[str, np.ndarray]:
        return csr_arrays("similarity", self.similarity)

    @classmethod
    def from_arrays(cls, name: str, arrays: dict[str, np.ndarray]) -> ItemItem:
        return cls(name, csr_from("similarity", arrays))


def fit_itemknn(matrix: sp.csr_matrix, neighbours: int = 100, shrink: float = 10.0) -> ItemItem:
    binary = (matrix > 0).astype(np.float32).tocsc()
    co = (binary.T @ binary).tocsr()
    norms = np.sqrt(co.diagonal())
    co.setdiag(0.0)
    co.eliminate_zeros()
    rows = np.repeat(np.arange(co.shape[0]), np.diff(co.indptr))
    co.data = co.data / (norms[rows] * norms[co.indices] + shrink)
    return ItemItem("itemknn", top_per_row(co, neighbours))


def fit_ease(
    matrix: sp.csr_matrix, l2: float = 200.0, max_items: int = 2500, neighbours: int = 200
) -> ItemItem:
    binary = (matrix > 0).astype(np.float64)
    counts = np.asarray(binary.sum(axis=0)).ravel()
    keep = np.argsort(-counts, kind="stable")[: min(max_items, int((counts > 0).sum()))]
    sub = binary[:, keep]
    gram = (sub.T @ sub).toarray().astype(np.float32)
    gram[np.diag_indices_from(gram)] += l2
    p = scipy.linalg.inv(gram, overwrite_a=True, check_finite=False)
    b = -p / np.diag(p)
    np.fill_diagonal(b, 0.0)
    n = min(neighbours, b.shape[1])
    cols = np.argpartition(-np.abs(b), n - 1, axis=1)[:, :n]
    rows = np.repeat(np.arange(b.shape[0]), n)
    values = np.take_along_axis(b, cols, axis=1).ravel().astype(np.float32)
    full = sp.csr_matrix((values, (keep[rows], keep[cols.ravel()])), shape=(matrix.shape[1],) * 2)
    full.eliminate_zeros()
    return ItemItem("ease", full)


def fit_rp3beta(
    matrix: sp.csr_matrix,
    alpha: float = 1.0,
    beta: float = 0.5,
    neighbours: int = 100,
    block: int = 1024,
) -> ItemItem:
    binary = (matrix > 0).astype(np.float32).tocsr()
    p_ui = _normalise_rows(binary).power(alpha).tocsc()
    p_iu = _normalise_rows(binary.T.tocsr()).power(alpha).tocsr()
    popularity = np.asarray(binary.sum(axis=0)).ravel()
    inv_pop = np.zeros_like(popularity, dtype=np.float32)
    inv_pop[popularity > 0] = popularity[popularity > 0] ** -beta
    scale = sp.diags(inv_pop)
    parts = []
    for start in range(0, p_iu.shape[0], block):
        w = (p_iu[start : start + block] @ p_ui @ scale).tocsr()
        rows = np.repeat(np.arange(w.shape[0]), np.diff(w.indptr)) + start
        w.data[rows == w.indices] = 0.0
        w.eliminate_zeros()
        parts.append(top_per_row(w, neighbours))
    return ItemItem("rp3beta", sp.vstack(parts).tocsr())


def _normalise_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    sums = np.asarray(matrix.sum(axis=1)).ravel()
    sums[sums == 0] = 1.0
    return (sp.diags(1.0 / sums) @ matrix).tocsr()


def top_per_row(matrix: sp.csr_matrix, k: int, by_abs: bool = False) -> sp.csr_matrix:
    """Keep the ``k`` largest values (or largest magnitudes) of each row."""
    matrix = matrix.tocsr()
    indptr, indices, data = [0], [], []
    for r in range(matrix.shape[0]):
        start, end = matrix.indptr[r], matrix.indptr[r + 1]
        values, cols = matrix.data[start:end], matrix.indices[start:end]
        if values.size > k:
            keep = np.argpartition(-(np.abs(values) if by_abs else values), k - 1)[:k]
            values, cols = values[keep], cols[keep]
        indices.append(cols)
        data.append(values)
        indptr.append(indptr[-1] + values.size)
    cat = np.concatenate if indices else (lambda parts: np.array([]))
    return sp.csr_matrix(
        (cat(data).astype(np.float32), cat(indices).astype(np.int32), np.array(indptr)),
        shape=matrix.shape,
    )
