"""Secrets stay where they belong: git and the log repository's hooks get only the
environment git needs, and an error about a key that can hold a secret never shows its value."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from conftest import run_cli, snn_entries, utc_now, write_config
from fakes import FakeArxiv, FakeTranslator

SECRET = "sk-HOOK-SECRET-0123456789"

pytestmark = pytest.mark.clock  # papers are submitted in the hours before now


def test_a_hook_of_the_log_repository_cannot_read_the_translators_key(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator, log_repo: Path
) -> None:
    fake_arxiv.entries = snn_entries(1, utc_now())
    seen = tmp_path / "hook-environment.txt"
    hook = log_repo / ".git" / "hooks" / "pre-commit"
    hook.write_text(f"#!/bin/sh\nenv > '{seen}'\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    config = write_config(tmp_path / "config.toml", arxiv_url=fake_arxiv.url,
                          translator_url=fake_translator.base + "/m",
                          log_path=log_repo / "README.md")  # fmt: skip

    result = run_cli(
        "sync", "--config", str(config), process=True,
        env={"SNN_FEED_TRANSLATE__API_KEY": SECRET, "SOME_SERVICE_TOKEN": "tok-4242"},
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    environment = seen.read_text()
    assert "PATH=" in environment and "HOME=" in environment  # git still finds what it needs
    assert SECRET not in environment and "SNN_FEED_" not in environment
    assert "tok-4242" not in environment


BAD_SECRETS = {
    # section, key, a bad value holding the secret (a notification URL with a typo)
    "translate.api_keys": ("translate", "api_keys", SECRET),
    "notify.urls": ("notify", "urls", f"tgram//{SECRET}/chat"),
}


@pytest.mark.parametrize("key", sorted(BAD_SECRETS))
@pytest.mark.parametrize("where", ["file", "environment"])
def test_a_bad_value_of_a_secret_key_is_named_but_never_shown(
    tmp_path: Path, where: str, key: str
) -> None:
    section, name, value = BAD_SECRETS[key]
    config = tmp_path / "config.toml"
    config.write_text(f'[{section}]\n{name} = "{value}"\n' if where == "file" else "")
    env = {f"SNN_FEED_{section.upper()}__{name.upper()}": value} if where == "environment" else {}

    result = run_cli("status", "--config", str(config), env=env)

    assert result.returncode == 2
    assert key in result.stderr and result.stderr.count("\n") == 1
    assert SECRET not in result.stderr + result.stdout
