"""The coordinator's journey in a real browser: register, start a course, work the timeline."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.factories import (
    PASSWORD,
    PatientFactory,
    StepFactory,
    small_protocol,
    start_course,
    user_in,
)
from tracker import clock, roles
from tracker.models import Milestone

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_coordinator_plans_a_course_and_works_its_timeline(page: Page):
    user_in(roles.COORDINATOR, username="casey")
    small_protocol(name="Allogeneic, reduced intensity (test)")
    today = clock.today()

    log_in(page, "casey")
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Patients").click()
    expect(page.get_by_role("heading", name="Patients")).to_be_visible()

    page.get_by_role("link", name="Register a patient").click()
    page.get_by_label("MRN").fill("e2e-000123")
    page.get_by_label("Given name").fill("Rosalind")
    page.get_by_label("Family name").fill("Franklin")
    page.get_by_label("Date of birth").fill("1980-07-25")
    page.get_by_role("button", name="Register patient").click()
    expect(page.get_by_role("heading", name="Rosalind Franklin")).to_be_visible()
    expect(page.get_by_text("MRN E2E-000123")).to_be_visible()

    page.get_by_role("link", name="Start a course").first.click()
    page.get_by_label("Protocol").select_option(label="Allogeneic, reduced intensity (test)")
    page.get_by_label("Day Zero (planned)").fill(today.isoformat())
    page.get_by_role("button", name="Start course").click()

    expect(page.get_by_text("Today is Day 0")).to_be_visible()
    expect(page.locator("[aria-current=step]")).to_contain_text("Day Zero")
    infusion = page.locator("li.milestone", has_text="Stem cell infusion")
    expect(infusion).to_contain_text(today.strftime("%-d %b %Y"))

    # Tick a checklist item in place, see the progress update, and see it stay after a reload.
    item = infusion.get_by_role("checkbox", name="First thing")
    expect(item).to_have_attribute("aria-checked", "false")
    url_before = page.url
    item.click()
    expect(infusion.get_by_role("checkbox", name="First thing")).to_have_attribute(
        "aria-checked", "true"
    )
    expect(infusion.locator(".progress")).to_have_text("1 of 2 ticked")
    assert page.url == url_before
    page.reload()
    expect(
        page.locator("li.milestone", has_text="Stem cell infusion").get_by_role(
            "checkbox", name="First thing"
        )
    ).to_have_attribute("aria-checked", "true")

    # Filter in place; the URL is bookmarkable.
    page.get_by_role("link", name="Overdue", exact=True).click()
    expect(page).to_have_url(re.compile(r"\?show=overdue$"))
    expect(page.get_by_text("Conditioning chemotherapy (1)")).to_be_visible()
    expect(page.locator("li.milestone", has_text="Stem cell infusion")).to_have_count(0)
    page.get_by_role("link", name="All", exact=True).click()

    # Move Day Zero three days later: preview, confirm, and every date moves.
    page.get_by_role("link", name="Move Day Zero").click()
    new_day_zero = today + timedelta(days=3)
    page.get_by_label("New Day Zero").fill(new_day_zero.isoformat())
    page.get_by_label("Reason").fill("Donor product delayed")
    page.get_by_role("button", name="Show what will change").click()
    expect(page.get_by_role("heading", name="What will change")).to_be_visible()
    page.get_by_role("button", name=re.compile("^Move Day Zero to")).click()

    expect(page.get_by_text("Today is Day −3")).to_be_visible()
    infusion = page.locator("li.milestone", has_text="Stem cell infusion")
    expect(infusion).to_contain_text(new_day_zero.strftime("%-d %b %Y"))
    expect(infusion.get_by_role("checkbox", name="First thing")).to_have_attribute(
        "aria-checked", "true"
    )
    expect(page.get_by_text("Day Zero moved 1 time")).to_be_visible()


def test_patient_search_narrows_the_list_as_you_type(page: Page):
    user_in(roles.COORDINATOR, username="casey")
    PatientFactory(given_name="Rosalind", family_name="Franklin")
    PatientFactory(given_name="Barbara", family_name="McClintock")
    log_in(page, "casey")
    page.goto("/patients/")
    expect(page.locator("#results tbody tr")).to_have_count(2)
    page.get_by_label("Find by name or MRN").press_sequentially("mccl", delay=50)
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("McClintock")
    expect(page).to_have_url(re.compile(r"\?q=mccl"))


def test_keyboard_focus_stays_on_a_ticked_item(page: Page):
    coordinator = user_in(roles.COORDINATOR, username="casey")
    course = start_course(
        patient=PatientFactory(), protocol=small_protocol(), day_zero=clock.today(), by=coordinator
    )
    log_in(page, "casey")
    page.goto(course.get_absolute_url())
    infusion = page.locator("li.milestone", has_text="Stem cell infusion")
    item = infusion.get_by_role("checkbox", name="First thing")
    item.focus()
    page.keyboard.press("Enter")
    expect(infusion.get_by_role("checkbox", name="First thing")).to_have_attribute(
        "aria-checked", "true"
    )
    expect(infusion.get_by_role("checkbox", name="First thing")).to_be_focused()


def test_a_folded_phase_opens_in_place_and_its_milestones_work(page: Page):
    coordinator = user_in(roles.COORDINATOR, username="casey")
    today = clock.today()
    start_course(
        patient=PatientFactory(), protocol=small_protocol(), day_zero=today, by=coordinator
    )
    step = Milestone.objects.get(step__key="infusion").step
    step.patient_text = "Your cells are given through your line."
    step.save()
    log_in(page, "casey")
    course = Milestone.objects.first().course
    page.goto(course.get_absolute_url())
    url = page.url

    # Today is Day 0: conditioning is behind, folded to one line that says what is overdue.
    conditioning = page.locator("#phase-conditioning")
    expect(conditioning).to_contain_text("3 overdue")
    expect(conditioning.locator("li.milestone")).to_have_count(0)
    conditioning.get_by_role("link", name="Show its 3 milestones").click()
    expect(page.locator("#phase-conditioning li.milestone")).to_have_count(3)
    assert page.url == url

    # Its milestones work in place: mark one done, then reopen it (asked first).
    first = page.locator("li.milestone", has_text="Conditioning chemotherapy (1)")
    expect(first.locator(".badge")).to_have_text("Overdue")
    first.get_by_role("button", name="Mark done").click()
    first = page.locator("li.milestone", has_text="Conditioning chemotherapy (1)")
    expect(first.locator(".badge")).to_have_text("Done out of window")
    page.once("dialog", lambda dialog: dialog.dismiss())
    first.get_by_role("button", name="Reopen").click()
    expect(first.locator(".badge")).to_have_text("Done out of window")
    page.once("dialog", lambda dialog: dialog.accept())
    first.get_by_role("button", name="Reopen").click()
    expect(
        page.locator("li.milestone", has_text="Conditioning chemotherapy (1)").locator(".badge")
    ).to_have_text("Overdue")

    # The patient's words are there when asked for.
    expect(page.get_by_text("What the patient reads").first).to_be_visible()


def test_without_javascript_a_folded_phase_opens_on_the_page(page: Page, browser, base_url):
    coordinator = user_in(roles.COORDINATOR, username="casey")
    course = start_course(
        patient=PatientFactory(), protocol=small_protocol(), day_zero=clock.today(), by=coordinator
    )
    context = browser.new_context(java_script_enabled=False, base_url=base_url)
    plain = context.new_page()
    log_in(plain, "casey")
    plain.goto(course.get_absolute_url())
    plain.locator("#phase-conditioning").get_by_role("link", name="Show its 3 milestones").click()
    expect(plain).to_have_url(re.compile(r"\?open=conditioning#phase-conditioning$"))
    expect(plain.locator("#phase-conditioning li.milestone")).to_have_count(3)
    # A tick without JavaScript posts the milestone's form to the item and comes back.
    infusion = plain.locator("li.milestone", has_text="Stem cell infusion")
    infusion.get_by_role("checkbox", name="First thing").click()
    expect(
        plain.locator("li.milestone", has_text="Stem cell infusion").get_by_role(
            "checkbox", name="First thing"
        )
    ).to_have_attribute("aria-checked", "true")
    context.close()


def test_the_keyboard_and_quick_clicks_on_a_milestone_do_what_they_say(page: Page):
    coordinator = user_in(roles.COORDINATOR, username="casey")
    protocol = small_protocol()
    StepFactory(
        protocol=protocol, key="today", title="Discharge home", day=0, checklist="Keys\nBag\nMeds"
    )
    course = start_course(
        patient=PatientFactory(), protocol=protocol, day_zero=clock.today(), by=coordinator
    )
    log_in(page, "casey")
    page.goto(course.get_absolute_url())
    discharge = page.locator("li.milestone", has_text="Discharge home")

    # Three quick ticks on a slow network: every one is sent and saved.
    def slowly(route):
        page.wait_for_timeout(300)
        route.continue_()

    page.route("**/checklist/**", slowly)
    for name in ("Keys", "Bag", "Meds"):
        discharge.get_by_role("checkbox", name=name).click()
    expect(discharge.locator(".progress")).to_have_text("3 of 3 ticked")
    page.unroute("**/checklist/**")
    page.reload()
    expect(
        page.locator("li.milestone", has_text="Discharge home").locator(".progress")
    ).to_have_text("3 of 3 ticked")

    # A date in the future: the app's own message next to the field, nothing saved.
    discharge = page.locator("li.milestone", has_text="Discharge home")
    date_field = discharge.get_by_label("Done on")
    date_field.fill((clock.today() + timedelta(days=2)).isoformat())
    date_field.press("Enter")
    expect(discharge.get_by_role("alert")).to_have_text("A milestone cannot be done in the future.")
    expect(discharge.locator(".badge")).to_have_text("Due")

    # Enter in the date field marks the milestone done (it does not tick an item).
    discharge = page.locator("li.milestone", has_text="Discharge home")
    discharge.get_by_label("Done on").fill(clock.today().isoformat())
    discharge.get_by_label("Done on").press("Enter")
    discharge = page.locator("li.milestone", has_text="Discharge home")
    expect(discharge.locator(".badge")).to_have_text("Done")
    expect(discharge.locator(".progress")).to_have_text("3 of 3 ticked")

    # A folded phase opened from the keyboard: focus goes to its heading; folded again, too.
    opener = page.locator("#phase-conditioning").get_by_role("link", name="Show its 3 milestones")
    opener.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Conditioning", exact=True)).to_be_focused()
    expect(page.locator("#phase-conditioning li.milestone")).to_have_count(3)
    page.locator("#phase-conditioning").get_by_role("link", name="Fold this phase").click()
    expect(page.locator("#phase-conditioning li.milestone")).to_have_count(0)
    expect(page.locator("#phase-conditioning")).to_contain_text("Show its 3 milestones")
