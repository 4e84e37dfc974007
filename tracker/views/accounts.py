"""Logging in and resetting a password: Django's views, made safer for a clinic.

- Login: after an htmx action met an ended session (tracker.http.HtmxLoginMiddleware), the
  login page says so, and the page the user returns to says the change was not saved. Wrong
  passwords are throttled by django-axes (settings: AXES_*).
- Password reset: the answer is the same, and as quick, whether or not the address belongs to
  someone: the request only hands the address to a job (tracker.tasks.send_password_reset),
  which looks it up and sends the e-mail; at most PASSWORD_RESET_LIMIT requests a quarter of
  an hour per address and per e-mail are acted on.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.core.cache import cache
from django.http import HttpResponse, HttpResponseRedirect

from tracker.http import UNSAVED_PARAMETER, client_ip

logger = logging.getLogger(__name__)

UNSAVED_NOTICE = "Your session had ended, so your last change was not saved. Please make it again."
RESET_WINDOW_SECONDS = 15 * 60


class LoginView(auth_views.LoginView):
    """After an htmx action met an ended session, the login page says so, and the page the
    user returns to says the change was not saved."""

    def _unsaved(self) -> bool:
        return UNSAVED_PARAMETER in self.request.GET or UNSAVED_PARAMETER in self.request.POST

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "unsaved": self._unsaved()}

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        if self._unsaved():
            messages.warning(self.request, UNSAVED_NOTICE)
        return response


def _over_limit(*keys: str) -> bool:
    """Count this request under each key; True when any key is over the limit."""
    over = False
    for key in keys:
        cache.add(key, 0, RESET_WINDOW_SECONDS)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, RESET_WINDOW_SECONDS)
            count = 1
        over = over or count > settings.PASSWORD_RESET_LIMIT
    return over


class PasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email = form.cleaned_data["email"].strip().lower()
        address = client_ip(self.request)
        digest = hashlib.sha256(email.encode()).hexdigest()
        limited = _over_limit(f"password-reset:ip:{address}", f"password-reset:email:{digest}")
        if limited:
            logger.warning("Password reset rate limit reached (address %s)", address)
            return HttpResponseRedirect(self.get_success_url())
        from tracker.tasks import send_password_reset  # the tasks import the services

        send_password_reset.enqueue(email, self.request.get_host(), self.request.is_secure())
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link to set a password, for an active login only: a closed login (a patient whose
    death was recorded) finds the link no longer valid."""

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None
