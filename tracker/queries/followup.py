"""The clinic's 100-day follow-up list: which courses need the team, today and this week.

Who is on the list, and what its filters read, are columns of the course kept by the services
(the start of the plan, the Day-100 milestone's dates), so finding the courses reads the
course table alone. The list sorts on the next due date and the overdue count: subqueries on
the partial indexes of pending milestones, computed only for the sort asked for. What a row
shows is read as values for the rows of one page (for the CSV, a batch of rows at a time), in
a fixed number of queries whatever the number of courses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OrderBy,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from tracker import links
from tracker.models import Kind, Milestone, Patient, TransplantCourse
from tracker.models.milestones import WAITING, title_of
from tracker.queries.engraftment import EngraftmentStatus, counts_by_course, status_of
from tracker.queries.gvhd import gvhd_words
from tracker.rules import schedule

if TYPE_CHECKING:
    from django.db.models.expressions import Combinable

# A course's values, as `page_rows` and `all_rows` read them (and `due_on` a milestone's).
Values = dict[str, Any]

# Courses stay on the list through Day +100 (CLINICAL.md §4), and after it until their
# Day-100 evaluation is done.
LAST_DAY = 100
WEEK_DAYS = 7


class Sort:
    NEXT_DUE = "next_due"
    DAY = "day"
    OVERDUE = "overdue"
    CHOICES = [(NEXT_DUE, "Next due date"), (DAY, "Day number"), (OVERDUE, "Most overdue")]


@dataclass(frozen=True)
class Filters:
    """What the person asked for, already validated (see forms.FollowUpFilterForm)."""

    q: str = ""
    kind: str = ""
    overdue_only: bool = False
    window_open: bool = False
    due_this_week: bool = False
    include_later: bool = False
    gvhd: str = ""
    sort: str = Sort.NEXT_DUE
    indication: str = ""

    def any(self) -> bool:
        return bool(
            self.q
            or self.kind
            or self.indication
            or self.gvhd
            or self.overdue_only
            or self.window_open
            or self.due_this_week
            or self.include_later
        )


KIND_CHOICES = [("", "All kinds"), *Kind.choices]


class GvhdFilter:
    """GVHD now, from the courses' own columns (kept by the GVHD services)."""

    ANY = "any"
    ACUTE_II_IV = "acute_2"
    CHRONIC = "chronic"
    CHOICES = [
        ("", "With or without"),
        (ANY, "Any GVHD now"),
        (ACUTE_II_IV, "Acute grade II–IV now"),
        (CHRONIC, "Active chronic GVHD"),
    ]
    WHERE = {
        ANY: Q(gvhd_acute_grade__gte=1) | ~Q(gvhd_chronic=""),
        ACUTE_II_IV: Q(gvhd_acute_grade__gte=2),
        CHRONIC: ~Q(gvhd_chronic=""),
    }


# --- Which courses, in which order -------------------------------------------------------


def _pending() -> QuerySet[Milestone]:
    """The pending milestones of the course in the outer query (not those blocked or not
    needed: they are neither due nor overdue)."""
    return Milestone.objects.filter(course=OuterRef("pk"), completed_on__isnull=True).exclude(
        hold__in=WAITING
    )


def next_due_date(today: date) -> Subquery:
    """The due date of the course's first pending milestone still in or before its window."""
    upcoming = _pending().filter(window_end__gte=today).order_by("due_date")
    return Subquery(upcoming.values("due_date")[:1], output_field=DateField())


def overdue_count(today: date) -> Coalesce:
    """How many of the course's pending milestones are past their window."""
    overdue = (
        _pending()
        .filter(window_end__lt=today)
        .order_by()
        .values("course")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(overdue, output_field=IntegerField()), Value(0))


Courses = TypeVar("Courses", bound=QuerySet[Any])


# What the database computes for each course on `today`, by the name a row reads it under.
FIGURES: dict[str, Callable[[date], Subquery | Coalesce]] = {
    "next_due_date": next_due_date,
    "overdue_count": overdue_count,
}


# The figures each sort needs from the database for every course it sorts (the others are
# computed for the rows shown only).
ORDERINGS: dict[str, tuple[list[str], list[str | OrderBy]]] = {
    Sort.NEXT_DUE: (
        ["next_due_date"],
        [F("next_due_date").asc(nulls_last=True), "-day_zero", "pk"],
    ),
    Sort.DAY: ([], ["-day_zero", "patient__family_name", "pk"]),
    Sort.OVERDUE: (
        ["overdue_count", "next_due_date"],
        ["-overdue_count", F("next_due_date").asc(nulls_last=True), "pk"],
    ),
}


def searched(courses: Courses, q: str) -> Courses:
    """The courses whose patient's MRN or names contain every word typed (`Patient.search`)."""
    return courses.filter(patient__in=Patient.objects.search(q)) if q.split() else courses


def follow_up_courses(*, today: date, filters: Filters) -> QuerySet[TransplantCourse]:
    """The courses on the list for these filters, sorted as asked."""
    courses = TransplantCourse.objects.alias(plan_start=Coalesce(F("starts_on"), F("day_zero")))
    # A course a later transplant superseded is followed on the new course; an ended one not.
    courses = courses.filter(
        plan_start__lte=today, superseded_on__isnull=True, ended_on__isnull=True
    )
    day_100_open = Q(day_100_due__isnull=False, day_100_done_on__isnull=True)
    in_scope: Q | Combinable = Q(day_zero__gte=today - timedelta(days=LAST_DAY)) | day_100_open
    if filters.include_later:
        due_soon = _pending().filter(window_start__lte=today + timedelta(days=WEEK_DAYS))
        in_scope |= Exists(due_soon)
    if filters.gvhd in GvhdFilter.WHERE:
        # GVHD is followed whatever the day: mostly chronic, and mostly after Day +100.
        in_scope |= GvhdFilter.WHERE[filters.gvhd]
    courses = courses.filter(in_scope)
    if filters.kind:
        courses = courses.filter(kind=filters.kind)
    if filters.indication:
        courses = courses.filter(indication=filters.indication)
    if filters.gvhd in GvhdFilter.WHERE:
        courses = courses.filter(GvhdFilter.WHERE[filters.gvhd])
    if filters.overdue_only:
        courses = courses.filter(Exists(_pending().filter(window_end__lt=today)))
    if filters.window_open:
        courses = courses.filter(
            day_100_open, day_100_window_start__lte=today, day_100_window_end__gte=today
        )
    if filters.due_this_week:
        week = _pending().filter(
            due_date__gte=today, due_date__lt=today + timedelta(days=WEEK_DAYS)
        )
        courses = courses.filter(Exists(week))
    courses = searched(courses, filters.q)
    needed, ordering = ORDERINGS[filters.sort]
    return courses.annotate(**{name: FIGURES[name](today) for name in needed}).order_by(*ordering)


# --- What a row shows ----------------------------------------------------------------------

ROW_FIELDS = (
    "pk",
    "code",
    "kind",
    "graft_source",
    "day_zero",
    "patient__mrn",
    "patient__given_name",
    "patient__family_name",
    "protocol__name",
    "protocol__tracks_engraftment",
    "protocol__graft_failure_day",
    "day_100_due",
    "day_100_window_start",
    "day_100_window_end",
    "day_100_done_on",
    "next_due_date",
    "next_due_pk",
    "overdue_count",
    "gvhd_acute_grade",
    "gvhd_acute_peak",
    "gvhd_chronic",
    "gvhd_chronic_resolved_on",
)
KIND_LABELS: dict[str, str] = {str(value): str(label) for value, label in Kind.choices}


@dataclass(frozen=True)
class Row:
    """One line of the list (and of its CSV)."""

    url: str
    mrn: str
    family_name: str
    given_name: str
    kind: str
    protocol: str
    day_zero: date
    today_label: str
    next_due_date: date | None
    next_due_label: str
    next_due_title: str
    overdue_count: int
    day_100: schedule.Day100State
    engraftment: EngraftmentStatus
    # Read from `engraftment` once here, not by the template at every mention.
    engraftment_summary: str
    graft_failure_alert: bool
    gvhd: str  # "Acute II · chronic mild"; "" when none was recorded


def _row_values(
    courses: QuerySet[TransplantCourse], today: date
) -> QuerySet[TransplantCourse, Values]:
    missing = {
        name: figure(today)
        for name, figure in FIGURES.items()
        if name not in courses.query.annotations
    }
    # The next due milestone itself (for its title): the first by id of those due that day,
    # two index lookups for a row shown instead of a sort of the course's pending milestones.
    next_due = (
        _pending()
        .filter(window_end__gte=today, due_date=OuterRef("next_due_date"))
        .order_by("pk")
        .values("pk")[:1]
    )
    values: QuerySet[TransplantCourse, Values] = courses.annotate(
        **missing, next_due_pk=Subquery(next_due, output_field=IntegerField())
    ).values(*ROW_FIELDS)
    return values


def page_rows(page: Iterable[int], *, today: date, sort: str) -> list[Row]:
    """The rows of one page: `page` is a slice of `follow_up_courses`'s ids, sorted by `sort`.

    One query reads the page's courses with their figures (the slice is its subquery, so the
    figures are computed for these rows only), and two what they show.
    """
    courses = TransplantCourse.objects.filter(pk__in=page)
    return _rows(list(_row_values(courses, today).order_by(*ORDERINGS[sort][1])), today=today)


def all_rows(courses: QuerySet[TransplantCourse], *, today: date, size: int = 500) -> Iterator[Row]:
    """Every course of the (sorted) queryset as a row, read a batch at a time (for CSV)."""
    batch: list[Values] = []
    for course in _row_values(courses, today).iterator(chunk_size=size):
        batch.append(course)
        if len(batch) == size:
            yield from _rows(batch, today=today)
            batch = []
    yield from _rows(batch, today=today)


def _next_due_titles(courses: Iterable[Values]) -> dict[int, str]:
    """The title of each course's next due milestone."""
    wanted = [course["next_due_pk"] for course in courses if course["next_due_pk"] is not None]
    if not wanted:
        return {}
    milestones = Milestone.objects.filter(pk__in=wanted).values_list(
        "course_id",
        "step__title",
        "step__repeat_every_days",
        "step__seasons",
        "occurrence",
        "due_date",
    )
    return {
        course_id: title_of(title, every or seasons, occurrence, season_of=due if seasons else None)
        for course_id, title, every, seasons, occurrence, due in milestones
    }


def _rows(courses: Sequence[Values], *, today: date) -> list[Row]:
    """Rows from the courses' values: two queries (next due titles, blood counts)."""
    if not courses:
        return []
    titles = _next_due_titles(courses)
    counts = counts_by_course(
        [course["pk"] for course in courses if course["protocol__tracks_engraftment"]]
    )
    address = links.addresses("course_detail")
    rows = []
    for course in courses:
        day_zero = course["day_zero"]
        next_due = course["next_due_date"]
        kind: str = course["kind"]
        engraftment = status_of(
            counts.get(course["pk"], []),
            day_zero=day_zero,
            graft_source=course["graft_source"],
            protocol_failure_day=course["protocol__graft_failure_day"],
            tracks_engraftment=course["protocol__tracks_engraftment"],
            today=today,
        )
        rows.append(
            Row(
                url=address(course["code"]),
                mrn=course["patient__mrn"],
                family_name=course["patient__family_name"],
                given_name=course["patient__given_name"],
                kind=KIND_LABELS.get(kind, kind),
                protocol=course["protocol__name"],
                day_zero=day_zero,
                today_label=schedule.day_label(schedule.day_number(today, day_zero)),
                next_due_date=next_due,
                next_due_label=(
                    schedule.day_label(schedule.day_number(next_due, day_zero)) if next_due else ""
                ),
                next_due_title=titles.get(course["pk"], ""),
                overdue_count=course["overdue_count"],
                day_100=schedule.day_100_state(
                    due_date=course["day_100_due"],
                    window_start=course["day_100_window_start"],
                    window_end=course["day_100_window_end"],
                    completed_on=course["day_100_done_on"],
                    today=today,
                ),
                engraftment=engraftment,
                engraftment_summary=engraftment.summary,
                graft_failure_alert=engraftment.graft_failure_alert,
                gvhd=gvhd_words(
                    course["gvhd_acute_grade"],
                    course["gvhd_acute_peak"],
                    course["gvhd_chronic"],
                    course["gvhd_chronic_resolved_on"] is not None,
                ),
            )
        )
    return rows


# --- This week -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekDay:
    """One day of the week ahead and how many pending visits and tasks fall on it."""

    day: date
    count: int
    is_today: bool


def week_days(*, today: date) -> list[WeekDay]:
    """Today and the next six days, each with its count of pending milestones (one query)."""
    counts = dict(
        Milestone.objects.filter(
            completed_on__isnull=True,
            due_date__gte=today,
            due_date__lt=today + timedelta(days=WEEK_DAYS),
        )
        .exclude(hold__in=WAITING)  # blocked, not needed or closed: nothing to do
        .order_by()
        .values_list("due_date")
        .annotate(count=Count("pk"))
        .values_list("due_date", "count")
    )
    days = [today + timedelta(days=n) for n in range(WEEK_DAYS)]
    return [WeekDay(day, counts.get(day, 0), day == today) for day in days]


WEEK_FIELDS = (
    "code",
    "due_date",
    "window_start",
    "window_end",
    "occurrence",
    "step__title",
    "step__repeat_every_days",
    "step__seasons",
    "course__code",
    "course__day_zero",
    "course__patient__mrn",
    "course__patient__given_name",
    "course__patient__family_name",
)


def due_on(day: date) -> QuerySet[Milestone, Values]:
    """The pending visits and tasks due on a day, on any course, by patient (as values)."""
    milestones: QuerySet[Milestone, Values] = (
        Milestone.objects.filter(completed_on__isnull=True, due_date=day)
        .exclude(hold__in=WAITING)
        .order_by("course__patient__family_name", "course__pk", "step__position", "pk")
        .values(*WEEK_FIELDS)
    )
    return milestones


@dataclass(frozen=True)
class WeekRow:
    """One visit or task on "this week"."""

    url: str  # the course page, at the milestone
    mrn: str
    family_name: str
    given_name: str
    day_label: str
    title: str
    window_label: str


def week_rows(milestones: Iterable[Values]) -> list[WeekRow]:
    """Rows from the values `due_on` gives."""
    address = links.addresses("course_detail")
    return [
        WeekRow(
            url=f"{address(m['course__code'])}#milestone-{m['code']}",
            mrn=m["course__patient__mrn"],
            family_name=m["course__patient__family_name"],
            given_name=m["course__patient__given_name"],
            day_label=schedule.day_label(schedule.day_number(m["due_date"], m["course__day_zero"])),
            title=title_of(
                m["step__title"],
                m["step__repeat_every_days"] or m["step__seasons"],
                m["occurrence"],
                season_of=m["due_date"] if m["step__seasons"] else None,
            ),
            window_label=schedule.window_label(
                m["window_start"], m["window_end"], m["course__day_zero"]
            ),
        )
        for m in milestones
    ]
