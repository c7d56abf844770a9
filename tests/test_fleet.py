"""``check`` and ``update`` over a fleet of 20 projects in a mix of states, in one command."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlscaffold.generate import render
from mlscaffold.gitutil import git
from mlscaffold.update import merge
from mlscaffold.update.fleet import discover

from .updatekit import cli_run, commit, isolate, lines, release, write

QUESTIONS = {"project_name": {"type": "str", "default": "demo"}}
V1 = {"main.txt": lines("main"), "README.md.jinja": "# {{ project_name }}\n"}
V2 = {"main.txt": lines("main").replace("main 8\n", "TEMPLATE main 8\n"), "added.txt": "new\n"}
BEHIND = [f"p{i:02}" for i in range(10)]
EXPECTED_CHECK = {
    **dict.fromkeys([*BEHIND, "p10", "p15"], "behind"),
    "p11": "dirty",
    "p12": "conflicted",
    "p13": "broken",
    "p14": "ahead",
    **dict.fromkeys(["p16", "p17", "p18", "p19"], "up to date"),
}


def _snapshot(root: Path) -> dict:
    """Every byte of the working tree (ignored files included) and git's view of it."""
    files = {
        p.relative_to(root).as_posix(): p.read_bytes() if p.is_file() else "dir"
        for p in sorted(root.rglob("*"))
        if ".git" not in p.relative_to(root).parts
    }
    state = [
        git(*args, cwd=root)
        for args in (
            ("rev-parse", "HEAD"),
            ("ls-files", "-s"),
            ("status", "--porcelain", "--ignored"),
        )
    ]
    return {"files": files, "git": state}


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """20 projects of one template: behind (clean or edited), to conflict, dirty, conflicted,
    broken, ahead, one that will fail mid-update, and up to date."""
    isolate(tmp_path / "home", monkeypatch)
    template = release(tmp_path / "template", "0.1.0", V1, QUESTIONS)
    root = tmp_path / "fleet"

    def new(name: str, project_name: str = "course") -> Path:
        result = cli_run(
            "new", template, root / name, "--defaults", "--data", f"project_name={project_name}"
        )
        assert result.exit_code == 0, result.output
        return root / name

    for i in range(16):
        new(f"p{i:02}", "course" if i < 5 else "other")  # two answer sets
    write(root / "p01", {"main.txt": lines("main").replace("main 2\n", "USER main 2\n")})
    commit(root / "p01")
    for name in ("p10", "p12"):
        write(root / name, {"main.txt": lines("main").replace("main 8\n", "USER main 8\n")})
        commit(root / name)
    write(root / "p13", {".copier-answers.yml": "_commit: [unclosed\n_src_path: x\n"})
    commit(root / "p13")
    write(root / "p15", {".gitignore": ".env\n"})
    commit(root / "p15")
    write(root / "p15", {".env": "SECRET=1\n"})  # ignored: the user's, never touched
    release(template, "0.2.0", V2, QUESTIONS)
    write(template, {"project/later.txt": "unreleased\n"})
    commit(template, "after 0.2.0")  # p14 is on this unreleased commit: ahead
    recorded = (root / "p14" / ".copier-answers.yml").read_text("utf-8")
    ahead = git("describe", "--tags", cwd=template)
    write(root / "p14", {".copier-answers.yml": recorded.replace("0.1.0", ahead)})
    commit(root / "p14")
    for i in range(16, 20):
        new(f"p{i:02}")
    assert cli_run("update", root / "p12", "--defaults").exit_code == 1  # conflicts left
    write(root / "p11", {"notes.txt": "uncommitted\n"})
    write(root / "p00", {".gitignore": ".venv/\n"})
    commit(root / "p00")
    write(root / "p00" / ".venv", {"x/.copier-answers.yml": "_src_path: elsewhere\n"})
    return root


def test_discover_finds_every_project_and_skips_tool_folders(fleet: Path) -> None:
    found = discover(fleet)
    assert [t.path.name for t in found] == sorted(EXPECTED_CHECK)
    assert {t.answers_file for t in found} == {".copier-answers.yml"}


def test_check_all_reports_every_state(fleet: Path) -> None:
    result = cli_run("check", "--all", fleet, "--json")
    assert result.exit_code == 1  # behind, broken and conflicted ones
    rows = json.loads(result.stdout)
    assert {Path(r["project"]).name: r["state"] for r in rows} == EXPECTED_CHECK
    by_name = {Path(r["project"]).name: r for r in rows}
    assert by_name["p11"]["version_state"] == "behind" and "notes.txt" in by_name["p11"]["reason"]
    assert "main.txt" in by_name["p12"]["reason"]
    assert "cannot read" in by_name["p13"]["reason"] and by_name["p13"]["current"] == ""
    assert by_name["p16"]["up_to_date"] and not by_name["p00"]["up_to_date"]

    table = cli_run("check", "--all", fleet).stdout.splitlines()
    assert table[0].split() == ["project", "template", "current", "newest", "state"]
    assert len(table) == 22 and table[-1].startswith("20 checked: 1 ahead, 12 behind, 1 broken")
    assert any(line.split()[0].endswith("p16") and line.endswith("up to date") for line in table)


def test_check_exit_codes_of_several_paths(fleet: Path) -> None:
    up_to_date = [fleet / f"p{i}" for i in (16, 17, 14)]  # ahead is not behind
    assert cli_run("check", *up_to_date).exit_code == 0
    assert cli_run("check", *up_to_date, fleet / "p11").exit_code == 1  # dirty and behind
    assert cli_run("check", *up_to_date, fleet / "p13").exit_code == 1  # broken


def test_update_all_goes_on_restores_the_failing_one_and_sums_up(
    fleet: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing, apply = fleet / "p15", merge.apply

    def apply_then_fail(repo: Path, old: str, new: str) -> merge.MergeResult:
        result = apply(repo, old, new)  # the merge has changed the project...
        if repo.name == failing.name:
            raise RuntimeError("simulated failure after the merge")  # ...then it fails
        return result

    renders = []
    copier_render = render.copier_render
    monkeypatch.setattr(merge, "apply", apply_then_fail)
    monkeypatch.setattr(
        "mlscaffold.update.apply.copier_render",
        lambda *args: renders.append(args) or copier_render(*args),
    )
    before = _snapshot(failing)
    result = cli_run("update", "--all", fleet, "--defaults")

    assert result.exit_code == 1
    rows = {line.split()[0].rsplit("/", 1)[-1]: line for line in result.stdout.splitlines()[1:21]}
    assert all("updated" in rows[name] for name in BEHIND)
    assert "conflicts" in rows["p10"] and "Conflicts in" in result.stderr
    assert "refused" in rows["p11"] and "notes.txt" in rows["p11"]
    assert "refused" in rows["p12"] and "refused" in rows["p13"]
    assert rows["p14"].endswith("ahead") and rows["p16"].endswith("up to date")
    assert "failed, restored: simulated failure after the merge" in rows["p15"]
    assert "20 handled: 1 ahead, 1 conflicts, 1 failed, restored, 3 refused" in result.stdout
    # the failing project is exactly as it was: no added file, its ignored .env kept
    assert _snapshot(failing) == before
    assert (failing / ".env").read_text("utf-8") == "SECRET=1\n"
    # the others were updated, each with its own answers, from renders made once per answer set
    assert (fleet / "p00" / "added.txt").is_file() and (fleet / "p09" / "added.txt").is_file()
    assert (fleet / "p00" / "README.md").read_text("utf-8") == "# course\n"
    assert (fleet / "p09" / "README.md").read_text("utf-8") == "# other\n"
    assert "USER main 2" in (fleet / "p01" / "main.txt").read_text("utf-8")
    assert len(renders) == 4  # (0.1.0, 0.2.0) x (course, other), not 2 per project


def test_update_of_several_paths_in_a_dry_run_changes_nothing(fleet: Path) -> None:
    projects = [fleet / name for name in ("p00", "p10", "p16")]
    before = [_snapshot(p) for p in projects]
    result = cli_run("update", *projects, "--defaults", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "1 up to date, 2 would update" in result.stdout and "dry run" in result.stdout
    assert [_snapshot(p) for p in projects] == before


def test_new_questions_need_defaults_over_many(fleet: Path, tmp_path: Path) -> None:
    flavour = {"flavour": {"type": "str", "default": "vanilla"}}
    release(tmp_path / "template", "0.3.0", {}, {**QUESTIONS, **flavour})
    result = cli_run("update", fleet / "p16", fleet / "p17")
    assert result.exit_code == 1
    assert result.stdout.count("asks 'flavour': pass --defaults") == 2
