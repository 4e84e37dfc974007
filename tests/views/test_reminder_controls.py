"""Turning e-mail reminders on and off: on the patient's own page, on the patient's page by a
coordinator (which also shows what was sent), in place with htmx or by a plain post."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import start_course
from tracker.models import Reminder, ReminderKind, ReminderStatus

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def root_id(html: str) -> str:
    match = re.match(r'\s*<\w+ id="([^"]+)"', html)
    assert match, html[:200]
    return match.group(1)


@pytest.fixture
def with_address(patient):
    patient.user.email = "ada@example.org"
    patient.user.save()
    return patient


class TestOnTheirOwnPage:
    def test_the_patient_turns_them_on_in_place(self, patient_client, with_address, today):
        start_course(patient=with_address, day_zero=today)
        page = patient_client.get(reverse("my_page")).text
        assert 'hx-target="#reminder-controls"' in page
        assert "Turn reminders on" in page
        response = patient_client.post(reverse("my_reminders"), {"email": "on"}, **HTMX)
        assert root_id(response.text) == "reminder-controls"
        assert "E-mail reminders are on" in response.text
        assert "Turn reminders off" in response.text
        with_address.refresh_from_db()
        assert with_address.email_reminders
        # The page (kept in the cache) shows it at once.
        assert "Turn reminders off" in patient_client.get(reverse("my_page")).text

    def test_without_javascript(self, patient_client, with_address, today):
        response = patient_client.post(reverse("my_reminders"), {"email": "on"})
        assert response.status_code == 302
        assert response.url == f"{reverse('my_page')}#reminder-controls"
        with_address.refresh_from_db()
        assert with_address.email_reminders

    def test_no_address_says_what_to_do_and_saves_nothing(self, patient_client, patient, today):
        response = patient_client.post(reverse("my_reminders"), {"email": "on"}, **HTMX)
        assert root_id(response.text) == "reminder-controls"
        assert 'role="alert"' in response.text
        assert "no e-mail address" in response.text
        patient.refresh_from_db()
        assert not patient.email_reminders


class TestOnThePatientsPage:
    def test_a_coordinator_turns_them_on_for_the_patient(
        self, coordinator_client, with_address, today
    ):
        url = reverse("patient_detail", args=[with_address.code])
        assert "No e-mail reminders." in coordinator_client.get(url).text
        response = coordinator_client.post(
            reverse("patient_reminders", args=[with_address.code]), {"email": "on"}, **HTMX
        )
        assert root_id(response.text) == "reminder-controls"
        assert "to ada@example.org" in response.text
        event = with_address.events.get(kind="reminders_changed")
        assert event.data == {"on": True, "own": False}
        assert "Turned on by " in response.text

    def test_the_team_sees_that_the_patient_stopped_them(
        self, coordinator_client, with_address, today
    ):
        from tracker import services

        services.set_reminder_preference(patient=with_address, email=True, by=with_address.user)
        services.set_reminder_preference(patient=with_address, email=False, by=with_address.user)
        text = coordinator_client.get(reverse("patient_detail", args=[with_address.code])).text
        assert "Turned off by the patient on 21 Nov 2026." in text

    def test_clinic_staff_do_not_see_the_switch(self, staff_client, with_address, today):
        url = reverse("patient_detail", args=[with_address.code])
        assert "reminder-controls" not in staff_client.get(url).text

    def test_the_team_sees_what_was_sent_failed_or_not_sent(
        self, coordinator_client, with_address, today
    ):
        course = start_course(patient=with_address, day_zero=today)
        milestone = course.milestones.select_related("step").first()
        for n, (status, note, attempts) in enumerate(
            [
                (ReminderStatus.SENT, "", 1),
                (ReminderStatus.FAILED, "SMTPServerDisconnected", 2),
                (ReminderStatus.SKIPPED, "too late: the day had come", 0),
            ]
        ):
            Reminder.objects.create(
                recipient=with_address.user,
                patient=with_address,
                milestone=milestone,
                kind=ReminderKind.DAY_BEFORE,
                day=today + timedelta(days=n),
                status=status,
                note=note,
                attempts=attempts,
            )
        text = coordinator_client.get(reverse("patient_detail", args=[with_address.code])).text
        assert "Sent" in text
        assert "Failed, tried 2 times; no more tries: SMTPServerDisconnected" in text
        assert "Not sent: too late: the day had come" in text
        assert milestone.step.title in text


def test_the_stop_link_asks_first_then_stops(with_address, today):
    from tracker import services
    from tracker.services.reminders import stop_token

    services.set_reminder_preference(patient=with_address, email=True, by=with_address.user)
    url = reverse("reminders_stop", args=[stop_token(with_address.user, "day_before")])
    client = Client()
    asked = client.get(url)
    assert "Stop e-mail reminders?" in asked.text
    with_address.refresh_from_db()
    assert with_address.email_reminders
    done = client.post(url)
    assert "Reminders are off" in done.text
    with_address.refresh_from_db()
    assert not with_address.email_reminders
    assert client.get(url.replace(url.split("/")[-2][-5:], "xxxxx")).status_code == 404
