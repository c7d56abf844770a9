"""The `train` protocol: tune and select on validation, score the test split once, serve a refit.

1. split all interactions into training and test (per user by time, by default);
2. carve a validation split from the training part the same way;
3. (``--tune N``) tune every model's key parameters on validation, N trials each;
4. fit every model on the inner training part, score validation, choose the served model there
   (the best NDCG@k, and only if it beats popularity; otherwise popularity is served, and said so);
5. refit every model on the whole training part and score the test split once, with paired
   bootstrap intervals for the chosen model against popularity and the best simple baseline;
6. refit the chosen model (and the fallbacks the API needs) on *all* interactions and save it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from .artifacts import save_catalog, save_models, write_meta
from .data import Dataset
from .evaluation import Scored, lift, score_model
from .fitting import fit_model
from .history import build as build_history
from .lifecycle import publish, served_version, staging_dir
from .models import SIMPLE_BASELINES, Scorer
from .prepare import Config, Prepared, prepare, protocol

FALLBACKS = ("popularity", "itemknn", "content")  # the API's unknown-user, /similar, cold paths


def fit_all(
    names: tuple[str, ...], prep: Prepared, tokens: list[list[str]], cfg: Config, desc: str
) -> tuple[dict[str, Scorer], dict[str, float]]:
    from tqdm import tqdm

    models, seconds = {}, {}
    for name in tqdm(names, desc=desc, unit="model", leave=False, disable=None):
        began = time.perf_counter()
        models[name] = fit_model(name, prep.positives, tokens, cfg.params.get(name), cfg.seed)
        seconds[name] = round(time.perf_counter() - began, 3)
    return models, seconds


def choose(validation: dict[str, dict], names: tuple[str, ...]) -> tuple[str, str]:
    """The served model (best validation NDCG, beating popularity) and why it was chosen."""
    candidates = [n for n in names if n != "random"]
    best = max(candidates, key=lambda n: validation[n]["ndcg"])
    if "popularity" not in validation or candidates == ["popularity"]:
        return best, f"{best} has the best validation NDCG"
    pop = validation["popularity"]["ndcg"]
    if best == "popularity" or validation[best]["ndcg"] <= pop:
        return "popularity", f"no model beats popularity on validation (NDCG {pop:.4f})"
    return best, f"{best} has the best validation NDCG and beats popularity's {pop:.4f}"


def best_simple_baseline(validation: dict[str, dict], served: str) -> str | None:
    others = [n for n in SIMPLE_BASELINES if n in validation and n != served]
    return max(others, key=lambda n: validation[n]["ndcg"]) if others else None


def strict_protocol(
    data: pd.DataFrame,
    items: np.ndarray,
    tokens: list[list[str]],
    cfg: Config,
    served: str,
    log: Callable[[str], None],
) -> dict[str, object]:
    """The served model and popularity under rolling global cut-offs (rolling.py)."""
    if not cfg.cutoffs:
        return {}
    from .rolling import evaluate

    began = time.perf_counter()
    result = evaluate(data, items, tokens, cfg, tuple(dict.fromkeys((served, "popularity"))))
    lift = result.get("comparison") or {}
    figure = (
        f"; {served} / popularity NDCG@{cfg.k} {lift['ratio']:.2f}x"
        f" [{lift['low']:.2f}, {lift['high']:.2f}]"
        if lift.get("ratio") is not None
        else ""
    )
    log(
        f"strict protocol: {result['evaluations']} (user, cut-off) evaluations at "
        f"{len(result['windows'])} global cut-offs{figure} ({time.perf_counter() - began:.1f}s)"
    )
    return result


def run(
    dataset: Dataset,
    cfg: Config,
    artifacts: Path,
    reports: Path,
    tune_trials: int = 0,
    log: Callable[[str], None] = print,
) -> dict[str, object]:
    """The whole `train` command; returns the summary written to reports/metrics.json."""
    from .reporting import write_reports

    began = time.perf_counter()
    data = dataset.interactions
    prep_val, prep_test, items = protocol(dataset, cfg)
    meta_items = dataset.items.set_index("item").reindex(items)
    titles = ["" if not isinstance(t, str) else t for t in meta_items["title"]]
    tokens = [t if isinstance(t, list) else [] for t in meta_items["tokens"]]
    inner, held = prep_val.stats, prep_test.stats
    log(
        f"split ({cfg.split}): {held['train_interactions']} train"
        f" ({inner['train_interactions']} inner + {inner['held_out_interactions']} validation)"
        f" / {held['held_out_interactions']} test interactions"
    )
    tuning = {}
    if tune_trials:
        from .tuning import tune

        tuning = tune(cfg.models, prep_val, tokens, cfg.k, tune_trials, cfg.seed, log)
        tuned = {
            "params": {n: dict(t["params"]) for n, t in tuning.items()},
            "tuned_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        cfg.params.update(tuned["params"])
    else:
        tuned = previous_tuning(artifacts)  # a retrain keeps what the last tuning chose
        if tuned:
            log(
                f"reusing the parameters tuned at {tuned['tuned_at']} (artifacts/meta.json) for "
                f"{', '.join(tuned['params'])}; --tune N tunes again"
            )
            cfg.params = {**tuned["params"], **cfg.params}
    val_models, _ = fit_all(cfg.models, prep_val, tokens, cfg, "validation")
    validation = {n: score_model(m, prep_val, cfg.k, False).summary for n, m in val_models.items()}
    served, reason = choose(validation, cfg.models)
    log(f"served model: {reason}")
    rolling = strict_protocol(data, items, tokens, cfg, served, log)

    test_models, fit_seconds = fit_all(cfg.models, prep_test, tokens, cfg, "test")
    scored: dict[str, Scored] = {
        n: score_model(m, prep_test, cfg.k) for n, m in test_models.items()
    }
    comparisons = {}
    simple = best_simple_baseline(validation, served)
    for other in dict.fromkeys(("popularity", simple)):
        if other and other != served and other in scored:
            comparisons[other] = lift(scored[served], scored[other])
    prep_all = prepare(data, None, items, cfg)
    serve_names = tuple(dict.fromkeys((served, *(n for n in FALLBACKS if n in cfg.models))))
    serve_models, _ = fit_all(serve_names, prep_all, tokens, cfg, "refit on all")

    staging = staging_dir(artifacts)  # published by a rename once complete
    save_models(staging / "eval" / "models", test_models)
    save_catalog(staging / "eval" / "catalog.npz", prep_test, titles)
    save_models(staging / "models", serve_models)
    dated = bool(dataset.report.get("has_timestamps", True))
    history = build_history(data, prep_all.users, items, dated)
    save_catalog(staging / "catalog.npz", prep_all, titles, history)
    version = served_version(staging)

    summary: dict[str, object] = {
        "dataset": dataset.name,
        "licence": dataset.licence,
        "data": dataset.report,
        "split": cfg.split,
        "k": cfg.k,
        "config": asdict(cfg),
        "protocol": {
            "validation": prep_val.stats,
            "test": prep_test.stats,
            "served_fit": prep_all.stats,
        },
        "stats": prep_test.stats,
        "rolling": rolling,
        "validation": validation,
        "models": {n: s.summary for n, s in scored.items()},
        "served_model": served,
        "model_version": version,
        "selection": reason,
        "best_simple_baseline": simple,
        "comparisons": comparisons,
        "tuning": tuning,
        "fit_seconds": fit_seconds,
        "train_seconds": round(time.perf_counter() - began, 2),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    write_meta(
        staging,
        {
            "model_version": version,
            "tuned": tuned,
            "dataset": dataset.name,
            "split": cfg.split,
            "k": cfg.k,
            "models": list(cfg.models),
            "served_model": served,
            "int_ids": dataset.int_ids,
            "has_titles": any(titles),
            "metrics": summary["models"],
            "created": summary["created"],
            "summary": {key: v for key, v in summary.items() if key != "models"},
        },
    )
    publish(staging, artifacts)
    log(f"artifacts published in {artifacts} (model version {version})")
    write_reports(reports, summary)
    return summary


def previous_tuning(artifacts: Path) -> dict[str, object]:
    """The parameters the last `train --tune N` chose (kept in meta.json), or {}."""
    from .artifacts import ArtifactsError, read_meta

    try:
        tuned = read_meta(artifacts).get("tuned") or {}
    except (ArtifactsError, ValueError):
        return {}
    return tuned if tuned.get("params") else {}


def evaluate_saved(artifacts: Path, reports: Path) -> dict[str, object]:
    """Re-score the saved test-time models on the saved test split (the `evaluate` command)."""
    from .artifacts import load_catalog, load_models, read_meta
    from .reporting import write_reports

    meta = read_meta(artifacts)
    prep, _ = load_catalog(artifacts / "eval" / "catalog.npz")
    models = load_models(artifacts / "eval" / "models", meta["models"])
    k = int(meta["k"])
    scored = {n: score_model(m, prep, k) for n, m in models.items()}
    summary = dict(meta["summary"])
    summary["models"] = {n: s.summary for n, s in scored.items()}
    served = meta["served_model"]
    summary["comparisons"] = {
        other: lift(scored[served], scored[other])
        for other in summary.get("comparisons", {})
        if other in scored
    }
    write_reports(reports, summary)
    return summary
