"""The served artifacts' lifecycle: written aside, published by a rename, versioned, reloaded.

`train` writes a whole new artifacts folder beside the served one and swaps it in with renames,
so a server never reads a half-written model. ``model_version`` is a content hash of the served
arrays (the models and the catalogue): the same training gives the same version. A running
server checks ``meta.json`` (one stat, at most once a second) and loads a new folder in a
background thread, answering with the old model until the new one is ready; if the new one
cannot be loaded it keeps the old one and says it is stale.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Generic, TypeVar

import numpy as np

T = TypeVar("T")


def staging_dir(target: Path) -> Path:
    """An empty folder beside ``target`` to write a new set of artifacts into."""
    staging = target.with_name(f".{target.name}.staging-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    return staging


def publish(staging: Path, target: Path) -> None:
    """Swap ``staging`` in as ``target`` by renames; the previous folder is then removed."""
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(staging, target)
    shutil.rmtree(old, ignore_errors=True)


def content_hash(paths: list[Path]) -> str:
    """12 hex digits of SHA-256 over the arrays (names, dtypes, shapes, bytes) of .npz files."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        with np.load(path) as npz:
            for key in sorted(npz.files):
                array = np.ascontiguousarray(npz[key])
                digest.update(f"{key}:{array.dtype.str}:{array.shape}".encode())
                digest.update(array.tobytes())
    return digest.hexdigest()[:12]


def served_version(folder: Path) -> str:
    """The content hash of what ``serve`` loads from ``folder``: models/*.npz and catalog.npz."""
    return content_hash([*sorted((folder / "models").glob("*.npz")), folder / "catalog.npz"])


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_ino, info.st_mtime_ns


class Reloader(Generic[T]):
    """``current()`` is the loaded value, replaced when ``folder/meta.json`` changes."""

    def __init__(self, folder: Path, load: Callable[[Path], T], interval: float = 1.0) -> None:
        self.folder, self._load, self.interval = folder, load, interval
        self._stamp = _stamp(folder / "meta.json")
        self.value: T = load(folder)
        self.stale: str | None = None
        self._checked = time.monotonic()
        self._loading = threading.Lock()

    def current(self) -> T:
        now = time.monotonic()
        if now - self._checked >= self.interval:
            self._checked = now
            stamp = _stamp(self.folder / "meta.json")
            if stamp is not None and stamp != self._stamp and self._loading.acquire(False):
                threading.Thread(target=self._reload, args=(stamp,), daemon=True).start()
        return self.value

    def _reload(self, stamp: tuple[int, int]) -> None:
        try:
            self.value = self._load(self.folder)
            self.stale = None
        except Exception as exc:  # noqa: BLE001 - any failure keeps the old model, and says so
            self.stale = f"new artifacts in {self.folder} could not be loaded ({exc}): old model"
        finally:
            self._stamp = stamp
            self._loading.release()
