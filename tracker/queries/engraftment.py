"""A course's engraftment status, by the CIBMTR rules (tracker.rules.engraftment).

The one place that turns a course's counts into what the page, the follow-up list, its CSV
and any later page show, so they can never disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple, Protocol

from tracker.models import BloodCount, TransplantCourse
from tracker.rules import engraftment
from tracker.rules.engraftment import Alert, Outcome
from tracker.rules.schedule import day_label, day_number


class CountLike(Protocol):
    @property
    def drawn_on(self) -> date: ...
    @property
    def anc(self) -> Decimal | None: ...
    @property
    def anc_manual(self) -> bool: ...
    @property
    def platelets(self) -> Decimal | None: ...
    @property
    def platelet_transfusion(self) -> bool: ...


class CountRow(NamedTuple):
    """A blood count as the list reads it (values, not a model)."""

    drawn_on: date
    anc: Decimal | None
    anc_manual: bool
    platelets: Decimal | None
    platelet_transfusion: bool


@dataclass(frozen=True)
class EngraftmentStatus:
    """What a course's blood counts show, with the rules' reasons."""

    neutrophils: engraftment.Result
    platelets_20: engraftment.Result
    platelets_50: engraftment.Result
    graft: engraftment.GraftFailure
    failure_day: int
    applies: bool  # False for a protocol without engraftment (a same-day procedure)
    day_zero: date

    @property
    def graft_failure_alert(self) -> bool:
        return self.applies and self.graft.alert == Alert.GRAFT_FAILURE

    @property
    def summary(self) -> str:
        """One short line for lists: 'Neutrophils Day +15, platelets Day +22', 'Waiting'."""
        if not self.applies:
            return ""
        if self.graft.alert in (Alert.GRAFT_FAILURE, Alert.NO_COUNTS):
            return self.graft.headline

        def day(result: engraftment.Result) -> str:
            assert result.date is not None
            return day_label(day_number(result.date, self.day_zero))

        neutrophils = self.neutrophils
        parts = []
        if neutrophils.outcome == Outcome.ENGRAFTED:
            late = " (late)" if self.graft.alert == Alert.LATE_ENGRAFTMENT else ""
            parts.append(f"Neutrophils {day(neutrophils)}{late}")
        elif neutrophils.outcome in (Outcome.NEEDS_REVIEW, Outcome.NOT_ENOUGH_COUNTS):
            parts.append(f"Neutrophils: {neutrophils.outcome.label.lower()}")
        elif neutrophils.outcome == Outcome.NOT_APPLICABLE:
            parts.append("Neutrophils: not applicable")
        if self.platelets_20.engrafted:
            parts.append(f"{'platelets' if parts else 'Platelets'} {day(self.platelets_20)}")
        text = ", ".join(parts) or "Waiting"
        if neutrophils.review:
            text += "; review: possible secondary graft failure"
        return text


def engraftment_status(
    course: TransplantCourse, counts: Iterable[CountLike], *, today: date
) -> EngraftmentStatus:
    """Apply the CIBMTR rules to the course's counts (fetched by the caller, in any order)."""
    return status_of(
        counts,
        day_zero=course.day_zero,
        graft_source=course.graft_source,
        protocol_failure_day=course.protocol.graft_failure_day,
        tracks_engraftment=course.protocol.tracks_engraftment,
        today=today,
    )


def status_of(
    counts: Iterable[CountLike],
    *,
    day_zero: date,
    graft_source: str,
    protocol_failure_day: int | None,
    tracks_engraftment: bool,
    today: date,
) -> EngraftmentStatus:
    """`engraftment_status` from the course's values, for lists that read values, not models."""
    counts = list(counts)
    anc = [(c.drawn_on, c.anc, c.anc_manual) for c in counts if c.anc is not None]
    platelets = [(c.drawn_on, c.platelets) for c in counts if c.platelets is not None]
    transfusions = [c.drawn_on for c in counts if c.platelet_transfusion]

    def platelets_at(threshold: int) -> engraftment.Result:
        return engraftment.platelet_engraftment(
            platelets,
            transfusions=transfusions,
            threshold=threshold,
            day_zero=day_zero,
            today=today,
        )

    neutrophils = engraftment.neutrophil_engraftment(anc, day_zero=day_zero, today=today)
    failure_day = engraftment.graft_failure_day(graft_source, protocol_failure_day)
    return EngraftmentStatus(
        neutrophils=neutrophils,
        platelets_20=platelets_at(20),
        platelets_50=platelets_at(50),
        graft=engraftment.graft_failure(
            neutrophils,
            day_zero=day_zero,
            today=today,
            failure_day=failure_day,
            last_anc_on=max((day for day, _, _ in anc), default=None),
        ),
        failure_day=failure_day,
        applies=tracks_engraftment,
        day_zero=day_zero,
    )


def counts_by_course(course_ids: Sequence[int]) -> dict[int, list[CountRow]]:
    """The counts of these courses, in one query, as values."""
    if not course_ids:
        return {}
    # Unsorted: the rules take counts in any order, and sorting every count of a CSV's
    # courses by date is work the database need not do.
    rows = (
        BloodCount.objects.filter(course__in=course_ids)
        .order_by()
        .values_list(
            "course_id", "drawn_on", "anc", "anc_manual", "platelets", "platelet_transfusion"
        )
    )
    grouped: dict[int, list[CountRow]] = defaultdict(list)
    for course_id, drawn_on, anc, anc_manual, platelets, transfused in rows:
        grouped[course_id].append(CountRow(drawn_on, anc, anc_manual, platelets, transfused))
    return grouped
