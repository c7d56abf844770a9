"""The tool's own house: version, licence, changelog; hints for mistyped names and for prompts
that cannot be answered."""

from __future__ import annotations

import os
import pty
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

from click.testing import CliRunner

from mlscaffold import __version__
from mlscaffold.cli import cli

from .conftest import REPO


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), input=input)


def test_the_version_is_the_newest_in_the_changelog_and_the_house_is_complete() -> None:
    released = re.findall(r"^## (\d[\w.]*)", (REPO / "CHANGELOG.md").read_text(), re.MULTILINE)
    assert released[0] == __version__ != "0.1.0"
    assert "MIT License" in (REPO / "LICENSE").read_text()
    assert "## Set up" in (REPO / "CONTRIBUTING.md").read_text()


def test_a_mistyped_command_gets_a_suggestion() -> None:
    result = run("chek")
    assert result.exit_code == 2 and "Did you mean 'check'?" in result.output
    assert "Did you mean 'export'?" in run("template", "exprt").output


def test_a_mistyped_template_gets_a_suggestion(tmp_path: Path) -> None:
    result = run("new", "recomender", str(tmp_path / "p"), "--defaults")
    assert result.exit_code == 1
    assert "did you mean 'recommender'?" in result.output
    assert "Traceback" not in result.output and not (tmp_path / "p").exists()


def test_a_prompt_without_a_terminal_says_to_pass_defaults(tmp_path: Path) -> None:
    result = run("new", "recommender", str(tmp_path / "p"), input="")
    assert result.exit_code == 1
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: no answer to 'project_name': the input is not a terminal")
    assert "--defaults" in last and last.endswith("nothing was written")
    assert "Abort" not in result.output and list(tmp_path.iterdir()) == []


def test_ctrl_c_at_a_prompt_says_nothing_was_written(tmp_path: Path) -> None:
    """A real terminal (a pseudo-terminal), the prompt shown, then SIGINT as Ctrl-C sends it."""
    controller, terminal = pty.openpty()
    dest = tmp_path / "p"
    process = subprocess.Popen(
        [sys.executable, "-m", "mlscaffold", "new", "recommender", str(dest)],
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        env={**os.environ, "NO_COLOR": "1"},
    )
    os.close(terminal)
    shown = b""
    deadline = time.monotonic() + 60
    while b"Project name" not in shown and time.monotonic() < deadline:
        shown += os.read(controller, 4096)
    time.sleep(0.5)  # a person reads the prompt first (a signal while readline starts is lost)
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=30) == 1
    try:
        while chunk := os.read(controller, 4096):
            shown += chunk
    except OSError:  # the terminal closed with the process
        pass
    os.close(controller)
    text = shown.decode(errors="replace")
    assert "Error: interrupted at a question; nothing was written" in text, text
    assert "Abort" not in text and not dest.exists()


def test_the_readmes_shell_completion_lines_produce_completion_scripts() -> None:
    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Shell completion") :]
    found = re.findall(r"_MLSCAFFOLD_COMPLETE=(\w+)_source mlscaffold", section.split("\n## ")[0])
    assert found == ["bash", "zsh", "fish"]
    command = Path(sys.executable).with_name("mlscaffold")  # the console script
    for shell in found:
        env = {**os.environ, "_MLSCAFFOLD_COMPLETE": f"{shell}_source"}
        script = subprocess.run([command], env=env, capture_output=True, text=True, check=True)
        assert "_MLSCAFFOLD_COMPLETE" in script.stdout and "complete" in script.stdout
