"""Every service writes its course event, in the same transaction, with what the page shows."""

import importlib
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core import mail

from tests.factories import StepFactory
from tracker import services
from tracker.models import BloodCount, ChecklistItem, CourseEvent, EventKind

pytestmark = pytest.mark.django_db


def events_of(course, kind):
    return list(CourseEvent.objects.filter(course=course, kind=kind).order_by("at", "id"))


def only(course, kind):
    found = events_of(course, kind)
    assert len(found) == 1, found
    return found[0]


def milestone_of(course, key: str, occurrence: int = 1):
    return course.milestones.select_related("step").get(step__key=key, occurrence=occurrence)


class TestCourseEvents:
    def test_starting_a_course_counts_what_was_planned(self, course, coordinator):
        started = only(course, EventKind.COURSE_STARTED)
        assert started.by == coordinator
        assert started.by_name == "Jo " + coordinator.last_name
        assert started.data["milestones"] == course.milestones.count()
        assert (
            started.data["items"] == ChecklistItem.objects.filter(milestone__course=course).count()
        )
        assert started.data["day_zero"] == course.day_zero.isoformat()

    def test_a_move_records_dates_reason_and_how_many_planned_dates_moved(
        self, course, coordinator, today
    ):
        result = services.move_day_zero(
            course=course, day_zero=today + timedelta(days=3), by=coordinator, reason="Donor late"
        )
        moved = only(course, EventKind.DAY_ZERO_MOVED)
        assert moved.data["from_date"] == "2026-11-21"
        assert moved.data["to_date"] == "2026-11-24"
        assert moved.data["reason"] == "Donor late"
        assert moved.data["planned_moved"] == len(result.pending_moved)

    def test_a_move_after_confirmation_records_that_it_is_unconfirmed(
        self, course, coordinator, today
    ):
        services.confirm_day_zero(course=course, by=coordinator, today=today)
        course.refresh_from_db()
        services.move_day_zero(course=course, day_zero=today - timedelta(days=1), by=coordinator)
        assert only(course, EventKind.DAY_ZERO_MOVED).data["unconfirmed"] is True

    def test_milestones_a_move_adds_are_counted(self, course, protocol, coordinator, today):
        StepFactory(protocol=protocol, key="new", title="New step", day=5, checklist="A\nB")
        services.move_day_zero(course=course, day_zero=today + timedelta(days=1), by=coordinator)
        moved = only(course, EventKind.DAY_ZERO_MOVED)
        assert (moved.data["added"], moved.data["added_items"]) == (1, 2)

    def test_confirming_twice_is_one_event(self, course, clinic_staff, today):
        services.confirm_day_zero(course=course, by=clinic_staff, today=today)
        services.confirm_day_zero(course=course, by=clinic_staff, today=today)
        assert only(course, EventKind.DAY_ZERO_CONFIRMED).by == clinic_staff


class TestMilestoneEvents:
    def test_marking_done_records_the_date_and_title(self, course, clinic_staff, today):
        services.complete_milestone(
            milestone=milestone_of(course, "infusion"), on=today, by=clinic_staff, today=today
        )
        done = only(course, EventKind.MILESTONE_DONE)
        assert (done.data["title"], done.data["on"]) == ("Stem cell infusion", "2026-11-21")

    def test_marking_done_again_on_the_same_date_is_not_a_new_event(
        self, course, clinic_staff, today
    ):
        for _ in range(2):
            services.complete_milestone(
                milestone=milestone_of(course, "infusion"), on=today, by=clinic_staff, today=today
            )
        assert len(events_of(course, EventKind.MILESTONE_DONE)) == 1

    def test_reopening_records_when_it_had_been_done(self, course, clinic_staff, today):
        milestone = milestone_of(course, "infusion")
        services.complete_milestone(milestone=milestone, on=today, by=clinic_staff, today=today)
        services.reopen_milestone(milestone=milestone, by=clinic_staff)
        assert only(course, EventKind.MILESTONE_REOPENED).data["was_done_on"] == "2026-11-21"

    def test_reopening_an_open_milestone_writes_nothing(self, course, clinic_staff):
        services.reopen_milestone(milestone=milestone_of(course, "infusion"), by=clinic_staff)
        assert events_of(course, EventKind.MILESTONE_REOPENED) == []

    def test_ticks_and_unticks_name_the_item_and_its_milestone(self, course, clinic_staff):
        item = ChecklistItem.objects.get(
            milestone__course=course, milestone__step__key="clinic", milestone__occurrence=1
        )
        services.tick_item(item=item, checked=True, by=clinic_staff)
        services.tick_item(item=item, checked=True, by=clinic_staff)  # already ticked
        services.tick_item(item=item, checked=False, by=clinic_staff)
        ticked = only(course, EventKind.ITEM_TICKED)
        assert (ticked.data["text"], ticked.data["title"]) == ("Bloods drawn", "Clinic visit (1)")
        assert len(events_of(course, EventKind.ITEM_UNTICKED)) == 1

    def test_another_courses_ticks_are_not_this_courses_events(
        self, course, other_course, clinic_staff
    ):
        item = ChecklistItem.objects.filter(milestone__course=other_course).first()
        services.tick_item(item=item, checked=True, by=clinic_staff)
        assert (
            CourseEvent.objects.for_course(course).filter(kind=EventKind.ITEM_TICKED).count() == 0
        )


class TestCountEvents:
    def add(self, course, by, today, **values):
        row = {"drawn_on": today, "anc": None, "platelets": None, "platelet_transfusion": False}
        services.record_counts(course=course, rows=[{**row, **values}], by=by, today=today)
        return BloodCount.objects.filter(course=course).latest("id")

    def test_adding_records_every_value(self, course, clinic_staff, today):
        self.add(course, clinic_staff, today, anc=Decimal("0.45"), platelets=Decimal("21"))
        added = only(course, EventKind.COUNT_ADDED)
        assert added.data["anc"] == "0.45"
        assert added.data["platelets"] == "21"
        assert added.data["drawn_on"] == "2026-11-21"

    def test_a_correction_records_only_what_changed(self, course, clinic_staff, today):
        count = self.add(course, clinic_staff, today, anc=Decimal("0.45"), platelets=Decimal("21"))
        services.correct_count(
            count=count,
            values={"anc": Decimal("0.54"), "platelets": Decimal("21")},
            by=clinic_staff,
            today=today,
        )
        corrected = only(course, EventKind.COUNT_CORRECTED)
        assert corrected.data["changes"] == {"anc": ["0.45", "0.54"]}

    def test_a_correction_that_changes_nothing_writes_nothing(self, course, clinic_staff, today):
        count = self.add(course, clinic_staff, today, anc=Decimal("0.45"))
        services.correct_count(
            count=count, values={"anc": Decimal("0.45")}, by=clinic_staff, today=today
        )
        assert events_of(course, EventKind.COUNT_CORRECTED) == []
        assert count.history.count() == 1

    def test_deleting_records_what_was_deleted_and_a_second_delete_is_nothing(
        self, course, clinic_staff, today
    ):
        count = self.add(course, clinic_staff, today, anc=Decimal("0.45"))
        services.delete_count(count=count, by=clinic_staff, today=today)
        services.delete_count(count=count, by=clinic_staff, today=today)
        assert only(course, EventKind.COUNT_DELETED).data["anc"] == "0.45"

    def test_engraftment_computed_from_counts_is_an_event_of_its_own(
        self, protocol, patient, coordinator, clinic_staff, today
    ):
        StepFactory(
            protocol=protocol, key="anc", title="Neutrophils", day=14, engraftment="neutrophil"
        )
        course = services.start_course(
            patient=patient, protocol=protocol, day_zero=today - timedelta(days=20), by=coordinator
        )
        day_zero = course.day_zero
        rows = [
            {
                "drawn_on": day_zero + timedelta(days=n),
                "anc": anc,
                "platelets": None,
                "platelet_transfusion": False,
            }
            for n, anc in [
                (5, Decimal("0.01")),
                (12, Decimal("0.6")),
                (13, Decimal("0.7")),
                (14, Decimal("0.9")),
            ]
        ]
        services.record_counts(course=course, rows=rows, by=clinic_staff, today=today)
        computed = only(course, EventKind.MILESTONE_COMPUTED)
        assert computed.data["on"] == (day_zero + timedelta(days=12)).isoformat()


class TestPatientEvents:
    def test_an_invitation_is_recorded_and_mailed_only_after_commit(
        self, patient, coordinator, django_capture_on_commit_callbacks
    ):
        patient.user = None
        patient.save()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            services.invite_patient(
                patient=patient, email="ada@example.org", by=coordinator, build_url=str
            )
        assert mail.outbox == []
        for callback in callbacks:
            callback()
        assert len(mail.outbox) == 1
        invited = CourseEvent.objects.get(patient=patient, kind=EventKind.PORTAL_INVITED)
        assert invited.course is None
        assert invited.data["emailed"] is True

    def test_patient_events_show_in_each_of_their_courses(self, course, patient, coordinator):
        services.change_feed(patient=patient, action="renew", by=coordinator)
        kinds = set(CourseEvent.objects.for_course(course).values_list("kind", flat=True))
        assert EventKind.FEED_RENEWED in kinds


class TestEventsFromHistory:
    """The data migration writes events for what a database held before events existed."""

    def test_it_rebuilds_the_events_of_a_course_from_its_history(
        self, course, clinic_staff, coordinator, today
    ):
        services.tick_item(
            item=ChecklistItem.objects.filter(milestone__course=course).first(),
            checked=True,
            by=clinic_staff,
        )
        services.complete_milestone(
            milestone=milestone_of(course, "infusion"), on=today, by=clinic_staff, today=today
        )
        services.record_counts(
            course=course,
            rows=[
                {
                    "drawn_on": today,
                    "anc": Decimal("0.3"),
                    "platelets": None,
                    "platelet_transfusion": False,
                }
            ],
            by=clinic_staff,
            today=today,
        )
        services.move_day_zero(course=course, day_zero=today + timedelta(days=2), by=coordinator)
        written = sorted(CourseEvent.objects.values_list("kind", flat=True))
        CourseEvent.objects.all().delete()
        migration = importlib.import_module("tracker.migrations.0009_events_from_history")
        migration.forward(apps, None)
        assert sorted(CourseEvent.objects.values_list("kind", flat=True)) == written
        started = CourseEvent.objects.get(kind=EventKind.COURSE_STARTED)
        assert started.data["milestones"] == course.milestones.count() - 0
        assert started.data["day_zero"] == date(2026, 11, 21).isoformat()
