"""Templates that attack the machine through what they render: `.git` paths, symlinks, sandbox
escapes. Without --trust nothing runs, nothing is written outside DEST, nothing is left behind."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from mlscaffold.gitutil import git

from .trustkit import evil_template, fingerprint, one_line_error
from .updatekit import cli_run, commit, isolate, release, write


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path with a HOME, a folder ``work`` for projects holding a sibling repository ``other``,
    and a folder ``outside``; MARKER (which an attack would create) is ``tmp_path/MARKER``."""
    isolate(tmp_path / "home", monkeypatch)
    other = tmp_path / "work" / "other"
    write(other, {"mine.txt": "my work\n", "notes/plan.md": "plan\n"})
    git("init", "--quiet", cwd=other)
    commit(other, "my work")
    write(tmp_path / "outside", {"secret.txt": "secret\n"})
    return tmp_path


def _outside(site: Path) -> dict[str, dict[str, str]]:
    return {name: fingerprint(site / name) for name in ("work", "outside")}


FSMONITOR = '[core]\n\tfsmonitor = "touch {marker}; false"\n'
HOOK = "#!/bin/sh\ntouch {marker}\n"

ATTACKS = {
    "fsmonitor in .git/config": ({"{{ '.git' }}/config": FSMONITOR}, ()),
    "post-commit hook": (
        {"{{ '.git' }}/hooks/post-commit": HOOK},
        ("{{ '.git' }}/hooks/post-commit",),
    ),
    ".git file pointing at a sibling repository": ({".git.jinja": "gitdir: ../other/.git\n"}, ()),
    "upper-case .GIT": (
        {"{{ '.GIT' }}/hooks/post-commit": HOOK},
        ("{{ '.GIT' }}/hooks/post-commit",),
    ),
    "mixed-case .Git config": ({"{{ '.Git' }}/config": FSMONITOR}, ()),
    "nested sub/.git": ({"sub/{{ '.git' }}/config": FSMONITOR}, ()),
}


@pytest.mark.parametrize("attack", ATTACKS)
def test_git_paths_are_refused_and_nothing_runs(site: Path, attack: str) -> None:
    files, executable = ATTACKS[attack]
    files = {name: text.format(marker=site / "MARKER") for name, text in files.items()}
    template = evil_template(site / "template", files, executable=executable)
    before, head = _outside(site), git("rev-parse", "HEAD", cwd=site / "work" / "other")
    result = cli_run("new", template, site / "work" / "proj", "--defaults")
    assert result.exit_code == 1
    line = one_line_error(result.output)
    assert ".git" in line.lower() and "refused" in line and "--trust" in line
    assert not (site / "MARKER").exists()
    assert not (site / "work" / "proj").exists()
    assert _outside(site) == before  # no temporary folder left, the sibling untouched
    assert git("rev-parse", "HEAD", cwd=site / "work" / "other") == head


@pytest.mark.parametrize("target", ["../../outside", "/etc", "sub/../../../outside/secret.txt"])
def test_symlinks_leading_outside_are_refused(site: Path, target: str) -> None:
    settings = {"_preserve_symlinks": True}
    template = evil_template(site / "template", {}, symlinks={"escape": target}, settings=settings)
    before = _outside(site)
    result = cli_run("new", template, site / "work" / "proj", "--defaults")
    assert result.exit_code == 1
    line = one_line_error(result.output)
    assert "escape" in line and "outside" in line and "--trust" in line
    assert not (site / "work" / "proj").exists()
    assert _outside(site) == before


def test_symlinks_inside_the_project_are_kept(site: Path) -> None:
    settings = {"_preserve_symlinks": True}
    links = {"link.md": "README.md", "docs/readme.md": "../README.md"}
    template = evil_template(site / "template", {}, symlinks=links, settings=settings)
    result = cli_run("new", template, site / "work" / "proj", "--defaults")
    assert result.exit_code == 0, result.output
    assert os.readlink(site / "work" / "proj" / "docs" / "readme.md") == "../README.md"
    assert (site / "work" / "proj" / "link.md").read_text("utf-8") == "# hi\n"


def test_with_trust_git_runs_no_template_hooks_at_generation(site: Path) -> None:
    """--trust lets `.git` paths through (a trusted template's tasks may `git init`), but
    mlscaffold's own init/add/commit still run no fsmonitor and no hook."""
    marker = site / "MARKER"
    files = {
        "{{ '.git' }}/config": FSMONITOR.format(marker=marker),
        "{{ '.git' }}/hooks/post-commit": HOOK.format(marker=marker),
        "{{ '.git' }}/hooks/pre-commit": HOOK.format(marker=marker),
    }
    executable = ("{{ '.git' }}/hooks/post-commit", "{{ '.git' }}/hooks/pre-commit")
    template = evil_template(site / "template", files, executable=executable)
    result = cli_run("new", template, site / "work" / "proj", "--defaults", "--trust")
    assert result.exit_code == 0, result.output
    assert not marker.exists()
    assert git("log", "--format=%s", cwd=site / "work" / "proj").startswith("Generate from")


def test_with_trust_an_outside_symlink_is_allowed(site: Path) -> None:
    settings = {"_preserve_symlinks": True}
    template = evil_template(site / "template", {}, symlinks={"sys": "/etc"}, settings=settings)
    result = cli_run("new", template, site / "work" / "proj", "--defaults", "--trust")
    assert result.exit_code == 0, result.output
    assert os.readlink(site / "work" / "proj" / "sys") == "/etc"


def test_paths_climbing_out_of_dest_are_refused(site: Path) -> None:
    template = evil_template(site / "template", {"{{ '..' }}/escape.txt": "x\n"})
    before = _outside(site)
    result = cli_run("new", template, site / "work" / "proj", "--defaults")
    assert result.exit_code == 1
    one_line_error(result.output)
    assert _outside(site) == before and not (site / "work" / "proj").exists()


ESCAPES = [
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ cycler.__init__.__globals__.os.popen('touch MARKER').read() }}",
    "{{ self.__init__.__globals__ }}",
]


@pytest.mark.parametrize("escape", ESCAPES)
def test_sandbox_escape_is_a_one_line_error(
    site: Path, escape: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(site)
    template = evil_template(site / "template", {"evil.txt.jinja": escape + "\n"})
    before = _outside(site)
    result = cli_run("new", template, site / "work" / "proj", "--defaults")
    assert result.exit_code == 1
    line = one_line_error(result.output)
    assert "sandbox" in line and "unsafe" in line
    assert not (site / "MARKER").exists()
    assert _outside(site) == before and not (site / "work" / "proj").exists()


def test_sandbox_escape_in_a_new_version_leaves_the_project_as_it_was(site: Path) -> None:
    template = release(site / "template", "0.1.0", {"a.txt": "a\n"}, {})
    project = site / "work" / "proj"
    assert cli_run("new", template, project, "--defaults").exit_code == 0
    release(template, "0.2.0", {"a.txt.jinja": ESCAPES[0] + "\n"}, {})
    before = fingerprint(project)
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 1
    assert "sandbox" in one_line_error(result.output)
    assert fingerprint(project) == before


@pytest.mark.parametrize(
    "command", [("update", "--defaults"), ("diff", "--upstream")], ids=" ".join
)
def test_a_new_version_rendering_git_paths_or_outside_links_is_refused_on_update(
    site: Path, command: tuple[str, ...]
) -> None:
    template = release(site / "template", "0.1.0", {"a.txt": "a\n"}, {"_preserve_symlinks": True})
    project = site / "work" / "proj"
    assert cli_run("new", template, project, "--defaults").exit_code == 0
    hook = {"{{ '.git' }}/hooks/post-commit": HOOK.format(marker=site / "MARKER")}
    release(template, "0.2.0", hook, {"_preserve_symlinks": True})
    before, outside = fingerprint(project), fingerprint(site / "outside")
    result = cli_run(command[0], project, *command[1:])
    assert result.exit_code == 1
    assert "refused: the template renders .git/hooks/post-commit" in one_line_error(result.output)
    shutil.rmtree(template / "project" / "{{ '.git' }}")
    os.symlink("../../outside/secret.txt", template / "project" / "link")
    release(template, "0.3.0", {"a.txt": "a\n"}, {"_preserve_symlinks": True})
    result = cli_run(command[0], project, *command[1:])
    assert result.exit_code == 1
    assert "symlink link -> ../../outside/secret.txt" in one_line_error(result.output)
    assert not (site / "MARKER").exists()
    after = fingerprint(project)
    if command[0] == "diff":  # `diff` still stores a snapshot object (issue 10 part B fixes it)
        before, after = (
            {k: v for k, v in d.items() if "objects/" not in k} for d in (before, after)
        )
    assert after == before and fingerprint(site / "outside") == outside
