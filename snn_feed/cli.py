"""The command line: thin. Each command loads the config, opens the database, calls one
function, and turns snn-feed's errors into one line and an exit status."""

from __future__ import annotations

import atexit
import functools
import gc
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from snn_feed import __version__
from snn_feed.errors import ExitStatus, SnnFeedError

if TYPE_CHECKING:
    from snn_feed.config import Settings
    from snn_feed.journal.gitrepo import Commit

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger("snn_feed")


def _fail(message: str, status: int) -> None:
    from snn_feed.logs import redact

    click.echo(f"snn-feed: {redact(message)}", err=True)
    sys.exit(status)


@contextmanager
def one_line_errors(verbose: bool) -> Iterator[None]:
    """snn-feed's errors as one line and their exit status; a traceback only with --verbose."""
    try:
        yield
    except SnnFeedError as err:
        if verbose:
            log.exception("failed")
        _fail(str(err), err.exit_status)
    except KeyboardInterrupt:
        _fail("interrupted", ExitStatus.FAILED)
    except click.ClickException:
        raise  # click prints usage errors itself, with status 2
    except BrokenPipeError:
        # The reader went away (`snn-feed import | head`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(0)
    except Exception as err:  # a bug or an unforeseen failure: still one line by default
        if verbose:
            log.exception("unexpected error")
        _fail(f"unexpected error: {type(err).__name__}: {err} (rerun with --verbose)", 1)


def common_options(func: F) -> F:
    """--config and --verbose on every command, and one-line errors with exit statuses."""

    @click.option(
        "--config", "config_path", metavar="PATH", default=None,
        help="Config file (default: $SNN_FEED_CONFIG, then ./config.toml).",
    )  # fmt: skip
    @click.option("-v", "--verbose", is_flag=True, help="Log details to stderr; show tracebacks.")
    @click.option(
        "--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
        help="json: one JSON object per log line, for log collectors.",
    )  # fmt: skip
    @functools.wraps(func)
    def wrapper(config_path: str | None, verbose: bool, log_format: str, **kwargs: Any) -> Any:
        from snn_feed import logs
        from snn_feed.config import find_config_file, load_settings

        with one_line_errors(verbose):
            settings = load_settings(config_path)
            logs.setup(
                verbose,
                json_lines=log_format == "json",
                secrets=settings.secrets(),
            )
            configured = any(name.startswith("SNN_FEED_") for name in os.environ)
            if find_config_file(config_path) is None and not configured:
                # From cron without `cd`, this would quietly start a second log elsewhere.
                log.warning(
                    "no config file (--config, $SNN_FEED_CONFIG or ./config.toml): using the "
                    "built-in defaults, with everything under %s",
                    settings.base_dir / "data",
                )
            return func(settings, **kwargs)

    return wrapper  # type: ignore[return-value]


def topic_option(*, one: bool) -> Callable[[F], F]:
    """`--topic NAME`: the topic of `[[topics]]` a command works on (`Settings.select`)."""
    helps = (
        "The topic of [[topics]] whose log this works on; needed when there are several."
        if one
        else "Only this topic of [[topics]] (default: all)."
    )

    def decorate(func: F) -> F:
        @click.option("--topic", metavar="NAME", default=None, help=helps)
        @functools.wraps(func)
        def wrapper(settings: Settings, topic: str | None, **kwargs: Any) -> Any:
            return func(settings.select(topic, one=one), **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Example: snn-feed sync --since 2026-11-01",
)
@click.version_option(__version__, prog_name="snn-feed")
def cli() -> None:
    """Keep a spiking-neural-network arXiv reading log up to date, with Chinese abstracts."""


@cli.command(
    epilog="Example: snn-feed init --log ~/SNN_arxiv_daily --timezone Asia/Shanghai   "
    "(then: snn-feed sync --dry-run)"
)
@click.option(
    "--log", "log_path", metavar="PATH", default=None,
    help="The log: an existing one to adopt (its file, or the folder of its repository, meaning "
    "its README.md), or a new one to start, in a new or empty folder (default: "
    "data/SNN_arxiv_daily/README.md beside the config file).",
)  # fmt: skip
@click.option(
    "--config", "config_path", metavar="PATH", default=None,
    help="The config file to write; never replaced (default: $SNN_FEED_CONFIG, then "
    "./config.toml).",
)  # fmt: skip
@click.option("--timezone", metavar="ZONE", default=None,
              help="[log] timezone, e.g. Asia/Shanghai (default: America/New_York).")  # fmt: skip
@click.option("--no-resolve", is_flag=True,
              help="Adopting: do not look up title-only entries on arXiv.")  # fmt: skip
@click.option(
    "--github-actions", is_flag=True,
    help="Run it from GitHub Actions: write the config (snn-feed.toml) and the workflow "
    "(.github/workflows/snn-feed.yml) into the log's repository, never over existing files; "
    "the workflow's first run imports an adopted log (docs/github-actions.md). Example: "
    "snn-feed init --log SNN_arxiv_daily --github-actions",
)  # fmt: skip
@click.option("-v", "--verbose", is_flag=True, help="Log details to stderr; show tracebacks.")
@click.option(
    "--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="json: one JSON object per log line, for log collectors.",
)  # fmt: skip
def init(
    log_path: str | None, config_path: str | None, timezone: str | None, no_resolve: bool,
    github_actions: bool, verbose: bool, log_format: str,
) -> None:  # fmt: skip
    """Set up a log on purpose: write a config file naming it, then adopt it or start it.

    An existing log (in a git repository) is adopted: its entries are imported, as by
    `snn-feed import`, so none is ever added again. A missing one is started: its folder, a
    git repository, the log's header, a first commit. Nothing is written when a check fails;
    an existing config file is never replaced. With --github-actions, the config and a
    workflow go into the log's repository, for GitHub Actions to sync it every weekday.
    Exit status: 0 done, 2 refused (the line says why), 3 adopted but some titles could not
    be looked up (run `snn-feed import` later).
    """
    from pathlib import Path

    from snn_feed import logs
    from snn_feed.config import DEFAULT_LOG
    from snn_feed.pipeline.init import init as set_up
    from snn_feed.pipeline.init import target_config

    with one_line_errors(verbose):
        keys = [
            v
            for k, v in os.environ.items()
            if k.startswith("SNN_FEED_") and ("KEY" in k or "NOTIFY" in k)
        ]
        logs.setup(verbose, json_lines=log_format == "json", secrets=keys)
        if github_actions and config_path:
            raise click.UsageError(
                "--config and --github-actions: the workflow reads snn-feed.toml at the root of "
                "the log's repository, which --github-actions writes"
            )
        config = target_config(config_path, os.environ)
        log_file = Path(log_path).expanduser() if log_path else config.parent / DEFAULT_LOG
        done = set_up(
            config, log_file, timezone=timezone, resolve=not no_resolve,
            github_actions=github_actions,
        )  # fmt: skip
        for line in done.lines(os.environ):
            click.echo(line)
        errors = done.report.errors if done.report else []
        for error in errors:  # also where scripts look for failures, as after `import`
            click.echo(f"snn-feed: {error}", err=True)
        sys.exit(ExitStatus.PARTIAL if errors else ExitStatus.DONE)


@cli.command(epilog="Example: snn-feed sync --dry-run   (then: snn-feed sync)")
@click.option(
    "--since", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
    help="Start of the submission window: midnight of this day in [log] timezone (default: "
    "the last sync's end minus [arxiv] lookback_days).",
)  # fmt: skip
@click.option("--no-commit", is_flag=True, help="Write the log but do not commit it.")
@click.option("--dry-run", is_flag=True, help="Print what would be added; change nothing.")
@click.option(
    "--source", type=click.Choice(["api", "rss", "both"]), default=None,
    help="api: search by submission date; rss: the day's announcement feeds; both "
    "(default: [sync] source, which is both).",
)  # fmt: skip
@common_options
@topic_option(one=False)
def sync(
    settings: Settings, since: datetime | None, no_commit: bool, dry_run: bool, source: str | None
) -> None:
    """Fetch new papers, translate them, append them to the log and commit it.

    Exit status: 0 done (or nothing new), 1 failed, 2 bad usage or configuration,
    3 partly done (papers still pending), 4 busy (another sync holds the lock).
    """
    from snn_feed.pipeline.sync import SyncOptions, run_sync

    _tell_new_log(settings, "sync (dry run)" if dry_run else "sync")
    options = SyncOptions(
        since=since.date() if since else None, commit=not no_commit, dry_run=dry_run,
        source=source,
    )  # fmt: skip
    result = run_sync(settings, options)
    for line in result.would_add:
        click.echo(f"would add: {line}")
    for message in result.summary.messages:
        log.info(message)
    if result.summary.messages:
        more = len(result.summary.messages) - 1
        click.echo(
            f"snn-feed: {result.summary.messages[0]}" + (f" (and {more} more)" if more else ""),
            err=True,
        )
    click.echo(f"{'sync (dry run)' if dry_run else 'sync'}: {result.summary.line()}")
    sys.exit(result.status)


def _tell_new_log(settings: Settings, command: str) -> None:
    """First, where the built-in log is, when this run may start it: without a config that
    says so, a user could not know where their papers went."""
    if settings.log_origin is None and not settings.several and not settings.log_path.exists():
        click.echo(
            f"{command}: the log is {settings.log_path}, new (built-in; for a log of your own: "
            "snn-feed init)"
        )


@cli.command(epilog="Example: snn-feed serve --log-format json")
@common_options
def serve(settings: Settings) -> None:
    """Run syncs on the [schedule] in the foreground (for systemd and containers).

    Makes up a missed run at start, retries failed runs with backoff, and on SIGTERM/SIGINT
    stops at a safe point and exits 0 within [schedule] stop_timeout_seconds.
    """
    from snn_feed.service.scheduler import Service
    from snn_feed.startup import resume_gc

    resume_gc()  # a service lives for days: its idle hours are the collector's too
    sys.exit(Service(settings).serve())


@cli.command(epilog="Example: snn-feed status --json   (exit status 0 = healthy)")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option(
    "--month", type=click.DateTime(["%Y-%m"]), default=None, metavar="YYYY-MM",
    help="Also show how that month's papers scored (1-5), how many [feed] min_score held "
    "back, and the venues they were accepted at with their scores.",
)  # fmt: skip
@common_options
@topic_option(one=False)
def status(settings: Settings, as_json: bool, month: datetime | None) -> None:
    """Show the last run, the next one, paper counts and the last commit.

    Exits 1 when no sync has succeeded yet, the last run failed, the last success is older
    than [status] max_age_hours, a paper has waited longer than [status] max_pending_hours
    for its translation, or (with [git] push) a commit older than [status] max_age_hours is
    not on the remote yet: usable as a Docker health check or a probe.
    """
    import json
    from datetime import UTC

    from snn_feed.service.status import month_scores, report
    from snn_feed.store import open_store

    store = open_store(settings.database_url, create=False)
    try:
        result = report(store, settings, datetime.now(UTC), unpushed(settings))
        scores = month_scores(store, settings, month.strftime("%Y-%m")) if month else None
    finally:
        store.engine.dispose()
    if as_json:
        data = result.as_dict()
        if scores:
            data["month"] = scores.as_dict()
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        for line in result.lines() + (scores.lines() if scores else []):
            click.echo(line)
    sys.exit(0 if result.healthy else 1)


def unpushed(settings: Settings) -> list[Commit]:
    """The log's commits not on the remote yet, when the log is pushed (git only reads)."""
    from snn_feed.journal.gitrepo import GitRepo

    if not (settings.git.commit and settings.git.push):
        return []
    return GitRepo(settings.log_path, settings.git).unpushed()


@cli.command(epilog="Example: snn-feed export --atom data/SNN_arxiv_daily/feed.atom --limit 100")
@click.option("--atom", metavar="FILE", default=None,
              help="The feed file; - for standard output (default: [export] atom).")  # fmt: skip
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="How many of the latest logged papers (default: [export] limit).")  # fmt: skip
@common_options
@topic_option(one=True)
def export(settings: Settings, atom: str | None, limit: int | None) -> None:
    """Write an Atom feed of the latest logged papers, newest first, with the Chinese abstract
    as each entry's content, so the log can be followed in any feed reader.

    The file is replaced whole: a failed write leaves the old feed as it was (status 1).
    With [export] atom set, every successful sync rewrites the feed too.
    """
    from pathlib import Path

    from snn_feed.service.export import configured_feed, feed_info, write_feed
    from snn_feed.store import open_store

    if atom is None and settings.atom_path is None:
        raise click.UsageError("give --atom FILE or set [export] atom")
    path = configured_feed(settings) if atom is None else None if atom == "-" else Path(atom)
    store = open_store(settings.database_url, create=False)
    count = write_feed(store, path, feed_info(settings), limit=limit or settings.export.limit)
    if path is not None:
        click.echo(f"export: {count} papers written to {atom or settings.atom_path}")


@cli.command(epilog="Example: snn-feed site data/SNN_arxiv_daily/docs")
@click.argument("folder", metavar="DIR", required=False, type=click.Path(file_okay=False))
@common_options
@topic_option(one=True)
def site(settings: Settings, folder: str | None) -> None:
    """Build the log's web site in DIR from the database: a page per month, newest first, with
    filters (score, venue, code, month) and a search in Chinese and English that needs no
    server; for GitHub Pages or any static host.

    Only files whose content changed are written (each replaced whole); the pages of months
    no longer in the log are removed. With [site] dir set, every successful sync rebuilds it.
    """
    from pathlib import Path

    from snn_feed.site.build import build_site, configured_site
    from snn_feed.store import open_store

    path = Path(folder) if folder is not None else configured_site(settings)
    if path is None:
        raise click.UsageError("give DIR or set [site] dir")
    store = open_store(settings.database_url, create=False)
    try:
        report = build_site(store, path, settings.site.title)
    finally:
        store.engine.dispose()
    click.echo(f"site: {report.line()}")


@cli.command("import", epilog="Example: snn-feed import ~/SNN_arxiv_daily/README.md")
@click.argument("log_file", required=False, type=click.Path(dir_okay=False, exists=True))
@click.option("--no-resolve", is_flag=True, help="Do not look up title-only entries on arXiv.")
@common_options
@topic_option(one=True)
def import_(settings: Settings, log_file: str | None, no_resolve: bool) -> None:
    """Adopt an existing log: record its entries so none is ever added again.

    Reads both entry formats; finds arXiv ids for title-only entries by title search (only
    confident matches), and lists the rest and any line that is not an entry, with line
    numbers. The log itself is not changed. Running it twice changes nothing.
    """
    from pathlib import Path

    from snn_feed.pipeline.importer import import_file
    from snn_feed.progress import reporter

    path = Path(log_file) if log_file else settings.log_path
    with reporter("import", "titles looked up", "found") as progress:
        report = import_file(settings, path, resolve=not no_resolve, progress=progress)
    for line in report.lines():
        click.echo(line)
    for error in report.errors:  # also where scripts and cron look for failures
        click.echo(f"snn-feed: {error}", err=True)
    sys.exit(ExitStatus.PARTIAL if report.errors else ExitStatus.DONE)


@cli.command(epilog="Example: snn-feed backfill --from 2020-01-01 --to 2020-12-31")
@click.option("--from", "start", type=click.DateTime(["%Y-%m-%d"]), required=True,
              metavar="YYYY-MM-DD", help="First submission day ([log] timezone).")  # fmt: skip
@click.option("--to", "end", type=click.DateTime(["%Y-%m-%d"]), default=None,
              metavar="YYYY-MM-DD",
              help="Last submission day ([log] timezone; default: today there).")  # fmt: skip
@click.option("--commit-every", type=click.Choice(["backfill", "month"]), default="backfill",
              show_default=True, help="One commit for the backfill, or one per month.")  # fmt: skip
@click.option("--no-commit", is_flag=True, help="Write the log but do not commit it.")
@common_options
@topic_option(one=True)
def backfill(
    settings: Settings, start: datetime, end: datetime | None, commit_every: str, no_commit: bool
) -> None:
    """Fetch, translate and log the papers of past months, under the month each appeared.

    Month by month, politely (one request per [arxiv] delay_seconds); a stopped backfill
    continues where it stopped when run again.
    """
    from zoneinfo import ZoneInfo

    from snn_feed.errors import ExitStatus
    from snn_feed.pipeline.backfill import Backfiller
    from snn_feed.pipeline.context import open_seams
    from snn_feed.progress import reporter

    # The dates name days in the log's time zone, as the month windows do; in a New York
    # evening, UTC is already on the next day.
    today = datetime.now(ZoneInfo(settings.log.timezone)).date()
    last = min(end.date(), today) if end else today
    if start.date() > last:
        raise click.UsageError(
            f"--from {start.date()} is after --to {last}" + (" (today)" if last == today else "")
        )
    _tell_new_log(settings, "backfill")
    arxiv = settings.arxiv.model_copy(update={"page_size": settings.arxiv.backfill_page_size})
    settings = settings.model_copy(update={"arxiv": arxiv})
    with open_seams(settings, commit=not no_commit) as seams, reporter() as progress:
        summary = Backfiller(seams, progress).run(
            start.date(), last, commit_every=commit_every, commit=not no_commit
        )
    click.echo(f"backfill: {summary.line()}")
    sys.exit(ExitStatus.PARTIAL if summary.pending else ExitStatus.DONE)


@cli.command(epilog="Example: snn-feed retranslate --engine deepl --since 2026-11-01")
@click.argument("ids", nargs=-1)
@click.option(
    "--engine", default=None, help="Use this engine instead of the configured ones.",
    type=click.Choice(["google", "libre", "mymemory", "deepl", "openai", "baidu"]),
)  # fmt: skip
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
              help="Papers submitted on or after this day ([log] timezone).")  # fmt: skip
@click.option("--force", is_flag=True, help="Ask the engine even if the cache has an answer.")
@common_options
@topic_option(one=True)
def retranslate(
    settings: Settings, ids: tuple[str, ...], engine: str | None, since: datetime | None,
    force: bool,
) -> None:  # fmt: skip
    """Translate chosen papers again (stored translations are reused unless --force).

    The log is append-only: entries already written keep their text; papers still waiting
    are written with the new translation by the next sync.
    """
    from zoneinfo import ZoneInfo

    from snn_feed.pipeline.context import open_seams
    from snn_feed.pipeline.retranslate import retranslate as again

    if bool(ids) == bool(since):
        raise click.UsageError("give either paper ids or --since")
    if engine is not None:
        from snn_feed.translation.chain import engine_settings

        settings.translate = engine_settings(settings.translate, engine)
    # A day in the log's time zone, as `sync --since` reads it.
    start = since.replace(tzinfo=ZoneInfo(settings.log.timezone)) if since else None
    with open_seams(settings, commit=False) as seams:
        done, chosen, errors = again(seams, ids, start, force=force)
    for line in errors:
        click.echo(f"snn-feed: {line}", err=True)
    click.echo(f"retranslate: {done} of {chosen} papers translated again")
    sys.exit(ExitStatus.PARTIAL if errors else ExitStatus.DONE)


@cli.command("archive", epilog="Example: snn-feed archive --keep-months 12")
@click.option("--keep-months", type=click.IntRange(min=1), default=None,
              help="Months to keep in the log (default: [log] keep_months).")  # fmt: skip
@click.option("--restore", is_flag=True, help="Put all archived months back into the log.")
@common_options
@topic_option(one=True)
def archive_(settings: Settings, keep_months: int | None, restore: bool) -> None:
    """Move old months into archive/YYYY.md beside the log (its own commit), or restore them.

    The log keeps the newest months and an index linking each archived year; the moved text is
    not changed by a byte, so --restore gives back the identical file.
    """
    from snn_feed.pipeline.archiving import archive_old_months, restore_archive
    from snn_feed.pipeline.context import open_seams

    with open_seams(settings) as seams:
        guard = seams.guard()
        if restore:
            years = restore_archive(seams.store, seams.log_path, guard, seams.git)
            click.echo(f"archive: restored {', '.join(map(str, years)) or 'nothing'}")
            return
        keep = keep_months or settings.log.keep_months
        if not keep:
            raise click.UsageError("give --keep-months N or set [log] keep_months")
        years = archive_old_months(seams.store, seams.log_path, keep, guard, seams.git)
        moved = ", ".join(map(str, years))
        click.echo(f"archive: months moved to {moved}" if years else "archive: nothing to move")


@cli.command(epilog="Example: snn-feed notify --test")
@click.option("--test", is_flag=True, help="Send a test message to every [notify] service.")
@common_options
def notify(settings: Settings, test: bool) -> None:
    """Check the [notify] services: send each a test message and say how it went.

    Services are named by their number in [notify] urls and their scheme, never by their URL
    (it holds secrets). Exit status: 0 every service took it, 1 one did not, 2 no service.
    """
    from snn_feed.pipeline.notifying import log_name, send_tests

    if not test:
        raise click.UsageError("give --test (digests and alerts are sent by `snn-feed sync`)")
    if not settings.notify.urls:
        raise click.UsageError("no service in [notify] urls (or $SNN_FEED_NOTIFY__URLS)")
    failed = 0
    for label, why in send_tests(settings, log_name(settings.log_path)):
        click.echo(f"notify: {label}: " + ("sent" if why is None else f"FAILED: {why}"))
        failed += why is not None
    sys.exit(ExitStatus.FAILED if failed else ExitStatus.DONE)


@cli.group()
def db() -> None:
    """Database maintenance (migrations are applied on every start anyway).

    Example: snn-feed db upgrade
    """


@db.command(epilog="Example: snn-feed db upgrade --config /srv/snn-feed/config.toml")
@common_options
def upgrade(settings: Settings) -> None:
    """Apply all database migrations."""
    from snn_feed.pipeline.context import process_owner
    from snn_feed.store import migrate, open_store
    from snn_feed.store.engine import command_lock

    # On PostgreSQL not under another host's running command: the schema changes under it.
    timeout = settings.sync.lock_timeout_seconds
    with command_lock(settings.database_url, timeout, process_owner()):
        store = open_store(settings.database_url)
        try:
            click.echo(f"database at revision {migrate.current_revision(store.engine)}")
        finally:
            store.engine.dispose()


def main() -> None:
    # At exit Python's last garbage collections walk every object SQLAlchemy, pydantic and the
    # rest allocated: 0.1-0.2 s, a fifth of a day's sync, spent on memory the OS is about to
    # take back. Frozen objects are skipped; files, locks and connections are closed by the
    # code that opened them, not by the collector.
    atexit.register(gc.freeze)
    cli(prog_name="snn-feed")
