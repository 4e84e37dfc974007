"""GVHD on the course page: acute assessments and chronic GVHD, in place and without JS,
for the care team on allogeneic courses only."""

import re
from datetime import date, timedelta

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import repeating_step, small_protocol, start_course
from tracker import services
from tracker.models import (
    AcuteGvhdAssessment,
    ChronicGvhd,
    ChronicGvhdAssessment,
    CourseEvent,
    EventKind,
    Kind,
)

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
DAY_ZERO = date(2026, 9, 1)  # today (21 Nov 2026) is Day +81
NO_GVHD = {
    "assessed_on": "2026-11-20",
    "bsa_percent": "0",
    "bilirubin": "0.8",
    "bilirubin_unit": "mg/dL",
    "stool_ml_per_day": "200",
}
SCORES = dict.fromkeys(
    ["skin", "mouth", "eyes", "gi_tract", "liver", "lungs", "joints_fascia", "genital_tract"], "0"
)


@pytest.fixture
def allo(patient, coordinator, today):
    """Patient A's allogeneic course, on Day +81 today."""
    return start_course(
        patient=patient, protocol=small_protocol(), day_zero=DAY_ZERO, by=coordinator
    )


def add_acute(client, course, headers=None, **data):
    url = reverse("gvhd_acute_add", args=[course.code])
    return client.post(url, {**NO_GVHD, **data}, headers=headers or {})


def diagnose(client, course, headers=None, **data):
    url = reverse("gvhd_chronic_diagnose", args=[course.code])
    return client.post(url, {"assessed_on": "2026-11-20", **SCORES, **data}, headers=headers or {})


class TestAcuteAssessment:
    def test_an_htmx_add_answers_with_the_section_the_form_targets(self, staff_client, allo):
        page = staff_client.get(allo.get_absolute_url()).text
        url = reverse("gvhd_acute_add", args=[allo.code])
        assert re.search(rf'hx-post="{url}" hx-target="#gvhd" hx-swap="outerHTML"', page)
        response = add_acute(staff_client, allo, HX, bsa_percent="30", bilirubin="3.5")
        assert response.text.lstrip().startswith('<section id="gvhd"')
        assessment = AcuteGvhdAssessment.objects.get()
        assert (assessment.skin_stage, assessment.liver_stage, assessment.grade) == (2, 2, 3)
        assert "Grade III: liver stage 2" in response.text
        # the header's GVHD line follows out of band
        assert '<p id="gvhd-status" class="meta gvhd-status" hx-swap-oob="true">' in response.text
        assert "Acute grade III" in response.text

    def test_a_plain_add_redirects_to_the_section(self, staff_client, allo):
        response = add_acute(staff_client, allo, bsa_percent="60")
        assert response.status_code == 302
        assert response.url.endswith("#gvhd")
        page = staff_client.get(response.url).text
        assert "Acute grade II" in page

    def test_micromoles_are_converted(self, staff_client, allo):
        add_acute(staff_client, allo, bilirubin="52", bilirubin_unit="µmol/L")
        assert AcuteGvhdAssessment.objects.get().liver_stage == 2

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"bsa_percent": "101"}, "0 to 100 % of the body surface"),
            ({"bsa_percent": "1000"}, "0 to 100 % of the body surface"),  # too many digits
            ({"bsa_percent": "-1"}, "0 to 100 % of the body surface"),
            ({"bsa_percent": "24.55"}, "more decimals than are kept (1)"),
            ({"bsa_percent": ""}, "0 if none"),
            ({"bilirubin": ""}, "Enter the total bilirubin."),
            ({"bilirubin": "-0.5"}, "cannot be negative"),
            ({"bilirubin": "60"}, "check the value and unit"),
            ({"bilirubin": "12345"}, "check the value and unit"),
            ({"bilirubin": "900", "bilirubin_unit": "µmol/L"}, "check the value and unit"),
            ({"stool_episodes_per_day": "60"}, "Over 50 episodes"),
            ({"stool_episodes_per_day": "4.25"}, "more decimals than are kept (1)"),
            ({"bilirubin_unit": ""}, "Choose the bilirubin"),
            ({"stool_ml_per_day": "-5"}, "cannot be negative"),
            ({"stool_ml_per_day": "500.5"}, "whole mL"),
            ({"stool_ml_per_day": ""}, "stool volume or the number of episodes"),
            ({"stool_episodes_per_day": "-2"}, "cannot be negative"),
            ({"assessed_on": "2026-11-22"}, "cannot be in the future"),
            ({"assessed_on": "2026-08-31"}, "cannot be before Day 0"),
            ({"assessed_on": ""}, "Enter the date of the assessment."),
        ],
    )
    def test_bad_input_is_explained_next_to_the_field_and_nothing_is_saved(
        self, staff_client, allo, data, message
    ):
        response = add_acute(staff_client, allo, HX, **data)
        assert response.status_code == 200
        assert message in response.text
        assert 'class="field has-error"' in response.text
        assert not AcuteGvhdAssessment.objects.exists()

    def test_a_stage_4_sign_needs_no_volume(self, staff_client, allo):
        add_acute(staff_client, allo, stool_ml_per_day="", grossly_bloody_stool="on")
        assert AcuteGvhdAssessment.objects.get().lower_gi_stage == 4

    def test_a_second_assessment_on_one_day_is_refused(self, staff_client, allo):
        add_acute(staff_client, allo)
        response = add_acute(staff_client, allo, HX, bsa_percent="30")
        assert "already an assessment on 20 Nov 2026" in response.text
        assert AcuteGvhdAssessment.objects.count() == 1

    def test_bad_input_without_javascript_comes_back_on_the_page(self, staff_client, allo):
        response = add_acute(staff_client, allo, bsa_percent="abc")
        assert response.status_code == 200
        assert "<h1>" in response.text
        assert "Enter a number." in response.text

    def test_correcting_restages_and_is_a_course_event(self, staff_client, allo):
        add_acute(staff_client, allo, bsa_percent="30")
        assessment = AcuteGvhdAssessment.objects.get()
        url = reverse("gvhd_acute_edit", args=[assessment.code])
        row = staff_client.get(url, headers=HX).text
        assert row.lstrip().startswith(f'<tr id="acute-{assessment.code}"')
        response = staff_client.post(
            url, {**NO_GVHD, "bsa_percent": "60", "bilirubin": "7"}, headers=HX
        )
        assert response.text.lstrip().startswith('<section id="gvhd"')
        assessment.refresh_from_db()
        assert (assessment.skin_stage, assessment.liver_stage, assessment.grade) == (3, 3, 3)
        event = CourseEvent.objects.get(kind=EventKind.ACUTE_GVHD_CORRECTED)
        assert event.data["changes"]["bsa_percent"] == ["30", "60"]
        assert event.data["was_grade"] == "I"

    def test_a_correction_given_up_redraws_the_section(self, staff_client, allo):
        add_acute(staff_client, allo)
        assessment = AcuteGvhdAssessment.objects.get()
        url = reverse("gvhd_acute_edit", args=[assessment.code])
        row = staff_client.get(url, headers=HX).text
        assert f'hx-get="{url}?cancel=1" hx-target="#gvhd"' in row
        section = staff_client.get(f"{url}?cancel=1", headers=HX).text
        assert section.lstrip().startswith('<section id="gvhd"')
        assert 'class="editing"' not in section

    def test_without_javascript_a_refused_form_comes_back_at_the_section(self, staff_client, allo):
        page = staff_client.get(allo.get_absolute_url()).text
        url = reverse("gvhd_acute_add", args=[allo.code])
        assert f'action="{url}#gvhd"' in page

    def test_micromoles_show_the_milligrams_staged(self, staff_client, allo):
        add_acute(staff_client, allo, bilirubin="60", bilirubin_unit="µmol/L")
        page = staff_client.get(allo.get_absolute_url()).text
        assert "60 µmol/L (3.51 mg/dL)" in page

    def test_a_correction_without_javascript_has_its_own_page(self, staff_client, allo):
        add_acute(staff_client, allo)
        assessment = AcuteGvhdAssessment.objects.get()
        page = staff_client.get(reverse("gvhd_acute_edit", args=[assessment.code])).text
        assert "<h1>Correct the acute GVHD assessment of 20 Nov 2026</h1>" in page

    def test_deleting_is_a_course_event(self, staff_client, allo):
        add_acute(staff_client, allo, bsa_percent="30")
        assessment = AcuteGvhdAssessment.objects.get()
        url = reverse("gvhd_acute_delete", args=[assessment.code])
        response = staff_client.post(url, headers=HX)
        assert response.text.lstrip().startswith('<section id="gvhd"')
        assert not AcuteGvhdAssessment.objects.exists()
        assert CourseEvent.objects.filter(kind=EventKind.ACUTE_GVHD_DELETED).count() == 1
        allo.refresh_from_db()
        assert (allo.gvhd_acute_grade, allo.gvhd_acute_peak) == (None, None)
        assert staff_client.post(url, headers=HX).status_code == 404

    def test_grade_over_time_is_a_chart_and_a_table(self, staff_client, allo):
        add_acute(staff_client, allo, assessed_on="2026-10-01", bsa_percent="60")
        add_acute(staff_client, allo, assessed_on="2026-10-15", bsa_percent="20")
        page = staff_client.get(allo.get_absolute_url()).text
        assert 'aria-labelledby="gvhd-grade-title gvhd-grade-desc"' in page
        assert "Acute GVHD grade (0 to IV) by day" in page
        assert "improving" in page
        assert "Grade II</strong>, first on 1 Oct 2026 (Day +30)" in page
        assert "Acute grade I (worst II)" in page


class TestChronicGvhd:
    def test_diagnose_score_and_resolve(self, staff_client, allo):
        response = diagnose(staff_client, allo, HX, mouth="1", eyes="1")
        assert response.text.lstrip().startswith('<section id="gvhd"')
        assert "Mild" in response.text
        episode = ChronicGvhd.objects.get()
        allo.refresh_from_db()
        assert allo.gvhd_chronic == "mild"
        url = reverse("gvhd_chronic_score", args=[episode.code])
        response = staff_client.post(
            url, {"assessed_on": "2026-11-21", **SCORES, "lungs": "1"}, headers=HX
        )
        assert "Moderate: lungs 1" in response.text
        allo.refresh_from_db()
        assert allo.gvhd_chronic == "moderate"
        url = reverse("gvhd_chronic_resolve", args=[episode.code])
        response = staff_client.post(url, {"resolved_on": "2026-11-21"}, headers=HX)
        episode.refresh_from_db()
        assert episode.resolved_on == date(2026, 11, 21)
        allo.refresh_from_db()
        assert allo.gvhd_chronic == ""
        kinds = set(CourseEvent.objects.values_list("kind", flat=True))
        assert {
            EventKind.CHRONIC_GVHD_DIAGNOSED,
            EventKind.CHRONIC_GVHD_ASSESSED,
            EventKind.CHRONIC_GVHD_RESOLVED,
        } <= kinds

    def test_a_diagnosis_needs_an_organ_involved(self, staff_client, allo):
        response = diagnose(staff_client, allo, HX)
        assert "score at least one organ 1 to 3" in response.text
        assert not ChronicGvhd.objects.exists()

    def test_a_score_outside_0_to_3_is_refused(self, staff_client, allo):
        response = diagnose(staff_client, allo, HX, skin="4")
        assert "Choose a score from 0 to 3." in response.text
        assert not ChronicGvhd.objects.exists()

    def test_resolution_before_the_last_scoring_is_refused(self, staff_client, allo):
        diagnose(staff_client, allo, skin="1", assessed_on="2026-11-10")
        episode = ChronicGvhd.objects.get()
        services.score_chronic_gvhd(
            episode=episode,
            assessed_on=date(2026, 11, 15),
            scores={**dict.fromkeys(SCORES, 0), "skin": 1},
            by=allo.created_by,
        )
        url = reverse("gvhd_chronic_resolve", args=[episode.code])
        response = staff_client.post(url, {"resolved_on": "2026-11-12"}, headers=HX)
        assert "the earliest it can be recorded resolved is 15 Nov 2026" in response.text
        episode.refresh_from_db()
        assert episode.resolved_on is None

    def test_a_resolution_too_early_says_the_earliest_date(self, staff_client, allo):
        diagnose(staff_client, allo, skin="1", assessed_on="2026-11-10")
        episode = ChronicGvhd.objects.get()
        url = reverse("gvhd_chronic_resolve", args=[episode.code])
        response = staff_client.post(url, {"resolved_on": "2026-11-10"}, headers=HX)
        assert "the earliest it can be recorded resolved is 11 Nov 2026" in response.text
        assert 'class="field has-error"' in response.text

    def test_a_second_scoring_on_one_day_is_refused_next_to_the_date(self, staff_client, allo):
        diagnose(staff_client, allo, skin="1", assessed_on="2026-11-10")
        episode = ChronicGvhd.objects.get()
        url = reverse("gvhd_chronic_score", args=[episode.code])
        response = staff_client.post(url, {**SCORES, "assessed_on": "2026-11-10"}, headers=HX)
        assert "already a scoring on 10 Nov 2026" in response.text
        assert 'class="field has-error"' in response.text
        assert ChronicGvhdAssessment.objects.count() == 1

    def test_active_chronic_gvhd_scored_0_says_no_organ_involved(self, staff_client, allo):
        diagnose(staff_client, allo, skin="1", assessed_on="2026-11-10")
        episode = ChronicGvhd.objects.get()
        url = reverse("gvhd_chronic_score", args=[episode.code])
        response = staff_client.post(url, {**SCORES, "assessed_on": "2026-11-20"}, headers=HX)
        assert "No organ involved" in response.text
        assert "No chronic GVHD" not in response.text

    def test_undoing_a_resolution(self, staff_client, allo):
        diagnose(staff_client, allo, skin="1", assessed_on="2026-11-10")
        episode = ChronicGvhd.objects.get()
        staff_client.post(
            reverse("gvhd_chronic_resolve", args=[episode.code]), {"resolved_on": "2026-11-20"}
        )
        response = staff_client.post(
            reverse("gvhd_chronic_reopen", args=[episode.code]), headers=HX
        )
        assert "Score the chronic GVHD again" in response.text
        episode.refresh_from_db()
        assert episode.resolved_on is None
        allo.refresh_from_db()
        assert allo.gvhd_chronic == "mild"

    def test_the_diagnosis_scoring_goes_last_with_the_diagnosis(self, staff_client, allo):
        diagnose(staff_client, allo, skin="1", assessed_on="2026-11-10")
        episode = ChronicGvhd.objects.get()
        later = services.score_chronic_gvhd(
            episode=episode,
            assessed_on=date(2026, 11, 15),
            scores={**dict.fromkeys(SCORES, 0), "skin": 2},
            by=allo.created_by,
        )
        first = episode.assessments.get(assessed_on=date(2026, 11, 10))
        response = staff_client.post(reverse("gvhd_scoring_delete", args=[first.code]), headers=HX)
        assert "delete the later scorings first" in response.text
        assert ChronicGvhdAssessment.objects.count() == 2
        staff_client.post(reverse("gvhd_scoring_delete", args=[later.code]), headers=HX)
        staff_client.post(reverse("gvhd_scoring_delete", args=[first.code]), headers=HX)
        assert not ChronicGvhd.objects.exists()
        allo.refresh_from_db()
        assert allo.gvhd_chronic == ""


class TestWhoSeesGvhd:
    def test_a_coordinator_stages_too(self, coordinator_client, allo):
        assert add_acute(coordinator_client, allo).status_code == 302
        assert AcuteGvhdAssessment.objects.count() == 1

    def test_the_patient_gets_404_even_on_their_own_course(self, patient_client, allo):
        assert add_acute(patient_client, allo).status_code == 404
        assert diagnose(patient_client, allo, skin="1").status_code == 404
        assert not AcuteGvhdAssessment.objects.exists()

    def test_an_autologous_course_has_no_gvhd(self, staff_client, patient, coordinator, today):
        auto = start_course(
            patient=patient,
            protocol=small_protocol(kind=Kind.AUTOLOGOUS, donor_type="self"),
            day_zero=DAY_ZERO,
            by=coordinator,
        )
        page = staff_client.get(auto.get_absolute_url()).text
        assert 'id="gvhd"' not in page
        assert "GVHD:" not in page
        assert add_acute(staff_client, auto).status_code == 404

    def test_the_patient_page_and_feed_never_say_gvhd(self, staff_client, patient_client, allo):
        add_acute(staff_client, allo, bsa_percent="30")
        diagnose(staff_client, allo, skin="1")
        for url in (
            reverse("my_page"),
            reverse("my_calendar"),
            reverse("course_calendar", args=[allo.code]),
        ):
            assert "GVHD" not in patient_client.get(url).text


class TestHistory:
    def test_gvhd_changes_read_as_sentences(self, staff_client, allo):
        add_acute(staff_client, allo, bsa_percent="30")
        assessment = AcuteGvhdAssessment.objects.get()
        staff_client.post(
            reverse("gvhd_acute_edit", args=[assessment.code]),
            {**NO_GVHD, "bsa_percent": "30", "bilirubin": "2.5", "bilirubin_unit": "µmol/L"},
        )
        diagnose(staff_client, allo, skin="1", lungs="1")
        text = staff_client.get(reverse("course_history", args=[allo.code])).text
        added = "Acute GVHD assessment of 20 Nov 2026 added: grade I (Grade I: skin stage 2 only)"
        assert added in text
        assert "corrected: bilirubin 0.8 → 2.5; bilirubin unit mg/dL → µmol/L; grade I → I" in text
        assert "Chronic GVHD diagnosed on 20 Nov 2026: moderate (Moderate: lungs 1" in text


class TestFollowUpList:
    @pytest.fixture
    def three_courses(self, allo, coordinator):
        """Ada with acute grade II, Charles with mild chronic GVHD, a third with none."""
        form_values = {
            "assessed_on": date(2026, 11, 20),
            "bsa_percent": 60,
            "bullae_desquamation": False,
            "bilirubin": 1,
            "bilirubin_unit": "mg/dL",
            "stool_ml_per_day": 100,
        }
        services.record_acute_gvhd(course=allo, values=form_values, by=coordinator)
        chronic = start_course(protocol=small_protocol(), day_zero=DAY_ZERO, by=coordinator)
        chronic.patient.family_name = "Babbage"
        chronic.patient.save()
        services.diagnose_chronic_gvhd(
            course=chronic,
            diagnosed_on=date(2026, 11, 1),
            scores={**dict.fromkeys(SCORES, 0), "mouth": 1},
            by=coordinator,
        )
        start_course(protocol=small_protocol(), day_zero=DAY_ZERO, by=coordinator)
        return allo, chronic

    def test_the_list_has_a_gvhd_column(self, staff_client, three_courses):
        text = staff_client.get(reverse("follow_up")).text
        assert '<th scope="col">GVHD</th>' in text
        assert "<td>Acute II</td>" in text
        assert "<td>Chronic mild</td>" in text

    @pytest.mark.parametrize(
        ("choice", "shown"), [("", 3), ("any", 2), ("acute_2", 1), ("chronic", 1)]
    )
    def test_the_list_filters_on_gvhd(self, staff_client, three_courses, choice, shown):
        text = staff_client.get(reverse("follow_up"), {"gvhd": choice}).text
        assert f"{shown} patient" in text

    def test_the_gvhd_filter_finds_patients_after_day_100(
        self, staff_client, three_courses, coordinator, today
    ):
        # Past Day +100, with no Day-100 evaluation outstanding: off the usual list.
        late = start_course(
            protocol=repeating_step(first_day=1, last_day=3).protocol,
            day_zero=date(2025, 11, 1),
            by=coordinator,
        )
        services.diagnose_chronic_gvhd(
            course=late,
            diagnosed_on=date(2026, 6, 1),
            scores={**dict.fromkeys(SCORES, 0), "lungs": 2},
            by=coordinator,
        )
        assert "Chronic severe" not in staff_client.get(reverse("follow_up")).text
        text = staff_client.get(reverse("follow_up"), {"gvhd": "chronic"}).text
        assert "2 patients" in text
        assert "Chronic severe" in text

    def test_the_csv_has_a_gvhd_column(self, staff_client, three_courses):
        text = b"".join(staff_client.get(reverse("follow_up_csv")).streaming_content).decode()
        assert text.splitlines()[0].endswith(",GVHD")
        assert "Acute II" in text


class TestQueryCount:
    def queries_for(self, client, course, *, assessments, scorings, coordinator):
        for day in range(assessments):
            services.record_acute_gvhd(
                course=course,
                values={
                    "assessed_on": DAY_ZERO + timedelta(days=day + 1),
                    "bsa_percent": day % 60,
                    "bilirubin": 1,
                    "bilirubin_unit": "mg/dL",
                    "stool_ml_per_day": 100,
                },
                by=coordinator,
            )
        scores = {**dict.fromkeys(SCORES, 0), "skin": 1}
        episode = services.diagnose_chronic_gvhd(
            course=course, diagnosed_on=DAY_ZERO + timedelta(days=60), scores=scores, by=coordinator
        )
        for day in range(1, scorings):
            services.score_chronic_gvhd(
                episode=episode,
                assessed_on=DAY_ZERO + timedelta(days=60 + day),
                scores=scores,
                by=coordinator,
            )
        client.get(course.get_absolute_url())  # the session's own writes, once
        caches["pages"].clear()
        caches["fragments"].clear()
        with CaptureQueriesContext(connection) as queries:
            page = client.get(course.get_absolute_url()).text
        assert page.count('<tr id="acute-') == assessments
        assert page.count('<tr id="scoring-') == scorings
        return len(queries)

    def test_the_gvhd_section_reads_the_same_queries_at_any_size(
        self, coordinator_client, coordinator, patient, today
    ):
        small = start_course(
            patient=patient, protocol=small_protocol(), day_zero=DAY_ZERO, by=coordinator
        )
        large = start_course(protocol=small_protocol(), day_zero=DAY_ZERO, by=coordinator)
        few = self.queries_for(
            coordinator_client, small, assessments=1, scorings=1, coordinator=coordinator
        )
        many = self.queries_for(
            coordinator_client, large, assessments=40, scorings=8, coordinator=coordinator
        )
        assert few == many
