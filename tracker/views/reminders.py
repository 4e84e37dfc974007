"""E-mail reminders: a patient turns theirs on or off on their page, a coordinator on the
patient's behalf; anyone stops them from the link in an e-mail, without logging in."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from tracker.access import get_patient_for
from tracker.http import AuthenticatedRequest
from tracker.models import CourseEvent, EventKind, Patient, Reminder
from tracker.services import reminders

RECENT = 20


def reminder_context(patient: Patient, *, for_self: bool, **extra: Any) -> dict[str, Any]:
    """What the reminder controls show (templates/reminders/controls.html)."""
    url = reverse("my_reminders") if for_self else reverse("patient_reminders", args=[patient.code])
    context: dict[str, Any] = {
        "patient": patient,
        "reminders_url": url,
        "reminders_for_self": for_self,
        "reminder_problem": reminders.reminder_problem(patient),
        **extra,
    }
    if not for_self:  # the team sees who last changed them, and what was sent or not
        context["reminders_changed"] = (
            CourseEvent.objects.filter(patient=patient, kind=EventKind.REMINDERS_CHANGED)
            .select_related("by")
            .order_by("-at", "-pk")
            .first()
        )
        context["recent_reminders"] = list(
            Reminder.objects.filter(patient=patient)
            .select_related("milestone__step")
            .order_by("-day", "-created_at")[:RECENT]
        )
    return context


def _change(request: AuthenticatedRequest, patient: Patient, *, for_self: bool) -> HttpResponse:
    on = request.POST.get("email") == "on"
    notice, failed = "", False
    try:
        patient = reminders.set_reminder_preference(patient=patient, email=on, by=request.user)
    except ValidationError as error:
        notice, failed = error.messages[0], True
    else:
        notice = (
            "E-mail reminders are on: one the day before each visit."
            if patient.email_reminders
            else "E-mail reminders are off."
        )
    if request.htmx:
        context = reminder_context(patient, for_self=for_self, notice=notice, failed=failed)
        return TemplateResponse(request, "reminders/controls.html", context)
    (messages.error if failed else messages.success)(request, notice)
    target = reverse("my_page") if for_self else reverse("patient_detail", args=[patient.code])
    return redirect(f"{target}#reminder-controls")


@require_POST
@login_required
def my_reminders(request: AuthenticatedRequest) -> HttpResponse:
    patient = Patient.objects.filter(user=request.user).select_related("user").first()
    if patient is None:
        raise Http404
    return _change(request, patient, for_self=True)


@require_POST
@login_required
def patient_reminders(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    patient = get_patient_for(request.user, code)
    if not request.user.has_perm("tracker.manage_reminders"):
        raise PermissionDenied
    patient = Patient.objects.select_related("user").get(pk=patient.pk)
    return _change(request, patient, for_self=False)


@csrf_exempt  # the link's secret is the proof; mail programs post here with one click
@require_http_methods(["GET", "POST"])
def reminders_stop(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """GET asks (mail scanners open links: a GET changes nothing); POST stops them."""
    what = reminders.read_stop_token(token)
    if what is None:
        return TemplateResponse(request, "reminders/stop.html", {"invalid": True}, status=404)
    stopped = False
    if request.method == "POST":
        reminders.stop(what)
        stopped = True
    context = {"kind": what.kind, "stopped": stopped, "token": token}
    return TemplateResponse(request, "reminders/stop.html", context)
