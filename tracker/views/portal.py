"""Where a login lands, and the patient's own page."""

from __future__ import annotations

import hashlib
from datetime import date

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET

from tracker import clock
from tracker.access import own_courses
from tracker.http import AuthenticatedRequest
from tracker.models import CourseEvent, Patient, TransplantCourse, centre_details
from tracker.models.choices import EndReason
from tracker.queries.immunity import blood_words, hold_back_live_vaccines
from tracker.rules import schedule
from tracker.rules.plain_language import phase_explanation, when_to_call
from tracker.services.courses import END_WORDS
from tracker.views import fragments
from tracker.views.calendars import feed_context
from tracker.views.reminders import reminder_context


@require_GET
@login_required
def home(request: AuthenticatedRequest) -> HttpResponse:
    if request.user.has_perm("tracker.view_transplantcourse"):
        return redirect("today")
    if Patient.objects.filter(user=request.user).exists():
        return redirect("my_page")
    return TemplateResponse(request, "no_role.html", status=403)


@require_GET
@login_required
def my_page(request: AuthenticatedRequest) -> HttpResponse:
    """The patient's own page: today's day, the phase in plain words, what comes next."""
    today = clock.today()
    patient, courses, course = own_courses(request.user, request.GET.get("course"), today=today)
    if patient is None:
        return redirect("home")
    request.user.patient = patient  # the page's header asks; no second query
    centre = centre_details()
    procedure = course is not None and course.phase_scheme.procedure
    context = {
        "patient": patient,
        "courses": courses,
        "course": course,
        "today": today,
        "centre": centre,
        "care_lines": when_to_call(procedure=procedure),
    }
    context.update(feed_context(request, patient))
    context.update(reminder_context(patient, for_self=True))
    if course is None:
        return TemplateResponse(request, "me/page.html", context)
    phase = course.current_phase(today)
    # The live-vaccine gates read what is recorded on every course of the patient: their
    # last event is in the keys too.
    patient_event = CourseEvent.objects.filter(patient=patient).order_by("-pk").values("pk")[:1]
    course_key = fragments.course_key(course, today=today, actions=fragments.PATIENT)
    course_key += f":{list(patient_event.values_list('pk', flat=True))}"
    context.update(
        end_words=END_WORDS.get(EndReason(course.end_reason), "") if course.ended_on else "",
        today_label=course.day_label_on(today),
        explanation=phase_explanation(phase, procedure=procedure),
        phase=phase,
    )
    # Kept whole per patient: what the page shows beyond the course (their name, their other
    # courses, their calendar address) is in the key.
    shown = (
        patient.given_name,
        patient.feed_token,
        (patient.email_reminders, context["reminder_problem"]),
        request.get_host(),  # the calendar address is written in full
        centre.key,
        [(other.code, other.sequence, other.is_tandem, other.day_zero) for other in courses],
    )
    digest = hashlib.sha256(repr(shown).encode()).hexdigest()[:16]
    key = f"{course_key}:me:{fragments.person_key(request.user)}:{digest}"

    def draw() -> str:
        plan = fragments.cached_parts(
            request,
            {"plan": f"{course_key}:plan"},
            {"plan": lambda: _plan(course, today)},
            raw=True,
        )["plan"]
        drawn = {
            **context,
            "plan": plan,
            "blood_words": blood_words(course, today),
            "csrf_token": fragments.CSRF_PLACEHOLDER,
        }
        return render_to_string("me/page.html", drawn, request=request)

    page = fragments.cached_page(request, key, draw)
    if page is not None:
        return page
    plan = fragments.cached_parts(
        request, {"plan": f"{course_key}:plan"}, {"plan": lambda: _plan(course, today)}
    )["plan"]
    context["blood_words"] = blood_words(course, today)
    return TemplateResponse(request, "me/page.html", {**context, "plan": plan})


def _plan(course: TransplantCourse, today: date) -> str:
    """The patient's plan: what is coming up, later, and done."""
    milestones = list(
        course.milestones.for_patient()
        .select_related("step", "course__protocol")
        .prefetch_related("items")
    )
    hold_back_live_vaccines(milestones, today)
    past, soon, later = schedule.split_for_patient(milestones, today)
    context = {"course": course, "today": today, "past": past, "soon": soon, "later": later}
    return fragments.render("me/page.html#plan", context)
