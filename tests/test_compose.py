"""Composition: a template that extends another (``_extends`` in its copier.yml), generated,
checked and updated after releases of its base and of itself, on real git repositories."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlscaffold.compose import extends as compose
from mlscaffold.gitutil import git

from .updatekit import answers, cli_run, commit, isolate, lines, release, write

BASE_QUESTIONS = {
    "project_name": {"type": "str", "default": "demo"},
    "greeting": {"type": "str", "default": "hello", "help": "A greeting"},
}
BASE_V1 = {
    "README.md.jinja": "# {{ project_name }}\n\nthe base's readme\n",
    "base.txt": lines("base"),
    "shared.txt": "from the base\n",
    "dropped.txt": "the extension excludes me\n",
    "greeting.txt.jinja": "{{ greeting }}\n",
}


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    isolate(tmp_path / "home", monkeypatch)


def extension_questions(extends: str, **more: object) -> dict:
    return {
        "_extends": extends,
        "_exclude": ["dropped.txt"],
        "greeting": {"default": "hi"},  # changes the base question's default only
        "team": {"type": "str", "default": "vision"},  # a question of its own
        **more,
    }


EXT_V1 = {
    "shared.txt": "from the extension\n",  # replaces the base's file
    "README.md": "# our readme, no Jinja\n",  # replaces README.md.jinja of the base
    "team.txt.jinja": "team = {{ team }}\n" + lines("team"),  # a file of its own
}


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return release(tmp_path / "base", "0.1.0", BASE_V1, BASE_QUESTIONS)


@pytest.fixture
def ext(tmp_path: Path, base: Path) -> Path:
    return release(tmp_path / "ext", "1.0.0", EXT_V1, extension_questions(f"{base}@0.1"))


def generate(template: Path, dest: Path, *more: str) -> Path:
    result = cli_run("new", template, dest, "--defaults", *more)
    assert result.exit_code == 0, result.output
    return dest


def test_generate_overrides_and_adds_files_and_questions(ext: Path, base: Path, tmp_path: Path):
    project = generate(ext, tmp_path / "project")
    read = {p.name: p.read_text("utf-8") for p in project.iterdir() if p.is_file()}
    assert read["base.txt"] == lines("base")  # inherited
    assert read["shared.txt"] == "from the extension\n"  # overridden
    assert read["README.md"] == "# our readme, no Jinja\n"
    assert read["team.txt"].startswith("team = vision\n")  # added file and question
    assert read["greeting.txt"] == "hi\n"  # the base's question, the extension's default
    assert "dropped.txt" not in read
    recorded = answers(project)
    assert recorded["_src_path"] == str(ext) and recorded["_commit"] == "1.0.0"
    assert recorded["_bases"] == [{"src": str(base), "commit": "0.1.0"}]
    assert recorded["team"] == "vision" and recorded["greeting"] == "hi"
    # the recorded versions rebuild exactly this render: no difference to the project
    assert cli_run("diff", project).output == ""


def test_update_after_a_base_release_keeps_user_edits(base: Path, ext: Path, tmp_path: Path):
    project = generate(ext, tmp_path / "project")
    write(project, {"base.txt": lines("base").replace("base 2\n", "USER base 2\n")})
    commit(project)
    assert cli_run("check", project).exit_code == 0
    release(base, "0.1.1", {"base.txt": lines("base").replace("base 8\n", "BASE base 8\n")}, {})
    release(base, "0.2.0", {"base.txt": "0.2 is outside the extension's pin\n"}, {})

    result = cli_run("check", project, "--json")
    assert result.exit_code == 1, result.output
    state = json.loads(result.output)
    assert state["state"] == "behind"
    assert (
        state["current"] == f"1.0.0 ({base} 0.1.0)" and state["latest"] == f"1.0.0 ({base} 0.1.1)"
    )
    assert "BASE base 8" in cli_run("diff", project, "--upstream").output

    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 0, result.output
    assert f"1.0.0 ({base} 0.1.0) -> 1.0.0 ({base} 0.1.1)" in result.output
    text = (project / "base.txt").read_text("utf-8")
    assert "USER base 2" in text and "BASE base 8" in text
    assert answers(project)["_bases"] == [{"src": str(base), "commit": "0.1.1"}]
    commit(project, "update")
    assert cli_run("check", project).exit_code == 0
    assert cli_run("diff", project).output.count("USER base 2") == 1  # only the user's edit


def test_update_after_an_extension_release_keeps_user_edits(ext: Path, tmp_path: Path):
    project = generate(ext, tmp_path / "project")
    edited = lines("team").replace("team 2\n", "USER team 2\n")
    write(project, {"team.txt": "team = vision\n" + edited, "mine.txt": "my own\n"})
    commit(project)
    new_team = "team = {{ team }}\n" + lines("team").replace("team 9\n", "EXT team 9\n")
    questions = extension_questions(str(ext.parent / "base"), level={"type": "int", "default": 3})
    release(
        ext, "1.1.0", {"team.txt.jinja": new_team, "level.txt.jinja": "{{ level }}\n"}, questions
    )
    assert cli_run("check", project).exit_code == 1

    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 0, result.output
    text = (project / "team.txt").read_text("utf-8")
    assert "USER team 2" in text and "EXT team 9" in text
    assert (project / "level.txt").read_text("utf-8") == "3\n"
    assert (project / "mine.txt").read_text("utf-8") == "my own\n"
    assert (project / "base.txt").read_text("utf-8") == lines("base")
    assert answers(project)["_commit"] == "1.1.0"
    commit(project, "update")
    assert cli_run("check", project).exit_code == 0


def test_extension_of_a_real_builtin(tmp_path: Path) -> None:
    readme = "# {{ project_name }}, the course's image classifier\n"
    ext = release(
        tmp_path / "course",
        "1.0.0",
        {"README.md.jinja": readme, "COURSE.md": lines("course")},
        {"_extends": "image_classifier@0.3.0", "dataset": {"default": "folder"}},
    )
    project = generate(ext, tmp_path / "vision")
    assert (project / "README.md").read_text("utf-8") == "# vision, the course's image classifier\n"
    assert (project / "src" / "vision" / "cli.py").is_file()  # the built-in's files
    recorded = answers(project)
    assert recorded["dataset"] == "folder"
    assert [b["commit"] for b in recorded["_bases"]] == ["0.3.0"]
    assert recorded["_bases"][0]["src"].endswith("mlscaffold/templates/image_classifier.bundle")
    write(project, {"COURSE.md": lines("course").replace("course 1\n", "USER course 1\n")})
    commit(project)

    course = lines("course").replace("course 9\n", "EXT course 9\n")
    release(ext, "1.1.0", {"COURSE.md": course}, {"_extends": "image_classifier@0.3"})
    result = cli_run("update", project, "--defaults")
    assert result.exit_code == 0, result.output
    assert "(image_classifier 0.3.0) -> 1.1.0 (image_classifier 0.3.1)" in result.output
    text = (project / "COURSE.md").read_text("utf-8")
    assert "USER course 1" in text and "EXT course 9" in text
    assert answers(project)["_bases"][0]["commit"] == "0.3.1"
    assert answers(project)["dataset"] == "folder"


def test_a_cycle_is_refused_in_one_line(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    release(a, "1.0.0", {"a.txt": "a\n"}, {"_extends": str(b)})
    release(b, "1.0.0", {"b.txt": "b\n"}, {"_extends": str(a)})
    result = cli_run("new", a, tmp_path / "project", "--defaults")
    assert result.exit_code == 1
    assert f"Error: templates extend each other in a cycle: {a} -> {b} -> {a}" in result.output
    assert not (tmp_path / "project").exists()


def test_a_template_extending_itself_is_a_cycle(tmp_path: Path) -> None:
    me = release(tmp_path / "me", "1.0.0", {"a.txt": "a\n"}, {"_extends": "."})
    result = cli_run("new", me, tmp_path / "project", "--defaults")
    assert result.exit_code == 1 and "cycle" in result.output


def test_a_chain_deeper_than_the_limit_is_refused(tmp_path: Path) -> None:
    depth = compose.MAX_BASES + 1
    for level in range(depth, -1, -1):
        extends = {"_extends": f"../t{level + 1}@1"} if level < depth else {}
        release(tmp_path / f"t{level}", "1.0.0", {f"t{level}.txt": "x\n"}, extends)
    result = cli_run("new", tmp_path / "t0", tmp_path / "project", "--defaults")
    assert result.exit_code == 1
    assert f"a chain of more than {compose.MAX_BASES} bases" in result.output
    # at the limit it works: the last base's 1.1.0 extends nothing
    release(tmp_path / f"t{depth - 1}", "1.1.0", {}, {})
    project = generate(tmp_path / "t0", tmp_path / "project")
    assert sorted(p.name for p in project.glob("t*.txt")) == [f"t{i}.txt" for i in range(depth)]


@pytest.mark.parametrize(
    ("extends", "message"),
    [
        ("--upload-pack=touch /tmp/pwned", "starts with '-'"),
        ("ext::sh -c 'touch /tmp/pwned'", "transport"),
        ("http://example.com/base.git", "not allowed"),
        ("no/such/folder", "is not a template folder"),
    ],
)
def test_base_sources_go_through_the_source_checks(tmp_path: Path, extends: str, message: str):
    ext = release(tmp_path / "ext", "1.0.0", {"a.txt": "a\n"}, {"_extends": extends})
    result = cli_run("new", ext, tmp_path / "project", "--defaults")
    assert result.exit_code == 1 and message in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "project").exists()


def test_a_pin_no_release_matches(base: Path, tmp_path: Path) -> None:
    ext = release(tmp_path / "ext", "1.0.0", {}, {"_extends": f"{base}@0.9"})
    result = cli_run("new", ext, tmp_path / "project", "--defaults")
    assert result.exit_code == 1
    assert (
        f"{base} has no release matching '{base}@0.9'" in result.output and "0.1.0" in result.output
    )


def test_an_unversioned_extension_renders_its_working_tree(base: Path, tmp_path: Path):
    ext = tmp_path / "draft"
    write(
        ext,
        {"copier.yml": f"_subdirectory: project\n_extends: {base}\n", "project/new.txt": "draft\n"},
    )
    project = generate(ext, tmp_path / "project")
    assert (project / "new.txt").read_text("utf-8") == "draft\n"
    assert (project / "base.txt").is_file()
    assert "_commit" not in answers(project)


@pytest.mark.parametrize(
    ("spec", "allowed"),
    [
        ("0.4", ["0.4.0", "0.4.1+acme.1"]),
        ("0.4.0", ["0.4.0"]),
        (">=0.4,<0.5", ["0.4.0", "0.4.1+acme.1"]),
        (None, ["0.3.0", "0.4.0", "0.4.1+acme.1", "0.5.0"]),
        (">=0.5.0rc1", ["0.5.0rc1", "0.5.0"]),
    ],
)
def test_pins(spec: str | None, allowed: list[str]) -> None:
    versions = ["0.3.0", "0.4.0", "0.4.1+acme.1", "0.5.0rc1", "0.5.0"]
    assert compose.matching(versions, spec, "pin") == allowed


@pytest.mark.parametrize(
    ("value", "split"),
    [
        ("image_classifier@0.4", ("image_classifier", "0.4")),
        ("git@github.com:me/base.git", ("git@github.com:me/base.git", None)),
        ("git@github.com:me/base.git@>=1,<2", ("git@github.com:me/base.git", ">=1,<2")),
        ("ssh://git@host/base.git", ("ssh://git@host/base.git", None)),
        ("../base", ("../base", None)),
    ],
)
def test_split_spec(value: str, split: tuple[str, str | None]) -> None:
    assert compose.split_spec(value) == split


def test_a_bad_pin_is_one_line() -> None:
    with pytest.raises(compose.CompositionError, match="no version"):
        compose.matching(["1.0.0"], "one", "pin")


@pytest.mark.parametrize(
    ("bases", "message"),
    [
        ([{"src": "ext::sh -c 'touch /tmp/pwned'", "commit": "0.1.0"}], "transport"),
        ([{"src": "BASE", "commit": "--upload-pack=x"}], "not a version or tag name"),
        ("BASE", "not a list of src and commit"),
    ],
)
@pytest.mark.parametrize("command", [("check",), ("update", "--defaults"), ("diff",)], ids=str)
def test_tampered_bases_are_refused_in_one_line(
    ext: Path, base: Path, tmp_path: Path, bases: object, message: str, command: tuple[str, ...]
) -> None:
    import yaml

    project = generate(ext, tmp_path / "project")
    recorded = answers(project)
    text = json.dumps(bases).replace("BASE", str(base))
    recorded["_bases"] = json.loads(text)
    write(project, {".copier-answers.yml": yaml.safe_dump(recorded)})
    commit(project, "tampered")
    result = cli_run(*command, project)
    assert result.exit_code == 1 and message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_a_base_cloned_from_a_hosted_repository_is_recorded_by_its_url(
    base: Path, tmp_path: Path
) -> None:
    bare = tmp_path / "hosted" / "base.git"
    git("clone", "--quiet", "--bare", str(base), str(bare))
    local = tmp_path / "base-clone"
    git("clone", "--quiet", bare.as_uri(), str(local))
    ext = release(tmp_path / "ext", "1.0.0", EXT_V1, extension_questions(f"{local}@0.1"))
    project = generate(ext, tmp_path / "project")
    assert answers(project)["_bases"] == [{"src": bare.as_uri(), "commit": "0.1.0"}]
    shutil.rmtree(local)  # the project needs no clone: the base comes from the hosted URL
    write(project, {"base.txt": lines("base").replace("base 2\n", "USER base 2\n")})
    commit(project)
    release(base, "0.1.1", {"base.txt": lines("base").replace("base 8\n", "BASE base 8\n")}, {})
    git("push", "--quiet", str(bare), "main", "--tags", cwd=base)
    assert cli_run("check", project).exit_code == 1
    assert cli_run("update", project, "--defaults").exit_code == 0
    text = (project / "base.txt").read_text("utf-8")
    assert "USER base 2" in text and "BASE base 8" in text


def test_an_extension_fetched_from_a_url(ext: Path, base: Path, tmp_path: Path) -> None:
    bare = tmp_path / "hosted" / "ext.git"  # no working tree: fetched like any git URL
    git("clone", "--quiet", "--bare", str(ext), str(bare))
    project = generate(bare.as_uri(), tmp_path / "project")  # type: ignore[arg-type]
    assert answers(project)["_src_path"] == str(bare)
    assert (project / "base.txt").is_file() and (project / "team.txt").is_file()
    draft = tmp_path / "draft"
    write(draft, {"copier.yml": f"_subdirectory: project\n_extends: {base}\n"})
    git("init", "--quiet", cwd=draft)
    commit(draft, "untagged")
    git("clone", "--quiet", "--bare", str(draft), str(tmp_path / "hosted" / "draft.git"))
    result = cli_run("new", tmp_path / "hosted" / "draft.git", tmp_path / "other", "--defaults")
    assert (
        result.exit_code == 1
        and "extends another template but has no tagged version" in result.output
    )
