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
import unicodedata
from collections.abc import Iterable
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


# What a template mlscaffold does not trust may hold and render (--trust lifts the limits).
MAX_FILES = 5_000
MAX_FILE_BYTES = 10 * 2**20
MAX_TOTAL_BYTES = 100 * 2**20
_HINT = "nothing was written; pass --trust only if you trust the template's author"


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


def _size(count: int) -> str:
    return f"{count / 2**20:.0f} MiB"


def _check_sizes(sizes: Iterable[tuple[str, int]], what: str) -> None:
    """Refuse more than ``MAX_FILES`` files, a file over ``MAX_FILE_BYTES`` or more than
    ``MAX_TOTAL_BYTES`` in all, among ``sizes`` (path, bytes) of ``what``."""
    count = total = 0
    for rel, size in sizes:
        count, total = count + 1, total + size
        if size > MAX_FILE_BYTES:
            problem = f"{rel} is larger than {_size(MAX_FILE_BYTES)}"
        elif count > MAX_FILES:
            problem = f"it holds more than {MAX_FILES:,} files"
        elif total > MAX_TOTAL_BYTES:
            problem = f"it holds more than {_size(MAX_TOTAL_BYTES)}"
        else:
            continue
        raise RefusedError(
            f"refused: {what} is too big for a template you do not trust ({problem}); {_HINT}"
        )


def _collisions(names: Iterable[str]) -> list[tuple[str, str]]:
    """Pairs of ``names`` that name one file where case is ignored (macOS, Windows) or Unicode
    is normalised (macOS: ``café`` written as NFC or as NFD)."""
    seen: dict[str, str] = {}
    found = []
    for name in sorted(names):
        key = unicodedata.normalize("NFC", name).casefold()
        if key in seen:
            found.append((seen[key], name))
        else:
            seen[key] = name
    return found


def check_template_source(src_path: str, vcs_ref: str | None) -> None:
    """Refuse (RefusedError) a local template (a folder, or a git repository at ``vcs_ref``)
    with too many or too big files before copier reads them; a remote one is checked as rendered
    (``check_render``)."""
    from .gitutil import GitError, git

    folder = Path(src_path).expanduser()
    if not folder.is_dir():
        return
    try:
        listed = git("ls-tree", "-r", "-l", "-z", "--full-tree", vcs_ref or "HEAD", cwd=folder)
        in_git = git("rev-parse", "--show-toplevel", cwd=folder, check=False)
    except GitError:
        listed, in_git = "", ""
    if in_git and Path(in_git).resolve() == folder.resolve():
        entries = (line.split("\t", 1) for line in listed.split("\0") if line)
        sizes = ((name, int(info.split()[3])) for info, name in entries if "blob" in info)
    else:
        sizes = (
            (str(Path(d, f).relative_to(folder)), Path(d, f).lstat().st_size)
            for d, _, files in os.walk(folder)
            for f in files
        )
    _check_sizes(sizes, f"the template {src_path}")


def check_render(root: Path, trust: bool) -> list[str]:
    """Refuse (RefusedError) a render in ``root`` holding a ``.git`` path, a symlink leading
    outside ``root``, names that collide on case-insensitive or normalising file systems, or too
    many or too big files, unless ``trust``; with ``trust``, return warnings about collisions."""
    names = [
        Path(d, n).relative_to(root).as_posix() for d, ds, fs in os.walk(root) for n in ds + fs
    ]
    collisions = [f"{a} and {b}" for a, b in _collisions(names)]
    if trust:
        return [
            f"{pair} are one file on case-insensitive or Unicode-normalising file systems "
            "(macOS, Windows): only one of them survives a checkout there"
            for pair in collisions
        ]
    hint = _HINT
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
    if collisions:
        raise RefusedError(
            f"refused: the template renders {collisions[0]}, which are one file on "
            f"case-insensitive or Unicode-normalising file systems (macOS, Windows); {hint}"
        )
    files = (Path(d, f) for d, _, fs in os.walk(root) for f in fs)
    _check_sizes(((p.relative_to(root).as_posix(), p.lstat().st_size) for p in files), "the render")
    return []


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
