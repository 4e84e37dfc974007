"""Blood counts: one day's ANC and platelets for a course, and platelet transfusions."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from tracker import clock
from tracker.models.courses import TransplantCourse


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
    anc_manual = models.BooleanField(
        "ANC from a manual differential",
        default=False,
        help_text="CIBMTR: an automated ANC of exactly 0.5 counts only once confirmed manually.",
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
    entered_at = models.DateTimeField(default=clock.now)
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
                violation_error_message="Enter an ANC, a platelet count, or mark a transfusion.",
            ),
            models.CheckConstraint(
                condition=Q(anc__isnull=True) | Q(anc__gte=0, anc__lte=100),
                name="count_anc_in_range",
                violation_error_message="The ANC must be between 0 and 100 × 10⁹/L.",
            ),
            models.CheckConstraint(
                condition=Q(platelets__isnull=True) | Q(platelets__gte=0, platelets__lte=2000),
                name="count_platelets_in_range",
                violation_error_message="The platelet count must be between 0 and 2000 × 10⁹/L.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.course}: {self.drawn_on}"
