"""Scoped lookups: every clinical object a view touches is fetched through the user.

An object the user may not see is a 404, whether or not it exists; an action the user may not
take on an object they can see is a 403. So views look up first, then check the permission.
"""

from __future__ import annotations

from datetime import date
from typing import TypeVar
from uuid import UUID

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from tracker.models import (
    AcuteGvhdAssessment,
    BloodCount,
    ChecklistItem,
    ChronicGvhd,
    ChronicGvhdAssessment,
    CourseQuerySet,
    Immunosuppression,
    IvigDose,
    Kind,
    LabResult,
    Milestone,
    Patient,
    TransplantCourse,
    Vaccination,
)
from tracker.rules import schedule

RecordT = TypeVar("RecordT", Vaccination, Immunosuppression, IvigDose)


def get_patient_for(user: User | AnonymousUser, code: UUID) -> Patient:
    return get_object_or_404(Patient.objects.visible_to(user), code=code)


def get_course_for(user: User | AnonymousUser, code: UUID) -> TransplantCourse:
    courses = TransplantCourse.objects.visible_to(user).select_related("patient", "protocol")
    return get_object_or_404(courses, code=code)


def get_milestone_for(user: User | AnonymousUser, code: UUID) -> Milestone:
    courses = TransplantCourse.objects.visible_to(user)
    milestones = Milestone.objects.select_related("step", "course__patient", "completed_by").filter(
        course__in=courses
    )
    return get_object_or_404(milestones, code=code)


def get_checklist_item_for(user: User | AnonymousUser, code: UUID) -> ChecklistItem:
    courses = TransplantCourse.objects.visible_to(user)
    items = ChecklistItem.objects.select_related(
        "milestone__course__patient", "milestone__step", "checked_by"
    ).filter(milestone__course__in=courses)
    return get_object_or_404(items, code=code)


def get_blood_count_for(user: User | AnonymousUser, code: UUID) -> BloodCount:
    courses = TransplantCourse.objects.visible_to(user)
    counts = BloodCount.objects.select_related("course__patient", "course__protocol").filter(
        course__in=courses
    )
    return get_object_or_404(counts, code=code)


def get_lab_result_for(user: User | AnonymousUser, code: UUID) -> LabResult:
    courses = TransplantCourse.objects.visible_to(user)
    results = LabResult.objects.select_related("course__patient", "course__protocol").filter(
        course__in=courses
    )
    return get_object_or_404(results, code=code)


def _gvhd_courses(user: User | AnonymousUser) -> CourseQuerySet:
    """The courses whose GVHD the user may see: the care team's, allogeneic courses only
    (a patient's own course is not enough: staging is the team's to share)."""
    if not user.has_perm("tracker.view_acutegvhdassessment"):
        return TransplantCourse.objects.none()
    return TransplantCourse.objects.visible_to(user).filter(kind=Kind.ALLOGENEIC)


def get_gvhd_course_for(user: User | AnonymousUser, code: UUID) -> TransplantCourse:
    courses = _gvhd_courses(user).select_related("patient", "protocol")
    return get_object_or_404(courses, code=code)


def get_acute_gvhd_for(user: User | AnonymousUser, code: UUID) -> AcuteGvhdAssessment:
    assessments = AcuteGvhdAssessment.objects.select_related(
        "course__patient", "course__protocol"
    ).filter(course__in=_gvhd_courses(user))
    return get_object_or_404(assessments, code=code)


def get_chronic_gvhd_for(user: User | AnonymousUser, code: UUID) -> ChronicGvhd:
    episodes = ChronicGvhd.objects.select_related("course__patient", "course__protocol").filter(
        course__in=_gvhd_courses(user)
    )
    return get_object_or_404(episodes, code=code)


def get_chronic_scoring_for(user: User | AnonymousUser, code: UUID) -> ChronicGvhdAssessment:
    scorings = ChronicGvhdAssessment.objects.select_related(
        "episode__course__patient", "episode__course__protocol"
    ).filter(episode__course__in=_gvhd_courses(user))
    return get_object_or_404(scorings, code=code)


def _immunity_courses(user: User | AnonymousUser) -> CourseQuerySet:
    """The transplant courses whose immune recovery records the user may see: the care
    team's (a patient's own course is not enough)."""
    if not user.has_perm("tracker.view_vaccination"):
        return TransplantCourse.objects.none()
    return TransplantCourse.objects.visible_to(user).exclude(kind=Kind.PROCEDURE)


def get_immunity_course_for(user: User | AnonymousUser, code: UUID) -> TransplantCourse:
    courses = _immunity_courses(user).select_related("patient", "protocol")
    return get_object_or_404(courses, code=code)


def get_immunity_record_for(
    user: User | AnonymousUser, model: type[RecordT], code: UUID
) -> RecordT:
    """A vaccination, an immunosuppression entry or an IVIG dose of a course the user may
    see the immune recovery of."""
    records = model._default_manager.select_related("course__patient", "course__protocol")
    return get_object_or_404(records.filter(course__in=_immunity_courses(user)), code=code)


def require(user: User | AnonymousUser, permission: str) -> None:
    """403 unless the user holds tracker.<permission>."""
    if not user.has_perm(f"tracker.{permission}"):
        raise PermissionDenied


def own_courses(
    user: User | AnonymousUser, wanted: str | None, *, today: date
) -> tuple[Patient | None, list[TransplantCourse], TransplantCourse | None]:
    """A patient's own courses and the one to show: `wanted` (a code from ?course=, 404 when
    it is not theirs) or the one they are in now. (None, [], None) for a user with no patient
    record."""
    patient = Patient.objects.filter(user=user).first() if user.is_authenticated else None
    if patient is None:
        return None, [], None
    courses = list(patient.courses.select_related("protocol").order_by("-sequence"))
    if wanted is None:
        return patient, courses, schedule.current_course(courses, today)
    chosen = [course for course in courses if str(course.code) == wanted]
    if not chosen:
        raise Http404("No such course of yours.")
    return patient, courses, chosen[0]
