"""Three-way merge of a template change into a project, done by git itself.

The old and the new render become two commits in the project's object store (old, and new on top
of it) without touching the project's index or branches; ``git cherry-pick --no-commit`` of the new
one then merges the template change into the working tree with the old render as merge base. So
edits are kept, renames are followed, and conflicts are ordinary git conflicts: ``<<<<<<<`` markers
and unmerged index entries that ``git status``, ``git mergetool`` and IDEs show.

For a project in a subfolder of a larger repository, the commits hold the renders under that
folder and every other path as the index has it (``snapshot``), and the functions report paths
relative to the folder they run in (``git diff --relative``).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..gitutil import GitError, git

IDENTITY = ("-c", "user.name=mlscaffold", "-c", "user.email=mlscaffold@localhost")
# git's name for a file kept aside in a file/folder conflict: PATH~HEAD, PATH~<commit> (<message>)
_SIDE_COPY = re.compile(r"^(?P<path>.+)~(?P<side>HEAD|[0-9a-f]{7,40}(?: \(.*\))?)$", re.DOTALL)
_WHAT = {"A": "added", "M": "modified", "D": "deleted", "R": "renamed", "U": "conflict"}


@dataclass
class MergeResult:
    """What a merge did to the project."""

    changes: list[tuple[str, str]] = field(default_factory=list)  # (what, path) for each file
    conflicts: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # removed by the template, changed by the user
    left_deleted: list[str] = field(default_factory=list)  # changed by the template, deleted by you
    # (path, where its file now is, whose file): a file where the other side has a folder
    set_aside: list[tuple[str, str, str]] = field(default_factory=list)
    binary: list[str] = field(default_factory=list)  # conflicts without <<<<<<< markers


def snapshot(
    repo: Path,
    tree: Path,
    message: str,
    parent: str | None = None,
    env: Mapping[str, str] | None = None,
    prefix: str = "",
    outside: str | None = None,
) -> str:
    """Commit the files in folder ``tree`` into ``repo``'s object store; return the commit id.

    A temporary index is used, so the project's index, branches and working tree are untouched.
    Files the folder's (or the repository's) ignore rules exclude are left out, as in a project.
    ``env``: extra git environment (``scratch_objects`` keeps the repository's objects as is).
    ``prefix``: the project's folder in a larger repository; ``tree`` then lies at ``prefix``
    below a folder that stands for the repository's top level (whose ignore files apply), its
    files are committed under ``prefix``, and every other path is as in tree ``outside`` (none
    when None).
    """
    top = tree.resolve().parents[len(PurePosixPath(prefix).parts) - 1] if prefix else tree
    with tempfile.TemporaryDirectory(prefix="mlscaffold-index-") as tmp:
        index_env = {**(env or {}), "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        place = ("--git-dir", git_dir(repo), "--work-tree", str(top.resolve()))
        if outside:
            git(*place, "read-tree", outside, cwd=top, env=index_env)
        spec = ("--literal-pathspecs", "add", "--all", "--", prefix) if prefix else ("add", "--all")
        git(*place, *spec, cwd=top, env=index_env)
        tree_id = git(*place, "write-tree", cwd=top, env=index_env)
    parents = ("-p", parent) if parent else ()
    return git(
        *IDENTITY,
        "commit-tree",
        "--no-gpg-sign",
        tree_id,
        *parents,
        "-m",
        message,
        cwd=repo,
        env=env,
    )


def index_tree(repo: Path) -> str:
    """The tree of what ``repo``'s index holds now, written from a copy of the index (git would
    otherwise store its cache of trees in the index itself)."""
    with tempfile.TemporaryDirectory(prefix="mlscaffold-index-") as tmp:
        index = Path(tmp) / "index"
        real = repo / git("rev-parse", "--git-path", "index", cwd=repo)
        if real.is_file():
            shutil.copyfile(real, index)
        return git("write-tree", cwd=repo, env={"GIT_INDEX_FILE": str(index)})


@contextmanager
def scratch_objects(repo: Path) -> Iterator[dict[str, str]]:
    """Git environment that writes new objects to a temporary folder and reads ``repo``'s own
    objects as alternates, so snapshots leave the repository's object store unchanged."""
    objects = (repo / git("rev-parse", "--git-path", "objects", cwd=repo)).resolve()
    with tempfile.TemporaryDirectory(prefix="mlscaffold-objects-") as tmp:
        yield {"GIT_OBJECT_DIRECTORY": tmp, "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(objects)}


def touched(repo: Path, old: str, new: str) -> list[str]:
    """Every path the change from commit ``old`` to ``new`` writes or deletes (renames as both),
    in and relative to the folder ``repo`` (a project's folder in a larger repository)."""
    names = git("diff", "--name-only", "--relative", "-z", "--no-renames", old, new, cwd=repo)
    return [name for name in names.split("\0") if name]


def git_dir(repo: Path) -> str:
    """The absolute git directory of ``repo``."""
    return git("rev-parse", "--absolute-git-dir", cwd=repo)


def _unmerged(repo: Path) -> dict[str, set[int]]:
    stages: dict[str, set[int]] = defaultdict(set)
    for entry in git("ls-files", "--unmerged", "-z", cwd=repo).split("\0"):
        if entry:
            info, path = entry.split("\t", 1)
            stages[path].add(int(info.split()[2]))
    return stages


def _free_name(repo: Path, wanted: str) -> str:
    name, number = wanted, 1
    while (repo / name).exists() or (repo / name).is_symlink():
        number += 1
        name = f"{wanted}.{number}"
    return name


def _set_aside(repo: Path, result: MergeResult) -> None:
    """Settle file/folder conflicts. Where one side has a file and the other a folder, git keeps
    the file under an internal name (``PATH~HEAD``, ``PATH~<commit> (<message>)``); it gets a
    plain one instead (``PATH.mine``, ``PATH.template``), untracked, and is reported."""
    for path in _unmerged(repo):
        found = _SIDE_COPY.match(path)
        if not found or not (repo / found["path"]).is_dir():
            continue
        original, whose = found["path"], "your" if found["side"] == "HEAD" else "the template's"
        aside = _free_name(repo, f"{original}.{'mine' if whose == 'your' else 'template'}")
        git("--literal-pathspecs", "rm", "--quiet", "--cached", "--", path, cwd=repo)
        if (repo / path).exists():
            (repo / path).rename(repo / aside)
        result.set_aside.append((original, aside, whose))


def _is_binary(path: Path) -> bool:
    """Whether git takes ``path`` for binary (a NUL byte in its first 8000 bytes), so a conflict
    in it has no ``<<<<<<<`` markers."""
    try:
        with path.open("rb") as data:
            return b"\0" in data.read(8000)
    except OSError:
        return False


def _resolve_deletions(repo: Path, result: MergeResult) -> None:
    """Settle modify/delete conflicts: what you deleted stays deleted, what you changed stays
    (each path, from the template, taken literally)."""
    for path, stages in _unmerged(repo).items():
        if 2 not in stages:  # you deleted it, the template changed it
            git("--literal-pathspecs", "rm", "--quiet", "--cached", "--", path, cwd=repo)
            _remove(repo, Path(path))
            result.left_deleted.append(path)
        elif 3 not in stages:  # the template removed it, you changed it
            git("--literal-pathspecs", "checkout", "--ours", "--", path, cwd=repo)
            git("--literal-pathspecs", "add", "--", path, cwd=repo)
            result.kept.append(path)


def apply(repo: Path, old: str, new: str) -> MergeResult:
    """Merge the change from commit ``old`` to commit ``new`` into ``repo``'s working tree.

    Nothing is committed; clean merges are staged, conflicts are left unmerged with markers, and no
    cherry-pick or sequencer state is left behind.
    """
    result = MergeResult()
    if git("rev-parse", f"{old}^{{tree}}", cwd=repo) == git(
        "rev-parse", f"{new}^{{tree}}", cwd=repo
    ):
        return result
    try:
        try:
            git(*IDENTITY, "cherry-pick", "--no-commit", new, cwd=repo)
        except GitError:
            if not _unmerged(repo):  # git refused to merge at all, rather than conflicting
                raise
        _set_aside(repo, result)
        _resolve_deletions(repo, result)
    finally:
        git("cherry-pick", "--quit", cwd=repo, check=False)
    result.conflicts = sorted(_unmerged(repo))
    result.binary = [path for path in result.conflicts if _is_binary(repo / path)]
    result.changes = staged_changes(repo)
    return result


def unstage_ignored(repo: Path, paths: Iterable[str]) -> list[str]:
    """Take the ``paths`` (relative to folder ``repo``) that the project's ignore rules ignore out
    of the index again, leaving them written in the working tree (as ``git add`` would have left
    them: a template's new ``.env`` must not be committed with the key the user puts in it);
    return them."""
    listed = "\0".join(paths)
    if not listed:
        return []
    found = git(
        "check-ignore", "--no-index", "-z", "--stdin", cwd=repo, check=False, input=listed + "\0"
    )
    ignored = sorted(name for name in found.split("\0") if name)
    if ignored:
        git("--literal-pathspecs", "rm", "--quiet", "--cached", "--", *ignored, cwd=repo)
    return ignored


def staged_changes(repo: Path) -> list[tuple[str, str]]:
    """What the index changes against HEAD in folder ``repo`` (paths relative to it):
    (added/modified/deleted/renamed/conflict, path)."""
    status = git(
        "diff", "--cached", "--name-status", "--relative", "-z", "--find-renames", "HEAD", cwd=repo
    )
    fields, changes = iter(status.split("\0")), []
    for code in fields:
        if code:
            path = next(fields)
            if code[0] in "RC":
                path = f"{path} -> {next(fields)}"
            changes.append((_WHAT.get(code[0], code), path))
    return changes


def _remove(repo: Path, path: Path) -> None:
    """Delete ``path`` from the working tree, and the folders it leaves empty."""
    (repo / path).unlink(missing_ok=True)
    for folder in path.parents[:-1]:
        if any((repo / folder).iterdir()):
            break
        (repo / folder).rmdir()


def changes_between(
    repo: Path, old: str, new: str, env: Mapping[str, str] | None = None, exclude: Iterable = ()
) -> str:
    """The unified diff from commit ``old`` to commit ``new`` in folder ``repo`` (paths relative
    to it), with renames found, leaving out the paths in ``exclude``."""
    skipped = [f":(exclude,literal){path}" for path in exclude]
    paths = ("--", ".", *skipped) if skipped else ()
    return git("diff", "--find-renames", "--relative", old, new, *paths, cwd=repo, env=env)
