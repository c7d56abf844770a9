"""The contract harness proves itself on a tiny fake template built from the shared modules: it
passes the sound project and catches each deliberate break (a 500, an undocumented status, a demo
page that shows no prediction). Slow: run with -m e2e."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import copier
import pytest

from . import contract, fake_template
from .helpers import install
from .timing import Timer

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("fake")]


@dataclass
class Fake:
    project: Path
    spec: contract.Spec
    readme_before: str
    timer: Timer


@pytest.fixture(scope="module")
def fake(tmp_path_factory: pytest.TempPathFactory) -> Fake:
    root = tmp_path_factory.mktemp("fake")
    template = fake_template.build(root / "template")
    project = root / "project"
    timer = Timer("fake (harness self-test)")
    with timer.phase("generate"):
        copier.run_copy(str(template), str(project), defaults=True, unsafe=True, quiet=True)
    readme = (project / "README.md").read_text("utf-8")
    with timer.phase("install"):
        install(project, with_torch=False)
    spec = contract.read_spec(template / "template.yml")
    with timer.phase("smoke"):
        contract.run_smoke(project, spec)
    return Fake(project, spec, readme, timer)


@pytest.fixture
def timed(fake: Fake, request: pytest.FixtureRequest) -> Timer:
    request.addfinalizer(lambda: fake.timer.report(request.node))
    return fake.timer


def test_smoke_writes_model_card_and_results(fake: Fake) -> None:
    contract.check_results(fake.project, fake.readme_before)
    with pytest.raises(AssertionError, match="did not fill"):
        contract.check_results(fake.project, (fake.project / "README.md").read_text("utf-8"))


def test_schemathesis_passes_a_sound_api(fake: Fake, timed: Timer, tmp_path: Path) -> None:
    with contract.served(fake.project) as base, timed.phase("schemathesis"):
        output = contract.run_schemathesis(base, tmp_path)
    assert "No issues found" in output and " passed" in output


@pytest.mark.parametrize(
    ("bug", "finding"), [("500", "Server error"), ("418", "Undocumented status code")]
)
def test_schemathesis_catches_a_broken_api(fake: Fake, bug: str, finding: str, tmp_path: Path):
    found = pytest.raises(AssertionError, match="schemathesis found problems")
    with contract.served(fake.project, env={"FAKE_BUG": bug}) as base, found as err:
        contract.run_schemathesis(base, tmp_path)
    assert finding in str(err.value)


@pytest.fixture
def chromium() -> None:
    if reason := contract.chromium_missing():
        pytest.skip(reason)


@pytest.mark.usefixtures("chromium")
def test_demo_shows_prediction_and_metrics(fake: Fake, timed: Timer) -> None:
    with contract.served(fake.project) as base, timed.phase("demo"):
        shown = contract.run_demo(base, fake.spec.demo, fake.project)
    assert shown["[data-testid=prediction]"] == "high (80% confident)"
    assert "accuracy" in shown["[data-testid=metrics]"]


@pytest.mark.usefixtures("chromium")
def test_demo_catches_a_missing_prediction(fake: Fake) -> None:
    missing = pytest.raises(
        AssertionError, match=r"showed no \[data-testid=prediction\].*server log"
    )
    with contract.served(fake.project, env={"FAKE_BUG": "500"}) as base, missing:
        contract.run_demo(base, fake.spec.demo, fake.project)
