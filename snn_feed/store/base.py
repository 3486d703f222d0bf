"""What every repository shares: sessions on one engine, the time rows are stamped with, and
the copy of a row into its plain record."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

R = TypeVar("R")


def now() -> datetime:
    return datetime.now(UTC)


def record(cls: type[R], row: Any) -> R:
    """The frozen record `cls` holding `row`'s columns of the same names."""
    return cls(**{f.name: getattr(row, f.name) for f in dataclasses.fields(cls)})  # type: ignore[arg-type]


class Repository:
    def __init__(self, engine: Engine, sessions: sessionmaker[Session]) -> None:
        self.engine = engine
        self._sessions = sessions

    def session(self) -> Session:
        return self._sessions()
