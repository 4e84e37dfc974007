"""When reminders go out: quiet hours on the clinic's clock, the day a reminder is about, and
how long a failed send waits before it is tried again. Pure Python: times in, times out.

Wall-clock times are the clinic's (settings.TIME_ZONE): a caller turns the moment into local
time first, so the clocks changing and the date line at midnight are the time zone's business,
not these rules'.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta


@dataclass(frozen=True)
class Hours:
    """A span of the day on the wall clock, from `start` up to (not including) `end`; it
    wraps past midnight when `end` is not after `start` ("20:00-08:00")."""

    start: time
    end: time

    def __contains__(self, moment: time) -> bool:
        moment = moment.replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def __str__(self) -> str:
        return f"{self.start:%H:%M}–{self.end:%H:%M}"


def parse_hours(text: str) -> Hours:
    """'20:00-08:00' as Hours; ValueError, saying what was expected, for anything else."""
    try:
        start, end = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError:
        raise ValueError(f"{text!r} is not a span of the day like 20:00-08:00") from None
    if start == end:
        raise ValueError(f"{text!r} starts and ends at the same time")
    return Hours(start, end)


def may_remind_patients(local: datetime, quiet: Hours) -> bool:
    """A patient's reminder may go out at this local time: not in the quiet hours."""
    return local.time() not in quiet


def reminder_day(local: datetime) -> date:
    """The day the reminders sent at this local time are about: tomorrow, on the clinic's
    calendar (a reminder goes out the day before)."""
    return local.date() + timedelta(days=1)


def may_send_digest(local: datetime, hours: Hours) -> bool:
    """The morning digest goes out in its hours only: a digest found at 3 p.m. (the worker
    was down all morning) is not sent that day."""
    return local.time() in hours


def retry_at(failed_at: datetime, attempts: int, *, first: timedelta, most: int) -> datetime | None:
    """When a send that has failed `attempts` times is tried again: after `first`, then twice
    as long each time (5, 10, 20, 40 minutes); None once `most` attempts have failed."""
    if attempts >= most:
        return None
    wait: timedelta = first * (2 ** (attempts - 1))
    return failed_at + wait
