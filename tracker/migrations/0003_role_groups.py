"""Create the Coordinator, Clinic staff and Patient groups with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP_PERMISSIONS = {
    "Coordinator": [
        "view_patient",
        "view_transplantcourse",
        "view_milestone",
        "view_checklistitem",
        "view_protocol",
        "view_protocolstep",
        "view_course_history",
        "complete_milestone",
        "tick_checklistitem",
        "add_patient",
        "change_patient",
        "add_transplantcourse",
        "move_day_zero",
        "confirm_day_zero",
        "invite_patient",
        "manage_calendar_feed",
    ],
    "Clinic staff": [
        "view_patient",
        "view_transplantcourse",
        "view_milestone",
        "view_checklistitem",
        "view_protocol",
        "view_protocolstep",
        "view_course_history",
        "complete_milestone",
        "tick_checklistitem",
    ],
    "Patient": [],
}


def create_groups(apps, schema_editor):
    # Permissions are normally made after all migrations; make them now so groups can hold them.
    for app_config in apps.get_app_configs():
        models_module = getattr(app_config, "models_module", None)
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        permissions = Permission.objects.filter(
            content_type__app_label="tracker", codename__in=codenames
        )
        missing = set(codenames) - set(permissions.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Permissions missing for group {name}: {sorted(missing)}")
        group.permissions.set(permissions)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUP_PERMISSIONS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tracker", "0002_roles_and_feed"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
