"""Renders shared by the projects of one fleet run.

An update renders the project's recorded version with its answers, and the new version with the
new answers. Across a fleet of projects from one template most of these renders are the same, so
within ``shared()`` each distinct render is made once and every project gets its own copy (the
update changes its copy: ``_skip_if_exists`` files, the project's answers file).

A render is identified by everything it is made from: the template source, the version (a tag,
so its files never change), the answers, the answers file, whether the template is trusted, and
the project's folder name whenever the template can see it (``_folder_name``, ``_copier_conf``
other than its ``answers_file``, ``_external_data``, or Jinja extensions, which can see
anything). Renders run no tasks, so nothing else reaches them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..gitutil import GitError, git
from ..sources.origin import Origin

_SEES_FOLDER = re.compile(
    r"_folder_name|_jinja_extensions|_external_data|_copier_conf(?!\.answers_file\b)"
)


@dataclass
class Cache:
    """The renders made so far (key -> folder) and how often one was reused."""

    folder: Path
    renders: dict[tuple, Path] = field(default_factory=dict)
    sees_folder: dict[tuple, bool] = field(default_factory=dict)
    reused: int = 0


_ACTIVE: ContextVar[Cache | None] = ContextVar("render_cache", default=None)


@contextmanager
def shared() -> Iterator[Cache]:
    """Share renders within this block (and delete them after it)."""
    with tempfile.TemporaryDirectory(prefix="mlscaffold-renders-") as tmp:
        cache = Cache(Path(tmp))
        token = _ACTIVE.set(cache)
        try:
            yield cache
        finally:
            _ACTIVE.reset(token)


def _mentions_folder(texts: Iterable[str]) -> bool:
    return any(_SEES_FOLDER.search(text) for text in texts)


def _tree_texts(folder: Path) -> Iterator[str]:
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            yield name
        for name in filenames:
            try:
                yield Path(dirpath, name).read_text("utf-8")
            except (OSError, UnicodeDecodeError):
                continue


def sees_folder(source: Origin, version: str) -> bool:
    """Whether ``version`` of the template may render differently in folders of other names.

    Built-ins are read from their extracted copy, local git templates with ``git grep``; a remote
    template is assumed to (its renders are shared only between projects of the same name)."""
    from ..sources import history

    if source.builtin:
        return _mentions_folder(_tree_texts(history.checkout(source.builtin, version)))
    location = Path(source._location())
    if not location.is_dir():
        return True
    try:
        names = git("ls-tree", "-r", "--name-only", version, cwd=location)
        pattern = r"_folder_name|_jinja_extensions|_external_data|_copier_conf[.A-Za-z_]*"
        grep = ("grep", "-h", "-o", "-I", "-E", pattern, version, "--")
        found = git(*grep, cwd=location, check=False)
    except GitError:
        return True
    return _mentions_folder([names, *found.splitlines()])


def render(
    source: Origin,
    version: str,
    answers: Mapping[str, Any],
    answers_file: str,
    dest: Path,
    produce: Callable[[Path], object],
    layers: tuple = (),
) -> Path:
    """``produce(dest)``; within ``shared()`` a copy of the same render made earlier, if any.

    ``layers``: the base templates a composed template is rendered over (part of the key; their
    files are not searched for the folder name, so a composed render is keyed by it too)."""
    cache = _ACTIVE.get()
    if cache is None:
        produce(dest)
        return dest
    origin_key = (source.builtin or source._location(), version)
    if origin_key not in cache.sees_folder:
        cache.sees_folder[origin_key] = sees_folder(source, version)
    folder = dest.name if cache.sees_folder[origin_key] or layers else None
    data = json.dumps(dict(answers), sort_keys=True, default=str)
    key = (*origin_key, tuple(layers), source.trusted, answers_file, data, folder)
    made = cache.renders.get(key)
    if made is None:
        made = Path(tempfile.mkdtemp(dir=cache.folder)) / dest.name
        produce(made)
        cache.renders[key] = made
    else:
        cache.reused += 1
    shutil.copytree(made, dest, symlinks=True, dirs_exist_ok=True)
    return dest
