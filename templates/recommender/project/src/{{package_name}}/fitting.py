"""Fitting one model by name, its default hyper-parameters and the space tuning searches."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import scipy.sparse as sp

from .itemitem import fit_ease, fit_itemknn, fit_rp3beta
from .models import (
    ALL_MODELS,
    ContentBased,
    MatrixFactorization,
    Popularity,
    RandomScorer,
    Scorer,
    confidence,
)

DEFAULTS: dict[str, dict[str, float]] = {
    "itemknn": {"neighbours": 50, "shrink": 10.0},
    "ease": {"l2": 300.0},
    "rp3beta": {"alpha": 0.8, "beta": 0.3, "neighbours": 100},
    "als": {"factors": 64, "regularization": 0.05, "alpha": 2.0, "iterations": 15},
    "bpr": {"factors": 64, "learning_rate": 0.01, "regularization": 0.01, "iterations": 100},
}


def suggest(name: str, trial: Any) -> dict[str, float]:
    """One point of ``name``'s search space from an Optuna trial (a few key parameters each)."""
    if name == "itemknn":
        return {
            "neighbours": trial.suggest_int("neighbours", 10, 500, log=True),
            "shrink": trial.suggest_float("shrink", 0.0, 100.0),
        }
    if name == "ease":
        return {"l2": trial.suggest_float("l2", 1.0, 5000.0, log=True)}
    if name == "rp3beta":
        return {
            "alpha": trial.suggest_float("alpha", 0.2, 1.5),
            "beta": trial.suggest_float("beta", 0.0, 1.0),
            "neighbours": trial.suggest_int("neighbours", 20, 400, log=True),
        }
    if name == "als":
        return {
            "factors": trial.suggest_categorical("factors", [16, 32, 64, 128]),
            "regularization": trial.suggest_float("regularization", 1e-3, 1.0, log=True),
            "alpha": trial.suggest_float("alpha", 0.5, 50.0, log=True),
            "iterations": trial.suggest_int("iterations", 5, 30),
        }
    if name == "bpr":
        return {
            "factors": trial.suggest_categorical("factors", [16, 32, 64, 128]),
            "learning_rate": trial.suggest_float("learning_rate", 1e-3, 0.1, log=True),
            "regularization": trial.suggest_float("regularization", 1e-4, 0.1, log=True),
            "iterations": trial.suggest_int("iterations", 20, 200),
        }
    raise ValueError(f"{name} has no hyper-parameters to tune")


def tunable(name: str) -> bool:
    return name in DEFAULTS


def fit_model(
    name: str,
    positives: sp.csr_matrix,
    tokens: list[list[str]],
    params: dict[str, float] | None,
    seed: int,
) -> Scorer:
    """Fit model ``name`` on a users x items matrix of (weighted) positives."""
    p = {**DEFAULTS.get(name, {}), **(params or {})}
    if name == "random":
        return RandomScorer(positives.shape[1], seed)
    if name == "popularity":
        return Popularity.fit(positives)
    if name == "itemknn":
        return fit_itemknn(positives, int(p["neighbours"]), float(p["shrink"]))
    if name == "ease":
        return fit_ease(positives, float(p["l2"]))
    if name == "rp3beta":
        return fit_rp3beta(positives, float(p["alpha"]), float(p["beta"]), int(p["neighbours"]))
    if name == "als":
        return fit_als(positives, p, seed)
    if name == "bpr":
        return fit_bpr(positives, p, seed)
    if name == "content":
        return ContentBased.fit(tokens)
    if name == "als-spark":
        from .spark_als import fit_spark_als

        master = os.environ.get("RECOMMENDER_SPARK_MASTER", "local[*]")
        return fit_spark_als(positives, params or {}, seed, master)
    raise ValueError(f"unknown model {name!r}; choose from {', '.join(ALL_MODELS)}")


def fit_als(
    matrix: sp.csr_matrix, params: dict[str, float], seed: int, exact: bool = False
) -> MatrixFactorization:
    """`implicit` ALS on confidences ``1 + alpha * w`` (see ``models.confidence``).

    `implicit` multiplies its input by ``alpha`` and takes that as the confidence, so it is given
    the confidences themselves and ``alpha=1``. Its default solver is a few conjugate-gradient
    steps per user and iteration; ``exact`` solves each least squares exactly (Cholesky), as
    Spark does.
    """
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    confidences = matrix.astype(np.float32, copy=True)
    confidences.data = confidence(confidences.data, float(params["alpha"])).astype(np.float32)
    with threadpool_limits(1, "blas"):  # implicit parallelises over users itself
        model = AlternatingLeastSquares(
            factors=int(params["factors"]),
            regularization=float(params["regularization"]),
            alpha=1.0,
            iterations=int(params["iterations"]),
            use_cg=not exact,
            random_state=seed,
        )
        model.fit(confidences, show_progress=False)
    return MatrixFactorization(
        "als",
        model.user_factors,
        model.item_factors,
        float(params["regularization"]),
        float(params["alpha"]),
    )


def fit_bpr(matrix: sp.csr_matrix, params: dict[str, float], seed: int) -> MatrixFactorization:
    """BPR with one thread: its SGD is lock-free across threads, so only one thread repeats
    exactly (same seed, same factors)."""
    from implicit.cpu.bpr import BayesianPersonalizedRanking

    model = BayesianPersonalizedRanking(
        factors=int(params["factors"]),
        learning_rate=float(params["learning_rate"]),
        regularization=float(params["regularization"]),
        iterations=int(params["iterations"]),
        random_state=seed,
        num_threads=1,
    )
    model.fit((matrix > 0).astype(np.float32), show_progress=False)
    return MatrixFactorization("bpr", model.user_factors, model.item_factors)
