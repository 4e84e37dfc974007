"""The life of a course (CLINICAL.md section 9): a subsequent transplant closes the earlier
course's plan from the new conditioning on; nothing of it is due, overdue or shown after."""

import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests.factories import StepFactory, small_protocol, start_course
from tracker import services
from tracker.models import CourseEvent, EventKind, Kind
from tracker.queries.followup import Filters, follow_up_courses
from tracker.queries.portal import patient_milestones
from tracker.queries.recovery import Filters as RecoveryFilters
from tracker.queries.recovery import recovery_courses
from tracker.rules import schedule

pytestmark = pytest.mark.django_db


@pytest.fixture
def autologous():
    """Conditioning Day -3 to -1, Day 0, Day +30, PCV at 3 months, MMR at 24 and 25 months."""
    protocol = small_protocol(kind=Kind.AUTOLOGOUS, donor_type="self")
    for key, months, vaccine in [("mmr-one", 24, "mmr"), ("varicella-one", 25, "varicella")]:
        StepFactory(
            protocol=protocol,
            key=key,
            title=key,
            day=None,
            months=months,
            vaccine=vaccine,
            dose=1,
            checklist="",
        )
    return protocol


def second(patient, first, coordinator, day_zero, reason="relapse", protocol=None):
    return services.start_course(
        patient=patient,
        protocol=protocol or small_protocol(),
        day_zero=day_zero,
        by=coordinator,
        follows=first,
        reason=reason,
    )


class TestSubsequentTransplant:
    def test_the_earlier_plan_closes_from_the_new_conditioning(
        self, patient, coordinator, autologous, today
    ):
        first = start_course(
            patient=patient, protocol=autologous, day_zero=date(2025, 6, 2), by=coordinator
        )
        new = second(patient, first, coordinator, date(2026, 11, 2))
        # The new conditioning starts on Day -3: 30 Oct 2026.
        assert new.start_date == date(2026, 10, 30)
        assert (new.follows, new.follow_reason) == (first, "relapse")
        first.refresh_from_db()
        assert first.superseded_on == date(2026, 10, 29)  # the registry contact date
        closed = first.milestones.filter(hold="superseded")
        assert {m.step.key for m in closed} >= {"mmr-one", "varicella-one"}
        assert all(m.due_date >= date(2026, 10, 30) for m in closed)
        assert not first.milestones.filter(hold="superseded", due_date__lt=date(2026, 10, 30))
        mmr = first.milestones.get(step__key="mmr-one")
        assert mmr.status_on(today) == schedule.Status.CLOSED
        assert mmr.plan_note == "Superseded by the 2nd transplant (conditioning from 30 Oct 2026)."
        event = CourseEvent.objects.get(course=first, kind=EventKind.COURSE_SUPERSEDED)
        assert event.data["closed"] == closed.count()
        assert event.data["contact_date"] == "2026-10-29"

    def test_the_first_courses_live_vaccines_are_never_shown_or_overdue_after(
        self, client, patient, coordinator, autologous, today
    ):
        first = start_course(
            patient=patient, protocol=autologous, day_zero=date(2024, 6, 2), by=coordinator
        )
        assert first.milestones.overdue(today).filter(step__key="mmr-one").exists()
        second(patient, first, coordinator, date(2026, 1, 5), reason="graft_failure")
        live = first.milestones.overdue(today).filter(step__vaccine__in=["mmr", "varicella"])
        assert not live.exists()
        shown = patient_milestones(patient.courses.all())
        assert not [m for m in shown if m.course_id == first.pk and m.step.vaccine]
        assert first not in follow_up_courses(today=today, filters=Filters())
        assert first not in recovery_courses(today=today, filters=RecoveryFilters())
        feed = client.get(reverse("calendar_feed", args=[patient.renew_feed_token()])).text
        assert "BEGIN:VEVENT" in feed
        assert "mmr-one" not in feed
        assert "varicella-one" not in feed

    def test_a_tandem_pair(self, patient, coordinator, autologous, today):
        first = start_course(
            patient=patient, protocol=autologous, day_zero=date(2026, 6, 1), by=coordinator
        )
        new = second(
            patient, first, coordinator, date(2026, 9, 1), reason="tandem", protocol=autologous
        )
        assert new.is_tandem
        assert new.sequence_label == "2nd transplant (tandem)"
        # The follow-up list follows the new course.
        listed = list(follow_up_courses(today=today, filters=Filters()))
        assert new in listed
        assert first not in listed

    @pytest.mark.parametrize(
        ("day_zero", "reason", "message"),
        [
            (date(2025, 6, 2), "relapse", "comes after the earlier one's Day Zero (2 Jun 2025)"),
            (date(2026, 1, 1), "", "Choose why this transplant follows the earlier one"),
            (date(2026, 1, 1), "boredom", "Choose why this transplant follows the earlier one"),
        ],
    )
    def test_refused(self, patient, coordinator, autologous, today, day_zero, reason, message):
        first = start_course(
            patient=patient, protocol=autologous, day_zero=date(2025, 6, 2), by=coordinator
        )
        with pytest.raises(ValidationError, match=re.escape(message)):
            second(patient, first, coordinator, day_zero, reason=reason)
        first.refresh_from_db()
        assert first.superseded_on is None
        assert patient.courses.count() == 1  # nothing half-saved

    def test_only_from_the_latest_and_of_the_same_patient(
        self, patient, other_patient, coordinator, autologous, today
    ):
        first = start_course(
            patient=patient, protocol=autologous, day_zero=date(2025, 6, 2), by=coordinator
        )
        second(patient, first, coordinator, date(2026, 1, 5))
        with pytest.raises(ValidationError, match="already follows that course"):
            second(patient, first, coordinator, date(2026, 3, 5))
        with pytest.raises(ValidationError, match="same patient"):
            second(other_patient, first, coordinator, date(2026, 3, 5))


class TestViews:
    def test_a_coordinator_starts_a_subsequent_transplant_from_the_course(
        self, coordinator_client, patient, coordinator, autologous, today
    ):
        first = start_course(
            patient=patient, protocol=autologous, day_zero=date(2025, 6, 2), by=coordinator
        )
        page = coordinator_client.get(first.get_absolute_url()).text
        url = f"{reverse('course_start', args=[patient.code])}?follows={first.code}"
        assert f'href="{url}"' in page
        form = coordinator_client.get(url).text
        assert "Start a subsequent transplant" in form
        assert "Why this transplant follows the earlier one" in form
        protocol = small_protocol()
        missing = coordinator_client.post(url, {"protocol": protocol.pk, "day_zero": "2026-12-01"})
        assert "Choose why this transplant follows the earlier one." in missing.text
        assert patient.courses.count() == 1
        response = coordinator_client.post(
            url, {"protocol": protocol.pk, "day_zero": "2026-12-01", "reason": "relapse"}
        )
        new = patient.courses.get(sequence=2)
        assert response.status_code == 302
        assert response["Location"] == new.get_absolute_url()
        page = coordinator_client.get(first.get_absolute_url()).text
        assert "A later transplant follows this course" in page
        assert "Start a subsequent transplant" not in page
        history = coordinator_client.get(reverse("course_history", args=[first.code])).text
        assert "Superseded by a later transplant" in history

    def test_clinic_staff_cannot(self, staff_client, patient, coordinator, autologous, today):
        first = start_course(
            patient=patient, protocol=autologous, day_zero=date(2025, 6, 2), by=coordinator
        )
        assert (
            "Start a subsequent transplant" not in staff_client.get(first.get_absolute_url()).text
        )
        url = f"{reverse('course_start', args=[patient.code])}?follows={first.code}"
        assert staff_client.get(url).status_code == 403

    def test_an_unknown_course_to_follow_is_not_found(self, coordinator_client, patient):
        url = f"{reverse('course_start', args=[patient.code])}?follows=not-a-code"
        assert coordinator_client.get(url).status_code == 404
