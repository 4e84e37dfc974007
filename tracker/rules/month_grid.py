"""Month calendars for the printout: weeks from Monday, each day with what falls on it.

Pure Python (no Django). The printout draws the first 100 days after Day Zero (and the days of
the plan before it) as month grids, so a patient sees their weeks at a glance on paper.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Generic, TypeVar

Item = TypeVar("Item")


@dataclass(frozen=True)
class Day(Generic[Item]):
    """One day of a month grid; `in_range` is False for days the printout does not cover."""

    day: date
    in_range: bool
    items: tuple[Item, ...] = ()


@dataclass(frozen=True)
class Month(Generic[Item]):
    year: int
    month: int
    weeks: tuple[tuple[Day[Item] | None, ...], ...]  # None: a day of the next or last month

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)


def month_grids(
    first: date, last: date, items_by_day: Mapping[date, Sequence[Item]]
) -> list[Month[Item]]:
    """The months from `first` to `last` as weeks of seven days, Monday first.

    Only the weeks that hold a day of first..last are drawn (paper is short); their other days
    are there but marked out of range and carry nothing; days of the neighbouring months are
    None.
    """
    if last < first:
        return []
    months = []
    year, month = first.year, first.month
    weeks_of = calendar.Calendar(firstweekday=calendar.MONDAY)
    while (year, month) <= (last.year, last.month):
        weeks = []
        for week in weeks_of.monthdatescalendar(year, month):
            cells: list[Day[Item] | None] = []
            for day in week:
                if day.month != month:
                    cells.append(None)
                    continue
                in_range = first <= day <= last
                items = tuple(items_by_day.get(day, ())) if in_range else ()
                cells.append(Day(day, in_range, items))
            if any(cell is not None and cell.in_range for cell in cells):
                weeks.append(tuple(cells))
        months.append(Month(year, month, tuple(weeks)))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def by_day(pairs: Iterable[tuple[date, Item]]) -> dict[date, list[Item]]:
    """Items grouped by their day, in the order given."""
    grouped: dict[date, list[Item]] = {}
    for day, item in pairs:
        grouped.setdefault(day, []).append(item)
    return grouped
