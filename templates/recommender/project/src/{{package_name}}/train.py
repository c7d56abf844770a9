"""Training: split, fit every model side by side, evaluate them the same way, save artifacts/."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .data import Dataset, filter_min_counts, to_implicit
from .metrics import bootstrap_ratio, evaluate_lists, user_metrics
from .models import (
    MODEL_NAMES,
    ContentBased,
    ItemKNN,
    MatrixFactorization,
    Popularity,
    RandomScorer,
    Scorer,
    top_k,
)
from .split import split

ARTIFACT_VERSION = 1


@dataclass
class Config:
    threshold: float | None = 3.5
    min_user: int = 1
    min_item: int = 1
    # A user's n-th most recent positive weighs 0.5 ** (n / half_life) when models score the
    # user (item-kNN, content) and as ALS confidence; None weighs everything the same.
    recency_half_life: float | None = 25.0
    split: str = "temporal"
    test_fraction: float = 0.2
    last_n: int = 1
    k: int = 10
    models: tuple[str, ...] = MODEL_NAMES
    seed: int = 42
    knn: dict[str, float] = field(default_factory=lambda: {"neighbours": 50, "shrink": 10.0})
    als: dict[str, float] = field(
        default_factory=lambda: {
            "factors": 64,
            "regularization": 0.05,
            "alpha": 2.0,
            "iterations": 15,
        }
    )
    bpr: dict[str, float] = field(
        default_factory=lambda: {
            "factors": 64,
            "learning_rate": 0.01,
            "regularization": 0.01,
            "iterations": 100,
        }
    )


@dataclass
class Prepared:
    """Matrices over one catalogue: what models train on and what they are scored against."""

    users: np.ndarray  # user ids, row order of the matrices
    items: np.ndarray  # item ids, column order
    positives: sp.csr_matrix  # users x items, training positives (what models learn from)
    seen: sp.csr_matrix  # users x items, every training interaction (excluded from candidates)
    eval_rows: np.ndarray  # rows of the users evaluated
    relevant: list[np.ndarray]  # per evaluated user: test positives not seen in training
    stats: dict[str, object] = field(default_factory=dict)


def prepare(train: pd.DataFrame, test: pd.DataFrame, items: np.ndarray, cfg: Config) -> Prepared:
    """Positives, seen items and the evaluation targets for a train/test pair."""
    positives = filter_min_counts(to_implicit(train, cfg.threshold), cfg.min_user, cfg.min_item)
    if positives.empty:
        raise ValueError("no training interactions left: lower --threshold or the --min-* counts")
    users = np.array(sorted(positives["user"].unique()), dtype=object)
    user_pos = pd.Index(users)
    item_pos = pd.Index(items)

    def matrix(frame: pd.DataFrame, weights: np.ndarray | None = None) -> sp.csr_matrix:
        rows = user_pos.get_indexer(frame["user"])
        cols = item_pos.get_indexer(frame["item"])
        keep = (rows >= 0) & (cols >= 0)
        data = np.ones(len(frame), dtype=np.float32) if weights is None else weights
        out = sp.csr_matrix(
            (data[keep].astype(np.float32), (rows[keep], cols[keep])),
            shape=(len(users), len(items)),
        )
        out.sum_duplicates()
        return out

    pos = matrix(positives, recency_weights(positives, cfg.recency_half_life))
    seen = matrix(train)
    test_pos = to_implicit(test, cfg.threshold)
    test_pos = test_pos[test_pos["user"].isin(user_pos)]
    trained_pairs = pd.MultiIndex.from_frame(train[["user", "item"]])
    test_pos = test_pos[~pd.MultiIndex.from_frame(test_pos[["user", "item"]]).isin(trained_pairs)]
    relevant: dict[int, list[int]] = {}
    unknown_items = 0
    for user, item in zip(
        user_pos.get_indexer(test_pos["user"]), item_pos.get_indexer(test_pos["item"]), strict=True
    ):
        # An item the catalogue does not know is still relevant (it counts against recall); no
        # model can recommend it, and pretending it was not there would flatter every model.
        relevant.setdefault(int(user), []).append(int(item) if item >= 0 else -1 - unknown_items)
        unknown_items += int(item < 0)
    eval_rows = np.array(sorted(relevant), dtype=np.int64)
    stats = {
        "train_interactions": len(train),
        "train_positives": int(pos.nnz),
        "test_interactions": len(test),
        "test_positives": len(test_pos),
        "users": len(users),
        "items": len(items),
        "eval_users": len(eval_rows),
        "relevant_items_unknown_to_catalogue": unknown_items,
    }
    return Prepared(
        users, items, pos, seen, eval_rows, [np.array(relevant[r]) for r in eval_rows], stats
    )


def recency_weights(positives: pd.DataFrame, half_life: float | None) -> np.ndarray:
    """Per interaction: 1 for each user's latest, halving every ``half_life`` older ones."""
    if not half_life:
        return np.ones(len(positives), dtype=np.float32)
    rank = (
        positives.sort_values("timestamp", kind="stable")
        .groupby("user")
        .cumcount(ascending=False)
        .reindex(positives.index)
        .to_numpy()
    )
    return (0.5 ** (rank / half_life)).astype(np.float32)


def fit_models(
    prep: Prepared, tokens: list[list[str]], cfg: Config, log: Callable[[str], None] = print
) -> dict[str, Scorer]:
    from tqdm import tqdm

    models: dict[str, Scorer] = {}
    for name in tqdm(cfg.models, desc="training", unit="model", leave=False, disable=None):
        start = time.perf_counter()
        if name == "random":
            models[name] = RandomScorer(len(prep.items), cfg.seed)
        elif name == "popularity":
            models[name] = Popularity.fit(prep.positives)
        elif name == "itemknn":
            models[name] = ItemKNN.fit(
                prep.positives, int(cfg.knn["neighbours"]), float(cfg.knn["shrink"])
            )
        elif name == "als":
            models[name] = fit_als(prep.positives, cfg.als, cfg.seed)
        elif name == "bpr":
            models[name] = fit_bpr(prep.positives, cfg.bpr, cfg.seed)
        elif name == "content":
            models[name] = ContentBased.fit(tokens)
        else:
            raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODEL_NAMES)}")
        log(f"  {name:<10} fitted in {time.perf_counter() - start:.1f}s")
    return models


def fit_als(matrix: sp.csr_matrix, params: dict[str, float], seed: int) -> MatrixFactorization:
    from implicit.cpu.als import AlternatingLeastSquares
    from threadpoolctl import threadpool_limits

    model = AlternatingLeastSquares(
        factors=int(params["factors"]),
        regularization=float(params["regularization"]),
        alpha=float(params["alpha"]),
        iterations=int(params["iterations"]),
        random_state=seed,
    )
    with threadpool_limits(1, "blas"):
        model.fit(matrix, show_progress=False)
    return MatrixFactorization(
        "als",
        model.user_factors,
        model.item_factors,
        float(params["regularization"]),
        float(params["alpha"]),
    )


def fit_bpr(matrix: sp.csr_matrix, params: dict[str, float], seed: int) -> MatrixFactorization:
    from implicit.cpu.bpr import BayesianPersonalizedRanking

    model = BayesianPersonalizedRanking(
        factors=int(params["factors"]),
        learning_rate=float(params["learning_rate"]),
        regularization=float(params["regularization"]),
        iterations=int(params["iterations"]),
        random_state=seed,
    )
    model.fit(matrix, show_progress=False)
    return MatrixFactorization("bpr", model.user_factors, model.item_factors)


def recommend_rows(
    model: Scorer, prep: Prepared, rows: np.ndarray, k: int, batch: int = 1024
) -> np.ndarray:
    """Top-k item indices for training-user rows, seen items excluded."""
    out = []
    for start in range(0, len(rows), batch):
        chunk = rows[start : start + batch]
        scores = model.score(chunk, prep.positives[chunk])
        out.append(top_k(scores, k, prep.seen[chunk]))
    return np.vstack(out) if out else np.zeros((0, k), dtype=np.int64)


def evaluate_models(
    models: dict[str, Scorer], prep: Prepared, k: int
) -> dict[str, dict[str, float]]:
    if len(prep.eval_rows) == 0:
        raise ValueError("no test user has training history: use more data or another split")
    results = {}
    for name, model in models.items():
        lists = recommend_rows(model, prep, prep.eval_rows, k)
        results[name] = evaluate_lists(list(lists), prep.relevant, k, len(prep.items))
    return results


def tune_als(
    dataset: Dataset,
    train: pd.DataFrame,
    cfg: Config,
    trials: int,
    log: Callable[[str], None] = print,
) -> dict[str, float]:
    """Optuna search over ALS on a validation split carved from the training data only."""
    import optuna

    inner_train, validation = split(train, cfg.split, cfg.test_fraction, cfg.last_n)
    prep = prepare(inner_train, validation, catalogue(dataset, inner_train), cfg)

    def objective(trial: optuna.Trial) -> float:
        params = {
            "factors": trial.suggest_categorical("factors", [16, 32, 64, 128]),
            "regularization": trial.suggest_float("regularization", 1e-3, 1.0, log=True),
            "alpha": trial.suggest_float("alpha", 0.5, 50.0, log=True),
            "iterations": trial.suggest_int("iterations", 5, 30),
        }
        model = fit_als(prep.positives, params, cfg.seed)
        return evaluate_models({"als": model}, prep, cfg.k)["als"]["ndcg"]

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        direction="maximize", sampler=optuna.samplers.TPESampler(seed=cfg.seed)
    )
    study.optimize(objective, n_trials=trials, show_progress_bar=True)
    log(f"  tuning: best validation NDCG@{cfg.k} {study.best_value:.4f} with {study.best_params}")
    return {**cfg.als, **study.best_params}


def catalogue(dataset: Dataset, train: pd.DataFrame) -> np.ndarray:
    """Every item known when training ends: the metadata's items and the trained-on items."""
    known = pd.Index(dataset.items["item"])
    extra = pd.Index(train["item"].unique()).difference(known)
    return np.array(list(known) + list(extra), dtype=object)


def run(
    dataset: Dataset,
    cfg: Config,
    artifacts: Path,
    reports: Path,
    tune_trials: int = 0,
    log: Callable[[str], None] = print,
) -> dict[str, object]:
    """The whole `train` command: split, (tune), fit, evaluate, save artifacts and reports."""
    train, test = split(dataset.interactions, cfg.split, cfg.test_fraction, cfg.last_n)
    log(f"split ({cfg.split}): {len(train)} train / {len(test)} test interactions")
    if tune_trials:
        cfg.als = tune_als(dataset, train, cfg, tune_trials, log)
    items = catalogue(dataset, train)
    prep = prepare(train, test, items, cfg)
    titles = dataset.items.set_index("item")["title"].reindex(items)
    tokens_by_item = dataset.items.set_index("item")["tokens"].reindex(items)
    tokens = [t if isinstance(t, list) else [] for t in tokens_by_item]
    log(f"fitting {len(cfg.models)} models on {prep.positives.nnz} positives")
    models = fit_models(prep, tokens, cfg, log)
    results = evaluate_models(models, prep, cfg.k)
    served = best_model(results)
    summary = {
        "dataset": dataset.name,
        "data": dataset.report,
        "split": cfg.split,
        "k": cfg.k,
        "config": asdict(cfg),
        "stats": prep.stats,
        "models": results,
        "served_model": served,
        "lift_vs_popularity": lift_vs_popularity(models, served, prep, cfg.k),
    }
    save_artifacts(artifacts, models, prep, titles, dataset.int_ids, summary)
    write_reports(reports, summary)
    return summary


def lift_vs_popularity(
    models: dict[str, Scorer], served: str, prep: Prepared, k: int
) -> dict[str, object] | None:
    """NDCG@k of the served model over popularity's, with a paired bootstrap 95% interval."""
    if "popularity" not in models or served == "popularity":
        return None
    per_user = {}
    for name in (served, "popularity"):
        lists = recommend_rows(models[name], prep, prep.eval_rows, k)
        per_user[name] = [
            user_metrics(rec, rel, k)["ndcg"] for rec, rel in zip(lists, prep.relevant, strict=True)
        ]
    base = float(np.mean(per_user["popularity"]))
    low, high = bootstrap_ratio(per_user[served], per_user["popularity"])
    return {
        "model": served,
        "ratio": float(np.mean(per_user[served])) / base if base else None,
        "ci95": [low, high],
        "users": len(prep.eval_rows),
    }


def best_model(results: dict[str, dict[str, float]]) -> str:
    candidates = {n: r for n, r in results.items() if n != "random"}
    return max(candidates, key=lambda n: candidates[n]["ndcg"])


def save_artifacts(
    folder: Path,
    models: dict[str, Scorer],
    prep: Prepared,
    titles: pd.Series,
    int_ids: bool,
    summary: dict[str, object],
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "models").mkdir(exist_ok=True)
    for name, model in models.items():
        np.savez(folder / "models" / f"{name}.npz", **model.arrays())
    np.savez(
        folder / "catalog.npz",
        users=prep.users.astype(str),
        items=prep.items.astype(str),
        titles=np.array(["" if not isinstance(t, str) else t for t in titles], dtype=str),
        eval_rows=prep.eval_rows,
        relevant_lengths=np.array([len(r) for r in prep.relevant], dtype=np.int64),
        relevant_flat=np.concatenate(prep.relevant) if prep.relevant else np.zeros(0, np.int64),
        **{f"positives_{k}": v for k, v in _csr(prep.positives).items()},
        **{f"seen_{k}": v for k, v in _csr(prep.seen).items()},
    )
    meta = {
        "version": ARTIFACT_VERSION,
        "dataset": summary["dataset"],
        "split": summary["split"],
        "k": summary["k"],
        "models": list(models),
        "served_model": summary["served_model"],
        "int_ids": int_ids,
        "has_titles": bool(any(isinstance(t, str) and t for t in titles)),
        "metrics": summary["models"],
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "summary": {key: value for key, value in summary.items() if key != "models"},
    }
    (folder / "meta.json").write_text(json.dumps(meta, indent=2), "utf-8")


def _csr(matrix: sp.csr_matrix) -> dict[str, np.ndarray]:
    return {
        "data": matrix.data,
        "indices": matrix.indices,
        "indptr": matrix.indptr,
        "shape": np.array(matrix.shape),
    }


def write_reports(folder: Path, summary: dict[str, object]) -> None:
    """reports/metrics.json, a Markdown comparison table and a PNG bar chart."""
    from .report import comparison_table, plot_metrics

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "metrics.json").write_text(json.dumps(summary, indent=2, default=str) + "\n", "utf-8")
    (folder / "comparison.md").write_text(comparison_table(summary) + "\n", "utf-8")
    plot_metrics(summary, folder / "metrics.png")


def evaluate_saved(artifacts: Path, reports: Path) -> dict[str, object]:
    """Re-score every saved model on the saved test split (the `evaluate` command)."""
    from .models import load_scorer

    meta_path = artifacts / "meta.json"
    if not meta_path.is_file():
        raise FileNotFoundError(f"{meta_path} not found")
    meta = json.loads(meta_path.read_text("utf-8"))
    with np.load(artifacts / "catalog.npz") as npz:
        cat = dict(npz)

    def csr(prefix: str) -> sp.csr_matrix:
        return sp.csr_matrix(
            (cat[f"{prefix}_data"], cat[f"{prefix}_indices"], cat[f"{prefix}_indptr"]),
            shape=tuple(cat[f"{prefix}_shape"]),
        )

    bounds = np.concatenate([[0], np.cumsum(cat["relevant_lengths"])])
    relevant = [cat["relevant_flat"][a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    prep = Prepared(
        cat["users"], cat["items"], csr("positives"), csr("seen"), cat["eval_rows"], relevant
    )
    models = {}
    for name in meta["models"]:
        with np.load(artifacts / "models" / f"{name}.npz") as npz:
            models[name] = load_scorer(name, dict(npz))
    summary = dict(meta["summary"])
    summary["models"] = evaluate_models(models, prep, int(meta["k"]))
    summary["served_model"] = meta["served_model"]
    write_reports(reports, summary)
    return summary
