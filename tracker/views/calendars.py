"""The calendar subscription (.ics, behind a secret address), its controls, and the
printable calendar."""

from __future__ import annotations

import re
from typing import Any, cast
from urllib.parse import urlencode
from uuid import UUID

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST, require_safe

from tracker import clock, services
from tracker.access import get_course_for, get_patient_for, own_courses, require
from tracker.exports.calendar import feed_calendar
from tracker.http import AuthenticatedRequest, Request, bad_request
from tracker.models import Milestone, Patient, TransplantCourse, centre_details
from tracker.queries.immunity import blood_words, hold_back_live_vaccines
from tracker.queries.portal import feed_patient, patient_milestones
from tracker.rules import month_grid, schedule
from tracker.rules.plain_language import when_to_call
from tracker.services.patients import FeedAction
from tracker.views import fragments

# secrets.token_urlsafe(32): 43 characters of the URL-safe base64 alphabet.
FEED_TOKEN = re.compile(r"[A-Za-z0-9_-]{20,64}")


@csrf_exempt  # no session and no form: a POST should hear 405, not a CSRF 403
@require_safe
def calendar_feed(request: Request, token: str) -> HttpResponse:
    """The patient's dates as an .ics subscription; the secret in the address is the key."""
    if not FEED_TOKEN.fullmatch(token):  # not a token we make: no query at all
        raise Http404
    patient = feed_patient(token)
    if patient is None:
        raise Http404
    # Calendar apps poll every hour: the same feed is kept until the patient's dates change.
    today = clock.today()
    centre = centre_details()
    key = f"{fragments.patient_feed_key(patient, today=today)}:{centre.key}"
    store = caches["pages"]
    body = store.get(key)
    if body is None:
        milestones = patient_milestones(patient.courses.all())
        hold_back_live_vaccines(milestones, today)
        body = feed_calendar(milestones, stamp=clock.now(), centre=centre).to_ical()
        store.set(key, body)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    # no-store rather than max-age: this is health data behind a secret address, and a revoked
    # address or a moved Day Zero should take effect on the very next poll. The feed is cheap.
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex"
    return response


def feed_context(request: HttpRequest, patient: Patient) -> dict[str, Any]:
    """What calendars/feed_controls.html needs, for the patient themself or a coordinator."""
    for_self = patient.user_id is not None and patient.user_id == request.user.pk
    feed_url = webcal_url = None
    if patient.feed_token:
        feed_url = request.build_absolute_uri(reverse("calendar_feed", args=[patient.feed_token]))
        webcal_url = webcal(feed_url)
    manage_url = reverse("my_feed") if for_self else reverse("patient_feed", args=[patient.code])
    return {
        "patient": patient,
        "feed_url": feed_url,
        "webcal_url": webcal_url,
        "google_url": google_calendar_url(webcal_url) if webcal_url else None,
        "feed_qr": qr_svg(webcal_url) if webcal_url else "",
        "feed_for_self": for_self,
        "manage_url": manage_url,
    }


def webcal(feed_url: str) -> str:
    """The subscription address phones open in their calendar app: webcal:// for http(s)://."""
    return "webcal://" + feed_url.split("://", 1)[1]


def google_calendar_url(webcal_url: str) -> str:
    """Google Calendar's page that adds a subscription by its address (Android phones)."""
    return "https://calendar.google.com/calendar/render?" + urlencode({"cid": webcal_url})


def qr_svg(address: str) -> SafeString:
    """The address as a QR code in SVG, drawn here (no image service sees the secret).
    Hidden from screen readers: the link beside it says the same."""
    code = segno.make(address, error="m")
    svg = code.svg_inline(scale=4, svgclass="qr", lineclass=None, omitsize=True)
    hidden = svg.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1)
    return mark_safe(hidden)  # noqa: S308 - segno's SVG of our own address, no user text


FEED_ACTIONS = {
    "renew": "The calendar address is ready. Any older address no longer works.",
    "revoke": "The calendar subscription is off. Its address no longer works.",
}


def _change_feed(request: AuthenticatedRequest, patient: Patient, *, next_url: str) -> HttpResponse:
    action = request.POST.get("action", "")
    if action not in ("renew", "revoke"):
        return bad_request("Unknown action: send action=renew or action=revoke.")
    checked = cast(FeedAction, action)  # one of the two, checked just above
    try:
        patient = services.change_feed(patient=patient, action=checked, by=request.user)
    except ValidationError as error:
        notice, failed = error.messages[0], True
    else:
        notice, failed = FEED_ACTIONS[action], False
    if request.htmx:
        context = {**feed_context(request, patient), "notice": notice, "failed": failed}
        return TemplateResponse(request, "calendars/feed_controls.html", context)
    (messages.error if failed else messages.success)(request, notice)
    return redirect(next_url)


@require_POST
@login_required
def my_feed(request: AuthenticatedRequest) -> HttpResponse:
    """The patient turns on, renews or turns off their own calendar subscription."""
    patient = Patient.objects.filter(user=request.user).first()
    if patient is None:
        raise PermissionDenied("Only a patient has a calendar subscription of their own.")
    return _change_feed(request, patient, next_url=reverse("my_page"))


@require_POST
@login_required
def patient_feed(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    """A coordinator turns on, renews or turns off a patient's calendar subscription."""
    patient = get_patient_for(request.user, code)
    require(request.user, "manage_calendar_feed")
    return _change_feed(request, patient, next_url=patient.get_absolute_url())


def _print_response(
    request: AuthenticatedRequest,
    course: TransplantCourse | None,
    *,
    patient: Patient,
    courses: list[TransplantCourse],
    back_url: str,
) -> TemplateResponse:
    today = clock.today()
    months: list[month_grid.Month[Milestone]] = []
    later: list[Milestone] = []
    if course is not None:
        milestones = patient_milestones([course])
        hold_back_live_vaccines(milestones, today)
        months, later = _paper_calendar(course, milestones)
    procedure = course is not None and course.phase_scheme.procedure
    context = {
        "patient": patient,
        "course": course,
        "courses": courses,  # the patient's others, to switch between; empty for the care team
        "months": months,
        "later": later,
        "grid_last_day": GRID_LAST_DAY,
        "printed_on": today,
        "blood_words": blood_words(course, today) if course is not None else "",
        "back_url": back_url,
        "centre": centre_details(),
        "care_lines": when_to_call(procedure=procedure),
        **feed_context(request, patient),
        "on_paper": True,
        "feed_for_self": True,  # whoever prints it, the paper speaks to the patient
    }
    return TemplateResponse(request, "calendars/print.html", context)


# The printout's month calendar covers the plan up to Day +100 (the close follow-up); later
# dates follow as a list.
GRID_LAST_DAY = 100


def _paper_calendar(
    course: TransplantCourse, milestones: list[Milestone]
) -> tuple[list[month_grid.Month[Milestone]], list[Milestone]]:
    """Month grids of the plan from its first date to Day +100, and the dates after it."""
    last = schedule.date_of_day(course.day_zero, GRID_LAST_DAY)
    early = [m for m in milestones if m.calendar_date <= last]
    later = sorted((m for m in milestones if m.calendar_date > last), key=lambda m: m.calendar_date)
    if not early:
        return [], later
    first = min([course.day_zero, *(m.calendar_date for m in early)])
    grid = month_grid.by_day((m.calendar_date, m) for m in early)
    return month_grid.month_grids(first, last, grid), later


@require_GET
@login_required
def my_calendar(request: AuthenticatedRequest) -> HttpResponse:
    """The patient's own printable calendar: their current course, or ?course=<code>."""
    patient, courses, course = own_courses(
        request.user, request.GET.get("course"), today=clock.today()
    )
    if patient is None:
        return redirect("home")
    return _print_response(
        request, course, patient=patient, courses=courses, back_url=reverse("my_page")
    )


@require_GET
@login_required
def course_calendar(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    """One course's printable calendar, for whoever may see the course.

    It holds only what the patient may see, so the patient may print it too; the care team
    prints it from the course page to hand over. Another patient's course is a 404.
    """
    course = get_course_for(request.user, code)
    return _print_response(
        request, course, patient=course.patient, courses=[], back_url=course.get_absolute_url()
    )
