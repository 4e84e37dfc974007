"""Marking milestones done or reopening them, and ticking checklist items, in place."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST

from tracker import clock, services
from tracker.access import get_checklist_item_for, get_milestone_for, require
from tracker.forms import CompleteMilestoneForm
from tracker.http import AuthenticatedRequest
from tracker.models import Milestone
from tracker.views.course_page import (
    back_to,
    course_page,
    milestone_rows,
    part_context,
    posted_view,
    summaries_of,
)


def _milestone_response(
    request: AuthenticatedRequest, milestone: Milestone, **extra: Any
) -> HttpResponse:
    """The milestone in place with its phase's summary (htmx), or back to it on the page as
    it was shown (its filter or opened phase)."""
    _, _, view = posted_view(request)
    course = milestone.course
    if request.htmx:
        today = clock.today()
        (row,) = milestone_rows(course, [milestone], today)
        summary = next((s for s in summaries_of(course, today) if s.phase == row.phase), None)
        context = part_context(
            request, milestone=row, view=view, summary_oob=summary, today=today, **extra
        )
        return TemplateResponse(request, "courses/timeline.html#milestone", context)
    return redirect(back_to(course, view, f"milestone-{milestone.code}"))


@require_POST
@login_required
def milestone_complete(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    milestone = get_milestone_for(request.user, code)
    require(request.user, "complete_milestone")
    form = CompleteMilestoneForm(request.POST, course=milestone.course)
    if form.is_valid():
        try:
            milestone = services.complete_milestone(
                milestone=milestone,
                on=form.cleaned_data["completed_on"],
                by=request.user,
                today=clock.today(),
            )
        except ValidationError as error:  # a live vaccine while its gates fail
            form.add_error("completed_on", error.message_dict["completed_on"])
        else:
            return _milestone_response(request, milestone)
    # Shown again in place with what was typed, so nothing has to be entered twice.
    failed = {
        "code": str(milestone.code),
        "error": form.errors["completed_on"][0],
        "value": request.POST.get("completed_on", ""),
    }
    if request.htmx:
        return _milestone_response(request, milestone, failed=failed)
    # The page as it was, with the milestone's phase open so the error shows next to it.
    show, _, _ = posted_view(request)
    view = QueryDict(mutable=True)
    view.update({"show": show, "open": milestone.phase.value})
    return course_page(request, milestone.course, failed=failed, view=view)


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
        if not request.htmx:
            _, _, view = posted_view(request)
            return redirect(back_to(milestone.course, view, f"milestone-{milestone.code}"))
        # The item in place and its milestone's progress out of band: each tick button is its
        # own request, so quick ticks of several items are all sent.
        (row,) = milestone_rows(milestone.course, [milestone], clock.today())
        (ticked,) = [candidate for candidate in row.items if candidate.code == str(item.code)]
        context = part_context(request, item=ticked, milestone=row)
        return TemplateResponse(request, "courses/timeline.html#item_ticked", context)
    if request.htmx:
        return TemplateResponse(request, "me/page.html#item", {"item": item})
    return redirect(f"{reverse('my_page')}#milestone-{milestone.code}")
