"""Lab results and the History filter in a real browser: in place, errors next to the field."""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_coordinator_journey import log_in
from tests.factories import PatientFactory, engraftment_protocol, start_course, user_in
from tracker import clock, roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_clinic_staff_record_lab_results_and_find_them_in_the_history(page: Page):
    coordinator = user_in(roles.COORDINATOR, username="casey")
    user_in(roles.CLINIC_STAFF, username="robin")
    today = clock.today()
    course = start_course(
        patient=PatientFactory(given_name="Rosalind", family_name="Franklin"),
        protocol=engraftment_protocol(name="Allogeneic (test)"),
        day_zero=today - timedelta(days=30),
        by=coordinator,
    )
    log_in(page, "robin")
    page.goto(course.get_absolute_url())
    results = page.locator("#results")
    expect(results).to_contain_text("No results yet.")

    # A value over 100 % is refused next to the field, and what was typed stays.
    add = results.locator("form.count-form")
    add.get_by_label("Date").fill(today.isoformat())
    add.get_by_label("Test").select_option("chimerism_myeloid")
    add.get_by_label("Result", exact=True).fill("101")
    add.get_by_role("button", name="Add result").click()
    expect(page.locator("#results .field.has-error")).to_contain_text("highest possible value")
    expect(page.locator("#results").get_by_label("Result", exact=True)).to_have_value("101")
    expect(page.locator("#results tbody tr")).to_have_count(1)  # still the empty row

    page.locator("#results").get_by_label("Result", exact=True).fill("99")
    page.locator("#results").get_by_role("button", name="Add result").click()
    expect(page.locator("#results tbody")).to_contain_text("99 % donor · full donor")

    # Several at once, pasted; IgG in mg/dL is kept in g/L.
    page.locator("#results").get_by_text("Paste many results").click()
    page.locator("#results").get_by_label("Paste results from a spreadsheet").fill(
        f"{today.isoformat()}\tlymphoid\t97.5\n{today.isoformat()}\tIgG\t380\tmg/dL"
    )
    page.locator("#results").get_by_role("button", name="Check and save").click()
    expect(page.locator("#results")).to_contain_text("Full donor chimerism in both lines")
    expect(page.locator("#results tbody")).to_contain_text("3.8 g/L")
    expect(page.locator("section#results")).to_have_count(1)

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#results tr", has_text="IgG").get_by_role("button", name="Delete").click()
    expect(page.locator("#results tbody tr")).to_have_count(2)

    # The History page shows each, and its filter swaps the list in place.
    page.goto(f"/courses/{course.code}/history/")
    history = page.locator("#history")
    expect(history).to_contain_text("IgG of")
    page.get_by_label("Show").select_option("result_deleted")
    expect(page.locator("#history li")).to_have_count(1)
    expect(page.locator("#history")).to_contain_text("deleted: 3.8 g/L")
    expect(page).to_have_url(f"{page.url.split('?')[0]}?kind=result_deleted")
