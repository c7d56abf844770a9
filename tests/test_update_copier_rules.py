"""copier's semantics kept on update: ``_skip_if_exists``, ``_exclude``, ``_tasks`` and
``_migrations`` (in the project, with ``--trust`` only), ``_answers_file``, ``_folder_name``."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlscaffold.gitutil import git

from .updatekit import cli_run, commit, isolate, lines, release, write

QUESTIONS = {"project_name": {"type": "str", "default": "demo"}}


@pytest.fixture
def template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate(tmp_path / "home", monkeypatch)
    return tmp_path / "template"


def generate(template: Path, project: Path) -> Path:
    result = cli_run("new", template, project, "--defaults")
    assert result.exit_code == 0, result.output
    return project


def test_skip_if_exists_files_are_left_to_the_user(template: Path, tmp_path: Path) -> None:
    skip = {**QUESTIONS, "_skip_if_exists": ["settings.toml", "local/*.ini"]}
    release(template, "0.1.0", {"settings.toml": "a = 1\n", "local/x.ini": "x\n"}, skip)
    project = generate(template, tmp_path / "project")
    write(project, {"settings.toml": "a = 1\nmine = true\n"})
    commit(project)
    release(template, "0.2.0", {"settings.toml": "a = 2\n", "local/x.ini": "y\n"}, skip)
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 0, result.output
    assert (project / "settings.toml").read_text("utf-8") == "a = 1\nmine = true\n"
    assert (project / "local" / "x.ini").read_text("utf-8") == "x\n"  # untouched by the user too
    assert "Left as you have them" in result.output and "settings.toml" in result.output


def test_a_newly_excluded_path_is_never_deleted(template: Path, tmp_path: Path) -> None:
    release(template, "0.1.0", {"notes.md": lines("notes"), "a.txt": "a\n"}, QUESTIONS)
    project = generate(template, tmp_path / "project")
    release(template, "0.2.0", {"a.txt": "a2\n"}, {**QUESTIONS, "_exclude": ["notes.md"]})
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 0, result.output
    assert (project / "notes.md").read_text("utf-8") == lines("notes")  # kept, unchanged
    assert "notes.md" in git("ls-files", cwd=project)
    assert (project / "a.txt").read_text("utf-8") == "a2\n"


COMMANDS = {
    "_tasks": ['echo "task $PWD {{ _folder_name }}" >> ran.log'],
    "_migrations": [
        {
            "version": "0.2.0",
            "command": 'echo "before $VERSION_FROM $VERSION_TO $PWD" >> ran.log',
            "when": "{{ _stage == 'before' }}",
        },
        {"version": "0.2.0", "command": 'echo "after $STAGE" >> ran.log'},
        {"version": "0.9.0", "command": "echo never >> ran.log"},
    ],
}


@pytest.fixture
def with_commands(template: Path, tmp_path: Path) -> Path:
    release(template, "0.1.0", {"a.txt": "a\n"}, QUESTIONS)
    project = generate(template, tmp_path / "project")
    release(template, "0.2.0", {"a.txt": "a2\n"}, {**QUESTIONS, **COMMANDS})
    return project


def test_tasks_and_migrations_do_not_run_without_trust(with_commands: Path, tmp_path) -> None:
    result = cli_run("update", with_commands, "--defaults")
    assert result.exit_code == 0, result.output
    assert "Skipped the template's 2 migrations and 1 tasks" in result.output
    assert "--trust" in result.output
    assert not list(tmp_path.rglob("ran.log"))
    assert (with_commands / "a.txt").read_text("utf-8") == "a2\n"


def test_tasks_and_migrations_run_in_the_project_with_trust(with_commands: Path, tmp_path) -> None:
    result = cli_run("update", with_commands, "--defaults", "--trust")
    assert result.exit_code == 0, result.output
    root = with_commands.resolve()
    assert (with_commands / "ran.log").read_text("utf-8").splitlines() == [
        f"before 0.1.0 0.2.0 {root}",
        f"task {root} project",
        "after after",
    ]
    assert [p.parent for p in tmp_path.rglob("ran.log")] == [with_commands]


def test_a_dry_run_runs_nothing(with_commands: Path, tmp_path) -> None:
    result = cli_run("update", with_commands, "--defaults", "--trust", "--dry-run")
    assert result.exit_code == 0 and "dry run" in result.output
    assert not list(tmp_path.rglob("ran.log"))


def test_a_custom_answers_file(template: Path, tmp_path: Path) -> None:
    custom = {**QUESTIONS, "_answers_file": ".config/answers.yml"}
    release(template, "0.1.0", {"a.txt": lines("a")}, custom)
    project = generate(template, tmp_path / "project")
    assert not (project / ".copier-answers.yml").exists()
    assert "_commit: 0.1.0" in (project / ".config" / "answers.yml").read_text("utf-8")
    write(project, {"a.txt": lines("a").replace("a 1\n", "USER 1\n")})
    commit(project)
    release(template, "0.2.0", {"a.txt": lines("a").replace("a 9\n", "TEMPLATE 9\n")}, custom)
    assert cli_run("check", project).exit_code == 1
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 0, result.output
    text = (project / "a.txt").read_text("utf-8")
    assert "USER 1" in text and "TEMPLATE 9" in text
    assert "_commit: 0.2.0" in (project / ".config" / "answers.yml").read_text("utf-8")
    assert not (project / ".copier-answers.yml").exists()


def test_folder_name_renders_as_the_project_folder(template: Path, tmp_path: Path) -> None:
    named = {"name.txt.jinja": "{{ _folder_name }} {{ _copier_conf.dst_path.name }}\n"}
    release(template, "0.1.0", {**named, "a.txt": "a\n"}, QUESTIONS)
    project = generate(template, tmp_path / "my-recs")
    assert (project / "name.txt").read_text("utf-8") == "my-recs my-recs\n"
    assert cli_run("diff", project).output.strip() == ""  # a clean render is the project
    release(template, "0.2.0", {"a.txt": "a2\n"}, QUESTIONS)
    assert "name.txt" not in cli_run("diff", project, "--upstream").output
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 0, result.output
    assert "name.txt" not in result.output
    assert (project / "name.txt").read_text("utf-8") == "my-recs my-recs\n"
    assert not list(tmp_path.glob(".my-recs.*"))  # nothing left next to the project
