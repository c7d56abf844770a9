"""Where a generated project's template comes from, and which versions of it exist."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from .. import safety
from ..answersfile import DEFAULT as ANSWERS_FILE
from ..gitutil import GitError, git
from ..project import Project
from . import history
from .catalog import is_url

T = TypeVar("T")
# Lookups shared by the projects of one fleet run (``shared_lookups``); None: look up every time.
_MEMO: ContextVar[dict[tuple, Any] | None] = ContextVar("origin_lookups", default=None)


class OriginError(ValueError):
    """The project's template, or the version asked for, cannot be found."""


@contextmanager
def shared_lookups() -> Iterator[None]:
    """Within this block a template's versions and copier.yml are read once per template source
    (and version), and a built-in's history installed once, for all projects."""
    token = _MEMO.set({})
    try:
        yield
    finally:
        _MEMO.reset(token)


def _once(key: tuple, compute: Callable[[], T]) -> T:
    """``compute()``, or its value (or OriginError) from earlier in ``shared_lookups``."""
    memo = _MEMO.get()
    if memo is None:
        return compute()
    if key not in memo:
        try:
            memo[key] = (compute(), None)
        except OriginError as exc:
            memo[key] = (None, exc)
    value, error = memo[key]
    if error is not None:
        raise error
    return value


def parse_version(version: str):  # -> packaging.version.Version | None
    """``version`` as a PEP 440 version, or None when it is none (a commit id, say)."""
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version)
    except InvalidVersion:
        return None


@dataclass(frozen=True)
class Origin:
    """A project's template: the source given to copier, and whether it may run tasks."""

    src_path: str
    label: str
    trusted: bool
    builtin: str | None = None

    def tags(self) -> dict[str, str]:
        """Every tag of the source and the commit it points at (annotated tags peeled)."""
        return dict(_once(("tags", self._location()), self._read_tags))

    def _read_tags(self) -> dict[str, str]:
        try:
            refs = git("ls-remote", "--tags", "--", self._location())
        except GitError as exc:
            raise OriginError(f"cannot read the versions of {self.label}: {exc}") from exc
        found: dict[str, str] = {}
        for line in refs.splitlines():
            sha, _, ref = line.partition("\t")
            tag = ref.removeprefix("refs/tags/")
            if tag.endswith("^{}") or tag not in found:  # the peeled commit wins
                found[tag.removesuffix("^{}")] = sha
        return found

    def versions(self) -> list[str]:
        """The released versions (tags that are PEP 440 versions), oldest first."""
        parsed = {tag: version for tag in self.tags() if (version := parse_version(tag))}
        return sorted(parsed, key=parsed.__getitem__)

    def latest(self) -> str:
        """The newest released version (pre-releases only when there is nothing else)."""
        versions = self.versions()
        if not versions:
            raise OriginError(f"{self.label} has no tagged versions to update to")
        final = [v for v in versions if not parse_version(v).is_prerelease]
        return (final or versions)[-1]

    def questions_text(self, version: str) -> str:
        """The copier.yml of ``version``."""
        key = ("copier.yml", self._location(), version)
        return _once(key, lambda: self._read_questions(version))

    def _read_questions(self, version: str) -> str:
        if self.builtin:
            return (history.checkout(self.builtin, version) / "copier.yml").read_text("utf-8")
        location = self._location()
        if Path(location).is_dir():  # a local repository, bare or not
            return self._show(Path(location), version)
        with tempfile.TemporaryDirectory(prefix="mlscaffold-") as tmp:
            try:
                git("clone", "--quiet", "--bare", "--", location, tmp)
            except GitError as exc:
                raise OriginError(f"cannot fetch {self.label}: {exc}") from exc
            return self._show(Path(tmp), version)

    def _show(self, repo: Path, version: str) -> str:
        for name in ("copier.yml", "copier.yaml"):
            try:
                return git("show", f"{version}:{name}", cwd=repo)
            except GitError:
                continue
        raise OriginError(f"{self.label} {version} has no copier.yml")

    def file_text(self, version: str, name: str) -> str | None:
        """The text of file ``name`` at the top of the template as ``version`` has it (None when
        it has no such file): from a built-in's extracted copy, a local repository, a bare clone
        of a remote one, or (``version`` "HEAD") a local folder as it is."""
        if self.builtin:
            path = history.checkout(self.builtin, version) / name
            return path.read_text("utf-8") if path.is_file() else None
        location = Path(self._location())
        if version == "HEAD" and location.is_dir():  # a folder as it is now
            path = location / name
            return path.read_text("utf-8") if path.is_file() else None
        with self.repository() as repo:
            try:
                return git("show", f"{version}:{name}", cwd=repo)
            except GitError:
                return None

    @contextmanager
    def repository(self) -> Iterator[Path]:
        """The template's git repository: the local one, or a temporary bare clone."""
        location = self._location()
        if Path(location).is_dir():
            yield Path(location)
            return
        with tempfile.TemporaryDirectory(prefix="mlscaffold-") as tmp:
            try:
                git("clone", "--quiet", "--bare", "--", location, tmp)
            except GitError as exc:
                raise OriginError(f"cannot fetch {self.label}: {exc}") from exc
            yield Path(tmp)

    def _location(self) -> str:
        """The source as git understands it (copier's ``gh:``/``gl:`` shortcuts expanded, and
        its ``git+`` prefix dropped as copier drops it: ``git+file://`` is ``file://``)."""
        for prefix, host in (("gh:", "https://github.com/"), ("gl:", "https://gitlab.com/")):
            if self.src_path.startswith(prefix):
                return host + self.src_path.removeprefix(prefix)
        if self.src_path.startswith("git+") and "://" in self.src_path:
            return self.src_path.removeprefix("git+")
        path = Path(self.src_path).expanduser()
        return str(path) if path.exists() else self.src_path


def of(project: Project, trust: bool = False) -> Origin:
    """The template ``project`` was generated from, usable on this machine.

    A built-in template is found by name whatever machine recorded it, and its history is installed
    from the package first; any other template is its recorded source (a folder or git URL).
    The recorded source and version come from a file anyone with push access may have edited, so
    they are checked (``safety``) before git or copier sees them.
    """
    safety.check_version(project.version, f"_commit in {ANSWERS_FILE}")
    return from_source(project.src_path, "_src_path", trust)


def from_source(src: str, key: str, trust: bool = False) -> Origin:
    """The template recorded as ``src`` under ``key`` of a project's answers file, checked
    (``safety``); a built-in one is found by name and its history installed (once per run)."""
    safety.check_source(src, f"{key} in {ANSWERS_FILE}")
    if name := history.builtin_from_source(src):
        _once(("install", name), lambda: history.install(name))
        return Origin(history.recorded_source(name), name, trusted=True, builtin=name)
    if not is_url(src) and not Path(src).expanduser().exists():
        raise OriginError(
            f"the template {src} this project was generated from does not exist here; if it "
            f"moved, fix {key} in {ANSWERS_FILE}, commit, and try again"
        )
    found = Origin(src, src, trusted=trust)
    try:
        found.tags()  # every command reads (or renders) a template from a git repository only
    except OriginError:
        if Path(found._location()).exists():
            raise OriginError(
                f"refused {key} in {ANSWERS_FILE}: {src} is not a git repository, and mlscaffold "
                "reads a project's template only from a git repository or a built-in; if the "
                f"template moved, fix {key}, commit, and try again"
            ) from None
        raise
    return found
