"""Spark ALS against `implicit` ALS, like for like (what ``benchmarks/bench.py --spark`` reports).

Both fit the implicit-feedback objective of Hu, Koren & Volinsky (2008) on the same weighted
positives, with confidence ``1 + alpha * w`` (``models.confidence``). The comparison keeps
everything else equal too:

- the same split as ``train`` (test split; validation carved from the training part), the same
  candidates (the whole catalogue minus the user's training items) and the same k;
- the same factors, iterations and alpha;
- exact least squares on both sides (`implicit`'s Cholesky solver; Spark always solves exactly);
- the one term the libraries cannot share is the penalty: `implicit` adds ``lambda * |x|^2``,
  Spark ``lambda * n * |x|^2`` for a user or item with ``n`` positives (ALS-WR, not switchable),
  so the same ``lambda`` means different models. Each library's lambda is chosen on validation
  from the same grid (``REG_GRID``) instead, and the test split is scored once with it.

`implicit`'s default conjugate-gradient solver (a few CG steps per least squares, what the ``als``
model of the results table uses) is scored with the same parameters too, so the solver's share of
any gap shows. Random initialisation differs between the libraries and cannot be matched.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from .data import Dataset
from .evaluation import Scored, lift, score_model
from .fitting import DEFAULTS, fit_als
from .models import Scorer
from .prepare import Config, Prepared, protocol

REG_GRID = tuple(float(x) for x in np.geomspace(1e-3, 1e2, 11))  # steps of x3.16
SHARED = ("factors", "alpha", "iterations")


def compare(
    dataset: Dataset,
    cfg: Config,
    params: dict[str, float] | None = None,
    grid: tuple[float, ...] = REG_GRID,
    master: str = "local[*]",
    log: Callable[[str], None] = print,
) -> dict[str, object]:
    """NDCG@k of Spark ALS and `implicit` ALS (exact and CG) on the test split, like for like."""
    from .spark_als import fit_spark_als

    shared = {key: (params or DEFAULTS["als"])[key] for key in SHARED}
    prep_val, prep_test, _ = protocol(dataset, cfg)
    fits: dict[str, Callable[[Prepared, float], Scorer]] = {
        "implicit": lambda p, reg: fit_als(
            p.positives, shared | {"regularization": reg}, cfg.seed, True
        ),
        "spark": lambda p, reg: fit_spark_als(
            p.positives, shared | {"regularization": reg}, cfg.seed, master
        ),
    }
    chosen: dict[str, dict[str, object]] = {}
    scored: dict[str, Scored] = {}
    for library, fit in fits.items():
        began = time.perf_counter()
        validation = {reg: _ndcg(fit(prep_val, reg), prep_val, cfg.k) for reg in grid}
        best = max(validation, key=lambda reg: validation[reg])
        scored[library] = score_model(fit(prep_test, best), prep_test, cfg.k, detail=False)
        chosen[library] = {
            "regularization": best,
            "validation_ndcg": validation[best],
            "validation_by_regularization": validation,
            "seconds": round(time.perf_counter() - began, 1),
        }
        log(f"  {library:<8} lambda {best:g}: validation NDCG@{cfg.k} {validation[best]:.4f}")
    cg = fit_als(
        prep_test.positives,
        shared | {"regularization": chosen["implicit"]["regularization"]},
        cfg.seed,
    )
    scored["implicit-cg"] = score_model(cg, prep_test, cfg.k, detail=False)
    ndcg = {name: float(s.summary["ndcg"]) for name, s in scored.items()}
    ratio = lift(scored["spark"], scored["implicit"])
    return {
        "shared_params": shared,
        "grid": list(grid),
        "chosen": chosen,
        "eval_users": prep_test.stats["eval_users"],
        "test_ndcg": ndcg,
        "spark_vs_implicit": ratio,
        "spark_vs_implicit_cg": lift(scored["spark"], scored["implicit-cg"]),
        "within_10_percent": ratio["ratio"] is not None and abs(ratio["ratio"] - 1.0) <= 0.1,
    }


def _ndcg(model: Scorer, prep: Prepared, k: int) -> float:
    return float(score_model(model, prep, k, detail=False).summary["ndcg"])
