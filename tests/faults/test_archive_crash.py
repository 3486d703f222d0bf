"""SIGKILL at every step of `snn-feed archive` and of `archive --restore`: after each kill,
running the same command again finishes the job, every paper is in the log and its archive
files exactly once, git holds the archive in one clean commit, and `--restore` gives back the
log byte for byte.

The kill comes from inside the process (a fork of the test's), at its N-th file rename, file
removal or git start (Python's audit hook sees each one just before it happens): every moment
between two steps of the archive is reached once, on any machine, however fast or loaded it is.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import signal
import sqlite3
import sys
from datetime import timedelta
from pathlib import Path

import forks
from conftest import git, run_cli, snn_entries, utc_now, write_config
from fakes import FakeArxiv, FakeEntry, FakeTranslator

STEPS = {"os.rename", "os.remove", "os.rmdir", "subprocess.Popen"}


def _killed_at(step: int, argv: list[str]) -> None:
    """In a forked child: run the CLI, SIGKILLed just before its `step`-th step. (A fork of
    this process, whose imports are done, costs a fraction of a new interpreter per step.)"""
    left = [step]

    def hook(event: str, args: object) -> None:
        if event in STEPS:
            left[0] -= 1
            if left[0] == 0:
                os.kill(os.getpid(), signal.SIGKILL)

    sys.addaudithook(hook)
    forks.run_cli(argv)


INDEX_LINK = re.compile(r"- \[\d{4}\]\(archive/\d{4}\.md\)$")


def _entries(folder: Path) -> list[str]:
    """Every entry of the log and its archive files (its first line: a `- ` item or a `### `
    title), as often as it is there; the archive's own index is not an entry."""
    texts = [(folder / "README.md").read_bytes()]
    texts += [p.read_bytes() for p in sorted((folder / "archive").glob("*.md"))]
    return sorted(
        line
        for text in texts
        for line in text.decode("utf-8", errors="replace").splitlines()
        if line.startswith(("- ", "### ")) and line.strip() != "-" and not INDEX_LINK.match(line)
    )


class Scene:
    """A log repository and its database, set up once and put back before each kill."""

    def __init__(self, root: Path) -> None:
        self.root, self.work, self.saved = root, root / "work", root / "saved"

    def save(self) -> None:
        shutil.rmtree(self.saved, ignore_errors=True)
        shutil.copytree(self.work, self.saved, symlinks=True)

    def reset(self) -> None:
        shutil.rmtree(self.work)
        shutil.copytree(self.saved, self.work, symlinks=True)

    @property
    def repo(self) -> Path:
        return self.work / "log"

    @property
    def config(self) -> Path:
        return self.work / "config.toml"

    def killed_run(self, *args: str, step: int) -> int:
        """The command killed just before its `step`-th step; its exit status (-9 if killed)."""
        argv = [*args, "--config", str(self.config)]
        child = multiprocessing.get_context("fork").Process(target=_killed_at, args=(step, argv))
        child.start()
        child.join(timeout=120)
        assert child.exitcode in (0, -signal.SIGKILL), f"step {step}: exit {child.exitcode}"
        return child.exitcode

    def assert_db_agrees(self, fake_arxiv_ids: set[str]) -> None:
        db = sqlite3.connect(self.work / "data" / "feed.sqlite3")
        try:
            assert db.execute("pragma integrity_check").fetchone() == ("ok",)
            states = dict(db.execute("select arxiv_id, state from topic_papers"))
        finally:
            db.close()
        assert fake_arxiv_ids <= set(states)
        assert set(states.values()) <= {"committed", "skipped"}
        # what a user sees of the database agreeing with the files: the next sync has nothing
        # to write, and leaves git as it found it
        again = run_cli("sync", "--config", str(self.config))
        assert again.returncode in (0, 3), again.stderr
        assert "written 0" in again.stdout, again.stdout
        assert git(self.repo, "status", "--porcelain", "--ignored").strip() == ""


def _scene(tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator) -> Scene:
    from conftest import SEED_LOG

    scene = Scene(tmp_path)
    scene.repo.mkdir(parents=True)
    shutil.copyfile(SEED_LOG, scene.repo / "README.md")
    git(scene.repo, "init", "--quiet")
    git(scene.repo, "add", "README.md")
    git(scene.repo, "commit", "--quiet", "-m", "my log")
    now = utc_now()
    # 2003.11837 is in the seed's 2020.11 section, which the archive moves away
    old = FakeEntry("2003.11837", "Rectified Linear Postsynaptic Potential Function for "
                    "Spiking Neural Networks", "Spiking neural networks.", ["Malu Zhang"],
                    now - timedelta(hours=1), version=3)  # fmt: skip
    fake_arxiv.entries = [*snn_entries(3, now), old]
    write_config(scene.config, arxiv_url=fake_arxiv.url,
                 translator_url=fake_translator.base + "/m",
                 log_path=scene.repo / "README.md")  # fmt: skip
    first = run_cli("sync", "--config", str(scene.config))
    assert first.returncode == 0, first.stderr
    return scene


def test_archive_killed_at_every_step_then_run_again_loses_and_doubles_nothing(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator
) -> None:
    scene = _scene(tmp_path, fake_arxiv, fake_translator)
    original = (scene.repo / "README.md").read_bytes()
    head = git(scene.repo, "rev-parse", "HEAD").strip()
    papers = _entries(scene.repo)
    assert len(papers) > 40
    synced = {e.arxiv_id for e in fake_arxiv.entries}
    scene.save()

    step = 0
    while True:
        step += 1
        scene.reset()
        status = scene.killed_run("archive", "--keep-months", "2", step=step)
        again = run_cli("archive", "--config", str(scene.config), "--keep-months", "2")
        assert again.returncode == 0, (step, again.stderr)
        assert _entries(scene.repo) == papers, f"killed at step {step}"
        assert (scene.repo / "README.md").read_bytes().count(b"\n## 20") == 2
        assert git(scene.repo, "status", "--porcelain", "--ignored").strip() == "", step
        archived = git(scene.repo, "show", "--name-only", "--format=", "HEAD").split()
        assert sorted(archived) == ["README.md", "archive/2019.md", "archive/2020.md"], step
        assert git(scene.repo, "rev-list", "--count", f"{head}..HEAD").strip() == "1", step
        scene.assert_db_agrees(synced)

        back = run_cli("archive", "--config", str(scene.config), "--restore")
        assert back.returncode == 0, (step, back.stderr)
        assert (scene.repo / "README.md").read_bytes() == original, f"killed at step {step}"
        assert not (scene.repo / "archive").exists()
        assert git(scene.repo, "diff", head, "HEAD").strip() == ""
        scene.assert_db_agrees(synced)
        if status == 0:  # the archive ran to its end: every step before it was a kill point
            break
    assert step > 6, f"only {step - 1} steps seen: the kill hook saw nothing of the archive"


def test_restore_killed_at_every_step_then_run_again_gives_back_the_identical_log(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator
) -> None:
    scene = _scene(tmp_path, fake_arxiv, fake_translator)
    original = (scene.repo / "README.md").read_bytes()
    head = git(scene.repo, "rev-parse", "HEAD").strip()
    synced = {e.arxiv_id for e in fake_arxiv.entries}
    moved = run_cli("archive", "--config", str(scene.config), "--keep-months", "2")
    assert moved.returncode == 0, moved.stderr
    scene.save()

    step = 0
    while True:
        step += 1
        scene.reset()
        status = scene.killed_run("archive", "--restore", step=step)
        back = run_cli("archive", "--config", str(scene.config), "--restore")
        assert back.returncode == 0, (step, back.stderr)
        assert (scene.repo / "README.md").read_bytes() == original, f"killed at step {step}"
        assert not (scene.repo / "archive").exists(), step
        assert git(scene.repo, "status", "--porcelain", "--ignored").strip() == "", step
        assert git(scene.repo, "diff", head, "HEAD").strip() == "", step
        scene.assert_db_agrees(synced)
        if status == 0:
            break
    assert step > 4, f"only {step - 1} steps seen: the kill hook saw nothing of the restore"


def test_a_sync_after_a_killed_archive_finishes_it_before_writing(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator
) -> None:
    scene = _scene(tmp_path, fake_arxiv, fake_translator)
    original = (scene.repo / "README.md").read_bytes()
    papers = _entries(scene.repo)
    head = git(scene.repo, "rev-parse", "HEAD").strip()
    # killed with one archive file written and the log not yet shortened (each try from the
    # same start: a run finishes what the one before it began)
    scene.save()
    step = 1
    while not (scene.repo / "archive" / "2019.md").exists():
        step += 1
        scene.reset()
        assert scene.killed_run("archive", "--keep-months", "2", step=step) != 0
        assert step < 10, "no step wrote the first archive file"
    assert (scene.repo / "README.md").read_bytes() == original

    fake_arxiv.entries = [*fake_arxiv.entries, *snn_entries(1, utc_now(), offset=90)]
    synced = run_cli("sync", "--config", str(scene.config))
    assert synced.returncode == 0, synced.stderr
    assert "written 1" in synced.stdout
    assert (scene.repo / "README.md").read_bytes().count(b"\n## 20") == 2
    after = _entries(scene.repo)
    assert len(after) == len(papers) + 1 and set(papers) <= set(after)
    assert git(scene.repo, "rev-list", "--count", f"{head}..HEAD").strip() == "2"
    assert git(scene.repo, "status", "--porcelain", "--ignored").strip() == ""
