"""Template changelogs: the file format, the release step, and `changelog`, `check`, `update`."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from mlscaffold.gitutil import git
from mlscaffold.sources import changelog, history, release

from .conftest import REPO, TEMPLATES
from .test_update_builtin import NAME, Release, mlscaffold_release  # noqa: F401 (a fixture)
from .updatekit import cli_run, commit, isolate, write
from .updatekit import release as tag_release

LOG = """# Changelog

## Unreleased

Next things.

## 0.10.0

Ten: big.

- detail

## 0.9.1 (2026-01-02)

Nine one.

## 0.2.0
Two.
"""


def test_parse_takes_the_first_line_as_the_summary() -> None:
    entries = changelog.parse(LOG)
    assert [(e.version, e.summary) for e in entries] == [
        ("Unreleased", "Next things."),
        ("0.10.0", "Ten: big."),
        ("0.9.1", "Nine one."),
        ("0.2.0", "Two."),
    ]
    assert entries[1].text == "Ten: big.\n\n- detail"


def test_between_compares_versions_as_versions() -> None:
    entries = changelog.parse(LOG)
    assert [e.version for e in changelog.between(entries, "0.2.0", None)] == ["0.10.0", "0.9.1"]
    assert [e.version for e in changelog.between(entries, None, "0.9.1")] == ["0.9.1", "0.2.0"]
    assert changelog.between(entries, "0.10.0", "0.10.0") == []


def test_stamp_names_the_unreleased_section_or_writes_the_summary(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    path.write_text(LOG)
    changelog.stamp(path, "0.11.0")
    assert [e.version for e in changelog.parse(path.read_text())][:2] == ["0.11.0", "0.10.0"]
    with pytest.raises(ValueError, match="no '## Unreleased' section"):
        changelog.stamp(path, "0.12.0")
    changelog.stamp(path, "0.12.0", "Twelve.")
    first = changelog.parse(path.read_text())[0]
    assert (first.version, first.summary) == ("0.12.0", "Twelve.")
    assert path.read_text().startswith("# Changelog\n\n## 0.12.0\n\nTwelve.\n\n## 0.11.0\n")


@pytest.mark.parametrize("name", release.template_names(TEMPLATES))
def test_every_builtin_template_has_a_section_for_each_released_version(name: str) -> None:
    index = json.loads((REPO / "src/mlscaffold/histories/index.json").read_text())
    entries = changelog.parse((TEMPLATES / name / changelog.FILE).read_text("utf-8"))
    released = [e.version for e in entries if e.version != changelog.UNRELEASED]
    assert released == list(reversed(index[name]["versions"]))
    assert all(e.summary for e in entries)


def _one_template(tmp_path: Path) -> tuple[Path, Path]:
    templates, histories = tmp_path / "templates", tmp_path / "histories"
    for part in (release.SHARED, "recommender"):
        shutil.copytree(TEMPLATES / part, templates / part)
    shutil.copytree(history.HISTORIES, histories)
    return templates, histories


def test_publish_refuses_a_change_without_a_changelog_entry(tmp_path: Path) -> None:
    templates, histories = _one_template(tmp_path)
    log = templates / "recommender" / changelog.FILE
    log.write_text("# Changelog\n\n## 0.4.0\n\nOld.\n")
    (templates / "recommender" / "project" / "NOTES.md").write_text("new\n")
    index = (histories / "index.json").read_text()
    with pytest.raises(ValueError, match=r"recommender.*--summary"):
        release.publish(templates, histories)
    assert (histories / "index.json").read_text() == index  # nothing published
    released = release.publish(templates, histories, summary="Notes for everyone.")
    version = released["recommender"]
    shipped = git("show", f"{version}:CHANGELOG.md", cwd=_clone(histories, tmp_path))
    assert changelog.parse(shipped)[0] == changelog.Entry(
        version, "Notes for everyone.", "Notes for everyone."
    )
    assert changelog.parse(log.read_text())[0].version == version


def _clone(histories: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "clone"
    git("clone", "--quiet", str(histories / "recommender.bundle"), str(dest))
    return dest


def test_builtin_changelog_after_a_release(
    mlscaffold_release: Release,  # noqa: F811
) -> None:
    log = mlscaffold_release.templates / NAME / changelog.FILE
    unreleased = "## Unreleased\n\nFirst of the tests.\n\n- in detail\n\n"
    text = re.sub(r"^## Unreleased\n.*?(?=^## )", "", log.read_text(), flags=re.M | re.S)
    log.write_text(text.replace("\n## ", "\n" + unreleased + "## ", 1))
    first = mlscaffold_release.publish({"NOTES.md": "one\n"}, summary="Not used.")
    second = mlscaffold_release.publish({"NOTES.md": "two\n"}, summary="Second, with notes.")
    result = cli_run("changelog", NAME, "--from", first)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"## {second}\n\nSecond, with notes.\n")
    assert f"## {first}" not in result.output
    everything = cli_run("changelog", NAME, "--to", first).output
    assert f"## {first}\n\nFirst of the tests.\n\n- in detail\n\n## " in everything
    assert second not in everything and "Not used." not in everything


@pytest.fixture
def logged_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git template with three tagged versions and a CHANGELOG.md."""
    isolate(tmp_path / "home", monkeypatch)
    template = tmp_path / "tpl"
    sections = ""
    for version, summary in (("0.1.0", "Born."), ("0.2.0", "Grew a README."), ("0.3.0", "Tidy.")):
        sections = f"## {version}\n\n{summary}\n\n" + sections
        write(template, {"CHANGELOG.md": f"# Changelog\n\n{sections}"})
        tag_release(template, version, {"README.md": f"readme {version}\n"}, {})
    return template


def test_check_update_and_changelog_show_a_git_templates_changes(
    logged_template: Path, tmp_path: Path
) -> None:
    project = tmp_path / "proj"
    made = cli_run("new", logged_template, project, "--defaults", "--vcs-ref", "0.1.0")
    assert made.exit_code == 0, made.output

    checked = cli_run("check", project)
    assert checked.exit_code == 1
    assert "  0.3.0  Tidy.\n  0.2.0  Grew a README.\n" in checked.output
    assert "Born." not in checked.output

    shown = cli_run("changelog", logged_template, "--from", "0.1.0")
    assert shown.output == "## 0.3.0\n\nTidy.\n\n## 0.2.0\n\nGrew a README.\n\n"

    updated = cli_run("update", project, "--to", "0.2.0")
    assert updated.exit_code == 0, updated.output
    assert "changed since 0.1.0:\n  0.2.0  Grew a README.\n" in updated.output
    assert "Tidy." not in updated.output
    commit(project)
    assert "has no CHANGELOG.md" not in cli_run("check", project).output


def test_a_template_without_a_changelog_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate(tmp_path / "home", monkeypatch)
    template = tmp_path / "tpl"
    tag_release(template, "0.1.0", {"a.txt": "a\n"}, {})
    tag_release(template, "0.2.0", {"a.txt": "b\n"}, {})
    made = cli_run("new", template, tmp_path / "p", "--defaults", "--vcs-ref", "0.1.0")
    assert made.exit_code == 0, made.output
    checked = cli_run("check", tmp_path / "p")
    assert "has no CHANGELOG.md: no summary of its changes" in checked.output
    result = cli_run("changelog", template)
    assert result.exit_code == 1
    assert "Error: " in result.output and "no CHANGELOG.md" in result.output
