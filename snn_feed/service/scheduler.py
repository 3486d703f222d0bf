"""`snn-feed serve`: syncs on a schedule in the foreground, for systemd and containers.

- Runs at the `[schedule] cron` times in its time zone (by default shortly after arXiv's
  announcements). On start, and when the host wakes from sleep, a missed run is made up at
  once; missed runs are coalesced into one, and two syncs never run at once (a lock in this
  process, and the file lock shared with cron's `snn-feed sync`).
- A failed or partial run is tried again after `retry_minutes`, doubling, `retries` times,
  then waits for the next slot. A failed sync never stops the service.
- SIGTERM or SIGINT: no new run starts; a running sync stops at its next safe point (between
  papers or pages; files are only ever replaced whole) and the process exits 0, at the latest
  after `stop_timeout_seconds`.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from snn_feed.config import Settings
from snn_feed.errors import ExitStatus, Interrupted, SnnFeedError
from snn_feed.pipeline.sync import SyncOptions, SyncResult, run_sync
from snn_feed.service.schedule import make_trigger, next_run, previous_run
from snn_feed.store import open_store

log = logging.getLogger(__name__)

RETRYABLE = {ExitStatus.FAILED, ExitStatus.PARTIAL, ExitStatus.BUSY}
WAKEUP_SECONDS = 30


class Service:
    """The scheduler loop around `run_sync`."""

    def __init__(
        self,
        settings: Settings,
        *,
        sync: Callable[..., SyncResult] = run_sync,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.sync = sync
        self.clock = clock
        self.trigger = make_trigger(settings.schedule.cron, settings.schedule.timezone)
        self.stop = threading.Event()
        self._busy = threading.Lock()
        self._scheduler: Any = None

    def catch_up_due(self) -> bool:
        """Whether the last success is older than the last scheduled time (or never was)."""
        store = open_store(self.settings.database_url)
        try:
            success = store.runs.last_success()
        finally:
            store.engine.dispose()
        if success is None:
            return True
        previous = previous_run(self.trigger, self.clock())
        return previous is not None and (success.finished_at or success.started_at) < previous

    def run_once(self, attempt: int = 0) -> ExitStatus | None:
        """One sync (the scheduler's job). Returns its status, or None if it did not run."""
        if self.stop.is_set() or not self._busy.acquire(blocking=False):
            log.info("a sync is already running here; this one is skipped")
            return None
        started = time.monotonic()
        try:
            try:
                result = self.sync(self.settings, SyncOptions(), should_stop=self.stop.is_set)
                status, line = result.status, result.summary.line()
            except Interrupted:
                log.info("sync stopped at a safe point for shutdown")
                return None
            except SnnFeedError as err:
                status, line = err.exit_status, str(err)
            except Exception as err:  # the service outlives any one failed sync
                log.exception("sync crashed")
                status, line = ExitStatus.FAILED, f"{type(err).__name__}: {err}"
            elapsed = time.monotonic() - started
            word = {0: "done", 1: "failed", 3: "partly done", 4: "busy"}.get(status, str(status))
            log.info(
                "sync %s: %s (%.1f s)", word, line, elapsed,
                extra={"fields": {"event": "sync", "status": int(status), "seconds": elapsed,
                                  "attempt": attempt}},
            )  # fmt: skip
            if status in RETRYABLE:
                self._retry_later(attempt)
            return status
        finally:
            self._busy.release()

    def _retry_later(self, attempt: int) -> None:
        schedule = self.settings.schedule
        if attempt >= schedule.retries or self.stop.is_set() or self._scheduler is None:
            return
        wait = timedelta(minutes=schedule.retry_minutes * 2**attempt)
        when = self.clock() + wait
        upcoming = next_run(self.trigger, self.clock())
        if upcoming is not None and when >= upcoming:
            return  # the next regular run comes first
        log.info("trying again at %s", when.isoformat(timespec="seconds"))
        self._scheduler.add_job(
            self.run_once, "date", run_date=when, args=[attempt + 1],
            id="retry", replace_existing=True,
        )  # fmt: skip

    def serve(self) -> int:
        from apscheduler.schedulers.background import BackgroundScheduler

        zone = ZoneInfo(self.settings.schedule.timezone)
        scheduler = BackgroundScheduler(
            timezone=zone,
            # Runs missed while the host slept are made up once, however late.
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._scheduler = scheduler
        scheduler.add_job(self.run_once, self.trigger, id="scheduled")
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: self.stop.set())
        if self.catch_up_due():
            log.info("the last scheduled run was missed: syncing now")
            scheduler.add_job(self.run_once, "date", run_date=datetime.now(zone), id="catch-up")
        scheduler.start()
        upcoming = next_run(self.trigger, self.clock())
        log.info(
            "serving; next scheduled sync at %s",
            upcoming.isoformat(timespec="seconds") if upcoming else "never",
        )
        ticks = 0
        while not self.stop.wait(1.0):
            ticks += 1
            if ticks % WAKEUP_SECONDS == 0:
                # The scheduler sleeps on a monotonic timer, which stands still while the host
                # is suspended: waking it regularly makes it look at the wall clock and run a
                # slot missed during sleep (late, once) instead of hours after waking.
                scheduler.wakeup()
        log.info("stopping: no new syncs; waiting for a running one to reach a safe point")
        scheduler.shutdown(wait=False)
        timeout = self.settings.schedule.stop_timeout_seconds
        if not self._busy.acquire(timeout=timeout):
            # Writes are atomic and every step is recorded as it completes, so leaving now
            # loses nothing; the scheduler's worker thread would otherwise hold the exit.
            log.warning("a sync was still running after %g s; exiting anyway", timeout)
            logging.shutdown()
            os._exit(0)
        log.info("stopped")
        return 0
