"""Serve the newest published artifacts without a restart, or say why not.

``Reloader(folder, load, watch)``: ``current()`` answers with the loaded value and, at most once
per ``interval`` seconds, looks at ``folder/watch`` (the file a publish writes last, by a rename).
When it changed, the folder is loaded again in a background thread while the old value keeps
answering; a failed load keeps the old value and ``stale`` says why (None when up to date).
``interval=None`` never reloads; ``reload_interval()`` reads it from RELOAD_SECONDS.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

T = TypeVar("T")


def reload_interval(setting: str | None = None) -> float | None:
    """Seconds between checks from RELOAD_SECONDS (default 1); "off" or 0 disables reloading."""
    value = setting if setting is not None else os.environ.get("RELOAD_SECONDS", "1")
    if value.strip().lower() in ("off", "no", "false"):
        return None
    return float(value) or None


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """What changes when ``path`` is replaced: inode, modification time and size."""
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_ino, info.st_mtime_ns, info.st_size


class Reloader(Generic[T]):
    """``current()`` is the loaded value, replaced when ``folder/watch`` changes and the folder
    loads again; ``stale`` says why a change was not picked up."""

    def __init__(
        self, folder: Path, load: Callable[[Path], T], watch: str, interval: float | None = 1.0
    ) -> None:
        self.folder, self._load, self.watch, self.interval = folder, load, watch, interval
        self._stamp = _stamp(folder / watch)
        self.value: T = load(folder)
        self.stale: str | None = None
        self._checked = time.monotonic()
        self._loading = threading.Lock()

    def current(self) -> T:
        """The value to answer with now (starting a reload when the watched file changed)."""
        now = time.monotonic()
        if self.interval is not None and now - self._checked >= self.interval:
            self._checked = now
            stamp = _stamp(self.folder / self.watch)
            if stamp is not None and stamp != self._stamp and self._loading.acquire(False):
                threading.Thread(target=self._reload, args=(stamp,), daemon=True).start()
        return self.value

    def _reload(self, stamp: tuple[int, int, int]) -> None:
        try:
            self.value = self._load(self.folder)
            self.stale = None
        except Exception as exc:  # any failure keeps the old value, and says so
            self.stale = (
                f"new artifacts in {self.folder} could not be loaded ({exc}); "
                "still serving the previous model"
            )
        finally:
            self._stamp = stamp
            self._loading.release()
