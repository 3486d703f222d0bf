"""What every repository shares: sessions on one engine, the time rows are stamped with, and
the copy of a row into its plain record."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from sqlalchemy import Engine, Table
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.sql.dml import Insert

from snn_feed.records import DEFAULT_TOPIC
from snn_feed.store.engine import upsert

R = TypeVar("R")


def now() -> datetime:
    return datetime.now(UTC)


def record(cls: type[R], row: Any) -> R:
    """The frozen record `cls` holding `row`'s columns of the same names."""
    return cls(**{f.name: getattr(row, f.name) for f in dataclasses.fields(cls)})  # type: ignore[arg-type]


class Repository:
    """One kind of record, read and written for one topic (`topic`): repositories of records
    that are not a topic's (runs, translations, the ledgers) leave it unused."""

    def __init__(
        self, engine: Engine, sessions: sessionmaker[Session], topic: str = DEFAULT_TOPIC
    ) -> None:
        self.engine = engine
        self._sessions = sessions
        self.topic = topic

    def session(self) -> Session:
        return self._sessions()

    def upsert(self, row: type[DeclarativeBase], *, update: Sequence[str] = ()) -> Insert:
        """This database's `INSERT ... ON CONFLICT` into `row`'s table (`engine.upsert`)."""
        return upsert(self.engine.dialect.name, cast(Table, row.__table__), update=update)
