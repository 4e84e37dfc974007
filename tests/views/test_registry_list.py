"""The registry worklist (/registry/) and the course page's registry section: what each tab
holds, the filters, the CSV, the quarter's counts, permissions, the query count, and the
status and details changed in place."""

from datetime import date, timedelta

import pytest
from django.urls import reverse

from tests.factories import PatientFactory, small_protocol, start_course
from tracker.models import Kind
from tracker.models.choices import FormStatus
from tracker.services import registry

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
URL = "/registry/"


def course_on(day_zero, by, name="Smith", **details):
    patient = PatientFactory(family_name=name)
    course = start_course(patient=patient, protocol=small_protocol(), day_zero=day_zero, by=by)
    if details:
        registry.record_registry_details(course=course, by=by, **details)
    return course


def rows_of(client, **query):
    return client.get(URL, query, headers=HX).text


class TestWorklist:
    def test_the_tabs(self, coordinator_client, coordinator, today):
        # today is 21 Nov 2026. Day Zero 1 Oct 2026: pre-TED due 31 Oct (overdue), form 2006
        # due 15 Nov (overdue); Day Zero 1 Nov: pre-TED due 1 Dec (due soon); Day Zero
        # 10 Aug 2026: the 100-day window (3 Nov to 3 Dec) is open now.
        overdue = course_on(date(2026, 10, 1), coordinator, name="Overdue")
        soon = course_on(date(2026, 11, 1), coordinator, name="Soon")
        window = course_on(date(2026, 8, 10), coordinator, name="Window")
        registry.set_form_status(
            report=window.registry_reports.get(key="pre_ted"),
            status="submitted",
            submitted_on=date(2026, 11, 2),
            by=coordinator,
        )
        overdue_rows = rows_of(coordinator_client, show="overdue")
        assert "Overdue" in overdue_rows
        assert "Soon</bdi>" not in overdue_rows
        due_rows = rows_of(coordinator_client, show="due")
        assert "Soon</bdi>" in due_rows
        assert "Overdue</bdi>" not in due_rows
        window_rows = rows_of(coordinator_client, show="window")
        assert "Window</bdi>" in window_rows
        assert "100-day follow-up" in window_rows
        assert "open now" in window_rows
        submitted = rows_of(coordinator_client, show="submitted")
        assert "Pre-TED" in submitted
        assert "Window</bdi>" in submitted
        page = coordinator_client.get(URL).text
        assert "Forms due each quarter" in page
        for course in (overdue, soon, window):
            assert course.get_absolute_url() in page

    def test_the_filters_and_search(self, coordinator_client, coordinator, today):
        course_on(date(2026, 10, 1), coordinator, name="Aml", indication="aml")
        course_on(date(2026, 10, 2), coordinator, name="Myeloma", indication="all")
        by_disease = rows_of(coordinator_client, indication="aml", show="all")
        assert "Aml</bdi>" in by_disease
        assert "Myeloma</bdi>" not in by_disease
        by_form = rows_of(coordinator_client, form="2006", show="all")
        assert "Form 2006" in by_form
        assert "Pre-TED" not in by_form
        by_status = rows_of(coordinator_client, status="submitted", show="all")
        assert "No form matches these filters" in by_status
        searched = rows_of(coordinator_client, q="myel", show="all")
        assert "Myeloma</bdi>" in searched
        assert "Aml</bdi>" not in searched
        assert rows_of(coordinator_client, show="nonsense").count("<tr>") > 1  # the default

    def test_the_htmx_answer_is_the_rows_and_the_csv_link(self, staff_client, coordinator):
        course_on(date(2026, 10, 1), coordinator)
        answer = rows_of(staff_client, show="overdue")
        assert answer.lstrip().startswith('<div id="rows">')
        assert 'id="registry-csv-link" hx-swap-oob="true"' in answer
        assert "show=overdue" in answer.split('id="registry-csv-link"')[1]

    def test_the_csv(self, coordinator_client, coordinator, today):
        course_on(date(2026, 10, 1), coordinator, name="Csv", indication="aml")
        response = coordinator_client.get(reverse("registry_csv"), {"show": "all"})
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        lines = text.splitlines()
        assert lines[0].startswith("MRN,Family name,Given name,Kind,Primary disease,Day Zero")
        assert len(lines) == 1 + 17
        assert any(",Pre-TED (forms 2400/2402),Day 0,2026-10-01,,2026-10-31," in x for x in lines)

    def test_the_quarters(self, coordinator_client, coordinator, today):
        course = course_on(date(2026, 8, 1), coordinator)  # pre-TED due 31 Aug, 2006 15 Sep
        for key, on in [("pre_ted", date(2026, 8, 20)), ("2006", date(2026, 9, 20))]:
            registry.set_form_status(
                report=course.registry_reports.get(key=key),
                status="submitted",
                submitted_on=on,
                by=coordinator,
            )
        from tracker.queries.registry import quarters

        q3 = next(q for q in quarters(today) if q.label == "Q3 2026")
        assert (q3.due, q3.on_time, q3.late, q3.still_open) == (2, 1, 1, 0)
        assert q3.on_time_percent == 50
        assert [q.label for q in quarters(today)] == ["Q4 2026", "Q3 2026", "Q2 2026", "Q1 2026"]

    def test_patients_find_nothing(self, patient_client):
        assert patient_client.get(URL).status_code == 404
        assert patient_client.get(reverse("registry_csv")).status_code == 404

    @pytest.mark.parametrize("courses", [3, 30])
    def test_query_count_is_fixed(
        self, coordinator_client, coordinator, django_assert_num_queries, courses
    ):
        for n in range(courses):
            course_on(date(2026, 9, 1) + timedelta(days=n), coordinator)
        coordinator_client.get(URL)  # the session's first touch
        # session, user, permissions (user, groups); the clinic key (the last event, the
        # protocols' revisions, the last patient change); the page's count and rows; the tab
        # counts; the quarters.
        with django_assert_num_queries(11):
            coordinator_client.get(URL, {"show": "all"})


class TestCourseSection:
    @pytest.fixture
    def course(self, coordinator, today):
        return course_on(date(2026, 8, 10), coordinator)

    def test_shows_the_next_form_and_its_window(self, staff_client, course):
        page = staff_client.get(course.get_absolute_url()).text
        assert '<section id="registry"' in page
        assert "Next form: <strong>Pre-TED (forms 2400/2402)</strong>" in page

    def test_a_status_changed_in_place(self, staff_client, course, today):
        form = course.registry_reports.get(key="pre_ted")
        url = reverse("registry_status", args=[form.code])
        refused = staff_client.post(url, {"status": "submitted"}, headers=HX)
        assert refused.text.lstrip().startswith('<section id="registry"')
        assert "Enter the day the form was submitted." in refused.text
        done = staff_client.post(
            url, {"status": "submitted", "submitted_on": "2026-09-01"}, headers=HX
        )
        assert done.text.lstrip().startswith('<section id="registry"')
        assert "Next form: <strong>Form 2006 (infusion)</strong>" in done.text
        form.refresh_from_db()
        assert (form.status, form.submitted_on) == (FormStatus.SUBMITTED, date(2026, 9, 1))

    def test_the_details_in_place_and_in_the_header(self, staff_client, course):
        url = reverse("registry_details", args=[course.code])
        refused = staff_client.post(url, {"indication": "aml", "hla_match": "cord_5_6"}, headers=HX)
        assert refused.text.lstrip().startswith('<section id="registry"')
        assert "A cord blood match is for a cord blood graft." in refused.text
        course.refresh_from_db()
        assert course.indication == ""  # nothing half-saved
        saved = staff_client.post(
            url,
            {"indication": "aml", "disease_status": "cr1", "recipient_cmv": "positive"},
            headers=HX,
        )
        assert "Acute myeloid leukaemia (AML)" in saved.text
        page = staff_client.get(course.get_absolute_url()).text
        assert "Acute myeloid leukaemia (AML) · first complete remission" in page

    def test_an_autologous_course_asks_no_donor(self, staff_client, coordinator, today):
        protocol = small_protocol(kind=Kind.AUTOLOGOUS, donor_type="self")
        course = start_course(patient=PatientFactory(), protocol=protocol, by=coordinator)
        page = staff_client.get(course.get_absolute_url()).text
        assert 'name="indication"' in page
        assert 'name="donor_relation"' not in page

    def test_a_patient_sees_no_registry(self, patient_client, patient, coordinator, today):
        course = start_course(patient=patient, protocol=small_protocol(), by=coordinator)
        report = course.registry_reports.first()
        assert (
            patient_client.post(
                reverse("registry_status", args=[report.code]), {"status": "in_progress"}
            ).status_code
            == 403
        )
        assert "Registry" not in patient_client.get(reverse("my_page")).text


class TestListsByDisease:
    def test_the_follow_up_and_immune_recovery_lists_filter_by_it(
        self, coordinator_client, coordinator, today
    ):
        course_on(today - timedelta(days=100), coordinator, name="Leukaemia", indication="aml")
        course_on(today - timedelta(days=101), coordinator, name="Marrow", indication="mds")
        for name in ("follow_up", "recovery"):
            text = coordinator_client.get(reverse(name), {"indication": "aml"}).text
            assert "Leukaemia" in text, name
            assert "Marrow" not in text, name
