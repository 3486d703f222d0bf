"""The command line: thin. Each command loads the config, opens the database, calls one
function, and turns snn-feed's errors into one line and an exit status."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import click

from snn_feed import __version__
from snn_feed.errors import BusyError, ExitStatus, SnnFeedError

if TYPE_CHECKING:
    from snn_feed.config import Settings
    from snn_feed.store import Store

F = TypeVar("F", bound=Callable[..., Any])

log = logging.getLogger("snn_feed")


class _Redact(logging.Filter):
    """Never let a configured secret reach a log line, whoever logs it."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if s]

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            message = record.getMessage()
            for secret in self.secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        return True


def _setup_logging(verbose: bool, secrets: list[str]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_Redact(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    # urllib3 logs full request URLs, and LibreTranslate's key travels in one.
    logging.getLogger("urllib3").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _fail(message: str, status: int) -> None:
    click.echo(f"snn-feed: {message}", err=True)
    sys.exit(status)


def common_options(func: F) -> F:
    """--config and --verbose on every command, and one-line errors with exit statuses."""

    @click.option(
        "--config", "config_path", metavar="PATH", default=None,
        help="Config file (default: $SNN_FEED_CONFIG, then ./config.toml).",
    )  # fmt: skip
    @click.option("-v", "--verbose", is_flag=True, help="Log details to stderr; show tracebacks.")
    @functools.wraps(func)
    def wrapper(config_path: str | None, verbose: bool, **kwargs: Any) -> Any:
        from snn_feed.config import load_settings

        try:
            settings = load_settings(config_path)
            _setup_logging(verbose, [settings.translate.api_key or ""])
            return func(settings, **kwargs)
        except SnnFeedError as err:
            if verbose:
                log.exception("failed")
            _fail(str(err), err.exit_status)
        except KeyboardInterrupt:
            _fail("interrupted", ExitStatus.FAILED)
        except Exception as err:  # a bug or an unforeseen failure: still one line by default
            if verbose:
                raise
            _fail(f"unexpected error: {type(err).__name__}: {err} (rerun with --verbose)", 1)

    return wrapper  # type: ignore[return-value]


def open_store(settings: Settings, *, create: bool = True) -> Store:
    """Open the database and bring its schema up to date."""
    from pathlib import Path

    from snn_feed import migrate
    from snn_feed.store import Store, make_engine

    url = settings.database_url
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        db_path = Path(url[len("sqlite:///") :])
        if not create and not db_path.exists():
            url = "sqlite:///:memory:"
        else:
            db_path.parent.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    migrate.upgrade(engine)
    return Store(engine)


@click.group(
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
    epilog="Example: snn-feed sync --since 2026-11-01",
)
@click.version_option(__version__, prog_name="snn-feed")
def cli() -> None:
    """Keep a spiking-neural-network arXiv reading log up to date, with Chinese abstracts."""


@cli.command(epilog="Example: snn-feed sync --dry-run   (then: snn-feed sync)")
@click.option(
    "--since", type=click.DateTime(["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD",
    help="Start of the submission window (default: last sync minus [arxiv] lookback_days).",
)  # fmt: skip
@click.option("--no-commit", is_flag=True, help="Write the log but do not commit it.")
@click.option("--dry-run", is_flag=True, help="Print what would be added; change nothing.")
@common_options
def sync(settings: Settings, since: datetime | None, no_commit: bool, dry_run: bool) -> None:
    """Fetch new papers, translate them, append them to the log and commit it.

    Exit status: 0 done (or nothing new), 1 failed, 2 bad usage or configuration,
    3 partly done (papers still pending), 4 busy (another sync holds the lock).
    """
    from filelock import FileLock, Timeout

    from snn_feed.arxiv_source import PoliteClient
    from snn_feed.gitrepo import GitRepo
    from snn_feed.sync import Syncer, SyncOptions
    from snn_feed.translate import make_translator

    options = SyncOptions(
        since=since.date() if since else None, commit=not no_commit, dry_run=dry_run
    )
    commit = settings.git.commit and not no_commit and not dry_run
    git = GitRepo(settings.log_path, settings.git) if commit else None

    def run() -> None:
        store = open_store(settings, create=not dry_run)
        syncer = Syncer(
            settings,
            store,
            PoliteClient(settings.arxiv),
            make_translator(settings.translate),
            git,
        )
        result = syncer.run(options)
        for line in result.would_add:
            click.echo(f"would add: {line}")
        for message in result.summary.messages:
            log.info(message)
        if result.summary.messages:
            click.echo(
                f"snn-feed: {result.summary.messages[0]}"
                + (f" (and {n} more)" if (n := len(result.summary.messages) - 1) else ""),
                err=True,
            )
        prefix = "sync (dry run)" if dry_run else "sync"
        click.echo(f"{prefix}: {result.summary.line()}")
        sys.exit(result.status)

    if dry_run:
        run()
    lock_path = settings.lock_path
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with FileLock(str(lock_path), timeout=settings.sync.lock_timeout_seconds):
            run()
    except Timeout:
        raise BusyError(
            f"another sync is running (lock {lock_path} held); try again later"
        ) from None


@cli.group()
def db() -> None:
    """Database maintenance (migrations are applied on every start anyway).

    Example: snn-feed db upgrade
    """


@db.command(epilog="Example: snn-feed db upgrade --config /srv/snn-feed/config.toml")
@common_options
def upgrade(settings: Settings) -> None:
    """Apply all database migrations."""
    from snn_feed import migrate

    store = open_store(settings)
    click.echo(f"database at revision {migrate.current_revision(store.engine)}")


def main() -> None:
    cli(prog_name="snn-feed")
