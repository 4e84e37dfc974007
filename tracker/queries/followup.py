"""The clinic's 100-day follow-up list: which courses need the team, today and this week.

Every figure on a row (start of conditioning, next milestone, overdue count, the Day-100
evaluation) comes from the database in the one query that fetches the rows, as subqueries,
so the list costs the same few queries for 5 courses or 10,000.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, TypedDict, cast

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

from tracker.models import Kind, Milestone, TransplantCourse
from tracker.queries.engraftment import EngraftmentStatus, counts_by_course, engraftment_status
from tracker.rules import schedule

if TYPE_CHECKING:
    from django.db.models import Field
    from django.db.models.expressions import Combinable
    from django_stubs_ext import WithAnnotations

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
    sort: str = Sort.NEXT_DUE

    def any(self) -> bool:
        return bool(
            self.q
            or self.kind
            or self.overdue_only
            or self.window_open
            or self.due_this_week
            or self.include_later
        )


class Figures(TypedDict):
    """What `annotated_courses` has the database compute for each course."""

    plan_start: date
    next_due_date: date | None
    next_due_pk: int | None
    overdue_count: int
    d100_due: date | None
    d100_start: date | None
    d100_end: date | None
    d100_done: date | None


class Details(Figures):
    """The figures, and what `with_details` adds for the rows of one page."""

    next_due: Milestone | None
    engraftment: EngraftmentStatus


if TYPE_CHECKING:
    AnnotatedCourse = WithAnnotations[TransplantCourse, Figures]
    DetailedCourse = WithAnnotations[TransplantCourse, Details]


def _first(
    queryset: QuerySet[Milestone], field: str, output_field: Field[Any, Any] | None = None
) -> Subquery:
    return Subquery(queryset.values(field)[:1], output_field=output_field)


def annotated_courses(today: date) -> QuerySet[AnnotatedCourse]:
    """Courses with what the list filters and sorts on, computed by the database for `today`.

    The start of the plan and the Day-100 milestone are columns of the course (kept by the
    services), so they cost a join, not a subquery; the next due date and the overdue count
    are subqueries on the partial indexes of pending milestones. What is only shown (titles,
    engraftment) is fetched for the rows of one page by `with_details`.
    """
    pending = Milestone.objects.filter(course=OuterRef("pk"), completed_on__isnull=True)
    upcoming = pending.filter(window_end__gte=today).order_by("due_date", "pk")
    overdue = (
        pending.filter(window_end__lt=today)
        .order_by()
        .values("course")
        .annotate(count=Count("pk"))
        .values("count")
    )
    courses = TransplantCourse.objects.select_related("patient", "protocol").annotate(
        plan_start=Coalesce(F("starts_on"), F("day_zero")),
        next_due_date=_first(upcoming, "due_date", DateField()),
        next_due_pk=_first(upcoming, "pk", IntegerField()),
        overdue_count=Coalesce(Subquery(overdue, output_field=IntegerField()), Value(0)),
        d100_due=F("day_100_milestone__due_date"),
        d100_start=F("day_100_milestone__window_start"),
        d100_end=F("day_100_milestone__window_end"),
        d100_done=F("day_100_milestone__completed_on"),
    )
    # The plugin types annotations as Any and cannot match them to `Figures` on its own.
    return cast("QuerySet[AnnotatedCourse]", courses)


def with_details(courses: list[AnnotatedCourse], *, today: date) -> list[DetailedCourse]:
    """Add what a row shows but nobody filters on, for these courses only: two queries.

    Engraftment comes from the courses' counts through the same rules as the course page.
    """
    next_ids = [course.next_due_pk for course in courses if course.next_due_pk]
    upcoming = Milestone.objects.filter(pk__in=next_ids).select_related("step")
    next_due = {milestone.pk: milestone for milestone in upcoming}
    counts = counts_by_course(
        [course.pk for course in courses if course.protocol.tracks_engraftment]
    )
    detailed = cast("list[DetailedCourse]", courses)  # the attributes are set just below
    for course in detailed:
        course.next_due = (
            next_due.get(course.next_due_pk) if course.next_due_pk is not None else None
        )
        course.engraftment = engraftment_status(course, counts.get(course.pk, []), today=today)
    return detailed


def in_batches(
    courses: QuerySet[AnnotatedCourse], *, today: date, size: int = 500
) -> Iterator[DetailedCourse]:
    """Every course of the queryset with its details, streamed a batch at a time (for CSV)."""
    batch: list[AnnotatedCourse] = []
    for course in courses.iterator(chunk_size=size):
        batch.append(course)
        if len(batch) == size:
            yield from with_details(batch, today=today)
            batch = []
    yield from with_details(batch, today=today)


def follow_up_courses(*, today: date, filters: Filters) -> QuerySet[AnnotatedCourse]:
    """The rows of the follow-up list for these filters, sorted as asked."""
    courses = annotated_courses(today).filter(plan_start__lte=today)
    within_100 = Q(day_zero__gte=today - timedelta(days=LAST_DAY))
    day_100_open = Q(d100_due__isnull=False, d100_done__isnull=True)
    in_scope: Q | Combinable = within_100 | day_100_open
    if filters.include_later:
        due_soon = Milestone.objects.filter(
            course=OuterRef("pk"),
            completed_on__isnull=True,
            window_start__lte=today + timedelta(days=WEEK_DAYS),
        )
        in_scope |= Exists(due_soon)
    courses = courses.filter(in_scope)
    if filters.kind:
        courses = courses.filter(kind=filters.kind)
    if filters.overdue_only:
        courses = courses.filter(overdue_count__gt=0)
    if filters.window_open:
        courses = courses.filter(day_100_open, d100_start__lte=today, d100_end__gte=today)
    if filters.due_this_week:
        week = Milestone.objects.filter(
            course=OuterRef("pk"),
            completed_on__isnull=True,
            due_date__gte=today,
            due_date__lt=today + timedelta(days=WEEK_DAYS),
        )
        courses = courses.filter(Exists(week))
    for word in filters.q.split():
        courses = courses.filter(
            Q(patient__mrn__icontains=word)
            | Q(patient__given_name__icontains=word)
            | Q(patient__family_name__icontains=word)
        )
    return courses.order_by(*ORDERINGS[filters.sort])


ORDERINGS: dict[str, list[str | OrderBy]] = {
    Sort.NEXT_DUE: [F("next_due_date").asc(nulls_last=True), "-day_zero", "pk"],
    Sort.DAY: ["-day_zero", "patient__family_name", "pk"],
    Sort.OVERDUE: ["-overdue_count", F("next_due_date").asc(nulls_last=True), "pk"],
}


def due_this_week(*, today: date) -> QuerySet[Milestone]:
    """Every pending visit and task due in the next 7 days, by day, on any course."""
    return (
        Milestone.objects.filter(
            completed_on__isnull=True,
            due_date__gte=today,
            due_date__lt=today + timedelta(days=WEEK_DAYS),
        )
        .select_related("step", "course__patient", "course__protocol")
        .order_by("due_date", "course__patient__family_name", "course__pk", "step__position")
    )


KIND_CHOICES = [("", "All kinds"), *Kind.choices]


@dataclass(frozen=True)
class Row:
    """One line of the list, from a course annotated by `annotated_courses`."""

    course: TransplantCourse
    today_label: str
    next_due_date: date | None
    next_due_label: str
    next_due_title: str
    overdue_count: int
    day_100: schedule.Day100State
    engraftment: EngraftmentStatus

    @property
    def graft_failure_alert(self) -> bool:
        return self.engraftment.graft_failure_alert

    @classmethod
    def of(cls, course: DetailedCourse, today: date) -> Row:
        next_due = course.next_due_date
        title = course.next_due.title if course.next_due else ""
        return cls(
            course=course,
            today_label=schedule.day_label(schedule.day_number(today, course.day_zero)),
            next_due_date=next_due,
            next_due_label=(
                schedule.day_label(schedule.day_number(next_due, course.day_zero))
                if next_due
                else ""
            ),
            next_due_title=title,
            overdue_count=course.overdue_count,
            day_100=schedule.day_100_state(
                due_date=course.d100_due,
                window_start=course.d100_start,
                window_end=course.d100_end,
                completed_on=course.d100_done,
                today=today,
            ),
            engraftment=course.engraftment,
        )
