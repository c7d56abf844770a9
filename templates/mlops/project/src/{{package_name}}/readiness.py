"""Readiness across the workers of `serve --workers N`: `/health` answers 503 until every worker
has finished its start-up (lifespan, models loaded) and serves, not as soon as the first one does.

The supervisor (:func:`.server.supervise`) shares a counter and an event with its workers; each
worker counts itself in once uvicorn has started it, and the last one sets the event. A single
process (no supervisor) is ready once it answers at all.
"""

from __future__ import annotations

from typing import Any

_shared: tuple[Any, Any, int] | None = None  # (started counter, all-ready event, workers)


def join(started: Any, ready: Any, workers: int) -> None:
    """In a worker process: take part in the readiness of ``workers`` workers."""
    global _shared
    _shared = (started, ready, workers)


def mark_started() -> None:
    """This worker serves: count it in, and set the event when it is the last one."""
    if _shared is None:
        return
    started, ready, workers = _shared
    with started.get_lock():
        started.value += 1
        if started.value >= workers:
            ready.set()


def workers_ready() -> bool:
    """True once every worker of this server has started (always, for a single process)."""
    return _shared is None or _shared[1].is_set()
