"""The record of each run: what it did, how it ended, and the submission window it read."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update

from snn_feed.sanitize import storable
from snn_feed.store.base import Repository, now, record
from snn_feed.store.records import Run
from snn_feed.store.tables import SyncRun


class Runs(Repository):
    def close_crashed(self, holders: Collection[str] | None = None) -> int:
        """Runs still marked running whose owner is gone (killed, power cut): record them as
        crashed, so that status does not show them as in progress. `holders`: the sessions
        holding the database's command lock now (PostgreSQL), whose runs are alive; None when
        the caller's own lock file proves every other run gone (SQLite)."""
        running = SyncRun.outcome == "running"
        if holders is not None:
            gone = or_(SyncRun.lock_session.is_(None), SyncRun.lock_session.not_in(holders))
            running = running & gone
        with self.session() as s, s.begin():
            result = s.execute(
                update(SyncRun)
                .where(running)
                .values(
                    outcome="crashed",
                    error="the process ended without finishing",
                    finished_at=now(),
                )
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def start(
        self, command: str, *, owner: str | None = None, lock_session: str | None = None
    ) -> int:
        with self.session() as s, s.begin():
            run = SyncRun(command=command, started_at=now(), outcome="running", owner=owner,
                          lock_session=lock_session)  # fmt: skip
            s.add(run)
            s.flush()
            return run.id

    def finish(self, run_id: int, outcome: str, **values: Any) -> None:
        if isinstance(values.get("error"), str):  # an error may quote text from outside
            values["error"] = storable(values["error"])
        with self.session() as s, s.begin():
            s.execute(
                update(SyncRun)
                .where(SyncRun.id == run_id)
                .values(outcome=outcome, finished_at=now(), **values)
            )

    def replace_commits(self, rewritten: dict[str, str]) -> None:
        """Runs that recorded a commit a rebase replaced now record the one on the branch."""
        with self.session() as s, s.begin():
            for old, new in rewritten.items():
                s.execute(update(SyncRun).where(SyncRun.commit_sha == old).values(commit_sha=new))

    def recent(self, *, since: datetime | None = None, limit: int | None = None) -> list[Run]:
        """Runs, newest first."""
        with self.session() as s:
            query = select(SyncRun).order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
            if since is not None:
                query = query.where(SyncRun.started_at >= since)
            if limit is not None:
                query = query.limit(limit)
            return [record(Run, r) for r in s.scalars(query)]

    def last_success(self) -> Run | None:
        """The last run that did its whole job: nothing left waiting (a partial run, with a
        paper not yet translated, is not one)."""
        with self.session() as s:
            query = (
                select(SyncRun)
                .where(SyncRun.outcome == "done")
                .order_by(SyncRun.finished_at.desc())
                .limit(1)
            )
            row = s.scalar(query)
            return record(Run, row) if row is not None else None

    def last_commit(self) -> Run | None:
        """The last run that made a commit."""
        with self.session() as s:
            query = (
                select(SyncRun)
                .where(SyncRun.commit_sha.is_not(None))
                .order_by(SyncRun.finished_at.desc())
                .limit(1)
            )
            row = s.scalar(query)
            return record(Run, row) if row is not None else None

    def last_window_end(self) -> datetime | None:
        """End of the submission window of the last sync that read it to the end (its papers
        are stored, even if that run failed later)."""
        with self.session() as s:
            query = (
                select(SyncRun.window_end)
                .where(SyncRun.window_end.is_not(None))
                .order_by(SyncRun.window_end.desc())
                .limit(1)
            )
            return s.scalar(query)
