"""No page logs a Content-Security-Policy violation, with htmx at work, for staff and patients."""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_coordinator_journey import log_in
from tests.factories import PatientFactory, small_protocol, start_course, user_in
from tracker import clock, roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def violations(page: Page) -> list[str]:
    return page.evaluate("window.__cspViolations")


def test_no_page_breaks_the_content_security_policy(page: Page):
    user_in(roles.COORDINATOR, username="casey")
    patient_user = user_in(roles.PATIENT, username="sam")
    course = start_course(
        patient=PatientFactory(given_name="Sam", family_name="Okafor", user=patient_user),
        protocol=small_protocol(name="Allogeneic (test)", tracks_engraftment=True),
        day_zero=clock.today() - timedelta(days=10),
        by=user_in(roles.COORDINATOR, username="alex"),
    )
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.add_init_script(WATCH)

    log_in(page, "casey")
    for url in [
        "/follow-up/",
        "/follow-up/week/",
        "/patients/",
        course.patient.get_absolute_url(),
        course.get_absolute_url(),
        f"/courses/{course.code}/history/",
        f"/courses/{course.code}/day-zero/",
    ]:
        page.goto(url)
        assert violations(page) == [], url
    page.goto(course.get_absolute_url())
    page.locator("li.milestone .check-button").first.click()  # an htmx swap
    expect(page.locator("li.milestone .check-button").first).to_have_attribute(
        "aria-checked", "true"
    )
    page.goto("/patients/")
    page.get_by_label("Find by name or MRN").fill("oka")  # htmx search as you type
    expect(page.locator("#results")).to_contain_text("Okafor")
    assert violations(page) == []

    page.context.clear_cookies()
    log_in(page, "sam")
    for url in ["/me/", "/me/calendar/"]:
        page.goto(url)
        assert violations(page) == [], url
    assert not [error for error in console_errors if "Content Security Policy" in error]
