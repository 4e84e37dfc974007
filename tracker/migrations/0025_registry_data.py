"""Every transplant course gets its registry forms (dated by the centre's rules, closed by a
later transplant or a death already recorded); coordinators and clinic staff change their
status."""

from django.conf import settings
from django.contrib.auth.management import create_permissions
from django.db import migrations

from tracker.rules import registry as rules

GRANTS = {
    "Coordinator": ["change_registry_status", "view_registryreport"],
    "Clinic staff": ["change_registry_status", "view_registryreport"],
}
CODENAMES = sorted({codename for codenames in GRANTS.values() for codename in codenames})


def grant(apps, schema_editor):
    app_config = apps.get_app_config("tracker")
    models_module = getattr(app_config, "models_module", None)
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = list(
        Permission.objects.filter(content_type__app_label="tracker", codename__in=CODENAMES)
    )
    if len(permissions) != len(CODENAMES):
        raise RuntimeError("The registry permissions are missing.")
    for group in Group.objects.filter(name__in=GRANTS):
        group.permissions.add(*(p for p in permissions if p.codename in GRANTS[group.name]))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="tracker", codename__in=CODENAMES
    )
    for group in Group.objects.filter(name__in=GRANTS):
        group.permissions.remove(*permissions)


def plan(apps, schema_editor):
    """The forms of the courses there are, 200 courses at a time."""
    Course = apps.get_model("tracker", "TransplantCourse")
    Report = apps.get_model("tracker", "RegistryReport")
    courses = Course.objects.exclude(kind="procedure").order_by("pk")
    for course in courses.iterator(chunk_size=200):
        forms = rules.registry_forms(course.day_zero, settings.REGISTRY_RULES)
        ends = [course.superseded_on, course.ended_on if course.end_reason == "died" else None]
        contact = min((day for day in ends if day is not None), default=None)
        closing = rules.closing_form(forms, contact) if contact else None
        not_required = set(rules.not_required_after(forms, contact)) if contact else set()
        Report.objects.bulk_create(
            Report(
                course=course,
                key=form.key,
                position=position,
                target=form.target,
                window_start=form.window_start,
                window_end=form.window_end,
                due=form.due,
                status="not_required" if form.key in not_required else "not_started",
                closed_by_course=form.key in not_required,
                last_contact_on=contact if closing and form.key == closing.key else None,
            )
            for position, form in enumerate(forms)
        )


def unplan(apps, schema_editor):
    apps.get_model("tracker", "RegistryReport").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("tracker", "0024_registry")]

    operations = [migrations.RunPython(grant, revoke), migrations.RunPython(plan, unplan)]
