"""The templates' opt-in tests of their distributed back ends, run for real: the recommender's
Spark ALS in local mode (needs Java) and the timeseries template's Dask fits. Each generates the
template with its defaults, installs the extra and runs the test file with its opt-in variable;
a skip counts as a failure. Slow (pyspark is a source package of ~450 MB): run with -m e2e."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlscaffold.cli import cli

from .helpers import install, needs_torch, sh
from .timing import Timer

pytestmark = pytest.mark.e2e

CASES = [  # the template, the capability questions that bring the tests, extras, tests, switch
    pytest.param(
        "recommender",
        ["factor_models", "scale_out"],
        "dev,spark",
        "tests/test_spark.py",
        "RUN_SPARK_TESTS",
        id="spark",
    ),
    pytest.param(
        "timeseries",
        ["scale_out"],
        "dev,distributed",
        "tests/test_distributed.py",
        "RUN_DISTRIBUTED",
        id="dask",
    ),
]


@pytest.mark.parametrize(("template", "questions", "extras", "tests", "variable"), CASES)
def test_opt_in_distributed_tests_pass(
    template: str,
    questions: list[str],
    extras: str,
    tests: str,
    variable: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    if variable == "RUN_SPARK_TESTS" and not shutil.which("java"):
        pytest.fail("Spark needs Java 17 on PATH (.ci/run installs openjdk-17-jre-headless)")
    timer = Timer(f"{template} ({extras})")
    request.addfinalizer(lambda: timer.report(request.node))
    project = tmp_path / "project"
    with timer.phase("generate"):
        answers = [arg for q in questions for arg in ("--data", f"{q}=true")]
        result = CliRunner().invoke(cli, ["new", template, str(project), "--defaults", *answers])
    assert result.exit_code == 0, result.output
    with timer.phase("install"):
        install(project, with_torch=needs_torch(project), extras=extras)
    with timer.phase("pytest"):
        output = sh(
            "pytest",
            "-q",
            "-rs",
            "-x",
            "--tb=short",
            "-p",
            "no:cacheprovider",
            tests,
            cwd=project,
            timeout=1200,
            env={variable: "1", "OMP_NUM_THREADS": "1"},
        )
    assert " passed" in output and " skipped" not in output, output
