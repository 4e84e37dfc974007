"""The patient's own page, and what a patient may and may not do."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import StepFactory, repeating_step, start_course
from tracker import services
from tracker.models import ChecklistItem

pytestmark = pytest.mark.django_db

URL = reverse("my_page")


class TestMyPage:
    def test_care_team_without_a_patient_record_goes_home(self, coordinator_client):
        response = coordinator_client.get(URL)
        assert (response.status_code, response.url) == (302, reverse("home"))

    def test_says_what_day_it_is_with_the_date(self, patient_client, course, today):
        course.day_zero = today - timedelta(days=12)
        course.save()
        text = patient_client.get(URL).text
        assert "Today is Day +12" in text
        assert "(Saturday 21 November)" in text

    def test_explains_the_phase_in_plain_words(self, patient_client, course, today):
        course.day_zero = today - timedelta(days=12)
        course.save()
        text = patient_client.get(URL).text
        assert '<p class="phase-name">Engraftment</p>' in text
        assert "The new cells are settling into your bone marrow" in text

    def test_before_the_course_starts_it_says_so(self, patient_client, course, today):
        services.move_day_zero(
            course=course, day_zero=today + timedelta(days=20), by=course.created_by
        )
        text = patient_client.get(URL).text
        assert "Your treatment has not started yet." in text
        assert 'class="phase-name"' not in text

    def test_next_two_weeks_then_later_and_past_folded(self, patient_client, course):
        text = patient_client.get(URL).text
        soon = text.split('id="soon-title"')[1].split('id="later-title"')[0]
        later = text.split('id="later-title"')[1].split('class="past"')[0]
        assert "Stem cell infusion" in soon
        # Weekly visits on Day +7, +14 (the next two weeks), +21 and +28; not numbered for the
        # patient: the date says which.
        assert soon.count("<h3>Clinic visit</h3>") == 2
        assert "Day +7" in soon
        assert "Day +21" not in soon
        assert later.count("<h3>Clinic visit</h3>") == 2
        assert "Clinic visit (" not in text
        assert '<details class="past">' in text
        assert "Earlier (3)" in text  # the three conditioning days

    def test_care_team_only_steps_are_not_shown(self, patient_client, patient, coordinator, today):
        course = start_course(patient=patient, day_zero=today, by=coordinator)
        StepFactory(protocol=course.protocol, key="cmv", title="CMV PCR", audience="care_team")
        services.move_day_zero(course=course, day_zero=today + timedelta(days=1), by=coordinator)
        assert course.milestones.filter(step__key="cmv").exists()
        assert "CMV PCR" not in patient_client.get(URL).text

    def test_a_tandem_shows_the_current_course_first_and_links_the_other(
        self, patient_client, patient, course, coordinator, today
    ):
        second = start_course(
            patient=patient,
            protocol=course.protocol,
            day_zero=today + timedelta(90),
            by=coordinator,
        )
        text = patient_client.get(URL).text
        assert "Today is Day 0" in text
        assert f"<strong>1st transplant, Day Zero {course.day_zero:%-d %b %Y}</strong>" in text
        assert f'href="?course={second.code}"' in text
        other = patient_client.get(URL, {"course": str(second.code)}).text
        assert "Today is Day −90" in other

    def test_another_patients_course_is_not_found(self, patient_client, course, other_course):
        response = patient_client.get(URL, {"course": str(other_course.code)})
        assert response.status_code == 404

    def test_no_course_yet_has_an_empty_state(self, patient_client):
        assert "has not planned your treatment here yet" in patient_client.get(URL).text

    def test_query_count_does_not_grow_with_milestones(
        self, patient_client, course, django_assert_max_num_queries
    ):
        repeating_step(course.protocol, first_day=1, last_day=200)
        services.move_day_zero(
            course=course, day_zero=course.day_zero + timedelta(1), by=course.created_by
        )
        # 15: with the patient's last event (the live-vaccine gates read every course) and
        # their drugs and chronic GVHD (irradiated blood); none of it per milestone.
        with django_assert_max_num_queries(15):
            patient_client.get(URL)

    def test_seen_again_unchanged_the_plan_comes_from_the_cache(
        self, patient_client, course, django_assert_num_queries
    ):
        repeating_step(course.protocol, first_day=1, last_day=200)
        services.move_day_zero(
            course=course, day_zero=course.day_zero + timedelta(1), by=course.created_by
        )
        first = patient_client.get(URL).text
        # session, user, patient, courses, the course's last event, the patient's last event
        # (the live-vaccine gates read every course); the header's permissions
        with django_assert_num_queries(8):
            again = patient_client.get(URL).text
        assert again.count('class="plain-item') == first.count('class="plain-item') > 200

    def test_a_tick_and_a_moved_day_zero_show_at_once(self, patient_client, patient, course):
        item = StepFactory(
            protocol=course.protocol, key="prep", day=2, audience="patient", checklist="Pack a bag"
        )
        services.move_day_zero(
            course=course, day_zero=course.day_zero + timedelta(1), by=course.created_by
        )
        patient_client.get(URL)
        item = course.milestones.get(step=item).items.get()
        patient_client.post(reverse("checklist_toggle", args=[item.code]), {"checked": "1"})
        text = patient_client.get(URL).text
        assert f'<li id="item-{item.code}" class="check checked">' in text
        services.move_day_zero(
            course=course, day_zero=course.day_zero + timedelta(3), by=course.created_by
        )
        text = patient_client.get(URL).text
        assert (course.day_zero + timedelta(3)).strftime("%A %-d %B %Y") in text


class TestPatientOnCareTeamPages:
    def test_own_course_url_leads_to_my_page(self, patient_client, course):
        response = patient_client.get(course.get_absolute_url())
        assert response.status_code == 302
        assert response.url == f"{URL}?course={course.code}"

    def test_another_patients_course_is_not_found(self, patient_client, other_course):
        assert patient_client.get(other_course.get_absolute_url()).status_code == 404

    @pytest.mark.parametrize("name", ["patient_list", "patient_create"])
    def test_patient_lists_are_forbidden(self, patient_client, name):
        assert patient_client.get(reverse(name)).status_code == 403

    def test_login_lands_a_patient_on_their_page(self, client, patient):
        from tests.factories import PASSWORD

        response = client.post(
            reverse("login"), {"username": "ada", "password": PASSWORD}, follow=True
        )
        assert response.redirect_chain[-1][0] == URL


class TestPatientTicking:
    def prep_item(self, course):
        step = StepFactory(
            protocol=course.protocol,
            key="prep",
            title="Get ready",
            day=2,
            audience="patient",
            checklist="Bring your medication list",
        )
        services.move_day_zero(
            course=course, day_zero=course.day_zero + timedelta(1), by=course.created_by
        )
        return ChecklistItem.objects.get(milestone__step=step)

    def test_patient_ticks_their_own_preparation_item(self, patient_client, patient, course):
        item = self.prep_item(course)
        response = patient_client.post(
            reverse("checklist_toggle", args=[item.code]),
            {"checked": "1"},
            headers={"HX-Request": "true"},
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith(f'<li id="item-{item.code}" class="check checked"')
        item.refresh_from_db()
        assert item.checked_by == patient.user

    def test_plain_tick_redirects_to_my_page(self, patient_client, course):
        item = self.prep_item(course)
        response = patient_client.post(
            reverse("checklist_toggle", args=[item.code]), {"checked": "1"}
        )
        assert response.url == f"{URL}#milestone-{item.milestone.code}"

    def test_patient_cannot_tick_a_care_team_item(self, patient_client, course):
        item = ChecklistItem.objects.filter(milestone__course=course).first()
        response = patient_client.post(
            reverse("checklist_toggle", args=[item.code]), {"checked": "1"}
        )
        assert response.status_code == 403
        item.refresh_from_db()
        assert not item.is_checked

    def test_patient_cannot_tick_another_patients_item(self, patient_client, other_course):
        item = ChecklistItem.objects.filter(milestone__course=other_course).first()
        response = patient_client.post(
            reverse("checklist_toggle", args=[item.code]), {"checked": "1"}
        )
        assert response.status_code == 404


class TestThePageKept:
    def test_a_renewed_calendar_address_and_its_message_show_at_once(
        self, patient_client, patient, course
    ):
        patient_client.get(URL)  # kept
        response = patient_client.post(reverse("my_feed"), {"action": "renew"})
        assert response.status_code == 302
        patient.refresh_from_db()
        text = patient_client.get(URL).text
        assert "The calendar address is ready." in text
        assert patient.feed_token in text
        again = patient_client.get(URL).text
        assert "The calendar address is ready." not in again
        assert patient.feed_token in again

    def test_each_patient_sees_only_their_own_page(
        self, patient_client, course, other_course, client
    ):
        assert "Hello <bdi>Ada</bdi>." in patient_client.get(URL).text
        other = Client()
        other.force_login(other_course.patient.user)
        text = other.get(URL).text
        assert "Hello <bdi>Charles</bdi>." in text
        assert "Ada" not in text

    def test_the_address_follows_the_host_it_was_asked_on(self, patient_client, patient, course):
        patient.renew_feed_token()
        assert "http://testserver/feeds/" in patient_client.get(URL).text
        text = patient_client.get(URL, HTTP_HOST="localhost").text
        assert "http://localhost/feeds/" in text
