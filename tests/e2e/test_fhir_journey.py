"""The FHIR hand-over in a real browser: a nurse opens a course, downloads it as FHIR, gets a
Bundle file the R4 models accept, and finds the export on the course's History."""

import json
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_coordinator_journey import log_in
from tests.factories import PatientFactory, small_protocol, start_course, user_in
from tracker import clock, roles
from tracker.fhir.validate import validate

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_course_downloaded_as_fhir_and_its_history(page: Page):
    nurse = user_in(roles.CLINIC_STAFF, username="robin")
    course = start_course(
        patient=PatientFactory(given_name="Rosalind", family_name="Franklin", mrn="RF-1920"),
        protocol=small_protocol(name="Allogeneic (test)"),
        day_zero=clock.today() - timedelta(days=12),
        by=nurse,
    )
    log_in(page, "robin")
    page.goto(course.get_absolute_url())
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export as FHIR").click()
    download = download_info.value
    assert (
        download.suggested_filename == f"course-{course.code}-{clock.today().isoformat()}.fhir.json"
    )
    bundle = json.loads(open(download.path(), encoding="utf-8").read())  # noqa: PTH123, SIM115
    validate(bundle)
    patient = bundle["entry"][0]["resource"]
    assert patient["identifier"][0]["value"] == "RF-1920"

    page.get_by_role("link", name="History").click()
    expect(page.locator("main")).to_contain_text(
        f"Exported as FHIR R4: {len(bundle['entry'])} resources"
    )
