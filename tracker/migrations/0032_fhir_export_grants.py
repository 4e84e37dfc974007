"""The care team (coordinators and clinic staff) may export a course as FHIR R4; patients may
not (their own page, calendar and printout are theirs)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GRANTS = {"Coordinator": ["export_fhir"], "Clinic staff": ["export_fhir"]}
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
        raise RuntimeError("The FHIR export permission is missing.")
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


class Migration(migrations.Migration):
    dependencies = [("tracker", "0031_fhir_export_permission")]

    operations = [migrations.RunPython(grant, revoke)]
