"""Release histories of the built-in templates.

Each built-in template ships inside the package as a git bundle (``histories/<name>.bundle``)
holding one tagged commit per released version; ``histories/index.json`` describes them. A bundle
is copied to the user's data directory before use, and projects record that copy as ``~/...`` in
``.copier-answers.yml``, so the recorded source reads the same on every machine. Bundles only ever
grow, so a project made by an older release always finds its template version in a newer one.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from ..gitutil import git
from ..safety import check_version

HISTORIES = Path(str(files("mlscaffold") / "histories"))
INDEX = HISTORIES / "index.json"
_RECORDED = re.compile(r"(?:^|[/\\])mlscaffold[/\\]templates[/\\](\w+)\.bundle$")


@dataclass(frozen=True)
class BuiltinTemplate:
    """A built-in template as described by the package's index."""

    name: str
    title: str
    description: str
    versions: tuple[str, ...]

    @property
    def version(self) -> str:
        return self.versions[-1]


@cache
def builtins() -> dict[str, BuiltinTemplate]:
    """The built-in templates, by name."""
    if not INDEX.is_file():
        return {}
    raw = json.loads(INDEX.read_text("utf-8"))
    return {
        name: BuiltinTemplate(
            name=name,
            title=entry["title"],
            description=entry["description"],
            versions=tuple(entry["versions"]),
        )
        for name, entry in sorted(raw.items())
    }


def data_dir() -> Path:
    """mlscaffold's data directory (platformdirs' user data dir, or a temporary one when that
    cannot be written)."""
    from ..userdirs import data_dir as user_data_dir

    return user_data_dir()


def installed_path(name: str) -> Path:
    """Where the history of built-in template ``name`` lives on this machine."""
    return data_dir() / "templates" / f"{name}.bundle"


def recorded_source(name: str) -> str:
    """The ``_src_path`` to record for built-in ``name``: the installed bundle, ``~``-relative."""
    path = installed_path(name)
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except (ValueError, RuntimeError):  # outside the home folder, or there is none
        return path.as_posix()


def builtin_from_source(src_path: str) -> str | None:
    """The built-in template name a recorded ``_src_path`` refers to, on whatever machine it was."""
    match = _RECORDED.search(src_path.strip())
    return match.group(1) if match and match.group(1) in builtins() else None


def _tags(bundle: Path) -> set[str]:
    heads = git("bundle", "list-heads", str(bundle), check=False)
    return {line.split()[1] for line in heads.splitlines() if " refs/tags/" in line}


def install(name: str) -> Path:
    """Copy the packaged history of ``name`` to the data directory unless it is already there.

    An installed history is replaced only by one that contains all of its versions, so going back
    to an older mlscaffold never hides template versions that projects may already record; when
    each holds versions the other lacks (an installed development build, say), the two are
    joined, so the packaged versions can be used and none of the installed ones is lost.
    """
    packaged, target = HISTORIES / f"{name}.bundle", installed_path(name)
    source = packaged
    with tempfile.TemporaryDirectory() as work:
        if target.is_file():
            if target.read_bytes() == packaged.read_bytes():
                return target
            have, new = _tags(target), _tags(packaged)
            if new <= have:
                return target
            if not have <= new:  # both hold versions the other lacks: keep them all
                source = _union(target, packaged, Path(work))
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        shutil.copyfile(source, partial)
        partial.replace(target)
    return target


def _union(installed: Path, packaged: Path, work: Path) -> Path:
    """A bundle with every version of both histories: the packaged one's branch and new tags,
    and the installed one's tags (a version a project may record never changes)."""
    repo, bundle = work / "union.git", work / "union.bundle"
    git("init", "--quiet", "--bare", str(repo))
    git("fetch", "--quiet", "--", str(installed), "refs/tags/*:refs/tags/*", cwd=repo)
    git("fetch", "--quiet", "--", str(packaged), "refs/heads/*:refs/heads/*", cwd=repo)
    git("fetch", "--quiet", "--", str(packaged), "refs/tags/*:refs/tags/*", cwd=repo, check=False)
    git("bundle", "create", "--quiet", str(bundle), "--all", cwd=repo)
    return bundle


def checkout(name: str, version: str) -> Path:
    """A plain copy of ``version`` of built-in ``name``, extracted once and kept (versions never
    change), so rendering needs no clone of the history."""
    check_version(version, f"version of {name}")  # it names a folder: no "..", no option
    target = installed_path(name).with_suffix("") / version
    if (target / "copier.yml").is_file():
        return target
    bundle = install(name)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as work:
        clone = Path(work) / version
        git("clone", "--quiet", "--branch", version, "--", str(bundle), str(clone))
        shutil.rmtree(clone / ".git")
        try:
            clone.rename(target)
        except OSError:  # another process extracted it first
            if not (target / "copier.yml").is_file():
                raise
    return target


def render_args(name: str, version: str) -> dict[str, Any]:
    """How to render ``version`` of built-in ``name``: from its extracted copy, recording the
    installed history (keyword arguments of ``render.copier_render`` and ``render.generate``)."""
    return {"src_path": str(checkout(name, version)), "record_as": (recorded_source(name), version)}
