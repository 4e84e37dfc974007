"""The centre administrator's protocol library, and patient records.

Courses and milestones are not edited here: their dates hang off Day Zero and change only
through the services that re-plan and audit them.
"""

from typing import TYPE_CHECKING

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from tracker.models import Patient, Protocol, ProtocolStep

if TYPE_CHECKING:  # the stubs' admin classes are generic; Django's own are not subscriptable
    StepInline = admin.StackedInline[ProtocolStep, Protocol]
else:
    StepInline = admin.StackedInline


class ProtocolStepInline(StepInline):
    model = ProtocolStep
    extra = 0
    fields = [
        ("key", "title", "position"),
        ("day", "months"),
        ("window_before", "window_after"),
        ("repeat_every_days", "repeat_until_day"),
        "audience",
        "patient_text",
        "checklist",
    ]


@admin.register(Protocol)
class ProtocolAdmin(SimpleHistoryAdmin):  # type: ignore[misc]  # simple-history is untyped
    list_display = ["name", "slug", "kind", "graft_source", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ProtocolStepInline]


@admin.register(ProtocolStep)
class ProtocolStepAdmin(SimpleHistoryAdmin):  # type: ignore[misc]  # simple-history is untyped
    list_display = ["title", "protocol", "day", "months", "repeat_every_days", "audience"]
    list_filter = ["protocol", "audience"]
    search_fields = ["title", "key"]


@admin.register(Patient)
class PatientAdmin(SimpleHistoryAdmin):  # type: ignore[misc]  # simple-history is untyped
    list_display = ["mrn", "family_name", "given_name", "date_of_birth", "user"]
    search_fields = ["mrn", "family_name", "given_name"]
    raw_id_fields = ["user"]
