"""The course page and its counts section, shared by the views that render either."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from itertools import groupby
from typing import Any

from django.db.models import Prefetch
from django.forms import Form
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from tracker import clock
from tracker.forms import (
    BloodCountForm,
    LabResultForm,
    PastedCountsForm,
    PastedResultsForm,
    TimelineFilterForm,
)
from tracker.http import AuthenticatedRequest
from tracker.models import ChecklistItem, LabResult, Milestone, TransplantCourse
from tracker.queries.engraftment import engraftment_status
from tracker.queries.results import chimerism_summary, result_charts, result_rows
from tracker.rules import chart, schedule


def timeline_milestones(course: TransplantCourse, show: str, today: date) -> list[Milestone]:
    milestones = course.milestones.select_related("step", "completed_by").prefetch_related(
        Prefetch("items", queryset=ChecklistItem.objects.select_related("checked_by"))
    )
    if show == "next30":
        milestones = milestones.due_within(today, 30)
    elif show == "overdue":
        milestones = milestones.overdue(today)
    return list(milestones)  # the related manager gives each milestone this very course


def counts_context(course: TransplantCourse, today: date, **forms: Form | None) -> dict[str, Any]:
    """The blood counts section: the counts, what the rules make of them, the charts.

    `edit_form` bound to a count puts that count's row in edit mode (a correction that did
    not validate comes back in place with its errors).
    """
    counts = list(course.blood_counts.select_related("entered_by"))
    status = engraftment_status(course, counts, today=today)
    anc_chart, platelet_chart = chart.course_charts(
        course.day_zero,
        counts,
        neutrophil_date=status.neutrophils.date if status.neutrophils.engrafted else None,
        platelet_date=status.platelets_20.date if status.platelets_20.engrafted else None,
    )
    for count in counts:
        count.day_label = course.day_label_on(count.drawn_on)  # type: ignore[attr-defined]
    edit_form = forms.get("edit_form")
    return {
        "course": course,
        "today": today,
        "counts": counts,
        "engraftment": status,
        "anc_chart": anc_chart,
        "platelet_chart": platelet_chart,
        "count_form": forms.get("count_form") or BloodCountForm(course=course),
        "paste_form": forms.get("paste_form") or PastedCountsForm(course=course),
        "edit_form": edit_form,
        "editing": edit_form.instance.code if edit_form is not None else None,  # type: ignore[attr-defined]
    }


def results_context(course: TransplantCourse, **forms: Form | None) -> dict[str, Any]:
    """The lab results section: the results with their day and meaning, a chart per test."""
    results = list(LabResult.objects.filter(course=course))
    return {
        "course": course,
        "results": result_rows(course, results),
        "result_charts": result_charts(course, results),
        "chimerism": chimerism_summary(results),
        "result_form": forms.get("result_form") or LabResultForm(course=course),
        "results_paste_form": forms.get("results_paste_form") or PastedResultsForm(course=course),
    }


def course_page(
    request: AuthenticatedRequest, course: TransplantCourse, **extra: Any
) -> TemplateResponse:
    """The whole course page; `extra` carries bound forms or a failed completion to re-show."""
    today = clock.today()
    show = TimelineFilterForm(request.GET).selected
    milestones = timeline_milestones(course, show, today)
    phases = [
        (schedule.Phase(phase), list(group))
        for phase, group in groupby(milestones, key=lambda m: m.phase)
    ]
    forms = {name: extra.pop(name) for name in list(extra) if name.endswith("_form")}
    context = {
        **counts_context(course, today, **forms),
        **results_context(course, **forms),
        "patient": course.patient,
        "show": show,
        "filters": TimelineFilterForm.SHOW_CHOICES,
        "phases": phases,
        "today_label": course.day_label_on(today),
        "today_phase": course.phase_on(today),
        "band": schedule.phase_band(course.day_zero, today, first_day=course.first_day),
        "moves": course.day_zero_moves.select_related("moved_by")[:5],
        **extra,
    }
    return TemplateResponse(request, "courses/detail.html", context)


def section_response(
    request: AuthenticatedRequest,
    course: TransplantCourse,
    *,
    fragment: str,
    context: Callable[[], dict[str, Any]],
    forms: dict[str, Form],
) -> HttpResponse:
    """After a form in a section of the course page (counts, lab results): the section in
    place for htmx, the whole page with the form's errors, or back to the section."""
    if request.htmx:
        return TemplateResponse(request, fragment, context())
    if forms:
        return course_page(request, course, **forms)
    section = fragment.rsplit("#", 1)[-1]
    return redirect(f"{course.get_absolute_url()}#{section}")
