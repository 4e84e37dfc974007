"""A course's change history: the audit trail read back as sentences, newest first.

The sources are django-simple-history's tables (course, patient, milestones, checklist items)
and the DayZeroMove rows. Each source is read with one query and the entries are merged in
Python, so a page costs the same fixed number of queries whatever its length or number. That
reads the course's whole history on every page view: fine for the hundreds to few thousands
of rows a course gathers; if courses ever hold many more, page the sources in SQL instead.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import attrgetter
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from tracker.access import get_course_for, require
from tracker.models import ChecklistItem, DayZeroMove, Milestone, ProtocolStep, TransplantCourse
from tracker.services import DEFAULT_MOVE_REASON, PLANNED_FROM_PROTOCOL

ENTRIES_PER_PAGE = 50

# simple-history's change reason column holds 100 characters; a longer reason may be cut.
CHANGE_REASON_LENGTH = 100

MILESTONE_DATES = {"due_date", "window_start", "window_end"}
FIELD_LABELS = {"user": "portal login"}


class EntryKind(enum.StrEnum):
    COURSE_STARTED = "course-started"
    COURSE_CHANGED = "course-changed"
    DAY_ZERO_MOVED = "day-zero-moved"
    DAY_ZERO_CONFIRMED = "day-zero-confirmed"
    PATIENT_CHANGED = "patient-changed"
    MILESTONE_DONE = "milestone-done"
    MILESTONE_REOPENED = "milestone-reopened"
    MILESTONE_CHANGED = "milestone-changed"
    ITEM_TICKED = "item-ticked"
    ITEM_UNTICKED = "item-unticked"
    ITEM_CHANGED = "item-changed"


@dataclass(frozen=True)
class Entry:
    """One line of the history: what changed, who changed it and when."""

    when: datetime
    who: str
    text: str
    kind: EntryKind


@dataclass
class _Planning:
    """The milestones and checklist items the course was planned with when it started."""

    milestones: set[int] = field(default_factory=set)
    items: int = 0
    first: object = None  # the first planning row, in case the course's own row is missing


@dataclass
class _Move:
    """A Day Zero move, with what the other sources' rows add to its one line."""

    row: DayZeroMove
    added_milestones: set[int] = field(default_factory=set)
    added_items: int = 0
    unconfirmed: bool = False

    def gave_reason(self, record) -> bool:
        """Whether a history row carries this move's change reason."""
        recorded = record.history_change_reason or ""
        reason = self.row.reason or DEFAULT_MOVE_REASON
        return bool(recorded) and recorded[:CHANGE_REASON_LENGTH] == reason[:CHANGE_REASON_LENGTH]


def _move_after(moves: list[_Move], record) -> _Move | None:
    """The first move recorded at or after a row: a move writes its DayZeroMove row last."""
    return next((move for move in moves if record.history_date <= move.row.moved_at), None)


def person(user) -> str:
    """Who made a change: full name, else username; "system" when nobody was logged in."""
    if user is None:
        return "system"
    return user.get_full_name() or user.get_username()


def day(value: date) -> str:
    return f"{value:%-d %b %Y}"


def quoted(text: str) -> str:
    return f"“{text}”"


def counted(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _planned(milestones: int, items: int) -> str:
    text = counted(milestones, "milestone")
    return f"{text} and {counted(items, 'checklist item')}" if items else text


def _value(model_field, value) -> str:
    if value is None or value == "":
        return "(empty)"
    if model_field.choices:
        value = dict(model_field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return f"{timezone.localtime(value):%-d %b %Y %H:%M}"
    if isinstance(value, date):
        return day(value)
    return quoted(value)


def _described(changes: Iterable, record) -> str:
    """'graft source “A” → “B”; portal login added': related rows are named, not shown."""
    parts = []
    for change in changes:
        model_field = record._meta.get_field(change.field)
        label = FIELD_LABELS.get(change.field, str(model_field.verbose_name))
        if model_field.is_relation:
            done = "added" if change.old is None else "removed" if change.new is None else "changed"
            parts.append(f"{label} {done}")
        else:
            old, new = _value(model_field, change.old), _value(model_field, change.new)
            parts.append(f"{label} {old} → {new}")
    return "; ".join(parts)


def _entry(record, text: str, kind: EntryKind) -> Entry:
    return Entry(when=record.history_date, who=person(record.history_user), text=text, kind=kind)


def _ordered(records):
    # In the order the rows were written (history_id counts up), so "the previous row of the
    # same object" holds even if the clock was set back between two writes.
    return records.select_related("history_user").order_by("history_id")


def _title(record, steps: dict[int, ProtocolStep]) -> str:
    step = steps.get(record.step_id)
    if step is None:  # its protocol step has been deleted since
        return quoted(f"Milestone {record.id}")
    return quoted(Milestone(step=step, occurrence=record.occurrence).title)


def _milestone_entries(records, steps, moves: list[_Move], planning: _Planning, titles: dict):
    """Completions and reopenings; other changes only where no Day Zero move explains them.

    A row is told apart by comparing it with the previous row of the same milestone, not by
    its change reason (a coordinator's move reason is free text): completed_on set is "done",
    cleared is "reopened"; moved dates are the work of the Day Zero move that wrote them (same
    change reason, not after the move) and are summed up in that move's line, or else shown
    one by one as a reschedule. Planned rows before any other milestone row are the course's
    start; later planned rows are milestones a move added.
    """
    previous = {}
    at_start = True
    for record in records:
        title = titles[record.id] = _title(record, steps)
        before, previous[record.id] = previous.get(record.id), record
        if record.history_type == "+" and record.history_change_reason == PLANNED_FROM_PROTOCOL:
            if at_start:
                planning.milestones.add(record.id)
                planning.first = planning.first or record
                continue
            move = _move_after(moves, record)
            if move is not None:
                move.added_milestones.add(record.id)
                continue
        at_start = False
        if record.history_type == "+":
            text = f"{title} added, due {day(record.due_date)}"
            yield _entry(record, text, EntryKind.MILESTONE_CHANGED)
        elif record.history_type == "-":
            text = f"{title} removed (was due {day(record.due_date)})"
            yield _entry(record, text, EntryKind.MILESTONE_CHANGED)
        elif before is None:  # history began after the milestone was made
            yield _entry(record, f"{title} changed", EntryKind.MILESTONE_CHANGED)
        else:
            yield from _milestone_change(record, before, title, moves)


def _milestone_change(record, before, title: str, moves: list[_Move]) -> Iterator[Entry]:
    delta = record.diff_against(before)
    changed = set(delta.changed_fields)
    if "completed_on" in changed:
        if before.completed_on is None:
            text = f"{title} marked done on {day(record.completed_on)}"
            yield _entry(record, text, EntryKind.MILESTONE_DONE)
        elif record.completed_on is None:
            text = f"{title} reopened (it had been done on {day(before.completed_on)})"
            yield _entry(record, text, EntryKind.MILESTONE_REOPENED)
        else:
            text = (
                f"{title}: done date changed from {day(before.completed_on)}"
                f" to {day(record.completed_on)}"
            )
            yield _entry(record, text, EntryKind.MILESTONE_DONE)
    elif changed & MILESTONE_DATES:
        move = _move_after(moves, record)
        if move is None or not move.gave_reason(record):
            text = f"{title} rescheduled from {day(before.due_date)} to {day(record.due_date)}"
            yield _entry(record, text, EntryKind.MILESTONE_CHANGED)
    elif changed:
        text = f"{title} changed: {_described(delta.changes, record)}"
        yield _entry(record, text, EntryKind.MILESTONE_CHANGED)


def _item_entries(records, titles: dict, moves: list[_Move], planning: _Planning):
    """Ticks and unticks (checked_at set or cleared against the item's previous row)."""
    previous = {}
    for record in records:
        before, previous[record.id] = previous.get(record.id), record
        text = quoted(record.text)
        milestone = titles.get(record.milestone_id, "a milestone")
        if record.history_type == "+" and record.history_change_reason == PLANNED_FROM_PROTOCOL:
            if record.milestone_id in planning.milestones:
                planning.items += 1
                continue
            move = next((m for m in moves if record.milestone_id in m.added_milestones), None)
            if move is not None:
                move.added_items += 1
                continue
        if record.history_type == "+":
            yield _entry(record, f"{text} added to {milestone}", EntryKind.ITEM_CHANGED)
        elif record.history_type == "-":
            yield _entry(record, f"{text} removed from {milestone}", EntryKind.ITEM_CHANGED)
        elif before is None:  # history began after the item was made
            yield _entry(record, f"{text} under {milestone} changed", EntryKind.ITEM_CHANGED)
        else:
            delta = record.diff_against(before)
            if "checked_at" in delta.changed_fields and record.checked_at is not None:
                yield _entry(record, f"{text} ticked under {milestone}", EntryKind.ITEM_TICKED)
            elif "checked_at" in delta.changed_fields:
                yield _entry(record, f"{text} unticked under {milestone}", EntryKind.ITEM_UNTICKED)
            elif delta.changes:
                described = _described(delta.changes, record)
                yield _entry(
                    record, f"{text} under {milestone} changed: {described}", EntryKind.ITEM_CHANGED
                )


def _course_entries(records, course, moves: list[_Move], planning: _Planning):
    """The start, confirmations, and Day Zero changes that no DayZeroMove row accounts for."""
    unmatched = list(moves)
    before = None
    for record in records:
        if record.history_type == "+":
            state = "confirmed" if record.day_zero_confirmed else "planned"
            text = (
                f"Course started: {course.protocol.name}, Day Zero {day(record.day_zero)}"
                f" ({state}); {_planned(len(planning.milestones), planning.items)} planned"
            )
            yield _entry(record, text, EntryKind.COURSE_STARTED)
            planning.first = None
        elif before is not None and record.history_type == "~":
            changes = {change.field: change for change in record.diff_against(before).changes}
            if "day_zero" in changes:
                del changes["day_zero"]
                yield from _day_zero_change(record, before, unmatched, changes)
            if "day_zero_confirmed" in changes:
                del changes["day_zero_confirmed"]
                if record.day_zero_confirmed:
                    text = f"Day Zero confirmed: the infusion happened on {day(record.day_zero)}"
                else:
                    text = "Day Zero confirmation withdrawn"
                yield _entry(record, text, EntryKind.DAY_ZERO_CONFIRMED)
            if changes:
                text = f"Course details changed: {_described(changes.values(), record)}"
                yield _entry(record, text, EntryKind.COURSE_CHANGED)
        before = record
    if planning.first is not None:  # planned, but the course's own first row is missing
        text = f"{_planned(len(planning.milestones), planning.items)} planned from the protocol"
        yield _entry(planning.first, text, EntryKind.COURSE_STARTED)


def _day_zero_change(record, before, unmatched: list[_Move], changes: dict) -> Iterator[Entry]:
    """A move's own line tells it; a change no move row explains is shown on its own."""
    dates = (before.day_zero, record.day_zero)
    move = next((m for m in unmatched if (m.row.from_date, m.row.to_date) == dates), None)
    if move is None:
        text = f"Day Zero changed from {day(before.day_zero)} to {day(record.day_zero)}"
        yield _entry(record, text, EntryKind.DAY_ZERO_MOVED)
        return
    unmatched.remove(move)
    if "day_zero_confirmed" in changes:
        del changes["day_zero_confirmed"]
        move.unconfirmed = not record.day_zero_confirmed


def _patient_entries(records):
    """Changes to the patient's details (their registration predates the course)."""
    before = None
    for record in records:
        if before is not None and record.history_type == "~":
            delta = record.diff_against(before)
            if delta.changes:
                text = f"Patient details changed: {_described(delta.changes, record)}"
                yield _entry(record, text, EntryKind.PATIENT_CHANGED)
        before = record


def _move_entry(move: _Move) -> Entry:
    row = move.row
    text = f"Day Zero moved from {day(row.from_date)} to {day(row.to_date)}"
    if row.reason:
        text += f" ({row.reason})"
    text += f"; {counted(row.milestones_moved, 'planned date')} moved"
    if move.added_milestones:
        text += f"; {_planned(len(move.added_milestones), move.added_items)} added"
    if move.unconfirmed:
        text += "; the infusion is no longer marked as confirmed"
    return Entry(row.moved_at, person(row.moved_by), text, EntryKind.DAY_ZERO_MOVED)


def history_entries(course: TransplantCourse) -> list[Entry]:
    """Every recorded change to a course and its patient, newest first, in six queries."""
    moves = [
        _Move(row)
        for row in course.day_zero_moves.select_related("moved_by").order_by("moved_at", "id")
    ]
    milestone_records = list(_ordered(Milestone.history.filter(course_id=course.pk)))
    ever_in_course = Milestone.history.filter(course_id=course.pk).values("id")
    item_records = _ordered(ChecklistItem.history.filter(milestone_id__in=ever_in_course))
    steps = ProtocolStep.objects.in_bulk({record.step_id for record in milestone_records})
    planning, titles = _Planning(), {}
    # In this order: each pass reads what the one before learnt (planning, titles, moves).
    milestones = list(_milestone_entries(milestone_records, steps, moves, planning, titles))
    items = list(_item_entries(item_records, titles, moves, planning))
    course_changes = list(_course_entries(_ordered(course.history.all()), course, moves, planning))
    patient = list(_patient_entries(_ordered(course.patient.history.all())))
    # Each source is chronological; the stable sort keeps rows of the same instant in this
    # order (the course's own rows first, as its start comes before anything planned from
    # it) and reversing puts the newest first.
    entries = course_changes + milestones + items + patient + [_move_entry(move) for move in moves]
    entries.sort(key=attrgetter("when"))
    entries.reverse()
    return entries


@require_GET
@login_required
def course_history(request: HttpRequest, code: UUID) -> TemplateResponse:
    """A course's history, newest first, a page at a time."""
    course = get_course_for(request.user, code)
    require(request.user, "view_course_history")
    page = Paginator(history_entries(course), ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    template = "courses/history.html"
    if request.htmx:
        template += "#entries"
    context = {"course": course, "patient": course.patient, "page": page}
    return TemplateResponse(request, template, context)
