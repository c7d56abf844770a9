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
from pathlib import Path

import numpy as np


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
