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

from .artifacts import save_catalog, save_models, write_meta
from .data import Dataset
from .evaluation import Scored, lift, score_model
from .fitting import fit_model
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
        cfg.params.update({n: dict(t["params"]) for n, t in tuning.items()})
    val_models, _ = fit_all(cfg.models, prep_val, tokens, cfg, "validation")
    validation = {n: score_model(m, prep_val, cfg.k, False).summary for n, m in val_models.items()}
    served, reason = choose(validation, cfg.models)
    log(f"served model: {reason}")

    test_models, fit_seconds = fit_all(cfg.models, prep_test, tokens, cfg, "test")
    scored: dict[str, Scored] = {
        n: score_model(m, prep_test, cfg.k) for n, m in test_models.items()
    }
    comparisons = {}
    simple = best_simple_baseline(validation, served)
    for other in dict.fromkeys(("popularity", simple)):
        if other and other != served and other in scored:
            comparisons[other] = lift(scored[served], scored[other])
    save_models(artifacts / "eval" / "models", test_models)
    save_catalog(artifacts / "eval" / "catalog.npz", prep_test, titles)

    prep_all = prepare(data, None, items, cfg)
    serve_names = tuple(dict.fromkeys((served, *(n for n in FALLBACKS if n in cfg.models))))
    serve_models, _ = fit_all(serve_names, prep_all, tokens, cfg, "refit on all")
    save_models(artifacts / "models", serve_models)
    save_catalog(artifacts / "catalog.npz", prep_all, titles)

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
        "validation": validation,
        "models": {n: s.summary for n, s in scored.items()},
        "served_model": served,
        "selection": reason,
        "best_simple_baseline": simple,
        "comparisons": comparisons,
        "tuning": tuning,
        "fit_seconds": fit_seconds,
        "train_seconds": round(time.perf_counter() - began, 2),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    write_meta(
        artifacts,
        {
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
    write_reports(reports, summary)
    return summary


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
