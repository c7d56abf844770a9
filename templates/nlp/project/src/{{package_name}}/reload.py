"""A running server picks up a new export without a restart. `export` publishes metadata.json
last (artifacts.publish), so a changed metadata.json means a complete, checked export: the
server checks it (one stat, at most every ``interval`` seconds), loads the new model in a
background thread and answers with the old one until it is ready. A model that cannot be loaded
(a half-copied folder, a graph `export` did not check, a `train` not yet exported) is never
served: the old one stays, and /health says it is stale."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

from .artifacts import METADATA_FILE

T = TypeVar("T")


def reload_interval(setting: str | None = None) -> float | None:
    """Seconds between checks from RELOAD_SECONDS (default 1); "off" disables reloading."""
    value = setting if setting is not None else os.environ.get("RELOAD_SECONDS", "1")
    return None if value.strip().lower() in ("off", "no", "false") else float(value)


def _stamp(path: Path) -> tuple[int, int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_ino, info.st_mtime_ns, info.st_size


class Reloader(Generic[T]):
    """``current()`` is the loaded model, replaced when ``folder/metadata.json`` changes and
    the new one loads; ``stale`` says why a newer export is not served (None when it is)."""

    def __init__(
        self, folder: Path, load: Callable[[Path], T], interval: float | None = 1.0
    ) -> None:
        self.folder, self._load, self.interval = folder, load, interval
        self._stamp = _stamp(folder / METADATA_FILE)
        self.value: T = load(folder)
        self.stale: str | None = None
        self._checked = time.monotonic()
        self._loading = threading.Lock()

    def current(self) -> T:
        """The model to answer with now (starting a reload when the export changed)."""
        now = time.monotonic()
        if self.interval is not None and now - self._checked >= self.interval:
            self._checked = now
            stamp = _stamp(self.folder / METADATA_FILE)
            if stamp is not None and stamp != self._stamp and self._loading.acquire(False):
                threading.Thread(target=self._reload, args=(stamp,), daemon=True).start()
        return self.value

    def _reload(self, stamp: tuple[int, int, int]) -> None:
        try:
            self.value = self._load(self.folder)
            self.stale = None
        except Exception as exc:  # any failure keeps the old model, and says so
            self.stale = (
                f"the artifacts in {self.folder} changed but could not be loaded ({exc}); "
                "serving the previous model"
            )
        finally:
            self._stamp = stamp
            self._loading.release()
