"""The 100-day follow-up list, its CSV, and what is due this week."""

from __future__ import annotations

from itertools import groupby

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import StreamingHttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from tracker import clock
from tracker.exports.csv import follow_up_lines
from tracker.forms import FollowUpFilterForm
from tracker.http import AuthenticatedRequest, role_required
from tracker.queries import followup

FOLLOW_UP_PER_PAGE = 50


@require_GET
@login_required
@role_required("view_transplantcourse")
def follow_up_list(request: AuthenticatedRequest) -> TemplateResponse:
    today = clock.today()
    form = FollowUpFilterForm(request.GET)
    filters = form.filters()
    courses = followup.follow_up_courses(today=today, filters=filters)
    page = Paginator(courses, FOLLOW_UP_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        followup.Row.of(course, today) for course in followup.with_details(list(page), today=today)
    ]
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "filters": filters,
        "page": page,
        "rows": rows,
        "today": today,
        "query": query.urlencode(),
    }
    template = "followup/list.html"
    if request.htmx:
        template += "#rows"
    return TemplateResponse(request, template, context)


@require_GET
@login_required
@role_required("view_transplantcourse")
def follow_up_csv(request: AuthenticatedRequest) -> StreamingHttpResponse:
    today = clock.today()
    filters = FollowUpFilterForm(request.GET).filters()
    courses = followup.follow_up_courses(today=today, filters=filters)
    response = StreamingHttpResponse(
        follow_up_lines(courses, today=today), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="follow-up-{today.isoformat()}.csv"'
    return response


@require_GET
@login_required
@role_required("view_transplantcourse")
def follow_up_week(request: AuthenticatedRequest) -> TemplateResponse:
    today = clock.today()
    milestones = list(followup.due_this_week(today=today))
    days = [(day, list(group)) for day, group in groupby(milestones, key=lambda m: m.due_date)]
    return TemplateResponse(
        request, "followup/week.html", {"days": days, "today": today, "count": len(milestones)}
    )
