"""Blood counts on the course page: add, paste, correct and delete, in place.

The counts section (`<section id="counts">`) is the one swap target of every form in it: each
answers an htmx request with the whole section (counts, engraftment, charts) and the
milestones the counts completed or reopened, out of band.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods, require_POST

from tracker import clock, services
from tracker.access import get_blood_count_for, get_course_for, require
from tracker.forms import BloodCountForm, PastedCountsForm
from tracker.http import AuthenticatedRequest
from tracker.models import Milestone, TransplantCourse
from tracker.views.course_page import (
    counts_context,
    milestone_rows,
    part_context,
    section_response,
    summaries_of,
)


def _counts_response(
    request: AuthenticatedRequest,
    course: TransplantCourse,
    *,
    changed: Sequence[Milestone] = (),
    **forms: Any,
) -> HttpResponse:
    """The counts section, with the milestones the counts changed and their phases' summary
    lines out of band (htmx)."""

    def context() -> dict[str, Any]:
        today = clock.today()
        rows = milestone_rows(course, changed, today) if changed else []
        phases = {row.phase for row in rows}
        summaries = [s for s in summaries_of(course, today) if s.phase in phases] if rows else []
        return {
            **counts_context(course, today, **forms),
            "changed_milestones": rows,
            "changed_summaries": summaries,
        }

    return section_response(
        request, course, fragment="courses/detail.html#counts", context=context, forms=forms
    )


@require_POST
@login_required
def counts_add(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    course = get_course_for(request.user, code)
    require(request.user, "add_bloodcount")
    form = BloodCountForm(request.POST, course=course)
    if not form.is_valid():
        return _counts_response(request, course, count_form=form)
    changed = services.record_counts(
        course=course, rows=[form.cleaned_data], by=request.user, today=clock.today()
    )
    return _counts_response(request, course, changed=changed)


@require_POST
@login_required
def counts_paste(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    course = get_course_for(request.user, code)
    require(request.user, "add_bloodcount")
    form = PastedCountsForm(request.POST, course=course)
    if not form.is_valid():
        return _counts_response(request, course, paste_form=form)
    rows = [line.values() for line in form.cleaned_data["lines"]]
    changed = services.record_counts(course=course, rows=rows, by=request.user, today=clock.today())
    if not request.htmx:
        messages.success(request, f"{len(rows)} count{'s' if len(rows) != 1 else ''} saved.")
    return _counts_response(request, course, changed=changed)


@require_http_methods(["GET", "POST"])
@login_required
def count_edit(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    """GET: the row as a form (htmx swaps the row), or with `?cancel=1` the section again;
    POST: the corrected counts section."""
    count = get_blood_count_for(request.user, code)
    require(request.user, "change_bloodcount")
    course = count.course
    if request.htmx and request.GET.get("cancel"):  # the correction given up: the section
        return _counts_response(request, course)
    form = BloodCountForm(request.POST or None, instance=count, course=course)
    if request.method == "POST":
        if not form.is_valid():
            return _counts_response(request, course, edit_form=form)
        changed = services.correct_count(
            count=count,
            values={field: form.cleaned_data[field] for field in form.changed_data},
            by=request.user,
            today=clock.today(),
        )
        return _counts_response(request, course, changed=changed)
    context = part_context(request, edit_form=form, count=count, course=course)
    if request.htmx:
        return TemplateResponse(request, "courses/detail.html#edit_row", context)
    return TemplateResponse(request, "courses/count_edit.html", context)


@require_POST
@login_required
def count_delete(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    count = get_blood_count_for(request.user, code)
    require(request.user, "delete_bloodcount")
    course = count.course
    changed = services.delete_count(count=count, by=request.user, today=clock.today())
    return _counts_response(request, course, changed=changed)
