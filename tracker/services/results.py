"""Lab results on a course (chimerism, CMV PCR, CD4, IgG): add and delete, audited."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from tracker.models import CourseEvent, EventKind, LabResult, TransplantCourse
from tracker.models.events import event, record
from tracker.rules.lab_results import Analyte
from tracker.services.courses import lock_course
from tracker.services.immunity import replan_immune_recovery


def _data(result: LabResult) -> dict[str, Any]:
    return {
        "result": str(result.code),
        "drawn_on": result.drawn_on.isoformat(),
        "analyte": result.analyte,
        "test": result.spec.name,
        "shown": result.shown,
    }


@transaction.atomic
def record_results(
    *, course: TransplantCourse, rows: list[dict[str, Any]], by: User
) -> list[LabResult]:
    """Save validated results (drawn_on, analyte, value, undetected) all at once."""
    course = lock_course(course)
    results = [LabResult(course=course, entered_by=by, **row) for row in rows]
    for result in results:
        result.full_clean(exclude=["course", "entered_by"])
    bulk_create_with_history(results, LabResult, default_user=by)
    CourseEvent.objects.bulk_create(
        event(EventKind.RESULT_ADDED, by=by, course=course, **_data(result)) for result in results
    )
    if any(result.analyte == Analyte.CD4 for result in results):
        replan_immune_recovery(course, by=by, why="CD4 count recorded")  # the PJP rule
    return results


@transaction.atomic
def delete_result(*, result: LabResult, by: User) -> None:
    """Delete a result (a second delete of the same result changes nothing)."""
    course = lock_course(result.course)
    fresh = LabResult.objects.filter(pk=result.pk).first()
    if fresh is None:
        return
    record(EventKind.RESULT_DELETED, by=by, course=course, **_data(fresh))
    fresh._history_user = by  # type: ignore[attr-defined]
    fresh.delete()
    if fresh.analyte == Analyte.CD4:
        replan_immune_recovery(course, by=by, why="CD4 count deleted")  # the PJP rule
