"""Immune recovery on the course page: vaccinations, immunosuppression and IVIG recorded in
place and without JavaScript, audited, and the live-vaccine gates today."""

import re
from datetime import date

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import StepFactory, small_protocol, start_course
from tracker import services
from tracker.models import (
    CourseEvent,
    EventKind,
    Immunosuppression,
    IvigDose,
    Kind,
    Vaccination,
)
from tracker.rules.gvhd import NIH_ORGANS

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
DAY_ZERO = date(2024, 6, 1)  # today (21 Nov 2026) is about 29 months after


@pytest.fixture
def long_ago(patient, coordinator, today):
    """Patient A's allogeneic course, 29 months ago."""
    return start_course(
        patient=patient, protocol=small_protocol(), day_zero=DAY_ZERO, by=coordinator
    )


def post(client, name, obj, data=None, headers=None):
    return client.post(reverse(name, args=[obj.code]), data or {}, headers=headers or {})


class TestVaccinations:
    def test_an_htmx_add_answers_with_the_section_the_form_targets(self, staff_client, long_ago):
        page = staff_client.get(long_ago.get_absolute_url()).text
        url = reverse("vaccination_add", args=[long_ago.code])
        assert re.search(rf'hx-post="{url}" hx-target="#immunity" hx-swap="outerHTML"', page)
        response = post(
            staff_client,
            "vaccination_add",
            long_ago,
            {"vaccine": "pcv", "dose": "1", "given_on": "2024-09-03", "batch": "AB12"},
            HX,
        )
        assert response.text.lstrip().startswith('<section id="immunity"')
        vaccination = Vaccination.objects.get()
        assert (vaccination.vaccine, vaccination.dose, vaccination.batch) == ("pcv", 1, "AB12")
        event = CourseEvent.objects.get(kind=EventKind.VACCINATION_ADDED)
        assert event.data["name"] == "Pneumococcal conjugate (PCV)"

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"vaccine": ""}, "Choose the vaccine."),
            ({"dose": ""}, "Enter the dose number"),
            ({"dose": "0"}, "The first dose is dose 1."),
            ({"vaccine": "ppsv23", "dose": "2"}, "at most 1 dose."),
            ({"given_on": "2026-11-22"}, "cannot be in the future"),
            ({"given_on": "2024-05-31"}, "cannot be before Day 0"),
        ],
    )
    def test_bad_input_is_explained_next_to_the_field(self, staff_client, long_ago, data, message):
        fields = {"vaccine": "pcv", "dose": "1", "given_on": "2024-09-03", **data}
        response = post(staff_client, "vaccination_add", long_ago, fields, HX)
        assert message in response.text
        assert 'class="field has-error"' in response.text
        assert not Vaccination.objects.exists()

    def test_a_dose_recorded_twice_is_refused(self, staff_client, long_ago):
        fields = {"vaccine": "pcv", "dose": "1", "given_on": "2024-09-03"}
        post(staff_client, "vaccination_add", long_ago, fields, HX)
        response = post(staff_client, "vaccination_add", long_ago, fields, HX)
        assert "already recorded" in response.text
        assert Vaccination.objects.count() == 1

    def test_doses_come_in_order(self, staff_client, long_ago):
        post(
            staff_client,
            "vaccination_add",
            long_ago,
            {"vaccine": "pcv", "dose": "2", "given_on": "2024-10-03"},
        )
        response = post(
            staff_client,
            "vaccination_add",
            long_ago,
            {"vaccine": "pcv", "dose": "1", "given_on": "2024-10-10"},
            HX,
        )
        assert "come in order" in response.text
        assert Vaccination.objects.count() == 1

    def test_a_live_vaccine_while_the_gates_fail_needs_the_reason(
        self, staff_client, long_ago, coordinator
    ):
        services.record_immunosuppression(
            course=long_ago, drug="Ciclosporin", started_on=date(2024, 5, 31), by=coordinator
        )
        mmr = {"vaccine": "mmr", "dose": "1", "given_on": "2026-11-20"}
        response = post(staff_client, "vaccination_add", long_ago, mmr, HX)
        assert "gates did not pass on 20 Nov 2026" in response.text
        assert "On immunosuppression" in response.text
        assert not Vaccination.objects.exists()
        post(
            staff_client,
            "vaccination_add",
            long_ago,
            {**mmr, "gates_overridden": "Measles outbreak; consultant decision"},
            HX,
        )
        assert Vaccination.objects.get().gates_overridden == "Measles outbreak; consultant decision"

    def test_deleting_is_a_course_event(self, staff_client, long_ago, coordinator):
        vaccination = services.record_vaccination(
            course=long_ago, vaccine="hepb", dose=1, given_on=date(2025, 1, 6), by=coordinator
        )
        response = post(staff_client, "vaccination_delete", vaccination, headers=HX)
        assert response.text.lstrip().startswith('<section id="immunity"')
        assert not Vaccination.objects.exists()
        assert CourseEvent.objects.filter(kind=EventKind.VACCINATION_DELETED).count() == 1


class TestImmunosuppressionAndGates:
    def test_stopping_immunosuppression_opens_the_gate_12_months_later(
        self, staff_client, long_ago
    ):
        response = post(
            staff_client,
            "drug_add",
            long_ago,
            {"drug": "Ciclosporin", "started_on": "2024-05-31", "counts": "on"},
            HX,
        )
        assert "still taking" in response.text
        assert "the date they could open is not known yet" in response.text
        entry = Immunosuppression.objects.get()
        response = post(staff_client, "drug_stop", entry, {"stopped_on": "2025-11-21"}, HX)
        # 12 months off it: 21 Nov 2026, today.
        assert "gates pass" in response.text
        response = post(staff_client, "drug_stop", entry, {"stopped_on": "2025-11-21"}, HX)
        assert "recorded stopped on 21 Nov 2025" in response.text
        kinds = list(CourseEvent.objects.values_list("kind", flat=True))
        assert EventKind.IMMUNOSUPPRESSION_STOPPED in kinds

    def test_stopped_11_months_ago_still_blocks_until_its_date(self, staff_client, long_ago):
        post(
            staff_client,
            "drug_add",
            long_ago,
            {
                "drug": "Tacrolimus",
                "started_on": "2024-05-31",
                "stopped_on": "2025-12-21",
                "counts": "on",
            },
        )
        page = staff_client.get(long_ago.get_absolute_url()).text
        assert "blocked</span> until 21 Dec 2026 at the earliest" in page

    def test_maintenance_not_counted_does_not_block(self, staff_client, long_ago):
        post(
            staff_client,
            "drug_add",
            long_ago,
            {"drug": "Lenalidomide", "started_on": "2024-09-01", "maintenance": "on"},
        )
        page = staff_client.get(long_ago.get_absolute_url()).text
        assert "not counted for the live-vaccine gates" in page
        assert "gates pass" in page

    def test_a_stop_before_the_start_is_refused_next_to_the_field(self, staff_client, long_ago):
        post(
            staff_client,
            "drug_add",
            long_ago,
            {"drug": "Ciclosporin", "started_on": "2024-05-31", "counts": "on"},
        )
        entry = Immunosuppression.objects.get()
        response = post(staff_client, "drug_stop", entry, {"stopped_on": "2024-05-01"}, HX)
        assert "it stops on or after that" in response.text
        entry.refresh_from_db()
        assert entry.stopped_on is None

    def test_ivig_holds_live_vaccines_back_8_months(self, staff_client, long_ago):
        response = post(staff_client, "ivig_add", long_ago, {"given_on": "2026-06-30"}, HX)
        assert "not before 28 Feb 2027" in response.text
        response = post(staff_client, "ivig_add", long_ago, {"given_on": "2026-06-30"}, HX)
        assert "already recorded" in response.text
        assert IvigDose.objects.count() == 1
        post(staff_client, "ivig_delete", IvigDose.objects.get(), headers=HX)
        assert not IvigDose.objects.exists()

    def test_active_chronic_gvhd_blocks(self, staff_client, long_ago, coordinator):
        services.diagnose_chronic_gvhd(
            course=long_ago,
            diagnosed_on=date(2025, 3, 1),
            scores={
                "skin": 1,
                "mouth": 0,
                "eyes": 0,
                "gi_tract": 0,
                "liver": 0,
                "lungs": 0,
                "joints_fascia": 0,
                "genital_tract": 0,
            },
            by=coordinator,
        )
        page = staff_client.get(long_ago.get_absolute_url()).text
        assert "Active chronic GVHD (since 1 Mar 2025)" in page

    def test_the_history_reads_as_sentences(self, staff_client, long_ago):
        post(
            staff_client,
            "vaccination_add",
            long_ago,
            {"vaccine": "hepb", "dose": "1", "given_on": "2025-01-06", "product": "Engerix B"},
        )
        post(
            staff_client,
            "drug_add",
            long_ago,
            {"drug": "Ciclosporin", "started_on": "2024-05-31", "counts": "on"},
        )
        post(staff_client, "ivig_add", long_ago, {"given_on": "2025-02-01"})
        text = staff_client.get(reverse("course_history", args=[long_ago.code])).text
        assert "Hepatitis B dose 1 given on 6 Jan 2025 recorded (Engerix B)" in text
        assert "Ciclosporin recorded from 31 May 2024" in text
        assert "IVIG dose of 1 Feb 2025 recorded" in text


class TestWhoSeesIt:
    def test_the_patient_gets_404_even_on_their_own_course(self, patient_client, long_ago):
        fields = {"vaccine": "pcv", "dose": "1", "given_on": "2024-09-03"}
        assert post(patient_client, "vaccination_add", long_ago, fields).status_code == 404
        assert (
            post(patient_client, "ivig_add", long_ago, {"given_on": "2025-01-01"}).status_code
            == 404
        )
        assert not Vaccination.objects.exists()

    def test_a_procedure_has_no_immune_recovery_section(self, staff_client, patient, coordinator):
        procedure = start_course(
            patient=patient,
            protocol=small_protocol(kind=Kind.PROCEDURE, donor_type="self"),
            day_zero=DAY_ZERO,
            by=coordinator,
        )
        assert 'id="immunity"' not in staff_client.get(procedure.get_absolute_url()).text
        assert (
            post(staff_client, "ivig_add", procedure, {"given_on": "2025-01-01"}).status_code == 404
        )


def test_the_section_reads_the_same_queries_at_any_size(
    coordinator_client, coordinator, patient, today
):
    """1 or 10 doses, drugs and IVIG doses: the same number of queries."""

    def queries(course, size):
        for n in range(size):
            services.record_vaccination(
                course=course,
                vaccine="influenza",
                dose=n + 1,
                given_on=date(2025, 1, n + 1),
                gates_overridden="" if n == 0 else "Test: more than one a season",
                by=coordinator,
            )
            services.record_immunosuppression(
                course=course, drug=f"Drug {n}", started_on=date(2024, 6, n + 1), by=coordinator
            )
            services.record_ivig(course=course, given_on=date(2024, 7, n + 1), by=coordinator)
        coordinator_client.get(course.get_absolute_url())  # the session's own writes, once
        caches["pages"].clear()
        caches["fragments"].clear()
        with CaptureQueriesContext(connection) as captured:
            page = coordinator_client.get(course.get_absolute_url()).text
        assert page.count('<tr id="vaccination-') == size
        assert page.count('<tr id="drug-') == size
        return len(captured)

    small = start_course(
        patient=patient, protocol=small_protocol(), day_zero=DAY_ZERO, by=coordinator
    )
    large = start_course(protocol=small_protocol(), day_zero=DAY_ZERO, by=coordinator)
    assert queries(small, 1) == queries(large, 10)


@pytest.fixture
def live_protocol():
    """A protocol with PCV dose 1 at 3 months and MMR dose 1 at 24 months."""
    protocol = small_protocol()
    StepFactory(
        protocol=protocol,
        key="pcv-1-step",
        title="PCV, dose 1",
        day=None,
        months=3,
        vaccine="pcv",
        dose=1,
        checklist="",
        position=70,
    )
    StepFactory(
        protocol=protocol,
        key="mmr-step",
        title="MMR (live), dose 1",
        day=None,
        months=24,
        vaccine="mmr",
        dose=1,
        checklist="",
        position=80,
        patient_text="Today you may get the MMR vaccine.",
    )
    return protocol


class TestVaccineMilestones:
    def test_recording_a_dose_completes_its_milestone_and_deleting_reopens_it(
        self, staff_client, patient, coordinator, live_protocol, today
    ):
        course = start_course(
            patient=patient, protocol=live_protocol, day_zero=DAY_ZERO, by=coordinator
        )
        post(
            staff_client,
            "vaccination_add",
            course,
            {"vaccine": "pcv", "dose": "1", "given_on": "2024-09-10"},
        )
        milestone = course.milestones.get(step__key="pcv-1-step")
        assert milestone.completed_on == date(2024, 9, 10)
        vaccination = Vaccination.objects.get()
        post(staff_client, "vaccination_delete", vaccination)
        milestone.refresh_from_db()
        assert milestone.completed_on is None
        text = staff_client.get(reverse("course_history", args=[course.code])).text
        assert "marked done on 10 Sep 2024 (vaccination recorded)" in text
        assert "reopened (it had been done on 10 Sep 2024): vaccination deleted" in text

    def test_a_blocked_live_vaccine_says_so_and_cannot_be_marked_done(
        self, staff_client, patient, coordinator, live_protocol, today
    ):
        course = start_course(
            patient=patient, protocol=live_protocol, day_zero=DAY_ZERO, by=coordinator
        )
        services.record_immunosuppression(
            course=course, drug="Ciclosporin", started_on=date(2024, 5, 31), by=coordinator
        )
        mmr = course.milestones.get(step__key="mmr-step")
        page = staff_client.get(f"{course.get_absolute_url()}?open={mmr.phase.value}").text
        assert "Blocked: On immunosuppression" in page
        response = staff_client.post(
            reverse("milestone_complete", args=[mmr.code]),
            {"completed_on": "2026-11-20"},
            headers=HX,
        )
        assert "Blocked: On immunosuppression" in response.text
        assert "record the dose under Immune recovery" in response.text
        mmr.refresh_from_db()
        assert mmr.completed_on is None

    def test_the_patient_never_reads_a_blocked_live_vaccine_as_something_to_get(
        self, client, patient, coordinator, live_protocol, today
    ):
        course = start_course(
            patient=patient, protocol=live_protocol, day_zero=date(2025, 1, 10), by=coordinator
        )
        services.confirm_day_zero(course=course, by=coordinator, today=today)
        client.force_login(patient.user)
        feed_token = patient.renew_feed_token()
        pages = {
            "page": client.get(reverse("my_page")).text,
            "printout": client.get(reverse("my_calendar")).text,
            "feed": client.get(reverse("calendar_feed", args=[feed_token])).text,
        }
        for name, text in pages.items():
            assert "Today you may get the MMR vaccine" not in text, name
            assert "Check whether the MMR vaccine is safe for you" in text.replace("\r\n ", ""), (
                name
            )
            assert "earliest date is 10 January 2027" in text.replace("\r\n ", ""), name

    def test_once_the_gates_pass_the_patient_reads_it_as_planned(
        self, client, patient, coordinator, live_protocol, today
    ):
        course = start_course(
            patient=patient, protocol=live_protocol, day_zero=date(2024, 1, 10), by=coordinator
        )
        client.force_login(patient.user)
        # The printout is short: titles, and words only for a vaccine held back.
        text = client.get(reverse("my_calendar")).text
        assert "MMR (live), dose 1" in text
        assert "Check whether" not in text
        assert 'class="print-words"' not in text
        assert course.milestones.get(step__key="mmr-step").completed_on is None


@pytest.fixture
def pcv_protocol():
    """PCV doses 1-3 at 3, 4 and 5 months."""
    protocol = small_protocol()
    for dose in (1, 2, 3):
        StepFactory(
            protocol=protocol,
            key=f"pcv-dose-{dose}",
            title=f"PCV, dose {dose}",
            day=None,
            months=2 + dose,
            vaccine="pcv",
            dose=dose,
            checklist="",
            window_after=28,
        )
    return protocol


class TestDosesFollowTheDosesGiven:
    def test_a_late_dose_1_pushes_the_next_doses_and_says_why(
        self, staff_client, patient, coordinator, pcv_protocol, today
    ):
        course = start_course(
            patient=patient, protocol=pcv_protocol, day_zero=date(2026, 1, 15), by=coordinator
        )
        post(
            staff_client,
            "vaccination_add",
            course,
            {"vaccine": "pcv", "dose": "1", "given_on": "2026-06-13"},
        )
        second = course.milestones.get(step__key="pcv-dose-2")
        third = course.milestones.get(step__key="pcv-dose-3")
        assert (second.due_date, second.window_end) == (date(2026, 7, 11), date(2026, 8, 8))
        assert third.due_date == date(2026, 8, 8)
        text = staff_client.get(reverse("course_history", args=[course.code])).text
        assert (
            "“PCV, dose 2” re-planned from 15 May 2026 to 11 Jul 2026 (Pneumococcal conjugate "
            "(PCV) dose 1 given): At least 4 weeks after dose 1 given on 13 Jun 2026." in text
        )
        # Deleted as entered in error: back to the dates from Day Zero.
        post(staff_client, "vaccination_delete", Vaccination.objects.get())
        second.refresh_from_db()
        assert second.due_date == date(2026, 5, 15)

    def test_a_day_zero_move_keeps_the_chain(self, coordinator, patient, pcv_protocol, today):
        course = start_course(
            patient=patient, protocol=pcv_protocol, day_zero=date(2026, 1, 15), by=coordinator
        )
        services.record_vaccination(
            course=course, vaccine="pcv", dose=1, given_on=date(2026, 6, 13), by=coordinator
        )
        services.move_day_zero(course=course, day_zero=date(2026, 1, 20), by=coordinator)
        second = course.milestones.get(step__key="pcv-dose-2")
        assert second.due_date == date(2026, 7, 11)  # not 20 May, 3 weeks after dose 1


class TestIrradiatedBlood:
    def test_after_fludarabine_it_is_lifelong(self, staff_client, patient, coordinator, today):
        course = start_course(
            patient=patient,
            protocol=small_protocol(purine_analogue=True),
            day_zero=date(2026, 10, 1),
            by=coordinator,
        )
        page = staff_client.get(course.get_absolute_url()).text
        assert "Irradiated blood components:</strong> Lifelong, after a purine analogue" in page
        assert "a purine analogue such as fludarabine" in page

    def test_allogeneic_while_on_immunosuppression(
        self, staff_client, client, patient, coordinator, today
    ):
        course = start_course(
            patient=patient, protocol=small_protocol(), day_zero=date(2026, 10, 1), by=coordinator
        )
        services.record_immunosuppression(
            course=course, drug="Ciclosporin", started_on=date(2026, 9, 30), by=coordinator
        )
        page = staff_client.get(course.get_absolute_url()).text
        assert "at least to 1 Apr 2027 (6 months after the transplant)" in page
        assert "for as long as on immunosuppression" in page
        client.force_login(patient.user)
        for url in (reverse("my_page"), reverse("my_calendar")):
            text = client.get(url).text
            assert (
                "it must be irradiated blood (treated so it is safe for you) for as long as your "
                "transplant team tells you, and at least until 1 April 2027." in text
            )
            assert "GVHD" not in text
            assert "immunosuppression" not in text

    def test_autologous_ends_3_months_after(
        self, staff_client, client, patient, coordinator, today
    ):
        course = start_course(
            patient=patient,
            protocol=small_protocol(kind=Kind.AUTOLOGOUS, donor_type="self"),
            day_zero=date(2026, 10, 1),
            by=coordinator,
        )
        page = staff_client.get(course.get_absolute_url()).text
        assert "to 3 months after the transplant: 1 Jan 2027" in page
        client.force_login(patient.user)
        assert "until 1 January 2027" in client.get(reverse("my_page")).text

    def test_over_it_is_not_shown_to_the_patient(self, client, patient, coordinator, today):
        start_course(
            patient=patient,
            protocol=small_protocol(kind=Kind.AUTOLOGOUS, donor_type="self"),
            day_zero=date(2025, 1, 1),
            by=coordinator,
        )
        client.force_login(patient.user)
        assert "irradiated blood" not in client.get(reverse("my_page")).text

    def test_a_procedure_needs_none(self, staff_client, patient, coordinator, today):
        procedure = start_course(
            patient=patient,
            protocol=small_protocol(kind=Kind.PROCEDURE, donor_type="self"),
            day_zero=date(2026, 10, 1),
            by=coordinator,
        )
        assert "Irradiated blood" not in staff_client.get(procedure.get_absolute_url()).text


class TestAfterTheReview:
    def test_a_dose_sooner_than_its_minimum_interval_needs_the_reason(
        self, staff_client, long_ago, coordinator
    ):
        services.record_vaccination(
            course=long_ago, vaccine="pcv", dose=1, given_on=date(2024, 9, 3), by=coordinator
        )
        second = {"vaccine": "pcv", "dose": "2", "given_on": "2024-09-20"}
        response = post(staff_client, "vaccination_add", long_ago, second, HX)
        assert "dose 2 is due from 1 Oct 2024 (the minimum interval)" in response.text
        assert Vaccination.objects.count() == 1
        post(staff_client, "vaccination_add", long_ago, {**second, "gates_overridden": "Travel"})
        assert Vaccination.objects.get(dose=2).gates_overridden == "Travel"

    def test_a_reason_where_no_rule_was_broken_is_not_kept(self, staff_client, long_ago):
        post(
            staff_client,
            "vaccination_add",
            long_ago,
            {
                "vaccine": "influenza",
                "dose": "1",
                "given_on": "2025-10-01",
                "gates_overridden": "x",
            },
        )
        assert Vaccination.objects.get().gates_overridden == ""

    def test_a_second_live_dose_waits_for_the_first_on_the_patients_page(
        self, client, patient, coordinator, today
    ):
        protocol = small_protocol()
        for dose, months in ((1, 24), (2, 25)):
            StepFactory(
                protocol=protocol,
                key=f"var-{dose}",
                title=f"Varicella, dose {dose}",
                day=None,
                months=months,
                vaccine="varicella",
                dose=dose,
                checklist="",
                patient_text="Today you may get the chickenpox vaccine.",
            )
        start_course(patient=patient, protocol=protocol, day_zero=date(2024, 1, 10), by=coordinator)
        client.force_login(patient.user)
        text = client.get(reverse("my_calendar")).text
        # Gates pass (34 months, nothing recorded): dose 1 as planned, dose 2 waits for it.
        assert "Varicella, dose 1" in text
        assert text.count("We will plan this dose once you have had the one before it.") == 1

    def test_staff_read_what_the_patient_reads_of_a_blocked_live_vaccine(
        self, staff_client, patient, coordinator, live_protocol, today
    ):
        course = start_course(
            patient=patient, protocol=live_protocol, day_zero=date(2025, 1, 10), by=coordinator
        )
        mmr = course.milestones.get(step__key="mmr-step")
        page = staff_client.get(f"{course.get_absolute_url()}?open={mmr.phase.value}").text
        # Planned on the day the 24 months end: not blocked, but the patient reads "we will
        # check" until then, and staff read the same.
        assert "Live vaccine: the gates pass from 10 Jan 2027 by what is recorded" in page
        assert "We will check whether this vaccine is safe for you" in page
        assert "Today you may get the MMR vaccine." not in page


def test_a_dose_recorded_in_place_redraws_its_milestones_out_of_band(
    staff_client, patient, coordinator, pcv_protocol, today
):
    course = start_course(
        patient=patient, protocol=pcv_protocol, day_zero=date(2026, 1, 15), by=coordinator
    )
    response = post(
        staff_client,
        "vaccination_add",
        course,
        {"vaccine": "pcv", "dose": "1", "given_on": "2026-06-13"},
        HX,
    )
    second = course.milestones.get(step__key="pcv-dose-2")
    first = course.milestones.get(step__key="pcv-dose-1")
    assert f'<li id="milestone-{second.code}" class="milestone' in response.text
    assert re.search(rf'id="milestone-{second.code}"[^>]*hx-swap-oob="true"', response.text)
    assert "Sat 11 Jul 2026" in response.text  # dose 2's new date
    assert re.search(rf'id="milestone-{first.code}" class="milestone status-done', response.text)
    assert 'id="summary-immune_recovery" hx-swap-oob="true"' in response.text


def test_letermovir_extended_in_place_moves_its_stop_out_of_band(
    staff_client, patient, coordinator, today
):
    protocol = small_protocol()
    StepFactory(
        protocol=protocol,
        key="letermovir-stop",
        title="Stop letermovir",
        day=100,
        stop_rule="letermovir",
        checklist="",
    )
    course = start_course(
        patient=patient, protocol=protocol, day_zero=date(2026, 10, 1), by=coordinator
    )
    page = staff_client.get(course.get_absolute_url()).text
    assert "Extend to Day +200 (high CMV risk)" in page
    assert "Stops on Day +100 (9 Jan 2027)" in page
    response = post(
        staff_client, "letermovir", course, {"extended": "1", "reason": "Cord blood donor"}, HX
    )
    assert response.text.lstrip().startswith('<section id="immunity"')
    stop = course.milestones.get(step__key="letermovir-stop")
    assert stop.due_date == date(2027, 4, 19)
    # Day +200 is in another phase: a milestone cannot move there in place, the page is
    # drawn again.
    assert response["HX-Refresh"] == "true"
    assert "Back to Day +100" in response.text
    history = staff_client.get(reverse("course_history", args=[course.code])).text
    assert "Letermovir extended to Day +200: Cord blood donor" in history
    # Without JavaScript: back to the section.
    plain = post(staff_client, "letermovir", course, {"extended": "0"})
    assert plain.status_code == 302
    stop.refresh_from_db()
    assert stop.due_date == date(2027, 1, 9)


class TestIrradiationDetails:
    def test_a_harvest_date_moves_the_start_and_the_banner_follows(
        self, staff_client, patient, coordinator, today
    ):
        protocol = small_protocol(kind="autologous")
        course = start_course(
            patient=patient, protocol=protocol, day_zero=date(2026, 11, 10), by=coordinator
        )
        page = staff_client.get(course.get_absolute_url()).text
        assert '<div id="irradiation-banner">' in page
        assert "from 14 days before the stem cell harvest when it comes first" in page
        late = post(staff_client, "irradiation", course, {"harvest_date": "2026-11-11"}, HX)
        assert late.text.lstrip().startswith('<section id="immunity"')
        assert "The harvest comes before the infusion (Day Zero, 10 Nov 2026)" in late.text
        assert 'aria-invalid="true"' in late.text
        course.refresh_from_db()
        assert course.harvest_date is None  # nothing saved
        response = post(staff_client, "irradiation", course, {"harvest_date": "2026-10-20"}, HX)
        assert '<div id="irradiation-banner" hx-swap-oob="true">' in response.text
        assert "From 6 Oct 2026 (14 days before the stem cell harvest)" in response.text
        response = post(
            staff_client,
            "irradiation",
            course,
            {"harvest_date": "2026-10-20", "hodgkin_lymphoma": "on"},
            HX,
        )
        assert "Lifelong, after Hodgkin lymphoma (BSH 2020)." in response.text
        history = staff_client.get(reverse("course_history", args=[course.code])).text
        assert "Irradiated blood details: harvest on 20 Oct 2026; Hodgkin lymphoma" in history

    def test_an_allogeneic_course_has_no_harvest_date(
        self, staff_client, patient, coordinator, today
    ):
        course = start_course(patient=patient, protocol=small_protocol(), by=coordinator)
        page = staff_client.get(course.get_absolute_url()).text
        assert 'id="irradiation-hodgkin_lymphoma"' in page
        assert 'id="irradiation-harvest_date"' not in page


def test_the_patient_reads_the_steps_own_title(client, patient, coordinator, today):
    protocol = small_protocol()
    StepFactory(
        protocol=protocol,
        key="year-3",
        title="Year 3 long-term follow-up review",
        patient_title="Your yearly check, 3 years after your transplant",
        day=None,
        months=36,
        checklist="",
    )
    start_course(patient=patient, protocol=protocol, day_zero=date(2024, 1, 10), by=coordinator)
    client.force_login(patient.user)
    for name in ("my_page", "my_calendar"):
        text = client.get(reverse(name)).text
        assert "Your yearly check, 3 years after your transplant" in text, name
        assert "Year 3 long-term follow-up review" not in text, name


def test_the_patient_never_reads_a_dose_that_is_not_needed(client, patient, coordinator, today):
    protocol = small_protocol()
    for key, title, extra in [
        ("ppsv23", "PPSV23", {"vaccine": "ppsv23", "dose": 1, "chronic_gvhd": "without"}),
        ("pcv-4", "PCV dose 4", {"vaccine": "pcv", "dose": 4, "chronic_gvhd": "with"}),
    ]:
        StepFactory(
            protocol=protocol,
            key=key,
            title=title,
            day=None,
            months=12,
            checklist="",
            patient_text=f"Today you get {title}.",
            **extra,
        )
    start_course(patient=patient, protocol=protocol, day_zero=date(2026, 1, 10), by=coordinator)
    client.force_login(patient.user)
    for name in ("my_page", "my_calendar"):
        text = client.get(reverse(name)).text
        assert "PPSV23" in text, name
        assert "PCV dose 4" not in text, name
    assert "Today you get PPSV23." in client.get(reverse("my_page")).text


def test_chronic_gvhd_resolved_redraws_the_immune_recovery_section_and_live_vaccines(
    staff_client, patient, coordinator, live_protocol, today
):
    course = start_course(
        patient=patient, protocol=live_protocol, day_zero=date(2024, 1, 10), by=coordinator
    )
    episode = services.diagnose_chronic_gvhd(
        course=course,
        diagnosed_on=date(2025, 6, 1),
        scores={organ: int(organ == "skin") for organ in NIH_ORGANS},
        by=coordinator,
    )
    mmr = course.milestones.get(step__key="mmr-step")
    assert mmr.hold == "blocked"
    response = staff_client.post(
        reverse("gvhd_chronic_resolve", args=[episode.code]),
        {"resolved_on": "2026-11-20"},
        headers=HX,
    )
    assert response.text.lstrip().startswith('<section id="gvhd"')
    assert re.search(r'<section id="immunity"[^>]* hx-swap-oob="true">', response.text)
    mmr.refresh_from_db()
    assert mmr.hold == ""
    assert f'id="milestone-{mmr.code}"' in response.text
    assert '<div id="irradiation-banner" hx-swap-oob="true">' in response.text
    assert "HX-Refresh" not in response


class TestImplausibleRecords:
    def test_an_ivig_dose_before_the_course_started_is_refused(self, staff_client, long_ago):
        response = post(staff_client, "ivig_add", long_ago, {"given_on": "2020-01-01"}, HX)
        assert f"This course starts on {long_ago.start_date:%-d %b %Y}" in response.text
        assert 'aria-invalid="true"' in response.text
        assert not long_ago.ivig_doses.exists()

    def test_letermovir_cannot_be_extended_without_a_letermovir_stop(self, staff_client, long_ago):
        response = post(staff_client, "letermovir", long_ago, {"extended": "1"}, HX)
        assert "This course&#x27;s protocol has no letermovir stop to change." in response.text
        long_ago.refresh_from_db()
        assert not long_ago.letermovir_extended
        assert not long_ago.events.filter(kind="letermovir_extended").exists()

    def test_a_dose_out_of_order_says_which_dose_is_in_the_way(self, staff_client, long_ago):
        post(
            staff_client,
            "vaccination_add",
            long_ago,
            {"vaccine": "pcv", "dose": "2", "given_on": "2025-03-01"},
        )
        response = post(
            staff_client,
            "vaccination_add",
            long_ago,
            {"vaccine": "pcv", "dose": "1", "given_on": "2025-04-01"},
            HX,
        )
        assert "dose 2 is recorded as given on 1 Mar 2025" in response.text
