"""`snn-feed status`: is the feed healthy? For people, health checks and monitoring probes.

Unhealthy (non-zero exit) when no sync has succeeded yet, when the last finished run failed,
when the last success is older than `[status] max_age_hours`, or (with `[git] push`) when a
commit older than that is not on the remote yet. A run of days with arXiv
announcements but no paper found at all is only a warning: it may be a quiet week, or a
query that no longer matches anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from snn_feed.config import Settings
from snn_feed.errors import SnnFeedError
from snn_feed.journal.gitrepo import Commit
from snn_feed.journal.paths import safe_log_path
from snn_feed.pipeline.venues import venue_of
from snn_feed.service.schedule import fire_times, make_trigger, next_run
from snn_feed.store import PaperState, Run, Store


@dataclass
class Report:
    healthy: bool
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    last_run: dict[str, Any] | None = None
    last_success: str | None = None
    next_run: str | None = None
    papers: dict[str, int] = field(default_factory=dict)
    last_commit: dict[str, Any] | None = None
    unpushed: list[dict[str, str]] = field(default_factory=list)
    """With `[git] push`: the commits not on the remote yet, oldest first."""
    log_style: dict[str, str | None] = field(default_factory=dict)
    """The style new entries get (`style`) and why (`source`: config, detected, new, default,
    or unsettled when no command has translated for or written to the log yet)."""
    notify: dict[str, Any] = field(default_factory=dict)
    """`[notify]`: each service by number, scheme and events (never its URL), the messages
    owed to them, and the conditions alerted and not cleared."""
    topics: list[dict[str, Any]] = field(default_factory=list)
    """With `[[topics]]`: each topic's name, log, papers and log style, then the topics the
    database has papers for that the config no longer names (`configured` false)."""
    summary: dict[str, Any] = field(default_factory=dict)
    """With `[summary]` on: papers summarised, waiting and given up, and the tokens spent
    today (in the log's time zone) against the day's budget."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        out = [f"health: {'ok' if self.healthy else 'FAILING'}"]
        out += [f"problem: {p}" for p in self.problems]
        out += [f"warning: {w}" for w in self.warnings]
        if self.last_run:
            r = self.last_run
            out.append(
                f"last run: {r['started_at']} {r['outcome']} (found {r['found']}, new {r['new']}, "
                f"translated {r['translated']}, written {r['written']}, pending {r['pending']})"
                + (f": {r['error']}" if r.get("error") else "")
            )
        else:
            out.append("last run: never")
        out.append(f"last success: {self.last_success or 'never'}")
        out.append(f"next scheduled run: {self.next_run or 'none'}")
        p = self.papers
        out.append(
            f"papers: {p.get('stored', 0)} stored, {p.get('written', 0)} written, "
            f"{p.get('pending_translation', 0)} pending translation, "
            f"{p.get('pending_write', 0)} translated but not yet written, "
            f"{p.get('below_min_score', 0)} below [feed] min_score"
        )
        c = self.last_commit
        out.append(f"last commit: {c['sha'][:10]} at {c['at']}" if c else "last commit: none")
        out += [f"not on the remote yet: {u['sha'][:10]} at {u['at']}" for u in self.unpushed]
        if self.log_style:
            why = _STYLE_SOURCES.get(self.log_style.get("source") or "", "")
            out.append(f"log style: {self.log_style.get('style') or 'not settled yet'}{why}")
        if self.notify.get("services"):
            services = ", ".join(
                f"service {t['service']} ({t['scheme']}: {', '.join(t['events'])})"
                for t in self.notify["services"]
            )
            owed = self.notify["owed"]
            out.append(f"notify: {services}; {owed} message{'s' * (owed != 1)} owed")
        out += [f"alert sent, not cleared yet: {c}" for c in self.notify.get("alerts", [])]
        if m := self.summary:
            out.append(
                f"summaries: {m['summarised']} made, {m['waiting']} waiting, {m['refused']} "
                f"given up; tokens today {m['tokens_today']:,} of {m['budget']:,} ({m['day']})"
            )
        for t in self.topics:
            if not t["configured"]:
                out.append(f"topic {t['name']}: not in the config any more; its "
                           f"{t['papers']['stored']} papers are kept")  # fmt: skip
                continue
            p = t["papers"]
            out.append(
                f"topic {t['name']}{_titled(t)}: {t['log']}; {p['written']} written, "
                f"{p['pending_translation']} pending translation, {p['pending_write']} not yet "
                f"written, {p['below_min_score']} below its min_score; style "
                f"{t['log_style'].get('style') or 'not settled yet'}"
            )
        return out


_STYLE_SOURCES = {
    "config": " ([log] style)",
    "detected": " (read from the log's entries)",
    "new": " (the style of a new log)",
    "default": " (the log's entries are in no style snn-feed writes)",
    "unsettled": " (the first sync reads it from the log's entries, or makes it bilingual)",
}


@dataclass
class MonthScores:
    """How the papers first submitted in one month scored: the ranking at a glance."""

    month: str
    min_score: int
    scores: dict[int, int]
    """Score (1-5) -> papers stored with it (logged, waiting, or held back)."""
    held_back: dict[int, int]
    """Score -> papers held back by `[feed] min_score` (never translated or logged)."""
    logged: int
    imported: int
    """Papers of a hand-made log adopted by `import`: logged, never scored."""
    venues: dict[str, list[int]] = field(default_factory=dict)
    """Venue (its name, "(workshop)" added for one of its workshops) -> the scores of the
    month's papers accepted or published there, highest first; the venues with most papers
    first. Whether the venues a reader cares about rank high is what a bonus is set by."""
    learned: dict[str, Any] | None = None
    """With `[score] learn`: what the ranking learned from (papers kept, not kept) and the
    terms that weigh most for keeping a paper and against; `None` with learning off."""

    @property
    def below_min_score(self) -> int:
        return sum(self.held_back.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "min_score": self.min_score,
            "scores": {str(k): v for k, v in self.scores.items()},
            "held_back": {str(k): v for k, v in self.held_back.items()},
            "below_min_score": self.below_min_score,
            "logged": self.logged,
            "imported": self.imported,
            "venues": self.venues,
            "learned": self.learned,
        }

    def lines(self) -> list[str]:
        total = sum(self.scores.values())
        out = [
            f"scores of papers first submitted in {self.month}: {total} scored, "
            f"{self.below_min_score} of them below [feed] min_score {self.min_score}; "
            f"{self.logged} logged"
            + (f" ({self.imported} imported from the hand-made log, unscored)" if self.imported
               else "")
        ]  # fmt: skip
        widest = max(self.scores.values(), default=0)
        for score in range(5, 0, -1):
            n = self.scores.get(score, 0)
            bar = "#" * (round(40 * n / widest) if widest else 0)
            held = self.held_back.get(score, 0)
            out.append(f"  [{score}] {n:>6} {bar}" + (f"  ({held} held back)" if held else ""))
        if self.venues:
            out.append("venues they were accepted at or published in (from arXiv's comment or "
                       "journal ref):")  # fmt: skip
            width = max(len(v) for v in self.venues)
            for venue, scores in self.venues.items():
                # Counts per score, not each score: a busy venue has dozens of papers a month.
                shown = " ".join(f"[{s}]x{scores.count(s)}" for s in sorted(set(scores))[::-1])
                out.append(f"  {venue:<{width}} {len(scores):>4}  {shown}")
        if (learned := self.learned) is not None:
            if "for" not in learned:
                out.append(f"learned ranking: too few papers to learn from yet ({learned['kept']} "
                           f"kept, {learned['other']} not kept; at least {learned['least']} of "
                           "each); the keywords score alone")  # fmt: skip
            else:
                out.append(f"learned ranking, from {learned['kept']} papers the log keeps and "
                           f"{learned['other']} it does not (weight "
                           f"{learned['weight']:g}):")  # fmt: skip
                out.append(f"  for keeping: {', '.join(learned['for'])}")
                out.append(f"  against: {', '.join(learned['against']) or '-'}")
        return out


def month_scores(store: Store, settings: Settings, month: str) -> MonthScores:
    """Score distribution of the papers first submitted in `month` ("YYYY-MM", in the log's
    time zone)."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(settings.log.timezone)
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=zone)
    end = (start + timedelta(days=32)).replace(day=1)
    scores: dict[int, int] = {}
    held_back: dict[int, int] = {}
    logged = imported = 0
    for (score, state), n in store.reports.score_counts(start, end).items():
        if state in (PaperState.WRITTEN, PaperState.COMMITTED):
            logged += n
        if score == 0:  # only imported entries are stored without a score
            imported += n
            continue
        scores[score] = scores.get(score, 0) + n
        if state == PaperState.SKIPPED:
            held_back[score] = held_back.get(score, 0) + n
    return MonthScores(
        month=month,
        min_score=settings.feed.min_score,
        scores=dict(sorted(scores.items(), reverse=True)),
        held_back=dict(sorted(held_back.items(), reverse=True)),
        logged=logged,
        imported=imported,
        venues=_venue_scores(store.reports.scored_notes(start, end)),
        learned=_learned(store, settings) if settings.score.learn else None,
    )


def _learned(store: Store, settings: Settings) -> dict[str, Any]:
    """The ranking as the next sync learns it: trained on the topic's papers now."""
    from snn_feed.pipeline import learning

    examples = learning.examples_of(store)  # read once: the counts and the training
    kept = sum(e.kept for e in examples)
    out: dict[str, Any] = {
        "kept": kept, "other": len(examples) - kept, "least": learning.MIN_EXAMPLES,
        "weight": settings.score.learn_weight,
    }  # fmt: skip
    if (ranker := learning.train(examples)) is not None:
        out["for"], out["against"] = ranker.top_terms()
    return out


def _venue_scores(notes: Sequence[tuple[str | None, str | None, int]]) -> dict[str, list[int]]:
    by_venue: dict[str, list[int]] = {}
    for comment, journal_ref, score in notes:
        if (venue := venue_of(comment, journal_ref)) is not None:
            key = f"{venue.name} (workshop)" if venue.workshop else venue.name
            by_venue.setdefault(key, []).append(score)
    ranked = sorted(by_venue.items(), key=lambda kv: (-len(kv[1]), -max(kv[1]), kv[0]))
    return {venue: sorted(scores, reverse=True) for venue, scores in ranked}


def _run_dict(run: Run) -> dict[str, Any]:
    return {
        "started_at": run.started_at.isoformat(timespec="seconds"),
        "finished_at": run.finished_at.isoformat(timespec="seconds") if run.finished_at else None,
        "outcome": run.outcome,
        "found": run.found,
        "new": run.new,
        "translated": run.translated,
        "written": run.written,
        "pending": run.pending,
        "error": run.error,
    }


def report(
    store: Store, settings: Settings, now: datetime, unpushed: Sequence[Commit] = ()
) -> Report:
    """The health of the feed at `now`, from the recorded runs and papers, and the commits of
    the log's repository that are not on the remote (read by the caller)."""
    runs = store.runs.recent(limit=20)
    finished = [r for r in runs if r.finished_at is not None]
    success = store.runs.last_success()
    problems: list[str] = []
    warnings: list[str] = []

    if success is None:
        problems.append("no successful sync yet")
    else:
        age = now - (success.finished_at or success.started_at)
        limit = settings.status.max_age_hours
        if age > timedelta(hours=limit):
            hours = age.total_seconds() / 3600
            problems.append(f"last successful sync was {hours:.0f} h ago (limit {limit:g} h)")
    if unpushed and now - unpushed[0].at > timedelta(hours=settings.status.max_age_hours):
        hours = (now - unpushed[0].at).total_seconds() / 3600
        problems.append(
            f"{len(unpushed)} commit{'s' * (len(unpushed) != 1)} not on the remote yet, the "
            f"oldest made {hours:.0f} h ago (limit {settings.status.max_age_hours:g} h); the "
            "next sync pushes them"
        )
    # An interrupted run (a restart) is not a failure: the next start catches up.
    if finished and finished[0].outcome in ("failed", "crashed"):
        problems.append(f"last run {finished[0].outcome}: {finished[0].error or 'no detail'}")
    elif finished and finished[0].outcome == "partial" and finished[0].error:
        # The translator could not be used at all (a rejected key, a spent quota, every
        # engine down): waiting out max_pending_hours would only hide it.
        problems.append(f"last run {finished[0].error}")

    each = settings.for_topics()
    for one in each:
        topical = store.for_topic(one.topic)
        if (waiting := pending_problem(topical, one, now)) is not None:
            problems.append(waiting if len(each) == 1 else f"topic {one.topic}: {waiting}")
        if (quiet := quiet_warning(topical, one, now)) is not None:
            warnings.append(quiet if len(each) == 1 else f"topic {one.topic}: {quiet}")

    trigger = make_trigger(settings.schedule.cron, settings.schedule.timezone)
    counts = {state.value: 0 for state in PaperState}
    for one in each:
        for state, n in store.for_topic(one.topic).reports.state_counts().items():
            counts[state] += n
    commit = store.runs.last_commit()
    upcoming = next_run(trigger, now)
    return Report(
        healthy=not problems,
        problems=problems,
        warnings=warnings,
        last_run=_run_dict(runs[0]) if runs else None,
        last_success=(success.finished_at or success.started_at).isoformat(timespec="seconds")
        if success
        else None,
        next_run=upcoming.isoformat(timespec="seconds") if upcoming else None,
        papers={
            "stored": sum(counts.values()) if len(each) == 1 else store.reports.stored_count(),
            "written": counts["written"] + counts["committed"],
            "pending_translation": counts["fetched"],
            "pending_write": counts["translated"],
            "below_min_score": counts["skipped"],
        },
        last_commit={
            "sha": commit.commit_sha,
            "at": (commit.finished_at or commit.started_at).isoformat(timespec="seconds"),
        }
        if commit and commit.commit_sha
        else None,
        unpushed=[{"sha": c.sha, "at": c.at.isoformat(timespec="seconds")} for c in unpushed],
        log_style=_log_style(store, settings) if not settings.several else {},
        notify=_notify(store, settings),
        topics=_topics(store, settings) if settings.several else [],
        summary=_summary(store, settings, now) if settings.summary.enabled else {},
    )


def _summary(store: Store, settings: Settings, now: datetime) -> dict[str, Any]:
    from zoneinfo import ZoneInfo

    from snn_feed.pipeline.summarizing import waiting
    from snn_feed.translation.glossary import Glossary

    t = settings.translate
    day = now.astimezone(ZoneInfo(settings.log.timezone)).date().isoformat()
    version = Glossary(t.glossary, t.corrections).version
    return {
        **store.summaries.counts(settings.summary.attempts),
        "waiting": len(waiting(store, settings.summary, version, now)),
        "day": day,
        "tokens_today": store.summaries.spent(day),
        "budget": settings.summary.max_tokens_per_day,
    }


def _titled(topic: dict[str, Any]) -> str:
    """` (its title)`, when the topic has one of its own."""
    return f" ({topic['title']})" if topic["title"] != topic["name"] else ""


def _topics(store: Store, settings: Settings) -> list[dict[str, Any]]:
    """Each topic of `[[topics]]` as `status` shows it, then those the config dropped."""
    out: list[dict[str, Any]] = []
    for one in settings.for_topics():
        c = store.for_topic(one.topic).reports.state_counts()
        out.append({
            "name": one.topic, "title": one.topic_title, "configured": True,
            "log": str(one.log_path),
            "papers": {"stored": sum(c.values()), "written": c["written"] + c["committed"],
                       "pending_translation": c["fetched"], "pending_write": c["translated"],
                       "below_min_score": c["skipped"]},
            "log_style": _log_style(store.for_topic(one.topic), one),
        })  # fmt: skip
    named = {t.name for t in settings.topics} | set(settings.set_aside)
    for name, n in sorted(store.topics.known().items()):
        if name not in named:
            out.append({"name": name, "configured": False, "papers": {"stored": n}})
    return out


def pending_problem(store: Store, settings: Settings, now: datetime) -> str | None:
    """Papers waiting longer than `[status] max_pending_hours` for a translation, if any."""
    waiting, oldest, last_error = store.reports.waiting_for_translation()
    limit = settings.status.max_pending_hours
    if oldest is None or now - oldest <= timedelta(hours=limit):
        return None
    hours = (now - oldest).total_seconds() / 3600
    return (
        f"{waiting} paper{'s' * (waiting != 1)} waiting for a translation, the oldest for "
        f"{hours:.0f} h (limit {limit:g} h); they are not logged until translated"
        + (f"; last error: {last_error}" if last_error else "")
    )


def quiet_warning(store: Store, settings: Settings, now: datetime) -> str | None:
    """Runs over `[status] quiet_days` with three announcements or more that found nothing."""
    trigger = make_trigger(settings.schedule.cron, settings.schedule.timezone)
    window_start = now - timedelta(days=settings.status.quiet_days)
    announcements = fire_times(trigger, window_start, now)
    recent = [r for r in store.runs.recent(since=window_start) if r.outcome in ("done", "partial")]
    if len(announcements) < 3 or not recent or any(r.found for r in recent):
        return None
    return (
        f"no paper found in {settings.status.quiet_days} days with {len(announcements)} "
        "arXiv announcements: a quiet week, or a query that matches nothing? "
        "(check [feed] keywords and categories)"
    )


def _notify(store: Store, settings: Settings) -> dict[str, Any]:
    services = [
        {"service": n, "scheme": t.scheme, "events": list(t.events)}
        for n, t in enumerate(settings.notify.urls, 1)
    ]
    return {
        "services": services,
        "owed": store.notices.counts().get("pending", 0),
        "alerts": sorted(store.notices.open_alerts()),
    }


def _log_style(store: Store, settings: Settings) -> dict[str, str | None]:
    if settings.log.style is not None:
        return {"style": settings.log.style, "source": "config"}
    try:
        path = safe_log_path(settings.log_path)
    except SnnFeedError:
        return {}  # the sync says what is wrong with the path
    settled = store.log_styles.get(str(path))
    if settled is None:
        return {"style": None, "source": "unsettled"}
    return {"style": settled[0], "source": settled[1]}
