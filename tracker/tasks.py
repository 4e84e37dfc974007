"""The jobs, written against Django's task interface (django-tasks now, django.tasks from
Django 6): run by the huey worker (`manage.py run_huey`), or at once where JOBS_IMMEDIATE is
set. Their arguments are plain JSON values (ids, ISO dates), never model objects.

Django's task interface has no schedule, so the sweep every REMINDER_SWEEP_MINUTES is huey's
periodic task; a site that prefers cron runs `manage.py send_reminders` instead.
"""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.auth.forms import PasswordResetForm
from django.core.mail import EmailMessage
from django_tasks import task
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task

from tracker import clock
from tracker.services import reminders


@task()
def send_reminder_batch(recipient_id: int, kind: str, day: str) -> str:
    """One e-mail for one recipient's reminders of one kind about one day."""
    batch = reminders.Batch(recipient_id, kind, date.fromisoformat(day))
    return reminders.send_batch(batch, now=clock.now())


@task()
def sweep_reminders() -> int:
    """Make the reminders due now and hand each e-mail to a job of its own."""
    batches = reminders.sweep(at=clock.now())
    for batch in batches:
        send_reminder_batch.enqueue(batch.recipient_id, batch.kind, batch.day.isoformat())
    return len(batches)


@task()
def send_email(subject: str, body: str, to: list[str]) -> None:
    """An e-mail made by a request (an invitation), sent by the worker."""
    EmailMessage(subject=subject, body=body, to=to).send()


@task()
def send_password_reset(email: str, domain: str, use_https: bool) -> None:
    """The password reset e-mail, if the address is someone's: looked up here, by the worker,
    so the reset page answers as quickly whether or not it is."""
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(domain_override=domain, use_https=use_https)


@db_periodic_task(crontab(minute=f"*/{settings.REMINDER_SWEEP_MINUTES}"))  # type: ignore[untyped-decorator]
def every_sweep_interval() -> None:
    sweep_reminders.enqueue()


@HUEY.on_startup()  # type: ignore[untyped-decorator]
def sweep_at_start() -> None:
    """A worker (re)started sweeps at once, not at the next quarter hour (each of its threads
    asks; the rows make the second ask a no-op)."""
    sweep_reminders.enqueue()
