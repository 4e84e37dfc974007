"""Registry reporting: the data manager's worklist (`/registry/`, care team only: anyone
else finds nothing there) and its CSV; on the course page, the registry section
(`<section id="registry">`), the swap target of its forms: the transplant details and each
form's status, changed in place."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_POST

from tracker import clock
from tracker.access import get_course_for, require
from tracker.exports.csv import registry_lines
from tracker.forms import RegistryDetailsForm, RegistryFilterForm, RegistryStatusForm, show_errors
from tracker.http import AuthenticatedRequest
from tracker.models import RegistryReport, TransplantCourse
from tracker.queries import registry
from tracker.services import registry as services
from tracker.views import fragments
from tracker.views.course_page import registry_context, section_response

PER_PAGE = 50
SEE = "tracker.view_registryreport"


def _care_team(request: AuthenticatedRequest) -> None:
    """The worklist is the care team's: for anyone else there is nothing here (404)."""
    if not request.user.has_perm(SEE):
        raise Http404("No such page.")


@require_GET
@login_required
def registry_list(request: AuthenticatedRequest) -> HttpResponse:
    """The data manager's worklist: the forms to do, filtered, a page at a time; the tab
    counts and the quarters' figures above it."""
    _care_team(request)
    today = clock.today()
    form = RegistryFilterForm(request.GET)
    filters = form.filters()
    query = request.GET.copy()
    query.pop("page", None)

    def draw() -> str:
        forms = registry.reports(today=today, filters=filters)
        page = Paginator(forms.values(*registry.ROW_FIELDS), PER_PAGE).get_page(
            request.GET.get("page")
        )
        rows = registry.page_rows(list(page.object_list), today)
        context = {"filters": filters, "page": page, "rows": rows, "query": query.urlencode()}
        return fragments.render("registry/list.html#rows", context)

    rows = fragments.list_rows(request, "registry", today=today, draw=draw)
    context = {"form": form, "rows": rows, "today": today, "query": query.urlencode()}
    if request.htmx:
        link = render_to_string("registry/list.html#csv_link", {**context, "oob": True})
        return HttpResponse(rows + link)
    context.update(
        counts=registry.tab_counts(today),
        quarters=registry.quarters(today),
        soon_days=registry.SOON_DAYS,
    )
    return TemplateResponse(request, "registry/list.html", context)


@require_GET
@login_required
def registry_csv(request: AuthenticatedRequest) -> StreamingHttpResponse:
    _care_team(request)
    today = clock.today()
    filters = RegistryFilterForm(request.GET).filters()
    forms = registry.reports(today=today, filters=filters)
    response = StreamingHttpResponse(
        registry_lines(forms, today=today), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="registry-{today.isoformat()}.csv"'
    return response


def _response(
    request: AuthenticatedRequest, course: TransplantCourse, **forms: Any
) -> HttpResponse:
    return section_response(
        request,
        course,
        fragment="courses/registry.html#registry",
        context=lambda: {**registry_context(course, **forms), "notice": ""},
        forms=dict(forms),
    )


@require_POST
@login_required
def registry_details(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    course = get_course_for(request.user, code)
    require(request.user, "change_registry_status")
    if not course.is_transplant:
        raise Http404("A procedure has no registry forms.")
    form = RegistryDetailsForm(request.POST, instance=TransplantCourse.objects.get(pk=course.pk))
    if form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.fields}
        try:
            services.record_registry_details(course=course, by=request.user, **values)
        except ValidationError as error:
            show_errors(form, error)
        else:
            course.refresh_from_db()
            return _response(request, course)
    return _response(request, course, details_form=form)


@require_POST
@login_required
def registry_status(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    report = get_object_or_404(
        RegistryReport.objects.select_related("course__patient", "course__protocol"),
        code=code,
        course__in=TransplantCourse.objects.visible_to(request.user),
    )
    require(request.user, "change_registry_status")
    form = RegistryStatusForm(request.POST, report=report)
    if form.is_valid():
        try:
            services.set_form_status(
                report=report,
                status=form.cleaned_data["status"],
                submitted_on=form.cleaned_data["submitted_on"],
                by=request.user,
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            return _response(request, report.course)
    return _response(request, report.course, status_form=form)
