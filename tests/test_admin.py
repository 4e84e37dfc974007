"""The admin keeps the audit trail whole: logins are deactivated, never deleted."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "x-long-pass")
    client.force_login(admin)
    return client


def test_a_login_cannot_be_deleted_in_the_admin(admin_client, clinic_staff):
    url = reverse("admin:auth_user_delete", args=[clinic_staff.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 403
    assert get_user_model().objects.filter(pk=clinic_staff.pk).exists()


def test_the_bulk_delete_action_is_not_offered(admin_client):
    text = admin_client.get(reverse("admin:auth_user_changelist")).text
    assert "delete_selected" not in text
    assert "Deactivate the selected logins" in text


def test_a_login_is_deactivated_and_keeps_its_name_on_the_records(admin_client, clinic_staff):
    url = reverse("admin:auth_user_changelist")
    admin_client.post(url, {"action": "deactivate", "_selected_action": [clinic_staff.pk]})
    clinic_staff.refresh_from_db()
    assert clinic_staff.is_active is False
    assert clinic_staff.get_full_name()


def test_a_step_edited_in_the_admin_shows_at_once_on_course_pages(
    admin_client, coordinator, course
):
    viewer = Client()
    viewer.force_login(coordinator)
    assert "Stem cell infusion</h3>" in viewer.get(course.get_absolute_url()).text
    step = course.protocol.steps.get(key="infusion")
    url = reverse("admin:tracker_protocolstep_change", args=[step.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data.update(protocol=step.protocol_id, title="Stem cell infusion (fresh product)")
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    text = viewer.get(course.get_absolute_url()).text
    assert "Stem cell infusion (fresh product)</h3>" in text


class TestCentreAdmin:
    def form(self, **changes):
        data = {
            "name": "Northfield Transplant Unit",
            "day_phone": "01632 960 100",
            "day_hours": "Monday to Friday, 8am to 6pm",
            "out_of_hours_phone": "01632 960 999",
            "address": "Ward 7",
            "closed_weekdays": ["5", "6"],
        }
        return {**data, **changes}

    def test_the_administrator_sets_the_centre_and_pages_show_it_at_once(self, admin_client):
        from tracker.models import Centre, centre_details

        assert centre_details().name == "Transplant centre"  # nothing set yet: kept cached
        response = admin_client.post(reverse("admin:tracker_centre_add"), self.form())
        assert response.status_code == 302
        assert Centre.objects.get().closed_weekdays == "5,6"
        assert centre_details().day_phone == "01632 960 100"

    def test_closed_days_are_ticked_weekdays(self, admin_client):
        from tracker.models import centre_details

        admin_client.post(
            reverse("admin:tracker_centre_add"), self.form(closed_weekdays=["2", "6"])
        )
        assert centre_details().clinic.closed_weekdays == {2, 6}
        assert centre_details().closed_weekday_names == ["Wednesday", "Sunday"]

    def test_a_clinic_closed_every_day_is_refused(self, admin_client):
        from tracker.models import Centre

        every_day = [str(day) for day in range(7)]
        response = admin_client.post(
            reverse("admin:tracker_centre_add"), self.form(closed_weekdays=every_day)
        )
        assert response.status_code == 200
        assert "The clinic must be open on some day." in response.text
        assert not Centre.objects.exists()

    def test_there_is_one_centre(self, admin_client):
        admin_client.post(reverse("admin:tracker_centre_add"), self.form())
        assert admin_client.get(reverse("admin:tracker_centre_add")).status_code == 403

    def test_a_holiday_added_or_deleted_counts_at_once(self, admin_client):
        from datetime import date

        from tracker.models import ClinicClosure, centre_details

        christmas = date(2026, 12, 25)
        admin_client.post(
            reverse("admin:tracker_clinicclosure_add"),
            {"day": "2026-12-25", "reason": "Christmas Day"},
        )
        assert centre_details().clinic.is_closed(christmas)
        closure = ClinicClosure.objects.get()
        admin_client.post(
            reverse("admin:tracker_clinicclosure_delete", args=[closure.pk]), {"post": "yes"}
        )
        assert not centre_details().clinic.is_closed(christmas)
