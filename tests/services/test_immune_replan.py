"""The immune-recovery re-plan (CLINICAL.md section 5): live vaccines blocked while their
gates fail, PPSV23 or a 4th PCV by chronic GVHD, the PJP and letermovir stops by rule, yearly
influenza, and what the lists count as overdue meanwhile."""

import json
from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from tests.factories import StepFactory, small_protocol, start_course
from tracker import services
from tracker.models import CourseEvent, EventKind, Milestone, ProtocolStep
from tracker.rules import schedule
from tracker.rules.gvhd import NIH_ORGANS

pytestmark = pytest.mark.django_db

DAY_ZERO = date(2024, 1, 10)  # 24 months: 10 Jan 2026; today (conftest) 21 Nov 2026


def scores(**given):
    return {organ: given.get(organ, 0) for organ in NIH_ORGANS}


@pytest.fixture
def protocol():
    """Live vaccines at 24 and 25 months, PPSV23 or a 4th PCV at 12, PCV 3 before them,
    the letermovir stop at Day +100 and the PJP stop from 6 months."""
    protocol = small_protocol()
    steps = [
        ("pcv-3", 5, {"vaccine": "pcv", "dose": 3}),
        ("ppsv23", 12, {"vaccine": "ppsv23", "dose": 1, "chronic_gvhd": "without"}),
        ("pcv-4", 12, {"vaccine": "pcv", "dose": 4, "chronic_gvhd": "with"}),
        ("mmr-1", 24, {"vaccine": "mmr", "dose": 1}),
        ("mmr-2", 25, {"vaccine": "mmr", "dose": 2}),
        ("pjp-stop", 6, {"stop_rule": "pjp", "audience": "care_team"}),
    ]
    for position, (key, months, extra) in enumerate(steps, start=70):
        StepFactory(
            protocol=protocol,
            key=key,
            title=key,
            day=None,
            months=months,
            checklist="",
            position=position,
            **extra,
        )
    StepFactory(
        protocol=protocol,
        key="letermovir-stop",
        title="letermovir-stop",
        day=100,
        checklist="",
        position=90,
        stop_rule="letermovir",
    )
    StepFactory(
        protocol=protocol,
        key="anc",
        title="Neutrophil engraftment",
        day=14,
        window_before=7,
        window_after=16,
        engraftment="neutrophil",
        checklist="",
    )
    return protocol


@pytest.fixture
def course(protocol, patient, coordinator, today):
    return start_course(patient=patient, protocol=protocol, day_zero=DAY_ZERO, by=coordinator)


def of(course, key, occurrence=1):
    return Milestone.objects.get(course=course, step__key=key, occurrence=occurrence)


def status(milestone, today):
    return milestone.status_on(today)


class TestLiveVaccines:
    def test_nothing_recorded_past_24_months_is_due_not_blocked(self, course, today):
        mmr = of(course, "mmr-1")
        assert (mmr.due_date, mmr.hold) == (date(2026, 1, 10), "")
        assert "gates pass from 10 Jan 2026" in mmr.plan_note

    def test_active_chronic_gvhd_blocks_both_doses_without_a_date_and_not_overdue(
        self, course, coordinator, today
    ):
        services.diagnose_chronic_gvhd(
            course=course, diagnosed_on=date(2025, 6, 1), scores=scores(skin=1), by=coordinator
        )
        first, second = of(course, "mmr-1"), of(course, "mmr-2")
        assert first.hold == "blocked"
        assert first.plan_note.startswith("Blocked: Active chronic GVHD (since 1 Jun 2025)")
        assert "The date it opens is not known yet." in first.plan_note
        assert second.hold == "blocked"
        assert second.plan_note.startswith("Blocked: it waits for dose 1, itself blocked. Active")
        assert status(first, today) == schedule.Status.BLOCKED
        # Its window closed long ago, yet nothing counts it overdue.
        assert first.window_end < today
        assert not course.milestones.overdue(today).filter(pk=first.pk).exists()

    def test_chronic_gvhd_resolved_opens_the_gates_that_day(self, course, coordinator, today):
        episode = services.diagnose_chronic_gvhd(
            course=course, diagnosed_on=date(2025, 6, 1), scores=scores(skin=1), by=coordinator
        )
        services.resolve_chronic_gvhd(episode=episode, resolved_on=date(2026, 9, 1), by=coordinator)
        first = of(course, "mmr-1")
        assert first.hold == ""
        assert first.due_date == date(2026, 1, 10)
        event = CourseEvent.objects.filter(kind=EventKind.MILESTONE_REPLANNED).order_by("pk").last()
        assert event.data["why"] == "Chronic GVHD resolved"
        assert (event.data["was_hold"], event.data["hold"]) == ("blocked", "")

    def test_ivig_holds_the_dose_until_eight_months_after_it_then_a_date(
        self, course, coordinator, today
    ):
        ivig = services.record_ivig(course=course, given_on=date(2026, 6, 30), by=coordinator)
        first, second = of(course, "mmr-1"), of(course, "mmr-2")
        # 30 June + 8 months clamps to 28 February (2027 is not a leap year).
        assert (first.hold, first.due_date) == ("blocked_until", date(2027, 2, 28))
        assert "It could open on 28 Feb 2027." in first.plan_note
        assert status(first, today) == schedule.Status.BLOCKED
        assert status(first, date(2027, 2, 28)) == schedule.Status.DUE
        # A deferred dose 1 defers dose 2: 4 weeks after it.
        assert (second.hold, second.due_date) == ("", date(2027, 3, 28))
        services.delete_ivig(ivig=ivig, by=coordinator)
        first = of(course, "mmr-1")
        assert (first.hold, first.due_date) == ("", date(2026, 1, 10))
        assert of(course, "mmr-2").due_date == date(2026, 2, 10)

    def test_immunosuppression_blocks_until_twelve_months_after_it_stops(
        self, course, coordinator, today
    ):
        drug = services.record_immunosuppression(
            course=course, drug="Tacrolimus", started_on=date(2024, 1, 8), by=coordinator
        )
        assert of(course, "mmr-1").hold == "blocked"
        services.stop_immunosuppression(entry=drug, stopped_on=date(2026, 2, 1), by=coordinator)
        first = of(course, "mmr-1")
        assert (first.hold, first.due_date) == ("blocked_until", date(2027, 2, 1))

    def test_a_later_transplant_restarts_the_24_months(
        self, course, protocol, patient, coordinator, today
    ):
        start_course(patient=patient, protocol=protocol, day_zero=date(2026, 3, 1), by=coordinator)
        services.record_ivig(course=course, given_on=date(2026, 1, 5), by=coordinator)
        first = of(course, "mmr-1")
        assert (first.hold, first.due_date) == ("blocked_until", date(2028, 3, 1))
        assert "Under 24 months since the transplant of 1 Mar 2026" in first.plan_note

    def test_moving_day_zero_keeps_the_block(self, course, coordinator, today):
        services.record_immunosuppression(
            course=course, drug="Ciclosporin", started_on=date(2024, 1, 8), by=coordinator
        )
        services.move_day_zero(course=course, day_zero=date(2024, 1, 12), by=coordinator)
        assert of(course, "mmr-1").hold == "blocked"


class TestPneumococcal:
    def test_without_chronic_gvhd_ppsv23_with_it_a_fourth_pcv(self, course, coordinator, today):
        assert (of(course, "ppsv23").hold, of(course, "pcv-4").hold) == ("", "not_needed")
        assert of(course, "pcv-4").plan_note == "Not needed: no active chronic GVHD."
        episode = services.diagnose_chronic_gvhd(
            course=course, diagnosed_on=date(2024, 11, 1), scores=scores(mouth=2), by=coordinator
        )
        ppsv23, pcv4 = of(course, "ppsv23"), of(course, "pcv-4")
        assert (ppsv23.hold, pcv4.hold) == ("not_needed", "")
        assert ppsv23.plan_note == "Not needed: chronic GVHD active since 1 Nov 2024."
        assert status(ppsv23, today) == schedule.Status.NOT_NEEDED
        assert not course.milestones.overdue(today).filter(pk=ppsv23.pk).exists()
        assert course.milestones.overdue(today).filter(pk=pcv4.pk).exists()
        services.resolve_chronic_gvhd(episode=episode, resolved_on=date(2026, 5, 1), by=coordinator)
        assert (of(course, "ppsv23").hold, of(course, "pcv-4").hold) == ("", "not_needed")

    def test_a_fourth_pcv_follows_the_third_by_eight_weeks(self, course, coordinator, today):
        services.diagnose_chronic_gvhd(
            course=course, diagnosed_on=date(2024, 11, 1), scores=scores(mouth=2), by=coordinator
        )
        services.record_vaccination(
            course=course, vaccine="pcv", dose=3, given_on=date(2024, 12, 20), by=coordinator
        )
        pcv4 = of(course, "pcv-4")
        assert pcv4.due_date == date(2025, 2, 14)  # 20 Dec + 56 days, later than 10 Jan
        assert pcv4.plan_note == "At least 8 weeks after dose 3 given on 20 Dec 2024."


class TestDrugStops:
    def test_letermovir_stops_on_day_100_and_extends_to_day_200(self, course, coordinator):
        stop = of(course, "letermovir-stop")
        assert stop.due_date == date(2024, 4, 19)
        assert stop.plan_note.startswith("Stops on Day +100 (19 Apr 2024)")
        services.extend_letermovir(course=course, extended=True, by=coordinator, reason="R+ GVHD")
        stop = of(course, "letermovir-stop")
        assert stop.due_date == date(2024, 7, 28)
        assert "extended for high CMV risk" in stop.plan_note
        event = CourseEvent.objects.get(kind=EventKind.LETERMOVIR_EXTENDED)
        assert event.data == {"extended": True, "reason": "R+ GVHD"}
        services.extend_letermovir(course=course, extended=True, by=coordinator)
        assert CourseEvent.objects.filter(kind=EventKind.LETERMOVIR_EXTENDED).count() == 1
        services.extend_letermovir(course=course, extended=False, by=coordinator)
        assert of(course, "letermovir-stop").due_date == date(2024, 4, 19)

    def test_pjp_waits_for_engraftment_then_immunosuppression(self, course, coordinator, today):
        stop = of(course, "pjp-stop")
        assert stop.hold == "blocked"
        assert "no engraftment yet" in stop.plan_note
        anc = of(course, "anc")
        anc.complete_from_counts(by=coordinator, on=date(2024, 1, 28))
        services.record_immunosuppression(
            course=course, drug="Tacrolimus", started_on=date(2024, 1, 8), by=coordinator
        )
        stop = of(course, "pjp-stop")
        assert stop.hold == "blocked"
        assert stop.plan_note == "Not yet: Continues while on immunosuppression."
        drug = course.immunosuppression.get()
        services.stop_immunosuppression(entry=drug, stopped_on=date(2024, 9, 1), by=coordinator)
        stop = of(course, "pjp-stop")
        # 6 months after engraftment is 28 Jul 2024; off immunosuppression on 1 Sep 2024.
        assert (stop.hold, stop.due_date) == ("", date(2024, 9, 1))
        assert "6 months after engraftment (28 Jan 2024)" in stop.plan_note


class TestInfluenza:
    def test_one_milestone_a_season_and_a_dose_completes_its_season(
        self, patient, coordinator, today
    ):
        protocol = small_protocol()
        StepFactory(
            protocol=protocol,
            key="flu",
            title="Influenza",
            day=None,
            months=6,
            seasons=3,
            vaccine="influenza",
            dose=1,
            checklist="",
        )
        course = start_course(
            patient=patient, protocol=protocol, day_zero=date(2024, 1, 10), by=coordinator
        )
        flu = list(course.milestones.filter(step__key="flu").order_by("occurrence"))
        # 6 months is 10 Jul 2024, out of season: the season's first day, then yearly.
        assert [m.due_date for m in flu] == [date(2024, 9, 1), date(2025, 9, 1), date(2026, 9, 1)]
        assert [m.title for m in flu] == [
            "Influenza, 2024–25 season",
            "Influenza, 2025–26 season",
            "Influenza, 2026–27 season",
        ]
        # Any day of its season (to 31 March).
        assert flu[0].window_end == date(2025, 3, 31)
        services.record_vaccination(
            course=course, vaccine="influenza", dose=1, given_on=date(2025, 10, 3), by=coordinator
        )
        # The dose completes the season it was given in, whatever its number.
        assert of(course, "flu", 2).completed_on == date(2025, 10, 3)
        assert of(course, "flu", 1).completed_on is None

    def test_a_second_dose_in_one_season_needs_a_reason_and_never_completes_the_next(
        self, patient, coordinator, today
    ):
        protocol = small_protocol()
        StepFactory(
            protocol=protocol,
            key="flu",
            title="Influenza",
            day=None,
            months=6,
            seasons=3,
            vaccine="influenza",
            dose=1,
            checklist="",
        )
        course = start_course(
            patient=patient, protocol=protocol, day_zero=date(2024, 1, 10), by=coordinator
        )
        services.record_vaccination(
            course=course, vaccine="influenza", dose=1, given_on=date(2026, 9, 2), by=coordinator
        )
        with pytest.raises(ValidationError, match="Dose 1 was given this season, on 2 Sep 2026"):
            services.record_vaccination(
                course=course,
                vaccine="influenza",
                dose=2,
                given_on=date(2026, 11, 20),
                by=coordinator,
            )
        services.record_vaccination(
            course=course,
            vaccine="influenza",
            dose=2,
            given_on=date(2026, 11, 20),
            gates_overridden="Two doses: first season after transplant (centre policy)",
            by=coordinator,
        )
        assert of(course, "flu", 3).completed_on == date(2026, 9, 2)
        # Nothing completes a later season early: there is none pending in this one.
        assert course.vaccinations.get(dose=2).milestone is None

    def test_a_dose_given_late_august_counts_for_the_coming_season(
        self, patient, coordinator, today
    ):
        protocol = small_protocol()
        StepFactory(
            protocol=protocol,
            key="flu",
            title="Influenza",
            day=None,
            months=6,
            seasons=3,
            vaccine="influenza",
            dose=1,
            checklist="",
        )
        course = start_course(
            patient=patient, protocol=protocol, day_zero=date(2024, 1, 10), by=coordinator
        )
        services.record_vaccination(
            course=course, vaccine="influenza", dose=1, given_on=date(2025, 8, 20), by=coordinator
        )
        assert of(course, "flu", 2).completed_on == date(2025, 8, 20)


class TestRetiredSteps:
    def test_a_step_that_left_the_library_is_retired_or_removed(
        self, tmp_path, patient, coordinator, today
    ):
        call_command("load_protocols", verbosity=0)
        library = ProtocolStep.objects.filter(protocol__slug="auto-beam")
        kept = library.get(key="pcv-dose-1")
        course = services.start_course(
            patient=patient, protocol=kept.protocol, day_zero=date(2026, 1, 5), by=coordinator
        )
        path = tmp_path / "library.json"
        rows = json.loads(Path("fixtures/protocols.json").read_text())
        gone = {("auto-beam", "pcv-dose-1"), ("auto-melphalan", "year-20-review")}
        rows = [
            row
            for row in rows
            if (row["fields"].get("protocol", [""])[0], row["fields"].get("key")) not in gone
        ]
        path.write_text(json.dumps(rows))
        call_command("load_protocols", str(path), verbosity=0)
        kept.refresh_from_db()
        assert kept.retired  # a course has it: kept, not planned for new courses
        # No course has the other: it is gone.
        assert not ProtocolStep.objects.filter(
            protocol__slug="auto-melphalan", key="year-20-review"
        ).exists()
        second = services.start_course(
            patient=patient, protocol=kept.protocol, day_zero=date(2026, 6, 1), by=coordinator
        )
        assert not second.milestones.filter(step=kept).exists()
        services.move_day_zero(course=course, day_zero=date(2026, 1, 8), by=coordinator)
        assert course.milestones.get(step=kept).due_date == date(2026, 4, 8)
        call_command("load_protocols", verbosity=0)  # back in the library: planned again
        kept.refresh_from_db()
        assert not kept.retired
