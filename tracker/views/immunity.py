"""Immune recovery on the course page (transplant courses, care team only): vaccinations
given, immunosuppression started and stopped, IVIG doses; the live-vaccine gates today.

The section (`<section id="immunity">`) is the swap target of every form in it. A patient gets
a 404 even on their own course.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpResponse
from django.views.decorators.http import require_POST

from tracker import clock, services
from tracker.access import get_immunity_course_for, get_immunity_record_for, require
from tracker.forms import (
    ImmunosuppressionForm,
    IrradiationForm,
    IvigForm,
    LetermovirForm,
    StopDrugForm,
    VaccinationForm,
    show_errors,
)
from tracker.http import AuthenticatedRequest
from tracker.models import Immunosuppression, IvigDose, TransplantCourse, Vaccination
from tracker.queries.immunity import irradiation as irradiation_of
from tracker.rules import schedule
from tracker.views.course_page import (
    immunity_context,
    milestone_rows,
    section_response,
    summaries_of,
)

PERMISSION = "record_immune_recovery"


State = dict[int, tuple[date, str, str, date | None]]


def immune_state(course: TransplantCourse) -> State:
    """What the timeline shows of the course's immune-recovery milestones: one query."""
    rows = course.milestones.exclude(step__vaccine="", step__stop_rule="").values_list(
        "pk", "due_date", "hold", "plan_note", "completed_on"
    )
    return {pk: (due, hold, note, done) for pk, due, hold, note, done in rows}


@dataclass(frozen=True)
class Changes:
    """The immune-recovery milestones an action changed, and whether one left its phase
    (the page is then drawn again: a milestone cannot move between phases in place)."""

    milestones: list[int]
    moved_phase: bool


def changes_of(course: TransplantCourse, action: Callable[[], object]) -> Changes:
    """Run the action (a service) and say what it changed on the course's timeline."""
    before = immune_state(course)
    action()
    after = immune_state(course)
    changed = [pk for pk, state in after.items() if before.get(pk) != state]
    phase = schedule.phases_from(course.day_zero, course.phase_scheme)
    moved = any(pk in before and phase(before[pk][0]) != phase(after[pk][0]) for pk in changed)
    return Changes(changed, moved)


def redrawn(course: TransplantCourse, changes: Changes) -> dict[str, Any]:
    """The section out of band after a change elsewhere (GVHD): the changed milestones and
    their phases' summary lines, and the irradiated blood banner."""
    today = clock.today()
    rows = milestone_rows(course, course.milestones.filter(pk__in=changes.milestones), today)
    phases = {row.phase for row in rows}
    summaries = [s for s in summaries_of(course, today) if s.phase in phases] if rows else []
    return {
        "changed_milestones": rows,
        "changed_summaries": summaries,
        # The banner follows drugs, chronic GVHD, the harvest date and Hodgkin lymphoma.
        "irradiation_now": irradiation_of(course),
        "today": today,
    }


def refreshed(
    request: AuthenticatedRequest, response: HttpResponse, changes: Changes
) -> HttpResponse:
    """A milestone that left its phase: htmx draws the page again."""
    if request.htmx and changes.moved_phase:
        response["HX-Refresh"] = "true"
    return response


def _response(
    request: AuthenticatedRequest,
    course: TransplantCourse,
    changes: Changes | None = None,
    **forms: Form,
) -> HttpResponse:
    """The section; after a change, the milestones it changed and their phases' summary
    lines out of band too (a dose completes or re-plans them; a drug, an IVIG dose or a stop
    opens or shuts a live vaccine's gates)."""

    def context() -> dict[str, Any]:
        drawn = immunity_context(course, **forms)
        if forms or changes is None:
            return drawn
        return {**drawn, **redrawn(course, changes)}

    response = section_response(
        request,
        course,
        fragment="courses/immunity.html#immunity",
        context=context,
        forms=forms,
    )
    return refreshed(request, response, changes) if changes else response


def _save(
    request: AuthenticatedRequest,
    course: TransplantCourse,
    form: Form,
    name: str,
    save: Callable[[], object],
) -> HttpResponse:
    """The form checked, then the service; a refusal goes back on the form as `name`."""
    if form.is_valid():
        try:
            changes = changes_of(course, save)
        except ValidationError as error:
            show_errors(form, error)
        else:
            return _response(request, course, changes)
    return _response(request, course, None, **{name: form})


@require_POST
@login_required
def vaccination_add(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    course = get_immunity_course_for(request.user, code)
    require(request.user, PERMISSION)
    form = VaccinationForm(request.POST, course=course)
    return _save(
        request,
        course,
        form,
        "vaccination_form",
        lambda: services.record_vaccination(course=course, by=request.user, **form.cleaned_data),
    )


@require_POST
@login_required
def vaccination_delete(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    vaccination = get_immunity_record_for(request.user, Vaccination, code)
    require(request.user, PERMISSION)
    course = vaccination.course
    changes = changes_of(
        course, lambda: services.delete_vaccination(vaccination=vaccination, by=request.user)
    )
    return _response(request, course, changes)


@require_POST
@login_required
def drug_add(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    course = get_immunity_course_for(request.user, code)
    require(request.user, PERMISSION)
    form = ImmunosuppressionForm(request.POST, course=course)
    return _save(
        request,
        course,
        form,
        "drug_form",
        lambda: services.record_immunosuppression(
            course=course, by=request.user, **form.cleaned_data
        ),
    )


@require_POST
@login_required
def drug_stop(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    entry = get_immunity_record_for(request.user, Immunosuppression, code)
    require(request.user, PERMISSION)
    form = StopDrugForm(request.POST, entry=entry)
    return _save(
        request,
        entry.course,
        form,
        "stop_form",
        lambda: services.stop_immunosuppression(
            entry=entry, stopped_on=form.cleaned_data["stopped_on"], by=request.user
        ),
    )


@require_POST
@login_required
def drug_delete(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    entry = get_immunity_record_for(request.user, Immunosuppression, code)
    require(request.user, PERMISSION)
    course = entry.course
    changes = changes_of(
        course, lambda: services.delete_immunosuppression(entry=entry, by=request.user)
    )
    return _response(request, course, changes)


@require_POST
@login_required
def ivig_add(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    course = get_immunity_course_for(request.user, code)
    require(request.user, PERMISSION)
    form = IvigForm(request.POST, course=course)
    return _save(
        request,
        course,
        form,
        "ivig_form",
        lambda: services.record_ivig(
            course=course, given_on=form.cleaned_data["given_on"], by=request.user
        ),
    )


@require_POST
@login_required
def ivig_delete(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    ivig = get_immunity_record_for(request.user, IvigDose, code)
    require(request.user, PERMISSION)
    course = ivig.course
    changes = changes_of(course, lambda: services.delete_ivig(ivig=ivig, by=request.user))
    return _response(request, course, changes)


@require_POST
@login_required
def letermovir(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    course = get_immunity_course_for(request.user, code)
    require(request.user, PERMISSION)
    form = LetermovirForm(request.POST)

    def save() -> None:
        changed = services.extend_letermovir(course=course, by=request.user, **form.cleaned_data)
        course.letermovir_extended = changed.letermovir_extended  # the section shows it

    return _save(request, course, form, "letermovir_form", save)


@require_POST
@login_required
def irradiation(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    course = get_immunity_course_for(request.user, code)
    require(request.user, PERMISSION)
    form = IrradiationForm(request.POST, course=course)

    def save() -> None:
        saved = services.record_irradiation_details(
            course=course,
            harvest_date=form.cleaned_data.get("harvest_date"),
            hodgkin_lymphoma=form.cleaned_data["hodgkin_lymphoma"],
            by=request.user,
        )
        course.harvest_date, course.hodgkin_lymphoma = saved.harvest_date, saved.hodgkin_lymphoma

    return _save(request, course, form, "irradiation_form", save)
