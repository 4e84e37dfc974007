"""Patient list (search), registration and the patient page."""

import uuid
from datetime import date

import pytest
from django.urls import reverse

from tests.factories import PatientFactory
from tracker.models import Patient

pytestmark = pytest.mark.django_db


def valid_patient(**overrides):
    data = {
        "mrn": "mrn-204411",
        "given_name": "  Grace ",
        "family_name": "Hopper",
        "date_of_birth": "1966-12-09",
    }
    return {**data, **overrides}


class TestPatientList:
    url = reverse("patient_list")

    def test_lists_patients_with_their_mrn(self, coordinator_client):
        PatientFactory(given_name="Grace", family_name="Hopper", mrn="MRN777001")
        response = coordinator_client.get(self.url)
        assert response.status_code == 200
        assert "<bdi>Hopper</bdi>, <bdi>Grace</bdi>" in response.text
        assert "MRN777001" in response.text

    def test_search_by_part_of_a_name_or_mrn(self, coordinator_client):
        PatientFactory(given_name="Grace", family_name="Hopper", mrn="MRN777001")
        PatientFactory(given_name="Alan", family_name="Turing", mrn="MRN888002")
        by_name = coordinator_client.get(self.url, {"q": "hop"}).text
        by_mrn = coordinator_client.get(self.url, {"q": "888"}).text
        assert "Hopper" in by_name
        assert "Turing" not in by_name
        assert "Turing" in by_mrn
        assert "Hopper" not in by_mrn

    def test_search_by_given_and_family_name_together(self, coordinator_client):
        PatientFactory(given_name="Grace", family_name="Hopper")
        PatientFactory(given_name="Grace", family_name="Kelly")
        text = coordinator_client.get(self.url, {"q": "grace kel"}).text
        assert "Kelly" in text
        assert "Hopper" not in text

    def test_htmx_search_returns_only_the_results_fragment(self, coordinator_client):
        PatientFactory(given_name="Grace", family_name="Hopper")
        response = coordinator_client.get(self.url, {"q": "hop"}, headers={"HX-Request": "true"})
        assert response.text.lstrip().startswith('<div id="results">')
        assert "<html" not in response.text
        assert "Hopper" in response.text

    def test_empty_search_says_nothing_matches_and_offers_registration(self, coordinator_client):
        text = coordinator_client.get(self.url, {"q": "nobody"}).text
        assert "No patient matches “nobody”" in text
        assert reverse("patient_create") in text

    def test_no_patients_at_all_has_its_own_empty_state(self, coordinator_client):
        assert "No patients yet" in coordinator_client.get(self.url).text

    def test_query_count_does_not_grow_with_patients(
        self, coordinator_client, django_assert_max_num_queries
    ):
        PatientFactory.create_batch(40)
        # session, user, permissions (2), count, page of patients, session save (+ savepoints)
        with django_assert_max_num_queries(9):
            coordinator_client.get(self.url)


class TestPatientCreate:
    url = reverse("patient_create")

    def test_put_is_not_allowed(self, coordinator_client):
        assert coordinator_client.put(self.url).status_code == 405

    def test_shows_the_form(self, coordinator_client):
        response = coordinator_client.get(self.url)
        assert response.status_code == 200
        assert 'name="mrn"' in response.text

    def test_registers_a_patient_and_redirects_to_their_page(self, coordinator_client):
        response = coordinator_client.post(self.url, valid_patient())
        patient = Patient.objects.get()
        assert response.status_code == 302
        assert response.url == patient.get_absolute_url()
        assert (patient.mrn, patient.given_name, patient.date_of_birth) == (
            "MRN-204411",
            "Grace",
            date(1966, 12, 9),
        )

    def test_registration_is_recorded_in_history_with_the_user(
        self, coordinator_client, coordinator
    ):
        coordinator_client.post(self.url, valid_patient())
        record = Patient.history.get()
        assert record.history_user == coordinator
        assert record.history_type == "+"

    @pytest.mark.parametrize(
        ("field", "value", "message"),
        [
            ("mrn", "", "This field is required."),
            ("mrn", "ab", "This is not a valid MRN"),
            ("mrn", "MRN 12/34", "This is not a valid MRN"),
            ("given_name", "   ", "This field is required."),
            ("family_name", "", "This field is required."),
            ("date_of_birth", "", "This field is required."),
            ("date_of_birth", "2027-01-01", "The date of birth cannot be in the future."),
            ("date_of_birth", "1850-01-01", "Check the year"),
            ("date_of_birth", "31/02/1970", "Enter a valid date."),
        ],
        ids=[
            "mrn-missing",
            "mrn-too-short",
            "mrn-bad-characters",
            "given-name-blank",
            "family-name-missing",
            "dob-missing",
            "dob-in-future",
            "dob-too-old",
            "dob-not-a-date",
        ],
    )
    def test_bad_input_is_explained_next_to_the_field_and_nothing_is_saved(
        self, coordinator_client, today, field, value, message
    ):
        response = coordinator_client.post(self.url, valid_patient(**{field: value}))
        assert response.status_code == 200
        assert message in response.text
        assert f'id="id_{field}_error"' in response.text
        assert not Patient.objects.exists()

    def test_duplicate_mrn_is_refused_whatever_its_case(self, coordinator_client):
        PatientFactory(mrn="MRN-204411")
        response = coordinator_client.post(self.url, valid_patient(mrn=" mrn-204411 "))
        assert "A patient with this MRN is already registered." in response.text
        assert Patient.objects.count() == 1


class TestPatientDetail:
    def test_unknown_patient_is_not_found(self, coordinator_client):
        url = reverse("patient_detail", args=[uuid.uuid4()])
        assert coordinator_client.get(url).status_code == 404

    def test_without_a_course_it_offers_to_start_one(self, coordinator_client, patient):
        text = coordinator_client.get(patient.get_absolute_url()).text
        assert "No course yet" in text
        assert reverse("course_start", args=[patient.code]) in text

    def test_lists_the_courses_with_today_label(self, coordinator_client, course):
        text = coordinator_client.get(course.patient.get_absolute_url()).text
        assert course.get_absolute_url() in text
        assert "today is Day 0" in text
