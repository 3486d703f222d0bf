"""GitHub Actions: the workflow `snn-feed init --github-actions` writes is the one documented
under examples/, passes actionlint and GitHub's workflow schema, runs after arXiv's feeds in
winter and summer, and its sync job's own shell steps, run here against the fake arXiv and
engine with a bare repository as GitHub, log papers once and keep the database between runs."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from conftest import git, run_cli, snn_entries, utc_now
from fakes import FakeArxiv, FakeTranslator, closed_port

from snn_feed import __version__
from snn_feed.config import ScheduleSettings
from snn_feed.journal.presence import entry_ids
from snn_feed.pipeline import actions

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "github-actions" / "snn-feed.yml"
BIN = Path(sys.executable).parent
NEW_YORK = ZoneInfo("America/New_York")


def workflow() -> dict[str, Any]:
    return yaml.safe_load(actions.workflow_text())


def on(doc: dict[str, Any]) -> dict[str, Any]:
    return doc[True] if True in doc else doc["on"]  # YAML 1.1 reads the key `on` as true


def test_init_writes_the_documented_workflow_and_the_config_into_a_new_logs_repository(
    tmp_path: Path,
) -> None:
    result = run_cli("init", "--log", str(tmp_path / "SNN_arxiv_daily"), "--github-actions",
                     cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    repo = tmp_path / "SNN_arxiv_daily"
    written = (repo / actions.WORKFLOW).read_text(encoding="utf-8")
    assert written == EXAMPLE.read_text(encoding="utf-8") == actions.workflow_text()
    assert f"INSTALL: snn-feed=={__version__}\n" in written
    assert 'path = "README.md"' in (repo / actions.CONFIG).read_text()
    out = result.stdout
    assert str(repo / actions.WORKFLOW) in out and "git add snn-feed.toml" in out
    assert all(secret in out for secret in actions.SECRETS)
    assert not (repo / "data").exists()  # the database lives on the state branch
    # written, not committed: the owner reviews and pushes them
    assert set(git(repo, "status", "--porcelain").split()) == {"??", ".github/", "snn-feed.toml"}


def test_init_never_replaces_a_workflow_and_writes_nothing_then(log_repo: Path) -> None:
    existing = log_repo / actions.WORKFLOW
    existing.parent.mkdir(parents=True)
    existing.write_text("name: mine\n")
    result = run_cli("init", "--log", str(log_repo), "--github-actions")
    assert result.returncode == 2
    assert str(existing) in result.stderr and "never replaced" in result.stderr
    assert existing.read_text() == "name: mine\n"
    assert not (log_repo / actions.CONFIG).exists()


def test_init_github_actions_takes_no_config_path(tmp_path: Path) -> None:
    result = run_cli("init", "--log", str(tmp_path / "log"), "--github-actions",
                     "--config", str(tmp_path / "c.toml"))  # fmt: skip
    assert result.returncode == 2 and "snn-feed.toml" in result.stderr
    assert not (tmp_path / "log").exists()


def test_adopting_a_log_for_actions_leaves_its_import_to_the_first_run(log_repo: Path) -> None:
    result = run_cli("init", "--log", str(log_repo), "--github-actions")
    assert result.returncode == 0, result.stderr
    assert "adopted" in result.stdout and actions.STATE_BRANCH in result.stdout
    assert (log_repo / actions.WORKFLOW).is_file() and not (log_repo / "data").exists()


def offline() -> list[str]:
    """A command prefix that gives the command no network at all, where this machine can."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    return []


def test_actionlint_passes_the_workflow_and_catches_a_mistake(tmp_path: Path) -> None:
    good = tmp_path / "snn-feed.yml"
    good.write_text(actions.workflow_text())
    done = subprocess.run([*offline(), str(BIN / "actionlint"), str(good)],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    bad = tmp_path / "bad.yml"  # `runner` is not available in a job's env
    bad.write_text(actions.workflow_text().replace("STATE_BRANCH: snn-feed-state",
                                                   "STATE_BRANCH: ${{ runner.temp }}"))  # fmt: skip
    done = subprocess.run([str(BIN / "actionlint"), str(bad)], capture_output=True, text=True)
    assert done.returncode == 1 and "runner" in done.stdout


def test_the_workflow_matches_githubs_schema_checked_offline(tmp_path: Path) -> None:
    path = tmp_path / "snn-feed.yml"
    path.write_text(actions.workflow_text())
    command = [str(BIN / "check-jsonschema"), "--no-cache", "--builtin-schema",
               "vendor.github-workflows"]  # fmt: skip
    done = subprocess.run([*offline(), *command, str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    path.write_text(actions.workflow_text().replace("runs-on:", "run-on:", 1))
    done = subprocess.run([*offline(), *command, str(path)], capture_output=True, text=True)
    assert done.returncode == 1


def _next_run(cron: str, after: datetime) -> datetime:
    """The next minute at or after `after` (UTC) matching a `M H * * D-D` line."""
    minute, hour, _, _, days = cron.split()
    first, last = (int(d) for d in days.split("-"))
    t = after.replace(second=0, microsecond=0)
    while not (t.minute == int(minute) and t.hour == int(hour)
               and first <= t.isoweekday() % 7 <= last):  # fmt: skip
        t += timedelta(minutes=1)
    return t


@pytest.mark.parametrize("season", ["winter (EST)", "summer (EDT)"])
def test_every_scheduled_run_comes_after_snn_feeds_own_new_york_run(season: str) -> None:
    """On each New York weekday the serve schedule runs (00:30), a run comes after it, the
    same New York day: after arXiv's feeds are rebuilt, never on Saturday or Sunday there."""
    reference = ScheduleSettings()
    ref_minute, ref_hour = (int(x) for x in reference.cron.split()[:2])
    crons = [entry["cron"] for entry in on(workflow())["schedule"]]
    start = datetime(2027, 1, 4) if season.startswith("winter") else datetime(2027, 7, 5)
    for day in range(7):
        local = (start + timedelta(days=day)).replace(tzinfo=NEW_YORK)
        weekday = local.isoweekday()
        runs = [_next_run(c, local.replace(hour=0).astimezone(ZoneInfo("UTC"))) for c in crons]
        first = min(runs).astimezone(NEW_YORK)
        if 1 <= weekday <= 5:
            assert first.date() == local.date(), (season, local, first)
            assert (first.hour, first.minute) > (ref_hour, ref_minute), (season, first)
        else:
            assert first.date() != local.date()


def test_runs_never_overlap_and_each_job_has_only_the_rights_it_needs() -> None:
    doc = workflow()
    assert doc["concurrency"]["cancel-in-progress"] is False
    assert "workflow_dispatch" in on(doc)
    assert doc["permissions"] == {}
    jobs = doc["jobs"]
    assert jobs["sync"]["permissions"] == {"contents": "write"}
    assert jobs["pages"]["permissions"] == {"pages": "write", "id-token": "write"}
    assert jobs["keepalive"]["permissions"] == {"actions": "write"}
    assert "schedule" in jobs["keepalive"]["if"]
    assert actions.WORKFLOW.name in jobs["keepalive"]["steps"][0]["run"]
    site = next(s for s in jobs["sync"]["steps"] if s.get("id") == "site")
    assert "vars.SNN_FEED_PAGES == 'true'" in site["if"]
    uses = [s["uses"] for job in jobs.values() for s in job["steps"] if "uses" in s]
    assert uses and all(re.fullmatch(r"actions/[a-z-]+@v\d+", u) for u in uses), uses
    # secrets reach the sync step only, each as the variable of its own name
    for job in jobs.values():
        for step in job["steps"]:
            secrets = {k: v for k, v in step.get("env", {}).items() if "secrets." in v}
            assert all(v == f"${{{{ secrets.{k} }}}}" for k, v in secrets.items())
            assert not secrets or step.get("id") == "sync"
            assert "secrets." not in step.get("run", "")  # never expanded into a script


# Running the sync job's shell steps here -------------------------------------------------

_EXPR = re.compile(r"\$\{\{\s*(.+?)\s*\}\}")


@dataclass
class LocalRunner:
    """The sync job as GitHub runs it, for its `run:` steps: `bash -eo pipefail`, the job's
    and the step's env with expressions filled in, GITHUB_ENV and GITHUB_OUTPUT, and `if:`
    with its implicit success(). actions/checkout is a clone of `origin`; the other actions
    and anything of GitHub's own are skipped."""

    origin: Path
    workspace: Path
    temp: Path
    env: dict[str, str]
    secrets: Mapping[str, str]
    variables: Mapping[str, str] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    printed: str = ""

    def value(self, expr: str) -> str:
        kind, _, rest = expr.partition(".")
        if kind == "secrets":
            return self.secrets.get(rest, "")
        if kind == "vars":
            return self.variables.get(rest, "")
        if kind == "steps":
            step, what, *name = rest.split(".")
            if what == "outcome":
                return self.outcomes.get(step, "")
            return self.outputs.get(step, {}).get(name[0], "")
        raise AssertionError(f"the local run does not know ${{{{ {expr} }}}}")

    def fill(self, text: str) -> str:
        return _EXPR.sub(lambda m: self.value(m.group(1)), str(text))

    def wanted(self, condition: str | None, failed: bool) -> bool:
        if condition is None:
            return not failed
        expr = _EXPR.fullmatch(condition.strip())
        body = expr.group(1) if expr else condition
        if not any(f in body for f in ("cancelled()", "always()", "failure()")) and failed:
            return False
        body = body.replace("!cancelled()", "True").replace("always()", "True")
        body = body.replace("&&", " and ").replace("||", " or ")
        body = re.sub(r"\b(?:steps|vars|secrets)\.[\w.-]+", lambda m: repr(self.value(m[0])),
                      body)  # fmt: skip
        assert re.fullmatch(r"[\s\w'()=!.-]*", body), body
        return bool(eval(body, {"__builtins__": {}}, {"True": True}))

    def run(self, job: dict[str, Any]) -> int:
        """Run the job; its last failing step's status (0: it succeeded)."""
        self.temp.mkdir(parents=True)
        env_file, failed, status = self.temp / "github_env", False, 0
        env_file.touch()
        for step in job["steps"]:
            if "uses" in step:
                if step["uses"].startswith("actions/checkout@") and not failed:
                    subprocess.run(["git", "clone", "--quiet", str(self.origin),
                                    str(self.workspace)], check=True)  # fmt: skip
                continue
            if not self.wanted(step.get("if"), failed):
                self.outcomes[step.get("id", "")] = "skipped"
                continue
            output = self.temp / "github_output"
            output.write_text("")
            exported = dict(
                line.split("=", 1) for line in env_file.read_text().splitlines() if line
            )
            env = {**self.env, **exported, "GITHUB_ENV": str(env_file),
                   "GITHUB_OUTPUT": str(output), "RUNNER_TEMP": str(self.temp)}  # fmt: skip
            for name, value in {**job.get("env", {}), **step.get("env", {})}.items():
                env[name] = self.fill(value)
            done = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
                cwd=self.workspace, env=env, capture_output=True, text=True, timeout=300,
            )  # fmt: skip
            self.printed += f"== {step.get('name')}\n{done.stdout}{done.stderr}"
            if "id" in step:
                self.outcomes[step["id"]] = "success" if done.returncode == 0 else "failure"
                self.outputs[step["id"]] = dict(
                    line.split("=", 1) for line in output.read_text().splitlines() if line
                )
            if done.returncode != 0:
                failed, status = True, done.returncode
        return status


@pytest.mark.clock
def test_the_sync_jobs_steps_log_papers_once_and_keep_the_database_between_runs(
    tmp_path: Path, fake_arxiv: FakeArxiv, fake_translator: FakeTranslator
) -> None:
    papers = snn_entries(4, utc_now())
    fake_arxiv.entries = list(papers)
    # The owner's side: a new log with its workflow, pushed to GitHub (a bare repository).
    seed = tmp_path / "seed" / "SNN_arxiv_daily"
    made = run_cli("init", "--log", str(seed), "--github-actions", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    git(seed, "add", "snn-feed.toml", ".github")
    git(seed, "commit", "--quiet", "-m", "snn-feed on GitHub Actions")
    origin = tmp_path / "github" / "SNN_arxiv_daily.git"
    subprocess.run(["git", "init", "--quiet", "--bare", str(origin)], check=True)
    git(seed, "push", "--quiet", str(origin), "HEAD")
    branch = git(seed, "branch", "--show-current").strip()

    token = "tok-5e1f0c9a7d"
    secrets = {
        "SNN_FEED_TRANSLATE__API_KEY": "key-3b8d2e6f41",  # the engine here ignores it
        # a service that cannot be reached: its failure is reported, its URL never shown
        "SNN_FEED_NOTIFY__URLS": f"json://127.0.0.1:{closed_port()}/hook?token={token}",
        # SNN_FEED_TRANSLATE__API_KEYS is not set: it arrives empty, and must not count
    }
    base = {
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}", "HOME": os.environ["HOME"],
        "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1",
        "NO_PROXY": "127.0.0.1,localhost", "GITHUB_RUN_ID": "1",
        # the suite's fake arXiv and engine instead of the real ones
        "SNN_FEED_ARXIV__API_URL": fake_arxiv.url, "SNN_FEED_ARXIV__DELAY_SECONDS": "0",
        "SNN_FEED_ARXIV__RETRIES": "0", "SNN_FEED_SYNC__SOURCE": "api",
        "SNN_FEED_TRANSLATE__URL": fake_translator.base + "/m",
        "SNN_FEED_TRANSLATE__RETRIES": "0", "SNN_FEED_NOTIFY__TIMEOUT_SECONDS": "2",
    }  # fmt: skip
    # The runner's clock is the suite's: under `.ci/at` the steps get its libfaketime too.
    base.update({k: v for k, v in os.environ.items()
                 if k in ("LD_PRELOAD", "NO_FAKE_STAT") or k.startswith("FAKETIME")})  # fmt: skip
    job = workflow()["jobs"]["sync"]
    job["steps"] = [s for s in job["steps"] if s.get("name") != "Install snn-feed"]
    workspace = tmp_path / "work" / "SNN_arxiv_daily"  # the same path every run, as on GitHub

    def one_run(number: int) -> LocalRunner:
        shutil.rmtree(workspace, ignore_errors=True)  # every run starts on a fresh machine
        runner = LocalRunner(origin, workspace, tmp_path / f"temp{number}",
                             {**base, "GITHUB_RUN_ID": str(number)}, secrets)  # fmt: skip
        status = runner.run(job)
        assert status == 0, runner.printed
        for secret in [token, *secrets.values()]:
            assert secret not in runner.printed
        return runner

    first = one_run(1)
    assert "no snn-feed-state branch yet" in first.printed
    assert "saved the database to snn-feed-state" in first.printed
    log = git(origin, "show", f"{branch}:README.md")
    ids = {p.arxiv_id for p in papers}
    assert entry_ids(log) == ids and log.count("\n### ") == len(ids), first.printed
    dump = git(origin, "show", f"{actions.STATE_BRANCH}:snn-feed.sql")
    assert all(p.arxiv_id in dump for p in papers)
    head = git(origin, "rev-parse", branch)

    second = one_run(2)
    assert "restored the database" in second.printed
    assert re.search(r"sync: found 4, new 0\b", second.printed), second.printed
    assert git(origin, "rev-parse", branch) == head  # nothing new: no commit
    assert git(origin, "show", f"{branch}:README.md") == log
    states = git(origin, "rev-list", actions.STATE_BRANCH).split()
    assert len(states) == 2  # the second run's state on top of the first's
    assert "run 2" in git(origin, "log", "-1", "--format=%s", actions.STATE_BRANCH)
    assert "github-actions[bot]" in git(origin, "log", "-1", "--format=%cn", branch)
