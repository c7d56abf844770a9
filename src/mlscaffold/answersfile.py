"""Where a project keeps copier's answers: ``.copier-answers.yml``, or the template's own
``_answers_file`` (found as the YAML file that records ``_src_path``)."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

DEFAULT = ".copier-answers.yml"
_MAX_BYTES = 1_000_000


def _records_template(path: Path) -> bool:
    try:
        if path.stat().st_size > _MAX_BYTES:
            return False
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    return any(line.startswith("_src_path:") for line in text.splitlines())


def find(folder: Path, names: Iterable[str] | None = None) -> str:
    """The answers file of ``folder`` (relative path): the default one when it exists, else the
    first of ``names`` (default: every YAML file in the folder) that records ``_src_path``.
    The default name is returned when there is none, so errors name the usual file."""
    if (folder / DEFAULT).is_file():
        return DEFAULT
    if names is None:
        names = (
            p.relative_to(folder).as_posix()
            for pattern in ("*.yml", "*.yaml")
            for p in folder.rglob(pattern)
            if ".git" not in p.relative_to(folder).parts
        )
    found = sorted(n for n in names if n.endswith((".yml", ".yaml")))
    return next((n for n in found if _records_template(folder / n)), DEFAULT)


def find_all(folder: Path, names: Iterable[str]) -> list[str]:
    """Every answers file of ``folder`` among ``names`` (relative paths): the default one when it
    exists, then the others that record ``_src_path`` (one per template applied, copier's
    ``--answers-file`` convention); ``[DEFAULT]`` when there is none, so errors name the usual
    file."""
    found = sorted(
        n
        for n in set(names)
        if n != DEFAULT and n.endswith((".yml", ".yaml")) and _records_template(folder / n)
    )
    if (folder / DEFAULT).is_file() or not found:
        found.insert(0, DEFAULT)
    return found
