"""How paths are shown and stored: relative to the working directory, never an absolute local path
(metadata is served by the API and shipped in the image)."""

from __future__ import annotations

import os
from pathlib import Path


def display_path(path: str | Path) -> str:
    """``path`` relative to the working directory, or its last part when it is elsewhere."""
    text = str(path)
    if text.lower() in {"cifar10", "cifar-10"}:
        return text
    p = Path(text)
    if not p.is_absolute():
        return p.as_posix()
    try:
        return p.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return p.name


def portable_path(path: str | Path) -> str:
    """``path`` relative to the working directory, ``..`` included when it lies elsewhere: the
    same folder is found again from here, and no absolute local path is stored."""
    p = Path(str(path))
    if not p.is_absolute():
        return display_path(path)
    try:
        return Path(os.path.relpath(p.resolve(), Path.cwd().resolve())).as_posix()
    except ValueError:  # another drive (Windows): no relative form
        return p.as_posix()
