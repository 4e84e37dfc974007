"""The rows of a course's timeline, as the course page shows them: two light queries.

A course page may show a few hundred milestones with their checklists. Building model
instances for them (and their steps, items and the people who ticked them) cost more than
drawing them, so the rows are read as plain values and put together here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import QuerySet
from django.utils.dateformat import format as format_date
from django.utils.timezone import localtime

from tracker.models import ChecklistItem, Milestone, TransplantCourse
from tracker.models.choices import LIVE_VACCINES, Hold
from tracker.models.milestones import title_of
from tracker.queries.immunity import WAITS_FOR_PREVIOUS, held_back_words, live_vaccine_gates
from tracker.rules import schedule


def person_name(first: str | None, last: str | None, username: str | None) -> str:
    """As `User.get_full_name() or get_username()`, from the values of a query."""
    return f"{first or ''} {last or ''}".strip() or (username or "")


@dataclass
class ItemRow:
    code: str  # as text: it is written several times into each row's markup
    text: str
    checked_at: datetime | None
    checked_by: str
    action: str = ""  # where its tick posts (set by the view)

    @property
    def is_checked(self) -> bool:
        return self.checked_at is not None

    @property
    def checked_text(self) -> str:
        """'ticked by Sam Lee, 3 Mar 14:05' in the clinic's time zone, or ''."""
        if self.checked_at is None:
            return ""
        return f"ticked by {self.checked_by}, {format_date(localtime(self.checked_at), 'j M H:i')}"


@dataclass
class MilestoneRow:
    """One milestone of the timeline with its status today and its checklist, with its
    dates already in words (a course page draws many: the template only places them)."""

    code: str  # as text: it is written several times into each row's markup
    title: str
    status: schedule.Status
    phase: schedule.Phase
    day_label: str
    due_date: date
    window_start: date
    window_end: date
    window_label: str
    patient_text: str
    completed_on: date | None
    completed_by: str
    computed: bool
    items: list[ItemRow]
    gate: str = ""  # blocked or not needed, why: "Blocked: ... It could open on ..."
    note: str = ""  # why a milestone not done falls on its date ("At least 4 weeks after ...")
    action: str = ""  # where its form posts: complete, or reopen when done (set by the view)
    html: str = field(default="", repr=False, compare=False)  # drawn, when the view has it

    @property
    def is_done(self) -> bool:
        return self.completed_on is not None

    @property
    def progress(self) -> tuple[int, int]:
        return sum(item.is_checked for item in self.items), len(self.items)

    @property
    def progress_text(self) -> str:
        ticked, total = self.progress
        return f"{ticked} of {total} ticked"

    @property
    def due_text(self) -> str:
        return format_date(self.due_date, "D j M Y")

    @property
    def window_text(self) -> str:
        return f"{format_date(self.window_start, 'j M')} to {format_date(self.window_end, 'j M Y')}"

    @property
    def done_text(self) -> str:
        if self.completed_on is None:
            return ""
        how = ", computed from the blood counts entered by" if self.computed else " by"
        return f"Done on {format_date(self.completed_on, 'D j M Y')}{how} {self.completed_by}."


MILESTONE_FIELDS = (
    "pk",
    "code",
    "occurrence",
    "due_date",
    "window_start",
    "window_end",
    "completed_on",
    "computed",
    "step__title",
    "step__repeat_every_days",
    "step__seasons",
    "step__patient_text",
    "step__vaccine",
    "hold",
    "plan_note",
    "moved_from",
    "completed_by__first_name",
    "completed_by__last_name",
    "completed_by__username",
)
ITEM_FIELDS = (
    "milestone_id",
    "code",
    "text",
    "checked_at",
    "checked_by__first_name",
    "checked_by__last_name",
    "checked_by__username",
)


def timeline_rows(
    course: TransplantCourse, milestones: QuerySet[Milestone], *, today: date
) -> list[MilestoneRow]:
    """These milestones of the course (a queryset of them), in timeline order, with their
    checklists."""
    rows = list(milestones.filter(course=course).values(*MILESTONE_FIELDS))
    items: dict[int, list[ItemRow]] = {row["pk"]: [] for row in rows}
    if items:
        for item in (
            ChecklistItem.objects.filter(milestone__in=list(items))
            .order_by("milestone", "position", "pk")
            .values(*ITEM_FIELDS)
        ):
            items[item["milestone_id"]].append(
                ItemRow(
                    code=str(item["code"]),
                    text=item["text"],
                    checked_at=item["checked_at"],
                    checked_by=person_name(
                        item["checked_by__first_name"],
                        item["checked_by__last_name"],
                        item["checked_by__username"],
                    ),
                )
            )
    phase_of_day = schedule.phases_from(course.day_zero, course.phase_scheme)
    held = _held_words(course, rows, today)
    return [_row(course.day_zero, phase_of_day, row, items[row["pk"]], today, held) for row in rows]


def _held_words(course: TransplantCourse, rows: list[dict[str, Any]], today: date) -> str:
    """What the patient reads today of the live vaccines among these rows while the gates
    fail today (as their page, calendar and printout: `hold_back_live_vaccines`), or ""."""
    if not any(r["step__vaccine"] in LIVE_VACCINES and not r["completed_on"] for r in rows):
        return ""
    verdict = live_vaccine_gates(course.patient, today)
    return "" if verdict.eligible else held_back_words("", verdict.eligible_from)[1]


def _row(
    day_zero: date,
    phase_of_day: Callable[[date], schedule.Phase],
    m: dict[str, Any],
    items: list[ItemRow],
    today: date,
    held_words: str,
) -> MilestoneRow:
    status, title = status_and_title(m, today)
    waiting = status in (schedule.Status.BLOCKED, schedule.Status.NOT_NEEDED)
    patient_text = m["step__patient_text"]
    if m["step__vaccine"] in LIVE_VACCINES and not m["completed_on"]:
        # While a live vaccine waits for its gates, the patient reads "we will check".
        if held_words:
            patient_text = held_words
        elif status == schedule.Status.BLOCKED:
            patient_text = WAITS_FOR_PREVIOUS
    return MilestoneRow(
        code=str(m["code"]),
        title=title,
        status=status,
        phase=phase_of_day(m["due_date"]),
        day_label=schedule.day_label(schedule.day_number(m["due_date"], day_zero)),
        due_date=m["due_date"],
        window_start=m["window_start"],
        window_end=m["window_end"],
        window_label=schedule.window_label(m["window_start"], m["window_end"], day_zero),
        patient_text=patient_text,
        completed_on=m["completed_on"],
        completed_by=person_name(
            m["completed_by__first_name"],
            m["completed_by__last_name"],
            m["completed_by__username"],
        ),
        computed=m["computed"],
        items=items,
        gate=m["plan_note"] if waiting else "",
        note=_note(m) if not waiting and m["completed_on"] is None else "",
    )


def status_and_title(m: dict[str, Any], today: date) -> tuple[schedule.Status, str]:
    """A milestone read as values (its dates, completion, hold, and its step's title and
    repeats): where it stands today, and its title."""
    status = schedule.status_of(
        window_start=m["window_start"],
        window_end=m["window_end"],
        completed_on=m["completed_on"],
        today=today,
        hold=m["hold"],
        due_date=m["due_date"],
    )
    repeats = m["step__repeat_every_days"] or m["step__seasons"]
    season_of = m["due_date"] if m["step__seasons"] else None
    return status, title_of(m["step__title"], repeats, m["occurrence"], season_of=season_of)


def _note(m: dict[str, Any]) -> str:
    """Why a milestone not done falls on its date, once it is not waiting any more."""
    if m["hold"] == Hold.BLOCKED_UNTIL:  # its date came: the note said "Blocked: ..."
        opened = format_date(m["due_date"], "j M Y")
        return f"The live-vaccine gates opened on {opened}: check them again on the day."
    if m["moved_from"]:
        moved = f"Moved from {format_date(m['moved_from'], 'D j M')}: the clinic is closed."
        return f"{moved} {m['plan_note']}".strip()
    return str(m["plan_note"])


def rows_of(
    course: TransplantCourse, milestones: Iterable[Milestone], *, today: date
) -> list[MilestoneRow]:
    """These milestones of the course as timeline rows (after an action changed them)."""
    chosen = Milestone.objects.filter(pk__in=[milestone.pk for milestone in milestones])
    return timeline_rows(course, chosen, today=today)
