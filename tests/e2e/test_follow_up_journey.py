"""Clinic staff work the follow-up list in a real browser."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_coordinator_journey import log_in
from tests.factories import PatientFactory, small_protocol, start_course, user_in
from tracker import clock, roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_clinic_staff_narrow_the_list_as_they_type_and_open_a_timeline(page: Page):
    coordinator = user_in(roles.COORDINATOR, username="casey")
    user_in(roles.CLINIC_STAFF, username="robin")
    protocol = small_protocol(name="Allogeneic (test)")
    today = clock.today()
    for given, family, day in [("Rosalind", "Franklin", 12), ("Barbara", "McClintock", 40)]:
        patient = PatientFactory(given_name=given, family_name=family)
        start_course(
            patient=patient, protocol=protocol, day_zero=today - timedelta(days=day), by=coordinator
        )

    log_in(page, "robin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Follow-up").click()
    expect(page.get_by_role("heading", name="100-day follow-up")).to_be_visible()
    rows = page.locator("#rows tbody tr")
    expect(rows).to_have_count(2)

    page.evaluate("window.stillTheSamePage = true")
    page.get_by_label("Name or MRN").press_sequentially("frank", delay=50)
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Franklin, Rosalind")
    expect(page.get_by_role("status").first).to_contain_text("1 patient")
    assert page.evaluate("window.stillTheSamePage") is True
    expect(page).to_have_url(re.compile(r"[?&]q=frank"))

    page.get_by_role("link", name="Franklin, Rosalind").click()
    expect(page.get_by_text("Today is Day +12")).to_be_visible()
    expect(page.get_by_role("heading", name="Rosalind", exact=False).first).to_be_visible()


def test_clinic_staff_go_through_the_week_a_day_at_a_time(page: Page):
    coordinator = user_in(roles.COORDINATOR, username="casey")
    user_in(roles.CLINIC_STAFF, username="robin")
    protocol = small_protocol(name="Allogeneic (test)")
    today = clock.today()
    for given, family, in_days in [("Rosalind", "Franklin", 0), ("Barbara", "McClintock", 5)]:
        patient = PatientFactory(given_name=given, family_name=family)
        start_course(
            patient=patient,
            protocol=protocol,
            day_zero=today + timedelta(days=in_days),
            by=coordinator,
        )

    log_in(page, "robin")
    page.goto("/follow-up/week/")
    days = page.get_by_role("navigation", name="Days").get_by_role("link")
    expect(days).to_have_count(7)
    expect(days.first).to_have_attribute("aria-current", "page")
    expect(page.locator("tbody tr")).to_have_count(1)  # Franklin's infusion today
    expect(page.locator("tbody")).to_contain_text("Franklin, Rosalind")

    infusion_day = today + timedelta(days=5)  # McClintock: conditioning Day −3 … −1, then Day 0
    days.nth(5).click()
    expect(page).to_have_url(re.compile(rf"[?&]day={infusion_day.isoformat()}"))
    expect(page.get_by_role("heading", level=2)).to_contain_text(
        f"{infusion_day:%A} {infusion_day.day}"
    )
    expect(page.locator("tbody")).to_contain_text("Stem cell infusion")
    expect(page.locator("tbody")).to_contain_text("McClintock, Barbara")
    page.get_by_role("link", name="McClintock, Barbara").click()
    expect(page.get_by_text("Today is Day −5")).to_be_visible()
