"""What keeps an update from destroying work: no git operation in progress, one update at a time,
and no untracked or ignored file in the way of the template's changes."""

from __future__ import annotations

import errno
import fcntl
import os
import socket
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ..gitutil import git
from ..project import ProjectError

LOCK = "mlscaffold-update.lock"
# git's state files for an operation in progress, and what to tell the user to do about it
_IN_PROGRESS = (
    ("MERGE_HEAD", "a merge", "git merge --continue` or `git merge --abort"),
    ("rebase-merge", "a rebase", "git rebase --continue` or `git rebase --abort"),
    ("rebase-apply", "a rebase or `git am`", "git rebase --abort` or `git am --abort"),
    (
        "CHERRY_PICK_HEAD",
        "a cherry-pick",
        "git cherry-pick --continue` or `git cherry-pick --abort",
    ),
    ("REVERT_HEAD", "a revert", "git revert --continue` or `git revert --abort"),
    ("BISECT_LOG", "a bisect", "git bisect reset"),
    ("sequencer", "a cherry-pick or revert", "git cherry-pick --abort` or `git revert --abort"),
)


class UpdateRefused(ProjectError):
    """The update would destroy work or collide with something; nothing was changed."""


def _git_path(root: Path, name: str) -> Path:
    return root / git("rev-parse", "--git-path", name, cwd=root)


def require_no_operation(root: Path) -> None:
    """Refuse a project where a merge, rebase, cherry-pick, revert or bisect is in progress, or
    whose repository has unresolved conflicts (anywhere: also outside a project's subfolder)."""
    for name, what, finish in _IN_PROGRESS:
        if _git_path(root, name).exists():
            raise UpdateRefused(
                f"{root} is in the middle of {what}: finish it first (`{finish}`), then update"
            )
    if unmerged := git("ls-files", "--unmerged", "--full-name", "--", ":/", cwd=root):
        path = unmerged.splitlines()[0].split("\t", 1)[1]
        raise UpdateRefused(
            f"the repository of {root} has unresolved conflicts ({path}): resolve them "
            "(`git add` each file) or undo them, then update"
        )


def _holder(lock: Path) -> str:
    try:
        return lock.read_text("utf-8", errors="replace").split(" ")[0].strip() or "?"
    except OSError:
        return "?"


def _acquire(lock: Path, root: Path) -> int:
    """An open descriptor of ``lock`` holding its flock: the kernel drops the flock when the
    process ends, however it ends, so a killed update leaves nothing anyone must clean up."""
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise UpdateRefused(
                f"another mlscaffold update (process {_holder(lock)}) is running on {root}; "
                "wait for it to finish"
            ) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()} {socket.gethostname()}\n".encode())
            return fd
        os.close(fd)  # its holder removed the file as we opened it: lock the new one


@contextmanager
def locked(root: Path) -> Iterator[None]:
    """Hold the project's update lock: an flock on a file in its git directory (which names this
    process, for the message another update gives), removed when the update ends."""
    lock = _git_path(root, LOCK)
    fd = _acquire(lock, root)
    try:
        yield
    finally:
        lock.unlink(missing_ok=True)  # while still held, so no one locks the removed file
        os.close(fd)


def _tracked(root: Path) -> set[str]:
    """Every path in the project's index."""
    return {name for name in git("ls-files", "-z", cwd=root).split("\0") if name}


def in_the_way(root: Path, touched: Iterable[str], allowed: Iterable[str] = ()) -> list[str]:
    """Untracked or ignored files in ``root`` that writing or deleting ``touched`` would replace.

    A path is in the way when it, or a folder above it, exists in the working tree as something
    git does not track (an ignored ``.env``, a file untracked with ``git rm --cached``, an
    untracked folder where the template puts a file). ``allowed`` paths are not reported.
    """
    allowed_set = {p.rstrip("/") for p in allowed}
    candidates: set[str] = set()
    for path in touched:
        parts = Path(path).parts
        for depth in range(1, len(parts) + 1):
            prefix = Path(*parts[:depth])
            full = root / prefix
            if not full.is_symlink() and not full.exists():
                break
            if depth == len(parts) or not full.is_dir() or full.is_symlink():
                candidates.add(prefix.as_posix())
                break
    tracked = _tracked(root)
    blocked = []
    for name in sorted(candidates - allowed_set):
        full = root / name
        if full.is_dir() and not full.is_symlink():
            inside = (p.relative_to(root).as_posix() for p in full.rglob("*") if not p.is_dir())
            if any(p not in tracked for p in inside):
                blocked.append(name + "/")
        elif name not in tracked:
            blocked.append(name)
    return blocked


def refuse_in_the_way(root: Path, blocked: list[str]) -> None:
    """Raise the refusal that lists ``blocked`` and says how to go on."""
    if not blocked:
        return
    shown = " ".join(blocked)
    raise UpdateRefused(
        f"the update would overwrite or delete files that git does not track in {root}: {shown}; "
        "move them out of the way (and back after committing the update), or pass "
        f"`--force-overwrite {blocked[0]}` for each one you want the template's version of; "
        "nothing was changed"
    )


def disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` (an OSError or a git error) means the disk is full."""
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    text = str(exc).lower()
    return "no space left on device" in text or "disk quota exceeded" in text
