"""The staff immune recovery list and its CSV, as the clinic uses them."""

import csv
import html
import io
import re
from datetime import date, timedelta

import pytest
from django.urls import reverse

from tests.factories import PatientFactory, StepFactory, small_protocol, start_course
from tracker import services
from tracker.models import Kind
from tracker.rules.gvhd import NIH_ORGANS

pytestmark = pytest.mark.django_db

URL = reverse("recovery")
CSV_URL = reverse("recovery_csv")
HX = {"HX-Request": "true"}


@pytest.fixture
def protocol():
    """PCV at 3 and 4 months, MMR at 24 months, letermovir stop at Day +100."""
    protocol = small_protocol()
    for key, months, vaccine, dose in [
        ("pcv-first", 3, "pcv", 1),
        ("pcv-second", 4, "pcv", 2),
        ("mmr-1", 24, "mmr", 1),
    ]:
        StepFactory(
            protocol=protocol,
            key=key,
            title=f"{vaccine.upper()} dose {dose}",
            day=None,
            months=months,
            vaccine=vaccine,
            dose=dose,
            checklist="",
            window_after=28,
        )
    StepFactory(
        protocol=protocol,
        key="letermovir-stop",
        title="Stop letermovir",
        day=100,
        stop_rule="letermovir",
        checklist="",
    )
    return protocol


def course_on(protocol, coordinator, day_zero, **patient):
    return start_course(
        patient=PatientFactory(**patient), protocol=protocol, day_zero=day_zero, by=coordinator
    )


def text_of(markup):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", markup)).split())


def rows_of(response):
    """Each row of the list as the text of its cells."""
    if "<tbody>" not in response.text:
        return []
    body = response.text.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [text_of(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
        for row in body.split("<tr>")[1:]
    ]


def names(response):
    return [row[0].split(" ,")[0] for row in rows_of(response)]


class TestScope:
    def test_every_transplant_course_past_day_90_and_no_other(
        self, staff_client, protocol, coordinator, today
    ):
        course_on(protocol, coordinator, today - timedelta(days=90), family_name="Ninety")
        course_on(protocol, coordinator, today - timedelta(days=89), family_name="Eightynine")
        procedure = small_protocol(kind=Kind.PROCEDURE)
        course_on(procedure, coordinator, date(2024, 1, 1), family_name="Procedure")
        text = staff_client.get(URL).text
        assert "Ninety" in text
        assert "Eightynine" not in text
        assert "Procedure" not in text
        assert "1 course" in text

    def test_empty_states(self, staff_client, protocol, coordinator, today):
        assert "No transplant course is past Day +90 yet." in staff_client.get(URL).text
        course_on(protocol, coordinator, date(2025, 1, 1))
        text = staff_client.get(URL, {"q": "nobody"}).text
        assert "No course matches these filters (name or MRN “nobody”)" in text

    def test_patients_are_forbidden(self, patient_client):
        assert patient_client.get(URL).status_code == 403
        assert patient_client.get(CSV_URL).status_code == 403


class TestWhatARowSays:
    def test_due_blocked_done_drugs_and_stops(self, staff_client, protocol, coordinator, today):
        course = course_on(protocol, coordinator, date(2024, 10, 1), family_name="Haddad")
        services.record_vaccination(
            course=course, vaccine="pcv", dose=1, given_on=date(2025, 1, 2), by=coordinator
        )
        services.record_immunosuppression(
            course=course, drug="Prednisolone", started_on=date(2025, 3, 1), by=coordinator
        )
        services.record_ivig(course=course, given_on=date(2025, 4, 1), by=coordinator)
        response = staff_client.get(URL)
        (cells,) = rows_of(response)
        assert "1 of 3 doses done" in cells[0]
        assert "Overdue PCV dose 2 1 Feb 2025" in cells[1]  # dates with their year
        assert "MMR dose 1" in cells[2]
        assert "On immunosuppression: not until 12 months after it stops." in cells[2]
        assert "Prednisolone" in cells[3]
        assert "Last IVIG 1 Apr 2025" in cells[3]
        assert "Stop letermovir" in cells[4]
        assert f'href="{course.get_absolute_url()}#immunity"' in response.text

    def test_a_not_needed_dose_is_not_counted(self, staff_client, coordinator, today):
        protocol = small_protocol()
        StepFactory(
            protocol=protocol,
            key="pcv-4",
            title="PCV dose 4",
            day=None,
            months=12,
            vaccine="pcv",
            dose=4,
            chronic_gvhd="with",
            checklist="",
        )
        course_on(protocol, coordinator, date(2024, 10, 1))
        (cells,) = rows_of(staff_client.get(URL))
        assert "0 of 0 doses done" in cells[0]
        assert "PCV dose 4" not in " ".join(cells)


class TestFilters:
    @pytest.fixture
    def three(self, protocol, coordinator, today):
        blocked = course_on(protocol, coordinator, date(2024, 1, 5), family_name="Blocked")
        services.diagnose_chronic_gvhd(
            course=blocked,
            diagnosed_on=date(2025, 1, 5),
            scores={organ: int(organ == "skin") for organ in NIH_ORGANS},
            by=coordinator,
        )
        drugs = course_on(protocol, coordinator, date(2026, 6, 1), family_name="Drugs")
        services.record_immunosuppression(
            course=drugs, drug="Tacrolimus", started_on=date(2026, 6, 1), by=coordinator
        )
        due = course_on(protocol, coordinator, date(2026, 7, 1), family_name="Due")
        stop = blocked.milestones.get(step__stop_rule="letermovir")
        services.complete_milestone(
            milestone=stop, on=stop.due_date, by=coordinator, today=date(2026, 11, 21)
        )
        return blocked, drugs, due

    @pytest.mark.parametrize(
        ("show", "expected"),
        [
            ("", ["Blocked", "Drugs", "Due"]),
            ("blocked", ["Blocked", "Drugs"]),  # on immunosuppression: blocked too
            ("immunosuppressed", ["Drugs"]),
            ("due", ["Blocked", "Drugs", "Due"]),
            ("stops", ["Drugs", "Due"]),
        ],
    )
    def test_show(self, staff_client, three, show, expected):
        assert names(staff_client.get(URL, {"show": show})) == expected

    def test_search_and_kind(self, staff_client, three):
        assert len(rows_of(staff_client.get(URL, {"q": "drug"}))) == 1
        assert rows_of(staff_client.get(URL, {"kind": "autologous"})) == []
        assert len(rows_of(staff_client.get(URL, {"kind": "allogeneic"}))) == 3

    def test_a_bad_filter_falls_back_to_everyone(self, staff_client, three):
        assert len(rows_of(staff_client.get(URL, {"show": "nonsense", "kind": "x"}))) == 3

    def test_htmx_swaps_the_rows_with_the_csv_link_out_of_band(self, staff_client, three):
        response = staff_client.get(URL, {"show": "blocked"}, headers=HX)
        # The element the filter form targets, with the CSV link for these filters.
        assert response.text.lstrip().startswith('<div id="rows">')
        assert (
            f'<a id="recovery-csv-link" hx-swap-oob="true" class="button" '
            f'href="{CSV_URL}?show=blocked">'
        ) in response.text
        assert "<html" not in response.text


class TestCsv:
    def test_the_same_courses_and_filters_as_the_list(
        self, staff_client, protocol, coordinator, today
    ):
        blocked = course_on(protocol, coordinator, date(2024, 1, 5), family_name="=Blocked")
        services.record_immunosuppression(
            course=blocked, drug="Sirolimus", started_on=date(2024, 1, 1), by=coordinator
        )
        course_on(protocol, coordinator, date(2026, 7, 1), family_name="Due")
        response = staff_client.get(CSV_URL, {"show": "blocked"})
        assert response["Content-Disposition"] == (
            'attachment; filename="immune-recovery-2026-11-21.csv"'
        )
        text = b"".join(response.streaming_content).decode()
        header, *lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
        assert header[7:9] == ["Vaccines due or overdue", "Live vaccines blocked"]
        (line,) = lines
        assert line[1] == "'=Blocked"  # never run as a formula
        assert "MMR dose 1 (2026-01-05, Blocked: On immunosuppression" in line[8]
        assert line[11] == "Sirolimus"
        assert line[13] == "Stop letermovir: overdue 2024-04-14"


@pytest.mark.parametrize("count", [3, 60])
def test_query_count_is_fixed_whatever_the_number_of_courses(
    staff_client, protocol, coordinator, today, count, django_assert_num_queries
):
    for n in range(count):
        course = course_on(protocol, coordinator, date(2025, 1, 1) + timedelta(days=n))
        if n % 2:
            services.record_ivig(course=course, given_on=date(2026, 1, 1), by=coordinator)
    # session, user, permissions (2), what the cache key reads (the last event, the last
    # change to a patient, the protocols' revisions), count, the page's ids, its courses,
    # their milestones, the patients' drugs, their last IVIG, session save (+ 2 savepoints)
    with django_assert_num_queries(16):
        response = staff_client.get(URL)
    assert f"{count} courses" in response.text
    # Seen again while nothing changed: the rows from the cache.
    with django_assert_num_queries(7):
        again = staff_client.get(URL)
    assert rows_of(again) == rows_of(response)


def test_a_change_shows_at_once_though_the_rows_are_kept(
    staff_client, protocol, coordinator, today
):
    course = course_on(protocol, coordinator, date(2025, 1, 1), family_name="Kept")
    assert "No immunosuppression" in staff_client.get(URL).text
    services.record_immunosuppression(
        course=course, drug="Sirolimus", started_on=date(2026, 11, 1), by=coordinator
    )
    text = staff_client.get(URL).text
    assert "Sirolimus" in text
    assert "No immunosuppression" not in text
