"""What the services keep on a course for the follow-up list: its Day-100 milestone's dates.

The list filters 10,000 courses on these columns instead of joining the milestones, so every
service that plans, moves, completes or reopens the Day-100 evaluation must keep them equal
to the milestone's.
"""

import importlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps

from tests.factories import (
    PatientFactory,
    ProtocolFactory,
    StepFactory,
    UserFactory,
    small_protocol,
)
from tracker import services
from tracker.models import BloodCount, TransplantCourse

DAY_ZERO = date(2026, 3, 3)
TODAY = date(2026, 6, 20)  # Day +109: the Day-100 window is open


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def planned(user):
    return services.start_course(
        patient=PatientFactory(), protocol=small_protocol(), day_zero=DAY_ZERO, by=user
    )


def kept(course):
    """The course's copy of its Day-100 milestone, as saved, and the milestone's own dates."""
    course = TransplantCourse.objects.get(pk=course.pk)
    copy = (
        course.day_100_due,
        course.day_100_window_start,
        course.day_100_window_end,
        course.day_100_done_on,
    )
    day_100 = course.day_100_milestone
    if day_100 is None:
        return copy, (None, None, None, None)
    return copy, (day_100.due_date, day_100.window_start, day_100.window_end, day_100.completed_on)


def day_100_of(course):
    return course.milestones.get(step__is_day_100_evaluation=True)


def test_starting_a_course_copies_its_day_100_dates(planned):
    copy, milestone = kept(planned)
    assert copy == milestone == (date(2026, 6, 11), date(2026, 5, 27), date(2026, 6, 26), None)


def test_a_course_without_a_day_100_evaluation_has_none(user):
    procedure = ProtocolFactory(kind="procedure")
    StepFactory(protocol=procedure, key="procedure", day=0)
    course = services.start_course(
        patient=PatientFactory(), protocol=procedure, day_zero=DAY_ZERO, by=user
    )
    assert kept(course) == ((None, None, None, None), (None, None, None, None))


def test_completing_and_reopening_the_day_100_evaluation_is_copied(planned, user):
    services.complete_milestone(milestone=day_100_of(planned), on=TODAY, by=user, today=TODAY)
    copy, milestone = kept(planned)
    assert copy == milestone
    assert copy[3] == TODAY
    services.reopen_milestone(milestone=day_100_of(planned), by=user)
    copy, milestone = kept(planned)
    assert copy == milestone
    assert copy[3] is None


def test_completing_another_milestone_leaves_the_copy_alone(planned, user):
    infusion = planned.milestones.get(step__key="infusion")
    services.complete_milestone(milestone=infusion, on=DAY_ZERO, by=user, today=TODAY)
    copy, milestone = kept(planned)
    assert copy == milestone
    assert copy[3] is None


def test_moving_day_zero_moves_the_copy_and_keeps_a_done_evaluation_done(planned, user):
    services.move_day_zero(course=planned, day_zero=DAY_ZERO + timedelta(days=7), by=user)
    copy, milestone = kept(planned)
    assert copy == milestone == (date(2026, 6, 18), date(2026, 6, 3), date(2026, 7, 3), None)
    services.complete_milestone(milestone=day_100_of(planned), on=TODAY, by=user, today=TODAY)
    services.move_day_zero(course=planned, day_zero=DAY_ZERO, by=user)
    copy, milestone = kept(planned)
    assert copy == milestone
    assert copy[3] == TODAY


def test_a_day_100_evaluation_done_by_the_counts_is_copied_both_ways(user):
    protocol = ProtocolFactory(tracks_engraftment=True)
    StepFactory(
        protocol=protocol,
        key="day-100",
        day=100,
        window_before=15,
        window_after=15,
        is_day_100_evaluation=True,
        done_by_counts=True,
    )
    course = services.start_course(
        patient=PatientFactory(), protocol=protocol, day_zero=DAY_ZERO, by=user
    )
    due = day_100_of(course).due_date
    row = {"drawn_on": due, "anc": Decimal("2.1"), "platelets": None}
    services.record_counts(
        course=course, rows=[{**row, "platelet_transfusion": False}], by=user, today=TODAY
    )
    copy, milestone = kept(course)
    assert copy == milestone
    assert copy[3] == due
    services.delete_count(count=BloodCount.objects.get(course=course), by=user, today=TODAY)
    copy, milestone = kept(course)
    assert copy == milestone
    assert copy[3] is None


def test_the_migration_fills_the_copy_of_courses_planned_before_it(planned, user):
    services.complete_milestone(milestone=day_100_of(planned), on=TODAY, by=user, today=TODAY)
    expected = kept(planned)
    TransplantCourse.objects.update(
        day_100_due=None, day_100_window_start=None, day_100_window_end=None, day_100_done_on=None
    )
    importlib.import_module("tracker.migrations.0013_course_day_100_dates").fill(apps, None)
    assert kept(planned) == expected
    assert expected[0][3] == TODAY
