"""The data manager's registry worklist: forms overdue, due in the next 30 days, with their
contact window open, submitted this month; and the quarter's counts (due vs submitted on
time). A page is read in a fixed number of queries whatever the number of courses: the
tab counts (one aggregate), the page's count and rows (as values), the quarters (one
aggregate)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, F, Q, QuerySet

from tracker import links
from tracker.models import RegistryReport, TransplantCourse
from tracker.models.choices import OPEN_FORM_STATUSES, FormStatus, Indication
from tracker.queries.followup import searched
from tracker.rules import registry as rules
from tracker.rules.schedule import day_label

SOON_DAYS = 30

Values = dict[str, Any]


class Show:
    """What the worklist narrows to (the `show` filter)."""

    TO_DO = ""
    OVERDUE = "overdue"
    DUE_SOON = "due"
    WINDOW = "window"
    SUBMITTED = "submitted"
    ALL = "all"
    CHOICES = [
        (TO_DO, "To do: overdue, due in 30 days or window open"),
        (OVERDUE, "Overdue"),
        (DUE_SOON, "Due in the next 30 days"),
        (WINDOW, "Contact window open now"),
        (SUBMITTED, "Submitted this month"),
        (ALL, "Every form"),
    ]


@dataclass(frozen=True)
class Filters:
    q: str = ""
    form: str = ""
    status: str = ""
    indication: str = ""
    show: str = Show.TO_DO

    @property
    def any(self) -> bool:
        return bool(self.q or self.form or self.status or self.indication or self.show)


def form_choices() -> list[tuple[str, str]]:
    keys = [form.key for form in rules.registry_forms(date(2000, 1, 1))]
    return [("", "Every form"), *((key, rules.title_of(key)) for key in keys)]


STATUS_CHOICES = [("", "Any status"), *FormStatus.choices]
INDICATION_CHOICES = [("", "Any disease"), *Indication.choices]


def _open() -> Q:
    return Q(status__in=OPEN_FORM_STATUSES)


def shows(today: date) -> dict[str, Q]:
    """Each tab's condition on a form, today."""
    soon = today + timedelta(days=SOON_DAYS)
    window_open = (
        _open()
        & Q(window_start__isnull=False, window_start__lte=today)
        & (Q(window_end__isnull=True) | Q(window_end__gte=today))
    )
    month = today.replace(day=1)
    return {
        Show.OVERDUE: _open() & Q(due__lt=today),
        Show.DUE_SOON: _open() & Q(due__gte=today, due__lte=soon),
        Show.WINDOW: window_open,
        Show.SUBMITTED: Q(status=FormStatus.SUBMITTED, submitted_on__gte=month),
        Show.TO_DO: _open() & (Q(due__lte=soon) | window_open),
        Show.ALL: Q(),
    }


def reports(*, today: date, filters: Filters) -> QuerySet[RegistryReport]:
    """The forms on the worklist for these filters: the most urgent first."""
    forms = RegistryReport.objects.filter(shows(today)[filters.show])
    if filters.form:
        forms = forms.filter(key=filters.form)
    if filters.status:
        forms = forms.filter(status=filters.status)
    if filters.indication:
        forms = forms.filter(course__indication=filters.indication)
    if filters.q:
        forms = forms.filter(course__in=searched(_courses(), filters.q))
    order = ["-submitted_on"] if filters.show == Show.SUBMITTED else ["due"]
    return forms.order_by(*order, "course__patient__family_name", "course_id", "position")


def _courses() -> QuerySet[TransplantCourse]:
    return TransplantCourse.objects.all()


def tab_counts(today: date) -> dict[str, int]:
    """How many forms each tab holds (one query)."""
    aggregates = {
        f"tab_{name or 'to_do'}": Count("pk", filter=condition)
        for name, condition in shows(today).items()
        if name != Show.ALL
    }
    counts = RegistryReport.objects.aggregate(**aggregates)  # named apart from the columns
    return {name.removeprefix("tab_"): count for name, count in counts.items()}


@dataclass(frozen=True)
class Quarter:
    label: str
    first: date
    last: date
    due: int
    on_time: int
    late: int
    still_open: int

    @property
    def on_time_percent(self) -> int | None:
        return round(100 * self.on_time / self.due) if self.due else None


def quarters(today: date, count: int = 4) -> list[Quarter]:
    """The last `count` quarters to this one: forms due in each (not "not required"), those
    submitted by their due date, late, and still not submitted (one query)."""
    spans = []
    year, index = today.year, (today.month - 1) // 3
    for _ in range(count):
        first = date(year, 3 * index + 1, 1)
        last = (date(year + (index == 3), (3 * index + 3) % 12 + 1, 1)) - timedelta(days=1)
        spans.append((f"Q{index + 1} {year}", first, last))
        index -= 1
        if index < 0:
            year, index = year - 1, 3
    required = ~Q(status=FormStatus.NOT_REQUIRED)
    aggregates = {}
    for number, (_, first, last) in enumerate(spans):
        due = required & Q(due__gte=first, due__lte=last)
        submitted = due & Q(status=FormStatus.SUBMITTED)
        aggregates[f"due_{number}"] = Count("pk", filter=due)
        aggregates[f"on_time_{number}"] = Count(
            "pk", filter=submitted & Q(submitted_on__lte=F("due"))
        )
        aggregates[f"late_{number}"] = Count("pk", filter=submitted & Q(submitted_on__gt=F("due")))
        aggregates[f"open_{number}"] = Count("pk", filter=due & _open())
    counts = RegistryReport.objects.aggregate(**aggregates)
    return [
        Quarter(
            label,
            first,
            last,
            counts[f"due_{n}"],
            counts[f"on_time_{n}"],
            counts[f"late_{n}"],
            counts[f"open_{n}"],
        )
        for n, (label, first, last) in enumerate(spans)
    ]


ROW_FIELDS = (
    "code",
    "key",
    "target",
    "window_start",
    "window_end",
    "due",
    "status",
    "submitted_on",
    "last_contact_on",
    "course__code",
    "course__day_zero",
    "course__kind",
    "course__indication",
    "course__ended_on",
    "course__end_reason",
    "course__superseded_on",
    "course__patient__mrn",
    "course__patient__given_name",
    "course__patient__family_name",
)


@dataclass(frozen=True)
class Row:
    code: str
    key: str
    title: str
    mrn: str
    given_name: str
    family_name: str
    kind: str
    indication: str
    day_zero: date
    today_label: str
    target: date
    target_label: str
    window: str
    window_open: bool
    due: date
    state: str  # "overdue", "due", "later", "submitted", "not_required"
    status: str
    status_label: str
    submitted_on: date | None
    on_time: bool | None
    last_contact_on: date | None
    course_state: str
    url: str


STATUS_LABELS = dict(FormStatus.choices)
INDICATIONS = dict(Indication.choices)


def row_of(values: Values, today: date) -> Row:
    day_zero = values["course__day_zero"]
    form = rules.RegistryForm(
        key=values["key"],
        title=rules.title_of(values["key"]),
        day_zero=day_zero,
        target=values["target"],
        window_start=values["window_start"],
        window_end=values["window_end"],
        due=values["due"],
    )
    status = values["status"]
    is_open = status in OPEN_FORM_STATUSES
    if not is_open:
        state = status
    elif values["due"] < today:
        state = "overdue"
    elif values["due"] <= today + timedelta(days=SOON_DAYS):
        state = "due"
    else:
        state = "later"
    submitted = values["submitted_on"]
    if values["course__end_reason"] == "died":
        course_state = f"Died {values['course__ended_on']:%-d %b %Y}"
    elif values["course__superseded_on"]:
        course_state = "Followed by a later transplant"
    elif values["course__ended_on"]:
        course_state = f"Ended {values['course__ended_on']:%-d %b %Y}"
    else:
        course_state = ""
    return Row(
        code=str(values["code"]),
        key=form.key,
        title=form.title,
        mrn=values["course__patient__mrn"],
        given_name=values["course__patient__given_name"],
        family_name=values["course__patient__family_name"],
        kind=values["course__kind"],
        indication=INDICATIONS.get(values["course__indication"], ""),
        day_zero=day_zero,
        today_label=day_label((today - day_zero).days),
        target=form.target,
        target_label=day_label(form.target_day),
        window=form.window_words(),
        window_open=is_open and form.window_start is not None and rules.in_window(form, today),
        due=form.due,
        state=state,
        status=status,
        status_label=STATUS_LABELS[status],
        submitted_on=submitted,
        on_time=(submitted <= form.due) if submitted else None,
        last_contact_on=values["last_contact_on"],
        course_state=course_state,
        url=links.addresses("course_detail")(values["course__code"]) + "#registry",
    )


def page_rows(values: list[Values], today: date) -> list[Row]:
    return [row_of(v, today) for v in values]


def all_rows(forms: QuerySet[RegistryReport], today: date) -> Iterator[Row]:
    """Every form of the query as a row, read 500 at a time (the CSV)."""
    for values in forms.values(*ROW_FIELDS).iterator(chunk_size=500):
        yield row_of(values, today)
