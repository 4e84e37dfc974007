"""GVHD services: each write stages with the rules, keeps the course's GVHD columns, records
a course event, and refuses what would contradict what is recorded, saving nothing."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.factories import small_protocol, start_course
from tracker import services
from tracker.models import (
    AcuteGvhdAssessment,
    ChronicGvhd,
    ChronicGvhdAssessment,
    CourseEvent,
    EventKind,
    Kind,
)
from tracker.rules.gvhd import NIH_ORGANS

pytestmark = pytest.mark.django_db

DAY_ZERO = date(2026, 6, 1)


@pytest.fixture
def allo(coordinator, today):
    return start_course(protocol=small_protocol(), day_zero=DAY_ZERO, by=coordinator)


def acute(course, by, on, *, rash=0, bilirubin="1", stool=100, **more):
    return services.record_acute_gvhd(
        course=course,
        values={
            "assessed_on": on,
            "bsa_percent": Decimal(rash),
            "bilirubin": Decimal(bilirubin),
            "bilirubin_unit": "mg/dL",
            "stool_ml_per_day": stool,
            **more,
        },
        by=by,
    )


def scores(**given):
    return {organ: given.get(organ, 0) for organ in NIH_ORGANS}


class TestAcute:
    def test_the_stages_and_grade_are_the_rules_reading(self, allo, coordinator):
        assessment = acute(allo, coordinator, date(2026, 6, 20), rash=60, bilirubin="6.1")
        assert assessment.stages == (3, 3, 0, 0)
        assert assessment.grade == 3

    def test_the_course_keeps_the_latest_grade_by_date_and_the_worst(self, allo, coordinator):
        acute(allo, coordinator, date(2026, 6, 30), rash=10)  # grade I, the latest
        acute(allo, coordinator, date(2026, 6, 20), rash=60)  # grade II, entered late
        allo.refresh_from_db()
        assert (allo.gvhd_acute_grade, allo.gvhd_acute_peak) == (1, 2)

    def test_an_autologous_course_is_refused(self, coordinator):
        auto = start_course(
            protocol=small_protocol(kind=Kind.AUTOLOGOUS), day_zero=DAY_ZERO, by=coordinator
        )
        with pytest.raises(ValidationError, match="allogeneic courses only"):
            acute(auto, coordinator, date(2026, 6, 20))
        assert not AcuteGvhdAssessment.objects.exists()

    def test_missing_lower_gi_data_is_refused_not_staged_0(self, allo, coordinator):
        with pytest.raises(ValidationError, match="stool volume or the number of episodes"):
            acute(allo, coordinator, date(2026, 6, 20), stool=None)
        assert not AcuteGvhdAssessment.objects.exists()
        assert not CourseEvent.objects.filter(kind=EventKind.ACUTE_GVHD_ADDED).exists()

    def test_a_correction_that_changes_nothing_records_nothing(self, allo, coordinator):
        assessment = acute(allo, coordinator, date(2026, 6, 20), rash=30)
        services.correct_acute_gvhd(
            assessment=assessment, values={"bsa_percent": Decimal(30)}, by=coordinator
        )
        assert not CourseEvent.objects.filter(kind=EventKind.ACUTE_GVHD_CORRECTED).exists()

    def test_a_correction_of_a_deleted_assessment_is_none(self, allo, coordinator):
        assessment = acute(allo, coordinator, date(2026, 6, 20), rash=30)
        services.delete_acute_gvhd(assessment=assessment, by=coordinator)
        services.delete_acute_gvhd(assessment=assessment, by=coordinator)  # a second click
        assert CourseEvent.objects.filter(kind=EventKind.ACUTE_GVHD_DELETED).count() == 1
        result = services.correct_acute_gvhd(
            assessment=assessment, values={"bsa_percent": Decimal(60)}, by=coordinator
        )
        assert result is None

    def test_stool_mixed_with_urine_counts_half(self, allo, coordinator):
        assessment = acute(
            allo, coordinator, date(2026, 6, 20), stool=1200, stool_mixed_with_urine=True
        )
        assert assessment.lower_gi_stage == 1


class TestChronic:
    def test_a_diagnosis_is_an_episode_with_its_first_scoring(self, allo, coordinator):
        episode = services.diagnose_chronic_gvhd(
            course=allo, diagnosed_on=date(2026, 11, 1), scores=scores(lungs=1), by=coordinator
        )
        assert episode.assessments.get().severity == "moderate"
        allo.refresh_from_db()
        assert allo.gvhd_chronic == "moderate"
        event = CourseEvent.objects.get(kind=EventKind.CHRONIC_GVHD_DIAGNOSED)
        assert event.data["reason"] == "Moderate: lungs 1 (any lung involvement)"

    def test_a_second_active_diagnosis_is_refused(self, allo, coordinator):
        services.diagnose_chronic_gvhd(
            course=allo, diagnosed_on=date(2026, 11, 1), scores=scores(skin=1), by=coordinator
        )
        with pytest.raises(ValidationError, match="already has active chronic GVHD"):
            services.diagnose_chronic_gvhd(
                course=allo, diagnosed_on=date(2026, 11, 5), scores=scores(eyes=1), by=coordinator
            )
        assert ChronicGvhd.objects.count() == ChronicGvhdAssessment.objects.count() == 1

    def test_a_diagnosis_with_no_organ_involved_is_refused(self, allo, coordinator):
        with pytest.raises(ValidationError, match="at least one organ"):
            services.diagnose_chronic_gvhd(
                course=allo, diagnosed_on=date(2026, 11, 1), scores=scores(), by=coordinator
            )
        assert not ChronicGvhd.objects.exists()

    def test_a_recurrence_comes_after_the_resolution(self, allo, coordinator):
        episode = services.diagnose_chronic_gvhd(
            course=allo, diagnosed_on=date(2026, 9, 1), scores=scores(skin=1), by=coordinator
        )
        services.resolve_chronic_gvhd(
            episode=episode, resolved_on=date(2026, 10, 1), by=coordinator
        )
        with pytest.raises(ValidationError, match="resolved on 1 Oct 2026"):
            services.diagnose_chronic_gvhd(
                course=allo, diagnosed_on=date(2026, 9, 15), scores=scores(skin=1), by=coordinator
            )
        again = services.diagnose_chronic_gvhd(
            course=allo, diagnosed_on=date(2026, 10, 1), scores=scores(skin=2), by=coordinator
        )
        allo.refresh_from_db()
        assert allo.gvhd_chronic == "moderate"
        # The first resolution cannot be undone now: a later episode began after it.
        with pytest.raises(ValidationError, match="this resolution stays"):
            services.reopen_chronic_gvhd(episode=episode, by=coordinator)
        assert again.resolved_on is None

    def test_a_scoring_is_refused_before_the_diagnosis_or_after_resolution(self, allo, coordinator):
        episode = services.diagnose_chronic_gvhd(
            course=allo, diagnosed_on=date(2026, 9, 1), scores=scores(skin=1), by=coordinator
        )
        with pytest.raises(ValidationError, match="on or after the diagnosis"):
            services.score_chronic_gvhd(
                episode=episode, assessed_on=date(2026, 8, 31), scores=scores(), by=coordinator
            )
        services.resolve_chronic_gvhd(
            episode=episode, resolved_on=date(2026, 10, 1), by=coordinator
        )
        with pytest.raises(ValidationError, match="resolved on 1 Oct 2026"):
            services.score_chronic_gvhd(
                episode=episode, assessed_on=date(2026, 10, 5), scores=scores(), by=coordinator
            )

    def test_resolution_on_the_day_of_diagnosis_is_refused(self, allo, coordinator):
        episode = services.diagnose_chronic_gvhd(
            course=allo, diagnosed_on=date(2026, 9, 1), scores=scores(skin=1), by=coordinator
        )
        with pytest.raises(ValidationError, match="earliest it can be recorded resolved is 2 Sep"):
            services.resolve_chronic_gvhd(
                episode=episode, resolved_on=date(2026, 9, 1), by=coordinator
            )
        episode.refresh_from_db()
        assert episode.resolved_on is None
