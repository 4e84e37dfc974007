"""Coordinators end and reopen courses; clinic staff and patients do not."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

CODENAMES = ["end_course"]
GROUPS = ["Coordinator"]


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
        raise RuntimeError("The end-of-course permission is missing.")
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(
        content_type__app_label="tracker", codename__in=CODENAMES
    )
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("tracker", "0022_course_life")]

    operations = [migrations.RunPython(grant, revoke)]
