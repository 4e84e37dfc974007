"""The follow-up list as CSV, streamed a batch of rows at a time (read as values)."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from tracker.queries import recovery, registry
from tracker.queries.followup import Row, all_rows
from tracker.rules.schedule import Status

if TYPE_CHECKING:
    from tracker.models import RegistryReport, TransplantCourse


class _Echo:
    """A file-like object whose write hands the line back, for streaming csv.writer rows."""

    def write(self, value: str) -> str:
        return value


CSV_HEADER = [
    "MRN",
    "Family name",
    "Given name",
    "Kind",
    "Protocol",
    "Day Zero",
    "Today",
    "Next due",
    "Next due day",
    "Next milestone",
    "Overdue",
    "Day-100 evaluation",
    "Engraftment",
    "GVHD",
]


def csv_line(row: Row) -> list[str]:
    return [
        row.mrn,
        row.family_name,
        row.given_name,
        row.kind,
        row.protocol,
        row.day_zero.isoformat(),
        row.today_label,
        row.next_due_date.isoformat() if row.next_due_date else "",
        row.next_due_label,
        row.next_due_title,
        str(row.overdue_count),
        row.day_100.label,
        row.engraftment_summary,
        row.gvhd,
    ]


# A cell a spreadsheet would run as a formula (OWASP "CSV injection"): shown as text instead.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # so Excel reads the file as UTF-8 ("≥", accented names)


def cell(value: str) -> str:
    """A CSV cell that no spreadsheet runs as a formula."""
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


# Lines sent to the client at a time: one write per line would be a system call per course.
LINES_PER_CHUNK = 200


def follow_up_lines(courses: QuerySet[TransplantCourse], *, today: date) -> Iterator[str]:
    """The follow-up list: the header and one line per course, as CSV text, for a streaming
    response."""
    return _streamed(CSV_HEADER, (csv_line(row) for row in all_rows(courses, today=today)))


def _streamed(header: list[str], lines: Iterable[list[str]]) -> Iterator[str]:
    """CSV text in chunks of LINES_PER_CHUNK lines, the header first (after a BOM)."""
    writer = csv.writer(_Echo())
    chunk = [BOM + writer.writerow(header)]
    for line in lines:
        chunk.append(writer.writerow([cell(value) for value in line]))
        if len(chunk) >= LINES_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)


RECOVERY_HEADER = [
    "MRN",
    "Family name",
    "Given name",
    "Kind",
    "Protocol",
    "Day Zero",
    "Today",
    "Vaccines due or overdue",
    "Live vaccines blocked",
    "Next vaccine",
    "Vaccines done",
    "Immunosuppression",
    "Last IVIG",
    "Drug stops",
]


def _entries(entries: list[recovery.Entry], *, why: bool = False, status: bool = False) -> str:
    """Milestones in a cell: "PCV dose 2 (overdue, 2026-03-01)", with why when asked."""
    return "; ".join(
        f"{e.title} ({e.status.label.lower() + ', ' if status else ''}{e.due_date.isoformat()}"
        f"{', ' + e.note if why and e.note else ''})"
        for e in entries
    )


def stop_words(stop: recovery.Entry) -> str:
    """A drug stop in a cell: "Stop letermovir: due 2026-04-19", or why it is not yet."""
    if stop.status == Status.BLOCKED:
        return f"{stop.title}: {stop.note}"
    return f"{stop.title}: {stop.status.label.lower()} {stop.due_date.isoformat()}"


def recovery_line(row: recovery.Row) -> list[str]:
    stops = "; ".join(stop_words(stop) for stop in row.stops)
    return [
        row.mrn,
        row.family_name,
        row.given_name,
        row.kind,
        row.protocol,
        row.day_zero.isoformat(),
        row.today_label,
        _entries(row.due, status=True),
        _entries(row.blocked, why=True),
        _entries([row.next]) if row.next else "",
        f"{row.vaccines_done} of {row.vaccines_planned}",
        "; ".join(row.drugs),
        row.last_ivig.isoformat() if row.last_ivig else "",
        stops,
    ]


def recovery_lines(courses: QuerySet[TransplantCourse], *, today: date) -> Iterator[str]:
    """The immune recovery list as CSV text, for a streaming response."""
    rows = recovery.all_rows(courses, today=today)
    return _streamed(RECOVERY_HEADER, (recovery_line(row) for row in rows))


REGISTRY_HEADER = [
    "MRN",
    "Family name",
    "Given name",
    "Kind",
    "Primary disease",
    "Day Zero",
    "Form",
    "Target day",
    "Target date",
    "Window",
    "Due",
    "Status",
    "Submitted on",
    "On time",
    "Last contact",
    "Course",
]


def registry_line(row: registry.Row) -> list[str]:
    return [
        row.mrn,
        row.family_name,
        row.given_name,
        row.kind,
        row.indication,
        row.day_zero.isoformat(),
        row.title,
        row.target_label,
        row.target.isoformat(),
        row.window,
        row.due.isoformat(),
        row.status_label,
        row.submitted_on.isoformat() if row.submitted_on else "",
        "" if row.on_time is None else ("yes" if row.on_time else "no"),
        row.last_contact_on.isoformat() if row.last_contact_on else "",
        row.course_state,
    ]


def registry_lines(forms: QuerySet[RegistryReport], *, today: date) -> Iterator[str]:
    """The registry worklist as CSV text, for a streaming response."""
    rows = registry.all_rows(forms, today=today)
    return _streamed(REGISTRY_HEADER, (registry_line(row) for row in rows))
