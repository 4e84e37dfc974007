"""Starting a course from a protocol, moving and confirming Day Zero."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max, Q

from tracker import clock
from tracker.models import (
    ChecklistItem,
    DayZeroMove,
    EventKind,
    Infusion,
    Milestone,
    Patient,
    Protocol,
    ProtocolStep,
    TransplantCourse,
    centre_details,
)
from tracker.models.choices import (
    CLOSED_HOLDS,
    EndReason,
    FollowReason,
    GraftSource,
    Hold,
    InfusionKind,
    Kind,
)
from tracker.models.courses import PLAN_BOOKKEEPING
from tracker.models.events import record
from tracker.rules import schedule
from tracker.services import registry, reminders
from tracker.services.patients import refuse_after_death

# The field-level history's change reasons (django-simple-history).
PLANNED_FROM_PROTOCOL = "Planned from protocol"
DEFAULT_MOVE_REASON = "Day Zero moved"


def lock_course(course: TransplantCourse) -> TransplantCourse:
    """The course row, locked for this transaction: every write to a course takes it first.

    Only the course's own row is locked (`of`), in one order everywhere: the course, then what
    hangs off it; so two writers to one course wait for each other and never deadlock.
    """
    return (
        TransplantCourse.objects.select_for_update(of=("self",))
        .select_related("patient", "protocol")
        .get(pk=course.pk)
    )


def _steps(protocol: Protocol, course: TransplantCourse | None = None) -> dict[str, ProtocolStep]:
    """The protocol's steps a new course plans; with a course, also the retired steps it
    still has milestones of (they keep following Day Zero; no new ones are added)."""
    kept = Q(retired=False)
    if course is not None:
        kept |= Q(milestones__course=course)
    return {step.key: step for step in protocol.steps.filter(kept).distinct()}


def _create_milestones(
    course: TransplantCourse,
    planned: Sequence[schedule.PlannedMilestone],
    steps: dict[str, ProtocolStep],
    *,
    by: User,
) -> tuple[list[Milestone], int]:
    """The milestones and their checklist items; returns the milestones and the item count.

    Four INSERTs whatever the number of milestones: the milestones, their history rows, the
    items, theirs. SQLite (3.35 and later, see tracker.db.sqlite3) and PostgreSQL return the
    new primary keys from bulk_create, so nothing is read back.
    """
    milestones = [
        Milestone(
            course=course,
            step=steps[p.key],
            occurrence=p.occurrence,
            due_date=p.due_date,
            window_start=p.window_start,
            window_end=p.window_end,
            moved_from=p.moved_from,
        )
        for p in planned
    ]
    # The same objects, now with their primary keys.
    created = Milestone.objects.bulk_create(milestones)
    texts = {key: step.checklist_items for key, step in steps.items()}
    items = [
        ChecklistItem(milestone=milestone, text=text, position=position)
        for milestone, p in zip(created, planned, strict=True)
        for position, text in enumerate(texts[p.key])
    ]
    ChecklistItem.objects.bulk_create(items)
    ids = [milestone.pk for milestone in created]
    copy_into_history(Milestone, "id", ids, by=by, reason=PLANNED_FROM_PROTOCOL)
    copy_into_history(ChecklistItem, "milestone_id", ids, by=by, reason=PLANNED_FROM_PROTOCOL)
    return created, len(items)


def copy_into_history(
    model: type[Milestone] | type[ChecklistItem],
    column: str,
    values: Sequence[int],
    *,
    by: User,
    reason: str,
) -> None:
    """The history rows ("created") of rows just inserted, copied by the database itself.

    django-simple-history's bulk_history_create builds a history object per row in Python
    (about 70 ms for the 1,200 rows of a 300-milestone course); this INSERT ... SELECT writes
    the same rows (every tracked column, when, who, why) in one statement.
    """
    if not values:
        return
    history = model.history.model
    tracked = [
        field.column
        for field in history._meta.concrete_fields
        if not field.name.startswith("history_")
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(name) for name in tracked)
    marks = ", ".join(["%s"] * len(values))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(history._meta.db_table)} ({columns}, history_date, "
            f"history_change_reason, history_type, history_user_id) "
            f"SELECT {columns}, %s, %s, '+', %s FROM {quote(model._meta.db_table)} "
            f"WHERE {quote(column)} IN ({marks})",
            [connection.ops.adapt_datetimefield_value(clock.now()), reason, by.pk, *values],
        )


@transaction.atomic
def start_course(
    *,
    patient: Patient,
    protocol: Protocol,
    day_zero: date,
    by: User,
    graft_source: str = "",
    donor_type: str | None = None,
    is_tandem: bool = False,
    follows: TransplantCourse | None = None,
    reason: str = "",
) -> TransplantCourse:
    """Start a course from a protocol: the course, its dated milestones and their checklists.

    A subsequent transplant `follows` an earlier course of the patient, for a `reason`
    (FollowReason: tandem, relapse, graft_failure, other): the earlier course's plan closes
    from the new conditioning on (`_supersede`)."""
    # Lock the patient's row so two coordinators cannot take the same sequence number.
    lock_patient(patient.pk)
    refuse_after_death(patient, "given a new course")
    if follows is not None:
        follows = _followed(patient, follows, protocol, day_zero, reason)
        is_tandem = is_tandem or reason == FollowReason.TANDEM
    elif reason:
        raise ValidationError("A reason is given for a transplant that follows another.")
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
        follows=follows,
        follow_reason=reason if follows is not None else "",
        day_zero=day_zero,
        created_by=by,
    )
    course.full_clean()
    course._history_user = by
    course.save()
    steps = _steps(protocol)
    planned = schedule.plan(
        day_zero, [step.rule() for step in steps.values()], centre_details().clinic
    )
    milestones, items = _create_milestones(course, planned, steps, by=by)
    _keep_bookkeeping(course, milestones)
    registry.plan_registry(course)
    record(
        EventKind.COURSE_STARTED,
        by=by,
        course=course,
        protocol=protocol.name,
        day_zero=day_zero.isoformat(),
        milestones=len(milestones),
        items=items,
        **_follows_data(follows, reason),
    )
    from tracker.services.immunity import replan_immune_recovery  # it imports this module

    replan_immune_recovery(course, by=by, why="Course started", milestones=milestones, quiet=True)
    if follows is not None:
        _check_order(follows, course)
        _supersede(follows, course, by=by)
    return course


def _check_order(earlier: TransplantCourse, course: TransplantCourse) -> None:
    """A subsequent transplant's plan (its conditioning) starts after the earlier Day Zero."""
    if course.start_date <= earlier.day_zero:
        raise ValidationError(
            {
                "day_zero": f"This plan would start on {course.start_date:%-d %b %Y}, not after "
                f"the earlier transplant's Day Zero ({earlier.day_zero:%-d %b %Y}): choose a "
                "later Day Zero."
            }
        )


def _follows_data(follows: TransplantCourse | None, reason: str) -> dict[str, Any]:
    """What the start event says of the transplant a course follows."""
    if follows is None:
        return {}
    return {
        "follows": str(follows.code),
        "follows_day_zero": follows.day_zero.isoformat(),
        "reason": FollowReason(reason).label.lower(),
    }


def _followed(
    patient: Patient, earlier: TransplantCourse, protocol: Protocol, day_zero: date, reason: str
) -> TransplantCourse:
    """The earlier course a subsequent transplant follows, locked, once checked."""
    earlier = lock_course(earlier)
    if earlier.patient_id != patient.pk:
        raise ValidationError("A transplant follows a course of the same patient.")
    if not earlier.is_transplant or protocol.kind == Kind.PROCEDURE:
        raise ValidationError("Only a transplant follows a transplant.")
    if reason not in FollowReason.values:
        raise ValidationError({"reason": "Choose why this transplant follows the earlier one."})
    if earlier.superseded_on is not None:
        raise ValidationError(
            "A later transplant already follows that course: start this one from the latest."
        )
    if earlier.day_zero > clock.today():
        raise ValidationError(
            f"The earlier transplant's Day Zero ({earlier.day_zero:%-d %b %Y}) has not come "
            "yet: to change its plan, move its Day Zero instead."
        )
    if day_zero <= earlier.day_zero:
        raise ValidationError(
            {
                "day_zero": f"A subsequent transplant comes after the earlier one's Day Zero "
                f"({earlier.day_zero:%-d %b %Y})."
            }
        )
    return earlier


def _supersede(earlier: TransplantCourse, course: TransplantCourse, *, by: User) -> None:
    """The earlier course's plan stops where the new conditioning starts (the new Day Zero
    when there is none): its milestones not done from then on close as superseded (kept,
    never overdue, shown to nobody as to come), and the day before is its registry contact
    date (CLINICAL.md sections 4 and 9).

    Called again when the later Day Zero moves: what the earlier cut-off closed before the new
    one is planned again, what falls after the new one closes."""
    starts = course.start_date
    contact = starts - timedelta(days=1)
    if earlier.superseded_on == contact:
        return
    note = (
        f"Superseded by the {course.sequence_label.split(' (')[0]} "
        f"(conditioning from {starts:%-d %b %Y})."
    )
    reopened = list(earlier.milestones.filter(hold=Hold.SUPERSEDED, due_date__lt=starts))
    for milestone in reopened:
        milestone.hold, milestone.plan_note = Hold.NONE, ""
    closed = list(
        earlier.milestones.filter(completed_on__isnull=True, due_date__gte=starts).exclude(
            hold__in=CLOSED_HOLDS
        )
    )
    for milestone in closed:
        milestone.hold, milestone.plan_note = Hold.SUPERSEDED, note
    Milestone.objects.bulk_update([*reopened, *closed], ["hold", "plan_note"])
    Milestone.history.bulk_history_create(
        [*reopened, *closed], update=True, default_user=by, default_change_reason=note
    )
    was = earlier.superseded_on
    earlier.superseded_on = contact
    save_bookkeeping(earlier, ["superseded_on"])
    registry.close_registry(earlier, by=by)
    reminders.cancel_stale(earlier)
    record(
        EventKind.COURSE_SUPERSEDED,
        by=by,
        course=earlier,
        by_course=str(course.code),
        protocol=course.protocol.name,
        day_zero=course.day_zero.isoformat(),
        reason=course.get_follow_reason_display().lower(),
        closed=len(closed),
        reopened=len(reopened),
        contact_date=contact.isoformat(),
        was_contact_date=was.isoformat() if was else None,
    )
    if reopened:
        from tracker.services.immunity import replan_immune_recovery  # it imports this module

        replan_immune_recovery(earlier, by=by, why="The later transplant's Day Zero moved")


def _keep_bookkeeping(course: TransplantCourse, milestones: Sequence[Milestone]) -> None:
    """Refresh the course's start date and Day-100 milestone after (re-)planning.

    `milestones` are all of the course's milestones, with their steps, as the service that
    (re-)planned holds them: one UPDATE, no query to find them again.
    """
    course.starts_on = min([course.day_zero, *(m.due_date for m in milestones)])
    course.day_100_milestone = min(
        (m for m in milestones if m.step.is_day_100_evaluation),
        key=lambda m: m.occurrence,
        default=None,
    )
    day_100 = course.day_100_milestone
    # The Day-100 window is the registry's (Day 85 to 115 unless the centre says otherwise),
    # so the follow-up list and the registry worklist say the same.
    window = registry.day_100_window(course.day_zero) if day_100 else (None, None)
    course.day_100_due = day_100.due_date if day_100 else None
    course.day_100_window_start, course.day_100_window_end = window
    course.day_100_done_on = day_100.completed_on if day_100 else None
    save_bookkeeping(course, PLAN_BOOKKEEPING)


def keep_day_100_done(course: TransplantCourse, milestone: Milestone) -> None:
    """Copy the Day-100 milestone's completion to its (locked) course after it changed."""
    if milestone.pk == course.day_100_milestone_id:
        course.day_100_done_on = milestone.completed_on
        save_bookkeeping(course, ["day_100_done_on"])


def save_bookkeeping(course: TransplantCourse, fields: list[str]) -> None:
    # Derived bookkeeping, not clinical data: no history row of its own.
    course.skip_history_when_saving = True  # type: ignore[attr-defined]
    try:
        course.save(update_fields=fields)
    finally:
        del course.skip_history_when_saving  # type: ignore[attr-defined]


def _replan(
    course: TransplantCourse,
    day_zero: date,
    milestones: Iterable[Milestone],
    steps: dict[str, ProtocolStep],
) -> schedule.Replan:
    return schedule.replan(
        old_day_zero=course.day_zero,
        new_day_zero=day_zero,
        rules=[step.rule() for step in steps.values()],
        existing=[m.existing() for m in milestones],
        clinic=centre_details().clinic,
    )


def preview_day_zero_move(*, course: TransplantCourse, day_zero: date) -> schedule.Replan:
    """What moving Day Zero would do, without changing anything (the move applies the same)."""
    milestones = course.milestones.select_related("step")
    return _replan(course, day_zero, milestones, _steps(course.protocol, course))


def titled(
    course: TransplantCourse, changes: tuple[schedule.MilestoneChange, ...]
) -> list[tuple[str, schedule.MilestoneChange]]:
    """Pair each change with its milestone's title, for showing it to people."""
    titles = {step.key: step.title for step in course.protocol.steps.all()}
    return [(titles.get(change.existing.key, change.existing.key), change) for change in changes]


def save_dates(milestones: Sequence[Milestone]) -> None:
    """Save the milestones' due dates, windows and the day a clinic visit moved from (a closed
    day) in one UPDATE joined to a list of values.

    Django's bulk_update builds a CASE with one WHEN per milestone and date, and takes about
    200 ms to build the 900 of a 300-milestone course; this statement costs nothing to build.
    UPDATE ... FROM needs SQLite 3.33 (tracker.db.sqlite3 asks for 3.35) or PostgreSQL.
    """
    if not milestones:
        return
    adapt = connection.ops.adapt_datefield_value
    # PostgreSQL reads an untyped value in a VALUES list as text: say these are dates.
    day = "%s::date" if connection.vendor == "postgresql" else "%s"
    values = ", ".join([f"(%s, {day}, {day}, {day}, {day})"] * len(milestones))
    params = [
        value
        for m in milestones
        for value in (
            m.pk,
            adapt(m.due_date),
            adapt(m.window_start),
            adapt(m.window_end),
            adapt(m.moved_from),
        )
    ]
    table = connection.ops.quote_name(Milestone._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET due_date = planned.column2, window_start = planned.column3, "
            f"window_end = planned.column4, moved_from = planned.column5 "
            f"FROM (VALUES {values}) AS planned "
            f"WHERE {table}.id = planned.column1",
            params,
        )


class StaleDayZero(ValidationError):
    """Day Zero moved since the screen that asked for this move was drawn."""

    def __init__(self, current: date) -> None:
        super().__init__(
            f"Day Zero was moved to {current:%-d %b %Y} in the meantime; nothing was changed."
        )
        self.current = current


@transaction.atomic
def move_day_zero(
    *,
    course: TransplantCourse,
    day_zero: date,
    by: User,
    reason: str = "",
    expected_day_zero: date | None = None,
    confirm_infusion: bool = False,
) -> schedule.Replan:
    """Move Day Zero and every date that hangs off it; record the move.

    Pending milestones take their new dates. Completed ones keep their completion date and
    show as done out of window where it now falls outside. Nothing is deleted. With
    `confirm_infusion` (the cells were given on the new Day Zero), the infusion is confirmed
    in the same transaction.
    """
    # The patient first (a later transplant also writes to the earlier course), then the course.
    lock_patient(course.patient_id)
    course = lock_course(course)
    if expected_day_zero is not None and course.day_zero != expected_day_zero:
        raise StaleDayZero(course.day_zero)
    if day_zero == course.day_zero:
        raise ValidationError({"day_zero": "That is already Day Zero; choose another date."})
    earlier = lock_course(course.follows) if course.follows is not None else None
    problems = move_problems(course, day_zero, earlier=earlier)
    if problems:
        raise ValidationError(problems)
    milestones = {(m.step.key, m.occurrence): m for m in course.milestones.select_related("step")}
    steps = _steps(course.protocol, course)
    result = _replan(course, day_zero, milestones.values(), steps)
    reason_text = reason or DEFAULT_MOVE_REASON
    moved = []
    for change in result.moved:
        milestone = milestones[(change.existing.key, change.existing.occurrence)]
        milestone.due_date = change.due_date
        milestone.window_start = change.window_start
        milestone.window_end = change.window_end
        milestone.moved_from = change.moved_from
        moved.append(milestone)
    save_dates(moved)
    Milestone.history.bulk_history_create(
        moved, update=True, default_user=by, default_change_reason=reason_text
    )
    added: list[Milestone] = []
    added_items = 0
    if result.added:
        added, added_items = _create_milestones(course, result.added, steps, by=by)
    # What the coordinator was shown: planned dates (done ones keep their real date).
    planned_moved = len(result.pending_moved)
    DayZeroMove.objects.create(
        course=course,
        from_date=course.day_zero,
        to_date=day_zero,
        reason=reason,
        moved_by=by,
        moved_at=clock.now(),
        milestones_moved=planned_moved,
    )
    was_confirmed = course.day_zero_confirmed
    record(
        EventKind.DAY_ZERO_MOVED,
        by=by,
        course=course,
        from_date=course.day_zero.isoformat(),
        to_date=day_zero.isoformat(),
        reason=reason,
        planned_moved=planned_moved,
        added=len(added),
        added_items=added_items,
        unconfirmed=was_confirmed,
    )
    course.day_zero = day_zero
    # A moved infusion has not happened yet on its new day unless someone confirms it again.
    course.day_zero_confirmed = False
    course._history_user = by
    course._change_reason = reason_text  # type: ignore[attr-defined]
    course.save(update_fields=["day_zero", "day_zero_confirmed"])
    # Vaccine doses follow the doses given, live vaccines their gates, drugs their rules.
    from tracker.services.immunity import replan_immune_recovery  # it imports this module

    replan_immune_recovery(
        course, by=by, why="Day Zero moved", milestones=[*milestones.values(), *added]
    )
    _keep_bookkeeping(course, [*milestones.values(), *added])
    registry.redate_registry(course)
    reminders.cancel_stale(course)
    if earlier is not None:
        _check_order(earlier, course)
        _supersede(earlier, course, by=by)
    if confirm_infusion:
        confirm_day_zero(course=course, by=by, today=clock.today(), given_on=day_zero)
    return result


def not_movable(course: TransplantCourse) -> str:
    """Why this course's Day Zero cannot move ("" when it can): Day Zero moves on an open
    course only; an ended one is reopened first, and a superseded one's plan is closed."""
    if course.ended_on is not None:
        return (
            f"This course ended on {course.ended_on:%-d %b %Y}: reopen it before moving Day Zero."
        )
    if course.superseded_on is not None:
        return (
            "A later transplant follows this course and its plan is closed: its Day Zero no "
            "longer moves."
        )
    return ""


def move_problems(
    course: TransplantCourse, day_zero: date, *, earlier: TransplantCourse | None = None
) -> dict[str, str]:
    """Why Day Zero cannot move to that date (field: message); none when it can. A later
    transplant stays after the one it follows: its plan (conditioning) starts after that Day
    Zero (the service checks the plan it made again)."""
    closed = not_movable(course)
    if closed:
        return {"day_zero": closed}
    earlier = earlier or course.follows
    if earlier is None:
        return {}
    starts = day_zero - (course.day_zero - course.start_date)
    if starts <= earlier.day_zero:
        return {
            "day_zero": f"This transplant follows the one of {earlier.day_zero:%-d %b %Y}: its "
            f"plan would start on {starts:%-d %b %Y}, not after. Choose a later Day Zero."
        }
    return {}


def lock_patient(patient_id: int) -> None:
    """The patient's row, locked first by what writes to several of the patient's courses.

    FOR NO KEY UPDATE: two such writers wait for each other, while a writer to one course
    (its course lock held) still inserts rows that point at the patient (their foreign key
    check takes a KEY SHARE lock, which FOR UPDATE would block: a deadlock)."""
    Patient.objects.select_for_update(no_key=True).filter(pk=patient_id).first()


@transaction.atomic
def confirm_day_zero(
    *, course: TransplantCourse, by: User, today: date, given_on: date | None = None
) -> None:
    """Record that the cells were given on Day Zero (once; a second click changes nothing),
    and complete the course's infusion milestone (its first step on Day 0) with that date.
    Cells given on another day move Day Zero first (`move_day_zero`, previewed): confirming
    another date is refused."""
    course = lock_course(course)
    if given_on is not None and given_on != course.day_zero:
        raise ValidationError(
            {
                "given_on": f"Day Zero is {course.day_zero:%-d %b %Y}: cells given on another day "
                "move Day Zero first."
            }
        )
    if course.day_zero_confirmed:
        return
    course.confirm_day_zero(by=by, today=today)
    record(EventKind.DAY_ZERO_CONFIRMED, by=by, course=course, day_zero=course.day_zero.isoformat())
    infusion = infusion_milestone(course)
    if infusion is not None and not infusion.is_done:
        from tracker.services.milestones import mark_done  # it imports this module

        mark_done(
            course, infusion, on=course.day_zero, by=by, today=today, reason="infusion confirmed"
        )


def infusion_milestone(course: TransplantCourse) -> Milestone | None:
    """The course's infusion milestone: its first step on Day 0 that does not repeat."""
    return (
        course.milestones.select_related("step")
        .filter(step__day=0, step__repeat_every_days__isnull=True)
        .order_by("step__position", "pk")
        .first()
    )


# What the patient's page says of an ended course (never a date to come).
END_WORDS = {
    EndReason.RELAPSE: "Your transplant team will talk with you about what comes next.",
    EndReason.TRANSFERRED: "Your care has moved to another hospital. They will plan your "
    "follow-up with you.",
    EndReason.COMPLETED: "You have completed your follow-up with us. Your own doctor looks "
    "after you now; contact us if you need us.",
    EndReason.LOST: "We have not been able to reach you. Please contact your transplant team.",
}


def end_problems(course: TransplantCourse, reason: str, on: date, note: str) -> dict[str, str]:
    """Why this course cannot end so (field: message); none when it can. The form's preview
    and the service ask the same."""
    if course.ended_on is not None:
        return {"on": f"This course ended on {course.ended_on:%-d %b %Y}."}
    if reason not in EndReason.values:
        return {"reason": "Choose why the course ended."}
    if on > clock.today():
        return {"on": "A course cannot end in the future."}
    if reason == EndReason.DIED:
        done = (
            Milestone.objects.filter(course__patient=course.patient_id, completed_on__gt=on)
            .order_by("-completed_on")
            .values_list("completed_on", flat=True)
            .first()
        )
        if done is not None:
            return {"on": f"Something was recorded as done on {done:%-d %b %Y}, after that date."}
        return {}  # a death also ends a course whose plan had not started
    if on < course.start_date:
        return {"on": f"The course starts on {course.start_date:%-d %b %Y}: it cannot end before."}
    if reason == EndReason.COMPLETED and not note.strip():
        last = closing(course, on).order_by("-due_date").values_list("due_date", flat=True).first()
        if last is not None:
            return {
                "note": f"The plan goes on to {last:%-d %b %Y}: say why follow-up is completed "
                "before it ends."
            }
    return {}


def closing(course: TransplantCourse, on: date) -> Any:
    """The course's milestones an end on that date closes: not done, not closed, due after."""
    return course.milestones.filter(completed_on__isnull=True, due_date__gt=on).exclude(
        hold__in=CLOSED_HOLDS
    )


def ended_together(course: TransplantCourse) -> list[TransplantCourse]:
    """The patient's other courses a death on this course ends too (those still open)."""
    return list(
        TransplantCourse.objects.filter(patient=course.patient_id, ended_on__isnull=True)
        .exclude(pk=course.pk)
        .order_by("pk")
    )


@transaction.atomic
def end_course(
    *, course: TransplantCourse, reason: str, on: date, by: User, note: str = ""
) -> TransplantCourse:
    """The course ended on a date: its milestones not done after it close as "course
    ended" (kept, never overdue), it leaves the lists and the patient's page and feed. A death
    ends every course of the patient (a planned later one too) and closes the patient's
    portal login and calendar feed."""
    lock_patient(course.patient_id)
    course = lock_course(course)
    problems = end_problems(course, reason, on, note)
    if problems:
        raise ValidationError(problems)
    courses = [course]
    if reason == EndReason.DIED:
        courses += [lock_course(other) for other in ended_together(course)]
    for ending in courses:
        _end(ending, reason=reason, on=on, by=by, note=note, with_course=course)
    if reason == EndReason.DIED:
        patient = course.patient
        patient.revoke_feed_token()
        if patient.user is not None and patient.user.is_active:
            patient.user.is_active = False
            patient.user.save(update_fields=["is_active"])
    return course


def _end(
    course: TransplantCourse,
    *,
    reason: str,
    on: date,
    by: User,
    note: str,
    with_course: TransplantCourse,
) -> None:
    words = EndReason(reason).label
    closed = list(closing(course, on))
    for milestone in closed:
        milestone.hold = Hold.ENDED
        milestone.plan_note = f"Course ended on {on:%-d %b %Y}: {words.lower()}."
    Milestone.objects.bulk_update(closed, ["hold", "plan_note"])
    Milestone.history.bulk_history_create(
        closed, update=True, default_user=by, default_change_reason="Course ended"
    )
    course.ended_on, course.end_reason, course.end_note = on, reason, note.strip()
    course._history_user = by
    course.save(update_fields=["ended_on", "end_reason", "end_note"])
    registry.close_registry(course, by=by)
    reminders.cancel_stale(course)
    record(
        EventKind.COURSE_ENDED,
        by=by,
        course=course,
        on=on.isoformat(),
        reason=words,
        note=course.end_note,
        closed=len(closed),
        with_course=None if with_course == course else with_course.sequence_label,
    )


@transaction.atomic
def reopen_course(*, course: TransplantCourse, by: User, reason: str) -> TransplantCourse:
    """An end recorded in error, or follow-up resumed: the course is open again and its
    milestones the end closed are planned again. A death recorded in error reopens every
    course it ended and the portal login it closed (the calendar feed stays off until it is
    turned on again: its old address is gone)."""
    lock_patient(course.patient_id)
    course = lock_course(course)
    if course.ended_on is None:
        raise ValidationError("This course has not ended.")
    if not reason.strip():
        raise ValidationError({"reason": "Say why the course is reopened; it is kept."})
    courses = [course]
    died = course.end_reason == EndReason.DIED
    if died:
        others = TransplantCourse.objects.filter(
            patient=course.patient_id, end_reason=EndReason.DIED
        ).exclude(pk=course.pk)
        courses += [lock_course(other) for other in others.order_by("pk")]
    for reopening in courses:
        _reopen(reopening, by=by, reason=reason.strip())
    user = course.patient.user
    if died and user is not None and not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return course


def _reopen(course: TransplantCourse, *, by: User, reason: str) -> None:
    reopened = list(course.milestones.filter(completed_on__isnull=True, hold=Hold.ENDED))
    for milestone in reopened:
        milestone.hold, milestone.plan_note = Hold.NONE, ""
    Milestone.objects.bulk_update(reopened, ["hold", "plan_note"])
    Milestone.history.bulk_history_create(
        reopened, update=True, default_user=by, default_change_reason="Course reopened"
    )
    was = (course.ended_on, course.get_end_reason_display())
    course.ended_on, course.end_reason, course.end_note = None, "", ""
    course._history_user = by
    course.save(update_fields=["ended_on", "end_reason", "end_note"])
    registry.close_registry(course, by=by)
    record(
        EventKind.COURSE_REOPENED,
        by=by,
        course=course,
        ended_on=was[0].isoformat() if was[0] else None,
        ended_because=was[1],
        reason=reason,
        reopened=len(reopened),
    )
    from tracker.services.immunity import replan_immune_recovery  # it imports this module

    replan_immune_recovery(course, by=by, why="Course reopened")


def _infusion_data(infusion: Infusion, course: TransplantCourse) -> dict[str, Any]:
    return {
        "infusion": str(infusion.code),
        "what": infusion.get_kind_display(),
        "given_on": infusion.given_on.isoformat(),
        "day": course.day_label_on(infusion.given_on),
        "note": infusion.note,
    }


@transaction.atomic
def record_infusion(
    *, course: TransplantCourse, kind: str, given_on: date, by: User, note: str = ""
) -> Infusion:
    """Cells given after Day Zero that are no new course (autologous rescue, donor lymphocyte
    infusion, boost, second cord unit, second infusion day): Day Zero stays; nothing
    re-plans (CLINICAL.md section 9)."""
    course = lock_course(course)
    if not course.is_transplant:
        raise ValidationError("Infusions are recorded on transplant courses.")
    if kind not in InfusionKind.values:
        raise ValidationError({"kind": "Choose what was given."})
    if given_on > clock.today():
        raise ValidationError({"given_on": "An infusion cannot be recorded in the future."})
    if kind == InfusionKind.SECOND_INFUSION_DAY:
        if given_on != course.day_zero + timedelta(days=1):
            raise ValidationError(
                {
                    "given_on": "The second day of a two-day infusion is Day +1 "
                    f"({course.day_zero + timedelta(days=1):%-d %b %Y})."
                }
            )
    elif given_on <= course.day_zero:
        raise ValidationError(
            {"given_on": f"It comes after Day Zero ({course.day_zero:%-d %b %Y})."}
        )
    if (
        kind in (InfusionKind.DLI, InfusionKind.ADDITIONAL_CORD_UNIT)
        and course.kind != Kind.ALLOGENEIC
    ):
        raise ValidationError({"kind": "Donor cells are given after an allogeneic transplant."})
    if kind == InfusionKind.ADDITIONAL_CORD_UNIT and course.graft_source != GraftSource.CORD_BLOOD:
        raise ValidationError(
            {"kind": f"This graft is {course.get_graft_source_display().lower()}, not cord blood."}
        )
    last = course.ended_on or course.superseded_on
    if last is not None and given_on > last:
        where = "it ended" if course.ended_on else "the later transplant's plan took over"
        raise ValidationError(
            {"given_on": f"This course's plan closed on {last:%-d %b %Y} ({where})."}
        )
    if course.infusions.filter(kind=kind, given_on=given_on).exists():
        raise ValidationError(
            {"given_on": f"{InfusionKind(kind).label} on {given_on:%-d %b %Y} is already recorded."}
        )
    infusion = Infusion(
        course=course, kind=kind, given_on=given_on, note=note.strip(), entered_by=by
    )
    infusion.full_clean()
    infusion._history_user = by  # type: ignore[attr-defined]
    infusion.save()
    record(EventKind.INFUSION_ADDED, by=by, course=course, **_infusion_data(infusion, course))
    return infusion


@transaction.atomic
def delete_infusion(*, infusion: Infusion, by: User) -> None:
    """Delete an infusion recorded in error (a second delete changes nothing)."""
    course = lock_course(infusion.course)
    fresh = Infusion.objects.filter(pk=infusion.pk).first()
    if fresh is None:
        return
    record(EventKind.INFUSION_DELETED, by=by, course=course, **_infusion_data(fresh, course))
    fresh._history_user = by  # type: ignore[attr-defined]
    fresh.delete()


CAUGHT_UP_HOW = {"done": "done on its due date", "not_recorded": "not recorded here"}


def catch_up_preview(course: TransplantCourse, before: date, how: str) -> list[Milestone]:
    """The milestones a catch-up would record: not done, not held or closed, due before the
    date. Left out: a live vaccine (its dose is recorded under Immune recovery, with its
    gates), engraftment (it follows the blood counts: `catch_up_left`), and the Day-100
    evaluation when not recorded here (the registry needs it). The infusion is done on Day
    Zero either way (`catch_up` confirms Day Zero)."""
    milestones = (
        course.milestones.select_related("step")
        .filter(
            completed_on__isnull=True, due_date__lt=before, hold=Hold.NONE, step__engraftment=""
        )
        .exclude(step__vaccine__in=["mmr", "varicella"])
    )
    if how != "done":
        milestones = milestones.exclude(step__is_day_100_evaluation=True)
    return list(milestones.order_by("due_date", "step__position", "occurrence"))


def catch_up_left(course: TransplantCourse, before: date) -> list[Milestone]:
    """The engraftment milestones due before the date that a catch-up leaves open: the
    blood counts of the days around engraftment complete them."""
    return list(
        course.milestones.select_related("step")
        .filter(completed_on__isnull=True, due_date__lt=before, hold=Hold.NONE)
        .exclude(step__engraftment="")
        .order_by("due_date", "step__position")
    )


@transaction.atomic
def catch_up(*, course: TransplantCourse, before: date, how: str, by: User) -> int:
    """For a patient registered mid-course: every milestone due before a date (not after
    today) marked done on its due date, or closed as "not recorded here", in one go (one
    event); the infusion is done on Day Zero and Day Zero confirmed. Returns how many."""
    course = lock_course(course)
    today = clock.today()
    if not course.is_open:
        raise ValidationError("This course's plan is closed: nothing is left to catch up.")
    if how not in CAUGHT_UP_HOW:
        raise ValidationError({"how": "Choose how the earlier milestones are recorded."})
    if before > today + timedelta(days=1):
        raise ValidationError({"before": "Only what was due up to today can be caught up."})
    milestones = catch_up_preview(course, before, how)
    infusion = infusion_milestone(course)
    now = clock.now()
    done, closed = [], []
    for milestone in milestones:
        if how == "done" or milestone == infusion:
            milestone.completed_on, milestone.completed_by, milestone.completed_at = (
                course.day_zero if milestone == infusion else milestone.due_date,
                by,
                now,
            )
            done.append(milestone)
        else:
            milestone.hold, milestone.plan_note = Hold.NOT_RECORDED, "Not recorded here."
            closed.append(milestone)
    Milestone.objects.bulk_update(done, ["completed_on", "completed_by", "completed_at"])
    Milestone.objects.bulk_update(closed, ["hold", "plan_note"])
    Milestone.history.bulk_history_create(
        milestones, update=True, default_user=by, default_change_reason="Earlier milestones"
    )
    day_100 = next((m for m in done if m.pk == course.day_100_milestone_id), None)
    if day_100 is not None:
        keep_day_100_done(course, day_100)
    record(
        EventKind.CAUGHT_UP,
        by=by,
        course=course,
        before=before.isoformat(),
        how=CAUGHT_UP_HOW[how],
        count=len(milestones),
    )
    if course.day_zero < before and not course.day_zero_confirmed:
        course.confirm_day_zero(by=by, today=today)
        record(
            EventKind.DAY_ZERO_CONFIRMED,
            by=by,
            course=course,
            day_zero=course.day_zero.isoformat(),
        )
    return len(milestones)
