"""What mlscaffold refuses from sources it does not trust: templates, answers files, the config.

Without ``--trust`` a render may not contain a ``.git`` path (any case: git's own folder runs
hooks and ``core.fsmonitor`` commands, and a ``.git`` file redirects commits into another
repository) nor a symlink leading out of the project. Template sources and versions read from
files are checked before they reach git, so no value can become a git option (``--upload-pack``)
or a command-running transport (``ext::``, ``fd::``).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

# Options for git commands run on rendered files: no fsmonitor command, no hooks.
GIT_UNTRUSTED_TREE = ("-c", "core.fsmonitor=false", "-c", f"core.hooksPath={os.devnull}")
# ... and for git commands given rendered (or user-chosen) paths: each taken literally, so no name
# that looks like a glob (``m*``) can reach the user's other files.
GIT_UNTRUSTED_PATHS = (*GIT_UNTRUSTED_TREE, "--literal-pathspecs")

_SCHEMES = {"file", "https", "ssh", "git+file", "git+https", "git+ssh", "ssh+git"}
_TRANSPORT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9+.-]*::")  # git's <transport>::<address>
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_SCP = re.compile(r"^(?:(?P<user>[^@/:]+)@)?(?P<host>[^@/:]+):(?!//)")  # [user@]host:path
_HOST = re.compile(r"^(?:[A-Za-z0-9_][A-Za-z0-9._-]*|\[[0-9A-Fa-f:.]+\])$")
_VERSION = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._+/-]*$")


class RefusedError(ValueError):
    """Something from an untrusted source was refused; the message says what and why."""


def _is_git_name(name: str) -> bool:
    # Case-insensitive file systems (macOS, Windows) read .GIT as .git; NTFS drops trailing
    # dots and spaces, so ".git." is ".git" there too.
    return name.rstrip(". ").lower() == ".git"


def _escapes(root: Path, link: Path) -> bool:
    """Whether symlink ``link`` (inside ``root``) leads outside ``root``, by its text or by
    where it resolves now."""
    target = os.readlink(link)
    if os.path.isabs(target):
        lexical = os.path.normpath(target)
    else:
        lexical = os.path.normpath(os.path.join(os.path.dirname(link), target))
    real_root = os.path.realpath(root)
    inside = (os.path.normpath(root), real_root)
    resolved = os.path.realpath(link)
    return not any(_within(lexical, r) for r in inside) or not _within(resolved, real_root)


def _within(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def check_render(root: Path, trust: bool) -> None:
    """Refuse (RefusedError) a render in ``root`` holding a ``.git`` path or a symlink leading
    outside ``root``, unless ``trust``."""
    if trust:
        return
    hint = "nothing was written; pass --trust only if you trust the template's author"
    for dirpath, dirnames, filenames in os.walk(root):
        for name in sorted(dirnames + filenames):
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            if _is_git_name(name):
                inner = sorted(p for p in path.rglob("*") if not p.is_dir())
                shown = inner[0].relative_to(root).as_posix() if inner else rel
                raise RefusedError(
                    f"refused: the template renders {shown}, a git control path (hooks and "
                    "settings there run commands; a .git file redirects commits to another "
                    f"repository); {hint}"
                )
            if path.is_symlink() and _escapes(root, path):
                raise RefusedError(
                    f"refused: the template makes a symlink {rel} -> {os.readlink(path)} that "
                    f"leads outside the project; {hint}"
                )


def check_source(value: str, what: str) -> str:
    """``value`` if it is a template location mlscaffold hands to git and copier: a local path,
    ``file://``, ``https://``, ``ssh://``, scp-style ``user@host:path`` or copier's ``gh:``/
    ``gl:``; RefusedError (naming ``what``, where it came from) otherwise."""

    def refuse(why: str) -> RefusedError:
        return RefusedError(f"refused {what} {value!r}: {why}")

    if not value.strip() or any(ord(c) < 32 or ord(c) == 127 for c in value):
        raise refuse("empty, or holds control characters")
    if value.startswith("-"):
        raise refuse("it starts with '-', so git would read it as an option")
    if value.startswith(("gh:", "gl:")):
        rest = value[3:].lstrip("/")
        if rest.startswith("-") or not rest:
            raise refuse("not a gh:owner/repo or gl:owner/repo shortcut")
        return value
    if _TRANSPORT.match(value):
        raise refuse("git's <transport>:: forms (ext::, fd::, ...) can run commands")
    if scheme := _SCHEME.match(value):
        name = scheme.group(1).lower()
        if name not in _SCHEMES:
            raise refuse(f"{name}:// is not allowed; use a local path, file://, https:// or ssh://")
        parts = urlsplit(value)
        if (parts.username or "").startswith("-") or (parts.hostname or "").startswith("-"):
            raise refuse("a user or host name starting with '-' would reach ssh as an option")
        return value
    if (scp := _SCP.match(value)) and not os.path.exists(value):
        user, host = scp.group("user") or "", scp.group("host")
        if user.startswith("-") or not _HOST.match(host):
            raise refuse("not a valid scp-style user@host:path (host names cannot start with '-')")
    return value


def check_version(value: str, what: str) -> str:
    """``value`` if it is a plain version or tag name (no option, no ``..``, no control
    characters); RefusedError naming ``what`` otherwise."""
    if not _VERSION.match(value) or ".." in value or value.endswith("/"):
        raise RefusedError(
            f"refused {what} {value!r}: not a version or tag name (letters, digits, '.', '_', "
            "'+', '-', '/'; not starting with '-')"
        )
    return value
