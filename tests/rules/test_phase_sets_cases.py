"""Phase sets that fit the course, and the printout's month-grid calendar.

Written from the specification of issue 17, not from the code:

    "Phases that fit the course: protocols say which phase set they use. Transplants: Work-up
    (before conditioning), Conditioning, Day Zero, Engraftment, 100-day window, Immune
    recovery, Long-term; same-day procedures: Preparation, Procedure day, Recovery,
    Follow-up."

    The printout: "a month-grid calendar for the first 100 days".

and CLINICAL.md: section 2 (Day 0 is the infusion day, no gap; labels "Day −3", "Day 0",
"Day +14" with the sign shown except on 0; calendar months clamp at month ends), section 8
(a procedure's phases are its own, never "conditioning" or "engraftment") and section 9
(work-up is the time before conditioning; it is not conditioning though its days are
negative). Boundaries: engraftment Day +1 to +30, the 100-day window Day +31 to +100, immune
recovery from Day +101, long-term from 24 calendar months after Day Zero; a procedure's
recovery is Day +1 to +14 and its follow-up from Day +15.
"""

import re
from datetime import date, timedelta
from itertools import pairwise

import pytest

from tracker.rules.month_grid import Day, by_day, month_grids
from tracker.rules.schedule import (
    ENGRAFTMENT_LAST_DAY,
    HUNDRED_DAY_LAST_DAY,
    LONG_TERM_FROM_MONTHS,
    RECOVERY_LAST_DAY,
    Phase,
    PhaseScheme,
    current_phase,
    phase_band,
    phase_of,
    phases_from,
)

MINUS = "\N{MINUS SIGN}"

TRANSPLANT = PhaseScheme()
WITH_WORK_UP = PhaseScheme(conditioning_from=-7)
PROCEDURE = PhaseScheme(procedure=True)

TRANSPLANT_PHASES = {
    Phase.WORK_UP,
    Phase.CONDITIONING,
    Phase.DAY_ZERO,
    Phase.ENGRAFTMENT,
    Phase.HUNDRED_DAY,
    Phase.IMMUNE_RECOVERY,
    Phase.LONG_TERM,
}
PROCEDURE_PHASES = {Phase.PREPARATION, Phase.PROCEDURE_DAY, Phase.RECOVERY, Phase.FOLLOW_UP}

DAY_ZERO = date(2027, 3, 1)  # a Monday; 24 calendar months later is 1 March 2029 = Day +731


def on(day_zero: date, n: int) -> date:
    return day_zero + timedelta(days=n)


# --- the constants the specification names ----------------------------------------------------


def test_the_phase_boundaries_are_the_ones_the_specification_names():
    assert ENGRAFTMENT_LAST_DAY == 30
    assert HUNDRED_DAY_LAST_DAY == 100
    assert LONG_TERM_FROM_MONTHS == 24
    assert RECOVERY_LAST_DAY == 14


# --- which phases each scheme has, in order ---------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "expected"),
    [
        pytest.param(
            TRANSPLANT,
            (
                Phase.CONDITIONING,
                Phase.DAY_ZERO,
                Phase.ENGRAFTMENT,
                Phase.HUNDRED_DAY,
                Phase.IMMUNE_RECOVERY,
                Phase.LONG_TERM,
            ),
            id="a transplant whose protocol does not say where conditioning starts has no work-up",
        ),
        pytest.param(
            WITH_WORK_UP,
            (
                Phase.WORK_UP,
                Phase.CONDITIONING,
                Phase.DAY_ZERO,
                Phase.ENGRAFTMENT,
                Phase.HUNDRED_DAY,
                Phase.IMMUNE_RECOVERY,
                Phase.LONG_TERM,
            ),
            id=(
                "a transplant with conditioning from Day -7 starts with work-up, then the six "
                "transplant phases"
            ),
        ),
        pytest.param(
            PhaseScheme(conditioning_from=-14),
            (
                Phase.WORK_UP,
                Phase.CONDITIONING,
                Phase.DAY_ZERO,
                Phase.ENGRAFTMENT,
                Phase.HUNDRED_DAY,
                Phase.IMMUNE_RECOVERY,
                Phase.LONG_TERM,
            ),
            id="a transplant with conditioning from Day -14 has the same seven phases",
        ),
        pytest.param(
            PROCEDURE,
            (Phase.PREPARATION, Phase.PROCEDURE_DAY, Phase.RECOVERY, Phase.FOLLOW_UP),
            id="a same-day procedure has preparation, procedure day, recovery and follow-up",
        ),
    ],
)
def test_a_scheme_lists_its_phases_in_course_order(scheme, expected):
    assert tuple(scheme.phases) == expected


@pytest.mark.parametrize(
    ("phase", "label"),
    [
        pytest.param(Phase.WORK_UP, "Work-up", id="work-up is called Work-up"),
        pytest.param(Phase.CONDITIONING, "Conditioning", id="conditioning is called Conditioning"),
        pytest.param(Phase.DAY_ZERO, "Day Zero", id="Day Zero is called Day Zero"),
        pytest.param(Phase.ENGRAFTMENT, "Engraftment", id="engraftment is called Engraftment"),
        pytest.param(
            Phase.HUNDRED_DAY, "100-day window", id="the 100-day window is called 100-day window"
        ),
        pytest.param(
            Phase.IMMUNE_RECOVERY, "Immune recovery", id="immune recovery is called Immune recovery"
        ),
        pytest.param(Phase.PREPARATION, "Preparation", id="preparation is called Preparation"),
        pytest.param(
            Phase.PROCEDURE_DAY, "Procedure day", id="the procedure day is called Procedure day"
        ),
        pytest.param(Phase.RECOVERY, "Recovery", id="recovery is called Recovery"),
        pytest.param(Phase.FOLLOW_UP, "Follow-up", id="follow-up is called Follow-up"),
    ],
)
def test_each_phase_is_named_as_the_specification_names_it(phase, label):
    assert phase.label == label


def test_the_long_term_phase_is_named_long_term():
    assert Phase.LONG_TERM.label.startswith("Long-term")


# --- the phase of a day -----------------------------------------------------------------------

TRANSPLANT_DAY_CASES = [
    pytest.param(
        TRANSPLANT,
        -28,
        Phase.CONDITIONING,
        id="no conditioning start given: Day -28 is conditioning",
    ),
    pytest.param(
        TRANSPLANT, -8, Phase.CONDITIONING, id="no conditioning start given: Day -8 is conditioning"
    ),
    pytest.param(
        TRANSPLANT, -7, Phase.CONDITIONING, id="no conditioning start given: Day -7 is conditioning"
    ),
    pytest.param(
        TRANSPLANT, -1, Phase.CONDITIONING, id="no conditioning start given: Day -1 is conditioning"
    ),
    pytest.param(
        TRANSPLANT, 0, Phase.DAY_ZERO, id="no conditioning start given: Day 0 is Day Zero"
    ),
    pytest.param(
        WITH_WORK_UP, -60, Phase.WORK_UP, id="conditioning from Day -7: Day -60 is work-up"
    ),
    pytest.param(
        WITH_WORK_UP, -28, Phase.WORK_UP, id="conditioning from Day -7: Day -28 is work-up"
    ),
    pytest.param(
        WITH_WORK_UP,
        -8,
        Phase.WORK_UP,
        id="conditioning from Day -7: Day -8, the day before conditioning, is work-up",
    ),
    pytest.param(
        WITH_WORK_UP, -7, Phase.CONDITIONING, id="conditioning from Day -7: Day -7 is conditioning"
    ),
    pytest.param(
        WITH_WORK_UP, -1, Phase.CONDITIONING, id="conditioning from Day -7: Day -1 is conditioning"
    ),
    pytest.param(WITH_WORK_UP, 0, Phase.DAY_ZERO, id="conditioning from Day -7: Day 0 is Day Zero"),
    pytest.param(WITH_WORK_UP, 1, Phase.ENGRAFTMENT, id="Day +1 is engraftment"),
    pytest.param(WITH_WORK_UP, 30, Phase.ENGRAFTMENT, id="Day +30 is still engraftment"),
    pytest.param(WITH_WORK_UP, 31, Phase.HUNDRED_DAY, id="Day +31 opens the 100-day window"),
    pytest.param(WITH_WORK_UP, 100, Phase.HUNDRED_DAY, id="Day +100 is still the 100-day window"),
    pytest.param(WITH_WORK_UP, 101, Phase.IMMUNE_RECOVERY, id="Day +101 is immune recovery"),
    pytest.param(WITH_WORK_UP, 365, Phase.IMMUNE_RECOVERY, id="Day +365 is immune recovery"),
    pytest.param(
        WITH_WORK_UP,
        730,
        Phase.IMMUNE_RECOVERY,
        id=(
            "Day +730 (28 February 2029) is still immune recovery: 24 calendar months from 1 "
            "March 2027 are 731 days"
        ),
    ),
    pytest.param(
        WITH_WORK_UP,
        731,
        Phase.LONG_TERM,
        id="Day +731, 1 March 2029, exactly 24 calendar months after Day Zero, is long-term",
    ),
    pytest.param(WITH_WORK_UP, 3000, Phase.LONG_TERM, id="years later is still long-term"),
    pytest.param(
        TRANSPLANT, 1, Phase.ENGRAFTMENT, id="no conditioning start given: Day +1 is engraftment"
    ),
    pytest.param(
        TRANSPLANT,
        101,
        Phase.IMMUNE_RECOVERY,
        id="no conditioning start given: Day +101 is immune recovery",
    ),
    pytest.param(
        TRANSPLANT, 731, Phase.LONG_TERM, id="no conditioning start given: Day +731 is long-term"
    ),
]

PROCEDURE_DAY_CASES = [
    pytest.param(PROCEDURE, -30, Phase.PREPARATION, id="a procedure: Day -30 is preparation"),
    pytest.param(PROCEDURE, -5, Phase.PREPARATION, id="a procedure: Day -5 is preparation"),
    pytest.param(PROCEDURE, -1, Phase.PREPARATION, id="a procedure: Day -1 is preparation"),
    pytest.param(PROCEDURE, 0, Phase.PROCEDURE_DAY, id="a procedure: Day 0 is the procedure day"),
    pytest.param(PROCEDURE, 1, Phase.RECOVERY, id="a procedure: Day +1 is recovery"),
    pytest.param(
        PROCEDURE, 14, Phase.RECOVERY, id="a procedure: Day +14 is the last day of recovery"
    ),
    pytest.param(PROCEDURE, 15, Phase.FOLLOW_UP, id="a procedure: Day +15 starts follow-up"),
    pytest.param(
        PROCEDURE, 31, Phase.FOLLOW_UP, id="a procedure: Day +31 is follow-up, not a 100-day window"
    ),
    pytest.param(
        PROCEDURE,
        101,
        Phase.FOLLOW_UP,
        id="a procedure: Day +101 is follow-up, not immune recovery",
    ),
    pytest.param(PROCEDURE, 400, Phase.FOLLOW_UP, id="a procedure: Day +400 is follow-up"),
    pytest.param(
        PROCEDURE,
        800,
        Phase.FOLLOW_UP,
        id="a procedure: Day +800, past 24 months, is follow-up, not long-term",
    ),
]


@pytest.mark.parametrize(("scheme", "n", "expected"), TRANSPLANT_DAY_CASES + PROCEDURE_DAY_CASES)
def test_the_phase_of_a_day(scheme, n, expected):
    assert phase_of(on(DAY_ZERO, n), DAY_ZERO, scheme) == expected


@pytest.mark.parametrize(("scheme", "n", "expected"), TRANSPLANT_DAY_CASES + PROCEDURE_DAY_CASES)
def test_phases_from_a_day_zero_answers_as_phase_of_does(scheme, n, expected):
    assert phases_from(DAY_ZERO, scheme)(on(DAY_ZERO, n)) == expected


def test_the_default_scheme_is_a_transplant_without_work_up():
    assert phase_of(on(DAY_ZERO, -20), DAY_ZERO) == Phase.CONDITIONING
    assert phase_of(on(DAY_ZERO, 50), DAY_ZERO) == Phase.HUNDRED_DAY


LONG_TERM_CASES = [
    # (day zero, last day of immune recovery, first long-term day)
    pytest.param(
        date(2027, 1, 31),
        date(2029, 1, 30),
        date(2029, 1, 31),
        id="Day Zero 31 January 2027: long-term from 31 January 2029",
    ),
    pytest.param(
        date(2027, 8, 31),
        date(2029, 8, 30),
        date(2029, 8, 31),
        id="Day Zero 31 August 2027: long-term from 31 August 2029",
    ),
    pytest.param(
        date(2028, 2, 29),
        date(2030, 2, 27),
        date(2030, 2, 28),
        id=(
            "Day Zero on the leap day 29 February 2028: long-term from 28 February 2030, the "
            "month end clamped"
        ),
    ),
    pytest.param(
        date(2027, 3, 1),
        date(2029, 2, 28),
        date(2029, 3, 1),
        id="Day Zero 1 March 2027: long-term from 1 March 2029, across a leap year",
    ),
    pytest.param(
        date(2026, 12, 31),
        date(2028, 12, 30),
        date(2028, 12, 31),
        id="Day Zero 31 December 2026: long-term from 31 December 2028",
    ),
]


@pytest.mark.parametrize(("day_zero", "last_immune", "first_long_term"), LONG_TERM_CASES)
@pytest.mark.parametrize(
    "scheme", [TRANSPLANT, WITH_WORK_UP], ids=["without work-up", "with work-up"]
)
def test_long_term_starts_24_calendar_months_after_day_zero(
    scheme, day_zero, last_immune, first_long_term
):
    assert phase_of(last_immune, day_zero, scheme) == Phase.IMMUNE_RECOVERY
    assert phase_of(first_long_term, day_zero, scheme) == Phase.LONG_TERM
    assert phases_from(day_zero, scheme)(last_immune) == Phase.IMMUNE_RECOVERY
    assert phases_from(day_zero, scheme)(first_long_term) == Phase.LONG_TERM


@pytest.mark.parametrize(
    ("scheme", "allowed"),
    [
        pytest.param(
            TRANSPLANT,
            TRANSPLANT_PHASES - {Phase.WORK_UP},
            id="a transplant without work-up never answers work-up or a procedure phase",
        ),
        pytest.param(
            WITH_WORK_UP,
            TRANSPLANT_PHASES,
            id="a transplant with work-up only answers transplant phases",
        ),
        pytest.param(
            PROCEDURE, PROCEDURE_PHASES, id="a procedure never answers a transplant phase"
        ),
    ],
)
def test_every_day_for_three_years_is_in_a_phase_of_the_scheme_and_phases_never_go_back(
    scheme, allowed
):
    phase = phases_from(DAY_ZERO, scheme)
    order = list(scheme.phases)
    seen = []
    for n in range(-90, 3 * 366):
        answer = phase(on(DAY_ZERO, n))
        assert answer in allowed, (n, answer)
        assert answer in order, (n, answer)
        assert answer == phase_of(on(DAY_ZERO, n), DAY_ZERO, scheme), n
        seen.append(order.index(answer))
    assert seen == sorted(seen)
    assert set(seen) == set(range(len(order)))  # every phase of the scheme is reached


# --- the current phase ------------------------------------------------------------------------

CURRENT_CASES = [
    # (scheme, first_day, today as a day number, expected)
    pytest.param(
        WITH_WORK_UP,
        -28,
        -29,
        None,
        id="with work-up from Day -28: the day before the course starts has no phase",
    ),
    pytest.param(
        WITH_WORK_UP,
        -28,
        -28,
        Phase.WORK_UP,
        id="with work-up from Day -28: the first day is work-up",
    ),
    pytest.param(
        WITH_WORK_UP, -28, -8, Phase.WORK_UP, id="with work-up from Day -28: Day -8 is work-up"
    ),
    pytest.param(
        WITH_WORK_UP,
        -28,
        -7,
        Phase.CONDITIONING,
        id="with work-up from Day -28: Day -7 is conditioning",
    ),
    pytest.param(
        WITH_WORK_UP, -28, 0, Phase.DAY_ZERO, id="with work-up from Day -28: Day 0 is Day Zero"
    ),
    pytest.param(
        WITH_WORK_UP,
        -28,
        45,
        Phase.HUNDRED_DAY,
        id="with work-up from Day -28: Day +45 is the 100-day window",
    ),
    pytest.param(
        WITH_WORK_UP,
        -28,
        731,
        Phase.LONG_TERM,
        id="with work-up from Day -28: Day +731 is long-term",
    ),
    pytest.param(
        TRANSPLANT, -10, -11, None, id="a transplant planned from Day -10: Day -11 has no phase"
    ),
    pytest.param(
        TRANSPLANT,
        -10,
        -10,
        Phase.CONDITIONING,
        id="a transplant planned from Day -10: Day -10 is conditioning",
    ),
    pytest.param(
        TRANSPLANT, 0, -1, None, id="a transplant planned from Day 0: Day -1 has no phase"
    ),
    pytest.param(
        TRANSPLANT, 0, 0, Phase.DAY_ZERO, id="a transplant planned from Day 0: Day 0 is Day Zero"
    ),
    pytest.param(
        PROCEDURE, -5, -6, None, id="a procedure planned from Day -5: Day -6 has no phase"
    ),
    pytest.param(
        PROCEDURE,
        -5,
        -5,
        Phase.PREPARATION,
        id="a procedure planned from Day -5: Day -5 is preparation",
    ),
    pytest.param(
        PROCEDURE,
        -5,
        0,
        Phase.PROCEDURE_DAY,
        id="a procedure planned from Day -5: Day 0 is the procedure day",
    ),
    pytest.param(
        PROCEDURE, -5, 14, Phase.RECOVERY, id="a procedure planned from Day -5: Day +14 is recovery"
    ),
    pytest.param(
        PROCEDURE,
        -5,
        15,
        Phase.FOLLOW_UP,
        id="a procedure planned from Day -5: Day +15 is follow-up",
    ),
    pytest.param(
        PROCEDURE,
        -5,
        1000,
        Phase.FOLLOW_UP,
        id="a procedure planned from Day -5: Day +1000 is follow-up",
    ),
]


@pytest.mark.parametrize(("scheme", "first_day", "today", "expected"), CURRENT_CASES)
def test_the_current_phase_is_none_before_the_course_starts(scheme, first_day, today, expected):
    assert (
        current_phase(DAY_ZERO, on(DAY_ZERO, today), first_day=first_day, scheme=scheme) == expected
    )


# --- the phase band above a timeline ----------------------------------------------------------

LABEL = re.compile(rf"Day (?:0|[+{MINUS}]\d+)")


def labels_in(text: str) -> list[str]:
    found = []
    for label in LABEL.findall(text):
        if label not in found:
            found.append(label)
    return found


PROCEDURE_BAND = [
    (Phase.PREPARATION, [f"Day {MINUS}5", f"Day {MINUS}1"]),
    (Phase.PROCEDURE_DAY, ["Day 0"]),
    (Phase.RECOVERY, ["Day +1", "Day +14"]),
    (Phase.FOLLOW_UP, ["Day +15"]),
]

WORK_UP_BAND = [  # Day Zero 1 March 2027, planned from Day -28, conditioning from Day -7
    (Phase.WORK_UP, [f"Day {MINUS}28", f"Day {MINUS}8"]),
    (Phase.CONDITIONING, [f"Day {MINUS}7", f"Day {MINUS}1"]),
    (Phase.DAY_ZERO, ["Day 0"]),
    (Phase.ENGRAFTMENT, ["Day +1", "Day +30"]),
    (Phase.HUNDRED_DAY, ["Day +31", "Day +100"]),
    # Long-term starts 24 calendar months after Day Zero, so its day number varies with the
    # calendar; the band may say so in months rather than as a day number.
    (Phase.IMMUNE_RECOVERY, ["Day +101"]),
    (Phase.LONG_TERM, []),
]


@pytest.mark.parametrize(
    ("scheme", "first_day", "expected"),
    [
        pytest.param(
            PROCEDURE,
            -5,
            PROCEDURE_BAND,
            id="a procedure planned from Day -5 shows four spans with their day numbers",
        ),
        pytest.param(
            WITH_WORK_UP,
            -28,
            WORK_UP_BAND,
            id=(
                "a transplant with work-up planned from Day -28 shows seven spans with their day "
                "numbers"
            ),
        ),
    ],
)
def test_the_phase_band_lists_the_schemes_phases_with_their_days(scheme, first_day, expected):
    band = phase_band(DAY_ZERO, on(DAY_ZERO, 3), first_day=first_day, scheme=scheme)
    assert [span.phase for span in band] == [phase for phase, _ in expected]
    assert [labels_in(span.days) for span in band] == [labels for _, labels in expected]
    for span in band:
        assert "Day -" not in span.days, span  # the minus sign, never a hyphen
        if span.phase in (Phase.IMMUNE_RECOVERY, Phase.LONG_TERM):
            assert "24 months" in span.days, span


@pytest.mark.parametrize(
    ("scheme", "first_day", "today", "expected"),
    [
        pytest.param(
            PROCEDURE,
            -5,
            -6,
            None,
            id="a procedure band the day before its first day has no current span",
        ),
        pytest.param(
            PROCEDURE,
            -5,
            -30,
            None,
            id="a procedure band a month before its first day has no current span",
        ),
        pytest.param(
            PROCEDURE,
            -5,
            -5,
            Phase.PREPARATION,
            id="a procedure band on its first day flags preparation",
        ),
        pytest.param(
            PROCEDURE,
            -5,
            0,
            Phase.PROCEDURE_DAY,
            id="a procedure band on Day 0 flags the procedure day",
        ),
        pytest.param(
            PROCEDURE, -5, 1, Phase.RECOVERY, id="a procedure band on Day +1 flags recovery"
        ),
        pytest.param(
            PROCEDURE, -5, 14, Phase.RECOVERY, id="a procedure band on Day +14 flags recovery"
        ),
        pytest.param(
            PROCEDURE, -5, 15, Phase.FOLLOW_UP, id="a procedure band on Day +15 flags follow-up"
        ),
        pytest.param(
            WITH_WORK_UP,
            -28,
            -29,
            None,
            id="a transplant band the day before work-up has no current span",
        ),
        pytest.param(
            WITH_WORK_UP,
            -28,
            -28,
            Phase.WORK_UP,
            id="a transplant band on its first day flags work-up",
        ),
        pytest.param(
            WITH_WORK_UP,
            -28,
            -7,
            Phase.CONDITIONING,
            id="a transplant band on Day -7 flags conditioning",
        ),
        pytest.param(
            WITH_WORK_UP, -28, 0, Phase.DAY_ZERO, id="a transplant band on Day 0 flags Day Zero"
        ),
        pytest.param(
            WITH_WORK_UP,
            -28,
            30,
            Phase.ENGRAFTMENT,
            id="a transplant band on Day +30 flags engraftment",
        ),
        pytest.param(
            WITH_WORK_UP,
            -28,
            100,
            Phase.HUNDRED_DAY,
            id="a transplant band on Day +100 flags the 100-day window",
        ),
        pytest.param(
            WITH_WORK_UP,
            -28,
            101,
            Phase.IMMUNE_RECOVERY,
            id="a transplant band on Day +101 flags immune recovery",
        ),
        pytest.param(
            WITH_WORK_UP,
            -28,
            731,
            Phase.LONG_TERM,
            id="a transplant band on Day +731 flags long-term",
        ),
    ],
)
def test_the_phase_band_flags_the_one_span_today_falls_in(scheme, first_day, today, expected):
    today_date = on(DAY_ZERO, today)
    band = phase_band(DAY_ZERO, today_date, first_day=first_day, scheme=scheme)
    current = [span.phase for span in band if span.is_current]
    assert current == ([] if expected is None else [expected])
    assert current_phase(DAY_ZERO, today_date, first_day=first_day, scheme=scheme) == expected


# --- the printout's month grids ---------------------------------------------------------------


def cells(month):
    return [cell for week in month.weeks for cell in week]


def days_in(month):
    return [cell for cell in cells(month) if cell is not None]


def test_1_march_2027_is_a_monday_and_starts_the_first_column():
    [march] = month_grids(date(2027, 3, 1), date(2027, 3, 31), {})
    assert (march.year, march.month) == (2027, 3)
    assert march.weeks[0][0].day == date(2027, 3, 1)
    assert [c.day.day if c else None for c in march.weeks[-1]] == [
        29,
        30,
        31,
        None,
        None,
        None,
        None,
    ]
    assert len(march.weeks) == 5


def test_february_2028_has_29_days_and_starts_on_a_tuesday():
    [february] = month_grids(date(2028, 2, 1), date(2028, 2, 29), {})
    assert [c.day for c in days_in(february)] == [date(2028, 2, n) for n in range(1, 30)]
    assert february.weeks[0][0] is None
    assert february.weeks[0][1].day == date(2028, 2, 1)
    assert [c.day.day if c else None for c in february.weeks[-1]] == [
        28,
        29,
        None,
        None,
        None,
        None,
        None,
    ]
    assert all(c.in_range for c in days_in(february))


@pytest.mark.parametrize(
    ("year", "month"),
    [(year, month) for year in (2027, 2028) for month in range(1, 13)],
    ids=lambda value: str(value),
)
def test_the_first_100_days_fit_in_at_most_5_month_grids_with_monday_first_trimmed_weeks(
    year, month
):
    day_zero = date(year, month, 1)
    while day_zero.month == month:
        check_hundred_days(day_zero)
        day_zero += timedelta(days=1)


def check_hundred_days(day_zero):
    """Day -10 to Day +100 as month grids, checked cell by cell."""
    first, last = on(day_zero, -10), on(day_zero, 100)
    months = month_grids(first, last, {})
    assert 4 <= len(months) <= 5
    # the months are those from first to last, in order
    keys = [(m.year, m.month) for m in months]
    assert keys[0] == (first.year, first.month)
    assert keys[-1] == (last.year, last.month)
    for (y1, m1), (y2, m2) in pairwise(keys):
        assert (y2, m2) == ((y1, m1 + 1) if m1 < 12 else (y1 + 1, 1))
    in_range = []
    for month in months:
        for week in month.weeks:
            assert len(week) == 7
            # a week is drawn only when it holds a day of first..last
            assert any(c is not None and c.in_range for c in week)
            for column, cell in enumerate(week):
                if cell is None:
                    continue
                assert cell.day.weekday() == column  # Monday first
                assert (cell.day.year, cell.day.month) == (month.year, month.month)
                assert cell.in_range == (first <= cell.day <= last)
                if cell.in_range:
                    in_range.append(cell.day)
    assert in_range == [first + timedelta(days=n) for n in range(111)]


def test_the_first_and_last_weeks_are_trimmed_to_the_range():
    # Day Zero Wednesday 10 March 2027: Day −10 is Sunday 28 February, Day +100 Friday 18 June.
    day_zero = date(2027, 3, 10)
    months = month_grids(on(day_zero, -10), on(day_zero, 100), {})
    assert [(m.year, m.month) for m in months] == [
        (2027, 2),
        (2027, 3),
        (2027, 4),
        (2027, 5),
        (2027, 6),
    ]
    february, june = months[0], months[-1]
    assert len(february.weeks) == 1  # only the week of Sunday 28 February
    assert [c.day.day for c in february.weeks[0]] == [22, 23, 24, 25, 26, 27, 28]
    assert [c.in_range for c in february.weeks[0]] == [False] * 6 + [True]
    assert len(june.weeks) == 3  # 31 May-6 June, 7-13, 14-20; the weeks after 18 June are not drawn
    assert [c.day.day if c else None for c in june.weeks[0]] == [None, 1, 2, 3, 4, 5, 6]
    assert [c.day.day for c in june.weeks[-1]] == [14, 15, 16, 17, 18, 19, 20]
    assert [c.in_range for c in june.weeks[-1]] == [True] * 5 + [False, False]


def test_a_range_within_one_week_is_one_month_with_one_week():
    months = month_grids(date(2027, 3, 3), date(2027, 3, 5), {})
    assert len(months) == 1
    [week] = months[0].weeks
    assert [c.day for c in week] == [date(2027, 3, n) for n in range(1, 8)]
    assert [c.in_range for c in week] == [False, False, True, True, True, False, False]


def test_a_range_within_one_week_across_a_month_end_is_two_months_of_one_week_each():
    # Monday 29 March to Saturday 3 April 2027.
    march, april = month_grids(date(2027, 3, 29), date(2027, 4, 3), {})
    assert [c.day.day if c else None for c in march.weeks[0]] == [
        29,
        30,
        31,
        None,
        None,
        None,
        None,
    ]
    assert [c.day.day if c else None for c in april.weeks[0]] == [None, None, None, 1, 2, 3, 4]
    assert len(march.weeks) == len(april.weeks) == 1
    assert [c.in_range for c in april.weeks[0] if c] == [True, True, True, False]


def test_a_single_day_is_one_month_with_one_week_and_one_day_in_range():
    [month] = month_grids(date(2027, 3, 10), date(2027, 3, 10), {})
    [week] = month.weeks
    assert [c.day for c in week if c.in_range] == [date(2027, 3, 10)]


def test_first_after_last_gives_no_months():
    assert month_grids(date(2027, 3, 10), date(2027, 3, 9), {}) == []


def test_an_empty_items_map_leaves_every_day_empty():
    months = month_grids(date(2027, 2, 20), date(2027, 6, 10), {})
    assert all(c.items == () for m in months for c in days_in(m))


def test_items_are_kept_on_their_day_in_the_given_order():
    items = {
        date(2027, 3, 10): ["Day 0: infusion", "blood count", "weight"],
        date(2027, 3, 11): ["blood count"],
    }
    months = month_grids(date(2027, 3, 1), date(2027, 3, 31), items)
    found = {c.day: c.items for m in months for c in days_in(m) if c.items}
    assert found == {
        date(2027, 3, 10): ("Day 0: infusion", "blood count", "weight"),
        date(2027, 3, 11): ("blood count",),
    }


def test_a_day_outside_the_range_carries_no_items_even_when_some_fall_on_it():
    items = {date(2027, 3, 1): ["too early"], date(2027, 3, 3): ["in range"]}
    [march] = month_grids(date(2027, 3, 3), date(2027, 3, 5), items)
    by_date = {c.day: c for c in days_in(march)}
    assert by_date[date(2027, 3, 1)] == Day(day=date(2027, 3, 1), in_range=False, items=())
    assert by_date[date(2027, 3, 3)].items == ("in range",)


def test_by_day_groups_items_by_their_day_in_the_given_order():
    pairs = [
        (date(2027, 3, 11), "b"),
        (date(2027, 3, 10), "a"),
        (date(2027, 3, 11), "c"),
        (date(2027, 3, 10), "d"),
    ]
    assert by_day(pairs) == {date(2027, 3, 11): ["b", "c"], date(2027, 3, 10): ["a", "d"]}


def test_by_day_of_nothing_is_empty():
    assert by_day([]) == {}
