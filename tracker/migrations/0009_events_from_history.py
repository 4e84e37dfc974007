"""Course events for what existing databases already hold, read from the field-level history.

The History page reads course events only; this writes them once for the changes made before
events existed: course starts, Day Zero moves and confirmations, milestones done and reopened,
checklist ticks, blood counts added, corrected and deleted, and portal invitations.
"""

from django.db import migrations

COUNT_FIELDS = ("drawn_on", "anc", "platelets", "platelet_transfusion")


def _person(user):
    if user is None:
        return "system"
    full = f"{user.first_name} {user.last_name}".strip()
    return full or user.username


def _shown(value):
    if value is None or isinstance(value, bool | int):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _ordered(rows):
    return rows.select_related("history_user").order_by("history_id")


def forward(apps, schema_editor):
    CourseEvent = apps.get_model("tracker", "CourseEvent")
    Course = apps.get_model("tracker", "TransplantCourse")
    events = []

    def add(kind, record, *, patient_id, course_id=None, at=None, user=None, **data):
        by = record.history_user if record is not None else user
        events.append(
            CourseEvent(
                patient_id=patient_id,
                course_id=course_id,
                kind=kind,
                at=at or record.history_date,
                by=by,
                by_name=_person(by),
                data=data,
            )
        )

    HistoricalCourse = apps.get_model("tracker", "HistoricalTransplantCourse")
    HistoricalMilestone = apps.get_model("tracker", "HistoricalMilestone")
    HistoricalItem = apps.get_model("tracker", "HistoricalChecklistItem")
    HistoricalCount = apps.get_model("tracker", "HistoricalBloodCount")
    HistoricalPatient = apps.get_model("tracker", "HistoricalPatient")
    DayZeroMove = apps.get_model("tracker", "DayZeroMove")
    ProtocolStep = apps.get_model("tracker", "ProtocolStep")
    titles = {}
    for step in ProtocolStep.objects.all():
        titles[step.pk] = (step.title, bool(step.repeat_every_days))

    def title(record):
        name, repeats = titles.get(record.step_id, (f"Milestone {record.id}", False))
        return f"{name} ({record.occurrence})" if repeats else name

    for course in Course.objects.select_related("protocol", "created_by"):
        patient_id = course.patient_id
        milestone_titles = {}
        planned_milestones = planned_items = 0
        previous = {}
        for record in _ordered(HistoricalMilestone.objects.filter(course_id=course.pk)):
            milestone_titles[record.id] = title(record)
            before, previous[record.id] = previous.get(record.id), record
            if (
                record.history_type == "+"
                and record.history_change_reason == "Planned from protocol"
            ):
                planned_milestones += 1
                continue
            if before is None or record.history_type != "~":
                continue
            if before.completed_on is None and record.completed_on is not None:
                kind = "milestone_computed" if record.computed else "milestone_done"
                add(
                    kind,
                    record,
                    patient_id=patient_id,
                    course_id=course.pk,
                    title=title(record),
                    on=record.completed_on.isoformat(),
                    was_done_on=None,
                )
            elif before.completed_on is not None and record.completed_on is None:
                add(
                    "milestone_reopened",
                    record,
                    patient_id=patient_id,
                    course_id=course.pk,
                    title=title(record),
                    was_done_on=before.completed_on.isoformat(),
                )
            elif before.completed_on != record.completed_on:
                add(
                    "milestone_done",
                    record,
                    patient_id=patient_id,
                    course_id=course.pk,
                    title=title(record),
                    on=record.completed_on.isoformat(),
                    was_done_on=before.completed_on.isoformat(),
                )
        ever = HistoricalMilestone.objects.filter(course_id=course.pk).values("id")
        previous = {}
        for record in _ordered(HistoricalItem.objects.filter(milestone_id__in=ever)):
            before, previous[record.id] = previous.get(record.id), record
            if record.history_type == "+":
                planned_items += record.history_change_reason == "Planned from protocol"
                continue
            if before is None or record.history_type != "~":
                continue
            if (before.checked_at is None) != (record.checked_at is None):
                kind = "item_ticked" if record.checked_at is not None else "item_unticked"
                add(
                    kind,
                    record,
                    patient_id=patient_id,
                    course_id=course.pk,
                    text=record.text,
                    title=milestone_titles.get(record.milestone_id, "a milestone"),
                )
        course_rows = list(_ordered(HistoricalCourse.objects.filter(id=course.pk)))
        first = course_rows[0] if course_rows else None
        add(
            "course_started",
            first,
            patient_id=patient_id,
            course_id=course.pk,
            at=first.history_date if first else course.created_at,
            user=course.created_by,
            protocol=course.protocol.name,
            day_zero=(first or course).day_zero.isoformat(),
            milestones=planned_milestones,
            items=planned_items,
        )
        for before, record in zip(course_rows, course_rows[1:], strict=False):
            if record.day_zero_confirmed and not before.day_zero_confirmed:
                add(
                    "day_zero_confirmed",
                    record,
                    patient_id=patient_id,
                    course_id=course.pk,
                    day_zero=record.day_zero.isoformat(),
                )
        for move in DayZeroMove.objects.filter(course_id=course.pk).select_related("moved_by"):
            add(
                "day_zero_moved",
                None,
                patient_id=patient_id,
                course_id=course.pk,
                at=move.moved_at,
                user=move.moved_by,
                from_date=move.from_date.isoformat(),
                to_date=move.to_date.isoformat(),
                reason=move.reason,
                planned_moved=move.milestones_moved,
                added=0,
                added_items=0,
                unconfirmed=False,
            )
        previous = {}
        for record in _ordered(HistoricalCount.objects.filter(course_id=course.pk)):
            before, previous[record.id] = previous.get(record.id), record
            values = {field: _shown(getattr(record, field)) for field in COUNT_FIELDS}
            if record.history_type == "+":
                add("count_added", record, patient_id=patient_id, course_id=course.pk, **values)
            elif record.history_type == "-":
                add("count_deleted", record, patient_id=patient_id, course_id=course.pk, **values)
            elif before is not None:
                changes = {
                    field: [_shown(getattr(before, field)), _shown(getattr(record, field))]
                    for field in COUNT_FIELDS
                    if getattr(before, field) != getattr(record, field)
                }
                if changes:
                    add(
                        "count_corrected",
                        record,
                        patient_id=patient_id,
                        course_id=course.pk,
                        drawn_on=record.drawn_on.isoformat(),
                        changes=changes,
                    )
    previous = {}
    patients = apps.get_model("tracker", "Patient").objects.values("id")
    for record in _ordered(HistoricalPatient.objects.filter(id__in=patients)):
        before, previous[record.id] = previous.get(record.id), record
        if before is not None and before.user_id is None and record.user_id is not None:
            add(
                "portal_invited",
                record,
                patient_id=record.id,
                username="",
                new_login=True,
                emailed=False,
            )
    CourseEvent.objects.bulk_create(events, batch_size=500)


def backward(apps, schema_editor):
    apps.get_model("tracker", "CourseEvent").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("tracker", "0008_course_events")]

    operations = [migrations.RunPython(forward, backward)]
