"""The registry in a real browser: a data manager finds an overdue form on the worklist,
opens its course, records it submitted in place, and the worklist no longer lists it."""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_coordinator_journey import log_in
from tests.factories import PatientFactory, small_protocol, start_course, user_in
from tracker import clock, roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_overdue_form_submitted_from_the_worklist(page: Page):
    nurse = user_in(roles.CLINIC_STAFF, username="robin")
    today = clock.today()
    start_course(
        patient=PatientFactory(given_name="Barbara", family_name="McClintock"),
        protocol=small_protocol(name="Allogeneic (test)"),
        day_zero=today - timedelta(days=40),  # pre-TED due Day +30: overdue
        by=nurse,
    )
    log_in(page, "robin")
    # From Today (where her overdue form is a line too), by the main navigation.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Registry").click()
    expect(page.get_by_role("heading", name="Registry forms")).to_be_visible()
    page.get_by_label("Show").select_option("overdue")
    rows = page.locator("#rows")
    expect(rows).to_contain_text("Pre-TED (forms 2400/2402)")
    expect(rows.locator(".badge.overdue").first).to_be_visible()
    # Each of her overdue forms is a row with a link to the course: the first will do.
    rows.get_by_role("link", name="McClintock, Barbara").first.click()

    section = page.locator("#registry")
    expect(section).to_contain_text("Next form: Pre-TED (forms 2400/2402)")
    row = section.locator("tr", has_text="Pre-TED")
    row.get_by_label("Status of the Pre-TED (forms 2400/2402)").select_option("submitted")
    row.get_by_role("button", name="Save").click()
    # Refused in place: the date is missing.
    expect(page.locator("#registry")).to_contain_text("Enter the day the form was submitted.")
    row = page.locator("#registry tr", has_text="Pre-TED")
    row.get_by_label("on", exact=True).fill((today - timedelta(days=1)).isoformat())
    row.get_by_role("button", name="Save").click()
    expect(page.locator("#registry")).to_contain_text("Next form: Form 2006 (infusion)")

    page.goto("/registry/?show=overdue")
    expect(page.locator("#rows")).not_to_contain_text("Pre-TED")
    page.goto("/registry/?show=submitted")
    expect(page.locator("#rows")).to_contain_text("Pre-TED")
