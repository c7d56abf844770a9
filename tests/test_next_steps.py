"""`mlscaffold new` prints the template's own next steps (template.yml `next_steps`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from mlscaffold.cli import cli
from mlscaffold.generate.nextsteps import NextStepsError, steps

from .conftest import make_template

LOCKED_INSTALL = "uv sync --extra dev && . .venv/bin/activate"


def next_steps(output: str) -> list[str]:
    """The lines under "Next steps:" in the output of `new`."""
    block = output.split("Next steps:\n", 1)[1].split("\nLater, ", 1)[0]
    return [line.strip() for line in block.splitlines()]


def position(lines: list[str], needle: str) -> int:
    return next(i for i, line in enumerate(lines) if needle in line)


def new(*args: str) -> list[str]:
    result = CliRunner().invoke(cli, ["new", *args, "--defaults"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return next_steps(result.output)


@pytest.mark.parametrize(
    ("template", "answers"),
    [("image_classifier", []), ("nlp", []), ("timeseries", ["--data", "deep_models=true"])],
)
def test_torch_templates_install_the_locked_cpu_build(
    template: str, answers: list[str], tmp_path: Path
) -> None:
    """torch's CPU build comes from the lock (pyproject's pytorch-cpu index); a bare
    `pip install -e '.[dev]'` would pull the CUDA build, so it is not offered as the fallback."""
    lines = new(template, str(tmp_path / "proj"), *answers)
    assert lines[0] == f"cd {tmp_path / 'proj'}"
    assert lines[1].startswith(LOCKED_INSTALL) and "torch's CPU build" in lines[1]
    assert not any("pip install -e" in line for line in lines)


@pytest.mark.parametrize("template", ["recommender", "mlops", "timeseries"])
def test_templates_without_torch_install_no_torch(template: str, tmp_path: Path) -> None:
    lines = new(template, str(tmp_path / "proj"))
    assert not any("torch" in line for line in lines[1:])  # lines[0] is `cd` to tmp_path
    assert lines[1].startswith(LOCKED_INSTALL) and "pip install -e '.[dev]'" in lines[1]


def test_recommender_own_data_steps_name_the_time_column() -> None:
    template = Path(__file__).parents[1] / "templates" / "recommender"
    lines = steps(template, {"dataset": "csv", "package_name": "shop"})
    assert sum("--timestamp-col" in line for line in lines) == 2
    assert not any("--timestamp-col" in line for line in steps(template, {"package_name": "x"}))


def test_verbs_come_in_the_order_that_works(tmp_path: Path) -> None:
    lines = new("image_classifier", str(tmp_path / "vision"))
    verbs = ["download", "train", "evaluate", "export", "report", "serve"]
    found = [position(lines, f"python -m vision {verb}") for verb in verbs]
    assert found == sorted(found)


def test_steps_follow_the_answers(tmp_path: Path) -> None:
    lines = new("image_classifier", str(tmp_path / "own"), "-d", "dataset=folder")
    assert not any(" download" in line for line in lines)
    assert any(line.startswith("python -m own train --data data/images") for line in lines)


def test_custom_template_without_next_steps_shows_no_verbs(tmp_path: Path) -> None:
    template = make_template(tmp_path / "tpl", {"a.txt": "a\n"}, "x:\n  default: 1\n", tag="1.0.0")
    lines = new(str(template), str(tmp_path / "out"))
    assert lines == [f"cd {tmp_path / 'out'}    # README.md says how to run it"]


def test_custom_template_steps_are_rendered_with_its_answers(tmp_path: Path) -> None:
    answers = {"{{ _copier_conf.answers_file }}.jinja": "{{ _copier_answers | to_nice_yaml }}"}
    template = make_template(tmp_path / "tpl", answers, "tool:\n  default: make\n", tag="1.0.0")
    (template / "template.yml").write_text(
        'next_steps:\n  - "{{ tool }} build"\n  - "{% if false %}never{% endif %}"\n'
    )
    lines = new(str(template), str(tmp_path / "out"), "-d", "tool=ninja")
    assert lines[1:] == ["ninja build"]


def test_broken_next_steps_warn_and_the_project_stays(tmp_path: Path) -> None:
    template = make_template(tmp_path / "tpl", {"a.txt": "a\n"}, "x:\n  default: 1\n", tag="1.0.0")
    (template / "template.yml").write_text('next_steps:\n  - "{{ x.__class__.__mro__ }}"\n')
    result = CliRunner().invoke(cli, ["new", str(template), str(tmp_path / "out"), "--defaults"])
    assert result.exit_code == 0 and (tmp_path / "out" / "a.txt").is_file()
    assert "next steps cannot be shown" in result.output


def test_steps_drop_empty_lines_and_control_characters(tmp_path: Path) -> None:
    (tmp_path / "template.yml").write_text(
        'next_steps:\n  - "run \\x1b[2Jnow"\n  - "  "\n  - "{{ name }}"\n'
    )
    assert steps(tmp_path, {"name": "x"}) == ["run [2Jnow", "x"]
    assert steps(tmp_path / "missing", {}) == [] and steps(None, {}) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("next_steps: run\n", "must be a list of strings"),
        ("next_steps:\n  - 1\n", "must be a list of strings"),
        ('next_steps:\n  - "{{ ().__class__.__base__.__subclasses__() }}"\n', "step 1"),
        ("next_steps: [\n", "cannot be read"),
    ],
)
def test_bad_next_steps_are_one_line_errors(text: str, message: str, tmp_path: Path) -> None:
    (tmp_path / "template.yml").write_text(text)
    with pytest.raises(NextStepsError, match=message):
        steps(tmp_path, {})


def test_own_data_steps_make_the_data_before_validating_it() -> None:
    template = Path(__file__).parents[1] / "templates" / "image_classifier"
    lines = steps(template, {"dataset": "folder", "package_name": "own"})
    made = position(lines, "python -m own sample-data --out data/images")
    assert made < position(lines, "python -m own validate --data data/images")  # fresh project
