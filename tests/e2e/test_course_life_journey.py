"""The life of a course in a real browser: a coordinator starts a second transplant from
the first course, and the first course's items to come close as superseded."""

from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_coordinator_journey import log_in
from tests.factories import PatientFactory, StepFactory, small_protocol, start_course, user_in
from tracker import clock, roles
from tracker.models import Kind
from tracker.rules.schedule import add_months

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_second_transplant_closes_the_first_courses_items_to_come(page: Page):
    coordinator = user_in(roles.COORDINATOR, username="casey")
    today = clock.today()
    autologous = small_protocol(name="Autologous (test)", kind=Kind.AUTOLOGOUS, donor_type="self")
    StepFactory(
        protocol=autologous,
        key="mmr-later",
        title="MMR (live), dose 1",
        day=None,
        months=24,
        vaccine="mmr",
        dose=1,
        checklist="",
    )
    small_protocol(name="Allogeneic (test)")
    first = start_course(
        patient=PatientFactory(given_name="Rosalind", family_name="Franklin"),
        protocol=autologous,
        day_zero=add_months(today, -17),
        by=coordinator,
    )
    log_in(page, "casey")
    page.goto(first.get_absolute_url())
    page.get_by_role("link", name="Start a subsequent transplant").click()
    expect(page.get_by_role("heading", name="Start a subsequent transplant")).to_be_visible()
    page.get_by_label("Protocol").select_option(label="Allogeneic (test)")
    new_day_zero = today + timedelta(days=10)
    page.get_by_label("Day Zero (planned)").fill(new_day_zero.isoformat())
    # No reason yet: said next to the field, nothing started.
    page.get_by_role("button", name="Start the subsequent transplant").click()
    expect(page.get_by_text("Choose why this transplant follows the earlier one.")).to_be_visible()
    page.get_by_label("Why this transplant follows the earlier one").select_option("relapse")
    page.get_by_role("button", name="Start the subsequent transplant").click()
    expect(page.get_by_text("Subsequent transplant started")).to_be_visible()
    expect(page.locator(".course-head")).to_contain_text("2nd transplant (relapse or progression)")

    page.goto(first.get_absolute_url())
    expect(page.get_by_text("A later transplant follows this course")).to_be_visible()
    expect(page.get_by_role("link", name="Start a subsequent transplant")).to_have_count(0)
    page.goto(f"{first.get_absolute_url()}?open=long_term")
    mmr = page.locator(".milestone", has_text="MMR (live), dose 1")
    expect(mmr.locator(".badge").first).to_have_text("Closed")
    expect(mmr).to_contain_text("Superseded by the 2nd transplant")


def test_an_infusion_in_place_then_the_course_ended_after_its_preview(page: Page):
    coordinator = user_in(roles.COORDINATOR, username="casey")
    today = clock.today()
    course = start_course(
        patient=PatientFactory(given_name="Dorothy", family_name="Hodgkin"),
        protocol=small_protocol(name="Allogeneic (test)"),
        day_zero=today - timedelta(days=40),
        by=coordinator,
    )
    log_in(page, "casey")
    page.goto(course.get_absolute_url())
    infusions = page.locator("#infusions")
    infusions.get_by_text("Record an infusion").click()
    infusions.get_by_label("What was given").select_option("dli")
    infusions.get_by_label("Given on").fill((today - timedelta(days=50)).isoformat())
    infusions.get_by_role("button", name="Record the infusion").click()
    # Refused in place, next to the field: the page stays where it was.
    expect(page.locator("#infusions")).to_contain_text("It comes after Day Zero")
    expect(page.locator("#infusions-title")).to_be_in_viewport()
    page.locator("#infusions").get_by_label("Given on").fill(
        (today - timedelta(days=5)).isoformat()
    )
    page.locator("#infusions").get_by_role("button", name="Record the infusion").click()
    expect(page.locator("#infusions")).to_contain_text(
        "Donor lymphocyte infusion recorded on Day +35."
    )
    expect(page.locator(".infusion-list")).to_contain_text("Day +35")

    page.get_by_role("link", name="End this course").click()
    page.get_by_label("Why the course ends").select_option("transferred")
    page.get_by_label("On").fill(today.isoformat())
    page.get_by_role("button", name="Show what ending it does").click()
    expect(page.get_by_role("heading", name="What ending the course does")).to_be_visible()
    page.get_by_role("button", name=f"End the course on {today:%-d %b %Y}").click()
    expect(page.get_by_text("Course ended.")).to_be_visible()
    expect(page.locator(".today-box")).to_contain_text("Ended on")
    expect(page.get_by_role("link", name="Move Day Zero")).to_have_count(0)
