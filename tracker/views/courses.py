"""Starting a course, the course page, moving and confirming Day Zero."""

from __future__ import annotations

from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.defaultfilters import pluralize
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from tracker import clock, services
from tracker.access import get_course_for, get_patient_for, require
from tracker.forms import (
    CatchUpForm,
    ConfirmInfusionForm,
    CourseStartForm,
    DayZeroMoveForm,
    EndCourseForm,
    InfusionForm,
    ReopenCourseForm,
    show_errors,
)
from tracker.http import AuthenticatedRequest
from tracker.models import Infusion, Patient, TransplantCourse
from tracker.models.choices import CLOSED_HOLDS
from tracker.rules import schedule
from tracker.views.course_page import course_page, course_parts, phase_response


@require_http_methods(["GET", "POST"])
@login_required
def course_start(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    patient = get_patient_for(request.user, code)
    require(request.user, "add_transplantcourse")
    follows = _followed(request, patient)
    form = CourseStartForm(request.POST or None, patient=patient, follows=follows)
    if request.method == "POST" and form.is_valid():
        try:
            course = services.start_course(
                patient=patient,
                protocol=form.cleaned_data["protocol"],
                day_zero=form.cleaned_data["day_zero"],
                by=request.user,
                graft_source=form.cleaned_data["graft_source"],
                donor_type=form.cleaned_data["donor_type"] or None,
                is_tandem=form.cleaned_data.get("is_tandem", False),
                follows=follows,
                reason=form.cleaned_data.get("reason", ""),
            )
        except ValidationError as error:
            show_errors(form, error)
        else:
            what = "Subsequent transplant started" if follows else "Course started"
            messages.success(request, f"{what}: {course.protocol.name}.")
            return redirect(course)
    context = {"patient": patient, "form": form, "follows": follows}
    return TemplateResponse(request, "courses/start.html", context)


def _followed(request: AuthenticatedRequest, patient: Patient) -> TransplantCourse | None:
    """The course a subsequent transplant follows (?follows=code), of this patient."""
    wanted = request.GET.get("follows") or request.POST.get("follows")
    if not wanted:
        return None
    try:
        return patient.courses.get(code=wanted, superseded_on__isnull=True)
    except (TransplantCourse.DoesNotExist, ValidationError):
        raise Http404("No such course of this patient to follow.") from None


@require_GET
@login_required
def course_detail(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    course = get_course_for(request.user, code)
    if not request.user.has_perm("tracker.view_transplantcourse"):
        return redirect(f"{reverse('my_page')}?course={course.code}")
    if request.htmx:  # a filter chosen in place: the timeline alone
        return HttpResponse(course_parts(request, course, ["timeline"])["timeline"])
    return course_page(request, course)


@require_GET
@login_required
def course_phase(request: AuthenticatedRequest, code: UUID, phase: str) -> HttpResponse:
    """A folded phase of the timeline, open: in place for htmx, else the page with it open;
    with `?fold=1`, an open phase folded again in place."""
    course = get_course_for(request.user, code)
    require(request.user, "view_transplantcourse")
    try:
        chosen = schedule.Phase(phase)
    except ValueError:
        raise Http404("No such phase.") from None
    folded = request.GET.get("fold") == "1"
    if not request.htmx:
        query = "" if folded else f"?open={chosen}"
        return redirect(f"{course.get_absolute_url()}{query}#phase-{chosen}")
    response = phase_response(request, course, chosen, folded=folded)
    if not response.content:
        raise Http404("This course has no milestone in that phase.")
    return response


@require_http_methods(["GET", "POST"])
@login_required
def day_zero_move(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    course = get_course_for(request.user, code)
    require(request.user, "move_day_zero")
    asked = {k: request.GET[k] for k in ("day_zero", "reason") if k in request.GET}
    form = DayZeroMoveForm(request.POST or None, course=course, initial=asked)
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
                    expected_day_zero=form.cleaned_data["from_day_zero"],
                )
            except services.StaleDayZero as stale:  # moved by a colleague since the preview
                messages.warning(request, f"{stale.messages[0]} Check the new preview.")
                course.refresh_from_db()
            except ValidationError:  # a second click moved it a moment ago
                messages.info(request, f"Day Zero is already {day_zero:%-d %b %Y}.")
                return redirect(course)
            else:
                moved = len(result.pending_moved)
                messages.success(
                    request,
                    f"Day Zero moved to {day_zero:%-d %b %Y}; "
                    f"{moved} planned date{pluralize(moved)} moved.",
                )
                return redirect(course)
        if day_zero == course.day_zero:
            messages.info(request, f"Day Zero is already {day_zero:%-d %b %Y}.")
            return redirect(course)
        preview = services.preview_day_zero_move(course=course, day_zero=day_zero)
        out_of_window = services.titled(course, preview.out_of_window)
    context = {"course": course, "form": form, "preview": preview, "out_of_window": out_of_window}
    return TemplateResponse(request, "courses/move.html", context)


@require_POST
@login_required
def day_zero_confirm(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    course = get_course_for(request.user, code)
    require(request.user, "confirm_day_zero")
    form = ConfirmInfusionForm(request.POST, course=course)
    if not form.is_valid():
        messages.error(request, str(form.errors["given_on"][0]))
        return redirect(course)
    given_on = form.cleaned_data["given_on"]
    if given_on != course.day_zero:
        # Cells given on another day: Day Zero moves first, through the usual preview.
        messages.info(
            request,
            f"The cells were given on {given_on:%-d %b %Y}, not on Day Zero: check what moving "
            "Day Zero does, move it, then confirm the infusion.",
        )
        query = urlencode({"day_zero": given_on.isoformat(), "reason": "Cells given that day"})
        return redirect(f"{reverse('day_zero_move', args=[course.code])}?{query}")
    try:
        services.confirm_day_zero(
            course=course, by=request.user, today=clock.today(), given_on=given_on
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, "Day Zero is confirmed: the cells were given that day.")
    return redirect(course)


@require_http_methods(["GET", "POST"])
@login_required
def course_end(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    """End a course (or, once ended, reopen it): a page of its own, as moving Day Zero."""
    course = get_course_for(request.user, code)
    require(request.user, "end_course")
    ending = course.ended_on is None
    form: EndCourseForm | ReopenCourseForm = (
        EndCourseForm(request.POST or None, course=course)
        if ending
        else ReopenCourseForm(request.POST or None)
    )
    if request.method == "POST" and form.is_valid():
        try:
            if ending:
                services.end_course(course=course, by=request.user, **form.cleaned_data)
            else:
                services.reopen_course(
                    course=course, by=request.user, reason=form.cleaned_data["reason"]
                )
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, "Course ended." if ending else "Course reopened.")
            return redirect(course)
    closing = course.milestones.filter(completed_on__isnull=True).exclude(hold__in=CLOSED_HOLDS)
    context = {"course": course, "form": form, "ending": ending, "pending": closing.count()}
    return TemplateResponse(request, "courses/end.html", context)


@require_POST
@login_required
def infusion_add(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    """An infusion after Day Zero; back to the course page (its errors shown there)."""
    course = get_course_for(request.user, code)
    require(request.user, "record_infusion")
    form = InfusionForm(request.POST)
    if form.is_valid():
        try:
            infusion = services.record_infusion(course=course, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(
                request,
                f"{infusion.get_kind_display()} recorded on "
                f"{course.day_label_on(infusion.given_on)}.",
            )
            return redirect(f"{course.get_absolute_url()}#infusions")
    return course_page(request, course, infusion_form=form)


@require_POST
@login_required
def infusion_delete(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    infusion = get_object_or_404(
        Infusion.objects.select_related("course"),
        code=code,
        course__in=TransplantCourse.objects.visible_to(request.user),
    )
    require(request.user, "record_infusion")
    services.delete_infusion(infusion=infusion, by=request.user)
    messages.success(request, f"{infusion.get_kind_display()} deleted.")
    return redirect(f"{infusion.course.get_absolute_url()}#infusions")


@require_http_methods(["GET", "POST"])
@login_required
def catch_up(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    """A patient registered mid-course: the earlier milestones recorded in one go, previewed
    first (like a Day Zero move), then confirmed."""
    course = get_course_for(request.user, code)
    require(request.user, "move_day_zero")  # a coordinator's
    form = CatchUpForm(request.POST or None, course=course)
    preview = None
    if request.method == "POST" and form.is_valid():
        before, how = form.cleaned_data["before"], form.cleaned_data["how"]
        if "confirm" in request.POST:
            try:
                count = services.catch_up(course=course, before=before, how=how, by=request.user)
            except ValidationError as error:
                show_errors(form, error)
            else:
                messages.success(request, f"{count} earlier milestone{pluralize(count)} recorded.")
                return redirect(course)
        else:
            preview = services.catch_up_preview(course, before, how)
    context = {"course": course, "form": form, "preview": preview}
    return TemplateResponse(request, "courses/catch_up.html", context)
