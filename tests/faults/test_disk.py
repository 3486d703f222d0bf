"""A full disk or a read-only file system under the log: a clear error, the old log intact,
the papers still waiting for the next sync. Uses a small tmpfs (the tests run as root)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from conftest import SEED_LOG, git, run_cli, snn_entries, utc_now, write_config
from fakes import FakeArxiv, FakeTranslator


def log_repo_on(disk: Path) -> Path:
    repo = disk / "log"
    repo.mkdir()
    shutil.copyfile(SEED_LOG, repo / "README.md")
    git(repo, "init", "--quiet")
    git(repo, "add", "README.md")
    git(repo, "commit", "--quiet", "-m", "my log")
    return repo


def fill(disk: Path) -> None:
    """Leave less room than the log needs to be written again."""
    free = shutil.disk_usage(disk).free
    (disk / "ballast").write_bytes(b"\0" * max(0, free - 50_000))


def test_a_full_disk_leaves_the_old_log_and_the_papers_waiting(
    tmp_path: Path, small_disk: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator
) -> None:
    repo = log_repo_on(small_disk)
    fill(small_disk)
    fake_arxiv.entries = snn_entries(3, utc_now())
    config = write_config(tmp_path / "c.toml", arxiv_url=fake_arxiv.url,
                          translator_url=fake_translator.base + "/m",
                          log_path=repo / "README.md")  # fmt: skip
    result = run_cli("sync", "--config", str(config))
    assert result.returncode == 1
    assert "cannot write the log" in result.stderr and "unchanged" in result.stderr
    assert (repo / "README.md").read_bytes() == SEED_LOG.read_bytes()
    assert [p.name for p in repo.iterdir() if p.name.startswith(".README")] == []

    (small_disk / "ballast").unlink()
    again = run_cli("sync", "--config", str(config))
    assert again.returncode == 0, again.stderr
    assert "written 3" in again.stdout


def test_a_read_only_log_is_a_clear_error(
    tmp_path: Path, small_disk: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator
) -> None:
    repo = log_repo_on(small_disk)
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    fake_arxiv.entries = snn_entries(2, utc_now())
    config = write_config(tmp_path / "c.toml", arxiv_url=fake_arxiv.url,
                          translator_url=fake_translator.base + "/m",
                          log_path=repo / "README.md", git__commit=False)  # fmt: skip
    result = run_cli("sync", "--config", str(config))
    assert result.returncode == 1
    assert "cannot write the log" in result.stderr
    assert (repo / "README.md").read_bytes() == SEED_LOG.read_bytes()


def test_a_lock_on_a_read_only_file_system_is_one_clear_line(
    tmp_path: Path, small_disk: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator,
    log_repo: Path,
) -> None:  # fmt: skip
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    lock = small_disk / "run" / "sync.lock"
    config = write_config(tmp_path / "c.toml", arxiv_url=fake_arxiv.url,
                          translator_url=fake_translator.base + "/m",
                          log_path=log_repo / "README.md", sync__lock_file=str(lock))  # fmt: skip
    result = run_cli("sync", "--config", str(config))
    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert f"cannot take the lock {lock}" in line and "read-only" in line
    assert "unexpected error" not in line
