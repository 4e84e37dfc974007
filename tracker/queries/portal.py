"""What a patient may see of their courses."""

from __future__ import annotations

from collections.abc import Iterable

from tracker.models import Milestone, TransplantCourse


def patient_milestones(courses: Iterable[TransplantCourse]) -> list[Milestone]:
    """The milestones of these courses (a list or a queryset) the patient may see, by date."""
    return list(
        Milestone.objects.for_patient()
        .filter(course__in=courses)
        .select_related("step", "course")
        .order_by("due_date", "step__position", "occurrence")
    )
