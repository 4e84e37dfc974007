"""Clinic staff start the day on Today; a patient asks for e-mail reminders (real browser)."""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_coordinator_journey import log_in
from tests.factories import PatientFactory, small_protocol, start_course, user_in
from tracker import clock, roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_staff_tick_and_complete_from_today_in_place(page: Page):
    nurse = user_in(roles.CLINIC_STAFF, username="robin", email="robin@example.org")
    today = clock.today()
    start_course(
        patient=PatientFactory(given_name="Rosalind", family_name="Franklin"),
        protocol=small_protocol(name="Allogeneic (test)"),
        day_zero=today - timedelta(days=7),  # the Day +7 clinic visit is today
        by=nurse,
    )
    log_in(page, "robin")
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
    group = page.locator(".today-patient", has_text="Franklin, Rosalind")
    expect(group).to_contain_text("Day +7")
    visit = group.locator(".today-line", has_text="Clinic visit")
    expect(visit).to_contain_text("Due today")

    page.evaluate("window.stillTheSamePage = true")
    tick = visit.get_by_role("checkbox", name="Bloods drawn")
    tick.click()
    expect(visit.get_by_role("checkbox", name="Bloods drawn")).to_have_attribute(
        "aria-checked", "true"
    )
    visit.get_by_role("button", name="Mark “Clinic visit (1)” done today").click()
    expect(visit.get_by_role("status")).to_have_text("Done today ✓")
    assert page.evaluate("window.stillTheSamePage") is True

    page.get_by_role("button", name="E-mail me these counts each morning").click()
    expect(page.locator("#digest")).to_contain_text("The morning e-mail is on.")

    page.reload()
    expect(page.locator(".today-line", has_text="Clinic visit (1)")).to_have_count(0)
    expect(page.get_by_role("button", name="Stop the morning e-mail")).to_be_visible()


def test_a_patient_turns_reminders_on_from_their_page(page: Page):
    user = user_in(roles.PATIENT, username="ada", email="ada@example.org")
    patient = PatientFactory(given_name="Ada", family_name="Lovelace", user=user)
    start_course(patient=patient, day_zero=clock.today() + timedelta(days=10))
    log_in(page, "ada")
    section = page.locator("#reminder-controls")
    expect(section).to_contain_text("Get an e-mail the day before each visit?")
    section.get_by_role("button", name="Turn reminders on").click()
    expect(page.locator("#reminder-controls")).to_contain_text("E-mail reminders are on")
    page.reload()
    expect(page.get_by_role("button", name="Turn reminders off")).to_be_visible()
