"""The live-vaccine gates from what is recorded on every course of the patient."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from tests.factories import small_protocol, start_course
from tracker import services
from tracker.models import Kind
from tracker.queries.immunity import live_vaccine_gates, transplant_day_zeros
from tracker.rules.gvhd import NIH_ORGANS

pytestmark = pytest.mark.django_db


@pytest.fixture
def first(patient, coordinator, today):
    return start_course(
        patient=patient, protocol=small_protocol(), day_zero=date(2023, 1, 10), by=coordinator
    )


def test_a_later_transplant_restarts_the_24_months(first, patient, coordinator):
    assert live_vaccine_gates(patient, date(2026, 11, 21)).eligible
    start_course(
        patient=patient, protocol=small_protocol(), day_zero=date(2025, 6, 1), by=coordinator
    )
    verdict = live_vaccine_gates(patient, date(2026, 11, 21))
    assert verdict.blocked_by == ["months_since_hct"]
    assert verdict.eligible_from == date(2027, 6, 1)


def test_a_same_day_procedure_is_not_a_transplant(first, patient, coordinator):
    start_course(
        patient=patient,
        protocol=small_protocol(kind=Kind.PROCEDURE, donor_type="self"),
        day_zero=date(2026, 1, 5),
        by=coordinator,
    )
    assert transplant_day_zeros(patient) == [date(2023, 1, 10)]
    assert live_vaccine_gates(patient, date(2026, 11, 21)).eligible


def test_records_on_every_course_count(first, patient, coordinator):
    second = start_course(
        patient=patient, protocol=small_protocol(), day_zero=date(2023, 6, 1), by=coordinator
    )
    services.record_immunosuppression(
        course=first, drug="Ciclosporin", started_on=date(2023, 1, 9), by=coordinator
    )
    services.record_ivig(course=second, given_on=date(2026, 6, 30), by=coordinator)
    services.diagnose_chronic_gvhd(
        course=first,
        diagnosed_on=date(2024, 3, 1),
        scores={organ: int(organ == "eyes") for organ in NIH_ORGANS},
        by=coordinator,
    )
    verdict = live_vaccine_gates(patient, date(2026, 11, 21))
    assert verdict.blocked_by == ["active_chronic_gvhd", "immunosuppression", "ivig"]
    assert verdict.eligible_from is None


def test_a_maintenance_drug_the_centre_does_not_count_is_left_out(first, patient, coordinator):
    services.record_immunosuppression(
        course=first,
        drug="Lenalidomide",
        started_on=date(2023, 4, 1),
        maintenance=True,
        counts=False,
        by=coordinator,
    )
    assert live_vaccine_gates(patient, date(2026, 11, 21)).eligible


def test_immune_recovery_is_not_recorded_on_a_procedure(patient, coordinator, today):
    procedure = start_course(
        patient=patient,
        protocol=small_protocol(kind=Kind.PROCEDURE, donor_type="self"),
        day_zero=date(2026, 1, 5),
        by=coordinator,
    )
    with pytest.raises(ValidationError, match="transplant courses only"):
        services.record_ivig(course=procedure, given_on=date(2026, 2, 1), by=coordinator)
