"""Every page and state at WCAG 2.2 AA, checked by axe-core in a real browser (issue 17):
before logging in, for a coordinator, for clinic staff and for patients (on a desktop and on
a 390 px phone), with editors open, errors shown and htmx swaps done through the page."""

import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.management import call_command
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible
from tests.e2e.test_coordinator_journey import log_in
from tests.factories import PASSWORD, PatientFactory, UserFactory, start_course, user_in
from tracker import clock, roles, services
from tracker.models import Centre, Protocol
from tracker.models.centre import forget_centre
from tracker.rules.schedule import add_months
from tracker.services.reminders import stop_token

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def library():
    """The shipped protocol library and the centre's numbers: the pages as a clinic sees them."""
    call_command("load_protocols", verbosity=0)
    Centre.objects.create(
        name="Northfield Transplant Unit",
        day_phone="01632 960 100",
        out_of_hours_phone="01632 960 999",
    )
    forget_centre()


def course_on(slug: str, day: int, *, given: str, family: str, user=None, by=None):
    """A course of the library's protocol `slug`, today being its Day `day`."""
    return start_course(
        patient=PatientFactory(given_name=given, family_name=family, user=user),
        protocol=Protocol.objects.get(slug=slug),
        day_zero=clock.today() - timedelta(days=day),
        by=by,
    )


def log_in_here(page: Page, username: str) -> None:
    """Log in on the login page shown, keeping where it sends you next."""
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_pages_before_logging_in(page: Page, library):
    user = user_in(roles.PATIENT, username="sam", email="sam@example.org")
    course_on("auto-beam", 12, given="Sam", family="Okafor", user=user)
    page.set_viewport_size(DESKTOP)

    page.goto("/accounts/login/")
    assert_accessible(page, "login")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "login with a wrong password")

    page.get_by_role("link", name="Forgotten your password?").click()
    assert_accessible(page, "password reset: ask for a link")
    page.get_by_role("button", name="Send the link").click()
    expect(page.locator(".has-error")).to_be_visible()
    assert_accessible(page, "password reset: no address given")
    page.get_by_label("Email").fill("sam@example.org")
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    assert_accessible(page, "password reset: link sent")

    uid = urlsafe_base64_encode(force_bytes(user.pk))
    page.goto(f"/accounts/password/reset/{uid}/{default_token_generator.make_token(user)}/")
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    assert_accessible(page, "password reset: choose a password")
    page.get_by_label("New password", exact=True).fill("123")
    page.get_by_label("New password confirmation").fill("123")
    page.get_by_role("button", name="Save my password").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "password reset: choose a password, with several errors")
    page.goto(f"/accounts/password/reset/{uid}/not-a-token/")
    expect(page.get_by_role("heading", name="This link no longer works")).to_be_visible()
    assert_accessible(page, "password reset: a link that no longer works")
    page.goto("/accounts/password/reset/done/")
    assert_accessible(page, "password reset: saved")

    page.goto("/accounts/login/?unsaved=1&next=/me/")
    expect(page.get_by_role("alert")).to_contain_text("was not saved")
    assert_accessible(page, "login after the session ended")
    log_in_here(page, "sam")
    expect(page.locator(".messages")).to_contain_text("your last change was not saved")
    assert_accessible(page, "my page, with the message that the last change was not saved")
    page.context.clear_cookies()

    page.goto(f"/reminders/stop/{stop_token(user, 'day_before')}/")
    assert_accessible(page, "reminders: stop?")
    page.get_by_role("button", name="Stop the reminders").click()
    expect(page.get_by_role("heading", name="Reminders are off")).to_be_visible()
    assert_accessible(page, "reminders: stopped")
    page.goto("/reminders/stop/not-a-token/")
    assert_accessible(page, "reminders: a link that does not work")

    nora = UserFactory(username="nora")  # in no role group
    assert not nora.groups.exists()
    log_in(page, "nora")
    expect(page.get_by_role("heading", name="Your account has no access yet")).to_be_visible()
    assert_accessible(page, "logged in without a role")
    page.context.clear_cookies()

    page.goto("/no-such-page/")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert_accessible(page, "404, logged out")


def test_coordinator_pages_and_states(page: Page, library):
    coordinator = user_in(roles.COORDINATOR, username="casey", email="casey@example.org")
    today = clock.today()
    course = course_on("allo-ric-flu-mel", 14, given="Rosalind", family="Franklin", by=coordinator)
    past_day_90 = (today - add_months(today, -30)).days  # on the immune recovery list
    course_on("allo-ric-flu-mel", past_day_90, given="Alan", family="Turing", by=coordinator)
    old = course_on("auto-beam", 400, given="Dorothy", family="Hodgkin", by=coordinator)
    services.record_immunosuppression(
        course=old, drug="Ciclosporin", started_on=old.day_zero, by=coordinator
    )
    PatientFactory(given_name="Barbara", family_name="McClintock")
    page.set_viewport_size(DESKTOP)
    log_in(page, "casey")

    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
    assert_accessible(page, "Today")

    page.goto("/follow-up/")
    assert_accessible(page, "follow-up list")
    page.get_by_label("Name or MRN").fill("nobody by this name")
    expect(page.locator("#rows")).to_contain_text("No patient on the follow-up list matches")
    assert_accessible(page, "follow-up list, a search that finds nothing")
    page.goto("/follow-up/week/")
    assert_accessible(page, "follow-up: this week")

    page.goto("/immune-recovery/")
    assert_accessible(page, "immune recovery list")
    page.get_by_label("Show").select_option("blocked")
    expect(page).to_have_url(re.compile(r"show=blocked"))
    assert_accessible(page, "immune recovery list, filtered in place")

    page.goto("/registry/")
    assert_accessible(page, "registry list")
    page.get_by_label("Show").select_option("overdue")
    expect(page).to_have_url(re.compile(r"show=overdue"))
    assert_accessible(page, "registry list, filtered in place")

    page.goto("/patients/")
    assert_accessible(page, "patient list")
    page.get_by_label("Find by name or MRN").press_sequentially("zzz", delay=30)
    expect(page).to_have_url(re.compile(r"\?q=zzz"))
    assert_accessible(page, "patient list, a search that finds nothing")

    page.goto("/patients/new/")
    assert_accessible(page, "register a patient")
    page.get_by_role("button", name="Register patient").click()
    expect(page.locator(".has-error").first).to_be_visible()
    assert_accessible(page, "register a patient, with errors")
    page.get_by_label("MRN").fill("A11Y-0001")
    page.get_by_label("Given name").fill("Grace")
    page.get_by_label("Family name").fill("Hopper")
    page.get_by_label("Date of birth").fill("1966-12-09")
    page.get_by_role("button", name="Register patient").click()
    expect(page.get_by_role("status")).to_contain_text("Grace Hopper is registered.")
    assert_accessible(page, "a patient's page, with the message that they are registered")

    page.goto(course.patient.get_absolute_url())
    assert_accessible(page, "a patient's page")
    page.get_by_role("button", name="Invite to the portal").click()
    expect(page.get_by_text("Invitation ready.")).to_be_visible()
    assert_accessible(page, "a patient's page, invitation ready")
    page.get_by_role("button", name="Turn on calendar subscription").click()
    expect(page.locator(".qr-figure svg")).to_be_visible()
    assert_accessible(page, "a patient's page, calendar subscription on with its QR code")

    page.get_by_role("link", name="Start a course").first.click()
    page.get_by_role("button", name="Start course").click()
    expect(page.locator(".has-error").first).to_be_visible()
    assert_accessible(page, "start a course, with errors")

    page.goto(course.get_absolute_url())
    assert_accessible(page, "course page")
    conditioning = page.locator("#phase-conditioning")
    conditioning.locator("a.unfold").click()
    expect(page.locator("#phase-conditioning li.milestone").first).to_be_visible()
    assert_accessible(page, "course page, a folded phase opened in place", within="#timeline")
    page.locator("#phase-conditioning").get_by_role("link", name="Fold this phase").click()
    expect(page.locator("#phase-conditioning li.milestone")).to_have_count(0)
    assert_accessible(page, "course page, the phase folded again", within="#timeline")
    milestone = page.locator("li.milestone", has=page.get_by_role("button", name="Mark done"))
    milestone = page.locator(f"#{milestone.first.get_attribute('id')}")
    milestone.get_by_role("button", name="Mark done").click()
    expect(milestone.get_by_role("button", name="Reopen")).to_be_visible()
    assert_accessible(page, "course page, a milestone marked done in place", within="#timeline")
    page.get_by_role("link", name="Overdue", exact=True).click()
    expect(page).to_have_url(re.compile(r"\?show=overdue$"))
    assert_accessible(page, "course page, the timeline filtered in place", within="#timeline")

    counts = page.locator("#counts")
    counts.get_by_label("Date").first.fill(today.isoformat())
    counts.get_by_label("ANC (× 10⁹/L)").first.fill("150")
    counts.get_by_role("button", name="Add count").click()
    expect(page.locator("#counts .has-error").first).to_be_visible()
    assert_accessible(page, "counts: the entry form with an error", within="#counts")
    page.locator("#counts").get_by_label("ANC (× 10⁹/L)").first.fill("0.4")
    page.locator("#counts").get_by_role("button", name="Add count").click()
    expect(page.locator("#counts tbody tr")).to_contain_text("0.4")
    page.locator("#counts").get_by_text("Paste many counts").click()
    assert_accessible(page, "counts: the paste form open", within="#counts")
    page.locator("#counts tbody tr").first.get_by_role("link", name="Correct").click()
    expect(page.locator("#counts tr.editing")).to_have_count(1)
    assert_accessible(page, "counts: the correction row open", within="#counts")
    page.locator("#counts tr.editing").get_by_label("ANC (× 10⁹/L)").fill("150")
    page.locator("#counts tr.editing").get_by_role("button", name="Save correction").click()
    expect(page.locator("#counts tr.editing")).to_contain_text("above 100")
    assert_accessible(page, "counts: the correction row with an error", within="#counts")
    page.goto(page.locator("#counts tr.editing form").get_attribute("action") or "")
    assert_accessible(page, "counts: the correction on its own page (without JavaScript)")
    page.goto(course.get_absolute_url())
    page.locator("#counts").get_by_text("Paste many counts").click()
    page.locator("#counts").get_by_label("Paste counts from a spreadsheet").fill(
        "31/02/2026\t1\t30"
    )
    page.locator("#counts").get_by_role("button", name="Check and save").click()
    expect(page.locator("#counts")).to_contain_text("Line 1:")
    assert_accessible(page, "counts: a paste refused, with the wrong line", within="#counts")

    infusions = page.locator("#infusions")
    infusions.get_by_text("Record an infusion").click()
    infusions.get_by_label("Given on").fill((course.day_zero - timedelta(days=5)).isoformat())
    infusions.get_by_role("button", name="Record the infusion").click()
    expect(page.locator("#infusions .error").first).to_be_visible()
    assert_accessible(page, "infusions: the form with an error", within="#infusions")

    results = page.locator("#results")
    results.get_by_label("Date").first.fill(today.isoformat())
    results.get_by_label("Test").select_option("chimerism_myeloid")
    results.get_by_label("Result", exact=True).fill("101")
    results.get_by_role("button", name="Add result").click()
    expect(page.locator("#results .field.has-error")).to_be_visible()
    assert_accessible(page, "lab results: the form with an error", within="#results")

    gvhd = page.locator("#gvhd")
    gvhd.get_by_text("Add an acute GVHD assessment").click()
    form = gvhd.locator("form.gvhd-form").first
    form.get_by_label("Date").fill(today.isoformat())
    form.get_by_label("Rash (% body surface)").fill("120")
    form.get_by_label("Bilirubin", exact=True).fill("52")
    form.get_by_label("Unit").select_option("µmol/L")
    form.get_by_label("Stool (mL a day, 3-day average)").fill("1200")
    assert_accessible(page, "GVHD: the acute editor open", within="#gvhd")
    form.get_by_role("button", name="Stage and save").click()
    expect(page.locator("#gvhd .field.has-error").first).to_be_visible()
    assert_accessible(page, "GVHD: the acute editor with an error", within="#gvhd")
    page.locator("#gvhd").get_by_label("Rash (% body surface)").first.fill("30")
    page.locator("#gvhd form.gvhd-form").first.get_by_role("button", name="Stage and save").click()
    expect(page.locator("#gvhd tbody tr").first).to_contain_text("Grade")
    page.locator("#gvhd tbody tr").first.get_by_role("link", name="Correct").click()
    expect(page.locator("#gvhd tr.editing")).to_have_count(1)
    assert_accessible(page, "GVHD: the correction row open", within="#gvhd")
    correction = page.locator("#gvhd tr.editing form").get_attribute("action") or ""
    page.locator("#gvhd tr.editing").get_by_role("link", name="Cancel").click()
    page.locator("#gvhd").get_by_text("Record a chronic GVHD diagnosis").click()
    assert_accessible(page, "GVHD: the chronic editor open", within="#gvhd")
    page.goto(correction.split("#")[0])
    assert_accessible(page, "GVHD: the correction on its own page (without JavaScript)")
    page.goto(course.get_absolute_url())

    immunity = page.locator("#immunity")
    immunity.get_by_text("Record a vaccination").click()
    immunity.get_by_role("button", name="Record the dose").first.click()
    expect(page.locator("#immunity .field.has-error").first).to_be_visible()
    assert_accessible(
        page, "immune recovery section, a vaccination with errors", within="#immunity"
    )

    registry = page.locator("#registry")
    registry.get_by_text("Transplant details").click()
    row = registry.locator("tbody tr").first
    row.get_by_role("combobox").select_option("submitted")
    row.get_by_role("button", name="Save").click()
    expect(page.locator("#registry").get_by_role("alert").first).to_be_visible()
    assert_accessible(page, "registry section, a status with an error", within="#registry")

    page.goto(course.get_absolute_url())
    assert_accessible(page, "course page with a count, a GVHD assessment and their charts")
    page.get_by_role("link", name="Move Day Zero").click()
    assert_accessible(page, "move Day Zero")
    page.get_by_label("New Day Zero").fill((course.day_zero + timedelta(days=2)).isoformat())
    page.get_by_label("Reason").fill("Donor product delayed")
    page.get_by_role("button", name="Show what will change").click()
    expect(page.get_by_role("heading", name="What will change")).to_be_visible()
    assert_accessible(page, "move Day Zero: the preview")

    page.goto(course.get_absolute_url())
    page.get_by_role("link", name="End this course").click()
    assert_accessible(page, "end the course")
    page.get_by_label("Why the course ends").select_option("transferred")
    page.get_by_label("On").fill(today.isoformat())
    page.get_by_role("button", name="Show what ending it does").click()
    expect(page.get_by_role("heading", name="What ending the course does")).to_be_visible()
    assert_accessible(page, "end the course: the preview")

    page.goto(course.get_absolute_url())
    page.get_by_role("link", name="Record earlier milestones").click()
    assert_accessible(page, "record earlier milestones")
    page.get_by_label("Everything due before").fill(today.isoformat())
    page.get_by_role("button", name="Show what will be recorded").click()
    expect(page.get_by_role("alert")).to_be_visible()
    assert_accessible(page, "record earlier milestones, with an error")
    page.get_by_label("Done on their due dates").check()
    page.get_by_role("button", name="Show what will be recorded").click()
    expect(page.get_by_role("heading", name="What will be recorded")).to_be_visible()
    assert_accessible(page, "record earlier milestones: the preview")

    page.goto(course.get_absolute_url())
    page.get_by_role("link", name="Start a subsequent transplant").click()
    page.get_by_role("button", name="Start the subsequent transplant").click()
    expect(page.locator(".has-error").first).to_be_visible()
    assert_accessible(page, "start a subsequent transplant, with errors")

    page.goto(f"/patients/{course.patient.code}/edit/")
    page.get_by_label("Date of birth").fill("1800-01-01")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".has-error").first).to_be_visible()
    assert_accessible(page, "a patient's details, with an error")

    page.goto("/accounts/password/change/")
    assert_accessible(page, "change your password")
    page.get_by_label("Old password").fill("wrong")
    page.get_by_label("New password", exact=True).fill("123")
    page.get_by_label("New password confirmation").fill("123")
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".has-error").first).to_be_visible()
    assert_accessible(page, "change your password, with several errors on a field")

    page.goto(f"/courses/{course.code}/history/")
    assert_accessible(page, "course history")
    page.get_by_label("Show").select_option("count_added")
    expect(page).to_have_url(re.compile(r"kind=count_added"))
    assert_accessible(page, "course history, filtered in place")

    page.goto(f"/courses/{course.code}/calendar/")
    assert_accessible(page, "the course's printable calendar (staff)")
    page.goto(old.get_absolute_url())
    assert_accessible(page, "course page of a course past its first year")

    page.goto(f"/courses/{uuid.uuid4()}/")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert_accessible(page, "404, logged in")


def test_clinic_staff_pages_and_states(page: Page, library):
    coordinator = user_in(roles.COORDINATOR, username="casey")
    user_in(roles.CLINIC_STAFF, username="robin", email="robin@example.org")
    today = clock.today()
    course = course_on("allo-ric-flu-mel", 14, given="Rosalind", family="Franklin", by=coordinator)
    page.set_viewport_size(DESKTOP)
    log_in(page, "robin")

    assert_accessible(page, "Today (clinic staff)")
    line = page.locator(".today-line", has=page.get_by_role("checkbox")).first
    line.get_by_role("checkbox").first.click()
    expect(line.get_by_role("checkbox").first).to_have_attribute("aria-checked", "true")
    assert_accessible(page, "Today, an item ticked in place")
    done = re.compile(r"done today$")
    with_items = page.locator(
        ".today-line:has(.checklist)", has=page.get_by_role("button", name=done)
    )
    refused = page.locator(f"#{with_items.first.get_attribute('id')}")
    refused.get_by_role("button", name=done).click()
    expect(refused.get_by_role("alert")).to_contain_text("checklist")
    assert_accessible(page, "Today, marking done refused in place (items not ticked)")
    for tick in refused.get_by_role("checkbox", checked=False).all():
        tick.click()
    expect(refused.get_by_role("checkbox", checked=False)).to_have_count(0)
    page.reload()
    refused.get_by_role("button", name=done).click()
    expect(refused.get_by_role("status")).to_have_text("Done today ✓")
    assert_accessible(page, "Today, a milestone marked done in place")
    page.get_by_role("button", name="E-mail me these counts each morning").click()
    expect(page.locator("#digest")).to_contain_text("The morning e-mail is on.")
    assert_accessible(page, "Today, the morning e-mail turned on in place")

    page.goto(course.get_absolute_url())
    assert_accessible(page, "course page (clinic staff)")
    open_milestone = page.locator("li.milestone", has=page.get_by_label("Done on")).first
    milestone = page.locator(f"#{open_milestone.get_attribute('id')}")
    milestone.get_by_label("Done on").fill((today + timedelta(days=2)).isoformat())
    milestone.get_by_role("button", name="Mark done").click()
    expect(milestone.get_by_role("alert")).to_be_visible()
    assert_accessible(
        page, "course page, a milestone done in the future refused in place", within="#timeline"
    )
    page.goto(course.patient.get_absolute_url())
    assert_accessible(page, "a patient's page (clinic staff)")

    page.goto(f"/courses/{course.code}/day-zero/")
    expect(page.get_by_role("heading", name="You can't do that here")).to_be_visible()
    assert_accessible(page, "403")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_patient_pages_and_states(page: Page, library, viewport):
    sam = user_in(roles.PATIENT, username="sam", email="sam@example.org")
    jo = user_in(roles.PATIENT, username="jo", email="jo@example.org")
    course_on("auto-beam", 12, given="Sam", family="Okafor", user=sam)
    course_on("bmac-injection", 0, given="Jo", family="Mensah", user=jo)
    someone_else = course_on("auto-beam", 3, given="Kim", family="Lee")
    page.set_viewport_size(viewport)

    page.goto("/accounts/login/")
    assert_accessible(page, "login")
    log_in(page, "sam")
    expect(page.locator("h1")).to_contain_text("Today is Day +12")
    assert_accessible(page, "my page (transplant)")
    page.get_by_role("button", name="Turn on calendar subscription").click()
    expect(page.locator(".qr-figure svg")).to_be_visible()
    page.get_by_text("Copy the address instead").click()
    assert_accessible(page, "my page, calendar subscription on with its QR code")
    page.get_by_role("button", name="Turn reminders on").click()
    expect(page.locator("#reminder-controls")).to_contain_text("E-mail reminders are on")
    assert_accessible(page, "my page, reminders turned on in place")
    for details in page.locator("main details").all():
        if details.is_visible() and not details.get_attribute("open"):
            details.locator("summary").click()
    assert_accessible(page, "my page, earlier and later dates unfolded")

    page.get_by_role("link", name="Print your calendar").click()
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    assert_accessible(page, "my printable calendar (transplant)")
    page.goto(someone_else.get_absolute_url())
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert_accessible(page, "404 (patient)")

    page.get_by_role("link", name="Password").click()
    page.get_by_role("button", name="Change password").click()
    expect(page.locator(".has-error").first).to_be_visible()
    assert_accessible(page, "change my password, with errors")

    page.context.clear_cookies()
    log_in(page, "jo")
    expect(page.locator("h1")).to_contain_text("Today is Day 0")
    assert_accessible(page, "my page (same-day procedure)")
    page.get_by_role("checkbox").first.click()  # after-care at home, from tomorrow
    expect(page.get_by_role("checkbox").first).to_have_attribute("aria-checked", "true")
    assert_accessible(page, "my page (procedure), an item ticked in place")
    page.goto("/me/calendar/")
    assert_accessible(page, "my printable calendar (procedure)")
