"""Protocols, patients, transplant courses and their dated milestones."""

from __future__ import annotations

import re
import secrets
import uuid
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from tracker import schedule


def clinic_today() -> date:
    """Today's date in the clinic's time zone (settings.TIME_ZONE)."""
    return timezone.localdate()


class Kind(models.TextChoices):
    AUTOLOGOUS = "autologous", "Autologous"
    ALLOGENEIC = "allogeneic", "Allogeneic"
    PROCEDURE = "procedure", "Other bone-marrow cell procedure"


class GraftSource(models.TextChoices):
    BONE_MARROW = "bone_marrow", "Bone marrow"
    PBSC = "pbsc", "Peripheral blood stem cells"
    CORD_BLOOD = "cord_blood", "Umbilical cord blood"
    MARROW_CONCENTRATE = "marrow_concentrate", "Bone-marrow cell concentrate"


class DonorType(models.TextChoices):
    SELF = "self", "Self (autologous)"
    MATCHED_SIBLING = "matched_sibling", "Matched sibling"
    MATCHED_UNRELATED = "matched_unrelated", "Matched unrelated"
    MISMATCHED_UNRELATED = "mismatched_unrelated", "Mismatched unrelated"
    HAPLOIDENTICAL = "haploidentical", "Haploidentical"
    CORD = "cord", "Unrelated cord blood"


class Engraftment(models.TextChoices):
    NEUTROPHIL = "neutrophil", "Neutrophil engraftment"
    PLATELET = "platelet", "Platelet engraftment (≥ 20)"


class Audience(models.TextChoices):
    CARE_TEAM = "care_team", "Care team"
    PATIENT = "patient", "Patient"
    BOTH = "both", "Care team and patient"


class ProtocolManager(models.Manager["Protocol"]):
    def get_by_natural_key(self, slug: str) -> Protocol:
        return self.get(slug=slug)


class Protocol(models.Model):
    """A reusable plan, e.g. 'Allogeneic, reduced intensity (Flu/Mel)'."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    graft_source = models.CharField(
        max_length=20, choices=GraftSource.choices, help_text="The usual graft source."
    )
    donor_type = models.CharField(
        max_length=30, choices=DonorType.choices, blank=True, help_text="The usual donor."
    )
    summary = models.TextField(blank=True, help_text="What this protocol is, for the team.")
    is_active = models.BooleanField(default=True, help_text="Offered when starting a course.")
    graft_failure_day = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Alert for primary graft failure when neutrophils have not engrafted by this "
        "day (CIBMTR: Day +30 for marrow or blood stem cells, Day +42 for cord blood). "
        "Empty for procedures without engraftment.",
    )
    history = HistoricalRecords()

    objects = ProtocolManager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)


class ProtocolStepManager(models.Manager["ProtocolStep"]):
    def get_by_natural_key(self, protocol_slug: str, key: str) -> ProtocolStep:
        return self.get(protocol__slug=protocol_slug, key=key)


class ProtocolStep(models.Model):
    """One planned thing in a protocol, anchored on Day Zero in days or calendar months."""

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="steps")
    key = models.SlugField(max_length=60, help_text="Stable name within the protocol.")
    title = models.CharField(max_length=160)
    day = models.IntegerField(
        null=True, blank=True, help_text="Day number (negative before Day Zero)."
    )
    months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Calendar months after Day Zero (instead of a day)."
    )
    window_before = models.PositiveSmallIntegerField(default=0, help_text="Days before due.")
    window_after = models.PositiveSmallIntegerField(default=0, help_text="Days after due.")
    repeat_every_days = models.PositiveSmallIntegerField(null=True, blank=True)
    repeat_until_day = models.IntegerField(null=True, blank=True)
    audience = models.CharField(max_length=20, choices=Audience.choices, default=Audience.BOTH)
    patient_text = models.TextField(blank=True, help_text="Plain words for the patient.")
    checklist = models.TextField(blank=True, help_text="Checklist items, one per line.")
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the same day.")
    engraftment = models.CharField(
        max_length=20,
        choices=Engraftment.choices,
        blank=True,
        help_text="Completed automatically with the engraftment date the blood counts show.",
    )
    is_day_100_evaluation = models.BooleanField(
        "Day-100 evaluation",
        default=False,
        help_text="The Day-100 evaluation the follow-up list tracks (one per protocol).",
    )
    history = HistoricalRecords()

    objects = ProtocolStepManager()

    class Meta:
        ordering = ["protocol", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "key"], name="step_key_unique"),
            models.UniqueConstraint(
                fields=["protocol"],
                condition=Q(is_day_100_evaluation=True),
                name="one_day_100_evaluation_per_protocol",
            ),
            models.UniqueConstraint(
                fields=["protocol", "engraftment"],
                condition=~Q(engraftment=""),
                name="one_engraftment_step_of_each_kind_per_protocol",
            ),
            models.CheckConstraint(
                condition=Q(day__isnull=False, months__isnull=True)
                | Q(day__isnull=True, months__isnull=False),
                name="step_anchored_on_day_or_months",
            ),
            models.CheckConstraint(
                condition=Q(repeat_every_days__isnull=True, repeat_until_day__isnull=True)
                | Q(
                    repeat_every_days__gte=1,
                    repeat_until_day__isnull=False,
                    day__isnull=False,
                    repeat_until_day__gte=models.F("day"),
                ),
                name="step_repeat_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.protocol.slug}: {self.title}"

    def natural_key(self) -> tuple[str, str]:
        return (*self.protocol.natural_key(), self.key)

    natural_key.dependencies = ["tracker.protocol"]

    @property
    def checklist_items(self) -> list[str]:
        return [line.strip() for line in self.checklist.splitlines() if line.strip()]

    def rule(self) -> schedule.StepRule:
        return schedule.StepRule(
            key=self.key,
            day=self.day,
            months=self.months,
            window_before=self.window_before,
            window_after=self.window_after,
            repeat_every_days=self.repeat_every_days,
            repeat_until_day=self.repeat_until_day,
        )

    def clean(self) -> None:
        try:
            self.rule()
        except ValueError as error:
            message = str(error).split(": ", 1)[-1]
            raise ValidationError(message[0].upper() + message[1:] + ".") from None


class PatientQuerySet(models.QuerySet["Patient"]):
    def visible_to(self, user) -> PatientQuerySet:
        """The care team sees every patient; a patient sees only themselves."""
        if not user.is_authenticated:
            return self.none()
        if user.has_perm("tracker.view_patient"):
            return self
        return self.filter(user=user)

    def search(self, text: str) -> PatientQuerySet:
        query = Q()
        for word in text.split():
            query &= (
                Q(mrn__icontains=word)
                | Q(given_name__icontains=word)
                | Q(family_name__icontains=word)
            )
        return self.filter(query)


def normalise_mrn(raw: str) -> str:
    return re.sub(r"\s+", "", raw).upper()


def validate_mrn(value: str) -> None:
    if not re.fullmatch(settings.MRN_PATTERN, value):
        raise ValidationError(f"This is not a valid MRN: {settings.MRN_HELP}")


def validate_not_future(value: date) -> None:
    if value > clinic_today():
        raise ValidationError("The date of birth cannot be in the future.")


class Patient(models.Model):
    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    mrn = models.CharField("MRN", max_length=20, unique=True, validators=[validate_mrn])
    given_name = models.CharField(max_length=80)
    family_name = models.CharField(max_length=80)
    date_of_birth = models.DateField(validators=[validate_not_future])
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="patient",
        help_text="The patient's own portal login, if invited.",
    )
    feed_token = models.CharField(
        max_length=64,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="Secret in the calendar subscription address; empty when revoked.",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    history = HistoricalRecords(excluded_fields=["feed_token"])

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["family_name", "given_name", "mrn"]
        constraints = [
            models.CheckConstraint(condition=~Q(mrn=""), name="patient_mrn_not_empty"),
        ]
        permissions = [
            ("invite_patient", "Can invite a patient to the portal"),
            ("manage_calendar_feed", "Can revoke or renew a patient's calendar feed"),
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.mrn})"

    def get_absolute_url(self) -> str:
        return reverse("patient_detail", args=[self.code])

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def renew_feed_token(self) -> str:
        """A new calendar subscription secret; the old address stops working."""
        self.feed_token = secrets.token_urlsafe(32)
        self.save(update_fields=["feed_token"])
        return self.feed_token

    def revoke_feed_token(self) -> None:
        self.feed_token = None
        self.save(update_fields=["feed_token"])


class CourseQuerySet(models.QuerySet["TransplantCourse"]):
    def visible_to(self, user) -> CourseQuerySet:
        """The care team sees every course; a patient sees only their own."""
        if not user.is_authenticated:
            return self.none()
        if user.has_perm("tracker.view_transplantcourse"):
            return self
        return self.filter(patient__user=user)


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
    day_zero = models.DateField(help_text="The day the cells are infused.")
    day_zero_confirmed = models.BooleanField(
        default=False, help_text="Planned until the infusion is confirmed."
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
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
    history = HistoricalRecords(excluded_fields=["starts_on", "day_100_milestone"])

    objects = CourseQuerySet.as_manager()

    class Meta:
        ordering = ["patient", "sequence"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "sequence"], name="course_sequence_unique_per_patient"
            ),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="course_sequence_from_1"),
        ]
        permissions = [
            ("move_day_zero", "Can move Day Zero"),
            ("confirm_day_zero", "Can confirm the infusion on Day Zero"),
            ("view_course_history", "Can see the change history of a course"),
        ]

    def __str__(self) -> str:
        return f"{self.patient.full_name}: {self.protocol.name} (#{self.sequence})"

    def get_absolute_url(self) -> str:
        return reverse("course_detail", args=[self.code])

    def day_number_on(self, day: date) -> int:
        return schedule.day_number(day, self.day_zero)

    @property
    def today_number(self) -> int:
        return self.day_number_on(clinic_today())

    @property
    def today_label(self) -> str:
        return schedule.day_label(self.today_number)

    @property
    def phase_today(self) -> schedule.Phase:
        return schedule.phase_of(clinic_today(), self.day_zero)

    @property
    def start_date(self) -> date:
        """The first date of the course's plan (the start of conditioning), or Day Zero."""
        return self.starts_on or self.day_zero

    @property
    def first_day(self) -> int:
        """The earliest day number of the course's plan (the start of conditioning)."""
        return self.day_number_on(self.start_date)

    @property
    def sequence_label(self) -> str:
        ordinal = {1: "1st", 2: "2nd", 3: "3rd"}.get(self.sequence, f"{self.sequence}th")
        what = "procedure" if self.kind == Kind.PROCEDURE else "transplant"
        return f"{ordinal} {what}" + (" (tandem)" if self.is_tandem else "")

    def confirm_day_zero(self, *, by, today: date) -> None:
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
    moved_at = models.DateTimeField(default=timezone.now)
    milestones_moved = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-moved_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_date=models.F("to_date")), name="day_zero_move_changes_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course}: {self.from_date} → {self.to_date}"


class MilestoneQuerySet(models.QuerySet["Milestone"]):
    def for_patient(self) -> MilestoneQuerySet:
        """What the patient may see: steps meant for them, never care-team-only steps."""
        return self.filter(step__audience__in=[Audience.PATIENT, Audience.BOTH])

    def pending(self) -> MilestoneQuerySet:
        return self.filter(completed_on__isnull=True)

    def overdue(self, today: date) -> MilestoneQuerySet:
        return self.pending().filter(window_end__lt=today)

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
                fields=["course", "step", "occurrence"], name="milestone_once_per_occurrence"
            ),
            models.CheckConstraint(
                condition=Q(window_start__lte=models.F("due_date"))
                & Q(due_date__lte=models.F("window_end")),
                name="milestone_due_inside_window",
            ),
            models.CheckConstraint(
                condition=Q(completed_on__isnull=True, completed_by__isnull=True)
                | Q(completed_on__isnull=False, completed_by__isnull=False),
                name="milestone_completion_has_who",
            ),
        ]
        permissions = [("complete_milestone", "Can complete and reopen milestones")]

    def __str__(self) -> str:
        return f"{self.title} ({self.due_date})"

    @property
    def title(self) -> str:
        if self.step.repeat_every_days:
            return f"{self.step.title} ({self.occurrence})"
        return self.step.title

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
        if self.window_start == self.window_end:
            return ""
        start = schedule.day_number(self.window_start, self.course.day_zero)
        end = schedule.day_number(self.window_end, self.course.day_zero)
        return f"{schedule.day_label(start)} to {schedule.day_label(end)}"

    @property
    def phase(self) -> schedule.Phase:
        return schedule.phase_of(self.due_date, self.course.day_zero)

    def status_on(self, today: date) -> schedule.Status:
        return schedule.status_of(
            window_start=self.window_start,
            window_end=self.window_end,
            completed_on=self.completed_on,
            today=today,
        )

    @property
    def status(self) -> schedule.Status:
        return self.status_on(clinic_today())

    def complete(self, *, by, on: date, today: date) -> None:
        """Mark done on a date (not in the future); the window is not enforced, only shown."""
        if on > today:
            raise ValidationError({"completed_on": "A milestone cannot be done in the future."})
        self.completed_on = on
        self.completed_by = by
        self.completed_at = timezone.now()
        self.computed = False
        self._history_user = by
        self.save(update_fields=["completed_on", "completed_by", "completed_at", "computed"])

    def reopen(self, *, by) -> None:
        self.completed_on = None
        self.completed_by = None
        self.completed_at = None
        self.computed = False
        self._history_user = by
        self.save(update_fields=["completed_on", "completed_by", "completed_at", "computed"])

    def complete_from_counts(self, *, by, on: date) -> None:
        """Done on the engraftment date the blood counts show (marked as computed)."""
        self.completed_on = on
        self.completed_by = by
        self.completed_at = timezone.now()
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
            ),
        ]
        permissions = [("tick_checklistitem", "Can tick any checklist item")]

    def __str__(self) -> str:
        return self.text

    @property
    def is_checked(self) -> bool:
        return self.checked_at is not None

    def can_be_ticked_by(self, user) -> bool:
        """The care team ticks any item; a patient ticks their own preparation items."""
        if user.has_perm("tracker.tick_checklistitem"):
            return True
        milestone = self.milestone
        return (
            milestone.step.audience == Audience.PATIENT
            and milestone.course.patient.user_id == user.pk
        )

    def set_checked(self, checked: bool, *, by) -> None:
        """Tick or untick; ticking an already ticked item keeps who ticked it first."""
        if checked == self.is_checked:
            return
        self.checked_at = timezone.now() if checked else None
        self.checked_by = by if checked else None
        self._history_user = by
        self.save(update_fields=["checked_at", "checked_by"])


class BloodCount(models.Model):
    """One day's laboratory values for a course, in x 10^9/L, and whether platelets were given.

    Two counts on one date are allowed (a repeat draw); the engraftment rules take the lower.
    """

    ANC_MAX = Decimal("100")
    PLATELETS_MAX = Decimal("2000")

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(
        TransplantCourse, on_delete=models.CASCADE, related_name="blood_counts"
    )
    drawn_on = models.DateField("Date")
    anc = models.DecimalField(
        "ANC (× 10⁹/L)", max_digits=6, decimal_places=2, null=True, blank=True
    )
    platelets = models.DecimalField(
        "Platelets (× 10⁹/L)", max_digits=6, decimal_places=1, null=True, blank=True
    )
    platelet_transfusion = models.BooleanField(
        "Platelets transfused", default=False, help_text="A platelet transfusion that day."
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["drawn_on", "id"]
        indexes = [models.Index(fields=["course", "drawn_on"], name="count_course_date")]
        constraints = [
            models.CheckConstraint(
                condition=Q(anc__isnull=False)
                | Q(platelets__isnull=False)
                | Q(platelet_transfusion=True),
                name="count_has_a_value",
            ),
            models.CheckConstraint(
                condition=Q(anc__isnull=True) | Q(anc__gte=0, anc__lte=100),
                name="count_anc_in_range",
            ),
            models.CheckConstraint(
                condition=Q(platelets__isnull=True) | Q(platelets__gte=0, platelets__lte=2000),
                name="count_platelets_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course}: {self.drawn_on}"
