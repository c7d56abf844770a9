"""README.md's set-up, read as the e2e test runs it: an install into an isolated environment
first, the main job second, and a contributor's checkout that generates outside itself."""

from __future__ import annotations

from . import readme_setup


def test_each_install_is_isolated_and_followed_by_the_main_job() -> None:
    setup = readme_setup.read()
    assert set(setup.installs) == {"uv", "pipx", "venv"}
    for install, main in setup.installs.values():
        assert "./mlscaffold" in install and "pip install mlscaffold" not in install
        assert main == "mlscaffold new recommender my-recs --defaults"
    assert setup.installs["venv"][0].startswith("python3 -m venv ~/")  # not the system Python
    assert setup.clone == f"git clone {readme_setup.URL_PLACEHOLDER} mlscaffold"


def test_the_checkout_example_generates_outside_the_checkout() -> None:
    command = readme_setup.read().checkout
    assert command.endswith("mlscaffold new recommender ../my-recs --defaults")


def test_the_readme_says_the_tool_is_not_on_the_index() -> None:
    text = (readme_setup.REPO / "README.md").read_text()
    assert "**mlscaffold is not on the package index yet**" in text
