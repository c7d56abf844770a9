"""What a template name on the command line means: built-in, alias, folder or git URL."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import config, safety
from . import history

_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*://|git@|gh:|gl:)|\.git/?$|\.bundle$")
_PATH_VARIABLE = re.compile(r"{{\s*(\w+)")


class UnknownTemplateError(ValueError):
    """The name given is no built-in template, alias, template folder or git URL."""


@dataclass(frozen=True)
class TemplateSource:
    """A template that can be rendered, and what mlscaffold knows of it before rendering."""

    name: str  # what the user called it
    src_path: str  # recorded in the project's answers file (and given to copier, but built-ins)
    trusted: bool  # built-in templates are; outside ones need --trust for tasks and extensions
    builtin: history.BuiltinTemplate | None = None
    local_dir: Path | None = None  # for built-ins, the extracted copy of the chosen version
    version: str | None = None  # for built-ins, the chosen version
    path_keys: frozenset[str] = field(default_factory=frozenset)
    fixed_args: dict[str, Any] | None = None  # how to render it, when ``prepare`` worked it out
    notes: tuple[str, ...] = ()  # what the user should know about what is recorded

    def questions_text(self) -> str | None:
        """The template's copier.yml, when it can be read without fetching anything."""
        if self.local_dir:
            for candidate in ("copier.yml", "copier.yaml"):
                if (self.local_dir / candidate).is_file():
                    return (self.local_dir / candidate).read_text("utf-8")
        return None

    def render_args(self, vcs_ref: str | None) -> dict[str, Any]:
        """Keyword arguments of ``render.generate`` that say what to render and what to record."""
        if self.fixed_args is not None:
            return dict(self.fixed_args)
        if self.builtin and self.version:
            return history.render_args(self.builtin.name, self.version)
        return {"src_path": self.src_path, "vcs_ref": vcs_ref}


def is_url(spec: str) -> bool:
    """Whether ``spec`` is a git URL (or a git bundle) rather than a folder or a name."""
    return bool(_URL.search(spec))


def template_path_keys(template_dir: Path) -> frozenset[str]:
    """Answers used in file or folder names of a template (they must be safe as path parts)."""
    names = {m for p in template_dir.rglob("*") for m in _PATH_VARIABLE.findall(p.name)}
    return frozenset(names - {"_copier_conf"})


def builtin(name: str, version: str | None = None) -> TemplateSource:
    """Version ``version`` (default: newest) of built-in template ``name``, ready to render."""
    template = history.builtins()[name]
    version = version or template.version
    if version not in template.versions:
        raise UnknownTemplateError(
            f"{name} has no version {version}; it has {', '.join(template.versions)}"
        )
    return TemplateSource(
        name=name,
        src_path=history.recorded_source(name),
        trusted=True,
        builtin=template,
        local_dir=history.checkout(name, version),
        version=version,
    )


def resolve(spec: str, version: str | None = None) -> TemplateSource:
    """The template ``spec`` names (``version`` picks a built-in's version)."""
    if spec in history.builtins():
        return builtin(spec, version)
    aliases = config.load()["templates"]
    name, spec = spec, aliases.get(spec, spec)
    safety.check_source(spec, f"template alias {name}" if name in aliases else "template")
    spec = spec.removeprefix("file://")  # copier takes local repositories as plain paths
    path = Path(spec).expanduser()
    if any((path / f).is_file() for f in ("copier.yml", "copier.yaml")):
        path = path.resolve()
        return TemplateSource(
            name=name,
            src_path=str(path),
            trusted=False,
            local_dir=path,
            path_keys=template_path_keys(path),
        )
    if is_url(spec):
        return TemplateSource(name=name, src_path=spec, trusted=False)
    if path.is_dir():
        raise UnknownTemplateError(f"{spec} is a folder but not a copier template (no copier.yml)")
    names = [*history.builtins(), *aliases]
    guess = difflib.get_close_matches(name, names, n=1)
    hint = f"did you mean {guess[0]!r}? " if guess else ""
    raise UnknownTemplateError(
        f"unknown template {name!r}: {hint}use one of {', '.join(names)}, a template folder or "
        "a git URL"
    )


def available() -> list[dict[str, str]]:
    """Built-in and registered templates, for ``mlscaffold list``."""
    rows = [
        {"name": t.name, "version": t.version, "description": t.description, "source": "built-in"}
        for t in history.builtins().values()
    ]
    rows += [
        {"name": alias, "version": "", "description": "", "source": source}
        for alias, source in sorted(config.load()["templates"].items())
    ]
    return rows
