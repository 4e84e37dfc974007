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
