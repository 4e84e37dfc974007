"""Registry reporting: each transplant course's forms (planned with the course, re-dated with
Day Zero, closed by a death or a later transplant), their status, and the transplant details
the registry asks for. Every write takes the course lock first and is a course event."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from tracker import clock
from tracker.models import EventKind, RegistryReport, TransplantCourse
from tracker.models.choices import (
    OPEN_FORM_STATUSES,
    DonorRelation,
    EndReason,
    FormStatus,
    GraftSource,
    HlaMatch,
    Kind,
)
from tracker.models.events import record
from tracker.rules import registry as rules


def registry_rules() -> rules.RegistryRules:
    rules_: rules.RegistryRules = settings.REGISTRY_RULES
    return rules_


def forms_of(course: TransplantCourse) -> list[rules.RegistryForm]:
    return rules.registry_forms(course.day_zero, registry_rules())


def day_100_window(day_zero: date) -> tuple[date | None, date | None]:
    """The 100-day form's contact window for a Day Zero."""
    form = next(
        form
        for form in rules.registry_forms(day_zero, registry_rules())
        if form.key == rules.DAY_100
    )
    return form.window_start, form.window_end


def plan_registry(course: TransplantCourse) -> list[RegistryReport]:
    """A new transplant course's registry forms (a procedure has none): one INSERT."""
    if not course.is_transplant:
        return []
    return RegistryReport.objects.bulk_create(
        RegistryReport(
            course=course,
            key=form.key,
            position=position,
            target=form.target,
            window_start=form.window_start,
            window_end=form.window_end,
            due=form.due,
        )
        for position, form in enumerate(forms_of(course))
    )


def redate_registry(course: TransplantCourse) -> None:
    """After Day Zero moved (under the course lock): every form's dates follow it."""
    reports = {report.key: report for report in course.registry_reports.all()}
    for form in forms_of(course):
        report = reports.get(form.key)
        if report is not None:
            report.target, report.window_start = form.target, form.window_start
            report.window_end, report.due = form.window_end, form.due
    RegistryReport.objects.bulk_update(
        reports.values(), ["target", "window_start", "window_end", "due"]
    )


def last_contact(course: TransplantCourse) -> date | None:
    """The course's last registry contact: the day before a later transplant's conditioning
    (CLINICAL.md section 4), or a death. Other ends (relapse, transfer, follow-up completed,
    lost) keep the forms due: the registry still expects them (marked not required by hand
    when it agrees)."""
    ends = [course.superseded_on]
    if course.end_reason == EndReason.DIED:
        ends.append(course.ended_on)
    return min((day for day in ends if day is not None), default=None)


def close_registry(course: TransplantCourse, *, by: User) -> None:
    """Under the course lock, after a later transplant, a death, or their undoing: the form
    that reports the last contact takes its date, those after it are not required; what an
    earlier close did and no longer applies is undone. Records what changed."""
    reports = list(course.registry_reports.all())
    if not reports:
        return
    before = {report.pk: (report.status, report.last_contact_on) for report in reports}
    for report in reports:
        if report.closed_by_course:
            report.status, report.closed_by_course = FormStatus.NOT_STARTED, False
        report.last_contact_on = None
    contact = last_contact(course)
    closing = None
    if contact is not None:
        forms = [report.form for report in reports]
        done = [r.key for r in reports if r.status not in OPEN_FORM_STATUSES]
        closing_form = rules.closing_form(forms, contact, done)
        not_required = set(rules.not_required_after(forms, contact, done))
        for report in reports:
            if closing_form is not None and report.key == closing_form.key:
                report.last_contact_on, closing = contact, report
            elif report.key in not_required:
                report.status, report.closed_by_course = FormStatus.NOT_REQUIRED, True
    changed = [r for r in reports if (r.status, r.last_contact_on) != before[r.pk]]
    if not changed:
        return
    RegistryReport.objects.bulk_update(changed, ["status", "closed_by_course", "last_contact_on"])
    record(
        EventKind.REGISTRY_FORMS_CLOSED,
        by=by,
        course=course,
        contact=contact.isoformat() if contact else None,
        form=closing.title if closing else None,
        not_required=sum(1 for r in reports if r.closed_by_course),
    )


def _check_status(report: RegistryReport, status: str, submitted_on: date | None) -> None:
    if status not in FormStatus.values:
        raise ValidationError({"status": "Choose the form's status."})
    if status == FormStatus.SUBMITTED:
        if submitted_on is None:
            raise ValidationError({"submitted_on": "Enter the day the form was submitted."})
        if submitted_on > clock.today():
            raise ValidationError({"submitted_on": "A submission cannot be in the future."})
        if submitted_on < report.course.day_zero:
            raise ValidationError(
                {"submitted_on": f"It comes after Day Zero ({report.course.day_zero:%-d %b %Y})."}
            )
    elif submitted_on is not None:
        raise ValidationError({"submitted_on": "Only a submitted form has a submission date."})


@transaction.atomic
def set_form_status(
    *, report: RegistryReport, status: str, by: User, submitted_on: date | None = None
) -> RegistryReport:
    """A form's status changed by the care team (a second identical change changes nothing)."""
    from tracker.services.courses import lock_course  # it imports this module

    course = lock_course(report.course)
    report = RegistryReport.objects.select_related("course").get(pk=report.pk)
    _check_status(report, status, submitted_on)
    if (report.status, report.submitted_on) == (status, submitted_on):
        return report
    was = report.get_status_display()
    report.status, report.submitted_on = status, submitted_on
    report.closed_by_course = False  # decided by hand from now on
    report.changed_at, report.changed_by = clock.now(), by
    report.save(
        update_fields=["status", "submitted_on", "closed_by_course", "changed_at", "changed_by"]
    )
    record(
        EventKind.REGISTRY_FORM_CHANGED,
        by=by,
        course=course,
        form=report.title,
        was=was,
        status=report.get_status_display(),
        submitted_on=submitted_on.isoformat() if submitted_on else None,
    )
    return report


DETAILS = (
    "indication",
    "disease_status",
    "donor_relation",
    "hla_match",
    "donor_cmv",
    "recipient_cmv",
    "cord_units",
)
DONOR_DETAILS = ("donor_relation", "hla_match", "donor_cmv", "cord_units")
CORD_MATCHES = (HlaMatch.CORD_6, HlaMatch.CORD_5, HlaMatch.CORD_4)


def details_problems(course: TransplantCourse, values: dict[str, Any]) -> dict[str, str]:
    """Why these transplant details do not fit the course (field: message); none when they do."""
    problems: dict[str, str] = {}
    if course.kind != Kind.ALLOGENEIC:
        for name in DONOR_DETAILS:
            if values.get(name) not in ("", None):
                problems[name] = "Donor details are for an allogeneic transplant."
        return problems
    cord = course.graft_source == GraftSource.CORD_BLOOD
    units = values.get("cord_units")
    if units is not None and not cord:
        problems["cord_units"] = "Cord blood units are for a cord blood graft."
    elif units is not None and not 1 <= units <= 2:
        problems["cord_units"] = "One or two cord blood units."
    relation = values.get("donor_relation")
    if relation and (relation == DonorRelation.CORD) != cord:
        problems["donor_relation"] = (
            "The graft is cord blood: the donor is cord blood."
            if cord
            else f"The graft is {course.get_graft_source_display().lower()}, not cord blood."
        )
    match = values.get("hla_match")
    if match and (match in CORD_MATCHES) != cord:
        problems["hla_match"] = (
            "Choose a cord blood match (6/6, 5/6, 4/6)."
            if cord
            else "A cord blood match is for a cord blood graft."
        )
    return problems


@transaction.atomic
def record_registry_details(
    *, course: TransplantCourse, by: User, **values: Any
) -> TransplantCourse:
    """The transplant's indication, disease status and donor, as the registry asks them:
    audited (one event with each field before and after; changing nothing records nothing)."""
    from tracker.services.courses import lock_course  # it imports this module

    course = lock_course(course)
    unknown = set(values) - set(DETAILS)
    if unknown:
        raise ValueError(f"Not transplant details: {sorted(unknown)}")
    problems = details_problems(course, values)
    if problems:
        raise ValidationError(problems)
    before = {name: getattr(course, name) for name in values}
    changed = {name: value for name, value in values.items() if before[name] != value}
    if not changed:
        return course
    for name, value in changed.items():
        setattr(course, name, value)
    course.full_clean(exclude=["created_by", "protocol", "patient"])
    course._history_user = by
    course.save(update_fields=list(changed))
    # By the field's name in words, as the history page reads it.
    shown = {
        str(getattr(TransplantCourse._meta.get_field(name), "verbose_name", name)): [
            _shown(course, name, before[name]),
            _shown(course, name, value),
        ]
        for name, value in changed.items()
    }
    record(EventKind.REGISTRY_DETAILS_CHANGED, by=by, course=course, changes=shown)
    return course


def _shown(course: TransplantCourse, name: str, value: Any) -> str:
    if value in ("", None):
        return "not recorded"
    display = getattr(course, f"get_{name}_display", None)
    if display is None:  # no choices: the number of cord units
        return str(value)
    field = TransplantCourse._meta.get_field(name)
    return str(dict(getattr(field, "choices", None) or []).get(value, value))


def next_form(reports: Sequence[RegistryReport]) -> RegistryReport | None:
    """The course's next registry form to do: the first still open."""
    return next((report for report in reports if report.is_open), None)
