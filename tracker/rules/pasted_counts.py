"""Reading blood counts pasted from a spreadsheet: one line per draw, every line checked.

Pure Python (no Django). A line is `date, ANC, platelets[, transfused]`, separated by tabs
(as a spreadsheet copies), commas or semicolons. With tabs or semicolons a decimal comma is
accepted ("0,5"). Dates are 2026-03-14, 14/03/2026 or 14.03.2026 (day first, as written in
the UK and Europe). The transfusion column marks a platelet transfusion that day: y, yes, x,
1, true, plt or t; empty, n, no, 0 or false for none. A first line that is a header is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

ANC_MAX = Decimal("100")
PLATELETS_MAX = Decimal("2000")
# The decimals each count is kept with: a value typed with more is refused, never rounded
# (an ANC of 0.495 is not 0.5).
ANC_DECIMALS = 2
PLATELETS_DECIMALS = 1
YES = {"y", "yes", "x", "1", "true", "plt", "t"}
NO = {"", "n", "no", "0", "false", "-"}
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y")


@dataclass(frozen=True)
class CountLine:
    line: int
    drawn_on: date
    anc: Decimal | None
    platelets: Decimal | None
    platelet_transfusion: bool

    def values(self) -> dict[str, Any]:
        return {
            "drawn_on": self.drawn_on,
            "anc": self.anc,
            "platelets": self.platelets,
            "platelet_transfusion": self.platelet_transfusion,
        }


@dataclass(frozen=True)
class LineError:
    line: int
    message: str

    def __str__(self) -> str:
        return f"Line {self.line}: {self.message[0].upper()}{self.message[1:]}"


def parse_date(text: str) -> date | None:
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _is_header(cells: list[str]) -> bool:
    """A header row names its columns: no cell is a date or a number, and some are words."""
    if parse_date(cells[0]) is not None or not re.search("[a-zA-Z]", cells[0]):
        return False
    return not any(re.fullmatch(r"[-+]?\d+([.,]\d*)?", cell) for cell in cells[1:])


THOUSANDS = re.compile(r"[1-9]\d{0,2}(,\d{3})+")


def thousands_problem(name: str, typed: str) -> str | None:
    """'12,000' could be twelve thousand or twelve: refuse it rather than guess."""
    if THOUSANDS.fullmatch(typed):
        plain = typed.replace(",", "")
        return (
            f"{name} “{typed}” is ambiguous: write {plain} without a thousands separator "
            "(a comma is read as a decimal point)."
        )
    return None


def parse_value(
    text: str, *, name: str, maximum: Decimal, decimal_comma: bool, decimals: int
) -> Decimal | None:
    """A count in x 10^9/L, or None when empty; ValueError with a message when it is wrong."""
    typed = text.strip()
    if not typed:
        return None
    problem = thousands_problem(name, typed) if decimal_comma else None
    if problem:
        raise ValueError(problem)
    try:
        value = Decimal(typed.replace(",", ".") if decimal_comma else typed)
    except InvalidOperation:
        raise ValueError(f"{name} “{typed}” is not a number.") from None
    if not value.is_finite():
        raise ValueError(f"{name} “{typed}” is not a number.")
    if value < 0:
        raise ValueError(f"{name} cannot be negative.")
    if value > maximum:
        hint = " (an ANC of 1500/mm³ is 1.5 × 10⁹/L)" if name == "ANC" else ""
        raise ValueError(f"{name} {value} is above {maximum}: check the unit, × 10⁹/L{hint}.")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > decimals:
        raise ValueError(
            f"{name} {typed} has more decimals than are kept ({decimals}): check the value; "
            "it is not rounded."
        )
    return value


def check_date(drawn_on: date, *, earliest: date, today: date) -> str | None:
    """Why a draw date is not acceptable, or None."""
    if drawn_on > today:
        return "the date is in the future."
    if drawn_on < earliest:
        return f"the date is before the course started ({earliest:%-d %b %Y})."
    return None


def parse_lines(
    text: str, *, earliest: date, today: date
) -> tuple[list[CountLine], list[LineError]]:
    """Every non-empty line read and checked; the lines only count if there are no errors."""
    counts: list[CountLine] = []
    errors: list[LineError] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        separator = "\t" if "\t" in raw else ";" if ";" in raw else ","
        cells = [cell.strip() for cell in raw.split(separator)]
        if number == 1 and _is_header(cells):
            continue
        line_errors = []
        if len(cells) < 3 or len(cells) > 4:
            errors.append(
                LineError(number, "expected date, ANC, platelets and an optional transfusion mark.")
            )
            continue
        drawn_on = parse_date(cells[0])
        if drawn_on is None:
            line_errors.append(f"“{cells[0]}” is not a date (use 2026-03-14 or 14/03/2026).")
        else:
            problem = check_date(drawn_on, earliest=earliest, today=today)
            if problem:
                line_errors.append(problem)
        values = {}
        for name, cell, maximum, decimals in (
            ("ANC", cells[1], ANC_MAX, ANC_DECIMALS),
            ("Platelets", cells[2], PLATELETS_MAX, PLATELETS_DECIMALS),
        ):
            try:
                values[name] = parse_value(
                    cell,
                    name=name,
                    maximum=maximum,
                    decimal_comma=separator != ",",
                    decimals=decimals,
                )
            except ValueError as error:
                line_errors.append(str(error))
        mark = cells[3].lower() if len(cells) == 4 else ""
        if mark not in YES | NO:
            line_errors.append(f"transfusion mark “{cells[3]}” is not yes or no.")
        transfused = mark in YES
        nothing = values.get("ANC") is None and values.get("Platelets") is None and not transfused
        if nothing and not line_errors:
            line_errors.append("there is no ANC, no platelet count and no transfusion.")
        if line_errors:
            errors.extend(LineError(number, message) for message in line_errors)
            continue
        assert drawn_on is not None  # no date is a line error, so the line stopped above
        counts.append(CountLine(number, drawn_on, values["ANC"], values["Platelets"], transfused))
    return counts, errors


Key = tuple[Hashable, ...]


def repeated_lines(
    keyed: Sequence[tuple[int, date, Key]], saved: Iterable[Key], *, what: str
) -> list[str]:
    """Which lines repeat another line or a row already saved, in words.

    `keyed` holds (line number, date, key) for each pasted line; `saved` the keys of what is
    saved already; `what` names a saved row ("the count", "a result").
    """
    found = []
    seen: dict[Key, int] = {}
    kept = set(saved)
    for number, drawn_on, key in keyed:
        if key in seen:
            found.append(f"Line {number} repeats line {seen[key]}.")
        elif key in kept:
            found.append(
                f"Line {number} is the same as {what} already saved for "
                f"{drawn_on.day} {drawn_on:%b %Y}."
            )
        seen.setdefault(key, number)
    return found


def repeats(lines: list[CountLine], saved: Iterable[Key]) -> list[str]:
    """Pasted counts that repeat another line or a saved count (same date and values)."""
    keyed = [
        (
            line.line,
            line.drawn_on,
            (line.drawn_on, line.anc, line.platelets, line.platelet_transfusion),
        )
        for line in lines
    ]
    return repeated_lines(keyed, saved, what="the count")
