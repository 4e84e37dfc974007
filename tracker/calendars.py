"""The patient's dates outside the app: a calendar subscription (.ics) and a printable calendar.

Both show only what the patient may see: milestones of steps meant for the patient or for
both the patient and the care team, never care-team-only steps. The feed follows RFC 5545
(with RFC 7986's NAME and REFRESH-INTERVAL); it has no login, so its address carries a long
random secret that the patient or a coordinator can renew or revoke.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from itertools import groupby
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST, require_safe
from icalendar import Calendar, Event, vDuration

from tracker import schedule
from tracker.access import get_course_for, get_patient_for, own_courses, require
from tracker.models import Milestone, Patient, TransplantCourse, clinic_today

FEED_NAME = "Transplant calendar"
FEED_PRODID = "-//Transplant tracker//Calendar feed//EN"
# How often a calendar app should poll; a hint, so a moved Day Zero reaches the phone the same day.
FEED_REFRESH = timedelta(hours=1)
UID_DOMAIN = "transplant-tracker"


def all_day_end(day: date) -> date:
    """The DTEND of an all-day event on `day`: the next day (RFC 5545 DTEND is exclusive)."""
    return day + timedelta(days=1)


def event_uid(milestone: Milestone) -> str:
    """A UID that survives Day Zero moves, so calendar apps move the event, not copy it."""
    return f"{milestone.code}@{UID_DOMAIN}"


def feed_calendar(milestones: Iterable[Milestone], *, stamp: datetime) -> Calendar:
    """An RFC 5545 calendar with one all-day event per milestone (courses already attached)."""
    calendar = Calendar()
    calendar.add("prodid", FEED_PRODID)
    calendar.add("version", "2.0")
    # PUBLISH makes DTSTAMP "when this copy was made", which is what a feed serves.
    calendar.add("method", "PUBLISH")
    # No name or MRN anywhere in the feed: the address may end up in the wrong hands.
    calendar.add("name", FEED_NAME)
    calendar.add("x-wr-calname", FEED_NAME)
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))  # the same, for older clients
    for milestone in milestones:
        event = Event()
        event.add("uid", event_uid(milestone))
        event.add("dtstamp", stamp)
        event.add("dtstart", milestone.calendar_date)
        event.add("dtend", all_day_end(milestone.calendar_date))
        event.add("summary", milestone.title)
        description = milestone.calendar_day_label
        if milestone.step.patient_text:
            description += f"\n\n{milestone.step.patient_text}"
        event.add("description", description)
        calendar.add_component(event)
    return calendar


def patient_milestones(courses: Iterable[TransplantCourse]) -> list[Milestone]:
    """The milestones of these courses (a list or a queryset) the patient may see, by date."""
    return list(
        Milestone.objects.for_patient()
        .filter(course__in=courses)
        .select_related("step", "course")
        .order_by("due_date", "step__position", "occurrence")
    )


@csrf_exempt  # no session and no form: a POST should hear 405, not a CSRF 403
@require_safe
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The patient's dates as an .ics subscription; the secret in the address is the key."""
    if not token:
        raise Http404
    patient = get_object_or_404(Patient, feed_token=token)
    milestones = patient_milestones(patient.courses.all())
    body = feed_calendar(milestones, stamp=timezone.now()).to_ical()
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    # no-store rather than max-age: this is health data behind a secret address, and a revoked
    # address or a moved Day Zero should take effect on the very next poll. The feed is cheap.
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def feed_context(request: HttpRequest, patient: Patient) -> dict:
    """What calendars/feed_controls.html needs, for the patient themself or a coordinator."""
    for_self = patient.user_id is not None and patient.user_id == request.user.pk
    feed_url = None
    if patient.feed_token:
        feed_url = request.build_absolute_uri(reverse("calendar_feed", args=[patient.feed_token]))
    manage_url = reverse("my_feed") if for_self else reverse("patient_feed", args=[patient.code])
    return {
        "patient": patient,
        "feed_url": feed_url,
        "feed_for_self": for_self,
        "manage_url": manage_url,
    }


FEED_ACTIONS = {
    "renew": "The calendar address is ready. Any older address no longer works.",
    "revoke": "The calendar subscription is off. Its address no longer works.",
}


def _change_feed(request: HttpRequest, patient: Patient, *, next_url: str) -> HttpResponse:
    action = request.POST.get("action", "")
    if action not in FEED_ACTIONS:
        return HttpResponseBadRequest(
            "Unknown action: send action=renew or action=revoke.", content_type="text/plain"
        )
    if action == "renew":
        patient.renew_feed_token()
    else:
        patient.revoke_feed_token()
    if request.htmx:
        context = {**feed_context(request, patient), "notice": FEED_ACTIONS[action]}
        return TemplateResponse(request, "calendars/feed_controls.html", context)
    messages.success(request, FEED_ACTIONS[action])
    return redirect(next_url)


@require_POST
@login_required
def my_feed(request: HttpRequest) -> HttpResponse:
    """The patient turns on, renews or turns off their own calendar subscription."""
    patient = Patient.objects.filter(user=request.user).first()
    if patient is None:
        raise PermissionDenied("Only a patient has a calendar subscription of their own.")
    return _change_feed(request, patient, next_url=reverse("my_page"))


@require_POST
@login_required
def patient_feed(request: HttpRequest, code: UUID) -> HttpResponse:
    """A coordinator turns on, renews or turns off a patient's calendar subscription."""
    patient = get_patient_for(request.user, code)
    require(request.user, "manage_calendar_feed")
    return _change_feed(request, patient, next_url=patient.get_absolute_url())


def _print_response(
    request: HttpRequest,
    course: TransplantCourse | None,
    *,
    patient: Patient,
    courses: list[TransplantCourse],
    back_url: str,
) -> TemplateResponse:
    phases = []
    if course is not None:
        milestones = patient_milestones([course])
        phases = [
            (schedule.Phase(phase), list(group))
            for phase, group in groupby(milestones, key=lambda m: m.phase)
        ]
    context = {
        "patient": patient,
        "course": course,
        "courses": courses,  # the patient's others, to switch between; empty for the care team
        "phases": phases,
        "printed_on": clinic_today(),
        "back_url": back_url,
    }
    return TemplateResponse(request, "calendars/print.html", context)


@require_GET
@login_required
def my_calendar(request: HttpRequest) -> HttpResponse:
    """The patient's own printable calendar: their current course, or ?course=<code>."""
    patient, courses, course = own_courses(
        request.user, request.GET.get("course"), today=clinic_today()
    )
    if patient is None:
        return redirect("home")
    return _print_response(
        request, course, patient=patient, courses=courses, back_url=reverse("my_page")
    )


@require_GET
@login_required
def course_calendar(request: HttpRequest, code: UUID) -> HttpResponse:
    """One course's printable calendar, for whoever may see the course.

    It holds only what the patient may see, so the patient may print it too; the care team
    prints it from the course page to hand over. Another patient's course is a 404.
    """
    course = get_course_for(request.user, code)
    return _print_response(
        request, course, patient=course.patient, courses=[], back_url=course.get_absolute_url()
    )
