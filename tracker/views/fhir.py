"""A course as a FHIR R4 Bundle, downloaded by the care team (tracker.fhir does the work)."""

from __future__ import annotations

import json
import logging
from uuid import UUID

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from tracker import clock
from tracker.access import get_course_for, require
from tracker.fhir.course import export_course
from tracker.fhir.validate import InvalidResource
from tracker.http import AuthenticatedRequest

logger = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json; charset=utf-8"


@require_GET
@login_required
def course_fhir(request: AuthenticatedRequest, code: UUID) -> HttpResponse:
    """The course's Bundle (type collection) as a file; the export is a course event."""
    course = get_course_for(request.user, code)
    require(request.user, "export_fhir")
    try:
        export = export_course(course, by=request.user, how="download")
    except InvalidResource:
        logger.exception("FHIR export of course %s failed its R4 check", course.code)
        return HttpResponse(
            "This course could not be exported: a record did not pass the FHIR R4 check, so "
            "nothing was handed over. Please tell the administrator (the details are in the "
            "server log).",
            status=500,
            content_type="text/plain; charset=utf-8",
        )
    bundle = export.bundle(clock.now())
    response = HttpResponse(
        json.dumps(bundle, ensure_ascii=False, separators=(",", ":")), content_type=FHIR_JSON
    )
    filename = f"course-{course.code}-{clock.today().isoformat()}.fhir.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
