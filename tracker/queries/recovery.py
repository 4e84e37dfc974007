"""The staff "Immune recovery" list: every transplant course past Day +90, with its vaccines
due, blocked (why) or done, who is on immunosuppression or had IVIG, and the PJP and
letermovir stops. A page is read in four queries whatever its size (the page's courses, their
immune-recovery milestones, the patients' drugs, their last IVIG)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db.models import Exists, Max, OuterRef, Q, QuerySet

from tracker import links
from tracker.models import Immunosuppression, IvigDose, Kind, Milestone, TransplantCourse
from tracker.models.choices import Hold
from tracker.queries.followup import searched
from tracker.queries.timeline import status_and_title
from tracker.rules import schedule

FROM_DAY = 90
STOPS_AHEAD_DAYS = 14  # a drug stop "due" from two weeks before its date

Values = dict[str, Any]


class Show:
    """What the list narrows to (the `show` filter)."""

    ALL = ""
    DUE = "due"
    BLOCKED = "blocked"
    IMMUNOSUPPRESSED = "immunosuppressed"
    STOPS = "stops"
    CHOICES = [
        (ALL, "Everyone past Day +90"),
        (DUE, "Vaccines due or overdue"),
        (BLOCKED, "Live vaccines blocked"),
        (IMMUNOSUPPRESSED, "On immunosuppression"),
        (STOPS, "PJP or letermovir stop due"),
    ]


@dataclass(frozen=True)
class Filters:
    q: str = ""
    kind: str = ""
    show: str = Show.ALL
    indication: str = ""

    @property
    def any(self) -> bool:
        return bool(self.q or self.kind or self.show or self.indication)


KIND_CHOICES = [
    ("", "All transplants"),
    (Kind.ALLOGENEIC, "Allogeneic"),
    (Kind.AUTOLOGOUS, "Autologous"),
]


def _pending() -> QuerySet[Milestone]:
    """The milestones not done of the course in the outer query."""
    return Milestone.objects.filter(course=OuterRef("pk"), completed_on__isnull=True)


def _vaccines_due(today: date) -> Q:
    """A vaccine milestone whose window is open or past and that nothing holds back today."""
    return (
        ~Q(step__vaccine="")
        & Q(window_start__lte=today)
        & (Q(hold=Hold.NONE) | Q(hold=Hold.BLOCKED_UNTIL, due_date__lte=today))
    )


def _blocked(today: date) -> Q:
    return ~Q(step__vaccine="") & (
        Q(hold=Hold.BLOCKED) | Q(hold=Hold.BLOCKED_UNTIL, due_date__gt=today)
    )


def _stops_due(today: date) -> Q:
    return (
        ~Q(step__stop_rule="")
        & Q(hold=Hold.NONE)
        & Q(due_date__lte=today + timedelta(days=STOPS_AHEAD_DAYS))
    )


def recovery_courses(*, today: date, filters: Filters) -> QuerySet[TransplantCourse]:
    """The courses on the list for these filters, by patient name (then Day Zero)."""
    courses = TransplantCourse.objects.filter(
        kind__in=[Kind.ALLOGENEIC, Kind.AUTOLOGOUS],
        day_zero__lte=today - timedelta(days=FROM_DAY),
        superseded_on__isnull=True,  # followed on the later transplant
        ended_on__isnull=True,
    )
    if filters.kind:
        courses = courses.filter(kind=filters.kind)
    if filters.indication:
        courses = courses.filter(indication=filters.indication)
    pending = _pending()
    if filters.show == Show.DUE:
        courses = courses.filter(Exists(pending.filter(_vaccines_due(today))))
    elif filters.show == Show.BLOCKED:
        courses = courses.filter(Exists(pending.filter(_blocked(today))))
    elif filters.show == Show.STOPS:
        courses = courses.filter(Exists(pending.filter(_stops_due(today))))
    elif filters.show == Show.IMMUNOSUPPRESSED:
        drugs = Immunosuppression.objects.filter(
            course__patient=OuterRef("patient"), stopped_on__isnull=True, started_on__lte=today
        )
        courses = courses.filter(Exists(drugs))
    courses = searched(courses, filters.q)
    return courses.order_by("patient__family_name", "patient__given_name", "day_zero", "pk")


# --- What a row shows ----------------------------------------------------------------------


@dataclass
class Entry:
    """One milestone as the list names it: "PCV dose 2 · 3 Mar 2026", and why."""

    title: str
    due_date: date
    status: schedule.Status
    note: str = ""


@dataclass
class Row:
    url: str
    mrn: str
    family_name: str
    given_name: str
    kind: str
    protocol: str
    day_zero: date
    today_label: str
    due: list[Entry] = field(default_factory=list)
    blocked: list[Entry] = field(default_factory=list)
    next: Entry | None = None
    vaccines_done: int = 0
    vaccines_planned: int = 0
    drugs: list[str] = field(default_factory=list)
    last_ivig: date | None = None
    stops: list[Entry] = field(default_factory=list)


COURSE_FIELDS = (
    "pk",
    "code",
    "kind",
    "day_zero",
    "patient_id",
    "protocol__name",
    "patient__mrn",
    "patient__family_name",
    "patient__given_name",
)
MILESTONE_FIELDS = (
    "course_id",
    "step__title",
    "step__repeat_every_days",
    "step__seasons",
    "step__vaccine",
    "step__stop_rule",
    "occurrence",
    "due_date",
    "window_start",
    "window_end",
    "completed_on",
    "hold",
    "plan_note",
)


def page_rows(courses: Sequence[int], *, today: date) -> list[Row]:
    """The rows of these courses (a page's ids), in their order: four queries."""
    values = {
        c["pk"]: c
        for c in TransplantCourse.objects.filter(pk__in=list(courses)).values(*COURSE_FIELDS)
    }
    return _rows([values[pk] for pk in courses if pk in values], today=today)


def all_rows(courses: QuerySet[TransplantCourse], *, today: date, size: int = 200) -> Iterator[Row]:
    """Every course of the (sorted) queryset as a row, a batch at a time (for CSV)."""
    batch: list[Values] = []
    for course in courses.values(*COURSE_FIELDS).iterator(chunk_size=size):
        batch.append(course)
        if len(batch) == size:
            yield from _rows(batch, today=today)
            batch = []
    yield from _rows(batch, today=today)


def _rows(courses: Sequence[Values], *, today: date) -> list[Row]:
    if not courses:
        return []
    ids = [c["pk"] for c in courses]
    patients = {c["patient_id"] for c in courses}
    milestones: dict[int, list[Values]] = {}
    wanted = Milestone.objects.filter(course_id__in=ids).exclude(
        step__vaccine="", step__stop_rule=""
    )
    for m in wanted.order_by("due_date", "step__position").values(*MILESTONE_FIELDS):
        milestones.setdefault(m["course_id"], []).append(m)
    drugs: dict[int, list[str]] = {}
    ongoing = Immunosuppression.objects.filter(
        course__patient_id__in=patients, stopped_on__isnull=True, started_on__lte=today
    ).order_by("started_on")
    for patient_id, drug, counts in ongoing.values_list("course__patient_id", "drug", "counts"):
        drugs.setdefault(patient_id, []).append(drug if counts else f"{drug} (not counted)")
    ivig = dict(
        IvigDose.objects.filter(course__patient_id__in=patients)
        .values("course__patient_id")
        .annotate(last=Max("given_on"))
        .values_list("course__patient_id", "last")
    )
    address = links.addresses("course_detail")
    return [
        _row(
            c,
            milestones.get(c["pk"], []),
            drugs.get(c["patient_id"], []),
            ivig.get(c["patient_id"]),
            url=address(c["code"]),
            today=today,
        )
        for c in courses
    ]


def _row(
    c: Values,
    milestones: list[Values],
    drugs: list[str],
    last_ivig: date | None,
    *,
    url: str,
    today: date,
) -> Row:
    row = Row(
        url=url,
        mrn=c["patient__mrn"],
        family_name=c["patient__family_name"],
        given_name=c["patient__given_name"],
        kind=Kind(c["kind"]).label,
        protocol=c["protocol__name"],
        day_zero=c["day_zero"],
        today_label=schedule.day_label(schedule.day_number(today, c["day_zero"])),
        drugs=drugs,
        last_ivig=last_ivig,
    )
    for m in milestones:
        status = schedule.status_of(
            window_start=m["window_start"],
            window_end=m["window_end"],
            completed_on=m["completed_on"],
            today=today,
            hold=m["hold"],
            due_date=m["due_date"],
        )
        if status in (schedule.Status.NOT_NEEDED, schedule.Status.CLOSED):
            continue
        if not m["step__stop_rule"]:
            row.vaccines_planned += 1
            if m["completed_on"]:
                row.vaccines_done += 1
                continue
        shown = (
            row.stops
            if m["step__stop_rule"]
            else row.due
            if status in (schedule.Status.DUE, schedule.Status.OVERDUE)
            else row.blocked
            if status == schedule.Status.BLOCKED
            else None
        )
        if shown is None and row.next is not None:
            continue  # a later upcoming dose: counted, not named
        entry = Entry(
            status_and_title(m, today)[1],
            m["completed_on"] or m["due_date"],
            status,
            m["plan_note"],
        )
        if shown is None:
            row.next = entry
        else:
            shown.append(entry)
    return row
