"""A thin wrapper over the git command line."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from functools import cache
from pathlib import Path

from .safety import GIT_UNTRUSTED_TREE


class GitError(RuntimeError):
    """A git command failed; the message is git's own error output."""


class GitMissingError(RuntimeError):
    """git is not on PATH (deliberately no GitError, so no caller mistakes it for a failed
    command such as "not a git repository")."""


# Every git call may use only the transports mlscaffold accepts for templates, whatever the user's
# config allows: no ext:: or fd:: (which run commands), no remote helpers.
_PROTECT_ENV = {"GIT_ALLOW_PROTOCOL": "file:https:ssh"}


def git(
    *args: str,
    cwd: Path | None = None,
    check: bool = True,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
) -> str:
    """Run ``git *args`` in ``cwd`` (with extra ``env`` variables, and ``input`` as its whole
    standard input); return its stdout, stripped."""
    # Without input nothing may wait for it (fd::0 would hang forever).
    feed = {"input": input} if input is not None else {"stdin": subprocess.DEVNULL}
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=cwd,
            **feed,
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, **_PROTECT_ENV, **(env or {})},
        )
    except FileNotFoundError as exc:
        raise GitMissingError("git is not installed (not found on PATH); install it") from exc
    if check and result.returncode != 0:
        raise GitError(_reason(result.stderr or result.stdout) or f"git {args[0]} failed")
    return result.stdout.strip()


# What git says after a failed fetch whatever the cause: the cause is on a line before it.
_ADVICE = (
    "fatal: Could not read from remote repository.",
    "Please make sure you have the correct access rights",
    "and the repository exists.",
)


def _reason(output: str) -> str:
    """git's error in one line: its first line that is neither a warning, a hint nor the advice
    a failed fetch ends with; else its last line."""
    lines = [line.strip() for line in output.strip().splitlines() if line.strip()]
    causes = (n for n in lines if not n.startswith(("warning:", "hint:")) and n not in _ADVICE)
    return next(causes, lines[-1] if lines else "")


def in_repository(folder: Path) -> bool:
    """Whether ``folder`` lies in a git work tree."""
    return bool(git("rev-parse", "--show-toplevel", cwd=folder, check=False))


@cache
def config() -> dict[str, str]:
    """git's configuration as seen from the current folder, read once per process (one ``git``
    run for all keys): each key (lower case) and its last value."""
    try:
        listed = git("config", "--list", "-z", check=False)
    except GitError:
        return {}
    entries = (entry.partition("\n") for entry in listed.split("\0") if entry)
    return {key.lower(): value.strip() for key, _, value in entries}


def config_value(key: str) -> str | None:
    """The value of a git configuration key such as ``user.name`` (no subsection), or None when
    it is unset or empty."""
    return config().get(key.lower()) or None


def commit_all(repo: Path, message: str, author_name: str, author_email: str) -> None:
    """Stage everything in ``repo`` and commit it; the author falls back to the given identity.

    The files are a template's, so git runs no fsmonitor command and no hook (``--no-verify``
    skips pre-commit and commit-msg only; post-commit would still run).
    """
    git(*GIT_UNTRUSTED_TREE, "add", "--all", cwd=repo)
    git(
        *identity(author_name, author_email),
        "commit",
        "--quiet",
        "--no-verify",
        "-m",
        message,
        cwd=repo,
    )


def identity(author_name: str, author_email: str) -> list[str]:
    """git options for committing a template's files: no fsmonitor command, no hooks, and the
    given author where git has none configured."""
    options: list[str] = [*GIT_UNTRUSTED_TREE]
    if not config_value("user.name"):
        options += ["-c", f"user.name={author_name}"]
    if not config_value("user.email"):
        options += ["-c", f"user.email={author_email}"]
    return options
