import pytest

from mlscaffold.validation import check_answer, check_answers, check_email, check_package_name


@pytest.mark.parametrize("name", ["my_recs", "_private", "vision2", "acme_lab"])
def test_valid_package_names(name: str) -> None:
    assert check_package_name(name) is None


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("MyRecs", "lower-case"),
        ("2fast", "lower-case"),
        ("my-recs", "lower-case"),
        ("class", "keyword"),
        ("match", "keyword"),
        ("json", "standard library"),
        ("typing", "standard library"),
        ("torch", "dependency"),
        ("fastapi", "dependency"),
        ("sklearn", "dependency"),
    ],
)
def test_invalid_package_names(name: str, reason: str) -> None:
    problem = check_package_name(name)
    assert problem is not None and reason in problem


@pytest.mark.parametrize("name", ["my-recs", "Acme.Lab-2", "x", "vision_2"])
def test_valid_project_names(name: str) -> None:
    assert check_answer("project_name", name) is None


@pytest.mark.parametrize("name", ["my recs", "-lead", "trail.", "a/b", "..", "a..b", "", "ü"])
def test_invalid_project_names(name: str) -> None:
    assert check_answer("project_name", name) is not None


def test_emails() -> None:
    assert check_email("ada@example.com") is None
    for bad in ("ada", "ada@", "@example.com", "ada@example", "a da@example.com"):
        assert check_email(bad) is not None


def test_path_keys_refuse_separators_and_parent_dirs() -> None:
    assert check_answer("module", "a/b", path_keys={"module"}) is not None
    assert check_answer("module", "..", path_keys={"module"}) is not None
    assert check_answer("module", "ok_name", path_keys={"module"}) is None
    assert check_answer("description", "CNN / ResNet") is None  # free text is not a path


def test_check_answers_lists_every_problem() -> None:
    problems = check_answers(
        {"package_name": "torch", "author_email": "nope", "project_name": "ok", "license": "MIT"}
    )
    assert set(problems) == {"package_name", "author_email"}
