"""The local part of an update pull request: the update committed on a branch of its own
(conflict markers included), and the pull request's description.

A scheduled workflow of the generated project (``.github/scripts/template-update-pr.sh``) runs
``mlscaffold update --defaults --pr-branch B --pr-body F``, pushes B and opens (or refreshes) one
pull request with F; only that last step needs GitHub.
"""

from __future__ import annotations

from ..gitutil import git, identity
from ..project import Project
from ..safety import GIT_UNTRUSTED_PATHS
from ..sources.changelog import Entry

BRANCH = "mlscaffold/template-update"
CONFLICT_HELP = (
    "These files are committed with conflict markers (`<<<<<<<`, `=======`, `>>>>>>>`) where the "
    "template's change meets yours: check out this branch, resolve them, and push before merging."
)

LOCK_NOTE = (
    "`uv.lock` was {done} by `uv lock` from `pyproject.toml`, not merged: its diff is machine-made."
)


def commit_on_branch(project: Project, branch: str, message: str) -> str:
    """Commit the update just made in ``project`` (its conflicts as they are, markers and all) on
    ``branch``, made afresh from the commit the update started from, so each run replaces the
    last one's branch; the new commit's id."""
    root = project.root
    git(*GIT_UNTRUSTED_PATHS, "add", "--all", "--", ".", cwd=root)  # resolves conflicts as is
    git("switch", "--quiet", "--force-create", branch, cwd=root)  # same commit: the changes stay
    author = identity("mlscaffold", "mlscaffold@localhost")
    git(*author, "commit", "--quiet", "--no-verify", "-m", message, "--", ".", cwd=root)
    return git("rev-parse", "HEAD", cwd=root)


def title(label: str, current: str, target: str) -> str:
    """The pull request's title (and the commit's subject)."""
    return f"Update template {label} {current} -> {target}"


def body(
    label: str,
    current: str,
    target: str,
    entries: list[Entry] | None,
    changes: list[tuple[str, str]],
    conflicts: list[str],
    lock: str | None = None,
) -> str:
    """The pull request's description, in Markdown: what the template's versions in between
    changed (their changelog sections), the conflicts to resolve, the files changed, and
    whether ``uv lock`` made uv.lock (``lock``: how, e.g. "regenerated"; None: it did not)."""
    parts = [
        f"# {title(label, current, target)}",
        f"`mlscaffold update --defaults` brought this project from {label} {current} to "
        f"{target}; your edits are kept.",
        "## What the template changed",
    ]
    if entries is None:
        parts.append(f"{label} keeps no CHANGELOG.md, so there is no summary of its changes.")
    for entry in entries or []:
        parts.append(f"### {entry.version}\n\n{entry.text}")
    if conflicts:
        parts.append(f"## Conflicts ({len(conflicts)})\n\n{CONFLICT_HELP}")
        parts.append("\n".join(f"- [ ] `{path}`" for path in conflicts))
    else:
        parts.append("## Conflicts\n\nNone: the template's changes merged cleanly.")
    if changes:
        listed = "\n".join(f"- {what} `{path}`" for what, path in changes)
        parts.append(f"## Files\n\n{listed}")
    if lock:
        parts.append(LOCK_NOTE.format(done=lock))
    return "\n\n".join(parts) + "\n"
