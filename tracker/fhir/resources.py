"""The app's records as FHIR R4 resources: pure functions, records in, JSON-ready dicts out.

Nothing here reads the database or the clock: `tracker.fhir.course` fetches what a course
needs (with its related rows already joined) and passes today in. Every resource's id comes
from its record's UUID (or a name-based uuid5 of it, where one record makes several
resources), so exporting twice gives the same ids. docs/fhir.md is the mapping table.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from tracker.fhir import codes
from tracker.fhir.codes import coding, concept
from tracker.models import (
    AcuteGvhdAssessment,
    BloodCount,
    ChecklistItem,
    ChronicGvhd,
    ChronicGvhdAssessment,
    CourseEvent,
    Immunosuppression,
    Infusion,
    IvigDose,
    LabResult,
    Milestone,
    Patient,
    Protocol,
    ProtocolStep,
    TransplantCourse,
    Vaccination,
)
from tracker.models.choices import CLOSED_HOLDS, Audience
from tracker.rules import immunity, schedule
from tracker.rules.gvhd import NIH_ORGANS, ROMAN

Resource = dict[str, Any]


# --- Small pieces ------------------------------------------------------------------------------


def reference(resource: Resource) -> dict[str, str]:
    """A relative reference to a resource ("CarePlan/<id>"), as the Bundle and NDJSON use."""
    return {"reference": f"{resource['resourceType']}/{resource['id']}"}


def to(resource_type: str, resource_id: str | uuid.UUID) -> dict[str, str]:
    return {"reference": f"{resource_type}/{resource_id}"}


def derived_id(code: uuid.UUID, what: str) -> str:
    """The id of a resource made from part of a record (the ANC of a blood count)."""
    return str(uuid.uuid5(code, what))


def number(value: Decimal) -> int | float:
    """A decimal as a JSON number, with the digits typed (0.495 stays 0.495)."""
    value = value.normalize()
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= 0:
        return int(value)
    return float(value)


def quantity(value: Decimal, ucum: str, shown: str) -> dict[str, Any]:
    return {"value": number(value), "unit": shown, "system": codes.UCUM, "code": ucum}


def days(value: int) -> dict[str, Any]:
    return {"value": value, "unit": "days", "system": codes.UCUM, "code": "d"}


def months(value: int) -> dict[str, Any]:
    return {"value": value, "unit": "months", "system": codes.UCUM, "code": "mo"}


def instant(moment: datetime) -> str:
    """A FHIR instant (seconds, with the time zone the app keeps: UTC)."""
    return moment.replace(microsecond=0).isoformat()


def identifier(system: str, value: uuid.UUID | str) -> dict[str, str]:
    return {"system": system, "value": str(value)}


def extension(name: str, **value: Any) -> dict[str, Any]:
    """One of our extensions (`valueDate=...`, `valueString=...`)."""
    return {"url": f"{codes.NAMESPACE}/StructureDefinition/{name}", **value}


def step_system(protocol: Protocol) -> str:
    """The code system of a protocol's steps: a step's key is unique within its protocol."""
    return f"{codes.PROTOCOL_STEP}/{protocol.slug}"


def step_code(protocol: Protocol, step: ProtocolStep) -> dict[str, Any]:
    codings = [coding(step_system(protocol), step.key, step.title)]
    if step.vaccine:
        codings.append(vaccine_coding(step.vaccine))
    return concept(*codings, text=step.title)


def vaccine_coding(vaccine: str) -> dict[str, Any]:
    """The CVX code of a vaccine, or ours where CVX has none for what the app records."""
    if vaccine in codes.CVX_CODES:
        code, display = codes.CVX_CODES[vaccine]
        return coding(codes.CVX, code, display)
    return coding(codes.VACCINE, vaccine, codes.VACCINE_NAMES[vaccine])


def vaccine_concept(vaccine: str, product: str = "") -> dict[str, Any]:
    return concept(vaccine_coding(vaccine), text=product or codes.VACCINE_NAMES[vaccine])


# --- Patient and protocol ----------------------------------------------------------------------


def patient_resource(patient: Patient, *, mrn_system: str) -> Resource:
    """The patient: MRN (the centre's identifier system) and the app's own id."""
    return {
        "resourceType": "Patient",
        "id": str(patient.code),
        "identifier": [
            {
                "use": "usual",
                "type": concept(coding(codes.V2_IDENTIFIER_TYPE, "MR", "Medical record number")),
                "system": mrn_system,
                "value": patient.mrn,
            },
            identifier(codes.PATIENT_IDENTIFIER, patient.code),
        ],
        "name": [
            {
                "use": "official",
                "text": patient.full_name,
                "family": patient.family_name,
                "given": [patient.given_name],
            }
        ],
        "birthDate": patient.date_of_birth.isoformat(),
    }


def plan_definition_id(protocol: Protocol) -> str:
    return str(uuid.uuid5(codes.NAMESPACE_UUID, f"PlanDefinition/{protocol.slug}"))


def plan_definition_url(protocol: Protocol) -> str:
    return f"{codes.NAMESPACE}/PlanDefinition/{protocol.slug}"


DAY_ZERO_ACTION = "day-zero"


def plan_definition(protocol: Protocol, steps: Sequence[ProtocolStep]) -> Resource:
    """The protocol: one action for Day Zero, the anchor, and one per step (retired steps
    left out), each timed from Day Zero with its window as a range (HL7 Vulcan Schedule of
    Activities)."""
    return {
        "resourceType": "PlanDefinition",
        "id": plan_definition_id(protocol),
        "url": plan_definition_url(protocol),
        "version": str(protocol.revision),
        "name": "".join(part.capitalize() for part in protocol.slug.split("-")),
        "title": protocol.name,
        "type": concept(
            coding(codes.PLAN_DEFINITION_TYPE, "clinical-protocol", "Clinical Protocol")
        ),
        "status": "active" if protocol.is_active else "retired",
        "experimental": protocol.is_research,
        **({"description": protocol.summary} if protocol.summary else {}),
        "action": [
            {
                "id": DAY_ZERO_ACTION,
                "title": "Day Zero",
                "description": "The day the cells are given: every other action is timed from it.",
            },
            *(step_action(protocol, step) for step in steps if not step.retired),
        ],
    }


AUDIENCE_PARTICIPANTS = {
    Audience.CARE_TEAM: ["practitioner"],
    Audience.PATIENT: ["patient"],
    Audience.BOTH: ["practitioner", "patient"],
}


def step_action(protocol: Protocol, step: ProtocolStep) -> dict[str, Any]:
    """A step as an action timed from Day Zero: its due day (or calendar months) as the
    offset, its window as the Vulcan acceptable offset range, repeats as a Timing, checklist
    lines as sub-actions."""
    action: dict[str, Any] = {
        "id": step.key,
        "title": step.title,
        **({"description": step.patient_text} if step.patient_text else {}),
        "code": [step_code(protocol, step)],
        "relatedAction": [offset_from_day_zero(step)],
        "participant": [{"type": kind} for kind in AUDIENCE_PARTICIPANTS[Audience(step.audience)]],
    }
    if step.window_before or step.window_after:
        action["extension"] = [window_around_due(step.window_before, step.window_after)]
    timing = step_timing(step)
    if timing:
        action["timingTiming"] = timing
    lines = step.checklist_items
    if lines:
        action["action"] = [{"title": line} for line in lines]
    return action


def offset_from_day_zero(step: ProtocolStep) -> dict[str, Any]:
    """The step's due day relative to Day Zero; before it, "before-start" and the days
    counted back. A window in days becomes the acceptable range of the offset."""
    related: dict[str, Any] = {"actionId": DAY_ZERO_ACTION}
    if step.months is not None:
        related["relationship"] = "after-start"
        related["offsetDuration"] = months(step.months)
        return related
    day = step.day or 0
    before = day < 0
    related["relationship"] = "before-start" if before else "after-start"
    related["offsetDuration"] = days(abs(day))
    if step.window_before or step.window_after:
        # Counted in the offset's own direction: before Day Zero, a later day is a smaller offset.
        low = abs(day) - (step.window_after if before else step.window_before)
        high = abs(day) + (step.window_before if before else step.window_after)
        related["extension"] = [
            {"url": codes.VULCAN_OFFSET_RANGE, "valueRange": {"low": days(low), "high": days(high)}}
        ]
    return related


def window_around_due(before: int, after: int) -> dict[str, Any]:
    """The window as days around the due day (-before to +after): for any step, including
    one anchored in calendar months, where the offset and its window have different units."""
    return {
        "url": codes.WINDOW_EXTENSION,
        "valueRange": {"low": days(-before), "high": days(after)},
    }


def step_timing(step: ProtocolStep) -> dict[str, Any] | None:
    """A repeated step: every N days until a day, or once a season for N seasons."""
    if step.repeat_every_days and step.repeat_until_day is not None and step.day is not None:
        count = (step.repeat_until_day - step.day) // step.repeat_every_days + 1
        return {"repeat": {"count": count, "period": step.repeat_every_days, "periodUnit": "d"}}
    if step.seasons:
        return {"repeat": {"count": step.seasons, "period": 1, "periodUnit": "a"}}
    return None


# --- The course as a CarePlan, its checklists as Tasks ----------------------------------------


def milestone_status(milestone: Milestone, today: date) -> str:
    """Our status of a milestone (tracker.rules.schedule.Status), a closed one by its hold."""
    status = milestone.status_on(today)
    if status == schedule.Status.CLOSED:
        return str(milestone.hold)
    return str(status)


STATUS_LABELS = {
    **{str(status): status.label for status in schedule.Status},
    # A closed milestone reads by its hold ("Superseded by a later transplant").
    **{str(hold): str(hold.label) for hold in CLOSED_HOLDS},
}


def care_plan_status(course: TransplantCourse) -> str:
    if course.ended_on is not None:
        return codes.CARE_PLAN_ENDED[course.end_reason]
    if course.superseded_on is not None:
        return "revoked"
    return "active"


def care_plan(
    course: TransplantCourse,
    milestones: Sequence[Milestone],
    *,
    today: date,
    immunizations: dict[int, Resource],
) -> Resource:
    """The course: its status and period, the protocol it follows, Day Zero, and one
    activity per milestone (`immunizations`: the Immunization of a dose by the milestone it
    completed)."""
    protocol = course.protocol
    end = course.ended_on or course.superseded_on
    resource: Resource = {
        "resourceType": "CarePlan",
        "id": str(course.code),
        "extension": [
            extension(
                "day-zero",
                extension=[
                    {"url": "date", "valueDate": course.day_zero.isoformat()},
                    {"url": "confirmed", "valueBoolean": course.day_zero_confirmed},
                ],
            )
        ],
        "identifier": [identifier(codes.COURSE_IDENTIFIER, course.code)],
        "instantiatesCanonical": [f"{plan_definition_url(protocol)}|{protocol.revision}"],
        "status": care_plan_status(course),
        "intent": "plan",
        "category": [
            concept(coding(codes.COURSE_KIND, course.kind, course.get_kind_display())),
            concept(
                coding(codes.GRAFT_SOURCE, course.graft_source, course.get_graft_source_display())
            ),
            *(
                [
                    concept(
                        coding(codes.DONOR_TYPE, course.donor_type, course.get_donor_type_display())
                    )
                ]
                if course.donor_type
                else []
            ),
        ],
        "title": f"{protocol.name} ({course.sequence_label})",
        "subject": to("Patient", course.patient.code),
        "period": {
            "start": course.start_date.isoformat(),
            **({"end": end.isoformat()} if end else {}),
        },
        "created": instant(course.created_at),
        "activity": [
            activity(m, today=today, immunization=immunizations.get(m.pk)) for m in milestones
        ],
    }
    if course.follows_id is not None:
        resource["replaces"] = [to("CarePlan", course.follows.code)]  # type: ignore[union-attr]
    notes = []
    if course.ended_on is not None:
        reason = course.get_end_reason_display()
        notes.append(f"Ended on {course.ended_on.isoformat()}: {reason}. {course.end_note}".strip())
    if course.superseded_on is not None:
        notes.append(
            f"Superseded by a later transplant from {course.superseded_from.isoformat()}"
            if course.superseded_from
            else "Superseded by a later transplant"
        )
    if notes:
        resource["note"] = [{"text": text} for text in notes]
    return resource


def activity(
    milestone: Milestone, *, today: date, immunization: Resource | None = None
) -> dict[str, Any]:
    """A milestone: what (the step), when (its window; its due day and any clinic-day move
    in extensions), where it stands (FHIR's status, ours beside it), and when it was done."""
    status = milestone_status(milestone, today)
    ticked, total = milestone.progress
    fhir_status = codes.ACTIVITY_STATUS[status]
    if fhir_status == "not-started" and ticked:
        fhir_status = "in-progress"
    label = STATUS_LABELS[status]
    extensions = [
        extension(
            "milestone", valueIdentifier=identifier(codes.MILESTONE_IDENTIFIER, milestone.code)
        ),
        extension("due-date", valueDate=milestone.due_date.isoformat()),
        extension("day-number", valueInteger=milestone.day_number),
    ]
    if milestone.moved_from:
        extensions.append(extension("moved-from", valueDate=milestone.moved_from.isoformat()))
    if milestone.completed_on:
        extensions.append(extension("completed-on", valueDate=milestone.completed_on.isoformat()))
    detail: dict[str, Any] = {
        "code": step_code(milestone.course.protocol, milestone.step),
        "status": fhir_status,
        "statusReason": concept(
            coding(codes.MILESTONE_STATUS, status, label),
            text=f"{label}: {milestone.plan_note}" if milestone.plan_note else label,
        ),
        "scheduledPeriod": {
            "start": milestone.window_start.isoformat(),
            "end": milestone.window_end.isoformat(),
        },
        "description": milestone.title,
    }
    if milestone.step.vaccine:
        detail["productCodeableConcept"] = vaccine_concept(milestone.step.vaccine)
    result: dict[str, Any] = {"extension": extensions}
    if immunization is not None:
        result["outcomeReference"] = [reference(immunization)]
    if milestone.completed_on is not None:
        how = "from the blood counts" if milestone.computed else "by hand"
        result["progress"] = [
            {
                **({"time": instant(milestone.completed_at)} if milestone.completed_at else {}),
                "text": f"Done on {milestone.completed_on.isoformat()} ({how})",
            }
        ]
    elif total:
        result["progress"] = [{"text": f"{ticked} of {total} checklist items ticked"}]
    result["detail"] = detail
    return result


def task(
    item: ChecklistItem, milestone: Milestone, *, course: TransplantCourse, today: date
) -> Resource:
    """A checklist line: ticked ("completed") or, by its milestone, still to do, on hold or
    no longer asked for. Grouped by its milestone's identifier; restricted to its window."""
    status = milestone_status(milestone, today)
    resource: Resource = {
        "resourceType": "Task",
        "id": str(item.code),
        "identifier": [identifier(f"{codes.NAMESPACE}/sid/checklist-item", item.code)],
        "basedOn": [to("CarePlan", course.code)],
        "groupIdentifier": identifier(codes.MILESTONE_IDENTIFIER, milestone.code),
        "status": "completed" if item.is_checked else codes.TASK_STATUS[status],
        "intent": "plan",
        "code": step_code(course.protocol, milestone.step),
        "description": item.text,
        "for": to("Patient", course.patient.code),
        "restriction": {
            "period": {
                "start": milestone.window_start.isoformat(),
                "end": milestone.window_end.isoformat(),
            }
        },
    }
    if item.is_checked and item.checked_at is not None:
        resource["executionPeriod"] = {"end": instant(item.checked_at)}
        resource["lastModified"] = instant(item.checked_at)
    elif resource["status"] == "cancelled":
        resource["statusReason"] = concept(
            text=f"Not ticked; the milestone is {STATUS_LABELS[status].lower()}"
        )
    return resource


# --- Results -----------------------------------------------------------------------------------


def _observation(
    resource_id: str,
    course: TransplantCourse,
    *,
    code: dict[str, Any],
    category: str,
    on: date,
    issued: datetime,
) -> Resource:
    return {
        "resourceType": "Observation",
        "id": resource_id,
        "basedOn": [to("CarePlan", course.code)],
        "status": "final",
        "category": [
            concept(
                coding(codes.OBSERVATION_CATEGORY, category, category.replace("-", " ").title())
            )
        ],
        "code": code,
        "subject": to("Patient", course.patient.code),
        "effectiveDateTime": on.isoformat(),
        "issued": instant(issued),
    }


def lab_concept(lab: codes.Lab) -> dict[str, Any]:
    system, code, display, _, _ = lab
    return concept(coding(system, code, display), text=display)


def blood_count_resources(count: BloodCount, course: TransplantCourse) -> list[Resource]:
    """A day's counts: the ANC and the platelets as an Observation each, and a platelet
    transfusion that day as a Procedure."""
    resources: list[Resource] = []
    if count.anc is not None:
        lab = codes.ANC_MANUAL if count.anc_manual else codes.ANC_AUTOMATED
        anc = _observation(
            derived_id(count.code, "anc"),
            course,
            code=lab_concept(lab),
            category="laboratory",
            on=count.drawn_on,
            issued=count.entered_at,
        )
        anc["valueQuantity"] = quantity(count.anc, lab[3], lab[4])
        resources.append(anc)
    if count.platelets is not None:
        lab = codes.PLATELETS
        platelets = _observation(
            derived_id(count.code, "platelets"),
            course,
            code=lab_concept(lab),
            category="laboratory",
            on=count.drawn_on,
            issued=count.entered_at,
        )
        platelets["valueQuantity"] = quantity(count.platelets, lab[3], lab[4])
        resources.append(platelets)
    if count.platelet_transfusion:
        resources.append(
            {
                "resourceType": "Procedure",
                "id": derived_id(count.code, "platelet-transfusion"),
                "basedOn": [to("CarePlan", course.code)],
                "status": "completed",
                "code": concept(codes.PLATELET_TRANSFUSION, text="Platelet transfusion"),
                "subject": to("Patient", course.patient.code),
                "performedDateTime": count.drawn_on.isoformat(),
            }
        )
    return resources


def lab_result(result: LabResult, course: TransplantCourse) -> Resource:
    """A chimerism, CMV PCR, CD4 or IgG result; a CMV PCR below detection as "not detected"."""
    lab = codes.LAB_RESULTS[result.analyte]
    resource = _observation(
        str(result.code),
        course,
        code=lab_concept(lab),
        category="laboratory",
        on=result.drawn_on,
        issued=result.entered_at,
    )
    if result.undetected or result.value is None:
        resource["valueCodeableConcept"] = concept(codes.NOT_DETECTED, text="Not detected")
    else:
        resource["valueQuantity"] = quantity(result.value, lab[3], lab[4])
    return resource


# --- GVHD --------------------------------------------------------------------------------------


def acute_gvhd(assessment: AcuteGvhdAssessment, course: TransplantCourse) -> Resource:
    """An acute GVHD assessment (MAGIC): the overall grade, the four organ stages as
    components."""
    grade = assessment.grade
    resource = _observation(
        str(assessment.code),
        course,
        code=concept(codes.ACUTE_GVHD_GRADE_CODE, text="Acute GVHD overall grade (MAGIC)"),
        category="exam",
        on=assessment.assessed_on,
        issued=assessment.entered_at,
    )
    resource["valueCodeableConcept"] = concept(
        coding(codes.ACUTE_GVHD_GRADE, str(grade), f"Grade {ROMAN[grade]}"),
        text=f"Grade {ROMAN[grade]}",
    )
    resource["component"] = [
        {
            "code": concept(
                coding(codes.GVHD, f"acute-{organ}-stage", f"Acute GVHD {label} stage")
            ),
            "valueInteger": stage,
        }
        for organ, label, stage in (
            ("skin", "skin", assessment.skin_stage),
            ("liver", "liver", assessment.liver_stage),
            ("upper-gi", "upper GI", assessment.upper_gi_stage),
            ("lower-gi", "lower GI", assessment.lower_gi_stage),
        )
    ]
    if assessment.note:
        resource["note"] = [{"text": assessment.note}]
    return resource


def chronic_gvhd(episode: ChronicGvhd, course: TransplantCourse) -> Resource:
    """An episode of chronic GVHD, from its diagnosis to its resolution, as a Condition."""
    resource: Resource = {
        "resourceType": "Condition",
        "id": str(episode.code),
        "clinicalStatus": concept(
            coding(codes.CONDITION_CLINICAL, "resolved", "Resolved")
            if episode.resolved_on
            else coding(codes.CONDITION_CLINICAL, "active", "Active")
        ),
        "verificationStatus": concept(
            coding(codes.CONDITION_VERIFICATION, "confirmed", "Confirmed")
        ),
        "category": [
            concept(coding(codes.CONDITION_CATEGORY, "problem-list-item", "Problem List Item"))
        ],
        "code": concept(
            codes.GVHD_SNOMED, coding(codes.GVHD, "chronic", "Chronic GVHD"), text="Chronic GVHD"
        ),
        "subject": to("Patient", course.patient.code),
        "onsetDateTime": episode.diagnosed_on.isoformat(),
    }
    if episode.resolved_on:
        resource["abatementDateTime"] = episode.resolved_on.isoformat()
    return resource


def organ_label(organ: str) -> str:
    """ "GI tract", "Joints and fascia": the organ as the scoring form names it."""
    return str(getattr(ChronicGvhdAssessment._meta.get_field(organ), "verbose_name", organ))


def chronic_gvhd_score(
    assessment: ChronicGvhdAssessment, episode: ChronicGvhd, course: TransplantCourse
) -> Resource:
    """An NIH chronic GVHD scoring: the global severity, each organ's score (0-3)."""
    resource = _observation(
        str(assessment.code),
        course,
        code=concept(codes.CHRONIC_GVHD_SEVERITY_CODE, text="Chronic GVHD global severity (NIH)"),
        category="exam",
        on=assessment.assessed_on,
        issued=assessment.entered_at,
    )
    resource["focus"] = [to("Condition", episode.code)]
    resource["valueCodeableConcept"] = concept(
        coding(codes.CHRONIC_GVHD_SEVERITY, assessment.severity, assessment.get_severity_display()),
        text=assessment.get_severity_display(),
    )
    resource["component"] = [
        {
            "code": concept(
                coding(
                    codes.GVHD,
                    f"chronic-{organ.replace('_', '-')}-score",
                    f"Chronic GVHD {label} score",
                )
            ),
            "valueInteger": getattr(assessment, organ),
        }
        for organ in NIH_ORGANS
        for label in [organ_label(organ)]
    ]
    if assessment.note:
        resource["note"] = [{"text": assessment.note}]
    return resource


# --- Immune recovery ---------------------------------------------------------------------------


def immunization(vaccination: Vaccination, course: TransplantCourse) -> Resource:
    """A dose given (recorded by the team: a primary source)."""
    resource: Resource = {
        "resourceType": "Immunization",
        "id": str(vaccination.code),
        "status": "completed",
        "vaccineCode": vaccine_concept(vaccination.vaccine, vaccination.product),
        "patient": to("Patient", course.patient.code),
        "occurrenceDateTime": vaccination.given_on.isoformat(),
        "recorded": instant(vaccination.entered_at),
        "primarySource": True,
        **({"lotNumber": vaccination.batch} if vaccination.batch else {}),
        "protocolApplied": [
            {"series": "Revaccination after transplant", "doseNumberPositiveInt": vaccination.dose}
        ],
    }
    if vaccination.gates_overridden:
        resource["note"] = [
            {
                "text": "Given while the live-vaccine gates did not pass: "
                f"{vaccination.gates_overridden}"
            }
        ]
    return resource


def immunization_recommendation(
    course: TransplantCourse,
    milestones: Sequence[Milestone],
    *,
    today: date,
    gates: immunity.GateVerdict | None,
) -> Resource | None:
    """The next dose of each vaccine still to give on the course: due, overdue, or
    contraindicated while the live-vaccine gates fail (each failing gate's reason as a
    forecast reason, and the date they could open). A later dose is left out: its date follows
    the dose before it, once given (CLINICAL.md section 5), so it is not yet a date to give it
    on. `gates`: today's verdict, needed when a live vaccine is still to give. None when no
    dose is left."""
    pending = sorted(
        (
            m
            for m in milestones
            if m.step.vaccine
            and m.completed_on is None
            and m.hold not in (*CLOSED_HOLDS, "not_needed")
        ),
        key=lambda m: (m.step.dose or 1, m.due_date),
    )
    next_doses: dict[str, Milestone] = {}
    for milestone in pending:
        next_doses.setdefault(milestone.step.vaccine, milestone)
    recommendations = [
        recommendation(m, today=today, gates=gates)
        for m in sorted(next_doses.values(), key=lambda m: (m.due_date, m.step.vaccine))
    ]
    if not recommendations:
        return None
    return {
        "resourceType": "ImmunizationRecommendation",
        "id": derived_id(course.code, "ImmunizationRecommendation"),
        "patient": to("Patient", course.patient.code),
        "date": today.isoformat(),
        "recommendation": recommendations,
    }


def recommendation(
    milestone: Milestone, *, today: date, gates: immunity.GateVerdict | None
) -> dict[str, Any]:
    step = milestone.step
    status = milestone_status(milestone, today)
    reasons: list[dict[str, Any]] = []
    dates = [
        {"code": concept(codes.EARLIEST_DATE), "value": milestone.window_start.isoformat()},
        {"code": concept(codes.DUE_DATE), "value": milestone.due_date.isoformat()},
        {"code": concept(codes.LATEST_DATE), "value": milestone.window_end.isoformat()},
    ]
    if step.vaccine in codes.LIVE and gates is not None and not gates.eligible:
        forecast = coding(codes.FORECAST_STATUS, "contraindicated", "Contraindicated")
        reasons = [
            concept(coding(codes.LIVE_VACCINE_GATE, gate, codes.GATE_NAMES[gate]), text=why)
            for gate, why in gates.reasons.items()
        ]
        opens = max(gates.eligible_from, milestone.due_date) if gates.eligible_from else None
        dates = (
            [{"code": concept(codes.EARLIEST_DATE), "value": opens.isoformat()}] if opens else []
        )
    elif status == "blocked":
        forecast = coding(codes.FORECAST_STATUS, "contraindicated", "Contraindicated")
        reasons = [concept(text=milestone.plan_note or "Waiting for a clinical event")]
    elif status == "overdue":
        forecast = coding(codes.FORECAST_STATUS, "overdue", "Overdue")
    else:
        forecast = coding(codes.FORECAST_STATUS, "due", "Due")
    return {
        "vaccineCode": [vaccine_concept(step.vaccine)],
        "forecastStatus": concept(forecast),
        **({"forecastReason": reasons} if reasons else {}),
        **({"dateCriterion": dates} if dates else {}),
        "description": milestone.title,
        "series": "Revaccination after transplant",
        "doseNumberPositiveInt": step.dose or 1,
    }


def medication_statement(drug: Immunosuppression, course: TransplantCourse) -> Resource:
    """A drug that suppresses the immune system, from its start to its stop."""
    notes = []
    if drug.maintenance:
        notes.append("Maintenance therapy")
    notes.append(
        "Counts as immunosuppression for the live-vaccine gates"
        if drug.counts
        else "Does not count as immunosuppression for the live-vaccine gates (the centre decides)"
    )
    return {
        "resourceType": "MedicationStatement",
        "id": str(drug.code),
        "basedOn": [to("CarePlan", course.code)],
        "status": "completed" if drug.stopped_on else "active",
        "category": concept(codes.IMMUNOSUPPRESSION, text="Immunosuppression"),
        "medicationCodeableConcept": concept(text=drug.drug),
        "subject": to("Patient", course.patient.code),
        "effectivePeriod": {
            "start": drug.started_on.isoformat(),
            **({"end": drug.stopped_on.isoformat()} if drug.stopped_on else {}),
        },
        "dateAsserted": instant(drug.entered_at),
        "note": [{"text": text} for text in notes],
    }


def ivig_dose(dose: IvigDose, course: TransplantCourse) -> Resource:
    """A dose of IVIG (live vaccines wait months after it)."""
    return {
        "resourceType": "MedicationStatement",
        "id": str(dose.code),
        "basedOn": [to("CarePlan", course.code)],
        "status": "completed",
        "medicationCodeableConcept": concept(codes.IVIG, text="Intravenous immunoglobulin (IVIG)"),
        "subject": to("Patient", course.patient.code),
        "effectiveDateTime": dose.given_on.isoformat(),
        "dateAsserted": instant(dose.entered_at),
    }


def infusion(cells: Infusion, course: TransplantCourse) -> Resource:
    """Cells given after Day Zero that are not a new transplant (a DLI, a boost, ...)."""
    resource: Resource = {
        "resourceType": "Procedure",
        "id": str(cells.code),
        "basedOn": [to("CarePlan", course.code)],
        "status": "completed",
        "code": concept(
            coding(codes.INFUSION, cells.kind, cells.get_kind_display()),
            text=cells.get_kind_display(),
        ),
        "subject": to("Patient", course.patient.code),
        "performedDateTime": cells.given_on.isoformat(),
    }
    if cells.note:
        resource["note"] = [{"text": cells.note}]
    return resource


# --- Course events -----------------------------------------------------------------------------


def provenance(event: CourseEvent, course: TransplantCourse) -> Resource:
    """A course event: what changed (the event's kind), when, by whom, on the course (or on
    the patient, for the portal and calendar), with the event's data as the app keeps it."""
    target = to("CarePlan", course.code) if event.course_id else to("Patient", course.patient.code)
    resource: Resource = {
        "resourceType": "Provenance",
        "id": str(event.code),
        "target": [target],
        "recorded": instant(event.at),
        "activity": concept(
            coding(codes.COURSE_EVENT, event.kind, event.get_kind_display()),
            text=event.get_kind_display(),
        ),
        "agent": [
            {
                "type": concept(coding(codes.PROVENANCE_AGENT_TYPE, "author", "Author")),
                "who": {"display": event.by_name or "system"},
            }
        ],
    }
    if event.data:
        resource["extension"] = [
            {
                "url": codes.EVENT_DATA_EXTENSION,
                "valueString": json.dumps(
                    event.data, sort_keys=True, ensure_ascii=False, default=str
                ),
            }
        ]
    return resource


# --- The Bundle --------------------------------------------------------------------------------


def bundle(resources: Iterable[Resource], *, bundle_id: str, timestamp: datetime) -> Resource:
    """A collection Bundle: each resource with its full URL in the app's namespace (relative
    references between them resolve against it)."""
    return {
        "resourceType": "Bundle",
        "id": bundle_id,
        "meta": {"lastUpdated": instant(timestamp)},
        "type": "collection",
        "timestamp": instant(timestamp),
        "entry": [
            {"fullUrl": f"{codes.NAMESPACE}/{r['resourceType']}/{r['id']}", "resource": r}
            for r in resources
        ],
    }
