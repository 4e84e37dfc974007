"""GVHD in a real browser: a nurse stages acute GVHD in place and finds it on the list."""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_coordinator_journey import log_in
from tests.factories import PatientFactory, small_protocol, start_course, user_in
from tracker import clock, roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_nurse_stages_acute_gvhd_and_sees_it_on_the_follow_up_list(page: Page):
    coordinator = user_in(roles.COORDINATOR, username="casey")
    user_in(roles.CLINIC_STAFF, username="robin")
    today = clock.today()
    course = start_course(
        patient=PatientFactory(given_name="Rosalind", family_name="Franklin"),
        protocol=small_protocol(name="Allogeneic (test)"),
        day_zero=today - timedelta(days=30),
        by=coordinator,
    )
    log_in(page, "robin")
    page.goto(course.get_absolute_url())
    gvhd = page.locator("#gvhd")
    expect(page.locator("#gvhd-status")).to_contain_text("none recorded")
    expect(gvhd).to_contain_text("No acute GVHD assessment yet.")

    # A rash over 100 % is refused next to its field; nothing is saved.
    gvhd.get_by_text("Add an acute GVHD assessment").click()
    form = gvhd.locator("form.gvhd-form").first
    form.get_by_label("Date").fill(today.isoformat())
    form.get_by_label("Rash (% body surface)").fill("120")
    form.get_by_label("Bilirubin", exact=True).fill("52")
    form.get_by_label("Unit").select_option("µmol/L")
    form.get_by_label("Stool (mL a day, 3-day average)").fill("1200")
    form.get_by_role("button", name="Stage and save").click()
    expect(page.locator("#gvhd .field.has-error")).to_contain_text("0 to 100 %")
    # Focus goes to the wrong field, where it says why.
    expect(page.locator("#gvhd").get_by_label("Rash (% body surface)").first).to_be_focused()
    expect(page.locator("#gvhd tbody tr").first).to_contain_text("No acute GVHD assessment yet.")

    # Corrected: skin 2, liver 2 (52 µmol/L is 3.04 mg/dL), lower GI 2: grade III.
    form = page.locator("#gvhd form.gvhd-form").first
    form.get_by_label("Rash (% body surface)").fill("30")
    form.get_by_role("button", name="Stage and save").click()
    row = page.locator("#gvhd tbody tr").first
    expect(row).to_contain_text("III")
    expect(row).to_contain_text("Grade III: liver stage 2 and lower GI stage 2")
    expect(page.locator("#gvhd figure svg[role=img]")).to_have_count(1)
    # The header's GVHD line followed without a reload.
    expect(page.locator("#gvhd-status")).to_contain_text("Acute grade III")
    expect(page.locator("section#gvhd")).to_have_count(1)

    # A correction opens in its row with focus on its first field, and can be given up.
    row.get_by_role("link", name="Correct").click()
    editing = page.locator("#gvhd tr.editing")
    expect(editing.get_by_label("Date")).to_be_focused()
    editing.get_by_role("link", name="Cancel").click()
    expect(page.locator("#gvhd tr.editing")).to_have_count(0)
    expect(page.locator("#gvhd tbody tr").first).to_contain_text("Grade III")

    page.goto("/follow-up/")
    expect(page.locator("table.followup")).to_contain_text("Acute III")
    page.get_by_label("GVHD").select_option("chronic")
    expect(page.locator("#rows")).to_contain_text("No patient on the follow-up list matches")
    page.get_by_label("GVHD").select_option("acute_2")
    expect(page.locator("table.followup")).to_contain_text("Franklin")
