"""Pixel baselines (scikit-learn): majority class, logistic regression, kNN on pixels pooled to at
most 1,024 values, fitted on at most 10,000 training images (a stratified sample)."""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

MAX_FEATURES = 1024
MAX_TRAIN = 10_000


def pool_factor(c: int, h: int, w: int, max_features: int = MAX_FEATURES) -> int:
    """The integer average-pooling factor that leaves at most about ``max_features`` values."""
    return max(1, math.ceil(math.sqrt(c * h * w / max_features)))


def pixel_features(images: np.ndarray, max_features: int = MAX_FEATURES) -> np.ndarray:
    """uint8 N x C x H x W -> float32 N x F in [0, 1], pooled by an integer factor if needed."""
    n, c, h, w = images.shape
    factor = pool_factor(c, h, w, max_features)
    x = images.astype(np.float32) / 255
    if factor > 1:
        hh, ww = h // factor, w // factor
        x = x[:, :, : hh * factor, : ww * factor].reshape(n, c, hh, factor, ww, factor)
        x = x.mean(axis=(3, 5))
    return x.reshape(n, -1)


def _sample(labels: np.ndarray, limit: int, seed: int) -> np.ndarray:
    if len(labels) <= limit:
        return np.arange(len(labels))
    from sklearn.model_selection import train_test_split

    idx, _ = train_test_split(
        np.arange(len(labels)), train_size=limit, stratify=labels, random_state=seed
    )
    return np.sort(idx)


def make_baselines(seed: int = 0) -> dict[str, Any]:
    from sklearn.dummy import DummyClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "majority class": DummyClassifier(strategy="most_frequent"),
        "logistic regression (pixels)": make_pipeline(
            StandardScaler(), LogisticRegression(max_iter=300, C=0.1, random_state=seed)
        ),
        "kNN, k=3 (pixels)": KNeighborsClassifier(n_neighbors=3),
    }


def fit_baselines(
    train_images: np.ndarray,
    train_labels: np.ndarray,
    test_images: np.ndarray,
    seed: int = 0,
) -> dict[str, dict[str, Any]]:
    """Each baseline's test predictions and fitting time (trained on the training split only)."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    idx = _sample(train_labels, MAX_TRAIN, seed)
    x_train, y_train = pixel_features(train_images[idx]), train_labels[idx]
    x_test = pixel_features(test_images)
    results = {}
    for name, model in make_baselines(seed).items():
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(x_train, y_train)
        predictions = model.predict(x_test).astype(np.int64)
        results[name] = {
            "predictions": predictions,
            "seconds": time.perf_counter() - start,
            "n_train": len(idx),
        }
    return results
