"""Projects in a subfolder of a larger git repository (a monorepo).

``mlscaffold new`` into such a subfolder makes no repository of its own: the generated files are
added to the enclosing repository's index, nothing else, and nothing is committed. An update of
such a project renders its template at the same subfolder of a stand-in for the repository's top
level, so the snapshots it merges hold the project's files under its prefix and leave every other
path as it is (``merge.snapshot``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from .. import safety
from ..gitutil import GitError, git
from ..project import Project
from .render import GenerationError

# For git commands on DEST in the user's repository: no fsmonitor command, no hook, and DEST taken
# literally (no glob in a folder name can reach other files).
_PLAIN = safety.GIT_UNTRUSTED_PATHS


def _may_have_repository(folder: Path) -> bool:
    """Whether git could find a repository holding ``folder``: one named by the environment, or
    a ``.git`` in it or above it (without either, asking git would only cost a run)."""
    if os.environ.get("GIT_DIR") or os.environ.get("GIT_WORK_TREE"):
        return True
    return any((parent / ".git").exists() for parent in (folder, *folder.parents))


def enclosing_repository(dest: Path) -> Path | None:
    """The top level of the git repository that would hold ``dest`` (which need not exist yet),
    or None when there is none or its ignore rules exclude ``dest``; GenerationError when its
    index still has files in ``dest`` (deleted from disk only)."""
    dest = dest.resolve()
    existing = next(folder for folder in (dest, *dest.parents) if folder.is_dir())
    if not _may_have_repository(existing):
        return None
    top = git("rev-parse", "--show-toplevel", cwd=existing, check=False)
    if not top:
        return None
    repo = Path(top).resolve()
    rel = dest.relative_to(repo).as_posix()
    ignore = (*safety.GIT_UNTRUSTED_TREE, "check-ignore", "--", f"{rel}/")  # a path, no pathspec
    if rel == "." or git(*ignore, cwd=repo, check=False):
        return None
    if tracked := git(*_PLAIN, "ls-files", "--", rel, cwd=repo):
        raise GenerationError(
            f"{dest} is empty, but the repository {repo} still tracks files in it "
            f"({tracked.splitlines()[0]}): commit their deletion or restore them first"
        )
    return repo


def stage(repo: Path, dest: Path, existed: bool) -> None:
    """Add the files of the new project at ``dest`` to ``repo``'s index, and nothing else. When
    git refuses or Ctrl-C stops it, the project is taken out of the index and removed again
    (``dest`` left empty when it ``existed`` before); git's refusal becomes a GenerationError."""
    rel = dest.resolve().relative_to(repo).as_posix()
    lock = repo / git("rev-parse", "--git-path", "index.lock", cwd=repo)
    try:
        if lock.exists():  # git's own message ends in "remove the file manually to continue."
            raise GitError(f"{lock} exists: another git command is running; wait for it")
        git(*_PLAIN, "add", "--all", "--", rel, cwd=repo)
    except (GitError, KeyboardInterrupt) as exc:
        unstage = ("rm", "-r", "-q", "--cached", "--ignore-unmatch", "--", rel)
        git(*_PLAIN, *unstage, cwd=repo, check=False)
        shutil.rmtree(dest, ignore_errors=True)
        if existed:
            dest.mkdir()
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise GenerationError(
            f"cannot add the project to the repository {repo} ({exc}); nothing was written"
        ) from exc


def render_folder(project: Project, top: Path) -> Path:
    """Where to render ``project`` below ``top``: in a folder named like the project (so
    ``_folder_name`` renders the same); for a project in a subfolder of a larger repository, at
    that subfolder, with the repository's ignore files above it copied, so ``top`` stands for the
    repository's top level in ``merge.snapshot``."""
    if not project.prefix:
        return top / project.root.name
    for folder in project.root.relative_to(project.repo).parents:
        ignore = project.repo / folder / ".gitignore"
        if ignore.is_file():
            (top / folder).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ignore, top / folder / ".gitignore")
    return top / project.prefix


def undo_command(project: Project) -> str:
    """The git command, run in the project's folder, that takes it back to its last commit:
    ``git reset --hard`` for a repository of its own; in a subfolder of a larger one, a restore
    of that subfolder alone (a reset would also throw away uncommitted work elsewhere)."""
    if project.prefix:
        return "git restore --source=HEAD --staged --worktree -- ."
    return "git reset --hard"


def dry_run_clone(project: Project, dest: Path) -> Path:
    """A throw-away clone of the project's repository at its HEAD in ``dest`` (only the project's
    folder checked out, when it is a subfolder); return the project's folder in it."""
    sparse = ("--sparse",) if project.prefix else ()
    options = ("--quiet", "--shared", "--no-checkout", *sparse)
    git("clone", *options, "--", str(project.repo), str(dest))
    if project.prefix:
        git("sparse-checkout", "set", "--", project.prefix, cwd=dest)
    head = git("rev-parse", "HEAD", cwd=project.root)
    git("checkout", "--quiet", "--detach", head, cwd=dest)
    return dest / project.prefix
