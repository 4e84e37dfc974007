"""Clinical cases for tracker.rules.engraftment, written from CLINICAL.md section 3 alone.

Pure Python: no database, no Django. Every expected date below was worked out by hand from a
calendar and from the clinical rule quoted above each group, never by calling the code under
test. Where CLINICAL.md is silent, a `# judgement:` comment says what was assumed.

Day numbering (CLINICAL.md section 2): Day n = day_zero + n days. Most series start on
Day 0 = Monday 2 March 2026, so Day n is March (2 + n) up to Day 29 = 31 March, Day 30 =
1 April, Day 31 = 2 April, Day 35 = 6 April, Day 42 = 13 April, Day 43 = 14 April.

ANC values are in x 10^9/L (0.5 = 500/mm3), platelets in x 10^9/L (20 = 20,000/mm3).
"""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tracker.rules.engraftment import (
    Alert,
    GraftFailure,
    Outcome,
    Result,
    graft_failure,
    graft_failure_day,
    neutrophil_engraftment,
    platelet_engraftment,
)

D0 = date(2026, 3, 2)  # Day 0 of most series (a Monday)
LEAP_D0 = date(2028, 2, 27)  # Day +1 = 28 Feb, Day +2 = 29 Feb, Day +3 = 1 Mar 2028


def day(n, day_zero=D0):
    """The date of Day n (Day -1 is the day before Day 0)."""
    return day_zero + timedelta(days=n)


def dec(*texts):
    return [Decimal(t) for t in texts]


def daily(values, *, start=0, day_zero=D0):
    """(date, value) pairs on consecutive days from Day `start`; None skips a day."""
    return [(day(start + i, day_zero), v) for i, v in enumerate(values) if v is not None]


def on_days(values_by_day, *, day_zero=D0):
    """(date, value) pairs from {day number: value}."""
    return [(day(n, day_zero), v) for n, v in values_by_day.items()]


def steady(value, first, last, *, day_zero=D0):
    """The same value every day from Day `first` to Day `last`, both included."""
    return [(day(n, day_zero), value) for n in range(first, last + 1)]


def anc(points, *, today=None, day_zero=D0):
    """neutrophil_engraftment with today = the last value's date unless given."""
    points = list(points)
    if today is None:
        today = max((p[0] for p in points), default=day_zero)
    result = neutrophil_engraftment(points, day_zero=day_zero, today=today)
    assert result.reason.strip(), "every result carries words a clinician can check"
    return result


def plt(points, transfusions=(), *, threshold=20, today=None, day_zero=D0):
    """platelet_engraftment with today = the last value's date unless given."""
    points = list(points)
    if today is None:
        today = max((p[0] for p in points), default=day_zero)
    result = platelet_engraftment(
        points,
        transfusions=list(transfusions),
        threshold=threshold,
        day_zero=day_zero,
        today=today,
    )
    assert result.reason.strip(), "every result carries words a clinician can check"
    return result


def alert_for(result, *, today, failure_day, last_anc_on, day_zero=D0):
    found = graft_failure(
        result, day_zero=day_zero, today=today, failure_day=failure_day, last_anc_on=last_anc_on
    )
    assert isinstance(found, GraftFailure)
    if found.alert != Alert.NONE:
        assert found.reason.strip(), "an alert must say why"
    return found


# A myeloablative course: residual counts >= 0.5 on Days 0-2, the fall, the nadir 0.02 on
# Day +7 (9 Mar), a slow rise below 0.5, then 0.6, 0.9, 1.4 on Days +14, +15, +16.
# fmt: off
COURSE = dec(
    "1.6", "1.1", "0.8", "0.4", "0.3", "0.2", "0.1", "0.02",  # Days 0-7
    "0.05", "0.1", "0.2", "0.3", "0.35", "0.4",               # Days 8-13
    "0.6", "0.9", "1.4",                                      # Days 14-16
)
# fmt: on
COURSE_ENGRAFTED = date(2026, 3, 16)  # Day +14


def course(until=16, then="1.8"):
    """COURSE, then the count staying up at `then` every day to Day `until`."""
    return daily(COURSE) + steady(Decimal(then), 17, until)


# --- The vocabulary ---------------------------------------------------------------------------


def test_outcomes_and_alerts_are_the_agreed_strings():
    assert {o.value for o in Outcome} == {
        "engrafted",
        "not_yet",
        "not_applicable",
        "not_enough_counts",
        "needs_review",
    }
    assert {a.value for a in Alert} == {"none", "graft_failure", "late_engraftment", "no_counts"}


@pytest.mark.parametrize("outcome", list(Outcome), ids=lambda o: o.value)
def test_only_the_engrafted_outcome_counts_as_engrafted(outcome):
    result = Result(outcome=outcome, date=D0 if outcome == Outcome.ENGRAFTED else None, reason="x")
    assert result.engrafted is (outcome == Outcome.ENGRAFTED)
    assert result.review == ""


# --- Neutrophils: the first of three values >= 0.5 after the nadir ----------------------------
# CLINICAL.md 3: "absolute neutrophil count (ANC) >= 0.5 x 10^9/L on three consecutive
# laboratory values obtained on different days, counted only after the post-transplant nadir
# ... The engraftment date is the date of the first of the three."


def test_neutrophils_engraft_on_the_first_of_three_values_after_the_nadir():
    result = anc(course())
    assert result.outcome == Outcome.ENGRAFTED
    assert result.engrafted
    assert result.date == COURSE_ENGRAFTED
    assert result.review == ""


def test_two_values_at_or_above_half_after_the_nadir_are_not_yet_engraftment():
    result = anc(daily(COURSE[:16]))  # Days 0-15: only 0.6 and 0.9 after the nadir
    assert result.outcome == Outcome.NOT_YET
    assert result.date is None
    assert not result.engrafted


def test_a_count_that_has_fallen_and_not_recovered_is_not_yet():
    result = anc(daily(COURSE[:14]))  # Days 0-13, still below 0.5
    assert result.outcome == Outcome.NOT_YET
    assert result.date is None


def test_a_value_below_half_between_breaks_the_run_and_counting_starts_again():
    points = daily(COURSE[:14]) + daily(dec("0.6", "0.7", "0.45", "0.8", "1.0", "1.2"), start=14)
    result = anc(points)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2026, 3, 19)  # Day +17


# CLINICAL.md 3: "Values need not be daily".
def test_values_need_not_be_daily():
    points = daily(COURSE[:14]) + on_days({17: Decimal("0.7"), 20: Decimal("1.0"), 24: 1.3})
    result = anc(points)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2026, 3, 19)  # Day +17, the first of 17, 20, 24


def test_integer_and_float_counts_are_read_as_numbers():
    # Days 0-8: the lowest value 0 first on Day +3, then 1, 2, 2.5 on Days +6, +7, +8.
    result = anc(daily([3, 2.5, 1, 0, 0.1, 0, 1, 2, 2.5]))
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2026, 3, 8)  # Day +6


# --- Neutrophils: which nadir -----------------------------------------------------------------
# CLINICAL.md 3: "The nadir is the lowest post-transplant value (its first occurrence) among
# the values known so far, not the first value below 0.5: residual counts that bounce above
# 0.5 in the first days, before the real aplasia, never count."


def test_residual_counts_above_half_before_the_aplasia_never_count():
    # The brief's case: 0.45 on Day 0, 0.55 / 0.52 / 0.50 on Days 1-3, then 0.0 to Day +40.
    points = daily(dec("0.45", "0.55", "0.52", "0.50")) + steady(Decimal("0.0"), 4, 40)
    result = anc(points, today=day(40))
    assert not result.engrafted
    assert result.outcome == Outcome.NOT_YET
    assert result.date is None


def test_residual_counts_above_half_before_the_aplasia_are_graft_failure_by_day_40_on_pbsc():
    points = daily(dec("0.45", "0.55", "0.52", "0.50")) + steady(Decimal("0.0"), 4, 40)
    result = anc(points, today=day(40))
    found = alert_for(
        result, today=day(40), failure_day=graft_failure_day("pbsc"), last_anc_on=day(40)
    )
    assert found.alert == Alert.GRAFT_FAILURE


def test_a_clear_residual_bounce_on_days_1_to_3_is_skipped_and_the_real_recovery_counts():
    points = (
        daily(dec("0.45", "0.6", "0.7", "0.8"))  # Days 0-3: residual cells
        + steady(Decimal("0.0"), 4, 13)  # the aplasia
        + daily(dec("0.6", "0.9", "1.2"), start=14)
    )
    result = anc(points)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2026, 3, 16)  # Day +14, not Day +1


def test_counts_above_half_on_days_0_to_2_before_the_fall_never_count():
    result = anc(course())
    assert result.date != D0
    assert result.date == COURSE_ENGRAFTED


def test_a_low_count_before_day_0_is_not_the_post_transplant_nadir():
    # 0.0 on Day -3 is lower than the post-transplant nadir 0.02, but it is pre-transplant:
    # taking it as the nadir would make Days 0, 1, 2 (1.6, 1.1, 0.8) engraftment on Day 0.
    points = on_days({-3: Decimal("0.0"), -1: Decimal("0.1")}) + course()
    result = anc(points)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == COURSE_ENGRAFTED


# --- Neutrophils: after engraftment --------------------------------------------------------
# CLINICAL.md 3: "Once engraftment is established after a nadir, a later fall (even lower)
# does not move the nadir or the date: it is a possible secondary graft failure, flagged for
# review." and "Secondary graft failure: ... e.g. ANC falling below 0.5 again on three
# consecutive values ... flag it for review, never silently un-engraft."


def test_a_later_fall_below_the_nadir_keeps_the_date_and_flags_secondary_graft_failure():
    # Nadir 0.02 on Day +7, up from Day +14 for three weeks, then 0.4, 0.2, 0.0, 0.0, 0.0.
    points = course(until=35) + daily(dec("0.4", "0.2", "0.0", "0.0", "0.0"), start=36)
    result = anc(points)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == COURSE_ENGRAFTED
    assert "secondary" in result.review.lower()
    # The primary graft failure alert stays quiet: the graft did engraft, by Day +30.
    found = alert_for(result, today=day(40), failure_day=30, last_anc_on=day(40))
    assert found.alert == Alert.NONE


def test_three_values_below_half_after_engraftment_flag_review_even_when_not_below_the_nadir():
    points = course(until=30) + daily(dec("0.3", "0.2", "0.3"), start=31)
    result = anc(points)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == COURSE_ENGRAFTED
    assert "secondary" in result.review.lower()


def test_a_two_value_dip_after_engraftment_is_not_flagged_as_secondary_graft_failure():
    # judgement: CLINICAL.md gives "three consecutive values" below 0.5 as the example of a
    # secondary graft failure; a dip on two values that recovers is not flagged.
    points = course(until=25) + on_days({26: Decimal("0.4"), 27: Decimal("0.3")})
    points += steady(Decimal("1.5"), 28, 32)
    result = anc(points)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == COURSE_ENGRAFTED
    assert "secondary" not in result.review.lower()


def test_a_later_single_value_equal_to_the_nadir_does_not_move_it_first_occurrence_wins():
    points = course(until=24) + [(day(25), Decimal("0.02"))] + steady(Decimal("1.5"), 26, 30)
    result = anc(points)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == COURSE_ENGRAFTED


# --- Neutrophils: several values on one day, order of input -------------------------------
# CLINICAL.md 3: "two values on one day count as one day (taking the lower is the
# conservative choice)."


def test_two_values_on_one_day_count_as_one_day_and_the_lower_is_taken():
    # Day +14 has 0.6 and 0.45: the day counts as 0.45, so the run starts on Day +15.
    points = course(until=17) + [(day(14), Decimal("0.45"))]
    result = anc(points)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2026, 3, 17)  # Day +15


def test_two_high_values_on_one_day_are_one_value_not_two():
    points = daily(COURSE[:14]) + on_days({14: Decimal("0.6"), 15: Decimal("0.9")})
    points += [(day(14), Decimal("0.7"))]
    assert anc(points).outcome == Outcome.NOT_YET
    points += [(day(16), Decimal("1.4"))]
    result = anc(points)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2026, 3, 16)  # Day +14


@pytest.mark.parametrize("order", ["reversed", "shuffled"])
def test_the_order_of_the_values_does_not_matter(order):
    points = course(until=20)
    if order == "reversed":
        points.reverse()
    else:
        random.Random(2026).shuffle(points)
    result = anc(points, today=day(20))
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == COURSE_ENGRAFTED


def test_the_same_value_entered_twice_changes_nothing():
    points = course(until=20)
    result = anc(points + list(reversed(points)))
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == COURSE_ENGRAFTED


# --- Neutrophils: an automated ANC of exactly 0.5 ---------------------------------------------
# CLINICAL.md 3: "An automated ANC of exactly 0.5 must be recalculated from the manual
# differential before it can count (CIBMTR); until then the result needs review." and "never
# round a value the user typed into a different value (0.495 is not 0.5)."

# (the value, its place in the three values on Days +14, +15, +16)
HALVES = [(Decimal("0.5"), 0), (Decimal("0.50"), 1), (0.5, 2)]
HALF_IDS = ["decimal-0.5-first", "decimal-0.50-second", "float-0.5-third"]


def run_with(value_or_point, position):
    """Days 0-13 of COURSE, then 0.6, 0.9, 1.4 on Days 14-16 with one replaced."""
    run = daily(dec("0.6", "0.9", "1.4"), start=14)
    run[position] = value_or_point
    return daily(COURSE[:14]) + run


@pytest.mark.parametrize(("half", "position"), HALVES, ids=HALF_IDS)
def test_an_automated_anc_of_exactly_half_needs_review_before_it_can_decide(half, position):
    result = anc(run_with((day(14 + position), half), position))
    assert result.outcome == Outcome.NEEDS_REVIEW
    assert not result.engrafted
    assert result.date == COURSE_ENGRAFTED  # the date that follows if the 0.5 is confirmed
    assert "0.5" in result.reason


def test_an_anc_marked_not_manual_is_automated():
    result = anc(run_with((day(15), Decimal("0.5"), False), 1))
    assert result.outcome == Outcome.NEEDS_REVIEW
    assert result.date == COURSE_ENGRAFTED


@pytest.mark.parametrize(("half", "position"), HALVES, ids=HALF_IDS)
def test_the_same_half_from_a_manual_differential_engrafts(half, position):
    result = anc(run_with((day(14 + position), half, True), position))
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == COURSE_ENGRAFTED


def test_an_automated_half_that_would_make_the_date_one_day_earlier_needs_review():
    # judgement: 0.5 (automated) on Day +14, then 0.6, 0.9, 1.4 on Days +15 to +17. Engraftment
    # is certain, but the date (Day +14 if confirmed, Day +15 if not) hangs on the 0.5, so the
    # result needs review with the date that follows if the value is confirmed.
    points = daily(COURSE[:14]) + daily([Decimal("0.5"), *dec("0.6", "0.9", "1.4")], start=14)
    result = anc(points)
    assert result.outcome == Outcome.NEEDS_REVIEW
    assert result.date == COURSE_ENGRAFTED


def test_an_automated_half_after_engraftment_is_established_changes_nothing():
    points = course(until=20) + on_days({21: Decimal("0.5"), 22: Decimal("1.6")})
    result = anc(points)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == COURSE_ENGRAFTED


@pytest.mark.parametrize(
    "below",
    [Decimal("0.495"), 0.495, Decimal("0.49"), Decimal("0.499")],
    ids=["decimal-0.495", "float-0.495", "decimal-0.49", "decimal-0.499"],
)
def test_an_anc_just_under_half_is_below_half_and_never_rounded_up(below):
    points = daily(COURSE[:14]) + daily([below, *dec("0.6", "0.9", "1.4")], start=14)
    result = anc(points)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2026, 3, 17)  # Day +15: Day +14 does not count


def test_a_dip_to_0_495_is_a_fall_below_half_so_the_recovery_after_it_is_engraftment():
    # Days 0-9 all >= 0.5, 0.495 on Day +10, then >= 0.5 to Day +28: the count did fall
    # below 0.5, so this is not "not applicable".
    falling = dec("1.5", "1.2", "1.0", "0.9", "0.8", "0.7", "0.65", "0.6", "0.55", "0.52")
    points = daily([*falling, Decimal("0.495"), *dec("0.6", "0.8")])
    points += steady(Decimal("1.0"), 13, 28)
    result = anc(points)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2026, 3, 13)  # Day +11


# --- Neutrophils: "not applicable" only on evidence ---------------------------------------
# CLINICAL.md 3: '"Not applicable" means the count never fell below the threshold ... Say it
# only on evidence: counts from the first days after Day 0 (by Day +3) through at least Day +28
# with no gap longer than 7 days ... Before that the answer is "not yet"; with gaps, "not
# enough counts to say". Missing data is never "not applicable".'

NEVER_BELOW_HALF = daily(
    dec("2.4", "2.0", "1.7", "1.4", "1.2", "1.0", "0.9", "0.8", "0.7", "0.6")  # Days 0-9
    + dec("0.7", "0.9", "1.1", "1.4", "1.8")  # Days 10-14
) + steady(Decimal("2.0"), 15, 28)


def test_counts_never_below_half_from_day_0_to_day_28_are_not_applicable():
    # The dip to 0.6 on Day +9 and the three higher values after it are not engraftment.
    result = anc(NEVER_BELOW_HALF)
    assert result.outcome == Outcome.NOT_APPLICABLE
    assert result.date is None
    assert not result.engrafted


def test_a_slow_reduced_intensity_fall_still_above_half_at_day_14_is_not_yet():
    points = daily(
        dec("3.0", "2.8", "2.6", "2.4", "2.2", "2.0", "1.8", "1.6")
        + dec("1.4", "1.2", "1.1", "1.0", "0.9", "0.7", "0.6")
    )
    result = anc(points, today=day(14))
    assert result.outcome == Outcome.NOT_YET
    assert result.date is None


@pytest.mark.parametrize(
    ("last", "outcome"),
    [(27, Outcome.NOT_YET), (28, Outcome.NOT_APPLICABLE)],
    ids=["last-day-27", "last-day-28"],
)
def test_daily_counts_must_reach_day_28_before_not_applicable(last, outcome):
    result = anc(steady(Decimal("1.5"), 0, last), today=day(last))
    assert result.outcome == outcome
    assert result.date is None


def test_a_first_count_on_day_3_is_early_enough():
    result = anc(steady(Decimal("1.5"), 3, 28))
    assert result.outcome == Outcome.NOT_APPLICABLE


def test_a_first_count_on_day_4_is_too_late_to_say_not_applicable():
    result = anc(steady(Decimal("1.5"), 4, 28))
    assert result.outcome == Outcome.NOT_ENOUGH_COUNTS
    assert result.date is None
    assert "Day +4" in result.reason


def test_a_first_anc_only_on_day_18_is_not_enough_counts():
    result = anc(steady(Decimal("1.2"), 18, 30))
    assert result.outcome == Outcome.NOT_ENOUGH_COUNTS
    assert result.date is None
    assert "Day +18" in result.reason


def test_only_a_day_0_and_a_day_14_value_are_not_enough_counts():
    result = anc(on_days({0: Decimal("1.5"), 14: Decimal("1.2")}), today=day(14))
    assert result.outcome == Outcome.NOT_ENOUGH_COUNTS
    assert "gap" in result.reason.lower()


def test_weekly_counts_exactly_seven_days_apart_are_enough_for_not_applicable():
    points = on_days({0: 1.8, 7: 1.1, 14: 0.9, 21: 1.4, 28: 2.0})
    result = anc(points)
    assert result.outcome == Outcome.NOT_APPLICABLE


@pytest.mark.parametrize(
    "days",
    [(0, 7, 15, 22, 28), (0, 7, 14, 20, 28)],
    ids=["gap-day-7-to-15", "gap-day-20-to-28"],
)
def test_a_gap_of_eight_days_means_not_enough_counts(days):
    result = anc(on_days(dict.fromkeys(days, Decimal("1.4"))))
    assert result.outcome == Outcome.NOT_ENOUGH_COUNTS
    assert result.date is None
    assert "gap" in result.reason.lower()


def test_no_counts_at_all_are_never_not_applicable():
    # judgement: with no ANC at all by Day +40 the outcome may be "not yet" or "not enough
    # counts" (CLINICAL.md does not say which); it must not be "not applicable" or a date.
    result = anc([], today=day(40))
    assert result.outcome in {Outcome.NOT_YET, Outcome.NOT_ENOUGH_COUNTS}
    assert result.date is None


def test_gaps_after_the_count_has_fallen_below_half_do_not_matter_it_is_not_yet():
    # judgement: NOT_ENOUGH_COUNTS is about proving "not applicable". Once the ANC has fallen
    # below 0.5, "not applicable" is ruled out whatever the gaps, so the answer is "not yet".
    points = daily(COURSE[:8]) + [(day(17), Decimal("0.3"))]  # ten days without a count
    result = anc(points)
    assert result.outcome == Outcome.NOT_YET


@pytest.mark.parametrize(
    ("first", "last", "outcome"),
    [
        (date(2028, 3, 1), date(2028, 3, 26), Outcome.NOT_APPLICABLE),  # Day +3 to Day +28
        (date(2028, 3, 2), date(2028, 3, 26), Outcome.NOT_ENOUGH_COUNTS),  # from Day +4
        (date(2028, 3, 1), date(2028, 3, 25), Outcome.NOT_YET),  # only to Day +27
    ],
    ids=["day-3-to-28", "day-4-to-28", "day-3-to-27"],
)
def test_the_coverage_edges_count_the_leap_day(first, last, outcome):
    # Day 0 = 27 Feb 2028, so 29 Feb is Day +2 and 1 Mar is Day +3.
    points = [(first + timedelta(days=i), Decimal("1.5")) for i in range((last - first).days + 1)]
    result = anc(points, today=last, day_zero=LEAP_D0)
    assert result.outcome == outcome


def test_neutrophils_can_engraft_on_a_leap_day():
    day_zero = date(2028, 2, 15)  # Day +14 = 29 Feb 2028
    result = anc(daily(COURSE, day_zero=day_zero), day_zero=day_zero)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2028, 2, 29)


# --- Platelets --------------------------------------------------------------------------------
# CLINICAL.md 3: "the first of three consecutive laboratory values >= 20 x 10^9/L obtained on
# different days, with no platelet transfusion in the 7 days before each of them (CIBMTR's
# worked example: a transfusion on Day 0 rules out Day +6 and not Day +7; transfusions before
# Day 0 count for this rule too). ... The same rule is reported at >= 50 x 10^9/L."

# CIBMTR Forms Instruction Manual, form 2100, "Reporting Platelet Recovery (>= 20 and >= 50)":
# Day 0 = 13 June, the last platelet transfusion that day; >= 20 reported on 20 June (Day +7),
# >= 50 on 22 June (Day +9).
CIBMTR_D0 = date(2024, 6, 13)
CIBMTR_COUNTS = [10, 30, 25, 10, 15, 19, 23, 25, 40, 50, 56, 65, 72]


@pytest.mark.parametrize(
    ("threshold", "expected"),
    [(20, date(2024, 6, 20)), (50, date(2024, 6, 22))],
    ids=["20", "50"],
)
def test_the_cibmtr_worked_example(threshold, expected):
    result = plt(
        daily(CIBMTR_COUNTS, day_zero=CIBMTR_D0),
        [CIBMTR_D0],
        threshold=threshold,
        day_zero=CIBMTR_D0,
    )
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == expected


def test_the_cibmtr_example_unsorted_with_repeated_and_earlier_transfusions():
    points = daily(CIBMTR_COUNTS, day_zero=CIBMTR_D0)
    random.Random(13).shuffle(points)
    transfusions = [CIBMTR_D0, day(-3, CIBMTR_D0), CIBMTR_D0]
    result = plt(points, transfusions, day_zero=CIBMTR_D0, today=date(2024, 6, 25))
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2024, 6, 20)


# Days 0-26: a fall through 22 on Day +4 to the nadir 5 on Day +8, then >= 20 from Day +16.
# fmt: off
PLATELETS = [
    80, 60, 45, 30, 22, 18, 12, 9, 5,       # Days 0-8
    7, 8, 10, 12, 14, 16, 17,               # Days 9-15
    25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75,  # Days 16-26
]
# fmt: on


@pytest.mark.parametrize(
    ("transfused_on", "expected"),
    [(9, date(2026, 3, 18)), (10, date(2026, 3, 19))],
    ids=["7-days-before-allowed", "6-days-before-rules-out"],
)
def test_a_transfusion_7_days_before_allows_a_value_and_6_days_before_rules_it_out(
    transfused_on, expected
):
    result = plt(daily(PLATELETS), [day(transfused_on)])
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == expected  # Day +16 when transfused Day +9, Day +17 when Day +10


def test_a_transfusion_on_the_same_day_as_a_count_rules_that_count_out():
    # judgement: a transfusion on the day of a count is "in the 7 days before" it (0 days);
    # dates carry no time, so the conservative reading rules the count out. Here platelets
    # are given on Day +18 (say, before a line removal), the day of the third value: Days +16
    # and +17 stand alone, Days +18 to +24 are ruled out, Days +25 to +27 count.
    points = daily(PLATELETS) + [(day(27), 80)]
    result = plt(points, [day(9), day(18)])
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2026, 3, 27)  # Day +25, not Day +16


def test_a_transfusion_after_the_three_values_does_not_move_the_date():
    result = plt(daily(PLATELETS), [day(25), day(9)])
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2026, 3, 18)  # Day +16


def test_a_transfusion_before_day_0_counts_for_the_seven_day_rule():
    # Transfused on Day -1: Days +2 to +5 (21-28) are within 6 days of it; Day +6 is 7 days.
    points = on_days({0: 15, 1: 12, 2: 21, 3: 24, 4: 26, 5: 28, 6: 30, 7: 33, 8: 36})
    result = plt(points, [day(-1)])
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2026, 3, 8)  # Day +6, not Day +2


# CLINICAL.md 3: "only values after the post-transplant nadir (the lowest platelet count) can
# mark recovery: a falling count that is still above 20 in the first days is not engraftment."
def test_a_falling_count_above_20_after_a_transfusion_before_day_0_is_not_engraftment():
    # Transfused on Day -2: 28, 24, 21 on Days +5, +6, +7 are 7+ days after it and >= 20, but
    # the count is still falling to the nadir 8 on Day +10 (transfused that day).
    counts = [90, 70, 55, 40, 32, 28, 24, 21, 15, 11, 8]  # Days 0-10
    counts += [35, 25, 16, 12, 14, 18, 22, 26, 31]  # Days 11-19
    result = plt(daily(counts), [day(-2), day(10)])
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2026, 3, 19)  # Day +17, seven days after the Day +10 transfusion


@pytest.mark.parametrize("just_below", [Decimal("19.9"), 19.9], ids=["decimal", "float"])
def test_a_platelet_count_of_19_9_is_below_20_and_20_itself_counts(just_below):
    points = daily(PLATELETS[:14]) + daily([just_below, 20, 21, 22], start=14)
    result = plt(points)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2026, 3, 17)  # Day +15, the day of the 20


def test_two_platelet_counts_on_one_day_count_as_the_lower():
    points = daily(PLATELETS) + [(day(16), 18)]  # Day +16: 25 and 18
    result = plt(points, [day(9)])
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2026, 3, 19)  # Day +17


# Days 0-28, no transfusion: lowest 35 on Day +7, never below 20; below 50 on Days +5 to +9.
PLATELETS_ABOVE_20 = daily(
    [150, 120, 100, 80, 60, 45, 40, 35, 38, 45, 52, 60, 70, 80, 90, 100]
) + steady(110, 16, 28)


def test_platelets_never_below_20_and_never_transfused_are_not_applicable_at_20():
    result = plt(PLATELETS_ABOVE_20, threshold=20)
    assert result.outcome == Outcome.NOT_APPLICABLE
    assert result.date is None


def test_the_50_threshold_is_judged_on_its_own():
    # The same counts fell below 50 (nadir 35 on Day +7): 52, 60, 70 on Days +10 to +12.
    result = plt(PLATELETS_ABOVE_20, threshold=50)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2026, 3, 12)  # Day +10


# CLINICAL.md 3: '"Not applicable" means the count never fell below the threshold (and, for
# platelets, no platelets were ever transfused)'.
@pytest.mark.parametrize("transfused_on", [-2, 12], ids=["before-day-0", "day-12"])
def test_a_single_platelet_transfusion_rules_out_not_applicable(transfused_on):
    result = plt(PLATELETS_ABOVE_20, [day(transfused_on)], threshold=20)
    assert result.outcome != Outcome.NOT_APPLICABLE


def test_platelet_counts_with_an_eight_day_gap_are_not_enough_counts():
    points = on_days({0: 150, 2: 120, 10: 90, 14: 100, 21: 130, 28: 160})
    result = plt(points)
    assert result.outcome == Outcome.NOT_ENOUGH_COUNTS
    assert "gap" in result.reason.lower()


def test_platelet_counts_still_above_20_at_day_14_are_not_yet():
    points = daily([250, 230, 210, 190, 170, 150, 130, 110, 100, 90, 80, 75, 70, 65, 60])
    result = plt(points, today=day(14))
    assert result.outcome == Outcome.NOT_YET
    assert result.date is None


@pytest.mark.parametrize(
    ("day_zero", "transfused", "counts", "expected"),
    [
        (
            date(2026, 2, 9),
            date(2026, 2, 25),  # 28 days in February 2026: 3 Mar is 6 days later, 4 Mar 7
            {
                (2026, 2, 20): 6,
                (2026, 2, 23): 9,
                (2026, 2, 25): 12,
                (2026, 2, 27): 28,
                (2026, 3, 2): 26,
                (2026, 3, 3): 27,
                (2026, 3, 4): 30,
                (2026, 3, 5): 34,
                (2026, 3, 6): 40,
            },
            date(2026, 3, 4),
        ),
        (
            date(2028, 2, 9),
            date(2028, 2, 25),  # 29 days in February 2028: 2 Mar is 6 days later, 3 Mar 7
            {
                (2028, 2, 20): 6,
                (2028, 2, 23): 9,
                (2028, 2, 25): 12,
                (2028, 2, 28): 28,
                (2028, 3, 1): 26,
                (2028, 3, 2): 27,
                (2028, 3, 3): 30,
                (2028, 3, 4): 34,
                (2028, 3, 5): 40,
            },
            date(2028, 3, 3),
        ),
    ],
    ids=["february-2026", "february-2028-leap"],
)
def test_the_seven_days_after_a_transfusion_run_across_the_end_of_february(
    day_zero, transfused, counts, expected
):
    points = [(date(*ymd), value) for ymd, value in counts.items()]
    result = plt(points, [transfused], day_zero=day_zero)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == expected


# --- Graft failure ----------------------------------------------------------------------------
# CLINICAL.md 3: "Primary graft failure: no neutrophil engraftment by Day +30 for marrow or PBSC
# grafts, by Day +42 for cord blood (ASTCT 2024; a centre may set its own day, many use
# Day +28). The day follows the graft source of the course. Engraftment after that day is
# "late engraftment" and ends the alert. No counts entered after the alert day is a data
# warning ("no counts since Day X"), not a graft failure."

NOT_YET = Result(outcome=Outcome.NOT_YET, date=None, reason="ANC below 0.5 since Day +4")


def engrafted_on(when):
    return Result(outcome=Outcome.ENGRAFTED, date=when, reason="ANC >= 0.5 on three values")


@pytest.mark.parametrize(
    ("source", "failure_day"),
    [("bone_marrow", 30), ("pbsc", 30), ("cord_blood", 42)],
)
def test_the_graft_failure_day_follows_the_graft_source(source, failure_day):
    assert graft_failure_day(source) == failure_day


@pytest.mark.parametrize(
    ("source", "override"),
    [("pbsc", 28), ("bone_marrow", 28), ("cord_blood", 28), ("cord_blood", 35)],
)
def test_a_centre_setting_overrides_the_graft_source_day(source, override):
    assert graft_failure_day(source, override) == override
    assert graft_failure_day(source, override=override) == override


@pytest.mark.parametrize(
    ("failure_day", "today", "expected"),
    [
        (30, date(2026, 4, 1), Alert.NONE),  # Day +30 itself
        (30, date(2026, 4, 2), Alert.GRAFT_FAILURE),  # Day +31
        (42, date(2026, 4, 13), Alert.NONE),  # Day +42 itself
        (42, date(2026, 4, 14), Alert.GRAFT_FAILURE),  # Day +43
    ],
    ids=["day-30", "day-31", "cord-day-42", "cord-day-43"],
)
def test_graft_failure_is_alerted_from_the_day_after_the_failure_day(failure_day, today, expected):
    found = alert_for(NOT_YET, today=today, failure_day=failure_day, last_anc_on=today)
    assert found.alert == expected


def test_a_centre_failure_day_of_28_alerts_from_day_29():
    failure_day = graft_failure_day("pbsc", override=28)
    on_28 = alert_for(NOT_YET, today=day(28), failure_day=failure_day, last_anc_on=day(28))
    on_29 = alert_for(NOT_YET, today=day(29), failure_day=failure_day, last_anc_on=day(29))
    assert on_28.alert == Alert.NONE
    assert on_29.alert == Alert.GRAFT_FAILURE


@pytest.mark.parametrize(
    ("today", "expected"),
    [(date(2028, 3, 28), Alert.NONE), (date(2028, 3, 29), Alert.GRAFT_FAILURE)],
    ids=["day-30", "day-31"],
)
def test_the_failure_day_counts_the_leap_day(today, expected):
    # Day 0 = 27 Feb 2028: Day +30 = 28 Mar 2028, Day +31 = 29 Mar 2028.
    found = alert_for(NOT_YET, today=today, failure_day=30, last_anc_on=today, day_zero=LEAP_D0)
    assert found.alert == expected


@pytest.mark.parametrize(
    ("failure_day", "engraftment_day"),
    [(30, 31), (30, 35), (42, 43)],
    ids=["day-31", "day-35", "cord-day-43"],
)
def test_engraftment_after_the_failure_day_is_late_engraftment(failure_day, engraftment_day):
    found = alert_for(
        engrafted_on(day(engraftment_day)),
        today=day(50),
        failure_day=failure_day,
        last_anc_on=day(50),
    )
    assert found.alert == Alert.LATE_ENGRAFTMENT


@pytest.mark.parametrize(
    ("failure_day", "engraftment_day"),
    [(30, 14), (30, 30), (42, 31), (42, 42)],
    ids=["day-14", "day-30", "cord-day-31", "cord-day-42"],
)
def test_engraftment_on_or_before_the_failure_day_raises_no_alert(failure_day, engraftment_day):
    # judgement: counts stopped two days after engraftment; once engrafted there is no
    # "no counts" warning, since it only guards the primary graft failure alert.
    found = alert_for(
        engrafted_on(day(engraftment_day)),
        today=day(60),
        failure_day=failure_day,
        last_anc_on=day(engraftment_day + 2),
    )
    assert found.alert == Alert.NONE


def test_late_engraftment_on_day_35_of_a_pbsc_graft_from_the_counts():
    points = daily(COURSE[:8]) + steady(Decimal("0.1"), 8, 34)
    points += daily(dec("0.6", "0.8", "1.1"), start=35)
    result = anc(points)
    assert result.outcome == Outcome.ENGRAFTED
    assert result.date == date(2026, 4, 6)  # Day +35
    found = alert_for(
        result, today=day(37), failure_day=graft_failure_day("pbsc"), last_anc_on=day(37)
    )
    assert found.alert == Alert.LATE_ENGRAFTMENT


@pytest.mark.parametrize("last_count", [30, 20], ids=["on-the-failure-day", "before-it"])
def test_no_counts_after_the_failure_day_is_a_data_warning_not_graft_failure(last_count):
    found = alert_for(NOT_YET, today=day(36), failure_day=30, last_anc_on=day(last_count))
    assert found.alert == Alert.NO_COUNTS
    assert f"Day +{last_count}" in found.reason


def test_no_counts_since_is_written_in_day_numbers_across_the_leap_day():
    # Day 0 = 27 Feb 2028: 26 Mar 2028 is Day +28.
    found = alert_for(
        NOT_YET,
        today=date(2028, 4, 2),
        failure_day=30,
        last_anc_on=date(2028, 3, 26),
        day_zero=LEAP_D0,
    )
    assert found.alert == Alert.NO_COUNTS
    assert "Day +28" in found.reason


def test_no_anc_ever_entered_is_a_data_warning_not_graft_failure():
    found = alert_for(NOT_YET, today=day(36), failure_day=30, last_anc_on=None)
    assert found.alert == Alert.NO_COUNTS
    assert "count" in found.reason.lower()


@pytest.mark.parametrize("last_count", [28, 60], ids=["counts-to-day-28", "counts-to-day-60"])
def test_not_applicable_never_raises_a_graft_failure_alert(last_count):
    result = Result(outcome=Outcome.NOT_APPLICABLE, date=None, reason="never below 0.5")
    found = alert_for(result, today=day(60), failure_day=30, last_anc_on=day(last_count))
    assert found.alert == Alert.NONE


def test_no_alert_before_the_failure_day_even_with_old_counts():
    # judgement: the "no counts since" warning belongs to the failure day; before Day +30
    # passes there is nothing to alert, however old the last count is.
    found = alert_for(NOT_YET, today=day(25), failure_day=30, last_anc_on=day(10))
    assert found.alert == Alert.NONE
