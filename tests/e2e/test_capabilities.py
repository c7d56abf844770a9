"""Advanced capabilities are questions (contract v3, part 2): `mlscaffold update` adds a
capability's files when its answer turns true and removes them when it turns false again, leaving
the project exactly as a fresh `new` with that answer would. Slow (renders every template several
times): run with -m e2e."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mlscaffold.gitutil import git
from mlscaffold.sources import history

from ..conftest import TEMPLATES, capability_questions
from ..updatekit import cli_run, commit, isolate

pytestmark = pytest.mark.e2e


CASES = [(t, q) for t in sorted(history.builtins()) for q in capability_questions(t)]


def tree(root: Path) -> dict[str, bytes]:
    """Every tracked file of a project with its content, the answers file left out."""
    names = git("ls-files", "-z", cwd=root).split("\0")
    return {n: (root / n).read_bytes() for n in names if n and n != ".copier-answers.yml"}


def fresh(template: str, where: Path, *answers: str) -> Path:
    """``where``/project generated with the defaults and ``answers`` (one folder name for all,
    as the project's name comes from it)."""
    where = where / "project"
    args = ["new", template, where, "--defaults", "--no-lock"]
    for answer in answers:
        args += ["--data", answer]
    result = cli_run(*args)
    assert result.exit_code == 0, result.output
    return where


def test_every_template_has_capability_questions() -> None:
    missing = [t for t in history.builtins() if not capability_questions(t)]
    assert not missing, f"no capability questions in {missing}"


def prerequisites(template: str, question: str) -> list[str]:
    """The other capabilities ``question`` is asked only with (named in its ``when``)."""
    spec = yaml.safe_load((TEMPLATES / template / "copier.yml").read_text("utf-8"))
    when = str(spec[question].get("when", ""))
    return [q for q in capability_questions(template) if q != question and q in when]


@pytest.mark.parametrize(("template", "question"), CASES, ids=[f"{t}-{q}" for t, q in CASES])
def test_update_adds_and_removes_a_capability(
    template: str, question: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    isolate(tmp_path / "home", monkeypatch)
    base = [f"{q}=true" for q in prerequisites(template, question)]
    project = fresh(template, tmp_path / "updated", *base)
    without = tree(project)
    chosen = tree(fresh(template, tmp_path / "chosen", *base, f"{question}=true"))
    assert chosen != without, f"{question}=true changes nothing"

    # --defaults answers the questions a capability brings (challenger_share, ann, ...)
    result = cli_run("update", project, "--defaults", "--data", f"{question}=true")
    assert result.exit_code == 0, result.output
    commit(project, f"{question} on")
    assert tree(project) == chosen

    result = cli_run("update", project, "--defaults", "--data", f"{question}=false")
    assert result.exit_code == 0, result.output
    commit(project, f"{question} off")
    assert tree(project) == without
