"""The user's configuration file: default answers, registered templates and settings.

It lives in the platform's usual place (``platformdirs``), e.g. ``~/.config/mlscaffold/config.yml``:

    defaults:
      author_name: Ada Lovelace
      author_email: ada@example.com
      license: Apache-2.0
    templates:
      mine: ~/templates/my-classifier
    settings:
      lock: false     # `new` writes no uv.lock (MLSCAFFOLD_LOCK=0/1 overrides it)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DEFAULT_KEYS = ("author_name", "author_email", "license", "python_version", "mlscaffold_source")
SECTIONS = ("defaults", "templates", "settings")
SETTINGS = {"lock": ("true", "false")}  # setting: its allowed values


class ConfigError(ValueError):
    """The configuration file cannot be read, or a key or value is not allowed."""


def config_path() -> Path:
    """Path of the configuration file (it may not exist yet)."""
    from platformdirs import user_config_path

    return user_config_path("mlscaffold", appauthor=False) / "config.yml"


def load() -> dict[str, dict[str, str]]:
    """The configuration, with both sections present (empty when there is no file)."""
    import yaml

    path = config_path()
    try:
        raw = yaml.safe_load(path.read_text("utf-8")) if path.is_file() else {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read {path}: {str(exc).splitlines()[0]}") from exc
    raw = raw or {}
    if not isinstance(raw, dict) or any(not isinstance(raw.get(s, {}), dict) for s in SECTIONS):
        raise ConfigError(f"{path} must be a mapping with the sections {', '.join(SECTIONS)}")
    return {
        section: {str(k): str(v) for k, v in (raw.get(section) or {}).items()}
        for section in SECTIONS
    }


def save(config: dict[str, dict[str, Any]]) -> Path:
    """Write ``config`` to the configuration file and return its path."""
    import yaml

    path = config_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = yaml.safe_dump({k: v for k, v in config.items() if v}, sort_keys=True)
        path.write_text(text, "utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot write {path} ({exc.strerror or exc}): set XDG_CONFIG_HOME to a writable "
            "folder to keep mlscaffold's configuration there"
        ) from exc
    return path


def split_key(key: str) -> tuple[str, str]:
    """Split ``section.name`` and check that it is a key a user may set."""
    section, _, name = key.partition(".")
    if section not in SECTIONS or not name:
        raise ConfigError(
            f"unknown key {key!r}: use defaults.<answer>, templates.<alias> or settings.<name>"
        )
    if section == "defaults" and name not in DEFAULT_KEYS:
        raise ConfigError(
            f"defaults.{name} is not a default you can set: {', '.join(DEFAULT_KEYS)}"
        )
    if section == "settings" and name not in SETTINGS:
        raise ConfigError(f"settings.{name} is not a setting: {', '.join(SETTINGS)}")
    return section, name


def set_value(key: str, value: str) -> Path:
    """Set ``key`` (``defaults.author_name``, ``templates.mine``, ...) to ``value``."""
    from .validation import check_answer

    section, name = split_key(key)
    if section == "defaults" and (problem := check_answer(name, value)):
        raise ConfigError(f"{key}: {problem}")
    if section == "settings" and value not in SETTINGS[name]:
        raise ConfigError(f"{key} must be one of {', '.join(SETTINGS[name])}, not {value!r}")
    config = load()
    config[section][name] = value
    return save(config)


def unset_value(key: str) -> Path:
    """Remove ``key`` from the configuration."""
    section, name = split_key(key)
    config = load()
    if name not in config[section]:
        raise ConfigError(f"{key} is not set")
    del config[section][name]
    return save(config)


def lock_enabled() -> bool:
    """Whether ``new`` locks a project's dependencies: the environment's ``MLSCAFFOLD_LOCK``
    (0/1, for CI and tests), else the setting ``settings.lock`` (default: true)."""
    import os

    value = os.environ.get("MLSCAFFOLD_LOCK", "").strip().lower()
    if value:
        return value not in ("0", "false", "no", "off")
    return load()["settings"].get("lock", "true").lower() != "false"
