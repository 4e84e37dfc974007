"""Milestones (a dated occurrence of a protocol step in a course) and their checklists."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from tracker import clock
from tracker.models.choices import CLOSED_HOLDS, Audience, Hold
from tracker.models.courses import TransplantCourse
from tracker.models.protocols import ProtocolStep, influenza_season
from tracker.rules import schedule

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def title_of(
    step_title: str, repeats: int | bool | None, occurrence: int, *, season_of: date | None = None
) -> str:
    """A milestone's title: its step's, numbered when the step repeats ('Clinic visit (2)'),
    or named by its season when it comes once a season (`season_of`: its due date)."""
    if season_of is not None:
        return f"{step_title}, {influenza_season().label(season_of)}"
    if repeats:
        return f"{step_title} ({occurrence})"
    return step_title


# Holds under which a milestone not done is neither due nor overdue, whatever its dates.
WAITING = (Hold.BLOCKED, Hold.NOT_NEEDED, *CLOSED_HOLDS)


class MilestoneQuerySet(models.QuerySet["Milestone"]):
    def for_patient(self) -> MilestoneQuerySet:
        """What the patient may see: steps meant for them, never care-team-only steps, and
        nothing planned that turned out not to be needed (PPSV23 with chronic GVHD) or was closed
        (superseded by a later transplant, the course ended, not recorded here)."""
        return self.filter(step__audience__in=[Audience.PATIENT, Audience.BOTH]).exclude(
            completed_on__isnull=True, hold__in=[Hold.NOT_NEEDED, *CLOSED_HOLDS]
        )

    def pending(self) -> MilestoneQuerySet:
        return self.filter(completed_on__isnull=True)

    def overdue(self, today: date) -> MilestoneQuerySet:
        return self.pending().filter(window_end__lt=today).exclude(hold__in=WAITING)

    def due_within(self, today: date, days: int) -> MilestoneQuerySet:
        """Pending milestones whose window is open at some point in the next `days` days."""
        end = today + timedelta(days=days)
        return self.pending().filter(window_start__lte=end, window_end__gte=today)


class Milestone(models.Model):
    """One dated occurrence of a protocol step in a course."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(
        TransplantCourse, on_delete=models.CASCADE, related_name="milestones"
    )
    step = models.ForeignKey(ProtocolStep, on_delete=models.PROTECT, related_name="milestones")
    occurrence = models.PositiveSmallIntegerField(default=1)
    due_date = models.DateField()
    window_start = models.DateField()
    window_end = models.DateField()
    # A clinic visit the plan put on a day the clinic is closed, moved to an open day of its
    # window: the day it would have been (tracker.rules.schedule.at_open_clinic).
    moved_from = models.DateField(null=True, blank=True, editable=False)
    completed_on = models.DateField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    computed = models.BooleanField(
        default=False, help_text="Completed from the blood counts, not by hand."
    )
    # Kept by the immune-recovery re-plan (tracker.services.immunity.replan_immune_recovery):
    # a live vaccine whose gates fail, a step not needed with the patient's chronic GVHD, a
    # drug that may not stop yet; and why its date or hold is what it is.
    hold = models.CharField(max_length=16, choices=Hold.choices, blank=True, editable=False)
    plan_note = models.CharField(max_length=400, blank=True, editable=False)
    history = HistoricalRecords()

    objects = MilestoneQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "step__position", "occurrence"]
        indexes = [
            models.Index(fields=["course", "due_date"], name="milestone_course_due"),
            models.Index(
                fields=["course", "window_end", "due_date"],
                condition=Q(completed_on__isnull=True),
                name="milestone_pending_by_course",
            ),
            models.Index(
                fields=["due_date"],
                condition=Q(completed_on__isnull=True),
                name="milestone_pending_by_date",
            ),
            models.Index(
                fields=["course", "due_date", "window_end"],
                condition=Q(completed_on__isnull=True),
                name="milestone_pending_course_due",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "step", "occurrence"],
                name="milestone_once_per_occurrence",
                violation_error_message="This milestone is already planned in the course.",
            ),
            models.CheckConstraint(
                condition=Q(window_start__lte=models.F("due_date"))
                & Q(due_date__lte=models.F("window_end")),
                name="milestone_due_inside_window",
                violation_error_message="The due date must fall inside the milestone’s window.",
            ),
            models.CheckConstraint(
                condition=Q(completed_on__isnull=True, completed_by__isnull=True)
                | Q(completed_on__isnull=False, completed_by__isnull=False),
                name="milestone_completion_has_who",
                violation_error_message="A done milestone records who marked it done.",
            ),
        ]
        permissions = [("complete_milestone", "Can complete and reopen milestones")]

    def __str__(self) -> str:
        return f"{self.title} ({self.due_date})"

    @property
    def title(self) -> str:
        return title_of(
            self.step.title, self.step.repeats, self.occurrence, season_of=self.season_of
        )

    @property
    def season_of(self) -> date | None:
        """A step given once a season: the day that names its season (its due date)."""
        return self.due_date if self.step.seasons else None

    # What the patient reads instead, while a live vaccine waits for its gates (set by
    # tracker.queries.immunity.hold_back_live_vaccines; not a column).
    held_back: tuple[str, str] | None = None

    @property
    def patient_title(self) -> str:
        """The title on the patient's page, calendar and printout: the step's words for the
        patient when it has them ("Your yearly check"), never numbered: the date says which
        visit it is ("Clinic visit", not "Clinic visit (3)")."""
        if self.held_back:
            return self.held_back[0]
        title = self.step.patient_title or self.step.title
        return title_of(title, False, self.occurrence, season_of=self.season_of)

    @property
    def patient_words(self) -> str:
        """The plain words on the patient's page, calendar and printout."""
        return self.held_back[1] if self.held_back else self.step.patient_text

    @property
    def is_done(self) -> bool:
        return self.completed_on is not None

    @property
    def progress(self) -> tuple[int, int]:
        """(ticked, total) checklist items; uses prefetched items when the page has them."""
        items = self.items.all()
        return sum(item.is_checked for item in items), len(items)

    @property
    def day_number(self) -> int:
        return schedule.day_number(self.due_date, self.course.day_zero)

    @property
    def day_label(self) -> str:
        return schedule.day_label(self.day_number)

    @property
    def calendar_date(self) -> date:
        """The day it happened when done (a later Day Zero move doesn't change that), else due."""
        return self.completed_on or self.due_date

    @property
    def calendar_day_label(self) -> str:
        return schedule.day_label(schedule.day_number(self.calendar_date, self.course.day_zero))

    @property
    def window_label(self) -> str:
        """'Day +85 to Day +115', or '' for a one-day window."""
        return schedule.window_label(self.window_start, self.window_end, self.course.day_zero)

    @property
    def phase(self) -> schedule.Phase:
        return self.course.phase_on(self.due_date)

    def status_on(self, today: date) -> schedule.Status:
        return schedule.status_of(
            window_start=self.window_start,
            window_end=self.window_end,
            completed_on=self.completed_on,
            today=today,
            hold=self.hold,
            due_date=self.due_date,
        )

    def complete(self, *, by: User, on: date, today: date) -> None:
        """Mark done on a date (not in the future); the window is not enforced, only shown."""
        if on > today:
            raise ValidationError({"completed_on": "A milestone cannot be done in the future."})
        self.completed_on = on
        self.completed_by = by
        self.completed_at = clock.now()
        self.computed = False
        self._history_user = by
        self.save(update_fields=["completed_on", "completed_by", "completed_at", "computed"])

    def reopen(self, *, by: User) -> None:
        self.completed_on = None
        self.completed_by = None
        self.completed_at = None
        self.computed = False
        self._history_user = by
        self.save(update_fields=["completed_on", "completed_by", "completed_at", "computed"])

    def complete_from_counts(self, *, by: User, on: date) -> None:
        """Done on the engraftment date the blood counts show (marked as computed)."""
        self.completed_on = on
        self.completed_by = by
        self.completed_at = clock.now()
        self.computed = True
        self._history_user = by
        self._change_reason = "Engraftment computed from blood counts"
        self.save(update_fields=["completed_on", "completed_by", "completed_at", "computed"])

    def existing(self) -> schedule.ExistingMilestone:
        return schedule.ExistingMilestone(
            key=self.step.key,
            occurrence=self.occurrence,
            due_date=self.due_date,
            window_start=self.window_start,
            window_end=self.window_end,
            completed_on=self.completed_on,
            moved_from=self.moved_from,
        )


class ChecklistItem(models.Model):
    """A tickable line under a milestone."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    milestone = models.ForeignKey(Milestone, on_delete=models.CASCADE, related_name="items")
    text = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)
    checked_at = models.DateTimeField(null=True, blank=True)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["milestone", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(checked_at__isnull=True, checked_by__isnull=True)
                | Q(checked_at__isnull=False, checked_by__isnull=False),
                name="checklist_tick_has_who",
                violation_error_message="A ticked item records who ticked it.",
            ),
        ]
        permissions = [("tick_checklistitem", "Can tick any checklist item")]

    def __str__(self) -> str:
        return self.text

    @property
    def is_checked(self) -> bool:
        return self.checked_at is not None

    def can_be_ticked_by(self, user: User) -> bool:
        """The care team ticks any item; a patient ticks their own preparation items."""
        if user.has_perm("tracker.tick_checklistitem"):
            return True
        milestone = self.milestone
        return (
            milestone.step.audience == Audience.PATIENT
            and milestone.course.patient.user_id == user.pk
        )

    def set_checked(self, checked: bool, *, by: User) -> None:
        """Tick or untick; ticking an already ticked item keeps who ticked it first."""
        if checked == self.is_checked:
            return
        self.checked_at = clock.now() if checked else None
        self.checked_by = by if checked else None
        self._history_user = by
        self.save(update_fields=["checked_at", "checked_by"])
