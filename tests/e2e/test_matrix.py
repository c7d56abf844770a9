"""The template test harness: every built-in template, generated with two answer sets, must install
in a fresh virtual environment and pass its own tests, ruff and hadolint. Slow: run with -m e2e."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlscaffold.cli import cli
from mlscaffold.sources import history

from ..conftest import capability_questions
from .helpers import install, needs_torch, sh
from .timing import Timer

pytestmark = pytest.mark.e2e

COMMON = {
    "project_name": "Acme.Lab-2",
    "package_name": "acme_lab_machine_learning_portfolio_project",  # long: imports must wrap
    "python_version": "3.13",
    "license": "Apache-2.0",
    "author_name": "Ada Lovelace",
    "author_email": "ada@example.org",
}
# The "custom" variant: every template's own answers changed and every capability question on.
OWN_ANSWERS = {
    "image_classifier": {"dataset": "folder"},
    "recommender": {"dataset": "csv"},
    "mlops": {"challenger_share": "0.25"},
    "nlp": {"dataset": "own"},
    "timeseries": {"dataset": "csv"},
}
ANSWER_SETS = {
    name: {**COMMON, **own, **dict.fromkeys(capability_questions(name), "true")}
    for name, own in OWN_ANSWERS.items()
}
# Every built-in template with its defaults, and with custom answers where ANSWER_SETS has them.
CASES = [
    (name, variant)
    for name in sorted(history.builtins())
    for variant in ("defaults", "custom")
    if variant == "defaults" or name in ANSWER_SETS
]


@pytest.mark.parametrize(("template", "variant"), CASES, ids=[f"{t}-{v}" for t, v in CASES])
def test_generated_project_installs_lints_and_passes_its_tests(
    template: str, variant: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    timer = Timer(f"{template} ({variant})")
    request.addfinalizer(lambda: timer.report(request.node))
    project = tmp_path / "project"
    args = ["new", template, str(project), "--defaults"]
    if variant == "custom":
        for key, value in ANSWER_SETS[template].items():
            args += ["--data", f"{key}={value}"]
    with timer.phase("generate"):
        result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    with timer.phase("install"):
        install(project, with_torch=needs_torch(project))
    with timer.phase("lint"):
        sh("ruff", "check", ".", cwd=project)
        sh("ruff", "format", "--check", ".", cwd=project)
        sh("hadolint", "Dockerfile", cwd=project)
    with timer.phase("pytest"):
        output = sh("pytest", "-q", "-rs", "-p", "no:cacheprovider", cwd=project, timeout=600)
    assert " passed" in output and " failed" not in output
    if shutil.which("prometheus"):
        assert "RUN_INTEGRATION" not in output  # the integration test ran, not skipped
