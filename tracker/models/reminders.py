"""Reminders: one row for each e-mail reminder, made by the sweep before anything is sent
(tracker.services.reminders), so a re-run, a retry or two workers never send twice; and who
asked for the staff morning digest. A patient's own opt-in is a field of the patient."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from tracker import clock
from tracker.models.milestones import Milestone
from tracker.models.patients import Patient


class ReminderKind(models.TextChoices):
    DAY_BEFORE = "day_before", "The day before"
    DIGEST = "digest", "Morning digest"


class ReminderStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to be sent"
    SENDING = "sending", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Not sent"
    CANCELLED = "cancelled", "Cancelled"


# Not sent yet, and may still be: what a cancellation closes.
WAITING_STATUSES = (ReminderStatus.QUEUED, ReminderStatus.FAILED)


class Reminder(models.Model):
    """One reminder to one person about one thing on one day.

    `day` is the day it is about: the milestone's due date (the reminder goes out the day
    before), or the digest's day. At most one row per (recipient, milestone, kind, day), by the
    two constraints below (a digest has no milestone, and NULLs are never equal in SQL).
    """

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, null=True, blank=True, related_name="reminders"
    )
    milestone = models.ForeignKey(
        Milestone, on_delete=models.CASCADE, null=True, blank=True, related_name="reminders"
    )
    kind = models.CharField(max_length=20, choices=ReminderKind.choices)
    day = models.DateField()
    status = models.CharField(
        max_length=20, choices=ReminderStatus.choices, default=ReminderStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The worker that took the row to send it (so two workers never both send it).
    claim = models.UUIDField(null=True, blank=True, editable=False)
    # Why it was not sent, cancelled or failed: never clinical details.
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    changed_at = models.DateTimeField(default=clock.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-day", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "milestone", "kind", "day"],
                condition=Q(milestone__isnull=False),
                name="reminder_once_per_milestone_and_day",
                violation_error_message="This reminder has been made already.",
            ),
            models.UniqueConstraint(
                fields=["recipient", "kind", "day"],
                condition=Q(milestone__isnull=True),
                name="reminder_once_a_day",
                violation_error_message="This morning e-mail has been made already.",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="reminder_to_send"),
            models.Index(fields=["patient", "-day"], name="reminder_by_patient"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.day} to {self.recipient_id}: {self.status}"

    @property
    def status_words(self) -> str:
        """'Sent', 'Failed, tried 2 times; next try 14:05', 'Not sent: no e-mail address'."""
        words = self.get_status_display()
        if self.status == ReminderStatus.FAILED:
            tries = f"tried {self.attempts} time{'s' if self.attempts != 1 else ''}"
            words = f"{words}, {tries}"
            if self.next_attempt_at is None:
                words += "; no more tries"
        if self.note:
            words += f": {self.note}"
        return words


class MorningDigest(models.Model):
    """A member of staff who asked for the morning e-mail of their Today page's counts."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="morning_digest"
    )
    since = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"Morning digest for {self.user_id}"
