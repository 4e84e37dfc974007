"""Scoped lookups: every clinical object a view touches is fetched through the user.

An object the user may not see is a 404, whether or not it exists; an action the user may not
take on an object they can see is a 403. So views look up first, then check the permission.
"""

from __future__ import annotations

from uuid import UUID

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from tracker.models import BloodCount, ChecklistItem, Milestone, Patient, TransplantCourse


def get_patient_for(user, code: UUID) -> Patient:
    return get_object_or_404(Patient.objects.visible_to(user), code=code)


def get_course_for(user, code: UUID) -> TransplantCourse:
    courses = TransplantCourse.objects.visible_to(user).select_related("patient", "protocol")
    return get_object_or_404(courses, code=code)


def get_milestone_for(user, code: UUID) -> Milestone:
    courses = TransplantCourse.objects.visible_to(user)
    milestones = Milestone.objects.select_related("step", "course__patient", "completed_by").filter(
        course__in=courses
    )
    return get_object_or_404(milestones, code=code)


def get_checklist_item_for(user, code: UUID) -> ChecklistItem:
    courses = TransplantCourse.objects.visible_to(user)
    items = ChecklistItem.objects.select_related(
        "milestone__course__patient", "milestone__step", "checked_by"
    ).filter(milestone__course__in=courses)
    return get_object_or_404(items, code=code)


def get_blood_count_for(user, code: UUID) -> BloodCount:
    courses = TransplantCourse.objects.visible_to(user)
    counts = BloodCount.objects.select_related("course__patient", "course__protocol").filter(
        course__in=courses
    )
    return get_object_or_404(counts, code=code)


def require(user, permission: str) -> None:
    """403 unless the user holds tracker.<permission>."""
    if not user.has_perm(f"tracker.{permission}"):
        raise PermissionDenied
