"""Every page costs the same number of queries at a small and a large size.

Course pages are read on a course of 10 milestones and one of 300 (a daily step with three
checklist items, counts and lab results on both); lists with a few patients and with many.
Each page is requested once first (which may write the session), then counted: once with
nothing kept in the cache (the first view) and, for the pages that keep their parts, again.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import (
    PatientFactory,
    repeating_step,
    start_course,
    user_in,
)
from tracker import roles, services

pytestmark = pytest.mark.django_db


def daily_course(patient, coordinator, today, milestones):
    """A course seen on Day +20 whose `milestones` (10 or 300) fall in every phase from
    conditioning to immune recovery: one every 30 days from Day -10, or every day."""
    every = 30 if milestones == 10 else 1
    protocol = repeating_step(
        first_day=-10,
        last_day=-10 + (milestones - 1) * every,
        every=every,
        checklist="Bloods\nObservations\nPlan",
    ).protocol
    course = start_course(
        patient=patient, protocol=protocol, day_zero=today - timedelta(days=20), by=coordinator
    )
    for days in (1, 2, 3):
        services.record_counts(
            course=course,
            rows=[
                {
                    "drawn_on": today - timedelta(days=days),
                    "anc": Decimal("0.2"),
                    "platelets": 15,
                    "platelet_transfusion": False,
                }
            ],
            by=coordinator,
            today=today,
        )
    return course


def queries(client, url, *, cold=True) -> int:
    """The queries of one request: with nothing kept (cold), or right after the same one."""
    if cold:
        caches["pages"].clear()
        caches["fragments"].clear()
    else:
        client.get(url)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(captured)


COURSE_PAGES = [
    lambda course: course.get_absolute_url(),
    lambda course: f"{course.get_absolute_url()}?show=next30",
    lambda course: f"{course.get_absolute_url()}?show=overdue",
    lambda course: f"{course.get_absolute_url()}?open=immune_recovery",
    lambda course: reverse("course_history", args=[course.code]),
    lambda course: reverse("course_calendar", args=[course.code]),
    lambda course: reverse("day_zero_move", args=[course.code]),
    lambda course: reverse("patient_detail", args=[course.patient.code]),
]


@pytest.mark.parametrize("which", range(len(COURSE_PAGES)))
def test_a_course_page_costs_the_same_at_10_and_300_milestones(
    coordinator_client, coordinator, today, which
):
    small = daily_course(PatientFactory(), coordinator, today, 10)
    large = daily_course(PatientFactory(), coordinator, today, 300)
    urls = [COURSE_PAGES[which](small), COURSE_PAGES[which](large)]
    for url in urls:
        coordinator_client.get(url)  # the session's first write
    assert queries(coordinator_client, urls[0]) == queries(coordinator_client, urls[1])
    assert queries(coordinator_client, urls[0], cold=False) == queries(
        coordinator_client, urls[1], cold=False
    )


def test_a_folded_phase_opened_in_place_costs_the_same(coordinator_client, coordinator, today):
    small = daily_course(PatientFactory(), coordinator, today, 10)
    large = daily_course(PatientFactory(), coordinator, today, 300)
    counts = []
    for course in (small, large):
        url = reverse("course_phase", args=[course.code, "immune_recovery"])
        coordinator_client.get(url, headers={"HX-Request": "true"})
        caches["pages"].clear()
        caches["fragments"].clear()
        with CaptureQueriesContext(connection) as captured:
            coordinator_client.get(url, headers={"HX-Request": "true"})
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_the_patients_page_and_feed_cost_the_same_at_10_and_300_milestones(
    client, coordinator, today
):
    measured = []
    for milestones in (10, 300):
        patient = PatientFactory(user=user_in(roles.PATIENT, username=f"patient-{milestones}"))
        daily_course(patient, coordinator, today, milestones)
        feed = reverse("calendar_feed", args=[patient.renew_feed_token()])
        client.force_login(patient.user)
        client.get(reverse("my_page"))
        measured.append(
            (
                queries(client, reverse("my_page")),
                queries(client, reverse("my_page"), cold=False),
                queries(client, reverse("my_calendar")),
                queries(client, feed),
                queries(client, feed, cold=False),
            )
        )
    assert measured[0] == measured[1]


LIST_PAGES = ["patient_list", "follow_up", "follow_up_week", "follow_up_csv"]


@pytest.mark.parametrize("name", LIST_PAGES)
def test_a_list_costs_the_same_with_few_and_many_patients(
    coordinator_client, coordinator, today, name
):
    url = reverse(name)
    daily_course(PatientFactory(), coordinator, today, 10)
    coordinator_client.get(url)
    few = queries(coordinator_client, url)
    for _ in range(12):
        daily_course(PatientFactory(), coordinator, today, 30)
    many = queries(coordinator_client, url)
    assert few == many
