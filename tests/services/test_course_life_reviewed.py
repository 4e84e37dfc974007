"""The life of a course, as a browser review found it wanting: a death ends every course of
the patient and closes every way into the portal; Day Zero moves only on an open course and
keeps a later transplant after the earlier one; the infusion, catching up and ending say
what they do before they do it."""

import re
from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from tests.factories import StepFactory, small_protocol, start_course
from tracker import services
from tracker.models import CourseEvent, EventKind, GraftSource, Kind
from tracker.models.choices import Hold

pytestmark = pytest.mark.django_db

FIRST_DAY_ZERO = date(2025, 6, 2)


@pytest.fixture
def first(patient, coordinator, today):
    """An autologous transplant of June 2025 (conditioning Day -3 to -1)."""
    protocol = small_protocol(kind=Kind.AUTOLOGOUS, donor_type="self")
    return start_course(patient=patient, protocol=protocol, day_zero=FIRST_DAY_ZERO, by=coordinator)


def follow(first, coordinator, day_zero, reason="relapse"):
    return services.start_course(
        patient=first.patient,
        protocol=small_protocol(),
        day_zero=day_zero,
        by=coordinator,
        follows=first,
        reason=reason,
    )


def superseded(course):
    return set(course.milestones.filter(hold=Hold.SUPERSEDED).values_list("pk", flat=True))


class TestADeath:
    def test_ends_every_course_a_planned_later_one_too(self, first, coordinator, today):
        later = follow(first, coordinator, today + timedelta(days=20))  # planned, not started
        died = today - timedelta(days=1)
        services.end_course(course=first, reason="died", on=died, by=coordinator)
        for course in (first, later):
            course.refresh_from_db()
            assert (course.ended_on, course.end_reason) == (died, "died")
        assert not later.milestones.filter(completed_on__isnull=True).exclude(
            hold__in=[Hold.ENDED, Hold.SUPERSEDED]
        )
        event = later.events.get(kind=EventKind.COURSE_ENDED)
        assert event.data["with_course"] == "1st transplant"

    def test_is_recorded_on_a_course_whose_plan_has_not_started(self, first, coordinator, today):
        later = follow(first, coordinator, today + timedelta(days=20))
        services.end_course(course=later, reason="died", on=today, by=coordinator)
        first.refresh_from_db()
        assert first.end_reason == "died"

    def test_not_before_something_done(self, first, coordinator, today):
        done = first.milestones.get(step__key="day-30")
        services.complete_milestone(
            milestone=done, on=date(2025, 7, 2), by=coordinator, today=today
        )
        with pytest.raises(ValidationError, match="done on 2 Jul 2025, after that date"):
            services.end_course(course=first, reason="died", on=date(2025, 6, 30), by=coordinator)
        first.refresh_from_db()
        assert first.ended_on is None

    def test_closes_every_way_into_the_portal(self, first, coordinator, today, client):
        patient = first.patient
        services.end_course(course=first, reason="died", on=today, by=coordinator)
        message = "death is recorded"
        with pytest.raises(ValidationError, match=message):
            services.invite_patient(
                patient=patient, email="", by=coordinator, build_url=lambda path: path
            )
        with pytest.raises(ValidationError, match=message):
            services.change_feed(patient=patient, action="renew", by=coordinator)
        with pytest.raises(ValidationError, match=message):
            start_course(patient=patient, protocol=small_protocol(), by=coordinator)

    def test_an_earlier_invitation_link_no_longer_works(self, first, coordinator, today, client):
        link = services.invite_patient(
            patient=first.patient, email="", by=coordinator, build_url=lambda path: path
        )
        services.end_course(course=first, reason="died", on=today, by=coordinator)
        page = client.get(link, follow=True)
        assert 'name="new_password1"' not in page.text

    def test_the_patient_page_says_so_and_offers_no_portal(
        self, coordinator_client, first, coordinator, today
    ):
        services.end_course(course=first, reason="died", on=today, by=coordinator)
        text = coordinator_client.get(first.patient.get_absolute_url()).text
        assert f"died {today:%-d %b %Y}" in text
        assert 'id="portal-closed"' in text
        assert reverse("patient_invite", args=[first.patient.code]) not in text
        assert "Turn on calendar subscription" not in text
        assert "Start a course" not in text
        feed = coordinator_client.post(
            reverse("patient_feed", args=[first.patient.code]),
            {"action": "renew"},
            headers={"HX-Request": "true"},
        )
        assert feed.text.lstrip().startswith('<section id="feed-controls"')
        assert "death is recorded" in feed.text

    def test_recorded_in_error_reopens_every_course_and_the_login(self, first, coordinator, today):
        later = follow(first, coordinator, today + timedelta(days=20))
        services.end_course(course=later, reason="died", on=today, by=coordinator)
        services.reopen_course(course=first, by=coordinator, reason="Wrong patient")
        for course in (first, later):
            course.refresh_from_db()
            assert course.ended_on is None
        first.patient.user.refresh_from_db()
        assert first.patient.user.is_active
        assert first.patient.feed_token is None  # turned on again by hand
        assert later.milestones.filter(hold=Hold.ENDED).count() == 0


class TestMovingDayZero:
    def test_not_on_an_ended_or_superseded_course(self, first, coordinator, today):
        later = follow(first, coordinator, date(2026, 10, 1))
        with pytest.raises(ValidationError, match="its Day Zero no longer moves"):
            services.move_day_zero(course=first, day_zero=date(2025, 6, 9), by=coordinator)
        services.end_course(course=later, reason="transferred", on=today, by=coordinator)
        with pytest.raises(ValidationError, match="reopen it before moving Day Zero"):
            services.move_day_zero(course=later, day_zero=date(2026, 10, 8), by=coordinator)

    @pytest.mark.parametrize("day_zero", [date(2025, 6, 2), date(2025, 5, 1), date(2025, 6, 4)])
    def test_a_later_transplant_stays_after_the_earlier_one(
        self, first, coordinator, today, day_zero
    ):
        later = follow(first, coordinator, date(2026, 10, 1))
        with pytest.raises(ValidationError, match="follows the one of 2 Jun 2025"):
            services.move_day_zero(course=later, day_zero=day_zero, by=coordinator)
        later.refresh_from_db()
        assert later.day_zero == date(2026, 10, 1)

    def test_the_earlier_plan_follows_the_later_conditioning(self, first, coordinator, today):
        later = follow(first, coordinator, date(2025, 7, 5))  # conditioning from 2 Jul
        closed = superseded(first)
        assert first.milestones.get(step__key="day-30").hold == Hold.SUPERSEDED  # 2 Jul
        services.move_day_zero(course=later, day_zero=date(2025, 7, 20), by=coordinator)
        first.refresh_from_db()
        assert first.superseded_on == date(2025, 7, 16)  # the day before 17 Jul
        reopened = closed - superseded(first)
        assert reopened == {first.milestones.get(step__key="day-30").pk}
        assert first.milestones.get(step__key="day-30").hold == ""
        assert not first.milestones.filter(
            due_date__gte=date(2025, 7, 17), completed_on__isnull=True
        ).exclude(hold=Hold.SUPERSEDED)
        event = first.events.filter(kind=EventKind.COURSE_SUPERSEDED).latest("pk")
        assert (event.data["reopened"], event.data["closed"]) == (1, 0)
        assert event.data["was_contact_date"] == "2025-07-01"
        services.move_day_zero(course=later, day_zero=date(2025, 7, 5), by=coordinator)
        first.refresh_from_db()
        assert first.superseded_on == date(2025, 7, 1)
        assert superseded(first) == closed

    def test_the_page_says_why_not(self, coordinator_client, first, coordinator, today):
        later = follow(first, coordinator, date(2026, 10, 1))
        url = reverse("day_zero_move", args=[first.code])
        page = coordinator_client.get(url).text
        assert "its Day Zero no longer moves" in page
        assert 'name="day_zero"' not in page
        course_page = coordinator_client.get(first.get_absolute_url()).text
        assert f'href="{url}"' not in course_page
        refused = coordinator_client.post(
            reverse("day_zero_move", args=[later.code]),
            {"day_zero": "2025-06-01", "reason": "Typo"},
        )
        assert "follows the one of 2 Jun 2025" in refused.text
        assert "What will change" not in refused.text


class TestConfirmingTheInfusion:
    def test_on_another_day_moves_day_zero_and_confirms_in_one_step(
        self, coordinator_client, patient, coordinator, today
    ):
        course = start_course(
            patient=patient, protocol=small_protocol(), day_zero=today, by=coordinator
        )
        given = today - timedelta(days=1)
        asked = coordinator_client.post(
            reverse("day_zero_confirm", args=[course.code]), {"given_on": given.isoformat()}
        )
        move_url = asked.url
        assert "then_confirm=1" in move_url
        page = coordinator_client.get(move_url).text
        assert "the infusion is confirmed with it" in page
        preview = coordinator_client.post(
            move_url,
            {"day_zero": given.isoformat(), "reason": "Cells given that day", "then_confirm": "1"},
        ).text
        assert "and confirm the infusion" in preview
        done = coordinator_client.post(
            move_url,
            {
                "day_zero": given.isoformat(),
                "reason": "Cells given that day",
                "from_day_zero": today.isoformat(),
                "then_confirm": "1",
                "confirm": "1",
            },
        )
        assert done.status_code == 302
        course.refresh_from_db()
        assert (course.day_zero, course.day_zero_confirmed) == (given, True)
        infusion = course.milestones.get(step__key="infusion")
        assert infusion.completed_on == given


class TestCatchingUp:
    @pytest.fixture
    def mid_course(self, patient, coordinator, today):
        protocol = small_protocol()
        StepFactory(
            protocol=protocol,
            key="neutrophils",
            title="Neutrophil engraftment",
            day=14,
            engraftment="neutrophil",
            checklist="",
        )
        return start_course(
            patient=patient, protocol=protocol, day_zero=date(2026, 6, 24), by=coordinator
        )

    @pytest.mark.parametrize("how", ["done", "not_recorded"])
    def test_confirms_day_zero_and_leaves_engraftment_to_the_counts(
        self, mid_course, coordinator, today, how
    ):
        before = date(2026, 11, 1)
        assert "neutrophils" not in {
            m.step.key for m in services.catch_up_preview(mid_course, before, how)
        }
        assert [m.step.key for m in services.catch_up_left(mid_course, before)] == ["neutrophils"]
        services.catch_up(course=mid_course, before=before, how=how, by=coordinator)
        mid_course.refresh_from_db()
        assert mid_course.day_zero_confirmed
        assert mid_course.milestones.get(step__key="infusion").completed_on == date(2026, 6, 24)
        engraftment = mid_course.milestones.get(step__key="neutrophils")
        assert (engraftment.completed_on, engraftment.hold) == (None, "")
        assert mid_course.events.filter(kind=EventKind.DAY_ZERO_CONFIRMED).count() == 1

    def test_not_on_a_closed_course(self, mid_course, coordinator, today):
        services.end_course(course=mid_course, reason="transferred", on=today, by=coordinator)
        with pytest.raises(ValidationError, match="plan is closed"):
            services.catch_up(
                course=mid_course, before=date(2026, 11, 1), how="done", by=coordinator
            )


class TestEnding:
    def test_is_previewed_then_done(self, coordinator_client, first, coordinator, today):
        later = follow(first, coordinator, today + timedelta(days=20))
        url = reverse("course_end", args=[first.code])
        asked = {"reason": "died", "on": today.isoformat(), "note": ""}
        preview = coordinator_client.post(url, asked).text
        assert "What ending the course does" in preview
        assert f"Day Zero {later.day_zero:%-d %b %Y}) ends too" in preview
        assert "their portal login closes" in preview
        assert not CourseEvent.objects.filter(kind=EventKind.COURSE_ENDED).exists()
        done = coordinator_client.post(url, {**asked, "confirm": "1"})
        assert done.status_code == 302
        assert CourseEvent.objects.filter(kind=EventKind.COURSE_ENDED).count() == 2

    def test_follow_up_completed_before_the_plan_ends_needs_a_why(
        self, coordinator_client, patient, coordinator, today
    ):
        course = start_course(
            patient=patient, protocol=small_protocol(), day_zero=date(2026, 10, 1), by=coordinator
        )
        with pytest.raises(ValidationError, match=re.escape("The plan goes on to 9 Jan 2027")):
            services.end_course(course=course, reason="completed", on=today, by=coordinator)
        page = coordinator_client.post(
            reverse("course_end", args=[course.code]),
            {"reason": "completed", "on": today.isoformat()},
        ).text
        assert 'id="end-note_error"' in page or "say why follow-up is completed" in page
        services.end_course(
            course=course, reason="completed", on=today, by=coordinator, note="Moved abroad"
        )

    def test_the_pages_of_an_ended_course(self, coordinator_client, first, coordinator, today):
        patient_client = Client()
        patient_client.force_login(first.patient.user)
        services.end_course(
            course=first, reason="completed", on=date(2026, 6, 2), by=coordinator, note="Done"
        )
        page = coordinator_client.get(first.get_absolute_url()).text
        assert "Ended on <strong>2 Jun 2026</strong> (Day +365)" in page
        assert "Today is" not in page
        assert "Record earlier milestones" not in page
        me = patient_client.get(reverse("my_page")).text
        assert "You have completed your follow-up with us" in me
        assert 'class="explanation"' not in me
        printed = coordinator_client.get(reverse("course_calendar", args=[first.code])).text
        assert "This treatment ended on 2 June 2026" in printed
        assert "If Day Zero moves" not in printed


class TestInfusions:
    @pytest.fixture
    def allo(self, patient, coordinator, today):
        return services.start_course(
            patient=patient,
            protocol=small_protocol(),
            day_zero=date(2026, 7, 1),
            by=coordinator,
            graft_source=GraftSource.PBSC,
        )

    def test_a_second_cord_unit_only_after_cord_blood(self, allo, coordinator):
        with pytest.raises(ValidationError, match="peripheral blood stem cells, not cord blood"):
            services.record_infusion(
                course=allo, kind="additional_cord_unit", given_on=date(2026, 7, 2), by=coordinator
            )

    def test_the_same_infusion_twice_on_one_day_is_refused(self, allo, coordinator):
        services.record_infusion(
            course=allo, kind="dli", given_on=date(2026, 10, 1), by=coordinator
        )
        with pytest.raises(ValidationError, match="already recorded"):
            services.record_infusion(
                course=allo, kind="dli", given_on=date(2026, 10, 1), by=coordinator
            )
        services.record_infusion(
            course=allo, kind="boost", given_on=date(2026, 10, 1), by=coordinator
        )

    def test_not_after_the_course_ended(self, allo, coordinator):
        services.end_course(course=allo, reason="transferred", on=date(2026, 9, 1), by=coordinator)
        with pytest.raises(ValidationError, match="plan closed on 1 Sep 2026"):
            services.record_infusion(
                course=allo, kind="dli", given_on=date(2026, 10, 1), by=coordinator
            )

    def test_recorded_and_refused_in_place(self, staff_client, allo):
        url = reverse("infusion_add", args=[allo.code])
        htmx = {"HX-Request": "true"}
        bad = staff_client.post(url, {"kind": "dli", "given_on": "2026-06-30"}, headers=htmx)
        assert bad.text.lstrip().startswith('<section id="infusions"')
        assert "It comes after Day Zero" in bad.text
        assert "<details open>" in bad.text
        good = staff_client.post(url, {"kind": "dli", "given_on": "2026-10-29"}, headers=htmx)
        assert good.text.lstrip().startswith('<section id="infusions"')
        assert "Donor lymphocyte infusion recorded on Day +120." in good.text
        infusion = allo.infusions.get()
        deleted = staff_client.post(reverse("infusion_delete", args=[infusion.code]), headers=htmx)
        assert deleted.text.lstrip().startswith('<section id="infusions"')
        assert not allo.infusions.exists()
        history = CourseEvent.objects.filter(kind=EventKind.INFUSION_ADDED).get()
        assert history.data["day"] == "Day +120"


class TestStartingAgain:
    def test_back_to_the_form_after_the_start_opens_the_later_course(
        self, coordinator_client, first, coordinator, today
    ):
        later = follow(first, coordinator, date(2026, 10, 1))
        url = reverse("course_start", args=[first.patient.code]) + f"?follows={first.code}"
        response = coordinator_client.get(url)
        assert response.status_code == 302
        assert response.url == later.get_absolute_url()

    def test_the_earlier_course_page_names_the_cut_off_and_defers_irradiation(
        self, coordinator_client, first, coordinator, today
    ):
        later = follow(first, coordinator, date(2026, 10, 1))
        first.refresh_from_db()
        page = coordinator_client.get(first.get_absolute_url()).text
        assert f"planned items from {later.start_date:%-d %b %Y}" in page
        assert "Plan closed on" in page
        assert "Today is" not in page
        assert "see the later transplant's course" in page
