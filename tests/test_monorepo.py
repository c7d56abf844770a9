"""Projects in a subfolder of a larger git repository: ``new`` stages them there, and ``check``,
``diff`` and ``update`` work on them from the subfolder or by path, touching nothing outside it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mlscaffold.gitutil import GitError, git
from mlscaffold.update import guard, merge

from .trustkit import hold_update_lock
from .updatekit import (
    FLAVOUR,
    answers,
    assert_no_leftovers,
    check_scenario,
    cli_run,
    commit,
    conflicting_branch,
    isolate,
    lines,
    release,
    scenario_v1,
    scenario_v2,
    user_edits,
    write,
)

QUESTIONS = {"project_name": {"type": "str", "default": "demo"}}
APP = "apps/demo"
# Outside the project: a copy of a template file the user deletes in the project (the merge
# must not take it for a rename target), and a `.log` rule that ignores a file the template renders.
OTHER = {
    "README.md": "# the monorepo\n",
    "lib/util.py": "VALUE = 1\n",
    "other/deleted_by_user.txt": lines("deleted by user"),
    ".gitignore": "*.log\n",
}


V2 = {**scenario_v2(), "train.log": "changed by the template\n"}


def state(repo: Path, prefix: str | None = None) -> dict[str, object]:
    """Everything an update could change in ``repo`` outside folder ``prefix`` (all of it when
    None): each file's bytes (untracked and ignored ones too), the index, HEAD and git's status."""

    def outside(path: str) -> bool:
        return prefix is None or not path.startswith(f"{prefix}/")

    files = {
        p.relative_to(repo).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(repo).parts
    }
    status = git("status", "--porcelain", "--ignored", "--untracked-files=all", cwd=repo)
    index = git("ls-files", "--stage", cwd=repo)
    return {
        "files": {k: v for k, v in files.items() if outside(k)},
        "index": [e for e in index.splitlines() if outside(e.split("\t")[1])],
        "head": git("rev-parse", "HEAD", cwd=repo),
        "status": [line for line in status.splitlines() if outside(line[3:])],
    }


def untidy(repo: Path) -> None:
    """The user's work in progress outside the project: an unstaged and a staged change, an
    untracked and an ignored file."""
    write(repo, {"README.md": "# the monorepo, edited\n", "lib/util.py": "VALUE = 2\n"})
    git("add", "lib/util.py", cwd=repo)
    write(repo, {"notes.txt": "untracked\n", "debug.log": "ignored\n"})


@pytest.fixture
def template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    isolate(tmp_path / "home", monkeypatch)
    files = {**scenario_v1(), "train.log": "rendered, ignored by the monorepo\n"}
    return release(tmp_path / "template", "0.1.0", files, QUESTIONS)


@pytest.fixture
def repo(tmp_path: Path, template: Path) -> Path:
    repo = tmp_path / "mono"
    repo.mkdir()
    git("init", "--quiet", cwd=repo)
    write(repo, OTHER)
    commit(repo, "the monorepo")
    return repo


def new(template: Path, dest: Path, *args: str) -> None:
    result = cli_run("new", template, dest, "--defaults", *args)
    assert result.exit_code == 0, result.output


@pytest.fixture
def edited(template: Path, repo: Path) -> Path:
    """The project at APP, committed and edited by its user; the user's untidy work outside it;
    the template's 0.2.0 released."""
    new(template, repo / APP)
    git("commit", "--quiet", "-m", "add the project", cwd=repo)
    user_edits(repo / APP)
    untidy(repo)
    release(template, "0.2.0", V2, {**QUESTIONS, **FLAVOUR})
    return repo / APP


def test_new_stages_the_project_in_the_enclosing_repository(template: Path, repo: Path) -> None:
    untidy(repo)
    before = state(repo, APP)
    result = cli_run("new", template, repo / APP, "--defaults")
    assert result.exit_code == 0, result.output
    assert "staged in the repository" in result.output and f"-- {APP}" in result.output
    assert not (repo / APP / ".git").exists()
    staged = git("diff", "--cached", "--name-status", cwd=repo).splitlines()
    project = sorted(line for line in staged if APP in line)
    assert f"A\t{APP}/.copier-answers.yml" in project and f"A\t{APP}/config.txt" in project
    assert f"A\t{APP}/train.log" not in project  # the monorepo's .gitignore applies
    assert sorted(set(staged) - set(project)) == ["M\tlib/util.py"]  # the user's, left as it was
    assert state(repo, APP) == before


def test_new_leaves_nothing_when_git_cannot_stage(template: Path, repo: Path) -> None:
    (repo / ".git" / "index.lock").write_text("", "utf-8")  # another git command is running
    (repo / APP).mkdir(parents=True)
    before = state(repo)
    result = cli_run("new", template, repo / APP, "--defaults")
    assert result.exit_code == 1 and "nothing was written" in result.output
    assert "Traceback" not in result.output and "index.lock" in result.output
    assert not any((repo / APP).iterdir()) and state(repo) == before


def test_new_refuses_a_folder_whose_files_are_still_tracked(template: Path, repo: Path) -> None:
    (repo / "lib/util.py").unlink()  # deleted, the deletion not committed: lib/ is empty
    before = state(repo)
    result = cli_run("new", template, repo / "lib", "--defaults")
    assert result.exit_code == 1 and "still tracks files in it (lib/util.py)" in result.output
    assert state(repo) == before


def test_new_with_own_repo_makes_a_nested_repository(template: Path, repo: Path) -> None:
    before = state(repo, APP)
    new(template, repo / APP, "--own-repo")
    assert git("rev-list", "--count", "HEAD", cwd=repo / APP) == "1"
    assert git("status", "--porcelain", cwd=repo / APP) == ""
    assert state(repo, APP) == before


def test_new_in_an_ignored_folder_makes_a_repository(template: Path, repo: Path) -> None:
    write(repo, {".gitignore": "*.log\nscratch/\n"})
    commit(repo, "ignore scratch")
    new(template, repo / "scratch/demo")
    assert git("rev-parse", "--show-toplevel", cwd=repo / "scratch/demo") == str(
        repo / "scratch/demo"
    )


def test_new_runs_no_fsmonitor_of_the_enclosing_repository(template: Path, repo: Path) -> None:
    marker = repo.parent / "fsmonitor-ran"
    git("config", "core.fsmonitor", f"touch {marker}; false", cwd=repo)
    new(template, repo / APP)
    assert not marker.exists()


def test_check_and_diff_from_the_subfolder_and_by_path(
    template: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new(template, repo / APP)
    git("commit", "--quiet", "-m", "add the project", cwd=repo)
    write(repo / APP, {"config.txt": lines("config") + "mine\n"})
    untidy(repo)
    (repo / APP / "deep/er").mkdir(parents=True)
    before = state(repo)
    for cwd, where in ((repo / "lib", "../apps/demo"), (repo / APP / "deep/er", ".")):
        monkeypatch.chdir(cwd)
        result = cli_run("check", where)
        assert result.exit_code == 0 and "up to date" in result.output, result.output
    monkeypatch.chdir(repo / APP)
    changes = cli_run("diff").output
    assert "--- a/config.txt\n+++ b/config.txt" in changes and "+mine" in changes
    assert "README" not in changes and "util" not in changes  # nothing from outside
    monkeypatch.chdir(repo)
    assert cli_run("diff", APP).output == changes
    release(template, "0.2.0", scenario_v2(), {**QUESTIONS, **FLAVOUR})
    result = cli_run("check", APP, "--json")
    assert result.exit_code == 1 and '"state": "behind"' in result.output
    assert "+++ b/added.txt" in cli_run("diff", APP, "--upstream").output
    assert state(repo) == before


def test_update_merges_into_the_subfolder_only(
    edited: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, head = state(repo, APP), git("rev-parse", "HEAD", cwd=repo)
    monkeypatch.chdir(edited)
    result = cli_run("update", "--defaults")
    check_scenario(edited, result, head)
    assert answers(edited)["_commit"] == "0.2.0"
    assert "train.log" not in result.output  # ignored by the monorepo: in neither render
    assert git("ls-files", "--unmerged", cwd=repo).count(f"{APP}/conflict.txt") == 3
    assert_no_leftovers(repo)
    assert state(repo, APP) == before
    # the advice given: commit the update alone; the user's staged change stays staged
    assert "`git commit -- .`" in result.output
    write(edited, {"conflict.txt": lines("conflict")})
    git("add", "conflict.txt", cwd=edited)
    git("commit", "--quiet", "-m", "update", "--", ".", cwd=edited)
    assert git("status", "--porcelain", "--", ".", cwd=edited) == ""
    assert {**state(repo, APP), "head": head} == before


def test_update_by_path_from_the_repository_root(
    edited: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(repo)
    before, outside = state(repo), state(repo, APP)
    result = cli_run("update", APP, "--defaults", "--dry-run")
    assert "Would conflict: conflict.txt" in result.output and "added.txt" in result.output
    assert state(repo) == before
    result = cli_run("update", APP, "--defaults")
    assert result.exit_code == 1 and "Conflicts (fix" in result.output
    assert "  added     added.txt\n" in result.output  # relative to the project
    assert "util.py" not in result.output  # the user's staged change is no part of the update
    assert (edited / "added.txt").is_file() and not (repo / "added.txt").exists()
    assert state(repo, APP) == outside


def test_undo_restores_the_subfolder_and_nothing_else(edited: Path, repo: Path) -> None:
    committed = state(repo)
    result = cli_run("update", edited, "--defaults")
    assert result.exit_code == 1
    undo = "git restore --source=HEAD --staged --worktree -- ."
    git(*undo.split()[1:], cwd=edited)
    assert state(repo) == committed


def test_a_full_disk_names_the_undo_for_the_subfolder(
    template: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new(template, repo / APP)
    git("commit", "--quiet", "-m", "add the project", cwd=repo)
    untidy(repo)
    release(template, "0.2.0", V2, {**QUESTIONS, **FLAVOUR})
    edited, committed, real_git = repo / APP, state(repo), merge.git

    def full_disk(*args, **kwargs):
        if "cherry-pick" in args and "--no-commit" in args:  # it wrote part of the tree
            real_git(*args, **{**kwargs, "check": False})
            raise GitError("error: unable to write file added.txt: No space left on device")
        return real_git(*args, **kwargs)

    monkeypatch.setattr(merge, "git", full_disk)
    result = cli_run("update", edited, "--defaults")
    assert result.exit_code == 1 and "disk is full" in result.output
    undo = "git restore --source=HEAD --staged --worktree -- ."
    created = "added.txt flavour.txt moved_by_template.txt"
    assert f"`{undo}` and `git clean -f -- {created}`" in result.output, result.output
    assert "reset --hard" not in result.output
    git(*undo.split()[1:], cwd=edited)
    git(
        "clean",
        "--quiet",
        "-f",
        "--",
        "added.txt",
        "flavour.txt",
        "moved_by_template.txt",
        cwd=edited,
    )
    assert state(repo) == committed


def test_uncommitted_changes_in_the_subfolder_block(edited: Path, repo: Path) -> None:
    write(edited, {"config.txt": "half done\n"})
    before = state(repo)
    result = cli_run("update", edited, "--defaults")
    assert result.exit_code == 1 and "uncommitted changes (config.txt)" in result.output
    assert state(repo) == before


def test_an_ignored_file_in_the_way_blocks(template: Path, repo: Path) -> None:
    new(template, repo / APP)
    git("commit", "--quiet", "-m", "add the project", cwd=repo)
    write(repo / APP, {".gitignore": ".env\n"})
    commit(repo / APP, "ignore .env")
    write(repo / APP, {".env": "API_KEY=my-real-secret\n"})
    release(template, "0.2.0", {".env": "API_KEY=change-me\n"}, QUESTIONS)
    before = state(repo)
    result = cli_run("update", repo / APP, "--defaults")
    assert result.exit_code == 1 and "--force-overwrite .env" in result.output
    assert state(repo) == before


@pytest.mark.parametrize("obstacle", ["lock", "merge", "conflict outside"])
def test_the_guards_hold_for_the_whole_repository(
    template: Path, repo: Path, obstacle: str
) -> None:
    new(template, repo / APP)
    git("commit", "--quiet", "-m", "add the project", cwd=repo)
    release(template, "0.2.0", {"b.txt": "b\n"}, QUESTIONS)
    holder = None
    if obstacle == "lock":  # another update holds the repository's lock
        holder = hold_update_lock(repo / ".git" / guard.LOCK)
    else:
        conflicting_branch(repo, "README.md")
        git("merge", "other", cwd=repo, check=False)
        if obstacle == "conflict outside":
            (repo / ".git" / "MERGE_HEAD").unlink()  # as after a `git stash pop` that conflicted
    before = state(repo)
    try:
        result = cli_run("update", repo / APP, "--defaults")
    finally:
        if holder is not None:
            holder.kill()
            holder.wait()
    expected = {"lock": "another mlscaffold update", "merge": "in the middle of a merge"}
    assert result.exit_code == 1, result.output
    assert expected.get(obstacle, "unresolved conflicts (README.md)") in result.output
    assert state(repo) == before


def test_sibling_projects_each_update_alone(template: Path, repo: Path) -> None:
    new(template, repo / "apps/a")
    new(template, repo / "apps/b")
    git("commit", "--quiet", "-m", "two projects", cwd=repo)
    user_edits(repo / "apps/a")
    release(template, "0.2.0", scenario_v2(), {**QUESTIONS, **FLAVOUR})
    sibling = state(repo, "apps/a")
    result = cli_run("update", repo / "apps/a", "--defaults")
    assert result.exit_code == 1 and "conflict.txt" in result.output
    assert state(repo, "apps/a") == sibling  # b, and all the rest, untouched
    git("checkout", "--theirs", "--", "conflict.txt", cwd=repo / "apps/a")
    commit(repo / "apps/a", "update a")
    result = cli_run("update", repo / "apps/b", "--defaults")
    assert result.exit_code == 0, result.output
    commit(repo / "apps/b", "update b")
    assert [answers(repo / "apps" / p)["_commit"] for p in "ab"] == ["0.2.0", "0.2.0"]
    assert (repo / "apps/b/deleted_by_user.txt").read_text("utf-8").endswith("TEMPLATE addition\n")
    result = cli_run("check", repo)
    assert result.exit_code == 1 and "apps/a, apps/b" in result.output


def test_fleet_update_restores_a_failing_subfolder_and_nothing_else(
    template: Path, repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    new(template, repo / "apps/a")
    new(template, repo / "apps/b")
    git("commit", "--quiet", "-m", "two projects", cwd=repo)
    user_edits(repo / "apps/b")
    untidy(repo)
    release(template, "0.2.0", V2, {**QUESTIONS, **FLAVOUR})
    apply = merge.apply

    def apply_then_fail(root: Path, old: str, new: str) -> merge.MergeResult:
        result = apply(root, old, new)  # the merge has changed the project...
        if root.name == "b":
            raise RuntimeError("simulated failure after the merge")  # ...then it fails
        return result

    monkeypatch.setattr(merge, "apply", apply_then_fail)
    outside_a = state(repo, "apps/a")
    result = cli_run("update", "--all", repo, "--defaults")
    assert result.exit_code == 1 and "failed, restored" in result.output
    # b is back as it was, and nothing outside a (the user's untidy work included) changed
    assert state(repo, "apps/a") == outside_a
    assert answers(repo / "apps/a")["_commit"] == "0.2.0"
    assert answers(repo / "apps/b")["_commit"] == "0.1.0"


def test_no_git_run_finds_no_repository_where_there_is_no_git_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlscaffold.generate import monorepo

    monkeypatch.delenv("GIT_DIR", raising=False)
    monkeypatch.delenv("GIT_WORK_TREE", raising=False)
    runs: list[tuple] = []
    monkeypatch.setattr(monorepo, "git", lambda *args, **kw: runs.append(args) or "")
    assert monorepo.enclosing_repository(tmp_path / "new" / "project") is None
    assert runs == []
    (tmp_path / ".git").mkdir()  # git decides, e.g. that this is no repository after all
    assert monorepo.enclosing_repository(tmp_path / "new" / "project") is None
    assert runs
