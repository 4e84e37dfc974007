"""The staff's Today page: what is on it, ticking done from it (htmx and plain posts), the
morning digest switch, and its fixed number of queries."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    PatientFactory,
    StepFactory,
    engraftment_protocol,
    small_protocol,
    start_course,
)
from tracker.models import ChecklistItem, Milestone, MorningDigest

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def page(client: Client, **query: str) -> str:
    response = client.get(reverse("today"), query)
    assert response.status_code == 200
    return response.text


def line_of(text: str, words: str) -> str:
    """The <li> line holding these words."""
    for match in re.finditer(r'<li id="line-[^"]+" class="today-line[^"]*">(.*?)</li>', text, re.S):
        if words in match.group(1):
            return match.group(1)
    raise AssertionError(f"no line with {words!r}")


def root_id(html: str) -> str:
    match = re.match(r'\s*<\w+ id="([^"]+)"', html)
    assert match, html[:200]
    return match.group(1)


class TestWhatIsOnIt:
    def test_nothing_to_do_says_so(self, staff_client, today):
        assert "Nothing is due or overdue today" in page(staff_client)

    def test_a_visit_due_today_with_its_open_checklist(self, staff_client, coordinator, today):
        patient = PatientFactory(given_name="Mary", family_name="Seacole")
        course = start_course(patient=patient, day_zero=today - timedelta(days=7), by=coordinator)
        text = page(staff_client)
        assert "Seacole, Mary" in text
        visit = line_of(text, "Clinic visit (1)")
        assert "Due today" in visit
        assert "(Day +7)" in visit
        assert "Bloods drawn" in visit
        assert 'role="checkbox"' in visit
        # At its phase, opened on the course page.
        assert f"{course.get_absolute_url()}?open=engraftment#milestone-" in visit
        # The course's day today heads the patient's group.
        assert "Day +7 · " in text

    def test_overdue_items_are_listed_with_when_they_were_due(
        self, staff_client, coordinator, today
    ):
        start_course(day_zero=today - timedelta(days=7), by=coordinator)
        text = page(staff_client)
        infusion = line_of(text, "Stem cell infusion")
        assert "Overdue" in infusion
        assert "not recorded as done; its window closed 14 Nov 2026" in infusion

    def test_done_blocked_and_later_items_are_not_on_it(self, staff_client, coordinator, today):
        course = start_course(day_zero=today - timedelta(days=7), by=coordinator)
        course.milestones.filter(due_date__lt=today).update(
            completed_on=F("due_date"), completed_by=coordinator
        )
        course.milestones.filter(due_date=today).update(hold="blocked")
        text = page(staff_client)
        assert "Nothing is due or overdue today" in text

    def test_daily_counts_to_enter_today(self, staff_client, coordinator, today):
        protocol = small_protocol()
        StepFactory(
            protocol=protocol,
            key="counts",
            title="Daily blood counts",
            day=0,
            repeat_every_days=1,
            repeat_until_day=20,
            done_by_counts=True,
            checklist="",
        )
        course = start_course(protocol=protocol, day_zero=today - timedelta(days=3), by=coordinator)
        counts = line_of(page(staff_client), "Blood counts to enter today")
        assert f"{course.get_absolute_url()}#counts" in counts
        # Yesterday's missed count is not listed once for every day.
        assert page(staff_client).count("Blood counts to enter today") == 1

    def test_conditioning_starting_this_week(self, staff_client, coordinator, today):
        start_course(day_zero=today + timedelta(days=5), by=coordinator)
        line = line_of(page(staff_client), "Conditioning starts")
        assert "Conditioning starts Mon 23 Nov" in line
        assert "(Day −3)" in line or "(Day -3)" in line

    def test_conditioning_next_month_is_not_on_it(self, staff_client, coordinator, today):
        start_course(day_zero=today + timedelta(days=30), by=coordinator)
        assert "Conditioning starts" not in page(staff_client)

    def test_a_graft_failure_alert(self, staff_client, coordinator, today):
        start_course(
            protocol=engraftment_protocol(), day_zero=today - timedelta(days=35), by=coordinator
        )
        alert = line_of(page(staff_client), "Alert")
        assert "#counts" in alert

    def test_no_alert_before_day_14(self, staff_client, coordinator, today):
        start_course(
            protocol=engraftment_protocol(), day_zero=today - timedelta(days=5), by=coordinator
        )
        assert 'class="badge line-alert"' not in page(staff_client)

    def test_registry_forms_due_or_overdue(self, staff_client, coordinator, today):
        course = start_course(day_zero=today - timedelta(days=60), by=coordinator)
        due = course.registry_reports.filter(due__lte=today)
        assert due.exists()
        text = page(staff_client)
        line = line_of(text, "Registry form")
        assert "overdue since" in line
        assert f"{course.get_absolute_url()}#registry" in line

    def test_ended_courses_leave_the_page(self, staff_client, coordinator, today):
        from tracker import services

        course = start_course(day_zero=today - timedelta(days=7), by=coordinator)
        services.end_course(course=course, reason="transferred", on=today, by=coordinator)
        text = page(staff_client)
        assert "Clinic visit" not in text
        assert "Stem cell infusion" not in text

    def test_grouped_by_patient_in_name_order(self, staff_client, coordinator, today):
        for family in ("Zed", "Abbot"):
            start_course(
                patient=PatientFactory(family_name=family),
                day_zero=today - timedelta(days=7),
                by=coordinator,
            )
        text = page(staff_client)
        assert text.index("Abbot,") < text.index("Zed,")
        assert text.count('class="card today-patient"') == 2

    def test_a_visit_past_its_day_inside_its_window_stays_due(
        self, staff_client, coordinator, today
    ):
        start_course(day_zero=today - timedelta(days=31), by=coordinator)  # Day +30 ±7
        line = line_of(page(staff_client), "Day +30 evaluation")
        assert ">Due<" in line
        assert "window open to 27 Nov" in line
        assert "Done today" in line

    def test_a_later_dose_waits_for_the_dose_before_it(self, staff_client, coordinator, today):
        protocol = small_protocol()
        for dose, day in ((1, 20), (2, 40)):
            StepFactory(
                protocol=protocol,
                key=f"hepb-{dose}",
                title=f"Hepatitis B, dose {dose}",
                day=day,
                window_after=7,
                vaccine="hepb",
                dose=dose,
                checklist="",
            )
        for dose, day in ((1, 30), (2, 45)):
            StepFactory(
                protocol=protocol,
                key=f"mmr-{dose}",
                title=f"MMR, dose {dose}",
                day=day,
                window_after=365,
                vaccine="mmr",
                dose=dose,
                checklist="",
            )
        course = start_course(
            protocol=protocol, day_zero=today - timedelta(days=60), by=coordinator
        )
        # The gates opened (the immune recovery plan had put them at 2 years, blocked).
        for dose, day in ((1, 30), (2, 45)):
            on = course.day_zero + timedelta(days=day)
            course.milestones.filter(step__key=f"mmr-{dose}").update(
                hold="", due_date=on, window_start=on, window_end=on + timedelta(days=365)
            )
        text = page(staff_client)
        assert "Hepatitis B, dose 1" in text
        assert "Hepatitis B, dose 2" not in text
        assert "MMR, dose 1" in text
        assert "MMR, dose 2" not in text
        # A vaccine is recorded as a dose on the course page, never "done today" here.
        assert "Done today" not in line_of(text, "MMR, dose 1")

    def test_old_gaps_are_one_line_after_the_five_latest(self, staff_client, coordinator, today):
        protocol = small_protocol()
        StepFactory(
            protocol=protocol,
            key="daily",
            title="Ward round",
            day=1,
            repeat_every_days=1,
            repeat_until_day=12,
            checklist="",
        )
        course = start_course(
            protocol=protocol, day_zero=today - timedelta(days=40), by=coordinator
        )
        text = page(staff_client)
        overdue = course.milestones.filter(window_end__lt=today, completed_on__isnull=True)
        hidden = overdue.count() - 5
        assert hidden > 0
        line = line_of(text, "earlier items not recorded as done")
        assert f"and {hidden} earlier items" in line
        assert f"{course.get_absolute_url()}?show=overdue" in line
        assert text.count('class="badge line-overdue"') == 6

    def test_conditioning_is_from_day_minus_10_not_the_work_up(
        self, staff_client, coordinator, today
    ):
        protocol = small_protocol()
        StepFactory(protocol=protocol, key="work-up", title="Work-up", day=-28, checklist="")
        start_course(protocol=protocol, day_zero=today + timedelta(days=26), by=coordinator)
        assert "Conditioning starts" not in page(staff_client)  # the work-up is not it

    def test_a_procedure_has_no_conditioning(self, staff_client, coordinator, today):
        start_course(
            protocol=small_protocol(kind="procedure"),
            day_zero=today + timedelta(days=4),
            by=coordinator,
        )
        assert "Conditioning starts" not in page(staff_client)


class TestTickingFromIt:
    @pytest.fixture
    def course(self, coordinator, today):
        return start_course(day_zero=today - timedelta(days=7), by=coordinator)

    def item(self, course, today) -> ChecklistItem:
        return ChecklistItem.objects.get(milestone__course=course, milestone__due_date=today)

    def test_a_tick_in_place_answers_with_the_item_the_form_targets(
        self, staff_client, course, today
    ):
        item = self.item(course, today)
        text = page(staff_client)
        assert f'hx-target="#today-item-{item.code}"' in text
        response = staff_client.post(
            reverse("today_tick", args=[item.code]), {"checked": "1"}, **HTMX
        )
        assert response.status_code == 200
        assert root_id(response.text) == f"today-item-{item.code}"
        assert 'aria-checked="true"' in response.text
        item.refresh_from_db()
        assert item.is_checked

    def test_a_tick_without_javascript_comes_back_to_the_page(self, staff_client, course, today):
        item = self.item(course, today)
        response = staff_client.post(
            reverse("today_tick", args=[item.code]), {"checked": "1", "page": "1"}
        )
        assert response.status_code == 302
        assert response.url == f"{reverse('today')}?page=1#line-{item.milestone.code}"
        item.refresh_from_db()
        assert item.is_checked
        # A ticked item leaves the list of what is still open.
        assert "Bloods drawn" not in page(staff_client)

    def test_done_today_in_place(self, coordinator_client, course, today):
        milestone = Milestone.objects.get(course=course, due_date=today)
        milestone.items.update(checked_at=timezone.now(), checked_by=milestone.course.created_by)
        assert f'hx-target="#done-{milestone.code}"' in page(coordinator_client)
        response = coordinator_client.post(
            reverse("today_done", args=[milestone.code]), {"page": "1"}, **HTMX
        )
        assert root_id(response.text) == f"done-{milestone.code}"
        assert "Done today ✓" in response.text
        milestone.refresh_from_db()
        assert milestone.completed_on == today

    def test_done_without_javascript(self, coordinator_client, course, today):
        milestone = Milestone.objects.get(course=course, due_date=today)
        milestone.items.update(checked_at=timezone.now(), checked_by=milestone.course.created_by)
        response = coordinator_client.post(reverse("today_done", args=[milestone.code]))
        assert response.status_code == 302
        assert response.url.endswith(f"#line-{milestone.code}")
        milestone.refresh_from_db()
        assert milestone.completed_on == today
        text = page(coordinator_client)
        assert "“Clinic visit (1)” is marked done today." in text  # the message
        assert "Clinic visit (1)</a>" not in text  # and no longer a line

    def test_not_done_while_its_checklist_is_open(self, coordinator_client, course, today):
        milestone = Milestone.objects.get(course=course, due_date=today)
        response = coordinator_client.post(
            reverse("today_done", args=[milestone.code]), {"page": "1"}, **HTMX
        )
        assert root_id(response.text) == f"done-{milestone.code}"
        assert 'role="alert"' in response.text
        assert "Tick its 1 checklist item first" in response.text
        milestone.refresh_from_db()
        assert milestone.completed_on is None

    def test_a_page_left_open_overnight_does_not_date_it_today(
        self, coordinator_client, course, today
    ):
        overdue = Milestone.objects.get(course=course, step__key="infusion")
        response = coordinator_client.post(
            reverse("today_done", args=[overdue.code]), {"page": "1"}, **HTMX
        )
        assert "It is not due today" in response.text
        overdue.refresh_from_db()
        assert overdue.completed_on is None

    def test_the_infusion_is_confirmed_on_the_course_page(
        self, coordinator_client, coordinator, today
    ):
        course = start_course(by=coordinator)  # Day Zero today, not confirmed
        infusion = Milestone.objects.get(course=course, step__key="infusion")
        text = page(coordinator_client)
        assert "today_done" not in text or f"/today/milestones/{infusion.code}/" not in text
        response = coordinator_client.post(
            reverse("today_done", args=[infusion.code]), {"page": "1"}, **HTMX
        )
        assert "Confirm the infusion" in response.text
        infusion.refresh_from_db()
        assert infusion.completed_on is None

    def test_the_session_ended_gets_the_login_page_not_a_fragment(self, client, course, today):
        item = self.item(course, today)
        response = client.post(reverse("today_tick", args=[item.code]), {"checked": "1"}, **HTMX)
        assert response.status_code in (200, 204, 302)
        assert "HX-Redirect" in response.headers or response.status_code == 302
        item.refresh_from_db()
        assert not item.is_checked


class TestTheDigestSwitch:
    def test_on_and_off_in_place(self, staff_client, clinic_staff, today):
        clinic_staff.email = "nurse@example.org"
        clinic_staff.save()
        response = staff_client.post(reverse("today_digest"), {"digest": "on"}, **HTMX)
        assert root_id(response.text) == "digest"
        assert "The morning e-mail is on." in response.text
        assert MorningDigest.objects.filter(user=clinic_staff).exists()
        staff_client.post(reverse("today_digest"), {"digest": "off"})
        assert not MorningDigest.objects.filter(user=clinic_staff).exists()

    def test_no_address_no_digest(self, staff_client, clinic_staff, today):
        assert "needs an e-mail address on your login" in page(staff_client)
        response = staff_client.post(reverse("today_digest"), {"digest": "on"}, follow=True)
        assert "no e-mail address" in response.text
        response = staff_client.post(reverse("today_digest"), {"digest": "on"}, **HTMX)
        assert root_id(response.text) == "digest"
        assert 'role="alert"' in response.text
        assert "<main" not in response.text
        assert not MorningDigest.objects.exists()


def test_staff_land_on_today(staff_client, today):
    assert staff_client.get(reverse("home")).url == reverse("today")


def test_today_is_in_the_navigation(staff_client, today):
    assert f'href="{reverse("today")}"' in page(staff_client)


class TestQueries:
    """The same number of queries for 2 patients as for 12 (each with every kind of line)."""

    def make(self, count, coordinator, today):
        for _ in range(count):
            patient = PatientFactory()
            start_course(patient=patient, day_zero=today - timedelta(days=7), by=coordinator)
            start_course(
                protocol=engraftment_protocol(),
                patient=PatientFactory(),
                day_zero=today - timedelta(days=35),
                by=coordinator,
            )
            start_course(
                patient=PatientFactory(), day_zero=today + timedelta(days=4), by=coordinator
            )
            start_course(
                patient=PatientFactory(), day_zero=today - timedelta(days=60), by=coordinator
            )

    @pytest.mark.parametrize("count", [1, 6])
    def test_fixed(self, count, staff_client, coordinator, today, django_assert_num_queries):
        self.make(count, coordinator, today)
        staff_client.get(reverse("home"))  # the session, read once
        with django_assert_num_queries(FIRST_VIEW):
            text = page(staff_client)
        assert text.count('class="card today-patient"') == 4 * count
        # Who is on it is kept until something in the clinic changes.
        with django_assert_num_queries(REPEATED_VIEW):
            again = page(staff_client)
        assert again.count('class="today-line"') == text.count('class="today-line"')

    def test_a_change_shows_at_once(self, staff_client, coordinator, today):
        self.make(1, coordinator, today)
        assert page(staff_client).count('class="card today-patient"') == 4
        start_course(patient=PatientFactory(), day_zero=today - timedelta(days=7), by=coordinator)
        assert page(staff_client).count('class="card today-patient"') == 5


FIRST_VIEW = 16
REPEATED_VIEW = 12


def test_the_digest_counts_match_the_page(staff_client, coordinator, today):
    """The morning e-mail's figures are the page's lines, counted."""
    from tracker.queries.today import counts

    start_course(day_zero=today - timedelta(days=7), by=coordinator)
    start_course(day_zero=today - timedelta(days=31), by=coordinator)
    start_course(day_zero=today + timedelta(days=5), by=coordinator)
    text = page(staff_client)
    figures = counts(today=today)
    assert figures.due == text.count('class="badge line-due"')
    folded = [int(n) for n in re.findall(r"and (\d+) earlier items? not recorded", text)]
    shown = text.count('class="badge line-overdue"') - len(folded)
    assert figures.overdue == shown + sum(folded)
    assert figures.conditioning == text.count('class="badge line-conditioning"')
    assert figures.patients == text.count('class="card today-patient"')
