"""Making templates your own: export a built-in one with its history, register custom ones."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

from .. import config, safety
from ..gitutil import git
from . import history
from .catalog import is_url

REMOTE = "upstream"
_ALIAS = re.compile(r"^[A-Za-z][\w.-]*$")


CREATED, FETCHED, REPAIRED = "created", "fetched", "repaired"


def _first_release(bundle: Path) -> str:
    """The commit of the oldest release in a built-in's history: every export, and every clone
    of one (a colleague's, from the hosted copy), has it."""
    with tempfile.TemporaryDirectory(prefix="mlscaffold-") as tmp:
        git("clone", "--quiet", "--bare", "--", str(bundle), tmp)
        return git("rev-list", "--max-parents=0", "HEAD", cwd=Path(tmp)).split()[0]


def _check_export(name: str, dest: Path, bundle: Path) -> None:
    """Refuse a ``dest`` that is no clone of an export of ``name``, or whose ``upstream`` remote
    is someone else's (a fork's upstream, say): nothing of it is changed."""
    if git("rev-parse", "--is-shallow-repository", cwd=dest) == "true":
        raise ValueError(f"{dest} is a shallow clone: run `git fetch --unshallow` there first")
    first = _first_release(bundle)
    if not git("cat-file", "-t", f"{first}^{{commit}}", cwd=dest, check=False):
        raise ValueError(
            f"{dest} is a git repository but not an export of {name} (its history has none of "
            f"{name}'s releases)"
        )
    url = git("remote", "get-url", REMOTE, cwd=dest, check=False)
    if url and history.builtin_from_source(url) != name:
        raise ValueError(
            f"the remote {REMOTE} of {dest} is {url}, not mlscaffold's history of {name}; rename "
            f"it (`git remote rename {REMOTE} OTHER`) and export again"
        )


def export(name: str, dest: Path) -> str:
    """Clone built-in template ``name``, with all its tagged versions, into the new folder ``dest``,
    or refresh an existing export of it: the original folder or any clone of it.

    The clone's remote ``upstream`` is the installed history, which newer mlscaffold releases
    extend; it fetches no tags, so your own version tags stay the newest. In a clone (whose
    ``upstream`` is missing, or names the history's place on another machine) the remote is
    added or pointed here first. Returns CREATED, FETCHED or REPAIRED.
    """
    if name not in history.builtins():
        raise ValueError(
            f"no built-in template {name!r}: use one of {', '.join(history.builtins())}"
        )
    bundle = history.install(name)
    if dest.is_dir() and (dest / ".git").exists():
        _check_export(name, dest, bundle)
        url = git("remote", "get-url", REMOTE, cwd=dest, check=False)
        if not url:
            git("remote", "add", REMOTE, "--", str(bundle), cwd=dest)
        elif url != str(bundle):
            git("remote", "set-url", REMOTE, "--", str(bundle), cwd=dest)
        git("config", f"remote.{REMOTE}.tagOpt", "--no-tags", cwd=dest)
        git("fetch", "--quiet", REMOTE, cwd=dest)
        return FETCHED if url == str(bundle) else REPAIRED
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ValueError(f"{dest} already exists and is not an empty folder or an export of {name}")
    git("clone", "--quiet", "--origin", REMOTE, "--", str(bundle), str(dest))
    git("config", f"remote.{REMOTE}.tagOpt", "--no-tags", cwd=dest)
    return CREATED


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
