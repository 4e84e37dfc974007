"""Laboratory results beyond blood counts: donor chimerism, CMV PCR, CD4 and IgG.

Pure Python (no Django). Units, the precision each result is kept at, plausible ranges, and
what chimerism means in words. Sources: CLINICAL.md section 3 (chimerism: full donor is
> 95 % donor cells in both myeloid and lymphoid lines, mixed is 5-95 %, tested at about
Day +30 and Day +100) and section 5 (CD4 cells/µL; IgG replaced below 4 g/L = 400 mg/dL).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from tracker.rules.pasted_counts import (
    Key,
    LineError,
    check_date,
    parse_date,
    repeated_lines,
    thousands_problem,
)

FULL_DONOR_ABOVE = Decimal("95")
MIXED_FROM = Decimal("5")
# Our judgement: a fall of this many percentage points between two results of the same line
# is "falling" (CLINICAL.md names the word, not the size).
FALLING_BY = Decimal("5")
MG_DL_PER_G_L = Decimal("100")  # IgG: 1 g/L = 100 mg/dL


class Analyte(StrEnum):
    CHIMERISM_MYELOID = "chimerism_myeloid"
    CHIMERISM_LYMPHOID = "chimerism_lymphoid"
    CMV_PCR = "cmv_pcr"
    CD4 = "cd4"
    IGG = "igg"


CHIMERISM = frozenset({Analyte.CHIMERISM_MYELOID, Analyte.CHIMERISM_LYMPHOID})


@dataclass(frozen=True)
class Spec:
    """How a result is named, kept and checked: its unit, decimals, and plausible range."""

    name: str
    unit: str
    decimals: int
    maximum: Decimal
    other_units: tuple[tuple[str, Decimal], ...] = ()  # (unit, divide by it to get `unit`)
    may_be_undetected: bool = False


SPECS: dict[Analyte, Spec] = {
    Analyte.CHIMERISM_MYELOID: Spec("Donor chimerism, myeloid", "% donor", 1, Decimal(100)),
    Analyte.CHIMERISM_LYMPHOID: Spec("Donor chimerism, lymphoid", "% donor", 1, Decimal(100)),
    Analyte.CMV_PCR: Spec("CMV PCR", "IU/mL", 0, Decimal(1_000_000_000), may_be_undetected=True),
    Analyte.CD4: Spec("CD4 count", "cells/µL", 0, Decimal(10_000)),
    Analyte.IGG: Spec("IgG", "g/L", 2, Decimal(100), other_units=(("mg/dL", MG_DL_PER_G_L),)),
}

UNDETECTED = {"not detected", "nd", "undetected", "negative", "neg", "<lod", "tnd"}


@dataclass(frozen=True)
class Reading:
    """A result as read: the value in the analyte's unit, or None when not detected."""

    value: Decimal | None
    undetected: bool = False


def decimals_of(value: Decimal) -> int:
    """How many decimals a value really has: 0.50 has 1, 820 has 0."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def units_of(analyte: Analyte) -> list[str]:
    spec = SPECS[analyte]
    return [spec.unit, *(unit for unit, _ in spec.other_units)]


def read_value(analyte: Analyte, text: str, *, unit: str = "") -> Reading:
    """A typed value in `unit` (the analyte's own when empty), checked and converted.

    ValueError with a message for people when it is not a number, negative, above the
    plausible range, or typed with more decimals than the result is kept with (never rounded).
    """
    spec = SPECS[analyte]
    typed = text.strip()
    if spec.may_be_undetected and typed.lower() in UNDETECTED:
        return Reading(None, undetected=True)
    divisor = Decimal(1)
    if unit and unit != spec.unit:
        divisors = dict(spec.other_units)
        if unit not in divisors:
            raise ValueError(f"{spec.name} is entered in {' or '.join(units_of(analyte))}.")
        divisor = divisors[unit]
    problem = thousands_problem(spec.name, typed)
    if problem:
        raise ValueError(problem)
    try:
        value = Decimal(typed.replace(",", "."))
    except InvalidOperation:
        hint = " (or “not detected”)" if spec.may_be_undetected else ""
        raise ValueError(f"{spec.name} “{typed}” is not a number{hint}.") from None
    if not value.is_finite():
        raise ValueError(f"{spec.name} “{typed}” is not a number.")
    if value < 0:
        raise ValueError(f"{spec.name} cannot be negative.")
    converted = value / divisor
    if decimals_of(converted) > spec.decimals:
        kept = f"{spec.decimals} decimal{'s' if spec.decimals != 1 else ''}"
        if spec.decimals == 0:
            kept = "whole numbers"
        converted_note = f" once converted to {spec.unit}" if divisor != 1 else ""
        raise ValueError(
            f"{spec.name} {typed} has more decimals than are kept{converted_note} ({kept} in "
            f"{spec.unit}); check the value."
        )
    if converted > spec.maximum:
        raise ValueError(
            f"{spec.name} {typed} {unit or spec.unit} is more than the highest possible value "
            f"({spec.maximum} {spec.unit}): check the value and the unit."
        )
    return Reading(converted.quantize(Decimal(1).scaleb(-spec.decimals)))


class Chimerism(StrEnum):
    FULL_DONOR = "full_donor"
    MIXED = "mixed"
    RECIPIENT = "recipient"


def chimerism_of(percent_donor: Decimal) -> Chimerism:
    """Full donor above 95 %, mixed from 5 to 95 %, recipient below 5 % (ASTCT 2024)."""
    if percent_donor > FULL_DONOR_ABOVE:
        return Chimerism.FULL_DONOR
    if percent_donor >= MIXED_FROM:
        return Chimerism.MIXED
    return Chimerism.RECIPIENT


CHIMERISM_WORDS = {
    Chimerism.FULL_DONOR: "full donor",
    Chimerism.MIXED: "mixed",
    Chimerism.RECIPIENT: "mostly the patient's own cells",
}


def chimerism_words(results: Sequence[tuple[date, Decimal]]) -> str:
    """One line's latest result in words: 'full donor', 'mixed, falling from 92 %'."""
    ordered = sorted(results)
    if not ordered:
        return ""
    latest = ordered[-1][1]
    words = CHIMERISM_WORDS[chimerism_of(latest)]
    if len(ordered) > 1:
        previous = ordered[-2][1]
        if previous - latest >= FALLING_BY:
            words += f", falling from {_percent(previous)}"
    return words


def _percent(value: Decimal) -> str:
    return f"{format(value.normalize(), 'f')} %"


def full_donor_in_both(myeloid: Iterable[Decimal], lymphoid: Iterable[Decimal]) -> bool | None:
    """Full donor chimerism needs > 95 % in both lines; None until both are known."""
    myeloid, lymphoid = list(myeloid), list(lymphoid)
    if not myeloid or not lymphoid:
        return None
    return myeloid[-1] > FULL_DONOR_ABOVE and lymphoid[-1] > FULL_DONOR_ABOVE


NAMES = {
    "myeloid": Analyte.CHIMERISM_MYELOID,
    "chimerism myeloid": Analyte.CHIMERISM_MYELOID,
    "myeloid chimerism": Analyte.CHIMERISM_MYELOID,
    "lymphoid": Analyte.CHIMERISM_LYMPHOID,
    "chimerism lymphoid": Analyte.CHIMERISM_LYMPHOID,
    "lymphoid chimerism": Analyte.CHIMERISM_LYMPHOID,
    "t cell": Analyte.CHIMERISM_LYMPHOID,
    "t-cell": Analyte.CHIMERISM_LYMPHOID,
    "cmv": Analyte.CMV_PCR,
    "cmv pcr": Analyte.CMV_PCR,
    "cd4": Analyte.CD4,
    "igg": Analyte.IGG,
}


@dataclass(frozen=True)
class ResultLine:
    line: int
    drawn_on: date
    analyte: Analyte
    reading: Reading

    def values(self) -> dict[str, object]:
        return {
            "drawn_on": self.drawn_on,
            "analyte": self.analyte.value,
            "value": self.reading.value,
            "undetected": self.reading.undetected,
        }


def parse_result_lines(
    text: str, *, earliest: date, today: date
) -> tuple[list[ResultLine], list[LineError]]:
    """Lines of `date, test, value[, unit]` (tabs, commas or semicolons), each checked.

    Tests: myeloid or lymphoid (chimerism, % donor), CMV (IU/mL or "not detected"), CD4
    (cells/µL), IgG (g/L, or mg/dL with the unit). The lines only count if there are no errors.
    """
    results: list[ResultLine] = []
    errors: list[LineError] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        separator = "\t" if "\t" in raw else ";" if ";" in raw else ","
        cells = [cell.strip() for cell in raw.split(separator)]
        if number == 1 and parse_date(cells[0]) is None and cells[0].lower() in {"date", "day"}:
            continue
        if len(cells) not in (3, 4):
            errors.append(LineError(number, "expected date, test, value and an optional unit."))
            continue
        problems = []
        drawn_on = parse_date(cells[0])
        if drawn_on is None:
            problems.append(f"“{cells[0]}” is not a date (use 2026-03-14 or 14/03/2026).")
        else:
            problem = check_date(drawn_on, earliest=earliest, today=today)
            if problem:
                problems.append(problem)
        analyte = NAMES.get(" ".join(cells[1].lower().split()))
        reading = None
        if analyte is None:
            problems.append(
                f"“{cells[1]}” is not a test this page keeps (myeloid, lymphoid, CMV, CD4 or IgG)."
            )
        else:
            value = cells[2].replace(",", ".") if separator != "," else cells[2]
            try:
                reading = read_value(analyte, value, unit=cells[3] if len(cells) == 4 else "")
            except ValueError as error:
                problems.append(str(error))
        if problems:
            errors.extend(LineError(number, message) for message in problems)
            continue
        # No date, test or value is a line error, so the line stopped above.
        assert drawn_on is not None
        assert analyte is not None
        assert reading is not None
        results.append(ResultLine(number, drawn_on, analyte, reading))
    return results, errors


def result_repeats(lines: list[ResultLine], saved: Iterable[Key]) -> list[str]:
    """Pasted results that repeat another line or a saved result (same date, test, value)."""
    keyed = [
        (
            line.line,
            line.drawn_on,
            (line.drawn_on, line.analyte.value, line.reading.value, line.reading.undetected),
        )
        for line in lines
    ]
    return repeated_lines(keyed, saved, what="a result")
