"""Composed templates on disk: each template version as a plain copy, and the composition of
an extension over its bases as one plain copier template, written once per combination and kept
in the data directory (versions never change, so neither does their composition)."""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..gitutil import GitError, git
from ..sources import history
from ..sources.origin import Origin
from .layering import merge_configs, overlay

SUBDIRECTORY = "project"
_FORMAT = "1"  # bump when the layout of a composed template changes
_CONFIGS = ("copier.yml", "copier.yaml")


class CompositionError(ValueError):
    """A template's ``_extends`` cannot be resolved or composed; the message says why."""


@dataclass(frozen=True)
class _Layer:
    """One template of a composition: a plain copy of one version, and what identifies it."""

    origin: Origin
    folder: Path
    key: str


def load_config(text: str, label: str) -> dict[str, Any]:
    """A copier.yml's settings and questions (its YAML documents merged, as copier does)."""
    from ..untrusted import UntrustedYamlError, load_all

    try:
        docs = [doc or {} for doc in load_all(text, f"the copier.yml of {label}")]
    except UntrustedYamlError as exc:
        raise CompositionError(" ".join(str(exc).split())) from exc
    merged: dict[str, Any] = {}
    for doc in docs:
        if not isinstance(doc, dict):
            raise CompositionError(f"the copier.yml of {label} is not a mapping")
        merged.update(doc)
    return merged


def _cache() -> Path:
    return history.data_dir() / "compositions"


def checkout(source: Origin, version: str) -> _Layer:
    """A plain copy of ``version`` of ``source``, extracted once per commit and kept."""
    if source.builtin:
        folder = history.checkout(source.builtin, version)
        return _Layer(source, folder, f"b:{source.builtin}:{version}")
    sha = source.tags().get(version)
    if sha is None:
        raise CompositionError(f"{source.label} has no version {version}")
    target = _cache() / "checkouts" / sha
    if not any((target / name).is_file() for name in _CONFIGS):
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as work:
            clone = Path(work, "clone")
            try:
                shallow = ("--depth", "1", "--branch", version)
                git("clone", "--quiet", *shallow, "--", source._location(), str(clone))
            except GitError as exc:
                raise CompositionError(f"cannot fetch {source.label} {version}: {exc}") from exc
            shutil.rmtree(clone / ".git")
            _settle(clone, target)
    return _Layer(source, target, f"g:{sha}")


def _settle(work: Path, target: Path) -> None:
    """Move the finished ``work`` to ``target``, unless another process got there first."""
    try:
        work.rename(target)
    except OSError:
        if not target.is_dir():
            raise


def _worktree(source: Origin, folder: Path) -> _Layer:
    """An unversioned template folder (no git repository, or no tag) as it is now."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if ".git" not in p.relative_to(folder).parts):
        if path.is_file() and not path.is_symlink():
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes())
    return _Layer(source, folder, f"w:{digest.hexdigest()}")


def read_config(layer: _Layer) -> dict[str, Any]:
    for name in _CONFIGS:
        if (layer.folder / name).is_file():
            return load_config((layer.folder / name).read_text("utf-8"), layer.origin.label)
    raise CompositionError(f"{layer.origin.label} has no copier.yml")


def template(top: tuple[Origin, str | None], bases: list[tuple[Origin, str]]) -> Path:
    """The plain copier template of an extension (``top``: its source and version; None: its
    local folder as it is) over ``bases`` (nearest first)."""
    ext, version = top
    first = checkout(ext, version) if version else _worktree(ext, Path(ext._location()))
    layers = [first] + [checkout(source, v) for source, v in bases]
    key = "\n".join([_FORMAT, *(layer.key for layer in layers)])
    target = _cache() / "templates" / hashlib.sha256(key.encode()).hexdigest()[:32]
    if not (target / "copier.yml").is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=target.parent) as work:
            _settle(_compose(layers[::-1], Path(work, "t")), target)
    return target


def _compose(layers: list[_Layer], out: Path) -> Path:
    """Write ``layers`` (the deepest base first) into ``out`` as one plain copier template."""
    import yaml

    configs = [read_config(layer) for layer in layers]
    merged = merge_configs(configs, [layer.origin.label for layer in layers])
    suffix = merged.get("_templates_suffix", ".jinja")
    out.mkdir(parents=True)
    for layer, settings in zip(layers, configs, strict=True):
        sub = str(settings.get("_subdirectory") or "")
        overlay(layer.folder / sub, out / SUBDIRECTORY, suffix, skip_config=not sub)
        if sub and (layer.folder / "template.yml").is_file():
            shutil.copyfile(layer.folder / "template.yml", out / "template.yml")
    text = yaml.safe_dump({**merged, "_subdirectory": SUBDIRECTORY}, sort_keys=False)
    (out / "copier.yml").write_text(text, "utf-8")
    return out
