"""Neutrophil and platelet engraftment, and graft failure, from a series of blood counts.

Pure Python (no Django). Sources: CIBMTR Forms Instruction Manual, form 2100 (initial ANC and
platelet recovery), and the ASTCT 2024 consensus on graft failure, as CLINICAL.md section 3
sums them up:

- Neutrophils: the first of three consecutive laboratory values of ANC >= 0.5 x 10^9/L,
  obtained on different days, counted only after the nadir: the lowest post-transplant value
  (its first occurrence). CIBMTR: do not begin counting values >= 0.5 "until the ANC has
  dropped to the lowest level (nadir)". Residual counts that bounce above 0.5 in the first
  days, before the real aplasia, never count.
- An automated ANC of exactly 0.5 must be recalculated from the manual differential before it
  can count (CIBMTR): until then the result needs review.
- Platelets: the same at >= 20 (and >= 50) x 10^9/L, with no platelet transfusion in the
  7 days before each value (CIBMTR's worked example: a transfusion on Day 0 rules out Day +6,
  not Day +7; transfusions before Day 0 count too), after the platelet nadir.
- "Not applicable" (the count never fell below the threshold; platelets: and none were ever
  transfused) only on evidence: counts from the first days after Day 0 through Day +28 with no
  long gap (COVERAGE, our judgement, as CLINICAL.md says). Before that: "not yet"; with gaps or
  a late first count: "not enough counts to say". Missing data is never "not applicable".
- Primary graft failure: no neutrophil engraftment by Day +30 (marrow, blood stem cells) or
  Day +42 (cord blood), by the course's graft source; a centre may set its own day.
  Engraftment after it is "late engraftment". No counts after it is a data warning.
- Secondary graft failure: after engraftment, three consecutive values below the threshold
  again. Flagged for review; the engraftment date never changes silently.

Two judgements of this module, each a constant below:

- When is engraftment "established"? A run of three values after the nadir known so far
  establishes it unless a value lower than that nadir follows within CONFIRM_DAYS of the run's
  last value: then the real aplasia was still to come (CLINICAL.md's first-days bounce), the
  nadir moves there, and counting starts again. After an established engraftment a later fall,
  even lower, never moves the nadir or the date.
- Counts are in x 10^9/L. Values need not be daily. Two values on one day count as one day;
  the lower is taken, so a repeat draw can never make engraftment earlier.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

ANC_THRESHOLD = Decimal("0.5")
PLATELET_THRESHOLDS = (20, 50)
CONSECUTIVE_VALUES = 3
TRANSFUSION_FREE_DAYS = 7
CONFIRM_DAYS = 7


@dataclass(frozen=True)
class Coverage:
    """What proves "not applicable": counts from `first_by_day` to `through_day`, no gap
    longer than `longest_gap` days between two values (CLINICAL.md; configurable)."""

    first_by_day: int = 3
    through_day: int = 28
    longest_gap: int = 7


COVERAGE = Coverage()

GRAFT_FAILURE_DAYS = {"bone_marrow": 30, "pbsc": 30, "cord_blood": 42}

Number = Decimal | float | int
Series = Iterable[tuple[date, Number]]
AncSeries = Iterable[tuple[date, Number] | tuple[date, Number, bool]]


class Outcome(StrEnum):
    ENGRAFTED = "engrafted"
    NOT_YET = "not_yet"
    NOT_APPLICABLE = "not_applicable"
    NOT_ENOUGH_COUNTS = "not_enough_counts"
    NEEDS_REVIEW = "needs_review"

    @property
    def label(self) -> str:
        return {
            Outcome.ENGRAFTED: "Engrafted",
            Outcome.NOT_YET: "Not yet",
            Outcome.NOT_APPLICABLE: "Not applicable",
            Outcome.NOT_ENOUGH_COUNTS: "Not enough counts to say",
            Outcome.NEEDS_REVIEW: "Needs review",
        }[self]


@dataclass(frozen=True)
class Result:
    """An engraftment date (or None) and the reason, in words a clinician can check.

    `review` is set when something needs a clinician's look while the outcome stands (a
    possible secondary graft failure after engraftment).
    """

    outcome: Outcome
    date: date | None
    reason: str
    review: str = ""

    @property
    def engrafted(self) -> bool:
        return self.outcome == Outcome.ENGRAFTED


@dataclass(frozen=True)
class _Value:
    day: date
    value: Decimal
    manual: bool = False


def _short(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _days(days: Sequence[date]) -> str:
    """'14, 15, 16 Mar 2026' when the days share a month, else each in full."""
    if len(days) > 1 and len({(d.year, d.month) for d in days}) == 1:
        return ", ".join(str(d.day) for d in days[:-1]) + f", {_short(days[-1])}"
    return ", ".join(_short(d) for d in days)


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def day_label(day: date, day_zero: date) -> str:
    """'Day +12', 'Day 0', 'Day −3' (a typographic minus, as everywhere in the app)."""
    number = (day - day_zero).days
    if number == 0:
        return "Day 0"
    return f"Day {'+' if number > 0 else '−'}{abs(number)}"


def daily_values(series: Series) -> list[tuple[date, Decimal]]:
    """One value per day (the lowest of that day's values), in date order."""
    return [(value.day, value.value) for value in _daily(series)]


def _daily(series: AncSeries) -> list[_Value]:
    """One value per day, the lowest; manual when a value at that lowest level is manual."""
    lowest: dict[date, _Value] = {}
    for entry in series:
        day, raw = entry[0], entry[1]
        manual = len(entry) > 2 and bool(entry[2])
        value = Decimal(str(raw))
        known = lowest.get(day)
        if known is None or value < known.value:
            lowest[day] = _Value(day, value, manual)
        elif value == known.value and manual:
            lowest[day] = _Value(day, value, True)
    return [lowest[day] for day in sorted(lowest)]


@dataclass(frozen=True)
class _Found:
    """The established run (or None), the nadir it followed, whether the count ever fell
    below the threshold, and the run still open at the end of the values."""

    run: tuple[_Value, ...] | None
    nadir: _Value | None
    fell: bool
    open_run: tuple[_Value, ...]
    end: int  # index of the run's last value in the values, or -1


def _find(
    values: list[_Value],
    threshold: Decimal,
    *,
    supported: dict[date, date],
    may_start: Callable[[_Value, _Value], bool],
) -> _Found:
    """The first established run of three values >= threshold after the nadir.

    `supported` maps a day to the platelet transfusion that props its count up (those days
    break a run); `may_start(nadir, value)` says whether counting may start at this value.
    """
    nadir: _Value | None = None
    run: list[_Value] = []
    fell = False
    for index, value in enumerate(values):
        if value.value < threshold:
            fell = True
        if nadir is None or value.value < nadir.value:
            nadir, run = value, []  # the nadir itself never counts
            continue
        if value.value < threshold or value.day in supported or not may_start(nadir, value):
            run = []
            continue
        run.append(value)
        if len(run) < CONSECUTIVE_VALUES:
            continue
        last = run[-1].day
        lower_soon = any(
            (later.day - last).days <= CONFIRM_DAYS and later.value < nadir.value
            for later in values[index + 1 :]
        )
        if not lower_soon:
            return _Found(tuple(run), nadir, fell, (), index)
    return _Found(None, nadir, fell, tuple(run), -1)


def _coverage(
    values: list[_Value], *, day_zero: date, today: date | None, what: str, coverage: Coverage
) -> tuple[Outcome, str]:
    """Whether counts that never fell prove "not applicable", else why not (CLINICAL.md)."""
    first = values[0].day
    first_number = (first - day_zero).days
    if first_number > coverage.first_by_day:
        return (
            Outcome.NOT_ENOUGH_COUNTS,
            f"Not enough counts to say: the first {what} after Day 0 is on "
            f"{day_label(first, day_zero)}; counts from the first days (by "
            f"Day +{coverage.first_by_day}) are needed to say it never fell.",
        )
    end = day_zero + timedelta(days=coverage.through_day)
    for before, after in zip(values, values[1:], strict=False):
        if before.day >= end:
            break
        gap = (after.day - before.day).days
        if gap > coverage.longest_gap:
            return (
                Outcome.NOT_ENOUGH_COUNTS,
                f"Not enough counts to say: a gap of {gap} days between "
                f"{day_label(before.day, day_zero)} and {day_label(after.day, day_zero)} "
                f"(at most {coverage.longest_gap} days are allowed).",
            )
    last = values[-1].day
    if last >= end:
        return Outcome.NOT_APPLICABLE, ""
    if today is not None and (today - last).days > coverage.longest_gap:
        return (
            Outcome.NOT_ENOUGH_COUNTS,
            f"Not enough counts to say: no {what} since {day_label(last, day_zero)}; counts "
            f"through Day +{coverage.through_day} are needed.",
        )
    return Outcome.NOT_YET, ""


def _waiting(
    found: _Found, values: list[_Value], what: str, threshold: Decimal, *, last_name: str
) -> str:
    """Why it is not yet: the open run, or the last value."""
    if found.open_run:
        more = CONSECUTIVE_VALUES - len(found.open_run)
        return (
            f"{what} ≥ {_number(threshold)} on {_days([value.day for value in found.open_run])}; "
            f"{more} more value{'s' if more != 1 else ''} on later days needed."
        )
    last = values[-1]
    return f"Not yet: the last {last_name} was {_number(last.value)} on {_short(last.day)}."


def _secondary_failure(values: list[_Value], after: int, threshold: Decimal, what: str) -> str:
    """A review note when three consecutive values fall below the threshold again."""
    low: list[date] = []
    for value in values[after + 1 :]:
        low = [*low, value.day] if value.value < threshold else []
        if len(low) == CONSECUTIVE_VALUES:
            return (
                f"Possible secondary graft failure: {what} below {_number(threshold)} again on "
                f"{_days(low)}. Review; the engraftment date stands."
            )
    return ""


def neutrophil_engraftment(
    anc: AncSeries, *, day_zero: date, today: date | None = None, coverage: Coverage = COVERAGE
) -> Result:
    """Neutrophil engraftment: first of three days with ANC >= 0.5 after the nadir.

    `anc` holds (date, value) or (date, value, manual) tuples, manual when the value came from
    a manual differential. With `today`, missing counts can be told from counts not yet due.
    """
    values = [value for value in _daily(anc) if value.day >= day_zero]
    if not values:
        return Result(Outcome.NOT_YET, None, "No ANC values from Day 0 on yet.")
    found = _find(
        values,
        ANC_THRESHOLD,
        supported={},
        may_start=lambda nadir, value: nadir.value < ANC_THRESHOLD,
    )
    if found.run is None:
        if not found.fell:
            outcome, reason = _coverage(
                values, day_zero=day_zero, today=today, what="ANC", coverage=coverage
            )
            if outcome == Outcome.NOT_APPLICABLE:
                reason = (
                    f"Not applicable: the ANC never fell below {ANC_THRESHOLD} after transplant."
                )
            elif outcome == Outcome.NOT_YET:
                reason = f"Not yet: the ANC has not fallen below {ANC_THRESHOLD} since Day 0."
            return Result(outcome, None, reason)
        return Result(
            Outcome.NOT_YET, None, _waiting(found, values, "ANC", ANC_THRESHOLD, last_name="ANC")
        )
    assert found.nadir is not None
    days = [value.day for value in found.run]
    automated = [value for value in found.run if value.value == ANC_THRESHOLD and not value.manual]
    if automated:
        return Result(
            Outcome.NEEDS_REVIEW,
            days[0],
            f"Needs review: the automated ANC of exactly {ANC_THRESHOLD} on "
            f"{_days([value.day for value in automated])} must be recalculated from the "
            "manual differential before it can count (mark the count as manual).",
        )
    return Result(
        Outcome.ENGRAFTED,
        days[0],
        f"ANC ≥ {ANC_THRESHOLD} on {_days(days)} after the nadir of "
        f"{_number(found.nadir.value)} on {_short(found.nadir.day)}.",
        review=_secondary_failure(values, found.end, ANC_THRESHOLD, "ANC"),
    )


def platelet_engraftment(
    platelets: Series,
    *,
    transfusions: Iterable[date],
    threshold: int = 20,
    day_zero: date | None = None,
    today: date | None = None,
    coverage: Coverage = COVERAGE,
) -> Result:
    """Platelet engraftment at `threshold`: three days after the nadir, none of them within
    7 days of a platelet transfusion (transfusions before Day 0 included)."""
    limit = Decimal(threshold)
    values = [v for v in _daily(platelets) if day_zero is None or v.day >= day_zero]
    transfused = sorted(set(transfusions))
    if not values:
        return Result(Outcome.NOT_YET, None, "No platelet counts yet.")
    window = timedelta(TRANSFUSION_FREE_DAYS)
    supported = {}
    for value in values:
        recent = [t for t in transfused if timedelta(0) <= value.day - t < window]
        if recent:
            supported[value.day] = recent[-1]

    def may_start(nadir: _Value, value: _Value) -> bool:
        return nadir.value < limit or any(t <= value.day for t in transfused)

    found = _find(values, limit, supported=supported, may_start=may_start)
    if found.run is None:
        if not found.fell and not transfused and day_zero is not None:
            outcome, reason = _coverage(
                values, day_zero=day_zero, today=today, what="platelet count", coverage=coverage
            )
            if outcome == Outcome.NOT_APPLICABLE:
                reason = (
                    f"Not applicable: platelets never fell below {threshold} and none were "
                    "transfused."
                )
            elif outcome == Outcome.NOT_YET:
                reason = f"Not yet: platelets have not fallen below {threshold} since transplant."
            return Result(outcome, None, reason)
        last = values[-1]
        if last.day in supported and last.value >= limit and not found.open_run:
            reason = (
                f"Not yet: the count of {_short(last.day)} followed a platelet transfusion on "
                f"{_short(supported[last.day])}, less than {TRANSFUSION_FREE_DAYS} days before."
            )
        elif not found.fell and not any(t <= last.day for t in transfused):
            reason = f"Not yet: platelets have not fallen below {threshold} since transplant."
        else:
            reason = _waiting(found, values, "Platelets", limit, last_name="platelet count")
        return Result(Outcome.NOT_YET, None, reason)
    days = [value.day for value in found.run]
    return Result(
        Outcome.ENGRAFTED,
        days[0],
        f"Platelets ≥ {threshold} on {_days(days)}, with no platelet transfusion in the "
        f"{TRANSFUSION_FREE_DAYS} days before each.",
    )


def graft_failure_day(graft_source: str, override: int | None = None) -> int:
    """The day by which neutrophils must engraft: the centre's override, else by graft source
    (marrow and blood stem cells Day +30, cord blood Day +42; ASTCT 2024)."""
    if override is not None:
        return override
    return GRAFT_FAILURE_DAYS.get(graft_source, GRAFT_FAILURE_DAYS["pbsc"])


class Alert(StrEnum):
    NONE = "none"
    GRAFT_FAILURE = "graft_failure"
    LATE_ENGRAFTMENT = "late_engraftment"
    NO_COUNTS = "no_counts"


@dataclass(frozen=True)
class GraftFailure:
    """The alert, a headline for lists ("No ANC since Day +20"), and the reason in full."""

    alert: Alert
    reason: str = ""
    headline: str = ""


def graft_failure(
    neutrophils: Result,
    *,
    day_zero: date,
    today: date,
    failure_day: int,
    last_anc_on: date | None,
) -> GraftFailure:
    """Primary graft failure: no neutrophil engraftment by `failure_day`.

    Engraftment after it is "late engraftment" (the alert ends); no ANC entered after it is a
    data warning, not a graft failure.
    """
    if neutrophils.outcome in (Outcome.NOT_APPLICABLE, Outcome.NOT_ENOUGH_COUNTS):
        return GraftFailure(Alert.NONE)
    deadline = day_zero + timedelta(days=failure_day)
    engrafted_on = neutrophils.date
    if engrafted_on is not None and engrafted_on <= deadline:
        return GraftFailure(Alert.NONE)
    if engrafted_on is not None:
        return GraftFailure(
            Alert.LATE_ENGRAFTMENT,
            f"Late engraftment: neutrophils engrafted on {day_label(engrafted_on, day_zero)}, "
            f"after Day +{failure_day}.",
            headline="Late engraftment",
        )
    if today <= deadline:
        return GraftFailure(Alert.NONE)
    if last_anc_on is None or last_anc_on <= deadline:
        since = f"since {day_label(last_anc_on, day_zero)}" if last_anc_on else "entered at all"
        return GraftFailure(
            Alert.NO_COUNTS,
            f"No ANC {since}: enter the counts after Day +{failure_day} to see whether the "
            "graft has engrafted.",
            headline=f"No ANC {since}",
        )
    return GraftFailure(
        Alert.GRAFT_FAILURE,
        f"Graft failure alert: no neutrophil engraftment by Day +{failure_day}.",
        headline="Graft failure alert",
    )
