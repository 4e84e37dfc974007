"""Who may do what on the care team's pages; portal invitations; login, passwords, sessions."""

import re

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD, PatientFactory, UserFactory
from tracker.models import ChecklistItem, DayZeroMove, Patient

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}


class TestClinicStaff:
    def test_cannot_move_day_zero_and_sees_no_control(self, staff_client, course):
        url = reverse("day_zero_move", args=[course.code])
        response = staff_client.post(url, {"day_zero": "2026-11-24", "reason": "x", "confirm": "1"})
        assert response.status_code == 403
        assert not DayZeroMove.objects.exists()
        assert url not in staff_client.get(course.get_absolute_url()).text

    def test_cannot_confirm_day_zero(self, staff_client, course):
        response = staff_client.post(reverse("day_zero_confirm", args=[course.code]))
        assert response.status_code == 403
        course.refresh_from_db()
        assert not course.day_zero_confirmed

    def test_cannot_register_patients_or_start_courses(self, staff_client, patient):
        assert staff_client.get(reverse("patient_create")).status_code == 403
        assert staff_client.get(reverse("course_start", args=[patient.code])).status_code == 403

    def test_ticks_checklists_and_completes_visits(self, staff_client, clinic_staff, course, today):
        item = ChecklistItem.objects.filter(milestone__course=course).first()
        staff_client.post(reverse("checklist_toggle", args=[item.code]), {"checked": "1"})
        milestone = course.milestones.get(step__key="infusion")
        staff_client.post(
            reverse("milestone_complete", args=[milestone.code]), {"completed_on": "2026-11-21"}
        )
        item.refresh_from_db()
        milestone.refresh_from_db()
        assert item.checked_by == clinic_staff
        assert milestone.completed_by == clinic_staff

    def test_sees_the_timeline_and_the_patient_list(self, staff_client, course):
        assert staff_client.get(course.get_absolute_url()).status_code == 200
        assert staff_client.get(reverse("patient_list")).status_code == 200


class TestPatientCannotChangeClinicalData:
    def test_cannot_complete_a_milestone(self, patient_client, course):
        milestone = course.milestones.get(step__key="infusion")
        response = patient_client.post(
            reverse("milestone_complete", args=[milestone.code]), {"completed_on": "2026-11-21"}
        )
        assert response.status_code == 403

    def test_cannot_move_day_zero(self, patient_client, course):
        response = patient_client.post(
            reverse("day_zero_move", args=[course.code]),
            {"day_zero": "2026-11-24", "reason": "x", "confirm": "1"},
        )
        assert response.status_code == 403


class TestHome:
    def test_care_team_lands_on_today(self, coordinator_client, staff_client):
        assert coordinator_client.get("/").url == reverse("today")

    def test_patient_lands_on_their_page(self, patient_client):
        assert patient_client.get("/").url == reverse("my_page")

    def test_a_user_without_a_role_is_told_to_ask_for_one(self, client):
        client.force_login(UserFactory())
        response = client.get("/")
        assert response.status_code == 403
        assert "Ask your centre's administrator" in response.text


class TestInvite:
    def url(self, patient):
        return reverse("patient_invite", args=[patient.code])

    @pytest.fixture
    def uninvited(self, db):
        return PatientFactory(given_name="Grace", family_name="Hopper", mrn="MRN-555")

    def test_clinic_staff_may_not_invite(self, staff_client, uninvited):
        assert staff_client.post(self.url(uninvited)).status_code == 403
        uninvited.refresh_from_db()
        assert uninvited.user is None

    def test_unknown_patient_is_not_found(self, coordinator_client):
        import uuid

        url = reverse("patient_invite", args=[uuid.uuid4()])
        assert coordinator_client.post(url).status_code == 404

    def test_makes_a_login_and_a_one_time_link_to_set_a_password(
        self, coordinator_client, client, uninvited
    ):
        response = coordinator_client.post(self.url(uninvited), {"email": ""}, headers=HX)
        assert response.text.lstrip().startswith('<section id="invite"')
        uninvited.refresh_from_db()
        user = uninvited.user
        assert user.username == "patient-mrn-555"
        assert not user.has_usable_password()
        assert user.groups.filter(name="Patient").exists()
        link = re.search(r'id="invite-link" type="text" readonly value="([^"]+)"', response.text)
        assert link
        assert mail.outbox == []

        # The patient opens the link, chooses a password and can log in.
        client.logout()
        form_page = client.get(link.group(1), follow=True)
        assert "Choose your password" in form_page.text
        set_url = form_page.redirect_chain[-1][0]
        done = client.post(
            set_url, {"new_password1": "a-long-new-secret", "new_password2": "a-long-new-secret"}
        )
        assert done.status_code == 302
        logged_in = client.post(
            reverse("login"), {"username": "patient-mrn-555", "password": "a-long-new-secret"}
        )
        assert logged_in.status_code == 302
        # The link worked once.
        client.logout()
        assert "This link no longer works" in client.get(link.group(1), follow=True).text

    def test_emails_the_link_when_an_address_is_given(
        self, coordinator_client, uninvited, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            coordinator_client.post(self.url(uninvited), {"email": "grace@example.org"})
        assert len(mail.outbox) == 1
        assert mail.outbox[0].to == ["grace@example.org"]
        assert "/accounts/password/reset/" in mail.outbox[0].body

    def test_an_email_too_long_to_store_is_a_form_error(
        self, coordinator_client, uninvited, django_capture_on_commit_callbacks
    ):
        address = "a" * 64 + "@" + ".".join(["b" * 60] * 4) + ".org"
        assert len(address) > 254
        with django_capture_on_commit_callbacks(execute=True):
            response = coordinator_client.post(self.url(uninvited), {"email": address})
        assert response.status_code == 200
        assert "at most 254 characters" in response.text
        uninvited.refresh_from_db()
        assert uninvited.user is None
        assert mail.outbox == []

    def test_a_bad_email_is_explained_and_nothing_is_made(self, coordinator_client, uninvited):
        response = coordinator_client.post(self.url(uninvited), {"email": "not-an-address"})
        assert "Enter a valid email address." in response.text
        uninvited.refresh_from_db()
        assert uninvited.user is None

    def test_reinviting_after_the_login_was_unlinked_makes_a_new_login(
        self, coordinator_client, uninvited
    ):
        coordinator_client.post(self.url(uninvited))
        Patient.objects.filter(pk=uninvited.pk).update(user=None)  # as an admin might
        response = coordinator_client.post(self.url(uninvited))
        assert response.status_code == 200
        uninvited.refresh_from_db()
        assert uninvited.user.username == "patient-mrn-555-2"

    def test_inviting_again_keeps_the_same_login(self, coordinator_client, uninvited):
        coordinator_client.post(self.url(uninvited))
        first = Patient.objects.get(pk=uninvited.pk).user
        coordinator_client.post(self.url(uninvited))
        assert Patient.objects.get(pk=uninvited.pk).user == first


class TestAccounts:
    def test_password_change_needs_login(self, client):
        response = client.get(reverse("password_change"))
        assert response.url.startswith(reverse("login"))

    def test_password_change(self, coordinator_client, coordinator):
        response = coordinator_client.post(
            reverse("password_change"),
            {
                "old_password": PASSWORD,
                "new_password1": "another-long-secret",
                "new_password2": "another-long-secret",
            },
        )
        assert response.url == reverse("password_change_done")
        coordinator.refresh_from_db()
        assert coordinator.check_password("another-long-secret")

    def test_password_reset_sends_an_email(self, client, coordinator):
        coordinator.email = "casey@example.org"
        coordinator.save()
        client.post(reverse("password_reset"), {"email": "casey@example.org"})
        assert len(mail.outbox) == 1
        assert "choose a new password" in mail.outbox[0].body

    def test_logout_needs_post_and_ends_the_session(self, coordinator_client):
        assert coordinator_client.get(reverse("logout")).status_code == 405
        coordinator_client.post(reverse("logout"))
        assert coordinator_client.get(reverse("patient_list")).status_code == 302
