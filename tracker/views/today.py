"""The staff's Today page (their landing page): what today needs across patients, and ticking
it done from there, in place with htmx or by a plain form post."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.contrib.auth.decorators import login_required
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
from tracker.models import MorningDigest
from tracker.queries import today as queries
from tracker.services import reminders

PER_PAGE = 25


def _back(request: AuthenticatedRequest, anchor: str) -> HttpResponse:
    page = request.POST.get("page", "")
    query = f"?page={page}" if page.isdigit() else ""
    return redirect(f"{reverse('today')}{query}#{anchor}")


@require_GET
@login_required
@role_required("view_transplantcourse")
def today_page(request: AuthenticatedRequest) -> TemplateResponse:
    today = clock.today()
    found = queries.alerts(today)
    page = Paginator(queries.patients_on(today, found), PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "today": today,
        "page": page,
        "groups": queries.groups(page.object_list, today=today, found=found),
        "digest_on": MorningDigest.objects.filter(user=request.user).exists(),
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


@require_POST
@login_required
@role_required("view_transplantcourse")
def today_done(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    """Mark a milestone done today; the line says so in place (or why it cannot be)."""
    milestone = get_milestone_for(request.user, code)
    require(request.user, "complete_milestone")
    error = ""
    try:
        milestone = services.complete_milestone(
            milestone=milestone, on=clock.today(), by=request.user, today=clock.today()
        )
    except ValidationError as failure:
        error = " ".join(failure.messages)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return _back(request, f"line-{milestone.code}")
    context = {"code": str(milestone.code), "done": not error, "error": error}
    return TemplateResponse(request, "today/page.html#done", context)


@require_POST
@login_required
@role_required("view_transplantcourse")
def today_digest(request: AuthenticatedRequest) -> HttpResponse:
    """The morning e-mail of this page's counts, on or off (one's own)."""
    on = request.POST.get("digest") == "on"
    if on and not request.user.email:
        messages.error(request, "Your login has no e-mail address: ask an administrator to add it.")
        return redirect("today")
    reminders.set_digest_preference(user=request.user, on=on)
    context = {"digest_on": on, "digest_notice": True}
    if request.htmx:
        return TemplateResponse(request, "today/page.html#digest", context)
    return redirect("today")
