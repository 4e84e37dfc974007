"""Entering blood counts on the course page, and the engraftment milestones they decide."""

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import StepFactory, repeating_step, small_protocol, start_course
from tracker.models import BloodCount, Milestone

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
# Day 0 … Day 12: falls to a nadir, then ≥ 0.5 on Days 10, 11, 12.
ANC = ["0.8", "0.4", "0.2", "0.1", "0.1", "0.1", "0.1", "0.2", "0.3", "0.4", "0.6", "0.9", "1.4"]


@pytest.fixture
def course(patient, coordinator, today):
    """Patient A's course at Day +20; its protocol has both engraftment milestones."""
    protocol = small_protocol(name="Allogeneic with engraftment", tracks_engraftment=True)
    StepFactory(
        protocol=protocol,
        key="anc",
        title="Neutrophil engraftment",
        day=14,
        window_before=4,
        window_after=16,
        engraftment="neutrophil",
        checklist="",
    )
    StepFactory(
        protocol=protocol,
        key="plt",
        title="Platelet engraftment",
        day=21,
        window_before=7,
        window_after=60,
        engraftment="platelet",
        checklist="",
    )
    return start_course(
        patient=patient,
        protocol=protocol,
        day_zero=today - timedelta(days=20),
        by=coordinator,
    )


def pasted(course, values):
    return "\n".join(
        f"{(course.day_zero + timedelta(days=n)).isoformat()}\t{anc}\t\t"
        for n, anc in enumerate(values)
    )


def neutrophil_milestone(course):
    return Milestone.objects.get(course=course, step__engraftment="neutrophil")


class TestAddCount:
    def url(self, course):
        return reverse("counts_add", args=[course.code])

    def test_patients_may_not_enter_counts(self, patient_client, course, today):
        data = {"drawn_on": today.isoformat(), "anc": "1"}
        assert patient_client.post(self.url(course), data).status_code == 403
        assert not BloodCount.objects.exists()

    def test_unknown_course_is_not_found(self, staff_client):
        assert staff_client.post(reverse("counts_add", args=[uuid.uuid4()])).status_code == 404

    def test_clinic_staff_add_a_count_in_place(self, staff_client, clinic_staff, course, today):
        response = staff_client.post(
            self.url(course),
            {"drawn_on": today.isoformat(), "anc": "0.3", "platelets": "15"},
            headers=HX,
        )
        assert response.text.lstrip().startswith('<section id="counts"')
        count = BloodCount.objects.get()
        assert (count.anc, count.platelets, count.entered_by) == (
            Decimal("0.3"),
            Decimal("15"),
            clinic_staff,
        )
        assert "Day +20" in response.text

    def test_plain_post_redirects_to_the_counts(self, staff_client, course, today):
        response = staff_client.post(self.url(course), {"drawn_on": today.isoformat(), "anc": "1"})
        assert response.url == f"{course.get_absolute_url()}#counts"

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            ({"anc": "1"}, "Enter the date of the blood test."),
            ({"drawn_on": "2026-11-22", "anc": "1"}, "The date is in the future."),
            ({"drawn_on": "2026-10-01", "anc": "1"}, "The date is before the course started"),
            ({"drawn_on": "2026-11-21", "anc": "-1"}, "ANC cannot be negative."),
            ({"drawn_on": "2026-11-21", "anc": "1500"}, "check the unit"),
            ({"drawn_on": "2026-11-21", "platelets": "2500"}, "Platelets 2500 is above 2000"),
            ({"drawn_on": "2026-11-21"}, "Enter an ANC, a platelet count, or mark a transfusion."),
        ],
        ids=["no-date", "future", "before-course", "negative", "absurd-anc", "absurd-plt", "empty"],
    )
    def test_bad_input_is_explained_and_nothing_is_saved(
        self, staff_client, course, today, data, message
    ):
        response = staff_client.post(self.url(course), data, headers=HX)
        assert response.status_code == 200
        assert message in response.text
        assert not BloodCount.objects.exists()

    def test_bad_input_without_javascript_shows_the_course_page_with_the_error(
        self, staff_client, course, today
    ):
        response = staff_client.post(self.url(course), {"drawn_on": "", "anc": "1"})
        assert "Enter the date of the blood test." in response.text
        assert "<html" in response.text

    def test_two_counts_on_one_date_are_allowed(self, staff_client, course, today):
        for anc in ("0.6", "0.4"):
            staff_client.post(self.url(course), {"drawn_on": today.isoformat(), "anc": anc})
        assert BloodCount.objects.filter(drawn_on=today).count() == 2


class TestPasteCounts:
    def url(self, course):
        return reverse("counts_paste", args=[course.code])

    def test_patients_may_not_paste(self, patient_client, course):
        assert patient_client.post(self.url(course), {"lines": "x"}).status_code == 403

    def test_pasting_counts_that_engraft_completes_the_milestone(
        self, staff_client, clinic_staff, course
    ):
        response = staff_client.post(self.url(course), {"lines": pasted(course, ANC)}, headers=HX)
        assert BloodCount.objects.count() == 13
        milestone = neutrophil_milestone(course)
        assert milestone.completed_on == course.day_zero + timedelta(days=10)
        assert milestone.computed is True
        assert milestone.completed_by == clinic_staff
        assert "Engrafted" in response.text
        # The timeline's milestone is updated out of band.
        assert f'id="milestone-{milestone.code}"' in response.text
        assert 'hx-swap-oob="true"' in response.text
        record = milestone.history.first()
        assert record.history_change_reason == "Engraftment computed from blood counts"

    def test_one_bad_line_saves_nothing_and_names_every_bad_line(self, staff_client, course):
        lines = pasted(course, ANC[:3]) + "\nnot-a-date\t1\t2\n2026-11-21\t-1\t5"
        response = staff_client.post(self.url(course), {"lines": lines}, headers=HX)
        assert "Line 4: “not-a-date” is not a date" in response.text
        assert "Line 5: ANC cannot be negative." in response.text
        assert not BloodCount.objects.exists()

    def test_an_empty_paste_is_explained(self, staff_client, course):
        response = staff_client.post(self.url(course), {"lines": ""}, headers=HX)
        assert "Paste at least one line." in response.text


class TestCorrectAndDelete:
    @pytest.fixture
    def engrafted(self, staff_client, course):
        staff_client.post(
            reverse("counts_paste", args=[course.code]), {"lines": pasted(course, ANC)}
        )
        return course

    def test_correcting_a_count_so_the_rule_fails_reopens_the_milestone(
        self, staff_client, engrafted
    ):
        last = BloodCount.objects.get(drawn_on=engrafted.day_zero + timedelta(days=12))
        response = staff_client.post(
            reverse("count_edit", args=[last.code]),
            {"drawn_on": last.drawn_on.isoformat(), "anc": "0.3"},
            headers=HX,
        )
        assert response.status_code == 200
        last.refresh_from_db()
        assert last.anc == Decimal("0.3")
        milestone = neutrophil_milestone(engrafted)
        assert milestone.completed_on is None
        assert milestone.computed is False

    def test_deleting_a_count_so_the_rule_fails_reopens_the_milestone(
        self, staff_client, engrafted
    ):
        last = BloodCount.objects.get(drawn_on=engrafted.day_zero + timedelta(days=12))
        staff_client.post(reverse("count_delete", args=[last.code]), headers=HX)
        assert not BloodCount.objects.filter(pk=last.pk).exists()
        assert neutrophil_milestone(engrafted).completed_on is None

    def test_a_milestone_completed_by_hand_is_left_alone(
        self, staff_client, coordinator, course, today
    ):
        milestone = neutrophil_milestone(course)
        milestone.complete(by=coordinator, on=today, today=today)
        staff_client.post(
            reverse("counts_paste", args=[course.code]), {"lines": pasted(course, ANC)}
        )
        milestone.refresh_from_db()
        assert (milestone.completed_on, milestone.computed) == (today, False)

    def test_the_correct_link_swaps_its_row_for_the_edit_row(self, staff_client, engrafted):
        count = BloodCount.objects.first()
        page = staff_client.get(engrafted.get_absolute_url()).text
        url = reverse("count_edit", args=[count.code])
        link = re.search(rf'<a href="{url}" hx-get="{url}" hx-target="([^"]+)"', page)
        assert link.group(1) == "closest tr"
        row = staff_client.get(url, headers=HX).text
        assert row.lstrip().startswith(f'<tr id="count-{count.code}"')

    @pytest.mark.parametrize("anc", ["0.7", "abc"], ids=["saved", "refused"])
    def test_the_corrected_section_replaces_the_section_the_form_targets(
        self, staff_client, engrafted, anc
    ):
        """The edit form targets #counts; the answer is that section, never one inside it."""
        count = BloodCount.objects.first()
        url = reverse("count_edit", args=[count.code])
        row = staff_client.get(url, headers=HX).text
        assert re.search(
            rf'<form [^>]*hx-post="{url}" hx-target="#counts" hx-swap="outerHTML"', row
        )
        data = {"drawn_on": count.drawn_on.isoformat(), "anc": anc}
        answer = staff_client.post(url, data, headers=HX).text
        assert answer.lstrip().startswith('<section id="counts"')
        assert answer.count('id="counts"') == 1

    def test_a_refused_correction_stays_in_its_row_with_what_was_typed(
        self, staff_client, engrafted
    ):
        count = BloodCount.objects.first()
        url = reverse("count_edit", args=[count.code])
        data = {"drawn_on": count.drawn_on.isoformat(), "anc": "150"}
        for headers in ({}, HX):
            text = staff_client.post(url, data, headers=headers).text
            assert f'<tr id="count-{count.code}" class="editing" data-focus-first>' in text
            assert 'value="150"' in text
            assert "is above 100" in text

    def test_the_edit_row_and_its_page(self, staff_client, engrafted):
        count = BloodCount.objects.first()
        url = reverse("count_edit", args=[count.code])
        row = staff_client.get(url, headers=HX).text
        assert row.lstrip().startswith(
            f'<tr id="count-{count.code}" class="editing" data-focus-first>'
        )
        assert "Correct the count of" in staff_client.get(url).text

    def test_a_bad_correction_is_explained_and_not_saved(self, staff_client, engrafted):
        count = BloodCount.objects.first()
        response = staff_client.post(
            reverse("count_edit", args=[count.code]),
            {"drawn_on": count.drawn_on.isoformat(), "anc": "abc"},
            headers=HX,
        )
        assert "Enter a number." in response.text
        count.refresh_from_db()
        assert count.anc == Decimal("0.8")

    def test_corrections_and_deletions_are_in_the_history(self, staff_client, engrafted):
        count = BloodCount.objects.first()
        staff_client.post(
            reverse("count_edit", args=[count.code]),
            {"drawn_on": count.drawn_on.isoformat(), "anc": "0.7"},
        )
        staff_client.post(reverse("count_delete", args=[count.code]))
        kinds = list(
            BloodCount.history.filter(id=count.pk)
            .order_by("history_date")
            .values_list("history_type", flat=True)
        )
        assert kinds == ["+", "~", "-"]


class TestCoursePage:
    def test_shows_status_chart_and_table(self, staff_client, course):
        staff_client.post(
            reverse("counts_paste", args=[course.code]), {"lines": pasted(course, ANC)}
        )
        text = staff_client.get(course.get_absolute_url()).text
        assert "Engrafted 11 Nov 2026" in text
        assert "ANC ≥ 0.5 on 11, 12, 13 Nov 2026 after the nadir of 0.1 on 4 Nov 2026." in text
        assert text.count('<svg viewBox="0 0 640 220" role="img"') == 2
        assert '<title id="anc-title">ANC (× 10⁹/L) by day</title>' in text
        assert text.count('<tr id="count-') == 13

    def test_graft_failure_alert_after_the_protocols_day(self, staff_client, course, today):
        from tracker import services

        services.move_day_zero(
            course=course, day_zero=today - timedelta(days=31), by=course.created_by
        )
        staff_client.post(
            reverse("counts_add", args=[course.code]),
            {"drawn_on": today.isoformat(), "anc": "0.1"},
        )
        text = staff_client.get(course.get_absolute_url()).text
        assert "Graft failure alert:" in text
        assert "no neutrophil engraftment by Day +30" in text

    def test_clinic_staff_see_the_editor(self, staff_client, course):
        assert "Add a count" in staff_client.get(course.get_absolute_url()).text


class TestPastePrecisionAndRepeats:
    def url(self, course):
        return reverse("counts_paste", args=[course.code])

    def test_an_anc_typed_with_three_decimals_is_refused_not_rounded(self, staff_client, course):
        line = f"{course.day_zero.isoformat()}\t0.495\t30"
        response = staff_client.post(self.url(course), {"lines": line}, headers=HX)
        assert "ANC 0.495 has more decimals than are kept (2)" in response.text
        assert not BloodCount.objects.exists()

    def test_the_single_count_form_refuses_it_in_the_same_words(self, staff_client, course):
        url = reverse("counts_add", args=[course.code])
        data = {"drawn_on": course.day_zero.isoformat(), "anc": "0.495"}
        response = staff_client.post(url, data, headers=HX)
        assert "ANC has more decimals than are kept (2)" in response.text
        assert not BloodCount.objects.exists()

    def test_identical_lines_are_asked_about_and_nothing_is_saved(self, staff_client, course):
        day = course.day_zero.isoformat()
        lines = "\n".join([f"{day}\t0.3\t30"] * 5)
        response = staff_client.post(self.url(course), {"lines": lines}, headers=HX)
        assert "Line 2 repeats line 1." in response.text
        assert "Line 5 repeats line 1." in response.text
        assert "Nothing was saved." in response.text
        assert not BloodCount.objects.exists()

    def test_a_line_like_a_saved_count_is_asked_about(self, staff_client, course, coordinator):
        BloodCount.objects.create(
            course=course, drawn_on=course.day_zero, anc=Decimal("0.30"), entered_by=coordinator
        )
        line = f"{course.day_zero.isoformat()}\t0.3\t"
        response = staff_client.post(self.url(course), {"lines": line}, headers=HX)
        assert "is the same as the count already saved" in response.text
        assert BloodCount.objects.count() == 1

    def test_repeats_are_saved_when_the_user_says_they_are_real(self, staff_client, course):
        day = course.day_zero.isoformat()
        data = {"lines": f"{day}\t0.3\t30\n{day}\t0.3\t30", "save_repeats": "on"}
        staff_client.post(self.url(course), data, headers=HX)
        assert BloodCount.objects.count() == 2


class TestManualAncAndReview:
    def test_an_automated_0_5_asks_for_review_until_it_is_marked_manual(self, staff_client, course):
        values = ["0.8", "0.1", "0.1", "0.5", "0.6", "0.7"]
        staff_client.post(
            reverse("counts_paste", args=[course.code]), {"lines": pasted(course, values)}
        )
        text = staff_client.get(course.get_absolute_url()).text
        assert "Needs review" in text
        assert neutrophil_milestone(course).completed_on is None
        automated = BloodCount.objects.get(anc=Decimal("0.5"))
        staff_client.post(
            reverse("count_edit", args=[automated.code]),
            {"drawn_on": automated.drawn_on.isoformat(), "anc": "0.50", "anc_manual": "on"},
        )
        assert neutrophil_milestone(course).completed_on == automated.drawn_on
        assert "(manual)" in staff_client.get(course.get_absolute_url()).text


class TestDailyCountsMilestone:
    @pytest.fixture
    def daily(self, patient, coordinator, today):
        """A course at Day +5 whose protocol has daily counts from Day +1 to Day +14."""
        protocol = small_protocol(name="With daily counts", tracks_engraftment=True)
        repeating_step(
            protocol,
            first_day=1,
            last_day=14,
            title="Daily blood counts",
            done_by_counts=True,
            checklist="",
        )
        return start_course(
            patient=patient, protocol=protocol, day_zero=today - timedelta(days=5), by=coordinator
        )

    def test_entering_the_days_counts_completes_that_days_milestone(self, staff_client, daily):
        day_3 = daily.day_zero + timedelta(days=3)
        url = reverse("counts_add", args=[daily.code])
        response = staff_client.post(url, {"drawn_on": day_3.isoformat(), "anc": "0.2"}, headers=HX)
        milestone = daily.milestones.get(step__key="daily", due_date=day_3)
        assert (milestone.completed_on, milestone.computed) == (day_3, True)
        assert f'id="milestone-{milestone.code}"' in response.text  # swapped out of band
        assert daily.milestones.filter(step__key="daily", completed_on__isnull=False).count() == 1

    def test_deleting_the_only_count_of_the_day_reopens_it(self, staff_client, daily):
        day_3 = daily.day_zero + timedelta(days=3)
        staff_client.post(
            reverse("counts_add", args=[daily.code]), {"drawn_on": day_3.isoformat(), "anc": "0.2"}
        )
        count = BloodCount.objects.get()
        staff_client.post(reverse("count_delete", args=[count.code]))
        milestone = daily.milestones.get(step__key="daily", due_date=day_3)
        assert milestone.completed_on is None
