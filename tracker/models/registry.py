"""A course's registry forms (CIBMTR): their dates from tracker.rules.registry, their status
changed by the care team (tracker.services.registry)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from tracker.models.choices import OPEN_FORM_STATUSES, FormStatus
from tracker.models.courses import TransplantCourse
from tracker.rules import registry as rules


class RegistryReport(models.Model):
    """One registry form of one course: its target, window and due dates (kept by the
    services when Day Zero moves), its status, and, for the form that reports a course's last
    contact (a death, a later transplant), that contact date."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(
        TransplantCourse, on_delete=models.CASCADE, related_name="registry_reports"
    )
    key = models.CharField(max_length=10)
    position = models.PositiveSmallIntegerField()
    target = models.DateField()
    window_start = models.DateField(null=True, blank=True)
    window_end = models.DateField(null=True, blank=True)
    due = models.DateField()
    status = models.CharField(
        max_length=20, choices=FormStatus.choices, default=FormStatus.NOT_STARTED
    )
    submitted_on = models.DateField(null=True, blank=True)
    # Set by the course's end or a later transplant (not by hand): the form that reports the
    # last contact has its date; those after it are not required. Undone when that is undone.
    last_contact_on = models.DateField(null=True, blank=True)
    closed_by_course = models.BooleanField(default=False)
    changed_at = models.DateTimeField(null=True, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["course", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "key"],
                name="one_registry_form_per_key",
                violation_error_message="This course has this registry form already.",
            ),
            models.CheckConstraint(
                condition=Q(status=FormStatus.SUBMITTED, submitted_on__isnull=False)
                | (~Q(status=FormStatus.SUBMITTED) & Q(submitted_on__isnull=True)),
                name="registry_submitted_with_its_date",
                violation_error_message="A submitted form has its submission date, and only it.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "due"], name="registry_worklist"),
        ]
        permissions = [("change_registry_status", "Can change registry form status")]

    def __str__(self) -> str:
        return f"{self.course}: {self.title}"

    @property
    def form(self) -> rules.RegistryForm:
        return rules.RegistryForm(
            key=self.key,
            title=rules.title_of(self.key),
            day_zero=self.course.day_zero,
            target=self.target,
            window_start=self.window_start,
            window_end=self.window_end,
            due=self.due,
        )

    @property
    def title(self) -> str:
        return rules.title_of(self.key)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_FORM_STATUSES
