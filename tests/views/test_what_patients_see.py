"""What patients see (issue 17): the centre's numbers and when to call, the phone calendar in
two taps, visits moved off days the clinic is closed, and a procedure told as a procedure."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from tests.factories import ProtocolFactory, StepFactory, start_course
from tracker import services
from tracker.models import Centre, ClinicClosure, Kind, PhaseSet
from tracker.models.centre import forget_centre
from tracker.rules.plain_language import WHEN_TO_CALL_PROCEDURE, WHEN_TO_CALL_TRANSPLANT

pytestmark = pytest.mark.django_db

ME = reverse("my_page")


@pytest.fixture
def centre():
    centre = Centre.objects.create(
        name="Northfield Transplant Unit",
        day_phone="01632 960 100",
        out_of_hours_phone="+44 1632 960 999",
        address="Ward 7, Northfield Hospital\nNorthfield NF1 1AA",
    )
    forget_centre()  # as the admin does after an edit
    return centre


def procedure_protocol(**steps):
    protocol = ProtocolFactory(kind=Kind.PROCEDURE, phase_set=PhaseSet.PROCEDURE)
    StepFactory(protocol=protocol, key="check", title="Check your blood-thinner plan", day=-5)
    StepFactory(protocol=protocol, key="injection", title="Knee injection", day=0)
    StepFactory(protocol=protocol, key="review", title="Review", day=14, at_clinic=True)
    return protocol


class TestCentreOnThePatientsPage:
    def test_gives_the_numbers_to_call_near_the_top_and_as_links(
        self, patient_client, course, centre
    ):
        text = patient_client.get(ME).text
        top = text.split('id="soon-title"')[0]
        assert 'class="call-us"' in top
        assert '<a class="phone" href="tel:01632960100">01632 960 100</a>' in top
        assert '<a class="phone" href="tel:+441632960999">+44 1632 960 999</a>' in top

    def test_shows_when_to_call_straight_away_with_the_centre(self, patient_client, course, centre):
        text = patient_client.get(ME).text
        card = text.split('class="care-card"')[1].split("</section>")[0]
        assert "When to call us straight away" in card
        for line in WHEN_TO_CALL_TRANSPLANT:
            assert line.replace("'", "&#x27;") in card
        assert "Northfield Transplant Unit" in card
        assert "Ward 7, Northfield Hospital<br>Northfield NF1 1AA" in card

    def test_without_numbers_says_where_to_find_them(self, patient_client, course):
        text = patient_client.get(ME).text
        assert "Call the number on your hospital letters." in text
        assert "We have not added our phone numbers here yet." in text

    def test_an_edited_centre_shows_on_the_page_kept_in_the_cache(
        self, patient_client, course, centre
    ):
        assert "01632 960 100" in patient_client.get(ME).text
        centre.day_phone = "01632 960 222"
        centre.save()
        forget_centre()
        text = patient_client.get(ME).text
        assert "01632 960 222" in text
        assert "01632 960 100" not in text

    def test_a_patient_without_a_plan_still_gets_the_numbers(self, patient_client, patient, centre):
        text = patient_client.get(ME).text
        assert "has not planned your treatment here yet" in text
        assert 'href="tel:01632960100"' in text


class TestPhoneCalendar:
    def test_the_page_offers_a_qr_code_and_a_webcal_link_once_the_feed_is_on(
        self, patient_client, patient, course
    ):
        assert "<svg" not in patient_client.get(ME).text
        token = patient.renew_feed_token()
        text = patient_client.get(ME).text
        assert f'href="webcal://testserver/feeds/{token}.ics"' in text
        assert '<svg aria-hidden="true" focusable="false" viewBox=' in text
        assert "https://calendar.google.com/calendar/render?cid=webcal%3A%2F%2Ftestserver" in text
        assert "<strong>iPhone:</strong>" in text
        assert "<strong>Android:</strong>" in text

    def test_the_printout_carries_the_code_in_the_patients_words(
        self, coordinator_client, patient, course
    ):
        patient.renew_feed_token()
        text = coordinator_client.get(reverse("course_calendar", args=[course.code])).text
        foot = text.split('class="print-foot"')[1]
        assert '<svg aria-hidden="true"' in foot
        assert "Point your phone's camera here" in foot
        assert "open your page on this website on the phone" in foot

    def test_the_coordinator_shows_the_code_on_the_patients_page(self, coordinator_client, patient):
        patient.renew_feed_token()
        text = coordinator_client.get(patient.get_absolute_url()).text
        assert "The patient points their phone's camera here" in text
        assert 'class="copy" data-copy="feed-url" hidden' in text


class TestVisitsOnClosedDays:
    @pytest.fixture
    def moved_visit_course(self, patient, coordinator):
        # Day Zero Wednesday 25 Nov 2026: Day +4 is Sunday 29 November; window Day +3 to +6.
        step = StepFactory(
            key="visit",
            title="Clinic visit",
            day=4,
            window_before=1,
            window_after=2,
            at_clinic=True,
        )
        day_zero = date(2026, 11, 25)
        return start_course(
            patient=patient, protocol=step.protocol, day_zero=day_zero, by=coordinator
        )

    def test_a_visit_planned_on_a_sunday_moves_to_monday(self, moved_visit_course):
        visit = moved_visit_course.milestones.get()
        assert (visit.due_date, visit.moved_from) == (date(2026, 11, 30), date(2026, 11, 29))

    def test_the_patient_reads_why_it_moved(self, patient_client, moved_visit_course):
        text = patient_client.get(ME).text
        assert "Moved from Sunday 29 November: the clinic is closed that day." in text

    def test_the_team_reads_why_it_moved(self, coordinator_client, moved_visit_course):
        text = coordinator_client.get(moved_visit_course.get_absolute_url()).text
        assert "Moved from Sun 29 Nov: the clinic is closed." in text

    def test_a_holiday_moves_a_visit_and_moving_day_zero_plans_it_again(self, patient, coordinator):
        ClinicClosure.objects.create(day=date(2026, 12, 25), reason="Christmas Day")
        forget_centre()
        step = StepFactory(
            key="visit",
            title="Clinic visit",
            day=30,
            window_before=3,
            window_after=3,
            at_clinic=True,
        )
        # Day +30 of 25 Nov is Friday 25 December: Thursday 24th is as near as Monday 28th? No:
        # Thursday is one day away, the weekend and Monday further.
        course = start_course(
            patient=patient, protocol=step.protocol, day_zero=date(2026, 11, 25), by=coordinator
        )
        visit = course.milestones.get()
        assert (visit.due_date, visit.moved_from) == (date(2026, 12, 24), date(2026, 12, 25))
        services.move_day_zero(course=course, day_zero=date(2026, 11, 24), by=coordinator)
        visit.refresh_from_db()
        # Day +30 is now Thursday 24 December: open, nothing moved.
        assert (visit.due_date, visit.moved_from) == (date(2026, 12, 24), None)

    def test_drug_days_and_inpatient_days_never_move(self, patient, coordinator):
        step = StepFactory(key="melphalan", title="Melphalan", day=-2, at_clinic=False)
        course = start_course(
            patient=patient, protocol=step.protocol, day_zero=date(2026, 11, 24), by=coordinator
        )
        dose = course.milestones.get()
        assert dose.due_date == date(2026, 11, 22)  # a Sunday
        assert dose.moved_from is None


class TestProcedureToldAsAProcedure:
    def test_the_patient_reads_procedure_phases_and_words(
        self, patient_client, patient, coordinator, today
    ):
        start_course(
            patient=patient,
            protocol=procedure_protocol(),
            day_zero=today - timedelta(days=3),
            by=coordinator,
        )
        text = patient_client.get(ME).text
        assert "<title>My procedure" in text
        assert '<p class="phase-name">Recovery</p>' in text
        assert "Engraftment" not in text
        assert "Conditioning" not in text
        for line in WHEN_TO_CALL_PROCEDURE:
            assert line.replace("'", "&#x27;") in text

    def test_the_course_page_band_has_the_four_procedure_phases(
        self, coordinator_client, patient, coordinator, today
    ):
        course = start_course(
            patient=patient, protocol=procedure_protocol(), day_zero=today, by=coordinator
        )
        text = coordinator_client.get(course.get_absolute_url()).text
        band = text.split('<ol class="band">')[1].split("</ol>")[0]
        labels = [part.split("</span>")[0] for part in band.split('<span class="band-label">')[1:]]
        assert labels == ["Preparation", "Procedure day", "Recovery", "Follow-up"]
        main = text.split('<main id="main">')[1]
        for phase in ("Conditioning", "Engraftment", "100-day window", "Immune recovery"):
            assert f">{phase}<" not in main

    def test_a_transplant_calls_its_work_up_work_up(
        self, coordinator_client, patient, coordinator, today
    ):
        protocol = ProtocolFactory(conditioning_from_day=-7)
        StepFactory(protocol=protocol, key="work-up", title="Work-up tests", day=-28)
        StepFactory(protocol=protocol, key="admission", title="Admission", day=-7)
        course = start_course(patient=patient, protocol=protocol, day_zero=today, by=coordinator)
        text = coordinator_client.get(course.get_absolute_url() + "?open=work_up").text
        work_up = text.split('id="phase-work_up"')[1].split("</section>")[0]
        assert "Work-up tests" in work_up
        assert "Admission" not in work_up


class TestResearchProtocols:
    def test_a_research_protocol_says_so_where_it_is_chosen_and_on_the_course(
        self, coordinator_client, patient, coordinator, today
    ):
        protocol = ProtocolFactory(name="Marrow cells for stroke", is_research=True)
        StepFactory(protocol=protocol, key="harvest", day=0)
        start = coordinator_client.get(reverse("course_start", args=[patient.code])).text
        assert "Marrow cells for stroke (research protocol)</option>" in start
        course = start_course(patient=patient, protocol=protocol, day_zero=today, by=coordinator)
        page = coordinator_client.get(course.get_absolute_url()).text
        assert "Research protocol: only inside an approved study" in page

    def test_an_inactive_research_protocol_is_not_offered(self, coordinator_client, patient):
        ProtocolFactory(name="Marrow cells for stroke", is_research=True, is_active=False)
        start = coordinator_client.get(reverse("course_start", args=[patient.code])).text
        assert "Marrow cells for stroke" not in start
