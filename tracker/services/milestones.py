"""Completing and reopening milestones, ticking checklist items."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from tracker.models import ChecklistItem, EventKind, Milestone, TransplantCourse
from tracker.models.choices import CLOSED_HOLDS
from tracker.models.events import record
from tracker.queries.immunity import live_vaccine_gates
from tracker.services import reminders
from tracker.services.courses import keep_day_100_done, lock_course


def _fresh_milestone(milestone: Milestone) -> Milestone:
    """The milestone as it is now, read under the course lock."""
    return Milestone.objects.select_related("step", "course__patient", "completed_by").get(
        pk=milestone.pk
    )


def _reason(reason: str) -> dict[str, Any]:
    """What completed or reopened it, in the event's data, when not a person's click."""
    return {"reason": reason} if reason else {}


def mark_done(
    course: TransplantCourse,
    milestone: Milestone,
    *,
    on: date,
    by: User,
    today: date,
    reason: str = "",
) -> None:
    """Complete a milestone under the course lock the caller holds: the course's Day-100
    copy follows, and a course event says so (`reason`: what completed it, if not a person)."""
    was_done_on = milestone.completed_on
    milestone.complete(by=by, on=on, today=today)
    keep_day_100_done(course, milestone)
    if was_done_on != on:
        record(
            EventKind.MILESTONE_DONE,
            by=by,
            course=course,
            milestone=str(milestone.code),
            title=milestone.title,
            on=on.isoformat(),
            was_done_on=was_done_on.isoformat() if was_done_on else None,
            **_reason(reason),
        )


def mark_reopened(
    course: TransplantCourse, milestone: Milestone, *, by: User, reason: str = ""
) -> None:
    """Reopen a done milestone under the course lock the caller holds, with its event."""
    was_done_on = milestone.completed_on
    if was_done_on is None:
        return
    milestone.reopen(by=by)
    keep_day_100_done(course, milestone)
    record(
        EventKind.MILESTONE_REOPENED,
        by=by,
        course=course,
        milestone=str(milestone.code),
        title=milestone.title,
        was_done_on=was_done_on.isoformat(),
        **_reason(reason),
    )


@transaction.atomic
def complete_milestone(*, milestone: Milestone, on: date, by: User, today: date) -> Milestone:
    """Mark a milestone done on a date (not in the future); returns it as saved. A live
    vaccine is refused while its gates fail on that date: a dose given anyway is recorded
    with the reason (services.record_vaccination), which completes it."""
    course = lock_course(milestone.course)
    milestone = _fresh_milestone(milestone)
    if milestone.hold in CLOSED_HOLDS:
        raise ValidationError(
            {"completed_on": f"This item is closed: {milestone.plan_note} Nothing is due here."}
        )
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
    mark_done(course, milestone, on=on, by=by, today=today)
    reminders.cancel_stale(course)
    return milestone


@transaction.atomic
def reopen_milestone(*, milestone: Milestone, by: User) -> Milestone:
    """Clear a milestone's completion; reopening an open milestone changes nothing."""
    course = lock_course(milestone.course)
    milestone = _fresh_milestone(milestone)
    if milestone.completed_on is None:
        return milestone
    mark_reopened(course, milestone, by=by)
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
