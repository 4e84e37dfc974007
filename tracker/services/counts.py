"""Blood counts: add, correct, delete; the engraftment milestones follow the counts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q
from simple_history.utils import bulk_create_with_history

from tracker.models import (
    BloodCount,
    CourseEvent,
    Engraftment,
    EventKind,
    Milestone,
    TransplantCourse,
)
from tracker.models.events import event, record
from tracker.queries.engraftment import engraftment_status
from tracker.services.courses import keep_day_100_done, lock_course
from tracker.services.immunity import replan_immune_recovery

COUNT_FIELDS = ("drawn_on", "anc", "anc_manual", "platelets", "platelet_transfusion")
DAILY_COUNTS_REASON = "Blood counts of that day entered"


def _shown(value: Any) -> Any:
    """A count's value as the event keeps it (JSON): dates and decimals as text."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _values(count: BloodCount) -> dict[str, Any]:
    return {field: _shown(getattr(count, field)) for field in COUNT_FIELDS}


def apply_counts(*, course: TransplantCourse, by: User, today: date) -> list[Milestone]:
    """Complete (or reopen) the milestones the counts decide; return those changed.

    The engraftment milestones take the engraftment date the rules give; a daily blood counts
    milestone is done when counts of its day are entered. A milestone completed by hand is
    left alone; one completed from the counts follows them: it moves with a correction, and
    reopens when the counts no longer show it. Call it under the course lock, so it sees
    every count.
    """
    counts = list(course.blood_counts.all())
    status = engraftment_status(course, counts, today=today)
    results = {
        Engraftment.NEUTROPHIL: status.neutrophils,
        Engraftment.PLATELET: status.platelets_20,
    }
    count_days = {count.drawn_on for count in counts}
    changed = []
    milestones = course.milestones.select_related("step", "completed_by").filter(
        ~Q(step__engraftment="") | Q(step__done_by_counts=True)
    )
    for milestone in milestones:
        if milestone.is_done and not milestone.computed:
            continue
        if milestone.step.engraftment:
            result = results[Engraftment(milestone.step.engraftment)]
            done_on = result.date if result.engrafted else None
            reason = result.reason
        else:
            done_on = milestone.due_date if milestone.due_date in count_days else None
            reason = DAILY_COUNTS_REASON if done_on else "No blood counts of that day any more"
        if done_on is not None and milestone.completed_on != done_on:
            milestone.complete_from_counts(by=by, on=done_on)
            keep_day_100_done(course, milestone)
            record(
                EventKind.MILESTONE_COMPUTED,
                by=by,
                course=course,
                milestone=str(milestone.code),
                title=milestone.title,
                on=done_on.isoformat(),
                reason=reason,
            )
            changed.append(milestone)
        elif done_on is None and milestone.is_done:
            was_done_on = milestone.completed_on
            milestone.reopen(by=by)
            keep_day_100_done(course, milestone)
            record(
                EventKind.MILESTONE_REOPENED,
                by=by,
                course=course,
                milestone=str(milestone.code),
                title=milestone.title,
                was_done_on=was_done_on.isoformat() if was_done_on else None,
                computed=True,
                reason=reason,
            )
            changed.append(milestone)
    if any(m.step.engraftment == Engraftment.NEUTROPHIL for m in changed):
        # PJP prophylaxis stops by a rule counted from neutrophil engraftment.
        replan_immune_recovery(course, by=by, why="Neutrophil engraftment changed")
    return changed


@transaction.atomic
def record_counts(
    *, course: TransplantCourse, rows: list[dict[str, Any]], by: User, today: date
) -> list[Milestone]:
    """Save validated count rows (drawn_on, anc, platelets, platelet_transfusion) all at once."""
    course = lock_course(course)
    counts = [BloodCount(course=course, entered_by=by, **row) for row in rows]
    bulk_create_with_history(counts, BloodCount, default_user=by)
    CourseEvent.objects.bulk_create(
        event(EventKind.COUNT_ADDED, by=by, course=course, count=str(c.code), **_values(c))
        for c in counts
    )
    return apply_counts(course=course, by=by, today=today)


@transaction.atomic
def correct_count(
    *, count: BloodCount, values: dict[str, Any], by: User, today: date
) -> list[Milestone]:
    """Change the values the user changed; the history records only those."""
    course = lock_course(count.course)
    fresh = BloodCount.objects.filter(pk=count.pk).first()
    if fresh is None:  # a colleague deleted it a moment ago
        return []
    count = fresh
    changes = {
        field: [_shown(getattr(count, field)), _shown(value)]
        for field, value in values.items()
        if getattr(count, field) != value
    }
    if not changes:
        return []
    for field in changes:
        setattr(count, field, values[field])
    count._history_user = by  # type: ignore[attr-defined]
    count.save(update_fields=list(changes))
    record(
        EventKind.COUNT_CORRECTED,
        by=by,
        course=course,
        count=str(count.code),
        drawn_on=count.drawn_on.isoformat(),
        changes=changes,
    )
    return apply_counts(course=course, by=by, today=today)


@transaction.atomic
def delete_count(*, count: BloodCount, by: User, today: date) -> list[Milestone]:
    course = lock_course(count.course)
    fresh = BloodCount.objects.filter(pk=count.pk).first()
    if fresh is None:  # deleted already: a second click, or a colleague
        return []
    count = fresh
    record(EventKind.COUNT_DELETED, by=by, course=course, count=str(count.code), **_values(count))
    count._history_user = by  # type: ignore[attr-defined]
    count.delete()
    return apply_counts(course=course, by=by, today=today)
