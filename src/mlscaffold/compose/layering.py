"""How the templates of a composition combine into one: copier.yml merged, files overlaid.

Written here rather than taken from a library: copier has no template inheritance (its issue
tracker discusses it, e.g. copier-org/copier#934, without a built-in answer), and the rules are
copier's own notions (settings, questions, the templates suffix).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

# Settings whose lists add up over the layers (the base's entries first); every other setting
# and question of a later layer replaces the earlier one (a question's keys are merged).
LISTS = ("_exclude", "_skip_if_exists", "_tasks", "_jinja_extensions", "_secret_questions")
DROPPED = ("_extends", "_migrations", "_subdirectory")  # a base's migrations are its own
_CONFIGS = ("copier.yml", "copier.yaml")


class LayeringError(ValueError):
    """The templates cannot be combined; the message says why."""


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _merge_question(base: Any, own: Any) -> Any:
    """An extension's question over the base's: its keys replace the base's; a plain value (copier's
    ``name: default`` shorthand) changes only the default."""
    if not isinstance(base, dict):
        return own
    return {**base, **(own if isinstance(own, dict) else {"default": own})}


def merge_configs(configs: list[dict[str, Any]], labels: list[str]) -> dict[str, Any]:
    """The copier.yml of ``configs`` (the deepest base first, the extension last) merged."""
    suffixes = {str(c.get("_templates_suffix", ".jinja")) for c in configs}
    if len(suffixes) > 1:
        raise LayeringError(
            f"{' and '.join(labels)} use different _templates_suffix values "
            f"({', '.join(sorted(suffixes))}); composition needs one"
        )
    merged: dict[str, Any] = {}
    for index, config in enumerate(configs):
        subdirectory = str(config.get("_subdirectory") or "")
        if "{" in subdirectory:
            raise LayeringError(f"{labels[index]}: composition needs a literal _subdirectory")
        last = index == len(configs) - 1
        for key, value in config.items():
            if key in DROPPED and not (last and key == "_migrations"):
                continue
            if key in LISTS:
                merged[key] = merged.get(key, []) + [
                    v for v in _as_list(value) if v not in merged.get(key, [])
                ]
            elif not key.startswith("_") and key in merged:
                merged[key] = _merge_question(merged[key], value)
            else:
                merged[key] = value
    return merged


def _rendered_names(rel: str, suffix: str) -> set[str]:
    """The template paths that render to the same file as ``rel`` (with and without suffix)."""
    stem = rel.removesuffix(suffix) if suffix else rel
    return {stem, stem + suffix}


def _clear(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def overlay(content: Path, out: Path, suffix: str, skip_config: bool) -> None:
    """Copy the template files under ``content`` into ``out``; a file replaces what renders to
    the same name there (``README.md`` replaces ``README.md.jinja``), a folder replaces a file.
    ``skip_config``: ``content`` is a template's root, whose copier.yml is no template file.
    Symlinks are copied as links (copier decides what to do with them, as for any template)."""
    for dirpath, dirnames, filenames in os.walk(content):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        rel_dir = here.relative_to(content)
        if (out / rel_dir).is_symlink() or (out / rel_dir).is_file():
            (out / rel_dir).unlink()  # a base file (or link) where this layer has a folder
        (out / rel_dir).mkdir(parents=True, exist_ok=True)
        links = [d for d in dirnames if (here / d).is_symlink()]
        dirnames[:] = [d for d in dirnames if d not in links]
        for name in sorted(filenames + links):
            rel = (rel_dir / name).as_posix()
            if skip_config and rel in _CONFIGS:
                continue
            for other in _rendered_names(rel, suffix):
                _clear(out / other)
            shutil.copy2(here / name, out / rel, follow_symlinks=False)
