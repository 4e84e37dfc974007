"""The course's FHIR download: who may, what comes back, the course event it leaves, the link
on the course page, and a query count that does not grow with the course."""

import json
from datetime import timedelta

import pytest
from django.urls import reverse

from tests.factories import StepFactory, repeating_step, small_protocol, start_course
from tracker.models import CourseEvent, EventKind

pytestmark = pytest.mark.django_db


def test_the_care_team_downloads_the_course_as_a_collection_bundle(staff_client, autologous, today):
    response = staff_client.get(reverse("course_fhir", args=[autologous.code]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="course-{autologous.code}-2026-11-21.fhir.json"'
    )
    assert response["Cache-Control"] == "no-store"
    bundle = json.loads(response.content)
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    assert bundle["timestamp"] == "2026-11-21T12:00:00+00:00"
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert kinds[:3] == ["Patient", "PlanDefinition", "CarePlan"]
    assert "Léa" not in response.content.decode()  # another patient's course is not in it


def test_the_export_is_a_course_event_with_what_was_handed_over(
    coordinator_client, coordinator, autologous
):
    response = coordinator_client.get(reverse("course_fhir", args=[autologous.code]))
    resources = len(json.loads(response.content)["entry"])
    event = CourseEvent.objects.filter(course=autologous, kind=EventKind.FHIR_EXPORTED).get()
    assert event.by == coordinator
    assert event.data == {"resources": resources, "how": "download"}
    history = coordinator_client.get(reverse("course_history", args=[autologous.code]))
    assert f"Exported as FHIR R4: {resources} resources" in history.content.decode()


def test_the_course_page_links_to_the_export_for_the_care_team(staff_client, autologous):
    page = staff_client.get(autologous.get_absolute_url()).content.decode()
    assert f'href="{reverse("course_fhir", args=[autologous.code])}" download' in page


def test_a_patient_sees_no_export_link_on_their_own_course(client, autologous):
    from tests.factories import UserFactory

    user = UserFactory()
    autologous.patient.user = user
    autologous.patient.save()
    client.force_login(user)
    page = client.get(reverse("course_detail", args=[autologous.code]), follow=True)
    assert page.status_code == 200
    assert "fhir.json" not in page.content.decode()
    assert client.get(reverse("course_fhir", args=[autologous.code])).status_code == 403
    assert not CourseEvent.objects.filter(kind=EventKind.FHIR_EXPORTED).exists()


def test_a_post_is_refused_and_writes_nothing(staff_client, autologous):
    assert staff_client.post(reverse("course_fhir", args=[autologous.code])).status_code == 405
    assert not CourseEvent.objects.filter(kind=EventKind.FHIR_EXPORTED).exists()


def test_an_export_that_fails_the_r4_check_hands_nothing_over(
    staff_client, autologous, monkeypatch
):
    from tracker.fhir import course as fhir_course
    from tracker.fhir.validate import InvalidResource

    def broken(resource):
        raise InvalidResource("CarePlan/x: status 'done' is not in its value set")

    monkeypatch.setattr(fhir_course, "validate", broken)
    response = staff_client.get(reverse("course_fhir", args=[autologous.code]))
    assert response.status_code == 500
    assert "nothing was handed over" in response.content.decode()
    assert not CourseEvent.objects.filter(kind=EventKind.FHIR_EXPORTED).exists()


@pytest.mark.parametrize("days", [20, 200])
def test_the_query_count_does_not_grow_with_the_course(
    staff_client, coordinator, today, days, django_assert_num_queries
):
    protocol = small_protocol()
    repeating_step(protocol, first_day=1, last_day=days, checklist="Bloods\nWeight")
    StepFactory(protocol=protocol, key="mmr", day=None, months=24, vaccine="mmr", dose=1)
    course = start_course(protocol=protocol, day_zero=today - timedelta(days=days), by=coordinator)
    url = reverse("course_fhir", args=[course.code])
    # The same at 20 and 200 days: session, user and permissions, the course, the lock, one
    # query per kind of record (the live-vaccine gates' four among them), and the event.
    with django_assert_num_queries(28):
        response = staff_client.get(url)
    assert len(json.loads(response.content)["entry"]) > days
