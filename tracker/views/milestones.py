"""Marking milestones done or reopening them, and ticking checklist items, in place."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from tracker import clock, services
from tracker.access import get_checklist_item_for, get_milestone_for, require
from tracker.forms import CompleteMilestoneForm
from tracker.http import AuthenticatedRequest
from tracker.models import Milestone
from tracker.views.course_page import course_page, milestone_rows, part_context


def _milestone_response(
    request: AuthenticatedRequest, milestone: Milestone, **extra: Any
) -> HttpResponse:
    if request.htmx:
        today = clock.today()
        (row,) = milestone_rows(milestone.course, [milestone], today)
        context = part_context(request, milestone=row, today=today, **extra)
        return TemplateResponse(request, "courses/timeline.html#milestone", context)
    return redirect(f"{milestone.course.get_absolute_url()}#milestone-{milestone.code}")


@require_POST
@login_required
def milestone_complete(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    milestone = get_milestone_for(request.user, code)
    require(request.user, "complete_milestone")
    form = CompleteMilestoneForm(request.POST, course=milestone.course)
    if not form.is_valid():
        # Shown again in place with what was typed, so nothing has to be entered twice.
        failed = {
            "code": milestone.code,
            "error": form.errors["completed_on"][0],
            "value": request.POST.get("completed_on", ""),
        }
        if request.htmx:
            return _milestone_response(request, milestone, failed=failed)
        return course_page(request, milestone.course, failed=failed)
    milestone = services.complete_milestone(
        milestone=milestone,
        on=form.cleaned_data["completed_on"],
        by=request.user,
        today=clock.today(),
    )
    return _milestone_response(request, milestone)


@require_POST
@login_required
def milestone_reopen(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    milestone = get_milestone_for(request.user, code)
    require(request.user, "complete_milestone")
    milestone = services.reopen_milestone(milestone=milestone, by=request.user)
    return _milestone_response(request, milestone)


@require_POST
@login_required
def checklist_toggle(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    item = get_checklist_item_for(request.user, code)
    if not item.can_be_ticked_by(request.user):
        raise PermissionDenied
    item = services.tick_item(
        item=item, checked=request.POST.get("checked") == "1", by=request.user
    )
    milestone = item.milestone
    if request.user.has_perm("tracker.view_transplantcourse"):
        # The course page's milestone is one form: it is drawn again whole, progress included.
        return _milestone_response(request, milestone)
    if request.htmx:
        return TemplateResponse(request, "me/page.html#item", {"item": item})
    return redirect(f"{reverse('my_page')}#milestone-{milestone.code}")
