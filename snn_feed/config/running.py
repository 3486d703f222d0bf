"""How it runs: `[database]`, `[sync]`, `[schedule]`, `[status]`."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from snn_feed.config.base import TimeZone, _Section


class DatabaseSettings(_Section):
    """Where papers, their translations and every run are stored; the schema is migrated on
    every start."""

    url: str = Field(
        default="sqlite:///data/snn-feed.sqlite3",
        description="Any SQLAlchemy URL; a relative SQLite path is relative to the config "
        "file's folder.",
    )


class SyncSettings(_Section):
    """One sync: where its papers come from, and the lock that every sync, `serve` and cron
    run of this configuration shares, so two never work at once."""

    lock_file: str = Field(
        default="data/snn-feed.lock",
        description="The lock shared by every snn-feed process using this configuration.",
    )
    lock_timeout_seconds: float = Field(
        default=0.0,
        ge=0,
        description="How long a sync waits for another one to finish before it exits busy "
        "(status 4); 0: at once. On PostgreSQL also how long a command that writes waits for "
        "the database's lock, which hosts sharing the database take turns at.",
    )
    source: Literal["api", "rss", "both"] = Field(
        default="both",
        description="Where papers come from: `api`, the search API (a window of submission "
        "dates, late but complete); `rss`, the day's announcement feeds (on the day, but only "
        "that day); or `both`. `sync --source` overrides it.",
    )


class ScheduleSettings(_Section):
    """When `snn-feed serve` syncs, and how it retries a failed run."""

    cron: str = Field(
        default="30 0 * * 1-5",
        description="A crontab line (minute hour day month day-of-week, 0 or 7 = Sunday; an "
        "optional leading seconds field is accepted) in `timezone`. The default runs half an "
        "hour after arXiv rebuilds its announcement feeds (midnight US Eastern, Monday to "
        "Friday, with the 20:00 announcements of Sunday to Thursday evening), so both sources "
        "have the day's papers.",
    )
    timezone: TimeZone = Field(
        default="America/New_York",
        description="Time zone of `cron`; local time is kept across daylight-saving changes.",
    )
    retries: int = Field(
        default=3,
        ge=0,
        le=20,
        description="A failed or partial run is tried again this many times, unless the next "
        "regular run comes first.",
    )
    retry_minutes: float = Field(
        default=15.0,
        gt=0,
        description="Wait before the first retry; it doubles for each further one.",
    )
    stop_timeout_seconds: float = Field(
        default=60.0,
        gt=0,
        description="On SIGTERM, how long a running sync may take to reach a safe point before "
        "the service exits.",
    )

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from snn_feed.service.schedule import make_trigger

        try:
            make_trigger(value, "UTC")
        except ValueError as err:
            raise ValueError(f"bad cron expression {value!r}: {err}") from err
        return value


class StatusSettings(_Section):
    """When `snn-feed status` fails (exit status 1, for a health check or a probe), and when it
    warns."""

    max_age_hours: float = Field(
        default=80.0,
        gt=0,
        description="Fail when the last successful sync is older than this (the default "
        "covers arXiv's Friday-Saturday pause of 72 hours, plus retries).",
    )
    quiet_days: int = Field(
        default=5,
        ge=1,
        le=60,
        description="Warn when runs over this many days, with at least three scheduled "
        "announcements, found no paper at all: a broken query looks like a quiet week.",
    )
    max_pending_hours: float = Field(
        default=48.0,
        gt=0,
        description="Fail when a paper has waited longer than this for its translation: "
        "papers are never logged untranslated, so a translator that keeps failing must be "
        "noticed.",
    )
