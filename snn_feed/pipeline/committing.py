"""The commit stage: the written entries in one commit of the log, for review. A paper is
recorded as committed only once git holds it."""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path

from snn_feed.config import GitSettings
from snn_feed.errors import ConfigError, GitError, PushError
from snn_feed.journal.gitrepo import GitRepo
from snn_feed.pipeline.guard import LogGuard
from snn_feed.pipeline.reconcile import read_presence
from snn_feed.store import PaperState, Store

log = logging.getLogger(__name__)


def prepare_repository(git: GitRepo | None, log_path: Path) -> None:
    """A new log gets its own repository; an existing log must already be in one, and one
    that git ignores could never be committed."""
    if git is None:
        return
    git.recover()  # first: what a killed run of ours left is not a person's doing
    if git.is_repository():
        git.check_state()
    elif log_path.exists():
        raise GitError(
            f"the log {log_path} is not in a git repository: run `git init` "
            "in its folder, or set [git] commit = false"
        )
    else:
        git.init()
    check_not_ignored(git, log_path)


def catch_up(store: Store, git: GitRepo | None, settings: GitSettings) -> None:
    """With `[git] push`, bring the clone up to date with the remote's branch before anything
    is read or written: hosts sharing a remote then each write on top of what the others
    pushed, and find the papers those hold in the log (reconcile records them as there)
    instead of writing them again. A remote that cannot be reached, or a rebase that does not
    go through, is a warning: the run goes on as before, and its push says what is wrong."""
    if git is None or not settings.push:
        return
    try:
        if git.catch_up():
            log.info("the log's clone was brought up to date with the remote")
    except GitError as err:
        log.warning("%s", err)
    finally:
        if git.rewritten:
            store.papers.replace_commits(git.rewritten)
            store.runs.replace_commits(git.rewritten)


def check_not_ignored(git: GitRepo, log_path: Path) -> None:
    """Refuse a log that its repository's ignore rules exclude: every sync would write it and
    fail to commit it, forever."""
    rule = git.ignore_rule(log_path)
    if rule is not None:
        raise ConfigError(
            f"config: the log {log_path} is ignored by git (rule {rule}), so it can never be "
            "committed: remove the rule, or set [git] commit = false"
        )


def commit(
    store: Store,
    git: GitRepo,
    settings: GitSettings,
    log_path: Path,
    guard: LogGuard,
    today: date,
    message: str | None = None,
) -> str | None:
    """Commit the written papers, then push (`[git] push`) whatever the remote lacks, even
    when nothing was new: a commit an earlier sync could not push is pushed now. Return the
    commit as it is on the branch (after a rebase, the new one), or None when there was
    nothing to commit. `message` (default `[git] message`) gets `{date}`, `{count}` (the
    entries added) and `{papers}` (`paper` or `papers`, to agree with the count)."""
    sha = _commit_written(store, git, settings, log_path, guard, today, message)
    if settings.push and git.needs_push():
        try:
            git.push()
        except GitError as err:  # a failure of its own kind: an alert of its own (`[notify]`)
            raise PushError(str(err)) from None
        finally:
            # Recorded even when a later attempt fails: the old commits are gone from the branch.
            if git.rewritten:
                store.papers.replace_commits(git.rewritten)
                store.runs.replace_commits(git.rewritten)
        if sha is not None:
            sha = git.rewritten.get(sha, sha)
    return sha


def _commit_written(
    store: Store,
    git: GitRepo,
    settings: GitSettings,
    log_path: Path,
    guard: LogGuard,
    today: date,
    message: str | None,
) -> str | None:
    rows = store.papers.in_state(PaperState.WRITTEN)
    if not rows or not log_path.exists():
        return None
    ids = [r.arxiv_id for r in rows]
    if not git.log_changed():
        # Nothing to commit: papers the last commit holds are committed; papers marked
        # written but missing from it (their lines were discarded) go back in line.
        held = read_presence(log_path, store, git.committed_log())
        kept = [r.arxiv_id for r in rows if held.holds(r.arxiv_id, r.title)]
        store.papers.mark_committed(kept, None)
        store.papers.unwrite(sorted(set(ids) - set(kept)))
        return None
    guard.check()
    # Entries this commit adds: papers found already in the log were not written by us.
    entries = sum(1 for r in rows if r.log_month is not None)
    text = (message or settings.message).format(
        date=today.isoformat(), count=entries, papers="paper" if entries == 1 else "papers"
    )
    sha = git.commit_log(text)
    store.papers.mark_committed(ids, sha)
    return sha
