"""Writes that span models: each in one transaction, each audited row by row."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max, Min
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from tracker import engraftment, roles, schedule
from tracker.models import (
    BloodCount,
    ChecklistItem,
    DayZeroMove,
    Engraftment,
    Milestone,
    Patient,
    Protocol,
    ProtocolStep,
    TransplantCourse,
)

# Change reasons in the history, which the History page reads to group rows.
PLANNED_FROM_PROTOCOL = "Planned from protocol"
DEFAULT_MOVE_REASON = "Day Zero moved"


def _steps(protocol: Protocol) -> dict[str, ProtocolStep]:
    return {step.key: step for step in protocol.steps.all()}


def _create_milestones(
    course: TransplantCourse,
    planned: list[schedule.PlannedMilestone] | tuple[schedule.PlannedMilestone, ...],
    steps: dict[str, ProtocolStep],
    *,
    by,
) -> list[Milestone]:
    milestones = [
        Milestone(
            course=course,
            step=steps[p.key],
            occurrence=p.occurrence,
            due_date=p.due_date,
            window_start=p.window_start,
            window_end=p.window_end,
        )
        for p in planned
    ]
    created = bulk_create_with_history(
        milestones, Milestone, default_user=by, default_change_reason=PLANNED_FROM_PROTOCOL
    )
    # SQLite and PostgreSQL both return primary keys from bulk_create, but bulk_create_with_history
    # may re-read rows; fetch by code to be certain every item points at a saved milestone.
    saved = {m.code: m for m in Milestone.objects.filter(code__in=[m.code for m in created])}
    items = [
        ChecklistItem(milestone=saved[milestone.code], text=text, position=position)
        for milestone in milestones
        for position, text in enumerate(milestone.step.checklist_items)
    ]
    bulk_create_with_history(
        items, ChecklistItem, default_user=by, default_change_reason=PLANNED_FROM_PROTOCOL
    )
    return list(saved.values())


@transaction.atomic
def start_course(
    *,
    patient: Patient,
    protocol: Protocol,
    day_zero: date,
    by,
    graft_source: str = "",
    donor_type: str | None = None,
    is_tandem: bool = False,
) -> TransplantCourse:
    """Start a course from a protocol: the course, its dated milestones and their checklists."""
    # Lock the patient's row so two coordinators cannot take the same sequence number.
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    if patient.courses.filter(protocol=protocol, day_zero=day_zero).exists():
        raise ValidationError(
            {
                "day_zero": "This patient already has a course on this protocol with this "
                "Day Zero. Open it from the patient's page."
            }
        )
    last = patient.courses.aggregate(last=Max("sequence"))["last"] or 0
    course = TransplantCourse(
        patient=patient,
        protocol=protocol,
        kind=protocol.kind,
        graft_source=graft_source or protocol.graft_source,
        donor_type=protocol.donor_type if donor_type is None else donor_type,
        sequence=last + 1,
        is_tandem=is_tandem,
        day_zero=day_zero,
        created_by=by,
    )
    course.full_clean()
    course._history_user = by
    course.save()
    steps = _steps(protocol)
    planned = schedule.plan(day_zero, [step.rule() for step in steps.values()])
    _create_milestones(course, planned, steps, by=by)
    _keep_bookkeeping(course)
    return course


def _keep_bookkeeping(course: TransplantCourse) -> None:
    """Refresh the course's start date and Day-100 milestone after (re-)planning."""
    first = course.milestones.aggregate(first=Min("due_date"))["first"]
    course.starts_on = min(first, course.day_zero) if first else course.day_zero
    course.day_100_milestone = (
        course.milestones.filter(step__is_day_100_evaluation=True).order_by("occurrence").first()
    )
    # Derived bookkeeping, not clinical data: no history row of its own.
    course.skip_history_when_saving = True
    try:
        course.save(update_fields=["starts_on", "day_100_milestone"])
    finally:
        del course.skip_history_when_saving


def _replan(course, day_zero, milestones, steps) -> schedule.Replan:
    return schedule.replan(
        old_day_zero=course.day_zero,
        new_day_zero=day_zero,
        rules=[step.rule() for step in steps.values()],
        existing=[m.existing() for m in milestones],
    )


def preview_day_zero_move(*, course: TransplantCourse, day_zero: date) -> schedule.Replan:
    """What moving Day Zero would do, without changing anything (the move applies the same)."""
    milestones = course.milestones.select_related("step")
    return _replan(course, day_zero, milestones, _steps(course.protocol))


def titled(
    course: TransplantCourse, changes: tuple[schedule.MilestoneChange, ...]
) -> list[tuple[str, schedule.MilestoneChange]]:
    """Pair each change with its milestone's title, for showing it to people."""
    titles = {step.key: step.title for step in course.protocol.steps.all()}
    return [(titles.get(change.existing.key, change.existing.key), change) for change in changes]


@transaction.atomic
def move_day_zero(
    *, course: TransplantCourse, day_zero: date, by, reason: str = ""
) -> schedule.Replan:
    """Move Day Zero and every date that hangs off it; record the move.

    Pending milestones take their new dates. Completed ones keep their completion date and
    show as done out of window where it now falls outside. Nothing is deleted.
    """
    course = TransplantCourse.objects.select_for_update().get(pk=course.pk)
    if day_zero == course.day_zero:
        raise ValidationError({"day_zero": "That is already Day Zero; choose another date."})
    milestones = {(m.step.key, m.occurrence): m for m in course.milestones.select_related("step")}
    steps = _steps(course.protocol)
    result = _replan(course, day_zero, milestones.values(), steps)
    reason_text = reason or DEFAULT_MOVE_REASON
    moved = []
    for change in result.moved:
        milestone = milestones[(change.existing.key, change.existing.occurrence)]
        milestone.due_date = change.due_date
        milestone.window_start = change.window_start
        milestone.window_end = change.window_end
        moved.append(milestone)
    bulk_update_with_history(
        moved,
        Milestone,
        ["due_date", "window_start", "window_end"],
        default_user=by,
        default_change_reason=reason_text,
    )
    if result.added:
        _create_milestones(course, result.added, steps, by=by)
    DayZeroMove.objects.create(
        course=course,
        from_date=course.day_zero,
        to_date=day_zero,
        reason=reason,
        moved_by=by,
        moved_at=timezone.now(),
        # What the coordinator was shown: planned dates (done ones keep their real date).
        milestones_moved=len(result.pending_moved),
    )
    course.day_zero = day_zero
    # A moved infusion has not happened yet on its new day unless someone confirms it again.
    course.day_zero_confirmed = False
    course._history_user = by
    course._change_reason = reason_text
    course.save(update_fields=["day_zero", "day_zero_confirmed"])
    _keep_bookkeeping(course)
    return result


def _free_username(patient: Patient) -> str:
    """'patient-<mrn>', or with a number after it when that login exists already (unlinked)."""
    users = get_user_model().objects
    base = f"patient-{patient.mrn.lower()}"
    username, number = base, 1
    while users.filter(username=username).exists():
        number += 1
        username = f"{base}-{number}"
    return username


@transaction.atomic
def invite_patient(*, patient: Patient, email: str, by, build_url) -> str:
    """Give a patient a portal login (once) and return a one-time link to set its password.

    `build_url` turns a path into an absolute address (request.build_absolute_uri). The link
    stops working once the password is set. It is e-mailed when an address is given.
    """
    user = patient.user
    if user is None:
        user = get_user_model()(username=_free_username(patient), email=email)
        user.first_name, user.last_name = patient.given_name, patient.family_name
        user.set_unusable_password()
        user.full_clean()
        user.save()
        user.groups.add(Group.objects.get(name=roles.PATIENT))
        patient.user = user
        patient._history_user = by
        patient.save(update_fields=["user"])
    elif email and email != user.email:
        user.email = email
        user.save(update_fields=["email"])
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    link = build_url(path)
    if user.email:
        send_mail(
            subject="Your transplant calendar: set your password",
            message=(
                f"Hello {patient.given_name},\n\nYour transplant team has invited you to see "
                f"your transplant calendar online. Open this link to choose a password:\n\n"
                f"{link}\n\nYour username is {user.get_username()}. The link works once.\n"
            ),
            from_email=None,
            recipient_list=[user.email],
        )
    return link


@dataclass(frozen=True)
class EngraftmentStatus:
    """What a course's blood counts show, with the rules' reasons."""

    neutrophils: engraftment.Result
    platelets_20: engraftment.Result
    platelets_50: engraftment.Result
    graft_failure_alert: bool
    applies: bool  # False for a protocol without engraftment (a same-day procedure)


def engraftment_status(
    course: TransplantCourse, counts: list[BloodCount], *, today: date
) -> EngraftmentStatus:
    """Apply the CIBMTR rules to the course's counts (fetched by the caller, in any order)."""
    anc = [(c.drawn_on, c.anc) for c in counts if c.anc is not None]
    platelets = [(c.drawn_on, c.platelets) for c in counts if c.platelets is not None]
    transfusions = [c.drawn_on for c in counts if c.platelet_transfusion]

    def platelets_at(threshold: int) -> engraftment.Result:
        return engraftment.platelet_engraftment(
            platelets, transfusions=transfusions, threshold=threshold, day_zero=course.day_zero
        )

    neutrophils = engraftment.neutrophil_engraftment(anc, day_zero=course.day_zero)
    failure_day = course.protocol.graft_failure_day
    return EngraftmentStatus(
        neutrophils=neutrophils,
        platelets_20=platelets_at(20),
        platelets_50=platelets_at(50),
        graft_failure_alert=engraftment.graft_failure_alert(
            neutrophils, day_zero=course.day_zero, today=today, failure_day=failure_day
        ),
        applies=failure_day is not None,
    )


def apply_engraftment(*, course: TransplantCourse, by, today: date) -> list[Milestone]:
    """Complete (or reopen) the engraftment milestones the counts decide; return those changed.

    A milestone completed by hand is left alone; one completed from the counts follows them:
    it takes the engraftment date, moves with a correction, and reopens when the rule no
    longer holds.
    """
    status = engraftment_status(course, list(course.blood_counts.all()), today=today)
    results = {
        Engraftment.NEUTROPHIL: status.neutrophils,
        Engraftment.PLATELET: status.platelets_20,
    }
    changed = []
    milestones = course.milestones.select_related("step", "completed_by").exclude(
        step__engraftment=""
    )
    for milestone in milestones:
        result = results[milestone.step.engraftment]
        if milestone.is_done and not milestone.computed:
            continue
        if result.engrafted and milestone.completed_on != result.date:
            milestone.complete_from_counts(by=by, on=result.date)
            changed.append(milestone)
        elif not result.engrafted and milestone.is_done:
            milestone.reopen(by=by)
            changed.append(milestone)
    return changed


@transaction.atomic
def record_counts(
    *, course: TransplantCourse, rows: list[dict], by, today: date
) -> list[Milestone]:
    """Save validated count rows (drawn_on, anc, platelets, platelet_transfusion) all at once."""
    counts = [BloodCount(course=course, entered_by=by, **row) for row in rows]
    bulk_create_with_history(counts, BloodCount, default_user=by)
    return apply_engraftment(course=course, by=by, today=today)


@transaction.atomic
def correct_count(*, count: BloodCount, values: dict, by, today: date) -> list[Milestone]:
    for field, value in values.items():
        setattr(count, field, value)
    count._history_user = by
    count.save(update_fields=list(values))
    return apply_engraftment(course=count.course, by=by, today=today)


@transaction.atomic
def delete_count(*, count: BloodCount, by, today: date) -> list[Milestone]:
    course = count.course
    count._history_user = by
    count.delete()
    return apply_engraftment(course=course, by=by, today=today)
