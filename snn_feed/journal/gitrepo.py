"""The git side: commit the log file, and only the log file, for review; push it; and
recover what a git command of ours that was killed or timed out left behind.

git runs as a subprocess with an argument list (never a shell string) and a deadline, in a
process group of its own (`gitproc`).
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from snn_feed.config import GitSettings
from snn_feed.errors import GitError
from snn_feed.journal import gitproc

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


ON_REMOTE = "refs/snn-feed/on-remote/"
"""Our own record, per branch, of the last commit known to be on the remote (pushed, or
fetched from it), so that `status` can tell without the network what is not pushed yet; git
keeps its remote-tracking refs only for a named remote, and `[git] remote` may be a URL."""

_CREDENTIALS = re.compile(r"(?<=://)[^/@\s]+@")


def redact(text: str) -> str:
    """`text` without the user and password of any URL in it (a remote's URL may hold a
    token, and git repeats URLs in its messages)."""
    return _CREDENTIALS.sub("***@", text)


def reason(result: subprocess.CompletedProcess[str]) -> str:
    """git's own reason for a failure, in one line: the refusal of a push (with what the
    remote's hook said), else its first fatal or error line, else its last line."""
    lines = [line.strip() for line in (result.stderr or result.stdout).splitlines()]
    lines = [line for line in lines if line]
    refused = [line.lstrip("! ").strip() for line in lines if line.startswith("! [")]
    if refused:
        said = [line[len("remote:") :].strip() for line in lines if line.startswith("remote:")]
        text = refused[0] + (f": {'; '.join(s for s in said if s)}" if any(said) else "")
    else:
        flagged = [line for line in lines if line.startswith(("fatal:", "error:"))]
        text = (flagged or lines or [f"exit status {result.returncode}"])[0]
        text = text.removeprefix("fatal: ").removeprefix("error: ")
    return redact(text)


@dataclass(frozen=True)
class Commit:
    """A commit of the log's branch."""

    sha: str
    at: datetime
    """When it was committed."""


def work_tree_of(path: Path) -> Path | None:
    """The nearest folder holding `path` that has a `.git` (a work tree), or None."""
    folder = path.resolve().parent
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


class GitRepo:
    """The repository holding the log, found from the log's folder. `record`: where the git
    command running is written down (beside the cross-process lock; None for read-only use)."""

    def __init__(self, log_path: Path, settings: GitSettings, record: Path | None = None) -> None:
        self.log_path = log_path.resolve()
        self.settings = settings
        self.folder = self.log_path.parent
        self.record = record
        self.rewritten: dict[str, str] = {}
        """Commits a rebase before a push replaced: old sha -> the one now on the branch."""
        self._clearing = False
        # Read now, under the cross-process lock and before our first command replaces it.
        self._leftover = gitproc.read_record(record) if record is not None else None

    def _git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = git_environment(os.environ)
        timeout = self.settings.timeout_seconds
        command = gitproc.subcommand(list(args))
        try:
            result = gitproc.run(list(args), cwd=self.folder, env=env, timeout=timeout,
                                 record=self.record)  # fmt: skip
        except FileNotFoundError as err:
            raise GitError("git: the git program is not installed") from err
        except gitproc.Deadline as err:
            # Its whole process group is ended: what it left is ours, and stale.
            if not self._clearing:
                self._clear_leftovers(err.child)
            raise GitError(
                f"git {command}: no answer within {timeout:g} s ([git] timeout_seconds); it was "
                "stopped, with its hooks"
            ) from err
        if check and result.returncode != 0:
            raise GitError(f"git {command} failed: {reason(result)}")
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
        return self.committed_text(self.log_path)

    def committed_text(self, path: Path) -> str:
        """A file of the repository as of the last commit ("" when it was never committed)."""
        relative = os.path.relpath(path.resolve(), self.folder)
        result = self._git("show", f"HEAD:./{relative}", check=False)
        return result.stdout if result.returncode == 0 else ""

    def commit_log(self, message: str) -> str:
        """Commit the log file alone; other staged or modified files are left as they are."""
        return self.commit_files([self.log_path], message)

    def commit_files(self, files: list[Path], message: str) -> str:
        """Commit exactly `files` (added, changed or deleted); nothing else is swept in."""
        name, email = self.settings.author_name, self.settings.author_email
        identity = self._identity()
        paths = [str(p) for p in files]
        # A removed file may already be staged as removed (by a run killed before its
        # commit): `git add` refuses a path that is neither on disk nor in the index.
        present = [str(p) for p in files if p.exists()]
        removed = [str(p) for p in files if not p.exists()]
        if present:
            self._git("add", "--all", "--", *present)
        if removed:
            self._git("rm", "--cached", "--quiet", "--ignore-unmatch", "--", *removed)
        self._git(
            *identity, "commit", "--quiet",
            f"--author={name} <{email}>", "-m", message, "--only", "--", *paths,
        )  # fmt: skip
        return self._head()

    def _head(self) -> str:
        return self._git("rev-parse", "HEAD").stdout.strip()

    def _config(self, key: str) -> str:
        return self._git("config", "--get", key, check=False).stdout.strip()

    def _git_dir(self) -> Path:
        return Path(self._git("rev-parse", "--absolute-git-dir").stdout.strip())

    def recover(self) -> None:
        """Clear what a git command of ours left when its snn-feed was killed: the record says
        which process group it was. A leftover still running past its deadline is ended; one
        still within it is named, with the way to end it."""
        child, self._leftover = self._leftover, None
        if child is None:
            return
        if gitproc.alive(child):
            age = time.time() - child.started
            if age < self.settings.timeout_seconds:
                raise GitError(
                    f"git {child.command} (process group {child.pgid}), started {age:.0f} s ago "
                    f"by an snn-feed that was stopped, still runs in {self.folder}: wait for it "
                    f"([git] timeout_seconds), or end it with `kill -- -{child.pgid}`, then sync "
                    "again"
                )
            log.warning("ending git %s (process group %d) left running by a stopped snn-feed",
                        child.command, child.pgid)  # fmt: skip
            gitproc.end_group(child)
        if self.folder.is_dir():
            self._clear_leftovers(child)

    def _clear_leftovers(self, child: gitproc.Child) -> None:
        """Remove the lock files `child` left (those made since it started: its group is gone,
        and the cross-process lock kept any other snn-feed out), abort a rebase it was in the
        middle of, and unstage the log it may have staged."""
        self._clearing = True
        try:
            self._clear(child)
        finally:
            self._clearing = False

    def _clear(self, child: gitproc.Child) -> None:
        found = self._git("rev-parse", "--absolute-git-dir", check=False)
        if found.returncode != 0:
            return  # not a repository (any more): nothing of git's to clear
        git_dir = Path(found.stdout.strip())
        ours = [p for p in _lock_files(git_dir) if _mtime(p) >= child.started - 1]
        for path in ours:
            log.warning("removing %s, left by git %s when it was stopped", path, child.command)
            path.unlink(missing_ok=True)
        if child.command == "rebase" and any(
            (git_dir / d).exists() and _mtime(git_dir / d) >= child.started - 1
            for d in ("rebase-merge", "rebase-apply")
        ):
            self._git("rebase", "--abort", check=False)
        if (
            child.command in ("add", "commit")
            and self._git("rev-parse", "--verify", "--quiet", "HEAD", check=False).returncode == 0
        ):
            # What the index says of the log is ours (`add`), or half-updated (`commit`):
            # back to HEAD's; `commit --only` takes the file as it is anyway.
            self._git("reset", "--quiet", "--", str(self.log_path), check=False)

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
        locks = _lock_files(self._git_dir())
        if locks:
            raise GitError(
                f"the log repository holds the lock file {locks[0]}, which no git command of "
                "snn-feed holds: a git command is running there, or was killed; if none runs, "
                f"delete {locks[0]}, then sync again"
            )

    def _branch(self) -> str:
        return self._git("symbolic-ref", "--short", "HEAD").stdout.strip()

    def needs_push(self) -> bool:
        """Whether HEAD has commits the remote is not known to have (or nothing is known)."""
        known = self._known_on_remote(self._branch())
        if not known:
            return True
        out = self._git("rev-list", "--count", "HEAD", "--not", *known).stdout
        return int(out.strip() or 0) > 0

    def unpushed(self) -> list[Commit]:
        """The commits of HEAD not known to be on the remote, oldest first; [] when nothing
        is known of the remote yet, or there is no repository (read only: for `status`)."""
        if not self.is_repository():
            return []
        branch = self._git("symbolic-ref", "-q", "--short", "HEAD", check=False).stdout.strip()
        known = self._known_on_remote(branch) if branch else []
        if not known:
            return []
        out = self._git("rev-list", "--reverse", "--format=%ct", "HEAD", "--not", *known).stdout
        lines = [line for line in out.splitlines() if line.strip()]
        # --format prints "commit SHA" then the formatted line, for each commit.
        return [
            Commit(sha.split()[1], datetime.fromtimestamp(int(at), UTC))
            for sha, at in zip(lines[::2], lines[1::2], strict=True)
        ]

    def _known_on_remote(self, branch: str) -> list[str]:
        """Refs naming what the remote has: ours, and git's remote-tracking ref (a person's
        own push or fetch keeps that one) when `[git] remote` is a remote's name."""
        refs = [ON_REMOTE + branch, f"refs/remotes/{self.settings.remote}/{branch}"]
        return [
            ref for ref in refs
            if self._git("rev-parse", "--verify", "--quiet", ref + "^{commit}",
                         check=False).returncode == 0
        ]  # fmt: skip

    def _on_remote(self, branch: str, sha: str) -> None:
        self._git("update-ref", ON_REMOTE + branch, sha)

    def push(self) -> str:
        """Push HEAD and return it; when the remote moved on, rebase onto it and push again
        (bounded; the commits replaced are in `rewritten`). A failure leaves the local commits
        in place for the next sync to push, and says git's own reason."""
        remote = self.settings.remote
        branch = self._branch()
        for attempt in range(1, PUSH_ATTEMPTS + 1):
            pushed = self._git("push", "--quiet", remote, f"HEAD:{branch}", check=False)
            if pushed.returncode == 0:
                head = self._head()
                self._on_remote(branch, head)
                return head
            said = pushed.stderr + pushed.stdout
            behind = "[rejected]" in said and ("non-fast-forward" in said or "fetch first" in said)
            if not behind:
                raise GitError(
                    f"git push to the remote failed: {reason(pushed)}; the commit is kept "
                    "locally, and the next sync pushes it"
                )
            if attempt == PUSH_ATTEMPTS:
                break
            log.info("push rejected (attempt %d); rebasing onto the remote's %s", attempt, branch)
            self._rebase_onto_remote(remote, branch)
        raise GitError(
            f"git push failed after {PUSH_ATTEMPTS} attempts ({reason(pushed)}); the commit is "
            "kept locally, and the next sync pushes it"
        )

    def catch_up(self) -> bool:
        """Fetch the remote's branch and rebase onto it (a fast-forward when nothing is local),
        so that what is written next goes on top of what other hosts pushed, and the log holds
        their entries. Returns whether the branch moved; the commits replaced are in
        `rewritten`. A remote without the branch yet is nothing to catch up with."""
        remote, branch = self.settings.remote, self._branch()
        if self._git("rev-parse", "--verify", "--quiet", "HEAD", check=False).returncode != 0:
            return False  # nothing committed here yet: the first push makes the branch
        fetched = self._git("fetch", "--quiet", remote, branch, check=False)
        if fetched.returncode != 0:
            if "couldn't find remote ref" in (fetched.stderr + fetched.stdout).lower():
                return False
            raise GitError(
                f"git fetch from the remote failed: {reason(fetched)}; the log is written onto "
                "the clone as it is"
            )
        upstream = self._git("rev-parse", "FETCH_HEAD^{commit}").stdout.strip()
        self._on_remote(branch, upstream)
        contained = self._git("merge-base", "--is-ancestor", upstream, "HEAD", check=False)
        if contained.returncode == 0:
            return False
        self._rebase(upstream, "the clone could not be brought up to date with the remote")
        return True

    def _rebase_onto_remote(self, remote: str, branch: str) -> None:
        fetched = self._git("fetch", "--quiet", remote, branch, check=False)
        if fetched.returncode != 0:
            raise GitError(
                f"push rejected, and git fetch from the remote failed: {reason(fetched)}; the "
                "commit is kept locally"
            )
        upstream = self._git("rev-parse", "FETCH_HEAD^{commit}").stdout.strip()
        self._on_remote(branch, upstream)
        self._rebase(upstream, "push rejected")

    def _rebase(self, upstream: str, why: str) -> None:
        """Rebase HEAD's own commits onto `upstream`, recording those replaced; a rebase that
        stops is aborted, leaving the branch as it was."""
        before = self._commits_since(upstream)
        rebased = self._git(*self._identity(), "rebase", "--quiet", upstream, check=False)
        if rebased.returncode != 0:
            git_dir = self._git_dir()
            stopped = (git_dir / "rebase-merge").exists() or (git_dir / "rebase-apply").exists()
            self._git("rebase", "--abort", check=False)
            if stopped:
                raise GitError(
                    f"{why}, and the remote's changes do not rebase cleanly onto the "
                    "log commit: it is kept locally; resolve by hand"
                )
            raise GitError(
                f"{why}, and git rebase failed: {reason(rebased)}; the commit is kept locally"
            )
        after = {key: sha for sha, key in self._commits_since(upstream)}
        for sha, key in before:
            if key in after and after[key] != sha:
                # Earlier rewrites point on to the newest commit.
                for old, new in self.rewritten.items():
                    if new == sha:
                        self.rewritten[old] = after[key]
                self.rewritten[sha] = after[key]

    def _commits_since(self, upstream: str) -> list[tuple[str, str]]:
        """(sha, what a rebase keeps of it: author, date and message) of HEAD's own commits."""
        out = self._git("log", "--format=%H%x00%an%x00%ae%x00%at%x00%B%x01",
                        f"{upstream}..HEAD").stdout  # fmt: skip
        records = [r.strip("\n") for r in out.split("\x01") if r.strip("\n")]
        return [(r.split("\x00", 1)[0], r.split("\x00", 1)[1]) for r in records]

    def _identity(self) -> list[str]:
        name, email = self.settings.author_name, self.settings.author_email
        return [
            "-c", f"user.name={self._config('user.name') or name}",
            "-c", f"user.email={self._config('user.email') or email}",
        ]  # fmt: skip


def _lock_files(git_dir: Path) -> list[Path]:
    """The lock files git makes in a repository (the index, HEAD, refs, config, packed-refs,
    a commit's temporary index), sorted."""
    found = [*git_dir.glob("*.lock")]
    for folder in ("refs", "logs"):
        if (git_dir / folder).is_dir():
            found += (git_dir / folder).rglob("*.lock")
    return sorted(found)


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0
