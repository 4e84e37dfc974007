"""Views: check access, read the form, call a model method or service, render or redirect.

Every mutating view answers an htmx request with the fragment that changed and a plain
request with a redirect (POST/redirect/GET), so every page works without JavaScript.
"""

from __future__ import annotations

from itertools import groupby
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Min, Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tracker import schedule, services
from tracker.access import (
    get_checklist_item_for,
    get_course_for,
    get_milestone_for,
    get_patient_for,
)
from tracker.forms import (
    CompleteMilestoneForm,
    CourseStartForm,
    DayZeroMoveForm,
    PatientForm,
    PatientSearchForm,
    TimelineFilterForm,
)
from tracker.models import ChecklistItem, Milestone, Patient, clinic_today

PATIENTS_PER_PAGE = 50


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("patient_list")


@require_GET
@login_required
def patient_list(request: HttpRequest) -> TemplateResponse:
    search = PatientSearchForm(request.GET)
    query = search.cleaned_data["q"].strip() if search.is_valid() else ""
    patients = (
        Patient.objects.visible_to(request.user)
        .search(query)
        .annotate(course_count=Count("courses"), latest_day_zero=Max("courses__day_zero"))
        .order_by("family_name", "given_name", "mrn")
    )
    page = Paginator(patients, PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
    template = "patients/list.html"
    if request.htmx:
        template += "#results"
    return TemplateResponse(request, template, {"search": search, "query": query, "page": page})


@require_http_methods(["GET", "POST"])
@login_required
def patient_create(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        patient = form.save()
        messages.success(request, f"{patient.full_name} is registered.")
        return redirect(patient)
    return TemplateResponse(request, "patients/form.html", {"form": form})


@require_GET
@login_required
def patient_detail(request: HttpRequest, code: UUID) -> TemplateResponse:
    patient = get_patient_for(request.user, code)
    courses = patient.courses.select_related("protocol").order_by("-sequence")
    return TemplateResponse(
        request, "patients/detail.html", {"patient": patient, "courses": courses}
    )


@require_http_methods(["GET", "POST"])
@login_required
def course_start(request: HttpRequest, code: UUID) -> HttpResponse:
    patient = get_patient_for(request.user, code)
    form = CourseStartForm(request.POST or None, patient=patient)
    if request.method == "POST" and form.is_valid():
        course = services.start_course(
            patient=patient,
            protocol=form.cleaned_data["protocol"],
            day_zero=form.cleaned_data["day_zero"],
            by=request.user,
            graft_source=form.cleaned_data["graft_source"],
            donor_type=form.cleaned_data["donor_type"] or None,
            is_tandem=form.cleaned_data["is_tandem"],
        )
        messages.success(request, f"Course started: {course.protocol.name}.")
        return redirect(course)
    return TemplateResponse(request, "courses/start.html", {"patient": patient, "form": form})


def _timeline_milestones(course, show: str, today):
    milestones = course.milestones.select_related("step", "completed_by").prefetch_related(
        Prefetch("items", queryset=ChecklistItem.objects.select_related("checked_by"))
    )
    if show == "next30":
        milestones = milestones.due_within(today, 30)
    elif show == "overdue":
        milestones = milestones.overdue(today)
    milestones = list(milestones)
    for milestone in milestones:
        milestone.course = course  # day labels need Day Zero; don't fetch the course again
    return milestones


@require_GET
@login_required
def course_detail(request: HttpRequest, code: UUID) -> TemplateResponse:
    course = get_course_for(request.user, code)
    today = clinic_today()
    show = TimelineFilterForm(request.GET).selected
    milestones = _timeline_milestones(course, show, today)
    phases = [
        (schedule.Phase(phase), list(group))
        for phase, group in groupby(milestones, key=lambda m: m.phase)
    ]
    first_day = course.milestones.aggregate(first=Min("due_date"))["first"] or course.day_zero
    context = {
        "course": course,
        "patient": course.patient,
        "today": today,
        "show": show,
        "filters": TimelineFilterForm.SHOW_CHOICES,
        "phases": phases,
        "band": schedule.phase_band(
            course.day_zero, today, first_day=course.day_number_on(first_day)
        ),
        "moves": course.day_zero_moves.select_related("moved_by")[:5],
    }
    template = "courses/detail.html"
    if request.htmx:
        template += "#timeline"
    return TemplateResponse(request, template, context)


@require_http_methods(["GET", "POST"])
@login_required
def day_zero_move(request: HttpRequest, code: UUID) -> HttpResponse:
    course = get_course_for(request.user, code)
    form = DayZeroMoveForm(request.POST or None, course=course)
    preview = out_of_window = None
    if request.method == "POST" and form.is_valid():
        day_zero = form.cleaned_data["day_zero"]
        if "confirm" in request.POST:
            result = services.move_day_zero(
                course=course,
                day_zero=day_zero,
                by=request.user,
                reason=form.cleaned_data["reason"],
            )
            messages.success(
                request,
                f"Day Zero moved to {day_zero:%-d %b %Y}; {len(result.moved)} dates moved.",
            )
            return redirect(course)
        preview = services.preview_day_zero_move(course=course, day_zero=day_zero)
        out_of_window = services.titled(course, preview.out_of_window)
    context = {"course": course, "form": form, "preview": preview, "out_of_window": out_of_window}
    return TemplateResponse(request, "courses/move.html", context)


@require_POST
@login_required
def day_zero_confirm(request: HttpRequest, code: UUID) -> HttpResponse:
    course = get_course_for(request.user, code)
    try:
        course.confirm_day_zero(today=clinic_today())
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, "Day Zero is confirmed: the infusion happened.")
    return redirect(course)


def _milestone_response(request: HttpRequest, milestone: Milestone, **extra) -> HttpResponse:
    if request.htmx:
        context = {"milestone": milestone, "today": clinic_today(), **extra}
        return TemplateResponse(request, "courses/detail.html#milestone", context)
    return redirect(f"{milestone.course.get_absolute_url()}#milestone-{milestone.code}")


@require_POST
@login_required
def milestone_complete(request: HttpRequest, code: UUID) -> HttpResponse:
    milestone = get_milestone_for(request.user, code)
    form = CompleteMilestoneForm(request.POST)
    if not form.is_valid():
        error = form.errors["completed_on"][0]
        if not request.htmx:
            messages.error(request, f"{milestone.title}: {error}")
        return _milestone_response(request, milestone, complete_error=error)
    milestone.complete(by=request.user, on=form.cleaned_data["completed_on"], today=clinic_today())
    return _milestone_response(request, milestone)


@require_POST
@login_required
def milestone_reopen(request: HttpRequest, code: UUID) -> HttpResponse:
    milestone = get_milestone_for(request.user, code)
    milestone.reopen()
    return _milestone_response(request, milestone)


@require_POST
@login_required
def checklist_toggle(request: HttpRequest, code: UUID) -> HttpResponse:
    item = get_checklist_item_for(request.user, code)
    item.set_checked(request.POST.get("checked") == "1", by=request.user)
    milestone = item.milestone
    if request.htmx:
        context = {"item": item, "milestone": milestone, "course": milestone.course}
        return TemplateResponse(request, "courses/detail.html#checklist_toggled", context)
    return redirect(f"{milestone.course.get_absolute_url()}#milestone-{milestone.code}")
