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
        client.force_login(patient.user)
        printed = client.get(f"{reverse('my_calendar')}?course={first.code}").text
        assert "Day Zero" in printed
        assert "mmr-one" not in printed
        page = client.get(f"{reverse('my_page')}?course={first.code}").text
        assert "mmr-one" not in page

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


class TestEndingACourse:
    def test_items_after_the_end_close_and_the_course_leaves_the_lists(
        self, client, patient, coordinator, autologous, today
    ):
        course = start_course(
            patient=patient, protocol=autologous, day_zero=date(2026, 10, 1), by=coordinator
        )
        assert course in follow_up_courses(today=today, filters=Filters())
        services.end_course(
            course=course, reason="transferred", on=date(2026, 11, 10), by=coordinator
        )
        course.refresh_from_db()
        assert (course.ended_on, course.end_reason) == (date(2026, 11, 10), "transferred")
        closed = course.milestones.filter(hold="ended")
        assert closed.exists()
        assert all(m.due_date > date(2026, 11, 10) for m in closed)
        assert closed.first().plan_note == (
            "Course ended on 10 Nov 2026: transferred to another centre."
        )
        # Items up to the end stay as they were (overdue if not done: work left undone).
        assert course.milestones.filter(hold="", due_date__lte=date(2026, 11, 10)).exists()
        assert not course.milestones.overdue(today).filter(due_date__gt=date(2026, 11, 10))
        assert course not in follow_up_courses(today=today, filters=Filters())
        client.force_login(patient.user)
        page = client.get(reverse("my_page")).text
        assert "Your care has moved to another hospital." in page
        assert "Coming up in the next 2 weeks" not in page or "Nothing" in page
        event = CourseEvent.objects.get(kind=EventKind.COURSE_ENDED)
        assert event.data["closed"] == closed.count()

    def test_a_death_closes_the_portal_and_the_feed(self, patient, coordinator, autologous, today):
        course = start_course(
            patient=patient, protocol=autologous, day_zero=date(2026, 10, 1), by=coordinator
        )
        patient.renew_feed_token()
        services.end_course(
            course=course, reason="died", on=date(2026, 11, 20), by=coordinator, note="At home"
        )
        patient.refresh_from_db()
        patient.user.refresh_from_db()
        assert patient.feed_token is None
        assert not patient.user.is_active

    @pytest.mark.parametrize(
        ("reason", "on", "message"),
        [
            ("", date(2026, 11, 10), "Choose why the course ended."),
            ("died", date(2026, 11, 22), "A course cannot end in the future."),
            (
                "relapse",
                date(2026, 9, 1),
                "The course starts on 28 Sep 2026: it cannot end before.",
            ),
        ],
    )
    def test_refused(self, patient, coordinator, autologous, today, reason, on, message):
        course = start_course(
            patient=patient, protocol=autologous, day_zero=date(2026, 10, 1), by=coordinator
        )
        with pytest.raises(ValidationError, match=re.escape(message)):
            services.end_course(course=course, reason=reason, on=on, by=coordinator)
        course.refresh_from_db()
        assert course.ended_on is None
        assert not course.milestones.filter(hold="ended").exists()

    def test_reopened_with_a_reason_plans_the_closed_items_again(
        self, patient, coordinator, autologous, today
    ):
        course = start_course(
            patient=patient, protocol=autologous, day_zero=date(2026, 10, 1), by=coordinator
        )
        services.end_course(course=course, reason="lost_to_follow_up", on=today, by=coordinator)
        closed = course.milestones.filter(hold="ended").count()
        with pytest.raises(ValidationError, match="Say why the course is reopened"):
            services.reopen_course(course=course, by=coordinator, reason=" ")
        services.reopen_course(course=course, by=coordinator, reason="Back in touch")
        course.refresh_from_db()
        assert course.ended_on is None
        assert not course.milestones.filter(hold="ended").exists()
        event = CourseEvent.objects.get(kind=EventKind.COURSE_REOPENED)
        assert event.data["reopened"] == closed
        assert event.data["ended_because"] == "Lost to follow-up"

    def test_the_end_page(self, client, clinic_staff, patient, coordinator, today):
        course = start_course(patient=patient, protocol=small_protocol(), by=coordinator)
        url = reverse("course_end", args=[course.code])
        client.force_login(clinic_staff)
        assert f'href="{url}"' not in client.get(course.get_absolute_url()).text
        coordinator_client = client
        coordinator_client.force_login(coordinator)
        assert f'href="{url}"' in coordinator_client.get(course.get_absolute_url()).text
        bad = coordinator_client.post(url, {"reason": "completed", "on": "2030-01-01"})
        assert "cannot be in the future" in bad.text
        asked = {"reason": "completed", "on": "2026-11-21", "note": "Back to her own doctor"}
        preview = coordinator_client.post(url, asked)
        assert "What ending the course does" in preview.text
        assert not CourseEvent.objects.filter(kind=EventKind.COURSE_ENDED).exists()
        done = coordinator_client.post(url, {**asked, "confirm": "1"})
        assert done.status_code == 302
        page = coordinator_client.get(course.get_absolute_url()).text
        assert (
            "This course ended on 21 Nov 2026: follow-up completed (Back to her own doctor)."
            in page
        )
        again = coordinator_client.get(url).text
        assert "Reopen the course" in again
        history = coordinator_client.get(reverse("course_history", args=[course.code])).text
        assert "Course ended on 21 Nov 2026" in history


class TestInfusions:
    @pytest.fixture
    def allo(self, patient, coordinator, today):
        return start_course(
            patient=patient, protocol=small_protocol(), day_zero=date(2026, 7, 1), by=coordinator
        )

    def test_an_autologous_rescue_on_day_35_changes_no_date(self, allo, coordinator):
        dates = list(allo.milestones.values_list("pk", "due_date"))
        day_100 = allo.day_100_due
        infusion = services.record_infusion(
            course=allo, kind="autologous_rescue", given_on=date(2026, 8, 5), by=coordinator
        )
        allo.refresh_from_db()
        assert allo.day_zero == date(2026, 7, 1)
        assert allo.day_label_on(infusion.given_on) == "Day +35"
        assert list(allo.milestones.values_list("pk", "due_date")) == dates
        assert allo.day_100_due == day_100
        assert allo.events.filter(kind=EventKind.INFUSION_ADDED).get().data["what"] == (
            "Autologous rescue"
        )

    def test_a_donor_lymphocyte_infusion_on_day_120(self, allo, coordinator):
        infusion = services.record_infusion(
            course=allo, kind="dli", given_on=date(2026, 10, 29), by=coordinator, note="1e6/kg"
        )
        assert allo.day_label_on(infusion.given_on) == "Day +120"

    @pytest.mark.parametrize(
        ("kind", "given_on", "message"),
        [
            ("dli", date(2026, 7, 1), "It comes after Day Zero (1 Jul 2026)."),
            ("dli", date(2026, 11, 22), "An infusion cannot be recorded in the future."),
            ("second_infusion_day", date(2026, 7, 3), "is Day +1 (2 Jul 2026)"),
            ("transfusion", date(2026, 7, 3), "Choose what was given."),
        ],
    )
    def test_refused(self, allo, coordinator, kind, given_on, message):
        with pytest.raises(ValidationError, match=re.escape(message)):
            services.record_infusion(course=allo, kind=kind, given_on=given_on, by=coordinator)
        assert not allo.infusions.exists()

    def test_donor_cells_only_after_an_allogeneic_transplant(
        self, patient, coordinator, autologous, today
    ):
        auto = start_course(
            patient=patient, protocol=autologous, day_zero=date(2026, 7, 1), by=coordinator
        )
        with pytest.raises(ValidationError, match="Donor cells are given after an allogeneic"):
            services.record_infusion(
                course=auto, kind="dli", given_on=date(2026, 8, 1), by=coordinator
            )

    def test_recorded_and_deleted_on_the_course_page(self, staff_client, allo, coordinator, today):
        url = reverse("infusion_add", args=[allo.code])
        bad = staff_client.post(url, {"kind": "dli", "given_on": "2026-06-01"})
        assert "It comes after Day Zero (1 Jul 2026)." in bad.text
        assert 'id="infusions"' in bad.text
        done = staff_client.post(url, {"kind": "boost", "given_on": "2026-09-01"})
        assert done["Location"].endswith("#infusions")
        page = staff_client.get(allo.get_absolute_url()).text
        assert "Day +62</strong> · Tue 1 Sep 2026 · Stem cell boost" in page
        infusion = allo.infusions.get()
        staff_client.post(reverse("infusion_delete", args=[infusion.code]))
        assert not allo.infusions.exists()
        history = staff_client.get(reverse("course_history", args=[allo.code])).text
        assert "Stem cell boost given on 1 Sep 2026" in history
        assert "Stem cell boost of 1 Sep 2026 deleted" in history


class TestPatientDetails:
    def test_a_coordinator_corrects_a_name_audited(self, coordinator_client, patient, coordinator):
        url = reverse("patient_edit", args=[patient.code])
        assert f'href="{url}"' in coordinator_client.get(patient.get_absolute_url()).text
        form = coordinator_client.get(url).text
        assert 'value="Lovelace"' in form
        response = coordinator_client.post(
            url,
            {
                "mrn": patient.mrn,
                "given_name": "Ada",
                "family_name": "King",
                "date_of_birth": patient.date_of_birth.isoformat(),
            },
        )
        assert response.status_code == 302
        patient.refresh_from_db()
        assert patient.family_name == "King"
        event = CourseEvent.objects.get(kind=EventKind.PATIENT_CHANGED)
        assert event.data["changes"] == {"family_name": ["Lovelace", "King"]}

    def test_bad_details_are_refused_next_to_the_field(
        self, coordinator_client, patient, other_patient, coordinator, today
    ):
        start_course(patient=patient, protocol=small_protocol(), by=coordinator)
        url = reverse("patient_edit", args=[patient.code])
        data = {
            "mrn": other_patient.mrn,
            "given_name": "Ada",
            "family_name": "Lovelace",
            "date_of_birth": "2026-11-21",  # the course's Day Zero
        }
        response = coordinator_client.post(url, data)
        assert "A patient with this MRN is already registered." in response.text
        data["mrn"] = patient.mrn
        response = coordinator_client.post(url, data)
        assert "The first Day Zero is 21 Nov 2026: birth comes before." in response.text
        patient.refresh_from_db()
        assert patient.date_of_birth != date(2026, 11, 21)
        assert not CourseEvent.objects.filter(kind=EventKind.PATIENT_CHANGED).exists()

    def test_the_patient_page_lists_every_course_with_its_state(
        self, coordinator_client, patient, coordinator, autologous, today
    ):
        first = start_course(
            patient=patient, protocol=autologous, day_zero=date(2025, 6, 2), by=coordinator
        )
        new = second(patient, first, coordinator, date(2026, 1, 5), reason="tandem")
        services.end_course(course=new, reason="completed", on=today, by=coordinator)
        text = coordinator_client.get(patient.get_absolute_url()).text
        first.refresh_from_db()
        starts = new.start_date
        assert first.superseded_from == starts  # the cut-off the items and the banner say
        assert f"Followed by a later transplant (items from {starts:%-d %b %Y} on" in text
        assert "Ended 21 Nov 2026: follow-up completed" in text
        assert "2nd transplant (tandem) ·" in text


class TestCatchingUp:
    @pytest.fixture
    def mid_course(self, patient, coordinator, today):
        """Registered at about Day +150: its earlier milestones are all open (overdue)."""
        protocol = small_protocol()  # with its Day-100 evaluation
        StepFactory(
            protocol=protocol,
            key="mmr-x",
            title="MMR",
            day=None,
            months=2,
            vaccine="mmr",
            dose=1,
            checklist="",
        )
        return start_course(
            patient=patient, protocol=protocol, day_zero=date(2026, 6, 24), by=coordinator
        )

    def test_done_on_their_due_dates_in_one_go(self, mid_course, coordinator, today):
        before = date(2026, 11, 1)
        preview = services.catch_up_preview(mid_course, before, "done")
        assert preview
        assert all(m.due_date < before for m in preview)
        assert "mmr-x" not in {m.step.key for m in preview}  # a live vaccine: its gates
        count = services.catch_up(course=mid_course, before=before, how="done", by=coordinator)
        assert count == len(preview)
        for milestone in mid_course.milestones.filter(pk__in=[m.pk for m in preview]):
            assert milestone.completed_on == milestone.due_date
        mid_course.refresh_from_db()
        assert mid_course.day_100_done_on == date(2026, 10, 2)  # the list follows
        assert not mid_course.milestones.overdue(before).exclude(step__key="mmr-x").exists()
        event = CourseEvent.objects.get(kind=EventKind.CAUGHT_UP)
        assert (event.data["count"], event.data["how"]) == (count, "done on its due date")

    def test_not_recorded_here_closes_them_but_the_day_100_evaluation(
        self, mid_course, coordinator, today
    ):
        services.catch_up(
            course=mid_course, before=date(2026, 11, 1), how="not_recorded", by=coordinator
        )
        closed = mid_course.milestones.filter(hold="not_recorded")
        assert closed.exists()
        assert not closed.filter(completed_on__isnull=False).exists()
        assert mid_course.milestones.get(step__is_day_100_evaluation=True).hold == ""
        assert closed.first().status_on(today) == schedule.Status.CLOSED

    def test_the_page_previews_then_records(self, coordinator_client, mid_course, today):
        url = reverse("catch_up", args=[mid_course.code])
        assert f'href="{url}"' in coordinator_client.get(mid_course.get_absolute_url()).text
        future = coordinator_client.post(url, {"before": "2026-12-30", "how": "done"})
        assert "Only what was due up to today" in future.text
        preview = coordinator_client.post(url, {"before": "2026-11-01", "how": "done"})
        assert "What will be recorded" in preview.text
        assert not mid_course.milestones.filter(completed_on__isnull=False).exists()
        done = coordinator_client.post(url, {"before": "2026-11-01", "how": "done", "confirm": "1"})
        assert done.status_code == 302
        assert mid_course.milestones.filter(completed_on__isnull=False).exists()


class TestAfterTheReview:
    def test_this_week_lists_nothing_closed_or_blocked(
        self, staff_client, patient, coordinator, autologous, today
    ):
        course = start_course(
            patient=patient, protocol=autologous, day_zero=date(2026, 11, 1), by=coordinator
        )
        services.end_course(course=course, reason="died", on=date(2026, 11, 20), by=coordinator)
        text = staff_client.get(reverse("follow_up_week")).text
        assert "Lovelace" not in text

    def test_a_closed_item_cannot_be_marked_done(self, patient, coordinator, autologous, today):
        first = start_course(
            patient=patient, protocol=autologous, day_zero=date(2025, 6, 2), by=coordinator
        )
        second(patient, first, coordinator, date(2026, 11, 2))
        closed = first.milestones.filter(hold="superseded").first()
        with pytest.raises(ValidationError, match="This item is closed: Superseded"):
            services.complete_milestone(milestone=closed, on=today, by=coordinator, today=today)

    def test_no_subsequent_transplant_before_the_earlier_one_happened(
        self, patient, coordinator, autologous, today
    ):
        first = start_course(
            patient=patient, protocol=autologous, day_zero=date(2026, 11, 26), by=coordinator
        )
        with pytest.raises(ValidationError, match="has not come yet: to change its plan"):
            second(patient, first, coordinator, date(2026, 11, 27))
        assert not first.milestones.filter(hold="superseded").exists()

    def test_a_second_transplant_is_started_from_the_first_course(
        self, coordinator_client, patient, coordinator, autologous, today
    ):
        start_course(
            patient=patient, protocol=autologous, day_zero=date(2026, 8, 1), by=coordinator
        )
        response = coordinator_client.post(
            reverse("course_start", args=[patient.code]),
            {"protocol": small_protocol().pk, "day_zero": "2026-12-10"},
        )
        assert "This patient has an open transplant (Day Zero 1 Aug 2026)" in response.text
        assert patient.courses.count() == 1
