"""A patient's view and the limits of each role, in a real browser."""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_coordinator_journey import log_in
from tests.factories import PatientFactory, StepFactory, small_protocol, start_course, user_in
from tracker import clock, roles

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def two_patients():
    coordinator = user_in(roles.COORDINATOR, username="casey")
    protocol = small_protocol(name="Allogeneic (test)")
    StepFactory(
        protocol=protocol,
        key="prepare",
        title="Pack your hospital bag",
        day=14,
        audience="patient",
        patient_text="Bring comfortable clothes and your medicines.",
        checklist="Comfortable clothes\nYour medication list",
        position=35,
    )
    today = clock.today()
    ada = PatientFactory(given_name="Ada", user=user_in(roles.PATIENT, username="ada"))
    grace = PatientFactory(given_name="Grace", user=user_in(roles.PATIENT, username="grace"))
    start_course(
        patient=ada, protocol=protocol, day_zero=today - timedelta(days=12), by=coordinator
    )
    other = start_course(patient=grace, protocol=protocol, day_zero=today, by=coordinator)
    return other


def test_patient_sees_today_and_what_comes_next_but_not_another_patient(page: Page, two_patients):
    today = clock.today()
    log_in(page, "ada")

    expect(page.get_by_role("heading", level=1)).to_contain_text("Today is Day +12")
    expect(page.get_by_role("heading", level=1)).to_contain_text(today.strftime("%A %-d %B"))
    expect(page.get_by_text("The new cells are settling into your bone marrow")).to_be_visible()
    soon = page.locator(
        "section", has=page.get_by_role("heading", name="Coming up in the next 2 weeks")
    )
    expect(soon).to_contain_text("Pack your hospital bag")
    expect(soon).to_contain_text("Bring comfortable clothes and your medicines.")

    # The patient ticks their own preparation item, in place.
    item = soon.get_by_role("checkbox", name="Comfortable clothes")
    item.click()
    expect(soon.get_by_role("checkbox", name="Comfortable clothes")).to_have_attribute(
        "aria-checked", "true"
    )

    # Another patient's course is simply not there.
    page.goto(two_patients.get_absolute_url())
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()


def test_clinic_staff_cannot_move_day_zero(page: Page, two_patients):
    user_in(roles.CLINIC_STAFF, username="robin")
    log_in(page, "robin")
    page.goto(two_patients.get_absolute_url())
    expect(page.get_by_text("Today is Day 0")).to_be_visible()
    expect(page.get_by_role("link", name="Move Day Zero")).to_have_count(0)

    # Typing the address by hand does not help either.
    page.goto(two_patients.get_absolute_url() + "day-zero/")
    expect(page.get_by_role("heading", name="You can't do that here")).to_be_visible()
    response = page.request.post(
        two_patients.get_absolute_url() + "day-zero/",
        form={"day_zero": clock.today().isoformat(), "reason": "x", "confirm": "1"},
    )
    assert response.status == 403
