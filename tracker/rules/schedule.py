"""Day numbers, phases and planning of a transplant course around Day Zero.

Pure Python (no Django). Day 0 is the day the cells are infused; the day before is Day -1,
the day after Day +1, with no gap (CLINICAL.md section 2). Month-anchored steps use calendar
months (31 Jan + 1 month = 28/29 Feb), never 30-day months. Source for the day convention and
the windows: CIBMTR Forms Instruction Manual.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Protocol, TypeVar

from dateutil.relativedelta import relativedelta
from dateutil.rrule import DAILY, rrule

MINUS_SIGN = "\N{MINUS SIGN}"

# The phase band ends where long-term follow-up begins: 24 calendar months after Day Zero.
ENGRAFTMENT_LAST_DAY = 30
HUNDRED_DAY_LAST_DAY = 100
LONG_TERM_FROM_MONTHS = 24


# A same-day procedure's recovery: the first two weeks, up to its usual 2-week review.
RECOVERY_LAST_DAY = 14


class Phase(StrEnum):
    # A transplant (CLINICAL.md section 9: work-up is not conditioning).
    WORK_UP = "work_up"
    CONDITIONING = "conditioning"
    DAY_ZERO = "day_zero"
    ENGRAFTMENT = "engraftment"
    HUNDRED_DAY = "hundred_day"
    IMMUNE_RECOVERY = "immune_recovery"
    LONG_TERM = "long_term"
    # A same-day bone-marrow cell procedure (CLINICAL.md section 8).
    PREPARATION = "preparation"
    PROCEDURE_DAY = "procedure_day"
    RECOVERY = "recovery"
    FOLLOW_UP = "follow_up"

    @property
    def label(self) -> str:
        return PHASE_LABELS[self]


PHASE_ORDER = {phase: position for position, phase in enumerate(Phase)}

PHASE_LABELS = {
    Phase.WORK_UP: "Work-up",
    Phase.CONDITIONING: "Conditioning",
    Phase.DAY_ZERO: "Day Zero",
    Phase.ENGRAFTMENT: "Engraftment",
    Phase.HUNDRED_DAY: "100-day window",
    Phase.IMMUNE_RECOVERY: "Immune recovery",
    Phase.LONG_TERM: "Long-term follow-up",
    Phase.PREPARATION: "Preparation",
    Phase.PROCEDURE_DAY: "Procedure day",
    Phase.RECOVERY: "Recovery",
    Phase.FOLLOW_UP: "Follow-up",
}


@dataclass(frozen=True)
class PhaseScheme:
    """Which phases a course is told in: a transplant's (with a work-up before
    `conditioning_from`, when the protocol says where conditioning starts) or a same-day
    procedure's."""

    procedure: bool = False
    conditioning_from: int | None = None

    @property
    def phases(self) -> tuple[Phase, ...]:
        if self.procedure:
            return (Phase.PREPARATION, Phase.PROCEDURE_DAY, Phase.RECOVERY, Phase.FOLLOW_UP)
        work_up = (Phase.WORK_UP,) if self.conditioning_from is not None else ()
        return (
            *work_up,
            Phase.CONDITIONING,
            Phase.DAY_ZERO,
            Phase.ENGRAFTMENT,
            Phase.HUNDRED_DAY,
            Phase.IMMUNE_RECOVERY,
            Phase.LONG_TERM,
        )


TRANSPLANT = PhaseScheme()


class Status(StrEnum):
    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"
    DONE = "done"
    DONE_OUT_OF_WINDOW = "done_out_of_window"
    BLOCKED = "blocked"
    NOT_NEEDED = "not_needed"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.UPCOMING: "Upcoming",
    Status.DUE: "Due",
    Status.OVERDUE: "Overdue",
    Status.DONE: "Done",
    Status.DONE_OUT_OF_WINDOW: "Done out of window",
    Status.BLOCKED: "Blocked",
    Status.NOT_NEEDED: "Not needed",
    Status.CLOSED: "Closed",
}

# Holds that close a milestone not done (kept, never due or overdue).
CLOSED = ("superseded", "ended", "not_recorded")


def day_number(day: date, day_zero: date) -> int:
    """The day number of a date: 0 on Day Zero, negative before, positive after."""
    return (day - day_zero).days


def day_label(n: int) -> str:
    """'Day −3', 'Day 0', 'Day +14': the sign is always shown except on Day 0."""
    if n == 0:
        return "Day 0"
    if n < 0:
        return f"Day {MINUS_SIGN}{-n}"
    return f"Day +{n}"


def window_label(window_start: date, window_end: date, day_zero: date) -> str:
    """'Day +85 to Day +115', or '' for a one-day window."""
    if window_start == window_end:
        return ""
    start = day_label(day_number(window_start, day_zero))
    return f"{start} to {day_label(day_number(window_end, day_zero))}"


def date_of_day(day_zero: date, n: int) -> date:
    """The calendar date of day number n."""
    return day_zero + timedelta(days=n)


def add_months(day_zero: date, months: int) -> date:
    """Day Zero plus calendar months; a month end clamps (31 Jan + 1 month = 28/29 Feb)."""
    return day_zero + relativedelta(months=months)


def phase_of(day: date, day_zero: date, scheme: PhaseScheme = TRANSPLANT) -> Phase:
    """The phase of the course a date falls in."""
    return phases_from(day_zero, scheme)(day)


def phases_from(day_zero: date, scheme: PhaseScheme = TRANSPLANT) -> Callable[[date], Phase]:
    """`phase_of` for many dates of one course: the calendar months are counted once."""
    if scheme.procedure:
        return lambda day: _procedure_phase(day_number(day, day_zero))
    long_term = add_months(day_zero, LONG_TERM_FROM_MONTHS)
    work_up_before = scheme.conditioning_from

    def phase(day: date) -> Phase:
        n = day_number(day, day_zero)
        if work_up_before is not None and n < work_up_before:
            return Phase.WORK_UP
        if n < 0:
            return Phase.CONDITIONING
        if n == 0:
            return Phase.DAY_ZERO
        if n <= ENGRAFTMENT_LAST_DAY:
            return Phase.ENGRAFTMENT
        if n <= HUNDRED_DAY_LAST_DAY:
            return Phase.HUNDRED_DAY
        if day < long_term:
            return Phase.IMMUNE_RECOVERY
        return Phase.LONG_TERM

    return phase


def _procedure_phase(n: int) -> Phase:
    if n < 0:
        return Phase.PREPARATION
    if n == 0:
        return Phase.PROCEDURE_DAY
    if n <= RECOVERY_LAST_DAY:
        return Phase.RECOVERY
    return Phase.FOLLOW_UP


def status_of(
    *,
    window_start: date,
    window_end: date,
    completed_on: date | None,
    today: date,
    hold: str = "",
    due_date: date | None = None,
) -> Status:
    """Where a milestone stands today, from its window and its completion date, and its hold
    when not done: "blocked" (until a clinical event), "blocked_until" (until its due date),
    "not_needed"."""
    if completed_on is not None:
        if window_start <= completed_on <= window_end:
            return Status.DONE
        return Status.DONE_OUT_OF_WINDOW
    if hold in CLOSED:
        return Status.CLOSED
    if hold == "not_needed":
        return Status.NOT_NEEDED
    if hold == "blocked" or (hold == "blocked_until" and due_date is not None and today < due_date):
        return Status.BLOCKED
    if today < window_start:
        return Status.UPCOMING
    if today <= window_end:
        return Status.DUE
    return Status.OVERDUE


@dataclass(frozen=True)
class Season:
    """The influenza season, as (month, day) of its first and last days; it may wrap the new
    year (the northern default, September to March)."""

    starts: tuple[int, int] = (9, 1)
    ends: tuple[int, int] = (3, 31)

    def start_on_or_before(self, day: date) -> date:
        start = date(day.year, *self.starts)
        return start if start <= day else date(day.year - 1, *self.starts)

    def end_of(self, start: date) -> date:
        end = date(start.year, *self.ends)
        return end if end >= start else date(start.year + 1, *self.ends)

    def contains(self, day: date) -> bool:
        start = self.start_on_or_before(day)
        return day <= self.end_of(start)

    def label(self, day: date) -> str:
        """The season a day of it belongs to: "2026–27 season" (one that wraps the new year),
        "2026 season"."""
        start = self.start_on_or_before(day)
        end = self.end_of(start)
        if end.year == start.year:
            return f"{start.year} season"
        return f"{start.year}–{end.year % 100:02d} season"

    def next_start_after(self, day: date) -> date:
        start = date(day.year, *self.starts)
        return start if start > day else date(day.year + 1, *self.starts)


def influenza_dates(
    *,
    day_zero: date,
    until: date,
    from_months: int = 6,
    season: Season = Season(),  # noqa: B008 - frozen
) -> list[date]:
    """One inactivated influenza vaccine a season from 6 months after Day Zero: on that day
    when it falls in a season, else when the next season starts; then at each season's start."""
    first = add_months(day_zero, from_months)
    day = first if season.contains(first) else season.next_start_after(first)
    dates = []
    while day <= until:
        dates.append(day)
        day = season.next_start_after(day)
    return dates


@dataclass(frozen=True)
class StepRule:
    """When a protocol step falls, relative to Day Zero.

    Exactly one of `day` and `months` is set. A repeat (`repeat_every_days` with
    `repeat_until_day`) is for day-anchored steps: occurrences on day, day + every, ... up to
    and including repeat_until_day. A seasonal step (influenza) has one occurrence a season
    from `months` after Day Zero, for `seasons` seasons (`influenza_dates`).
    """

    key: str
    day: int | None = None
    months: int | None = None
    window_before: int = 0
    window_after: int = 0
    repeat_every_days: int | None = None
    repeat_until_day: int | None = None
    season: Season | None = None  # once in each of `seasons` seasons, from `months`
    seasons: int | None = None
    at_clinic: bool = False  # an outpatient visit: moved off days the clinic is closed

    def __post_init__(self) -> None:
        if (self.season is None) != (self.seasons is None):
            raise ValueError(f"step {self.key!r}: a seasonal step needs its season and years")
        if self.seasons is not None and (self.months is None or self.seasons < 1):
            raise ValueError(
                f"step {self.key!r}: a seasonal step starts months after Day Zero, for one "
                "season or more"
            )
        if (self.day is None) == (self.months is None):
            raise ValueError(f"step {self.key!r}: set exactly one of day and months")
        if self.window_before < 0 or self.window_after < 0:
            raise ValueError(f"step {self.key!r}: windows are counted in days, 0 or more")
        if (self.repeat_every_days is None) != (self.repeat_until_day is None):
            raise ValueError(f"step {self.key!r}: a repeat needs both its interval and its end")
        if self.repeat_every_days is not None:
            if self.day is None:
                raise ValueError(f"step {self.key!r}: only day-anchored steps repeat")
            if self.repeat_every_days < 1:
                raise ValueError(f"step {self.key!r}: repeat interval must be at least 1 day")
            if self.repeat_until_day is not None and self.repeat_until_day < self.day:
                raise ValueError(f"step {self.key!r}: repeat ends before it starts")


@dataclass(frozen=True)
class PlannedMilestone:
    """One dated occurrence of a step. `occurrence` counts from 1."""

    key: str
    occurrence: int
    due_date: date
    window_start: date
    window_end: date
    moved_from: date | None = None  # the planned day, when the clinic is closed on it


@dataclass(frozen=True)
class ClinicDays:
    """The days the clinic is closed: weekdays (Monday 0 to Sunday 6) and single dates."""

    closed_weekdays: frozenset[int] = frozenset({5, 6})
    closed_dates: frozenset[date] = frozenset()

    def is_closed(self, day: date) -> bool:
        return day.weekday() in self.closed_weekdays or day in self.closed_dates

    def open_day(self, due: date, window_start: date, window_end: date) -> date | None:
        """The open day nearest `due` inside the window (the earlier of two as near: a visit
        brought forward catches a problem sooner), `due` itself when open, or None."""
        for distance in range(max((due - window_start).days, (window_end - due).days) + 1):
            for day in (due - timedelta(days=distance), due + timedelta(days=distance)):
                if window_start <= day <= window_end and not self.is_closed(day):
                    return day
        return None


ALWAYS_OPEN = ClinicDays(closed_weekdays=frozenset())


def at_open_clinic(
    milestone: PlannedMilestone, clinic: ClinicDays, *, not_before: date | None = None
) -> PlannedMilestone:
    """A clinic visit planned on a closed day, moved to the nearest open day of its window
    (its window stays: it is the clinical tolerance), never before `not_before` (a seasonal
    step's season). Kept where it is when the whole window is closed: the team sees it on a
    closed day and decides."""
    if not clinic.is_closed(milestone.due_date):
        return milestone
    earliest = max(milestone.window_start, not_before or milestone.window_start)
    day = clinic.open_day(milestone.due_date, earliest, milestone.window_end)
    if day is None:
        return milestone
    return replace(milestone, due_date=day, moved_from=milestone.due_date)


def _due_dates(day_zero: date, rule: StepRule) -> list[date]:
    if rule.season is not None and rule.seasons is not None and rule.months is not None:
        # A season starts at least once a year: a year more than the seasons covers them.
        return influenza_dates(
            day_zero=day_zero,
            until=add_months(day_zero, rule.months + 12 * (rule.seasons + 1)),
            from_months=rule.months,
            season=rule.season,
        )[: rule.seasons]
    if rule.months is not None:
        return [add_months(day_zero, rule.months)]
    assert rule.day is not None
    first = date_of_day(day_zero, rule.day)
    if rule.repeat_every_days is None:
        return [first]
    assert rule.repeat_until_day is not None
    last = date_of_day(day_zero, rule.repeat_until_day)
    occurrences = rrule(
        DAILY,
        interval=rule.repeat_every_days,
        dtstart=datetime.combine(first, datetime.min.time()),
        until=datetime.combine(last, datetime.min.time()),
    )
    return [moment.date() for moment in occurrences]


def plan(
    day_zero: date, rules: Iterable[StepRule], clinic: ClinicDays = ALWAYS_OPEN
) -> list[PlannedMilestone]:
    """Expand steps into dated milestones, in date order (then step order); clinic visits on
    a day the clinic is closed move to its nearest open day inside their window."""
    planned: list[tuple[date, int, PlannedMilestone]] = []
    for index, rule in enumerate(rules):
        for occurrence, due in enumerate(_due_dates(day_zero, rule), start=1):
            window_end = due + timedelta(days=rule.window_after)
            if rule.season is not None and rule.season.contains(due):
                # Once a season: given any day until the season ends.
                window_end = max(
                    window_end, rule.season.end_of(rule.season.start_on_or_before(due))
                )
            milestone = PlannedMilestone(
                key=rule.key,
                occurrence=occurrence,
                due_date=due,
                window_start=due - timedelta(days=rule.window_before),
                window_end=window_end,
            )
            if rule.at_clinic:
                season_start = None
                if rule.season is not None and rule.season.contains(due):
                    season_start = rule.season.start_on_or_before(due)
                milestone = at_open_clinic(milestone, clinic, not_before=season_start)
            planned.append((milestone.due_date, index, milestone))
    planned.sort(key=lambda item: (item[0], item[1], item[2].occurrence))
    return [milestone for _, _, milestone in planned]


@dataclass(frozen=True)
class ExistingMilestone:
    """What re-planning needs to know of a milestone already on a course."""

    key: str
    occurrence: int
    due_date: date
    window_start: date
    window_end: date
    completed_on: date | None
    moved_from: date | None = None


@dataclass(frozen=True)
class MilestoneChange:
    existing: ExistingMilestone
    due_date: date
    window_start: date
    window_end: date
    moved_from: date | None = None

    @property
    def moves(self) -> bool:
        return (self.due_date, self.window_start, self.window_end, self.moved_from) != (
            self.existing.due_date,
            self.existing.window_start,
            self.existing.window_end,
            self.existing.moved_from,
        )

    @property
    def falls_out_of_window(self) -> bool:
        """A completed milestone whose real completion date is outside its new window."""
        done = self.existing.completed_on
        return done is not None and not (self.window_start <= done <= self.window_end)


@dataclass(frozen=True)
class Replan:
    """The difference between a course's milestones and the plan for a new Day Zero."""

    old_day_zero: date
    new_day_zero: date
    changes: tuple[MilestoneChange, ...]
    added: tuple[PlannedMilestone, ...]

    @property
    def shift_days(self) -> int:
        return (self.new_day_zero - self.old_day_zero).days

    @property
    def days_moved(self) -> int:
        """How far Day Zero moves, either way."""
        return abs(self.shift_days)

    @property
    def moved(self) -> tuple[MilestoneChange, ...]:
        return tuple(change for change in self.changes if change.moves)

    @property
    def pending_moved(self) -> tuple[MilestoneChange, ...]:
        return tuple(c for c in self.moved if c.existing.completed_on is None)

    @property
    def out_of_window(self) -> tuple[MilestoneChange, ...]:
        return tuple(change for change in self.changes if change.falls_out_of_window)


def replan(
    *,
    old_day_zero: date,
    new_day_zero: date,
    rules: Sequence[StepRule],
    existing: Iterable[ExistingMilestone],
    clinic: ClinicDays = ALWAYS_OPEN,
) -> Replan:
    """Work out what moving Day Zero does to a course, without deleting anything.

    Every existing milestone takes the dates of its step's occurrence under the new Day Zero
    (a completed one keeps its completion date, so it may now fall outside its window). A
    milestone whose step or occurrence is no longer in the plan (the protocol was edited)
    shifts with Day Zero. Occurrences the plan has and the course lacks are added.
    """
    planned = {(p.key, p.occurrence): p for p in plan(new_day_zero, rules, clinic)}
    shift = timedelta(days=(new_day_zero - old_day_zero).days)
    changes = []
    seen = set()
    for milestone in existing:
        identity = (milestone.key, milestone.occurrence)
        seen.add(identity)
        target = planned.get(identity)
        if target is None:
            changes.append(
                MilestoneChange(
                    existing=milestone,
                    due_date=milestone.due_date + shift,
                    window_start=milestone.window_start + shift,
                    window_end=milestone.window_end + shift,
                )
            )
        else:
            changes.append(
                MilestoneChange(
                    existing=milestone,
                    due_date=target.due_date,
                    window_start=target.window_start,
                    window_end=target.window_end,
                    moved_from=target.moved_from,
                )
            )
    added = tuple(p for identity, p in planned.items() if identity not in seen)
    return Replan(
        old_day_zero=old_day_zero,
        new_day_zero=new_day_zero,
        changes=tuple(changes),
        added=added,
    )


@dataclass(frozen=True)
class PhaseSpan:
    """One segment of the phase band shown above a timeline."""

    phase: Phase
    days: str
    is_current: bool

    @property
    def label(self) -> str:
        return self.phase.label


def phase_band(
    day_zero: date, today: date, *, first_day: int, scheme: PhaseScheme = TRANSPLANT
) -> list[PhaseSpan]:
    """The course's phases with their day ranges; the one today falls in is current.

    `first_day` is the course's earliest day number (the start of its plan). Before that
    day (or before Day 0, for a course with nothing planned earlier) no phase is current: the
    course has not started.
    """
    start = min(first_day, 0)
    before = f"{day_label(start)} to {day_label(-1)}" if start < 0 else "Before Day 0"
    current = current_phase(day_zero, today, first_day=first_day, scheme=scheme)
    if scheme.procedure:
        ranges = {
            Phase.PREPARATION: before,
            Phase.PROCEDURE_DAY: day_label(0),
            Phase.RECOVERY: f"{day_label(1)} to {day_label(RECOVERY_LAST_DAY)}",
            Phase.FOLLOW_UP: f"From {day_label(RECOVERY_LAST_DAY + 1)}",
        }
        return [PhaseSpan(phase, days, phase == current) for phase, days in ranges.items()]
    conditioning = before
    work_up: dict[Phase, str] = {}
    if scheme.conditioning_from is not None:
        starts = scheme.conditioning_from
        conditioning = f"{day_label(starts)} to {day_label(-1)}"
        if start < starts:
            work_up[Phase.WORK_UP] = f"{day_label(start)} to {day_label(starts - 1)}"
        else:
            work_up[Phase.WORK_UP] = f"Before {day_label(starts)}"
    ranges = {
        **work_up,
        Phase.CONDITIONING: conditioning,
        Phase.DAY_ZERO: day_label(0),
        Phase.ENGRAFTMENT: f"{day_label(1)} to {day_label(ENGRAFTMENT_LAST_DAY)}",
        Phase.HUNDRED_DAY: (
            f"{day_label(ENGRAFTMENT_LAST_DAY + 1)} to {day_label(HUNDRED_DAY_LAST_DAY)}"
        ),
        Phase.IMMUNE_RECOVERY: (
            f"{day_label(HUNDRED_DAY_LAST_DAY + 1)} to {LONG_TERM_FROM_MONTHS} months"
        ),
        Phase.LONG_TERM: f"From {LONG_TERM_FROM_MONTHS} months",
    }
    return [PhaseSpan(phase, days, phase == current) for phase, days in ranges.items()]


def current_phase(
    day_zero: date, today: date, *, first_day: int, scheme: PhaseScheme = TRANSPLANT
) -> Phase | None:
    """The phase today falls in, or None before the course starts (its first day, or Day 0)."""
    if day_number(today, day_zero) < min(first_day, 0):
        return None
    return phase_of(today, day_zero, scheme)


@dataclass(frozen=True)
class PhaseSummary:
    """One phase of a course's timeline in a line: its dates and where its milestones stand."""

    phase: Phase
    first: date
    last: date
    total: int
    done: int
    due: int
    overdue: int
    due_dates: tuple[date, ...] = field(default=(), compare=False, repr=False)  # in order
    days: str = field(default="", compare=False)  # "Day +1 to Day +30", or "Day 0"
    waiting: int = 0  # blocked or not needed: neither due nor overdue

    @property
    def upcoming(self) -> int:
        return self.total - self.done - self.due - self.overdue - self.waiting

    def next_from(self, day: date) -> date | None:
        """The first due date of the phase on or after `day`, if any."""
        return next((due for due in self.due_dates if due >= day), None)

    def first_days(self, count: int) -> tuple[date, int]:
        """The date through which the phase's first `count` milestones fall (every milestone
        of that day included), and how many milestones fall after it."""
        if not self.due_dates or count >= len(self.due_dates):
            return self.last, 0
        through = self.due_dates[max(count, 1) - 1]
        return through, sum(1 for due in self.due_dates if due > through)


def phase_summaries(
    milestones: Iterable[
        tuple[date, date, date, date | None] | tuple[date, date, date, date | None, str]
    ],
    *,
    day_zero: date,
    today: date,
    scheme: PhaseScheme = TRANSPLANT,
) -> list[PhaseSummary]:
    """A summary per phase that has milestones, in phase order.

    Each milestone is (due_date, window_start, window_end, completed_on[, hold]). Done counts
    done out of window too; due and overdue are the pending ones whose window is open or
    closed; waiting, those blocked or not needed (`status_of`).
    """
    by_phase: dict[Phase, list[tuple[date, Status]]] = {}
    phase_of_day = phases_from(day_zero, scheme)
    for due_date, window_start, window_end, completed_on, *hold in milestones:
        status = status_of(
            window_start=window_start,
            window_end=window_end,
            completed_on=completed_on,
            today=today,
            hold=hold[0] if hold else "",
            due_date=due_date,
        )
        by_phase.setdefault(phase_of_day(due_date), []).append((due_date, status))
    summaries = []
    for phase, rows in sorted(by_phase.items(), key=lambda pair: PHASE_ORDER[pair[0]]):
        dates = sorted(due_date for due_date, _ in rows)
        statuses = Counter(status for _, status in rows)
        summaries.append(
            PhaseSummary(
                phase,
                first=dates[0],
                last=dates[-1],
                total=len(rows),
                done=statuses[Status.DONE] + statuses[Status.DONE_OUT_OF_WINDOW],
                due=statuses[Status.DUE],
                overdue=statuses[Status.OVERDUE],
                waiting=statuses[Status.BLOCKED]
                + statuses[Status.NOT_NEEDED]
                + statuses[Status.CLOSED],
                due_dates=tuple(dates),
                days=window_label(dates[0], dates[-1], day_zero)
                or day_label(day_number(dates[0], day_zero)),
            )
        )
    return summaries


def days_around(today: date, *, before: int, after: int) -> tuple[date, date]:
    """The first and last date of the days from `before` days ago to `after` days ahead."""
    return today - timedelta(days=before), today + timedelta(days=after)


def open_phases(phases: Sequence[Phase], current: Phase | None) -> frozenset[Phase]:
    """The phases a course page shows open: the current one and the next that has milestones.

    `phases` are those with milestones, in order. Before the course starts (no current
    phase) that is the first of them; after the last one, the current phase alone.
    """
    now = PHASE_ORDER[current] if current is not None else -1
    shown: set[Phase] = {current} if current is not None and current in phases else set()
    later = [phase for phase in phases if PHASE_ORDER[phase] > now]
    return frozenset(shown | set(later[:1]))


class DatedMilestone(Protocol):
    """What split_for_patient reads of a milestone."""

    @property
    def due_date(self) -> date: ...
    @property
    def window_end(self) -> date: ...
    @property
    def completed_on(self) -> date | None: ...


_Milestone = TypeVar("_Milestone", bound=DatedMilestone)


def split_for_patient(
    milestones: Iterable[_Milestone], today: date, *, soon_days: int = 14
) -> tuple[list[_Milestone], list[_Milestone], list[_Milestone]]:
    """Split milestones (anything with due_date, window_end, completed_on) for a patient.

    Returns (past, soon, later): done or closed ones; those due in the next `soon_days` days
    (or still open now); and the rest. Input order is kept within each list.
    """
    past: list[_Milestone] = []
    soon: list[_Milestone] = []
    later: list[_Milestone] = []
    horizon = today + timedelta(days=soon_days)
    for milestone in milestones:
        if milestone.completed_on is not None or milestone.window_end < today:
            past.append(milestone)
        elif milestone.due_date <= horizon:
            soon.append(milestone)
        else:
            later.append(milestone)
    return past, soon, later


class Day100State(StrEnum):
    """Where a course's Day-100 evaluation stands (CIBMTR: Day 100 ± 15, CLINICAL.md §4)."""

    NOT_APPLICABLE = "not_applicable"
    NOT_YET_OPEN = "not_yet_open"
    OPEN = "open"
    DUE_TODAY = "due_today"
    OVERDUE = "overdue"
    DONE = "done"

    @property
    def label(self) -> str:
        return DAY_100_LABELS[self]


DAY_100_LABELS = {
    Day100State.NOT_APPLICABLE: "No Day-100 evaluation",
    Day100State.NOT_YET_OPEN: "Not yet open",
    Day100State.OPEN: "Window open",
    Day100State.DUE_TODAY: "Due today",
    Day100State.OVERDUE: "Overdue",
    Day100State.DONE: "Done",
}


def day_100_state(
    *,
    due_date: date | None,
    window_start: date | None,
    window_end: date | None,
    completed_on: date | None,
    today: date,
) -> Day100State:
    """The Day-100 evaluation's state today; a course without one is 'not applicable'."""
    if due_date is None or window_start is None or window_end is None:
        return Day100State.NOT_APPLICABLE
    if completed_on is not None:
        return Day100State.DONE
    if today < window_start:
        return Day100State.NOT_YET_OPEN
    if today == due_date:
        return Day100State.DUE_TODAY
    if today <= window_end:
        return Day100State.OPEN
    return Day100State.OVERDUE


# A course whose Day Zero is this close ahead is the one a patient is living through
# (conditioning has started or is about to).
CURRENT_COURSE_LEAD_DAYS = 30


class HasDayZero(Protocol):
    """What current_course reads of a course."""

    @property
    def day_zero(self) -> date: ...


_Course = TypeVar("_Course", bound=HasDayZero)


def current_course(courses: Sequence[_Course], today: date) -> _Course | None:
    """The course a patient is in now: the latest whose Day Zero is at most 30 days ahead;
    when all are further ahead, the nearest. Anything with a `day_zero`; None for none."""
    horizon = today + timedelta(days=CURRENT_COURSE_LEAD_DAYS)
    started = [c for c in courses if c.day_zero <= horizon]
    if started:
        return max(started, key=lambda c: c.day_zero)
    return min(courses, key=lambda c: c.day_zero, default=None)
