"""Immune recovery re-plan, written from CLINICAL.md sections 2 and 5 alone.

Day numbering (section 2): day-based dates are Day Zero + n days; month-based dates are
calendar months clamped at month ends (relativedelta), never 30 days a month.

Live vaccines (section 5, the "2-1-8" gates): at least 24 months since the latest HCT, no active
chronic GVHD, at least 12 months off all immunosuppression, at least 8 months since the last
IVIG; "at least N months since X" passes on X + N calendar months itself. Only time blocking:
the first date all gates pass is known (hold "blocked_until", due on that date); a clinical
event blocking (active chronic GVHD, ongoing immunosuppression): not known (hold "blocked").
PPSV23 only without chronic GVHD, a 4th PCV instead with it. PJP prophylaxis at least 6 months
after engraftment and as long as immunosuppression continues; letermovir to Day +100,
extendable to Day +200; influenza once a season (1 September to 31 March).

Today is pinned to 21 Nov 2026 (conftest).
"""

from datetime import date

import pytest

from tests.factories import StepFactory, small_protocol, start_course
from tracker import services
from tracker.models import Milestone
from tracker.rules.gvhd import NIH_ORGANS
from tracker.rules.schedule import Status
from tracker.services.immunity import replan_immune_recovery

pytestmark = pytest.mark.django_db

# 24 months after 10 Jan 2024 = 10 Jan 2026 (MMR/varicella dose 1);
# 25 months = 10 Feb 2026 (dose 2); 12 months = 10 Jan 2025 (PPSV23 / 4th PCV);
# 6 months = 10 Jul 2024 (Tdap dose 1, PJP stop).
DAY_ZERO = date(2024, 1, 10)
LIVE_DOSE_1 = date(2026, 1, 10)
LIVE_DOSE_2 = date(2026, 2, 10)


def scores(**given):
    return {organ: given.get(organ, 0) for organ in NIH_ORGANS}


@pytest.fixture
def protocol():
    protocol = small_protocol()
    steps = [
        ("tdap-1", 6, {"vaccine": "tdap", "dose": 1}),
        ("ppsv23", 12, {"vaccine": "ppsv23", "dose": 1, "chronic_gvhd": "without"}),
        ("pcv-4", 12, {"vaccine": "pcv", "dose": 4, "chronic_gvhd": "with"}),
        ("mmr-1", 24, {"vaccine": "mmr", "dose": 1}),
        ("mmr-2", 25, {"vaccine": "mmr", "dose": 2}),
        ("var-1", 24, {"vaccine": "varicella", "dose": 1}),
        ("var-2", 25, {"vaccine": "varicella", "dose": 2}),
        ("pjp-stop", 6, {"stop_rule": "pjp"}),
        ("flu", 6, {"vaccine": "influenza", "dose": 1, "seasons": 3}),
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
def make_course(protocol, patient, coordinator, today):
    def make(day_zero=DAY_ZERO):
        return start_course(patient=patient, protocol=protocol, day_zero=day_zero, by=coordinator)

    return make


@pytest.fixture
def course(make_course):
    return make_course()


def of(course, key, occurrence=1):
    return Milestone.objects.get(course=course, step__key=key, occurrence=occurrence)


def plan(course, key):
    milestone = of(course, key)
    return milestone.hold, milestone.due_date


def is_overdue(course, milestone, day):
    return course.milestones.overdue(day).filter(pk=milestone.pk).exists()


class TestLiveVaccineTimeGates:
    @pytest.mark.parametrize("key", ["mmr-1", "var-1"])
    def test_nothing_recorded_due_on_its_24_month_date(self, course, key, today):
        # 10 Jan 2024 + 24 months = 10 Jan 2026; every gate passes that day.
        assert plan(course, key) == ("", LIVE_DOSE_1)

    @pytest.mark.parametrize(
        ("ivig_on", "expected"),
        [
            # 10 May 2025 + 8 months = 10 Jan 2026 = the dose's date: passes that day.
            (date(2025, 5, 10), ("", LIVE_DOSE_1)),
            # One day short: 11 May 2025 + 8 months = 11 Jan 2026.
            (date(2025, 5, 11), ("blocked_until", date(2026, 1, 11))),
        ],
    )
    def test_ivig_exactly_eight_months_vs_one_day_short(
        self, course, coordinator, ivig_on, expected, today
    ):
        services.record_ivig(course=course, given_on=ivig_on, by=coordinator)
        assert plan(course, "mmr-1") == expected

    @pytest.mark.parametrize(
        ("ivig_on", "opens_on"),
        [
            (date(2026, 3, 31), date(2026, 11, 30)),  # 31 Mar + 8 months = 31 Nov -> 30 Nov
            (date(2026, 6, 29), date(2027, 2, 28)),  # 29 Jun + 8 months = 29 Feb 2027 -> 28 Feb
            (date(2026, 8, 31), date(2027, 4, 30)),  # 31 Aug + 8 months = 31 Apr -> 30 Apr
        ],
    )
    def test_ivig_after_the_dose_date_blocks_until_month_end_clamped_date(
        self, course, coordinator, ivig_on, opens_on, today
    ):
        # The IVIG is later than the dose's date (10 Jan 2026): judged on the IVIG's date.
        services.record_ivig(course=course, given_on=ivig_on, by=coordinator)
        assert plan(course, "mmr-1") == ("blocked_until", opens_on)

    @pytest.mark.parametrize(
        ("ivig_on", "opens_on"),
        [
            # 30 Jun 2023 + 8 months = 30 Feb 2024 -> 29 Feb 2024 (leap year).
            (date(2023, 6, 30), date(2024, 2, 29)),
            # 1 Jul 2023 + 8 months = 1 Mar 2024.
            (date(2023, 7, 1), date(2024, 3, 1)),
        ],
    )
    def test_ivig_gate_ending_on_a_leap_day(
        self, make_course, coordinator, ivig_on, opens_on, today
    ):
        # Day Zero 10 Jan 2022 + 24 months = 10 Jan 2024, before the IVIG gate opens.
        course = make_course(date(2022, 1, 10))
        services.record_ivig(course=course, given_on=ivig_on, by=coordinator)
        assert plan(course, "mmr-1") == ("blocked_until", opens_on)

    @pytest.mark.parametrize(
        ("ivig_on", "expected"),
        [
            # Dose date: 29 Feb 2024 + 24 months = 28 Feb 2026 (clamped).
            # 30 Jun 2025 + 8 months = 30 Feb 2026 -> 28 Feb 2026: passes on the dose's date.
            (date(2025, 6, 30), ("", date(2026, 2, 28))),
            # 1 Jul 2025 + 8 months = 1 Mar 2026: one day after the dose's date.
            (date(2025, 7, 1), ("blocked_until", date(2026, 3, 1))),
        ],
    )
    def test_ivig_against_a_month_end_dose_date(
        self, make_course, coordinator, ivig_on, expected, today
    ):
        course = make_course(date(2024, 2, 29))
        services.record_ivig(course=course, given_on=ivig_on, by=coordinator)
        assert plan(course, "mmr-1") == expected

    def test_several_ivig_doses_the_last_counts(self, course, coordinator, today):
        services.record_ivig(course=course, given_on=date(2025, 12, 1), by=coordinator)
        last = services.record_ivig(course=course, given_on=date(2026, 5, 20), by=coordinator)
        # Recorded out of order: the last by date is still 20 May 2026.
        services.record_ivig(course=course, given_on=date(2026, 2, 10), by=coordinator)
        # 20 May 2026 + 8 months = 20 Jan 2027.
        assert plan(course, "mmr-1") == ("blocked_until", date(2027, 1, 20))
        services.delete_ivig(ivig=last, by=coordinator)
        # Now the last is 10 Feb 2026: + 8 months = 10 Oct 2026.
        assert plan(course, "mmr-1") == ("blocked_until", date(2026, 10, 10))

    def test_deleting_every_ivig_returns_the_dose_to_its_own_date(self, course, coordinator, today):
        first = services.record_ivig(course=course, given_on=date(2025, 12, 1), by=coordinator)
        second = services.record_ivig(course=course, given_on=date(2026, 2, 10), by=coordinator)
        services.delete_ivig(ivig=second, by=coordinator)
        services.delete_ivig(ivig=first, by=coordinator)
        assert plan(course, "mmr-1") == ("", LIVE_DOSE_1)

    def test_time_blocked_dose_is_blocked_then_due_on_its_date_and_never_overdue_before(
        self, course, coordinator, today
    ):
        # IVIG on 2 Apr 2026, after the dose's date: + 8 months = 2 Dec 2026.
        services.record_ivig(course=course, given_on=date(2026, 4, 2), by=coordinator)
        mmr = of(course, "mmr-1")
        assert (mmr.hold, mmr.due_date) == ("blocked_until", date(2026, 12, 2))
        assert mmr.status_on(today) == Status.BLOCKED
        assert mmr.status_on(date(2026, 12, 1)) == Status.BLOCKED
        assert mmr.status_on(date(2026, 12, 2)) == Status.DUE
        assert not is_overdue(course, mmr, today)

    @pytest.mark.parametrize(
        ("stopped_on", "expected"),
        [
            # First day off 10 Jan 2025 + 12 months = 10 Jan 2026 = the dose's date.
            (date(2025, 1, 10), ("", LIVE_DOSE_1)),
            # One day short: 11 Jan 2025 + 12 months = 11 Jan 2026.
            (date(2025, 1, 11), ("blocked_until", date(2026, 1, 11))),
        ],
    )
    def test_off_immunosuppression_exactly_twelve_months_vs_one_day_short(
        self, course, coordinator, stopped_on, expected, today
    ):
        services.record_immunosuppression(
            course=course,
            drug="Tacrolimus",
            started_on=date(2024, 1, 8),
            stopped_on=stopped_on,
            by=coordinator,
        )
        assert plan(course, "mmr-1") == expected

    @pytest.mark.parametrize(
        ("stopped_on", "opens_on", "status_today"),
        [
            # Stopped 12 months before today: 21 Nov 2025 + 12 months = 21 Nov 2026 = today.
            (date(2025, 11, 21), date(2026, 11, 21), Status.DUE),
            # Stopped 11 months before today: 21 Dec 2025 + 12 months = 21 Dec 2026.
            (date(2025, 12, 21), date(2026, 12, 21), Status.BLOCKED),
        ],
    )
    def test_immunosuppression_stopped_twelve_vs_eleven_months_ago(
        self, course, coordinator, stopped_on, opens_on, status_today, today
    ):
        drug = services.record_immunosuppression(
            course=course, drug="Tacrolimus", started_on=date(2024, 1, 8), by=coordinator
        )
        services.stop_immunosuppression(entry=drug, stopped_on=stopped_on, by=coordinator)
        mmr = of(course, "mmr-1")
        assert (mmr.hold, mmr.due_date) == ("blocked_until", opens_on)
        assert mmr.status_on(today) == status_today

    def test_immunosuppression_stopped_on_a_leap_day(self, make_course, coordinator, today):
        # Day Zero 15 Jun 2022: dose 1 on 15 Jun 2024 (24 months).
        course = make_course(date(2022, 6, 15))
        services.record_immunosuppression(
            course=course,
            drug="Ciclosporin",
            started_on=date(2022, 6, 14),
            stopped_on=date(2024, 2, 29),
            by=coordinator,
        )
        # 29 Feb 2024 + 12 months = 29 Feb 2025 -> 28 Feb 2025.
        assert plan(course, "mmr-1") == ("blocked_until", date(2025, 2, 28))

    @pytest.mark.parametrize(
        ("first", "second", "opens_on"),
        [
            # Overlapping: off all drugs from 15 Dec 2025; + 12 months = 15 Dec 2026.
            (
                (date(2024, 1, 8), date(2025, 6, 1)),
                (date(2025, 3, 1), date(2025, 12, 15)),
                date(2026, 12, 15),
            ),
            # The second inside the first: still off all only from 15 Dec 2025.
            (
                (date(2024, 1, 8), date(2025, 12, 15)),
                (date(2025, 3, 1), date(2025, 6, 1)),
                date(2026, 12, 15),
            ),
            # Apart: the later stop (1 Apr 2025) counts; + 12 months = 1 Apr 2026.
            (
                (date(2024, 1, 8), date(2024, 9, 1)),
                (date(2025, 3, 1), date(2025, 4, 1)),
                date(2026, 4, 1),
            ),
        ],
    )
    def test_two_drug_periods_count_from_the_last_day_on_any_drug(
        self, course, coordinator, first, second, opens_on, today
    ):
        for drug, (started_on, stopped_on) in zip(
            ["Tacrolimus", "Sirolimus"], [first, second], strict=True
        ):
            services.record_immunosuppression(
                course=course,
                drug=drug,
                started_on=started_on,
                stopped_on=stopped_on,
                by=coordinator,
            )
        assert plan(course, "mmr-1") == ("blocked_until", opens_on)

    def test_drug_started_and_stopped_after_the_dose_date(self, course, coordinator, today):
        # On a drug 1 Mar - 1 May 2026, after the dose's date (10 Jan 2026):
        # judged on 1 May 2026; 1 May 2026 + 12 months = 1 May 2027.
        services.record_immunosuppression(
            course=course,
            drug="Tacrolimus",
            started_on=date(2026, 3, 1),
            stopped_on=date(2026, 5, 1),
            by=coordinator,
        )
        assert plan(course, "mmr-1") == ("blocked_until", date(2027, 5, 1))

    def test_a_live_step_planned_before_24_months_waits_for_24_months(
        self, patient, coordinator, today
    ):
        protocol = small_protocol()
        StepFactory(
            protocol=protocol,
            key="mmr-early",
            title="mmr-early",
            day=None,
            months=20,
            vaccine="mmr",
            dose=1,
            checklist="",
        )
        course = start_course(patient=patient, protocol=protocol, day_zero=DAY_ZERO, by=coordinator)
        # Own date 10 Jan 2024 + 20 months = 10 Sep 2025; the 24-month gate opens on
        # 10 Jan 2024 + 24 months = 10 Jan 2026.
        assert plan(course, "mmr-early") == ("blocked_until", date(2026, 1, 10))


class TestLaterTransplant:
    @pytest.mark.parametrize(
        ("second_day_zero", "dose_1", "dose_2"),
        [
            # 29 Feb 2024 + 24 months = 28 Feb 2026 (clamped); dose 2: + 28 days = 28 Mar 2026.
            (date(2024, 2, 29), date(2026, 2, 28), date(2026, 3, 28)),
            # After the first course's dose date (28 Feb 2025):
            # 31 Aug 2025 + 24 months = 31 Aug 2027; dose 2: + 28 days = 28 Sep 2027.
            (date(2025, 8, 31), date(2027, 8, 31), date(2027, 9, 28)),
        ],
    )
    def test_a_later_transplant_restarts_the_24_months(
        self, make_course, coordinator, second_day_zero, dose_1, dose_2, today
    ):
        # First course: 28 Feb 2023 + 24 months = 28 Feb 2025; + 25 months = 28 Mar 2025.
        first = make_course(date(2023, 2, 28))
        assert plan(first, "mmr-1") == ("", date(2025, 2, 28))
        make_course(second_day_zero)
        replan_immune_recovery(first, by=coordinator, why="test")
        assert plan(first, "mmr-1") == ("blocked_until", dose_1)
        # A deferred dose 1 defers dose 2 by at least 4 weeks; the gates pass by then.
        assert plan(first, "mmr-2") == ("", dose_2)

    def test_the_later_transplant_plans_its_own_dose_on_its_clamped_date(
        self, make_course, coordinator, today
    ):
        make_course(date(2023, 2, 28))
        second = make_course(date(2024, 2, 29))
        # 29 Feb 2024 + 24 months = 28 Feb 2026; the 24-month gate passes that very day.
        assert plan(second, "mmr-1") == ("", date(2026, 2, 28))


class TestLiveVaccineClinicalBlocks:
    def test_ongoing_immunosuppression_blocks_without_a_date_then_stopping_gives_one(
        self, course, coordinator, today
    ):
        drug = services.record_immunosuppression(
            course=course, drug="Tacrolimus", started_on=date(2024, 1, 8), by=coordinator
        )
        mmr = of(course, "mmr-1")
        assert (mmr.hold, mmr.due_date) == ("blocked", LIVE_DOSE_1)
        assert mmr.plan_note.startswith("Blocked: ")
        assert mmr.status_on(today) == Status.BLOCKED
        assert not is_overdue(course, mmr, today)
        services.stop_immunosuppression(entry=drug, stopped_on=date(2026, 3, 15), by=coordinator)
        # 15 Mar 2026 + 12 months = 15 Mar 2027.
        assert plan(course, "mmr-1") == ("blocked_until", date(2027, 3, 15))

    def test_one_drug_stopped_and_one_ongoing_still_blocks(self, course, coordinator, today):
        services.record_immunosuppression(
            course=course,
            drug="Tacrolimus",
            started_on=date(2024, 1, 8),
            stopped_on=date(2024, 9, 1),
            by=coordinator,
        )
        services.record_immunosuppression(
            course=course, drug="Ruxolitinib", started_on=date(2025, 2, 1), by=coordinator
        )
        assert plan(course, "mmr-1") == ("blocked", LIVE_DOSE_1)

    def test_drug_started_after_the_dose_date_and_ongoing_blocks(self, course, coordinator, today):
        # Judged on 1 Mar 2026 (the record is later than the dose's date): on a drug.
        services.record_immunosuppression(
            course=course, drug="Tacrolimus", started_on=date(2026, 3, 1), by=coordinator
        )
        assert plan(course, "mmr-1") == ("blocked", LIVE_DOSE_1)

    @pytest.mark.parametrize("diagnosed_on", [date(2025, 6, 1), date(2026, 4, 1)])
    def test_active_chronic_gvhd_blocks_both_doses(self, course, coordinator, diagnosed_on, today):
        # Before the dose's date, or after it (judged on the diagnosis date): still active.
        services.diagnose_chronic_gvhd(
            course=course, diagnosed_on=diagnosed_on, scores=scores(skin=1), by=coordinator
        )
        first, second = of(course, "mmr-1"), of(course, "mmr-2")
        assert (first.hold, first.due_date) == ("blocked", LIVE_DOSE_1)
        assert first.plan_note.startswith("Blocked: ")
        assert second.hold == "blocked"  # dose 1 blocked: dose 2 blocked too
        assert first.status_on(today) == Status.BLOCKED
        assert not is_overdue(course, first, today)
        assert not is_overdue(course, second, today)

    @pytest.mark.parametrize(
        "resolved_on",
        [
            date(2026, 1, 10),  # on the dose's date: not active that day
            date(2026, 8, 1),  # after it: judged on 1 Aug 2026, not active then
        ],
    )
    def test_resolved_chronic_gvhd_no_longer_blocks(self, course, coordinator, resolved_on, today):
        episode = services.diagnose_chronic_gvhd(
            course=course, diagnosed_on=date(2025, 6, 1), scores=scores(skin=1), by=coordinator
        )
        services.resolve_chronic_gvhd(episode=episode, resolved_on=resolved_on, by=coordinator)
        assert plan(course, "mmr-1") == ("", LIVE_DOSE_1)

    def test_resolved_chronic_gvhd_leaves_the_ivig_time_block(self, course, coordinator, today):
        episode = services.diagnose_chronic_gvhd(
            course=course, diagnosed_on=date(2025, 6, 1), scores=scores(skin=1), by=coordinator
        )
        services.record_ivig(course=course, given_on=date(2026, 3, 31), by=coordinator)
        services.resolve_chronic_gvhd(episode=episode, resolved_on=date(2026, 5, 1), by=coordinator)
        # 31 Mar 2026 + 8 months = 31 Nov -> 30 Nov 2026.
        assert plan(course, "mmr-1") == ("blocked_until", date(2026, 11, 30))

    def test_a_clinical_block_with_a_time_block_has_no_known_date(self, course, coordinator, today):
        services.record_ivig(course=course, given_on=date(2026, 3, 31), by=coordinator)
        services.diagnose_chronic_gvhd(
            course=course, diagnosed_on=date(2025, 6, 1), scores=scores(skin=1), by=coordinator
        )
        # Active chronic GVHD: the opening date is not known, the dose keeps its own date.
        mmr = of(course, "mmr-1")
        assert (mmr.hold, mmr.due_date) == ("blocked", LIVE_DOSE_1)
        assert mmr.plan_note.startswith("Blocked: ")

    def test_inactivated_vaccines_ignore_the_live_vaccine_gates(self, course, coordinator, today):
        services.record_ivig(course=course, given_on=date(2024, 6, 1), by=coordinator)
        services.record_immunosuppression(
            course=course, drug="Tacrolimus", started_on=date(2024, 1, 8), by=coordinator
        )
        services.diagnose_chronic_gvhd(
            course=course, diagnosed_on=date(2024, 5, 1), scores=scores(skin=1), by=coordinator
        )
        # Tdap dose 1: 10 Jan 2024 + 6 months = 10 Jul 2024, not gated.
        assert plan(course, "tdap-1") == ("", date(2024, 7, 10))


class TestLiveSecondDoses:
    @pytest.mark.parametrize("vaccine", ["mmr", "var"])
    def test_dose_two_after_a_blocked_dose_one_is_blocked(
        self, course, coordinator, vaccine, today
    ):
        services.record_immunosuppression(
            course=course, drug="Tacrolimus", started_on=date(2024, 1, 8), by=coordinator
        )
        assert of(course, f"{vaccine}-1").hold == "blocked"
        second = of(course, f"{vaccine}-2")
        assert second.hold == "blocked"
        assert second.status_on(today) == Status.BLOCKED

    @pytest.mark.parametrize("vaccine", ["mmr", "var"])
    def test_deferred_dose_one_defers_dose_two_by_four_weeks(
        self, course, coordinator, vaccine, today
    ):
        # 31 May 2026 + 8 months = 31 Jan 2027; dose 2: 31 Jan 2027 + 28 days = 28 Feb 2027
        # (adult: 4 weeks for varicella too).
        services.record_ivig(course=course, given_on=date(2026, 5, 31), by=coordinator)
        assert plan(course, f"{vaccine}-1") == ("blocked_until", date(2027, 1, 31))
        assert plan(course, f"{vaccine}-2") == ("", date(2027, 2, 28))

    @pytest.mark.parametrize(
        ("ivig_on", "dose_1", "dose_2"),
        [
            # 12 May 2025 + 8 months = 12 Jan 2026; + 28 days = 9 Feb 2026, before its own
            # date 10 Feb 2026: dose 2 stays on 10 Feb 2026.
            (date(2025, 5, 12), date(2026, 1, 12), date(2026, 2, 10)),
            # 14 May 2025 + 8 months = 14 Jan 2026; + 28 days = 11 Feb 2026, after 10 Feb.
            (date(2025, 5, 14), date(2026, 1, 14), date(2026, 2, 11)),
        ],
    )
    def test_dose_two_is_the_later_of_its_own_date_and_four_weeks_after_dose_one(
        self, course, coordinator, ivig_on, dose_1, dose_2, today
    ):
        services.record_ivig(course=course, given_on=ivig_on, by=coordinator)
        assert plan(course, "mmr-1") == ("blocked_until", dose_1)
        assert plan(course, "mmr-2") == ("", dose_2)

    def test_dose_two_follows_the_dose_one_actually_given(self, course, coordinator, today):
        services.record_vaccination(
            course=course, vaccine="mmr", dose=1, given_on=date(2026, 3, 1), by=coordinator
        )
        # 1 Mar 2026 + 28 days = 29 Mar 2026, later than its own 10 Feb 2026.
        assert plan(course, "mmr-2") == ("", date(2026, 3, 29))


class TestPneumococcal:
    @pytest.mark.parametrize(
        ("diagnosed_on", "resolved_on", "ppsv23_hold", "pcv4_hold"),
        [
            (None, None, "", "not_needed"),  # no chronic GVHD: PPSV23
            (date(2024, 11, 1), None, "not_needed", ""),  # active on 10 Jan 2025: 4th PCV
            # Diagnosed after the 12-month date: judged on 1 Jun 2025, active.
            (date(2025, 6, 1), None, "not_needed", ""),
            # Resolved before 10 Jan 2025.
            (date(2024, 6, 1), date(2024, 12, 1), "", "not_needed"),
            # Resolved on 10 Jan 2025: active until, not on, that day.
            (date(2024, 6, 1), date(2025, 1, 10), "", "not_needed"),
            # Resolved after the date: judged on 1 May 2025, not active then.
            (date(2024, 6, 1), date(2025, 5, 1), "", "not_needed"),
        ],
    )
    def test_ppsv23_or_a_fourth_pcv_by_chronic_gvhd(
        self, course, coordinator, diagnosed_on, resolved_on, ppsv23_hold, pcv4_hold, today
    ):
        if diagnosed_on:
            episode = services.diagnose_chronic_gvhd(
                course=course, diagnosed_on=diagnosed_on, scores=scores(mouth=2), by=coordinator
            )
            if resolved_on:
                services.resolve_chronic_gvhd(
                    episode=episode, resolved_on=resolved_on, by=coordinator
                )
        # 10 Jan 2024 + 12 months = 10 Jan 2025 for both.
        assert plan(course, "ppsv23") == (ppsv23_hold, date(2025, 1, 10))
        assert plan(course, "pcv-4") == (pcv4_hold, date(2025, 1, 10))

    def test_twelve_months_from_a_leap_day(self, make_course, today):
        course = make_course(date(2024, 2, 29))
        # 29 Feb 2024 + 12 months = 29 Feb 2025 -> 28 Feb 2025.
        assert plan(course, "ppsv23") == ("", date(2025, 2, 28))

    def test_not_needed_is_never_overdue_but_the_needed_one_is(self, course, coordinator, today):
        services.diagnose_chronic_gvhd(
            course=course, diagnosed_on=date(2024, 11, 1), scores=scores(mouth=2), by=coordinator
        )
        ppsv23, pcv4 = of(course, "ppsv23"), of(course, "pcv-4")
        assert ppsv23.status_on(today) == Status.NOT_NEEDED
        assert not is_overdue(course, ppsv23, today)
        # The 4th PCV was due 10 Jan 2025 (no window after): overdue on 21 Nov 2026.
        assert pcv4.status_on(today) == Status.OVERDUE
        assert is_overdue(course, pcv4, today)


class TestPjpStop:
    def test_blocked_until_engraftment_is_recorded(self, course, coordinator, today):
        replan_immune_recovery(course, by=coordinator, why="test")
        stop = of(course, "pjp-stop")
        assert stop.hold == "blocked"
        assert stop.status_on(today) == Status.BLOCKED
        assert not is_overdue(course, stop, today)

    @pytest.mark.parametrize(
        ("stopped_on", "expected"),
        [
            # No drug: 28 Jan 2024 + 6 months = 28 Jul 2024.
            ("none", ("", date(2024, 7, 28))),
            # Off the drug on the 6-month date itself: 28 Jul 2024.
            (date(2024, 7, 28), ("", date(2024, 7, 28))),
            # Off one day later: the later of 28 Jul and 29 Jul 2024.
            (date(2024, 7, 29), ("", date(2024, 7, 29))),
            # Off long after: 15 Mar 2025.
            (date(2025, 3, 15), ("", date(2025, 3, 15))),
        ],
    )
    def test_later_of_six_months_after_engraftment_and_the_last_stop(
        self, course, coordinator, stopped_on, expected, today
    ):
        of(course, "anc").complete_from_counts(by=coordinator, on=date(2024, 1, 28))
        if stopped_on == "none":
            replan_immune_recovery(course, by=coordinator, why="test")
        else:
            services.record_immunosuppression(
                course=course,
                drug="Tacrolimus",
                started_on=date(2024, 1, 8),
                stopped_on=stopped_on,
                by=coordinator,
            )
        assert plan(course, "pjp-stop") == expected

    def test_blocked_while_immunosuppression_continues(self, course, coordinator, today):
        of(course, "anc").complete_from_counts(by=coordinator, on=date(2024, 1, 28))
        services.record_immunosuppression(
            course=course, drug="Tacrolimus", started_on=date(2024, 1, 8), by=coordinator
        )
        stop = of(course, "pjp-stop")
        assert stop.hold == "blocked"
        assert not is_overdue(course, stop, today)

    @pytest.mark.parametrize(
        ("day_zero", "engrafted_on", "stops_on"),
        [
            # 31 Aug 2024 + 6 months = 31 Feb 2025 -> 28 Feb 2025.
            (date(2024, 8, 12), date(2024, 8, 31), date(2025, 2, 28)),
            # 31 Aug 2023 + 6 months = 31 Feb 2024 -> 29 Feb 2024 (leap year).
            (date(2023, 8, 10), date(2023, 8, 31), date(2024, 2, 29)),
        ],
    )
    def test_six_months_after_engraftment_clamps_at_month_end(
        self, make_course, coordinator, day_zero, engrafted_on, stops_on, today
    ):
        course = make_course(day_zero)
        of(course, "anc").complete_from_counts(by=coordinator, on=engrafted_on)
        replan_immune_recovery(course, by=coordinator, why="test")
        assert plan(course, "pjp-stop") == ("", stops_on)

    def test_two_drugs_the_last_one_off_counts(self, course, coordinator, today):
        of(course, "anc").complete_from_counts(by=coordinator, on=date(2024, 1, 28))
        services.record_immunosuppression(
            course=course,
            drug="Tacrolimus",
            started_on=date(2024, 1, 8),
            stopped_on=date(2024, 6, 1),
            by=coordinator,
        )
        second = services.record_immunosuppression(
            course=course, drug="Prednisolone", started_on=date(2024, 5, 1), by=coordinator
        )
        assert of(course, "pjp-stop").hold == "blocked"  # one drug still ongoing
        services.stop_immunosuppression(entry=second, stopped_on=date(2024, 10, 5), by=coordinator)
        # Later of 28 Jul 2024 (engraftment + 6 months) and 5 Oct 2024 (last stop).
        assert plan(course, "pjp-stop") == ("", date(2024, 10, 5))

    def test_a_drug_restarted_later_blocks_again(self, course, coordinator, today):
        of(course, "anc").complete_from_counts(by=coordinator, on=date(2024, 1, 28))
        services.record_immunosuppression(
            course=course,
            drug="Tacrolimus",
            started_on=date(2024, 1, 8),
            stopped_on=date(2024, 9, 1),
            by=coordinator,
        )
        assert plan(course, "pjp-stop") == ("", date(2024, 9, 1))
        services.record_immunosuppression(
            course=course, drug="Ruxolitinib", started_on=date(2025, 1, 5), by=coordinator
        )
        assert of(course, "pjp-stop").hold == "blocked"


class TestLetermovirStop:
    @pytest.mark.parametrize(
        ("day_zero", "day_100", "day_200"),
        [
            # 20 Nov 2025 + 100 days: 10 to 30 Nov, 41 to 31 Dec, 72 to 31 Jan, 100 on 28 Feb
            # 2026; + 100 more: 31 to 31 Mar, 61 to 30 Apr, 92 to 31 May, 100 on 8 Jun 2026.
            (date(2025, 11, 20), date(2026, 2, 28), date(2026, 6, 8)),
            # 1 Dec 2023 + 100 days (29 Feb 2024 counts): 30 to 31 Dec, 61 to 31 Jan,
            # 90 to 29 Feb, 100 on 10 Mar 2024; + 100 more: 21 to 31 Mar, 51 to 30 Apr,
            # 82 to 31 May, 100 on 18 Jun 2024.
            (date(2023, 12, 1), date(2024, 3, 10), date(2024, 6, 18)),
        ],
    )
    def test_day_100_and_day_200_when_extended(
        self, make_course, coordinator, day_zero, day_100, day_200, today
    ):
        course = make_course(day_zero)
        assert of(course, "letermovir-stop").due_date == day_100
        services.extend_letermovir(course=course, extended=True, by=coordinator)
        assert of(course, "letermovir-stop").due_date == day_200
        services.extend_letermovir(course=course, extended=False, by=coordinator)
        assert of(course, "letermovir-stop").due_date == day_100


class TestInfluenza:
    @pytest.mark.parametrize(
        ("day_zero", "due_dates"),
        [
            # 15 Apr 2024 + 6 months = 15 Oct 2024, in season; then each 1 September.
            (date(2024, 4, 15), [date(2024, 10, 15), date(2025, 9, 1), date(2026, 9, 1)]),
            # 30 Sep 2023 + 6 months = 30 Mar 2024, in the 2023-24 season (to 31 March);
            # the next season starts 1 Sep 2024.
            (date(2023, 9, 30), [date(2024, 3, 30), date(2024, 9, 1), date(2025, 9, 1)]),
            # 1 Oct 2023 + 6 months = 1 Apr 2024, out of season: the next 1 September.
            (date(2023, 10, 1), [date(2024, 9, 1), date(2025, 9, 1), date(2026, 9, 1)]),
            # 1 Mar 2024 + 6 months = 1 Sep 2024, the season's first day.
            (date(2024, 3, 1), [date(2024, 9, 1), date(2025, 9, 1), date(2026, 9, 1)]),
            # 31 Aug 2023 + 6 months = 31 Feb 2024 -> 29 Feb 2024 (leap), in season.
            (date(2023, 8, 31), [date(2024, 2, 29), date(2024, 9, 1), date(2025, 9, 1)]),
        ],
    )
    def test_one_milestone_a_season(self, make_course, day_zero, due_dates, today):
        course = make_course(day_zero)
        flu = course.milestones.filter(step__key="flu").order_by("occurrence")
        assert [m.due_date for m in flu] == due_dates

    def test_a_dose_completes_its_own_season_only(self, course, coordinator, today):
        # Day Zero 10 Jan 2024: 10 Jul 2024 is out of season -> 1 Sep 2024, 2025, 2026.
        services.record_vaccination(
            course=course, vaccine="influenza", dose=2, given_on=date(2025, 10, 3), by=coordinator
        )
        assert of(course, "flu", 2).completed_on == date(2025, 10, 3)
        assert of(course, "flu", 1).completed_on is None
        assert of(course, "flu", 3).completed_on is None
        assert of(course, "flu", 3).due_date == date(2026, 9, 1)
