from pathlib import Path

import pytest

from mlscaffold import config
from mlscaffold.generate import answers
from mlscaffold.sources.catalog import UnknownTemplateError, is_url, resolve


def test_config_round_trip_and_errors() -> None:
    assert config.load() == {"defaults": {}, "templates": {}, "settings": {}}
    path = config.set_value("defaults.author_email", "ada@example.com")
    assert path == Path.home() / ".config" / "mlscaffold" / "config.yml"
    config.set_value("templates.mine", "~/tpl")
    assert config.load()["templates"] == {"mine": "~/tpl"}
    config.unset_value("templates.mine")
    assert config.load()["templates"] == {}
    with pytest.raises(config.ConfigError, match="unknown key"):
        config.set_value("colour", "red")
    with pytest.raises(config.ConfigError, match="not set"):
        config.unset_value("defaults.license")


def test_broken_config_is_a_clear_error() -> None:
    config.config_path().parent.mkdir(parents=True)
    config.config_path().write_text("defaults: [unclosed\n")
    with pytest.raises(config.ConfigError, match="cannot read"):
        config.load()


def test_parse_data() -> None:
    assert answers.parse_data(["a=1", "b=x=y", "c="]) == {"a": "1", "b": "x=y", "c": ""}
    for bad in ("novalue", "=x", "bad key=1"):
        with pytest.raises(ValueError, match="malformed --data"):
            answers.parse_data([bad])


def test_read_data_file(tmp_path: Path) -> None:
    good = tmp_path / "a.yml"
    good.write_text("epochs: 3\nname: x\n")
    assert answers.read_data_file(good) == {"epochs": 3, "name": "x"}
    listing = tmp_path / "b.yml"
    listing.write_text("- a\n- b\n")
    with pytest.raises(ValueError, match="must be a mapping"):
        answers.read_data_file(listing)
    broken = tmp_path / "c.yml"
    broken.write_text("a: [\n")
    with pytest.raises(ValueError, match="cannot read answers file"):
        answers.read_data_file(broken)


def test_user_defaults_come_from_dest_and_config(tmp_path: Path) -> None:
    config.set_value("defaults.author_name", "Ada")
    defaults = answers.user_defaults(tmp_path / "My Cool Recs!")
    assert defaults["project_name"] == "My-Cool-Recs" and defaults["author_name"] == "Ada"


@pytest.mark.parametrize(
    ("spec", "url"),
    [
        ("https://github.com/a/b.git", True),
        ("git@github.com:a/b.git", True),
        ("gh:a/b", True),
        ("/tmp/history.bundle", True),
        ("./my-template", False),
        ("recommender", False),
    ],
)
def test_is_url(spec: str, url: bool) -> None:
    assert is_url(spec) is url


def test_resolve_builtin_alias_and_unknown(tmp_path: Path) -> None:
    source = resolve("recommender")
    assert source.trusted and source.version and source.local_dir
    assert (source.local_dir / "copier.yml").is_file()
    (tmp_path / "copier.yml").write_text("x: 1\n")
    config.set_value("templates.mine", str(tmp_path))
    alias = resolve("mine")
    assert alias.local_dir == tmp_path and not alias.trusted
    with pytest.raises(UnknownTemplateError, match=r"no version 9\.9\.9"):
        resolve("recommender", "9.9.9")
    with pytest.raises(UnknownTemplateError, match="recommender"):
        resolve("recomender")
