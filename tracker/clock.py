"""The only place that reads the clock: today's date and the time, in the clinic's time zone.

Everything else takes `today` (or `now`) as a parameter, so a page, a service and the reminder
job at midnight all agree on what day it is, and tests pin time here (time-machine).
"""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone


def today() -> date:
    """Today's date in the clinic's time zone (settings.TIME_ZONE), not UTC."""
    return timezone.localdate()


def now() -> datetime:
    """The current time, aware (stored in UTC, shown in the clinic's time zone)."""
    return timezone.now()
