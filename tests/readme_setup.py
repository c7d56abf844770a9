"""The set-up commands of README.md's "Set up" section, read from the README itself, so the
tests that run them (tests/e2e/test_readme_setup.py) and check them (tests/test_readme_setup.py)
follow the README and it cannot drift from what works."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .conftest import REPO

URL_PLACEHOLDER = "<repository URL>"
_BLOCK = re.compile(r"^```console\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class SetUp:
    clone: str  # how to get the source
    installs: dict[str, list[str]]  # "uv", "pipx", "venv": [install command, main command]
    checkout: str  # the contributor's one line, run inside the checkout


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n{heading}")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else len(text)]


def read(readme: Path = REPO / "README.md") -> SetUp:
    """The README's set-up commands (comments after ``#`` dropped)."""
    section = _section(readme.read_text("utf-8"), "## Set up")
    blocks = [
        [line.split("  #")[0].strip() for line in block.strip().splitlines()]
        for block in _BLOCK.findall(section)
    ]
    clone = next(b[0] for b in blocks if b[0].startswith("git clone "))
    checkout = next(b[0] for b in blocks if "pip install -e ." in b[0])
    kinds = {"uv tool install": "uv", "pipx install": "pipx", "python3 -m venv": "venv"}
    installs = {
        kind: block
        for block in blocks
        for prefix, kind in kinds.items()
        if block[0].startswith(prefix) and len(block) == 2
    }
    return SetUp(clone, installs, checkout)
