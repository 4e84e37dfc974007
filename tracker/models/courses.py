"""Transplant courses (one transplant or procedure of one patient) and Day Zero moves."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

from tracker import clock
from tracker.models.choices import (
    CmvSerostatus,
    DiseaseStatus,
    DonorRelation,
    DonorType,
    EndReason,
    FollowReason,
    GraftSource,
    HlaMatch,
    Indication,
    InfusionKind,
    Kind,
)
from tracker.models.patients import Patient
from tracker.models.protocols import Protocol
from tracker.rules import schedule

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


class CourseQuerySet(models.QuerySet["TransplantCourse"]):
    def visible_to(self, user: User | AnonymousUser) -> CourseQuerySet:
        """The care team sees every course; a patient sees only their own."""
        if not user.is_authenticated:
            return self.none()
        if user.has_perm("tracker.view_transplantcourse"):
            return self
        return self.filter(patient__user=user)


# What the services keep on a course for the follow-up list (not clinical data of its own:
# no history rows).
PLAN_BOOKKEEPING = [
    "starts_on",
    "day_100_milestone",
    "day_100_due",
    "day_100_window_start",
    "day_100_window_end",
    "day_100_done_on",
]
GVHD_BOOKKEEPING = [
    "gvhd_acute_grade",
    "gvhd_acute_peak",
    "gvhd_chronic",
    "gvhd_chronic_resolved_on",
]
BOOKKEEPING = PLAN_BOOKKEEPING + GVHD_BOOKKEEPING


class TransplantCourse(models.Model):
    """One transplant (or same-day procedure) of one patient, hanging off Day Zero."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="courses")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="courses")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    graft_source = models.CharField(max_length=20, choices=GraftSource.choices)
    donor_type = models.CharField(max_length=30, choices=DonorType.choices, blank=True)
    sequence = models.PositiveSmallIntegerField(
        default=1, help_text="1 for the first transplant, 2 for the second, ..."
    )
    is_tandem = models.BooleanField(default=False, help_text="Part of a planned tandem.")
    follows = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="followed_by",
        editable=False,
        help_text="The earlier transplant this one follows (a subsequent transplant).",
    )
    follow_reason = models.CharField(
        max_length=20, choices=FollowReason.choices, blank=True, editable=False
    )
    # A later transplant closed this course's plan from its conditioning on: the day before
    # (the registry's contact date for this course's open form).
    superseded_on = models.DateField(null=True, blank=True, editable=False)
    # The course ended (death, relapse, transfer, follow-up completed, lost): from the day
    # after, its plan is closed (tracker.services.courses.end_course).
    ended_on = models.DateField(null=True, blank=True, editable=False)
    end_reason = models.CharField(
        max_length=20, choices=EndReason.choices, blank=True, editable=False
    )
    end_note = models.CharField(max_length=300, blank=True, editable=False)
    # What the registry and the team need to know about the transplant (entered on the
    # course page; tracker.services.registry.record_registry_details).
    indication = models.CharField(
        "Primary disease", max_length=20, choices=Indication.choices, blank=True
    )
    disease_status = models.CharField(
        "Disease status at transplant", max_length=20, choices=DiseaseStatus.choices, blank=True
    )
    donor_relation = models.CharField(
        "Donor", max_length=20, choices=DonorRelation.choices, blank=True
    )
    hla_match = models.CharField("HLA match", max_length=20, choices=HlaMatch.choices, blank=True)
    donor_cmv = models.CharField(
        "Donor CMV serostatus", max_length=10, choices=CmvSerostatus.choices, blank=True
    )
    recipient_cmv = models.CharField(
        "Recipient CMV serostatus", max_length=10, choices=CmvSerostatus.choices, blank=True
    )
    cord_units = models.PositiveSmallIntegerField("Cord blood units", null=True, blank=True)
    day_zero = models.DateField(help_text="The day the cells are infused.")
    day_zero_confirmed = models.BooleanField(
        default=False, help_text="Planned until the infusion is confirmed."
    )
    created_at = models.DateTimeField(default=clock.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Kept by the services that plan and re-plan a course, so the follow-up list can filter
    # 10,000 courses on plain columns instead of a subquery per course.
    starts_on = models.DateField(
        null=True, blank=True, editable=False, help_text="The first date of the plan."
    )
    day_100_milestone = models.ForeignKey(
        "Milestone",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # The Day-100 milestone's dates, copied by the services that plan, re-plan, complete or
    # reopen it (under the course lock): the list filters on them without joining a table of
    # half a million milestones, which PostgreSQL did by reading all of it.
    day_100_due = models.DateField(null=True, blank=True, editable=False)
    day_100_window_start = models.DateField(null=True, blank=True, editable=False)
    day_100_window_end = models.DateField(null=True, blank=True, editable=False)
    day_100_done_on = models.DateField(null=True, blank=True, editable=False)
    # The GVHD now, kept by the GVHD services (allogeneic courses): the latest acute grade
    # and the worst so far (None before any assessment), the severity of active chronic GVHD
    # ("" when none is active), and the day the last chronic GVHD resolved.
    gvhd_acute_grade = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    gvhd_acute_peak = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    gvhd_chronic = models.CharField(max_length=10, blank=True, editable=False)
    gvhd_chronic_resolved_on = models.DateField(null=True, blank=True, editable=False)
    harvest_date = models.DateField(
        "Stem cell harvest",
        null=True,
        blank=True,
        help_text="Autologous: irradiated blood components from 14 days before it (BSH 2020).",
    )
    hodgkin_lymphoma = models.BooleanField(
        "Hodgkin lymphoma",
        default=False,
        help_text="Irradiated blood components for life (BSH 2020).",
    )
    letermovir_extended = models.BooleanField(
        "Letermovir extended to Day +200",
        default=False,
        editable=False,
        help_text="High CMV risk: letermovir prophylaxis to Day +200, not Day +100 (FDA 2023).",
    )
    history = HistoricalRecords(excluded_fields=BOOKKEEPING)

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "sequence"]
        indexes = [
            # Who is on the follow-up list, read from the index alone on SQLite (a third of
            # the width of the course rows it would otherwise read, all 10,000 of them).
            models.Index(
                fields=["day_zero", "starts_on", "day_100_due", "day_100_done_on"],
                name="course_follow_up_scope",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "sequence"],
                name="course_sequence_unique_per_patient",
                violation_error_message="This patient already has a course with this number.",
            ),
            models.CheckConstraint(
                condition=Q(sequence__gte=1),
                name="course_sequence_from_1",
                violation_error_message="A course number starts at 1.",
            ),
        ]
        permissions = [
            ("move_day_zero", "Can move Day Zero"),
            ("confirm_day_zero", "Can confirm the infusion on Day Zero"),
            ("view_course_history", "Can see the change history of a course"),
            ("stage_gvhd", "Can record and stage GVHD"),
            (
                "record_immune_recovery",
                "Can record vaccinations, immunosuppression and immunoglobulin",
            ),
            ("end_course", "Can end and reopen a course"),
            ("export_fhir", "Can export a course as FHIR R4"),
        ]

    def __str__(self) -> str:
        return f"{self.patient.full_name}: {self.protocol.name} (#{self.sequence})"

    def get_absolute_url(self) -> str:
        return reverse("course_detail", args=[self.code])

    def day_number_on(self, day: date) -> int:
        return schedule.day_number(day, self.day_zero)

    def day_label_on(self, day: date) -> str:
        """'Day +12' for a date."""
        return schedule.day_label(self.day_number_on(day))

    @property
    def phase_scheme(self) -> schedule.PhaseScheme:
        """The phases the course is told in: its protocol's."""
        return self.protocol.phase_scheme

    def phase_on(self, day: date) -> schedule.Phase:
        return schedule.phase_of(day, self.day_zero, self.phase_scheme)

    def current_phase(self, today: date) -> schedule.Phase | None:
        return schedule.current_phase(
            self.day_zero, today, first_day=self.first_day, scheme=self.phase_scheme
        )

    @property
    def start_date(self) -> date:
        """The first date of the course's plan (the start of conditioning), or Day Zero."""
        return self.starts_on or self.day_zero

    @property
    def first_day(self) -> int:
        """The earliest day number of the course's plan (the start of conditioning)."""
        return self.day_number_on(self.start_date)

    @property
    def has_gvhd(self) -> bool:
        """GVHD is tracked on allogeneic courses only."""
        return self.kind == Kind.ALLOGENEIC

    @property
    def is_transplant(self) -> bool:
        """A stem cell transplant (allogeneic or autologous), not a same-day procedure."""
        return self.kind != Kind.PROCEDURE

    @property
    def superseded_from(self) -> date | None:
        """The first day the later transplant's plan covers (its conditioning starts)."""
        return self.superseded_on + timedelta(days=1) if self.superseded_on else None

    @property
    def is_open(self) -> bool:
        """Neither ended nor superseded by a later transplant: followed on the lists."""
        return self.ended_on is None and self.superseded_on is None

    @property
    def sequence_label(self) -> str:
        ordinal = {1: "1st", 2: "2nd", 3: "3rd"}.get(self.sequence, f"{self.sequence}th")
        what = "procedure" if self.kind == Kind.PROCEDURE else "transplant"
        return f"{ordinal} {what}" + (" (tandem)" if self.is_tandem else "")

    def confirm_day_zero(self, *, by: User, today: date) -> None:
        """Record that the infusion happened on Day Zero."""
        if self.day_zero > today:
            raise ValidationError("Day Zero is in the future; confirm it on or after the day.")
        self.day_zero_confirmed = True
        self._history_user = by
        self.save(update_fields=["day_zero_confirmed"])


class DayZeroMove(models.Model):
    """Day Zero moved: from, to, who, when and why. Never edited, never deleted."""

    course = models.ForeignKey(
        TransplantCourse, on_delete=models.CASCADE, related_name="day_zero_moves"
    )
    from_date = models.DateField()
    to_date = models.DateField()
    reason = models.CharField(max_length=200, blank=True)
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    moved_at = models.DateTimeField(default=clock.now)
    milestones_moved = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-moved_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_date=models.F("to_date")),
                name="day_zero_move_changes_date",
                violation_error_message="That is already Day Zero; choose another date.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course}: {self.from_date} → {self.to_date}"


class Infusion(models.Model):
    """Cells given after Day Zero that do not start a new course: an autologous rescue, a
    donor lymphocyte infusion, a boost, a second cord unit, the second day of a two-day
    infusion (CLINICAL.md section 9). Day Zero stays the first infusion day; nothing
    re-plans."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(TransplantCourse, on_delete=models.CASCADE, related_name="infusions")
    kind = models.CharField(max_length=30, choices=InfusionKind.choices)
    given_on = models.DateField("Given on")
    note = models.CharField("Note (optional)", max_length=300, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(default=clock.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["given_on", "id"]
        permissions = [("record_infusion", "Can record and delete extra infusions")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}, {self.given_on}"
