"""Update pull requests: `update --pr-branch --pr-body` and the generated project's weekly script
(.github/scripts/template-update-pr.sh), on real git repositories; only `gh` is a stand-in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlscaffold.gitutil import git

from .conftest import TEMPLATES
from .updatekit import cli_run, commit, isolate, lines, write
from .updatekit import release as tag_release

OPT_IN = "{% if update_pull_requests %}template-update-pr.sh{% endif %}"
SCRIPT = TEMPLATES / "_shared/project/.github/scripts" / OPT_IN
BRANCH = "mlscaffold/template-update"
FAKE_UVX = f"""#!/bin/sh
if [ "$2" = "broken" ]; then echo "error: not found" >&2; exit 2; fi
shift 3
exec "{sys.executable}" -m mlscaffold "$@"
"""
FAKE_GH = """#!/bin/sh
# gh stand-in: logs its arguments, keeps the body file, answers `pr list` from $GH_OPEN
echo "$*" >> "$GH_LOG"
prev=""
for arg in "$@"; do
  if [ "$prev" = "--body-file" ]; then cp "$arg" "$GH_LOG.body"; fi
  prev="$arg"
done
if [ "$1 $2" = "pr list" ]; then printf '%s\\n' "${GH_OPEN:-}"; fi
"""


def _release(template: Path, version: str, readme: str, log: str, extra: dict) -> None:
    write(template, {"CHANGELOG.md": log})
    tag_release(template, version, {"README.md": readme, **extra}, {})


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project on 0.1.0 whose user changed README line 3, pushed to a bare ``origin``; the
    template's 0.2.0 changes that line too and adds NEW.md."""
    isolate(tmp_path / "home", monkeypatch)
    template = tmp_path / "tpl"
    readme = lines("line")
    _release(template, "0.1.0", readme, "## 0.1.0\n\nBorn.\n", {})
    project = tmp_path / "p"
    assert cli_run("new", template, project, "--defaults").exit_code == 0
    write(project, {"README.md": readme.replace("line 3\n", "my line 3\n")})
    commit(project)
    git("clone", "--quiet", "--bare", str(project), str(tmp_path / "origin.git"))
    git("remote", "add", "origin", str(tmp_path / "origin.git"), cwd=project)
    log = "## 0.2.0\n\nGrew a NEW.md.\n\n- and more\n\n## 0.1.0\n\nBorn.\n"
    newer = readme.replace("line 3\n", "template line 3\n")
    _release(template, "0.2.0", newer, log, {"NEW.md": "new\n"})
    return project


def test_update_commits_conflicts_on_a_branch_and_writes_the_body(
    project: Path, tmp_path: Path
) -> None:
    start = git("rev-parse", "HEAD", cwd=project)
    body = tmp_path / "body.md"
    result = cli_run("update", project, "--defaults", "--pr-branch", BRANCH, "--pr-body", body)
    assert result.exit_code == 0, result.output  # the conflicts are committed, and listed
    assert git("branch", "--show-current", cwd=project) == BRANCH
    assert git("rev-parse", "HEAD^", cwd=project) == start
    assert git("status", "--porcelain", cwd=project) == ""
    committed = git("show", "HEAD:README.md", cwd=project)
    assert "<<<<<<<" in committed and "my line 3" in committed and "template line 3" in committed
    assert git("show", "HEAD:NEW.md", cwd=project) == "new"
    text = body.read_text()
    assert text.startswith(f"# Update template {project.parent / 'tpl'} 0.1.0 -> 0.2.0\n")
    assert "### 0.2.0\n\nGrew a NEW.md.\n\n- and more\n" in text and "Born." not in text
    assert "## Conflicts (1)" in text and "- [ ] `README.md`" in text
    assert "- added `NEW.md`" in text


def test_nothing_to_update_writes_no_body(project: Path, tmp_path: Path) -> None:
    assert cli_run("update", project, "--defaults").exit_code == 1  # conflicts, uncommitted
    git("add", "--all", cwd=project)
    commit(project, "update")
    body = tmp_path / "body.md"
    result = cli_run("update", project, "--defaults", "--pr-branch", BRANCH, "--pr-body", body)
    assert result.exit_code == 0 and "up to date" in result.output
    assert not body.exists() and git("branch", "--list", BRANCH, cwd=project) == ""


def run_script(project: Path, source: str = "mlscaffold-cli", open_pr: str = ""):
    tools = project.parent / "tools"
    for name, text in (("uvx", FAKE_UVX), ("gh", FAKE_GH)):
        write(tools, {name: text})
        (tools / name).chmod(0o755)
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLSCAFFOLD_")}
    env.update(
        UVX=str(tools / "uvx"),
        GH=str(tools / "gh"),
        GH_LOG=str(tools / "gh.log"),
        GH_OPEN=open_pr,
        MLSCAFFOLD_RECORDED_SOURCE=source,
    )
    result = subprocess.run(
        ["sh", str(SCRIPT)], cwd=project, env=env, capture_output=True, text=True, check=False
    )
    log = tools / "gh.log"
    calls = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return result, calls, (tools / "gh.log.body")


def test_the_weekly_script_pushes_one_branch_and_opens_then_refreshes_one_pull_request(
    project: Path, tmp_path: Path
) -> None:
    main = git("rev-parse", "HEAD", cwd=project)
    origin = tmp_path / "origin.git"
    result, calls, body = run_script(project)
    assert result.returncode == 0, result.stdout + result.stderr
    assert git("rev-parse", f"{BRANCH}^", cwd=origin) == main
    assert "<<<<<<<" in git("show", f"{BRANCH}:README.md", cwd=origin)
    assert calls[0].startswith(f"pr list --head {BRANCH} --state open")
    assert calls[1].startswith(f"pr create --head {BRANCH} --title Update template ")
    assert "0.1.0 -> 0.2.0" in calls[1] and "- [ ] `README.md`" in body.read_text()

    # A week later: 0.3.0 is out and the pull request is still open. The workflow starts again
    # from the default branch: the branch is made afresh (one commit on main) and the PR edited.
    log = "## 0.3.0\n\nThird.\n\n## 0.2.0\n\nGrew a NEW.md.\n\n## 0.1.0\n\nBorn.\n"
    _release(tmp_path / "tpl", "0.3.0", lines("line"), log, {})
    git("switch", "--quiet", "main", cwd=project)
    result, calls, body = run_script(project, open_pr="7")
    assert result.returncode == 0, result.stdout + result.stderr
    assert git("rev-parse", f"{BRANCH}^", cwd=origin) == main
    assert calls[1].startswith("pr edit 7 --title Update template ") and "-> 0.3.0" in calls[1]
    assert "### 0.3.0\n\nThird." in body.read_text() and "### 0.2.0" in body.read_text()


def test_the_weekly_script_warns_when_mlscaffold_cannot_be_installed(project: Path) -> None:
    result, calls, _ = run_script(project, source="broken")
    assert result.returncode == 0 and calls == []
    assert "::warning title=No update pull request::cannot install mlscaffold from 'broken'" in (
        result.stdout
    )
    assert "MLSCAFFOLD_SOURCE" in result.stdout
