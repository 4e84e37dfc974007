"""The course's History page: who may see it, what it shows, pages, a fixed query count."""

import uuid

import pytest
import time_machine
from django.urls import reverse

from tracker.audit import ENTRIES_PER_PAGE, person
from tracker.models import ChecklistItem, Milestone, Patient, TransplantCourse

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}

# Session, user, two permission lookups, the course, six history sources, and the session
# saved again (three statements): the same with 5 changes as with 200, on any page.
QUERY_BOUND = 14


def url(course, page=None):
    address = reverse("course_history", args=[course.code])
    return f"{address}?page={page}" if page else address


def login_redirected(response) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("login"))


def bloods_item(course):
    return ChecklistItem.objects.get(
        milestone__course=course, milestone__occurrence=1, text="Bloods drawn"
    )


def toggle(item, times: int, by):
    """Tick and untick an item `times` times, as `by`."""
    for turn in range(times):
        item.set_checked(turn % 2 == 0, by=by)


class TestCourseHistory:
    def test_post_is_not_allowed(self, coordinator_client, course):
        assert coordinator_client.post(url(course)).status_code == 405

    def test_anonymous_is_sent_to_login(self, client, course):
        assert login_redirected(client.get(url(course)))

    def test_a_patient_may_not_see_the_history_of_their_own_course(self, patient_client, course):
        assert patient_client.get(url(course)).status_code == 403

    def test_clinic_staff_can_see_it(self, staff_client, course):
        assert staff_client.get(url(course)).status_code == 200

    def test_a_coordinator_can_see_it(self, coordinator_client, course):
        assert coordinator_client.get(url(course)).status_code == 200

    def test_an_unknown_course_is_not_found(self, coordinator_client):
        missing = reverse("course_history", args=[uuid.uuid4()])
        assert coordinator_client.get(missing).status_code == 404

    def test_it_links_back_to_the_timeline(self, coordinator_client, course):
        response = coordinator_client.get(url(course))
        assert f'href="{course.get_absolute_url()}"' in response.text

    def test_each_entry_says_who_and_when(self, coordinator_client, course, coordinator):
        text = coordinator_client.get(url(course)).text
        assert f"Course started: {course.protocol.name}" in text
        assert f"by {person(coordinator)}" in text
        assert '<time datetime="2026-11-21T12:00:00+00:00">21 Nov 2026 12:00</time>' in text

    def test_a_tick_made_on_the_timeline_is_shown_with_who_ticked_it(
        self, staff_client, course, clinic_staff
    ):
        item = bloods_item(course)
        staff_client.post(reverse("checklist_toggle", args=[item.code]), {"checked": "1"})
        text = staff_client.get(url(course)).text
        assert "“Bloods drawn” ticked under “Clinic visit (1)”" in text
        assert f"by {person(clinic_staff)}" in text

    def test_confirming_day_zero_on_the_course_page_is_shown_with_who_confirmed(
        self, coordinator_client, course, coordinator
    ):
        coordinator_client.post(reverse("day_zero_confirm", args=[course.code]))
        text = coordinator_client.get(url(course)).text
        assert "Day Zero confirmed: the infusion happened on 21 Nov 2026" in text
        assert text.count(f"by {person(coordinator)}") == 2

    def test_the_newest_change_is_listed_first(self, coordinator_client, course, clinic_staff):
        with time_machine.travel("2026-11-21 13:00 +00:00", tick=False):
            toggle(bloods_item(course), 1, clinic_staff)
        text = coordinator_client.get(url(course)).text
        assert text.index("“Bloods drawn” ticked") < text.index("Course started")

    def test_a_course_without_recorded_changes_says_so(self, coordinator_client, course):
        for model in (TransplantCourse, Patient, Milestone, ChecklistItem):
            model.history.all().delete()
        assert "No changes recorded yet." in coordinator_client.get(url(course)).text

    def test_a_long_history_has_a_next_page(self, coordinator_client, course, clinic_staff):
        toggle(bloods_item(course), ENTRIES_PER_PAGE, clinic_staff)
        text = coordinator_client.get(url(course)).text
        assert "Page 1 of 2" in text
        assert 'href="?page=2"' in text

    def test_the_second_page_holds_the_oldest_entry_and_a_previous_link(
        self, coordinator_client, course, clinic_staff
    ):
        toggle(bloods_item(course), ENTRIES_PER_PAGE, clinic_staff)
        text = coordinator_client.get(url(course, page=2)).text
        assert "Course started" in text
        assert 'href="?page=1"' in text

    def test_a_page_past_the_end_shows_the_last_page(self, coordinator_client, course):
        assert "Course started" in coordinator_client.get(url(course, page=99)).text

    def test_an_htmx_request_gets_only_the_list(self, coordinator_client, course):
        text = coordinator_client.get(url(course), headers=HX).text
        assert 'id="history"' in text
        assert "<h1>" not in text

    @pytest.mark.parametrize(("changes", "page"), [(5, 1), (200, 1), (200, 3)])
    def test_the_number_of_queries_does_not_grow_with_the_history(
        self, coordinator_client, course, clinic_staff, django_assert_max_num_queries, changes, page
    ):
        toggle(bloods_item(course), changes, clinic_staff)
        with django_assert_max_num_queries(QUERY_BOUND):
            response = coordinator_client.get(url(course, page=page))
        assert response.status_code == 200
