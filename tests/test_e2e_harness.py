"""The pure parts of the e2e contract harness (tests/e2e/contract.py), checked quickly."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e import contract, images, timing
from tests.e2e.helpers import needs_torch

GOOD = """\
title: T
description: d
smoke:
  - python -m {package} train
predict: {method: POST, path: /predict, json: {x: 1}, vary: [id]}
demo:
  - {fill: "#x", value: "1"}
  - {select: "#u", index: 2}
  - {upload: "input[type=file]", path: data/a.png}
  - {click: "#go"}
"""


def write(tmp_path: Path, text: str, name: str = "template.yml") -> Path:
    path = tmp_path / name
    path.write_text(text, "utf-8")
    return path


def test_spec_is_read(tmp_path: Path) -> None:
    spec = contract.read_spec(write(tmp_path, GOOD))
    assert spec.smoke == ["python -m {package} train"]
    assert spec.demo[1] == {"select": "#u", "index": 2}


def test_schemathesis_accept_rules(tmp_path: Path) -> None:
    rule = "{path: /predict, method: post, statuses: [415, 422], why: random bytes are no image}"
    spec = contract.read_spec(write(tmp_path, GOOD + f"schemathesis_accept:\n  - {rule}\n"))
    config = contract.schemathesis_config(spec.accept)
    assert 'include-path = "/predict"\ninclude-method = "POST"\n' in config
    assert config.rstrip().endswith('"429", "5xx", "415", "422"]')
    for bad in ("{path: /p, method: get, statuses: [500], why: x}", "{path: /p, statuses: [415]}"):
        with pytest.raises(AssertionError, match="schemathesis_accept entry 1"):
            contract.read_spec(write(tmp_path, GOOD + f"schemathesis_accept:\n  - {bad}\n"))
    assert contract.schemathesis_config([]) == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title: T\ndescription: d\n", "has no `smoke` key: the contract harness needs it"),
        ("smoke: [train]\n", "has no `demo` key"),
        ("smoke: train\ndemo: [{click: '#go'}]\n", "`smoke` must be a list"),
        ("smoke: [a]\ndemo: [{press: '#go'}]\n", "demo step 1"),
        ("smoke: [a]\ndemo: [{click: '#go', value: x}]\n", "demo step 1"),
        ("smoke: [a]\ndemo: [{fill: '#x'}]\n", "demo step 1"),
        ("smoke: [a]\ndemo: [{select: '#x', index: first}]\n", "`index` must be an integer"),
        ("smoke: [a]\ndemo: [{click: '#go'}]\n", "has no `predict` key: the image check"),
        (
            "smoke: [a]\ndemo: [{click: '#go'}]\npredict: {method: PUT, path: /p}\n",
            "`predict` must",
        ),
        ("smoke: [a]\ndemo: [{click: '#go'}]\npredict: {method: GET, path: p}\n", "`predict` must"),
        (
            "smoke: [a]\ndemo: [{click: '#go'}]\npredict: {method: GET, path: /p, x: 1}\n",
            "`predict`",
        ),
        (
            "smoke: [a]\ndemo: [{click: '#go'}]\npredict: {method: POST, path: /p, json: {}, "
            "upload: {field: f, path: a.png, type: image/png}}\n",
            "`predict` must",
        ),
    ],
)
def test_bad_specs_fail_with_a_clear_message(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(AssertionError, match=message.replace("[", r"\[")):
        contract.read_spec(write(tmp_path, text), source="templates/x/template.yml")


def project(tmp_path: Path, card: str | None, results: str) -> Path:
    readme = f"# P\n\n{contract.START}\n{results}\n{contract.END}\n"
    write(tmp_path, readme, "README.md")
    if card is not None:
        write(tmp_path, card, "MODEL_CARD.md")
    return tmp_path


PLACEHOLDER = "_Run `report` to fill this in._"
CARD = "# Model card\n\n## Metrics\n\n| Model | Value |\n|---|---|\n| cnn | 0.91 |\n"
BEFORE = f"{contract.START}\n{PLACEHOLDER}\n{contract.END}"


def test_results_pass_when_filled(tmp_path: Path) -> None:
    contract.check_results(project(tmp_path, CARD, "| a | 0.9 |"), BEFORE)


@pytest.mark.parametrize(
    ("card", "results", "message"),
    [
        (None, "| a | 0.9 |", "no MODEL_CARD.md"),
        ("# Model card\n\nNothing.\n", "| a | 0.9 |", "no metrics section"),
        ("# Card\n## Metrics\n| Model | Value |\n|---|---|\n| a | n/a |\n", "x", "no metrics rows"),
        (CARD, "", "results block is empty"),
        (CARD, PLACEHOLDER, "did not fill"),
    ],
)
def test_results_fail_when_missing(tmp_path: Path, card, results: str, message: str) -> None:
    with pytest.raises(AssertionError, match=message):
        contract.check_results(project(tmp_path, card, results), BEFORE)


def test_readme_without_markers(tmp_path: Path) -> None:
    write(tmp_path, "# P\n", "README.md")
    write(tmp_path, CARD, "MODEL_CARD.md")
    with pytest.raises(AssertionError, match="no <!-- results:start -->"):
        contract.check_results(tmp_path, BEFORE)


def test_schemathesis_stays_on_localhost(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match=r"127\.0\.0\.1 only"):
        contract.run_schemathesis("http://example.org", tmp_path)
    command = contract.schemathesis_command("http://127.0.0.1:9")
    assert command[command.index("--checks") + 1] == "all"
    assert int(command[command.index("--max-examples") + 1]) > 0


def test_timing_table_merges_reports() -> None:
    class Report:
        def __init__(self) -> None:
            self.user_properties = [(timing.KEY, ("b-template", {"install": 12.0, "smoke": 3.25}))]

    timing.TIMINGS.clear()
    with timing.Timer("a-template").phase("install"):
        pass
    text = timing.table(timing.collect([Report(), object()]))
    lines = text.splitlines()
    assert lines[0].split() == ["case", "install", "smoke", "total"]
    assert lines[2].split()[0] == "a-template" and lines[2].split()[2] == "-"
    assert lines[3].split() == ["b-template", "12.0", "3.2", "15.2"]
    timing.TIMINGS.clear()


@pytest.mark.parametrize(
    ("deps", "expected"),
    [
        ('dependencies = ["torch>=2.4"]', True),
        ('dependencies = ["numpy"]\n[project.optional-dependencies]\ntrain = ["torch"]', True),
        ('dependencies = ["torchmetrics>=1", "pytorch-lightning"]', False),
        ('dependencies = ["onnxruntime"]', False),
    ],
)
def test_needs_torch(tmp_path: Path, deps: str, expected: bool) -> None:
    write(tmp_path, f'[project]\nname = "p"\n{deps}\n', "pyproject.toml")
    assert needs_torch(tmp_path) is expected


def test_answers_agree_within_tolerance_vary_keys_aside() -> None:
    served = {"id": "a1", "scores": [{"label": "pos", "p": 0.912345}], "model": "m1"}
    same = {"id": "b2", "scores": [{"label": "pos", "p": 0.9123451}], "model": "m1"}
    assert contract.differences(served, same, vary=["id"]) == []
    assert contract.differences(served, same, vary=[]) == ["/id: 'a1' != 'b2'"]
    other = {"id": "a1", "scores": [{"label": "neg", "p": 0.95}], "model": "m1"}
    assert contract.differences(served, other, vary=[]) == [
        "/scores/0/label: 'pos' != 'neg'",
        "/scores/0/p: 0.912345 != 0.95",
    ]
    assert contract.differences({"items": [1, 2]}, {"items": [1]}, vary=[]) != []
    assert contract.differences({"ok": True}, {"ok": 1}, vary=[]) != []


def test_image_stand_ins_and_lean_check(tmp_path: Path) -> None:
    dockerfile = write(
        tmp_path,
        "FROM python:3.12-slim AS builder\nCOPY --from=ghcr.io/astral-sh/uv:0.9.5 /uv /bin/uv\n"
        "FROM python:3.12-slim\nCOPY --from=builder /opt/venv /opt/venv\n",
        "Dockerfile",
    )
    assert images.base_images(dockerfile) == {"python:3.12-slim", "ghcr.io/astral-sh/uv:0.9.5"}
    env = {"python_version": "3.12", "sys_platform": "linux", "platform_machine": "x86_64"}
    dists = {
        "my-proj": [],
        "fastapi": ["starlette>=0.40", "email-validator; extra == 'all'"],
        "Starlette": ["typing-extensions; python_version < '3.10'"],
        "uvicorn": ["click", "uvloop; extra == 'standard' and sys_platform != 'win32'"],
        "click": [],
        "uvloop": [],
        "typing_extensions": [],
        "torch": ["sympy"],
        "sympy": [],
    }
    found = {"env": env, "dists": dists}
    lean = ["fastapi>=0.115", "uvicorn[standard]>=0.30"]
    assert images.not_needed(found, "my_proj", lean) == {"torch", "sympy", "typing-extensions"}
    assert images.not_needed(found, "my-proj", [*lean, "torch"]) == {"typing-extensions"}
    assert "uvloop" in images.not_needed(found, "my-proj", ["uvicorn"])
