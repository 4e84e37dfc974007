"""A course's history: its course events (and its patient's), newest first, by kind."""

from __future__ import annotations

from django.db.models import QuerySet

from tracker.models import CourseEvent, EventKind, TransplantCourse


def course_events(course: TransplantCourse, *, kind: str = "") -> QuerySet[CourseEvent]:
    """The events the History page shows; `kind` one of EventKind, or "" for all."""
    events = CourseEvent.objects.for_course(course)
    if kind in EventKind.values:
        events = events.filter(kind=kind)
    return events
