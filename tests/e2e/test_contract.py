"""Contract v2 for every built-in template (docs/templates.md, "The e2e harness"): the smoke run
writes MODEL_CARD.md and the README results, the served API passes schemathesis, and the demo page
shows a prediction and the test metrics in headless Chromium. Contract v3, item 1: the trained
API serves from a runtime-only install, and the project's Dockerfile builds an image that serves
the same prediction over HTTP, without training libraries. Slow: run with -m e2e."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from mlscaffold.cli import cli
from mlscaffold.sources import history

from . import contract, images
from .helpers import install, needs_torch, sh, user_home
from .timing import Timer

pytestmark = pytest.mark.e2e

# One xdist group per template: its project is built once, on one worker (-n N --dist loadgroup).
TEMPLATES = [pytest.param(n, marks=pytest.mark.xdist_group(n)) for n in sorted(history.builtins())]


@dataclass
class Built:
    name: str
    project: Path
    spec: contract.Spec
    readme_before: str
    timer: Timer
    new_output: str  # what `mlscaffold new` printed, its Next steps included


@pytest.fixture(scope="module", params=TEMPLATES)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The template generated with its defaults, installed, and its smoke commands run."""
    name = request.param
    root = tmp_path_factory.mktemp(name)
    timer = Timer(name)
    with user_home(root):
        version = history.builtins()[name].version
        template_yml = history.checkout(name, version) / "template.yml"
        spec = contract.read_spec(template_yml, source=f"templates/{name}/template.yml")
        project = root / "project"
        with timer.phase("generate"):
            result = CliRunner().invoke(cli, ["new", name, str(project), "--defaults"])
        assert result.exit_code == 0, result.output
    assert (project / "uv.lock").is_file(), f"no uv.lock:\n{result.output}"
    readme = (project / "README.md").read_text("utf-8")
    with timer.phase("install"):
        install(project, with_torch=needs_torch(project))
    with timer.phase("smoke"):
        contract.run_smoke(project, spec)
    return Built(name, project, spec, readme, timer, result.output)


@pytest.fixture
def timed(built: Built, request: pytest.FixtureRequest) -> Timer:
    request.addfinalizer(lambda: built.timer.report(request.node))
    return built.timer


def test_smoke_writes_model_card_and_readme_results(built: Built, timed: Timer) -> None:
    contract.check_results(built.project, built.readme_before)


def test_next_steps_name_real_verbs(built: Built, timed: Timer) -> None:
    """Every `python -m <package> VERB` that `new` told the user to run is a command of the
    installed project (its --help exits 0)."""
    prefix = f"python -m {contract.package_of(built.project)} "
    steps = built.new_output.split("Next steps:", 1)[1].splitlines()
    verbs = [line.strip().removeprefix(prefix).split()[0] for line in steps if prefix in line]
    assert {"train", "evaluate", "serve"} <= set(verbs), steps
    python = built.project / ".venv" / "bin" / "python"
    for verb in verbs:
        sh(python, "-m", contract.package_of(built.project), verb, "--help", cwd=built.project)


def test_api_passes_schemathesis(built: Built, timed: Timer, tmp_path: Path) -> None:
    with timed.phase("serve+schemathesis"), contract.served(built.project) as url:
        contract.run_schemathesis(url, tmp_path, built.spec.accept)


def test_demo_page_in_chromium(built: Built, timed: Timer) -> None:
    if reason := contract.chromium_missing():
        pytest.skip(reason)
    with timed.phase("serve+demo"), contract.served(built.project) as url:
        shown = contract.run_demo(url, built.spec.demo, built.project)
    assert all(shown.values()), shown


def test_trained_api_serves_from_a_runtime_only_install(built: Built, timed: Timer) -> None:
    """The project's own quick check (tests/test_runtime_only.py), now with artifacts/ to serve."""
    with timed.phase("runtime-only"):
        python = built.project / ".venv" / "bin" / "python"
        out = sh(python, "-m", "pytest", "-q", "-rs", "tests/test_runtime_only.py",
                 cwd=built.project)  # fmt: skip
    assert "3 passed" in out, out


def test_image_builds_and_serves_the_same_prediction(
    built: Built, timed: Timer, request: pytest.FixtureRequest
) -> None:
    if reason := images.tools_missing():
        pytest.skip(reason)
    predict = built.spec.predict
    with contract.served(built.project) as url:
        expected = contract.send(url, predict, built.project)
    store, tag = images.Store(), f"localhost/mlscaffold-e2e-{built.name}:test"
    with store.locked():  # one build at a time: vfs on two cores
        try:
            with timed.phase("image build"):
                images.build(store, built.project, tag)
            size = images.size_mb(store, tag)
            request.node.user_properties.append((images.KEY, (built.name, size)))
            found = images.contents(store, tag)
            container = images.running(store, tag, contract.free_port())
            with timed.phase("container"), container as url:
                answer = contract.send(url, predict, built.project)
        finally:
            images.remove(store, tag)
    extra = images.not_needed(found, *images.runtime_requirements(built.project))
    assert not extra, f"the serving image holds what no [project] dependency needs: {sorted(extra)}"
    assert not (diff := contract.differences(expected, answer, predict.get("vary", []))), (
        f"the image answers {predict['method']} {predict['path']} otherwise than the served API:\n"
        + "\n".join(diff)
    )
