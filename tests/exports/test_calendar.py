"""The calendar subscription: the all-day arithmetic, the feed's content and its secret address."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.test import RequestFactory
from django.urls import reverse
from icalendar import Calendar

from tests.factories import StepFactory, repeating_step, start_course
from tracker import services
from tracker.exports.calendar import all_day_end, event_uid, feed_calendar
from tracker.models import Audience, CentreDetails, Milestone, ProtocolStep, TransplantCourse
from tracker.views.calendars import feed_context


class TestAllDayEnd:
    @pytest.mark.parametrize(
        ("day", "end"),
        [
            (date(2026, 3, 3), date(2026, 3, 4)),
            (date(2026, 4, 30), date(2026, 5, 1)),
            (date(2026, 12, 31), date(2027, 1, 1)),
            (date(2028, 2, 28), date(2028, 2, 29)),
        ],
        ids=["mid-month", "month-end", "year-end", "leap-year"],
    )
    def test_an_all_day_event_ends_on_the_next_day(self, day, end):
        assert all_day_end(day) == end


def unsaved_milestone(*, title="Clinic visit", patient_text="", due=date(2026, 12, 5)):
    step = ProtocolStep(title=title, day=14, patient_text=patient_text)
    milestone = Milestone(step=step, due_date=due, window_start=due, window_end=due)
    milestone.course = TransplantCourse(day_zero=date(2026, 11, 21))
    return milestone


CENTRE = CentreDetails(
    name="Northfield Transplant Unit",
    day_phone="01632 960 100",
    day_hours="Monday to Friday, 8am to 6pm",
    out_of_hours_phone="01632 960 999",
)
CALL = (
    "Northfield Transplant Unit\nPhone: 01632 960 100 (Monday to Friday, 8am to 6pm)\n"
    "Out of hours: 01632 960 999"
)


class TestFeedCalendar:
    stamp = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)

    def feed(self, milestones, centre=CENTRE):
        ical = feed_calendar(milestones, stamp=self.stamp, centre=centre).to_ical()
        return Calendar.from_ical(ical)

    def test_an_event_says_what_and_which_day_and_what_to_bring_and_whom_to_call(self):
        milestone = unsaved_milestone(patient_text="Bring your medication list.")
        [event] = self.feed([milestone]).walk("VEVENT")
        assert str(event["SUMMARY"]) == "Clinic visit"
        assert str(event["DESCRIPTION"]) == f"Day +14\n\nBring your medication list.\n\n{CALL}"
        assert str(event["UID"]) == f"{milestone.code}@transplant-tracker"
        assert event.decoded("DTSTAMP") == self.stamp

    def test_an_event_without_patient_text_gives_the_day_and_whom_to_call(self):
        [event] = self.feed([unsaved_milestone()]).walk("VEVENT")
        assert str(event["DESCRIPTION"]) == f"Day +14\n\n{CALL}"

    def test_a_centre_without_numbers_gives_its_name(self):
        [event] = self.feed([unsaved_milestone()], CentreDetails(name="Unit")).walk("VEVENT")
        assert str(event["DESCRIPTION"]) == "Day +14\n\nUnit"

    def test_a_visit_moved_off_a_closed_day_says_so(self):
        milestone = unsaved_milestone(due=date(2026, 12, 4))
        milestone.moved_from = date(2026, 12, 5)
        [event] = self.feed([milestone]).walk("VEVENT")
        assert str(event["DESCRIPTION"]).startswith(
            "Day +13 (moved from Saturday 5 December: the clinic is closed)\n\n"
        )

    def test_the_calendar_is_named_for_any_treatment_without_the_patient(self):
        assert str(self.feed([])["X-WR-CALNAME"]) == "My treatment dates"

    def test_no_milestones_is_still_a_valid_calendar(self):
        calendar = self.feed([])
        assert str(calendar["VERSION"]) == "2.0"
        assert calendar.walk("VEVENT") == []


@pytest.fixture
def team_only_step(protocol):
    """A step for the care team alone, added before the course is planned."""
    return StepFactory(
        protocol=protocol, key="mdt", title="Team review of the case", day=5, audience="care_team"
    )


@pytest.fixture
def patient_only_step(protocol):
    return StepFactory(
        protocol=protocol, key="diary", title="Start your symptom diary", day=1, audience="patient"
    )


@pytest.fixture
def planned_course(team_only_step, patient_only_step, course):
    return course


@pytest.fixture
def feed_url(patient):
    return reverse("calendar_feed", args=[patient.renew_feed_token()])


def fetch(client, url) -> Calendar:
    response = client.get(url)
    assert response.status_code == 200
    return Calendar.from_ical(response.content)


def events_by_uid(calendar: Calendar) -> dict:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


@pytest.mark.django_db
class TestCalendarFeed:
    def test_the_feed_is_an_rfc_5545_calendar_nobody_caches_or_indexes(
        self, client, planned_course, feed_url
    ):
        response = client.get(feed_url)
        assert response.status_code == 200
        assert response["Content-Type"] == "text/calendar; charset=utf-8"
        assert response["Cache-Control"] == "no-store"
        assert response["X-Robots-Tag"] == "noindex"
        calendar = Calendar.from_ical(response.content)
        assert str(calendar["VERSION"]) == "2.0"
        assert str(calendar["PRODID"]) == "-//Transplant tracker//Calendar feed//EN"
        assert str(calendar["X-WR-CALNAME"]) == "My treatment dates"

    def test_needs_no_login(self, client, planned_course, feed_url):
        assert client.get(feed_url).status_code == 200

    def test_one_event_per_milestone_the_patient_may_see(self, client, planned_course, feed_url):
        events = events_by_uid(fetch(client, feed_url))
        visible = planned_course.milestones.filter(
            step__audience__in=[Audience.PATIENT, Audience.BOTH]
        )
        assert set(events) == {event_uid(m) for m in visible}
        assert visible.filter(step__key="diary").exists()

    def test_care_team_steps_are_left_out(self, client, planned_course, feed_url):
        events = events_by_uid(fetch(client, feed_url))
        team_review = planned_course.milestones.get(step__key="mdt")
        assert event_uid(team_review) not in events
        assert not any("Team review" in str(event["SUMMARY"]) for event in events.values())

    def test_events_are_all_day_on_the_due_date(self, client, planned_course, feed_url):
        events = events_by_uid(fetch(client, feed_url))
        for milestone in planned_course.milestones.exclude(step__audience=Audience.CARE_TEAM):
            event = events[event_uid(milestone)]
            start, end = event.decoded("DTSTART"), event.decoded("DTEND")
            assert type(start) is date, "an all-day event has a DATE, not a DATE-TIME"
            assert start == milestone.due_date
            assert end == milestone.due_date + timedelta(days=1)
            assert event["DTSTART"].params["VALUE"] == "DATE"

    def test_an_event_says_the_day_and_what_to_prepare(self, client, planned_course, feed_url):
        events = events_by_uid(fetch(client, feed_url))
        visit = planned_course.milestones.get(step__key="day-30")
        event = events[event_uid(visit)]
        assert str(event["SUMMARY"]) == "Day +30 evaluation"
        assert "Day +30" in str(event["DESCRIPTION"])
        assert "Plain words for the patient." in str(event["DESCRIPTION"])

    def test_uids_are_the_same_on_every_fetch(self, client, planned_course, feed_url):
        assert set(events_by_uid(fetch(client, feed_url))) == set(
            events_by_uid(fetch(client, feed_url))
        )

    def test_moving_day_zero_moves_the_events_and_keeps_their_uids(
        self, client, planned_course, feed_url, coordinator
    ):
        before = events_by_uid(fetch(client, feed_url))
        services.move_day_zero(
            course=planned_course, day_zero=date(2026, 11, 24), by=coordinator, reason="Bed"
        )
        after = events_by_uid(fetch(client, feed_url))
        assert set(after) == set(before)
        for uid, event in after.items():
            assert event.decoded("DTSTART") == before[uid].decoded("DTSTART") + timedelta(days=3)

    def test_every_course_of_the_patient_is_in_the_feed(
        self, client, course, patient, protocol, coordinator, feed_url
    ):
        second = start_course(
            patient=patient, protocol=protocol, day_zero=date(2027, 6, 1), by=coordinator
        )
        events = events_by_uid(fetch(client, feed_url))
        assert {event_uid(m) for m in course.milestones.all()} <= set(events)
        assert {event_uid(m) for m in second.milestones.all()} <= set(events)

    def test_another_patients_dates_are_not_in_the_feed(
        self, client, course, other_course, feed_url
    ):
        events = events_by_uid(fetch(client, feed_url))
        assert not {event_uid(m) for m in other_course.milestones.all()} & set(events)

    def test_the_feed_does_not_name_the_patient(self, client, course, patient, feed_url):
        body = client.get(feed_url).content.decode()
        assert patient.given_name not in body
        assert patient.family_name not in body
        assert patient.mrn not in body

    def test_an_unknown_token_is_not_found(self, client, course):
        url = reverse("calendar_feed", args=[uuid.uuid4().hex])
        assert client.get(url).status_code == 404

    def test_a_revoked_address_is_not_found(self, client, course, patient):
        old = reverse("calendar_feed", args=[patient.renew_feed_token()])
        patient.revoke_feed_token()
        assert client.get(old).status_code == 404

    def test_a_renewed_address_replaces_the_old_one(self, client, course, patient):
        old = reverse("calendar_feed", args=[patient.renew_feed_token()])
        new = reverse("calendar_feed", args=[patient.renew_feed_token()])
        assert client.get(old).status_code == 404
        assert client.get(new).status_code == 200

    def test_post_is_not_allowed(self, client, course, feed_url):
        assert client.post(feed_url).status_code == 405

    def test_the_number_of_queries_does_not_grow_with_the_milestones(
        self, client, patient, protocol, coordinator, today, feed_url, django_assert_max_num_queries
    ):
        repeating_step(protocol, first_day=1, last_day=300)
        start_course(patient=patient, protocol=protocol, day_zero=today, by=coordinator)
        start_course(patient=patient, protocol=protocol, day_zero=date(2027, 11, 1), by=coordinator)
        with django_assert_max_num_queries(2):  # the patient by token, then the milestones
            calendar = fetch(client, feed_url)
        assert len(calendar.walk("VEVENT")) > 600
        with django_assert_max_num_queries(1):  # polled again unchanged: the patient by token
            again = fetch(client, feed_url)
        assert again.to_ical() == calendar.to_ical()

    def test_a_change_reaches_the_next_poll_though_the_feed_is_kept(
        self, client, planned_course, feed_url, coordinator, today
    ):
        fetch(client, feed_url)
        infusion = planned_course.milestones.get(step__key="infusion")
        services.complete_milestone(milestone=infusion, on=today, by=coordinator, today=today)
        event = events_by_uid(fetch(client, feed_url))[event_uid(infusion)]
        assert event.decoded("DTSTART") == today
        step = infusion.step
        step.patient_text = "Bring your medicines list."
        step.save()
        planned_course.protocol.count_edit()
        event = events_by_uid(fetch(client, feed_url))[event_uid(infusion)]
        assert "Bring your medicines list." in str(event["DESCRIPTION"])


@pytest.mark.django_db
class TestFeedContext:
    def request_by(self, user):
        request = RequestFactory().get("/")
        request.user = user
        return request

    def test_the_patient_manages_their_own_feed(self, patient):
        context = feed_context(self.request_by(patient.user), patient)
        assert context["manage_url"] == reverse("my_feed")
        assert context["feed_for_self"] is True

    def test_a_coordinator_manages_it_from_the_patients_page(self, patient, coordinator):
        context = feed_context(self.request_by(coordinator), patient)
        assert context["manage_url"] == reverse("patient_feed", args=[patient.code])
        assert context["feed_for_self"] is False

    def test_the_address_is_absolute_while_the_feed_is_on(self, patient):
        token = patient.renew_feed_token()
        context = feed_context(self.request_by(patient.user), patient)
        assert context["feed_url"] == f"http://testserver/feeds/{token}.ics"

    def test_there_is_no_address_while_the_feed_is_off(self, patient):
        assert feed_context(self.request_by(patient.user), patient)["feed_url"] is None


def test_a_done_milestone_stays_on_the_day_it_happened_after_day_zero_moves(
    client, patient, course, coordinator, today
):
    infusion = course.milestones.get(step__key="infusion")
    infusion.complete(by=coordinator, on=today, today=today)
    services.move_day_zero(course=course, day_zero=today + timedelta(days=3), by=coordinator)
    token = patient.renew_feed_token()
    body = client.get(reverse("calendar_feed", args=[token])).content
    events = {str(event["uid"]): event for event in Calendar.from_ical(body).walk("VEVENT")}
    done = events[f"{infusion.code}@transplant-tracker"]
    assert done.decoded("dtstart") == today
    assert str(done["description"]).startswith("Day −3")
