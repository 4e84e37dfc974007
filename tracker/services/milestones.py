"""Completing and reopening milestones, ticking checklist items."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from tracker.models import ChecklistItem, EventKind, Milestone
from tracker.models.events import record
from tracker.queries.immunity import live_vaccine_gates
from tracker.services.courses import keep_day_100_done, lock_course


def _fresh_milestone(milestone: Milestone) -> Milestone:
    """The milestone as it is now, read under the course lock."""
    return Milestone.objects.select_related("step", "course__patient", "completed_by").get(
        pk=milestone.pk
    )


@transaction.atomic
def complete_milestone(*, milestone: Milestone, on: date, by: User, today: date) -> Milestone:
    """Mark a milestone done on a date (not in the future); returns it as saved. A live
    vaccine is refused while its gates fail on that date: a dose given anyway is recorded
    with the reason (services.record_vaccination), which completes it."""
    course = lock_course(milestone.course)
    milestone = _fresh_milestone(milestone)
    if milestone.step.is_live_vaccine:
        verdict = live_vaccine_gates(course.patient, on)
        if not verdict.eligible:
            reasons = " ".join(verdict.reasons.values())
            raise ValidationError(
                {
                    "completed_on": f"The live-vaccine gates did not pass on {on:%-d %b %Y}: "
                    f"{reasons} If it was given anyway, record the dose under Immune recovery "
                    "with the reason."
                }
            )
    was_done_on = milestone.completed_on
    milestone.complete(by=by, on=on, today=today)
    keep_day_100_done(course, milestone)
    if was_done_on != on:
        record(
            EventKind.MILESTONE_DONE,
            by=by,
            course=milestone.course,
            milestone=str(milestone.code),
            title=milestone.title,
            on=on.isoformat(),
            was_done_on=was_done_on.isoformat() if was_done_on else None,
        )
    return milestone


@transaction.atomic
def reopen_milestone(*, milestone: Milestone, by: User) -> Milestone:
    """Clear a milestone's completion; reopening an open milestone changes nothing."""
    course = lock_course(milestone.course)
    milestone = _fresh_milestone(milestone)
    if milestone.completed_on is None:
        return milestone
    was_done_on = milestone.completed_on
    milestone.reopen(by=by)
    keep_day_100_done(course, milestone)
    record(
        EventKind.MILESTONE_REOPENED,
        by=by,
        course=milestone.course,
        milestone=str(milestone.code),
        title=milestone.title,
        was_done_on=was_done_on.isoformat(),
    )
    return milestone


@transaction.atomic
def tick_item(*, item: ChecklistItem, checked: bool, by: User) -> ChecklistItem:
    """Tick or untick; ticking an item already ticked keeps who ticked it first."""
    lock_course(item.milestone.course)
    item = ChecklistItem.objects.select_related(
        "milestone__course__patient", "milestone__step", "checked_by"
    ).get(pk=item.pk)
    if checked == item.is_checked:
        return item
    item.set_checked(checked, by=by)
    record(
        EventKind.ITEM_TICKED if checked else EventKind.ITEM_UNTICKED,
        by=by,
        course=item.milestone.course,
        item=str(item.code),
        text=item.text,
        title=item.milestone.title,
    )
    return item
