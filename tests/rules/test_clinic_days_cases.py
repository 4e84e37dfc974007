"""Clinic days: visits planned on a day the clinic is closed move inside their window.

Written from the specification of issue 17, not from the code:

    "Clinic days: the centre sets the days and holidays its clinic is closed (Saturday and
    Sunday by default); a visit planned on a closed day moves to the nearest open day inside
    its window (and says so), at planning and at re-planning; inpatient steps and drug days
    are not moved. Seasonal steps (influenza) fall in the season."

and from CLINICAL.md section 2 (day steps are `day_zero + n days`, month steps are calendar
months that clamp at month ends) and section 5 (influenza: from 6 months, then yearly, in
season, one a season). When two open days are equally near, the EARLIER one is taken (a visit
brought forward catches a problem sooner). A moved visit keeps its window (the window is the
clinical tolerance) and records the day it would have been in `moved_from`; when the whole
window is closed it stays where it was, with `moved_from` None.

Every date below was worked out by hand from a calendar;
`test_the_calendar_facts_these_cases_rely_on` checks the weekdays the cases assume.
"""

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta

from tracker.rules.schedule import (
    ALWAYS_OPEN,
    ClinicDays,
    ExistingMilestone,
    Season,
    StepRule,
    plan,
    replan,
)

MON, TUE, WED, THU, FRI, SAT, SUN = range(7)

WEEKENDS = ClinicDays()  # the default: closed Saturday and Sunday
VISIT_DAY = 28  # the cases put a Day +28 clinic visit on the date they test


def d(year: int, month: int, day: int) -> date:
    return date(year, month, day)


# The week the most cases use: Monday 1 March 2027 to Wednesday 10 March 2027.
MON_1, TUE_2, WED_3, THU_4, FRI_5 = (
    d(2027, 3, 1),
    d(2027, 3, 2),
    d(2027, 3, 3),
    d(2027, 3, 4),
    d(2027, 3, 5),
)
SAT_6, SUN_7, MON_8, TUE_9 = d(2027, 3, 6), d(2027, 3, 7), d(2027, 3, 8), d(2027, 3, 9)


def closed_on(*dates: date, weekdays=frozenset({SAT, SUN})) -> ClinicDays:
    return ClinicDays(closed_weekdays=frozenset(weekdays), closed_dates=frozenset(dates))


def visit_on(day: date, before: int, after: int, clinic: ClinicDays = WEEKENDS, *, at_clinic=True):
    """Plan one Day +28 step so that it falls on `day`; return its one milestone."""
    rule = StepRule(
        key="visit", day=VISIT_DAY, window_before=before, window_after=after, at_clinic=at_clinic
    )
    [milestone] = plan(day - timedelta(days=VISIT_DAY), [rule], clinic)
    return milestone


def test_the_calendar_facts_these_cases_rely_on():
    facts = {
        d(2027, 3, 1): MON,
        d(2027, 3, 6): SAT,
        d(2027, 3, 7): SUN,
        d(2028, 2, 29): TUE,
        d(2028, 2, 26): SAT,
        d(2028, 2, 27): SUN,
        d(2028, 3, 4): SAT,
        d(2022, 12, 31): SAT,
        d(2033, 12, 31): SAT,
        d(2034, 1, 1): SUN,
        d(2028, 1, 1): SAT,
        d(2027, 12, 31): FRI,
        d(2027, 12, 25): SAT,
        d(2027, 7, 31): SAT,
        d(2027, 2, 28): SUN,
        d(2026, 2, 28): SAT,
        d(2032, 2, 29): SUN,
        d(2029, 9, 1): SAT,
        d(2030, 9, 1): SUN,
    }
    assert {day: day.weekday() for day in facts} == facts


# --- which days are closed -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("clinic", "day", "closed"),
    [
        pytest.param(WEEKENDS, MON_1, False, id="by default the clinic is open on a Monday"),
        pytest.param(WEEKENDS, FRI_5, False, id="by default the clinic is open on a Friday"),
        pytest.param(WEEKENDS, SAT_6, True, id="by default the clinic is closed on a Saturday"),
        pytest.param(WEEKENDS, SUN_7, True, id="by default the clinic is closed on a Sunday"),
        pytest.param(closed_on(WED_3), WED_3, True, id="a holiday the centre sets is closed"),
        pytest.param(
            closed_on(WED_3),
            d(2027, 3, 10),
            False,
            id="a holiday closes only its own date, not the same weekday a week later",
        ),
        pytest.param(
            closed_on(weekdays={WED}),
            WED_3,
            True,
            id="a centre closed on Wednesdays is closed on a Wednesday",
        ),
        pytest.param(
            closed_on(weekdays={WED}),
            SAT_6,
            False,
            id="a centre closed only on Wednesdays is open on a Saturday",
        ),
        pytest.param(ALWAYS_OPEN, SAT_6, False, id="an always-open clinic is open on a Saturday"),
        pytest.param(ALWAYS_OPEN, SUN_7, False, id="an always-open clinic is open on a Sunday"),
    ],
)
def test_which_days_the_clinic_is_closed(clinic, day, closed):
    assert clinic.is_closed(day) is closed


# --- a Saturday or a Sunday visit, windows of every shape ------------------------------------

WEEKEND_CASES = [
    # (visit day, days before, days after, expected day)  -- expected == visit day means "stays"
    pytest.param(SAT_6, 1, 1, FRI_5, id="a Saturday visit with a +/-1 window moves back to Friday"),
    pytest.param(
        SAT_6,
        2,
        2,
        FRI_5,
        id="a Saturday visit with a +/-2 window moves to Friday, nearer than Monday",
    ),
    pytest.param(
        SAT_6,
        3,
        3,
        FRI_5,
        id="a Saturday visit with a +/-3 window moves to Friday, nearer than Monday",
    ),
    pytest.param(
        SAT_6, 1, 0, FRI_5, id="a Saturday visit allowed 1 day early only moves to Friday"
    ),
    pytest.param(
        SAT_6, 2, 0, FRI_5, id="a Saturday visit allowed 2 days early only moves to Friday"
    ),
    pytest.param(
        SAT_6, 0, 2, MON_8, id="a Saturday visit allowed 2 days late only moves to Monday"
    ),
    pytest.param(
        SAT_6, 0, 3, MON_8, id="a Saturday visit allowed 3 days late only moves to Monday"
    ),
    pytest.param(
        SAT_6,
        1,
        3,
        FRI_5,
        id="a Saturday visit allowed 1 early and 3 late moves to Friday, 1 day away",
    ),
    pytest.param(
        SAT_6,
        0,
        1,
        SAT_6,
        id="a Saturday visit allowed 1 day late only stays: Saturday and Sunday are both closed",
    ),
    pytest.param(SAT_6, 0, 0, SAT_6, id="a Saturday visit with no window stays on Saturday"),
    pytest.param(SUN_7, 1, 1, MON_8, id="a Sunday visit with a +/-1 window moves on to Monday"),
    pytest.param(
        SUN_7,
        2,
        2,
        MON_8,
        id="a Sunday visit with a +/-2 window moves to Monday, nearer than Friday",
    ),
    pytest.param(
        SUN_7,
        3,
        3,
        MON_8,
        id="a Sunday visit with a +/-3 window moves to Monday, nearer than Friday",
    ),
    pytest.param(
        SUN_7, 2, 0, FRI_5, id="a Sunday visit allowed 2 days early only moves back to Friday"
    ),
    pytest.param(
        SUN_7, 3, 0, FRI_5, id="a Sunday visit allowed 3 days early only moves back to Friday"
    ),
    pytest.param(
        SUN_7,
        1,
        0,
        SUN_7,
        id="a Sunday visit allowed 1 day early only stays: Saturday and Sunday are both closed",
    ),
    pytest.param(SUN_7, 0, 1, MON_8, id="a Sunday visit allowed 1 day late only moves to Monday"),
    pytest.param(
        SUN_7,
        3,
        1,
        MON_8,
        id="a Sunday visit allowed 3 early and 1 late moves to Monday, 1 day away",
    ),
    pytest.param(SUN_7, 0, 0, SUN_7, id="a Sunday visit with no window stays on Sunday"),
    pytest.param(WED_3, 3, 3, WED_3, id="a Wednesday visit is on an open day and does not move"),
    pytest.param(FRI_5, 0, 3, FRI_5, id="a Friday visit is on an open day and does not move"),
]


def check(milestone, planned: date, before: int, after: int, expected: date):
    """The visit is on `expected`, says where it would have been, and keeps its window."""
    assert milestone.due_date == expected
    assert milestone.moved_from == (None if expected == planned else planned)
    assert milestone.window_start == planned - timedelta(days=before)
    assert milestone.window_end == planned + timedelta(days=after)
    assert milestone.window_start <= milestone.due_date <= milestone.window_end


@pytest.mark.parametrize(("planned", "before", "after", "expected"), WEEKEND_CASES)
def test_a_weekend_visit_moves_to_the_nearest_open_day_of_its_window(
    planned, before, after, expected
):
    check(visit_on(planned, before, after), planned, before, after, expected)


@pytest.mark.parametrize(("planned", "before", "after", "expected"), WEEKEND_CASES)
def test_open_day_gives_the_same_day_the_plan_uses(planned, before, after, expected):
    answer = WEEKENDS.open_day(
        planned, planned - timedelta(days=before), planned + timedelta(days=after)
    )
    assert answer == (None if expected == planned and WEEKENDS.is_closed(planned) else expected)


# --- ties, holidays and other centres ---------------------------------------------------------

CLINIC_CASES = [
    # (clinic, visit day, before, after, expected)
    pytest.param(
        closed_on(weekdays={SAT}),
        SAT_6,
        1,
        1,
        FRI_5,
        id=(
            "a centre closed only on Saturdays: a Saturday +/-1 visit is as near Friday as Sunday "
            "and takes Friday, the earlier"
        ),
    ),
    pytest.param(
        closed_on(weekdays={SUN}),
        SUN_7,
        1,
        1,
        SAT_6,
        id=(
            "a centre open on Saturdays: a Sunday +/-1 visit is as near Saturday as Monday and "
            "takes Saturday, the earlier"
        ),
    ),
    pytest.param(
        closed_on(weekdays={SUN}),
        SAT_6,
        3,
        3,
        SAT_6,
        id="a centre open on Saturdays does not move a Saturday visit",
    ),
    pytest.param(
        closed_on(weekdays={SUN}),
        SUN_7,
        0,
        1,
        MON_8,
        id="a centre open on Saturdays moves a Sunday visit allowed 1 day late only to Monday",
    ),
    pytest.param(
        closed_on(WED_3),
        WED_3,
        1,
        1,
        TUE_2,
        id=(
            "a Wednesday holiday: a +/-1 visit is as near Tuesday as Thursday and takes Tuesday, "
            "the earlier"
        ),
    ),
    pytest.param(
        closed_on(WED_3),
        WED_3,
        3,
        3,
        TUE_2,
        id="a Wednesday holiday: a +/-3 visit takes Tuesday, the earlier of two as near",
    ),
    pytest.param(
        closed_on(WED_3),
        WED_3,
        0,
        1,
        THU_4,
        id="a Wednesday holiday: a visit allowed 1 day late only moves to Thursday",
    ),
    pytest.param(
        closed_on(FRI_5),
        SAT_6,
        2,
        2,
        THU_4,
        id=(
            "a Friday holiday before the weekend: a Saturday +/-2 visit is as near Thursday as "
            "Monday and takes Thursday"
        ),
    ),
    pytest.param(
        closed_on(FRI_5),
        SAT_6,
        1,
        1,
        SAT_6,
        id="a Friday holiday before the weekend: a Saturday +/-1 visit has no open day and stays",
    ),
    pytest.param(
        closed_on(FRI_5),
        SAT_6,
        3,
        0,
        THU_4,
        id=(
            "a Friday holiday before the weekend: a Saturday visit allowed 3 days early moves to "
            "Thursday"
        ),
    ),
    pytest.param(
        closed_on(FRI_5),
        SAT_6,
        1,
        3,
        MON_8,
        id=(
            "a Friday holiday before the weekend: a Saturday visit allowed 1 early and 3 late "
            "moves to Monday"
        ),
    ),
    pytest.param(
        closed_on(FRI_5),
        SUN_7,
        3,
        3,
        MON_8,
        id=(
            "a Friday holiday before the weekend: a Sunday +/-3 visit moves to Monday, nearer than "
            "Thursday"
        ),
    ),
    pytest.param(
        closed_on(FRI_5),
        FRI_5,
        1,
        1,
        THU_4,
        id="a visit on a Friday holiday with a +/-1 window moves to Thursday",
    ),
    pytest.param(
        closed_on(FRI_5),
        FRI_5,
        0,
        3,
        MON_8,
        id="a visit on a Friday holiday allowed 3 days late only moves over the weekend to Monday",
    ),
    pytest.param(
        closed_on(MON_8),
        SUN_7,
        2,
        2,
        FRI_5,
        id=(
            "a Monday holiday after the weekend: a Sunday +/-2 visit is as near Friday as Tuesday "
            "and takes Friday"
        ),
    ),
    pytest.param(
        closed_on(MON_8),
        SUN_7,
        1,
        1,
        SUN_7,
        id="a Monday holiday after the weekend: a Sunday +/-1 visit has a closed window and stays",
    ),
    pytest.param(
        closed_on(MON_8),
        SAT_6,
        3,
        3,
        FRI_5,
        id="a Monday holiday after the weekend: a Saturday +/-3 visit moves to Friday",
    ),
    pytest.param(
        closed_on(MON_8),
        MON_8,
        3,
        3,
        TUE_9,
        id="a visit on a Monday holiday with a +/-3 window moves to Tuesday, nearer than Friday",
    ),
    pytest.param(
        closed_on(FRI_5, MON_8),
        SAT_6,
        2,
        2,
        THU_4,
        id="a long weekend (Friday and Monday holidays): a Saturday +/-2 visit moves to Thursday",
    ),
    pytest.param(
        closed_on(FRI_5, MON_8),
        SUN_7,
        2,
        2,
        TUE_9,
        id="a long weekend (Friday and Monday holidays): a Sunday +/-2 visit moves to Tuesday",
    ),
    pytest.param(
        closed_on(FRI_5, MON_8),
        SUN_7,
        1,
        1,
        SUN_7,
        id=(
            "a long weekend (Friday and Monday holidays): a Sunday +/-1 visit has a closed window "
            "and stays"
        ),
    ),
    pytest.param(
        closed_on(weekdays={WED}),
        WED_3,
        1,
        1,
        TUE_2,
        id="a centre closed on Wednesdays moves a Wednesday +/-1 visit to Tuesday, the earlier",
    ),
    pytest.param(
        closed_on(weekdays={WED}),
        SAT_6,
        1,
        1,
        SAT_6,
        id="a centre closed on Wednesdays but open at weekends keeps a Saturday visit",
    ),
    pytest.param(
        closed_on(weekdays={WED}),
        SUN_7,
        0,
        0,
        SUN_7,
        id="a centre closed on Wednesdays but open at weekends keeps a Sunday visit",
    ),
    pytest.param(
        closed_on(weekdays={WED, SAT, SUN}),
        WED_3,
        0,
        2,
        THU_4,
        id=(
            "a centre closed on Wednesdays and weekends moves a Wednesday visit allowed 2 days "
            "late to Thursday"
        ),
    ),
    pytest.param(
        closed_on(weekdays={WED, SAT, SUN}),
        SAT_6,
        1,
        1,
        FRI_5,
        id="a centre closed on Wednesdays and weekends still moves a Saturday visit to Friday",
    ),
    pytest.param(
        closed_on(weekdays={FRI, SAT}),
        SAT_6,
        1,
        1,
        SUN_7,
        id="a centre with a Friday-Saturday weekend moves a Saturday +/-1 visit to Sunday",
    ),
    pytest.param(
        closed_on(weekdays={FRI, SAT}),
        FRI_5,
        2,
        2,
        THU_4,
        id="a centre with a Friday-Saturday weekend moves a Friday +/-2 visit to Thursday",
    ),
    pytest.param(ALWAYS_OPEN, SUN_7, 3, 3, SUN_7, id="an always-open clinic moves nothing"),
    pytest.param(
        closed_on(d(2027, 12, 24), d(2027, 12, 27)),
        d(2027, 12, 25),
        1,
        1,
        d(2027, 12, 25),
        id=(
            "Christmas Saturday between two holidays with a +/-1 window: the whole window is "
            "closed and the visit stays"
        ),
    ),
    pytest.param(
        closed_on(d(2027, 12, 24), d(2027, 12, 27)),
        d(2027, 12, 25),
        2,
        2,
        d(2027, 12, 23),
        id=(
            "Christmas Saturday between two holidays with a +/-2 window moves back to Thursday 23 "
            "December"
        ),
    ),
]


@pytest.mark.parametrize(("clinic", "planned", "before", "after", "expected"), CLINIC_CASES)
def test_a_visit_on_a_closed_day_of_this_centre_moves_to_the_nearest_open_day(
    clinic, planned, before, after, expected
):
    check(visit_on(planned, before, after, clinic), planned, before, after, expected)


def test_open_day_is_none_when_the_whole_window_is_closed():
    clinic = closed_on(FRI_5, MON_8)
    assert clinic.open_day(SAT_6, FRI_5, MON_8) is None


def test_open_day_is_the_due_day_itself_when_it_is_open():
    assert WEEKENDS.open_day(WED_3, MON_1, FRI_5) == WED_3


# --- month ends, year ends and leap days ------------------------------------------------------

CALENDAR_EDGE_CASES = [
    pytest.param(
        WEEKENDS,
        d(2022, 12, 31),
        1,
        1,
        d(2022, 12, 30),
        id="Saturday 31 December 2022 with a +/-1 window moves to Friday 30 December",
    ),
    pytest.param(
        WEEKENDS,
        d(2033, 12, 31),
        3,
        3,
        d(2033, 12, 30),
        id=(
            "Saturday 31 December 2033 with a +/-3 window moves to Friday 30 December, not into "
            "January"
        ),
    ),
    pytest.param(
        WEEKENDS,
        d(2034, 1, 1),
        1,
        1,
        d(2034, 1, 2),
        id="Sunday 1 January 2034 with a +/-1 window moves to Monday 2 January",
    ),
    pytest.param(
        WEEKENDS,
        d(2028, 1, 1),
        2,
        2,
        d(2027, 12, 31),
        id=(
            "Saturday 1 January 2028 with a +/-2 window moves back across the year end to "
            "Friday 31 December 2027"
        ),
    ),
    pytest.param(
        closed_on(d(2027, 12, 31), d(2028, 1, 3)),
        d(2028, 1, 1),
        3,
        3,
        d(2027, 12, 30),
        id=(
            "Saturday 1 January 2028 with New Year holidays on both sides moves back to Thursday "
            "30 December 2027"
        ),
    ),
    pytest.param(
        WEEKENDS,
        d(2027, 7, 31),
        0,
        2,
        d(2027, 8, 2),
        id=(
            "Saturday 31 July 2027 allowed 2 days late moves across the month end to Monday 2 "
            "August"
        ),
    ),
    pytest.param(
        WEEKENDS,
        d(2027, 2, 28),
        1,
        1,
        d(2027, 3, 1),
        id="Sunday 28 February 2027 (no leap day) with a +/-1 window moves to Monday 1 March",
    ),
    pytest.param(
        WEEKENDS,
        d(2028, 2, 27),
        1,
        1,
        d(2028, 2, 28),
        id="Sunday 27 February 2028 with a +/-1 window moves to Monday 28 February",
    ),
    pytest.param(
        WEEKENDS,
        d(2028, 2, 26),
        1,
        1,
        d(2028, 2, 25),
        id="Saturday 26 February 2028 with a +/-1 window moves to Friday 25 February",
    ),
    pytest.param(
        closed_on(d(2028, 2, 29)),
        d(2028, 2, 29),
        1,
        1,
        d(2028, 2, 28),
        id=(
            "a holiday on the leap day Tuesday 29 February 2028 with a +/-1 window moves to Monday "
            "28 February, the earlier"
        ),
    ),
    pytest.param(
        closed_on(d(2028, 2, 28)),
        d(2028, 2, 27),
        0,
        3,
        d(2028, 2, 29),
        id=(
            "Sunday 27 February 2028 allowed 3 days late with a Monday holiday moves to the leap "
            "day Tuesday 29 February"
        ),
    ),
    pytest.param(
        closed_on(d(2028, 2, 28), d(2028, 2, 29)),
        d(2028, 2, 27),
        0,
        3,
        d(2028, 3, 1),
        id=(
            "Sunday 27 February 2028 allowed 3 days late with Monday and the leap day closed "
            "moves to Wednesday 1 March"
        ),
    ),
    pytest.param(
        closed_on(d(2028, 3, 1), d(2028, 3, 2), d(2028, 3, 3)),
        d(2028, 3, 4),
        4,
        0,
        d(2028, 2, 29),
        id=(
            "Saturday 4 March 2028 allowed 4 days early with Wednesday to Friday closed moves "
            "back to the leap day"
        ),
    ),
]


@pytest.mark.parametrize(("clinic", "planned", "before", "after", "expected"), CALENDAR_EDGE_CASES)
def test_a_visit_near_a_month_or_year_end_or_a_leap_day_moves_by_the_calendar(
    clinic, planned, before, after, expected
):
    check(visit_on(planned, before, after, clinic), planned, before, after, expected)


MONTH_STEP_CASES = [
    # (day zero, months, planned by calendar months, expected visit day)
    pytest.param(
        d(2027, 1, 31),
        1,
        d(2027, 2, 28),
        d(2027, 3, 1),
        id=(
            "Day Zero 31 January 2027 plus 1 month is Sunday 28 February and the +/-2 visit moves "
            "to Monday 1 March"
        ),
    ),
    pytest.param(
        d(2026, 1, 31),
        1,
        d(2026, 2, 28),
        d(2026, 2, 27),
        id=(
            "Day Zero 31 January 2026 plus 1 month is Saturday 28 February and the +/-2 visit "
            "moves to Friday 27 February"
        ),
    ),
    pytest.param(
        d(2032, 1, 31),
        1,
        d(2032, 2, 29),
        d(2032, 3, 1),
        id=(
            "Day Zero 31 January 2032 plus 1 month is Sunday 29 February (leap) and the +/-2 visit "
            "moves to Monday 1 March"
        ),
    ),
    pytest.param(
        d(2026, 8, 31),
        6,
        d(2027, 2, 28),
        d(2027, 3, 1),
        id=(
            "Day Zero 31 August 2026 plus 6 months is Sunday 28 February 2027 and the +/-2 visit "
            "moves to Monday 1 March"
        ),
    ),
    pytest.param(
        d(2027, 10, 31),
        4,
        d(2028, 2, 29),
        d(2028, 2, 29),
        id=(
            "Day Zero 31 October 2027 plus 4 months is Tuesday 29 February 2028, an open day, and "
            "the visit stays"
        ),
    ),
]


@pytest.mark.parametrize(("day_zero", "months", "planned", "expected"), MONTH_STEP_CASES)
def test_a_month_anchored_visit_on_a_weekend_moves_from_its_calendar_month_date(
    day_zero, months, planned, expected
):
    rule = StepRule(
        key="month visit", months=months, window_before=2, window_after=2, at_clinic=True
    )
    [milestone] = plan(day_zero, [rule], WEEKENDS)
    check(milestone, planned, 2, 2, expected)


# --- repeated visits --------------------------------------------------------------------------


def test_a_visit_every_3_days_moves_each_weekend_occurrence_on_its_own():
    # Day Zero Monday 1 March 2027; visits Day +1, +4, ..., +28 with a ±1 window.
    rule = StepRule(
        key="counts",
        day=1,
        repeat_every_days=3,
        repeat_until_day=28,
        window_before=1,
        window_after=1,
        at_clinic=True,
    )
    milestones = plan(MON_1, [rule], WEEKENDS)
    planned = [d(2027, 3, n) for n in (2, 5, 8, 11, 14, 17, 20, 23, 26, 29)]
    expected = [d(2027, 3, n) for n in (2, 5, 8, 11, 15, 17, 19, 23, 26, 29)]
    #                        Sunday 14 -> Monday 15 ^       ^ Saturday 20 -> Friday 19
    assert [m.occurrence for m in milestones] == list(range(1, 11))
    assert [m.due_date for m in milestones] == expected
    assert [m.moved_from for m in milestones] == [
        None,
        None,
        None,
        None,
        d(2027, 3, 14),
        None,
        d(2027, 3, 20),
        None,
        None,
        None,
    ]
    assert [(m.window_start, m.window_end) for m in milestones] == [
        (p - timedelta(days=1), p + timedelta(days=1)) for p in planned
    ]


def test_daily_visits_over_a_weekend_stay_distinct_occurrences_even_when_two_land_on_one_day():
    # Day Zero Thursday 4 March 2027; visits Day +1 (Fri) to Day +4 (Mon), ±1 window.
    rule = StepRule(
        key="daily check",
        day=1,
        repeat_every_days=1,
        repeat_until_day=4,
        window_before=1,
        window_after=1,
        at_clinic=True,
    )
    milestones = plan(THU_4, [rule], WEEKENDS)
    assert len(milestones) == 4
    by_occurrence = {m.occurrence: m for m in milestones}
    assert sorted(by_occurrence) == [1, 2, 3, 4]
    assert [by_occurrence[n].due_date for n in (1, 2, 3, 4)] == [FRI_5, FRI_5, MON_8, MON_8]
    assert [by_occurrence[n].moved_from for n in (1, 2, 3, 4)] == [None, SAT_6, SUN_7, None]


# --- inpatient steps and drug days never move -------------------------------------------------


@pytest.mark.parametrize(
    ("planned", "before", "after"),
    [
        pytest.param(
            SUN_7, 3, 3, id="an inpatient step on a Sunday with a +/-3 window stays on Sunday"
        ),
        pytest.param(
            SAT_6, 1, 1, id="an inpatient step on a Saturday with a +/-1 window stays on Saturday"
        ),
        pytest.param(
            SUN_7, 0, 0, id="an inpatient step on a Sunday with no window stays on Sunday"
        ),
    ],
)
def test_a_step_that_is_not_a_clinic_visit_never_moves(planned, before, after):
    milestone = visit_on(planned, before, after, WEEKENDS, at_clinic=False)
    check(milestone, planned, before, after, planned)


def test_drug_days_through_a_weekend_and_a_holiday_are_all_kept_on_their_own_days():
    # Day Zero Monday 15 March 2027; a drug given Day -7 to Day -1 = Monday 8 to Sunday 14 March.
    rule = StepRule(key="drug", day=-7, repeat_every_days=1, repeat_until_day=-1)
    milestones = plan(d(2027, 3, 15), [rule], closed_on(d(2027, 3, 10)))
    assert [m.due_date for m in milestones] == [d(2027, 3, n) for n in range(8, 15)]
    assert all(m.moved_from is None for m in milestones)


def test_on_one_sunday_the_clinic_visit_moves_and_the_infusion_does_not():
    day_zero = SUN_7
    rules = [
        StepRule(key="infusion", day=0, window_before=1, window_after=1),
        StepRule(key="clinic review", day=0, window_before=1, window_after=1, at_clinic=True),
    ]
    by_key = {m.key: m for m in plan(day_zero, rules, WEEKENDS)}
    assert (by_key["infusion"].due_date, by_key["infusion"].moved_from) == (SUN_7, None)
    assert (by_key["clinic review"].due_date, by_key["clinic review"].moved_from) == (MON_8, SUN_7)


# --- the plan stays in date order after moving ------------------------------------------------


@pytest.mark.parametrize(
    ("visit_day", "before", "after", "other_day", "expected_order"),
    [
        pytest.param(
            6,
            0,
            3,
            7,
            ["lab draw", "visit"],
            id="a Saturday visit moved on to Monday comes after a Sunday lab draw",
        ),
        pytest.param(
            7,
            3,
            0,
            6,
            ["visit", "lab draw"],
            id="a Sunday visit moved back to Friday comes before a Saturday lab draw",
        ),
    ],
)
def test_the_plan_is_in_date_order_after_moving(
    visit_day, before, after, other_day, expected_order
):
    # Day Zero Monday 1 March 2027, so Day +(n - 1) is n March.
    day_zero = MON_1
    rules = [
        StepRule(
            key="visit", day=visit_day - 1, window_before=before, window_after=after, at_clinic=True
        ),
        StepRule(key="lab draw", day=other_day - 1),
    ]
    milestones = plan(day_zero, rules, WEEKENDS)
    assert [m.key for m in milestones] == expected_order
    dates = [m.due_date for m in milestones]
    assert dates == sorted(dates)


def test_a_plan_of_many_moved_and_unmoved_steps_is_sorted_by_date():
    rules = [
        StepRule(
            key="weekly review",
            day=0,
            repeat_every_days=7,
            repeat_until_day=98,
            window_before=2,
            window_after=2,
            at_clinic=True,
        ),
        StepRule(
            key="counts",
            day=1,
            repeat_every_days=3,
            repeat_until_day=60,
            window_before=1,
            window_after=1,
            at_clinic=True,
        ),
        StepRule(key="drug", day=-3, repeat_every_days=1, repeat_until_day=10),
        StepRule(key="day 100", day=100, window_before=15, window_after=15, at_clinic=True),
    ]
    milestones = plan(SUN_7, rules, WEEKENDS)
    dates = [m.due_date for m in milestones]
    assert dates == sorted(dates)
    for m in milestones:
        if m.key != "drug" and m.moved_from is None:
            assert not WEEKENDS.is_closed(m.due_date), m
    assert len({(m.key, m.occurrence) for m in milestones}) == len(milestones)


# --- re-planning when Day Zero moves ----------------------------------------------------------

DAY_28_VISIT = StepRule(key="day 28", day=28, window_before=3, window_after=3, at_clinic=True)


def existing_after_plan(day_zero: date, rule: StepRule = DAY_28_VISIT) -> ExistingMilestone:
    """The milestone a course holds after planning with `day_zero`."""
    [m] = plan(day_zero, [rule], WEEKENDS)
    return ExistingMilestone(
        key=m.key,
        occurrence=m.occurrence,
        due_date=m.due_date,
        window_start=m.window_start,
        window_end=m.window_end,
        completed_on=None,
        moved_from=m.moved_from,
    )


REPLAN_CASES = [
    # (old day zero, new day zero, expected visit day, expected moved_from)
    # Old Day Zero 6 Feb 2027: Day +28 is Saturday 6 March, moved to Friday 5 March.
    pytest.param(
        d(2027, 2, 6),
        d(2027, 2, 7),
        MON_8,
        SUN_7,
        id=(
            "a visit moved off Saturday, Day Zero 1 day later: Day +28 is Sunday and the visit "
            "goes to Monday, not to Saturday"
        ),
    ),
    pytest.param(
        d(2027, 2, 6),
        d(2027, 2, 13),
        d(2027, 3, 12),
        d(2027, 3, 13),
        id=(
            "a visit moved off Saturday, Day Zero 7 days later: Saturday again, moved to Friday "
            "12 March"
        ),
    ),
    pytest.param(
        d(2027, 2, 6),
        d(2027, 2, 5),
        FRI_5,
        None,
        id=(
            "a visit moved off Saturday, Day Zero 1 day earlier: Day +28 is Friday, open, and no "
            "longer moved"
        ),
    ),
    pytest.param(
        d(2027, 2, 6),
        d(2027, 2, 8),
        MON_8,
        None,
        id=(
            "a visit moved off Saturday, Day Zero 2 days later: Day +28 is Monday, open, and no "
            "longer moved"
        ),
    ),
    pytest.param(
        d(2027, 2, 6),
        d(2027, 1, 30),
        d(2027, 2, 26),
        d(2027, 2, 27),
        id=(
            "a visit moved off Saturday, Day Zero 7 days earlier: Saturday 27 February, moved to "
            "Friday 26 February"
        ),
    ),
    # Old Day Zero 4 Feb 2027: Day +28 is Thursday 4 March, not moved.
    pytest.param(
        d(2027, 2, 4),
        d(2027, 2, 6),
        FRI_5,
        SAT_6,
        id=(
            "a visit on a Thursday, Day Zero 2 days later: Day +28 is Saturday and the visit "
            "moves to Friday"
        ),
    ),
    pytest.param(
        d(2027, 2, 4),
        d(2027, 2, 5),
        FRI_5,
        None,
        id="a visit on a Thursday, Day Zero 1 day later: Day +28 is Friday and it is not moved",
    ),
    pytest.param(
        d(2027, 2, 4),
        d(2027, 2, 11),
        d(2027, 3, 11),
        None,
        id="a visit on a Thursday, Day Zero 7 days later: Thursday again and not moved",
    ),
]


@pytest.mark.parametrize(("old_day_zero", "new_day_zero", "expected", "moved_from"), REPLAN_CASES)
def test_replanning_recomputes_a_clinic_visit_from_its_new_planned_day(
    old_day_zero, new_day_zero, expected, moved_from
):
    existing = existing_after_plan(old_day_zero)
    result = replan(
        old_day_zero=old_day_zero,
        new_day_zero=new_day_zero,
        rules=[DAY_28_VISIT],
        existing=[existing],
        clinic=WEEKENDS,
    )
    [change] = [c for c in result.changes if c.existing == existing]
    planned = new_day_zero + timedelta(days=28)
    assert change.due_date == expected
    assert change.moved_from == moved_from
    assert change.window_start == planned - timedelta(days=3)
    assert change.window_end == planned + timedelta(days=3)


def test_the_moved_visit_the_replan_starts_from_is_the_one_expected():
    existing = existing_after_plan(d(2027, 2, 6))
    assert (existing.due_date, existing.moved_from) == (FRI_5, SAT_6)


def test_replanning_never_moves_an_inpatient_step_onto_an_open_day():
    rule = StepRule(key="infusion", day=0, window_before=1, window_after=1)
    [m] = plan(SAT_6, [rule], WEEKENDS)
    existing = ExistingMilestone(
        key="infusion",
        occurrence=1,
        due_date=m.due_date,
        window_start=m.window_start,
        window_end=m.window_end,
        completed_on=None,
    )
    result = replan(
        old_day_zero=SAT_6, new_day_zero=SUN_7, rules=[rule], existing=[existing], clinic=WEEKENDS
    )
    [change] = result.changes
    assert change.due_date == SUN_7
    assert change.moved_from is None


def test_replanning_a_visit_every_3_days_moves_each_occurrence_on_its_own():
    rule = StepRule(
        key="counts",
        day=1,
        repeat_every_days=3,
        repeat_until_day=28,
        window_before=1,
        window_after=1,
        at_clinic=True,
    )
    old = plan(MON_1, [rule], WEEKENDS)
    existing = [
        ExistingMilestone(
            key=m.key,
            occurrence=m.occurrence,
            due_date=m.due_date,
            window_start=m.window_start,
            window_end=m.window_end,
            completed_on=None,
            moved_from=m.moved_from,
        )
        for m in old
    ]
    # Day Zero one day later (Tuesday 2 March): planned 3, 6, 9, ..., 30 March.
    result = replan(
        old_day_zero=MON_1, new_day_zero=TUE_2, rules=[rule], existing=existing, clinic=WEEKENDS
    )
    by_occurrence = {c.existing.occurrence: c for c in result.changes}
    assert sorted(by_occurrence) == list(range(1, 11))
    # Planned: 3 Wed, 6 Sat -> Fri 5, 9 Tue, 12 Fri, 15 Mon, 18 Thu, 21 Sun -> Mon 22, 24 Wed,
    # 27 Sat -> Fri 26, 30 Tue. (Old Fri 5 and Fri 19 shifted by a day would be closed days.)
    expected = {1: 3, 2: 5, 3: 9, 4: 12, 5: 15, 6: 18, 7: 22, 8: 24, 9: 26, 10: 30}
    moved = {2: 6, 7: 21, 9: 27}
    assert {n: c.due_date for n, c in by_occurrence.items()} == {
        n: d(2027, 3, day) for n, day in expected.items()
    }
    assert {n: c.moved_from for n, c in by_occurrence.items()} == {
        n: (d(2027, 3, moved[n]) if n in moved else None) for n in expected
    }


# --- seasonal influenza steps fall in the season ----------------------------------------------

INFLUENZA = StepRule(
    key="influenza", months=6, seasons=3, season=Season(starts=(9, 1), ends=(3, 31))
)
INFLUENZA_AT_CLINIC = StepRule(
    key="influenza",
    months=6,
    seasons=3,
    season=Season(starts=(9, 1), ends=(3, 31)),
    window_before=3,
    window_after=3,
    at_clinic=True,
)


def in_northern_season(day: date) -> bool:
    return day.month >= 9 or day.month <= 3  # 1 September to 31 March


def season_year(day: date) -> int:
    return day.year if day.month >= 9 else day.year - 1


def days_of(year: int, month: int):
    day = date(year, month, 1)
    while day.month == month:
        yield day
        day += timedelta(days=1)


@pytest.mark.parametrize(
    "month", range(1, 13), ids=lambda m: f"for every Day Zero in month {m} of 2027 to 2029"
)
def test_every_influenza_dose_is_planned_inside_september_to_march_one_a_season(month):
    for year in (2027, 2028, 2029):
        for day_zero in days_of(year, month):
            doses = plan(day_zero, [INFLUENZA], ALWAYS_OPEN)
            dates = [m.due_date for m in doses]
            assert len(dates) == 3, (day_zero, dates)
            assert all(in_northern_season(x) for x in dates), (day_zero, dates)
            assert dates[0] >= day_zero + relativedelta(months=6), (day_zero, dates)
            years = [season_year(x) for x in dates]
            assert years == list(range(years[0], years[0] + 3)), (day_zero, dates)


def test_an_influenza_clinic_visit_moved_off_a_weekend_still_falls_in_the_season():
    """Every Day Zero of 2027 to 2030, with the clinic shut at weekends and a +/-3 day window."""
    outside = []
    for year in (2027, 2028, 2029, 2030):
        for month in range(1, 13):
            for day_zero in days_of(year, month):
                for m in plan(day_zero, [INFLUENZA_AT_CLINIC], WEEKENDS):
                    if not in_northern_season(m.due_date):
                        outside.append((day_zero, m.moved_from, m.due_date))
    assert not outside, (
        f"{len(outside)} doses out of season, moved from/to: "
        f"{sorted({(frm, to) for _, frm, to in outside})}"
    )


def test_an_influenza_visit_on_saturday_1_september_moves_forward_into_the_season():
    # Day Zero 1 March 2029 + 6 months = Saturday 1 September 2029, the season's first day.
    # Friday 31 August is nearer but outside the season; Monday 3 September is in it.
    doses = plan(d(2029, 3, 1), [INFLUENZA_AT_CLINIC], WEEKENDS)
    assert doses[0].due_date == d(2029, 9, 3)
    assert doses[0].moved_from == d(2029, 9, 1)


@pytest.mark.parametrize(
    "day_zero",
    [d(2027, 1, 15), d(2027, 6, 30), d(2027, 11, 2)],
    ids=lambda day: f"a southern April-to-September season, Day Zero {day:%d %B %Y}",
)
def test_a_centre_that_sets_its_own_season_gets_doses_in_that_season(day_zero):
    rule = StepRule(
        key="influenza", months=6, seasons=2, season=Season(starts=(4, 1), ends=(9, 30))
    )
    dates = [m.due_date for m in plan(day_zero, [rule], ALWAYS_OPEN)]
    assert len(dates) == 2
    assert all(4 <= x.month <= 9 for x in dates), dates
    assert dates[0] >= day_zero + relativedelta(months=6)
