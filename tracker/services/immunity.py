"""Immune recovery on a course: vaccinations given, immunosuppression started and stopped,
immunoglobulin (IVIG) doses. Each write locks the course and records a course event."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models, transaction

from tracker.models import (
    EventKind,
    Immunosuppression,
    IvigDose,
    Milestone,
    ProtocolStep,
    TransplantCourse,
    Vaccination,
)
from tracker.models.events import record
from tracker.queries.immunity import live_vaccine_gates
from tracker.rules import immunity, schedule
from tracker.services.courses import lock_course, save_dates
from tracker.services.milestones import mark_done, mark_reopened


def _locked(course: TransplantCourse) -> TransplantCourse:
    course = lock_course(course)
    if not course.is_transplant:
        raise ValidationError("Immune recovery is recorded on transplant courses only.")
    return course


def _saved(row: models.Model, by: User) -> None:
    row.full_clean()
    row._history_user = by  # type: ignore[attr-defined]
    row.save()


def _too_soon(course: TransplantCourse, vaccine: str, dose: int, given_on: date) -> str:
    """Why the rules say this dose is too soon on that date, or ""."""
    if vaccine in immunity.LIVE_VACCINES:
        gates = live_vaccine_gates(course.patient, given_on)
        if not gates.eligible:
            reasons = " ".join(gates.reasons.values())
            return f"The live-vaccine gates did not pass on {immunity.shown(given_on)}: {reasons}"
    if (vaccine, dose) not in immunity.MIN_INTERVALS:
        return ""
    previous = course.vaccinations.filter(vaccine=vaccine, dose=dose - 1).first()
    if previous is None:
        return ""
    age = immunity.age_on(course.patient.date_of_birth, previous.given_on)
    interval = immunity.dose_interval(vaccine, dose, age_years=age)
    earliest = interval.after(previous.given_on)
    if given_on < earliest:
        return (
            f"Dose {dose - 1} was given on {immunity.shown(previous.given_on)}: dose {dose} is "
            f"due from {immunity.shown(earliest)} (the minimum interval)."
        )
    return ""


def _vaccination_data(vaccination: Vaccination) -> dict[str, Any]:
    return {
        "vaccination": str(vaccination.code),
        "vaccine": vaccination.vaccine,
        "name": vaccination.get_vaccine_display(),
        "dose": vaccination.dose,
        "given_on": vaccination.given_on.isoformat(),
        "product": vaccination.product,
        "batch": vaccination.batch,
        "gates_overridden": vaccination.gates_overridden,
    }


@transaction.atomic
def record_vaccination(
    *,
    course: TransplantCourse,
    vaccine: str,
    dose: int,
    given_on: date,
    by: User,
    product: str = "",
    batch: str = "",
    gates_overridden: str = "",
) -> Vaccination:
    """A dose given. A dose before the previous one of the same vaccine is refused. A dose
    the rules say is too soon (a live vaccine while its gates fail; sooner than the minimum
    interval after the previous dose) needs the reason it was given anyway, kept with it;
    a reason given where no rule was broken is not kept."""
    course = _locked(course)
    earlier = course.vaccinations.filter(vaccine=vaccine, dose__lt=dose, given_on__gt=given_on)
    later = course.vaccinations.filter(vaccine=vaccine, dose__gt=dose, given_on__lt=given_on)
    if earlier.exists() or later.exists():
        raise ValidationError(
            {"given_on": "The doses of a vaccine come in order: check the dose number and date."}
        )
    too_soon = _too_soon(course, vaccine, dose, given_on)
    reason = gates_overridden.strip()
    if too_soon and not reason:
        raise ValidationError(
            {"gates_overridden": f"{too_soon} Give the reason it was given anyway."}
        )
    if not too_soon:
        reason = ""
    vaccination = Vaccination(
        course=course,
        vaccine=vaccine,
        dose=dose,
        given_on=given_on,
        product=product,
        batch=batch,
        gates_overridden=reason,
        entered_by=by,
    )
    vaccination.milestone = (
        course.milestones.select_related("step")
        .filter(step__vaccine=vaccine, step__dose=dose, completed_on__isnull=True)
        .order_by("due_date")
        .first()
    )
    _saved(vaccination, by)
    record(EventKind.VACCINATION_ADDED, by=by, course=course, **_vaccination_data(vaccination))
    if vaccination.milestone is not None:  # the dose the plan gives: done the day it was given
        mark_done(
            course,
            vaccination.milestone,
            on=given_on,
            by=by,
            today=given_on,
            reason="vaccination recorded",
        )
    rechain_doses(course, by=by, why=f"{vaccination.get_vaccine_display()} dose {dose} given")
    return vaccination


@transaction.atomic
def delete_vaccination(*, vaccination: Vaccination, by: User) -> None:
    """Delete a dose recorded in error (a second delete changes nothing)."""
    course = _locked(vaccination.course)
    fresh = Vaccination.objects.select_related("milestone__step").filter(pk=vaccination.pk).first()
    if fresh is None:
        return
    record(EventKind.VACCINATION_DELETED, by=by, course=course, **_vaccination_data(fresh))
    milestone = fresh.milestone
    fresh._history_user = by  # type: ignore[attr-defined]
    fresh.delete()
    if milestone is not None and milestone.completed_on == fresh.given_on:
        # The dose it recorded is gone: the milestone it completed is open again.
        mark_reopened(course, milestone, by=by, reason="vaccination deleted")
    rechain_doses(course, by=by, why=f"{fresh.get_vaccine_display()} dose {fresh.dose} deleted")


def _drug_data(entry: Immunosuppression) -> dict[str, Any]:
    return {
        "entry": str(entry.code),
        "drug": entry.drug,
        "started_on": entry.started_on.isoformat(),
        "stopped_on": entry.stopped_on.isoformat() if entry.stopped_on else None,
        "maintenance": entry.maintenance,
        "counts": entry.counts,
    }


@transaction.atomic
def record_immunosuppression(
    *,
    course: TransplantCourse,
    drug: str,
    started_on: date,
    by: User,
    stopped_on: date | None = None,
    maintenance: bool = False,
    counts: bool = True,
) -> Immunosuppression:
    """A drug started (and stopped, when entered afterwards)."""
    course = _locked(course)
    entry = Immunosuppression(
        course=course,
        drug=drug,
        started_on=started_on,
        stopped_on=stopped_on,
        maintenance=maintenance,
        counts=counts,
        entered_by=by,
    )
    _saved(entry, by)
    record(EventKind.IMMUNOSUPPRESSION_STARTED, by=by, course=course, **_drug_data(entry))
    return entry


@transaction.atomic
def stop_immunosuppression(
    *, entry: Immunosuppression, stopped_on: date, by: User
) -> Immunosuppression | None:
    """The day a drug was stopped (the first day off it); None when deleted meanwhile."""
    course = _locked(entry.course)
    fresh = Immunosuppression.objects.filter(pk=entry.pk).first()
    if fresh is None:
        return None
    if fresh.stopped_on is not None:
        raise ValidationError(
            {"stopped_on": f"It was recorded stopped on {fresh.stopped_on:%-d %b %Y}."}
        )
    fresh.stopped_on = stopped_on
    fresh.full_clean()
    fresh._history_user = by  # type: ignore[attr-defined]
    fresh.save(update_fields=["stopped_on"])
    record(EventKind.IMMUNOSUPPRESSION_STOPPED, by=by, course=course, **_drug_data(fresh))
    return fresh


@transaction.atomic
def delete_immunosuppression(*, entry: Immunosuppression, by: User) -> None:
    course = _locked(entry.course)
    fresh = Immunosuppression.objects.filter(pk=entry.pk).first()
    if fresh is None:
        return
    record(EventKind.IMMUNOSUPPRESSION_DELETED, by=by, course=course, **_drug_data(fresh))
    fresh._history_user = by  # type: ignore[attr-defined]
    fresh.delete()


@transaction.atomic
def record_ivig(*, course: TransplantCourse, given_on: date, by: User) -> IvigDose:
    course = _locked(course)
    ivig = IvigDose(course=course, given_on=given_on, entered_by=by)
    _saved(ivig, by)
    record(
        EventKind.IVIG_ADDED,
        by=by,
        course=course,
        ivig=str(ivig.code),
        given_on=given_on.isoformat(),
    )
    return ivig


@transaction.atomic
def delete_ivig(*, ivig: IvigDose, by: User) -> None:
    course = _locked(ivig.course)
    fresh = IvigDose.objects.filter(pk=ivig.pk).first()
    if fresh is None:
        return
    record(
        EventKind.IVIG_DELETED,
        by=by,
        course=course,
        ivig=str(fresh.code),
        given_on=fresh.given_on.isoformat(),
    )
    fresh._history_user = by  # type: ignore[attr-defined]
    fresh.delete()


def own_date(course: TransplantCourse, step: ProtocolStep) -> date:
    """A step's date from Day Zero, as the plan gives it (vaccine steps do not repeat)."""
    return schedule.plan(course.day_zero, [step.rule()])[0].due_date


def rechain_doses(
    course: TransplantCourse, *, by: User, why: str, milestones: list[Milestone] | None = None
) -> list[Milestone]:
    """Re-plan the course's vaccine doses not given yet so each follows the doses given
    (under the course lock); return those that moved. Each move is a course event.
    `milestones`: all of the course's, with their steps, when the caller holds them."""
    if milestones is None:
        milestones = list(course.milestones.select_related("step").exclude(step__vaccine=""))
    milestones = sorted(
        (m for m in milestones if m.step.vaccine and m.step.dose),
        key=lambda m: (m.due_date, m.pk),
    )
    if not milestones:
        return []
    given = {
        (vaccine, dose): given_on
        for vaccine, dose, given_on in course.vaccinations.values_list(
            "vaccine", "dose", "given_on"
        )
    }
    planned = [
        immunity.PlannedDose(
            vaccine=m.step.vaccine,
            dose=m.step.dose or 1,
            own_date=own_date(course, m.step),
            given_on=given.get((m.step.vaccine, m.step.dose or 1)),
        )
        for m in milestones
    ]
    chained = immunity.chain_doses(planned, born=course.patient.date_of_birth)
    moved = []
    for milestone, dose in zip(milestones, chained, strict=True):
        if milestone.completed_on is not None or milestone.due_date == dose.due:
            continue
        was = milestone.due_date
        milestone.due_date = dose.due
        milestone.window_start = dose.due - timedelta(days=milestone.step.window_before)
        milestone.window_end = dose.due + timedelta(days=milestone.step.window_after)
        moved.append(milestone)
        record(
            EventKind.MILESTONE_REPLANNED,
            by=by,
            course=course,
            milestone=str(milestone.code),
            title=milestone.title,
            was_due=was.isoformat(),
            due=dose.due.isoformat(),
            reason=dose.reason or "Back to its date from Day Zero.",
            why=why,
        )
    save_dates(moved)
    Milestone.history.bulk_history_create(
        moved, update=True, default_user=by, default_change_reason=why
    )
    return moved
