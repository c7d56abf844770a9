"""The prediction log: every prediction (inputs, score, variant, model version) and the feedback.

SQLite in WAL mode. The API appends to an in-memory buffer that a background thread writes in
batches, so a request never waits for the disk; ``flush()`` forces a write (tests, feedback).
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

import pandas as pd

SCHEMA = """
CREATE TABLE IF NOT EXISTS predictions (
    prediction_id TEXT PRIMARY KEY,
    ts REAL NOT NULL,
    entity_id TEXT NOT NULL,
    variant TEXT NOT NULL,
    model_version TEXT NOT NULL,
    score REAL NOT NULL,
    label INTEGER NOT NULL,
    features TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS predictions_ts ON predictions (ts);
CREATE TABLE IF NOT EXISTS feedback (
    prediction_id TEXT PRIMARY KEY,
    ts REAL NOT NULL,
    churned INTEGER NOT NULL
);
"""


def connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.executescript(SCHEMA)
    return conn


class PredictionLog:
    """Buffered, thread-safe writer of predictions and feedback."""

    def __init__(self, path: Path, flush_every: float = 0.5, max_buffer: int = 512) -> None:
        self.path = path
        self._conn = connect(path)
        self._lock = threading.Lock()  # guards the buffer
        self._db_lock = threading.Lock()  # guards the connection
        self._buffer: list[tuple] = []
        self._max_buffer = max_buffer
        self._flush_every = flush_every
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="prediction-log", daemon=True)
        self._thread.start()

    def add(
        self,
        prediction_id: str,
        entity_id: str,
        variant: str,
        model_version: str,
        score: float,
        label: bool,
        features: dict,
    ) -> None:
        row = (
            prediction_id,
            time.time(),
            entity_id,
            variant,
            model_version,
            float(score),
            int(label),
            json.dumps(features, separators=(",", ":")),
        )
        with self._lock:
            self._buffer.append(row)
            if len(self._buffer) >= self._max_buffer:
                self._wake.set()

    def flush(self) -> int:
        with self._lock:
            rows, self._buffer = self._buffer, []
        if rows:
            with self._db_lock, self._conn:
                self._conn.executemany(
                    "INSERT OR REPLACE INTO predictions VALUES (?, ?, ?, ?, ?, ?, ?, ?)", rows
                )
        return len(rows)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._flush_every)
            self._wake.clear()
            self.flush()

    def has_prediction(self, prediction_id: str) -> bool:
        self.flush()
        with self._db_lock:
            row = self._conn.execute(
                "SELECT 1 FROM predictions WHERE prediction_id = ?", (prediction_id,)
            ).fetchone()
        return row is not None

    def add_feedback(self, prediction_id: str, churned: bool) -> None:
        with self._db_lock, self._conn:
            self._conn.execute(
                "INSERT OR REPLACE INTO feedback VALUES (?, ?, ?)",
                (prediction_id, time.time(), int(churned)),
            )

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)
        self.flush()
        with self._db_lock:
            self._conn.close()


def read_predictions(path: Path, limit: int | None = None) -> pd.DataFrame:
    """The latest ``limit`` predictions (all when None), features expanded into columns, with the
    outcome from the feedback table in ``churn`` (missing when no feedback came)."""
    if not path.is_file():
        raise FileNotFoundError(f"no prediction log at {path}: serve some predictions first")
    conn = connect(path)
    try:
        query = (
            "SELECT p.prediction_id, p.ts, p.entity_id, p.variant, p.model_version, p.score,"
            " p.label, p.features, f.churned FROM predictions p"
            " LEFT JOIN feedback f ON f.prediction_id = p.prediction_id ORDER BY p.ts DESC"
        )
        params: tuple = ()
        if limit:
            query += " LIMIT ?"
            params = (int(limit),)
        frame = pd.read_sql_query(query, conn, params=params)
    finally:
        conn.close()
    features = pd.DataFrame([json.loads(f) for f in frame.pop("features")], index=frame.index)
    frame = pd.concat([frame, features], axis=1)
    frame["churn"] = frame.pop("churned").map({1: True, 0: False})
    return frame.iloc[::-1].reset_index(drop=True)
