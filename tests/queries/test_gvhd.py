"""GVHD as other features read it: active chronic GVHD on a date (the live-vaccine gates),
its periods, and the acute summary (worst grade, onset, response, late acute)."""

from datetime import date
from decimal import Decimal

import pytest

from tests.factories import small_protocol, start_course
from tracker import services
from tracker.queries.gvhd import (
    acute_summary,
    chronic_gvhd_active_on,
    chronic_gvhd_periods,
    gvhd_words,
    status_words,
)
from tracker.rules.gvhd import NIH_ORGANS

pytestmark = pytest.mark.django_db

DAY_ZERO = date(2026, 1, 10)


@pytest.fixture
def allo(coordinator, today):
    return start_course(protocol=small_protocol(), day_zero=DAY_ZERO, by=coordinator)


def stage(course, by, on, rash):
    services.record_acute_gvhd(
        course=course,
        values={
            "assessed_on": on,
            "bsa_percent": Decimal(rash),
            "bilirubin": Decimal(1),
            "bilirubin_unit": "mg/dL",
            "stool_ml_per_day": 0,
        },
        by=by,
    )


class TestActiveChronicGvhd:
    @pytest.fixture
    def episode(self, allo, coordinator):
        episode = services.diagnose_chronic_gvhd(
            course=allo,
            diagnosed_on=date(2026, 6, 1),
            scores={organ: 1 if organ == "mouth" else 0 for organ in NIH_ORGANS},
            by=coordinator,
        )
        services.resolve_chronic_gvhd(episode=episode, resolved_on=date(2026, 9, 1), by=coordinator)
        episode.refresh_from_db()
        return episode

    @pytest.mark.parametrize(
        ("on", "active"),
        [
            (date(2026, 5, 31), False),  # the day before the diagnosis
            (date(2026, 6, 1), True),  # the day of the diagnosis
            (date(2026, 8, 31), True),  # the day before it resolved
            (date(2026, 9, 1), False),  # the day it resolved
        ],
    )
    def test_active_from_diagnosis_until_resolution(self, allo, episode, on, active):
        assert chronic_gvhd_active_on(allo.patient, on) is active
        assert episode.active_on(on) is active

    def test_periods_span_the_patients_courses(self, allo, episode, coordinator):
        second = start_course(
            patient=allo.patient,
            protocol=small_protocol(),
            day_zero=date(2026, 10, 1),
            by=coordinator,
        )
        services.diagnose_chronic_gvhd(
            course=second,
            diagnosed_on=date(2026, 11, 1),
            scores={organ: 2 if organ == "skin" else 0 for organ in NIH_ORGANS},
            by=coordinator,
        )
        assert chronic_gvhd_periods(allo.patient) == [
            (date(2026, 6, 1), date(2026, 9, 1)),
            (date(2026, 11, 1), None),
        ]
        assert chronic_gvhd_active_on(allo.patient, date(2026, 11, 21))

    def test_another_patient_is_not_affected(self, allo, episode, other_patient):
        assert not chronic_gvhd_active_on(other_patient, date(2026, 7, 1))
        assert chronic_gvhd_periods(other_patient) == []


class TestAcuteSummary:
    def test_worst_grade_is_the_first_time_it_was_reached(self, allo, coordinator):
        stage(allo, coordinator, date(2026, 1, 25), 60)  # grade II, Day +15
        stage(allo, coordinator, date(2026, 2, 1), 30)  # grade I
        stage(allo, coordinator, date(2026, 2, 8), 60)  # grade II again
        summary = acute_summary(allo)
        assert summary.peak is not None
        assert summary.peak.assessment.assessed_on == date(2026, 1, 25)
        assert summary.onset is summary.rows[0]
        assert [row.response for row in summary.rows] == ["first", "improving", "worse"]

    def test_onset_is_the_first_assessment_with_gvhd(self, allo, coordinator):
        stage(allo, coordinator, date(2026, 1, 20), 0)
        stage(allo, coordinator, date(2026, 1, 27), 10)
        summary = acute_summary(allo)
        assert summary.onset is not None
        assert summary.onset.day_label == "Day +17"
        assert summary.rows[0].label is None  # no GVHD, no name

    def test_after_day_100_it_is_late_acute(self, allo, coordinator):
        stage(allo, coordinator, date(2026, 4, 20), 0)  # Day +100
        stage(allo, coordinator, date(2026, 4, 21), 30)  # Day +101
        summary = acute_summary(allo)
        late = summary.rows[-1]
        assert late.label is not None
        assert late.label.text == "late acute"
        assert "Day +101, after Day +100" in late.label.reason
        assert summary.chart is not None
        assert [marker.label for marker in summary.chart.markers] == ["Day +100"]

    def test_acute_features_with_active_chronic_gvhd_are_the_overlap_syndrome(
        self, allo, coordinator
    ):
        services.diagnose_chronic_gvhd(
            course=allo,
            diagnosed_on=date(2026, 6, 1),
            scores={organ: 1 if organ == "mouth" else 0 for organ in NIH_ORGANS},
            by=coordinator,
        )
        stage(allo, coordinator, date(2026, 5, 31), 30)  # Day +141, before the diagnosis
        stage(allo, coordinator, date(2026, 6, 10), 30)  # while chronic GVHD is active
        before, during = acute_summary(allo).rows
        assert before.label is not None
        assert before.label.text == "late acute"
        assert during.label is not None
        assert during.label.text == "overlap syndrome"
        assert "while chronic GVHD is active" in during.label.reason

    def test_the_header_still_says_a_resolved_chronic_gvhd(self, allo, coordinator):
        episode = services.diagnose_chronic_gvhd(
            course=allo,
            diagnosed_on=date(2026, 6, 1),
            scores={organ: 1 if organ == "mouth" else 0 for organ in NIH_ORGANS},
            by=coordinator,
        )
        services.resolve_chronic_gvhd(episode=episode, resolved_on=date(2026, 9, 1), by=coordinator)
        allo.refresh_from_db()
        assert status_words(allo) == "Chronic GVHD resolved 1 Sep 2026"

    def test_no_assessment_no_chart(self, allo):
        summary = acute_summary(allo)
        assert (summary.rows, summary.peak, summary.onset, summary.chart) == ([], None, None, None)
        assert status_words(allo) == ""


@pytest.mark.parametrize(
    ("grade", "peak", "chronic", "words"),
    [
        (None, None, "", ""),
        (0, 0, "", ""),
        (2, 3, "", "Acute II"),
        (0, 2, "", "Acute resolved"),
        (None, None, "mild", "Chronic mild"),
        (1, 2, "severe", "Acute I · chronic severe"),
        (None, None, "none", "Chronic, no organ involved"),
    ],
)
def test_gvhd_words_for_the_list(grade, peak, chronic, words):
    assert gvhd_words(grade, peak, chronic) == words


def test_a_resolved_chronic_gvhd_is_still_said():
    assert gvhd_words(None, None, "", chronic_resolved=True) == "Chronic resolved"
    assert gvhd_words(0, 2, "", chronic_resolved=True) == "Acute resolved · chronic resolved"
