"""What patients see, on a 390 px phone and on paper (issue 17), for each kind of treatment in
the shipped library: a transplant, a knee injection (BMAC) and the leg cell therapy."""

import re
from datetime import timedelta

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from tests.e2e.test_coordinator_journey import log_in
from tests.factories import PatientFactory, start_course, user_in
from tracker import clock, roles
from tracker.models import Centre, Protocol
from tracker.models.centre import forget_centre

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
# The printout in A4 pages at most: month grids to Day +100, the later dates, who to call.
PRINTED_PAGES_AT_MOST = 4

JOURNEYS = {
    # protocol, day of the course today, a phase the patient must read, words never shown
    "transplant": ("auto-beam", 12, "Engraftment", ["Platelet engraftment", "× 10⁹/L"]),
    "knee": ("bmac-injection", 3, "Recovery", ["Conditioning", "Engraftment", "100-day"]),
    "leg": ("im-bm-cell-therapy-leg", -3, "Preparation", ["Conditioning", "Engraftment"]),
}


@pytest.fixture
def library():
    call_command("load_protocols", verbosity=0)
    Centre.objects.create(
        name="Northfield Transplant Unit",
        day_phone="01632 960 100",
        out_of_hours_phone="01632 960 999",
    )
    forget_centre()


def patient_on(slug: str, day: int):
    user = user_in(roles.PATIENT, username="sam")
    patient = PatientFactory(given_name="Sam", family_name="Okafor", user=user)
    start_course(
        patient=patient,
        protocol=Protocol.objects.get(slug=slug),
        day_zero=clock.today() - timedelta(days=day),
    )
    return patient


def pages_of(pdf: bytes) -> int:
    """The pages of a PDF Chromium printed (each page is a /Type /Page object)."""
    return len(re.findall(rb"/Type\s*/Page\b", pdf))


@pytest.mark.parametrize("journey", list(JOURNEYS))
def test_a_patient_reads_their_plan_on_a_phone_and_prints_it_short(page: Page, library, journey):
    slug, day, phase, never = JOURNEYS[journey]
    patient = patient_on(slug, day)
    page.set_viewport_size(PHONE)
    log_in(page, "sam")

    expect(page.locator("h1")).to_contain_text("Today is Day")
    expect(page.locator(".phase-name")).to_have_text(phase)
    # Nothing wider than the phone: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    call = page.locator(".call-us")
    expect(call.get_by_role("link", name="01632 960 100")).to_have_attribute(
        "href", "tel:01632960100"
    )
    expect(page.get_by_role("heading", name="When to call us straight away")).to_be_visible()
    main = page.locator("main").inner_text()
    for words in never:
        assert words not in main, words
    titles = page.locator(".plain-item h3").all_inner_texts()
    assert titles
    numbered = [title for title in titles if re.search(r"\(\d+\)", title)]
    assert not numbered, "no occurrence numbers for patients"

    # The phone calendar in two taps: turn it on, then the button (or the code).
    page.get_by_role("button", name="Turn on calendar subscription").click()
    add = page.get_by_role("link", name="Add to my phone's calendar")
    expect(add).to_have_attribute("href", re.compile(r"^webcal://.+/feeds/.+\.ics$"))
    expect(page.locator(".qr-figure svg")).to_be_visible()
    patient.refresh_from_db()
    assert patient.feed_token in (add.get_attribute("href") or "")

    page.get_by_role("link", name="Print your calendar").click()
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    title = "procedure calendar" if journey != "transplant" else "transplant calendar"
    expect(page.locator("h1")).to_contain_text(title)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=True)
    assert 1 <= pages_of(pdf) <= PRINTED_PAGES_AT_MOST, pages_of(pdf)
