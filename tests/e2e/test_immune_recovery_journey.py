"""Immune recovery in a real browser: stopping immunosuppression opens the live-vaccine gate
once 12 months have passed, in place."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_coordinator_journey import log_in
from tests.factories import PatientFactory, StepFactory, small_protocol, start_course, user_in
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


def test_a_late_first_dose_moves_the_next_one_on_the_timeline_in_place(page: Page):
    coordinator = user_in(roles.COORDINATOR, username="casey")
    user_in(roles.CLINIC_STAFF, username="robin")
    today = clock.today()
    protocol = small_protocol(name="Allogeneic (test)")
    for dose in (1, 2, 3):
        StepFactory(
            protocol=protocol,
            key=f"pcv-dose-{dose}",
            title=f"PCV, dose {dose}",
            day=None,
            months=2 + dose,
            vaccine="pcv",
            dose=dose,
            checklist="",
            window_after=28,
        )
    course = start_course(
        patient=PatientFactory(given_name="Rosalind", family_name="Franklin"),
        protocol=protocol,
        day_zero=add_months(today, -4) - timedelta(days=3),
        by=coordinator,
    )
    second = course.milestones.get(step__key="pcv-dose-2")
    log_in(page, "robin")
    page.goto(course.get_absolute_url())
    row = page.locator(f"#milestone-{second.code}")
    expect(row).to_contain_text(f"{second.due_date:%a} {second.due_date.day}")

    page.locator("#immunity").get_by_text("Record a vaccination").click()
    form = page.locator("#immunity form.count-form").first
    form.get_by_label("Vaccine").select_option("pcv")
    form.get_by_label("Dose number").fill("1")
    form.get_by_label("Given on").fill(today.isoformat())
    form.get_by_role("button", name="Record the dose").click()
    moved = today + timedelta(days=28)
    expect(page.locator(f"#milestone-{second.code}")).to_contain_text(
        f"{moved:%a} {moved.day} {moved:%b %Y}"
    )
    vaccinations = page.get_by_role("table", name="Vaccinations given")
    expect(vaccinations).to_contain_text("Pneumococcal conjugate (PCV)")


def test_the_immune_recovery_list_shows_who_is_blocked_and_why(page: Page):
    coordinator = user_in(roles.COORDINATOR, username="casey")
    today = clock.today()
    protocol = small_protocol(name="Allogeneic (test)")
    StepFactory(
        protocol=protocol,
        key="mmr-dose-1",
        title="MMR (live), dose 1",
        day=None,
        months=24,
        vaccine="mmr",
        dose=1,
        checklist="",
    )
    blocked = start_course(
        patient=PatientFactory(given_name="Rosalind", family_name="Franklin"),
        protocol=protocol,
        day_zero=add_months(today, -30),
        by=coordinator,
    )
    drug = services.record_immunosuppression(
        course=blocked,
        drug="Ciclosporin",
        started_on=blocked.day_zero - timedelta(days=1),
        by=coordinator,
    )
    start_course(
        patient=PatientFactory(given_name="Alan", family_name="Turing"),
        protocol=protocol,
        day_zero=add_months(today, -28),
        by=coordinator,
    )
    log_in(page, "casey")
    page.get_by_role("link", name="Immune recovery").click()
    rows = page.locator("table.recovery tbody tr")
    expect(rows).to_have_count(2)
    page.get_by_label("Show").select_option("blocked")  # htmx swaps the rows in place
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Franklin")
    expect(rows.first).to_contain_text("On immunosuppression: not until 12 months after it stops.")
    expect(page).to_have_url(re.compile(r"show=blocked"))
    expect(page.locator("#recovery-csv-link")).to_have_attribute(
        "href", re.compile(r"export\.csv\?.*show=blocked")
    )

    services.stop_immunosuppression(entry=drug, stopped_on=add_months(today, -13), by=coordinator)
    page.reload()
    expect(page.get_by_text("No course matches these filters.")).to_be_visible()
    page.get_by_label("Show").select_option("due")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("MMR (live), dose 1")
