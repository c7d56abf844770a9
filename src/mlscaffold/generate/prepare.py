"""What ``mlscaffold new`` renders for a template folder or git URL, and what the project records.

Two cases need more than handing the source to copier: a template that extends another one
(``compose``: it is rendered from its composed copy), and a local clone of a hosted template,
which the project records by its ``origin`` URL (``hosted``), so it can be updated anywhere.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..compose import extends as compose
from ..compose import materialise
from ..sources import hosted
from ..sources.catalog import TemplateSource, template_path_keys
from ..sources.origin import Origin, OriginError


def _newest(source: Origin) -> str | None:
    """The newest release of ``source``; None when it has none (or is no git repository)."""
    try:
        return source.latest()
    except OriginError:
        return None


def _composed(
    source: TemplateSource,
    ext: Origin,
    version: str | None,
    text: str,
    record: str,
    notes: tuple[str, ...],
) -> TemplateSource | None:
    """``source`` rendered from its composition, or None when it extends nothing."""
    bases = compose.newest(ext, text)
    if not bases:
        return None
    args = compose.render_args(ext, version, bases, record)
    folder = Path(args["src_path"])
    return replace(
        source, local_dir=folder, path_keys=template_path_keys(folder), fixed_args=args, notes=notes
    )


def prepare(source: TemplateSource, vcs_ref: str | None) -> TemplateSource:
    """``source`` (a template from ``catalog.resolve``) ready for ``new``: a built-in as it is,
    a folder or URL template with no version to render as ``_unversioned`` says, and one at a
    version (``vcs_ref``, else its newest release) as ``_versioned`` says."""
    if source.builtin:
        return source
    ext = Origin(source.src_path, source.name, trusted=False)
    version = vcs_ref or _newest(ext)
    if version is None:
        return _unversioned(source, ext)
    return _versioned(source, ext, version)


def _unversioned(source: TemplateSource, ext: Origin) -> TemplateSource:
    """A folder without a release (rendered as it is) or a URL (copier's HEAD): composed over
    its bases when it extends a template, which only a local folder may do without a release."""
    text = source.questions_text() or ext.questions_text("HEAD")
    if compose.KEY not in text:
        return source
    if source.local_dir is None and compose.KEY in materialise.load_config(text, source.name):
        raise compose.CompositionError(
            f"{source.name} extends another template but has no tagged version; tag one"
        )
    return _composed(source, ext, None, text, source.src_path, ()) or source


def _versioned(source: TemplateSource, ext: Origin, version: str) -> TemplateSource:
    """``version`` of a folder or URL template, recorded as its hosted URL when it is a local
    clone of a hosted template (with a note saying so): composed over its bases when it extends
    a template, else rendered by copier at ``version``."""
    record, note = (source.src_path, None)
    if source.local_dir is not None:
        record, note = hosted.recorded_source(source.local_dir, version)
    notes = (note,) if note else ()
    composed = _composed(source, ext, version, ext.questions_text(version), record, notes)
    if composed is not None:
        return composed
    if record == source.src_path:
        return replace(source, notes=notes)
    args = {"src_path": source.src_path, "vcs_ref": version, "record_as": (record, version)}
    return replace(source, fixed_args=args, notes=notes)
