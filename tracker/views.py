"""Views: check access, read the form, call a model method or service, render or redirect.

Every mutating view answers an htmx request with the fragment that changed and a plain
request with a redirect (POST/redirect/GET), so every page works without JavaScript.
"""

from __future__ import annotations

import csv
from itertools import groupby
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Max, Prefetch
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tracker import calendars, chart, followup, schedule, services
from tracker.access import (
    get_blood_count_for,
    get_checklist_item_for,
    get_course_for,
    get_milestone_for,
    get_patient_for,
    own_courses,
    require,
)
from tracker.forms import (
    BloodCountForm,
    CompleteMilestoneForm,
    CourseStartForm,
    DayZeroMoveForm,
    FollowUpFilterForm,
    InviteForm,
    PastedCountsForm,
    PatientForm,
    PatientSearchForm,
    TimelineFilterForm,
)
from tracker.models import ChecklistItem, Kind, Milestone, Patient, clinic_today
from tracker.plain_language import phase_explanation

PATIENTS_PER_PAGE = 50


def role_required(permission: str):
    """403 for a logged-in user without the permission (put @login_required above it)."""
    return permission_required(f"tracker.{permission}", raise_exception=True)


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    if request.user.has_perm("tracker.view_transplantcourse"):
        return redirect("follow_up")
    if Patient.objects.filter(user=request.user).exists():
        return redirect("my_page")
    return TemplateResponse(request, "no_role.html", status=403)


@require_GET
@login_required
@role_required("view_patient")
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
@role_required("add_patient")
def patient_create(request: HttpRequest) -> HttpResponse:
    form = PatientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        patient = form.save()
        messages.success(request, f"{patient.full_name} is registered.")
        return redirect(patient)
    return TemplateResponse(request, "patients/form.html", {"form": form})


def _patient_page(request: HttpRequest, patient: Patient, **extra) -> TemplateResponse:
    context = {
        "patient": patient,
        "courses": patient.courses.select_related("protocol").order_by("-sequence"),
        "invite_form": extra.pop("invite_form", None) or InviteForm(),
        **calendars.feed_context(request, patient),
        **extra,
    }
    return TemplateResponse(request, "patients/detail.html", context)


@require_GET
@login_required
def patient_detail(request: HttpRequest, code: UUID) -> TemplateResponse:
    patient = get_patient_for(request.user, code)
    require(request.user, "view_patient")
    return _patient_page(request, patient)


@require_POST
@login_required
def patient_invite(request: HttpRequest, code: UUID) -> TemplateResponse:
    patient = get_patient_for(request.user, code)
    require(request.user, "invite_patient")
    form = InviteForm(request.POST)
    link = None
    if form.is_valid():
        link = services.invite_patient(
            patient=patient,
            email=form.cleaned_data["email"],
            by=request.user,
            build_url=request.build_absolute_uri,
        )
    response = _patient_page(request, patient, invite_form=form, invite_link=link)
    if request.htmx:
        response.template_name = "patients/detail.html#invite"
    return response


@require_http_methods(["GET", "POST"])
@login_required
def course_start(request: HttpRequest, code: UUID) -> HttpResponse:
    patient = get_patient_for(request.user, code)
    require(request.user, "add_transplantcourse")
    form = CourseStartForm(request.POST or None, patient=patient)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.start_course(
                patient=patient,
                protocol=form.cleaned_data["protocol"],
                day_zero=form.cleaned_data["day_zero"],
                by=request.user,
                graft_source=form.cleaned_data["graft_source"],
                donor_type=form.cleaned_data["donor_type"] or None,
                is_tandem=form.cleaned_data["is_tandem"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
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
    return list(milestones)  # the related manager gives each milestone this very course


def _counts_context(course, today, **forms) -> dict:
    """The blood counts section: the counts, what the rules make of them, the charts."""
    counts = list(course.blood_counts.select_related("entered_by"))
    status = services.engraftment_status(course, counts, today=today)
    anc_chart, platelet_chart = chart.course_charts(
        course.day_zero,
        counts,
        neutrophil_date=status.neutrophils.date,
        platelet_date=status.platelets_20.date,
    )
    for count in counts:
        count.day_label = schedule.day_label(course.day_number_on(count.drawn_on))
    return {
        "course": course,
        "today": today,
        "counts": counts,
        "engraftment": status,
        "anc_chart": anc_chart,
        "platelet_chart": platelet_chart,
        "count_form": forms.get("count_form") or BloodCountForm(course=course),
        "paste_form": forms.get("paste_form") or PastedCountsForm(course=course),
    }


def _course_page(request: HttpRequest, course, **forms) -> TemplateResponse:
    today = clinic_today()
    show = TimelineFilterForm(request.GET).selected
    milestones = _timeline_milestones(course, show, today)
    phases = [
        (schedule.Phase(phase), list(group))
        for phase, group in groupby(milestones, key=lambda m: m.phase)
    ]
    context = {
        **_counts_context(course, today, **forms),
        "patient": course.patient,
        "show": show,
        "filters": TimelineFilterForm.SHOW_CHOICES,
        "phases": phases,
        "band": schedule.phase_band(course.day_zero, today, first_day=course.first_day),
        "moves": course.day_zero_moves.select_related("moved_by")[:5],
    }
    return TemplateResponse(request, "courses/detail.html", context)


@require_GET
@login_required
def course_detail(request: HttpRequest, code: UUID) -> HttpResponse:
    course = get_course_for(request.user, code)
    if not request.user.has_perm("tracker.view_transplantcourse"):
        return redirect(f"{reverse('my_page')}?course={course.code}")
    response = _course_page(request, course)
    if request.htmx:
        response.template_name = "courses/detail.html#timeline"
    return response


@require_http_methods(["GET", "POST"])
@login_required
def day_zero_move(request: HttpRequest, code: UUID) -> HttpResponse:
    course = get_course_for(request.user, code)
    require(request.user, "move_day_zero")
    form = DayZeroMoveForm(request.POST or None, course=course)
    preview = out_of_window = None
    if request.method == "POST" and form.is_valid():
        day_zero = form.cleaned_data["day_zero"]
        if "confirm" in request.POST:
            try:
                result = services.move_day_zero(
                    course=course,
                    day_zero=day_zero,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                )
            except ValidationError:  # a second click, or a colleague, moved it a moment ago
                messages.info(request, f"Day Zero is already {day_zero:%-d %b %Y}.")
                return redirect(course)
            moved = len(result.pending_moved)
            messages.success(
                request,
                f"Day Zero moved to {day_zero:%-d %b %Y}; "
                f"{moved} planned date{pluralize(moved)} moved.",
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
    require(request.user, "confirm_day_zero")
    try:
        course.confirm_day_zero(by=request.user, today=clinic_today())
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
    require(request.user, "complete_milestone")
    form = CompleteMilestoneForm(request.POST, course=milestone.course)
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
    require(request.user, "complete_milestone")
    milestone.reopen(by=request.user)
    return _milestone_response(request, milestone)


@require_POST
@login_required
def checklist_toggle(request: HttpRequest, code: UUID) -> HttpResponse:
    item = get_checklist_item_for(request.user, code)
    if not item.can_be_ticked_by(request.user):
        raise PermissionDenied
    item.set_checked(request.POST.get("checked") == "1", by=request.user)
    milestone = item.milestone
    care_team = request.user.has_perm("tracker.view_transplantcourse")
    if request.htmx:
        context = {"item": item, "milestone": milestone}
        template = "courses/detail.html#checklist_toggled" if care_team else "me/page.html#item"
        return TemplateResponse(request, template, context)
    page = milestone.course.get_absolute_url() if care_team else reverse("my_page")
    return redirect(f"{page}#milestone-{milestone.code}")


@require_GET
@login_required
def my_page(request: HttpRequest) -> HttpResponse:
    """The patient's own page: today's day, the phase in plain words, what comes next."""
    patient, courses, course = own_courses(
        request.user, request.GET.get("course"), today=clinic_today()
    )
    if patient is None:
        return redirect("home")
    context = {"patient": patient, "courses": courses, "course": course}
    context.update(calendars.feed_context(request, patient))
    if course is not None:
        today = clinic_today()
        milestones = list(
            course.milestones.for_patient().select_related("step").prefetch_related("items")
        )
        past, soon, later = schedule.split_for_patient(milestones, today)
        phase = schedule.current_phase(course.day_zero, today, first_day=course.first_day)
        context.update(
            today=today,
            explanation=phase_explanation(phase, procedure=course.kind == Kind.PROCEDURE),
            phase=phase,
            past=past,
            soon=soon,
            later=later,
        )
    return TemplateResponse(request, "me/page.html", context)


FOLLOW_UP_PER_PAGE = 50


@require_GET
@login_required
@role_required("view_transplantcourse")
def follow_up_list(request: HttpRequest) -> TemplateResponse:
    today = clinic_today()
    form = FollowUpFilterForm(request.GET)
    filters = form.filters()
    courses = followup.follow_up_courses(today=today, filters=filters)
    page = Paginator(courses, FOLLOW_UP_PER_PAGE).get_page(request.GET.get("page"))
    rows = [followup.Row.of(course, today) for course in followup.with_details(list(page))]
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
def follow_up_csv(request: HttpRequest) -> StreamingHttpResponse:
    today = clinic_today()
    filters = FollowUpFilterForm(request.GET).filters()
    courses = followup.follow_up_courses(today=today, filters=filters)
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(followup.CSV_HEADER)
        for course in followup.in_batches(courses):
            yield writer.writerow(followup.csv_line(followup.Row.of(course, today)))

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    filename = f"follow-up-{today.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class _Echo:
    """A file-like object whose write hands the line back, for streaming csv.writer rows."""

    def write(self, value: str) -> str:
        return value


@require_GET
@login_required
@role_required("view_transplantcourse")
def follow_up_week(request: HttpRequest) -> TemplateResponse:
    today = clinic_today()
    milestones = list(followup.due_this_week(today=today))
    days = [(day, list(group)) for day, group in groupby(milestones, key=lambda m: m.due_date)]
    return TemplateResponse(
        request, "followup/week.html", {"days": days, "today": today, "count": len(milestones)}
    )


def _counts_response(request: HttpRequest, course, *, changed=(), **forms):
    """The counts section in place (htmx) with changed milestones out of band, or a page."""
    if request.htmx:
        context = _counts_context(course, clinic_today(), **forms)
        context["changed_milestones"] = changed
        return TemplateResponse(request, "courses/detail.html#counts", context)
    if forms:
        return _course_page(request, course, **forms)
    return redirect(f"{course.get_absolute_url()}#counts")


@require_POST
@login_required
def counts_add(request: HttpRequest, code: UUID) -> HttpResponse:
    course = get_course_for(request.user, code)
    require(request.user, "add_bloodcount")
    form = BloodCountForm(request.POST, course=course)
    if not form.is_valid():
        return _counts_response(request, course, count_form=form)
    changed = services.record_counts(
        course=course, rows=[form.cleaned_data], by=request.user, today=clinic_today()
    )
    return _counts_response(request, course, changed=changed)


@require_POST
@login_required
def counts_paste(request: HttpRequest, code: UUID) -> HttpResponse:
    course = get_course_for(request.user, code)
    require(request.user, "add_bloodcount")
    form = PastedCountsForm(request.POST, course=course)
    if not form.is_valid():
        return _counts_response(request, course, paste_form=form)
    rows = [line.values() for line in form.cleaned_data["lines"]]
    changed = services.record_counts(
        course=course, rows=rows, by=request.user, today=clinic_today()
    )
    if not request.htmx:
        messages.success(request, f"{len(rows)} count{'s' if len(rows) != 1 else ''} saved.")
    return _counts_response(request, course, changed=changed)


@require_http_methods(["GET", "POST"])
@login_required
def count_edit(request: HttpRequest, code: UUID) -> HttpResponse:
    count = get_blood_count_for(request.user, code)
    require(request.user, "change_bloodcount")
    course = count.course
    form = BloodCountForm(request.POST or None, instance=count, course=course)
    if request.method == "POST" and form.is_valid():
        changed = services.correct_count(
            count=count,
            values={field: form.cleaned_data[field] for field in form.changed_data},
            by=request.user,
            today=clinic_today(),
        )
        return _counts_response(request, course, changed=changed)
    template = "courses/count_edit.html"
    if request.htmx:
        template += "#edit_row"
    return TemplateResponse(request, template, {"form": form, "count": count, "course": course})


@require_POST
@login_required
def count_delete(request: HttpRequest, code: UUID) -> HttpResponse:
    count = get_blood_count_for(request.user, code)
    require(request.user, "delete_bloodcount")
    course = count.course
    changed = services.delete_count(count=count, by=request.user, today=clinic_today())
    return _counts_response(request, course, changed=changed)
