"""The patient's dates as an RFC 5545 calendar (with RFC 7986's NAME and REFRESH-INTERVAL).

Only what the patient may see goes in: milestones of steps meant for the patient or for both
the patient and the care team, never care-team-only steps.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from icalendar import Calendar, Event, vDuration

from tracker.models import CentreDetails, Milestone

# The same for a transplant and a same-day procedure; no name or MRN (see feed_calendar).
FEED_NAME = "My treatment dates"
FEED_PRODID = "-//Transplant tracker//Calendar feed//EN"
# How often a calendar app should poll; a hint, so a moved Day Zero reaches the phone the same day.
FEED_REFRESH = timedelta(hours=1)
UID_DOMAIN = "transplant-tracker"


def all_day_end(day: date) -> date:
    """The DTEND of an all-day event on `day`: the next day (RFC 5545 DTEND is exclusive)."""
    return day + timedelta(days=1)


def event_uid(milestone: Milestone) -> str:
    """A UID that survives Day Zero moves, so calendar apps move the event, not copy it."""
    return f"{milestone.code}@{UID_DOMAIN}"


def feed_calendar(
    milestones: Iterable[Milestone], *, stamp: datetime, centre: CentreDetails
) -> Calendar:
    """An RFC 5545 calendar with one all-day event per milestone (courses already attached);
    each event says whom to call."""
    contact = "\n".join(centre.contact_lines())
    calendar = Calendar()
    calendar.add("prodid", FEED_PRODID)
    calendar.add("version", "2.0")
    # PUBLISH makes DTSTAMP "when this copy was made", which is what a feed serves.
    calendar.add("method", "PUBLISH")
    # No name or MRN anywhere in the feed: the address may end up in the wrong hands.
    calendar.add("name", FEED_NAME)
    calendar.add("x-wr-calname", FEED_NAME)
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))  # the same, for older clients
    for milestone in milestones:
        event = Event()
        event.add("uid", event_uid(milestone))
        event.add("dtstamp", stamp)
        event.add("dtstart", milestone.calendar_date)
        event.add("dtend", all_day_end(milestone.calendar_date))
        event.add("summary", milestone.patient_title)
        description = milestone.calendar_day_label
        if milestone.moved_from and not milestone.is_done:
            description += f" (moved from {milestone.moved_from:%A %-d %B}: the clinic is closed)"
        if milestone.patient_words:
            description += f"\n\n{milestone.patient_words}"
        event.add("description", f"{description}\n\n{contact}")
        calendar.add_component(event)
    return calendar
