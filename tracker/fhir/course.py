"""A course as FHIR R4: its records read in a fixed number of queries, mapped, checked, and
(for a hand-over) written down as a course event under the course lock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch

from tracker import clock
from tracker.fhir import resources as fhir
from tracker.fhir.codes import LIVE
from tracker.fhir.validate import validate
from tracker.models import (
    AcuteGvhdAssessment,
    ChecklistItem,
    ChronicGvhd,
    ChronicGvhdAssessment,
    CourseEvent,
    EventKind,
    TransplantCourse,
)
from tracker.models.choices import CLOSED_HOLDS
from tracker.models.events import record
from tracker.queries.immunity import live_vaccine_gates
from tracker.services.courses import lock_course

Resource = dict[str, Any]


@dataclass(frozen=True)
class Export:
    """One course's resources, in the Bundle's order."""

    course: TransplantCourse
    resources: list[Resource]

    def bundle(self, timestamp: datetime) -> Resource:
        bundle_id = fhir.derived_id(self.course.code, f"Bundle/{fhir.instant(timestamp)}")
        return fhir.bundle(self.resources, bundle_id=bundle_id, timestamp=timestamp)

    @property
    def counts(self) -> dict[str, int]:
        """How many resources of each type."""
        counts: dict[str, int] = {}
        for resource in self.resources:
            counts[resource["resourceType"]] = counts.get(resource["resourceType"], 0) + 1
        return counts


def course_resources(course: TransplantCourse, *, today: date) -> Export:
    """Every resource of a course (read with its patient and protocol, as `lock_course`
    does), checked (InvalidResource if one is not valid FHIR R4).

    About fifteen queries whatever the course's size (tests/fhir count them at two sizes)."""
    protocol = course.protocol
    patient = course.patient
    milestones = list(
        course.milestones.select_related("step")
        .prefetch_related(
            Prefetch("items", queryset=ChecklistItem.objects.order_by("position", "id"))
        )
        .order_by("due_date", "step__position", "occurrence")
    )
    for milestone in milestones:
        milestone.course = course  # every milestone reads its course's Day Zero and protocol
    vaccinations = list(course.vaccinations.order_by("given_on", "vaccine", "dose"))
    immunizations = {v.pk: fhir.immunization(v, course) for v in vaccinations}
    by_milestone = {
        v.milestone_id: immunizations[v.pk] for v in vaccinations if v.milestone_id is not None
    }
    live_to_give = any(
        m.step.vaccine in LIVE and m.completed_on is None and m.hold not in CLOSED_HOLDS
        for m in milestones
    )
    gates = live_vaccine_gates(patient, today) if live_to_give else None
    episodes = list(
        ChronicGvhd.objects.filter(course=course)
        .prefetch_related(
            Prefetch(
                "assessments", queryset=ChronicGvhdAssessment.objects.order_by("assessed_on", "id")
            )
        )
        .order_by("diagnosed_on", "id")
    )

    out: list[Resource] = [
        fhir.patient_resource(patient, mrn_system=settings.FHIR_MRN_SYSTEM),
        fhir.plan_definition(protocol, list(protocol.steps.order_by("position", "id"))),
        fhir.care_plan(course, milestones, today=today, immunizations=by_milestone),
    ]
    out += [
        fhir.task(item, milestone, course=course, today=today)
        for milestone in milestones
        for item in milestone.items.all()
    ]
    for count in course.blood_counts.order_by("drawn_on", "id"):
        out += fhir.blood_count_resources(count, course)
    out += [fhir.lab_result(r, course) for r in course.lab_results.order_by("drawn_on", "id")]
    out += [
        fhir.acute_gvhd(a, course)
        for a in AcuteGvhdAssessment.objects.filter(course=course).order_by("assessed_on", "id")
    ]
    for episode in episodes:
        out.append(fhir.chronic_gvhd(episode, course))
        out += [fhir.chronic_gvhd_score(a, episode, course) for a in episode.assessments.all()]
    out += immunizations.values()
    recommendation = fhir.immunization_recommendation(course, milestones, today=today, gates=gates)
    if recommendation:
        out.append(recommendation)
    out += [
        fhir.medication_statement(d, course)
        for d in course.immunosuppression.order_by("started_on", "id")
    ]
    out += [fhir.ivig_dose(d, course) for d in course.ivig_doses.order_by("given_on", "id")]
    out += [fhir.infusion(i, course) for i in course.infusions.order_by("given_on", "id")]
    events = CourseEvent.objects.for_course(course).order_by("at", "id")
    out += [fhir.provenance(e, course) for e in events]
    for resource in out:
        validate(resource)
    return Export(course=course, resources=out)


def export_course(course: TransplantCourse, *, by: Any, how: str) -> Export:
    """A course handed over as FHIR: read under the course lock (no writer half-way through
    it) and recorded as a course event with what was exported. `how`: "download" or "bulk"."""
    with transaction.atomic():
        locked = lock_course(course)
        export = course_resources(locked, today=clock.today())
        record(
            EventKind.FHIR_EXPORTED,
            by=by,
            course=locked,
            resources=len(export.resources),
            how=how,
        )
    return export
