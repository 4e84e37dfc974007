"""GVHD on the course page (allogeneic courses, care team only): acute assessments added,
corrected and deleted; chronic GVHD diagnosed, scored, resolved (and a resolution undone).

The GVHD section (`<section id="gvhd">`) is the swap target of every form in it; the GVHD line
in the course header follows out of band. A patient gets a 404 even on their own course.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods, require_POST

from tracker import services
from tracker.access import (
    get_acute_gvhd_for,
    get_chronic_gvhd_for,
    get_chronic_scoring_for,
    get_gvhd_course_for,
    require,
)
from tracker.forms import AcuteGvhdForm, ChronicGvhdForm, ChronicGvhdResolveForm, show_errors
from tracker.http import AuthenticatedRequest
from tracker.models import TransplantCourse
from tracker.models.courses import GVHD_BOOKKEEPING
from tracker.views.course_page import (
    gvhd_context,
    immunity_context,
    part_context,
    section_response,
)
from tracker.views.immunity import Changes, changes_of, redrawn, refreshed


def _gvhd_response(
    request: AuthenticatedRequest,
    course: TransplantCourse,
    *,
    error: str = "",
    changes: Changes | None = None,
    **forms: Any,
) -> HttpResponse:
    """The section, with the header's GVHD line out of band; after a chronic GVHD change,
    the immune recovery section and the milestones it changed too (the live-vaccine gates,
    PPSV23 or a 4th PCV, irradiated blood)."""
    course.refresh_from_db(fields=GVHD_BOOKKEEPING)  # what the service just wrote
    if error and not request.htmx:
        messages.error(request, error)

    def context() -> dict[str, Any]:
        drawn = {**gvhd_context(course, **forms), "gvhd_oob": True, "gvhd_error": error}
        if changes is None or not request.htmx:
            return drawn
        immunity = {**immunity_context(course), **redrawn(course, changes)}
        return {**immunity, **drawn, "immunity_oob": True}

    response = section_response(
        request, course, fragment="courses/gvhd.html#gvhd", context=context, forms=forms
    )
    return refreshed(request, response, changes) if changes else response


def _changed(course: TransplantCourse, form: Any, save: Callable[[], object]) -> Changes | None:
    """Run the service and say what it changed on the immune-recovery timeline; its refusal
    goes on the form (None)."""
    try:
        return changes_of(course, save)
    except ValidationError as error:
        show_errors(form, error)
        return None


def _saved(form: Any, save: Callable[[], object]) -> bool:
    """Run the service; its refusal (a colleague's change in between) goes on the form."""
    try:
        save()
    except ValidationError as error:
        show_errors(form, error)
        return False
    return True


@require_POST
@login_required
def acute_add(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    course = get_gvhd_course_for(request.user, code)
    require(request.user, "stage_gvhd")
    form = AcuteGvhdForm(request.POST, course=course)
    if not form.is_valid() or not _saved(
        form,
        lambda: services.record_acute_gvhd(course=course, values=form.values(), by=request.user),
    ):
        return _gvhd_response(request, course, acute_form=form)
    return _gvhd_response(request, course)


@require_http_methods(["GET", "POST"])
@login_required
def acute_edit(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    """GET: the assessment as a form (htmx swaps its row), or with `?cancel=1` the section
    again; POST: the corrected section."""
    assessment = get_acute_gvhd_for(request.user, code)
    require(request.user, "stage_gvhd")
    course = assessment.course
    if request.htmx and request.GET.get("cancel"):  # the correction given up: the section
        return _gvhd_response(request, course)
    form = AcuteGvhdForm(request.POST or None, instance=assessment, course=course)
    if request.method == "POST":
        if not form.is_valid() or not _saved(
            form,
            lambda: services.correct_acute_gvhd(
                assessment=assessment,
                values={field: form.cleaned_data[field] for field in form.changed_data},
                by=request.user,
            ),
        ):
            return _gvhd_response(request, course, acute_edit_form=form)
        return _gvhd_response(request, course)
    context = part_context(request, acute_edit_form=form, assessment=assessment, course=course)
    if request.htmx:
        return TemplateResponse(request, "courses/gvhd.html#acute_edit", context)
    return TemplateResponse(request, "courses/gvhd_edit.html", context)


@require_POST
@login_required
def acute_delete(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    assessment = get_acute_gvhd_for(request.user, code)
    require(request.user, "stage_gvhd")
    services.delete_acute_gvhd(assessment=assessment, by=request.user)
    return _gvhd_response(request, assessment.course)


def _scored(
    request: AuthenticatedRequest,
    course: TransplantCourse,
    save: Callable[[ChronicGvhdForm], object],
    *,
    diagnosis: bool,
) -> HttpResponse:
    """A diagnosis or a later scoring: the form checked, then `save` with it."""
    form = ChronicGvhdForm(request.POST, course=course, diagnosis=diagnosis, prefix="chronic")
    if not form.is_valid():
        return _gvhd_response(request, course, chronic_form=form)
    changes = _changed(course, form, lambda: save(form))
    if changes is None:
        return _gvhd_response(request, course, chronic_form=form)
    return _gvhd_response(request, course, changes=changes)


@require_POST
@login_required
def chronic_diagnose(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    course = get_gvhd_course_for(request.user, code)
    require(request.user, "stage_gvhd")

    def save(form: ChronicGvhdForm) -> object:
        return services.diagnose_chronic_gvhd(
            course=course,
            diagnosed_on=form.cleaned_data["assessed_on"],
            scores=form.scores(),
            note=form.cleaned_data["note"],
            by=request.user,
        )

    return _scored(request, course, save, diagnosis=True)


@require_POST
@login_required
def chronic_score(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    episode = get_chronic_gvhd_for(request.user, code)
    require(request.user, "stage_gvhd")

    def save(form: ChronicGvhdForm) -> object:
        return services.score_chronic_gvhd(
            episode=episode,
            assessed_on=form.cleaned_data["assessed_on"],
            scores=form.scores(),
            note=form.cleaned_data["note"],
            by=request.user,
        )

    return _scored(request, episode.course, save, diagnosis=False)


@require_POST
@login_required
def chronic_resolve(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    episode = get_chronic_gvhd_for(request.user, code)
    require(request.user, "stage_gvhd")
    course = episode.course
    form = ChronicGvhdResolveForm(request.POST, course=course)
    if not form.is_valid():
        return _gvhd_response(request, course, resolve_form=form)
    changes = _changed(
        course,
        form,
        lambda: services.resolve_chronic_gvhd(
            episode=episode, resolved_on=form.cleaned_data["resolved_on"], by=request.user
        ),
    )
    if changes is None:
        return _gvhd_response(request, course, resolve_form=form)
    return _gvhd_response(request, course, changes=changes)


@require_POST
@login_required
def chronic_reopen(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    episode = get_chronic_gvhd_for(request.user, code)
    require(request.user, "stage_gvhd")
    course = episode.course
    try:
        changes = changes_of(
            course, lambda: services.reopen_chronic_gvhd(episode=episode, by=request.user)
        )
    except ValidationError as error:
        return _gvhd_response(request, course, error=error.messages[0])
    return _gvhd_response(request, course, changes=changes)


@require_POST
@login_required
def scoring_delete(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    scoring = get_chronic_scoring_for(request.user, code)
    require(request.user, "stage_gvhd")
    course = scoring.episode.course
    try:
        changes = changes_of(
            course, lambda: services.delete_chronic_scoring(scoring=scoring, by=request.user)
        )
    except ValidationError as error:
        return _gvhd_response(request, course, error=error.messages[0])
    return _gvhd_response(request, course, changes=changes)
