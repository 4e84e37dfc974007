"""Neutrophil and platelet engraftment from a series of blood counts.

Pure Python (no Django). Source: CIBMTR Forms Instruction Manual, form 2100 (initial ANC and
platelet recovery) and the ASTCT 2024 consensus, as summarised in CLINICAL.md section 3:

- Neutrophils: the first of three consecutive laboratory values of ANC >= 0.5 x 10^9/L,
  obtained on different days, after the post-transplant nadir.
- Platelets: the first of three consecutive values >= 20 (or 50) x 10^9/L, obtained on
  different days, with no platelet transfusion in the 7 days before each. CIBMTR's worked
  example (last transfusion on Day 0; Day 6 does not count, Day 7 does) fixes the edge: a
  transfusion 6 days before a value rules it out, one 7 days before does not.
- "Not applicable" when the count never fell below the threshold after transplant (and, for
  platelets, no platelets were ever transfused). That can only be said once the counts reach
  Day +14 (SETTLED_BY_DAY): the nadir usually comes around Day +5 to +10, so a count that has
  not fallen yet is "not yet", not "never". Day +14 is this module's judgement, not CIBMTR's.

Counts are in x 10^9/L. Values need not be daily. Two values on one day count as one day;
this module takes the lower of them, so a repeat draw can never make engraftment earlier.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

ANC_THRESHOLD = Decimal("0.5")
PLATELET_THRESHOLDS = (20, 50)
CONSECUTIVE_VALUES = 3
TRANSFUSION_FREE_DAYS = 7
SETTLED_BY_DAY = 14

Series = Iterable[tuple[date, Decimal | float | int]]


class Outcome(StrEnum):
    ENGRAFTED = "engrafted"
    NOT_YET = "not_yet"
    NOT_APPLICABLE = "not_applicable"


@dataclass(frozen=True)
class Result:
    """An engraftment date (or None) and the reason, in words a clinician can check."""

    outcome: Outcome
    date: date | None
    reason: str

    @property
    def engrafted(self) -> bool:
        return self.outcome == Outcome.ENGRAFTED


def _short(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _days(days: list[date]) -> str:
    """'14, 15, 16 Mar 2026' when the days share a month, else each in full."""
    if len(days) > 1 and len({(d.year, d.month) for d in days}) == 1:
        return ", ".join(str(d.day) for d in days[:-1]) + f", {_short(days[-1])}"
    return ", ".join(_short(d) for d in days)


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def daily_values(series: Series) -> list[tuple[date, Decimal]]:
    """One value per day (the lowest of that day's values), in date order."""
    lowest: dict[date, Decimal] = {}
    for day, value in series:
        value = Decimal(str(value))
        if day not in lowest or value < lowest[day]:
            lowest[day] = value
    return sorted(lowest.items())


def neutrophil_engraftment(anc: Series, *, day_zero: date) -> Result:
    """Neutrophil engraftment: first of three consecutive days with ANC >= 0.5 after the nadir."""
    values = [(day, value) for day, value in daily_values(anc) if day >= day_zero]
    if not values:
        return Result(Outcome.NOT_YET, None, "No ANC values from Day 0 on yet.")
    fell = [index for index, (_, value) in enumerate(values) if value < ANC_THRESHOLD]
    if not fell:
        if (values[-1][0] - day_zero).days >= SETTLED_BY_DAY:
            return Result(
                Outcome.NOT_APPLICABLE,
                None,
                f"Not applicable: the ANC never fell below {ANC_THRESHOLD} after transplant.",
            )
        return Result(
            Outcome.NOT_YET,
            None,
            f"Not yet: the ANC has not fallen below {ANC_THRESHOLD} since Day 0.",
        )
    run: list[date] = []
    for index in range(fell[0], len(values)):
        day, value = values[index]
        if value < ANC_THRESHOLD:
            run = []
            continue
        run.append(day)
        if len(run) == CONSECUTIVE_VALUES:
            before = values[: index - CONSECUTIVE_VALUES + 1]
            nadir_day, nadir = min(before, key=lambda item: (item[1], item[0]))
            return Result(
                Outcome.ENGRAFTED,
                run[0],
                f"ANC ≥ {ANC_THRESHOLD} on {_days(run)} after the nadir of "
                f"{_number(nadir)} on {_short(nadir_day)}.",
            )
    if run:
        reason = (
            f"ANC ≥ {ANC_THRESHOLD} on {_days(run)}; "
            f"{CONSECUTIVE_VALUES - len(run)} more value(s) on later days needed."
        )
    else:
        last_day, last = values[-1]
        reason = f"Not yet: the last ANC was {_number(last)} on {_short(last_day)}."
    return Result(Outcome.NOT_YET, None, reason)


def platelet_engraftment(
    platelets: Series,
    *,
    transfusions: Iterable[date],
    threshold: int = 20,
    day_zero: date | None = None,
) -> Result:
    """Platelet engraftment at `threshold`: three consecutive days, none transfusion-supported.

    Counting starts once the count has fallen below the threshold or platelets were first
    transfused (values before that are not a recovery); with `day_zero`, earlier values and
    transfusions are ignored.
    """
    values = [(d, v) for d, v in daily_values(platelets) if day_zero is None or d >= day_zero]
    # A transfusion in the 6 days before Day 0 still rules out the first counts after it.
    earliest = day_zero - timedelta(TRANSFUSION_FREE_DAYS - 1) if day_zero else None
    transfused = sorted({t for t in transfusions if earliest is None or t >= earliest})
    if not values:
        return Result(Outcome.NOT_YET, None, "No platelet counts yet.")
    settled = day_zero is None or (values[-1][0] - day_zero).days >= SETTLED_BY_DAY
    if not transfused and all(value >= threshold for _, value in values) and settled:
        return Result(
            Outcome.NOT_APPLICABLE,
            None,
            f"Not applicable: platelets never fell below {threshold} and none were transfused.",
        )

    def supported(day: date) -> date | None:
        """The latest transfusion in the 7 days up to and including `day`, if any."""
        window = timedelta(TRANSFUSION_FREE_DAYS)
        recent = [t for t in transfused if timedelta(0) <= day - t < window]
        return recent[-1] if recent else None

    run: list[date] = []
    last_blocker: tuple[date, date] | None = None
    counting = False
    for day, value in values:
        counting = counting or value < threshold or any(t <= day for t in transfused)
        if not counting:
            continue
        transfusion = supported(day)
        if value < threshold or transfusion is not None:
            run = []
            last_blocker = (day, transfusion) if value >= threshold and transfusion else None
            continue
        run.append(day)
        if len(run) == CONSECUTIVE_VALUES:
            return Result(
                Outcome.ENGRAFTED,
                run[0],
                f"Platelets ≥ {threshold} on {_days(run)}, with no platelet transfusion "
                f"in the {TRANSFUSION_FREE_DAYS} days before each.",
            )
    if run:
        reason = (
            f"Platelets ≥ {threshold} on {_days(run)}; "
            f"{CONSECUTIVE_VALUES - len(run)} more value(s) on later days needed."
        )
    elif last_blocker is not None:
        day, transfusion = last_blocker
        reason = (
            f"Not yet: the count of {_short(day)} followed a platelet transfusion on "
            f"{_short(transfusion)}, less than {TRANSFUSION_FREE_DAYS} days before."
        )
    elif counting:
        last_day, last = values[-1]
        reason = f"Not yet: the last platelet count was {_number(last)} on {_short(last_day)}."
    else:
        reason = f"Not yet: platelets have not fallen below {threshold} since transplant."
    return Result(Outcome.NOT_YET, None, reason)


def graft_failure_alert(
    neutrophils: Result, *, day_zero: date, today: date, failure_day: int | None
) -> bool:
    """No neutrophil engraftment by the protocol's graft-failure day (e.g. Day +30, cord +42)."""
    if failure_day is None or neutrophils.outcome == Outcome.NOT_APPLICABLE:
        return False
    deadline = day_zero + timedelta(days=failure_day)
    if neutrophils.date is not None and neutrophils.date <= deadline:
        return False
    return today > deadline
