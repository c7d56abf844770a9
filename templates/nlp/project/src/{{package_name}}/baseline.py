"""The classical baseline: TF-IDF word (1-2) and character (2-5) n-grams + logistic regression,
with the regularisation strength C chosen on the validation split."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import FeatureUnion, Pipeline

from .calibration import to_probs
from .metrics import macro_f1

C_GRID = (0.25, 1.0, 4.0, 16.0)


def features() -> FeatureUnion:
    return FeatureUnion(
        [
            (
                "word",
                TfidfVectorizer(
                    ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=200_000
                ),
            ),
            (
                "char",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    min_df=2,
                    sublinear_tf=True,
                    max_features=300_000,
                ),
            ),
        ]
    )


def decision(model: Pipeline, texts: list[str]) -> np.ndarray:
    """(n, labels) logits: softmax of them is predict_proba (a binary model's are [0, d])."""
    d = np.asarray(model.decision_function(texts), dtype=np.float64)
    return np.column_stack([np.zeros_like(d), d]) if d.ndim == 1 else d


def predict_proba(
    model: Pipeline, texts: list[str], multilabel: bool, temperature: float = 1.0
) -> np.ndarray:
    """(n, labels) probabilities of ``logits / temperature``: softmax for multi-class, one
    sigmoid per label for multi-label (temperature 1: scikit-learn's predict_proba)."""
    return to_probs(decision(model, texts), multilabel, temperature)


def fit_baseline(
    train_texts: list[str],
    train_y: np.ndarray,
    val_texts: list[str],
    val_y: np.ndarray,
    multilabel: bool,
    seed: int = 0,
) -> tuple[Pipeline, dict]:
    """Fit the vectoriser once on train, pick C by validation macro-F1, return the pipeline."""
    vectoriser = features().fit(train_texts)
    xtr, xva = vectoriser.transform(train_texts), vectoriser.transform(val_texts)
    fits, scores = {}, {}
    for c in C_GRID:
        lr = LogisticRegression(C=c, class_weight="balanced", max_iter=2000, random_state=seed)
        fits[c] = (OneVsRestClassifier(lr) if multilabel else lr).fit(xtr, train_y)
        scores[str(c)] = macro_f1(val_y, np.asarray(fits[c].predict_proba(xva)), multilabel)
    best = max(C_GRID, key=lambda c: scores[str(c)])  # the first of equals: the strongest prior
    return Pipeline([("tfidf", vectoriser), ("lr", fits[best])]), {
        "C": best,
        "val_macro_f1_by_C": scores,
    }
