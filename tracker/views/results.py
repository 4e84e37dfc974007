"""Lab results on the course page (chimerism, CMV PCR, CD4, IgG): add, paste, delete.

The results section (`<section id="results">`) is the swap target of every form in it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_POST

from tracker import services
from tracker.access import get_course_for, get_lab_result_for, require
from tracker.forms import LabResultForm, PastedResultsForm
from tracker.http import AuthenticatedRequest
from tracker.models import TransplantCourse
from tracker.views.course_page import results_context, section_response


def _results_response(
    request: AuthenticatedRequest, course: TransplantCourse, **forms: Any
) -> HttpResponse:
    return section_response(
        request,
        course,
        fragment="courses/results.html#results",
        context=lambda: results_context(course, **forms),
        forms=forms,
    )


@require_POST
@login_required
def results_add(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    course = get_course_for(request.user, code)
    require(request.user, "add_labresult")
    form = LabResultForm(request.POST, course=course)
    if not form.is_valid():
        return _results_response(request, course, result_form=form)
    services.record_results(course=course, rows=[form.row()], by=request.user)
    return _results_response(request, course)


@require_POST
@login_required
def results_paste(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    course = get_course_for(request.user, code)
    require(request.user, "add_labresult")
    form = PastedResultsForm(request.POST, course=course)
    if not form.is_valid():
        return _results_response(request, course, results_paste_form=form)
    rows = [line.values() for line in form.cleaned_data["lines"]]
    services.record_results(course=course, rows=rows, by=request.user)
    if not request.htmx:
        messages.success(request, f"{len(rows)} result{'s' if len(rows) != 1 else ''} saved.")
    return _results_response(request, course)


@require_POST
@login_required
def result_delete(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    result = get_lab_result_for(request.user, code)
    require(request.user, "delete_labresult")
    services.delete_result(result=result, by=request.user)
    return _results_response(request, result.course)
