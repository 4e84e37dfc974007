"""The 100-day follow-up list, its CSV, and what is due this week; the immune recovery list
and its CSV."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from tracker import clock
from tracker.exports.csv import follow_up_lines, recovery_lines
from tracker.forms import FollowUpFilterForm, RecoveryFilterForm
from tracker.http import AuthenticatedRequest, role_required
from tracker.queries import followup, recovery
from tracker.views import fragments

FOLLOW_UP_PER_PAGE = 50
WEEK_PER_PAGE = 50

if TYPE_CHECKING:
    AnyPaginator = Paginator[Any]  # generic for the type checker only
else:
    AnyPaginator = Paginator


@require_GET
@login_required
@role_required("view_transplantcourse")
def follow_up_list(request: AuthenticatedRequest) -> HttpResponse:
    """The list; its rows come from the cache while nothing on it has changed (a clinic runs
    its meeting from this page, reloading it)."""
    today = clock.today()
    form = FollowUpFilterForm(request.GET)
    filters = form.filters()
    query = request.GET.copy()
    query.pop("page", None)

    def draw() -> str:
        courses = followup.follow_up_courses(today=today, filters=filters)
        ids = courses.values_list("pk", flat=True)
        page = Paginator(ids, FOLLOW_UP_PER_PAGE).get_page(request.GET.get("page"))
        rows = followup.page_rows(page.object_list, today=today, sort=filters.sort)
        context = {"filters": filters, "page": page, "rows": rows, "query": query.urlencode()}
        return fragments.render("followup/list.html#rows", context)

    rows = fragments.list_rows(request, "follow-up", today=today, draw=draw)
    context = {"form": form, "rows": rows, "today": today, "query": query.urlencode()}
    if request.htmx:
        link = render_to_string("followup/list.html#csv_link", {**context, "oob": True})
        return HttpResponse(rows + link)
    return TemplateResponse(request, "followup/list.html", context)


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


class CountedPaginator(AnyPaginator):
    """A paginator told how many items there are (known already), so it asks for no count."""

    def __init__(self, object_list: Any, per_page: int, *, count: int) -> None:
        super().__init__(object_list, per_page)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        return self.known_count


@require_GET
@login_required
@role_required("view_transplantcourse")
def follow_up_week(request: AuthenticatedRequest) -> TemplateResponse:
    today = clock.today()
    days = followup.week_days(today=today)
    # One day at a time, today unless another of the seven is asked for.
    day = next((d for d in days if d.day.isoformat() == request.GET.get("day")), days[0])
    paginator = CountedPaginator(followup.due_on(day.day), WEEK_PER_PAGE, count=day.count)
    page = paginator.get_page(request.GET.get("page"))
    context = {
        "days": days,
        "day": day,
        "page": page,
        "rows": followup.week_rows(page),
        "today": today,
        "count": sum(d.count for d in days),
        "query": f"day={day.day.isoformat()}",
    }
    return TemplateResponse(request, "followup/week.html", context)


RECOVERY_PER_PAGE = 50


@require_GET
@login_required
@role_required("view_transplantcourse")
def recovery_list(request: AuthenticatedRequest) -> HttpResponse:
    """The immune recovery list: every transplant course past Day +90. Its rows come from the
    cache while nothing on the list has changed, as the follow-up list's."""
    today = clock.today()
    form = RecoveryFilterForm(request.GET)
    filters = form.filters()
    query = request.GET.copy()
    query.pop("page", None)

    def draw() -> str:
        courses = recovery.recovery_courses(today=today, filters=filters)
        ids = courses.values_list("pk", flat=True)
        page = Paginator(ids, RECOVERY_PER_PAGE).get_page(request.GET.get("page"))
        rows = recovery.page_rows(list(page.object_list), today=today)
        context = {"filters": filters, "page": page, "rows": rows, "query": query.urlencode()}
        return fragments.render("followup/recovery.html#rows", context)

    rows = fragments.list_rows(request, "recovery", today=today, draw=draw)
    context = {"form": form, "rows": rows, "today": today, "query": query.urlencode()}
    if request.htmx:
        link = render_to_string("followup/recovery.html#csv_link", {**context, "oob": True})
        return HttpResponse(rows + link)
    return TemplateResponse(request, "followup/recovery.html", context)


@require_GET
@login_required
@role_required("view_transplantcourse")
def recovery_csv(request: AuthenticatedRequest) -> StreamingHttpResponse:
    today = clock.today()
    filters = RecoveryFilterForm(request.GET).filters()
    courses = recovery.recovery_courses(today=today, filters=filters)
    response = StreamingHttpResponse(
        recovery_lines(courses, today=today), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="immune-recovery-{today.isoformat()}.csv"'
    )
    return response
