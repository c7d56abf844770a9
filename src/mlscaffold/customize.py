"""Making templates your own: export a built-in one with its history, register custom ones."""

from __future__ import annotations

import re
from pathlib import Path

from . import config, history, safety
from .catalog import is_url
from .gitutil import git

REMOTE = "upstream"
_ALIAS = re.compile(r"^[A-Za-z][\w.-]*$")


def export(name: str, dest: Path) -> bool:
    """Clone built-in template ``name``, with all its tagged versions, into the new folder ``dest``.

    The clone's remote ``upstream`` is the installed history, which newer mlscaffold releases
    extend; it fetches no tags, so your own version tags stay the newest. Exporting again into an
    existing export refreshes that history and fetches it. Returns whether ``dest`` was created.
    """
    if name not in history.builtins():
        raise ValueError(
            f"no built-in template {name!r}: use one of {', '.join(history.builtins())}"
        )
    bundle = str(history.install(name))
    upstream = git("remote", "get-url", REMOTE, cwd=dest, check=False) if dest.is_dir() else ""
    if (dest / ".git").is_dir() and upstream == bundle:
        git("fetch", "--quiet", REMOTE, cwd=dest)
        return False
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ValueError(f"{dest} already exists and is not an empty folder or an export of {name}")
    git("clone", "--quiet", "--origin", REMOTE, "--", bundle, str(dest))
    git("config", f"remote.{REMOTE}.tagOpt", "--no-tags", cwd=dest)
    return True


def add(alias: str, source: str) -> str:
    """Register ``source`` (a template folder or git URL) as ``alias`` in the user config."""
    if not _ALIAS.match(alias) or alias in history.builtins():
        raise ValueError(
            f"{alias!r} is not a valid alias: use letters, digits, '.', '_', '-' (no built-in name)"
        )
    safety.check_source(source, "template source")
    path = Path(source).expanduser()
    if path.is_dir():
        if not any((path / f).is_file() for f in ("copier.yml", "copier.yaml")):
            raise ValueError(f"{source} is a folder but not a copier template (no copier.yml)")
        source = str(path.resolve())
    elif not is_url(source):
        raise ValueError(f"{source} is neither a template folder nor a git URL")
    config.set_value(f"templates.{alias}", source)
    return source
