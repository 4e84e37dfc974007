"""start_course and move_day_zero: a fixed number of queries whatever the number of milestones,
with every milestone, checklist item, history row and course event still written."""

from datetime import date, timedelta

import pytest

from tests.factories import (
    PatientFactory,
    StepFactory,
    UserFactory,
    repeating_step,
)
from tracker import clock, services
from tracker.models import (
    ChecklistItem,
    CourseEvent,
    DayZeroMove,
    EventKind,
    Milestone,
    centre_details,
)
from tracker.services.courses import DEFAULT_MOVE_REASON, PLANNED_FROM_PROTOCOL

DAY_ZERO = date(2026, 3, 3)
MOVED = DAY_ZERO + timedelta(days=3)

# Lock the patient, a death recorded?, same course?, last sequence, the course's checks
# (patient, protocol, user, code, sequence; a savepoint around the check constraint), the
# course and its history row, the steps, then one INSERT each for the milestones, their
# history, the items, theirs; the bookkeeping UPDATE, the registry forms, the event; the
# transaction's savepoint.
START_QUERIES = 24
# Lock the patient (a later transplant writes to the earlier course too), the course, its
# milestones, the steps; one UPDATE of the dates and one INSERT of their
# history; the move, the event, the course and its history row, the bookkeeping; the registry
# forms read and re-dated; the savepoint.
MOVE_QUERIES = 16  # and one to cancel the reminders that no longer apply


def protocol_of(milestones: int):
    """A daily step from Day -10 with three checklist items, and a Day-100 evaluation."""
    protocol = repeating_step(
        first_day=-10,
        last_day=-10 + milestones - 2,
        checklist="Bloods\nObservations\nPlan",
        position=10,
    ).protocol
    StepFactory(
        protocol=protocol,
        key="day-100",
        day=100,
        window_before=15,
        window_after=15,
        is_day_100_evaluation=True,
        checklist="Marrow biopsy",
        position=20,
    )
    return protocol


@pytest.fixture
def user(db):
    return UserFactory()


def start(protocol, user, patient=None):
    return services.start_course(
        patient=patient or PatientFactory(), protocol=protocol, day_zero=DAY_ZERO, by=user
    )


@pytest.mark.parametrize("milestones", [10, 300])
class TestStartCourse:
    def test_runs_the_same_queries_for_any_number_of_milestones(
        self, user, milestones, django_assert_num_queries
    ):
        protocol, patient = protocol_of(milestones), PatientFactory()
        centre_details()  # the clinic's closed days, kept in each server's cache
        with django_assert_num_queries(START_QUERIES):
            course = start(protocol, user, patient)
        assert course.milestones.count() == milestones

    def test_writes_every_milestone_item_and_history_row_and_the_event(self, user, milestones):
        course = start(protocol_of(milestones), user)
        items = (milestones - 1) * 3 + 1
        assert ChecklistItem.objects.filter(milestone__course=course).count() == items
        milestone_history = Milestone.history.filter(course_id=course.pk)
        item_history = ChecklistItem.history.filter(milestone__course=course)
        for history, count in ((milestone_history, milestones), (item_history, items)):
            assert history.count() == count
            assert set(
                history.values_list("history_type", "history_user", "history_change_reason")
            ) == {("+", user.pk, PLANNED_FROM_PROTOCOL)}
        started = CourseEvent.objects.get(course=course, kind=EventKind.COURSE_STARTED)
        assert (started.data["milestones"], started.data["items"]) == (milestones, items)

    def test_each_history_row_holds_what_was_created_when_and_by_whom(
        self, user, milestones, today
    ):
        course = start(protocol_of(milestones), user)
        checked = 0
        for model, rows in (
            (Milestone, course.milestones.all()),
            (ChecklistItem, ChecklistItem.objects.filter(milestone__course=course)),
        ):
            tracked = [f.attname for f in model._meta.concrete_fields]
            for row in rows:
                (history,) = model.history.filter(id=row.pk)
                assert [getattr(history, name) for name in tracked] == [
                    getattr(row, name) for name in tracked
                ]
                assert history.history_date == clock.now()
                assert history.instance == row
                checked += 1
        assert (
            checked == milestones + ChecklistItem.objects.filter(milestone__course=course).count()
        )

    def test_keeps_the_start_date_and_the_day_100_milestone(self, user, milestones):
        course = start(protocol_of(milestones), user)
        course.refresh_from_db()
        assert course.starts_on == DAY_ZERO - timedelta(days=10)
        assert course.day_100_milestone == course.milestones.get(step__key="day-100")


@pytest.mark.parametrize("milestones", [10, 300])
class TestMoveDayZero:
    def test_runs_the_same_queries_for_any_number_of_milestones(
        self, user, milestones, django_assert_num_queries
    ):
        course = start(protocol_of(milestones), user)
        with django_assert_num_queries(MOVE_QUERIES):
            services.move_day_zero(course=course, day_zero=MOVED, by=user)

    def test_moves_every_milestone_with_a_history_row_and_records_the_move(self, user, milestones):
        course = start(protocol_of(milestones), user)
        before = {m.pk: m.due_date for m in course.milestones.all()}
        services.move_day_zero(course=course, day_zero=MOVED, by=user, reason="Donor late")
        after = {m.pk: m for m in course.milestones.all()}
        assert len(after) == milestones
        for pk, milestone in after.items():
            assert milestone.due_date == before[pk] + timedelta(days=3)
            assert milestone.window_start <= milestone.due_date <= milestone.window_end
        moved = Milestone.history.filter(course_id=course.pk, history_type="~")
        assert moved.count() == milestones
        assert set(moved.values_list("history_user", "history_change_reason")) == {
            (user.pk, "Donor late")
        }
        assert set(moved.values_list("due_date", flat=True)) == {m.due_date for m in after.values()}
        assert DayZeroMove.objects.filter(course=course, moved_by=user).count() == 1
        event = CourseEvent.objects.get(course=course, kind=EventKind.DAY_ZERO_MOVED)
        assert event.data["planned_moved"] == milestones

    def test_keeps_the_start_date_and_the_day_100_milestone(self, user, milestones):
        course = start(protocol_of(milestones), user)
        services.move_day_zero(course=course, day_zero=MOVED, by=user)
        course.refresh_from_db()
        assert course.starts_on == MOVED - timedelta(days=10)
        assert course.day_100_milestone == course.milestones.get(step__key="day-100")
        history = course.history.first()
        assert (history.day_zero, history.history_change_reason) == (MOVED, DEFAULT_MOVE_REASON)

    def test_a_step_added_to_the_protocol_is_planned_with_its_items_and_history(
        self, user, milestones
    ):
        protocol = protocol_of(milestones)
        course = start(protocol, user)
        StepFactory(protocol=protocol, key="added", day=20, checklist="One\nTwo")
        services.move_day_zero(course=course, day_zero=MOVED, by=user)
        added = course.milestones.get(step__key="added")
        assert added.due_date == MOVED + timedelta(days=20)
        assert [item.text for item in added.items.all()] == ["One", "Two"]
        assert added.history.get().history_change_reason == PLANNED_FROM_PROTOCOL
        assert ChecklistItem.history.filter(milestone=added).count() == 2
