"""Logins throttled per user and per address (django-axes); password reset that tells nothing."""

import pytest
from axes.models import AccessAttempt
from axes.utils import reset
from django.core import mail
from django.core.cache import cache
from django.core.signals import request_finished
from django.db import close_old_connections, connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import PASSWORD
from tracker.views.accounts import PasswordResetView

pytestmark = pytest.mark.django_db

LOGIN = reverse("login")
ADMIN_LOGIN = reverse("admin:login")


def attempt(client, username, password, *, url=LOGIN, address="10.0.0.1"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


class TestLoginThrottling:
    def test_thirty_wrong_passwords_then_the_right_one_does_not_get_in(self, client, coordinator):
        for _ in range(30):
            attempt(client, "coordinator", "wrong")
        response = attempt(client, "coordinator", PASSWORD)
        assert response.status_code == 429
        assert "Too many wrong passwords" in response.text
        assert "Try again in 15 minutes." in response.text
        assert f'href="{LOGIN}"' in response.text
        assert "_auth_user_id" not in client.session

    def test_a_few_wrong_passwords_then_the_right_one_gets_in(self, client, coordinator):
        for _ in range(4):
            attempt(client, "coordinator", "wrong")
        assert attempt(client, "coordinator", PASSWORD).status_code == 302

    def test_the_lock_is_per_user_from_any_address(self, client, coordinator):
        for number in range(5):
            attempt(client, "coordinator", "wrong", address=f"10.0.0.{number}")
        assert attempt(client, "coordinator", PASSWORD, address="10.9.9.9").status_code == 429

    def test_the_lock_is_per_address_for_any_user(self, client, coordinator, clinic_staff):
        for number in range(5):
            attempt(client, f"guess{number}", "wrong", address="10.6.6.6")
        assert attempt(client, "nurse", PASSWORD, address="10.6.6.6").status_code == 429
        assert attempt(client, "nurse", PASSWORD, address="10.7.7.7").status_code == 302

    def test_the_admin_login_is_throttled_too(self, client, coordinator):
        coordinator.is_staff = True
        coordinator.save()
        for _ in range(6):
            attempt(client, "coordinator", "wrong", url=ADMIN_LOGIN)
        assert attempt(client, "coordinator", PASSWORD, url=ADMIN_LOGIN).status_code == 429

    def test_an_administrator_can_unlock_a_login(self, client, coordinator):
        for _ in range(6):
            attempt(client, "coordinator", "wrong")
        assert AccessAttempt.objects.filter(username="coordinator").exists()
        reset(username="coordinator")
        reset(ip="10.0.0.1")
        assert attempt(client, "coordinator", PASSWORD).status_code == 302


class TestPasswordReset:
    @pytest.fixture(autouse=True)
    def _fresh_limits(self):
        cache.clear()

    def ask(self, email, address="10.0.0.1"):
        """The view's answer; `.close()` on it, as the server does once it has been sent."""
        request = RequestFactory().post(
            reverse("password_reset"), {"email": email}, REMOTE_ADDR=address
        )
        request._dont_enforce_csrf_checks = True  # as the test client does
        response = PasswordResetView.as_view()(request)
        close = response.close

        def close_in_the_test_transaction():
            # As the test client does: ending the request would close the test's connection.
            request_finished.disconnect(close_old_connections)
            try:
                close()
            finally:
                request_finished.connect(close_old_connections)

        response.close = close_in_the_test_transaction
        return response

    def test_known_and_unknown_addresses_get_the_same_answer(self, coordinator):
        coordinator.email = "casey@example.org"
        coordinator.save()
        known, unknown = self.ask("casey@example.org"), self.ask("nobody@example.org")
        assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])

    def test_the_request_only_hands_the_address_to_a_job(self, coordinator, queued_jobs):
        """Looked up and sent by the worker: the request does the same whether or not the
        address is someone's."""
        coordinator.email = "casey@example.org"
        coordinator.save()
        with CaptureQueriesContext(connection) as request_queries:
            self.ask("casey@example.org").close()
            self.ask("nobody@example.org").close()
        assert mail.outbox == []
        # Nobody's address is looked up in the request.
        assert not [q for q in request_queries if "auth_user" in q["sql"]]
        assert queued_jobs.run() == 2
        assert len(mail.outbox) == 1
        assert mail.outbox[0].to == ["casey@example.org"]

    def test_an_unknown_address_sends_nothing(self):
        self.ask("nobody@example.org").close()
        assert mail.outbox == []

    def test_requests_over_the_limit_are_answered_alike_and_send_nothing(
        self, coordinator, settings
    ):
        coordinator.email = "casey@example.org"
        coordinator.save()
        for _ in range(settings.PASSWORD_RESET_LIMIT):
            self.ask("casey@example.org").close()
        sent = len(mail.outbox)
        over = self.ask("casey@example.org")
        over.close()
        assert over.status_code == 302
        assert len(mail.outbox) == sent == settings.PASSWORD_RESET_LIMIT

    def test_the_limit_counts_per_address_too(self, coordinator, settings):
        coordinator.email = "casey@example.org"
        coordinator.save()
        for number in range(settings.PASSWORD_RESET_LIMIT):
            self.ask(f"someone{number}@example.org", address="10.5.5.5").close()
        self.ask("casey@example.org", address="10.5.5.5").close()
        assert mail.outbox == []

    def test_the_page_works_through_the_client(self, client):
        response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
        assert response.status_code == 302
        assert response.url == reverse("password_reset_done")
