"""The centre: its name, phone numbers and address for patients, and the days its clinic is
closed (clinic visits planned on them move to an open day of their window)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.core.cache import caches
from django.core.exceptions import ValidationError
from django.db import models
from simple_history.models import HistoricalRecords

from tracker.rules import schedule

WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
CACHE_KEY = "centre:v1"
# Kept this long in each server's cache: an edit shows everywhere within a minute (the admin
# forgets it at once in the server that saved it).
CACHE_SECONDS = 60


def weekdays_from(value: str) -> frozenset[int]:
    """'5,6' → {5, 6} (Monday is 0); raises ValueError on anything else."""
    days = frozenset(int(part) for part in value.split(",") if part.strip())
    if not days <= set(range(7)):
        raise ValueError(value)
    return days


class Centre(models.Model):
    """The one centre this app serves (a single row, edited in the admin)."""

    name = models.CharField(max_length=120, default="Transplant centre")
    day_phone = models.CharField(
        "Phone in the day", max_length=40, blank=True, help_text="E.g. 01632 960 100."
    )
    day_hours = models.CharField(
        "When the day number answers",
        max_length=80,
        blank=True,
        default="Monday to Friday, 8am to 6pm",
    )
    out_of_hours_phone = models.CharField(
        "Phone out of hours",
        max_length=40,
        blank=True,
        help_text="Answered at night, at weekends and on holidays.",
    )
    address = models.TextField(blank=True)
    closed_weekdays = models.CharField(
        "Clinic closed on",
        max_length=13,
        default="5,6",
        blank=True,
        help_text="Weekdays the clinic is closed (Monday 0 … Sunday 6), e.g. 5,6 for Saturday "
        "and Sunday.",
    )
    history = HistoricalRecords()

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            days = weekdays_from(self.closed_weekdays)
        except ValueError:
            raise ValidationError(
                {
                    "closed_weekdays": "Give weekday numbers from 0 (Monday) to 6 (Sunday), "
                    "separated by commas, e.g. 5,6."
                }
            ) from None
        if len(days) == 7:
            raise ValidationError({"closed_weekdays": "The clinic must be open on some day."})
        self.closed_weekdays = ",".join(str(day) for day in sorted(days))


class ClinicClosure(models.Model):
    """A day the clinic is closed besides its weekly closed days (a public holiday)."""

    day = models.DateField(unique=True)
    reason = models.CharField(max_length=80, blank=True, help_text="E.g. Christmas Day.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day:%d %b %Y} {self.reason}".strip()


@dataclass(frozen=True)
class CentreDetails:
    """What pages, the printout, the feed and e-mails show of the centre."""

    name: str = "Transplant centre"
    day_phone: str = ""
    day_hours: str = ""
    out_of_hours_phone: str = ""
    address: str = ""
    clinic: schedule.ClinicDays = field(default_factory=schedule.ClinicDays)

    @property
    def has_phones(self) -> bool:
        return bool(self.day_phone or self.out_of_hours_phone)

    @property
    def closed_weekday_names(self) -> list[str]:
        return [WEEKDAYS[day] for day in sorted(self.clinic.closed_weekdays)]

    @property
    def key(self) -> str:
        """What pages that show the centre add to their cache keys."""
        shown = (
            self.name,
            self.day_phone,
            self.day_hours,
            self.out_of_hours_phone,
            self.address,
            sorted(self.clinic.closed_weekdays),
            sorted(self.clinic.closed_dates),
        )
        return hashlib.sha256(repr(shown).encode()).hexdigest()[:12]

    def contact_lines(self) -> list[str]:
        """The centre in lines of plain text (the feed's events, e-mails)."""
        lines = [self.name]
        if self.day_phone:
            hours = f" ({self.day_hours})" if self.day_hours else ""
            lines.append(f"Phone: {self.day_phone}{hours}")
        if self.out_of_hours_phone:
            lines.append(f"Out of hours: {self.out_of_hours_phone}")
        return lines


def centre_details() -> CentreDetails:
    """The centre, from each server's cache (two small queries once a minute)."""
    store = caches["pages"]
    details = store.get(CACHE_KEY)
    if details is None:
        details = _read()
        store.set(CACHE_KEY, details, CACHE_SECONDS)
    return details  # type: ignore[no-any-return]


def forget_centre() -> None:
    """Drop the cached centre (after an edit), in this server."""
    caches["pages"].delete(CACHE_KEY)


def _read() -> CentreDetails:
    centre = Centre.objects.order_by("pk").first() or Centre()
    closed = frozenset(ClinicClosure.objects.values_list("day", flat=True))
    return CentreDetails(
        name=centre.name,
        day_phone=centre.day_phone,
        day_hours=centre.day_hours,
        out_of_hours_phone=centre.out_of_hours_phone,
        address=centre.address,
        clinic=schedule.ClinicDays(
            closed_weekdays=weekdays_from(centre.closed_weekdays), closed_dates=closed
        ),
    )
