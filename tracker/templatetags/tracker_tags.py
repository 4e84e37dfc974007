"""Template filters (built in, see settings.TEMPLATES): they format, they never compute dates."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.utils import dateformat, translation

from tracker import links
from tracker.models import AcuteGvhdAssessment, Milestone, TransplantCourse
from tracker.rules import schedule

register = template.Library()


@register.filter
def status_on(milestone: Milestone, today: date) -> schedule.Status:
    """`{{ milestone|status_on:today }}`: its status on the day the view passed in."""
    return milestone.status_on(today)


@register.filter
def as_date(value: str | None) -> date | None:
    """An ISO date kept in an event's data, as a date for the `date` filter."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


@register.filter
def day_label_on(course: TransplantCourse, day: date) -> str:
    """`{{ course|day_label_on:today }}`: 'Day +12'."""
    return course.day_label_on(day)


@register.filter
def event_value(value: object) -> str:
    """A value kept in an event's data, as people read it: yes/no, a date, or "—" for none."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        try:
            return f"{date.fromisoformat(value):%-d %b %Y}"
        except ValueError:
            return value
    return str(value)


@register.filter
def minutes(value: timedelta | None) -> str:
    """A wait in words: '15 minutes', '1 minute'; 'a few minutes' when unknown."""
    if not isinstance(value, timedelta):
        return "a few minutes"
    count = max(1, round(value.total_seconds() / 60))
    return f"{count} minute{'s' if count != 1 else ''}"


@register.filter
def with_code(pattern: str, code: object) -> str:
    """`{{ urls.count_edit|with_code:count.code }}`: a row's URL from a pattern reversed once."""
    return links.with_code(pattern, str(code))


@register.filter
def short_date(day: date | None) -> str:
    """'Sun 22 Nov', as `date:"D j M"` writes it: once per date and language, not per row."""
    return _short_date(day, translation.get_language()) if day else ""


@lru_cache(maxsize=1024)
def _short_date(day: date, language: str | None) -> str:
    return dateformat.format(day, "D j M")


GVHD_FIELD_NAMES = {"assessed_on": "date", "bilirubin_unit": "bilirubin unit"}


@register.filter
def gvhd_field(name: str) -> str:
    """An acute GVHD assessment's field as the History page names it: "bilirubin"."""
    if name in GVHD_FIELD_NAMES:
        return GVHD_FIELD_NAMES[name]
    try:
        field = AcuteGvhdAssessment._meta.get_field(name)
    except FieldDoesNotExist:
        return name
    label = str(getattr(field, "verbose_name", name))
    return label[:1].lower() + label[1:]


@register.filter
def tel(number: str) -> str:
    """A phone number as a tel: address: digits and a leading +, nothing else."""
    return re.sub(r"(?!^\+)[^\d]", "", number.strip())


@register.filter
def plain_number(value: Decimal | float | int | str | None) -> str:
    """A count as typed, without the zeros the column adds ("210", not "210.0"; "0.495"
    stays); "" for none."""
    if value is None:
        return ""
    if not isinstance(value, Decimal):
        try:
            value = Decimal(str(value))
        except InvalidOperation:  # not a number (an old event's text): shown as it is
            return str(value)
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
