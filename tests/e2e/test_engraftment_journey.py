"""Pasting blood counts in a real browser, and seeing the engraftment day appear."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_coordinator_journey import log_in
from tests.factories import (
    PASSWORD,
    PatientFactory,
    engraftment_protocol,
    small_protocol,
    start_course,
    user_in,
)
from tracker import clock, roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ANC = ["0.8", "0.4", "0.2", "0.1", "0.1", "0.2", "0.3", "0.6", "0.9", "1.4"]


def test_clinic_staff_paste_counts_and_see_neutrophil_engraftment(page: Page):
    coordinator = user_in(roles.COORDINATOR, username="casey")
    user_in(roles.CLINIC_STAFF, username="robin")
    protocol = engraftment_protocol(name="Allogeneic (test)")
    today = clock.today()
    day_zero = today - timedelta(days=12)
    course = start_course(
        patient=PatientFactory(given_name="Rosalind", family_name="Franklin"),
        protocol=protocol,
        day_zero=day_zero,
        by=coordinator,
    )

    log_in(page, "robin")
    page.goto(course.get_absolute_url())
    counts = page.locator("#counts")
    expect(counts).to_contain_text("Not yet")

    lines = "\n".join(
        f"{(day_zero + timedelta(days=n)).strftime('%d/%m/%Y')}\t{anc.replace('.', ',')}\t\t"
        for n, anc in enumerate(ANC)
    )
    counts.get_by_text("Paste many counts").click()
    counts.get_by_label("Paste counts from a spreadsheet").fill(lines)
    counts.get_by_role("button", name="Check and save").click()

    engrafted_on = day_zero + timedelta(days=7)
    expect(page.locator("#counts")).to_contain_text(f"Engrafted {engrafted_on:%-d %b %Y}")
    expect(page.locator("#counts tbody tr")).to_have_count(len(ANC))
    expect(page.locator("#counts svg[role=img]")).to_have_count(2)
    milestone = page.locator("li.milestone", has_text="Neutrophil engraftment")
    expect(milestone).to_contain_text(f"Done on {engrafted_on:%a %-d %b %Y}, computed")

    # A bad paste is refused whole, with the line that is wrong.
    page.locator("#counts").get_by_text("Paste many counts").click()
    page.locator("#counts").get_by_label("Paste counts from a spreadsheet").fill(
        f"{today:%d/%m/%Y}\t0,5\t30\n31/02/2026\t1\t1"
    )
    page.locator("#counts").get_by_role("button", name="Check and save").click()
    expect(page.locator("#counts")).to_contain_text("Line 2: “31/02/2026” is not a date")
    expect(page.locator("#counts tbody tr")).to_have_count(len(ANC))

    # Correcting a count in place: the row becomes a form, and saving swaps the one counts
    # section (never a second section inside the table).
    first_row = page.locator("#counts tbody tr").first
    first_row.get_by_role("link", name="Correct").click()
    editing = page.locator("#counts tr.editing")
    expect(editing).to_have_count(1)
    editing.get_by_label("ANC (× 10⁹/L)").fill("150")
    editing.get_by_role("button", name="Save correction").click()
    expect(page.locator("#counts tr.editing")).to_contain_text("is above 100")
    page.locator("#counts tr.editing").get_by_label("ANC (× 10⁹/L)").fill("0.7")
    page.locator("#counts tr.editing").get_by_role("button", name="Save correction").click()
    expect(page.locator("#counts tr.editing")).to_have_count(0)
    expect(page.locator("section#counts")).to_have_count(1)
    expect(page.locator("#counts table section")).to_have_count(0)
    expect(page.locator("#counts tbody tr").first).to_contain_text("0.7")
    expect(page.locator("#counts tbody tr")).to_have_count(len(ANC))


def test_an_action_after_the_session_ended_goes_to_login_and_back(page: Page):
    coordinator = user_in(roles.COORDINATOR, username="casey")
    course = start_course(
        patient=PatientFactory(given_name="Rosalind", family_name="Franklin"),
        protocol=small_protocol(name="Allogeneic (test)"),
        day_zero=clock.today(),
        by=coordinator,
    )
    log_in(page, "casey")
    page.goto(course.get_absolute_url())
    page.context.clear_cookies(name="sessionid")  # the session ends while the page is open

    page.locator("li.milestone .check-button").first.click()

    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.locator("#timeline")).to_have_count(0)  # not the login form inside the timeline
    expect(page.get_by_role("alert")).to_contain_text("was not saved")
    page.get_by_label("Username").fill("casey")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(re.escape(course.get_absolute_url()) + "$"))
    expect(page.locator(".messages")).to_contain_text("your last change was not saved")
    expect(page.locator("li.milestone .check-button").first).to_have_attribute(
        "aria-checked", "false"
    )


def test_a_count_that_bounces_before_the_nadir_engrafts_on_the_real_recovery(page: Page):
    """CIBMTR: values >= 0.5 count only after the nadir; a bounce in the first days never does."""
    coordinator = user_in(roles.COORDINATOR, username="casey")
    user_in(roles.CLINIC_STAFF, username="robin")
    protocol = engraftment_protocol(name="Allogeneic (test)")
    today = clock.today()
    day_zero = today - timedelta(days=20)
    course = start_course(
        patient=PatientFactory(given_name="Rosalind", family_name="Franklin"),
        protocol=protocol,
        day_zero=day_zero,
        by=coordinator,
    )
    # Day 0: 0.45; Days 1-3: 0.55, 0.52, 0.6 (residual cells); Days 4-13: 0.0; Days 14-20: up.
    values = (
        ["0.45", "0.55", "0.52", "0.6"] + ["0"] * 10 + ["0.6", "0.8", "1.1", "1.4", "2", "2", "2"]
    )
    lines = "\n".join(
        f"{(day_zero + timedelta(days=n)).isoformat()}\t{value}\t" for n, value in enumerate(values)
    )
    log_in(page, "robin")
    page.goto(course.get_absolute_url())
    counts = page.locator("#counts")
    counts.get_by_text("Paste many counts").click()
    counts.get_by_label("Paste counts from a spreadsheet").fill(lines)
    counts.get_by_role("button", name="Check and save").click()

    engrafted_on = day_zero + timedelta(days=14)
    expect(page.locator("#counts")).to_contain_text(f"Engrafted {engrafted_on:%-d %b %Y}")
    expect(page.locator("#counts")).not_to_contain_text(
        f"Engrafted {day_zero + timedelta(days=1):%-d %b %Y}"
    )
    milestone = page.locator("li.milestone", has_text="Neutrophil engraftment")
    expect(milestone).to_contain_text(f"Done on {engrafted_on:%a %-d %b %Y}, computed")

    page.goto("/follow-up/")
    expect(page.locator("tr", has_text="Franklin")).to_contain_text("Neutrophils Day +14")
