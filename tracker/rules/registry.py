"""Registry reporting (CIBMTR): each course's forms, their target days, contact windows and
due dates (CLINICAL.md section 4). Pure: dates in, dates out; no clock, no Django.

Everything is counted in day numbers from Day 0 (Day n is Day Zero + n days), never in
calendar months: "6 months" is Day 180. The centre's own offsets (the windows after
6 months and the later due dates are not confirmed by the sources) are `RegistryRules`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType

from tracker.rules.schedule import day_label

# The forms due once per course, then the follow-up forms by their target day.
PRE_TED, INFUSION, DAY_100, SIX_MONTHS = "pre_ted", "2006", "100d", "6m"
YEARLY_UNTIL = 6  # yearly to 6 years, then every two years
ONCE = (PRE_TED, INFUSION)

TITLES = {
    PRE_TED: "Pre-TED (forms 2400/2402)",
    INFUSION: "Form 2006 (infusion)",
    DAY_100: "100-day follow-up",
    SIX_MONTHS: "6-month follow-up",
}
# How a window is named in a sentence ("the 100-day window").
WINDOW_NAMES = {DAY_100: "100-day", SIX_MONTHS: "6-month"}


@dataclass(frozen=True)
class RegistryRules:
    """A centre's registry offsets, in days from Day 0 (the defaults are CLINICAL.md's)."""

    # Day Zero + N: the date each form is due.
    due_days: Mapping[str, int] = field(
        default_factory=lambda: MappingProxyType(
            {PRE_TED: 30, INFUSION: 45, DAY_100: 130, SIX_MONTHS: 225}
        )
    )
    # The contact windows, as (first day, last day) numbers, inclusive.
    windows: Mapping[str, tuple[int, int]] = field(
        default_factory=lambda: MappingProxyType({DAY_100: (85, 115), SIX_MONTHS: (150, 210)})
    )
    # Yearly forms: the contact falls after the anniversary (the 1-year contact after Day
    # 365), from this many days after it; no end unless `yearly_window_last` days after it.
    yearly_window_first: int = 1
    yearly_window_last: int | None = None
    # A yearly form is due this many days after its target day.
    yearly_due_after: int = 45
    years: int = 20

    def __post_init__(self) -> None:
        for key, (first, last) in self.windows.items():
            if first > last:
                raise ValueError(f"The {key} window opens on Day {first}, after Day {last}.")
        if self.yearly_window_last is not None and self.yearly_window_last < (
            self.yearly_window_first
        ):
            raise ValueError("The yearly window closes before it opens.")


DEFAULT_RULES = RegistryRules()


@dataclass(frozen=True)
class RegistryForm:
    key: str
    title: str
    day_zero: date
    target: date
    window_start: date | None
    window_end: date | None
    due: date

    @property
    def is_follow_up(self) -> bool:
        return self.key not in ONCE

    @property
    def target_day(self) -> int:
        return (self.target - self.day_zero).days

    @property
    def window_name(self) -> str:
        return WINDOW_NAMES.get(self.key) or f"{self.key[:-1]}-year"

    def day_of(self, day: date) -> int:
        return (day - self.day_zero).days

    def window_words(self) -> str:
        """'Day +85 to Day +115', 'after Day +365', or '' when there is no window."""
        start, end = self.window_start, self.window_end
        if start is None and end is None:
            return ""
        if end is None:
            return f"after {day_label(self.day_of(start) - 1)}"  # type: ignore[arg-type]
        if start is None:
            return f"up to {day_label(self.day_of(end))}"
        return f"{day_label(self.day_of(start))} to {day_label(self.day_of(end))}"


def title_of(key: str) -> str:
    """The form's title from its key ("8y": "8-year follow-up")."""
    return TITLES.get(key) or f"{key[:-1]}-year follow-up"


def years_of(rules: RegistryRules) -> list[int]:
    """The yearly follow-ups: every year to 6 years, then every two years."""
    return [*range(1, YEARLY_UNTIL + 1), *range(YEARLY_UNTIL + 2, rules.years + 1, 2)]


def registry_forms(day_zero: date, rules: RegistryRules = DEFAULT_RULES) -> list[RegistryForm]:
    """The course's registry forms in order: Pre-TED and form 2006 (Day 0), the 100-day and
    6-month follow-ups, then yearly to 6 years and every two years to `rules.years`."""

    def on(n: int) -> date:
        return day_zero + timedelta(days=n)

    forms = [
        RegistryForm(key, TITLES[key], day_zero, day_zero, None, None, on(rules.due_days[key]))
        for key in ONCE
    ]
    for key, target in ((DAY_100, 100), (SIX_MONTHS, 180)):
        first, last = rules.windows.get(key, (None, None))
        forms.append(
            RegistryForm(
                key,
                TITLES[key],
                day_zero,
                on(target),
                on(first) if first is not None else None,
                on(last) if last is not None else None,
                on(rules.due_days[key]),
            )
        )
    for year in years_of(rules):
        target = 365 * year
        last = rules.yearly_window_last
        forms.append(
            RegistryForm(
                f"{year}y",
                title_of(f"{year}y"),
                day_zero,
                on(target),
                on(target + rules.yearly_window_first),
                on(target + last) if last is not None else None,
                on(target + rules.yearly_due_after),
            )
        )
    return forms


def in_window(form: RegistryForm, contact_date: date) -> bool:
    """Whether a contact on that date counts for the form (a form with no window: always)."""
    return not outside_window(form, contact_date)


def outside_window(form: RegistryForm, contact_date: date) -> str:
    """Why a contact on that date does not count for the form ("" when it does), e.g.
    "Day +84: the 100-day window opens on Day +85."."""
    day = form.day_of(contact_date)
    if form.window_start is not None and contact_date < form.window_start:
        if form.window_end is None and form.key not in WINDOW_NAMES:
            last = form.day_of(form.window_start) - 1
            return (
                f"{day_label(day)}: the {form.window_name} contact falls after {day_label(last)}."
            )
        return (
            f"{day_label(day)}: the {form.window_name} window opens on "
            f"{day_label(form.day_of(form.window_start))}."
        )
    if form.window_end is not None and contact_date > form.window_end:
        return (
            f"{day_label(day)}: the {form.window_name} window closed on "
            f"{day_label(form.day_of(form.window_end))}."
        )
    return ""


def prior_course_contact_date(*, next_conditioning_start: date | None, next_day_zero: date) -> date:
    """The contact date of the earlier course's open form when a subsequent transplant
    follows: the day before its preparative regimen starts, or before its infusion when
    there is none. (An autologous rescue is no subsequent transplant: nothing closes.)"""
    return (next_conditioning_start or next_day_zero) - timedelta(days=1)


def closing_form(
    forms: Iterable[RegistryForm], contact_date: date, done: Iterable[str] = ()
) -> RegistryForm | None:
    """The follow-up form that reports a last contact (a death, a subsequent transplant): the
    first not yet done whose window has not closed by then (`last_day`). The forms after it
    are not required."""
    finished = set(done)
    follow_ups = [form for form in forms if form.is_follow_up]
    for index, form in enumerate(follow_ups):
        if form.key in finished:
            continue
        if contact_date <= last_day(form, follow_ups[index + 1 :]):
            return form
    return None


def last_day(form: RegistryForm, later: list[RegistryForm]) -> date:
    """The last day a contact reports on this form: its window's end, or, with no end, the
    day before the next form's target (a yearly form covers the year to the next one)."""
    if form.window_end is not None:
        return form.window_end
    if later:
        return later[0].target - timedelta(days=1)
    return date.max


def not_required_after(
    forms: Iterable[RegistryForm], contact_date: date, done: Iterable[str] = ()
) -> list[str]:
    """The follow-up forms a last contact on that date makes not required: every one after
    the form that reports it (`closing_form`), not done."""
    forms = list(forms)
    finished = set(done)
    closing = closing_form(forms, contact_date, finished)
    if closing is None:
        return []
    after = forms[forms.index(closing) + 1 :]
    return [form.key for form in after if form.key not in finished]
