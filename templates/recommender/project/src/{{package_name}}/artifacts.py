"""artifacts/: the served models (refit on all interactions) and the test-time models for `evaluate`.

Layout::

    artifacts/meta.json             what is served, figures, protocol
    artifacts/catalog.npz           users, items, titles, every interaction (seen) of the served fit,
                                    each user's latest items (history.py)
    artifacts/models/NAME.npz       served model and its fallbacks, fitted on all interactions
    artifacts/eval/catalog.npz      the training split and the test targets
    artifacts/eval/models/NAME.npz  every model as fitted on the training split (scored once)

numpy only, so serving needs neither pandas nor the training libraries.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .history import History
from .itemitem import ItemItem
from .matrices import Prepared
from .models import (
    ContentBased,
    MatrixFactorization,
    Popularity,
    RandomScorer,
    Scorer,
    csr_arrays,
    csr_from,
)

ARTIFACT_VERSION = 3  # 3: catalog.npz keeps each user's latest items


class ArtifactsError(RuntimeError):
    """artifacts/ is missing or incomplete."""


def save_models(folder: Path, models: dict[str, Scorer]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.npz"):
        stale.unlink()
    for name, model in models.items():
        np.savez(folder / f"{name}.npz", **model.arrays())


def load_models(folder: Path, names: list[str] | set[str]) -> dict[str, Scorer]:
    models = {}
    for name in names:
        path = folder / f"{name}.npz"
        if path.is_file():
            with np.load(path) as npz:
                models[name] = load_scorer(name, dict(npz))
    return models


def save_catalog(
    path: Path, prep: Prepared, titles: list[str], history: History | None = None
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(
        path,
        users=prep.users.astype(str),
        items=prep.items.astype(str),
        titles=np.array(titles, dtype=str),
        eval_rows=prep.eval_rows,
        relevant_lengths=np.array([len(r) for r in prep.relevant], dtype=np.int64),
        relevant_flat=np.concatenate(prep.relevant) if prep.relevant else np.zeros(0, np.int64),
        **csr_arrays("positives", prep.positives),
        **csr_arrays("seen", prep.seen),
        **(history.arrays() if history is not None else {}),
    )


def load_catalog(path: Path) -> tuple[Prepared, list[str]]:
    if not path.is_file():
        raise ArtifactsError(f"{path} not found: run the `train` command first")
    with np.load(path) as npz:
        cat = dict(npz)
    bounds = np.concatenate([[0], np.cumsum(cat["relevant_lengths"])])
    relevant = [cat["relevant_flat"][a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]
    prep = Prepared(
        cat["users"].astype(object),
        cat["items"].astype(object),
        csr_from("positives", cat),
        csr_from("seen", cat),
        cat["eval_rows"],
        relevant,
    )
    return prep, cat["titles"].tolist()


def load_history(path: Path) -> History:
    """The users' latest items that the served ``catalog.npz`` keeps."""
    with np.load(path) as npz:
        history = History.from_arrays({k: npz[k] for k in npz.files if k.startswith("history")})
    if history is None:
        raise ArtifactsError(f"{path} keeps no user history: run `train` again")
    return history


def write_meta(folder: Path, meta: dict[str, object]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    text = json.dumps({"version": ARTIFACT_VERSION, **meta}, indent=2, default=str)
    (folder / "meta.json").write_text(text, "utf-8")


def read_meta(folder: Path) -> dict:
    path = folder / "meta.json"
    if not path.is_file():
        raise ArtifactsError(f"{path} not found: run the `train` command first")
    meta = json.loads(path.read_text("utf-8"))
    if meta.get("version") != ARTIFACT_VERSION:
        raise ArtifactsError(f"{path} is from another version of this project: run `train` again")
    return meta


def load_scorer(name: str, arrays: dict[str, np.ndarray]) -> Scorer:
    if name == "popularity":
        return Popularity(arrays["counts"])
    if name in ("itemknn", "ease", "rp3beta"):
        return ItemItem.from_arrays(name, arrays)
    if name in ("als", "bpr", "als-spark"):
        return MatrixFactorization.from_arrays(name, arrays)
    if name == "content":
        return ContentBased.from_arrays(arrays)
    if name == "random":
        return RandomScorer(int(arrays["n_items"]), int(arrays.get("seed", 0)))
    raise ValueError(f"unknown model {name!r}")
