"""Immune recovery: live-vaccine gates, doses that follow the doses given, yearly influenza,
the drugs that end by rule (PJP prophylaxis, letermovir) and irradiated blood components.

Pure Python (no Django). Sources, as CLINICAL.md section 5 sums them up: IDSA 2013 guideline
for vaccination of the immunocompromised host; CDC/ACIP HCT table; CDC General Best Practice
Guidelines table 3-1 (minimum intervals); ECIL 7; ACIP 2022 (recombinant zoster); FDA 2023
(letermovir to Day +200); BSH 2020 (irradiated blood components).

Judgements of this module:

- "At least N months since X" passes on X + N calendar months itself (month ends clamp).
- A period is (start, end or None while it lasts). Chronic GVHD is active from its diagnosis
  until, not on, the day it resolved. An immunosuppression period ends on the day it was
  stopped (the first day off).
- When only time holds a gate shut, the date it opens is known; when a clinical event does
  (active chronic GVHD, immunosuppression still going), it is not: None, never a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from tracker.rules import schedule
from tracker.rules.schedule import add_months

Period = tuple[date, date | None]

GATES = ("months_since_hct", "active_chronic_gvhd", "immunosuppression", "ivig")
VACCINES = (
    "pcv",
    "ppsv23",
    "influenza",
    "tdap",
    "hib",
    "ipv",
    "hepb",
    "menacwy",
    "rzv",
    "mmr",
    "varicella",
)
LIVE_VACCINES = ("mmr", "varicella")
CHILD_UNTIL_AGE = 13  # varicella: 3 months apart aged 1-12, 4 weeks from 13


def shown(day: date) -> str:
    return f"{day:%-d %b %Y}"


# --- Live-vaccine gates ----------------------------------------------------------------------


@dataclass(frozen=True)
class GateConfig:
    """The centre's months for each gate (CLINICAL.md: the "2-1-8" rule)."""

    months_since_hct: int = 24
    off_immunosuppression_months: int = 12
    months_since_ivig: int = 8


@dataclass(frozen=True)
class GateVerdict:
    """Whether live vaccines may be given on a date, which gates block them and why, and
    from when (None when a clinical event must come first)."""

    eligible: bool
    blocked_by: list[str]
    reasons: dict[str, str]
    eligible_from: date | None


@dataclass(frozen=True)
class _Gate:
    passes_from: date | None  # None: waits on a clinical event (while blocked)
    blocked: bool
    reason: str = ""


def _active_on(period: Period, day: date) -> bool:
    start, end = period
    return start <= day and (end is None or day < end)


def live_vaccine_gates(
    *,
    on: date,
    transplant_day_zeros: Sequence[date],
    chronic_gvhd_periods: Sequence[Period],
    immunosuppression_periods: Sequence[Period],
    ivig_dates: Sequence[date],
    config: GateConfig = GateConfig(),  # noqa: B008 - frozen, so one shared default is safe
) -> GateVerdict:
    """The live-vaccine gates (MMR, varicella) on a date: all must pass."""
    if not transplant_day_zeros:
        raise ValueError("The gates need the Day Zero of at least one transplant.")
    gates = {
        "months_since_hct": _hct_gate(on, max(transplant_day_zeros), config.months_since_hct),
        "active_chronic_gvhd": _chronic_gvhd_gate(on, chronic_gvhd_periods),
        "immunosuppression": _immunosuppression_gate(
            on, immunosuppression_periods, config.off_immunosuppression_months
        ),
        "ivig": _ivig_gate(on, ivig_dates, config.months_since_ivig),
    }
    blocked = [name for name in GATES if gates[name].blocked]
    reasons = {name: gates[name].reason for name in blocked}
    known = [gate.passes_from for gate in gates.values() if gate.passes_from is not None]
    if blocked:
        waits = any(gates[name].passes_from is None for name in blocked)
        eligible_from = None if waits else max(known)
        return GateVerdict(False, blocked, reasons, eligible_from)
    return GateVerdict(True, [], {}, max(known))


def _hct_gate(on: date, day_zero: date, months: int) -> _Gate:
    opens = add_months(day_zero, months)
    if on >= opens:
        return _Gate(opens, False)
    return _Gate(
        opens,
        True,
        f"Under {months} months since the transplant of {shown(day_zero)}: "
        f"not before {shown(opens)}.",
    )


def _chronic_gvhd_gate(on: date, periods: Sequence[Period]) -> _Gate:
    active = [period for period in periods if _active_on(period, on)]
    if active:
        return _Gate(
            None,
            True,
            f"Active chronic GVHD (since {shown(active[-1][0])}): not until it has resolved.",
        )
    ended = [end for start, end in periods if end is not None and end <= on]
    return _Gate(max(ended) if ended else None, False)


def _immunosuppression_gate(on: date, periods: Sequence[Period], months: int) -> _Gate:
    started = [(start, stop) for start, stop in periods if start <= on]
    if any(stop is None for _, stop in started):
        return _Gate(
            None,
            True,
            f"On immunosuppression: not until {months} months after it stops.",
        )
    stops = [stop for _, stop in started if stop is not None]
    if not stops:
        return _Gate(None, False)
    last = max(stops)
    opens = add_months(last, months)
    if on >= opens:
        return _Gate(opens, False)
    return _Gate(
        opens,
        True,
        f"Immunosuppression stopped on {shown(last)}: not before {shown(opens)} "
        f"({months} months off it).",
    )


def _ivig_gate(on: date, ivig_dates: Sequence[date], months: int) -> _Gate:
    given = [day for day in ivig_dates if day <= on]
    if not given:
        return _Gate(None, False)
    last = max(given)
    opens = add_months(last, months)
    if on >= opens:
        return _Gate(opens, False)
    return _Gate(
        opens,
        True,
        f"Immunoglobulin (IVIG) given on {shown(last)}: not before {shown(opens)} "
        f"({months} months after it).",
    )


# --- Doses that follow the doses given -------------------------------------------------------


@dataclass(frozen=True)
class Interval:
    """A minimum interval: calendar months (clamped at month ends), then days."""

    days: int = 0
    months: int = 0

    def after(self, day: date) -> date:
        return add_months(day, self.months) + timedelta(days=self.days)


FOUR_WEEKS = Interval(days=28)
EIGHT_WEEKS = Interval(days=56)
# The minimum interval from the previous dose, by vaccine and dose (CLINICAL.md; CDC table
# 3-1 for the 4th PCV dose: 8 weeks after the 3rd).
MIN_INTERVALS: dict[tuple[str, int], Interval] = {
    ("pcv", 2): FOUR_WEEKS,
    ("pcv", 3): FOUR_WEEKS,
    ("pcv", 4): EIGHT_WEEKS,
    ("tdap", 2): FOUR_WEEKS,
    ("tdap", 3): FOUR_WEEKS,
    ("hib", 2): FOUR_WEEKS,
    ("hib", 3): FOUR_WEEKS,
    ("ipv", 2): FOUR_WEEKS,
    ("ipv", 3): FOUR_WEEKS,
    ("hepb", 2): FOUR_WEEKS,
    ("hepb", 3): EIGHT_WEEKS,
    ("menacwy", 2): EIGHT_WEEKS,
    ("rzv", 2): Interval(months=1),
    ("mmr", 2): FOUR_WEEKS,
    ("varicella", 2): FOUR_WEEKS,
}
CHILD_VARICELLA_INTERVAL = Interval(months=3)
FROM_FIRST: dict[tuple[str, int], Interval] = {("hepb", 3): Interval(days=112)}


def dose_interval(vaccine: str, dose: int, *, age_years: int | None = None) -> Interval:
    """The minimum interval from the previous dose of this vaccine."""
    if vaccine not in VACCINES:
        raise ValueError(f"Unknown vaccine {vaccine!r}.")
    if (vaccine, dose) not in MIN_INTERVALS:
        raise ValueError(f"{vaccine} has no dose {dose} chained to a previous one.")
    if vaccine == "varicella":
        if age_years is None:
            raise ValueError("The varicella interval depends on age: give age_years.")
        if age_years < CHILD_UNTIL_AGE:
            return CHILD_VARICELLA_INTERVAL
    return MIN_INTERVALS[(vaccine, dose)]


def from_first_interval(vaccine: str, dose: int) -> Interval | None:
    """The minimum interval from the first dose, where there is one (hepatitis B dose 3)."""
    return FROM_FIRST.get((vaccine, dose))


def dose_due(
    *,
    earliest: date,
    previous: date | None = None,
    interval: Interval = Interval(),  # noqa: B008 - frozen
    first: date | None = None,
    from_first: Interval | None = None,
) -> date:
    """When a dose falls due: the later of its own earliest date, the previous dose (given,
    else planned) plus the minimum interval, and the first dose plus its minimum."""
    due = earliest
    if previous is not None:
        due = max(due, interval.after(previous))
    if first is not None and from_first is not None:
        due = max(due, from_first.after(first))
    return due


# --- Influenza -------------------------------------------------------------------------------

# One inactivated influenza vaccine a season: the plan gives them (tracker.rules.schedule).
Season = schedule.Season
influenza_dates = schedule.influenza_dates


# --- Drugs that end by rule ------------------------------------------------------------------


@dataclass(frozen=True)
class PjpConfig:
    """The centre's PJP prophylaxis rule: months after engraftment, months off
    immunosuppression, and a CD4 count to wait for (None: not used)."""

    months_after_engraftment: int = 6
    months_off_immunosuppression: int = 0
    cd4_threshold: int | None = None


@dataclass(frozen=True)
class StopDate:
    """When a drug may stop (None: not yet known) and why."""

    on: date | None
    reason: str


def pjp_stop(
    *,
    engraftment: date | None,
    immunosuppression_periods: Sequence[Period],
    cd4_results: Sequence[tuple[date, Decimal | int]],
    config: PjpConfig = PjpConfig(),  # noqa: B008 - frozen
) -> StopDate:
    """PJP prophylaxis: at least 6 months after engraftment and as long as immunosuppression
    continues (and, where the centre sets one, until the CD4 count is above its threshold)."""
    if engraftment is None:
        return StopDate(None, "Continues: no engraftment yet (at least 6 months after it).")
    months = config.months_after_engraftment
    stop = add_months(engraftment, months)
    why = [f"{months} months after engraftment ({shown(engraftment)})"]
    if any(end is None for _, end in immunosuppression_periods):
        return StopDate(None, "Continues while on immunosuppression.")
    stops = [end for _, end in immunosuppression_periods if end is not None]
    if stops:
        off = add_months(max(stops), config.months_off_immunosuppression)
        stop = max(stop, off)
        why.append(f"off immunosuppression since {shown(max(stops))}")
    if config.cd4_threshold is not None:
        threshold = config.cd4_threshold
        if not cd4_results:
            return StopDate(None, f"Continues until a CD4 count above {threshold}/µL.")
        drawn_on, value = max(cd4_results, key=lambda result: result[0])
        if value <= threshold:
            return StopDate(
                None,
                f"Continues: the latest CD4 count ({value}/µL on {shown(drawn_on)}) is not "
                f"above {threshold}/µL.",
            )
        stop = max(stop, drawn_on)
        why.append(f"CD4 {value}/µL on {shown(drawn_on)}")
    return StopDate(stop, f"May stop from {shown(stop)}: {'; '.join(why)}.")


LETERMOVIR_DAYS = 100
LETERMOVIR_EXTENDED_DAYS = 200


def letermovir_stop(*, day_zero: date, extended: bool = False) -> StopDate:
    """Letermovir (CMV prophylaxis) to Day +100, or Day +200 in high-risk patients."""
    days = LETERMOVIR_EXTENDED_DAYS if extended else LETERMOVIR_DAYS
    stop = day_zero + timedelta(days=days)
    why = "extended for high CMV risk" if extended else "extendable to Day +200 if high risk"
    return StopDate(stop, f"Stops on Day +{days} ({shown(stop)}); {why}.")


# --- Irradiated blood components -------------------------------------------------------------


@dataclass(frozen=True)
class Irradiation:
    """From when blood components must be irradiated, until when (None with `lifelong`, or
    while a condition lasts), and why (BSH 2020)."""

    start: date
    until: date | None
    lifelong: bool
    reason: str
    conditions: list[str] = field(default_factory=list)  # what keeps it going (open periods)
    at_least_until: date | None = None  # while `conditions` last: not before this date


AUTOLOGOUS_BEFORE_HARVEST_DAYS = 14
ALLOGENEIC_MONTHS = 6
AUTOLOGOUS_MONTHS = 3
AUTOLOGOUS_TBI_MONTHS = 6


def irradiated_blood(
    *,
    kind: str,
    day_zero: date,
    conditioning_start: date | None,
    harvest_date: date | None = None,
    tbi: bool = False,
    purine_analogue: bool = False,
    hodgkin: bool = False,
    immunosuppression_periods: Sequence[Period] = (),
    chronic_gvhd_periods: Sequence[Period] = (),
) -> Irradiation | None:
    """Irradiated blood components for a course; None for a procedure."""
    if kind not in ("allogeneic", "autologous"):
        return None
    start = min(day for day in (conditioning_start, day_zero) if day is not None)
    if kind == "autologous" and harvest_date is not None:
        start = min(start, harvest_date - timedelta(days=AUTOLOGOUS_BEFORE_HARVEST_DAYS))
    if purine_analogue or hodgkin:
        why = "a purine analogue such as fludarabine" if purine_analogue else "Hodgkin lymphoma"
        return Irradiation(start, None, True, f"Lifelong, after {why} (BSH 2020).")
    if kind == "autologous":
        months = AUTOLOGOUS_TBI_MONTHS if tbi else AUTOLOGOUS_MONTHS
        until = add_months(day_zero, months)
        since = (
            "14 days before the stem cell harvest"
            if harvest_date is not None
            else "the start of treatment; from 14 days before the stem cell harvest when it "
            "comes first"
        )
        return Irradiation(
            start,
            until,
            False,
            f"From {shown(start)} ({since}) to {months} months after the transplant"
            f"{' with total body irradiation' if tbi else ''}: {shown(until)}.",
        )
    until = add_months(day_zero, ALLOGENEIC_MONTHS)
    open_conditions = []
    if any(end is None for _, end in immunosuppression_periods):
        open_conditions.append("on immunosuppression")
    if any(end is None for _, end in chronic_gvhd_periods):
        open_conditions.append("with chronic GVHD")
    if open_conditions:
        return Irradiation(
            start,
            None,
            False,
            f"From {shown(start)}, at least to {shown(until)} (6 months after the transplant) "
            f"and for as long as {' or '.join(open_conditions)}.",
            open_conditions,
            until,
        )
    ends = [end for _, end in [*immunosuppression_periods, *chronic_gvhd_periods] if end]
    until = max([until, *ends])
    return Irradiation(
        start,
        until,
        False,
        f"From {shown(start)} to {shown(until)}: at least 6 months after the transplant, and "
        "while on immunosuppression or with chronic GVHD.",
    )


# --- A course's vaccine doses, chained -------------------------------------------------------


@dataclass(frozen=True)
class PlannedDose:
    """A dose the plan gives: its own date from Day Zero, and when it was given (if it was)."""

    vaccine: str
    dose: int
    own_date: date
    given_on: date | None = None


@dataclass(frozen=True)
class ChainedDose:
    due: date
    reason: str  # why the due date is later than its own date; "" when it is not


def chain_doses(doses: Sequence[PlannedDose], *, born: date | None = None) -> list[ChainedDose]:
    """When each dose falls due (CLINICAL.md: "doses follow the doses given"): the later of
    its own date and the previous dose of its vaccine (given, else as now due) plus the
    minimum interval, and for hepatitis B dose 3 the first dose plus 16 weeks. A dose given
    keeps its own date here (it is done). `born` gives the age for varicella's interval."""
    due: dict[tuple[str, int], date] = {}
    results: dict[int, ChainedDose] = {}
    order = sorted(range(len(doses)), key=lambda i: (doses[i].vaccine, doses[i].dose))
    for index in order:
        planned = doses[index]
        own = planned.own_date
        previous = _when(doses, due, planned.vaccine, planned.dose - 1)
        first = _when(doses, due, planned.vaccine, 1) if planned.dose > 1 else None
        reasons = []
        when = own
        if previous is not None and (planned.vaccine, planned.dose) in MIN_INTERVALS:
            age = age_on(born, previous[0])
            if planned.vaccine == "varicella" and age is None:
                interval = CHILD_VARICELLA_INTERVAL  # age unknown: the longer interval
            else:
                interval = dose_interval(planned.vaccine, planned.dose, age_years=age)
            after_previous = interval.after(previous[0])
            if after_previous > when:
                when = after_previous
                reasons.append(
                    f"{interval_words(interval)} after dose {planned.dose - 1} "
                    f"{'given' if previous[1] else 'due'} on {shown(previous[0])}"
                )
        from_first = from_first_interval(planned.vaccine, planned.dose)
        if first is not None and from_first is not None:
            after_first = from_first.after(first[0])
            if after_first > when:
                when = after_first
                reasons = [
                    f"{interval_words(from_first)} after dose 1 "
                    f"{'given' if first[1] else 'due'} on {shown(first[0])}"
                ]
        due[(planned.vaccine, planned.dose)] = planned.given_on or when
        reason = f"At least {reasons[0]}." if reasons else ""
        results[index] = ChainedDose(when, reason)
    return [results[index] for index in range(len(doses))]


def _when(
    doses: Sequence[PlannedDose], due: dict[tuple[str, int], date], vaccine: str, dose: int
) -> tuple[date, bool] | None:
    """(the date of that dose: given, else as now due; whether it was given), or None."""
    for planned in doses:
        if (planned.vaccine, planned.dose) == (vaccine, dose):
            if planned.given_on is not None:
                return planned.given_on, True
            return due.get((vaccine, dose), planned.own_date), False
    return None


def age_on(born: date | None, on: date) -> int | None:
    """Age in whole years on a date (None when the birth date is not known)."""
    if born is None:
        return None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def interval_words(interval: Interval) -> str:
    if interval.months and not interval.days:
        return f"{interval.months} month{'s' if interval.months != 1 else ''}"
    if interval.days % 7 == 0 and not interval.months:
        return f"{interval.days // 7} weeks"
    return f"{interval.days} days"


def irradiation_in_plain_words(irradiation: Irradiation, today: date) -> str:
    """What a patient reads about irradiated blood ("" once it is over). No diagnosis in it:
    it is printed and shown on a phone."""
    if irradiation.until is not None and irradiation.until < today:
        return ""
    if irradiation.lifelong:
        how_long = "for the rest of your life"
    elif irradiation.until is None:
        at_least = irradiation.at_least_until
        how_long = "for as long as your transplant team tells you" + (
            f", and at least until {at_least:%-d %B %Y}" if at_least else ""
        )
    else:
        how_long = f"until {irradiation.until:%-d %B %Y}"
    since = f"from {irradiation.start:%-d %B %Y} " if irradiation.start > today else ""
    return (
        "If you need a blood or platelet transfusion, it must be irradiated blood (treated so "
        f"it is safe for you) {since}{how_long}. Tell any hospital that treats you."
    )
