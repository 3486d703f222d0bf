"""A real PostgreSQL server for the tests that need one.

`TEST_POSTGRES_URL` names a server by an admin URL (`.ci/run` starts one with
`.ci/postgres start DIR` and sets it); each test gets a fresh database on it, dropped
afterwards. Without it, a test that needs PostgreSQL skips, saying why; CI always sets it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

ENV = "TEST_POSTGRES_URL"
SKIP_REASON = f"no PostgreSQL server for the tests: set {ENV} (.ci/postgres start DIR prints one)"


def admin_url() -> str | None:
    return os.environ.get(ENV) or None


@contextmanager
def fresh_database(template: str | None = None) -> Iterator[str]:
    """The URL of a new, empty database on the test server (a copy of the database `template`
    if given); dropped when the block ends."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin = admin_url()
    if admin is None:
        raise RuntimeError(SKIP_REASON)
    name = f"t_{uuid.uuid4().hex[:16]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            copy = f' TEMPLATE "{template}"' if template else ""
            conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        yield make_url(admin).set(database=name).render_as_string(hide_password=False)
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()
