from pathlib import Path

import pytest

from mlscaffold.gitutil import git
from mlscaffold.sources import history


def test_every_builtin_has_a_packaged_history_with_its_versions() -> None:
    assert set(history.builtins()) == {
        "image_classifier",
        "recommender",
        "mlops",
        "nlp",
        "timeseries",
    }
    for name, template in history.builtins().items():
        heads = git("bundle", "list-heads", str(history.HISTORIES / f"{name}.bundle"))
        for version in template.versions:
            assert f"refs/tags/{version}" in heads


def test_install_copies_the_history_into_the_data_dir() -> None:
    path = history.install("recommender")
    assert path == Path.home() / ".local/share/mlscaffold/templates/recommender.bundle"
    assert path.read_bytes() == (history.HISTORIES / "recommender.bundle").read_bytes()
    assert history.recorded_source("recommender") == (
        "~/.local/share/mlscaffold/templates/recommender.bundle"
    )


def test_install_never_replaces_a_history_with_more_versions(tmp_path: Path) -> None:
    installed = history.install("mlops")
    repo = tmp_path / "repo"
    git("clone", "--quiet", str(installed), str(repo))
    (repo / "new.txt").write_text("newer release")
    git("add", ".", cwd=repo)
    git("-c", "user.name=t", "-c", "user.email=t@t.io", "commit", "-qm", "next", cwd=repo)
    git("tag", "99.0.0", cwd=repo)
    git("bundle", "create", "--quiet", str(installed), "--all", cwd=repo)
    newer = installed.read_bytes()
    history.install("mlops")  # an older mlscaffold must not hide version 99.0.0
    assert installed.read_bytes() == newer


def test_install_joins_histories_when_each_has_versions_the_other_lacks(tmp_path: Path) -> None:
    installed = history.install("mlops")
    newest = history.builtins()["mlops"].version
    repo = tmp_path / "repo"
    git("clone", "--quiet", str(installed), str(repo))
    git("tag", "-d", newest, cwd=repo)  # a development build that predates the newest release...
    git("tag", "0.0.1.dev1", "HEAD~1", cwd=repo)  # ...and has a version of its own
    git("bundle", "create", "--quiet", str(installed), "--all", cwd=repo)
    history.install("mlops")
    tags = {line.split()[1] for line in git("bundle", "list-heads", str(installed)).splitlines()}
    assert {f"refs/tags/{newest}", "refs/tags/0.0.1.dev1"} <= tags
    assert (history.checkout("mlops", newest) / "copier.yml").is_file()


@pytest.mark.parametrize(
    ("recorded", "name"),
    [
        ("~/.local/share/mlscaffold/templates/recommender.bundle", "recommender"),
        ("/Users/ada/Library/Application Support/mlscaffold/templates/mlops.bundle", "mlops"),
        (
            "C:\\Users\\ada\\AppData\\Local\\mlscaffold\\templates\\image_classifier.bundle",
            "image_classifier",
        ),
        ("~/.local/share/mlscaffold/templates/unknown.bundle", None),
        ("https://github.com/someone/recommender.git", None),
    ],
)
def test_recorded_sources_from_any_machine(recorded: str, name: str | None) -> None:
    assert history.builtin_from_source(recorded) == name
