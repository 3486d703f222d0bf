"""The commit stage: the written entries in one commit of the log, for review. A paper is
recorded as committed only once git holds it."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from snn_feed.config import GitSettings
from snn_feed.errors import ConfigError, GitError, PushError
from snn_feed.journal.gitrepo import GitRepo, work_tree_of
from snn_feed.pipeline.guard import LogGuard
from snn_feed.pipeline.reconcile import read_presence
from snn_feed.store import PaperState, Store, StoredPaper

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
    elif work_tree_of(log_path) is not None:
        log_path.parent.mkdir(parents=True, exist_ok=True)  # a new log in a folder of a repository
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


@dataclass(frozen=True)
class Member:
    """One topic's log in a repository's commit: the topic's store, its log and its guard."""

    store: Store
    log_path: Path
    guard: LogGuard
    name: str = ""
    """The topic's name for the message's `{topics}` (empty: the one topic of a config
    without `[[topics]]`)."""


def commit(
    store: Store,
    git: GitRepo,
    settings: GitSettings,
    log_path: Path,
    guard: LogGuard,
    today: date,
    message: str | None = None,
) -> str | None:
    """`commit_together` for one log."""
    return commit_together([Member(store, log_path, guard)], git, settings, today, message)[0]


def commit_together(
    members: Sequence[Member],
    git: GitRepo,
    settings: GitSettings,
    today: date,
    message: str | None = None,
) -> tuple[str | None, list[GitError]]:
    """Commit the papers written to the logs of `members` (one repository's) in one commit,
    then push (`[git] push`) whatever the remote lacks, even when nothing was new: a commit an
    earlier sync could not push is pushed now. Return the commit as it is on the branch (after
    a rebase, the new one), or None when there was nothing to commit, and the logs left out
    because someone's edit is in them (when every log is, the first is raised). `message`
    (default `[git] message`) gets `{date}`, `{count}` (the entries added), `{papers}`
    (`paper` or `papers`, to agree with the count) and `{topics}`."""
    ready: list[tuple[Member, list[StoredPaper]]] = []
    refused: list[GitError] = []
    for member in members:
        rows = _written(member, git)
        if not rows:
            continue
        try:
            member.guard.check()
        except GitError as err:
            refused.append(err)
            continue
        ready.append((member, rows))
    if refused and not ready:
        raise refused[0]
    sha = _commit(ready, git, settings, today, message) if ready else None
    if settings.push and git.needs_push():
        try:
            git.push()
        except GitError as err:  # a failure of its own kind: an alert of its own (`[notify]`)
            raise PushError(str(err)) from None
        finally:
            # Recorded even when a later attempt fails: the old commits are gone from the branch.
            if git.rewritten:
                store = members[0].store
                store.papers.replace_commits(git.rewritten)
                store.runs.replace_commits(git.rewritten)
        if sha is not None:
            sha = git.rewritten.get(sha, sha)
    return sha, refused


def _written(member: Member, git: GitRepo) -> list[StoredPaper]:
    """The member's written papers that its log's changes hold, for the commit. When the log
    has no change, papers the last commit holds are committed already, and papers marked
    written but missing from it (their lines were discarded) go back in line."""
    store, log_path = member.store, member.log_path
    rows = store.papers.in_state(PaperState.WRITTEN)
    if not rows or not log_path.exists():
        return []
    if git.changed(log_path):
        return rows
    ids = [r.arxiv_id for r in rows]
    held = read_presence(log_path, store, git.committed_text(log_path))
    kept = [r.arxiv_id for r in rows if held.holds(r.arxiv_id, r.title)]
    store.papers.mark_committed(kept, None)
    store.papers.unwrite(sorted(set(ids) - set(kept)))
    return []


def _commit(
    ready: Sequence[tuple[Member, list[StoredPaper]]],
    git: GitRepo,
    settings: GitSettings,
    today: date,
    message: str | None,
) -> str:
    # Entries this commit adds: papers found already in the log were not written by us.
    counts = [(m, sum(1 for r in rows if r.log_month is not None)) for m, rows in ready]
    entries = sum(n for _, n in counts)
    topics = ", ".join(f"{m.name} {n}" for m, n in counts if n and m.name)
    text = (message or settings.message).format(
        date=today.isoformat(), count=entries, papers="paper" if entries == 1 else "papers",
        topics=topics,
    )  # fmt: skip
    sha = git.commit_files([m.log_path for m, _ in ready], text)
    for member, rows in ready:
        member.store.papers.mark_committed([r.arxiv_id for r in rows], sha)
    return sha
