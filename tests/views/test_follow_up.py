"""The follow-up list, this week, and the CSV export as the clinic uses them."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import PatientFactory, start_course
from tracker import services
from tracker.models import BloodCount

pytestmark = pytest.mark.django_db

URL = reverse("follow_up")
HX = {"HX-Request": "true"}


@pytest.fixture
def make_courses(protocol, coordinator, today):
    def build(count, *, start_day=0):
        return [
            start_course(
                patient=PatientFactory(),
                protocol=protocol,
                day_zero=today - timedelta(days=start_day + n % 100),
                by=coordinator,
            )
            for n in range(count)
        ]

    return build


class TestFollowUpList:
    def test_patients_are_forbidden(self, patient_client):
        assert patient_client.get(URL).status_code == 403

    def test_shows_a_row_per_course_with_its_figures(self, staff_client, course):
        text = staff_client.get(URL).text
        assert "1 patient" in text
        assert "<bdi>Lovelace</bdi>, <bdi>Ada</bdi>" in text
        assert "<strong>Day 0</strong>" in text
        assert "Stem cell infusion" in text
        assert '<span class="nowrap">Sat 21 Nov · Day 0</span>' in text
        assert '<span class="badge overdue">3</span>' in text
        assert "Not yet open" in text
        assert f'href="{course.get_absolute_url()}"' in text

    def test_htmx_request_swaps_only_the_rows(self, staff_client, course):
        response = staff_client.get(URL, {"q": "lovel"}, headers=HX)
        assert response.text.lstrip().startswith('<div id="rows">')
        assert "<html" not in response.text
        assert "<bdi>Lovelace</bdi>, <bdi>Ada</bdi>" in response.text

    def test_the_filters_stay_in_the_form_so_the_url_is_bookmarkable(self, staff_client, course):
        text = staff_client.get(URL, {"q": "lov", "overdue": "on", "sort": "day"}).text
        assert 'name="q" value="lov"' in text
        assert 'name="overdue" id="id_overdue" checked' in text
        assert '<option value="day" selected>' in text
        assert "q=lov&amp;overdue=on&amp;sort=day" in text  # carried to the CSV link

    def test_a_bad_filter_value_is_ignored_not_an_error(self, staff_client, course):
        response = staff_client.get(URL, {"kind": "bogus", "sort": "bogus", "q": "lov"})
        assert response.status_code == 200
        assert "<bdi>Lovelace</bdi>, <bdi>Ada</bdi>" in response.text

    def test_empty_state_says_why_when_filters_match_nothing(self, staff_client, course):
        text = staff_client.get(URL, {"q": "nobody"}).text
        assert "0 patients match these filters" in text
        assert "No patient on the follow-up list matches these filters" in text
        assert "(name or MRN “nobody”)" in text

    def test_empty_state_with_nobody_in_follow_up(self, staff_client):
        text = staff_client.get(URL).text
        assert "No patient is between the start of conditioning and Day +100" in text

    def test_pagination_keeps_the_filters(self, staff_client, make_courses):
        make_courses(55)
        text = staff_client.get(URL, {"sort": "day"}).text
        assert "Page 1 of 2" in text
        assert "?sort=day&amp;page=2" in text
        assert staff_client.get(URL, {"sort": "day", "page": 2}).text.count("<tr>") == 1 + 5

    @pytest.mark.parametrize("count", [5, 200])
    def test_query_count_is_fixed_whatever_the_number_of_courses(
        self, staff_client, make_courses, protocol, coordinator, count, django_assert_num_queries
    ):
        protocol.tracks_engraftment = True
        protocol.save()
        for course in make_courses(count):
            BloodCount.objects.create(
                course=course, drawn_on=course.day_zero, anc=Decimal("0.3"), entered_by=coordinator
            )
        # session, user, permissions (2), what the cache key reads (the last event, the last
        # change to a patient, the protocols' revisions), count, rows, the page's next
        # milestones and its courses' blood counts, session save (+ savepoints)
        with django_assert_num_queries(14):
            response = staff_client.get(URL)
        assert f"{count} patients" in response.text
        # Seen again while nothing changed: the rows from the cache, no session save.
        with django_assert_num_queries(7):
            again = staff_client.get(URL)
        assert f"{count} patients" in again.text

    def test_a_change_on_any_course_shows_at_once(
        self, staff_client, make_courses, coordinator, today
    ):
        (course,) = make_courses(1)
        assert "Stem cell infusion" in staff_client.get(URL).text  # next due, and now kept
        infusion = course.milestones.get(step__key="infusion")
        services.complete_milestone(milestone=infusion, on=today, by=coordinator, today=today)
        after = staff_client.get(URL).text
        assert "Stem cell infusion" not in after
        assert "Clinic visit (1)" in after
        patient = course.patient
        patient.family_name = "Renamed"
        patient.save()
        assert "Renamed" in staff_client.get(URL).text


class TestThisWeek:
    url = reverse("follow_up_week")

    def test_patients_are_forbidden(self, patient_client):
        assert patient_client.get(self.url).status_code == 403

    def test_lists_what_is_due_today(self, staff_client, course, today):
        text = staff_client.get(self.url).text
        assert '<h2 id="day-2026-11-21">Today, Saturday 21 November</h2>' in text
        assert "Stem cell infusion" in text
        assert "Clinic visit (1)" not in text  # Day +7: next week

    @pytest.fixture
    def with_day_zero(self, protocol, coordinator, today):
        def build(count, *, in_days):
            for _ in range(count):
                day_zero = today + timedelta(days=in_days)
                start_course(
                    patient=PatientFactory(), protocol=protocol, day_zero=day_zero, by=coordinator
                )

        return build

    def test_every_day_is_a_link_with_its_count(self, staff_client, with_day_zero):
        with_day_zero(3, in_days=2)  # Day −2, −1 and 0 today, tomorrow and the day after
        text = staff_client.get(self.url).text
        assert "9 visits and tasks due" in text
        assert (
            'href="?day=2026-11-21" class="filter selected" aria-current="page">Today · 3<' in text
        )
        assert 'href="?day=2026-11-23" class="filter">Mon 23 Nov · 3<' in text
        assert 'href="?day=2026-11-27" class="filter">Fri 27 Nov · 0<' in text
        assert text.count('href="?day=') == 7

    def test_another_day_of_the_week_shows_its_rows(self, staff_client, with_day_zero):
        with_day_zero(1, in_days=5)  # conditioning from Day −3, in two days
        today = staff_client.get(self.url).text
        assert "Nothing is due on this day. Choose another day above." in today
        later = staff_client.get(self.url, {"day": "2026-11-26"}).text
        assert '<h2 id="day-2026-11-26">Thursday 26 November</h2>' in later
        assert "Stem cell infusion" in later
        assert "Conditioning chemotherapy" not in later
        assert 'aria-current="page">Thu 26 Nov · 1<' in later

    @pytest.mark.parametrize("day", ["2026-11-20", "2026-11-29", "tomorrow", ""])
    def test_a_day_outside_the_week_shows_today(self, staff_client, course, day):
        text = staff_client.get(self.url, {"day": day}).text
        assert '<h2 id="day-2026-11-21">Today, Saturday 21 November</h2>' in text

    def test_a_busy_day_is_paginated_and_keeps_its_day(self, staff_client, with_day_zero):
        with_day_zero(55, in_days=0)
        first = staff_client.get(self.url, {"day": "2026-11-21"}).text
        assert first.count("<tr>") == 1 + 50
        assert "Page 1 of 2" in first
        assert "?day=2026-11-21&amp;page=2" in first
        second = staff_client.get(self.url, {"day": "2026-11-21", "page": 2}).text
        assert second.count("<tr>") == 1 + 5

    def test_a_row_links_to_the_milestone_on_its_course_page(self, staff_client, course, today):
        infusion = course.milestones.get(due_date=today)
        text = staff_client.get(self.url).text
        assert f'href="{course.get_absolute_url()}#milestone-{infusion.code}"' in text

    def test_nothing_due_has_an_empty_state(self, staff_client):
        assert "Nothing is due in the next 7 days." in staff_client.get(self.url).text

    @pytest.mark.parametrize("count", [3, 30])
    def test_query_count_is_fixed(
        self, staff_client, with_day_zero, count, django_assert_num_queries
    ):
        with_day_zero(count, in_days=3)  # Day −3 today
        # session, user, permissions (2), the count of each day, the day's rows, session save
        # (+ savepoints)
        with django_assert_num_queries(9):
            response = staff_client.get(self.url)
        assert response.text.count("<tr>") == 1 + count


class TestCsvExport:
    url = reverse("follow_up_csv")

    def read(self, response):
        body = b"".join(response.streaming_content).decode("utf-8-sig")  # with its BOM
        return list(csv.reader(io.StringIO(body)))

    def test_patients_are_forbidden(self, patient_client):
        assert patient_client.get(self.url).status_code == 403

    def test_streams_utf8_with_one_header_row(self, staff_client, course, today):
        response = staff_client.get(self.url)
        assert response.streaming
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert 'filename="follow-up-2026-11-21.csv"' in response["Content-Disposition"]
        header, *rows = self.read(response)
        assert header[:3] == ["MRN", "Family name", "Given name"]
        assert len(rows) == 1
        assert rows[0][:3] == ["MRN000100", "Lovelace", "Ada"]

    def test_exports_the_current_filters(self, staff_client, course, other_course):
        rows = self.read(staff_client.get(self.url, {"q": "babb"}))[1:]
        assert [row[1] for row in rows] == ["Babbage"]

    def test_all_matching_rows_not_just_a_page(self, staff_client, make_courses):
        make_courses(60)
        assert len(self.read(staff_client.get(self.url))) == 1 + 60

    def test_streams_in_chunks_of_lines_not_a_write_per_line(
        self, staff_client, make_courses, monkeypatch
    ):
        monkeypatch.setattr("tracker.exports.csv.LINES_PER_CHUNK", 4)
        make_courses(10)
        chunks = list(staff_client.get(self.url).streaming_content)
        # the header and 10 lines, 4 at a time
        assert [chunk.count(b"\r\n") for chunk in chunks] == [4, 4, 3]

    def test_a_cell_a_spreadsheet_would_run_is_shown_as_text(self, staff_client, course):
        course.patient.family_name = "=HYPERLINK(1)"
        course.patient.save()
        [_, row] = self.read(staff_client.get(self.url))
        assert row[1] == "'=HYPERLINK(1)"

    def test_starts_with_a_byte_order_mark_for_excel(self, staff_client, course):
        body = b"".join(staff_client.get(self.url).streaming_content)
        assert body.startswith("\ufeffMRN,".encode())

    @pytest.mark.parametrize("count", [3, 30])
    def test_query_count_is_fixed(
        self, staff_client, make_courses, protocol, coordinator, count, django_assert_num_queries
    ):
        protocol.tracks_engraftment = True
        protocol.save()
        for course in make_courses(count):
            BloodCount.objects.create(
                course=course, drawn_on=course.day_zero, anc=Decimal("0.3"), entered_by=coordinator
            )
        # session, user, permissions (2), the rows, and for each batch of 500 rows their next
        # milestones and blood counts; session save (+ savepoints)
        with django_assert_num_queries(10):
            rows = self.read(staff_client.get(self.url))
        assert len(rows) == 1 + count
