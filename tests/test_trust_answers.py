"""Every value of a project's answers file goes through one bounded, typed loader: an alias bomb
never stalls a fleet, ``_commit: 1`` reads the same for every command, and ``_src_path`` names a
git repository (or a built-in) for every command, ``diff`` included: no local folder is ever
rendered or printed."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from mlscaffold import untrusted
from mlscaffold.gitutil import git

from .trustkit import QUESTIONS, fingerprint, one_line_error
from .updatekit import cli_run, commit, isolate, release

SECRET = "MARKER-local-secret-7f3a"
COMMANDS = [("check",), ("update", "--defaults"), ("diff",), ("diff", "--upstream")]


def alias_bomb(levels: int = 9) -> str:
    """A dozen lines whose aliases expand to 9**levels values (billion laughs)."""
    text = "l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    for i in range(1, levels + 1):
        text += f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n"
    return text + f"project_name: *l{levels}\n"


@pytest.fixture
def template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate(tmp_path / "home", monkeypatch)
    template = release(tmp_path / "template", "0.1.0", {"a.txt": "a\n"}, QUESTIONS)
    return release(template, "0.2.0", {"a.txt": "a\nb\n"}, QUESTIONS)


def generate(template: Path, project: Path) -> Path:
    result = cli_run("new", template, project, "--defaults", "--vcs-ref", "0.1.0")
    assert result.exit_code == 0, result.output
    return project


def plant(project: Path, text: str) -> None:
    (project / ".copier-answers.yml").write_text(text, "utf-8")
    commit(project, "innocent-looking change")


def test_the_loader_refuses_bombs_recursion_size_and_wrong_types(tmp_path: Path) -> None:
    with pytest.raises(untrusted.UntrustedYamlError, match="aliases expand to more than"):
        untrusted.load(alias_bomb(), "f")
    with pytest.raises(untrusted.UntrustedYamlError, match="alias contains itself"):
        untrusted.load("a: &a [*a]\n", "f")
    with pytest.raises(untrusted.UntrustedYamlError, match="larger than"):
        untrusted.load("a: " + "x" * untrusted.MAX_BYTES + "\n", "f")
    path = tmp_path / "answers.yml"
    for text, match in [
        ("_commit: 1\n_src_path: /t\n", "_commit in a.yml: 1 is a int"),
        ("_src_path: [x]\n_commit: '1'\n", "_src_path in a.yml"),
        ("- a\n", "not a mapping"),
        ("{1: a}\n", "not a mapping"),
    ]:
        path.write_text(text, "utf-8")
        with pytest.raises(untrusted.UntrustedYamlError, match=match):
            untrusted.answers(path, "a.yml")
    # shared values a dumper writes as anchors are fine
    assert untrusted.load("a: &x [1, 2]\nb: *x\n", "f") == {"a": [1, 2], "b": [1, 2]}


def _bounded(args: list[str], cwd: Path) -> tuple[subprocess.CompletedProcess, float]:
    """Run mlscaffold in a child limited to 2 GiB of address space; its wall time."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))

    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "mlscaffold", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
        preexec_fn=limit,
        env=os.environ.copy(),
    )
    return done, time.monotonic() - start


def test_an_alias_bomb_in_one_project_does_not_stall_the_fleet(
    template: Path, tmp_path: Path
) -> None:
    fleet = tmp_path / "fleet"
    poisoned, healthy = generate(template, fleet / "a"), generate(template, fleet / "b")
    plant(poisoned, (poisoned / ".copier-answers.yml").read_text("utf-8") + alias_bomb())
    before = fingerprint(poisoned)
    done, took = _bounded(["update", "--all", str(fleet), "--defaults"], tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith(str(poisoned)))
    assert "refused" in row and "aliases expand to more than 100,000 values" in row
    assert "updated" in next(line for line in done.stdout.splitlines() if str(healthy) in line)
    assert (healthy / "a.txt").read_text("utf-8") == "a\nb\n"
    assert fingerprint(poisoned) == before
    for args in (["check", "--all", str(fleet)], ["diff", str(poisoned)]):
        done, more = _bounded(args, tmp_path)
        assert done.returncode == 1 and "aliases expand" in done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        took += more
    assert took < 120, took  # it hung (or died of MemoryError) before


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_numeric_commit_is_refused_alike_by_every_command(
    template: Path, tmp_path: Path, command: tuple[str, ...]
) -> None:
    project = generate(template, tmp_path / "project")
    text = (project / ".copier-answers.yml").read_text("utf-8")
    plant(project, text.replace("_commit: 0.1.0", "_commit: 1"))
    before = fingerprint(project)
    result = cli_run(command[0], project, *command[1:])
    assert result.exit_code == 1
    line = one_line_error(result.output)
    assert "refused _commit in .copier-answers.yml: 1 is a int, not a version name" in line
    assert fingerprint(project) == before


@pytest.fixture
def secrets(tmp_path: Path) -> Path:
    """A local folder of credentials that is no git repository (but lies in one: the user's
    home folder kept in git, say); it even looks like a template."""
    home = tmp_path / "dotfiles"
    (home / "creds").mkdir(parents=True)
    (home / "creds" / "token.txt").write_text(SECRET + "\n", "utf-8")
    (home / "creds" / "copier.yml").write_text("project_name: x\n", "utf-8")
    git("init", "--quiet", cwd=home)
    commit(home, "my dotfiles")
    return home


# `check` reads only a repository's tags (it renders nothing), so it may look at any repository.
FOLDERS = [("creds", c) for c in COMMANDS] + [("repo without copier.yml", c) for c in COMMANDS[1:]]


@pytest.mark.parametrize(
    ("where", "command"), FOLDERS, ids=lambda v: v if isinstance(v, str) else " ".join(v)
)
def test_src_path_naming_a_folder_that_is_no_template_repository_is_refused(
    template: Path, tmp_path: Path, secrets: Path, command: tuple[str, ...], where: str
) -> None:
    project = generate(template, tmp_path / "project")
    if where == "creds":
        src, commit_ = str(secrets / "creds"), "0.1.0"
    else:  # a git repository, but no template: the dotfiles at their HEAD
        (secrets / "creds" / "copier.yml").unlink()
        commit(secrets, "no copier.yml")
        git("tag", "0.1.0", cwd=secrets)
        src, commit_ = str(secrets), "0.1.0"
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text("utf-8"))
    plant(project, yaml.safe_dump({**answers, "_src_path": src, "_commit": commit_}))
    before = fingerprint(project)
    result = cli_run(command[0], project, *command[1:])
    assert result.exit_code == 1
    line = one_line_error(result.output)
    if where == "creds":
        assert f"refused _src_path in .copier-answers.yml: {src} is not a git repository" in line
        assert "and the repository exists" not in line
    else:
        assert "has no copier.yml" in line or "no tagged versions" in line, line
    assert SECRET not in result.output
    assert fingerprint(project) == before


def test_git_plus_file_sources_work_for_every_command(template: Path, tmp_path: Path) -> None:
    url = f"git+file://{template}"
    project = tmp_path / "project"
    result = cli_run("new", url, project, "--defaults", "--vcs-ref", "0.1.0")
    assert result.exit_code == 0, result.output
    assert yaml.safe_load((project / ".copier-answers.yml").read_text())["_src_path"] == url
    assert "behind" in cli_run("check", project).output
    assert cli_run("diff", "--upstream", project).output.count("+b") == 1
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 0, result.output
    assert (project / "a.txt").read_text("utf-8") == "a\nb\n"
