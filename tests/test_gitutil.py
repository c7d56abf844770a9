"""gitutil.config: git's configuration, read with one git run for every key."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlscaffold import gitutil


def test_config_values_come_from_one_git_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = tmp_path / "gitconfig"
    settings.write_text(
        "[user]\n\tname = First\n\tName = Last Wins\n\temail = me@example.com\n[core]\n\tbare\n",
        "utf-8",
    )
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(settings))
    monkeypatch.chdir(tmp_path)
    runs = []
    real = gitutil.git
    monkeypatch.setattr(gitutil, "git", lambda *args, **kw: runs.append(args) or real(*args, **kw))
    assert gitutil.config_value("user.name") == "Last Wins"
    assert gitutil.config_value("USER.email") == "me@example.com"
    assert gitutil.config_value("user.signingkey") is None
    assert gitutil.config_value("core.bare") is None  # a key without a value reads as unset
    assert len(runs) == 1
