"""The staff's Today page (their landing page): what today needs across patients, and ticking
it done from there, in place with htmx or by a plain form post."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import caches
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from tracker import clock, services
from tracker.access import get_checklist_item_for, get_milestone_for, require
from tracker.http import AuthenticatedRequest, role_required
from tracker.models import Milestone, MorningDigest
from tracker.models.milestones import WAITING
from tracker.queries import today as queries
from tracker.services import reminders
from tracker.views import fragments

PER_PAGE = 25
NO_ADDRESS = "Your login has no e-mail address: ask an administrator to add it."


def _back(request: AuthenticatedRequest, anchor: str) -> HttpResponse:
    page = request.POST.get("page", "")
    query = f"?page={page}" if page.isdigit() else ""
    return redirect(f"{reverse('today')}{query}#{anchor}")


@require_GET
@login_required
@role_required("view_transplantcourse")
def today_page(request: AuthenticatedRequest) -> TemplateResponse:
    today = clock.today()
    # Who is on the page, and the alerts, kept while nothing in the clinic changes: finding
    # them reads every pending milestone (a third of a second at 10,000 courses); every write
    # records an event, so the next load after a change finds them again.
    key = f"{fragments.clinic_key(today=today)}:today"
    store = caches["pages"]
    kept = store.get(key)
    if kept is None:
        found = queries.alerts(today)
        kept = (found, queries.patients_on(today, found))
        store.set(key, kept)
    found, patients = kept
    page = Paginator(patients, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "today": today,
        "page": page,
        "groups": queries.groups(page.object_list, today=today, found=found),
        "digest_on": MorningDigest.objects.filter(user=request.user).exists(),
        "has_address": bool(request.user.email),
        "can_complete": request.user.has_perm("tracker.complete_milestone"),
    }
    return TemplateResponse(request, "today/page.html", context)


@require_POST
@login_required
@role_required("view_transplantcourse")
def today_tick(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    """Tick (or untick) a checklist item of a milestone due today."""
    item = get_checklist_item_for(request.user, code)
    if not item.can_be_ticked_by(request.user):
        raise PermissionDenied
    item = services.tick_item(
        item=item, checked=request.POST.get("checked") == "1", by=request.user
    )
    if not request.htmx:
        return _back(request, f"line-{item.milestone.code}")
    shown = queries.Item(str(item.code), item.text, item.is_checked)
    return TemplateResponse(request, "today/page.html#item", {"item": shown})


def done_today_problem(milestone: Milestone, today: date) -> str:
    """Why a milestone cannot be marked done today from this page ("" when it can): what the
    page offers, checked again, as a page left open overnight may ask."""
    course = milestone.course
    if milestone.completed_on is not None:
        return "It is already marked done."
    if course.ended_on or course.superseded_on or milestone.hold in WAITING:
        return "It is no longer planned: see the course page."
    if not milestone.due_date <= today <= milestone.window_end:
        return (
            "It is not due today (this page may be from another day): mark it done on the "
            "course page, with the day it was done."
        )
    if milestone.step.vaccine:
        return "Record the dose on the course page (under Immune recovery)."
    if milestone.due_date == course.day_zero and not course.day_zero_confirmed:
        return "Confirm the infusion (Day Zero) on the course page."
    open_items = milestone.items.filter(checked_at__isnull=True).count()
    if open_items:
        return (
            f"Tick its {open_items} checklist item{'s' if open_items != 1 else ''} first, or "
            "mark it done on the course page."
        )
    return ""


@require_POST
@login_required
@role_required("view_transplantcourse")
def today_done(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    """Mark a milestone done today; the line says so in place (or why it cannot be)."""
    milestone = get_milestone_for(request.user, code)
    require(request.user, "complete_milestone")
    today = clock.today()
    error = done_today_problem(milestone, today)
    if not error:
        try:
            milestone = services.complete_milestone(
                milestone=milestone, on=today, by=request.user, today=today
            )
        except ValidationError as failure:
            error = " ".join(failure.messages)
    if not request.htmx:
        if error:
            messages.error(request, error)
        else:
            messages.success(request, f"“{milestone.title}” is marked done today.")
        return _back(request, f"line-{milestone.code}")
    context = {"code": str(milestone.code), "done": not error, "error": error}
    return TemplateResponse(request, "today/page.html#done", context)


@require_POST
@login_required
@role_required("view_transplantcourse")
def today_digest(request: AuthenticatedRequest) -> HttpResponse:
    """The morning e-mail of this page's counts, on or off (one's own)."""
    on = request.POST.get("digest") == "on"
    error = NO_ADDRESS if on and not request.user.email else ""
    if not error:
        reminders.set_digest_preference(user=request.user, on=on)
    if request.htmx:
        context = {
            "digest_on": on and not error,
            "digest_notice": True,
            "digest_error": error,
            "has_address": bool(request.user.email),
        }
        return TemplateResponse(request, "today/page.html#digest", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"The morning e-mail is {'on' if on else 'off'}.")
    return redirect("today")
