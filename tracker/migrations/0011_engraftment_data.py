"""Engraftment by graft source, daily counts, and who may enter lab results.

- A protocol that had a graft failure day tracks engraftment; its day becomes the centre's
  override only where it differs from the day its graft source gives (Day +30 marrow and
  blood stem cells, Day +42 cord blood), so a course follows its own graft source.
- Each protocol's daily blood counts step is done by the counts entered that day.
- Coordinators and clinic staff enter and delete lab results; patients don't.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

BY_GRAFT_SOURCE = {"bone_marrow": 30, "pbsc": 30, "cord_blood": 42}
CODENAMES = ["view_labresult", "add_labresult", "change_labresult", "delete_labresult"]
GROUPS = ["Coordinator", "Clinic staff"]


def engraftment(apps, schema_editor):
    Protocol = apps.get_model("tracker", "Protocol")
    for protocol in Protocol.objects.filter(graft_failure_day__isnull=False):
        protocol.tracks_engraftment = True
        if BY_GRAFT_SOURCE.get(protocol.graft_source) == protocol.graft_failure_day:
            protocol.graft_failure_day = None
        protocol.save(update_fields=["tracks_engraftment", "graft_failure_day"])
    ProtocolStep = apps.get_model("tracker", "ProtocolStep")
    ProtocolStep.objects.filter(key="daily-blood-counts").update(done_by_counts=True)


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
        raise RuntimeError("Lab result permissions are missing.")
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(*permissions)


def forward(apps, schema_editor):
    engraftment(apps, schema_editor)
    grant(apps, schema_editor)


def backward(apps, schema_editor):
    Protocol = apps.get_model("tracker", "Protocol")
    for protocol in Protocol.objects.filter(tracks_engraftment=True):
        if protocol.graft_failure_day is None:
            protocol.graft_failure_day = BY_GRAFT_SOURCE.get(protocol.graft_source, 30)
            protocol.save(update_fields=["graft_failure_day"])


class Migration(migrations.Migration):
    dependencies = [("tracker", "0010_engraftment_and_lab_results")]

    operations = [migrations.RunPython(forward, backward)]
