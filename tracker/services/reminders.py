"""E-mail reminders: who asked for them, finding what is due (the sweep), sending it once, and
cancelling what no longer applies.

The sweep makes one `Reminder` row for each reminder before anything is sent: the rows'
unique constraints mean a re-run, a retry or a second worker finds the row there and makes no
other. Sending takes the rows of one recipient, kind and day at once (`claim`: an UPDATE only
one worker can win), sends one e-mail for them, and marks them sent; a failure is tried again
later (tracker.rules.reminders.retry_at). A row taken and never marked (the worker died while
sending) stays "being sent": it is never sent again, as a reminder sent twice is worse than one
lost.

What an e-mail says: that there is something tomorrow, with a link to the page; never the
diagnosis, a drug or a result (NHS guidance on messaging patients). Each has a link to stop.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, User
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from tracker import clock
from tracker.models import (
    Audience,
    EventKind,
    Milestone,
    MorningDigest,
    Patient,
    Reminder,
    ReminderKind,
    ReminderStatus,
    TransplantCourse,
    centre_details,
)
from tracker.models.events import record
from tracker.models.milestones import WAITING
from tracker.models.reminders import WAITING_STATUSES
from tracker.rules import reminders as rules
from tracker.services.patients import refuse_after_death

logger = logging.getLogger(__name__)

STOP_SALT = "tracker.reminders.stop"


# --- Asking for them ------------------------------------------------------------------------


def reminder_problem(patient: Patient) -> str:
    """Why reminders cannot be turned on for this patient ("" when they can)."""
    user = patient.user
    if user is None:
        return (
            "Invite the patient to the portal first: reminders go to the e-mail address "
            "of their login and link to their page."
        )
    if not user.is_active:
        return "The patient's login is closed, so no reminders can be sent."
    if not user.email:
        return (
            "The patient's login has no e-mail address: invite them again with their "
            "address, then turn reminders on."
        )
    return ""


@transaction.atomic
def set_reminder_preference(*, patient: Patient, email: bool, by: User) -> Patient:
    """Turn a patient's e-mail reminders on or off: by the patient on their page, or by a
    coordinator on their behalf. Turning them off cancels those not sent yet."""
    patient = (
        Patient.objects.select_for_update(no_key=True, of=("self",))
        .select_related("user")
        .get(pk=patient.pk)
    )
    own = patient.user_id is not None and patient.user_id == by.pk
    if not own and not by.has_perm("tracker.manage_reminders"):
        raise PermissionDenied
    if email:
        refuse_after_death(patient, "sent reminders")
        problem = reminder_problem(patient)
        if problem:
            raise ValidationError({"email": problem})
    if patient.email_reminders == email:
        return patient
    patient.email_reminders = email
    patient._history_user = by  # type: ignore[attr-defined]
    patient.save(update_fields=["email_reminders"])
    if not email:
        _cancel(
            Reminder.objects.filter(patient=patient, kind=ReminderKind.DAY_BEFORE),
            "reminders turned off",
        )
    record(EventKind.REMINDERS_CHANGED, by=by, patient=patient, on=email, own=own)
    return patient


def set_digest_preference(*, user: User, on: bool) -> None:
    """A member of staff's morning digest, on or off (their own choice only)."""
    if on:
        MorningDigest.objects.get_or_create(user=user)
    else:
        MorningDigest.objects.filter(user=user).delete()
        _cancel(Reminder.objects.filter(recipient=user, kind=ReminderKind.DIGEST), "turned off")


def stop_token(user: AbstractBaseUser, kind: str) -> str:
    """The secret in an e-mail's link to stop that kind of e-mail (it never expires: it can
    only turn something off)."""
    return signing.dumps({"u": user.pk, "k": kind}, salt=STOP_SALT, compress=True)


def stop_url(user: AbstractBaseUser, kind: str) -> str:
    return settings.SITE_URL + reverse("reminders_stop", args=[stop_token(user, kind)])


@dataclass(frozen=True)
class Stop:
    user: User
    kind: str


def read_stop_token(token: str) -> Stop | None:
    """Whose e-mails, of which kind, a stop link is for; None for a link that is not ours."""
    try:
        data = signing.loads(token, salt=STOP_SALT)
        user = User.objects.get(pk=data["u"])
    except (signing.BadSignature, User.DoesNotExist, KeyError, TypeError):
        return None
    if data.get("k") not in ReminderKind.values:
        return None
    return Stop(user=user, kind=data["k"])


def stop(what: Stop) -> None:
    """Stop the e-mails a stop link names (a second time changes nothing)."""
    if what.kind == ReminderKind.DIGEST:
        set_digest_preference(user=what.user, on=False)
        return
    patient = Patient.objects.filter(user=what.user).first()
    if patient is not None:
        set_reminder_preference(patient=patient, email=False, by=what.user)


# --- Finding what is due --------------------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    """The reminders of one recipient, of one kind, about one day: one e-mail."""

    recipient_id: int
    kind: str
    day: date


def _open_courses() -> Q:
    return Q(course__ended_on__isnull=True, course__superseded_on__isnull=True)


def _remindable() -> Q:
    """A milestone a patient is reminded of the day before: one they see, not done, not
    waiting or closed, on an open course (not a daily count or a computed engraftment)."""
    return (
        Q(completed_on__isnull=True)
        & ~Q(hold__in=WAITING)
        & Q(step__audience__in=[Audience.PATIENT, Audience.BOTH])
        & Q(step__done_by_counts=False, step__engraftment="")
        & _open_courses()
    )


def _asked() -> Q:
    """The milestone's patient asked for reminders and can be sent them."""
    return Q(
        course__patient__email_reminders=True,
        course__patient__user__is_active=True,
    ) & ~Q(course__patient__user__email="")


def _make_day_before(day: date, now: datetime) -> None:
    due = Milestone.objects.filter(_remindable(), _asked(), due_date=day)
    rows = due.values_list("pk", "course__patient_id", "course__patient__user_id")
    Reminder.objects.bulk_create(
        [
            Reminder(
                recipient_id=user_id,
                patient_id=patient_id,
                milestone_id=milestone_id,
                kind=ReminderKind.DAY_BEFORE,
                day=day,
                created_at=now,
                changed_at=now,
            )
            for milestone_id, patient_id, user_id in rows
        ],
        ignore_conflicts=True,  # made already: by an earlier sweep or another worker
    )
    # Cancelled, then due that day again (Day Zero moved away and back): waiting once more.
    Reminder.objects.filter(
        kind=ReminderKind.DAY_BEFORE, day=day, status=ReminderStatus.CANCELLED, milestone__in=due
    ).update(status=ReminderStatus.QUEUED, note="", changed_at=now)


def _make_digests(day: date, now: datetime) -> None:
    users = MorningDigest.objects.filter(user__is_active=True).exclude(user__email="")
    Reminder.objects.bulk_create(
        [
            Reminder(
                recipient_id=user_id,
                kind=ReminderKind.DIGEST,
                day=day,
                created_at=now,
                changed_at=now,
            )
            for user_id in users.values_list("user_id", flat=True)
        ],
        ignore_conflicts=True,
    )


def _sendable(now: datetime) -> Q:
    return Q(status=ReminderStatus.QUEUED) | Q(
        status=ReminderStatus.FAILED, next_attempt_at__lte=now
    )


def sweep(*, at: datetime) -> list[Batch]:
    """Make the reminders due at this moment and say which e-mails to send now.

    The day-before reminders are made (and sent) outside the quiet hours only, so a patient
    hears at the first sweep of the morning; the digests within their hours only. Anything
    left waiting for a day that has come is not sent any more.
    """
    local = timezone.localtime(at)
    patients = rules.may_remind_patients(local, settings.REMINDER_QUIET_HOURS)
    digests = rules.may_send_digest(local, settings.DIGEST_HOURS)
    with transaction.atomic():
        late = Reminder.objects.filter(
            Q(kind=ReminderKind.DAY_BEFORE, day__lte=local.date())
            | Q(kind=ReminderKind.DIGEST, day__lt=local.date()),
            status__in=WAITING_STATUSES,
        )
        late.update(status=ReminderStatus.SKIPPED, note="too late: the day had come", changed_at=at)
        if patients:
            _make_day_before(rules.reminder_day(local), at)
        if digests:
            _make_digests(local.date(), at)
    kinds = [
        kind
        for kind, now in ((ReminderKind.DAY_BEFORE, patients), (ReminderKind.DIGEST, digests))
        if now
    ]
    batches = (
        Reminder.objects.filter(_sendable(at), kind__in=kinds)
        .order_by("recipient_id", "kind", "day")
        .values_list("recipient_id", "kind", "day")
        .distinct()
    )
    return [Batch(recipient_id, kind, day) for recipient_id, kind, day in batches]


# --- Sending --------------------------------------------------------------------------------


def _claim(batch: Batch, now: datetime) -> list[Reminder]:
    """Take the batch's rows to send: only one worker's UPDATE finds them waiting."""
    claim = uuid.uuid4()
    with transaction.atomic():
        Reminder.objects.filter(
            _sendable(now), recipient_id=batch.recipient_id, kind=batch.kind, day=batch.day
        ).update(
            status=ReminderStatus.SENDING, claim=claim, attempts=F("attempts") + 1, changed_at=now
        )
    return list(
        Reminder.objects.filter(claim=claim, status=ReminderStatus.SENDING).select_related(
            "recipient", "patient", "milestone__course"
        )
    )


def _still_applies(reminder: Reminder) -> str:
    """Why a claimed reminder is no longer to be sent ("" when it still is)."""
    user = reminder.recipient
    if not user.is_active or not user.email:
        return "no active login with an e-mail address"
    if reminder.kind == ReminderKind.DIGEST:
        return "" if hasattr(user, "morning_digest") else "turned off"
    patient, milestone = reminder.patient, reminder.milestone
    if patient is None or milestone is None or not patient.email_reminders:
        return "reminders turned off"
    applies = Milestone.objects.filter(_remindable(), pk=milestone.pk, due_date=reminder.day)
    return "" if applies.exists() else "no longer due that day"


def _set(rows: list[Reminder], **values: object) -> None:
    Reminder.objects.filter(pk__in=[row.pk for row in rows]).update(**values)


def send_batch(batch: Batch, *, now: datetime) -> str:
    """Send the batch's e-mail if its rows are still waiting and still apply; say what
    happened ("sent", "failed", "nothing to send", ...)."""
    rows = _claim(batch, now)
    if not rows:
        return "nothing to send"
    local = timezone.localtime(now)
    if batch.kind == ReminderKind.DAY_BEFORE:
        if batch.day <= local.date():
            _set(rows, status=ReminderStatus.SKIPPED, note="too late: the day had come")
            return "too late"
        if not rules.may_remind_patients(local, settings.REMINDER_QUIET_HOURS):
            # Held up until the quiet hours began: back in the queue for the morning.
            _set(rows, status=ReminderStatus.QUEUED, claim=None, attempts=F("attempts") - 1)
            return "quiet hours"
    keep = []
    for row in rows:
        why = _still_applies(row)
        if why:
            _set([row], status=ReminderStatus.CANCELLED, note=why, changed_at=now)
        else:
            keep.append(row)
    if not keep:
        return "no longer applies"
    user = keep[0].recipient
    try:
        _message(batch, user, local).send()
    except Exception as error:  # noqa: BLE001 (any failure of the mail server is retried)
        attempts = max(row.attempts for row in keep)
        retry = rules.retry_at(
            now,
            attempts,
            first=timedelta(minutes=settings.REMINDER_RETRY_MINUTES),
            most=settings.REMINDER_ATTEMPTS,
        )
        # The error's kind only: its text may quote the address.
        _set(
            keep,
            status=ReminderStatus.FAILED,
            next_attempt_at=retry,
            note=type(error).__name__,
            changed_at=now,
        )
        logger.warning(
            "Reminder e-mail to user %s failed (%s); %s",
            user.pk,
            type(error).__name__,
            f"next try {retry:%Y-%m-%d %H:%M}" if retry else "no more tries",
        )
        return "failed"
    _set(keep, status=ReminderStatus.SENT, sent_at=now, note="", changed_at=now)
    return "sent"


def _message(batch: Batch, user: User, local: datetime) -> EmailMessage:
    stop_link = stop_url(user, batch.kind)
    if batch.kind == ReminderKind.DIGEST:
        from tracker.queries import today as today_queries  # queries import services

        counts = today_queries.counts(today=batch.day)
        people = f"{counts.patients} patient{'s' if counts.patients != 1 else ''}"
        subject = f"Today in the transplant clinic: {people} with something to do"
        lines = [
            "Good morning,",
            "",
            f"Your Today page for {batch.day:%A %-d %B %Y}:",
            "",
            *(f"- {label}: {number}" for label, number in counts.lines()),
            "",
            f"Open it: {settings.SITE_URL}{reverse('today')}",
        ]
    else:
        subject = "Reminder: something planned for you tomorrow"
        lines = [
            "Hello,",
            "",
            "This is a reminder from your care team: there is something planned for "
            f"you tomorrow, {batch.day:%A %-d %B %Y}.",
            "",
            "See what it is on your page (you will be asked to log in):",
            f"{settings.SITE_URL}{reverse('my_page')}",
            "",
            "Questions, or feeling unwell? Call us:",
            *centre_details().contact_lines(),
        ]
    lines += [
        "",
        f"To stop these e-mails, open this link: {stop_link}",
        "",
        "This e-mail was sent automatically; please do not reply to it.",
    ]
    return EmailMessage(
        subject=subject,
        body="\n".join(lines) + "\n",
        to=[user.email],
        headers={
            # One-click unsubscribe in mail programs (RFC 8058).
            "List-Unsubscribe": f"<{stop_link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )


def send_due(*, at: datetime) -> dict[str, int]:
    """Find what is due at this moment and send it here, without a worker (the management
    command, cron); how many batches ended how."""
    outcomes: dict[str, int] = {}
    for batch in sweep(at=at):
        outcome = send_batch(batch, now=at)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


# --- Cancelling -----------------------------------------------------------------------------


def _cancel(rows: QuerySet[Reminder], note: str) -> int:
    return rows.filter(status__in=WAITING_STATUSES).update(
        status=ReminderStatus.CANCELLED, note=note, changed_at=clock.now()
    )


def cancel_stale(course: TransplantCourse) -> int:
    """Cancel the course's reminders not sent yet that no longer apply: the milestone done,
    moved to another day, closed or held, or the course ended (call it in the writer's
    transaction, after the change)."""
    waiting = Reminder.objects.filter(
        milestone__course=course, kind=ReminderKind.DAY_BEFORE, status__in=WAITING_STATUSES
    )
    applies = Milestone.objects.filter(
        _remindable(), pk=OuterRef("milestone_id"), due_date=OuterRef("day")
    )
    return _cancel(waiting.filter(~Exists(applies)), "no longer due that day")
