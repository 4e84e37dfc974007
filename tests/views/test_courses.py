"""Starting a course, the timeline page, moving and confirming Day Zero, milestones, checklists."""

import uuid
from datetime import date, timedelta

import pytest
from django.urls import reverse

from tests.factories import (
    PatientFactory,
    ProtocolFactory,
    UserFactory,
    repeating_step,
    start_course,
)
from tracker import services
from tracker.models import ChecklistItem, DayZeroMove, Milestone, TransplantCourse
from tracker.rules import schedule

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
QUERIES_ON_TIMELINE = 27  # with the idle-session touch (once a minute)
QUERIES_ON_CACHED_TIMELINE = 6


class TestCourseStart:
    def url(self, patient):
        return reverse("course_start", args=[patient.code])

    def test_delete_is_not_allowed(self, coordinator_client, patient):
        assert coordinator_client.delete(self.url(patient)).status_code == 405

    def test_unknown_patient_is_not_found(self, coordinator_client):
        url = reverse("course_start", args=[uuid.uuid4()])
        assert coordinator_client.get(url).status_code == 404

    def test_offers_only_active_protocols(self, coordinator_client, patient, protocol):
        ProtocolFactory(name="Retired protocol", is_active=False)
        text = coordinator_client.get(self.url(patient)).text
        assert protocol.name in text
        assert "Retired protocol" not in text

    def test_starts_the_course_and_shows_its_timeline(
        self, coordinator_client, patient, protocol, today
    ):
        response = coordinator_client.post(
            self.url(patient), {"protocol": protocol.pk, "day_zero": "2026-12-01"}
        )
        course = TransplantCourse.objects.get()
        assert response.status_code == 302
        assert response.url == course.get_absolute_url()
        assert course.day_zero == date(2026, 12, 1)
        assert course.milestones.count() == 11

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"day_zero": "2026-12-01"}, "protocol", "Choose the protocol"),
            ({"day_zero": ""}, "day_zero", "Enter the planned Day Zero."),
            ({"day_zero": "2026-13-01"}, "day_zero", "Enter a valid date."),
            ({"day_zero": "2028-01-01"}, "day_zero", "more than a year ahead"),
            ({"day_zero": "1960-01-01"}, "day_zero", "more than 30 years ago"),
            ({"day_zero": "2026-12-01", "donor_type": "self"}, "donor_type", "donor other"),
        ],
        ids=["no-protocol", "no-day-zero", "bad-date", "far-future", "long-ago", "allo-self"],
    )
    def test_bad_input_is_explained_and_nothing_is_saved(
        self, coordinator_client, patient, protocol, today, data, field, message
    ):
        data = {"protocol": protocol.pk, **data} if field != "protocol" else data
        response = coordinator_client.post(self.url(patient), data)
        assert response.status_code == 200
        assert message in response.text
        assert f'id="id_{field}_error"' in response.text
        assert not TransplantCourse.objects.exists()
        assert not Milestone.objects.exists()

    def test_day_zero_before_birth_is_refused(self, coordinator_client, protocol, today):
        child = PatientFactory(date_of_birth=date(2024, 6, 1))
        response = coordinator_client.post(
            self.url(child), {"protocol": protocol.pk, "day_zero": "2024-05-01"}
        )
        assert "Day Zero must be after the patient’s date of birth." in response.text
        assert not TransplantCourse.objects.exists()


class TestCourseDetail:
    def test_unknown_course_is_not_found(self, coordinator_client):
        url = reverse("course_detail", args=[uuid.uuid4()])
        assert coordinator_client.get(url).status_code == 404

    def test_header_says_what_day_it_is_today(self, coordinator_client, course, today):
        course.day_zero = today - timedelta(days=12)
        course.save()
        text = coordinator_client.get(course.get_absolute_url()).text
        assert "Today is <strong>Day +12</strong>" in text

    def test_phase_band_marks_the_current_phase(self, coordinator_client, course, today):
        text = coordinator_client.get(course.get_absolute_url()).text
        current = text.split('aria-current="step"')[1]
        assert current.split("</li>")[0].count("Day Zero") >= 1
        assert text.count('aria-current="step"') == 1

    def test_jump_to_today_links_to_what_comes_next_in_the_current_phase(
        self, coordinator_client, coordinator, patient, protocol, today
    ):
        course = start_course(
            patient=patient, protocol=protocol, day_zero=today - timedelta(days=40), by=coordinator
        )
        text = coordinator_client.get(course.get_absolute_url()).text
        # Day +40, the 100-day window: its first milestone from today on is the 3-month vaccine.
        vaccine = course.milestones.get(step__key="pcv-1")
        assert f'<a class="jump" href="#milestone-{vaccine.code}">Jump to today</a>' in text
        assert '<section id="phase-hundred_day" class="phase"' in text
        assert (
            "Jump to today"
            not in coordinator_client.get(course.get_absolute_url(), {"show": "overdue"}).text
        )

    def test_milestones_are_grouped_by_phase_with_day_labels(self, coordinator_client, course):
        # The 3-month vaccine falls on Day +92 (21 Feb 2027): still the 100-day window.
        phases = [
            ("conditioning", "Conditioning"),
            ("day_zero", "Day Zero"),
            ("engraftment", "Engraftment"),
            ("hundred_day", "100-day window"),
        ]
        for opened in ("conditioning", "hundred_day"):
            text = coordinator_client.get(course.get_absolute_url(), {"open": opened}).text
            positions = [
                text.index(
                    f'<h2 class="phase-title" id="phase-title-{phase}" tabindex="-1">{label}</h2>'
                )
                for phase, label in phases
            ]
            assert positions == sorted(positions)
        assert (
            "Day −3"
            in coordinator_client.get(course.get_absolute_url(), {"open": "conditioning"}).text
        )
        text = coordinator_client.get(course.get_absolute_url(), {"open": "hundred_day"}).text
        assert "window Day +85 to Day +115" in text

    def test_statuses_follow_today(self, coordinator_client, course, today):
        text = coordinator_client.get(course.get_absolute_url(), {"open": "conditioning"}).text
        conditioning = Milestone.objects.filter(step__key="conditioning", course=course).first()
        infusion = Milestone.objects.get(step__key="infusion", course=course)
        assert f'id="milestone-{conditioning.code}" class="milestone status-overdue"' in text
        assert f'id="milestone-{infusion.code}" class="milestone status-due"' in text

    def test_overdue_filter_shows_only_overdue_milestones(self, coordinator_client, course):
        text = coordinator_client.get(course.get_absolute_url(), {"show": "overdue"}).text
        assert text.count('class="milestone status-overdue"') == 3
        assert "status-upcoming" not in text
        assert "status-due" not in text

    def test_next_30_days_filter(self, coordinator_client, course):
        text = coordinator_client.get(course.get_absolute_url(), {"show": "next30"}).text
        # infusion (today), clinic 7/14/21/28, day-30 (window opens Day +23)
        assert text.count('<li id="milestone-') == 6

    def test_filter_with_nothing_to_show_explains_why(self, coordinator_client, course):
        for milestone in course.milestones.filter(window_end__lt=date(2026, 11, 21)):
            due = milestone.due_date
            milestone.complete(by=course.created_by, on=due, today=due)
        text = coordinator_client.get(course.get_absolute_url(), {"show": "overdue"}).text
        assert "Nothing is overdue." in text

    def test_unknown_filter_falls_back_to_all(self, coordinator_client, course):
        usual = coordinator_client.get(course.get_absolute_url()).text
        text = coordinator_client.get(course.get_absolute_url(), {"show": "bogus"}).text
        assert text.count('<li id="milestone-') == usual.count('<li id="milestone-') == 6
        assert 'aria-current="true">All</a>' in text

    def test_htmx_filter_returns_the_timeline_fragment(self, coordinator_client, course):
        response = coordinator_client.get(
            course.get_absolute_url(), {"show": "overdue"}, headers=HX
        )
        assert response.text.lstrip().startswith('<section id="timeline"')
        assert "<html" not in response.text

    @pytest.mark.parametrize("repeats", [10, 300])
    def test_query_count_is_fixed_whatever_the_number_of_milestones(
        self, coordinator_client, coordinator, patient, today, repeats, django_assert_num_queries
    ):
        protocol = repeating_step(first_day=1, last_day=repeats).protocol
        course = start_course(patient=patient, protocol=protocol, day_zero=today, by=coordinator)
        for milestone in course.milestones.all()[:3]:
            services.complete_milestone(milestone=milestone, on=today, by=coordinator, today=today)
            services.tick_item(item=milestone.items.first(), checked=True, by=coordinator)
        assert course.milestones.count() == repeats
        # session, user, user and group permissions, course, its last event, the patient's
        # drugs and chronic GVHD (irradiated blood, in the header); then the parts:
        # blood counts, lab results, acute GVHD, chronic GVHD, immune recovery (vaccinations,
        # the patient's drugs, IVIG, transplants, chronic GVHD, the drug stops), Day Zero moves,
        # infusions, the registry forms, the
        # phases' summary, the open phases' milestones and their checklist items
        with django_assert_num_queries(QUERIES_ON_TIMELINE):
            response = coordinator_client.get(course.get_absolute_url())
        # Day Zero is today: the engraftment phase (from Day +1) is open, the rest folded.
        shown = min(repeats, schedule.ENGRAFTMENT_LAST_DAY)
        assert response.text.count('<li id="milestone-') == shown
        # Seen again unchanged: the parts come from the cache.
        with django_assert_num_queries(QUERIES_ON_CACHED_TIMELINE):
            again = coordinator_client.get(course.get_absolute_url())
        assert again.text.count('<li id="milestone-') == shown


class TestDayZeroMove:
    def url(self, course):
        return reverse("day_zero_move", args=[course.code])

    def test_put_is_not_allowed(self, coordinator_client, course):
        assert coordinator_client.put(self.url(course)).status_code == 405

    def test_unknown_course_is_not_found(self, coordinator_client):
        url = reverse("day_zero_move", args=[uuid.uuid4()])
        assert coordinator_client.get(url).status_code == 404

    def test_first_post_shows_what_will_change_and_changes_nothing(
        self, coordinator_client, course, today
    ):
        infusion = course.milestones.get(step__key="infusion")
        infusion.complete(by=course.created_by, on=today, today=today)
        response = coordinator_client.post(
            self.url(course), {"day_zero": "2026-11-24", "reason": "Donor product delayed"}
        )
        assert response.status_code == 200
        assert "What will change" in response.text
        assert "<strong>10</strong> planned dates move" in response.text
        assert "<strong>1</strong> completed milestone will fall outside its new window" in (
            response.text
        )
        assert "Stem cell infusion" in response.text
        course.refresh_from_db()
        assert course.day_zero == today

    def test_confirming_moves_day_zero_and_every_date(self, coordinator_client, course, today):
        response = coordinator_client.post(
            self.url(course),
            {"day_zero": "2026-11-24", "reason": "Donor product delayed", "confirm": "1"},
        )
        assert response.status_code == 302
        assert response.url == course.get_absolute_url()
        course.refresh_from_db()
        assert course.day_zero == date(2026, 11, 24)
        assert course.milestones.get(step__key="infusion").due_date == date(2026, 11, 24)
        move = DayZeroMove.objects.get()
        assert (move.from_date, move.reason) == (today, "Donor product delayed")

    def test_the_move_shows_on_the_timeline(self, coordinator_client, course):
        coordinator_client.post(
            self.url(course), {"day_zero": "2026-11-24", "reason": "Infection", "confirm": "1"}
        )
        text = coordinator_client.get(course.get_absolute_url()).text
        assert "21 Nov 2026 → 24 Nov 2026 (Infection)" in text

    @pytest.mark.parametrize(
        ("data", "field", "message"),
        [
            ({"day_zero": "", "reason": "x"}, "day_zero", "Enter the new Day Zero."),
            ({"day_zero": "2026-11-21", "reason": "x"}, "day_zero", "already Day Zero"),
            ({"day_zero": "2026-11-24", "reason": ""}, "reason", "Say why Day Zero moves"),
            ({"day_zero": "2030-01-01", "reason": "x"}, "day_zero", "more than a year ahead"),
        ],
        ids=["missing", "same-day", "no-reason", "far-future"],
    )
    def test_bad_input_is_explained_and_nothing_moves(
        self, coordinator_client, course, today, data, field, message
    ):
        response = coordinator_client.post(self.url(course), {**data, "confirm": "1"})
        assert response.status_code == 200
        assert message in response.text
        assert f'id="id_{field}_error"' in response.text
        assert not DayZeroMove.objects.exists()


class TestDayZeroConfirm:
    def url(self, course):
        return reverse("day_zero_confirm", args=[course.code])

    def test_confirms_the_infusion(self, coordinator_client, course):
        response = coordinator_client.post(self.url(course))
        assert response.status_code == 302
        course.refresh_from_db()
        assert course.day_zero_confirmed is True

    def test_the_infusion_milestone_is_done_on_day_zero(self, coordinator_client, course):
        infusion = course.milestones.get(step__key="infusion")
        response = coordinator_client.post(
            self.url(course), {"given_on": course.day_zero.isoformat()}
        )
        assert response.status_code == 302
        infusion.refresh_from_db()
        assert infusion.completed_on == course.day_zero
        page = coordinator_client.get(course.get_absolute_url()).text
        assert 'id="confirm-given_on"' not in page  # confirmed: nothing more to confirm

    def test_cells_given_on_another_day_move_day_zero_first(
        self, coordinator_client, course, today
    ):
        other = course.day_zero - timedelta(days=1)
        response = coordinator_client.post(self.url(course), {"given_on": other.isoformat()})
        move = reverse("day_zero_move", args=[course.code])
        assert response["Location"].startswith(f"{move}?day_zero={other.isoformat()}")
        page = coordinator_client.get(response["Location"]).text
        assert f'value="{other.isoformat()}"' in page
        assert "not on Day Zero" in page
        course.refresh_from_db()
        assert not course.day_zero_confirmed

    def test_a_future_day_zero_cannot_be_confirmed(self, coordinator_client, course, today):
        course.day_zero = today + timedelta(days=2)
        course.save()
        response = coordinator_client.post(self.url(course), follow=True)
        assert "Day Zero is in the future" in response.text
        course.refresh_from_db()
        assert course.day_zero_confirmed is False


class TestMilestoneComplete:
    def url(self, milestone):
        return reverse("milestone_complete", args=[milestone.code])

    @pytest.fixture
    def infusion(self, course):
        return course.milestones.get(step__key="infusion")

    def test_unknown_milestone_is_not_found(self, coordinator_client):
        url = reverse("milestone_complete", args=[uuid.uuid4()])
        assert coordinator_client.post(url, {"completed_on": "2026-11-21"}).status_code == 404

    def test_plain_post_completes_and_redirects_to_the_milestone(
        self, coordinator_client, coordinator, infusion, today
    ):
        response = coordinator_client.post(self.url(infusion), {"completed_on": "2026-11-21"})
        assert response.status_code == 302
        assert response.url.endswith(f"#milestone-{infusion.code}")
        infusion.refresh_from_db()
        assert (infusion.completed_on, infusion.completed_by) == (today, coordinator)

    def test_htmx_post_returns_the_milestone_fragment(self, coordinator_client, infusion, today):
        response = coordinator_client.post(
            self.url(infusion), {"completed_on": "2026-11-20"}, headers=HX
        )
        assert response.status_code == 200
        assert response.text.lstrip().startswith(f'<li id="milestone-{infusion.code}"')
        assert "Done out of window" in response.text
        assert "Outside its window" in response.text

    @pytest.mark.parametrize(
        ("value", "message"),
        [
            ("2026-11-22", "cannot be done in the future"),
            ("", "Enter the date it was done."),
            ("yesterday", "Enter a valid date."),
        ],
    )
    def test_bad_date_is_explained_in_the_fragment(
        self, coordinator_client, infusion, today, value, message
    ):
        response = coordinator_client.post(self.url(infusion), {"completed_on": value}, headers=HX)
        assert message in response.text
        assert 'aria-invalid="true"' in response.text
        infusion.refresh_from_db()
        assert infusion.completed_on is None

    def test_bad_date_without_javascript_comes_back_on_the_page_next_to_the_field(
        self, coordinator_client, infusion, today
    ):
        response = coordinator_client.post(self.url(infusion), {"completed_on": "2026-11-22"})
        assert response.status_code == 200
        assert "A milestone cannot be done in the future." in response.text
        assert f'id="done-error-{infusion.code}"' in response.text

    @pytest.mark.parametrize("headers", [{}, HX], ids=["plain", "htmx"])
    def test_a_failed_mark_done_keeps_the_date_that_was_typed(
        self, coordinator_client, infusion, today, headers
    ):
        response = coordinator_client.post(
            self.url(infusion), {"completed_on": "2026-11-29"}, headers=headers
        )
        field = f'id="done-{infusion.code}" name="completed_on" value="2026-11-29"'
        assert field in response.text
        assert 'aria-invalid="true"' in response.text

    def test_only_the_failed_milestone_shows_the_error(self, coordinator_client, infusion, today):
        text = coordinator_client.post(self.url(infusion), {"completed_on": "2026-11-29"}).text
        assert text.count('aria-invalid="true"') == 1


class TestMilestoneReopen:
    def test_reopening_clears_the_completion(self, coordinator_client, course, today):
        milestone = course.milestones.get(step__key="infusion")
        milestone.complete(by=course.created_by, on=today, today=today)
        url = reverse("milestone_reopen", args=[milestone.code])
        response = coordinator_client.post(url, headers=HX)
        assert "Mark done" in response.text
        milestone.refresh_from_db()
        assert milestone.completed_on is None
        assert milestone.history.first().completed_on is None


class TestChecklistToggle:
    def url(self, item):
        return reverse("checklist_toggle", args=[item.code])

    @pytest.fixture
    def item(self, course):
        return ChecklistItem.objects.filter(milestone__step__key="infusion").first()

    def test_unknown_item_is_not_found(self, coordinator_client):
        url = reverse("checklist_toggle", args=[uuid.uuid4()])
        assert coordinator_client.post(url, {"checked": "1"}).status_code == 404

    def test_plain_post_ticks_and_redirects(self, coordinator_client, coordinator, item):
        response = coordinator_client.post(self.url(item), {"checked": "1"})
        assert response.status_code == 302
        assert response.url.endswith(f"#milestone-{item.milestone.code}")
        item.refresh_from_db()
        assert item.checked_by == coordinator

    def test_htmx_tick_returns_the_item_its_button_targets_and_the_progress_out_of_band(
        self, coordinator_client, item
    ):
        page = coordinator_client.get(item.milestone.course.get_absolute_url()).text
        button = page.split(f'id="tick-{item.code}"')[1].split(">")[0]
        assert f'hx-target="#item-{item.code}" hx-swap="outerHTML"' in button
        response = coordinator_client.post(self.url(item), {"checked": "1"}, headers=HX)
        text = response.text
        assert text.lstrip().startswith(f'<li id="item-{item.code}" class="check checked">')
        assert 'aria-checked="true"' in text
        progress = f'<span class="progress" id="progress-{item.milestone.code}"'
        assert f'{progress} hx-swap-oob="true">1 of 2 ticked</span>' in text
        assert f"{progress}>" in page  # the element the progress replaces

    def test_untick(self, coordinator_client, item):
        item.set_checked(True, by=UserFactory())
        response = coordinator_client.post(self.url(item), {"checked": "0"}, headers=HX)
        item.refresh_from_db()
        assert not item.is_checked
        assert "0 of 2 ticked" in response.text

    def test_ticking_twice_keeps_who_ticked_first(self, coordinator_client, item):
        first = UserFactory()
        item.set_checked(True, by=first)
        coordinator_client.post(self.url(item), {"checked": "1"}, headers=HX)
        item.refresh_from_db()
        assert item.checked_by == first

    def test_each_tick_and_untick_is_in_the_history(self, coordinator_client, coordinator, item):
        coordinator_client.post(self.url(item), {"checked": "1"})
        coordinator_client.post(self.url(item), {"checked": "0"})
        changes = item.history.filter(history_type="~").order_by("history_date")
        assert [c.checked_by_id for c in changes] == [coordinator.pk, None]
        assert {c.history_user_id for c in changes} == {coordinator.pk}


class TestReviewFixes:
    """Double submissions and wording found in review."""

    def test_moving_one_day_earlier_says_one_day(self, coordinator_client, course):
        response = coordinator_client.post(
            reverse("day_zero_move", args=[course.code]),
            {"day_zero": "2026-11-20", "reason": "Earlier bed"},
        )
        assert "(1 day earlier)" in response.text

    def test_a_second_confirm_of_the_same_move_is_not_an_error(self, coordinator_client, course):
        url = reverse("day_zero_move", args=[course.code])
        data = {"day_zero": "2026-11-24", "reason": "Delayed", "confirm": "1"}
        first = coordinator_client.post(url, data, follow=True)
        assert "planned dates moved" in first.text
        # The second click arrives after the move: the form says it is Day Zero already.
        second = coordinator_client.post(url, data)
        assert second.status_code == 200
        assert "That is already Day Zero" in second.text
        assert DayZeroMove.objects.count() == 1

    def test_a_move_racing_another_is_a_message_not_a_500(
        self, coordinator_client, course, monkeypatch
    ):
        from tracker import services

        # The form sees the old Day Zero; the service, under its lock, sees the new one (a
        # colleague's move landed in between): run the real move twice to get there.
        url = reverse("day_zero_move", args=[course.code])
        data = {"day_zero": "2026-11-24", "reason": "Delayed", "confirm": "1"}
        original = services.move_day_zero

        def raced(**kwargs):
            original(**kwargs)
            return original(**kwargs)

        monkeypatch.setattr(services, "move_day_zero", raced)
        response = coordinator_client.post(url, data, follow=True)
        assert response.status_code == 200
        assert "Day Zero is already 24 Nov 2026." in response.text

    def test_starting_the_same_course_twice_is_refused(
        self, coordinator_client, patient, protocol, today
    ):
        url = reverse("course_start", args=[patient.code])
        data = {"protocol": protocol.pk, "day_zero": "2026-12-01"}
        coordinator_client.post(url, data)
        second = coordinator_client.post(url, data)
        assert "already has a course on this protocol with this Day Zero" in second.text
        assert TransplantCourse.objects.filter(patient=patient).count() == 1

    def test_a_completion_date_years_before_the_course_is_refused(self, coordinator_client, course):
        milestone = course.milestones.get(step__key="infusion")
        response = coordinator_client.post(
            reverse("milestone_complete", args=[milestone.code]),
            {"completed_on": "1900-01-01"},
            headers=HX,
        )
        assert "more than a year before the course started (18 Nov 2026)" in response.text
        milestone.refresh_from_db()
        assert milestone.completed_on is None

    def test_the_filter_links_are_swapped_with_the_timeline(self, coordinator_client, course):
        response = coordinator_client.get(
            course.get_absolute_url(), {"show": "overdue"}, headers=HX
        )
        assert 'class="filter selected" aria-current="true">Overdue</a>' in response.text

    def test_clinic_staff_are_not_offered_registration(self, staff_client):
        text = staff_client.get(reverse("patient_list")).text
        assert reverse("patient_create") not in text


class TestStaleMoveScreens:
    def test_a_move_confirmed_from_a_stale_preview_is_not_applied_and_previewed_afresh(
        self, coordinator_client, coordinator, course, today
    ):
        url = reverse("day_zero_move", args=[course.code])
        target = today + timedelta(days=5)
        preview = coordinator_client.post(url, {"day_zero": target.isoformat(), "reason": "x"})
        assert f'name="from_day_zero" value="{today.isoformat()}"' in preview.text
        # Meanwhile a colleague moves Day Zero from another tab.
        services.move_day_zero(
            course=course, day_zero=today + timedelta(days=2), by=coordinator, reason="colleague"
        )
        confirm = {
            "day_zero": target.isoformat(),
            "reason": "x",
            "from_day_zero": today.isoformat(),
            "confirm": "1",
        }
        response = coordinator_client.post(url, confirm)
        course.refresh_from_db()
        assert course.day_zero == today + timedelta(days=2)
        assert response.status_code == 200
        assert "in the meantime; nothing was changed" in response.text
        fresh = (today + timedelta(days=2)).isoformat()
        assert f'name="from_day_zero" value="{fresh}"' in response.text
        assert DayZeroMove.objects.filter(course=course).count() == 1

    def test_confirming_the_fresh_preview_moves_it(self, coordinator_client, course, today):
        url = reverse("day_zero_move", args=[course.code])
        target = today + timedelta(days=5)
        confirm = {
            "day_zero": target.isoformat(),
            "reason": "x",
            "from_day_zero": today.isoformat(),
            "confirm": "1",
        }
        assert coordinator_client.post(url, confirm).status_code == 302
        course.refresh_from_db()
        assert course.day_zero == target
