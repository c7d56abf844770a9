"""Templates that extend another template: ``_extends: image_classifier@0.4`` in copier.yml.

An extension is rendered from a plain copier template (``materialise``) written once per (extension
version, base versions) into the data directory: the base's files overlaid with the extension's
(a file rendering to the same name replaces the base's), and the base's copier.yml with the
extension's questions and settings merged over it. ``@0.4`` means the newest 0.4.x (any PEP 440
specifier works: ``@>=0.4,<0.6``; none: the newest release), so a project follows a base release
without a new extension release; the versions used are recorded as ``_bases`` in its answers file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .. import config, safety
from ..answersfile import DEFAULT as ANSWERS_FILE
from ..sources import history, hosted
from ..sources.catalog import is_url
from ..sources.origin import Origin, from_source
from . import materialise
from .materialise import CompositionError

KEY = "_extends"  # in a template's copier.yml
RECORD = "_bases"  # in a project's answers file: the bases rendered, nearest first
MAX_BASES = 4


@dataclass(frozen=True)
class Base:
    """A base template as a project records it: its source and the version rendered."""

    src: str
    commit: str


def split_spec(value: str) -> tuple[str, str | None]:
    """``SOURCE@SPEC`` as (SOURCE, SPEC); SPEC is None when there is no version part (an ``@``
    in ``git@host:path`` or ``ssh://git@host/path`` is part of the source)."""
    source, at, spec = value.rpartition("@")
    if at and source and spec and not any(c in spec for c in "/:"):
        return source, spec
    return value, None


def matching(versions: list[str], spec: str | None, what: str) -> list[str]:
    """The ``versions`` (oldest first) that ``spec`` allows: ``0.4`` is 0.4.x, ``0.4.2`` only
    0.4.2 (and its local versions), an operator starts a PEP 440 specifier set; final releases
    only, unless the specifier names a pre-release or there is nothing else."""
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    text = "" if spec is None else spec if spec[0] in "<>=!~" else f"=={spec}.*"
    try:
        allowed = SpecifierSet(text)
    except InvalidSpecifier:
        raise CompositionError(
            f"{what}: {spec!r} is no version (0.4, 0.4.2) or PEP 440 specifier (>=0.4,<0.6)"
        ) from None
    return list(allowed.filter(versions))


def _base_origin(value: str, parent: Origin, known: Base | None) -> Origin:
    """The template an ``_extends`` value of ``parent`` names: a built-in, an alias of this
    machine, a folder (relative to a local ``parent``) or a git URL, checked like any source.
    A folder (or alias) that is not on this machine is the base the project recorded there
    (``known``): the template author's clone of a hosted base, recorded by its URL."""
    if value in history.builtins():
        history.install(value)
        return Origin(history.recorded_source(value), value, trusted=True, builtin=value)
    what = f"{KEY} of {parent.label}"
    source = config.load()["templates"].get(value, value)
    safety.check_source(source, what)
    if is_url(source) and not source.startswith("file://"):
        return Origin(source, source, trusted=False)
    path = Path(source.removeprefix("file://")).expanduser()
    if not path.is_absolute():
        anchor = Path(parent._location())
        if parent.builtin or not anchor.is_dir():
            raise CompositionError(f"{what}: the relative path {source} needs a local template")
        path = anchor / path
    if not path.is_dir() and known is not None:
        return from_source(known.src, RECORD)
    if not path.is_dir():
        raise CompositionError(f"{what}: {source} is not a template folder or git URL here")
    return Origin(str(path.resolve()), str(path.resolve()), trusted=False)


def _identity(source: Origin) -> str:
    return source.builtin or source._location()


def _record(source: Origin, version: str) -> str:
    """How a project records ``source``: a local clone of a hosted template by its URL."""
    location = Path(source._location())
    if source.builtin or not location.is_dir():
        return source.src_path
    return hosted.recorded_source(location, version)[0]


def newest(ext: Origin, text: str, known: tuple[Base, ...] = ()) -> tuple[Base, ...]:
    """The bases of the extension whose copier.yml is ``text``, each at the newest version its
    ``_extends`` allows; () when it extends nothing. Refuses cycles and chains over MAX_BASES.
    ``known``: the bases a project records (see ``_base_origin``)."""
    if KEY not in text:  # most templates: no need to read their copier.yml here
        return ()
    bases: list[Base] = []
    chain, parent = [_identity(ext)], ext
    settings = materialise.load_config(text, ext.label)
    while (value := settings.get(KEY)) is not None:
        if not isinstance(value, str) or not value.strip():
            raise CompositionError(f"{KEY} of {parent.label} must be a template, then @VERSION")
        source, spec = split_spec(value.strip())
        base = _base_origin(source, parent, known[len(bases)] if len(bases) < len(known) else None)
        chain.append(_identity(base))
        if chain[-1] in chain[:-1]:
            raise CompositionError(f"templates extend each other in a cycle: {' -> '.join(chain)}")
        if len(bases) == MAX_BASES:
            raise CompositionError(f"a chain of more than {MAX_BASES} bases: {' -> '.join(chain)}")
        versions = base.versions()
        allowed = matching(versions, spec, f"{KEY} of {parent.label}")
        if not allowed:
            raise CompositionError(
                f"{base.label} has no release matching {value.strip()!r} ({KEY} of "
                f"{parent.label}); it has {', '.join(versions) or 'no tagged versions'}"
            )
        layer = materialise.checkout(base, allowed[-1])
        bases.append(Base(_record(base, allowed[-1]), allowed[-1]))
        settings, parent = materialise.read_config(layer), base
    return tuple(bases)


def recorded(answers: Mapping[str, Any]) -> tuple[Base, ...]:
    """The bases a project's answers record (``_bases``), checked like ``_src_path``."""
    value = answers.get(RECORD) or []
    if not isinstance(value, list) or not all(
        isinstance(b, dict) and isinstance(b.get("src"), str) and b.get("commit") for b in value
    ):
        raise CompositionError(f"{RECORD} in {ANSWERS_FILE} is not a list of src and commit")
    bases = tuple(Base(b["src"], str(b["commit"])) for b in value)
    for base in bases:
        safety.check_source(base.src, f"{RECORD} in {ANSWERS_FILE}")
        safety.check_version(base.commit, f"{RECORD} in {ANSWERS_FILE}")
    return bases


def label(version: str | None, bases: tuple[Base, ...]) -> str:
    """``1.0.0 (image_classifier 0.4.1)``: an extension's version with its bases'."""
    shown = ", ".join(f"{history.builtin_from_source(b.src) or b.src} {b.commit}" for b in bases)
    return f"{version or 'unversioned'} ({shown})" if bases else str(version)


def _template(ext: Origin, version: str | None, bases: tuple[Base, ...]) -> Path:
    sources = [(from_source(base.src, RECORD), base.commit) for base in bases]
    return materialise.template((ext, version), sources)


def render_args(
    ext: Origin, version: str | None, bases: tuple[Base, ...], record: str
) -> dict[str, Any]:
    """Keyword arguments of ``render.copier_render``/``generate`` that render ``version`` of
    ``ext`` (None: its local folder as it is) over ``bases`` and record it as ``record`` with
    its ``_bases``."""
    return {
        "src_path": str(_template(ext, version, bases)),
        "record_as": (record, version),
        "record_extra": {RECORD: [asdict(base) for base in bases]},
    }


def target_config(
    source: Origin, version: str, known: tuple[Base, ...]
) -> tuple[str, tuple[Base, ...]]:
    """The copier.yml of ``version`` of a project's template (composed over its bases when it
    extends a template) and those bases, each at the newest version the extension allows;
    ``known``: the bases the project records."""
    text = source.questions_text(version)
    if source.builtin:
        return text, ()
    bases = newest(source, text, known)
    if not bases:
        return text, ()
    return (_template(source, version, bases) / "copier.yml").read_text("utf-8"), bases
