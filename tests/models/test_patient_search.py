"""Finding a patient as people type: any order, a comma between names, without accents."""

import pytest

from tests.factories import PatientFactory
from tracker.models import Patient
from tracker.models.patients import fold, search_words

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("José", "jose"),
        ("Łukasz Wróbel", "lukasz wrobel"),
        ("Søren Ærø", "soren aero"),
        ("Straße", "strasse"),
        ("MÜLLER", "muller"),
        ("Nguyễn", "nguyen"),
        ("Ørsted-Đorđević", "orsted-dordevic"),
    ],
)
def test_fold_takes_off_accents_and_case(text, folded):
    assert fold(text) == folded


def test_commas_and_semicolons_separate_words():
    assert search_words("Kowalski, Tomasz") == ["kowalski", "tomasz"]
    assert search_words("  kowalski;tomasz ") == ["kowalski", "tomasz"]
    assert search_words(" , ") == []


def registered(given: str, family: str, mrn: str) -> Patient:
    """A patient saved as the registration form and the services save one (full_clean)."""
    patient = Patient(given_name=given, family_name=family, mrn=mrn, date_of_birth="1970-01-01")
    patient.full_clean()
    patient.save()
    return patient


class TestSearch:
    @pytest.fixture
    def tomasz(self):
        return registered("Tomasz", "Kowalski", "MRN123456")

    @pytest.fixture
    def jose(self):
        return registered("José", "Núñez", "MRN654321")

    @pytest.mark.parametrize(
        "typed", ["Kowalski, Tomasz", "tomasz kowalski", "KOWAL", "kowalski,tomasz", "mrn1234"]
    )
    def test_finds_a_patient_however_the_name_is_typed(self, tomasz, jose, typed):
        assert list(Patient.objects.search(typed)) == [tomasz]

    @pytest.mark.parametrize("typed", ["Jose Nunez", "josé núñez", "NUNEZ, JOSE", "núnez"])
    def test_accents_do_not_matter_either_way(self, tomasz, jose, typed):
        assert list(Patient.objects.search(typed)) == [jose]

    def test_every_word_must_match(self, tomasz, jose):
        assert list(Patient.objects.search("Tomasz Núñez")) == []

    def test_an_edited_name_is_found_by_its_new_spelling(self, tomasz):
        tomasz.family_name = "Kowalska"
        tomasz.full_clean()
        tomasz.save()
        assert list(Patient.objects.search("kowalska")) == [tomasz]
        assert list(Patient.objects.search("kowalski")) == []

    def test_factories_keep_the_search_text_too(self):
        patient = PatientFactory(given_name="Zoë", family_name="Brontë")
        assert list(Patient.objects.search("zoe bronte")) == [patient]
