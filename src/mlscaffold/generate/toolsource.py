"""Where a generated project's CI installs mlscaffold from (its weekly template check, its update
pull requests): the git repository this mlscaffold was installed from, when it came from one,
else the distribution's name on the package index."""

from __future__ import annotations

import json

DISTRIBUTION = "mlscaffold-cli"


def requirement() -> str:
    """A pip requirement that installs the newest mlscaffold on a CI machine: ``git+URL`` of the
    repository this one was installed from (PEP 610's direct_url.json; no commit, so CI follows
    new releases), or ``mlscaffold-cli``. A local folder is no use on another machine."""
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        text = distribution(DISTRIBUTION).read_text("direct_url.json")
        info = json.loads(text) if text else {}
    except (PackageNotFoundError, ValueError, OSError):
        return DISTRIBUTION
    url = info.get("url", "")
    if info.get("vcs_info", {}).get("vcs") == "git" and not url.startswith("file:"):
        return f"git+{url}"
    return DISTRIBUTION
