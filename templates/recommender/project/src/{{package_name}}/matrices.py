"""The matrices of one catalogue that models train on and are scored against.

numpy and scipy only: serving loads them (artifacts.py), and the image has no pandas.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp


@dataclass
class Prepared:
    """Matrices over one catalogue: what models train on and what they are scored against."""

    users: np.ndarray  # user ids, row order of the matrices
    items: np.ndarray  # item ids, column order
    positives: sp.csr_matrix  # users x items, training positives (what models learn from)
    seen: sp.csr_matrix  # users x items, every training interaction (excluded from candidates)
    eval_rows: np.ndarray  # rows of the users evaluated
    relevant: list[np.ndarray]  # per evaluated user: held-out positives not seen in training
    stats: dict[str, object] = field(default_factory=dict)
