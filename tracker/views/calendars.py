"""The calendar subscription (.ics, behind a secret address), its controls, and the
printable calendar."""

from __future__ import annotations

import re
from itertools import groupby
from typing import Any, cast
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST, require_safe

from tracker import clock, services
from tracker.access import get_course_for, get_patient_for, own_courses, require
from tracker.exports.calendar import feed_calendar
from tracker.http import AuthenticatedRequest, Request, bad_request
from tracker.models import Patient, TransplantCourse
from tracker.queries.immunity import blood_words, hold_back_live_vaccines
from tracker.queries.portal import feed_patient, patient_milestones
from tracker.rules import schedule
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
    key = fragments.patient_feed_key(patient, today=today)
    store = caches["pages"]
    body = store.get(key)
    if body is None:
        milestones = patient_milestones(patient.courses.all())
        hold_back_live_vaccines(milestones, today)
        body = feed_calendar(milestones, stamp=clock.now()).to_ical()
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
    phases = []
    if course is not None:
        milestones = patient_milestones([course])
        hold_back_live_vaccines(milestones, clock.today())
        phases = [
            (schedule.Phase(phase), list(group))
            for phase, group in groupby(milestones, key=lambda m: m.phase)
        ]
    context = {
        "patient": patient,
        "course": course,
        "courses": courses,  # the patient's others, to switch between; empty for the care team
        "phases": phases,
        "printed_on": clock.today(),
        "blood_words": blood_words(course, clock.today()) if course is not None else "",
        "back_url": back_url,
    }
    return TemplateResponse(request, "calendars/print.html", context)


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
