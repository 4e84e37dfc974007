"""Starting a course, the course page, moving and confirming Day Zero."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.forms import Form
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
from tracker.models import Infusion, Milestone, Patient, TransplantCourse
from tracker.models.choices import CLOSED_HOLDS, EndReason
from tracker.rules import schedule
from tracker.views.course_page import (
    course_page,
    course_parts,
    phase_response,
    section_response,
)


@require_http_methods(["GET", "POST"])
@login_required
def course_start(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    patient = get_patient_for(request.user, code)
    require(request.user, "add_transplantcourse")
    follows = _followed(request, patient)
    if follows is not None and follows.superseded_on is not None:
        # Back to this form after the later transplant was started (or a colleague did).
        messages.info(request, "A later transplant already follows that course.")
        return redirect(follows.followed_by.order_by("-sequence").first() or patient)
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
        return patient.courses.get(code=wanted)
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
    """Move Day Zero: the new date, a preview of what moves, then the move. With
    `then_confirm` (cells given on another day than the planned Day Zero), the infusion is
    confirmed on the new Day Zero with the move."""
    course = get_course_for(request.user, code)
    require(request.user, "move_day_zero")
    asked = {k: request.GET[k] for k in ("day_zero", "reason") if k in request.GET}
    then_confirm = (request.POST or request.GET).get("then_confirm") == "1"
    form = DayZeroMoveForm(request.POST or None, course=course, initial=asked)
    preview = out_of_window = None
    closed = services.not_movable(course)
    if request.method == "POST" and not closed and form.is_valid():
        day_zero = form.cleaned_data["day_zero"]
        problems = services.move_problems(course, day_zero)
        if problems:
            show_errors(form, ValidationError(problems))
        elif "confirm" in request.POST:
            done = _move(request, course, form, then_confirm=then_confirm)
            if done is not None:
                return done
            course.refresh_from_db()
        if not form.errors:
            preview = services.preview_day_zero_move(course=course, day_zero=day_zero)
            out_of_window = services.titled(course, preview.out_of_window)
    context = {
        "course": course,
        "form": form,
        "preview": preview,
        "out_of_window": out_of_window,
        "closed": closed,
        "then_confirm": then_confirm,
    }
    return TemplateResponse(request, "courses/move.html", context)


def _move(
    request: AuthenticatedRequest,
    course: TransplantCourse,
    form: DayZeroMoveForm,
    *,
    then_confirm: bool,
) -> HttpResponse | None:
    """The move itself (and the infusion's confirmation with it): the course page, or None
    to show the preview again (a colleague moved Day Zero meanwhile, or the move was refused)."""
    day_zero = form.cleaned_data["day_zero"]
    confirm = then_confirm and day_zero <= clock.today()
    try:
        result = services.move_day_zero(
            course=course,
            day_zero=day_zero,
            by=request.user,
            reason=form.cleaned_data["reason"],
            expected_day_zero=form.cleaned_data["from_day_zero"],
            confirm_infusion=confirm,
        )
    except services.StaleDayZero as stale:  # moved by a colleague since the preview
        messages.warning(request, f"{stale.messages[0]} Check the new preview.")
        return None
    except ValidationError as error:
        course.refresh_from_db()
        if course.day_zero == day_zero:  # a second click moved it a moment ago
            messages.info(request, f"Day Zero is already {day_zero:%-d %b %Y}.")
            return redirect(course)
        show_errors(form, error)
        return None
    moved = len(result.pending_moved)
    confirmed = "; the infusion is confirmed on that day" if confirm else ""
    messages.success(
        request,
        f"Day Zero moved to {day_zero:%-d %b %Y}; {moved} planned date{pluralize(moved)} "
        f"moved{confirmed}.",
    )
    return redirect(course)


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
            "Day Zero does; moving it confirms the infusion on that day.",
        )
        query = urlencode(
            {"day_zero": given_on.isoformat(), "reason": "Cells given that day", "then_confirm": 1}
        )
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
    """End a course (or, once ended, reopen it): a page of its own, as moving Day Zero. An
    end is previewed first (what closes; with a death, the other courses and the login)."""
    course = get_course_for(request.user, code)
    require(request.user, "end_course")
    ending = course.ended_on is None
    form: EndCourseForm | ReopenCourseForm = (
        EndCourseForm(request.POST or None, course=course)
        if ending
        else ReopenCourseForm(request.POST or None)
    )
    preview = None
    if request.method == "POST" and form.is_valid():
        problems = services.end_problems(course, **form.cleaned_data) if ending else {}
        try:
            if problems:
                raise ValidationError(problems)
            if ending and "confirm" not in request.POST:
                preview = _end_preview(course, **form.cleaned_data)
            elif ending:
                services.end_course(course=course, by=request.user, **form.cleaned_data)
            else:
                services.reopen_course(
                    course=course, by=request.user, reason=form.cleaned_data["reason"]
                )
        except ValidationError as error:
            show_errors(form, error)
            preview = None
        else:
            if preview is None:
                messages.success(request, "Course ended." if ending else "Course reopened.")
                return redirect(course)
    closing = course.milestones.filter(completed_on__isnull=True).exclude(hold__in=CLOSED_HOLDS)
    context = {
        "course": course,
        "form": form,
        "ending": ending,
        "pending": closing.count(),
        "preview": preview,
    }
    return TemplateResponse(request, "courses/end.html", context)


def _end_preview(course: TransplantCourse, *, reason: str, on: date, note: str) -> dict[str, Any]:
    """What ending the course closes, to confirm: its items after the date; with a death,
    the patient's other open courses and their portal login and calendar feed."""
    died = reason == EndReason.DIED
    others = services.ended_together(course) if died else []
    return {
        "reason": EndReason(reason).label,
        "died": died,
        "closing": services.closing(course, on).count(),
        "others": [(other, services.closing(other, on).count()) for other in others],
        "login": died and course.patient.user_id is not None,
    }


def _infusions_response(
    request: AuthenticatedRequest,
    course: TransplantCourse,
    *,
    notice: str = "",
    form: InfusionForm | None = None,
) -> HttpResponse:
    """The infusions section in place (htmx); without JavaScript, the page with the form's
    errors, or back to the section with the notice."""
    if not request.htmx and form is None:
        messages.success(request, notice)

    def context() -> dict[str, Any]:
        return {
            "course": course,
            "infusions": list(course.infusions.all()),
            "infusion_form": form or InfusionForm(),
            "notice": notice,
        }

    forms: dict[str, Form] = {"infusion_form": form} if form is not None else {}
    return section_response(
        request, course, fragment="courses/detail.html#infusions", context=context, forms=forms
    )


@require_POST
@login_required
def infusion_add(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    """An infusion after Day Zero, the infusions section redrawn with it (or its errors)."""
    course = get_course_for(request.user, code)
    require(request.user, "record_infusion")
    form = InfusionForm(request.POST)
    if form.is_valid():
        try:
            infusion = services.record_infusion(course=course, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            show_errors(form, error)
        else:
            notice = (
                f"{infusion.get_kind_display()} recorded on "
                f"{course.day_label_on(infusion.given_on)}."
            )
            return _infusions_response(request, course, notice=notice)
    return _infusions_response(request, course, form=form)


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
    notice = f"{infusion.get_kind_display()} of {infusion.given_on:%-d %b %Y} deleted."
    return _infusions_response(request, infusion.course, notice=notice)


@require_http_methods(["GET", "POST"])
@login_required
def catch_up(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    """A patient registered mid-course: the earlier milestones recorded in one go, previewed
    first (like a Day Zero move), then confirmed."""
    course = get_course_for(request.user, code)
    require(request.user, "move_day_zero")  # a coordinator's
    form = CatchUpForm(request.POST or None, course=course)
    preview: list[Milestone] | None = None
    left: list[Milestone] = []
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
            left = services.catch_up_left(course, before)
    context = {"course": course, "form": form, "preview": preview, "left": left}
    return TemplateResponse(request, "courses/catch_up.html", context)
