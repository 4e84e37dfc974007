"""The staff's Today page: what today needs, across patients, grouped by patient.

On it: visits and tasks due today (with their checklist items still open) and those overdue;
daily blood counts to enter today (the protocol plans them while the patient is in for the
transplant); engraftment reached in the last day and graft-failure alerts; live vaccines whose
gates have opened; registry forms due or overdue; conditioning starting this week.

Who is on the page is one query on the patients (an EXISTS for each kind of line) and the page
of patients a second; what their lines show is read for that page's patients only. The
engraftment alerts are worked out by the rules for the few courses that could have one (past
Day +14, not engrafted, within 60 days of Day Zero), so the number of queries does not grow
with the number of courses.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, DateField, Exists, OuterRef, Q, QuerySet, Subquery

from tracker import links
from tracker.models import (
    ChecklistItem,
    Engraftment,
    Milestone,
    Patient,
    ProtocolStep,
    RegistryReport,
    TransplantCourse,
)
from tracker.models.choices import CLOSED_HOLDS, LIVE_VACCINES, OPEN_FORM_STATUSES, Hold, Kind
from tracker.models.milestones import WAITING, title_of
from tracker.models.protocols import phase_scheme
from tracker.queries.engraftment import counts_by_course, status_of
from tracker.rules import schedule
from tracker.rules.engraftment import Alert
from tracker.rules.registry import title_of as form_title

CONDITIONING_AHEAD_DAYS = 7
CONDITIONING_FROM = 10  # days before Day Zero
# Overdue lines shown for one patient; the rest are counted, on the course page.
OVERDUE_SHOWN = 5
# Engraftment the counts showed is news for this many days (it is dated from the first of
# its three days, so it is found two days after that at the earliest).
ENGRAFTED_NEWS_DAYS = 4
# Graft-failure alerts are looked for from Day +14 to Day +60 on courses not yet engrafted.
ALERT_FROM_DAY = 14
ALERT_UNTIL_DAY = 60

Values = dict[str, Any]


class LineKind:
    COUNTS = "counts"
    ALERT = "alert"
    ENGRAFTED = "engrafted"
    DUE = "due"
    OVERDUE = "overdue"
    LIVE_VACCINE = "live_vaccine"
    REGISTRY = "registry"
    CONDITIONING = "conditioning"
    # The order lines are shown in, within a patient.
    ORDER = [ALERT, COUNTS, ENGRAFTED, DUE, OVERDUE, LIVE_VACCINE, CONDITIONING, REGISTRY]


@dataclass(frozen=True)
class Item:
    code: str
    text: str
    checked: bool


@dataclass
class Line:
    kind: str
    text: str
    url: str  # where it is done
    day_label: str = ""
    detail: str = ""
    milestone_code: str = ""
    items: list[Item] = field(default_factory=list)
    can_mark_done: bool = False  # "Done today" from the page
    badge: str = ""  # the badge's words, when not the kind's own


@dataclass
class Group:
    code: str
    name: str
    mrn: str
    url: str
    courses: list[str]  # "Day +12 · Allogeneic (MAC-ALLO)"
    lines: list[Line]


# --- What puts a patient on the page -------------------------------------------------------


def _open_course() -> Q:
    return Q(course__ended_on__isnull=True, course__superseded_on__isnull=True)


def _after_an_earlier_dose() -> Q:
    """A vaccine dose whose earlier dose is not given yet: not to give before it."""
    earlier = Milestone.objects.filter(
        course=OuterRef("course"),
        completed_on__isnull=True,
        step__vaccine=OuterRef("step__vaccine"),
        step__dose__lt=OuterRef("step__dose"),
    ).exclude(hold__in=CLOSED_HOLDS)
    return ~Q(step__vaccine="") & Q(Exists(earlier))


def _live(today: date) -> Q:
    """A live vaccine whose gates have opened: nothing holds it back and its window is open
    or past."""
    return Q(step__vaccine__in=LIVE_VACCINES, window_start__lte=today) & (
        Q(hold=Hold.NONE) | Q(hold=Hold.BLOCKED_UNTIL, due_date__lte=today)
    )


def _due(today: date) -> Q:
    """Due now: its due date has come and its window has not closed."""
    return Q(due_date__lte=today, window_end__gte=today)


def _counts_today(today: date) -> Q:
    return Q(step__done_by_counts=True, due_date=today)


def _actionable(today: date) -> Q:
    tasks = (
        Q(step__done_by_counts=False, step__engraftment="")
        & (_due(today) | Q(window_end__lt=today) | _live(today))
        & ~_after_an_earlier_dose()
    )
    return (
        _open_course()
        & Q(completed_on__isnull=True)
        & ~Q(hold__in=WAITING)
        & (tasks | _counts_today(today))
    )


def actionable(today: date) -> QuerySet[Milestone]:
    """The milestones on the page: not done, not waiting or closed, on an open course; due
    (its day come, its window open), overdue, today's daily counts, or a live vaccine that
    may now be given; never a vaccine dose before the dose it follows."""
    return Milestone.objects.filter(_actionable(today))


def registry_due(today: date) -> QuerySet[RegistryReport]:
    return RegistryReport.objects.filter(status__in=OPEN_FORM_STATUSES, due__lte=today)


def conditioning_start() -> Subquery:
    """The course's first planned item from Day −10 to Day −1 (in the outer query)."""
    first = (
        Milestone.objects.filter(
            course=OuterRef("pk"),
            due_date__gte=OuterRef("day_zero") - timedelta(days=CONDITIONING_FROM),
            due_date__lt=OuterRef("day_zero"),
        )
        .order_by("due_date")
        .values("due_date")[:1]
    )
    return Subquery(first, output_field=DateField())


def conditioning_soon(today: date) -> QuerySet[TransplantCourse]:
    """The transplants whose conditioning starts this week: their first planned item from
    Day −10 (CLINICAL.md: conditioning runs Day −10 to −1; an admission for it is the first
    of them), not the work-up weeks before it. Procedures have none."""
    return (
        TransplantCourse.objects.filter(
            ended_on__isnull=True,
            superseded_on__isnull=True,
            # Those it could be (by the index on Day Zero), then their first item.
            day_zero__gt=today,
            day_zero__lte=today + timedelta(days=CONDITIONING_AHEAD_DAYS + CONDITIONING_FROM),
        )
        .exclude(kind=Kind.PROCEDURE)
        .annotate(conditioning_on=conditioning_start())
        .filter(
            conditioning_on__gte=today,
            conditioning_on__lt=today + timedelta(days=CONDITIONING_AHEAD_DAYS),
        )
    )


def _engrafted(today: date) -> Q:
    """Neutrophil engraftment the counts showed in the last few days (on courses within
    their engraftment weeks: by the index on Day Zero)."""
    return (
        _open_course()
        & Q(course__day_zero__gte=today - timedelta(days=ALERT_UNTIL_DAY))
        & Q(
            step__engraftment=Engraftment.NEUTROPHIL,
            completed_on__gte=today - timedelta(days=ENGRAFTED_NEWS_DAYS),
        )
    )


def recently_engrafted(today: date) -> QuerySet[Milestone]:
    return Milestone.objects.filter(_engrafted(today))


@dataclass(frozen=True)
class Alerts:
    """Graft-failure alerts, by course: worked out once for the page (two queries)."""

    by_course: dict[int, str]
    patients: dict[int, int]  # course: patient

    @property
    def patient_ids(self) -> set[int]:
        return set(self.patients.values())


def alerts(today: date) -> Alerts:
    """The courses past Day +14 and within Day +60, not engrafted, whose counts the rules
    read as a graft failure (or that have no counts at all)."""
    candidates = list(
        TransplantCourse.objects.filter(
            ended_on__isnull=True,
            superseded_on__isnull=True,
            protocol__tracks_engraftment=True,
            day_zero__lte=today - timedelta(days=ALERT_FROM_DAY),
            day_zero__gte=today - timedelta(days=ALERT_UNTIL_DAY),
        )
        .filter(
            Exists(
                Milestone.objects.filter(
                    course=OuterRef("pk"),
                    step__engraftment=Engraftment.NEUTROPHIL,
                    completed_on__isnull=True,
                )
            )
        )
        .values_list("pk", "patient_id", "day_zero", "graft_source", "protocol__graft_failure_day")
    )
    counts = counts_by_course([pk for pk, *_ in candidates])
    found: dict[int, str] = {}
    patients: dict[int, int] = {}
    for pk, patient_id, day_zero, graft_source, failure_day in candidates:
        status = status_of(
            counts.get(pk, []),
            day_zero=day_zero,
            graft_source=graft_source,
            protocol_failure_day=failure_day,
            tracks_engraftment=True,
            today=today,
        )
        if status.graft.alert in (Alert.GRAFT_FAILURE, Alert.NO_COUNTS):
            found[pk] = status.graft.headline
            patients[pk] = patient_id
    return Alerts(by_course=found, patients=patients)


PATIENT_FIELDS = ("pk", "code", "given_name", "family_name", "mrn")


def patient_ids(today: date, found: Alerts) -> set[int]:
    """The patients with something on the page (one query: a UNION of each kind of line's
    patients, each read by an index: pending milestones by due date, live vaccines by their
    steps, courses by Day Zero)."""
    due = Milestone.objects.filter(_actionable(today), due_date__lte=today)
    live_steps = ProtocolStep.objects.filter(vaccine__in=LIVE_VACCINES).values("pk")
    live_early = Milestone.objects.filter(_actionable(today), step__in=live_steps)
    rows = (
        due.order_by()
        .values_list("course__patient_id")
        .union(
            live_early.filter(due_date__gt=today).order_by().values_list("course__patient_id"),
            registry_due(today).order_by().values_list("course__patient_id"),
            conditioning_soon(today).order_by().values_list("patient_id"),
            recently_engrafted(today).order_by().values_list("course__patient_id"),
        )
    )
    return {patient_id for (patient_id,) in rows} | found.patient_ids


def patients_on(today: date, found: Alerts) -> list[Values]:
    """The patients on the page, by name (two queries)."""
    patients = (
        Patient.objects.filter(pk__in=patient_ids(today, found))
        .order_by("family_name", "given_name", "mrn", "pk")
        .values(*PATIENT_FIELDS)
    )
    return list(patients)


# --- What the page of patients shows -------------------------------------------------------

MILESTONE_FIELDS = (
    "pk",
    "code",
    "due_date",
    "window_start",
    "window_end",
    "occurrence",
    "hold",
    "step__title",
    "step__repeat_every_days",
    "step__seasons",
    "step__vaccine",
    "step__done_by_counts",
    "step__engraftment",
    "completed_on",
    "course_id",
    "course__code",
    "course__day_zero",
    "course__day_zero_confirmed",
    "course__patient_id",
    "course__protocol__phase_set",
    "course__protocol__conditioning_from_day",
)


def _title(m: Values) -> str:
    return title_of(
        m["step__title"],
        m["step__repeat_every_days"] or m["step__seasons"],
        m["occurrence"],
        season_of=m["due_date"] if m["step__seasons"] else None,
    )


def _milestone_line(m: Values, today: date, items: list[Item], address: Any) -> Line:
    day_zero = m["course__day_zero"]
    course_url = address(m["course__code"])
    # Opened at its phase, which may be folded on the course page.
    scheme = phase_scheme(
        m["course__protocol__phase_set"], m["course__protocol__conditioning_from_day"]
    )
    phase = schedule.phase_of(m["due_date"], day_zero, scheme).value
    url = f"{course_url}?open={phase}#milestone-{m['code']}"
    day = schedule.day_label(schedule.day_number(m["due_date"], day_zero))
    title = _title(m)
    if m["step__engraftment"]:
        return Line(
            LineKind.ENGRAFTED,
            f"{title} reached",
            url,
            day_label=schedule.day_label(schedule.day_number(m["completed_on"], day_zero)),
            detail="from the blood counts",
        )
    if m["step__done_by_counts"]:
        return Line(
            LineKind.COUNTS, "Blood counts to enter today", f"{course_url}#counts", day_label=day
        )
    live = m["step__vaccine"] in LIVE_VACCINES
    badge = ""
    due_now = m["due_date"] <= today <= m["window_end"]
    if live and not due_now and m["window_end"] >= today:
        kind, detail = LineKind.LIVE_VACCINE, "live-vaccine gates passed: it may be given"
    elif due_now:
        kind = LineKind.DUE
        detail = "" if m["due_date"] == today else f"window open to {m['window_end']:%-d %b}"
        badge = "Due today" if m["due_date"] == today else "Due"
    else:
        kind = LineKind.OVERDUE
        detail = f"not recorded as done; its window closed {m['window_end']:%-d %b %Y}"
    if live and kind != LineKind.LIVE_VACCINE:
        detail = ", ".join(filter(None, [detail, "live-vaccine gates passed"]))
    # Done today from this page: a visit or task due now. A vaccine is recorded as a dose
    # (its product, batch, interval checks), the infusion by confirming Day Zero: both on
    # the course page.
    infusion = m["due_date"] == day_zero and not m["course__day_zero_confirmed"]
    return Line(
        kind,
        title,
        url,
        day_label=day,
        detail=detail,
        milestone_code=str(m["code"]),
        items=items,
        can_mark_done=kind == LineKind.DUE and not m["step__vaccine"] and not infusion,
        badge=badge,
    )


def _items(milestone_ids: Sequence[int]) -> dict[int, list[Item]]:
    """The checklist items of these milestones still open (one query)."""
    if not milestone_ids:
        return {}
    grouped: dict[int, list[Item]] = defaultdict(list)
    rows = (
        ChecklistItem.objects.filter(milestone__in=milestone_ids, checked_at__isnull=True)
        .order_by("milestone_id", "position", "pk")
        .values_list("milestone_id", "code", "text")
    )
    for milestone_id, code, text in rows:
        grouped[milestone_id].append(Item(str(code), text, False))
    return grouped


def groups(patients: Iterable[Values], *, today: date, found: Alerts) -> list[Group]:
    """The page's patients with their lines: five queries whatever the page's size."""
    patients = list(patients)
    ids = [p["pk"] for p in patients]
    if not ids:
        return []
    course_address = links.addresses("course_detail")
    patient_address = links.addresses("patient_detail")
    lines: dict[int, list[Line]] = defaultdict(list)

    milestones = list(
        Milestone.objects.filter(course__patient__in=ids)
        .filter(_actionable(today) | _engrafted(today))
        .order_by("due_date", "pk")
        .values(*MILESTONE_FIELDS)
    )
    items = _items([m["pk"] for m in milestones if m["due_date"] <= today <= m["window_end"]])
    for m in milestones:
        line = _milestone_line(m, today, items.get(m["pk"], []), course_address)
        lines[m["course__patient_id"]].append(line)

    courses = list(
        TransplantCourse.objects.filter(
            patient__in=ids, ended_on__isnull=True, superseded_on__isnull=True
        )
        .annotate(conditioning_on=conditioning_start())
        .order_by("day_zero", "pk")
        .values("pk", "code", "patient_id", "day_zero", "kind", "protocol__name", "conditioning_on")
    )
    headers: dict[int, list[str]] = defaultdict(list)
    for c in courses:
        day = schedule.day_label(schedule.day_number(today, c["day_zero"]))
        headers[c["patient_id"]].append(f"{day} · {c['protocol__name']}")
        if c["pk"] in found.by_course:
            lines[c["patient_id"]].append(
                Line(
                    LineKind.ALERT,
                    found.by_course[c["pk"]],
                    f"{course_address(c['code'])}#counts",
                    day_label=day,
                )
            )
        starts = c["conditioning_on"]
        soon = today + timedelta(days=CONDITIONING_AHEAD_DAYS)
        if c["kind"] != Kind.PROCEDURE and starts is not None and today <= starts < soon:
            lines[c["patient_id"]].append(
                Line(
                    LineKind.CONDITIONING,
                    f"Conditioning starts {starts:%a %-d %b}",
                    course_address(c["code"]),
                    day_label=schedule.day_label(schedule.day_number(starts, c["day_zero"])),
                    detail="today" if starts == today else "",
                )
            )

    forms = registry_due(today).filter(course__patient__in=ids).order_by("due", "pk")
    for f in forms.values("key", "due", "course__code", "course__patient_id", "course__ended_on"):
        overdue = f["due"] < today
        ended = f["course__ended_on"]
        lines[f["course__patient_id"]].append(
            Line(
                LineKind.REGISTRY,
                f"Registry form {form_title(f['key'])}",
                f"{course_address(f['course__code'])}#registry",
                detail=f"{'overdue since' if overdue else 'due'} {f['due']:%-d %b %Y}"
                + (f"; the course ended on {ended:%-d %b %Y}" if ended else ""),
            )
        )

    return [
        Group(
            code=str(p["code"]),
            name=f"{p['family_name']}, {p['given_name']}",
            mrn=p["mrn"],
            url=patient_address(p["code"]),
            courses=headers.get(p["pk"], []),
            lines=_shown(lines.get(p["pk"], [])),
        )
        for p in patients
    ]


def _shown(lines: list[Line]) -> list[Line]:
    """A patient's lines in the page's order, with at most OVERDUE_SHOWN overdue ones (the
    oldest gaps of a course are one line, not a page of them)."""
    order = {kind: n for n, kind in enumerate(LineKind.ORDER)}
    lines = sorted(lines, key=lambda line: order[line.kind])
    overdue = [line for line in lines if line.kind == LineKind.OVERDUE]
    if len(overdue) <= OVERDUE_SHOWN:
        return lines
    hidden = overdue[: len(overdue) - OVERDUE_SHOWN]  # the oldest (sorted by due date)
    course_url = hidden[0].url.split("?")[0]
    more = Line(
        LineKind.OVERDUE,
        f"and {len(hidden)} earlier item{'s' if len(hidden) != 1 else ''} not recorded as done",
        f"{course_url}?show=overdue",
        detail="on the course page",
    )
    kept = [line for line in lines if not any(line is h for h in hidden)]
    at = kept.index(overdue[-OVERDUE_SHOWN])
    return [*kept[:at], more, *kept[at:]]


# --- Counts (the page's header and the morning digest) -------------------------------------


@dataclass(frozen=True)
class Counts:
    patients: int
    due: int
    overdue: int
    counts: int
    alerts: int
    live_vaccines: int
    registry: int
    conditioning: int

    def lines(self) -> list[tuple[str, int]]:
        return [
            ("Patients with something today", self.patients),
            ("Visits and tasks due now", self.due),
            ("Not recorded as done by the end of their window", self.overdue),
            ("Blood counts to enter", self.counts),
            ("Graft-failure alerts", self.alerts),
            ("Live vaccines that may be given", self.live_vaccines),
            ("Registry forms due or overdue", self.registry),
            ("Conditioning starting this week", self.conditioning),
        ]


def counts(*, today: date, found: Alerts | None = None) -> Counts:
    """How many of each kind of line there are today (four queries, five with the alerts)."""
    found = found if found is not None else alerts(today)
    # Counted as the lines are drawn (`_milestone_line`).
    tasks = Q(step__done_by_counts=False, step__engraftment="")
    figures = actionable(today).aggregate(
        due=Count("pk", filter=tasks & _due(today)),
        overdue=Count("pk", filter=tasks & Q(window_end__lt=today)),
        counts=Count("pk", filter=_counts_today(today)),
        live=Count("pk", filter=tasks & _live(today) & ~_due(today) & Q(window_end__gte=today)),
    )
    return Counts(
        patients=len(patient_ids(today, found)),
        due=figures["due"],
        overdue=figures["overdue"],
        counts=figures["counts"],
        alerts=len(found.by_course),
        live_vaccines=figures["live"],
        registry=registry_due(today).count(),
        conditioning=conditioning_soon(today).count(),
    )
