"""The follow-up list read from the course's own columns and as values shows exactly the
courses and figures the first version showed, joining each course's Day-100 milestone and
reading model instances (kept here as the reference, as it was before issue 11).

A varied data set: the shipped protocol library and a test protocol, Day Zero from three
weeks ahead to a year ago, milestones done on time, late, never or reopened, Day-100
evaluations done, open and overdue, Day Zero moved, blood counts that engraft, fail and stop.
"""

import random
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import (
    Count,
    DateField,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from tests.conftest import TODAY
from tests.factories import PatientFactory, ProtocolFactory, StepFactory, small_protocol, user_in
from tracker import roles, services
from tracker.models import BloodCount, Milestone, Protocol, TransplantCourse
from tracker.models.milestones import WAITING
from tracker.queries import followup
from tracker.queries.engraftment import engraftment_status
from tracker.queries.followup import Filters, Sort
from tracker.rules import schedule

pytestmark = pytest.mark.django_db

NOON_OF_TODAY = "2026-11-21 12:00 +00:00"  # as the `today` fixture pins it


# --- The reference: the list as the first version computed it ------------------------------


def reference_courses(today, filters):
    """`follow_up_courses` before issue 11: the Day-100 milestone joined, figures subqueries."""
    pending = Milestone.objects.filter(course=OuterRef("pk"), completed_on__isnull=True).exclude(
        hold__in=WAITING
    )
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
        next_due_date=Subquery(upcoming.values("due_date")[:1], output_field=DateField()),
        next_due_pk=Subquery(upcoming.values("pk")[:1], output_field=IntegerField()),
        overdue_count=Coalesce(Subquery(overdue, output_field=IntegerField()), Value(0)),
        d100_due=F("day_100_milestone__due_date"),
        d100_start=F("day_100_milestone__window_start"),
        d100_end=F("day_100_milestone__window_end"),
        d100_done=F("day_100_milestone__completed_on"),
    )
    courses = courses.filter(plan_start__lte=today)
    day_100_open = Q(d100_due__isnull=False, d100_done__isnull=True)
    in_scope = Q(day_zero__gte=today - timedelta(days=100)) | day_100_open
    if filters.include_later:
        due_soon = Milestone.objects.filter(
            course=OuterRef("pk"),
            completed_on__isnull=True,
            window_start__lte=today + timedelta(days=7),
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
            due_date__lt=today + timedelta(days=7),
        )
        courses = courses.filter(Exists(week))
    for word in filters.q.split():
        courses = courses.filter(
            Q(patient__mrn__icontains=word)
            | Q(patient__given_name__icontains=word)
            | Q(patient__family_name__icontains=word)
        )
    orderings = {
        Sort.NEXT_DUE: [F("next_due_date").asc(nulls_last=True), "-day_zero", "pk"],
        Sort.DAY: ["-day_zero", "patient__family_name", "pk"],
        Sort.OVERDUE: ["-overdue_count", F("next_due_date").asc(nulls_last=True), "pk"],
    }
    return courses.order_by(*orderings[filters.sort])


def reference_rows(today, filters):
    """Each row as the first version showed it, from model instances."""
    rows = []
    for course in reference_courses(today, filters):
        next_due = (
            Milestone.objects.select_related("step").get(pk=course.next_due_pk)
            if course.next_due_pk
            else None
        )
        status = engraftment_status(course, course.blood_counts.all(), today=today)
        rows.append(
            (
                course.get_absolute_url(),
                course.patient.mrn,
                course.patient.family_name,
                course.patient.given_name,
                course.get_kind_display(),
                course.protocol.name,
                course.day_zero,
                course.day_label_on(today),
                course.next_due_date,
                course.day_label_on(course.next_due_date) if course.next_due_date else "",
                next_due.title if next_due else "",
                course.overdue_count,
                schedule.day_100_state(
                    due_date=course.d100_due,
                    window_start=course.d100_start,
                    window_end=course.d100_end,
                    completed_on=course.d100_done,
                    today=today,
                ),
                status,
            )
        )
    return rows


def shown(row):
    return (
        row.url,
        row.mrn,
        row.family_name,
        row.given_name,
        row.kind,
        row.protocol,
        row.day_zero,
        row.today_label,
        row.next_due_date,
        row.next_due_label,
        row.next_due_title,
        row.overdue_count,
        row.day_100,
        row.engraftment,
    )


# --- The data --------------------------------------------------------------------------------

FAMILY_NAMES = ["Lindqvist", "Lind", "Okafor", "Nair", "Lindsay", "Rossi", "Sato", "Brennan"]


@pytest.fixture(scope="module")
def varied(django_db_setup, django_db_blocker):
    """About 70 courses in every state the list distinguishes, built once for the module (in
    a transaction rolled back at its end); the tests only read them."""
    with django_db_blocker.unblock(), time_machine.travel(NOON_OF_TODAY, tick=False):
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            build_varied(user_in(roles.COORDINATOR, username="varied-coordinator"), TODAY)
            yield TransplantCourse.objects.count()
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def build_varied(coordinator, today):
    call_command("load_protocols", verbosity=0)
    small = small_protocol(name="Small (test)", tracks_engraftment=True)
    StepFactory(
        protocol=small, key="anc", day=14, window_after=16, engraftment="neutrophil", checklist=""
    )
    StepFactory(
        protocol=small, key="plt", day=21, window_after=60, engraftment="platelet", checklist=""
    )
    procedure = ProtocolFactory(kind="procedure", name="Procedure (test)")
    StepFactory(protocol=procedure, key="procedure", day=0)
    StepFactory(protocol=procedure, key="review", day=14, window_after=7)
    protocols = [*Protocol.objects.exclude(pk=procedure.pk).order_by("slug"), procedure]
    rng = random.Random(11)
    offsets = [-21, -4, -3, -1, 0, 1, 5, 12, 14, 25, 30, 31, 43, 84, 85, 90, 100, 101, 115, 116]
    offsets += [130, 180, 200, 365]
    for n, offset in enumerate(offsets * 3):
        protocol = protocols[n % len(protocols)]
        patient = PatientFactory(
            family_name=FAMILY_NAMES[n % len(FAMILY_NAMES)],
            given_name=rng.choice(["Ada", "Alan", "Grace", "Linda"]),
            mrn=f"MRN-{n:03d}",
        )
        day_zero = today - timedelta(days=offset)
        if n % 9 == 4:  # planned elsewhere first, then Day Zero moved
            course = services.start_course(
                patient=patient,
                protocol=protocol,
                day_zero=day_zero + timedelta(days=10),
                by=coordinator,
            )
            services.move_day_zero(course=course, day_zero=day_zero, by=coordinator)
        else:
            course = services.start_course(
                patient=patient, protocol=protocol, day_zero=day_zero, by=coordinator
            )
        work_through(course, n, rng, coordinator, today)


def work_through(course, n, rng, coordinator, today):
    """Do some, all or none of what was due; the Day-100 evaluation sometimes; counts."""
    diligence = [0.0, 0.6, 1.0][n % 3]
    for milestone in course.milestones.select_related("step").filter(due_date__lt=today):
        if milestone.step.is_day_100_evaluation and n % 4 == 0:
            continue
        if rng.random() < diligence:
            late = rng.choice([0, 0, 3])
            on = min(milestone.due_date + timedelta(days=late), today)
            services.complete_milestone(milestone=milestone, on=on, by=coordinator, today=today)
    day_100 = course.day_100_milestone
    if day_100 is not None and n % 5 == 1 and day_100.window_start <= today:
        services.complete_milestone(milestone=day_100, on=today, by=coordinator, today=today)
        if n % 10 == 1:  # done by mistake: reopened
            services.reopen_milestone(milestone=day_100, by=coordinator)
    if course.protocol.tracks_engraftment and course.day_zero < today and n % 2 == 0:
        anc = [0.9, 0.4] + [0.1] * 12 + [0.7] * 40 if n % 4 == 0 else [0.3] * 50
        rows = []
        for day, value in enumerate(anc[: (today - course.day_zero).days]):
            if n % 8 == 6 and day > 20:
                break  # counts stopped
            rows.append(
                {
                    "drawn_on": course.day_zero + timedelta(days=day),
                    "anc": Decimal(str(value)),
                    "platelets": Decimal(30 if day > 20 else 10),
                    "platelet_transfusion": day < 5,
                }
            )
        services.record_counts(course=course, rows=rows, by=coordinator, today=today)


FILTERS = [
    {},
    {"kind": "allogeneic"},
    {"kind": "autologous"},
    {"kind": "procedure"},
    {"overdue_only": True},
    {"window_open": True},
    {"due_this_week": True},
    {"include_later": True},
    {"q": "lind"},
    {"q": "lind ada"},
    {"q": "MRN-01"},
    {"include_later": True, "overdue_only": True},
    {"kind": "allogeneic", "overdue_only": True, "window_open": True},
    {"include_later": True, "due_this_week": True, "q": "a"},
]


@pytest.mark.parametrize("sort", [Sort.NEXT_DUE, Sort.DAY, Sort.OVERDUE])
def test_the_list_and_its_csv_show_what_the_first_version_showed(varied, today, sort):
    assert varied > 70
    assert BloodCount.objects.exists()
    seen = set()
    for asked in FILTERS:
        filters = Filters(sort=sort, **asked)
        expected = reference_rows(today, filters)
        courses = followup.follow_up_courses(today=today, filters=filters)
        assert [shown(row) for row in followup.all_rows(courses, today=today, size=7)] == (
            expected
        ), asked
        # The list's pages (small ones, so there are many), each a slice read as its subquery.
        paginator = Paginator(courses.values_list("pk", flat=True), 6)
        assert paginator.count == len(expected), asked
        paged = []
        for number in paginator.page_range:
            page = paginator.page(number)
            paged += followup.page_rows(page.object_list, today=today, sort=sort)
        assert [shown(row) for row in paged] == expected, asked
        seen.update(row[1] for row in expected)
    assert len(seen) > 40  # the filters between them show most courses


def test_this_week_shows_what_the_first_version_showed(varied, today):
    # Before issue 11 "this week" read every pending milestone of the 7 days, by day, then
    # patient, course and step (the milestone's id now breaks the last ties, for paging).
    expected = [
        (
            milestone.due_date,
            f"{milestone.course.get_absolute_url()}#milestone-{milestone.code}",
            milestone.course.patient.family_name,
            milestone.course.patient.given_name,
            milestone.course.patient.mrn,
            milestone.day_label,
            milestone.title,
            milestone.window_label,
        )
        for milestone in Milestone.objects.filter(
            completed_on__isnull=True,
            due_date__gte=today,
            due_date__lt=today + timedelta(days=7),
        )
        # Since issue 13: nothing blocked, not needed or closed (nothing to do).
        .exclude(hold__in=WAITING)
        .select_related("step", "course__patient")
        .order_by("due_date", "course__patient__family_name", "course__pk", "step__position", "pk")
    ]
    days = followup.week_days(today=today)
    actual = [
        (
            day.day,
            row.url,
            row.family_name,
            row.given_name,
            row.mrn,
            row.day_label,
            row.title,
            row.window_label,
        )
        for day in days
        for row in followup.week_rows(followup.due_on(day.day))
    ]
    assert len(expected) > 20
    assert actual == expected
    assert [day.count for day in days] == [
        sum(1 for row in expected if row[0] == day.day) for day in days
    ]
