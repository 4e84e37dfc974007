"""Immune recovery in a real browser: stopping immunosuppression opens the live-vaccine gate
once 12 months have passed, in place."""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_coordinator_journey import log_in
from tests.factories import PatientFactory, small_protocol, start_course, user_in
from tracker import clock, roles, services
from tracker.rules.schedule import add_months

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_nurse_records_immunosuppression_stopping_and_sees_the_mmr_gate_open(page: Page):
    coordinator = user_in(roles.COORDINATOR, username="casey")
    user_in(roles.CLINIC_STAFF, username="robin")
    today = clock.today()
    course = start_course(
        patient=PatientFactory(given_name="Rosalind", family_name="Franklin"),
        protocol=small_protocol(name="Allogeneic (test)"),
        day_zero=add_months(today, -30),
        by=coordinator,
    )
    services.record_immunosuppression(
        course=course,
        drug="Ciclosporin",
        started_on=course.day_zero - timedelta(days=1),
        by=coordinator,
    )
    log_in(page, "robin")
    page.goto(course.get_absolute_url())
    section = page.locator("#immunity")
    expect(section).to_contain_text("blocked")
    expect(section).to_contain_text("On immunosuppression")

    # A stop in the future is refused next to its field, with focus on it.
    row = section.locator("tr", has_text="Ciclosporin")
    row.get_by_label("Stopped on", exact=True).fill((today + timedelta(days=1)).isoformat())
    row.get_by_role("button", name="Record the stop").click()
    expect(page.locator("#immunity .field.has-error")).to_contain_text("cannot be in the future")
    expect(page.locator("#immunity").get_by_label("Stopped on", exact=True)).to_be_focused()

    # Stopped 13 months ago: the gate is open today.
    stopped = add_months(today, -13)
    page.locator("#immunity").get_by_label("Stopped on", exact=True).fill(stopped.isoformat())
    page.locator("#immunity").get_by_role("button", name="Record the stop").click()
    expect(page.locator("#immunity")).to_contain_text("gates pass")
    expect(page.locator("#immunity tr", has_text="Ciclosporin")).to_contain_text(
        f"{stopped.day} {stopped:%b %Y}"
    )
    expect(page.locator("section#immunity")).to_have_count(1)
