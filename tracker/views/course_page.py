"""The course page and its parts, shared by the views that render the page or one part.

The page shows what a person reads first: the current and next phase open, the others folded
to a summary line each (opened in place, or with `?open=` without JavaScript). Its parts (the
counts and results sections, the timeline, one phase) are rendered without the request and
kept in the cache until the course changes (tracker/views/fragments.py).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from typing import Any

from django.core.cache import caches
from django.db.models import Q
from django.forms import Form
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe

from tracker import clock, links
from tracker.forms import (
    AcuteGvhdForm,
    BloodCountForm,
    ChronicGvhdForm,
    ChronicGvhdResolveForm,
    ImmunosuppressionForm,
    InfusionForm,
    IrradiationForm,
    IvigForm,
    LabResultForm,
    LetermovirForm,
    PastedCountsForm,
    PastedResultsForm,
    RegistryDetailsForm,
    RegistryStatusForm,
    TimelineFilterForm,
    VaccinationForm,
)
from tracker.http import AuthenticatedRequest, Request
from tracker.models import LabResult, Milestone, TransplantCourse
from tracker.models.milestones import WAITING
from tracker.queries import gvhd
from tracker.queries.engraftment import engraftment_status
from tracker.queries.immunity import immune_recovery, irradiation
from tracker.queries.results import chimerism_summary, result_charts, result_rows
from tracker.queries.timeline import MilestoneRow, rows_of, timeline_rows
from tracker.rules import chart, schedule
from tracker.services import registry as registry_services
from tracker.views import fragments
from tracker.views.fragments import CourseActions

# What a person reads first: the current phase from a week ago to three weeks ahead (and
# anything in it still overdue), then the next phase's first milestones; not the next nine
# months. The rest of each is a click away.
DAYS_BEFORE = 7
DAYS_AHEAD = 21
NEXT_PHASE_PREVIEW = 10


@dataclass(frozen=True)
class PhasePart:
    """A phase of the timeline: open (its milestones) or folded (None), with its summary."""

    phase: schedule.Phase
    summary: schedule.PhaseSummary | None
    milestones: list[MilestoneRow] | None
    url: str = ""
    hidden: int = 0  # milestones of an open phase not shown yet (the next phase's preview)


def with_actions(rows: list[MilestoneRow]) -> list[MilestoneRow]:
    """Where each row's form and checklist buttons post, from URLs reversed once."""
    urls = fragments.url_patterns()
    for row in rows:
        name = "milestone_reopen" if row.is_done else "milestone_complete"
        row.action = links.with_code(urls[name], row.code)
        for item in row.items:
            item.action = links.with_code(urls["checklist_toggle"], item.code)
    return rows


def milestone_rows(
    course: TransplantCourse, milestones: Iterable[Milestone], today: date
) -> list[MilestoneRow]:
    """These milestones as the timeline draws them (after an action changed them)."""
    return with_actions(rows_of(course, milestones, today=today))


def phase_url(course: TransplantCourse, phase: schedule.Phase) -> str:
    return reverse("course_phase", args=[course.code, phase.value])


def timeline_parts(
    course: TransplantCourse, *, show: str, today: date, opened: schedule.Phase | None = None
) -> list[PhasePart]:
    """The phases of the timeline for a filter; with every milestone ("all"), only the open
    phases' milestones are read: the others are a summary from one light query."""
    if show != "all":
        if show == "next30":
            matching = course.milestones.due_within(today, 30)
        else:
            matching = course.milestones.overdue(today)
        rows = with_actions(timeline_rows(course, matching, today=today))
        return [
            PhasePart(phase, None, list(group))
            for phase, group in groupby(rows, key=lambda r: r.phase)
        ]
    summaries = summaries_of(course, today)
    current = course.current_phase(today)
    shown = schedule.open_phases([summary.phase for summary in summaries], current)
    if opened is not None:
        shown |= {opened}
    by_phase: dict[schedule.Phase, list[MilestoneRow]] = {}
    hidden: dict[schedule.Phase, int] = {}
    wanted = Q()
    for summary in summaries:  # a phase is a run of days: its milestones are those dates'
        if summary.phase not in shown:
            continue
        in_phase = Q(due_date__range=(summary.first, summary.last))
        if summary.phase == opened:
            wanted |= in_phase
        elif summary.phase == current:
            # The current phase around today (at least up to its next milestone), and
            # whatever in it is still overdue.
            start, end = schedule.days_around(today, before=DAYS_BEFORE, after=DAYS_AHEAD)
            end = max(end, summary.next_from(today) or end)
            overdue = Q(completed_on__isnull=True, window_end__lt=today) & ~Q(hold__in=WAITING)
            wanted |= in_phase & (Q(due_date__range=(start, end)) | overdue)
        elif current in shown:
            # The phase after the current one: its first milestones, what comes next.
            through, hidden[summary.phase] = summary.first_days(NEXT_PHASE_PREVIEW)
            wanted |= Q(due_date__range=(summary.first, through))
        else:
            wanted |= in_phase
    if wanted:
        rows = timeline_rows(course, course.milestones.filter(wanted), today=today)
        for row in with_actions(rows):
            by_phase.setdefault(row.phase, []).append(row)
    for summary in summaries:
        if summary.phase == current and summary.phase != opened:
            hidden[summary.phase] = summary.total - len(by_phase.get(summary.phase, []))
    return [
        PhasePart(
            summary.phase,
            summary,
            by_phase.get(summary.phase, []) if summary.phase in shown else None,
            url=phase_url(course, summary.phase),
            hidden=hidden.get(summary.phase, 0),
        )
        for summary in summaries
    ]


def phase_part(course: TransplantCourse, phase: schedule.Phase, today: date) -> PhasePart | None:
    """One phase, open with all its milestones; None when the course has none in it."""
    summary = next((s for s in summaries_of(course, today) if s.phase == phase), None)
    if summary is None:
        return None
    in_phase = course.milestones.filter(due_date__range=(summary.first, summary.last))
    rows = with_actions(timeline_rows(course, in_phase, today=today))
    return PhasePart(phase, summary, rows, url=phase_url(course, phase))


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


def gvhd_context(course: TransplantCourse, **forms: Form | None) -> dict[str, Any]:
    """The GVHD section (allogeneic courses): acute assessments read by the rules, their
    chart, chronic GVHD episodes, and the forms. A bound `acute_edit_form` puts its
    assessment's row in edit mode."""
    if not course.has_gvhd:
        return {"course": course}
    episodes = gvhd.chronic_episodes(course)
    active = next((episode for episode in episodes if episode.active), None)
    edit_form = forms.get("acute_edit_form")
    return {
        "course": course,
        "gvhd_status": gvhd.status_words(course),
        "acute": gvhd.acute_summary(course, episodes),
        "episodes": episodes,
        "active_episode": active,
        "reopenable": episodes[-1] if episodes and not active else None,
        "acute_form": forms.get("acute_form") or AcuteGvhdForm(course=course),
        "acute_edit_form": edit_form,
        "acute_editing": edit_form.instance.code if edit_form is not None else None,  # type: ignore[attr-defined]
        "chronic_form": forms.get("chronic_form")
        or ChronicGvhdForm(course=course, diagnosis=active is None, prefix="chronic"),
        "resolve_form": forms.get("resolve_form") or ChronicGvhdResolveForm(course=course),
    }


def immunity_context(course: TransplantCourse, **forms: Form | None) -> dict[str, Any]:
    """The immune recovery section (transplant courses): vaccinations given, drugs, IVIG, the
    live-vaccine gates today, and the forms. A bound `stop_form` shows its drug's errors."""
    if not course.is_transplant:
        return {"course": course}
    stop_form = forms.get("stop_form")
    return {
        "course": course,
        "immune": immune_recovery(course, clock.today()),
        "vaccination_form": forms.get("vaccination_form") or VaccinationForm(course=course),
        "drug_form": forms.get("drug_form") or ImmunosuppressionForm(course=course),
        "ivig_form": forms.get("ivig_form") or IvigForm(course=course),
        "letermovir_form": forms.get("letermovir_form") or LetermovirForm(),
        "irradiation_form": forms.get("irradiation_form") or IrradiationForm(course=course),
        "stop_form": stop_form,
        "stopping": stop_form.entry.code if stop_form is not None else None,  # type: ignore[attr-defined]
    }


def registry_context(course: TransplantCourse, **forms: Form | None) -> dict[str, Any]:
    """The registry section of a transplant course: the details, the forms and their status
    forms (a bound one shows its errors)."""
    if not course.is_transplant:
        return {"course": course}
    reports = list(course.registry_reports.all())
    for report in reports:
        report.course = course  # its dates read Day Zero: no query per form
    bound = forms.get("status_form")
    status_forms = {
        report.pk: bound
        if isinstance(bound, RegistryStatusForm) and bound.report.pk == report.pk
        else RegistryStatusForm(report=report)
        for report in reports
    }
    return {
        "course": course,
        "reports": [(report, status_forms[report.pk]) for report in reports],
        "next_report": registry_services.next_form(reports),
        "details_form": forms.get("details_form") or RegistryDetailsForm(instance=course),
    }


def timeline_view(query: QueryDict) -> tuple[str, schedule.Phase | None, str]:
    """The timeline a page shows, from its query (or the `view` a form posted from): the
    filter, the phase opened without JavaScript, and both as a query to come back to."""
    timeline_filter = TimelineFilterForm(query)
    show, opened = timeline_filter.selected, timeline_filter.opened
    back = QueryDict(mutable=True)
    if show != "all":
        back["show"] = show
    if opened is not None:
        back["open"] = opened.value
    return show, opened, back.urlencode()


def posted_view(request: Request) -> tuple[str, schedule.Phase | None, str]:
    """The timeline view a milestone's form was posted from (its hidden `view`)."""
    return timeline_view(QueryDict(request.POST.get("view", "")))


def back_to(course: TransplantCourse, view: str, anchor: str) -> str:
    """The course page as it was shown (filter, opened phase), at `anchor`."""
    return f"{course.get_absolute_url()}{'?' + view if view else ''}#{anchor}"


def summaries_of(course: TransplantCourse, today: date) -> list[schedule.PhaseSummary]:
    """Where each phase of the course stands today: one light query."""
    dates = course.milestones.order_by().values_list(
        "due_date", "window_start", "window_end", "completed_on", "hold"
    )
    return schedule.phase_summaries(
        dates, day_zero=course.day_zero, today=today, scheme=course.phase_scheme
    )


def part_context(request: Request, **context: Any) -> dict[str, Any]:
    """What every part reads besides its data: what the person may do, the row URLs, today."""
    today = clock.today()
    return {
        "can": CourseActions.of(request.user),
        "urls": fragments.url_patterns(),
        "today": today,
        "today_iso": today.isoformat(),
        **context,
    }


def course_parts(
    request: AuthenticatedRequest,
    course: TransplantCourse,
    names: Iterable[str] = ("sections", "timeline"),
    *,
    view: QueryDict | None = None,
    raw: bool = False,
    course_key: str | None = None,
    **extra: Any,
) -> dict[str, SafeString]:
    """The named parts of the course page ("sections", "timeline"), ready for this response.

    The timeline shows the filter and opened phase of `view` (a form's) or of the page's
    query. `extra` carries bound forms or a failed completion to show again: then the parts
    are drawn for this response only; otherwise they come from the cache when the course has
    not changed since they were drawn.
    """
    today = clock.today()
    show, opened, back = timeline_view(request.GET if view is None else view)
    can = CourseActions.of(request.user)
    forms = {name: extra.pop(name) for name in list(extra) if name.endswith("_form")}
    common = {"course": course, "today": today, "today_iso": today.isoformat(), "can": can}

    def sections() -> str:
        return fragments.render(
            "courses/detail.html#sections",
            {
                **common,
                **counts_context(course, today, **forms),
                **results_context(course, **forms),
                **gvhd_context(course, **forms),
                **immunity_context(course, **forms),
                **(registry_context(course, **forms) if can.see_registry else {}),
                "moves": list(course.day_zero_moves.select_related("moved_by")[:5]),
                "infusions": list(course.infusions.all()) if course.is_transplant else [],
                "infusion_form": forms.get("infusion_form") or InfusionForm(),
                **extra,
            },
        )

    def timeline() -> str:
        phases = timeline_parts(course, show=show, today=today, opened=opened)
        if not extra:
            draw_rows(phases, {**common, "view": back})
        return fragments.render(
            "courses/timeline.html#timeline",
            {
                **common,
                "show": show,
                "view": back,
                "filters": TimelineFilterForm.SHOW_CHOICES,
                "phases": phases,
                "jump": today_anchor(course, phases, today) if show == "all" else None,
                **extra,
            },
        )

    renderers = {"sections": sections, "timeline": timeline}
    renderers = {name: renderers[name] for name in names}
    if forms or extra:  # what was typed is shown again: drawn for this response only
        return {name: fragments.for_response(request, draw()) for name, draw in renderers.items()}
    key = course_key or fragments.course_key(course, today=today, actions=can)
    keys = {"sections": f"{key}:sections", "timeline": f"{key}:timeline:{show}:{opened or ''}"}
    return fragments.cached_parts(request, {name: keys[name] for name in names}, renderers, raw=raw)


def draw_rows(phases: list[PhasePart], context: dict[str, Any]) -> None:
    """Each shown milestone's markup, from the cache when a milestone with the very same
    content was drawn before for the same day, view and actions (a change to one milestone, a
    count entered, redraws that milestone only, not the phase)."""
    rows = [row for part in phases for row in part.milestones or []]
    if not rows:
        return
    same = f"{fragments.release_version()}:{context['today_iso']}:{context['can'].key}:"
    same += context["view"]
    keys = {f"row:{hashlib.sha256(f'{same}:{row!r}'.encode()).hexdigest()}": row for row in rows}
    store = caches["fragments"]
    found = store.get_many(list(keys))
    drawn = {}
    draw = fragments.renderer("courses/timeline.html#milestone")
    for key, row in keys.items():
        html = found.get(key)
        if html is None:
            html = drawn[key] = draw({**context, "milestone": row})
        row.html = mark_safe(html)  # noqa: S308 - drawn by our template, escaped there
    if drawn:
        store.set_many(drawn)


def today_anchor(course: TransplantCourse, phases: list[PhasePart], today: date) -> str | None:
    """Where "Jump to today" goes: the current phase's first milestone from today on that is
    not done, else the phase; None before the course starts or when the phase is not shown."""
    current = course.current_phase(today)
    for part in phases:
        if part.phase == current and part.milestones is not None:
            for row in part.milestones:
                if row.due_date >= today and not row.is_done:
                    return f"milestone-{row.code}"
            return f"phase-{part.phase}"
    return None


def course_page(
    request: AuthenticatedRequest, course: TransplantCourse, **extra: Any
) -> HttpResponse:
    """The whole course page; `extra` carries bound forms or a failed completion to re-show.

    Seen again while nothing changed, the whole page comes from the cache: kept per person
    (their login name and permissions are in its layout), with a placeholder for the CSRF
    token; never while a message waits to be shown once, nor with what was typed.
    """
    today = clock.today()
    can = CourseActions.of(request.user)

    def context(**parts_options: Any) -> dict[str, Any]:
        return {
            "course": course,
            "today": today,
            "can": can,
            "patient": course.patient,
            "parts": course_parts(request, course, **parts_options, **extra),
            "today_label": course.day_label_on(today),
            "gvhd_status": gvhd.status_words(course) if can.see_gvhd else "",
            "irradiation": irradiation(course) if can.see_immunity else None,
            "band": schedule.phase_band(
                course.day_zero, today, first_day=course.first_day, scheme=course.phase_scheme
            ),
        }

    if extra:
        return TemplateResponse(request, "courses/detail.html", context())
    patient = course.patient
    shown = (  # what the header shows that no course event records (an admin's edit)
        patient.code,
        patient.mrn,
        patient.full_name,
        patient.date_of_birth,
        course.sequence,
        course.is_tandem,
        course.graft_source,
        course.donor_type,
        course.day_zero_confirmed,
        course.gvhd_acute_grade,
        course.gvhd_acute_peak,
        course.gvhd_chronic,
        request.GET.get("show", ""),
        request.GET.get("open", ""),
    )
    digest = hashlib.sha256(repr(shown).encode()).hexdigest()[:16]
    course_key = fragments.course_key(course, today=today, actions=can)
    key = f"{course_key}:page:{fragments.person_key(request.user)}:{digest}"

    def draw() -> str:
        drawn = {
            **context(raw=True, course_key=course_key),
            "csrf_token": fragments.CSRF_PLACEHOLDER,
        }
        return render_to_string("courses/detail.html", drawn, request=request)

    page = fragments.cached_page(request, key, draw)
    return page or TemplateResponse(request, "courses/detail.html", context())


def phase_response(
    request: AuthenticatedRequest,
    course: TransplantCourse,
    phase: schedule.Phase,
    *,
    folded: bool = False,
) -> HttpResponse:
    """One phase of the timeline, open (a folded phase opened in place), or folded again."""
    today = clock.today()
    can = CourseActions.of(request.user)
    if folded:
        summary = next((s for s in summaries_of(course, today) if s.phase == phase), None)
        if summary is None:
            return HttpResponse()
        part = PhasePart(phase, summary, None, url=phase_url(course, phase))
        return HttpResponse(fragments.render("courses/timeline.html#folded", {"part": part}))

    def draw() -> str:
        part = phase_part(course, phase, today)
        if part is None:
            return ""
        context = {
            "course": course,
            "today": today,
            "today_iso": today.isoformat(),
            "can": can,
            "part": part,
            "view": f"open={phase}",
        }
        draw_rows([part], context)
        return fragments.render("courses/timeline.html#phase", context)

    key = f"{fragments.course_key(course, today=today, actions=can)}:phase:{phase}"
    html = fragments.cached_parts(request, {"phase": key}, {"phase": draw})["phase"]
    return HttpResponse(html)


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
        return TemplateResponse(request, fragment, part_context(request, **context()))
    if forms:
        return course_page(request, course, **forms)
    section = fragment.rsplit("#", 1)[-1]
    return redirect(f"{course.get_absolute_url()}#{section}")
