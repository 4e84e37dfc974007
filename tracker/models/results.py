"""Laboratory results on a course besides blood counts: chimerism, CMV PCR, CD4, IgG."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from tracker import clock
from tracker.models.choices import ANALYTE_CHOICES
from tracker.models.courses import TransplantCourse
from tracker.rules import lab_results


class LabResult(models.Model):
    """One result: its date, what was measured, the value in the analyte's own unit (IgG in
    g/L, chimerism in % donor), or "not detected" for a CMV PCR below detection."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(
        TransplantCourse, on_delete=models.CASCADE, related_name="lab_results"
    )
    drawn_on = models.DateField("Date")
    analyte = models.CharField("Test", max_length=30, choices=ANALYTE_CHOICES)
    value = models.DecimalField(max_digits=13, decimal_places=2, null=True, blank=True)
    undetected = models.BooleanField("Not detected", default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(default=clock.now)
    history = HistoricalRecords()

    class Meta:
        ordering = ["drawn_on", "id"]
        indexes = [models.Index(fields=["course", "analyte", "drawn_on"], name="lab_course_test")]
        constraints = [
            models.CheckConstraint(
                condition=Q(value__isnull=False, undetected=False)
                | Q(value__isnull=True, undetected=True, analyte=lab_results.Analyte.CMV_PCR),
                name="lab_result_has_a_value",
                violation_error_message="Enter a value (a CMV PCR may be “not detected”).",
            ),
            models.CheckConstraint(
                condition=Q(value__isnull=True) | Q(value__gte=0),
                name="lab_result_not_negative",
                violation_error_message="A result cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_analyte_display()} {self.drawn_on}: {self.shown}"

    @property
    def spec(self) -> lab_results.Spec:
        return lab_results.SPECS[lab_results.Analyte(self.analyte)]

    @property
    def shown(self) -> str:
        """'8.2 g/L', '98.5 % donor', 'not detected'."""
        if self.undetected or self.value is None:
            return "not detected"
        return f"{format(self.value.normalize(), 'f')} {self.spec.unit}"
