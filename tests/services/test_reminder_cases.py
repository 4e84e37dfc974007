"""E-mail reminders, tested from the specification (the issue), not from the code.

Patients who opted in hear the day before a visit or step they see, outside the quiet hours
(20:00-08:00 on the clinic's clock), once: every reminder is a row, so a re-run, a retry or
two workers never send twice. The e-mail says only that there is something tomorrow, links to
the page, and has a one-click stop link. Moves, completions, ended courses and turning
reminders off cancel what was not sent. Staff may ask for a morning digest.

The clinic is in London unless a test says otherwise; 23 November 2026 (GMT, UTC+0) is the
day before the visit.
"""

import threading
from datetime import date, datetime, time, timedelta
from io import StringIO
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import connections
from django.urls import reverse

from tests.factories import PatientFactory, ProtocolFactory, StepFactory, small_protocol
from tracker import services
from tracker.models import (
    Audience,
    Centre,
    Milestone,
    Reminder,
    ReminderStatus,
    TransplantCourse,
)
from tracker.models.centre import forget_centre
from tracker.models.choices import EndReason, Indication
from tracker.services import reminders

TODAY = date(2026, 11, 23)  # a Monday; London is on GMT
TOMORROW = date(2026, 11, 24)
LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
BROKEN = "tests.services.test_reminder_cases.BrokenBackend"


class BrokenBackend(BaseEmailBackend):
    """A mail server that is down: every send raises."""

    calls = 0

    def send_messages(self, email_messages):
        BrokenBackend.calls += 1
        raise ConnectionRefusedError("the mail server is down")


def local(day: date, hour_minute: str, zone: str = "Europe/London") -> datetime:
    """An aware moment at a wall-clock time in a time zone."""
    return datetime.combine(day, time.fromisoformat(hour_minute), tzinfo=ZoneInfo(zone))


def invited(coordinator, *, email="ada@example.org", **names):
    """A patient with a portal login that has an e-mail address (reminders not asked for)."""
    patient = PatientFactory(**names)
    services.invite_patient(
        patient=patient, email=email, by=coordinator, build_url=lambda p: "http://testserver" + p
    )
    patient.refresh_from_db()
    mail.outbox.clear()  # the invitation
    return patient


def opted_in(coordinator, **kwargs):
    """A patient who turned e-mail reminders on themselves."""
    patient = invited(coordinator, **kwargs)
    services.set_reminder_preference(patient=patient, email=True, by=patient.user)
    patient.refresh_from_db()
    return patient


def course_with_visit_on(patient, visit_day, coordinator, *, protocol=None, extra_days=()):
    """A course whose first clinic visit (small_protocol, Day +7) falls on `visit_day`, with
    extra patient steps on those days after Day Zero."""
    protocol = protocol or small_protocol()
    for n, day in enumerate(extra_days):
        StepFactory(protocol=protocol, key=f"extra-{n}", title=f"Extra visit {n}", day=day)
    course = services.start_course(
        patient=patient, protocol=protocol, day_zero=visit_day - timedelta(days=7), by=coordinator
    )
    mail.outbox.clear()
    return course


def sent_to(address):
    return [message for message in mail.outbox if address in message.to]


@pytest.fixture
def monday():
    """The clinic's clock on the day before the visit, early morning."""
    with time_machine.travel("2026-11-23 07:00 +00:00", tick=False):
        yield TODAY


@pytest.fixture
def ada(coordinator, monday):
    """A patient who opted in, with a clinic visit tomorrow (and nothing else tomorrow)."""
    patient = opted_in(coordinator, given_name="Ada", family_name="Lovelace")
    course_with_visit_on(patient, TOMORROW, coordinator)
    assert Milestone.objects.filter(course__patient=patient, due_date=TOMORROW).count() == 1
    return patient


# --- Once only --------------------------------------------------------------------------------


def test_sweep_run_twice_sends_one_email(ada):
    at = local(TODAY, "08:00")
    batches = reminders.sweep(at=at) + reminders.sweep(at=at)
    for batch in batches:
        reminders.send_batch(batch, now=at)
    reminders.send_due(at=at + timedelta(minutes=15))  # the next sweep

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ada@example.org"]
    row = Reminder.objects.get(patient=ada)
    assert (row.day, row.status) == (TOMORROW, ReminderStatus.SENT)


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_at_the_same_moment_send_one_email(ada):
    at = local(TODAY, "08:00")
    start = threading.Barrier(2)
    errors: list = []

    def worker():
        try:
            start.wait()
            reminders.send_due(at=at)
        except Exception as error:  # noqa: BLE001 (asserted below)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not errors, errors
    assert len(mail.outbox) == 1
    row = Reminder.objects.get(patient=ada)
    assert (row.status, row.attempts) == (ReminderStatus.SENT, 1)


def test_failed_send_is_retried_with_back_off_and_sent_once(ada, settings):
    settings.REMINDER_RETRY_MINUTES, settings.REMINDER_ATTEMPTS = 5, 5
    t0 = local(TODAY, "08:00")
    BrokenBackend.calls = 0
    settings.EMAIL_BACKEND = BROKEN

    reminders.send_due(at=t0)
    row = Reminder.objects.get(patient=ada)
    assert (row.status, row.attempts) == (ReminderStatus.FAILED, 1)
    assert row.next_attempt_at == t0 + timedelta(minutes=5)

    reminders.send_due(at=t0 + timedelta(minutes=4))  # still waiting: not tried
    assert BrokenBackend.calls == 1

    reminders.send_due(at=t0 + timedelta(minutes=5))  # tried again, fails: twice as long
    row.refresh_from_db()
    assert (row.status, row.attempts) == (ReminderStatus.FAILED, 2)
    assert row.next_attempt_at == t0 + timedelta(minutes=5 + 10)

    settings.EMAIL_BACKEND = LOCMEM
    reminders.send_due(at=t0 + timedelta(minutes=14))
    assert mail.outbox == []
    reminders.send_due(at=t0 + timedelta(minutes=15))
    reminders.send_due(at=t0 + timedelta(minutes=60))

    assert len(mail.outbox) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (ReminderStatus.SENT, 3)


def test_retries_stop_after_the_number_of_attempts(ada, settings):
    settings.REMINDER_RETRY_MINUTES, settings.REMINDER_ATTEMPTS = 5, 2
    t0 = local(TODAY, "08:00")
    settings.EMAIL_BACKEND = BROKEN
    reminders.send_due(at=t0)
    reminders.send_due(at=t0 + timedelta(minutes=5))
    settings.EMAIL_BACKEND = LOCMEM
    for minutes in (15, 60, 240):
        reminders.send_due(at=t0 + timedelta(minutes=minutes))

    assert mail.outbox == []
    row = Reminder.objects.get(patient=ada)
    assert (row.status, row.attempts) == (ReminderStatus.FAILED, 2)


def test_reminder_not_sent_by_the_day_it_is_about_is_recorded_as_skipped(ada, settings):
    settings.EMAIL_BACKEND = BROKEN
    reminders.send_due(at=local(TODAY, "08:00"))
    settings.EMAIL_BACKEND = LOCMEM
    reminders.send_due(at=local(TOMORROW, "08:00"))  # the visit is today now: too late

    assert mail.outbox == []
    assert Reminder.objects.get(patient=ada).status == ReminderStatus.SKIPPED


# --- When: quiet hours, time zones, the clocks changing ---------------------------------------


@pytest.mark.parametrize("hour_minute", ["03:00", "07:59", "20:00", "21:30"])
def test_nothing_is_sent_in_the_quiet_hours(ada, hour_minute):
    reminders.send_due(at=local(TODAY, hour_minute))

    assert mail.outbox == []
    assert not Reminder.objects.filter(status=ReminderStatus.SENT).exists()


def test_sent_at_eight_in_the_morning(ada):
    reminders.send_due(at=local(TODAY, "07:45"))
    assert mail.outbox == []
    reminders.send_due(at=local(TODAY, "08:00"))

    assert len(sent_to("ada@example.org")) == 1
    assert Reminder.objects.get(patient=ada).sent_at == local(TODAY, "08:00")


@pytest.mark.parametrize(
    ("zone", "moment", "local_tomorrow", "utc_tomorrow"),
    [
        # 09:00 on Tuesday 24th in Sydney (UTC+11) is still Monday 23rd in UTC.
        ("Australia/Sydney", "2026-11-23T22:00+00:00", date(2026, 11, 25), date(2026, 11, 24)),
        # 19:30 on Monday 23rd in New York (UTC-5) is already Tuesday 24th in UTC.
        ("America/New_York", "2026-11-24T00:30+00:00", date(2026, 11, 24), date(2026, 11, 25)),
    ],
    ids=["sydney", "new-york"],
)
def test_tomorrow_is_the_clinics_tomorrow_around_midnight(
    settings, coordinator, zone, moment, local_tomorrow, utc_tomorrow
):
    settings.TIME_ZONE = zone
    at = datetime.fromisoformat(moment)
    with time_machine.travel(at - timedelta(hours=1), tick=False):
        patient = opted_in(coordinator)
        # The clinic visit on the local tomorrow, a second step on the UTC tomorrow.
        utc_day = 7 + (utc_tomorrow - local_tomorrow).days
        course_with_visit_on(patient, local_tomorrow, coordinator, extra_days=(utc_day,))
        reminders.send_due(at=at)

    assert len(mail.outbox) == 1
    row = Reminder.objects.get(patient=patient)
    assert (row.day, row.status) == (local_tomorrow, ReminderStatus.SENT)
    assert row.milestone.step.key == "clinic"


@pytest.mark.parametrize(
    ("quiet_moments", "first_moment", "visit_day"),
    [
        # 28 March 2027: BST from 01:00 UTC, so 08:00 local is 07:00 UTC.
        (["2027-03-28T06:59Z"], "2027-03-28T07:00Z", date(2027, 3, 29)),
        # 25 October 2026: GMT again from 01:00 UTC, so 08:00 local is 08:00 UTC.
        (["2026-10-25T07:00Z", "2026-10-25T07:59Z"], "2026-10-25T08:00Z", date(2026, 10, 26)),
    ],
    ids=["clocks-go-forward", "clocks-go-back"],
)
def test_first_send_is_eight_local_when_the_clocks_change(
    settings, coordinator, quiet_moments, first_moment, visit_day
):
    settings.TIME_ZONE = "Europe/London"
    first = datetime.fromisoformat(first_moment)
    with time_machine.travel(first - timedelta(days=1), tick=False):
        patient = opted_in(coordinator)
        course_with_visit_on(patient, visit_day, coordinator)
        for moment in quiet_moments:
            reminders.send_due(at=datetime.fromisoformat(moment))
            assert mail.outbox == [], moment
        reminders.send_due(at=first)

    assert len(mail.outbox) == 1
    row = Reminder.objects.get(patient=patient)
    assert (row.day, row.status, row.sent_at) == (visit_day, ReminderStatus.SENT, first)


# --- Cancelling what no longer applies --------------------------------------------------------


def _made_not_sent(patient) -> tuple[list, Reminder]:
    """The 08:00 sweep's rows, made and not sent yet."""
    batches = reminders.sweep(at=local(TODAY, "08:00"))
    row = Reminder.objects.get(patient=patient)
    assert row.status == ReminderStatus.QUEUED
    return batches, row


def _send_everything(batches) -> None:
    at = local(TODAY, "08:00")
    for batch in batches:
        reminders.send_batch(batch, now=at)
    reminders.send_due(at=at + timedelta(minutes=15))


def test_day_zero_move_cancels_the_waiting_reminder(ada, coordinator):
    batches, row = _made_not_sent(ada)
    course = ada.courses.get()
    services.move_day_zero(
        course=course, day_zero=course.day_zero + timedelta(days=3), by=coordinator
    )

    row.refresh_from_db()
    assert row.status == ReminderStatus.CANCELLED
    _send_everything(batches)
    assert mail.outbox == []


def test_completing_a_milestone_cancels_its_reminder_only(coordinator, monday):
    patient = opted_in(coordinator)
    course = course_with_visit_on(patient, TOMORROW, coordinator, extra_days=(7,))
    batches = reminders.sweep(at=local(TODAY, "08:00"))
    assert Reminder.objects.filter(patient=patient, status=ReminderStatus.QUEUED).count() == 2
    clinic = Milestone.objects.get(course=course, step__key="clinic", due_date=TOMORROW)
    services.complete_milestone(milestone=clinic, on=TODAY, by=coordinator, today=TODAY)

    assert Reminder.objects.get(milestone=clinic).status == ReminderStatus.CANCELLED
    _send_everything(batches)
    assert len(mail.outbox) == 1
    assert Reminder.objects.get(milestone__step__key="extra-0").status == ReminderStatus.SENT
    assert Reminder.objects.get(milestone=clinic).status == ReminderStatus.CANCELLED


def test_ending_the_course_cancels_the_waiting_reminder(ada, coordinator):
    batches, row = _made_not_sent(ada)
    services.end_course(
        course=ada.courses.get(), reason=EndReason.TRANSFERRED, on=TODAY, by=coordinator
    )

    row.refresh_from_db()
    assert row.status == ReminderStatus.CANCELLED
    _send_everything(batches)
    assert mail.outbox == []


def test_turning_reminders_off_cancels_the_waiting_rows(ada):
    batches, row = _made_not_sent(ada)
    services.set_reminder_preference(patient=ada, email=False, by=ada.user)

    row.refresh_from_db()
    assert row.status == ReminderStatus.CANCELLED
    _send_everything(batches)
    assert mail.outbox == []


# --- The stop link ----------------------------------------------------------------------------


def test_stop_link_get_changes_nothing_post_turns_reminders_off(client, coordinator, monday):
    patient = opted_in(coordinator)
    course_with_visit_on(patient, TOMORROW, coordinator, extra_days=(8,))  # the 24th and 25th
    reminders.send_due(at=local(TODAY, "08:00"))
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    link = message.extra_headers["List-Unsubscribe"].strip("<>")
    assert link in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    path = urlsplit(link).path
    assert path.startswith("/reminders/stop/")

    reminders.sweep(at=local(TOMORROW, "08:00"))  # the reminder about the 25th, not sent yet
    waiting = Reminder.objects.get(patient=patient, day=date(2026, 11, 25))
    assert waiting.status == ReminderStatus.QUEUED

    assert client.get(path).status_code == 200
    patient.refresh_from_db()
    waiting.refresh_from_db()
    assert patient.email_reminders is True
    assert waiting.status == ReminderStatus.QUEUED

    assert client.post(path).status_code == 200
    patient.refresh_from_db()
    waiting.refresh_from_db()
    assert patient.email_reminders is False
    assert waiting.status == ReminderStatus.CANCELLED
    reminders.send_due(at=local(TOMORROW, "08:15"))
    assert len(mail.outbox) == 1


def test_tampered_stop_link_is_404_and_changes_nothing(ada, client):
    reminders.send_due(at=local(TODAY, "08:00"))
    link = mail.outbox[0].extra_headers["List-Unsubscribe"].strip("<>")
    token = urlsplit(link).path.rstrip("/").rsplit("/", 1)[1]
    tampered = token[:5] + ("x" if token[5] != "x" else "y") + token[6:]

    for path in (f"/reminders/stop/{tampered}/", "/reminders/stop/not-a-token/"):
        assert client.get(path).status_code == 404
        assert client.post(path).status_code == 404
    ada.refresh_from_db()
    assert ada.email_reminders is True


# --- Who may turn them on ---------------------------------------------------------------------


@pytest.mark.parametrize("who", ["the patient", "a coordinator"])
def test_patient_or_coordinator_turns_reminders_on_and_off(coordinator, who, monday):
    patient = invited(coordinator)
    by = patient.user if who == "the patient" else coordinator
    for email in (True, False):
        services.set_reminder_preference(patient=patient, email=email, by=by)
        patient.refresh_from_db()
        assert patient.email_reminders is email


@pytest.mark.parametrize("who", ["clinic_staff", "other_patient"])
def test_staff_and_other_patients_may_not_turn_reminders_on(request, coordinator, who, monday):
    patient = invited(coordinator)
    by = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.set_reminder_preference(patient=patient, email=True, by=getattr(by, "user", by))
    patient.refresh_from_db()
    assert patient.email_reminders is False


def test_patient_without_a_portal_login_cannot_have_reminders(coordinator, monday):
    patient = PatientFactory()
    with pytest.raises(ValidationError):
        services.set_reminder_preference(patient=patient, email=True, by=coordinator)
    patient.refresh_from_db()
    assert patient.email_reminders is False


def test_login_without_an_email_address_cannot_have_reminders(patient, coordinator, monday):
    assert patient.user.email == ""  # a login, no address
    for by in (coordinator, patient.user):
        with pytest.raises(ValidationError):
            services.set_reminder_preference(patient=patient, email=True, by=by)
    patient.refresh_from_db()
    assert patient.email_reminders is False


# --- What is sent, and to whom ----------------------------------------------------------------


def test_email_has_no_step_title_protocol_or_diagnosis(coordinator, monday):
    patient = opted_in(coordinator)
    protocol = ProtocolFactory(name="Fludarabine-melphalan conditioning for AML")
    StepFactory(
        protocol=protocol,
        key="busulfan",
        title="Busulfan test dose",
        patient_title="Your busulfan dose",
        day=7,
    )
    course = course_with_visit_on(patient, TOMORROW, coordinator, protocol=protocol)
    TransplantCourse.objects.filter(pk=course.pk).update(indication=Indication.AML)
    reminders.send_due(at=local(TODAY, "08:00"))

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    text = f"{message.subject}\n{message.body}"
    for secret in (protocol.name, "Fludarabine", "melphalan", "AML", Indication.AML.label):
        assert secret not in text
    assert "busulfan" not in text.lower()
    assert "tomorrow" in text.lower()
    assert f"{django_settings.SITE_URL}{reverse('my_page')}" in message.body


def test_two_visits_tomorrow_make_one_email(coordinator, monday):
    patient = opted_in(coordinator)
    course_with_visit_on(patient, TOMORROW, coordinator, extra_days=(7,))
    reminders.send_due(at=local(TODAY, "08:00"))

    assert len(mail.outbox) == 1
    rows = Reminder.objects.filter(patient=patient)
    assert [row.status for row in rows] == [ReminderStatus.SENT, ReminderStatus.SENT]
    assert {row.milestone.step.key for row in rows} == {"clinic", "extra-0"}


def test_patient_who_did_not_opt_in_gets_nothing(ada, coordinator):
    quiet = invited(coordinator, email="quiet@example.org")
    course_with_visit_on(quiet, TOMORROW, coordinator)
    reminders.send_due(at=local(TODAY, "08:00"))

    assert sent_to("quiet@example.org") == []
    assert not Reminder.objects.filter(patient=quiet).exists()
    assert len(sent_to("ada@example.org")) == 1


def test_steps_the_patient_does_not_see_are_not_reminded(coordinator, monday):
    patient = opted_in(coordinator)
    protocol = ProtocolFactory(tracks_engraftment=True)
    StepFactory(protocol=protocol, key="mdt", day=7, audience=Audience.CARE_TEAM)
    StepFactory(protocol=protocol, key="counts", day=7, done_by_counts=True, checklist="")
    StepFactory(protocol=protocol, key="anc", day=7, engraftment="neutrophil", checklist="")
    course = course_with_visit_on(patient, TOMORROW, coordinator, protocol=protocol)
    assert course.milestones.filter(due_date=TOMORROW).count() == 3
    reminders.send_due(at=local(TODAY, "08:00"))

    assert mail.outbox == []
    assert not Reminder.objects.exists()


def test_send_reminders_command_sends_once(ada):
    for _ in range(2):
        call_command("send_reminders", at="2026-11-23T09:00", stdout=StringIO())

    assert len(mail.outbox) == 1
    row = Reminder.objects.get(patient=ada)
    assert row.status == ReminderStatus.SENT
    assert row.sent_at == local(TODAY, "09:00")


# --- The staff morning digest -----------------------------------------------------------------


@pytest.fixture
def nurse_digest(clinic_staff):
    clinic_staff.email = "nurse@example.org"
    clinic_staff.save(update_fields=["email"])
    reminders.set_digest_preference(user=clinic_staff, on=True)
    return clinic_staff


def test_morning_digest_has_counts_and_a_link_and_no_patient_names(ada, nurse_digest):
    reminders.send_due(at=local(TODAY, "09:00"))
    reminders.send_due(at=local(TODAY, "09:15"))

    digests = sent_to("nurse@example.org")
    assert len(digests) == 1
    text = f"{digests[0].subject}\n{digests[0].body}"
    assert "Ada" not in text
    assert "Lovelace" not in text
    assert f"{django_settings.SITE_URL}{reverse('today')}" in text
    assert "List-Unsubscribe" in digests[0].extra_headers


@pytest.mark.parametrize("hour_minute", ["06:59", "11:00", "15:00"])
def test_morning_digest_only_within_its_hours(ada, nurse_digest, hour_minute):
    reminders.send_due(at=local(TODAY, hour_minute))

    assert sent_to("nurse@example.org") == []


def test_email_gives_the_centres_numbers(coordinator, monday):
    Centre.objects.create(
        name="Northfield Transplant Unit",
        day_phone="01632 960 100",
        out_of_hours_phone="01632 960 999",
    )
    forget_centre()  # as the admin does after an edit
    patient = opted_in(coordinator)
    course_with_visit_on(patient, TOMORROW, coordinator)
    reminders.send_due(at=local(TODAY, "08:00"))

    [message] = mail.outbox
    assert "Northfield Transplant Unit\nPhone: 01632 960 100" in message.body
    assert "Out of hours: 01632 960 999" in message.body
