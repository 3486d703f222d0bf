"""The git side: commit the log file, and only the log file, for review.

git runs as a subprocess with an argument list (never a shell string) and a deadline.
"""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path

from snn_feed.config import GitSettings
from snn_feed.errors import GitError

log = logging.getLogger(__name__)

PUSH_ATTEMPTS = 3
"""Pushes tried, with a rebase onto the remote between them, before giving up for this run."""

PASSED_TO_GIT = frozenset({
    "PATH", "HOME", "USER", "LOGNAME", "SHELL", "TMPDIR", "TZ", "LANG", "TERM",
    "XDG_CONFIG_HOME", "XDG_RUNTIME_DIR", "SSH_AUTH_SOCK", "SSH_AGENT_PID", "GNUPGHOME",
    "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY",
    "http_proxy", "https_proxy", "no_proxy", "all_proxy",
    "GH_TOKEN", "GITHUB_TOKEN",  # for a credential helper that pushes to GitHub
})  # fmt: skip
"""What git and its hooks get of snn-feed's environment, besides GIT_* and LC_*: what git needs
to find its config, identity, keys and proxy, and nothing else. A hook of the log's repository
is code someone else may have written; it must not read `SNN_FEED_TRANSLATE__API_KEY`."""


def git_environment(environ: dict[str, str] | os._Environ[str]) -> dict[str, str]:
    """The environment a git child process runs with."""
    passed = {
        name: value
        for name, value in environ.items()
        if name in PASSED_TO_GIT or name.startswith(("GIT_", "LC_"))
    }
    return {**passed, "GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


class GitRepo:
    """The repository holding the log, found from the log's folder."""

    def __init__(self, log_path: Path, settings: GitSettings) -> None:
        self.log_path = log_path.resolve()
        self.settings = settings
        self.folder = self.log_path.parent

    def _git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = git_environment(os.environ)
        try:
            result = subprocess.run(
                ["git", *args],
                cwd=self.folder,
                capture_output=True,
                encoding="utf-8",
                errors="surrogateescape",
                env=env,
                timeout=self.settings.timeout_seconds,
                check=False,
            )
        except FileNotFoundError as err:
            raise GitError("git: the git program is not installed") from err
        except subprocess.TimeoutExpired as err:
            raise GitError(
                f"git {args[0]}: no answer within {self.settings.timeout_seconds:g} s"
            ) from err
        if check and result.returncode != 0:
            reason = (result.stderr or result.stdout).strip().splitlines()
            raise GitError(f"git {args[0]} failed: {reason[-1] if reason else result.returncode}")
        return result

    def is_repository(self) -> bool:
        if not self.folder.is_dir():
            return False
        return self._git("rev-parse", "--is-inside-work-tree", check=False).returncode == 0

    def init(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._git("init", "--quiet")

    def ignore_rule(self, path: Path) -> str | None:
        """The rule that makes git ignore `path` (`.gitignore:3:*.md`), or None when git would
        commit it. A tracked file is never ignored, whatever the rules say."""
        if self._git("check-ignore", "--quiet", "--", str(path), check=False).returncode != 0:
            return None
        found = self._git("check-ignore", "--verbose", "--", str(path), check=False).stdout
        return found.partition("\t")[0].strip() or "an exclude rule"

    def log_changed(self) -> bool:
        """Whether the log differs from the last commit (or is not committed yet)."""
        return self.changed(self.log_path)

    def changed(self, *paths: Path) -> bool:
        out = self._git("status", "--porcelain", "--", *map(str, paths)).stdout
        return bool(out.strip())

    def committed_log(self) -> str:
        """The log as of the last commit ("" when it was never committed)."""
        name = self.log_path.name
        result = self._git("show", f"HEAD:./{name}", check=False)
        return result.stdout if result.returncode == 0 else ""

    def commit_log(self, message: str) -> str:
        """Commit the log file alone; other staged or modified files are left as they are."""
        return self.commit_files([self.log_path], message)

    def commit_files(self, files: list[Path], message: str) -> str:
        """Commit exactly `files` (added, changed or deleted); nothing else is swept in."""
        name, email = self.settings.author_name, self.settings.author_email
        identity = self._identity()
        paths = [str(p) for p in files]
        self._git("add", "--all", "--", *paths)
        self._git(
            *identity, "commit", "--quiet",
            f"--author={name} <{email}>", "-m", message, "--only", "--", *paths,
        )  # fmt: skip
        return self._git("rev-parse", "HEAD").stdout.strip()

    def _config(self, key: str) -> str:
        return self._git("config", "--get", key, check=False).stdout.strip()

    def check_state(self) -> None:
        """Refuse to work in a repository a person is in the middle of something in."""
        for marker, what in (
            ("rebase-merge", "a rebase"), ("rebase-apply", "a rebase or git am"),
            ("MERGE_HEAD", "a merge"), ("CHERRY_PICK_HEAD", "a cherry-pick"),
            ("REVERT_HEAD", "a revert"),
        ):  # fmt: skip
            path = self._git("rev-parse", "--git-path", marker).stdout.strip()
            if (self.folder / path).exists():
                raise GitError(
                    f"the log repository {self.folder} is in the middle of {what}: finish or "
                    "abort it, then sync again"
                )
        if self._git("symbolic-ref", "-q", "HEAD", check=False).returncode != 0:
            raise GitError(
                f"the log repository {self.folder} is on a detached HEAD: check out a branch, "
                "then sync again"
            )

    def push(self) -> None:
        """Push HEAD; when the remote moved on, rebase onto it and push again (bounded).
        A failure leaves the local commit in place for the next sync to push."""
        remote = self.settings.remote
        branch = self._git("symbolic-ref", "--short", "HEAD").stdout.strip()
        for attempt in range(1, PUSH_ATTEMPTS + 1):
            pushed = self._git("push", "--quiet", remote, f"HEAD:{branch}", check=False)
            if pushed.returncode == 0:
                return
            if attempt == PUSH_ATTEMPTS:
                break
            log.info("push rejected (attempt %d); rebasing onto %s/%s", attempt, remote, branch)
            pulled = self._git(*self._identity(), "pull", "--rebase", "--quiet", remote, branch,
                               check=False)  # fmt: skip
            if pulled.returncode != 0:
                self._git("rebase", "--abort", check=False)
                raise GitError(
                    "push rejected, and the remote's changes do not rebase cleanly onto the "
                    "log commit: it is kept locally; resolve by hand"
                )
        reason = (pushed.stderr or pushed.stdout).strip().splitlines()
        raise GitError(
            f"git push failed after {PUSH_ATTEMPTS} attempts "
            f"({reason[-1] if reason else pushed.returncode}); the commit is kept locally"
        )

    def _identity(self) -> list[str]:
        name, email = self.settings.author_name, self.settings.author_email
        return [
            "-c", f"user.name={self._config('user.name') or name}",
            "-c", f"user.email={self._config('user.email') or email}",
        ]  # fmt: skip
