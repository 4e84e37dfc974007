"""Course events: every clinical change, written once by the service that makes it.

Append-only: a row is never edited or deleted by the app. The History page, and later caches
and reminders, read these rows instead of reconstructing sentences from the field-level
history tables (django-simple-history stays as that trail, admin edits included).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from tracker import clock
from tracker.models.courses import TransplantCourse
from tracker.models.patients import Patient


class EventKind(models.TextChoices):
    COURSE_STARTED = "course_started", "Course started"
    COURSE_SUPERSEDED = "course_superseded", "Superseded by a later transplant"
    COURSE_ENDED = "course_ended", "Course ended"
    COURSE_REOPENED = "course_reopened", "Course reopened"
    CAUGHT_UP = "caught_up", "Earlier milestones recorded"
    INFUSION_ADDED = "infusion_added", "Infusion recorded"
    INFUSION_DELETED = "infusion_deleted", "Infusion deleted"
    DAY_ZERO_MOVED = "day_zero_moved", "Day Zero moved"
    DAY_ZERO_CONFIRMED = "day_zero_confirmed", "Infusion confirmed"
    MILESTONE_DONE = "milestone_done", "Milestone done"
    MILESTONE_REOPENED = "milestone_reopened", "Milestone reopened"
    MILESTONE_COMPUTED = "milestone_computed", "Engraftment computed"
    MILESTONE_REPLANNED = "milestone_replanned", "Milestone re-planned"
    ITEM_TICKED = "item_ticked", "Checklist item ticked"
    ITEM_UNTICKED = "item_unticked", "Checklist item unticked"
    COUNT_ADDED = "count_added", "Blood count added"
    COUNT_CORRECTED = "count_corrected", "Blood count corrected"
    COUNT_DELETED = "count_deleted", "Blood count deleted"
    RESULT_ADDED = "result_added", "Lab result added"
    RESULT_DELETED = "result_deleted", "Lab result deleted"
    ACUTE_GVHD_ADDED = "acute_gvhd_added", "Acute GVHD assessed"
    ACUTE_GVHD_CORRECTED = "acute_gvhd_corrected", "Acute GVHD assessment corrected"
    ACUTE_GVHD_DELETED = "acute_gvhd_deleted", "Acute GVHD assessment deleted"
    CHRONIC_GVHD_DIAGNOSED = "chronic_gvhd_diagnosed", "Chronic GVHD diagnosed"
    CHRONIC_GVHD_ASSESSED = "chronic_gvhd_assessed", "Chronic GVHD scored"
    CHRONIC_GVHD_SCORE_DELETED = "chronic_gvhd_score_deleted", "Chronic GVHD scoring deleted"
    CHRONIC_GVHD_RESOLVED = "chronic_gvhd_resolved", "Chronic GVHD resolved"
    CHRONIC_GVHD_REOPENED = "chronic_gvhd_reopened", "Chronic GVHD resolution undone"
    VACCINATION_ADDED = "vaccination_added", "Vaccination recorded"
    VACCINATION_DELETED = "vaccination_deleted", "Vaccination deleted"
    IMMUNOSUPPRESSION_STARTED = "immunosuppression_started", "Immunosuppression recorded"
    IMMUNOSUPPRESSION_STOPPED = "immunosuppression_stopped", "Immunosuppression stopped"
    IMMUNOSUPPRESSION_DELETED = "immunosuppression_deleted", "Immunosuppression deleted"
    IVIG_ADDED = "ivig_added", "IVIG dose recorded"
    IVIG_DELETED = "ivig_deleted", "IVIG dose deleted"
    LETERMOVIR_EXTENDED = "letermovir_extended", "Letermovir stop changed"
    IRRADIATION_CHANGED = "irradiation_changed", "Irradiated blood details changed"
    PORTAL_INVITED = "portal_invited", "Portal invitation"
    REMINDERS_CHANGED = "reminders_changed", "E-mail reminders turned on or off"
    FEED_RENEWED = "feed_renewed", "Calendar address renewed"
    FEED_REVOKED = "feed_revoked", "Calendar subscription turned off"
    PATIENT_CHANGED = "patient_changed", "Patient details changed"
    REGISTRY_DETAILS_CHANGED = "registry_details_changed", "Transplant details changed"
    REGISTRY_FORM_CHANGED = "registry_form_changed", "Registry form status changed"
    REGISTRY_FORMS_CLOSED = "registry_forms_closed", "Registry forms closed or reopened"
    FHIR_EXPORTED = "fhir_exported", "Exported as FHIR"


class CourseEventQuerySet(models.QuerySet["CourseEvent"]):
    def for_course(self, course: TransplantCourse) -> CourseEventQuerySet:
        """The course's own events and its patient's (invitations, calendar), newest first."""
        return self.filter(
            Q(course=course) | Q(course__isnull=True, patient_id=course.patient_id)
        ).order_by("-at", "-id")


class CourseEvent(models.Model):
    """One clinical change: who, when, what, and the data needed to show it."""

    code = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="events")
    # Empty for what concerns the patient rather than one course (portal, calendar address).
    course = models.ForeignKey(
        TransplantCourse,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
    )
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    at = models.DateTimeField(default=clock.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The name at the time, so the record reads the same if the login is renamed or removed.
    by_name = models.CharField(max_length=150, blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = CourseEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["course", "-at"], name="event_course_at"),
            models.Index(fields=["patient", "-at"], name="event_patient_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.at:%Y-%m-%d %H:%M})"


def person(user: Any) -> str:
    """Who made a change: full name, else username; "system" when nobody was logged in."""
    if user is None:
        return "system"
    return str(user.get_full_name() or user.get_username())


def event(
    kind: EventKind,
    *,
    by: Any,
    course: TransplantCourse | None = None,
    patient: Patient | None = None,
    **data: Any,
) -> CourseEvent:
    """An unsaved event (for bulk writes); `record` saves one."""
    if patient is None:
        if course is None:
            raise ValueError("An event belongs to a course or a patient.")
        patient_id = course.patient_id
    else:
        patient_id = patient.pk
    return CourseEvent(
        patient_id=patient_id,
        course=course,
        kind=kind,
        at=clock.now(),
        by=by,
        by_name=person(by),
        data=data,
    )


def record(
    kind: EventKind,
    *,
    by: Any,
    course: TransplantCourse | None = None,
    patient: Patient | None = None,
    **data: Any,
) -> CourseEvent:
    """Write one event now (call it inside the service's transaction)."""
    row = event(kind, by=by, course=course, patient=patient, **data)
    row.save()
    return row
