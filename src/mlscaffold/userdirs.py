"""Where mlscaffold keeps its files, also when HOME is missing or read-only (CI containers, a
user without a passwd entry): a private temporary folder then, with a one-line note saying
which variable keeps them for good."""

from __future__ import annotations

import os
import stat
import sys
import tempfile
from pathlib import Path

_XDG = {"XDG_CONFIG_HOME": "config", "XDG_DATA_HOME": "data", "XDG_CACHE_HOME": "cache"}
_noted: set[str] = set()


def _note(text: str) -> None:
    if text not in _noted:
        _noted.add(text)
        print(f"Note: {text}", file=sys.stderr)


def fallback_root() -> Path:
    """A folder only this user can write, in the temporary directory."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    root = Path(tempfile.gettempdir()) / f"mlscaffold-{uid}"
    try:
        root.mkdir(mode=0o700, exist_ok=True)
        info = root.lstat()
        if stat.S_ISDIR(info.st_mode) and info.st_uid == uid and not info.st_mode & 0o077:
            return root
    except OSError:
        pass
    return Path(tempfile.mkdtemp(prefix="mlscaffold-"))  # someone else's, or odd: a fresh one


def home_known() -> bool:
    """Whether a home folder can be determined (HOME, or the user's passwd entry)."""
    return os.path.isabs(os.path.expanduser("~"))


def adopt_fallback_when_homeless() -> None:
    """Without any home folder, point the unset XDG variables at a temporary folder, so
    mlscaffold and copier (its settings, its clone cache) find a place to work."""
    if home_known():
        return
    missing = [var for var in _XDG if not os.environ.get(var)]
    root = fallback_root()
    for var in missing:
        os.environ[var] = str(root / _XDG[var])
    if missing:
        _note(
            f"no home folder (HOME is not set); using {root} for this run; set HOME or "
            f"{', '.join(missing)} to keep mlscaffold's files"
        )


def _writable(path: Path) -> bool:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK | os.X_OK)


def data_dir() -> Path:
    """mlscaffold's data folder: platformdirs' user data folder, or a temporary one when that
    cannot be written (a read-only HOME), with a note naming XDG_DATA_HOME."""
    from platformdirs import user_data_path

    try:
        preferred = user_data_path("mlscaffold", appauthor=False)
    except RuntimeError:  # no home folder and no XDG_DATA_HOME
        preferred = None
    if preferred is not None and _writable(preferred):
        return preferred
    fallback = fallback_root() / "data" / "mlscaffold"
    fallback.mkdir(parents=True, exist_ok=True)
    _note(
        f"cannot write {preferred or 'a data folder in your home'}; keeping template histories "
        f"in {fallback} for now (set XDG_DATA_HOME to a writable folder to keep them)"
    )
    return fallback
