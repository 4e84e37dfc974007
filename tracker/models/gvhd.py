"""GVHD on an allogeneic course: acute assessments (MAGIC) and chronic GVHD (NIH).

What was measured is kept as entered; the stages, grade and severity are the rules' reading of
it (tracker.rules.gvhd), written by the services beside the values so lists can filter on them.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from tracker import clock
from tracker.models.courses import TransplantCourse
from tracker.rules import gvhd


class BilirubinUnit(models.TextChoices):
    MG_DL = gvhd.MG_DL, "mg/dL"
    UMOL_L = gvhd.UMOL_L, "µmol/L"


class Severity(models.TextChoices):
    NONE = "none", "None"
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class AcuteGvhdAssessment(models.Model):
    """One acute GVHD assessment: the measured values of a day and their MAGIC stages."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(
        TransplantCourse, on_delete=models.CASCADE, related_name="acute_gvhd"
    )
    assessed_on = models.DateField("Date")
    bsa_percent = models.DecimalField(
        "Rash (% body surface)", max_digits=4, decimal_places=1, default=0
    )
    bullae_desquamation = models.BooleanField("Bullae and desquamation", default=False)
    bilirubin = models.DecimalField("Bilirubin", max_digits=6, decimal_places=2)
    bilirubin_unit = models.CharField(
        "Unit", max_length=10, choices=BilirubinUnit.choices, default=BilirubinUnit.MG_DL
    )
    persistent_nausea = models.BooleanField(
        "Persistent nausea, vomiting or anorexia", default=False
    )
    stool_ml_per_day = models.PositiveIntegerField(
        "Stool (mL a day, 3-day average)", null=True, blank=True
    )
    stool_mixed_with_urine = models.BooleanField("Stool mixed with urine", default=False)
    stool_episodes_per_day = models.DecimalField(
        "Stool episodes a day", max_digits=4, decimal_places=1, null=True, blank=True
    )
    severe_pain_or_ileus = models.BooleanField("Severe abdominal pain or ileus", default=False)
    grossly_bloody_stool = models.BooleanField("Grossly bloody stool", default=False)
    note = models.CharField(max_length=300, blank=True)
    # The rules' reading of the values (tracker.rules.gvhd), written by the services.
    skin_stage = models.PositiveSmallIntegerField(editable=False)
    liver_stage = models.PositiveSmallIntegerField(editable=False)
    upper_gi_stage = models.PositiveSmallIntegerField(editable=False)
    lower_gi_stage = models.PositiveSmallIntegerField(editable=False)
    grade = models.PositiveSmallIntegerField(editable=False)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(default=clock.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["assessed_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "assessed_on"],
                name="acute_gvhd_one_per_day",
                violation_error_message=(
                    "There is already an assessment on this date: correct that one instead."
                ),
            ),
            models.CheckConstraint(
                condition=Q(bsa_percent__gte=0, bsa_percent__lte=100),
                name="acute_gvhd_bsa_in_range",
                violation_error_message="The rash covers 0 to 100 %% of the body surface.",
            ),
            models.CheckConstraint(
                condition=Q(bilirubin__gte=0),
                name="acute_gvhd_bilirubin_not_negative",
                violation_error_message="Bilirubin cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(stool_episodes_per_day__isnull=True) | Q(stool_episodes_per_day__gte=0),
                name="acute_gvhd_episodes_not_negative",
                violation_error_message="The number of episodes cannot be negative.",
            ),
            models.CheckConstraint(
                condition=Q(stool_ml_per_day__isnull=False)
                | Q(stool_episodes_per_day__isnull=False)
                | Q(severe_pain_or_ileus=True)
                | Q(grossly_bloody_stool=True),
                name="acute_gvhd_lower_gi_measured",
                violation_error_message=(
                    "Enter the stool volume or the number of episodes a day (0 if none)."
                ),
            ),
            models.CheckConstraint(
                condition=Q(
                    skin_stage__lte=4,
                    liver_stage__lte=4,
                    upper_gi_stage__lte=1,
                    lower_gi_stage__lte=4,
                    grade__lte=4,
                ),
                name="acute_gvhd_stages_in_range",
                violation_error_message="A stage is out of its organ's range.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course}: acute GVHD {self.assessed_on}, grade {self.grade}"

    @property
    def stages(self) -> gvhd.OrganStages:
        return gvhd.OrganStages(
            self.skin_stage, self.liver_stage, self.upper_gi_stage, self.lower_gi_stage
        )

    def readings(self) -> dict[str, gvhd.Stage]:
        """Each organ's stage from the values, with its reason (the rules, now)."""
        return {
            "skin": gvhd.skin_stage(
                bsa_percent=self.bsa_percent, bullae_desquamation=self.bullae_desquamation
            ),
            "liver": gvhd.liver_stage(
                bilirubin_mg_dl=gvhd.bilirubin_mg_dl(self.bilirubin, self.bilirubin_unit)
            ),
            "upper_gi": gvhd.upper_gi_stage(
                persistent_nausea_vomiting_anorexia=self.persistent_nausea
            ),
            "lower_gi": gvhd.lower_gi_stage(
                stool_ml_per_day=None
                if self.stool_ml_per_day is None
                else gvhd.counted_stool_ml(
                    self.stool_ml_per_day, mixed_with_urine=self.stool_mixed_with_urine
                ),
                episodes_per_day=self.stool_episodes_per_day,
                severe_pain_or_ileus=self.severe_pain_or_ileus,
                grossly_bloody_stool=self.grossly_bloody_stool,
            ),
        }

    def stage(self) -> gvhd.Grade:
        """Read the stages and the grade from the values (call before saving); values the
        rules cannot read (missing, out of range) are a ValidationError in their words."""
        try:
            readings = self.readings()
        except ValueError as error:
            raise ValidationError(str(error)) from None
        self.skin_stage = readings["skin"]
        self.liver_stage = readings["liver"]
        self.upper_gi_stage = readings["upper_gi"]
        self.lower_gi_stage = readings["lower_gi"]
        grade = gvhd.grade_of(self.stages)
        self.grade = int(grade)
        return grade

    @property
    def bilirubin_shown(self) -> str:
        """'3.5 mg/dL'; '60 µmol/L (3.51 mg/dL)': the value staged is in mg/dL."""
        text = f"{gvhd.shown(self.bilirubin)} {self.bilirubin_unit}"
        if self.bilirubin_unit == BilirubinUnit.UMOL_L:
            mg_dl = gvhd.bilirubin_mg_dl(self.bilirubin, self.bilirubin_unit)
            text += f" ({gvhd.shown(mg_dl.quantize(Decimal('0.01')))} mg/dL)"
        return text


class ChronicGvhd(models.Model):
    """One episode of chronic GVHD: from its diagnosis until the clinician records it
    resolved. Active chronic GVHD blocks live vaccines (CLINICAL.md section 5)."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(
        TransplantCourse, on_delete=models.CASCADE, related_name="chronic_gvhd"
    )
    diagnosed_on = models.DateField("Diagnosed on")
    resolved_on = models.DateField("Resolved on", null=True, blank=True)
    diagnosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["diagnosed_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True) | Q(resolved_on__gt=models.F("diagnosed_on")),
                name="chronic_gvhd_resolved_after_diagnosis",
                violation_error_message="Chronic GVHD resolves after the day it was diagnosed.",
            ),
            models.UniqueConstraint(
                fields=["course"],
                condition=Q(resolved_on__isnull=True),
                name="chronic_gvhd_one_active_per_course",
                violation_error_message=(
                    "This course already has active chronic GVHD: reassess it instead."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course}: chronic GVHD from {self.diagnosed_on}"

    def active_on(self, day: date) -> bool:
        """Active from the day of diagnosis until (not on) the day it resolved."""
        return self.diagnosed_on <= day and (self.resolved_on is None or day < self.resolved_on)


class ChronicGvhdAssessment(models.Model):
    """NIH organ scores (0-3) of chronic GVHD on a date, and the global severity."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    episode = models.ForeignKey(ChronicGvhd, on_delete=models.CASCADE, related_name="assessments")
    assessed_on = models.DateField("Date")
    skin = models.PositiveSmallIntegerField("Skin", default=0)
    mouth = models.PositiveSmallIntegerField("Mouth", default=0)
    eyes = models.PositiveSmallIntegerField("Eyes", default=0)
    gi_tract = models.PositiveSmallIntegerField("GI tract", default=0)
    liver = models.PositiveSmallIntegerField("Liver", default=0)
    lungs = models.PositiveSmallIntegerField("Lungs", default=0)
    joints_fascia = models.PositiveSmallIntegerField("Joints and fascia", default=0)
    genital_tract = models.PositiveSmallIntegerField("Genital tract", default=0)
    severity = models.CharField(max_length=10, choices=Severity.choices, editable=False)
    note = models.CharField(max_length=300, blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(default=clock.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["assessed_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "assessed_on"],
                name="chronic_gvhd_one_score_per_day",
                violation_error_message=(
                    "There is already a scoring on this date: delete it and score again."
                ),
            ),
            models.CheckConstraint(
                condition=Q(
                    skin__lte=3,
                    mouth__lte=3,
                    eyes__lte=3,
                    gi_tract__lte=3,
                    liver__lte=3,
                    lungs__lte=3,
                    joints_fascia__lte=3,
                    genital_tract__lte=3,
                ),
                name="chronic_gvhd_scores_0_to_3",
                violation_error_message="Each organ is scored 0, 1, 2 or 3.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.episode}: {self.assessed_on}, {self.severity}"

    @property
    def scores(self) -> dict[str, int]:
        return {organ: getattr(self, organ) for organ in gvhd.NIH_ORGANS}

    def score(self) -> gvhd.Severity:
        """Read the global severity from the organ scores (call before saving)."""
        try:
            severity = gvhd.nih_global_severity(self.scores)
        except ValueError as error:
            raise ValidationError(str(error)) from None
        self.severity = str(severity)
        return severity
