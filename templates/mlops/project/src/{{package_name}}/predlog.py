"""The prediction store: every prediction (inputs, score, variant, model version) and its feedback.

SQLAlchemy Core, so one code path runs on SQLite (the default: a file path) and on PostgreSQL (a
URL such as ``postgresql+psycopg://user:pass@host/db``), shared by every worker and replica.
Write-through: a prediction is committed before its answer is sent (the predictions of one
event-loop turn share one transaction), so SIGKILL loses no answered prediction and feedback
finds its prediction from any worker.
"""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

META = sa.MetaData()
PREDICTIONS = sa.Table(
    "predictions",
    META,
    sa.Column("prediction_id", sa.String(64), primary_key=True),
    sa.Column("ts", sa.Float, nullable=False, index=True),
    sa.Column("entity_id", sa.String(64), nullable=False),
    sa.Column("variant", sa.String(32), nullable=False),
    sa.Column("model_version", sa.String(64), nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("label", sa.Integer, nullable=False),
    sa.Column("served", sa.Integer, nullable=False, server_default="1"),  # 0: shadow
    sa.Column("features", sa.Text, nullable=False),
)
FEEDBACK = sa.Table(  # the latest outcome of each prediction: what the reports count
    "feedback",
    META,
    sa.Column("prediction_id", sa.String(64), primary_key=True),
    sa.Column("ts", sa.Float, nullable=False),
    sa.Column("churned", sa.Integer, nullable=False),
)
FEEDBACK_HISTORY = sa.Table(  # every outcome ever sent, append-only: the audit trail
    "feedback_history",
    META,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("prediction_id", sa.String(64), nullable=False, index=True),
    sa.Column("ts", sa.Float, nullable=False),
    sa.Column("churned", sa.Integer, nullable=False),
)


SHADOW_SUFFIX = "-shadow"


def shadow_id(prediction_id: str) -> str:
    """The id of the shadow score logged beside answered prediction ``prediction_id``."""
    return prediction_id + SHADOW_SUFFIX


def engine_for(target: str | Path) -> sa.Engine:
    """An engine for a database URL, or for a SQLite file at a plain path (WAL mode)."""
    text = str(target)
    if "://" not in text:
        Path(text).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(f"sqlite:///{text}", connect_args={"timeout": 30})

        @sa.event.listens_for(engine, "connect")
        def _pragmas(conn, _record) -> None:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")

    else:
        engine = sa.create_engine(text, pool_pre_ping=True)
    for attempt in range(3):
        try:
            META.create_all(engine, checkfirst=True)
            break
        except sa.exc.DBAPIError:  # another worker created the tables at the same moment
            if attempt == 2:
                raise
            time.sleep(0.2)
    return engine


def exists(target: str | Path) -> bool:
    text = str(target)
    return "://" in text or Path(text).is_file()


class PredictionLog:
    """Write-through store of predictions and feedback, safe across threads, workers and hosts."""

    def __init__(self, target: str | Path) -> None:
        self.target = str(target)
        self.engine = engine_for(target)
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="prediction-log")
        self._pending: list[tuple[dict, asyncio.Future]] = []
        self._scheduled = False

    @staticmethod
    def row(
        prediction_id: str,
        entity_id: str,
        variant: str,
        model_version: str,
        score: float,
        label: bool,
        features: dict,
        served: bool = True,
    ) -> dict:
        return {
            "prediction_id": prediction_id,
            "ts": time.time(),
            "entity_id": entity_id,
            "variant": variant,
            "model_version": model_version,
            "score": float(score),
            "label": int(label),
            "served": int(served),
            "features": json.dumps(features, separators=(",", ":")),
        }

    def write(self, rows: list[dict]) -> None:
        """Insert ``rows`` in one transaction (blocking)."""
        if rows:
            with self.engine.begin() as conn:
                conn.execute(PREDICTIONS.insert(), rows)

    async def add(self, *rows: dict) -> None:
        """Commit ``rows``; the rows of every caller in this event-loop turn share a commit."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._pending.append((list(rows), future))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._flush, loop)
        await future

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        self._scheduled = False
        batch, self._pending = self._pending, []
        rows = [r for group, _ in batch for r in group]
        done = loop.run_in_executor(self._writer, self.write, rows)

        def settle(task: asyncio.Future) -> None:
            for _, future in batch:
                if future.done():
                    continue
                if task.exception() is not None:
                    future.set_exception(task.exception())
                else:
                    future.set_result(None)

        done.add_done_callback(settle)

    def prediction(self, prediction_id: str) -> tuple[str, str, float] | None:
        """(variant, model version, score) of a logged prediction, or None."""
        p = PREDICTIONS.c
        query = sa.select(p.variant, p.model_version, p.score).where(
            p.prediction_id == prediction_id
        )
        with self.engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else (row.variant, row.model_version, float(row.score))

    def add_feedback(self, prediction_id: str, churned: bool) -> None:
        """Record an outcome: appended to the history; the latest one is what counts."""
        row = {"prediction_id": prediction_id, "ts": time.time(), "churned": int(churned)}
        with self.engine.begin() as conn:
            conn.execute(FEEDBACK_HISTORY.insert(), row)
            conn.execute(sa.delete(FEEDBACK).where(FEEDBACK.c.prediction_id == prediction_id))
            conn.execute(FEEDBACK.insert(), row)

    def close(self) -> None:
        self._writer.shutdown(wait=True)
        self.engine.dispose()


def read_predictions(
    target: str | Path, limit: int | None = None, *, served_only: bool = True
) -> pd.DataFrame:
    """The latest ``limit`` predictions (all when None), features expanded into columns, with the
    outcome from the feedback table in ``churn`` (missing when no feedback came)."""
    if not exists(target):
        raise FileNotFoundError(f"no prediction log at {target}: serve some predictions first")
    engine = engine_for(target)
    p, f = PREDICTIONS.c, FEEDBACK.c
    query = (
        sa.select(*PREDICTIONS.c, f.churned)
        .select_from(PREDICTIONS.outerjoin(FEEDBACK, f.prediction_id == p.prediction_id))
        .order_by(p.ts.desc())
    )
    if served_only:
        query = query.where(p.served == 1)
    if limit:
        query = query.limit(int(limit))
    try:
        with engine.connect() as conn:
            frame = pd.read_sql_query(query, conn)
    finally:
        engine.dispose()
    features = pd.DataFrame([json.loads(x) for x in frame.pop("features")], index=frame.index)
    frame = pd.concat([frame, features], axis=1)
    frame["churn"] = frame.pop("churned").map({1: True, 0: False})
    return frame.iloc[::-1].reset_index(drop=True)
