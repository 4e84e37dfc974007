"""Unit tests for tracker.schedule: day numbers, phases, statuses, planning and re-planning.

schedule.py is pure Python (no Django), so these tests need no database. Every expected date
below was worked out by hand from a calendar (CLINICAL.md sections 2 and 4: Day 0 is the
infusion day, no "Day −0" and no gap; day steps are `day_zero + n days`; month steps are
calendar months with month-end clamping, never 30-day months).
"""

from dataclasses import FrozenInstanceError
from datetime import date, timedelta
from types import SimpleNamespace

import pytest

from tracker.rules.schedule import (
    MINUS_SIGN,
    Day100State,
    ExistingMilestone,
    MilestoneChange,
    Phase,
    PhaseSpan,
    PlannedMilestone,
    Replan,
    Status,
    StepRule,
    add_months,
    current_course,
    current_phase,
    date_of_day,
    day_100_state,
    day_label,
    day_number,
    phase_band,
    phase_of,
    plan,
    replan,
    split_for_patient,
    status_of,
    window_label,
)

U2212 = "\u2212"  # the typographic minus sign, spelled out independently of MINUS_SIGN


# --------------------------------------------------------------------------------------------
# day_number
# --------------------------------------------------------------------------------------------


class TestDayNumber:
    def test_day_zero_itself_is_zero(self):
        assert day_number(date(2024, 3, 10), date(2024, 3, 10)) == 0

    def test_day_before_day_zero_is_minus_one(self):
        assert day_number(date(2024, 3, 9), date(2024, 3, 10)) == -1

    def test_day_after_day_zero_is_plus_one(self):
        assert day_number(date(2024, 3, 11), date(2024, 3, 10)) == 1

    @pytest.mark.parametrize(
        ("day", "day_zero", "expected"),
        [
            pytest.param(date(2025, 1, 1), date(2024, 12, 31), 1, id="1-jan-after-31-dec-is-+1"),
            pytest.param(date(2024, 12, 31), date(2025, 1, 1), -1, id="31-dec-before-1-jan-is--1"),
            pytest.param(date(2025, 1, 3), date(2024, 12, 28), 6, id="28-dec-to-3-jan-is-+6"),
            pytest.param(date(2024, 3, 1), date(2024, 2, 28), 2, id="leap-28-feb-to-1-mar-is-2"),
            pytest.param(date(2025, 3, 1), date(2025, 2, 28), 1, id="common-28-feb-to-1-mar-is-1"),
            pytest.param(date(2024, 2, 28), date(2024, 3, 1), -2, id="leap-backwards-is--2"),
            pytest.param(date(2024, 2, 29), date(2024, 2, 28), 1, id="leap-day-itself-is-+1"),
        ],
    )
    def test_across_year_end_and_leap_day(self, day, day_zero, expected):
        assert day_number(day, day_zero) == expected

    @pytest.mark.parametrize(
        ("day", "day_zero", "expected"),
        [
            pytest.param(date(2023, 1, 1), date(2024, 1, 1), -365, id="one-common-year-back"),
            pytest.param(date(2023, 1, 1), date(2024, 12, 31), -730, id="two-years-incl-leap"),
            pytest.param(date(2020, 1, 1), date(2024, 1, 1), -1461, id="four-years-back"),
            pytest.param(date(2024, 3, 10), date(2024, 3, 20), -10, id="conditioning-day--10"),
        ],
    )
    def test_large_negatives(self, day, day_zero, expected):
        assert day_number(day, day_zero) == expected

    @pytest.mark.parametrize(
        ("day", "day_zero", "expected"),
        [
            pytest.param(date(2025, 1, 1), date(2024, 1, 1), 366, id="leap-year-is-366"),
            pytest.param(date(2024, 4, 10), date(2024, 1, 1), 100, id="day-100"),
        ],
    )
    def test_large_positives(self, day, day_zero, expected):
        assert day_number(day, day_zero) == expected


# --------------------------------------------------------------------------------------------
# day_label
# --------------------------------------------------------------------------------------------


class TestWindowLabel:
    def test_from_the_first_to_the_last_day_of_the_window(self):
        day_zero = date(2026, 3, 3)
        label = window_label(date(2026, 5, 27), date(2026, 6, 26), day_zero)
        assert label == "Day +85 to Day +115"
        assert (
            window_label(date(2026, 3, 1), date(2026, 3, 3), day_zero) == f"Day {U2212}2 to Day 0"
        )

    def test_a_one_day_window_has_no_label(self):
        assert window_label(date(2026, 3, 3), date(2026, 3, 3), date(2026, 3, 3)) == ""


class TestDayLabel:
    def test_day_zero_is_plain_day_0(self):
        assert day_label(0) == "Day 0"

    def test_minus_zero_is_never_shown(self):
        label = day_label(-0)
        assert label == "Day 0"
        assert "\u22120" not in label
        assert "-0" not in label
        assert "+0" not in label

    @pytest.mark.parametrize(
        ("n", "expected"),
        [
            pytest.param(-1, "Day \u22121", id="minus-1"),
            pytest.param(-3, "Day \u22123", id="minus-3"),
            pytest.param(-10, "Day \u221210", id="minus-10"),
            pytest.param(-365, "Day \u2212365", id="minus-365"),
        ],
    )
    def test_negative_uses_unicode_minus_sign(self, n, expected):
        label = day_label(n)
        assert label == expected
        assert label[4] == U2212
        assert ord(label[4]) == 0x2212
        assert "-" not in label, "a hyphen-minus must never be used for negative days"

    def test_minus_sign_constant_is_u2212(self):
        assert MINUS_SIGN == U2212
        assert len(MINUS_SIGN) == 1
        assert ord(MINUS_SIGN) == 0x2212

    @pytest.mark.parametrize(
        ("n", "expected"),
        [
            pytest.param(1, "Day +1", id="plus-1"),
            pytest.param(14, "Day +14", id="plus-14"),
            pytest.param(100, "Day +100", id="plus-100"),
            pytest.param(730, "Day +730", id="plus-730"),
        ],
    )
    def test_positive_always_has_plus(self, n, expected):
        assert day_label(n) == expected


# --------------------------------------------------------------------------------------------
# date_of_day and add_months
# --------------------------------------------------------------------------------------------


class TestDateOfDay:
    @pytest.mark.parametrize(
        ("day_zero", "n", "expected"),
        [
            pytest.param(date(2024, 3, 10), 0, date(2024, 3, 10), id="day-0"),
            pytest.param(date(2024, 3, 10), -1, date(2024, 3, 9), id="day--1"),
            pytest.param(date(2024, 3, 10), 1, date(2024, 3, 11), id="day-+1"),
            pytest.param(date(2024, 12, 28), 5, date(2025, 1, 2), id="across-year-end"),
            pytest.param(date(2024, 1, 1), -7, date(2023, 12, 25), id="negative-across-year"),
            pytest.param(date(2024, 2, 28), 1, date(2024, 2, 29), id="leap-day"),
            pytest.param(date(2025, 2, 28), 1, date(2025, 3, 1), id="no-leap-day"),
            pytest.param(date(2024, 1, 1), 100, date(2024, 4, 10), id="day-+100"),
            pytest.param(date(2024, 1, 1), 365, date(2024, 12, 31), id="day-+365-leap-year"),
        ],
    )
    def test_date_of_day(self, day_zero, n, expected):
        assert date_of_day(day_zero, n) == expected


class TestAddMonths:
    @pytest.mark.parametrize(
        ("day_zero", "months", "expected"),
        [
            pytest.param(date(2024, 1, 31), 1, date(2024, 2, 29), id="31-jan+1-leap-is-29-feb"),
            pytest.param(date(2025, 1, 31), 1, date(2025, 2, 28), id="31-jan+1-common-is-28-feb"),
            pytest.param(date(2024, 3, 31), 1, date(2024, 4, 30), id="31-mar+1-is-30-apr"),
            pytest.param(date(2024, 2, 29), 12, date(2025, 2, 28), id="29-feb+12-is-28-feb"),
            pytest.param(date(2024, 2, 29), 24, date(2026, 2, 28), id="29-feb+24-is-28-feb"),
            pytest.param(date(2024, 2, 29), 48, date(2028, 2, 29), id="29-feb+48-is-29-feb"),
            pytest.param(date(2024, 11, 30), 3, date(2025, 2, 28), id="30-nov+3-across-year"),
            pytest.param(date(2023, 11, 30), 3, date(2024, 2, 29), id="30-nov+3-into-leap-feb"),
            pytest.param(date(2024, 12, 15), 1, date(2025, 1, 15), id="15-dec+1-across-year"),
            pytest.param(date(2024, 3, 15), 0, date(2024, 3, 15), id="months-0"),
            pytest.param(date(2024, 1, 31), 0, date(2024, 1, 31), id="months-0-month-end"),
            pytest.param(date(2024, 1, 31), 2, date(2024, 3, 31), id="31-jan+2-not-chained"),
            pytest.param(date(2024, 8, 31), 6, date(2025, 2, 28), id="31-aug+6"),
            pytest.param(date(2024, 5, 31), -1, date(2024, 4, 30), id="negative-months"),
        ],
    )
    def test_add_months(self, day_zero, months, expected):
        assert add_months(day_zero, months) == expected

    def test_one_month_is_not_thirty_days(self):
        # 31 Jan 2024 + 30 days would be 1 Mar 2024.
        assert add_months(date(2024, 1, 31), 1) != date(2024, 3, 1)


# --------------------------------------------------------------------------------------------
# phase_of
# --------------------------------------------------------------------------------------------


class TestPhaseOf:
    # Day Zero on a leap day: Day +30 = 30 Mar, +100 = 8 Jun, 24 months = 28 Feb 2026.
    LEAP_DAY_ZERO = date(2024, 2, 29)

    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            pytest.param(date(2024, 1, 1), Phase.CONDITIONING, id="long-before"),
            pytest.param(date(2024, 2, 28), Phase.CONDITIONING, id="day--1"),
            pytest.param(date(2024, 2, 29), Phase.DAY_ZERO, id="day-0"),
            pytest.param(date(2024, 3, 1), Phase.ENGRAFTMENT, id="day-+1"),
            pytest.param(date(2024, 3, 30), Phase.ENGRAFTMENT, id="day-+30"),
            pytest.param(date(2024, 3, 31), Phase.HUNDRED_DAY, id="day-+31"),
            pytest.param(date(2024, 6, 8), Phase.HUNDRED_DAY, id="day-+100"),
            pytest.param(date(2024, 6, 9), Phase.IMMUNE_RECOVERY, id="day-+101"),
            pytest.param(date(2026, 2, 27), Phase.IMMUNE_RECOVERY, id="day-before-24-months"),
            pytest.param(date(2026, 2, 28), Phase.LONG_TERM, id="day-of-24-months"),
            pytest.param(date(2026, 3, 1), Phase.LONG_TERM, id="day-after-24-months"),
            pytest.param(date(2030, 1, 1), Phase.LONG_TERM, id="years-later"),
        ],
    )
    def test_boundaries_with_leap_day_zero(self, day, expected):
        assert phase_of(day, self.LEAP_DAY_ZERO) == expected

    @pytest.mark.parametrize(
        ("day_zero", "day", "expected"),
        [
            pytest.param(
                date(2024, 1, 31), date(2026, 1, 30), Phase.IMMUNE_RECOVERY, id="31-jan-eve"
            ),
            pytest.param(date(2024, 1, 31), date(2026, 1, 31), Phase.LONG_TERM, id="31-jan-day"),
            pytest.param(
                date(2023, 3, 1), date(2025, 2, 28), Phase.IMMUNE_RECOVERY, id="1-mar-eve"
            ),
            pytest.param(date(2023, 3, 1), date(2025, 3, 1), Phase.LONG_TERM, id="1-mar-day"),
        ],
    )
    def test_long_term_starts_on_24_calendar_months(self, day_zero, day, expected):
        assert phase_of(day, day_zero) == expected

    def test_long_term_is_calendar_months_not_730_days(self):
        # 1 Mar 2023 + 730 days = 28 Feb 2025 (2024 has 366 days); still immune recovery.
        assert phase_of(date(2025, 2, 28), date(2023, 3, 1)) == Phase.IMMUNE_RECOVERY


class TestPhaseAndStatusLabels:
    @pytest.mark.parametrize(
        ("phase", "label"),
        [
            (Phase.CONDITIONING, "Conditioning"),
            (Phase.DAY_ZERO, "Day Zero"),
            (Phase.ENGRAFTMENT, "Engraftment"),
            (Phase.HUNDRED_DAY, "100-day window"),
            (Phase.IMMUNE_RECOVERY, "Immune recovery"),
            (Phase.LONG_TERM, "Long-term follow-up"),
        ],
        ids=lambda value: str(value),
    )
    def test_phase_label(self, phase, label):
        assert phase.label == label

    @pytest.mark.parametrize(
        ("status", "label"),
        [
            (Status.UPCOMING, "Upcoming"),
            (Status.DUE, "Due"),
            (Status.OVERDUE, "Overdue"),
            (Status.DONE, "Done"),
            (Status.DONE_OUT_OF_WINDOW, "Done out of window"),
        ],
        ids=lambda value: str(value),
    )
    def test_status_label(self, status, label):
        assert status.label == label


# --------------------------------------------------------------------------------------------
# status_of
# --------------------------------------------------------------------------------------------


class TestStatusOf:
    START = date(2024, 3, 10)
    END = date(2024, 3, 20)

    def status(self, *, completed_on=None, today):
        return status_of(
            window_start=self.START, window_end=self.END, completed_on=completed_on, today=today
        )

    @pytest.mark.parametrize(
        ("today", "expected"),
        [
            pytest.param(date(2024, 3, 1), Status.UPCOMING, id="well-before"),
            pytest.param(date(2024, 3, 9), Status.UPCOMING, id="day-before-window-start"),
            pytest.param(date(2024, 3, 10), Status.DUE, id="window-start"),
            pytest.param(date(2024, 3, 15), Status.DUE, id="inside"),
            pytest.param(date(2024, 3, 20), Status.DUE, id="window-end"),
            pytest.param(date(2024, 3, 21), Status.OVERDUE, id="day-after-window-end"),
            pytest.param(date(2025, 1, 1), Status.OVERDUE, id="long-after"),
        ],
    )
    def test_pending(self, today, expected):
        assert self.status(today=today) == expected

    @pytest.mark.parametrize(
        "completed_on",
        [
            pytest.param(date(2024, 3, 10), id="on-window-start"),
            pytest.param(date(2024, 3, 15), id="inside"),
            pytest.param(date(2024, 3, 20), id="on-window-end"),
        ],
    )
    def test_done_inside_window(self, completed_on):
        assert self.status(completed_on=completed_on, today=date(2024, 4, 1)) == Status.DONE

    @pytest.mark.parametrize(
        "completed_on",
        [
            pytest.param(date(2024, 3, 9), id="day-before-window"),
            pytest.param(date(2024, 3, 21), id="day-after-window"),
            pytest.param(date(2023, 12, 31), id="long-before"),
        ],
    )
    def test_done_out_of_window(self, completed_on):
        result = self.status(completed_on=completed_on, today=date(2024, 4, 1))
        assert result == Status.DONE_OUT_OF_WINDOW

    def test_completion_in_future_relative_to_today_still_counts_as_done(self):
        assert self.status(completed_on=date(2024, 3, 15), today=date(2024, 3, 1)) == Status.DONE

    def test_future_completion_outside_window_is_done_out_of_window(self):
        result = self.status(completed_on=date(2024, 3, 25), today=date(2024, 3, 1))
        assert result == Status.DONE_OUT_OF_WINDOW

    def test_done_wins_over_overdue(self):
        assert self.status(completed_on=date(2024, 3, 12), today=date(2024, 6, 1)) == Status.DONE

    def test_single_day_window(self):
        day = date(2024, 3, 10)
        common = {"window_start": day, "window_end": day}
        assert status_of(**common, completed_on=None, today=date(2024, 3, 9)) == Status.UPCOMING
        assert status_of(**common, completed_on=None, today=day) == Status.DUE
        assert status_of(**common, completed_on=None, today=date(2024, 3, 11)) == Status.OVERDUE
        assert status_of(**common, completed_on=day, today=day) == Status.DONE


# --------------------------------------------------------------------------------------------
# StepRule
# --------------------------------------------------------------------------------------------


class TestStepRuleValidation:
    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            pytest.param({"day": 30, "months": 1}, "exactly one of day and months", id="both"),
            pytest.param({"day": 0, "months": 0}, "exactly one of day and months", id="both-zero"),
            pytest.param({}, "exactly one of day and months", id="neither"),
            pytest.param(
                {"day": 30, "window_before": -1}, "windows are counted in days", id="neg-before"
            ),
            pytest.param(
                {"day": 30, "window_after": -1}, "windows are counted in days", id="neg-after"
            ),
            pytest.param(
                {"months": 6, "window_before": -3, "window_after": -3},
                "windows are counted in days",
                id="neg-both-on-months-step",
            ),
            pytest.param(
                {"day": 0, "repeat_every_days": 7}, "needs both its interval", id="repeat-no-end"
            ),
            pytest.param(
                {"day": 0, "repeat_until_day": 100},
                "needs both its interval",
                id="end-no-repeat",
            ),
            pytest.param(
                {"months": 6, "repeat_every_days": 7, "repeat_until_day": 100},
                "only day-anchored steps repeat",
                id="repeat-on-months-step",
            ),
            pytest.param(
                {"day": 0, "repeat_every_days": 0, "repeat_until_day": 100},
                "at least 1 day",
                id="interval-0",
            ),
            pytest.param(
                {"day": 0, "repeat_every_days": -7, "repeat_until_day": 100},
                "at least 1 day",
                id="interval-negative",
            ),
            pytest.param(
                {"day": 10, "repeat_every_days": 1, "repeat_until_day": 9},
                "ends before it starts",
                id="until-before-day",
            ),
            pytest.param(
                {"day": -3, "repeat_every_days": 1, "repeat_until_day": -7},
                "ends before it starts",
                id="until-before-day-negative",
            ),
        ],
    )
    def test_invalid_rule_raises_value_error(self, kwargs, message):
        with pytest.raises(ValueError, match=message) as excinfo:
            StepRule(key="step", **kwargs)
        assert "'step'" in str(excinfo.value), "the message names the step"

    @pytest.mark.parametrize(
        "kwargs",
        [
            pytest.param({"day": 0}, id="day-0"),
            pytest.param({"months": 0}, id="months-0"),
            pytest.param({"day": -7}, id="negative-day"),
            pytest.param({"months": 24, "window_before": 30, "window_after": 30}, id="months"),
            pytest.param(
                {"day": -7, "repeat_every_days": 1, "repeat_until_day": -3}, id="negative-repeat"
            ),
            pytest.param(
                {"day": 5, "repeat_every_days": 7, "repeat_until_day": 5}, id="until-equals-day"
            ),
        ],
    )
    def test_valid_rule_keeps_its_fields(self, kwargs):
        rule = StepRule(key="step", **kwargs)
        assert rule.key == "step"
        for name, value in kwargs.items():
            assert getattr(rule, name) == value

    def test_defaults(self):
        rule = StepRule(key="visit", day=30)
        assert (rule.months, rule.window_before, rule.window_after) == (None, 0, 0)
        assert (rule.repeat_every_days, rule.repeat_until_day) == (None, None)

    def test_rule_is_frozen(self):
        rule = StepRule(key="visit", day=30)
        with pytest.raises(FrozenInstanceError):
            rule.day = 31  # type: ignore[misc]


# --------------------------------------------------------------------------------------------
# plan
# --------------------------------------------------------------------------------------------


def pm(key, occurrence, due, start=None, end=None):
    """A PlannedMilestone; the window defaults to the due date alone."""
    return PlannedMilestone(key, occurrence, due, start or due, end or due)


class TestPlan:
    def test_empty_steps_give_empty_plan(self):
        assert plan(date(2024, 3, 10), []) == []

    def test_single_day_step_with_window(self):
        # 10 Mar + 30 days = 9 Apr; window 3 before (6 Apr) and 5 after (14 Apr).
        rule = StepRule(key="day30", day=30, window_before=3, window_after=5)
        assert plan(date(2024, 3, 10), [rule]) == [
            PlannedMilestone(
                key="day30",
                occurrence=1,
                due_date=date(2024, 4, 9),
                window_start=date(2024, 4, 6),
                window_end=date(2024, 4, 14),
            )
        ]

    def test_day_zero_step(self):
        rule = StepRule(key="infusion", day=0)
        assert plan(date(2024, 3, 10), [rule]) == [pm("infusion", 1, date(2024, 3, 10))]

    def test_conditioning_on_negative_days_repeats_daily(self):
        rule = StepRule(key="conditioning", day=-7, repeat_every_days=1, repeat_until_day=-3)
        assert plan(date(2024, 3, 10), [rule]) == [
            pm("conditioning", 1, date(2024, 3, 3)),
            pm("conditioning", 2, date(2024, 3, 4)),
            pm("conditioning", 3, date(2024, 3, 5)),
            pm("conditioning", 4, date(2024, 3, 6)),
            pm("conditioning", 5, date(2024, 3, 7)),
        ]

    def test_weekly_repeat_from_day_0_to_day_100_gives_15_occurrences(self):
        # Day Zero 1 Jan 2024: days 0, 7, ..., 98 (Day +100 is 10 Apr, not a multiple of 7).
        rule = StepRule(key="cmv", day=0, repeat_every_days=7, repeat_until_day=100)
        expected_dates = [
            date(2024, 1, 1),
            date(2024, 1, 8),
            date(2024, 1, 15),
            date(2024, 1, 22),
            date(2024, 1, 29),
            date(2024, 2, 5),
            date(2024, 2, 12),
            date(2024, 2, 19),
            date(2024, 2, 26),
            date(2024, 3, 4),
            date(2024, 3, 11),
            date(2024, 3, 18),
            date(2024, 3, 25),
            date(2024, 4, 1),
            date(2024, 4, 8),  # Day +98
        ]
        result = plan(date(2024, 1, 1), [rule])
        assert len(result) == 15
        assert result == [pm("cmv", i, due) for i, due in enumerate(expected_dates, start=1)]

    def test_repeat_landing_exactly_on_until_day_includes_it(self):
        # Day Zero 1 Jan 2024: days 2, 9, ..., 100; Day +2 = 3 Jan, Day +100 = 10 Apr.
        rule = StepRule(key="cmv", day=2, repeat_every_days=7, repeat_until_day=100)
        expected_dates = [
            date(2024, 1, 3),
            date(2024, 1, 10),
            date(2024, 1, 17),
            date(2024, 1, 24),
            date(2024, 1, 31),
            date(2024, 2, 7),
            date(2024, 2, 14),
            date(2024, 2, 21),
            date(2024, 2, 28),
            date(2024, 3, 6),
            date(2024, 3, 13),
            date(2024, 3, 20),
            date(2024, 3, 27),
            date(2024, 4, 3),
            date(2024, 4, 10),  # Day +100 exactly
        ]
        result = plan(date(2024, 1, 1), [rule])
        assert result == [pm("cmv", i, due) for i, due in enumerate(expected_dates, start=1)]
        assert result[-1] == pm("cmv", 15, date(2024, 4, 10)), "the until day itself is included"

    def test_repeat_stops_before_until_when_it_does_not_land_on_it(self):
        rule = StepRule(key="visit", day=0, repeat_every_days=7, repeat_until_day=20)
        assert plan(date(2024, 3, 10), [rule]) == [
            pm("visit", 1, date(2024, 3, 10)),
            pm("visit", 2, date(2024, 3, 17)),
            pm("visit", 3, date(2024, 3, 24)),
        ]

    def test_repeat_until_equal_to_day_gives_one_occurrence(self):
        rule = StepRule(key="once", day=5, repeat_every_days=7, repeat_until_day=5)
        assert plan(date(2024, 3, 10), [rule]) == [pm("once", 1, date(2024, 3, 15))]

    def test_daily_repeat_across_month_end(self):
        # Day Zero 1 Mar 2024: Day -1 is the leap day.
        rule = StepRule(key="obs", day=-1, repeat_every_days=1, repeat_until_day=1)
        assert plan(date(2024, 3, 1), [rule]) == [
            pm("obs", 1, date(2024, 2, 29)),
            pm("obs", 2, date(2024, 3, 1)),
            pm("obs", 3, date(2024, 3, 2)),
        ]

    def test_daily_repeat_across_year_end(self):
        rule = StepRule(key="obs", day=-1, repeat_every_days=1, repeat_until_day=1)
        assert plan(date(2024, 12, 31), [rule]) == [
            pm("obs", 1, date(2024, 12, 30)),
            pm("obs", 2, date(2024, 12, 31)),
            pm("obs", 3, date(2025, 1, 1)),
        ]

    def test_each_repeat_occurrence_gets_its_own_window(self):
        rule = StepRule(
            key="visit",
            day=0,
            repeat_every_days=7,
            repeat_until_day=7,
            window_before=1,
            window_after=2,
        )
        assert plan(date(2024, 3, 10), [rule]) == [
            pm("visit", 1, date(2024, 3, 10), date(2024, 3, 9), date(2024, 3, 12)),
            pm("visit", 2, date(2024, 3, 17), date(2024, 3, 16), date(2024, 3, 19)),
        ]

    def test_window_crossing_year_end(self):
        # Day Zero 28 Dec 2024, Day +5 = 2 Jan 2025; 7 days either side: 26 Dec .. 9 Jan.
        rule = StepRule(key="visit", day=5, window_before=7, window_after=7)
        assert plan(date(2024, 12, 28), [rule]) == [
            pm("visit", 1, date(2025, 1, 2), date(2024, 12, 26), date(2025, 1, 9))
        ]

    def test_window_crossing_leap_day(self):
        # Day Zero 20 Feb 2024, Day +10 = 1 Mar; 2 days before = 28 Feb, 2 after = 3 Mar.
        rule = StepRule(key="visit", day=10, window_before=2, window_after=2)
        assert plan(date(2024, 2, 20), [rule]) == [
            pm("visit", 1, date(2024, 3, 1), date(2024, 2, 28), date(2024, 3, 3))
        ]

    def test_month_steps_from_31_january(self):
        rules = [
            StepRule(key="m1", months=1),
            StepRule(key="m2", months=2),
            StepRule(key="m3", months=3),
            StepRule(key="m6", months=6, window_before=30, window_after=30),
            StepRule(key="m12", months=12),
            StepRule(key="m13", months=13),
        ]
        assert plan(date(2024, 1, 31), rules) == [
            pm("m1", 1, date(2024, 2, 29)),
            pm("m2", 1, date(2024, 3, 31)),
            pm("m3", 1, date(2024, 4, 30)),
            pm("m6", 1, date(2024, 7, 31), date(2024, 7, 1), date(2024, 8, 30)),
            pm("m12", 1, date(2025, 1, 31)),
            pm("m13", 1, date(2025, 2, 28)),
        ]

    def test_ordered_by_date_then_step_order(self):
        rules = [
            StepRule(key="late", day=30),
            StepRule(key="early", day=7),
            StepRule(key="zz_same_day", day=14),
            StepRule(key="aa_same_day", day=14),
        ]
        result = plan(date(2024, 3, 10), rules)
        assert [m.key for m in result] == ["early", "zz_same_day", "aa_same_day", "late"]
        assert [m.due_date for m in result] == [
            date(2024, 3, 17),
            date(2024, 3, 24),
            date(2024, 3, 24),
            date(2024, 4, 9),
        ]

    @pytest.mark.parametrize(
        ("rules", "expected_keys"),
        [
            pytest.param(
                [StepRule(key="one_month", months=1), StepRule(key="day29", day=29)],
                ["one_month", "day29"],
                id="months-step-first",
            ),
            pytest.param(
                [StepRule(key="day29", day=29), StepRule(key="one_month", months=1)],
                ["day29", "one_month"],
                id="day-step-first",
            ),
        ],
    )
    def test_month_and_day_step_on_same_date_keep_step_order(self, rules, expected_keys):
        # Day Zero 31 Jan 2024: Day +29 and 1 month are both 29 Feb 2024.
        result = plan(date(2024, 1, 31), rules)
        assert [m.key for m in result] == expected_keys
        assert [m.due_date for m in result] == [date(2024, 2, 29), date(2024, 2, 29)]

    def test_ordered_by_due_date_not_window_start(self):
        rules = [
            StepRule(key="wide", day=10, window_before=9),
            StepRule(key="narrow", day=5),
        ]
        assert [m.key for m in plan(date(2024, 3, 10), rules)] == ["narrow", "wide"]

    def test_repeats_interleave_with_other_steps(self):
        rules = [
            StepRule(key="obs", day=-1, repeat_every_days=1, repeat_until_day=1),
            StepRule(key="infusion", day=0),
        ]
        assert plan(date(2024, 3, 10), rules) == [
            pm("obs", 1, date(2024, 3, 9)),
            pm("obs", 2, date(2024, 3, 10)),
            pm("infusion", 1, date(2024, 3, 10)),
            pm("obs", 3, date(2024, 3, 11)),
        ]

    def test_accepts_any_iterable_of_rules(self):
        rules = (rule for rule in [StepRule(key="a", day=1), StepRule(key="b", day=-1)])
        assert plan(date(2024, 3, 10), rules) == [
            pm("b", 1, date(2024, 3, 9)),
            pm("a", 1, date(2024, 3, 11)),
        ]


# --------------------------------------------------------------------------------------------
# replan
# --------------------------------------------------------------------------------------------


def em(key, occurrence, due, start=None, end=None, completed_on=None):
    """An ExistingMilestone; the window defaults to the due date alone."""
    return ExistingMilestone(key, occurrence, due, start or due, end or due, completed_on)


# The protocol used by most re-planning tests.
RULES = [
    StepRule(key="cmv", day=0, repeat_every_days=7, repeat_until_day=14),
    StepRule(key="chimerism_30", day=30, window_before=3, window_after=3),
    StepRule(key="one_month", months=1),
    StepRule(key="day100", day=100, window_before=15, window_after=15),
]

# The course as planned for Day Zero 28 Jan 2024 (all by hand):
# cmv Day 0/7/14 = 28 Jan, 4 Feb, 11 Feb; Day +30 = 27 Feb (window 24 Feb .. 1 Mar);
# 1 month = 28 Feb; Day +100 = 7 May (window 22 Apr .. 22 May).
OLD_DAY_ZERO = date(2024, 1, 28)
CMV_1 = em("cmv", 1, date(2024, 1, 28))
CMV_2 = em("cmv", 2, date(2024, 2, 4))
CMV_3 = em("cmv", 3, date(2024, 2, 11))
CHIMERISM = em("chimerism_30", 1, date(2024, 2, 27), date(2024, 2, 24), date(2024, 3, 1))
ONE_MONTH = em("one_month", 1, date(2024, 2, 28))
DAY100 = em("day100", 1, date(2024, 5, 7), date(2024, 4, 22), date(2024, 5, 22))
OLD_COURSE = [CMV_1, CMV_2, CMV_3, CHIMERISM, ONE_MONTH, DAY100]

# Day Zero moves 3 days later, to 31 Jan 2024:
# cmv = 31 Jan, 7 Feb, 14 Feb; Day +30 = 1 Mar (window 27 Feb .. 4 Mar);
# 1 month = 29 Feb (one day later, not three); Day +100 = 10 May (window 25 Apr .. 25 May).
NEW_DAY_ZERO = date(2024, 1, 31)


def dates_of(change: MilestoneChange):
    return (change.due_date, change.window_start, change.window_end)


def run_replan(existing, *, old=OLD_DAY_ZERO, new=NEW_DAY_ZERO, rules=RULES) -> Replan:
    return replan(old_day_zero=old, new_day_zero=new, rules=rules, existing=existing)


class TestReplanLater:
    def test_day_steps_shift_by_three_days(self):
        result = run_replan(OLD_COURSE)
        by_key = {(c.existing.key, c.existing.occurrence): dates_of(c) for c in result.changes}
        assert by_key[("cmv", 1)] == (date(2024, 1, 31),) * 3
        assert by_key[("cmv", 2)] == (date(2024, 2, 7),) * 3
        assert by_key[("cmv", 3)] == (date(2024, 2, 14),) * 3
        assert by_key[("chimerism_30", 1)] == (
            date(2024, 3, 1),
            date(2024, 2, 27),
            date(2024, 3, 4),
        )
        assert by_key[("day100", 1)] == (date(2024, 5, 10), date(2024, 4, 25), date(2024, 5, 25))

    def test_month_step_follows_calendar_months_not_a_plain_shift(self):
        result = run_replan(OLD_COURSE)
        (change,) = [c for c in result.changes if c.existing.key == "one_month"]
        assert change.due_date != date(2024, 3, 2), (
            "a 1-month step must be re-computed from the new Day Zero (31 Jan + 1 month), "
            "not shifted by 3 days"
        )
        assert dates_of(change) == (date(2024, 2, 29),) * 3

    def test_all_pending_milestones_move(self):
        result = run_replan(OLD_COURSE)
        assert result.shift_days == 3
        assert len(result.changes) == 6
        assert [c.existing for c in result.changes] == OLD_COURSE, "one change per milestone"
        assert [c.existing for c in result.moved] == OLD_COURSE
        assert [c.existing for c in result.pending_moved] == OLD_COURSE
        assert result.added == ()
        assert result.out_of_window == ()

    def test_carries_both_day_zeros(self):
        result = run_replan(OLD_COURSE)
        assert (result.old_day_zero, result.new_day_zero) == (OLD_DAY_ZERO, NEW_DAY_ZERO)


class TestReplanCompleted:
    def test_completed_keeps_date_and_is_flagged_when_new_window_excludes_it(self):
        # Done on 26 Feb: inside the old window (24 Feb .. 1 Mar), before the new (27 Feb ..).
        done = em(
            "chimerism_30",
            1,
            date(2024, 2, 27),
            date(2024, 2, 24),
            date(2024, 3, 1),
            completed_on=date(2024, 2, 26),
        )
        result = run_replan([CMV_1, done])
        (change,) = [c for c in result.changes if c.existing is done]
        assert change.existing.completed_on == date(2024, 2, 26)
        assert dates_of(change) == (date(2024, 3, 1), date(2024, 2, 27), date(2024, 3, 4))
        assert change.falls_out_of_window is True
        assert result.out_of_window == (change,)

    @pytest.mark.parametrize(
        "completed_on",
        [
            pytest.param(date(2024, 2, 27), id="on-new-window-start"),
            pytest.param(date(2024, 2, 28), id="inside-both-windows"),
            pytest.param(date(2024, 3, 4), id="on-new-window-end"),
        ],
    )
    def test_completed_still_inside_new_window_is_not_flagged(self, completed_on):
        done = em(
            "chimerism_30",
            1,
            date(2024, 2, 27),
            date(2024, 2, 24),
            date(2024, 3, 1),
            completed_on=completed_on,
        )
        result = run_replan([done])
        (change,) = result.changes
        assert change.falls_out_of_window is False
        assert result.out_of_window == ()
        assert change.existing.completed_on == completed_on

    def test_pending_moved_excludes_completed(self):
        done = em("cmv", 1, date(2024, 1, 28), completed_on=date(2024, 1, 28))
        result = run_replan([done, CMV_2, ONE_MONTH])
        assert [c.existing for c in result.moved] == [done, CMV_2, ONE_MONTH]
        assert [c.existing for c in result.pending_moved] == [CMV_2, ONE_MONTH]
        assert [c.existing for c in result.out_of_window] == [done]

    def test_pending_milestone_is_never_out_of_window(self):
        result = run_replan(OLD_COURSE)
        assert all(c.falls_out_of_window is False for c in result.changes)


class TestReplanProtocolEdited:
    def test_milestone_whose_step_was_removed_shifts_with_day_zero(self):
        orphan = em("old_step", 1, date(2024, 3, 10), date(2024, 3, 5), date(2024, 3, 15))
        result = run_replan([orphan])
        (change,) = result.changes
        assert change.existing is orphan
        assert dates_of(change) == (date(2024, 3, 13), date(2024, 3, 8), date(2024, 3, 18))

    def test_completed_milestone_whose_step_was_removed_is_kept(self):
        orphan = em(
            "old_step",
            1,
            date(2024, 3, 10),
            date(2024, 3, 5),
            date(2024, 3, 15),
            completed_on=date(2024, 3, 6),
        )
        result = run_replan([orphan])
        (change,) = result.changes
        assert dates_of(change) == (date(2024, 3, 13), date(2024, 3, 8), date(2024, 3, 18))
        assert change.existing.completed_on == date(2024, 3, 6)
        assert result.out_of_window == (change,), "6 Mar is before the shifted window (8 Mar)"
        assert result.pending_moved == ()

    def test_occurrence_no_longer_planned_shifts_and_is_kept(self):
        # The protocol now stops cmv at Day +14 (3 occurrences); a 4th exists on the course.
        cmv_4 = em("cmv", 4, date(2024, 2, 18))
        result = run_replan([CMV_1, CMV_2, CMV_3, cmv_4], rules=[RULES[0]])
        assert [c.existing for c in result.changes] == [CMV_1, CMV_2, CMV_3, cmv_4]
        assert dates_of(result.changes[-1]) == (date(2024, 2, 21),) * 3

    def test_planned_occurrence_missing_from_course_is_added(self):
        result = run_replan([CMV_1, CMV_2, CMV_3, CHIMERISM, ONE_MONTH])
        assert result.added == (
            PlannedMilestone("day100", 1, date(2024, 5, 10), date(2024, 4, 25), date(2024, 5, 25)),
        )
        assert len(result.changes) == 5

    def test_nothing_existing_adds_the_whole_plan_in_plan_order(self):
        result = run_replan([])
        assert result.changes == ()
        assert result.added == (
            pm("cmv", 1, date(2024, 1, 31)),
            pm("cmv", 2, date(2024, 2, 7)),
            pm("cmv", 3, date(2024, 2, 14)),
            pm("one_month", 1, date(2024, 2, 29)),
            pm("chimerism_30", 1, date(2024, 3, 1), date(2024, 2, 27), date(2024, 3, 4)),
            pm("day100", 1, date(2024, 5, 10), date(2024, 4, 25), date(2024, 5, 25)),
        )

    def test_no_milestone_is_ever_dropped(self):
        orphan = em("old_step", 2, date(2024, 3, 10))
        course = [*OLD_COURSE, orphan]
        result = run_replan(course, rules=[])
        assert [c.existing for c in result.changes] == course
        assert result.added == ()


class TestReplanEarlierAndSame:
    def test_moving_day_zero_earlier(self):
        # 31 Jan 2024 -> 28 Jan 2024 (shift -3): the reverse of the main scenario.
        course = [
            em("cmv", 1, date(2024, 1, 31)),
            em("chimerism_30", 1, date(2024, 3, 1), date(2024, 2, 27), date(2024, 3, 4)),
            em("one_month", 1, date(2024, 2, 29)),
        ]
        result = run_replan(course, old=NEW_DAY_ZERO, new=OLD_DAY_ZERO)
        assert result.shift_days == -3
        assert [dates_of(c) for c in result.changes] == [
            (date(2024, 1, 28),) * 3,
            (date(2024, 2, 27), date(2024, 2, 24), date(2024, 3, 1)),
            (date(2024, 2, 28),) * 3,
        ]

    def test_moving_earlier_from_month_end_clamps(self):
        # 31 Mar -> 29 Mar 2024: Day +30 goes 30 Apr -> 28 Apr, but 1 month 30 Apr -> 29 Apr.
        rules = [StepRule(key="day30", day=30), StepRule(key="one_month", months=1)]
        course = [em("day30", 1, date(2024, 4, 30)), em("one_month", 1, date(2024, 4, 30))]
        result = run_replan(course, old=date(2024, 3, 31), new=date(2024, 3, 29), rules=rules)
        assert result.shift_days == -2
        assert [c.due_date for c in result.changes] == [date(2024, 4, 28), date(2024, 4, 29)]

    def test_orphan_shifts_backwards_when_moving_earlier(self):
        orphan = em("old_step", 1, date(2024, 1, 2), date(2023, 12, 30), date(2024, 1, 5))
        result = run_replan([orphan], old=date(2024, 1, 3), new=date(2023, 12, 31), rules=[])
        assert dates_of(result.changes[0]) == (
            date(2023, 12, 30),
            date(2023, 12, 27),
            date(2024, 1, 2),
        )

    @pytest.mark.parametrize(
        ("old", "new", "expected"),
        [
            pytest.param(date(2024, 1, 28), date(2024, 1, 31), 3, id="later"),
            pytest.param(date(2024, 1, 31), date(2024, 1, 28), -3, id="earlier"),
            pytest.param(date(2024, 1, 28), date(2024, 1, 28), 0, id="same"),
            pytest.param(date(2024, 12, 30), date(2025, 1, 2), 3, id="across-year-end"),
            pytest.param(date(2024, 2, 28), date(2024, 3, 1), 2, id="across-leap-day"),
        ],
    )
    def test_shift_days_sign(self, old, new, expected):
        assert run_replan([], old=old, new=new, rules=[]).shift_days == expected

    def test_same_date_gives_no_moved_changes(self):
        result = run_replan(OLD_COURSE, old=OLD_DAY_ZERO, new=OLD_DAY_ZERO)
        assert result.shift_days == 0
        assert len(result.changes) == 6
        assert result.moved == ()
        assert result.pending_moved == ()
        assert result.added == ()
        assert all(c.moves is False for c in result.changes)

    def test_same_date_still_reports_a_completion_already_out_of_window(self):
        late = em("one_month", 1, date(2024, 2, 28), completed_on=date(2024, 3, 5))
        result = run_replan([late], old=OLD_DAY_ZERO, new=OLD_DAY_ZERO)
        assert result.moved == ()
        assert [c.existing for c in result.out_of_window] == [late]


class TestReplanDuplicates:
    def test_one_change_per_existing_milestone_even_for_duplicates(self):
        twin = em("chimerism_30", 1, date(2024, 2, 27), date(2024, 2, 24), date(2024, 3, 1))
        course = [CHIMERISM, twin, ONE_MONTH]
        result = run_replan(course)
        assert len(result.changes) == 3
        assert [c.existing for c in result.changes] == course
        assert result.changes[0].existing is CHIMERISM
        assert result.changes[1].existing is twin
        expected = (date(2024, 3, 1), date(2024, 2, 27), date(2024, 3, 4))
        assert dates_of(result.changes[0]) == expected
        assert dates_of(result.changes[1]) == expected
        added_keys = [(p.key, p.occurrence) for p in result.added]
        assert added_keys == [("cmv", 1), ("cmv", 2), ("cmv", 3), ("day100", 1)]

    def test_accepts_any_iterable_of_existing(self):
        result = run_replan(m for m in [CMV_1, ONE_MONTH])
        assert [c.existing for c in result.changes] == [CMV_1, ONE_MONTH]


class TestMilestoneChange:
    def test_moves_when_only_the_window_changes(self):
        milestone = em("x", 1, date(2024, 3, 10), date(2024, 3, 9), date(2024, 3, 11))
        change = MilestoneChange(milestone, date(2024, 3, 10), date(2024, 3, 8), date(2024, 3, 11))
        assert change.moves is True

    def test_does_not_move_when_all_dates_equal(self):
        milestone = em("x", 1, date(2024, 3, 10), date(2024, 3, 9), date(2024, 3, 11))
        change = MilestoneChange(milestone, date(2024, 3, 10), date(2024, 3, 9), date(2024, 3, 11))
        assert change.moves is False

    @pytest.mark.parametrize(
        ("completed_on", "expected"),
        [
            pytest.param(None, False, id="pending"),
            pytest.param(date(2024, 3, 7), True, id="day-before-window"),
            pytest.param(date(2024, 3, 8), False, id="window-start"),
            pytest.param(date(2024, 3, 12), False, id="window-end"),
            pytest.param(date(2024, 3, 13), True, id="day-after-window"),
        ],
    )
    def test_falls_out_of_window(self, completed_on, expected):
        milestone = em("x", 1, date(2024, 3, 10), completed_on=completed_on)
        change = MilestoneChange(milestone, date(2024, 3, 10), date(2024, 3, 8), date(2024, 3, 12))
        assert change.falls_out_of_window is expected


# --------------------------------------------------------------------------------------------
# phase_band
# --------------------------------------------------------------------------------------------

M = U2212
LEAP_DAY_ZERO = date(2024, 2, 29)  # Day -8 = 21 Feb, Day -7 = 22 Feb, Day -1 = 28 Feb


def current_phases(band):
    return [span.phase for span in band if span.is_current]


class TestPhaseBand:
    def test_six_phases_in_order_with_their_day_ranges(self):
        band = phase_band(LEAP_DAY_ZERO, LEAP_DAY_ZERO, first_day=-7)
        assert [(span.phase, span.days) for span in band] == [
            (Phase.CONDITIONING, f"Day {M}7 to Day {M}1"),
            (Phase.DAY_ZERO, "Day 0"),
            (Phase.ENGRAFTMENT, "Day +1 to Day +30"),
            (Phase.HUNDRED_DAY, "Day +31 to Day +100"),
            (Phase.IMMUNE_RECOVERY, "Day +101 to 24 months"),
            (Phase.LONG_TERM, "From 24 months"),
        ]

    def test_spans_carry_the_phase_labels(self):
        band = phase_band(LEAP_DAY_ZERO, LEAP_DAY_ZERO, first_day=-7)
        assert [span.label for span in band] == [
            "Conditioning",
            "Day Zero",
            "Engraftment",
            "100-day window",
            "Immune recovery",
            "Long-term follow-up",
        ]
        assert all(isinstance(span, PhaseSpan) for span in band)

    @pytest.mark.parametrize(
        ("first_day", "expected"),
        [
            pytest.param(-7, f"Day {M}7 to Day {M}1", id="minus-7"),
            pytest.param(-10, f"Day {M}10 to Day {M}1", id="minus-10"),
            pytest.param(-1, f"Day {M}1 to Day {M}1", id="minus-1"),
        ],
    )
    def test_conditioning_span_uses_first_day(self, first_day, expected):
        band = phase_band(LEAP_DAY_ZERO, LEAP_DAY_ZERO, first_day=first_day)
        assert band[0].days == expected

    @pytest.mark.parametrize(
        ("today", "expected"),
        [
            pytest.param(date(2024, 2, 22), Phase.CONDITIONING, id="day--7-first-day"),
            pytest.param(date(2024, 2, 28), Phase.CONDITIONING, id="day--1"),
            pytest.param(date(2024, 2, 29), Phase.DAY_ZERO, id="day-0"),
            pytest.param(date(2024, 3, 1), Phase.ENGRAFTMENT, id="day-+1"),
            pytest.param(date(2024, 3, 30), Phase.ENGRAFTMENT, id="day-+30"),
            pytest.param(date(2024, 3, 31), Phase.HUNDRED_DAY, id="day-+31"),
            pytest.param(date(2024, 6, 8), Phase.HUNDRED_DAY, id="day-+100"),
            pytest.param(date(2024, 6, 9), Phase.IMMUNE_RECOVERY, id="day-+101"),
            pytest.param(date(2026, 2, 27), Phase.IMMUNE_RECOVERY, id="eve-of-24-months"),
            pytest.param(date(2026, 2, 28), Phase.LONG_TERM, id="24-months"),
        ],
    )
    def test_exactly_one_current_once_started(self, today, expected):
        band = phase_band(LEAP_DAY_ZERO, today, first_day=-7)
        assert current_phases(band) == [expected]

    @pytest.mark.parametrize(
        "today",
        [
            pytest.param(date(2024, 2, 21), id="day--8-day-before-first-day"),
            pytest.param(date(2024, 1, 1), id="weeks-before"),
        ],
    )
    def test_none_current_before_first_day(self, today):
        band = phase_band(LEAP_DAY_ZERO, today, first_day=-7)
        assert current_phases(band) == []
        assert len(band) == 6

    def test_first_day_zero_gives_well_formed_conditioning_text(self):
        # A course with nothing planned before Day 0 (a same-day procedure) has no day range.
        band = phase_band(LEAP_DAY_ZERO, LEAP_DAY_ZERO, first_day=0)
        assert band[0].phase == Phase.CONDITIONING
        assert band[0].days == "Before Day 0"
        assert [span.days for span in band[1:]] == [
            "Day 0",
            "Day +1 to Day +30",
            "Day +31 to Day +100",
            "Day +101 to 24 months",
            "From 24 months",
        ]

    def test_first_day_zero_current_on_day_0_is_day_zero(self):
        band = phase_band(LEAP_DAY_ZERO, LEAP_DAY_ZERO, first_day=0)
        assert current_phases(band) == [Phase.DAY_ZERO]

    def test_first_day_zero_nothing_current_on_day_minus_1(self):
        # Documented: "Before that day [first_day] no phase is current: the course has not
        # started." With first_day=0, Day −1 (28 Feb) is before the course's first day.
        band = phase_band(LEAP_DAY_ZERO, date(2024, 2, 28), first_day=0)
        assert current_phases(band) == []

    def test_first_day_minus_one_current_on_day_minus_1(self):
        band = phase_band(LEAP_DAY_ZERO, date(2024, 2, 28), first_day=-1)
        assert current_phases(band) == [Phase.CONDITIONING]

    def test_first_day_minus_one_nothing_current_on_day_minus_2(self):
        band = phase_band(LEAP_DAY_ZERO, date(2024, 2, 27), first_day=-1)
        assert current_phases(band) == []


class TestDay100State:
    """Day 100 ± 15: the window is Day +85 … +115 (CLINICAL.md §4)."""

    DAY_ZERO = date(2026, 1, 31)

    def state(self, day: int, *, completed_day: int | None = None) -> Day100State:
        def on(n: int) -> date:
            return self.DAY_ZERO + timedelta(days=n)

        return day_100_state(
            due_date=on(100),
            window_start=on(85),
            window_end=on(115),
            completed_on=None if completed_day is None else on(completed_day),
            today=on(day),
        )

    @pytest.mark.parametrize(
        ("day", "expected"),
        [
            pytest.param(0, Day100State.NOT_YET_OPEN, id="day-0"),
            pytest.param(84, Day100State.NOT_YET_OPEN, id="day-84-not-yet-open"),
            pytest.param(85, Day100State.OPEN, id="day-85-opens"),
            pytest.param(99, Day100State.OPEN, id="day-99"),
            pytest.param(100, Day100State.DUE_TODAY, id="day-100-due-today"),
            pytest.param(101, Day100State.OPEN, id="day-101-still-open"),
            pytest.param(115, Day100State.OPEN, id="day-115-last-day"),
            pytest.param(116, Day100State.OVERDUE, id="day-116-overdue"),
            pytest.param(400, Day100State.OVERDUE, id="long-after"),
        ],
    )
    def test_state_at_the_window_edges(self, day, expected):
        assert self.state(day) == expected

    @pytest.mark.parametrize("completed_day", [85, 100, 115, 80, 120])
    def test_done_inside_or_outside_the_window_is_done(self, completed_day):
        assert self.state(116, completed_day=completed_day) == Day100State.DONE
        assert self.state(90, completed_day=completed_day) == Day100State.DONE

    def test_a_course_without_a_day_100_evaluation_is_not_applicable(self):
        state = day_100_state(
            due_date=None,
            window_start=None,
            window_end=None,
            completed_on=None,
            today=date(2026, 1, 1),
        )
        assert state == Day100State.NOT_APPLICABLE
        assert state.label == "No Day-100 evaluation"

    def test_labels_are_plain_words(self):
        assert [s.label for s in Day100State] == [
            "No Day-100 evaluation",
            "Not yet open",
            "Window open",
            "Due today",
            "Overdue",
            "Done",
        ]


class TestCurrentPhase:
    DAY_ZERO = date(2026, 3, 10)

    @pytest.mark.parametrize(
        ("day", "first_day", "expected"),
        [
            pytest.param(-8, -7, None, id="before-conditioning"),
            pytest.param(-7, -7, Phase.CONDITIONING, id="first-conditioning-day"),
            pytest.param(-1, 0, None, id="same-day-procedure-day-before"),
            pytest.param(0, 0, Phase.DAY_ZERO, id="same-day-procedure-day-0"),
            pytest.param(0, 5, Phase.DAY_ZERO, id="nothing-before-day-5-still-starts-day-0"),
            pytest.param(101, -7, Phase.IMMUNE_RECOVERY, id="after-day-100"),
        ],
    )
    def test_phase_today_or_none_before_the_course_starts(self, day, first_day, expected):
        today = self.DAY_ZERO + timedelta(days=day)
        assert current_phase(self.DAY_ZERO, today, first_day=first_day) == expected


class TestSplitForPatient:
    TODAY = date(2026, 3, 10)

    def milestone(self, name, due, *, window_end=None, done=None):
        return SimpleNamespace(
            name=name,
            due_date=due,
            window_end=window_end or due,
            completed_on=done,
        )

    def test_past_soon_and_later(self):
        today = self.TODAY
        milestones = [
            self.milestone("done early", today + timedelta(days=3), done=today),
            self.milestone("closed", today - timedelta(days=1)),
            self.milestone("open since yesterday", today - timedelta(1), window_end=today),
            self.milestone("today", today),
            self.milestone("day 14", today + timedelta(days=14)),
            self.milestone("day 15", today + timedelta(days=15)),
        ]
        past, soon, later = split_for_patient(milestones, today)
        assert [m.name for m in past] == ["done early", "closed"]
        assert [m.name for m in soon] == ["open since yesterday", "today", "day 14"]
        assert [m.name for m in later] == ["day 15"]

    def test_the_horizon_can_be_changed(self):
        milestones = [self.milestone("day 3", self.TODAY + timedelta(days=3))]
        assert split_for_patient(milestones, self.TODAY, soon_days=2)[2] == milestones

    def test_nothing_gives_three_empty_lists(self):
        assert split_for_patient([], self.TODAY) == ([], [], [])


class TestCurrentCourse:
    TODAY = date(2026, 11, 21)

    def course(self, name, days_from_today):
        return SimpleNamespace(name=name, day_zero=self.TODAY + timedelta(days=days_from_today))

    def test_the_latest_course_that_has_begun(self):
        first, second = self.course("first", -266), self.course("second", 365)
        assert current_course([second, first], self.TODAY) is first

    def test_a_tandem_within_its_first_100_days_shows_the_first(self):
        first, second = self.course("first", -40), self.course("second", 60)
        assert current_course([first, second], self.TODAY) is first

    def test_a_second_transplant_about_to_start_is_current(self):
        first, second = self.course("first", -200), self.course("second", 30)
        assert current_course([first, second], self.TODAY) is second

    def test_all_far_ahead_gives_the_nearest(self):
        near, far = self.course("near", 45), self.course("far", 400)
        assert current_course([far, near], self.TODAY) is near

    def test_no_course(self):
        assert current_course([], self.TODAY) is None
