"""The course page renders what a person reads first, and keeps its parts in the cache.

The current phase and the next are open; the others are a summary line, opened in place with
htmx or with `?open=` without JavaScript. Parts kept in the cache must never show a change
late, another person's actions, or another response's CSRF token.
"""

import re
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory, repeating_step, start_course
from tracker import services
from tracker.models import ChecklistItem, Milestone
from tracker.views import fragments
from tracker.views.fragments import CSRF_PLACEHOLDER

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def milestone_ids(text: str) -> list[str]:
    return re.findall(r'<li id="milestone-([0-9a-f-]+)"', text)


def phase_url(course, phase: str) -> str:
    return reverse("course_phase", args=[course.code, phase])


class TestFolding:
    def test_current_and_next_phase_open_the_others_folded(self, coordinator_client, course):
        text = coordinator_client.get(course.get_absolute_url()).text
        # Day Zero is today: the Day Zero phase and the engraftment phase are open.
        assert '<section id="phase-day_zero" class="phase"' in text
        assert '<section id="phase-engraftment" class="phase"' in text
        assert '<section id="phase-conditioning" class="phase folded"' in text
        assert '<section id="phase-hundred_day" class="phase folded"' in text
        open_ones = Milestone.objects.filter(
            course=course, step__key__in=["infusion", "clinic", "day-30"]
        )
        assert sorted(milestone_ids(text)) == sorted(str(m.code) for m in open_ones)

    def test_a_folded_phase_says_its_dates_and_where_its_milestones_stand(
        self, coordinator_client, course
    ):
        text = coordinator_client.get(course.get_absolute_url()).text
        folded = text.split('<section id="phase-conditioning"')[1].split("</section>")[0]
        assert "18 Nov 2026 to 20 Nov 2026" in folded
        assert "3 milestones:" in folded
        assert "0 done" in folded
        assert '<strong class="warn">3 overdue</strong>' in folded
        assert "Show its 3 milestones" in folded

    def test_a_folded_phase_opens_in_place_with_htmx(self, coordinator_client, course):
        page = coordinator_client.get(course.get_absolute_url()).text
        url = phase_url(course, "conditioning")
        assert f'hx-get="{url}" hx-target="#phase-conditioning" hx-swap="outerHTML"' in page
        response = coordinator_client.get(url, headers=HX)
        assert response.status_code == 200
        # The fragment's root is the element the link targets.
        assert response.text.lstrip().startswith('<section id="phase-conditioning" class="phase"')
        conditioning = Milestone.objects.filter(course=course, step__key="conditioning")
        assert sorted(milestone_ids(response.text)) == sorted(str(m.code) for m in conditioning)
        assert "<html" not in response.text

    def test_without_javascript_a_folded_phase_opens_on_the_page(self, coordinator_client, course):
        page = coordinator_client.get(course.get_absolute_url()).text
        assert 'href="?open=conditioning#phase-conditioning"' in page
        response = coordinator_client.get(phase_url(course, "conditioning"))
        assert response.status_code == 302
        assert response.url == f"{course.get_absolute_url()}?open=conditioning#phase-conditioning"
        text = coordinator_client.get(course.get_absolute_url(), {"open": "conditioning"}).text
        assert '<section id="phase-conditioning" class="phase"' in text
        assert len(milestone_ids(text)) == len(milestone_ids(page)) + 3

    def test_an_unknown_phase_or_one_without_milestones_is_not_found(
        self, coordinator_client, course
    ):
        assert coordinator_client.get(phase_url(course, "bogus"), headers=HX).status_code == 404
        assert coordinator_client.get(phase_url(course, "long_term"), headers=HX).status_code == 404
        other = reverse("course_phase", args=[uuid.uuid4(), "conditioning"])
        assert coordinator_client.get(other, headers=HX).status_code == 404

    def test_an_unknown_phase_to_open_shows_the_usual_page(self, coordinator_client, course):
        usual = coordinator_client.get(course.get_absolute_url()).text
        text = coordinator_client.get(course.get_absolute_url(), {"open": "bogus"}).text
        assert milestone_ids(text) == milestone_ids(usual)

    def test_filters_show_every_match_unfolded(self, coordinator_client, course):
        text = coordinator_client.get(course.get_absolute_url(), {"show": "overdue"}).text
        assert "folded" not in text
        assert len(milestone_ids(text)) == 3

    def test_staff_read_patient_texts_on_demand(self, coordinator_client, course):
        step = course.protocol.steps.get(key="infusion")
        step.patient_text = "Your cells are given through your line, like a transfusion."
        step.save()
        text = coordinator_client.get(course.get_absolute_url()).text
        assert (
            '<details class="patient-text"><summary>What the patient reads</summary>'
            "<p>Your cells are given through your line, like a transfusion.</p></details>"
        ) in text

    def test_one_form_per_milestone_and_one_url_per_row(self, coordinator_client, course):
        text = coordinator_client.get(course.get_absolute_url()).text
        shown = milestone_ids(text)
        timeline = text.split('<section id="timeline"')[1]
        assert timeline.count("<form ") == len(shown)
        assert timeline.count('name="csrfmiddlewaretoken"') == len(shown)
        item = ChecklistItem.objects.filter(
            milestone__course=course, milestone__step__key="clinic"
        ).first()
        assert f'formaction="{reverse("checklist_toggle", args=[item.code])}"' in timeline


def tick_url(item) -> str:
    return reverse("checklist_toggle", args=[item.code])


class TestCachedParts:
    def test_a_tick_shows_at_once(self, coordinator_client, course):
        item = ChecklistItem.objects.filter(
            milestone__course=course, milestone__step__key="clinic"
        ).first()
        assert "0 of 1 ticked" in coordinator_client.get(course.get_absolute_url()).text
        coordinator_client.post(tick_url(item), {"checked": "1"})
        text = coordinator_client.get(course.get_absolute_url()).text
        assert f'<li id="item-{item.code}" class="check checked">' in text

    def test_a_completion_and_a_day_zero_move_show_at_once(
        self, coordinator_client, coordinator, course, today
    ):
        infusion = course.milestones.get(step__key="infusion")
        coordinator_client.get(course.get_absolute_url())
        services.complete_milestone(milestone=infusion, on=today, by=coordinator, today=today)
        text = coordinator_client.get(course.get_absolute_url()).text
        assert f'id="milestone-{infusion.code}" class="milestone status-done"' in text
        services.move_day_zero(
            course=course, day_zero=today.replace(day=25), by=coordinator, reason="Donor"
        )
        text = coordinator_client.get(course.get_absolute_url()).text
        assert "Day Zero moved 1 time" in text
        assert "Today is <strong>Day −4</strong>" in text
        assert '<section id="phase-conditioning" class="phase"' in text  # now current

    def test_counts_show_at_once(self, coordinator_client, coordinator, course, today):
        coordinator_client.get(course.get_absolute_url())
        services.record_counts(
            course=course,
            rows=[{"drawn_on": today, "anc": 0.2, "platelets": 12, "platelet_transfusion": False}],
            by=coordinator,
            today=today,
        )
        text = coordinator_client.get(course.get_absolute_url()).text
        assert "No counts yet." not in text

    def test_a_counted_edit_of_the_protocol_shows_at_once(self, coordinator_client, course):
        coordinator_client.get(course.get_absolute_url())
        step = course.protocol.steps.get(key="infusion")
        step.title = "Stem cell infusion (fresh)"
        step.save()
        course.protocol.count_edit()  # as the admin and load_protocols do (tests/test_admin.py)
        assert (
            "Stem cell infusion (fresh)" in coordinator_client.get(course.get_absolute_url()).text
        )

    def test_the_next_day_draws_again(self, coordinator_client, coordinator, course, time_machine):
        text = coordinator_client.get(course.get_absolute_url()).text
        assert "Today is <strong>Day 0</strong>" in text
        infusion = course.milestones.get(step__key="infusion")
        assert f'id="milestone-{infusion.code}" class="milestone status-due"' in text
        time_machine.move_to("2026-11-22 12:00 +00:00", tick=False)
        coordinator_client.force_login(coordinator)  # a new day's session
        text = coordinator_client.get(course.get_absolute_url(), {"open": "day_zero"}).text
        assert "Today is <strong>Day +1</strong>" in text
        assert f'id="milestone-{infusion.code}" class="milestone status-overdue"' in text

    def test_each_response_has_its_own_csrf_token(self, coordinator, course):
        client = Client(enforce_csrf_checks=True)
        client.force_login(coordinator)
        client.get(course.get_absolute_url())
        text = client.get(course.get_absolute_url()).text  # from the cache
        assert CSRF_PLACEHOLDER not in text
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)[1]
        item = ChecklistItem.objects.filter(
            milestone__course=course, milestone__step__key="clinic"
        ).first()
        response = client.post(tick_url(item), {"checked": "1", "csrfmiddlewaretoken": token})
        assert response.status_code == 302
        item.refresh_from_db()
        assert item.is_checked

    def test_someone_who_may_only_read_never_gets_the_actions_kept_for_another(
        self, coordinator_client, course
    ):
        assert "Mark done" in coordinator_client.get(course.get_absolute_url()).text
        reader = UserFactory(username="reader")
        reader.user_permissions.add(
            Permission.objects.get(codename="view_transplantcourse"),
            Permission.objects.get(codename="view_patient"),
        )
        client = Client()
        client.force_login(reader)
        text = client.get(course.get_absolute_url()).text
        assert "Mark done" not in text
        assert "formaction=" not in text
        assert "Not ticked" in text

    def test_a_failed_completion_is_shown_once_and_never_kept(self, coordinator_client, course):
        infusion = course.milestones.get(step__key="infusion")
        url = reverse("milestone_complete", args=[infusion.code])
        response = coordinator_client.post(url, {"completed_on": "2099-01-01"})
        assert "cannot be done in the future" in response.text
        text = coordinator_client.get(course.get_absolute_url()).text
        assert "cannot be done in the future" not in text


class TestNextPhasePreview:
    @pytest.fixture
    def long_course(self, patient, coordinator, today):
        """A daily step from Day +31 to +200, seen on Day +40 (the 100-day window)."""
        protocol = repeating_step(first_day=31, last_day=200).protocol
        return start_course(
            patient=patient, protocol=protocol, day_zero=today - timedelta(days=40), by=coordinator
        )

    def test_the_current_phase_around_today_and_the_first_of_the_next(
        self, coordinator_client, long_course
    ):
        text = coordinator_client.get(long_course.get_absolute_url()).text
        # Day +31 to +100 is the current phase: a week back to three weeks ahead (Day +33 to
        # +61) and the two still overdue (Day +31 and +32); then the first 10 of the 100 in
        # immune recovery.
        current = text.split('<section id="phase-hundred_day"')[1].split("</section>")[0]
        assert len(milestone_ids(current)) == 31
        assert "Show the other 39 milestones of this phase" in current
        following = text.split('<section id="phase-immune_recovery"')[1].split("</section>")[0]
        assert len(milestone_ids(following)) == 10
        url = phase_url(long_course, "immune_recovery")
        assert (
            f'<a class="unfold" href="?open=immune_recovery#phase-immune_recovery" hx-get="{url}"'
            ' hx-target="#phase-immune_recovery" hx-swap="outerHTML">Show the other 90 milestones'
            " of this phase</a>"
        ) in following

    def test_the_current_phase_opened_shows_whole(self, coordinator_client, long_course):
        url = phase_url(long_course, "hundred_day")
        text = coordinator_client.get(url, headers=HX).text
        assert len(milestone_ids(text)) == 70
        assert "Show the other" not in text

    def test_opened_the_next_phase_shows_whole(self, coordinator_client, long_course):
        text = coordinator_client.get(
            long_course.get_absolute_url(), {"open": "immune_recovery"}
        ).text
        following = text.split('<section id="phase-immune_recovery"')[1].split("</section>")[0]
        assert len(milestone_ids(following)) == 100
        assert "Show the other" not in following
        response = coordinator_client.get(phase_url(long_course, "immune_recovery"), headers=HX)
        assert len(milestone_ids(response.text)) == 100


class TestActionsComeBackToTheViewTheyCameFrom:
    def conditioning(self, course):
        return course.milestones.filter(step__key="conditioning").first()

    @pytest.mark.parametrize(
        ("view", "query"),
        [
            ("open=conditioning", "?open=conditioning"),
            ("show=overdue", "?show=overdue"),
            ("", ""),
            ("next=https://elsewhere.example&open=nowhere", ""),
        ],
    )
    def test_a_plain_tick_goes_back_to_the_same_view(self, coordinator_client, course, view, query):
        item = ChecklistItem.objects.filter(milestone__course=course).first()
        response = coordinator_client.post(tick_url(item), {"checked": "1", "view": view})
        assert response.status_code == 302
        assert response.url == f"{course.get_absolute_url()}{query}#milestone-{item.milestone.code}"

    def test_a_plain_completion_goes_back_to_the_opened_phase(
        self, coordinator_client, course, today
    ):
        milestone = self.conditioning(course)
        url = reverse("milestone_complete", args=[milestone.code])
        response = coordinator_client.post(
            url, {"completed_on": today.isoformat(), "view": "open=conditioning"}
        )
        assert response.url == (
            f"{course.get_absolute_url()}?open=conditioning#milestone-{milestone.code}"
        )

    def test_a_failed_plain_completion_opens_the_phase_and_shows_the_error_there(
        self, coordinator_client, course
    ):
        milestone = self.conditioning(course)  # its phase is folded on the usual page
        url = reverse("milestone_complete", args=[milestone.code])
        response = coordinator_client.post(url, {"completed_on": "2099-01-01", "view": ""})
        text = response.text
        assert '<section id="phase-conditioning" class="phase"' in text
        row = text.split(f'<li id="milestone-{milestone.code}"')[1].split("</form>")[0]
        assert 'aria-invalid="true"' in row
        assert "A milestone cannot be done in the future." in row
        milestone.refresh_from_db()
        assert milestone.completed_on is None


class TestTheMilestoneForm:
    def test_enter_in_its_date_field_marks_it_done(self, coordinator_client, course):
        infusion = course.milestones.get(step__key="infusion")
        text = coordinator_client.get(course.get_absolute_url()).text
        form = text.split(f'<li id="milestone-{infusion.code}"')[1].split("</form>")[0]
        first_button = form.split("<button")[1].split(">")[0]
        # The browser submits with the first submit button: the form's own action, not a tick.
        assert 'class="default-action"' in first_button
        assert "formaction" not in first_button
        assert "name=" not in first_button
        assert "novalidate" in form.split("<form")[1].split(">")[0]  # the server's message shows

    def test_a_completion_in_place_updates_its_phases_summary(
        self, coordinator_client, course, today
    ):
        infusion = course.milestones.get(step__key="infusion")
        page = coordinator_client.get(course.get_absolute_url()).text
        assert '<p class="phase-summary" id="summary-day_zero">' in page
        url = reverse("milestone_complete", args=[infusion.code])
        response = coordinator_client.post(url, {"completed_on": today.isoformat()}, headers=HX)
        summary = response.text.split('<p class="phase-summary" id="summary-day_zero"')[1]
        assert summary.startswith(' hx-swap-oob="true">')
        assert "1 milestone:\n  1 done" in summary.split("</p>")[0]

    def test_a_folded_phase_with_overdue_work_links_to_it(self, coordinator_client, course):
        text = coordinator_client.get(course.get_absolute_url()).text
        folded = text.split('<section id="phase-conditioning"')[1].split("</section>")[0]
        assert 'hx-get="?show=overdue"' in folded
        assert "See everything overdue" in folded
        assert "Day −3 to Day −1 · 18 Nov 2026 to 20 Nov 2026" in folded


def test_no_template_comment_shows_on_a_page(coordinator_client, course):
    for url in (course.get_absolute_url(), reverse("follow_up"), reverse("patient_list")):
        text = coordinator_client.get(url).text
        assert "{#" not in text
        assert "{%" not in text


def test_a_change_to_one_milestone_redraws_that_milestone_only(
    coordinator_client, coordinator, course, today, monkeypatch
):
    drawn = []
    renderer = fragments.renderer

    def counting(template_name):
        draw = renderer(template_name)
        if not template_name.endswith("#milestone"):
            return draw

        def drawing(context):
            drawn.append(context["milestone"].code)
            return draw(context)

        return drawing

    monkeypatch.setattr(fragments, "renderer", counting)
    first = coordinator_client.get(course.get_absolute_url()).text
    assert len(drawn) == len(milestone_ids(first)) > 3
    drawn.clear()
    infusion = course.milestones.get(step__key="infusion")
    services.complete_milestone(milestone=infusion, on=today, by=coordinator, today=today)
    again = coordinator_client.get(course.get_absolute_url()).text
    assert drawn == [str(infusion.code)]
    assert f'id="milestone-{infusion.code}" class="milestone status-done"' in again
    assert milestone_ids(again) == milestone_ids(first)


class TestTheWholePageKept:
    def test_each_person_sees_their_own_name_and_actions(
        self, coordinator_client, course, clinic_staff
    ):
        text = coordinator_client.get(course.get_absolute_url()).text
        assert "Log out coordinator" in text
        assert "Move Day Zero" in text
        nurse = Client()
        nurse.force_login(clinic_staff)
        text = nurse.get(course.get_absolute_url()).text
        assert "Log out nurse" in text
        assert "Log out coordinator" not in text
        assert "Move Day Zero" not in text

    def test_a_message_shows_once_and_is_never_kept(self, coordinator_client, course):
        coordinator_client.get(course.get_absolute_url())  # kept
        # An action that leaves a message but changes nothing on the course page itself.
        url = reverse("patient_feed", args=[course.patient.code])
        assert coordinator_client.post(url, {"action": "renew"}).status_code == 302
        ready = "The calendar address is ready."
        assert ready in coordinator_client.get(course.get_absolute_url()).text
        assert ready not in coordinator_client.get(course.get_absolute_url()).text

    def test_the_header_follows_an_edited_patient_record(self, coordinator_client, course):
        coordinator_client.get(course.get_absolute_url())
        patient = course.patient
        patient.family_name = "Byron"
        patient.save()  # as the admin does: no course event
        assert (
            "<h1><bdi>Ada Byron</bdi></h1>"
            in coordinator_client.get(course.get_absolute_url()).text
        )


class TestFoldingAgain:
    def test_an_open_phase_folds_again_in_place(self, coordinator_client, course):
        opened = coordinator_client.get(phase_url(course, "conditioning"), headers=HX).text
        fold = f'hx-get="{phase_url(course, "conditioning")}?fold=1"'
        assert (
            f'{fold} hx-target="#phase-conditioning" hx-swap="outerHTML">Fold this phase' in opened
        )
        response = coordinator_client.get(
            phase_url(course, "conditioning"), {"fold": "1"}, headers=HX
        )
        text = response.text
        assert text.lstrip().startswith('<section id="phase-conditioning" class="phase folded"')
        assert milestone_ids(text) == []
        assert "Show its 3 milestones" in text

    def test_without_javascript_folding_goes_back_to_the_usual_page(
        self, coordinator_client, course
    ):
        response = coordinator_client.get(phase_url(course, "conditioning"), {"fold": "1"})
        assert response.url == f"{course.get_absolute_url()}#phase-conditioning"

    def test_a_phase_without_milestones_cannot_be_folded(self, coordinator_client, course):
        url = phase_url(course, "long_term")
        assert coordinator_client.get(url, {"fold": "1"}, headers=HX).status_code == 404
