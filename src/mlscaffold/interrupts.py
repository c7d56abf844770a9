"""SIGTERM and SIGHUP (``timeout``, a cancelled CI job, a closed terminal, systemd) end mlscaffold
the way Ctrl-C does: as a KeyboardInterrupt, so every clean-up that Ctrl-C runs runs for them too.
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def install() -> None:
    """Make SIGTERM and SIGHUP raise KeyboardInterrupt, as SIGINT does."""
    for signum in HANDLED[1:]:
        signal.signal(signum, _interrupt)


@contextmanager
def deferred() -> Iterator[None]:
    """Within this block Ctrl-C, SIGTERM and SIGHUP wait (a clean-up is not cut short); they
    arrive, as KeyboardInterrupt, when it ends."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
