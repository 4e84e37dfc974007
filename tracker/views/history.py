"""A course's History page: its course events, newest first, a page at a time."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from tracker.access import get_course_for, require
from tracker.forms import HistoryFilterForm
from tracker.http import AuthenticatedRequest
from tracker.queries.history import course_events

EVENTS_PER_PAGE = 50


@require_GET
@login_required
def course_history(request: AuthenticatedRequest, code: UUID) -> TemplateResponse:
    course = get_course_for(request.user, code)
    require(request.user, "view_course_history")
    form = HistoryFilterForm(request.GET)
    kind = form.selected
    page = Paginator(course_events(course, kind=kind), EVENTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    template = "courses/history.html"
    if request.htmx:
        template += "#entries"
    context = {
        "course": course,
        "patient": course.patient,
        "page": page,
        "form": form,
        "query": urlencode({"kind": kind}) if kind else "",
    }
    return TemplateResponse(request, template, context)
