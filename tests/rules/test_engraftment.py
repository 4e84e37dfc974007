"""Unit tests for tracker.engraftment: neutrophil and platelet engraftment, graft-failure alert.

engraftment.py is pure Python (no Django), so these tests need no database. The rules are
CLINICAL.md section 3 and issue 5 (CIBMTR Forms Instruction Manual, form 2100):

- Neutrophils: first of three consecutive values of ANC >= 0.5 x 10^9/L on different days,
  counted after the post-transplant nadir (the first fall below 0.5 from Day 0 on).
- Platelets: first of three consecutive values >= 20 (or 50) x 10^9/L on different days, with
  no platelet transfusion in the 7 days before each (a transfusion 0..6 days before a value
  rules it out, one 7 or more days before does not: CIBMTR's own worked example).
- Two values on one day count as one day, and the lower of them is taken.

Every expected date and reason below was worked out by hand from a calendar; none is computed
by calling the code under test. Most series start on Day 0 = Monday 2 March 2026, so Day n is
March (2 + n) up to Day 29 = 31 March, Day 30 = 1 April, Day 42 = 13 April.
"""

from dataclasses import FrozenInstanceError
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tracker.rules.engraftment import (
    ANC_THRESHOLD,
    CONSECUTIVE_VALUES,
    PLATELET_THRESHOLDS,
    TRANSFUSION_FREE_DAYS,
    Alert,
    Outcome,
    Result,
    daily_values,
    graft_failure,
    graft_failure_day,
    neutrophil_engraftment,
    platelet_engraftment,
)

D0 = date(2026, 3, 2)  # Day 0 of most series here (a Monday)


def on(day_zero, n):
    """The date of Day n (n may be negative: Day -1 is the day before Day 0)."""
    return day_zero + timedelta(days=n)


def series(day_zero, values, *, start=0):
    """(date, value) pairs for consecutive days from Day `start`; None skips a day."""
    return [(on(day_zero, start + i), v) for i, v in enumerate(values) if v is not None]


def anc(values, *, start=0, day_zero=D0):
    return neutrophil_engraftment(series(day_zero, values, start=start), day_zero=day_zero)


# A textbook course: Days 0 to 2 above 0.5 (before the count falls), nadir 0.1 on Day 7
# (9 Mar), then 0.6, 0.8, 1.1 on Days 12, 13, 14 (14, 15, 16 Mar).
TEXTBOOK_ANC = [1.8, 1.2, 0.7, 0.4, 0.3, 0.2, 0.2, 0.1, 0.2, 0.3, 0.3, 0.4, 0.6, 0.8, 1.1]
TEXTBOOK_ANC_TEXT = [
    *("1.8", "1.2", "0.7", "0.4", "0.3", "0.2", "0.2", "0.1"),
    *("0.2", "0.3", "0.3", "0.4", "0.6", "0.8", "1.1"),
]
TEXTBOOK_REASON = "ANC ≥ 0.5 on 14, 15, 16 Mar 2026 after the nadir of 0.1 on 9 Mar 2026."

# CIBMTR form 2100, "Reporting Platelet Recovery (>=20 and >=50)": Day 0 = 13 June 2024, the
# last platelet transfusion that day, platelet counts on Days 0..12.
CIBMTR_DAY_ZERO = date(2024, 6, 13)
CIBMTR_PLATELETS = [10, 30, 25, 10, 15, 19, 23, 25, 40, 50, 56, 65, 72]


# Regression: a one-day run was once written ", 12 Mar 2026" (a leading comma and space).
ONE_DAY_BUG = "a run of one day must be written '12 Mar 2026', not ', 12 Mar 2026'"


# --- Module constants and the Result type ----------------------------------------------------


def test_the_rule_constants_are_those_of_the_cibmtr():
    assert Decimal("0.5") == ANC_THRESHOLD
    assert PLATELET_THRESHOLDS == (20, 50)
    assert CONSECUTIVE_VALUES == 3
    assert TRANSFUSION_FREE_DAYS == 7


@pytest.mark.parametrize(
    ("outcome", "value"),
    [
        (Outcome.ENGRAFTED, "engrafted"),
        (Outcome.NOT_YET, "not_yet"),
        (Outcome.NOT_APPLICABLE, "not_applicable"),
    ],
    ids=["engrafted", "not-yet", "not-applicable"],
)
def test_outcome_values_are_stable_strings(outcome, value):
    assert outcome.value == value
    assert outcome == value
    assert str(outcome) == value


def test_there_are_exactly_five_outcomes():
    assert {outcome.value for outcome in Outcome} == {
        "engrafted",
        "not_yet",
        "not_applicable",
        "not_enough_counts",
        "needs_review",
    }


@pytest.mark.parametrize(
    ("outcome", "engrafted"),
    [(Outcome.ENGRAFTED, True), (Outcome.NOT_YET, False), (Outcome.NOT_APPLICABLE, False)],
    ids=["engrafted", "not-yet", "not-applicable"],
)
def test_result_is_engrafted_only_for_the_engrafted_outcome(outcome, engrafted):
    result = Result(outcome, D0 if engrafted else None, "why")
    assert result.engrafted is engrafted


def test_a_result_cannot_be_changed_after_the_fact():
    result = Result(Outcome.NOT_YET, None, "why")
    with pytest.raises(FrozenInstanceError):
        result.date = D0  # type: ignore[misc]


# --- daily_values ------------------------------------------------------------------------------


def test_daily_values_of_nothing_is_an_empty_list():
    assert daily_values([]) == []


def test_daily_values_keeps_the_lowest_value_of_each_day_in_date_order():
    pairs = [
        (date(2026, 3, 5), Decimal("0.9")),
        (date(2026, 3, 3), Decimal("0.4")),
        (date(2026, 3, 5), Decimal("0.3")),
        (date(2026, 3, 3), Decimal("0.7")),
        (date(2026, 3, 4), Decimal("1.2")),
        (date(2026, 3, 5), Decimal("0.6")),
    ]
    assert daily_values(pairs) == [
        (date(2026, 3, 3), Decimal("0.4")),
        (date(2026, 3, 4), Decimal("1.2")),
        (date(2026, 3, 5), Decimal("0.3")),
    ]


def test_daily_values_accepts_any_iterable_such_as_a_generator():
    pairs = ((on(D0, n), v) for n, v in [(2, 5), (1, 7)])
    assert daily_values(pairs) == [(on(D0, 1), Decimal(7)), (on(D0, 2), Decimal(5))]


def test_daily_values_converts_floats_exactly_through_their_decimal_text():
    [(day, value)] = daily_values([(D0, 0.1)])
    assert day == D0
    assert isinstance(value, Decimal)
    assert value == Decimal("0.1")
    assert value != Decimal(0.1), "0.1 must not become the binary 0.1000000000000000055511..."


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (0.1, Decimal("0.1")),
        (0.5, Decimal("0.5")),
        (19.5, Decimal("19.5")),
        (20, Decimal("20")),
        (Decimal("0.45"), Decimal("0.45")),
        (Decimal("2E+1"), Decimal("20")),
    ],
    ids=["float-0.1", "float-0.5", "float-19.5", "int-20", "decimal-0.45", "decimal-2E+1"],
)
def test_daily_values_returns_decimals_equal_to_the_input(given, expected):
    [(_, value)] = daily_values([(D0, given)])
    assert isinstance(value, Decimal)
    assert value == expected


def test_daily_values_keeps_a_decimal_exactly_as_given():
    [(_, value)] = daily_values([(D0, Decimal("0.50"))])
    assert str(value) == "0.50"


def test_daily_values_compares_floats_and_decimals_on_one_day():
    pairs = [(D0, Decimal("0.6")), (D0, 0.55), (D0, 0.7)]
    assert daily_values(pairs) == [(D0, Decimal("0.55"))]


# --- Neutrophils: the ordinary course and the pinned reason ---------------------------------


def test_neutrophils_engraft_on_the_first_of_three_days_after_the_nadir():
    result = anc(TEXTBOOK_ANC)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.engrafted
    assert result.date == date(2026, 3, 14)
    assert result.reason == TEXTBOOK_REASON


def test_neutrophils_high_on_days_0_to_2_before_the_fall_do_not_count():
    # 1.8, 1.2, 0.7 on Days 0, 1, 2 are three consecutive values >= 0.5, but before the nadir.
    result = anc(TEXTBOOK_ANC)
    assert result.date != D0, "values before the count fell must never make engraftment"
    assert result.date == date(2026, 3, 14)


def test_neutrophils_high_before_the_fall_and_no_recovery_yet_are_not_yet():
    result = anc([1.8, 1.2, 0.7, 0.4, 0.2, 0.1])
    assert result.outcome == Outcome.NOT_YET
    assert result.date is None
    assert result.reason == "Not yet: the last ANC was 0.1 on 7 Mar 2026."


def test_neutrophils_can_engraft_the_day_after_day_0_when_already_low_on_day_0():
    result = anc([0.1, 0.6, 0.7, 0.8])
    assert result.date == date(2026, 3, 3)
    assert result.reason == "ANC ≥ 0.5 on 3, 4, 5 Mar 2026 after the nadir of 0.1 on 2 Mar 2026."


def test_neutrophils_reason_names_the_lowest_value_not_the_first_value_below_0_5():
    result = anc([0.9, 0.4, 0.2, 0.05, 0.3, 0.6, 0.7, 0.9])
    assert result.date == date(2026, 3, 7)
    assert result.reason == ("ANC ≥ 0.5 on 7, 8, 9 Mar 2026 after the nadir of 0.05 on 5 Mar 2026.")


def test_neutrophils_nadir_tied_on_two_days_is_named_by_the_earlier_day():
    result = anc([0.3, 0.0, 0.1, 0.0, 0.2, 0.6, 0.7, 0.8])
    assert result.date == date(2026, 3, 7)
    assert result.reason == "ANC ≥ 0.5 on 7, 8, 9 Mar 2026 after the nadir of 0 on 3 Mar 2026."


def test_neutrophils_nadir_is_written_without_trailing_zeros():
    pairs = series(D0, [Decimal("0.40"), Decimal("0.10"), Decimal("0.60"), 1, 2])
    result = neutrophil_engraftment(pairs, day_zero=D0)
    assert result.reason == "ANC ≥ 0.5 on 4, 5, 6 Mar 2026 after the nadir of 0.1 on 3 Mar 2026."


def test_neutrophils_nadir_can_fall_inside_an_interrupted_run():
    # Below 0.5 on Day 2 (0.3), a short rise, then the real low of 0.02 on Day 5.
    result = anc([0.8, 0.6, 0.3, 0.6, 0.7, 0.02, 0.6, 0.7, 0.8])
    assert result.date == date(2026, 3, 8)
    assert result.reason == (
        "ANC ≥ 0.5 on 8, 9, 10 Mar 2026 after the nadir of 0.02 on 7 Mar 2026."
    )


def test_neutrophils_nadir_ignores_values_before_day_0():
    pairs = series(D0, [0.0, 0.0], start=-2) + series(D0, [0.9, 0.3, 0.6, 0.7, 0.8])
    result = neutrophil_engraftment(pairs, day_zero=D0)
    assert result.date == date(2026, 3, 4)
    assert result.reason == "ANC ≥ 0.5 on 4, 5, 6 Mar 2026 after the nadir of 0.3 on 3 Mar 2026."


def test_neutrophils_a_deeper_fall_within_a_week_of_a_first_run_is_the_real_nadir():
    # CLINICAL.md: residual counts that bounce above 0.5 in the first days, before the real
    # aplasia, never count. The fall to 0.0 two days after the first run is that aplasia.
    result = anc([0.3, 0.6, 0.7, 0.8, 0.1, 0.0, 0.6, 0.7, 0.8])
    assert result.date == date(2026, 3, 8)
    assert result.reason == "ANC ≥ 0.5 on 8, 9, 10 Mar 2026 after the nadir of 0 on 7 Mar 2026."


def test_neutrophils_a_fall_after_established_engraftment_keeps_the_date_and_asks_for_review():
    # Nadir Day 2, engrafted Day 3 and up for two weeks, then below 0.5 again, even lower.
    result = anc([0.3, 0.2, 0.1] + [0.9] * 14 + [0.05, 0.04, 0.03])
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2026, 3, 5)
    assert "Possible secondary graft failure" in result.review


# --- Neutrophils: non-daily values -------------------------------------------------------------


def test_neutrophils_values_every_other_day_engraft_on_the_first_of_three_values():
    pairs = [
        (on(D0, 0), 0.3),
        (on(D0, 2), 0.1),
        (on(D0, 4), 0.2),
        (on(D0, 6), 0.6),
        (on(D0, 8), 0.9),
        (on(D0, 10), 1.4),
    ]
    result = neutrophil_engraftment(pairs, day_zero=D0)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2026, 3, 8)
    assert result.reason == "ANC ≥ 0.5 on 8, 10, 12 Mar 2026 after the nadir of 0.1 on 4 Mar 2026."


def test_neutrophils_irregular_gaps_still_need_only_three_values():
    pairs = [(on(D0, 3), 0.1), (on(D0, 10), 0.7), (on(D0, 11), 0.8), (on(D0, 15), 1.0)]
    result = neutrophil_engraftment(pairs, day_zero=D0)
    assert result.date == date(2026, 3, 12)
    assert result.reason == (
        "ANC ≥ 0.5 on 12, 13, 17 Mar 2026 after the nadir of 0.1 on 5 Mar 2026."
    )


# --- Neutrophils: repeated values on one day ----------------------------------------------------


def test_neutrophils_two_values_on_one_day_count_as_one_day():
    pairs = [
        (on(D0, 5), 0.1),
        (on(D0, 10), 0.6),
        (on(D0, 10), 0.8),
        (on(D0, 11), 0.7),
    ]
    result = neutrophil_engraftment(pairs, day_zero=D0)
    assert result.outcome == Outcome.NOT_YET, "two draws on 12 Mar are one day, not two"
    assert result.date is None
    assert result.reason == "ANC ≥ 0.5 on 12, 13 Mar 2026; 1 more value on later days needed."


def test_neutrophils_three_values_on_one_day_do_not_engraft():
    pairs = [(on(D0, 5), 0.1), (on(D0, 10), 0.6), (on(D0, 10), 0.7), (on(D0, 10), 0.9)]
    result = neutrophil_engraftment(pairs, day_zero=D0)
    assert result.outcome == Outcome.NOT_YET
    assert result.reason == "ANC ≥ 0.5 on 12 Mar 2026; 2 more values on later days needed.", (
        ONE_DAY_BUG
    )


@pytest.mark.parametrize(
    "repeats",
    [(0.3, 0.9), (0.9, 0.3)],
    ids=["low-drawn-first", "high-drawn-first"],
)
def test_neutrophils_a_high_repeat_cannot_complete_a_run(repeats):
    pairs = [(on(D0, 5), 0.1), (on(D0, 10), 0.6), (on(D0, 11), 0.7)]
    pairs += [(on(D0, 12), value) for value in repeats]
    result = neutrophil_engraftment(pairs, day_zero=D0)
    assert result.outcome == Outcome.NOT_YET, "the lower draw (0.3) of 14 Mar must be taken"
    assert result.reason == "Not yet: the last ANC was 0.3 on 14 Mar 2026."


@pytest.mark.parametrize(
    "repeats",
    [(0.4, 0.7), (0.7, 0.4)],
    ids=["low-drawn-first", "high-drawn-first"],
)
def test_neutrophils_a_low_repeat_breaks_a_run(repeats):
    pairs = [(on(D0, 5), 0.1), (on(D0, 10), 0.6)]
    pairs += [(on(D0, 11), value) for value in repeats]
    pairs += [(on(D0, 12), 0.8), (on(D0, 13), 0.9), (on(D0, 14), 1.0)]
    result = neutrophil_engraftment(pairs, day_zero=D0)
    assert result.date == date(2026, 3, 14), "13 Mar's lower draw (0.4) restarts the count"
    assert result.reason == (
        "ANC ≥ 0.5 on 14, 15, 16 Mar 2026 after the nadir of 0.1 on 7 Mar 2026."
    )


def test_neutrophils_a_low_repeat_on_the_nadir_day_lowers_the_nadir_named():
    pairs = [(on(D0, 5), 0.2), (on(D0, 5), 0.08), (on(D0, 6), 0.6)]
    pairs += [(on(D0, 7), 0.7), (on(D0, 8), 0.8)]
    result = neutrophil_engraftment(pairs, day_zero=D0)
    assert result.reason == "ANC ≥ 0.5 on 8, 9, 10 Mar 2026 after the nadir of 0.08 on 7 Mar 2026."


# --- Neutrophils: dips and the threshold --------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0.1, 0.4, 0.6, 0.7, 0.8], date(2026, 3, 4)),
        ([0.1, 0.6, 0.4, 0.6, 0.7, 0.8], date(2026, 3, 5)),
        ([0.1, 0.6, 0.7, 0.4, 0.6, 0.7, 0.8], date(2026, 3, 6)),
        ([0.1, 0.6, 0.7, 0.49, 0.6, 0.7, 0.8], date(2026, 3, 6)),
        ([0.1, 0.6, 0.4, 0.6, 0.4, 0.6, 0.7, 0.8], date(2026, 3, 7)),
    ],
    ids=[
        "dip-before-the-run",
        "dip-after-one-value",
        "dip-after-two-values",
        "dip-of-0.49-after-two-values",
        "two-dips",
    ],
)
def test_neutrophils_a_dip_below_0_5_inside_the_three_restarts_the_count(values, expected):
    result = anc(values)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == expected


@pytest.mark.parametrize(
    "values",
    [
        [0.1, 0.5, 0.5, 0.5],
        [0.1, 0.5, 0.6, 0.5],
        [Decimal("0.1"), Decimal("0.50"), Decimal("0.500"), Decimal("0.5")],
    ],
    ids=["floats-0.5", "0.5-at-both-ends", "decimals-0.50"],
)
def test_neutrophils_an_automated_0_5_cannot_decide_engraftment(values):
    result = anc(values)
    assert result.outcome == Outcome.NEEDS_REVIEW
    assert result.date == date(2026, 3, 3)
    assert "manual differential" in result.reason


def test_neutrophils_a_manual_0_5_counts():
    pairs = [(on(D0, n), value, True) for n, value in enumerate([0.1, 0.5, 0.5, 0.5])]
    result = neutrophil_engraftment(pairs, day_zero=D0)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2026, 3, 3)


def test_neutrophils_just_under_0_5_does_not_count():
    result = anc([0.1, 0.5, 0.499, 0.5])
    assert result.outcome == Outcome.NOT_YET
    assert result.reason == "ANC ≥ 0.5 on 5 Mar 2026; 2 more values on later days needed.", (
        ONE_DAY_BUG
    )


@pytest.mark.parametrize("kind", ["float", "decimal"], ids=["floats", "decimals"])
def test_neutrophils_floats_and_decimals_give_the_same_result(kind):
    make = float if kind == "float" else Decimal
    values = [make(text) for text in TEXTBOOK_ANC_TEXT]
    result = anc(values)
    assert result.date == date(2026, 3, 14)
    assert result.reason == TEXTBOOK_REASON


def test_neutrophils_accept_whole_numbers():
    result = anc([0, 0, 1, 2, 3])
    assert result.date == date(2026, 3, 4)
    assert result.reason == "ANC ≥ 0.5 on 4, 5, 6 Mar 2026 after the nadir of 0 on 2 Mar 2026."


# --- Neutrophils: no data, data before Day 0, data ending early, never fell, order -----------


def test_neutrophils_with_no_data_are_not_yet():
    result = neutrophil_engraftment([], day_zero=D0)
    assert result == Result(Outcome.NOT_YET, None, "No ANC values from Day 0 on yet.")
    assert not result.engrafted


def test_neutrophils_values_only_before_day_0_are_ignored():
    pairs = series(D0, [0.1, 0.6, 0.7, 0.8, 0.9], start=-5)
    result = neutrophil_engraftment(pairs, day_zero=D0)
    assert result == Result(Outcome.NOT_YET, None, "No ANC values from Day 0 on yet.")


def test_neutrophils_a_run_before_day_0_does_not_carry_into_day_0():
    # 0.1, 0.6, 0.7 on Days -3..-1 are ignored; from Day 0 on: 0.8, then 0.3 on Day 1.
    pairs = series(D0, [0.1, 0.6, 0.7], start=-3) + series(D0, [0.8, 0.3])
    result = neutrophil_engraftment(pairs, day_zero=D0)
    assert result.outcome == Outcome.NOT_YET
    assert result.reason == "Not yet: the last ANC was 0.3 on 3 Mar 2026."


def test_neutrophils_a_run_spanning_day_0_counts_only_from_day_0():
    pairs = series(D0, [0.1, 0.6], start=-2) + series(D0, [0.7] * 29)  # Days 0 to 28
    result = neutrophil_engraftment(pairs, day_zero=D0)
    assert result.outcome == Outcome.NOT_APPLICABLE, "from Day 0 on, ANC was never below 0.5"


@pytest.mark.parametrize("last_day", [2, 13, 14, 27])
def test_neutrophils_not_yet_fallen_before_day_28_is_not_yet_not_never(last_day):
    result = anc([0.7] * (last_day + 1))
    assert result == Result(
        Outcome.NOT_YET, None, "Not yet: the ANC has not fallen below 0.5 since Day 0."
    )


def test_neutrophils_never_fallen_through_day_28_is_not_applicable():
    result = anc([0.7] * 29)
    assert result.outcome == Outcome.NOT_APPLICABLE
    assert result.reason == "Not applicable: the ANC never fell below 0.5 after transplant."


def test_neutrophils_data_ending_after_two_qualifying_values_need_one_more():
    result = anc([0.3, 0.1, 0.2, 0.6, 0.7])
    assert result.outcome == Outcome.NOT_YET
    assert result.date is None
    assert result.reason == "ANC ≥ 0.5 on 5, 6 Mar 2026; 1 more value on later days needed."


def test_neutrophils_data_ending_after_one_qualifying_value_need_two_more():
    result = anc([0.3, 0.1, 0.2, 0.6])
    assert result.outcome == Outcome.NOT_YET
    assert result.reason == "ANC ≥ 0.5 on 5 Mar 2026; 2 more values on later days needed.", (
        ONE_DAY_BUG
    )


def test_neutrophils_data_ending_below_0_5_name_the_last_value():
    result = anc([0.3, 0.1, 0.6, 0.7, 0.45])
    assert result.outcome == Outcome.NOT_YET
    assert result.reason == "Not yet: the last ANC was 0.45 on 6 Mar 2026."


def test_neutrophils_that_never_fell_below_0_5_are_not_applicable():
    result = anc(
        [2.5, 1.9, 1.4, 0.9, 0.7, 0.5, 0.6, 0.8, 1.2, 1.8, 2.4, 3.0, 3.1, 3.3, 3.0] + [3.0] * 14
    )
    assert result.outcome == Outcome.NOT_APPLICABLE
    assert result.date is None
    assert not result.engrafted
    assert result.reason == "Not applicable: the ANC never fell below 0.5 after transplant."


def test_neutrophils_a_single_value_below_0_5_makes_them_applicable():
    result = anc([2.5, 1.9, 1.4, 0.9, 0.49, 0.6, 0.8, 1.2])
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2026, 3, 7)
    assert result.reason == "ANC ≥ 0.5 on 7, 8, 9 Mar 2026 after the nadir of 0.49 on 6 Mar 2026."


@pytest.mark.parametrize(
    "order",
    ["reversed", "interleaved"],
    ids=["reversed", "interleaved"],
)
def test_neutrophils_input_order_does_not_matter(order):
    pairs = series(D0, TEXTBOOK_ANC)
    pairs = pairs[::-1] if order == "reversed" else pairs[1::2] + pairs[::2]
    result = neutrophil_engraftment(pairs, day_zero=D0)
    assert result.date == date(2026, 3, 14)
    assert result.reason == TEXTBOOK_REASON


# --- Neutrophils: reasons across months and years ----------------------------------------------


def test_neutrophils_a_run_crossing_a_month_writes_each_day_in_full():
    day_zero = date(2026, 3, 20)  # Days 10, 11, 12 = 30 Mar, 31 Mar, 1 Apr
    result = anc(
        [0.2, 0.1, 0.1, 0.2, 0.3, 0.3, 0.4, 0.4, 0.3, 0.4, 0.6, 0.8, 1.1], day_zero=day_zero
    )
    assert result.date == date(2026, 3, 30)
    assert result.reason == (
        "ANC ≥ 0.5 on 30 Mar 2026, 31 Mar 2026, 1 Apr 2026 after the nadir of 0.1 on 21 Mar 2026."
    )


def test_neutrophils_a_run_ending_in_the_next_month_writes_each_day_in_full():
    day_zero = date(2026, 3, 21)  # Days 9, 10, 11 = 30 Mar, 31 Mar, 1 Apr; 2 days in March
    result = anc([0.3, 0.2, 0.1, 0.2, 0.3, 0.3, 0.4, 0.4, 0.3, 0.6, 0.8, 1.1], day_zero=day_zero)
    assert result.date == date(2026, 3, 30)
    assert "on 30 Mar 2026, 31 Mar 2026, 1 Apr 2026 after" in result.reason


def test_neutrophils_a_run_crossing_the_new_year_writes_each_day_in_full():
    day_zero = date(2025, 12, 20)  # Days 11, 12, 13 = 31 Dec 2025, 1 Jan, 2 Jan 2026
    values = [0.4, 0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.2, 0.3, 0.3, 0.4, 0.6, 0.7, 0.9]
    result = anc(values, day_zero=day_zero)
    assert result.date == date(2025, 12, 31)
    assert result.reason == (
        "ANC ≥ 0.5 on 31 Dec 2025, 1 Jan 2026, 2 Jan 2026 after the nadir of 0.1 on 23 Dec 2025."
    )


def test_neutrophils_an_unfinished_run_crossing_a_month_writes_each_day_in_full():
    day_zero = date(2026, 4, 20)  # Days 10, 11 = 30 Apr, 1 May
    values = [0.3, 0.2, 0.1, 0.1, 0.2, 0.3, 0.3, 0.4, 0.4, 0.3, 0.6, 0.8]
    result = anc(values, day_zero=day_zero)
    assert result.outcome == Outcome.NOT_YET
    assert result.reason == (
        "ANC ≥ 0.5 on 30 Apr 2026, 1 May 2026; 1 more value on later days needed."
    )


def test_neutrophils_single_digit_days_are_written_without_a_leading_zero():
    day_zero = date(2026, 6, 1)
    result = anc([0.2, 0.1, 0.6, 0.7, 0.8], day_zero=day_zero)
    assert result.reason == "ANC ≥ 0.5 on 3, 4, 5 Jun 2026 after the nadir of 0.1 on 2 Jun 2026."


# --- Platelets: CIBMTR's own worked example ---------------------------------------------------


@pytest.mark.parametrize("day_zero", [CIBMTR_DAY_ZERO, None], ids=["with-day-zero", "without"])
def test_platelets_cibmtr_worked_example_at_20_engrafts_on_day_7(day_zero):
    pairs = series(CIBMTR_DAY_ZERO, CIBMTR_PLATELETS)
    result = platelet_engraftment(pairs, transfusions=[CIBMTR_DAY_ZERO], day_zero=day_zero)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2024, 6, 20), (
        "CIBMTR: Day 6 (23 on 19 Jun) follows the Day 0 transfusion by 6 days and does not "
        "count; Day 7 (25 on 20 Jun) is the first of the three"
    )
    assert result.reason == (
        "Platelets ≥ 20 on 20, 21, 22 Jun 2024, "
        "with no platelet transfusion in the 7 days before each."
    )


@pytest.mark.parametrize("day_zero", [CIBMTR_DAY_ZERO, None], ids=["with-day-zero", "without"])
def test_platelets_cibmtr_worked_example_at_50_engrafts_on_day_9(day_zero):
    pairs = series(CIBMTR_DAY_ZERO, CIBMTR_PLATELETS)
    result = platelet_engraftment(
        pairs, transfusions=[CIBMTR_DAY_ZERO], threshold=50, day_zero=day_zero
    )
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2024, 6, 22)
    assert result.reason == (
        "Platelets ≥ 50 on 22, 23, 24 Jun 2024, "
        "with no platelet transfusion in the 7 days before each."
    )


def test_platelets_cibmtr_worked_example_cut_at_day_6_is_blocked_by_the_transfusion():
    pairs = series(CIBMTR_DAY_ZERO, CIBMTR_PLATELETS[:7])  # Days 0..6
    result = platelet_engraftment(pairs, transfusions=[CIBMTR_DAY_ZERO])
    assert result.outcome == Outcome.NOT_YET
    assert result.reason == (
        "Not yet: the count of 19 Jun 2024 followed a platelet transfusion on 13 Jun 2024, "
        "less than 7 days before."
    )


def test_platelets_cibmtr_worked_example_cut_at_day_8_needs_one_more_value():
    pairs = series(CIBMTR_DAY_ZERO, CIBMTR_PLATELETS[:9])  # Days 0..8
    result = platelet_engraftment(pairs, transfusions=[CIBMTR_DAY_ZERO])
    assert result.outcome == Outcome.NOT_YET
    assert result.reason == (
        "Platelets ≥ 20 on 20, 21 Jun 2024; 1 more value on later days needed."
    )


def test_platelets_cibmtr_worked_example_without_the_transfusion_would_engraft_on_day_6():
    # The same counts with no transfusion: Days 6, 7, 8 (19, 20, 21 Jun) are the first three.
    pairs = series(CIBMTR_DAY_ZERO, CIBMTR_PLATELETS)
    result = platelet_engraftment(pairs, transfusions=[])
    assert result.date == date(2024, 6, 19)


# --- Platelets: the 7-day transfusion rule ------------------------------------------------------


# Day 0: 5 (below 20); 30 every day from Day 10 to Day 20; one transfusion `gap` days before
# Day 10. A transfusion on Day T rules out the values of Days T..T+6.
@pytest.mark.parametrize(
    ("gap", "expected"),
    [
        (0, date(2026, 3, 19)),  # transfusion Day 10: Days 10..16 ruled out, first free Day 17
        (1, date(2026, 3, 18)),  # transfusion Day 9: Days 9..15 ruled out, Day 16
        (5, date(2026, 3, 14)),  # transfusion Day 5: Days 5..11 ruled out, Day 12
        (6, date(2026, 3, 13)),  # transfusion Day 4: Days 4..10 ruled out, Day 11
        (7, date(2026, 3, 12)),  # transfusion Day 3: Days 3..9 ruled out, Day 10 counts
        (8, date(2026, 3, 12)),  # transfusion Day 2: Day 10 counts
        (10, date(2026, 3, 12)),  # transfusion on Day 0 itself
    ],
    ids=[
        "same-day-blocks",
        "1-day-blocks",
        "5-days-block",
        "6-days-block",
        "7-days-do-not",
        "8-days-do-not",
        "10-days-do-not",
    ],
)
def test_platelets_a_transfusion_rules_out_values_up_to_6_days_after_it(gap, expected):
    pairs = [(D0, 5)] + series(D0, [30] * 11, start=10)
    transfusion = on(D0, 10 - gap)
    result = platelet_engraftment(pairs, transfusions=[transfusion], day_zero=D0)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == expected


@pytest.mark.parametrize(
    ("gap", "counts"),
    [(6, False), (7, True), (8, True)],
    ids=["6-days-before", "7-days-before", "8-days-before"],
)
def test_platelets_a_single_value_after_a_transfusion(gap, counts):
    # Three values on Days 10, 11, 12; the transfusion is `gap` days before Day 10 only.
    pairs = [(D0, 5)] + series(D0, [30, 30, 30], start=10)
    result = platelet_engraftment(pairs, transfusions=[on(D0, 10 - gap)], day_zero=D0)
    if counts:
        assert result.date == date(2026, 3, 12)
    else:
        assert result.outcome == Outcome.NOT_YET, "a transfusion 6 days before must block it"
        assert result.reason == (
            "Platelets ≥ 20 on 13, 14 Mar 2026; 1 more value on later days needed."
        )


def test_platelets_a_transfusion_on_the_day_of_the_value_blocks_it():
    pairs = [(D0, 5)] + series(D0, [30, 30, 30], start=10)
    result = platelet_engraftment(pairs, transfusions=[on(D0, 12)], day_zero=D0)
    assert result.outcome == Outcome.NOT_YET
    assert result.reason == (
        "Not yet: the count of 14 Mar 2026 followed a platelet transfusion on 14 Mar 2026, "
        "less than 7 days before."
    )


def test_platelets_a_transfusion_in_the_middle_of_a_run_restarts_it():
    # 30 from Day 10; transfusion on Day 12: Days 12..18 ruled out; 19, 20, 21 engraft.
    pairs = [(D0, 5)] + series(D0, [30] * 12, start=10)
    result = platelet_engraftment(pairs, transfusions=[on(D0, 12)], day_zero=D0)
    assert result.date == date(2026, 3, 21)
    assert result.reason == (
        "Platelets ≥ 20 on 21, 22, 23 Mar 2026, "
        "with no platelet transfusion in the 7 days before each."
    )


def test_platelets_a_transfusion_on_a_day_without_a_count_still_restarts_the_run():
    # Counts on Days 10, 11, 13..21 (none on Day 12, the transfusion day).
    pairs = [(D0, 5)] + series(D0, [30, 30, None] + [30] * 9, start=10)
    result = platelet_engraftment(pairs, transfusions=[on(D0, 12)], day_zero=D0)
    assert result.date == date(2026, 3, 21)


def test_platelets_the_reason_names_the_latest_of_several_recent_transfusions():
    pairs = [(D0, 5), (on(D0, 6), 40)]
    transfusions = [on(D0, 4), on(D0, 1), on(D0, 2), on(D0, 4)]
    result = platelet_engraftment(pairs, transfusions=transfusions, day_zero=D0)
    assert result.outcome == Outcome.NOT_YET
    assert result.reason == (
        "Not yet: the count of 8 Mar 2026 followed a platelet transfusion on 6 Mar 2026, "
        "less than 7 days before."
    )


def test_platelets_transfusion_dates_may_come_in_any_order_and_repeat():
    pairs = [(D0, 5)] + series(D0, [30] * 12, start=10)
    transfusions = [on(D0, 12), on(D0, 3), on(D0, 12), on(D0, 8)]
    result = platelet_engraftment(pairs, transfusions=transfusions, day_zero=D0)
    assert result.date == date(2026, 3, 21)


def test_platelets_accept_transfusions_as_any_iterable():
    pairs = [(D0, 5)] + series(D0, [30] * 3, start=10)
    transfusions = (on(D0, n) for n in [2])
    result = platelet_engraftment(pairs, transfusions=transfusions, day_zero=D0)
    assert result.date == date(2026, 3, 12)


# --- Platelets: thresholds, dips, repeats -----------------------------------------------------


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [(20, date(2026, 3, 4)), (50, date(2026, 3, 9))],
    ids=["at-20", "at-50"],
)
def test_platelets_the_threshold_is_20_or_50(threshold, expected):
    # Days 0..9: 8, 12, 22, 30, 45, 49, 35, 50, 60, 70
    pairs = series(D0, [8, 12, 22, 30, 45, 49, 35, 50, 60, 70])
    result = platelet_engraftment(pairs, transfusions=[], threshold=threshold, day_zero=D0)
    assert result.date == expected


def test_platelets_values_between_20_and_50_do_not_count_at_50():
    pairs = series(D0, [8, 12, 22, 30, 45, 49])
    result = platelet_engraftment(pairs, transfusions=[], threshold=50, day_zero=D0)
    assert result.outcome == Outcome.NOT_YET
    assert result.reason == "Not yet: the last platelet count was 49 on 7 Mar 2026."


@pytest.mark.parametrize(
    ("threshold", "values"),
    [
        (20, [10, 20, 20, 20]),
        (20, [10, Decimal("20.0"), 20.0, Decimal("20")]),
        (50, [10, 50, 50, 50]),
    ],
    ids=["20-ints", "20-decimals-and-floats", "50"],
)
def test_platelets_exactly_at_the_threshold_count(threshold, values):
    result = platelet_engraftment(
        series(D0, values), transfusions=[], threshold=threshold, day_zero=D0
    )
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2026, 3, 3)


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([10, 25, 19, 25, 30, 35], date(2026, 3, 5)),
        ([10, 25, 30, 19.5, 25, 30, 35], date(2026, 3, 6)),
        ([10, 25, 30, 35], date(2026, 3, 3)),
    ],
    ids=["dip-after-one", "dip-of-19.5-after-two", "no-dip"],
)
def test_platelets_a_dip_below_the_threshold_restarts_the_count(values, expected):
    result = platelet_engraftment(series(D0, values), transfusions=[], day_zero=D0)
    assert result.date == expected


@pytest.mark.parametrize(
    "repeats",
    [(15, 40), (40, 15)],
    ids=["low-drawn-first", "high-drawn-first"],
)
def test_platelets_a_low_repeat_on_one_day_breaks_the_run(repeats):
    pairs = [(D0, 10), (on(D0, 1), 25), (on(D0, 2), 30)]
    pairs += [(on(D0, 3), value) for value in repeats]
    pairs += [(on(D0, 4), 30), (on(D0, 5), 30), (on(D0, 6), 30)]
    result = platelet_engraftment(pairs, transfusions=[], day_zero=D0)
    assert result.date == date(2026, 3, 6), "the lower draw (15) of 5 Mar is taken"


def test_platelets_two_values_on_one_day_count_as_one_day():
    pairs = [(D0, 10), (on(D0, 1), 25), (on(D0, 1), 40), (on(D0, 2), 30)]
    result = platelet_engraftment(pairs, transfusions=[], day_zero=D0)
    assert result.outcome == Outcome.NOT_YET
    assert result.reason == "Platelets ≥ 20 on 3, 4 Mar 2026; 1 more value on later days needed."


def test_platelets_non_daily_values_count_as_consecutive_values():
    pairs = [(D0, 10), (on(D0, 3), 25), (on(D0, 7), 30), (on(D0, 14), 45)]
    result = platelet_engraftment(pairs, transfusions=[], day_zero=D0)
    assert result.date == date(2026, 3, 5)
    assert result.reason == (
        "Platelets ≥ 20 on 5, 9, 16 Mar 2026, "
        "with no platelet transfusion in the 7 days before each."
    )


def test_platelets_input_order_does_not_matter():
    pairs = series(CIBMTR_DAY_ZERO, CIBMTR_PLATELETS)[::-1]
    result = platelet_engraftment(pairs, transfusions=[CIBMTR_DAY_ZERO], day_zero=CIBMTR_DAY_ZERO)
    assert result.date == date(2024, 6, 20)


def test_platelets_a_run_crossing_a_month_writes_each_day_in_full():
    day_zero = date(2026, 3, 20)  # Days 10, 11, 12 = 30 Mar, 31 Mar, 1 Apr
    pairs = [(day_zero, 10)] + series(day_zero, [25, 30, 35], start=10)
    result = platelet_engraftment(pairs, transfusions=[], day_zero=day_zero)
    assert result.date == date(2026, 3, 30)
    assert result.reason == (
        "Platelets ≥ 20 on 30 Mar 2026, 31 Mar 2026, 1 Apr 2026, "
        "with no platelet transfusion in the 7 days before each."
    )


# --- Platelets: not applicable, and when counting starts ----------------------------------------


@pytest.mark.parametrize(
    ("threshold", "values"),
    [(20, [150, 90, 60, 35, 20, 28, 40, 75]), (50, [150, 90, 60, 55, 50, 58, 70, 95])],
    ids=["at-20", "at-50"],
)
def test_platelets_never_below_the_threshold_and_never_transfused_are_not_applicable(
    threshold, values
):
    values = values + [values[-1]] * 21  # through Day 28
    result = platelet_engraftment(
        series(D0, values), transfusions=[], threshold=threshold, day_zero=D0
    )
    assert result.outcome == Outcome.NOT_APPLICABLE
    assert result.date is None
    assert not result.engrafted
    assert result.reason == (
        f"Not applicable: platelets never fell below {threshold} and none were transfused."
    )


def test_platelets_never_below_the_threshold_before_day_14_is_not_yet():
    result = platelet_engraftment(series(D0, [150, 90, 60]), transfusions=[], day_zero=D0)
    assert result == Result(
        Outcome.NOT_YET, None, "Not yet: platelets have not fallen below 20 since transplant."
    )


def test_platelets_not_applicable_at_20_can_still_engraft_at_50():
    # Days 6, 7, 8 = 8, 9, 10 Mar; counts through Day 28
    values = [150, 90, 60, 35, 28, 40, 55, 60, 75, 80, 80, 80, 80, 80, 80] + [80] * 14
    at_20 = platelet_engraftment(series(D0, values), transfusions=[], day_zero=D0)
    at_50 = platelet_engraftment(series(D0, values), transfusions=[], threshold=50, day_zero=D0)
    assert at_20.outcome == Outcome.NOT_APPLICABLE
    assert at_50.date == date(2026, 3, 8)


def test_platelets_never_below_the_threshold_but_transfused_once_are_not_not_applicable():
    # 80 every day from Day 0 to Day 14; one transfusion on Day 3. Counting starts on Day 3;
    # Days 3..9 are ruled out; Days 10, 11, 12 (12, 13, 14 Mar) engraft.
    pairs = series(D0, [80] * 15)
    result = platelet_engraftment(pairs, transfusions=[on(D0, 3)], day_zero=D0)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2026, 3, 12), "values before the transfusion are no recovery"
    assert result.reason == (
        "Platelets ≥ 20 on 12, 13, 14 Mar 2026, "
        "with no platelet transfusion in the 7 days before each."
    )


def test_platelets_never_below_and_transfused_after_the_last_count_are_not_yet():
    pairs = series(D0, [90, 70, 60])
    result = platelet_engraftment(pairs, transfusions=[on(D0, 5)], day_zero=D0)
    assert result.outcome == Outcome.NOT_YET
    assert result.date is None
    assert result.reason == "Not yet: platelets have not fallen below 20 since transplant."


def test_platelets_values_before_the_first_fall_do_not_start_a_run():
    # 60, 45, 30 on Days 0..2, then 15 on Day 3, then 25, 30, 35 on Days 4..6.
    result = platelet_engraftment(
        series(D0, [60, 45, 30, 15, 25, 30, 35]), transfusions=[], day_zero=D0
    )
    assert result.date == date(2026, 3, 6)


def test_platelets_values_before_day_zero_are_ignored_when_day_zero_is_given():
    pairs = series(D0, [8, 9, 12], start=-3) + series(D0, [40, 45, 50, 60] + [60] * 25)
    with_day_zero = platelet_engraftment(pairs, transfusions=[], day_zero=D0)
    without = platelet_engraftment(pairs, transfusions=[])
    assert with_day_zero.outcome == Outcome.NOT_APPLICABLE, "Days -3..-1 must be ignored"
    assert without.outcome == Outcome.ENGRAFTED
    assert without.date == D0


def test_platelets_only_values_before_day_zero_are_no_data():
    pairs = series(D0, [8, 9, 12], start=-3)
    result = platelet_engraftment(pairs, transfusions=[on(D0, -2)], day_zero=D0)
    assert result == Result(Outcome.NOT_YET, None, "No platelet counts yet.")


def test_platelets_a_transfusion_shortly_before_day_zero_still_rules_out_early_values():
    # Regression: transfusions dated before Day 0 were once dropped with `day_zero`, so a count
    # on Day +1 counted although platelets were given on Day -1, two days earlier. The rule
    # (CLINICAL.md section 3) is no platelet transfusion in the 7 days before each value: the
    # Day -1 transfusion rules out Days -1..+5, so the run of 30s from Day 1 first counts on
    # Day 6 (8 Mar 2026), not Day 1 (3 Mar 2026).
    pairs = [(D0, 10)] + series(D0, [30] * 8, start=1)  # 10 on Day 0, 30 on Days 1..8
    result = platelet_engraftment(pairs, transfusions=[on(D0, -1)], day_zero=D0)
    assert result.date == date(2026, 3, 8), (
        f"a platelet transfusion on Day -1 (1 Mar 2026) must rule out counts up to Day +5, "
        f"but engraftment was dated {result.date} (reason: {result.reason!r})"
    )


def test_platelets_a_transfusion_long_before_day_zero_does_not_matter():
    pairs = [(D0, 10)] + series(D0, [30] * 3, start=1)
    result = platelet_engraftment(pairs, transfusions=[on(D0, -10)], day_zero=D0)
    assert result.date == date(2026, 3, 3)


def test_platelets_without_day_zero_use_every_value_and_transfusion():
    pairs = series(D0, [8, 30, 30, 30, 30, 30, 30, 30, 30, 30], start=-3)  # Days -3..6
    result = platelet_engraftment(pairs, transfusions=[on(D0, -2)])
    # Transfusion on Day -2 rules out Days -2..4; Days 5, 6 and no third value yet.
    assert result.outcome == Outcome.NOT_YET
    assert result.reason == "Platelets ≥ 20 on 7, 8 Mar 2026; 1 more value on later days needed."


# --- Platelets: no data and the other reasons ---------------------------------------------------


@pytest.mark.parametrize(
    "transfusions",
    [[], [D0, on(D0, 2)]],
    ids=["no-transfusions", "transfusions-only"],
)
def test_platelets_with_no_counts_are_not_yet(transfusions):
    result = platelet_engraftment([], transfusions=transfusions, day_zero=D0)
    assert result == Result(Outcome.NOT_YET, None, "No platelet counts yet.")


def test_platelets_with_no_counts_and_no_day_zero_are_not_yet():
    result = platelet_engraftment([], transfusions=[])
    assert result == Result(Outcome.NOT_YET, None, "No platelet counts yet.")


def test_platelets_still_below_the_threshold_name_the_last_count():
    result = platelet_engraftment(series(D0, [40, 25, 12, 9, 11]), transfusions=[], day_zero=D0)
    assert result.outcome == Outcome.NOT_YET
    assert result.reason == "Not yet: the last platelet count was 11 on 6 Mar 2026."


def test_platelets_reason_writes_decimal_counts_without_trailing_zeros():
    pairs = series(D0, [Decimal("12.0"), Decimal("18.50")])
    result = platelet_engraftment(pairs, transfusions=[], day_zero=D0)
    assert result.reason == "Not yet: the last platelet count was 18.5 on 3 Mar 2026."


def test_platelets_reason_after_one_value_needs_two_more():
    result = platelet_engraftment(series(D0, [10, 12, 24]), transfusions=[], day_zero=D0)
    assert result.reason == "Platelets ≥ 20 on 4 Mar 2026; 2 more values on later days needed.", (
        ONE_DAY_BUG
    )


def test_platelets_reason_at_50_names_the_threshold():
    pairs = series(D0, [10, 30, 55, 60])
    result = platelet_engraftment(pairs, transfusions=[], threshold=50, day_zero=D0)
    assert result.reason == "Platelets ≥ 50 on 4, 5 Mar 2026; 1 more value on later days needed."


# --- Graft failure (ASTCT 2024; CLINICAL.md section 3) ----------------------------------------


NOT_YET = Result(Outcome.NOT_YET, None, "Not yet.")
NOT_APPLICABLE = Result(Outcome.NOT_APPLICABLE, None, "Not applicable.")


def engrafted_on(day):
    return Result(Outcome.ENGRAFTED, day, "Engrafted.")


def alert_of(result, *, today, failure_day, last_anc_on=None):
    """The alert, with an ANC entered on `today` unless the test says otherwise."""
    last = today if last_anc_on is None else last_anc_on
    return graft_failure(
        result, day_zero=D0, today=today, failure_day=failure_day, last_anc_on=last
    ).alert


@pytest.mark.parametrize(
    ("failure_day", "today", "alert"),
    [
        (30, date(2026, 3, 31), Alert.NONE),  # Day +29
        (30, date(2026, 4, 1), Alert.NONE),  # Day +30 itself: not yet
        (30, date(2026, 4, 2), Alert.GRAFT_FAILURE),  # Day +31
        (30, date(2026, 6, 1), Alert.GRAFT_FAILURE),
        (42, date(2026, 4, 2), Alert.NONE),  # cord: Day +31 is no alert
        (42, date(2026, 4, 13), Alert.NONE),  # cord: Day +42 itself
        (42, date(2026, 4, 14), Alert.GRAFT_FAILURE),  # cord: Day +43
        (28, date(2026, 3, 30), Alert.NONE),  # a centre's Day +28
        (28, date(2026, 3, 31), Alert.GRAFT_FAILURE),
    ],
    ids=[
        "30-day-29",
        "30-day-30",
        "30-day-31",
        "30-day-91",
        "42-day-31",
        "42-day-42",
        "42-day-43",
        "28-day-28",
        "28-day-29",
    ],
)
def test_graft_failure_alerts_only_after_the_failure_day_without_engraftment(
    failure_day, today, alert
):
    assert alert_of(NOT_YET, today=today, failure_day=failure_day) == alert


@pytest.mark.parametrize(
    ("engraftment", "failure_day"),
    [
        (date(2026, 3, 20), 30),  # Day +18
        (date(2026, 4, 1), 30),  # Day +30, the deadline itself
        (date(2026, 4, 13), 42),  # Day +42 for cord
        (date(2026, 4, 2), 42),  # Day +31 is in time for cord
    ],
    ids=["day-18-of-30", "day-30-of-30", "day-42-of-42", "day-31-of-42"],
)
def test_graft_failure_no_alert_when_engraftment_is_dated_by_the_deadline(engraftment, failure_day):
    # Confirmed later (today is long after the deadline) but dated on or before it.
    result = engrafted_on(engraftment)
    assert alert_of(result, today=date(2026, 7, 1), failure_day=failure_day) == Alert.NONE


@pytest.mark.parametrize(
    ("engraftment", "failure_day"),
    [(date(2026, 4, 2), 30), (date(2026, 4, 14), 42), (date(2026, 3, 31), 28)],
    ids=["day-31-of-30", "day-43-of-42", "day-29-of-28"],
)
def test_engraftment_after_the_failure_day_ends_the_alert_as_late_engraftment(
    engraftment, failure_day
):
    result = engrafted_on(engraftment)
    failure = graft_failure(
        result, day_zero=D0, today=date(2026, 5, 1), failure_day=failure_day, last_anc_on=None
    )
    assert failure.alert == Alert.LATE_ENGRAFTMENT
    assert "Late engraftment" in failure.reason


@pytest.mark.parametrize("failure_day", [28, 30, 42], ids=["28", "30", "42"])
def test_graft_failure_never_alerts_when_neutrophils_are_not_applicable(failure_day):
    assert alert_of(NOT_APPLICABLE, today=date(2027, 1, 1), failure_day=failure_day) == Alert.NONE


def test_no_counts_after_the_failure_day_is_a_data_warning_not_graft_failure():
    failure = graft_failure(
        NOT_YET, day_zero=D0, today=date(2026, 4, 20), failure_day=30, last_anc_on=date(2026, 3, 22)
    )
    assert failure.alert == Alert.NO_COUNTS
    assert "No ANC since Day +20" in failure.reason


def test_no_counts_at_all_after_the_failure_day_is_a_data_warning():
    failure = graft_failure(
        NOT_YET, day_zero=D0, today=date(2026, 4, 20), failure_day=30, last_anc_on=None
    )
    assert failure.alert == Alert.NO_COUNTS


@pytest.mark.parametrize(
    ("graft_source", "override", "day"),
    [
        ("bone_marrow", None, 30),
        ("pbsc", None, 30),
        ("cord_blood", None, 42),
        ("pbsc", 28, 28),
        ("cord_blood", 28, 28),
    ],
)
def test_the_failure_day_follows_the_graft_source_unless_the_centre_sets_one(
    graft_source, override, day
):
    assert graft_failure_day(graft_source, override) == day


def test_graft_failure_alert_from_real_counts_that_never_recover():
    pairs = series(D0, [0.3] + [0.1] * 40)  # Days 0..40, always below 0.5
    result = neutrophil_engraftment(pairs, day_zero=D0)
    assert result.outcome == Outcome.NOT_YET
    assert alert_of(result, today=date(2026, 4, 2), failure_day=30) == Alert.GRAFT_FAILURE
    assert alert_of(result, today=date(2026, 4, 2), failure_day=42) == Alert.NONE


def test_graft_failure_no_alert_from_real_counts_that_recover_in_time():
    result = anc(TEXTBOOK_ANC)  # engrafted 14 Mar 2026, Day +12
    assert alert_of(result, today=date(2026, 6, 1), failure_day=30) == Alert.NONE


@pytest.mark.parametrize(
    ("result", "last_anc_on", "headline"),
    [
        (NOT_YET, date(2026, 4, 20), "Graft failure alert"),
        (NOT_YET, date(2026, 3, 22), "No ANC since Day +20"),
        (NOT_YET, None, "No ANC entered at all"),
        (engrafted_on(date(2026, 4, 6)), None, "Late engraftment"),
        (engrafted_on(date(2026, 3, 20)), None, ""),
    ],
    ids=["failure", "no-counts-since", "no-counts-at-all", "late", "in-time"],
)
def test_each_alert_has_a_headline_for_lists(result, last_anc_on, headline):
    failure = graft_failure(
        result, day_zero=D0, today=date(2026, 4, 20), failure_day=30, last_anc_on=last_anc_on
    )
    assert failure.headline == headline
