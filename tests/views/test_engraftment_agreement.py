"""The course page and the follow-up list (and its CSV) say the same about engraftment.

Cases from CLINICAL.md §3 and the issue that found the list and the page disagreeing.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import PatientFactory, small_protocol, start_course
from tracker import services
from tracker.queries import followup
from tracker.rules.engraftment import Alert, Outcome

pytestmark = pytest.mark.django_db

BOUNCE = [0.45, 0.55, 0.52, 0.50] + [0.0] * 37  # CIBMTR: counting starts after the nadir
NEVER_FELL = [2.0] * 41
LATE = [0.3] + [0.1] * 34 + [0.7] * 6  # ANC ≥ 0.5 from Day +35
ENGRAFTS = [0.3] + [0.1] * 13 + [0.9] * 27  # Day +14

CASES = {
    # name: (today's day, graft source, ANC by day from Day 0 or None, neutrophils, alert)
    "bounce-before-the-nadir": (40, "pbsc", BOUNCE, Outcome.NOT_YET, Alert.GRAFT_FAILURE),
    "never-fell": (40, "pbsc", NEVER_FELL, Outcome.NOT_APPLICABLE, Alert.NONE),
    "no-counts-at-all": (31, "pbsc", None, Outcome.NOT_YET, Alert.NO_COUNTS),
    "late-engraftment": (40, "pbsc", LATE, Outcome.ENGRAFTED, Alert.LATE_ENGRAFTMENT),
    "engrafted-in-time": (40, "pbsc", ENGRAFTS, Outcome.ENGRAFTED, Alert.NONE),
    "pbsc-on-a-cord-protocol": (31, "pbsc", [0.1] * 32, Outcome.NOT_YET, Alert.GRAFT_FAILURE),
    "cord-at-day-31": (31, "cord_blood", [0.1] * 32, Outcome.NOT_YET, Alert.NONE),
}


@pytest.fixture
def cord_protocol(db):
    """A cord blood protocol: the alert day comes from each course's graft source."""
    return small_protocol(
        name="Cord blood (test)", graft_source="cord_blood", tracks_engraftment=True
    )


@pytest.mark.parametrize(("name", "case"), CASES.items(), ids=list(CASES))
def test_the_page_and_the_list_agree(name, case, staff_client, coordinator, cord_protocol, today):
    day, graft_source, anc, neutrophils, alert = case
    course = start_course(
        patient=PatientFactory(),
        protocol=cord_protocol,
        day_zero=today - timedelta(days=day),
        by=coordinator,
    )
    course.graft_source = graft_source
    course.save(update_fields=["graft_source"])
    if anc:
        rows = [
            {
                "drawn_on": course.day_zero + timedelta(days=n),
                "anc": Decimal(str(value)),
                "platelets": None,
                "platelet_transfusion": False,
            }
            for n, value in enumerate(anc[: day + 1])
        ]
        services.record_counts(course=course, rows=rows, by=coordinator, today=today)

    page = staff_client.get(course.get_absolute_url()).context["engraftment"]
    filters = followup.Filters(include_later=True)
    courses = followup.follow_up_courses(today=today, filters=filters)
    [row] = followup.all_rows(courses, today=today)

    assert page.neutrophils.outcome == neutrophils
    assert page.graft.alert == alert
    assert row.engraftment == page
    csv = staff_client.get(reverse("follow_up_csv"), {"later": "on"})
    body = b"".join(csv.streaming_content).decode("utf-8")
    assert page.summary in body
    page_text = staff_client.get(course.get_absolute_url()).text
    assert ("Graft failure alert" in page_text) is (alert == Alert.GRAFT_FAILURE)
    list_text = staff_client.get(reverse("follow_up"), {"later": "on"}).text
    assert ("Graft failure alert" in list_text) is (alert == Alert.GRAFT_FAILURE)
