"""The history entries read back from the audit trail (tracker/audit.py)."""

from datetime import date, timedelta

import pytest
import time_machine

from tests.factories import StepFactory
from tracker import services
from tracker.audit import EntryKind, history_entries, person
from tracker.models import ChecklistItem

pytestmark = pytest.mark.django_db


def at(clock: str):
    """Later on the pinned day (the `today` fixture freezes time at 12:00)."""
    return time_machine.travel(f"2026-11-21 {clock} +00:00", tick=False)


def of_kind(course, kind):
    return [entry for entry in history_entries(course) if entry.kind == kind]


def milestone_of(course, key: str, occurrence: int = 1):
    return course.milestones.select_related("step").get(step__key=key, occurrence=occurrence)


def tick(item, checked: bool, by):
    item.set_checked(checked, by=by)


def complete(milestone, by, on):
    milestone.complete(by=by, on=on, today=on)


def reopen(milestone, by):
    milestone.reopen(by=by)


class TestCourseStarted:
    def test_the_start_is_one_entry_counting_what_was_planned(self, course, coordinator):
        milestones = course.milestones.count()
        items = ChecklistItem.objects.filter(milestone__course=course).count()
        [entry] = history_entries(course)
        assert entry.kind == EntryKind.COURSE_STARTED
        assert entry.text == (
            "Course started: Allogeneic test protocol, Day Zero 21 Nov 2026 (planned); "
            f"{milestones} milestones and {items} checklist items planned"
        )
        assert entry.who == person(coordinator)

    def test_the_count_is_the_number_of_milestones_in_the_plan(self, course):
        [entry] = history_entries(course)
        assert "; 11 milestones and" in entry.text


class TestDayZeroMoved:
    def test_a_move_is_one_entry_with_dates_reason_and_how_many_dates_moved(
        self, course, coordinator
    ):
        with at("13:00"):
            result = services.move_day_zero(
                course=course, day_zero=date(2026, 11, 24), by=coordinator, reason="Donor delayed"
            )
        [entry] = of_kind(course, EntryKind.DAY_ZERO_MOVED)
        assert entry.text == (
            "Day Zero moved from 21 Nov 2026 to 24 Nov 2026 (Donor delayed); "
            f"{len(result.pending_moved)} planned dates moved"
        )
        assert entry.who == person(coordinator)

    def test_the_moved_milestone_dates_are_not_listed_one_by_one(self, course, coordinator):
        with at("13:00"):
            services.move_day_zero(
                course=course, day_zero=date(2026, 11, 24), by=coordinator, reason="Donor delayed"
            )
        assert [entry.kind for entry in history_entries(course)] == [
            EntryKind.DAY_ZERO_MOVED,
            EntryKind.COURSE_STARTED,
        ]

    def test_a_move_without_a_reason_is_still_one_entry(self, course, coordinator):
        with at("13:00"):
            services.move_day_zero(course=course, day_zero=date(2026, 11, 24), by=coordinator)
        entries = history_entries(course)
        assert len(entries) == 2
        assert entries[0].text.startswith("Day Zero moved from 21 Nov 2026 to 24 Nov 2026; ")

    def test_milestones_a_move_adds_are_counted_in_the_move(self, course, protocol, coordinator):
        StepFactory(protocol=protocol, key="extra", title="Extra visit", day=14, position=70)
        with at("13:00"):
            services.move_day_zero(
                course=course, day_zero=date(2026, 11, 24), by=coordinator, reason="Donor delayed"
            )
        [entry] = of_kind(course, EntryKind.DAY_ZERO_MOVED)
        assert entry.text.endswith("; 1 milestone and 2 checklist items added")
        assert not of_kind(course, EntryKind.MILESTONE_CHANGED)

    def test_a_move_after_confirmation_says_the_infusion_is_no_longer_confirmed(
        self, course, coordinator, today
    ):
        course.confirm_day_zero(by=coordinator, today=today)
        with at("13:00"):
            services.move_day_zero(
                course=course, day_zero=date(2026, 11, 24), by=coordinator, reason="Recount"
            )
        [entry] = of_kind(course, EntryKind.DAY_ZERO_MOVED)
        assert entry.text.endswith("; the infusion is no longer marked as confirmed")

    def test_a_milestone_rescheduled_outside_a_move_is_shown_on_its_own(self, course, coordinator):
        milestone = milestone_of(course, "day-30")
        milestone.due_date += timedelta(days=2)
        milestone._history_user = coordinator
        with at("13:00"):
            milestone.save(update_fields=["due_date"])
        [entry] = of_kind(course, EntryKind.MILESTONE_CHANGED)
        assert entry.text == "“Day +30 evaluation” rescheduled from 21 Dec 2026 to 23 Dec 2026"
        assert entry.who == person(coordinator)


class TestDayZeroConfirmed:
    def test_confirming_the_infusion_is_an_entry_by_whoever_confirmed(
        self, course, coordinator, today
    ):
        with at("13:00"):
            course.confirm_day_zero(by=coordinator, today=today)
        [entry] = of_kind(course, EntryKind.DAY_ZERO_CONFIRMED)
        assert entry.text == "Day Zero confirmed: the infusion happened on 21 Nov 2026"
        assert entry.who == person(coordinator)


class TestChecklist:
    def test_ticking_an_item_names_it_and_its_milestone(self, course, clinic_staff):
        item = milestone_of(course, "clinic", 2).items.get()
        with at("13:00"):
            tick(item, True, clinic_staff)
        [entry] = of_kind(course, EntryKind.ITEM_TICKED)
        assert entry.text == "“Bloods drawn” ticked under “Clinic visit (2)”"
        assert entry.who == person(clinic_staff)

    def test_unticking_an_item_is_its_own_entry(self, course, clinic_staff, coordinator):
        item = milestone_of(course, "clinic", 2).items.get()
        with at("13:00"):
            tick(item, True, clinic_staff)
        with at("14:00"):
            tick(item, False, coordinator)
        [entry] = of_kind(course, EntryKind.ITEM_UNTICKED)
        assert entry.text == "“Bloods drawn” unticked under “Clinic visit (2)”"
        assert entry.who == person(coordinator)

    def test_another_courses_ticks_are_not_in_this_courses_history(
        self, course, other_course, clinic_staff
    ):
        item = milestone_of(other_course, "clinic", 2).items.get()
        tick(item, True, clinic_staff)
        assert not of_kind(course, EntryKind.ITEM_TICKED)


class TestMilestones:
    def test_marking_done_gives_the_date_it_was_done(self, course, clinic_staff):
        milestone = milestone_of(course, "infusion")
        with at("13:00"):
            complete(milestone, clinic_staff, date(2026, 11, 21))
        [entry] = of_kind(course, EntryKind.MILESTONE_DONE)
        assert entry.text == "“Stem cell infusion” marked done on 21 Nov 2026"
        assert entry.who == person(clinic_staff)

    def test_reopening_says_when_it_had_been_done(self, course, clinic_staff, coordinator):
        milestone = milestone_of(course, "infusion")
        with at("13:00"):
            complete(milestone, clinic_staff, date(2026, 11, 21))
        with at("14:00"):
            reopen(milestone, coordinator)
        [entry] = of_kind(course, EntryKind.MILESTONE_REOPENED)
        assert entry.text == "“Stem cell infusion” reopened (it had been done on 21 Nov 2026)"
        assert entry.who == person(coordinator)

    def test_a_change_outside_a_request_is_by_whoever_the_method_names(self, course, clinic_staff):
        milestone = milestone_of(course, "infusion")
        milestone.complete(by=clinic_staff, on=date(2026, 11, 21), today=date(2026, 11, 21))
        [entry] = of_kind(course, EntryKind.MILESTONE_DONE)
        assert entry.who == person(clinic_staff)

    def test_a_change_that_names_nobody_is_by_the_system(self, course):
        milestone = milestone_of(course, "infusion")
        milestone.completed_on = date(2026, 11, 21)
        milestone.completed_by = course.created_by
        milestone.save(update_fields=["completed_on", "completed_by"])  # e.g. a script
        [entry] = of_kind(course, EntryKind.MILESTONE_DONE)
        assert entry.who == "system"


class TestPatient:
    def test_a_change_to_the_patients_details_shows_old_and_new(self, course, coordinator):
        patient = course.patient
        patient.family_name = "Byron"
        patient._history_user = coordinator
        with at("13:00"):
            patient.save(update_fields=["family_name"])
        [entry] = of_kind(course, EntryKind.PATIENT_CHANGED)
        assert entry.text == "Patient details changed: family name “Lovelace” → “Byron”"
        assert entry.who == person(coordinator)


class TestOrder:
    def test_the_newest_change_comes_first(self, course, coordinator, clinic_staff, today):
        item = milestone_of(course, "clinic", 1).items.get()
        with at("13:00"):
            services.move_day_zero(
                course=course, day_zero=date(2026, 11, 20), by=coordinator, reason="Earlier slot"
            )
        with at("14:00"):
            tick(item, True, clinic_staff)
        with at("15:00"):
            complete(milestone_of(course, "infusion"), clinic_staff, today)
        assert [entry.kind for entry in history_entries(course)] == [
            EntryKind.MILESTONE_DONE,
            EntryKind.ITEM_TICKED,
            EntryKind.DAY_ZERO_MOVED,
            EntryKind.COURSE_STARTED,
        ]


class TestQueries:
    def test_reading_a_long_history_takes_six_queries(
        self, course, clinic_staff, today, django_assert_num_queries
    ):
        item = milestone_of(course, "clinic", 1).items.get()
        for turn in range(100):
            tick(item, turn % 2 == 0, clinic_staff)
            complete(milestone_of(course, "infusion"), clinic_staff, today)
            reopen(milestone_of(course, "infusion"), clinic_staff)
        with django_assert_num_queries(6):
            entries = history_entries(course)
        assert len(entries) == 301
