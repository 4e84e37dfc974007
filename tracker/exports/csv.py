"""The follow-up list as CSV, streamed a batch of rows at a time (read as values)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from tracker.queries.followup import Row, all_rows

if TYPE_CHECKING:
    from tracker.models import TransplantCourse


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
    """The header and one line per course, as CSV text, for a streaming response (in chunks
    of LINES_PER_CHUNK lines)."""
    writer = csv.writer(_Echo())
    chunk = [BOM + writer.writerow(CSV_HEADER)]
    for row in all_rows(courses, today=today):
        chunk.append(writer.writerow([cell(value) for value in csv_line(row)]))
        if len(chunk) >= LINES_PER_CHUNK:
            yield "".join(chunk)
            chunk = []
    if chunk:
        yield "".join(chunk)
