"""Lab results on the course page: add one, paste many, delete; in place and without JS."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from tracker.models import CourseEvent, EventKind, LabResult

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


def add(client, course, headers=None, **data):
    url = reverse("results_add", args=[course.code])
    return client.post(url, {"drawn_on": "2026-11-21", **data}, headers=headers or {})


class TestAddAResult:
    def test_an_htmx_add_answers_with_the_section_the_form_targets(self, staff_client, course):
        page = staff_client.get(course.get_absolute_url()).text
        url = reverse("results_add", args=[course.code])
        assert re.search(rf'hx-post="{url}" hx-target="#results" hx-swap="outerHTML"', page)
        response = add(staff_client, course, HX, analyte="cd4", value="180")
        assert response.text.lstrip().startswith('<section id="results"')
        assert LabResult.objects.get().value == Decimal("180")

    def test_a_plain_add_redirects_to_the_section(self, staff_client, course):
        response = add(staff_client, course, analyte="igg", value="820", unit="mg/dL")
        assert response.status_code == 302
        assert response.url.endswith("#results")
        assert LabResult.objects.get().value == Decimal("8.20")

    def test_chimerism_is_shown_in_words(self, staff_client, course):
        add(staff_client, course, analyte="chimerism_myeloid", value="99")
        add(staff_client, course, analyte="chimerism_lymphoid", value="97.5")
        text = staff_client.get(course.get_absolute_url()).text
        assert "Full donor chimerism in both lines" in text
        assert "97.5 % donor · <strong>full donor</strong>" in text

    def test_a_cmv_pcr_not_detected_is_kept_as_such(self, staff_client, course):
        add(staff_client, course, analyte="cmv_pcr", value="not detected")
        result = LabResult.objects.get()
        assert (result.value, result.undetected, result.shown) == (None, True, "not detected")

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"analyte": "chimerism_myeloid", "value": "101"}, "highest possible value"),
            ({"analyte": "chimerism_myeloid", "value": "98.55"}, "more decimals than are kept"),
            ({"analyte": "cd4", "value": "-3"}, "cannot be negative"),
            ({"analyte": "cd4", "value": "not detected"}, "not a number"),
            ({"analyte": "", "value": "3"}, "Choose the test."),
            ({"analyte": "cd4", "value": ""}, "Enter the result."),
            ({"analyte": "cd4", "value": "3", "drawn_on": "2026-11-22"}, "in the future"),
        ],
    )
    def test_bad_input_is_explained_next_to_the_field_and_nothing_is_saved(
        self, staff_client, course, data, message
    ):
        response = add(staff_client, course, HX, **data)
        assert response.status_code == 200
        assert message in response.text
        assert 'class="field has-error"' in response.text
        assert not LabResult.objects.exists()

    def test_bad_input_without_javascript_comes_back_on_the_page(self, staff_client, course):
        response = add(staff_client, course, analyte="cd4", value="abc")
        assert response.status_code == 200
        assert "<h1>" in response.text
        assert "is not a number" in response.text

    def test_each_result_is_a_course_event(self, staff_client, course, clinic_staff):
        add(staff_client, course, analyte="cd4", value="180")
        added = CourseEvent.objects.get(kind=EventKind.RESULT_ADDED)
        assert (added.by, added.data["shown"]) == (clinic_staff, "180 cells/µL")


class TestPasteResults:
    url_name = "results_paste"

    def test_every_line_is_saved_at_once(self, staff_client, course):
        lines = "2026-11-20\tmyeloid\t98\n2026-11-20\tlymphoid\t85\n2026-11-21\tigg\t3.5"
        response = staff_client.post(
            reverse(self.url_name, args=[course.code]), {"lines": lines}, headers=HX
        )
        assert response.text.lstrip().startswith('<section id="results"')
        assert LabResult.objects.count() == 3
        assert "mixed" in response.text

    def test_one_bad_line_saves_nothing_and_names_the_line(self, staff_client, course):
        lines = "2026-11-20\tmyeloid\t98\n2026-11-20\tlymphoid\t185"
        response = staff_client.post(
            reverse(self.url_name, args=[course.code]), {"lines": lines}, headers=HX
        )
        assert "Line 2: " in response.text
        assert not LabResult.objects.exists()


class TestDeleteAResult:
    def test_deleting_swaps_the_section_and_records_what_was_deleted(
        self, staff_client, course, coordinator
    ):
        result = LabResult.objects.create(
            course=course, drawn_on=course.day_zero, analyte="cd4", value=90, entered_by=coordinator
        )
        response = staff_client.post(reverse("result_delete", args=[result.code]), headers=HX)
        assert response.text.lstrip().startswith('<section id="results"')
        assert not LabResult.objects.exists()
        assert CourseEvent.objects.get(kind=EventKind.RESULT_DELETED).data["shown"] == (
            "90 cells/µL"
        )

    def test_a_second_delete_is_not_an_error(self, staff_client, course, coordinator):
        result = LabResult.objects.create(
            course=course, drawn_on=course.day_zero, analyte="cd4", value=90, entered_by=coordinator
        )
        url = reverse("result_delete", args=[result.code])
        staff_client.post(url)
        assert staff_client.post(url).status_code == 404


class TestPastedRepeats:
    def test_repeated_lines_and_lines_like_a_saved_result_are_asked_about(
        self, staff_client, course, coordinator
    ):
        LabResult.objects.create(
            course=course, drawn_on=course.day_zero, analyte="cd4", value=90, entered_by=coordinator
        )
        day = course.day_zero.isoformat()
        lines = f"{day}\tcmv\tND\n{day}\tcmv\tnot detected\n{day}\tcd4\t90"
        url = reverse("results_paste", args=[course.code])
        response = staff_client.post(url, {"lines": lines}, headers=HX)
        assert "Line 2 repeats line 1." in response.text
        assert "Line 3 is the same as a result already saved" in response.text
        assert LabResult.objects.count() == 1
        staff_client.post(url, {"lines": lines, "save_repeats": "on"}, headers=HX)
        assert LabResult.objects.count() == 4


class TestChimerismIsForAllogeneicCourses:
    @pytest.fixture
    def autologous(self, course):
        course.kind = "autologous"
        course.save(update_fields=["kind"])
        return course

    def test_the_form_does_not_offer_it(self, staff_client, autologous):
        text = staff_client.get(autologous.get_absolute_url()).text
        assert 'value="cd4"' in text
        assert 'value="chimerism_myeloid"' not in text

    def test_a_pasted_chimerism_line_is_refused(self, staff_client, autologous):
        url = reverse("results_paste", args=[autologous.code])
        line = f"{autologous.day_zero.isoformat()}\tmyeloid\t98"
        response = staff_client.post(url, {"lines": line}, headers=HX)
        assert "Line 1: Chimerism is measured after an allogeneic transplant" in response.text
        assert not LabResult.objects.exists()
