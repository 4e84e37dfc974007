"""Typed requests for views, the role decorator, and what htmx needs from the HTTP layer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.contrib.auth.models import User
from django.core.exceptions import BadRequest
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import resolve_url
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django_htmx.middleware import HtmxDetails

from tracker import clock

logger = logging.getLogger(__name__)


class Request(HttpRequest):
    """Any request, as django-htmx's middleware leaves it."""

    htmx: HtmxDetails


class AuthenticatedRequest(Request):
    """A request behind @login_required: the user is a real login."""

    user: User


def client_ip(request: HttpRequest) -> str:
    """The address of the person asking: behind PROXY_COUNT proxies that each append to
    X-Forwarded-For, the one the outermost proxy saw; else the connecting address.

    Only addresses appended by our own proxies are trusted: a client can put anything at the
    start of X-Forwarded-For, never at its end.
    """
    remote = str(request.META.get("REMOTE_ADDR", ""))
    count = int(settings.PROXY_COUNT)
    header = str(request.META.get("HTTP_X_FORWARDED_FOR", ""))
    forwarded = [a.strip() for a in header.split(",")]
    forwarded = [address for address in forwarded if address]
    if count <= 0 or len(forwarded) < count:
        return remote
    return forwarded[-count]


def role_required(permission: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """403 for a logged-in user without the permission (put @login_required above it)."""
    return permission_required(f"tracker.{permission}", raise_exception=True)


# The login page says this when an htmx action came in after the session had ended.
UNSAVED_PARAMETER = "unsaved"


def _page_of(request: HttpRequest, address: str | None) -> str:
    """The page the browser shows, as a local path; else the home page."""
    current = address or ""
    parts = urlsplit(current)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    allowed = {request.get_host()}
    if path and url_has_allowed_host_and_scheme(current, allowed, request.is_secure()):
        return path
    return resolve_url("home")


class HtmxLoginMiddleware:
    """A request whose session has ended goes to the login page and back to the page it came
    from, never to the action's address, and the page after login says what was lost.

    Left alone, htmx would follow the redirect inside the XHR and swap the login form into the
    timeline; a plain form post would come back after login as a GET of a POST-only address.
    htmx is told to load the login page (HX-Redirect, `next` the page htmx says it is on); a
    plain post is redirected with `next` the page that sent it (Referer, when it is ours).
    Either way a changing request adds a flag, so the page after login says it was not saved.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        htmx = getattr(request, "htmx", None)
        changing = request.method not in ("GET", "HEAD")
        if request.user.is_authenticated or not (htmx or changing):
            return response
        login_url = resolve_url(settings.LOGIN_URL)
        location = response.get("Location", "") if response.status_code == 302 else ""
        # Only the redirect @login_required makes (it carries `next`), not a logout's.
        if not location.startswith(login_url) or "next=" not in location:
            return response
        page = _page_of(request, htmx.current_url if htmx else request.headers.get("Referer"))
        query = {"next": page}
        if changing:
            query[UNSAVED_PARAMETER] = "1"
        if not htmx:
            response["Location"] = f"{login_url}?{urlencode(query)}"
            return response
        redirect = HttpResponse(status=204)
        redirect["HX-Redirect"] = f"{login_url}?{urlencode(query)}"
        return redirect


class BadRequestBodyMiddleware:
    """A form body that is not UTF-8 is the sender's mistake: a plain 400 page, not an error.

    Django refuses to read such a form only when a view (or the CSRF check) first touches
    request.POST, deep inside the stack, and logs it with a traceback. Reading the form here,
    first, answers with a page that says what to do, and logs one line.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST":
            try:
                request.POST  # noqa: B018 (parse now, to answer a bad body with a 400)
                for key in request.POST:
                    request.POST.getlist(key)
            except (UnicodeDecodeError, BadRequest):
                logger.warning("Bad request body: %s %s", request.method, request.path)
                response = TemplateResponse(request, "400.html", status=400)
                response.render()
                return response
        return self.get_response(request)


def bad_request(message: str) -> HttpResponse:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


class HeadersMiddleware:
    """Headers every answer carries: Permissions-Policy, and no-store on the app's pages.

    Patient data must not come back from a shared ward PC's history or cache after logout, so
    every page the app renders (not the static files WhiteNoise serves before this) is
    `Cache-Control: no-store` unless a view said otherwise.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        if "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "no-store"
        return response


class IdleSessionMiddleware:
    """Sessions end after SESSION_IDLE_MINUTES without a request, without a write each time.

    Saving a session restarts its expiry; this saves it at most once every
    SESSION_TOUCH_SECONDS, so a busy ward's page views are reads, not writes.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is None or session is None or not user.is_authenticated:
            return response
        now = int(clock.now().timestamp())
        if now - int(session.get("touched", 0)) >= settings.SESSION_TOUCH_SECONDS:
            session["touched"] = now
        return response
