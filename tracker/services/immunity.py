"""Immune recovery on a course: vaccinations given, immunosuppression started and stopped,
immunoglobulin (IVIG) doses. Each write locks the course and records a course event."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
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
from tracker.models.choices import (
    CLOSED_HOLDS,
    ChronicGvhdCondition,
    Engraftment,
    Hold,
    StopRule,
    Vaccine,
)
from tracker.models.events import record
from tracker.models.protocols import influenza_season
from tracker.queries.gvhd import chronic_gvhd_periods
from tracker.queries.immunity import (
    gate_line,
    immunosuppression_periods,
    ivig_dates,
    live_vaccine_gates,
    transplant_day_zeros,
)
from tracker.rules import immunity, schedule
from tracker.services.courses import lock_course
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


def _season_of(given_on: date) -> tuple[date, date] | None:
    """The first and last day of the influenza season of that day (None: out of season)."""
    season = influenza_season()
    if not season.contains(given_on):
        return None
    start = season.start_on_or_before(given_on)
    return start, season.end_of(start)


def _too_soon(course: TransplantCourse, vaccine: str, dose: int, given_on: date) -> str:
    """Why the rules say this dose is too soon on that date, or ""."""
    season = _season_of(given_on) if vaccine == Vaccine.INFLUENZA else None
    if season is not None:
        earlier = course.vaccinations.filter(
            vaccine=vaccine, given_on__range=season, dose__lt=dose
        ).first()
        if earlier is not None:
            return (
                f"Dose {earlier.dose} was given this season, on {immunity.shown(earlier.given_on)}:"
                " one a season."
            )
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


# A dose given this long before a season's milestone is that season's (given early).
EARLY_FOR_ITS_SEASON = timedelta(days=31)


def _milestone_of(
    course: TransplantCourse, vaccine: str, dose: int, given_on: date
) -> Milestone | None:
    """The milestone a dose completes: its step's dose; for a vaccine given once a season,
    the milestone of the season it was given in (or of the season it was given early for),
    never another season's."""
    pending = course.milestones.select_related("step").filter(
        step__vaccine=vaccine, completed_on__isnull=True
    )
    if vaccine != Vaccine.INFLUENZA:
        return (
            pending.filter(step__dose=dose, step__seasons__isnull=True).order_by("due_date").first()
        )
    seasonal = pending.filter(step__seasons__isnull=False).order_by("due_date")
    season = _season_of(given_on)
    if season is not None:
        return seasonal.filter(due_date__range=season).first()
    return seasonal.filter(
        due_date__gt=given_on, due_date__lte=given_on + EARLY_FOR_ITS_SEASON
    ).first()


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
    conflict = earlier.first() or later.first()
    if conflict is not None:
        raise ValidationError(
            {
                "given_on": f"The doses of a vaccine come in order, and dose {conflict.dose} is "
                f"recorded as given on {immunity.shown(conflict.given_on)}: check the dose "
                "number and date (or delete the dose recorded in error)."
            }
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
    vaccination.milestone = _milestone_of(course, vaccine, dose, given_on)
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
    replan_immune_recovery(
        course, by=by, why=f"{vaccination.get_vaccine_display()} dose {dose} given"
    )
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
    replan_immune_recovery(
        course, by=by, why=f"{fresh.get_vaccine_display()} dose {fresh.dose} deleted"
    )


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
    replan_immune_recovery(course, by=by, why=f"{drug} recorded")
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
    replan_immune_recovery(course, by=by, why=f"{fresh.drug} stopped")
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
    replan_immune_recovery(course, by=by, why=f"{fresh.drug} deleted")


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
    replan_immune_recovery(course, by=by, why="IVIG given")
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
    replan_immune_recovery(course, by=by, why="IVIG dose deleted")


@transaction.atomic
def extend_letermovir(
    *, course: TransplantCourse, extended: bool, by: User, reason: str = ""
) -> TransplantCourse:
    """Letermovir to Day +200 (high CMV risk) or back to Day +100; its stop milestone
    follows. Changing nothing records nothing."""
    course = _locked(course)
    if not course.milestones.filter(step__stop_rule=StopRule.LETERMOVIR).exists():
        raise ValidationError("This course's protocol has no letermovir stop to change.")
    if course.letermovir_extended == extended:
        return course
    course.letermovir_extended = extended
    course._history_user = by
    course.save(update_fields=["letermovir_extended"])
    record(EventKind.LETERMOVIR_EXTENDED, by=by, course=course, extended=extended, reason=reason)
    replan_immune_recovery(
        course, by=by, why="Letermovir extended" if extended else "Letermovir back to Day +100"
    )
    return course


@transaction.atomic
def record_irradiation_details(
    *,
    course: TransplantCourse,
    harvest_date: date | None,
    hodgkin_lymphoma: bool,
    by: User,
) -> TransplantCourse:
    """What decides irradiated blood besides the protocol: the autologous harvest date and
    Hodgkin lymphoma. Changing nothing records nothing."""
    course = _locked(course)
    if course.kind != "autologous":
        harvest_date = None
    if (course.harvest_date, course.hodgkin_lymphoma) == (harvest_date, hodgkin_lymphoma):
        return course
    course.harvest_date, course.hodgkin_lymphoma = harvest_date, hodgkin_lymphoma
    course._history_user = by
    course.save(update_fields=["harvest_date", "hodgkin_lymphoma"])
    record(
        EventKind.IRRADIATION_CHANGED,
        by=by,
        course=course,
        harvest_date=harvest_date.isoformat() if harvest_date else None,
        hodgkin_lymphoma=hodgkin_lymphoma,
    )
    return course


def own_date(course: TransplantCourse, step: ProtocolStep, occurrence: int = 1) -> date:
    """An occurrence's date from Day Zero, as the plan gives it."""
    planned = schedule.plan(course.day_zero, [step.rule()])
    return next((p.due_date for p in planned if p.occurrence == occurrence), planned[-1].due_date)


@dataclass(frozen=True)
class _Records:
    """What the re-plan reads of the patient (every course) and of the course."""

    day_zeros: list[date]
    chronic_gvhd: list[immunity.Period]
    drugs: list[immunity.Period]
    ivig: list[date]
    engrafted_on: date | None
    cd4: list[tuple[date, Decimal]]

    @classmethod
    def read(cls, course: TransplantCourse) -> _Records:
        patient = course.patient
        engraftment = (
            course.milestones.filter(
                step__engraftment=Engraftment.NEUTROPHIL, completed_on__isnull=False
            )
            .values_list("completed_on", flat=True)
            .first()
        )
        cd4 = course.lab_results.filter(analyte="cd4", value__isnull=False).values_list(
            "drawn_on", "value"
        )
        return cls(
            day_zeros=transplant_day_zeros(patient),
            chronic_gvhd=chronic_gvhd_periods(patient),
            drugs=immunosuppression_periods(patient),
            ivig=ivig_dates(patient),
            engrafted_on=engraftment,
            cd4=[(drawn_on, value) for drawn_on, value in cd4 if value is not None],
        )

    @property
    def settled_from(self) -> date:
        """The last day any record changes the gates: from it on, only time does."""
        days = [*self.day_zeros, *self.ivig]
        for start, end in [*self.chronic_gvhd, *self.drugs]:
            days += [start, *([end] if end else [])]
        return max(days)

    def gates(self, on: date) -> immunity.GateVerdict:
        """The live-vaccine gates from the first day they can be known for good: on `on`, or
        when the records say more later (a dose due last month, IVIG given since)."""
        return immunity.live_vaccine_gates(
            on=max(on, self.settled_from),
            transplant_day_zeros=self.day_zeros,
            chronic_gvhd_periods=self.chronic_gvhd,
            immunosuppression_periods=self.drugs,
            ivig_dates=self.ivig,
        )

    def chronic_gvhd_on(self, day: date) -> date | None:
        """When the chronic GVHD active on that day (or, later, now) began; None if none."""
        ends = [end for _, end in self.chronic_gvhd if end]
        day = max([day, *(start for start, _ in self.chronic_gvhd), *ends])
        active = [
            start for start, end in self.chronic_gvhd if start <= day and (end is None or day < end)
        ]
        return max(active) if active else None


def _pjp_config() -> immunity.PjpConfig:
    return immunity.PjpConfig(
        months_off_immunosuppression=settings.PJP_MONTHS_OFF_IMMUNOSUPPRESSION,
        cd4_threshold=settings.PJP_CD4_THRESHOLD or None,
    )


@dataclass(frozen=True)
class _Plan:
    due: date
    hold: str
    note: str


def _planned(
    course: TransplantCourse,
    milestones: list[Milestone],
    records: _Records,
    given: dict[tuple[str, int], date],
) -> list[_Plan]:
    """Where each of these milestones (not done) stands: its date, hold and why."""
    verdicts = {}
    doses = []
    for m in milestones:
        own = own_date(course, m.step, m.occurrence)
        if m.step.is_live_vaccine:
            verdict = verdicts[m.pk] = records.gates(own)
            if not verdict.eligible and verdict.eligible_from is not None:
                own = max(own, verdict.eligible_from)  # a deferred dose 1 defers dose 2
        doses.append(
            immunity.PlannedDose(
                vaccine=m.step.vaccine or f"step-{m.step_id}",
                dose=dose_of(m),
                own_date=own,
                given_on=given.get((m.step.vaccine, dose_of(m))) if m.step.vaccine else None,
            )
        )
    chained = immunity.chain_doses(doses, born=course.patient.date_of_birth)
    plans = []
    blocked_live: set[tuple[str, int]] = set()
    for m, dose in zip(milestones, chained, strict=True):
        step = m.step
        due, hold, note = dose.due, Hold.NONE, dose.reason
        if step.chronic_gvhd:
            since = records.chronic_gvhd_on(due)
            if step.chronic_gvhd == ChronicGvhdCondition.WITHOUT and since:
                hold = Hold.NOT_NEEDED
                note = f"Not needed: chronic GVHD active since {immunity.shown(since)}."
            elif step.chronic_gvhd == ChronicGvhdCondition.WITH and not since:
                hold = Hold.NOT_NEEDED
                note = "Not needed: no active chronic GVHD."
        if step.is_live_vaccine:
            # The gates as they stand on the dose's own date (or since, by the records).
            verdict = verdicts[m.pk]
            previous = (step.vaccine, dose_of(m) - 1)
            if previous in blocked_live:
                hold = Hold.BLOCKED
                why = " ".join(verdict.reasons.values())
                note = f"Blocked: it waits for dose {previous[1]}, itself blocked. {why}".strip()
            elif not verdict.eligible and (opens := verdict.eligible_from) is None:
                hold, note = Hold.BLOCKED, gate_line(verdict)
            elif not verdict.eligible and opens is not None and opens >= due:
                # The gates set its date (a later dose chained past it is not blocked).
                due, hold, note = opens, Hold.BLOCKED_UNTIL, gate_line(verdict)
            elif not note:
                opened = verdict.eligible_from
                note = (
                    f"Live vaccine: the gates pass from {immunity.shown(opened)} by what is "
                    "recorded; check them again on the day."
                    if opened
                    else "Live vaccine: the gates pass by what is recorded; check them again "
                    "on the day."
                )
            if hold == Hold.BLOCKED:
                blocked_live.add((step.vaccine, dose_of(m)))
        if step.stop_rule == StopRule.PJP:
            stop = immunity.pjp_stop(
                engraftment=records.engrafted_on,
                immunosuppression_periods=records.drugs,
                cd4_results=records.cd4,
                config=_pjp_config(),
            )
            if stop.on is None:
                hold, note = Hold.BLOCKED, f"Not yet: {stop.reason}"
            else:
                due, note = stop.on, stop.reason
        elif step.stop_rule == StopRule.LETERMOVIR:
            stop = immunity.letermovir_stop(
                day_zero=course.day_zero, extended=course.letermovir_extended
            )
            due, note = stop.on or due, stop.reason
        plans.append(_Plan(due, hold, note))
    return plans


def dose_of(milestone: Milestone) -> int:
    """The dose a milestone gives: its step's, or its season's for a yearly vaccine."""
    return milestone.occurrence if milestone.step.seasons else (milestone.step.dose or 1)


def replan_immune_recovery(
    course: TransplantCourse,
    *,
    by: User,
    why: str,
    milestones: list[Milestone] | None = None,
    quiet: bool = False,
) -> list[Milestone]:
    """Re-plan the course's immune-recovery milestones not done (under the course lock) and
    return those that changed; each change is a course event:

    - vaccine doses follow the doses given (`immunity.chain_doses`);
    - a live vaccine is blocked while its gates fail: until the date they open when only time
      holds them, else until a clinical event (a dose after a blocked one waits with it);
    - a step given only with, or without, active chronic GVHD is "not needed" otherwise;
    - PJP prophylaxis and letermovir stop on the date their rule gives (PJP: blocked while
      the rule waits on an event).

    `milestones`: all of the course's, with their steps, when the caller holds them; `quiet`:
    no events (the course is being planned: its start is the event)."""
    if not course.is_transplant:
        return []
    if milestones is None:
        milestones = list(
            course.milestones.select_related("step").exclude(step__vaccine="", step__stop_rule="")
        )
    ours = sorted(
        (m for m in milestones if m.step.vaccine or m.step.stop_rule),
        key=lambda m: (m.due_date, m.pk),
    )
    pending = [m for m in ours if m.completed_on is None and m.hold not in CLOSED_HOLDS]
    if not pending:
        return []
    given = {
        (vaccine, dose): given_on
        for vaccine, dose, given_on in course.vaccinations.values_list(
            "vaccine", "dose", "given_on"
        )
    }
    records = _Records.read(course)
    # Every dose of the course takes part in the chain (a dose given is where the next
    # counts from); only those not done change.
    plans = dict(zip([m.pk for m in ours], _planned(course, ours, records, given), strict=True))
    changed = []
    for milestone in pending:
        plan = plans[milestone.pk]
        was = (milestone.due_date, milestone.hold, milestone.plan_note)
        if was == (plan.due, plan.hold, plan.note):
            continue
        milestone.due_date = plan.due
        milestone.window_start = plan.due - timedelta(days=milestone.step.window_before)
        milestone.window_end = plan.due + timedelta(days=milestone.step.window_after)
        milestone.hold, milestone.plan_note = plan.hold, plan.note
        changed.append(milestone)
        if was[:2] != (plan.due, plan.hold) and not quiet:
            record(
                EventKind.MILESTONE_REPLANNED,
                by=by,
                course=course,
                milestone=str(milestone.code),
                title=milestone.title,
                was_due=was[0].isoformat(),
                due=plan.due.isoformat(),
                was_hold=was[1],
                hold=plan.hold,
                reason=plan.note or "Back to its date from Day Zero.",
                why=why,
            )
    Milestone.objects.bulk_update(
        changed, ["due_date", "window_start", "window_end", "hold", "plan_note"]
    )
    Milestone.history.bulk_history_create(
        changed, update=True, default_user=by, default_change_reason=why
    )
    return changed
