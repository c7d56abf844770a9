"""The generated projects' weekly template check (.github/scripts/template-check.sh): it fails
only when the template is behind, and warns how to fix anything else."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from mlscaffold.generate import toolsource

from .conftest import TEMPLATES
from .test_update_builtin import NAME, Release, mlscaffold_release  # noqa: F401 (a fixture)
from .test_update_pr import OPT_IN
from .updatekit import cli_run, isolate
from .updatekit import release as tag_release

SCRIPT = TEMPLATES / "_shared/project/.github/scripts/template-check.sh"
BROKEN = "no-such-distribution-anywhere"
FAKE_UVX = f"""#!/bin/sh
# uvx --from SOURCE mlscaffold ARGS: the mlscaffold under test, or an install that fails
if [ "$2" = "{BROKEN}" ]; then echo "error: no version of {BROKEN} found" >&2; exit 2; fi
shift 3
exec "{sys.executable}" -m mlscaffold "$@"
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project on 0.1.0 of a git template."""
    isolate(tmp_path / "home", monkeypatch)
    template = tag_release(tmp_path / "tpl", "0.1.0", {"a.txt": "a\n"}, {})
    assert cli_run("new", template, tmp_path / "p", "--defaults").exit_code == 0
    return tmp_path / "p"


def check(project: Path, source: str | None, recorded: str | None = None):
    fake = project.parent / "uvx"
    fake.write_text(FAKE_UVX)
    fake.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLSCAFFOLD_")}
    env["UVX"] = str(fake)
    for key, value in (("MLSCAFFOLD_SOURCE", source), ("MLSCAFFOLD_RECORDED_SOURCE", recorded)):
        if value is not None:
            env[key] = value
    return subprocess.run(
        ["sh", str(SCRIPT)], cwd=project, env=env, capture_output=True, text=True, check=False
    )


def test_up_to_date_passes_quietly(project: Path) -> None:
    result = check(project, None, recorded="mlscaffold-cli")
    assert result.returncode == 0, result.stderr
    assert '"state": "up to date"' in result.stdout and "::" not in result.stdout


def test_behind_is_the_only_failure(project: Path, tmp_path: Path) -> None:
    tag_release(tmp_path / "tpl", "0.2.0", {"a.txt": "b\n"}, {})
    result = check(project, "mlscaffold-cli")
    assert result.returncode == 1
    assert "::error title=Template behind::" in result.stdout


@pytest.mark.parametrize(("source", "recorded"), [(None, None), ("", BROKEN), (None, BROKEN)])
def test_no_way_to_install_warns_how_to_fix_it_and_passes(
    project: Path, source: str | None, recorded: str | None
) -> None:
    result = check(project, source, recorded)
    assert result.returncode == 0
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("::warning")]
    assert "set the repository variable MLSCAFFOLD_SOURCE" in line
    if recorded:
        assert f"cannot install mlscaffold from '{BROKEN}' (error: no version of" in line


def test_the_repository_variable_wins_over_the_recorded_source(
    project: Path, tmp_path: Path
) -> None:
    tag_release(tmp_path / "tpl", "0.2.0", {"a.txt": "b\n"}, {})
    assert check(project, "mlscaffold-cli", recorded=BROKEN).returncode == 1


def test_a_template_that_cannot_be_read_warns_and_passes(project: Path, tmp_path: Path) -> None:
    (tmp_path / "tpl").rename(tmp_path / "moved")
    result = check(project, "mlscaffold-cli")
    assert result.returncode == 0
    assert "::warning title=Template check skipped::mlscaffold could not check" in result.stdout
    assert "does not exist here" in result.stdout


def test_generated_ci_records_the_source_and_runs_the_script(
    mlscaffold_release: Release,  # noqa: F811
    tmp_path: Path,
) -> None:
    mlscaffold_release.publish({"NOTES.md": "x\n"})  # this checkout's templates, released
    dest = tmp_path / "p"
    source = "git+https://example.org/team/mlscaffold"
    result = cli_run("new", NAME, dest, "--defaults", "--data", f"mlscaffold_source={source}")
    assert result.exit_code == 0, result.output
    job = yaml.safe_load((dest / ".github/workflows/ci.yml").read_text())["jobs"][
        "template-version"
    ]
    (step,) = [s for s in job["steps"] if "run" in s]
    assert step["run"] == "sh .github/scripts/template-check.sh"
    assert step["env"] == {
        "MLSCAFFOLD_SOURCE": "${{ vars.MLSCAFFOLD_SOURCE }}",
        "MLSCAFFOLD_RECORDED_SOURCE": source,
    }
    assert (dest / ".github/scripts/template-check.sh").read_bytes() == SCRIPT.read_bytes()
    assert not (dest / ".github/workflows/template-update.yml").exists()  # opt-in, default off

    opted = tmp_path / "opted"
    result = cli_run("new", NAME, opted, "--defaults", "--data", "update_pull_requests=true")
    assert result.exit_code == 0, result.output
    workflow = yaml.safe_load((opted / ".github/workflows/template-update.yml").read_text())
    (step,) = [s for s in workflow["jobs"]["update"]["steps"] if "run" in s]
    assert step["run"].endswith("sh .github/scripts/template-update-pr.sh\n")
    assert step["env"]["GH_TOKEN"] == "${{ github.token }}"
    assert workflow["permissions"] == {"contents": "write", "pull-requests": "write"}
    shipped = opted / ".github/scripts/template-update-pr.sh"
    assert shipped.read_bytes() == (SCRIPT.parent / OPT_IN).read_bytes()


class _Installed:
    """An installed distribution whose direct_url.json (PEP 610) says ``text``."""

    def __init__(self, text: str | None) -> None:
        self.text = text

    def read_text(self, name: str) -> str | None:
        return self.text if name == "direct_url.json" else None


@pytest.mark.parametrize(
    ("direct_url", "expected"),
    [
        (
            '{"url": "https://github.com/team/mlscaffold", "vcs_info": {"vcs": "git", '
            '"commit_id": "abc"}}',
            "git+https://github.com/team/mlscaffold",
        ),
        ('{"url": "file:///home/me/mlscaffold", "dir_info": {}}', "mlscaffold-cli"),
        ('{"url": "file:///home/me/mlscaffold", "vcs_info": {"vcs": "git"}}', "mlscaffold-cli"),
        (None, "mlscaffold-cli"),  # installed from the package index
    ],
)
def test_the_recorded_source_is_where_this_mlscaffold_came_from(
    monkeypatch: pytest.MonkeyPatch, direct_url: str | None, expected: str
) -> None:
    import importlib.metadata

    monkeypatch.setattr(importlib.metadata, "distribution", lambda name: _Installed(direct_url))
    assert toolsource.requirement() == expected
