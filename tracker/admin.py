"""The centre administrator's protocol library, patient records and logins.

Courses and milestones are not edited here: their dates hang off Day Zero and change only
through the services that re-plan and audit them.
"""

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from tracker.models import Centre, ClinicClosure, Patient, Protocol, ProtocolStep
from tracker.models.centre import WEEKDAYS, forget_centre, weekdays_from

if TYPE_CHECKING:  # the stubs' admin classes are generic; Django's own are not subscriptable
    from django.contrib.auth.models import User

    StepInline = admin.StackedInline[ProtocolStep, Protocol]
    BaseUserAdmin = DjangoUserAdmin[User]
else:
    StepInline = admin.StackedInline
    BaseUserAdmin = DjangoUserAdmin


class ProtocolStepInline(StepInline):
    model = ProtocolStep
    extra = 0
    fields = [
        ("key", "title", "position"),
        ("day", "months"),
        ("window_before", "window_after"),
        ("repeat_every_days", "repeat_until_day"),
        ("vaccine", "dose", "chained_words"),
        ("seasons", "chronic_gvhd", "stop_rule"),
        "audience",
        "patient_title",
        "patient_text",
        "at_clinic",
        "checklist",
        "retired",
    ]
    readonly_fields = ["chained_words"]

    @admin.display(description="Follows the dose before")
    def chained_words(self, step: ProtocolStep) -> str:
        return step.chained_words or "—"


@admin.register(Protocol)
class ProtocolAdmin(SimpleHistoryAdmin):  # type: ignore[misc]  # simple-history is untyped
    list_display = ["name", "slug", "kind", "phase_set", "graft_source", "is_active", "is_research"]
    list_filter = ["kind", "phase_set", "is_active", "is_research"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ProtocolStepInline]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if change:  # course pages kept in the cache show the edited protocol
            form.instance.count_edit()


@admin.register(ProtocolStep)
class ProtocolStepAdmin(SimpleHistoryAdmin):  # type: ignore[misc]  # simple-history is untyped
    list_display = [
        "title",
        "protocol",
        "day",
        "months",
        "repeat_every_days",
        "vaccine",
        "dose",
        "audience",
        "retired",
    ]
    list_filter = ["protocol", "audience", "vaccine", "retired"]
    readonly_fields = ["chained_words"]

    @admin.display(description="Follows the dose before")
    def chained_words(self, step: ProtocolStep) -> str:
        return step.chained_words or "—"

    search_fields = ["title", "key"]

    def save_model(self, request: HttpRequest, obj: ProtocolStep, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        obj.protocol.count_edit()  # course pages kept in the cache show the edited step


@admin.register(Patient)
class PatientAdmin(SimpleHistoryAdmin):  # type: ignore[misc]  # simple-history is untyped
    list_display = ["mrn", "family_name", "given_name", "date_of_birth", "user"]
    search_fields = ["mrn", "family_name", "given_name"]
    raw_id_fields = ["user"]


class CentreForm(forms.ModelForm):  # type: ignore[type-arg]
    closed_weekdays = forms.TypedMultipleChoiceField(
        label="Clinic closed on",
        choices=list(enumerate(WEEKDAYS)),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Clinic visits planned on these days move to the nearest open day inside "
        "their window, for courses started or re-planned from now on.",
    )

    class Meta:
        model = Centre
        fields = [
            "name",
            "day_phone",
            "day_hours",
            "out_of_hours_phone",
            "address",
            "closed_weekdays",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initial["closed_weekdays"] = sorted(weekdays_from(self.instance.closed_weekdays))

    def clean_closed_weekdays(self) -> str:
        return ",".join(str(day) for day in sorted(self.cleaned_data["closed_weekdays"]))


@admin.register(Centre)
class CentreAdmin(SimpleHistoryAdmin):  # type: ignore[misc]  # simple-history is untyped
    """The centre's details for patients and its clinic days: one row."""

    form = CentreForm
    list_display = ["name", "day_phone", "out_of_hours_phone"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not Centre.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Centre, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        forget_centre()


@admin.register(ClinicClosure)
class ClinicClosureAdmin(SimpleHistoryAdmin):  # type: ignore[misc]  # simple-history is untyped
    """Holidays: clinic visits planned on them move to an open day of their window."""

    list_display = ["day", "reason"]
    date_hierarchy = "day"

    def save_model(self, request: HttpRequest, obj: ClinicClosure, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        forget_centre()

    def delete_model(self, request: HttpRequest, obj: ClinicClosure) -> None:
        super().delete_model(request, obj)
        forget_centre()

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ClinicClosure]) -> None:
        super().delete_queryset(request, queryset)
        forget_centre()


admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class UserAdmin(BaseUserAdmin):
    """Logins are deactivated, never deleted: their names stay on every record they made."""

    actions = ["deactivate"]
    list_display = ["username", "first_name", "last_name", "is_active", "is_staff", "last_login"]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Deactivate the selected logins (they can no longer log in)")
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = queryset.filter(is_active=True).update(is_active=False)
        self.message_user(request, f"{count} login{'s' if count != 1 else ''} deactivated.")
