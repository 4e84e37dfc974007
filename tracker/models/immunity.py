"""Immune recovery on a course: vaccinations given, immunosuppression (drug, start, stop) and
immunoglobulin (IVIG) doses. The live-vaccine gates read them (tracker.rules.immunity)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from tracker import clock
from tracker.models.choices import Vaccine
from tracker.models.courses import TransplantCourse


class Vaccination(models.Model):
    """A dose of a vaccine given, on a date (and the product and batch when known)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(
        TransplantCourse, on_delete=models.CASCADE, related_name="vaccinations"
    )
    vaccine = models.CharField(max_length=20, choices=Vaccine.choices)
    dose = models.PositiveSmallIntegerField("Dose number")
    given_on = models.DateField("Given on")
    product = models.CharField("Product (optional)", max_length=80, blank=True)
    batch = models.CharField("Batch (optional)", max_length=40, blank=True)
    # Why a live vaccine was given while the live-vaccine gates did not pass (a clinician's
    # decision, kept with the dose); empty otherwise.
    gates_overridden = models.CharField(max_length=300, blank=True)
    # The milestone this dose completed (its step gives this vaccine and dose), if any: a
    # dose deleted as entered in error reopens it.
    milestone = models.ForeignKey(
        "Milestone",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(default=clock.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["given_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "vaccine", "dose"],
                name="vaccination_dose_once",
                violation_error_message=(
                    "This dose of this vaccine is already recorded: delete it to record it again."
                ),
            ),
            models.CheckConstraint(
                condition=Q(dose__gte=1, dose__lte=20),
                name="vaccination_dose_1_to_20",
                violation_error_message="A dose number is 1 to 20.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_vaccine_display()} dose {self.dose}, {self.given_on}"


class Immunosuppression(models.Model):
    """A drug that suppresses the immune system, from its start to the day it was stopped
    (empty while it goes on). Maintenance therapy (e.g. lenalidomide) is marked so; the centre
    says whether it counts as immunosuppression for the live-vaccine gates."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(
        TransplantCourse, on_delete=models.CASCADE, related_name="immunosuppression"
    )
    drug = models.CharField(max_length=80)
    started_on = models.DateField("Started on")
    stopped_on = models.DateField("Stopped on", null=True, blank=True)
    maintenance = models.BooleanField("Maintenance therapy (e.g. lenalidomide)", default=False)
    counts = models.BooleanField(
        "Counts as immunosuppression",
        default=True,
        help_text="For the live-vaccine gates (the centre decides for maintenance drugs).",
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(default=clock.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["started_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(stopped_on__isnull=True) | Q(stopped_on__gte=models.F("started_on")),
                name="immunosuppression_stops_after_it_starts",
                violation_error_message="A drug stops on or after the day it started.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.drug} from {self.started_on}"


class IvigDose(models.Model):
    """A dose of intravenous immunoglobulin (IVIG): live vaccines wait 8 months after it."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(
        TransplantCourse, on_delete=models.CASCADE, related_name="ivig_doses"
    )
    given_on = models.DateField("Given on")
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(default=clock.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["given_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "given_on"],
                name="ivig_once_a_day",
                violation_error_message="An IVIG dose on this date is already recorded.",
            ),
        ]

    def __str__(self) -> str:
        return f"IVIG {self.given_on}"
