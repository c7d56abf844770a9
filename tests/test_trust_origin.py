"""Values planted in a project's answers file or the user's config never reach git as options or
as command-running transports: `check`, `update` and `diff` refuse them in one line."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mlscaffold.gitutil import GitError, git
from mlscaffold.safety import check_source, check_version

from .trustkit import QUESTIONS, evil_template, fingerprint, one_line_error
from .updatekit import cli_run, commit, isolate, release

COMMANDS = [("check",), ("update", "--defaults"), ("diff", "--upstream"), ("diff",)]


def plant(project: Path, **values: str) -> None:
    """Change the answers file as a colleague's commit in a shared repository would."""
    path = project / ".copier-answers.yml"
    answers = yaml.safe_load(path.read_text("utf-8"))
    path.write_text(yaml.safe_dump({**answers, **values}), "utf-8")
    commit(project, "innocent-looking change")


@pytest.fixture
def victim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project generated from a custom template, cloned from a shared repository (a local
    one, so git would start an upload-pack command for it); the current folder is the project,
    as when the user runs `mlscaffold check` inside it."""
    home = isolate(tmp_path / "home", monkeypatch)
    # A user who once allowed every transport: mlscaffold must not rely on git's defaults.
    with (home / ".gitconfig").open("a", encoding="utf-8") as config:
        config.write("[protocol]\n\tallow = always\n")
    template = release(tmp_path / "template", "0.1.0", {"a.txt": "a\n"}, QUESTIONS)
    release(template, "0.2.0", {"a.txt": "a\nb\n"}, QUESTIONS)
    made = tmp_path / "made"
    assert cli_run("new", template, made, "--defaults", "--vcs-ref", "0.1.0").exit_code == 0
    git("clone", "--quiet", "--bare", str(made), str(tmp_path / "shared.git"))
    git("clone", "--quiet", str(tmp_path / "shared.git"), str(tmp_path / "project"))
    monkeypatch.chdir(tmp_path / "project")
    return tmp_path / "project"


INJECTIONS = {
    "--upload-pack": "--upload-pack=touch {marker};.git",
    "--upload-pack (no .git suffix)": "--upload-pack=touch {marker}",
    "ext::": "ext::sh -c touch% {marker}% .git",
    "ext:: over a path": "ext::sh -c touch% {marker}",
    "fd::": "fd::0,1/x.git",
    "ssh option as host": "ssh://-oProxyCommand=touch% {marker}/x.git",
    "scp-style option as host": "-oProxyCommand=touch {marker}:x.git",
    "unknown transport": "http://example.invalid/x.git",
}


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
@pytest.mark.parametrize("attack", INJECTIONS)
def test_planted_src_path_is_refused(victim: Path, attack: str, command: tuple[str, ...]) -> None:
    marker = victim.parent / "MARKER"
    plant(victim, _src_path=INJECTIONS[attack].format(marker=marker))
    before = fingerprint(victim)
    result = cli_run(*command)
    assert result.exit_code == 1
    line = one_line_error(result.output)
    assert "refused _src_path in .copier-answers.yml" in line
    assert not marker.exists() and not list(victim.parent.glob("MARKER*"))
    assert fingerprint(victim) == before


@pytest.mark.parametrize("command", COMMANDS[1:], ids=" ".join)
@pytest.mark.parametrize("value", ["--output=MARKER", "../../../../../../../tmp", "0.1.0\n-x"])
def test_planted_commit_is_refused(victim: Path, value: str, command: tuple[str, ...]) -> None:
    plant(victim, _commit=value)
    before = fingerprint(victim)
    result = cli_run(*command)
    assert result.exit_code == 1
    assert "refused _commit in .copier-answers.yml" in one_line_error(result.output)
    assert not list(victim.parent.glob("MARKER*")) and not list(victim.glob("MARKER*"))
    assert fingerprint(victim) == before


def test_valid_sources_still_work(victim: Path) -> None:
    """The refusals are not blanket: the real source, written ``~``-relative, still updates."""
    plant(victim, _src_path="~/../template")
    assert cli_run("check").exit_code == 1  # behind: 0.1.0 -> 0.2.0
    result = cli_run("update", "--defaults")
    assert result.exit_code == 0, result.output
    assert (victim / "a.txt").read_text("utf-8") == "a\nb\n"


@pytest.mark.parametrize(
    "source",
    [
        "/srv/templates/classifier",
        "templates/mine",
        "~/templates/mine",
        "file:///srv/templates/mine.git",
        "https://github.com/acme/template.git",
        "git+https://example.org/t",
        "ssh://git@example.org:2222/acme/t.git",
        "git@github.com:acme/template.git",
        "example.org:acme/t.git",
        "gh:acme/template",
        "gl:acme/template",
    ],
)
def test_usual_sources_are_accepted(source: str) -> None:
    assert check_source(source, "template") == source


@pytest.mark.parametrize("version", ["0.1.0", "v2.0.0rc1", "0.1.0+mine.1", "release/1.0", "abc123"])
def test_usual_versions_are_accepted(version: str) -> None:
    assert check_version(version, "version") == version


def test_builtin_version_cannot_point_at_another_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Built-in templates are trusted (their tasks run); a planted ``_commit`` climbing out of
    the installed history to a template with tasks must not run them."""
    isolate(tmp_path / "home", monkeypatch)
    project = tmp_path / "project"
    result = cli_run("new", "recommender", project, "--defaults", "--data", "author_name=A B")
    assert result.exit_code == 0, result.output
    marker = tmp_path / "MARKER"
    evil = evil_template(tmp_path / "evil", {}, settings={"_tasks": [f"touch {marker}"]})
    plant(project, _commit="../" * 40 + str(evil).lstrip("/"))
    before = fingerprint(project)
    for command in (("update", project, "--defaults"), ("diff", project)):
        result = cli_run(*command)
        assert result.exit_code == 1
        assert "refused _commit" in one_line_error(result.output)
    assert not marker.exists()
    assert fingerprint(project) == before


@pytest.mark.parametrize("source", ["--upload-pack=touch MARKER;.git", "ext::sh -c touch% M"])
def test_config_aliases_are_checked_when_added_and_when_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str
) -> None:
    home = isolate(tmp_path / "home", monkeypatch)
    monkeypatch.chdir(tmp_path)
    result = cli_run("template", "add", "--", "evil", source)
    assert result.exit_code == 1
    assert "refused template source" in one_line_error(result.output)
    config = home / ".config" / "mlscaffold" / "config.yml"
    config.parent.mkdir(parents=True)
    config.write_text(yaml.safe_dump({"templates": {"evil": source}}), "utf-8")
    result = cli_run("new", "evil", tmp_path / "proj", "--defaults")
    assert result.exit_code == 1
    assert "refused template alias evil" in one_line_error(result.output)
    assert not list(tmp_path.glob("M*")) and not (tmp_path / "proj").exists()


@pytest.mark.parametrize("url", ["ext::sh -c touch% {marker}", "fd::0,1/x.git"])
def test_git_itself_refuses_command_transports_even_if_the_user_allows_them(
    victim: Path, url: str
) -> None:
    """A second line of defence below ``check_source``: mlscaffold's git calls may use the file,
    https and ssh transports only, whatever ``protocol.allow`` says (the fixture allows all)."""
    marker = victim.parent / "MARKER"
    with pytest.raises(GitError, match="not allowed"):
        git("ls-remote", "--", url.format(marker=marker), cwd=victim)
    assert not marker.exists()
