"""Logging in: Django's view, plus a word when an action was lost to an ended session."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpResponse

from tracker.http import UNSAVED_PARAMETER

UNSAVED_NOTICE = "Your session had ended, so your last change was not saved. Please make it again."


class LoginView(auth_views.LoginView):
    """After an htmx action met an ended session (see tracker.http.HtmxLoginMiddleware), the
    login page says so, and the page the user returns to says the change was not saved."""

    def _unsaved(self) -> bool:
        return UNSAVED_PARAMETER in self.request.GET or UNSAVED_PARAMETER in self.request.POST

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {**super().get_context_data(**kwargs), "unsaved": self._unsaved()}

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        if self._unsaved():
            messages.warning(self.request, UNSAVED_NOTICE)
        return response
