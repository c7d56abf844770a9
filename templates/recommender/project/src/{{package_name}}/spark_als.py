"""ALS on Apache Spark, for interaction logs that outgrow one machine (``--models als-spark``).

PySpark's ``ALS(implicitPrefs=True)`` factorises the same weighted positives as `implicit`'s ALS,
with the same confidence ``1 + alpha * weight``; the factors come back as numpy arrays, so
evaluation, fold-in and serving are the very code the other models use. ``--spark-master`` picks
the cluster (``local[*]``, all local cores, by default; ``spark://host:7077`` or ``yarn`` for a
real one). Needs ``pip install '.[spark]'`` and Java 17. Spark's ``regParam`` is multiplied by each
user's and item's number of positives (ALS-WR), so its values are not `implicit`'s
``regularization``: ``spark_parity.py`` says how the two are compared like for like.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .models import MatrixFactorization

SPARK_DEFAULTS = {"factors": 64, "regularization": 0.05, "alpha": 2.0, "iterations": 15}


def spark_session(master: str = "local[*]"):
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError("als-spark needs pyspark and Java 17: pip install '.[spark]'") from exc
    return (
        SparkSession.builder.master(master)
        .appName("recommender-als")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "8")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )


def fit_spark_als(
    matrix: sp.csr_matrix, params: dict[str, float], seed: int, master: str = "local[*]"
) -> MatrixFactorization:
    """Fit Spark ALS on a users x items matrix of weighted positives."""
    from pyspark.ml.recommendation import ALS

    p = {**SPARK_DEFAULTS, **params}
    coo = matrix.tocoo()
    spark = spark_session(master)
    frame = spark.createDataFrame(
        list(zip(coo.row.tolist(), coo.col.tolist(), coo.data.astype(float).tolist(), strict=True)),
        schema="user INT, item INT, weight DOUBLE",
    )
    als = ALS(
        rank=int(p["factors"]),
        maxIter=int(p["iterations"]),
        regParam=float(p["regularization"]),
        alpha=float(p["alpha"]),
        implicitPrefs=True,
        userCol="user",
        itemCol="item",
        ratingCol="weight",
        seed=seed,
        coldStartStrategy="drop",
    )
    model = als.fit(frame)
    users = _factors(model.userFactors.collect(), matrix.shape[0], int(p["factors"]))
    items = _factors(model.itemFactors.collect(), matrix.shape[1], int(p["factors"]))
    return MatrixFactorization(
        "als-spark", users, items, float(p["regularization"]), float(p["alpha"])
    )


def _factors(rows: list, n: int, rank: int) -> np.ndarray:
    out = np.zeros((n, rank), dtype=np.float32)
    for row in rows:
        out[int(row["id"])] = np.asarray(row["features"], dtype=np.float32)
    return out
