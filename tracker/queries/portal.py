"""What a patient may see of their courses."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import OuterRef, Subquery, Sum

from tracker.models import CourseEvent, Milestone, Patient, TransplantCourse


def patient_milestones(courses: Iterable[TransplantCourse]) -> list[Milestone]:
    """The milestones of these courses (a list or a queryset) the patient may see, by date."""
    return list(
        Milestone.objects.for_patient()
        .filter(course__in=courses)
        .select_related("step", "course__protocol")
        .order_by("due_date", "step__position", "occurrence")
    )


def feed_patient(token: str) -> Patient | None:
    """The patient whose calendar address this is, with what their feed's cache key needs in
    the same query: their last event (every change to their courses writes one) and the sum of
    their protocols' revisions (an edited step text)."""
    last_event = CourseEvent.objects.filter(patient=OuterRef("pk")).order_by("-pk")
    revisions = (
        TransplantCourse.objects.filter(patient=OuterRef("pk"))
        .order_by()
        .values("patient")
        .annotate(total=Sum("protocol__revision"))
        .values("total")
    )
    return (
        Patient.objects.filter(feed_token=token)
        .annotate(
            last_event_pk=Subquery(last_event.values("pk")[:1]),
            last_event_at=Subquery(last_event.values("at")[:1]),
            protocol_revisions=Subquery(revisions),
        )
        .first()
    )
