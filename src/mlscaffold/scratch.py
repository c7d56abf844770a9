"""The scratch folder ``new`` renders a project in, next to its destination (so the finished
project moves into place with one rename).

While in use the folder holds an flock on a mark file inside it; the kernel drops it however the
process ends. The next ``new`` in the same folder removes every scratch folder of ours whose mark
it can lock: those a killed (SIGKILL, power loss) ``new`` left behind.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SUFFIX = ".mlscaffold"
MARK = ".mlscaffold-scratch"


@contextmanager
def folder(dest: Path) -> Iterator[Path]:
    """A fresh scratch folder for ``dest`` (``.NAME.XXXX.mlscaffold`` beside it), removed with
    everything in it when the block ends; stale ones of ours beside it are removed first."""
    sweep(dest.parent)
    path = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", suffix=SUFFIX, dir=dest.parent))
    fd = os.open(path / f"{MARK}.new", os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.rename(path / f"{MARK}.new", path / MARK)  # marked only once locked
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
        os.close(fd)


def sweep(parent: Path) -> list[Path]:
    """Remove the scratch folders of ours in ``parent`` that no running mlscaffold holds; return
    them."""
    removed = []
    for path in sorted(parent.glob(f".*{SUFFIX}")):
        mark = path / MARK
        if path.is_symlink() or mark.is_symlink() or not mark.is_file():
            continue
        try:
            fd = os.open(mark, os.O_RDONLY)
        except OSError:
            continue
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            shutil.rmtree(path)
            removed.append(path)
        except OSError:  # in use (BlockingIOError), or cannot be removed: left alone
            pass
        finally:
            os.close(fd)
    return removed
