"""copier's file rules, applied to the two renders of an update before they are merged.

- ``_skip_if_exists``: a matching file the project has is the user's; the renders get the
  project's copy, so the merge changes nothing there (copier never overwrites such a file).
- ``_exclude``: a path the new version excludes is no longer the template's; it is dropped from the
  old render too, so the merge leaves the project's copy as it is (never deleted).
"""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def _patterns(config: Mapping[str, Any], key: str, answers: Mapping[str, Any]) -> list[str]:
    from jinja2.sandbox import SandboxedEnvironment

    raw = config.get(key) or []
    env = SandboxedEnvironment(**(config.get("_envops") or {}))
    return [
        env.from_string(str(p)).render(dict(answers))
        for p in ([raw] if isinstance(raw, str) else raw)
    ]


def _files(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file() or p.is_symlink()
    )


def _read(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def _matcher(patterns: list[str]):
    import pathspec

    try:
        return pathspec.PathSpec.from_lines("gitignore", patterns).match_file
    except KeyError:  # pathspec before 1.0
        return pathspec.PathSpec.from_lines("gitwildmatch", patterns).match_file


def apply(
    config: Mapping[str, Any], answers: Mapping[str, Any], project: Path, old: Path, new: Path
) -> list[str]:
    """Apply the rules of the new version's ``config`` to renders ``old`` and ``new`` of the
    project at ``project``; return the ``_skip_if_exists`` files the template changed, which
    were left as the user has them."""
    kept = []
    if skip := _patterns(config, "_skip_if_exists", answers):
        matches = _matcher(skip)
        for name in sorted({*_files(old), *_files(new)}):
            mine = project / name
            if not matches(name) or not mine.is_file():
                continue
            before, after = (_read(render / name) for render in (old, new))
            if before != after and after != mine.read_bytes():  # the template changed it
                kept.append(name)
            for render in (old, new):
                (render / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(mine, render / name)
    if exclude := _patterns(config, "_exclude", answers):
        matches = _matcher(exclude)
        for name in _files(old):
            if matches(name) and not (new / name).exists():
                (old / name).unlink()
    return kept
