"""`snn-feed init`: the only way a configured log comes to be, so a typo never starts one.

It writes a config file naming the log, and either adopts an existing log (already in a git
repository; its entries are imported, so none is ever added again) or starts a new one in a
new or empty folder: `git init`, the log's header, a first commit. Every check runs before
anything is written; an existing config file is never replaced; the config is validated by
loading it before it is put in place.

With `--github-actions` the config goes into the log's repository instead (`snn-feed.toml` at
its root, where the workflow reads it), beside the workflow `.github/workflows/snn-feed.yml`;
an adopted log is not imported here, since the database lives on the repository's state
branch: the workflow's first run imports it.
"""

from __future__ import annotations

import difflib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from snn_feed.config import ENV_CONFIG, GitSettings, LogSettings, Settings, load_settings
from snn_feed.errors import ConfigError
from snn_feed.journal import logfile
from snn_feed.journal.gitrepo import GitRepo
from snn_feed.journal.paths import repository_root, safe_log_path
from snn_feed.pipeline import actions
from snn_feed.pipeline.committing import check_not_ignored
from snn_feed.pipeline.importer import ImportReport, import_file

LOG_NAME = "README.md"
"""The log's file name when `--log` names a folder: GitHub shows a README as the folder's page."""

FIRST_COMMIT = "Start the SNN arXiv log (snn-feed init)"


@dataclass
class Initialised:
    config: Path
    log: Path
    adopted: bool
    """True: an existing log was adopted; False: a new one was started."""
    commit: str | None = None
    """The new log's first commit."""
    report: ImportReport | None = None
    """What the import of an adopted log found."""
    workflow: Path | None = None
    """The GitHub Actions workflow written (`--github-actions`)."""

    def lines(self, environ: dict[str, str] | os._Environ[str]) -> list[str]:
        """What was done, then what to run next."""
        if self.workflow is not None:
            return self._actions_lines(self.workflow)
        if self.adopted:
            out = [f"init: adopted the log {self.log}"]
        else:
            out = [f"init: started a new log {self.log} in its own git repository "
                   f"(commit {(self.commit or '')[:10]})"]  # fmt: skip
        out.append(f"init: wrote {self.config}")
        out += self.report.lines() if self.report else []
        flag = "" if target_config(None, environ).resolve() == self.config.resolve() else (
            f" --config {self.config}")  # fmt: skip
        return [*out, f"next: snn-feed sync{flag} --dry-run   (then: snn-feed sync{flag})"]

    def _actions_lines(self, workflow: Path) -> list[str]:
        root = self.config.parent
        what = "adopted the log" if self.adopted else "started a new log"
        started = f" in its own git repository (commit {(self.commit or '')[:10]})"
        added = f"{actions.CONFIG} {actions.WORKFLOW}"
        return [
            f"init: {what} {self.log}" + ("" if self.adopted else started),
            f"init: wrote {self.config} and {workflow}",
            *(["init: its entries are imported by the workflow's first run, into the database "
               f"it keeps on the branch {actions.STATE_BRANCH}"] if self.adopted else []),
            f"next: set [translate] in {self.config} (an engine with an API key: web engines "
            "often refuse GitHub's machines)",
            f"next: cd {root} && git add {added} && git commit -m 'snn-feed on GitHub Actions' "
            "&& git push   (a new log: git remote add origin URL first, then git push -u origin "
            "HEAD)",
            "next: on GitHub, Settings > Secrets and variables > Actions: the repository "
            f"secrets {', '.join(actions.SECRETS)} as your engine and notifications need; "
            "Settings > Actions > General: Workflow permissions 'Read and write'; optionally "
            "the variable SNN_FEED_PAGES = true and Settings > Pages > Source 'GitHub Actions'",
            "next: Actions > snn-feed > Run workflow, for a first run now",
        ]  # fmt: skip


def target_config(explicit: str | None, environ: dict[str, str] | os._Environ[str]) -> Path:
    """The config file to write: `--config`, then $SNN_FEED_CONFIG, then ./config.toml, the
    order in which every other command looks for it."""
    return Path(explicit or environ.get(ENV_CONFIG) or "config.toml")


def log_file(given: Path) -> Path:
    """`--log` as a file: a folder, or a new path without a suffix (`~/SNN_arxiv_daily`), means
    the README.md in it."""
    folder = given.is_dir() or (not given.exists() and not given.suffix)
    return given / LOG_NAME if folder else given


def check_new_log(log: Path) -> None:
    """A new log goes into a new or empty folder, outside any repository. A missing file in a
    folder that holds others, or in a repository, is far more often a typo (`READNE.md`) than
    a wish; a repository inside another one would be committed by neither cleanly."""
    folder = log.parent
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    root = repository_root(existing)
    if root is not None:
        raise ConfigError(
            f"init: {log} does not exist, and lies in the git repository {root}"
            f"{_did_you_mean(log)}: give the path of its log to adopt it, or a folder outside "
            "any repository to start a new log"
        )
    if folder.exists() and any(folder.iterdir()):
        raise ConfigError(
            f"init: {log} does not exist, and its folder {folder} is not empty"
            f"{_did_you_mean(log)}: give an existing log to adopt it, or a new or empty folder "
            "to start a new log"
        )


def _did_you_mean(log: Path) -> str:
    names = [p.name for p in log.parent.glob("*.md") if p.is_file()]
    near = difflib.get_close_matches(log.name, names, n=1, cutoff=0.6)
    return f" (did you mean {log.parent / near[0]}?)" if near else ""


def check_existing_log(log: Path, git: GitRepo) -> None:
    """An adopted log is committed by every sync: it must be in a repository that does not
    ignore it."""
    if not log.is_file():
        raise ConfigError(f"init: the log {log} is not a file")
    safe_log_path(log)
    if not git.is_repository():
        raise ConfigError(
            f"init: the log {log} is not in a git repository: run `git init` in its folder "
            "and commit it, then run init again"
        )
    check_not_ignored(git, log)


def config_text(log: str, timezone: str) -> str:
    """The config `init` writes: the log and its time zone; every other key at its default."""
    return (
        "# snn-feed's configuration, written by `snn-feed init`. Every other key is at its\n"
        "# default: docs/configuration.md describes each, and the shipped config.toml lists all.\n"
        "\n"
        "[log]\n"
        f"path = {json.dumps(log, ensure_ascii=False)}\n"
        f"timezone = {json.dumps(timezone)}\n"
    )


def config_value(log: Path, config: Path) -> str:
    """The log as the config names it: relative to the config's folder when it lies under it
    (the pair can move together), else absolute."""
    absolute, folder = Path(os.path.abspath(log)), Path(os.path.abspath(config)).parent
    try:
        return absolute.relative_to(folder).as_posix()
    except ValueError:
        return str(absolute)


def init(
    config: Path,
    log: Path,
    *,
    timezone: str | None = None,
    resolve: bool = True,
    environ: dict[str, str] | os._Environ[str] | None = None,
    github_actions: bool = False,
) -> Initialised:
    """Write `config` naming `log`, adopting the log when it exists, starting it otherwise.
    `github_actions`: `config` is ignored; the config and the workflow go into the log's
    repository (see the module's docstring)."""
    environ = os.environ if environ is None else environ
    zone = timezone or LogSettings().timezone
    try:
        LogSettings(timezone=zone)
    except ValidationError as err:
        raise ConfigError(f"init: --timezone: {err.errors()[0]['msg']}") from None
    log = Path(os.path.abspath(log_file(log)))
    adopt = log.exists()
    git = GitRepo(log, GitSettings())
    if adopt:
        check_existing_log(log, git)
    workflow = None
    if github_actions:
        root = (repository_root(log.parent) if adopt else None) or log.parent
        config, workflow = root / actions.CONFIG, root / actions.WORKFLOW
        if workflow.exists():
            raise ConfigError(f"init: the workflow {workflow} exists already; it is never replaced")
    config = Path(os.path.abspath(config))
    if config.exists():
        raise ConfigError(f"init: the config file {config} exists already; it is never replaced")
    if not adopt:
        check_new_log(log)
    config.parent.mkdir(parents=True, exist_ok=True)
    draft = config.with_name(f".{config.name}.init-{os.getpid()}")
    try:
        draft.write_text(config_text(config_value(log, config), zone), encoding="utf-8")
        settings = load_settings(draft, environ)  # the environment's overrides are checked too
        if settings.log_path.resolve() != log.resolve():
            raise ConfigError(
                f"init: {settings.log_origin} names the log {settings.log_path}, not {log}: "
                f"unset it, or give --log {settings.log_path}"
            )
        done = Initialised(config, log, adopted=adopt, workflow=workflow)
        if not adopt:
            done.commit = start_log(log, settings)
        _publish(draft, config)
    finally:
        draft.unlink(missing_ok=True)
    if workflow is not None:
        write_new(workflow, actions.workflow_text(), "the workflow")
    elif adopt:
        done.report = import_file(settings, log, resolve=resolve)
    return done


def write_new(path: Path, text: str, what: str) -> None:
    """Write `path` whole, never over a file that is there."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.init-{os.getpid()}")
    try:
        draft.write_text(text, encoding="utf-8")
        try:
            os.link(draft, path)
        except FileExistsError:
            raise ConfigError(f"init: {what} {path} exists already; it is never replaced") from None
    finally:
        draft.unlink(missing_ok=True)


def start_log(log: Path, settings: Settings) -> str:
    """A new log: its folder, its own repository, its header, committed (the first sync then
    finds a clean log to add to)."""
    git = GitRepo(log, settings.git)
    git.init()
    check_not_ignored(git, log)  # a global excludes file can still name it
    logfile.write_atomic(log, settings.log.intro.encode("utf-8"), what="the log")
    return git.commit_log(FIRST_COMMIT)


def _publish(draft: Path, config: Path) -> None:
    """Put the validated draft in place, atomically, and never over a file that appeared
    meanwhile (a link fails where a rename would replace)."""
    try:
        os.link(draft, config)
    except FileExistsError:
        raise ConfigError(
            f"init: the config file {config} exists already; it is never replaced"
        ) from None
