"""copier's copy, without its per-file ``git`` runs where they cannot change anything.

After writing each file, copier runs ``git config core.fileMode`` in the destination (and, where
that is false, ``git ls-files`` and ``git update-index``) to carry the template's executable bit
into the destination's git index. It has no setting for this: whenever git is on PATH it starts
one git process per rendered file (68 for the recommender template), about a fifth of a render.
Outside a git repository there is no index to update, so ``copy()`` runs copier's ``Worker`` with
that step skipped there; inside one, it runs as always. No public way exists, so this overrides
a private method of copier's Worker: should copier rename it, the override goes unused and
renders come out as before, only slower (tests/test_copierrun.py counts the git runs).
"""

from __future__ import annotations

import warnings
from functools import cache
from pathlib import Path
from typing import Any

from . import copierimport


@cache
def _worker() -> type:
    copier = copierimport.load()
    with warnings.catch_warnings():  # copier calls its Worker internal, yet exports it
        warnings.simplefilter("ignore", DeprecationWarning)
        base = copier.Worker

    class Worker(base):  # type: ignore[misc,valid-type]
        """copier's Worker, syncing executable bits into a git index only where there is one."""

        def _sync_git_index_executable_bit(self, dst_relpath: Path, src_mode: int) -> None:
            if self.subproject.vcs == "git":  # one git run for the whole render
                super()._sync_git_index_executable_bit(dst_relpath, src_mode)

    return Worker


def copy(src_path: str, dest: Path, *, answers_file: str | None = None, **options: Any) -> None:
    """``copier.run_copy(src_path, dest, answers_file=..., **options)``, with the step above
    skipped outside a git repository."""
    relative = Path(answers_file) if answers_file else None
    with _worker()(src_path=src_path, dst_path=dest, answers_file=relative, **options) as worker:
        worker.run_copy()
