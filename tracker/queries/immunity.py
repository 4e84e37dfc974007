"""Immune recovery as the pages read it: a patient's transplants, immunosuppression, IVIG and
chronic GVHD across their courses, and the live-vaccine gates on a date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from tracker.models import (
    Immunosuppression,
    IvigDose,
    Kind,
    Milestone,
    Patient,
    TransplantCourse,
    Vaccination,
)
from tracker.models.choices import LIVE_VACCINES
from tracker.queries.gvhd import chronic_gvhd_periods
from tracker.rules import immunity


def transplant_day_zeros(patient: Patient) -> list[date]:
    """The Day Zero of each of the patient's transplants (not same-day procedures)."""
    return list(patient.courses.exclude(kind=Kind.PROCEDURE).values_list("day_zero", flat=True))


def immunosuppression_periods(patient: Patient) -> list[immunity.Period]:
    """(started, stopped or None) of every drug that counts as immunosuppression."""
    return list(
        Immunosuppression.objects.filter(course__patient=patient, counts=True)
        .order_by("started_on")
        .values_list("started_on", "stopped_on")
    )


def ivig_dates(patient: Patient) -> list[date]:
    return list(
        IvigDose.objects.filter(course__patient=patient)
        .order_by("given_on")
        .values_list("given_on", flat=True)
    )


def live_vaccine_gates(patient: Patient, on: date) -> immunity.GateVerdict:
    """The live-vaccine gates for the patient on a date, from everything recorded."""
    return immunity.live_vaccine_gates(
        on=on,
        transplant_day_zeros=transplant_day_zeros(patient),
        chronic_gvhd_periods=chronic_gvhd_periods(patient),
        immunosuppression_periods=immunosuppression_periods(patient),
        ivig_dates=ivig_dates(patient),
    )


@dataclass(frozen=True)
class ImmuneRecovery:
    """A course's immune recovery section: what was given, what goes on, the gates today."""

    vaccinations: list[Vaccination]
    drugs: list[Immunosuppression]  # still going first, then by start
    ivig: list[IvigDose]
    gates: immunity.GateVerdict
    stops: list[Milestone]  # the milestones of drugs that stop by rule (PJP, letermovir)


def immune_recovery(course: TransplantCourse, today: date) -> ImmuneRecovery:
    """The section's records, and the gates from the patient's records on every course (the
    patient's drugs and IVIG read once, this course's picked from them)."""
    patient = course.patient
    drugs = list(Immunosuppression.objects.filter(course__patient=patient))
    ivig = list(IvigDose.objects.filter(course__patient=patient).order_by("-given_on"))
    gates = immunity.live_vaccine_gates(
        on=today,
        transplant_day_zeros=transplant_day_zeros(patient),
        chronic_gvhd_periods=chronic_gvhd_periods(patient),
        immunosuppression_periods=[(d.started_on, d.stopped_on) for d in drugs if d.counts],
        ivig_dates=[dose.given_on for dose in ivig],
    )
    return ImmuneRecovery(
        vaccinations=list(course.vaccinations.order_by("vaccine", "dose")),
        drugs=sorted(
            (drug for drug in drugs if drug.course_id == course.pk),
            key=lambda entry: (entry.stopped_on is not None, entry.started_on),
        ),
        ivig=[dose for dose in ivig if dose.course_id == course.pk],
        gates=gates,
        stops=list(
            course.milestones.exclude(step__stop_rule="")
            .select_related("step")
            .order_by("due_date")
        ),
    )


# What a patient reads of a live vaccine while its gates fail: never something to get.
PLAIN_VACCINE_NAMES = {"mmr": "MMR", "varicella": "chickenpox"}


def held_back_words(vaccine: str, eligible_from: date | None) -> tuple[str, str]:
    """The title and plain words a patient reads of a live vaccine that must wait (until a
    known date, or None: until we say so)."""
    name = PLAIN_VACCINE_NAMES.get(vaccine, vaccine)
    when = (
        f"the earliest date is {eligible_from:%-d %B %Y}."
        if eligible_from
        else "we will tell you when it is."
    )
    return (
        f"Check whether the {name} vaccine is safe for you",
        f"This is a live vaccine. We will check whether this vaccine is safe for you; {when} "
        "Please don't get it anywhere before we say so.",
    )


WAITS_FOR_PREVIOUS = "We will plan this dose once you have had the one before it."


def hold_back_live_vaccines(milestones: list[Milestone], today: date) -> None:
    """Mark the live-vaccine milestones not done that the patient must not read as something
    to get: while the patient's gates fail today, or (a second dose) while the dose before it
    is not given. Their page, calendar and printout then say "we will check" instead
    (`Milestone.patient_title`, `patient_words`). One verdict per patient, and only when there
    is a live vaccine to hold back."""
    live = [m for m in milestones if m.step.vaccine in LIVE_VACCINES and m.completed_on is None]
    verdicts: dict[int, immunity.GateVerdict] = {}
    for milestone in live:
        patient_id = milestone.course.patient_id
        if patient_id not in verdicts:
            verdicts[patient_id] = live_vaccine_gates(Patient(pk=patient_id), today)
        verdict = verdicts[patient_id]
        if not verdict.eligible:
            opens = verdict.eligible_from
            earliest = max(opens, milestone.due_date) if opens else None  # never before its date
            milestone.held_back = held_back_words(milestone.step.vaccine, earliest)
        elif _previous_not_given(milestone, milestones):
            title, _ = held_back_words(milestone.step.vaccine, None)
            milestone.held_back = (title, WAITS_FOR_PREVIOUS)


def _previous_not_given(milestone: Milestone, milestones: list[Milestone]) -> bool:
    """A later dose whose dose before it (on the same course) is not done yet."""
    dose = milestone.step.dose or 1
    return dose > 1 and any(
        other.course_id == milestone.course_id
        and other.step.vaccine == milestone.step.vaccine
        and other.step.dose == dose - 1
        and other.completed_on is None
        for other in milestones
    )


def gate_line(verdict: immunity.GateVerdict) -> str:
    """What the care team reads on a live-vaccine milestone while its gates fail."""
    if verdict.eligible:
        return ""
    when = (
        f"It could open on {verdict.eligible_from:%-d %b %Y}."
        if verdict.eligible_from
        else "The date it opens is not known yet."
    )
    return f"Blocked: {' '.join(verdict.reasons.values())} {when}"


def irradiation(course: TransplantCourse) -> immunity.Irradiation | None:
    """Irradiated blood components for the course (BSH 2020), from its protocol and the
    patient's immunosuppression and chronic GVHD; None for a procedure, and for a course a
    later transplant follows (the later course says what is needed now). Two queries."""
    if not course.is_transplant or course.superseded_on is not None:
        return None
    return immunity.irradiated_blood(
        kind=course.kind,
        day_zero=course.day_zero,
        conditioning_start=course.start_date,
        harvest_date=course.harvest_date if course.kind == Kind.AUTOLOGOUS else None,
        hodgkin=course.hodgkin_lymphoma,
        tbi=course.protocol.tbi,
        purine_analogue=course.protocol.purine_analogue,
        immunosuppression_periods=immunosuppression_periods(course.patient),
        chronic_gvhd_periods=chronic_gvhd_periods(course.patient),
    )


def blood_words(course: TransplantCourse, today: date) -> str:
    """What the patient reads about irradiated blood on their page and printout ("" when
    none is needed, or no more)."""
    needed = irradiation(course)
    return immunity.irradiation_in_plain_words(needed, today) if needed else ""
