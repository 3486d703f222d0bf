"""What the `[notify]` services are told and owed: each notice is recorded, with a delivery
per service, in the same transaction that marks what it tells of (a digest's papers, an
alert's condition), so a run killed before sending leaves it owed, never lost, and a notice is
never made twice for the same papers or the same condition."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, aliased

from snn_feed.sanitize import storable
from snn_feed.store.base import Repository
from snn_feed.store.records import Delivery, PaperState
from snn_feed.store.tables import AlertRow, DeliveryRow, NoticeRow, SummaryRow, TopicPaperRow


class Notices(Repository):
    def untold(self, *, written_counts: bool) -> list[str]:
        """Papers a sync logged (its own entries, not imported or backfilled ones) that no
        digest has told of yet: committed ones, and with `written_counts` (no commits are
        made) written ones."""
        states = [PaperState.COMMITTED] + ([PaperState.WRITTEN] if written_counts else [])
        with self.session() as s:
            return list(
                s.scalars(
                    select(TopicPaperRow.arxiv_id)
                    .where(
                        TopicPaperRow.topic == self.topic,
                        TopicPaperRow.notice_id.is_(None),
                        TopicPaperRow.origin == "sync",
                        TopicPaperRow.log_month.is_not(None),
                        TopicPaperRow.state.in_(states),
                    )
                    .order_by(TopicPaperRow.arxiv_id)
                )
            )

    def late_summaries(self) -> list[str]:
        """Papers of this topic told of by a digest before their summary was made, whose
        summary no digest has told of yet."""
        told = aliased(NoticeRow)
        made = select(SummaryRow.arxiv_id).where(
            SummaryRow.arxiv_id == TopicPaperRow.arxiv_id, SummaryRow.tldr.is_not(None)
        )
        made_since = made.where(SummaryRow.made_at > told.created_at).exists()
        # A paper whose digest showed a summary is not told of again when a new prompt or
        # model makes it another.
        made_before = made.where(SummaryRow.made_at <= told.created_at).exists()
        with self.session() as s:
            return list(
                s.scalars(
                    select(TopicPaperRow.arxiv_id)
                    .join(told, told.id == TopicPaperRow.notice_id)
                    .where(
                        TopicPaperRow.topic == self.topic,
                        TopicPaperRow.summary_notice_id.is_(None),
                        made_since,
                        ~made_before,
                    )
                    .order_by(TopicPaperRow.arxiv_id)
                )
            )

    def digest(
        self,
        ids: Sequence[str],
        day: str,
        targets: Sequence[str],
        at: datetime,
        late: Sequence[str] = (),
    ) -> int | None:
        """One digest of this topic's `ids` (and of the summaries of `late`, papers told of
        before) owed to each of `targets`; the papers and summaries are marked as told of
        (with no target, as never to be: 0). Returns the notice, or None."""
        with self.session() as s, s.begin():
            notice = (
                self._notice(
                    s,
                    targets,
                    at,
                    kind="digest",
                    day=day,
                    papers=list(ids),
                    topic=self.topic,
                    late=list(late) or None,
                )
                if targets
                else 0
            )
            s.execute(
                update(TopicPaperRow)
                .where(TopicPaperRow.topic == self.topic, TopicPaperRow.arxiv_id.in_(list(ids)),
                       TopicPaperRow.notice_id.is_(None))
                .values(notice_id=notice)
            )  # fmt: skip
            if late:
                s.execute(
                    update(TopicPaperRow)
                    .where(TopicPaperRow.topic == self.topic,
                           TopicPaperRow.arxiv_id.in_(list(late)),
                           TopicPaperRow.summary_notice_id.is_(None))
                    .values(summary_notice_id=notice)
                )  # fmt: skip
        return notice or None

    def open_alerts(self) -> dict[str, str]:
        """Condition -> its alert's message, for the conditions alerted and not cleared."""
        with self.session() as s:
            return {r.condition: r.message for r in s.scalars(select(AlertRow))}

    def raise_alert(
        self, condition: str, message: str, targets: Sequence[str], at: datetime
    ) -> None:
        with self.session() as s, s.begin():
            s.add(AlertRow(condition=condition, message=storable(message), raised_at=at))
            if targets:
                self._notice(s, targets, at, kind="alert", condition=condition,
                             message=storable(message))  # fmt: skip

    def clear_alert(
        self, condition: str, message: str, targets: Sequence[str], at: datetime
    ) -> None:
        with self.session() as s, s.begin():
            s.execute(delete(AlertRow).where(AlertRow.condition == condition))
            if targets:
                self._notice(s, targets, at, kind="recovered", condition=condition,
                             message=storable(message))  # fmt: skip

    def owed(self) -> list[Delivery]:
        """Every delivery not made yet, oldest notice first."""
        with self.session() as s:
            rows = s.execute(
                select(DeliveryRow, NoticeRow)
                .join(NoticeRow, NoticeRow.id == DeliveryRow.notice_id)
                .where(DeliveryRow.state == "pending")
                .order_by(NoticeRow.id, DeliveryRow.target)
            ).all()
        return [
            Delivery(
                n.id,
                d.target,
                n.kind,
                n.condition,
                n.day,
                n.message,
                n.papers,
                n.created_at,
                d.attempts,
                n.topic,
                n.late,
            )
            for d, n in rows
        ]

    def settle(
        self, delivery: Delivery, state: str, at: datetime, error: str | None = None
    ) -> None:
        """Record a delivery `sent`, `dropped`, or still `pending` after a failed attempt."""
        with self.session() as s, s.begin():
            s.execute(
                update(DeliveryRow)
                .where(DeliveryRow.notice_id == delivery.notice_id,
                       DeliveryRow.target == delivery.target)
                .values(state=state, attempts=DeliveryRow.attempts + int(state != "dropped"),
                        last_error=storable(error) if error else None, updated_at=at)
            )  # fmt: skip

    def counts(self) -> dict[str, int]:
        """Deliveries by state (pending, sent, dropped)."""
        with self.session() as s:
            rows = s.execute(select(DeliveryRow.state, func.count()).group_by(DeliveryRow.state))
            return {state: int(n) for state, n in rows}

    @staticmethod
    def _notice(s: Session, targets: Sequence[str], at: datetime, **values: object) -> int:
        notice = NoticeRow(created_at=at, **values)
        s.add(notice)
        s.flush()
        for target in dict.fromkeys(targets):
            s.add(DeliveryRow(notice_id=notice.id, target=target, state="pending",
                              attempts=0, updated_at=at))  # fmt: skip
        return notice.id
