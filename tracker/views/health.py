"""`/healthz` for the load balancer and the monitoring (no login), `/favicon.ico`, and the
benchmark's bare view."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@csrf_exempt  # no form and no session: a POST should hear 405, not a CSRF 403
@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the app can reach its database, 503 when it cannot."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.error("Health check: the database cannot be reached")
        return HttpResponse("database unreachable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")


@login_required
def bare(request: HttpRequest) -> HttpResponse:
    """The benchmark's yardstick: "ok" behind the same middleware, for a logged-in user."""
    return HttpResponse("ok")


@csrf_exempt  # no form and no session
@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """The icon, where browsers look for it without asking the page."""
    return HttpResponsePermanentRedirect(static("favicon.svg"))
