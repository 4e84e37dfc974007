"""Turning the calendar subscription on and off, and the printable calendar, per role."""

import uuid
from datetime import date

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import StepFactory, repeating_step, start_course
from tracker.models import Centre
from tracker.models.centre import forget_centre

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def feed_token_of(patient):
    patient.refresh_from_db(fields=["feed_token"])
    return patient.feed_token


class TestMyFeed:
    url = reverse("my_feed")

    def test_clinic_staff_have_no_feed_of_their_own(self, staff_client):
        assert staff_client.post(self.url, {"action": "renew"}).status_code == 403

    def test_the_patient_turns_the_feed_on_and_goes_back_to_their_page(
        self, patient_client, patient
    ):
        response = patient_client.post(self.url, {"action": "renew"})
        assert response.status_code == 302
        assert response.url == reverse("my_page")
        assert feed_token_of(patient)
        [message] = get_messages(response.wsgi_request)
        assert "calendar address is ready" in str(message)

    def test_a_new_address_replaces_the_old_one(self, patient_client, patient):
        old = patient.renew_feed_token()
        patient_client.post(self.url, {"action": "renew"})
        assert feed_token_of(patient) not in (None, old)

    def test_the_patient_turns_the_feed_off(self, patient_client, patient):
        patient.renew_feed_token()
        patient_client.post(self.url, {"action": "revoke"})
        assert feed_token_of(patient) is None

    def test_it_changes_only_the_patients_own_feed(self, patient_client, patient, other_patient):
        others = other_patient.renew_feed_token()
        patient_client.post(self.url, {"action": "revoke"})
        patient_client.post(self.url, {"action": "renew"})
        assert feed_token_of(other_patient) == others

    def test_an_unknown_action_is_a_bad_request_and_changes_nothing(self, patient_client, patient):
        token = patient.renew_feed_token()
        response = patient_client.post(self.url, {"action": "delete"})
        assert response.status_code == 400
        assert "renew" in response.text
        assert feed_token_of(patient) == token

    def test_htmx_gets_the_controls_with_the_new_address(self, patient_client, patient):
        response = patient_client.post(self.url, {"action": "renew"}, headers=HX)
        assert response.status_code == 200
        assert "<html" not in response.text
        assert 'id="feed-controls"' in response.text
        assert f"http://testserver/feeds/{feed_token_of(patient)}.ics" in response.text
        assert f'action="{self.url}"' in response.text

    def test_htmx_after_turning_off_offers_to_turn_it_on(self, patient_client, patient):
        patient.renew_feed_token()
        response = patient_client.post(self.url, {"action": "revoke"}, headers=HX)
        assert "Turn on calendar subscription" in response.text
        assert "/feeds/" not in response.text


class TestPatientFeed:
    def url(self, patient):
        return reverse("patient_feed", args=[patient.code])

    def test_clinic_staff_may_not_manage_a_feed(self, staff_client, patient):
        response = staff_client.post(self.url(patient), {"action": "renew"})
        assert response.status_code == 403
        assert feed_token_of(patient) is None

    def test_a_patient_uses_their_own_page_not_the_coordinators_url(self, patient_client, patient):
        assert patient_client.post(self.url(patient), {"action": "renew"}).status_code == 403

    def test_a_patient_may_not_touch_another_patients_feed(self, patient_client, other_patient):
        # To patient A, patient B does not exist.
        token = other_patient.renew_feed_token()
        response = patient_client.post(self.url(other_patient), {"action": "revoke"})
        assert response.status_code == 404
        assert feed_token_of(other_patient) == token

    def test_an_unknown_patient_is_not_found(self, coordinator_client):
        url = reverse("patient_feed", args=[uuid.uuid4()])
        assert coordinator_client.post(url, {"action": "renew"}).status_code == 404

    def test_the_coordinator_renews_and_goes_back_to_the_patients_page(
        self, coordinator_client, patient
    ):
        old = patient.renew_feed_token()
        response = coordinator_client.post(self.url(patient), {"action": "renew"})
        assert response.status_code == 302
        assert response.url == patient.get_absolute_url()
        assert feed_token_of(patient) not in (None, old)

    def test_the_coordinator_turns_the_feed_off(self, coordinator_client, patient):
        patient.renew_feed_token()
        coordinator_client.post(self.url(patient), {"action": "revoke"})
        assert feed_token_of(patient) is None

    def test_an_unknown_action_is_a_bad_request(self, coordinator_client, patient):
        assert coordinator_client.post(self.url(patient), {}).status_code == 400

    def test_htmx_gets_the_controls_posting_back_to_this_url(self, coordinator_client, patient):
        response = coordinator_client.post(self.url(patient), {"action": "renew"}, headers=HX)
        assert response.status_code == 200
        assert "<html" not in response.text
        assert f'hx-post="{self.url(patient)}"' in response.text
        assert "The patient's subscription address" in response.text


def daily_protocol():
    """A protocol with a visit every day for 300 days."""
    return repeating_step(first_day=1, last_day=300).protocol


def rows_and_queries(client, url) -> tuple[int, int]:
    """How many dates a printout shows (a line in a day of the month grids, a row of the list
    after Day +100) and how many SQL queries it took (after a first request, which may write
    the session)."""
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    grids, _, after = response.text.partition('<section class="print-later"')
    months = grids.split('<section class="print-months"')[-1]
    return months.count("<li>") + after.count("<tr>"), len(queries)


@pytest.fixture
def team_only_step(protocol):
    return StepFactory(
        protocol=protocol, key="mdt", title="Team review of the case", day=5, audience="care_team"
    )


class TestMyCalendar:
    url = reverse("my_calendar")

    def test_someone_without_a_patient_record_goes_home(self, staff_client):
        response = staff_client.get(self.url)
        assert response.status_code == 302
        assert response.url == reverse("home")

    def test_shows_month_grids_to_day_100_with_each_days_number_and_what_falls_on_it(
        self, patient_client, course
    ):
        text = patient_client.get(self.url).text
        assert "<bdi>Ada Lovelace</bdi>: transplant calendar" in text
        assert "Day Zero Sat 21 Nov 2026" in text
        # Conditioning from Day -3 (18 Nov) to Day +100 (1 Mar 2027): four months.
        captions = ["November 2026", "December 2026", "January 2027", "February 2027"]
        assert [f"<caption>{month}</caption>" in text for month in captions] == [True] * 4
        assert "<caption>March 2027</caption>" in text
        assert "<caption>October 2026</caption>" not in text
        cell = text.split('<span class="date">18</span>', 1)[1].split("</td>", 1)[0]
        assert '<span class="day-number">Day \N{MINUS SIGN}3</span>' in cell
        assert "<li>Conditioning chemotherapy</li>" in cell
        assert '<td class="day-zero">' in text
        # The paper is short: the plain words are on the patient's page, not here.
        assert "Plain words for the patient." not in text

    def test_lists_the_dates_after_day_100(self, patient_client, patient, coordinator, today):
        later = StepFactory(key="six-months", title="Six-month check", day=None, months=6)
        start_course(patient=patient, protocol=later.protocol, day_zero=today, by=coordinator)
        text = patient_client.get(self.url).text
        after = text.split('<section class="print-later"', 1)[1]
        assert "After Day +100" in after
        assert '<td class="nowrap">Fri 21 May 2027</td>' in after
        assert "Six-month check" in after

    def test_names_the_centre_its_numbers_and_when_to_call(self, patient_client, course):
        Centre.objects.create(
            name="Northfield Transplant Unit",
            day_phone="01632 960 100",
            out_of_hours_phone="01632 960 999",
        )
        forget_centre()  # as the admin does after an edit
        text = patient_client.get(self.url).text
        assert "Northfield Transplant Unit" in text
        assert 'href="tel:01632960100"' in text
        assert 'href="tel:01632960999"' in text
        assert "When to call us straight away" in text
        assert '<button type="button" class="primary" data-print hidden>Print</button>' in text

    def test_a_procedure_prints_as_a_procedure_calendar(
        self, patient_client, patient, coordinator, today
    ):
        step = StepFactory(key="injection", title="Knee injection", day=0, months=None)
        step.protocol.phase_set = "procedure"
        step.protocol.kind = "procedure"
        step.protocol.save()
        start_course(patient=patient, protocol=step.protocol, day_zero=today, by=coordinator)
        text = patient_client.get(self.url).text
        assert "<bdi>Ada Lovelace</bdi>: procedure calendar" in text
        assert "transplant calendar" not in text
        assert "Day Zero" not in text

    def test_leaves_out_steps_for_the_care_team(self, patient_client, team_only_step, course):
        text = patient_client.get(self.url).text
        assert "Stem cell infusion" in text
        assert "Team review of the case" not in text

    def test_shows_the_current_course_and_links_to_the_others(
        self, patient_client, patient, protocol, coordinator, course
    ):
        second = start_course(
            patient=patient, protocol=protocol, day_zero=date(2027, 6, 1), by=coordinator
        )
        text = patient_client.get(self.url).text
        assert "Day Zero Sat 21 Nov 2026" in text
        assert f'href="?course={second.code}"' in text
        chosen = patient_client.get(self.url, {"course": second.code}).text
        assert "Day Zero Tue 1 Jun 2027" in chosen
        assert f'href="?course={course.code}"' in chosen

    def test_another_patients_course_is_not_found(self, patient_client, course, other_course):
        assert patient_client.get(self.url, {"course": other_course.code}).status_code == 404

    def test_a_malformed_course_code_is_not_found(self, patient_client, course):
        assert patient_client.get(self.url, {"course": "nope"}).status_code == 404

    def test_without_a_course_says_nothing_is_planned_yet(self, patient_client, patient):
        response = patient_client.get(self.url)
        assert response.status_code == 200
        assert "There is no plan yet" in response.text

    def test_the_number_of_queries_does_not_grow_with_the_milestones(
        self, patient_client, patient, course, coordinator, today
    ):
        few_rows, few_queries = rows_and_queries(patient_client, self.url)
        start_course(patient=patient, protocol=daily_protocol(), day_zero=today, by=coordinator)
        many_rows, many_queries = rows_and_queries(patient_client, self.url)
        assert many_rows >= 300 > few_rows
        assert many_queries == few_queries


class TestCourseCalendar:
    def url(self, course):
        return reverse("course_calendar", args=[course.code])

    def test_an_unknown_course_is_not_found(self, staff_client):
        url = reverse("course_calendar", args=[uuid.uuid4()])
        assert staff_client.get(url).status_code == 404

    def test_a_patient_cannot_see_another_patients_calendar(self, patient_client, other_course):
        assert patient_client.get(self.url(other_course)).status_code == 404

    def test_a_patient_may_print_their_own_course(self, patient_client, course):
        # It holds only what the patient may see, so it is theirs as much as the team's.
        response = patient_client.get(self.url(course))
        assert response.status_code == 200
        assert "Stem cell infusion" in response.text

    def test_clinic_staff_print_it_for_the_patient(self, staff_client, team_only_step, course):
        response = staff_client.get(self.url(course))
        assert response.status_code == 200
        assert "<bdi>Ada Lovelace</bdi>: transplant calendar" in response.text
        assert "data-print" in response.text
        assert f'href="{course.get_absolute_url()}"' in response.text
        assert "Team review of the case" not in response.text

    def test_a_course_with_nothing_for_the_patient_says_so(
        self, staff_client, patient, coordinator, today
    ):
        step = StepFactory(audience="care_team")
        course = start_course(
            patient=patient, protocol=step.protocol, day_zero=today, by=coordinator
        )
        response = staff_client.get(self.url(course))
        assert "Nothing to show yet" in response.text

    def test_the_number_of_queries_does_not_grow_with_the_milestones(
        self, staff_client, patient, course, coordinator, today
    ):
        few_rows, few_queries = rows_and_queries(staff_client, self.url(course))
        many = start_course(
            patient=patient, protocol=daily_protocol(), day_zero=today, by=coordinator
        )
        many_rows, many_queries = rows_and_queries(staff_client, self.url(many))
        assert many_rows >= 300 > few_rows
        assert many_queries == few_queries
