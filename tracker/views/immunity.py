"""Immune recovery on the course page (transplant courses, care team only): vaccinations
given, immunosuppression started and stopped, IVIG doses; the live-vaccine gates today.

The section (`<section id="immunity">`) is the swap target of every form in it. A patient gets
a 404 even on their own course.
"""

from __future__ import annotations

from collections.abc import Callable
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
from tracker.views.course_page import (
    immunity_context,
    milestone_rows,
    section_response,
    summaries_of,
)

PERMISSION = "record_immune_recovery"


def _response(
    request: AuthenticatedRequest, course: TransplantCourse, **forms: Any
) -> HttpResponse:
    """The section; after a change, the course's vaccine milestones and their phases'
    summary lines out of band too (a dose completes or re-plans them; a drug, an IVIG dose
    or a stop opens or shuts a live vaccine's gates)."""

    def context() -> dict[str, Any]:
        drawn = immunity_context(course, **forms)
        if forms:
            return drawn
        today = clock.today()
        vaccines = course.milestones.exclude(step__vaccine="", step__stop_rule="")
        rows = milestone_rows(course, vaccines, today)
        phases = {row.phase for row in rows}
        summaries = [s for s in summaries_of(course, today) if s.phase in phases] if rows else []
        return {
            **drawn,
            "changed_milestones": rows,
            "changed_summaries": summaries,
            # The banner follows drugs, chronic GVHD, the harvest date and Hodgkin lymphoma.
            "irradiation_now": irradiation_of(course),
        }

    return section_response(
        request,
        course,
        fragment="courses/immunity.html#immunity",
        context=context,
        forms=forms,
    )


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
            save()
        except ValidationError as error:
            show_errors(form, error)
        else:
            return _response(request, course)
    return _response(request, course, **{name: form})


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
    services.delete_vaccination(vaccination=vaccination, by=request.user)
    return _response(request, vaccination.course)


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
    services.delete_immunosuppression(entry=entry, by=request.user)
    return _response(request, entry.course)


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
    services.delete_ivig(ivig=ivig, by=request.user)
    return _response(request, ivig.course)


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
