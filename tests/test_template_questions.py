"""The built-in templates' question validators, through ``mlscaffold new`` as a user meets them."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from mlscaffold.cli import cli


def new_mlops(dest: Path, share: str):
    args = ["new", "mlops", str(dest), "--defaults", "-d", "ab_test=true"]
    args += ["-d", "retrain_loop=true", "-d", "prometheus=true"]  # what the A/B test needs
    args += ["-d", f"challenger_share={share}"]  # asked only with the A/B test
    return CliRunner().invoke(cli, args)


@pytest.mark.parametrize("share", ["1.5", "-0.1", "nan", "inf", "abc"])
def test_mlops_refuses_a_challenger_share_outside_0_to_1(tmp_path: Path, share: str) -> None:
    result = new_mlops(tmp_path / "churn", share)
    assert result.exit_code == 1, result.output
    error = result.output.strip()
    assert error.startswith("Error:") and "challenger_share" in error and "\n" not in error
    assert not (tmp_path / "churn").exists()


def test_mlops_records_a_challenger_share_inside_0_to_1(tmp_path: Path) -> None:
    result = new_mlops(tmp_path / "churn", "0.25")
    assert result.exit_code == 0, result.output
    answers = yaml.safe_load((tmp_path / "churn" / ".copier-answers.yml").read_text("utf-8"))
    assert answers["challenger_share"] == 0.25
