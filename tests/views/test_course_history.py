"""The course's History page: course events as sentences, newest first, by kind, in pages.

Who may open it is the access matrix's job (tests/test_access_matrix.py).
"""

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from tracker import services
from tracker.models import BloodCount, ChecklistItem, CourseEvent, EventKind
from tracker.models.events import person
from tracker.views.history import EVENTS_PER_PAGE

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}

# Session, user, two permission lookups, the course, the count and a page of events, and the
# session saved again (three statements): the same with 5 events as with 200, on any page.
QUERY_BOUND = 10


def url(course, **query):
    address = reverse("course_history", args=[course.code])
    if query:
        address += "?" + "&".join(f"{key}={value}" for key, value in query.items())
    return address


def bloods_item(course):
    return ChecklistItem.objects.get(
        milestone__course=course, milestone__occurrence=1, text="Bloods drawn"
    )


def toggle(item, times: int, by):
    """Tick and untick an item `times` times, as `by`."""
    for turn in range(times):
        services.tick_item(item=item, checked=turn % 2 == 0, by=by)


def add_count(course, by, today, **values):
    row = {"drawn_on": today, "anc": None, "platelets": None, "platelet_transfusion": False}
    services.record_counts(course=course, rows=[{**row, **values}], by=by, today=today)
    return BloodCount.objects.filter(course=course).latest("id")


class TestCourseHistory:
    def test_an_unknown_course_is_not_found(self, coordinator_client):
        missing = reverse("course_history", args=[uuid.uuid4()])
        assert coordinator_client.get(missing).status_code == 404

    def test_it_links_back_to_the_timeline(self, coordinator_client, course):
        response = coordinator_client.get(url(course))
        assert f'href="{course.get_absolute_url()}"' in response.text

    def test_each_entry_says_who_and_when(self, coordinator_client, course, coordinator):
        text = coordinator_client.get(url(course)).text
        assert f"Course started: {course.protocol.name}" in text
        assert f"by {person(coordinator)}" in text
        assert '<time datetime="2026-11-21T12:00:00+00:00">21 Nov 2026 12:00</time>' in text

    def test_a_tick_made_on_the_timeline_is_shown_with_who_ticked_it(
        self, staff_client, course, clinic_staff
    ):
        item = bloods_item(course)
        staff_client.post(reverse("checklist_toggle", args=[item.code]), {"checked": "1"})
        text = staff_client.get(url(course)).text
        assert "“Bloods drawn” ticked under “Clinic visit (1)”" in text
        assert f"by {person(clinic_staff)}" in text

    def test_confirming_day_zero_on_the_course_page_is_shown_with_who_confirmed(
        self, coordinator_client, course, coordinator
    ):
        coordinator_client.post(reverse("day_zero_confirm", args=[course.code]))
        text = coordinator_client.get(url(course)).text
        assert "Day Zero confirmed: the infusion happened on 21 Nov 2026" in text
        # Started, confirmed, and the infusion milestone done with it.
        assert text.count(f"by {person(coordinator)}") == 3
        assert "(infusion confirmed)" in text

    def test_a_move_is_one_line_with_its_reason_and_count(
        self, coordinator_client, course, coordinator, today
    ):
        services.move_day_zero(
            course=course, day_zero=today + timedelta(days=2), by=coordinator, reason="Donor late"
        )
        text = coordinator_client.get(url(course)).text
        assert "Day Zero moved from 21 Nov 2026 to 23 Nov 2026 (Donor late);" in text
        assert "planned dates moved" in text

    def test_blood_counts_added_corrected_and_deleted_are_shown(
        self, staff_client, course, clinic_staff, today
    ):
        count = add_count(course, clinic_staff, today, anc=Decimal("0.45"), platelets=Decimal("21"))
        services.correct_count(
            count=count, values={"anc": Decimal("0.54")}, by=clinic_staff, today=today
        )
        services.delete_count(count=count, by=clinic_staff, today=today)
        text = staff_client.get(url(course)).text
        assert "Blood count of 21 Nov 2026 added: ANC 0.45, platelets 21" in text
        assert "Blood count of 21 Nov 2026 corrected: ANC 0.45 → 0.54" in text
        assert "Blood count of 21 Nov 2026 deleted: ANC 0.54, platelets 21" in text

    def test_marking_an_anc_manual_and_lab_results_read_right(
        self, staff_client, course, clinic_staff, today
    ):
        count = add_count(course, clinic_staff, today, anc=Decimal("0.50"))
        services.correct_count(
            count=count, values={"anc_manual": True}, by=clinic_staff, today=today
        )
        services.record_results(
            course=course,
            rows=[{"drawn_on": today, "analyte": "cd4", "value": Decimal(90), "undetected": False}],
            by=clinic_staff,
        )
        text = staff_client.get(url(course)).text
        assert "corrected: ANC from a manual differential no → yes" in text
        assert "CD4 count of 21 Nov 2026 added: 90 cells/µL" in text

    def test_done_and_reopened_milestones_are_shown(
        self, staff_client, course, clinic_staff, today
    ):
        milestone = course.milestones.get(step__key="infusion")
        services.complete_milestone(milestone=milestone, on=today, by=clinic_staff, today=today)
        services.reopen_milestone(milestone=milestone, by=clinic_staff)
        text = staff_client.get(url(course)).text
        assert "“Stem cell infusion” marked done on 21 Nov 2026" in text
        assert "“Stem cell infusion” reopened (it had been done on 21 Nov 2026)" in text

    def test_every_kind_reads_as_a_sentence(self, coordinator_client, course, coordinator):
        """No kind falls through to its bare label or leaves template syntax behind."""
        for kind in EventKind:
            CourseEvent.objects.create(
                patient=course.patient, course=course, kind=kind, by=coordinator, data={}
            )
        text = coordinator_client.get(url(course)).text
        assert "{{" not in text
        for kind in EventKind:
            assert not re.search(rf"<p>\s*{re.escape(kind.label)}\s*</p>", text), kind

    def test_the_newest_change_is_listed_first(self, coordinator_client, course, clinic_staff):
        with time_machine.travel("2026-11-21 13:00 +00:00", tick=False):
            toggle(bloods_item(course), 1, clinic_staff)
        text = coordinator_client.get(url(course)).text
        assert text.index("“Bloods drawn” ticked") < text.index("Course started:")

    def test_it_can_show_one_kind_of_change(self, coordinator_client, course, clinic_staff, today):
        add_count(course, clinic_staff, today, anc=Decimal("0.45"))
        toggle(bloods_item(course), 1, clinic_staff)
        text = coordinator_client.get(url(course, kind="count_added")).text
        assert "Blood count of 21 Nov 2026 added" in text
        assert "ticked under" not in text
        assert "Course started:" not in text

    def test_an_unknown_kind_shows_every_change(self, coordinator_client, course):
        assert "Course started" in coordinator_client.get(url(course, kind="nonsense")).text

    def test_a_kind_with_no_changes_says_so_and_offers_all(self, coordinator_client, course):
        text = coordinator_client.get(url(course, kind="count_deleted")).text
        assert "No change of this kind yet." in text

    def test_a_course_without_recorded_changes_says_so(self, coordinator_client, course):
        CourseEvent.objects.all().delete()
        assert "No changes recorded yet." in coordinator_client.get(url(course)).text

    def test_a_long_history_has_a_next_page_that_keeps_the_filter(
        self, coordinator_client, course, clinic_staff
    ):
        toggle(bloods_item(course), 2 * EVENTS_PER_PAGE + 2, clinic_staff)
        text = coordinator_client.get(url(course, kind="item_ticked")).text
        assert "Page 1 of 2" in text
        assert 'href="?kind=item_ticked&amp;page=2"' in text

    def test_the_second_page_holds_the_oldest_entry_and_a_previous_link(
        self, coordinator_client, course, clinic_staff
    ):
        toggle(bloods_item(course), EVENTS_PER_PAGE, clinic_staff)
        text = coordinator_client.get(url(course, page=2)).text
        assert "Course started" in text
        assert 'href="?page=1"' in text

    def test_a_page_past_the_end_shows_the_last_page(self, coordinator_client, course):
        assert "Course started" in coordinator_client.get(url(course, page=99)).text

    def test_an_htmx_request_gets_only_the_section_the_pager_targets(
        self, coordinator_client, course, clinic_staff
    ):
        toggle(bloods_item(course), EVENTS_PER_PAGE, clinic_staff)
        text = coordinator_client.get(url(course, page=2), headers=HX).text
        assert text.lstrip().startswith('<section id="history"')
        assert 'hx-target="#history"' in text
        assert "<h1>" not in text

    @pytest.mark.parametrize(("changes", "page"), [(5, 1), (200, 1), (200, 3)])
    def test_the_number_of_queries_does_not_grow_with_the_history(
        self, coordinator_client, course, clinic_staff, django_assert_max_num_queries, changes, page
    ):
        toggle(bloods_item(course), changes, clinic_staff)
        with django_assert_max_num_queries(QUERY_BOUND):
            response = coordinator_client.get(url(course, page=page))
        assert response.status_code == 200
