"""When reminders may go out: quiet hours on the wall clock (wrapping midnight), the day a
reminder is about, and the back-off of a failed send."""

from datetime import date, datetime, time, timedelta

import pytest

from tracker.rules.reminders import (
    Hours,
    may_remind_patients,
    may_send_digest,
    parse_hours,
    reminder_day,
    retry_at,
)

QUIET = parse_hours("20:00-08:00")
DIGEST = parse_hours("07:00-11:00")


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (time(19, 59), False),
        (time(20, 0), True),  # the quiet hours start on the minute
        (time(23, 59), True),
        (time(0, 0), True),
        (time(3, 0), True),
        (time(7, 59, 59), True),
        (time(8, 0), False),  # and end on it
        (time(12, 0), False),
    ],
)
def test_quiet_hours_wrap_midnight(moment, quiet):
    assert (moment in QUIET) is quiet
    assert may_remind_patients(datetime.combine(date(2026, 11, 22), moment), QUIET) is not quiet


@pytest.mark.parametrize(
    ("moment", "inside"),
    [(time(6, 59), False), (time(7, 0), True), (time(10, 59), True), (time(11, 0), False)],
)
def test_hours_within_a_day(moment, inside):
    assert (moment in DIGEST) is inside
    assert may_send_digest(datetime.combine(date(2026, 11, 22), moment), DIGEST) is inside


def test_an_aware_time_is_read_on_its_wall_clock():
    from zoneinfo import ZoneInfo

    local = datetime(2026, 11, 22, 21, 30, tzinfo=ZoneInfo("Australia/Sydney"))
    assert not may_remind_patients(local, QUIET)


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("20:00-08:00", Hours(time(20), time(8))),
        (" 21:30 - 07:15 ", Hours(time(21, 30), time(7, 15))),
        ("00:00-06:00", Hours(time(0), time(6))),
    ],
)
def test_parse_hours(text, hours):
    assert parse_hours(text) == hours


@pytest.mark.parametrize(
    "text", ["", "20:00", "25:00-08:00", "8pm-8am", "08:00-08:00", "20:00-08:00-09:00"]
)
def test_parse_hours_refuses_what_is_not_a_span(text):
    with pytest.raises(ValueError, match="span|same time"):
        parse_hours(text)


@pytest.mark.parametrize(
    ("local", "day"),
    [
        (datetime(2026, 11, 22, 8, 0), date(2026, 11, 23)),
        (datetime(2026, 11, 30, 9, 0), date(2026, 12, 1)),  # month end
        (datetime(2026, 12, 31, 9, 0), date(2027, 1, 1)),  # year end
        (datetime(2028, 2, 28, 9, 0), date(2028, 2, 29)),  # leap day
        (datetime(2027, 2, 28, 9, 0), date(2027, 3, 1)),
    ],
)
def test_a_reminder_is_about_tomorrow(local, day):
    assert reminder_day(local) == day


def test_retries_wait_twice_as_long_each_time_then_stop():
    failed = datetime(2026, 11, 22, 9, 0)
    first = timedelta(minutes=5)
    waits = [retry_at(failed, n, first=first, most=5) for n in range(1, 6)]
    assert waits[:4] == [failed + timedelta(minutes=m) for m in (5, 10, 20, 40)]
    assert waits[4] is None
