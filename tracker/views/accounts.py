"""Logging in and resetting a password: Django's views, made safer for a clinic.

- Login: after an htmx action met an ended session (tracker.http.HtmxLoginMiddleware), the
  login page says so, and the page the user returns to says the change was not saved. Wrong
  passwords are throttled by django-axes (settings: AXES_*).
- Password reset: the answer is the same, and as quick, whether or not the address belongs to
  someone: the e-mail is made and sent after the response has gone, and at most
  PASSWORD_RESET_LIMIT requests a quarter of an hour per address and per e-mail are acted on.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
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


class _RedirectThen(HttpResponseRedirect):
    """A redirect that does some work once it has been sent (the server closes it then)."""

    def __init__(self, url: str, *, then: Callable[[], object] | None = None) -> None:
        super().__init__(url)
        self.then = then

    def close(self) -> None:
        # Before the base close, which ends the request (and may close its database connection).
        if self.then is not None:
            work, self.then = self.then, None
            work()
        super().close()


class PasswordResetView(auth_views.PasswordResetView):
    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        email = form.cleaned_data["email"].strip().lower()
        address = client_ip(self.request)
        digest = hashlib.sha256(email.encode()).hexdigest()
        limited = _over_limit(f"password-reset:ip:{address}", f"password-reset:email:{digest}")
        if limited:
            logger.warning("Password reset rate limit reached (address %s)", address)
            return _RedirectThen(self.get_success_url())
        options = {
            "use_https": self.request.is_secure(),
            "token_generator": self.token_generator,
            "from_email": self.from_email,
            "email_template_name": self.email_template_name,
            "subject_template_name": self.subject_template_name,
            "request": self.request,
            "html_email_template_name": self.html_email_template_name,
            "extra_email_context": self.extra_email_context,
        }
        # After the response has gone: looking the address up and sending the e-mail then take
        # no time the asker can see, whether or not the address belongs to someone.
        return _RedirectThen(self.get_success_url(), then=lambda: form.save(**options))


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link to set a password, for an active login only: a closed login (a patient whose
    death was recorded) finds the link no longer valid."""

    def get_user(self, uidb64: str) -> Any:
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None
