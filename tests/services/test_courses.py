"""start_course and move_day_zero: planning, re-planning, the record of the move, history."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError

from tests.factories import PatientFactory, StepFactory, UserFactory, small_protocol
from tracker import services
from tracker.models import ChecklistItem, DayZeroMove, Milestone, TransplantCourse

DAY_ZERO = date(2026, 3, 3)


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def planned(user):
    return services.start_course(
        patient=PatientFactory(), protocol=small_protocol(), day_zero=DAY_ZERO, by=user
    )


class TestStartCourse:
    def test_plans_one_milestone_per_occurrence(self, planned):
        # conditioning x3, infusion, day-30, clinic x4 (7, 14, 21, 28), day-100, pcv-1
        assert planned.milestones.count() == 11
        clinic = planned.milestones.filter(step__key="clinic").order_by("occurrence")
        assert [m.due_date for m in clinic] == [
            date(2026, 3, 10),
            date(2026, 3, 17),
            date(2026, 3, 24),
            date(2026, 3, 31),
        ]

    def test_dates_and_windows_come_from_day_zero(self, planned):
        day_100 = planned.milestones.get(step__key="day-100")
        assert (day_100.window_start, day_100.due_date, day_100.window_end) == (
            date(2026, 5, 27),
            date(2026, 6, 11),
            date(2026, 6, 26),
        )
        assert planned.milestones.get(step__key="pcv-1").due_date == date(2026, 6, 3)

    def test_checklist_items_are_created_under_each_milestone(self, planned):
        infusion = planned.milestones.get(step__key="infusion")
        assert [item.text for item in infusion.items.all()] == ["First thing", "Second thing"]
        assert not planned.milestones.get(step__key="pcv-1").items.exists()

    def test_kind_graft_and_donor_default_to_the_protocol(self, planned):
        assert (planned.kind, planned.graft_source, planned.donor_type) == (
            "allogeneic",
            "pbsc",
            "matched_sibling",
        )
        assert planned.day_zero_confirmed is False

    def test_second_course_of_a_patient_gets_the_next_sequence(self, planned, user):
        second = services.start_course(
            patient=planned.patient, protocol=planned.protocol, day_zero=date(2026, 9, 1), by=user
        )
        assert (planned.sequence, second.sequence) == (1, 2)

    def test_history_records_who_planned_each_milestone(self, planned, user):
        records = Milestone.history.filter(course_id=planned.pk)
        assert records.count() == 11
        assert {record.history_user_id for record in records} == {user.pk}
        assert TransplantCourse.history.get(id=planned.pk).history_user_id == user.pk

    def test_nothing_is_saved_when_the_course_is_invalid(self, user):
        patient = PatientFactory()
        with pytest.raises(ValidationError):
            services.start_course(
                patient=patient,
                protocol=small_protocol(),
                day_zero=DAY_ZERO,
                by=user,
                graft_source="not-a-source",
            )
        assert not TransplantCourse.objects.exists()
        assert not Milestone.objects.exists()


class TestMoveDayZero:
    def test_pending_milestones_take_their_new_dates(self, planned, user):
        services.move_day_zero(course=planned, day_zero=DAY_ZERO + timedelta(days=3), by=user)
        day_100 = planned.milestones.get(step__key="day-100")
        assert day_100.due_date == date(2026, 6, 14)
        assert day_100.window_start == date(2026, 5, 30)

    def test_month_steps_follow_calendar_months(self, user):
        course = services.start_course(
            patient=PatientFactory(),
            protocol=small_protocol(),
            day_zero=date(2025, 11, 28),
            by=user,
        )
        services.move_day_zero(course=course, day_zero=date(2025, 11, 30), by=user)
        # 30 Nov + 3 months = 28 Feb 2026 (clamped), not 2 days after 28 Feb.
        assert course.milestones.get(step__key="pcv-1").due_date == date(2026, 2, 28)

    def test_completed_milestone_keeps_its_date_and_is_flagged_out_of_window(self, planned, user):
        infusion = planned.milestones.get(step__key="infusion")
        infusion.complete(by=user, on=DAY_ZERO, today=DAY_ZERO)
        result = services.move_day_zero(
            course=planned, day_zero=DAY_ZERO + timedelta(days=2), by=user
        )
        infusion.refresh_from_db()
        assert infusion.completed_on == DAY_ZERO
        assert infusion.due_date == DAY_ZERO + timedelta(days=2)
        assert infusion.status_on(DAY_ZERO).value == "done_out_of_window"
        assert [c.existing.key for c in result.out_of_window] == ["infusion"]

    def test_completed_milestone_still_inside_its_window_is_not_flagged(self, planned, user):
        day_30 = planned.milestones.get(step__key="day-30")
        day_30.complete(by=user, on=date(2026, 4, 2), today=date(2026, 4, 2))
        result = services.move_day_zero(
            course=planned, day_zero=DAY_ZERO + timedelta(days=1), by=user
        )
        assert result.out_of_window == ()
        day_30.refresh_from_db()
        assert day_30.status_on(date(2026, 4, 2)).value == "done"

    def test_nothing_is_deleted(self, planned, user):
        before = set(planned.milestones.values_list("code", flat=True))
        items_before = ChecklistItem.objects.count()
        services.move_day_zero(course=planned, day_zero=DAY_ZERO - timedelta(days=10), by=user)
        assert set(planned.milestones.values_list("code", flat=True)) == before
        assert ChecklistItem.objects.count() == items_before

    def test_the_move_is_recorded_with_who_when_from_and_to(self, planned, user):
        services.move_day_zero(
            course=planned, day_zero=date(2026, 3, 6), by=user, reason="Donor product delayed"
        )
        move = DayZeroMove.objects.get(course=planned)
        assert (move.from_date, move.to_date, move.moved_by, move.reason) == (
            DAY_ZERO,
            date(2026, 3, 6),
            user,
            "Donor product delayed",
        )
        assert move.milestones_moved == 11
        planned.refresh_from_db()
        assert planned.day_zero == date(2026, 3, 6)

    def test_the_record_counts_the_planned_dates_the_preview_showed(self, planned, user):
        planned.milestones.get(step__key="infusion").complete(by=user, on=DAY_ZERO, today=DAY_ZERO)
        preview = services.preview_day_zero_move(course=planned, day_zero=date(2026, 3, 6))
        services.move_day_zero(course=planned, day_zero=date(2026, 3, 6), by=user)
        move = DayZeroMove.objects.get(course=planned)
        assert move.milestones_moved == len(preview.pending_moved) == 10

    def test_every_moved_milestone_gets_a_history_row_by_the_mover(self, planned, user):
        mover = UserFactory()
        services.move_day_zero(course=planned, day_zero=date(2026, 3, 6), by=mover)
        changes = Milestone.history.filter(course_id=planned.pk, history_type="~")
        assert changes.count() == 11
        assert {c.history_user_id for c in changes} == {mover.pk}
        course_change = TransplantCourse.history.filter(id=planned.pk).latest("history_date")
        assert (course_change.day_zero, course_change.history_user_id) == (
            date(2026, 3, 6),
            mover.pk,
        )

    def test_moving_makes_a_confirmed_day_zero_planned_again(self, planned, user):
        planned.confirm_day_zero(by=user, today=DAY_ZERO)
        services.move_day_zero(course=planned, day_zero=date(2026, 3, 6), by=user)
        planned.refresh_from_db()
        assert planned.day_zero_confirmed is False

    def test_moving_to_the_same_day_is_refused(self, planned, user):
        with pytest.raises(ValidationError):
            services.move_day_zero(course=planned, day_zero=DAY_ZERO, by=user)
        assert not DayZeroMove.objects.exists()

    def test_a_step_added_to_the_protocol_later_is_planned_on_the_move(self, planned, user):
        StepFactory(protocol=planned.protocol, key="chimerism", title="Chimerism", day=30)
        result = services.move_day_zero(course=planned, day_zero=date(2026, 3, 4), by=user)
        assert [p.key for p in result.added] == ["chimerism"]
        added = planned.milestones.get(step__key="chimerism")
        assert added.due_date == date(2026, 4, 3)
        assert added.items.count() == 2

    def test_preview_changes_nothing(self, planned):
        preview = services.preview_day_zero_move(course=planned, day_zero=date(2026, 3, 10))
        assert len(preview.pending_moved) == 11
        planned.refresh_from_db()
        assert planned.day_zero == DAY_ZERO
        assert not DayZeroMove.objects.exists()
