"""Forms: they read and validate input; writes happen in models and services."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import pluralize

from tracker import clock
from tracker.models import (
    ANALYTE_CHOICES,
    AcuteGvhdAssessment,
    BilirubinUnit,
    BloodCount,
    DonorType,
    EventKind,
    GraftSource,
    Immunosuppression,
    Kind,
    LabResult,
    Patient,
    Protocol,
    RegistryReport,
    TransplantCourse,
    Vaccine,
    normalise_mrn,
)
from tracker.models.choices import EndReason, FollowReason, FormStatus, InfusionKind
from tracker.queries import followup, recovery, registry
from tracker.rules import gvhd, lab_results
from tracker.rules import pasted_counts as counts
from tracker.rules.schedule import Phase

OLDEST_BIRTH_YEAR = 1900
DAY_ZERO_MAX_DAYS_AHEAD = 365
DAY_ZERO_MAX_YEARS_BACK = 30

if TYPE_CHECKING:  # the stubs' ModelForm is generic; Django's own is not subscriptable
    PatientModelForm = forms.ModelForm[Patient]
    BloodCountModelForm = forms.ModelForm[BloodCount]
    AcuteGvhdModelForm = forms.ModelForm[AcuteGvhdAssessment]
    CourseModelForm = forms.ModelForm[TransplantCourse]
else:
    PatientModelForm = BloodCountModelForm = AcuteGvhdModelForm = CourseModelForm = forms.ModelForm


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


# Characters nobody means to type in a name: bidirectional controls (LRM, RLM, embeddings,
# overrides, isolates: they reverse the app's own sentences around the name), zero-width
# characters (they make "Bob" and "Bo\u200bb" two people) and control characters. Names are
# kept without them; pages also show names isolated in <bdi>.
INVISIBLE = dict.fromkeys(
    [
        *range(0x00, 0x20),
        *range(0x7F, 0xA0),
        0x061C,
        *range(0x200B, 0x2010),
        *range(0x202A, 0x202F),
        *range(0x2060, 0x2065),
        *range(0x2066, 0x206A),
        0xFEFF,
    ]
)
UNREADABLE = "\ufffd"  # what a browser or a copy sends for a character it could not encode


def plain_name(text: str) -> str:
    """A name without invisible characters, its spaces tidied; refused if part is unreadable."""
    if UNREADABLE in text:
        raise ValidationError(
            "Part of the name could not be read (it shows as �): type the name again."
        )
    return " ".join(text.translate(INVISIBLE).split())


class PatientForm(PatientModelForm):
    class Meta:
        model = Patient
        fields = ["mrn", "given_name", "family_name", "date_of_birth"]
        widgets = {"date_of_birth": DateInput()}
        help_texts = {"mrn": settings.MRN_HELP}
        error_messages = {"mrn": {"unique": "A patient with this MRN is already registered."}}

    def clean_mrn(self) -> str:
        return normalise_mrn(self.cleaned_data["mrn"])

    def clean_given_name(self) -> str:
        return plain_name(self.cleaned_data["given_name"])

    def clean_family_name(self) -> str:
        return plain_name(self.cleaned_data["family_name"])

    def clean_date_of_birth(self) -> date:
        born: date = self.cleaned_data["date_of_birth"]
        if born.year < OLDEST_BIRTH_YEAR:
            raise ValidationError(
                f"Check the year: the date of birth is before {OLDEST_BIRTH_YEAR}."
            )
        return born


class PatientSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=80, label="Name or MRN")


def validate_day_zero(day_zero: date, *, patient: Patient) -> None:
    today = clock.today()
    if day_zero > today + timedelta(days=DAY_ZERO_MAX_DAYS_AHEAD):
        raise ValidationError("Day Zero is more than a year ahead; check the year.")
    if day_zero.year < today.year - DAY_ZERO_MAX_YEARS_BACK:
        raise ValidationError(
            f"Day Zero is more than {DAY_ZERO_MAX_YEARS_BACK} years ago; check the year."
        )
    if day_zero <= patient.date_of_birth:
        raise ValidationError("Day Zero must be after the patient’s date of birth.")


class ProtocolChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A protocol by name; a research protocol says so where it is chosen."""

    def label_from_instance(self, obj: Protocol) -> str:
        return f"{obj.name} (research protocol)" if obj.is_research else obj.name


class CourseStartForm(forms.Form):
    protocol = ProtocolChoiceField(
        queryset=Protocol.objects.filter(is_active=True),
        empty_label="Choose a protocol",
        error_messages={"required": "Choose the protocol this course follows."},
    )
    day_zero = forms.DateField(
        label="Day Zero (planned)",
        widget=DateInput(),
        help_text="The planned day of the infusion or procedure. You can move it later.",
        error_messages={"required": "Enter the planned Day Zero."},
    )
    graft_source = forms.ChoiceField(
        choices=[("", "As the protocol says"), *GraftSource.choices], required=False
    )
    donor_type = forms.ChoiceField(
        choices=[("", "As the protocol says"), *DonorType.choices], required=False
    )
    is_tandem = forms.BooleanField(required=False, label="Part of a planned tandem transplant")
    reason = forms.ChoiceField(
        label="Why this transplant follows the earlier one",
        choices=[("", "Choose a reason"), *FollowReason.choices],
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        patient: Patient,
        follows: TransplantCourse | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.patient = patient
        self.follows = follows
        if follows is None:
            del self.fields["reason"]
        else:
            del self.fields["is_tandem"]  # tandem is a reason here
            self.fields["reason"].required = True
            self.fields["reason"].error_messages["required"] = (
                "Choose why this transplant follows the earlier one."
            )
            protocols = self.fields["protocol"]
            assert isinstance(protocols, forms.ModelChoiceField)
            protocols.queryset = Protocol.objects.filter(is_active=True).exclude(
                kind=Kind.PROCEDURE
            )

    def clean_day_zero(self) -> date:
        day_zero: date = self.cleaned_data["day_zero"]
        validate_day_zero(day_zero, patient=self.patient)
        if self.follows is not None and day_zero <= self.follows.day_zero:
            raise ValidationError(
                f"A subsequent transplant comes after the earlier one's Day Zero "
                f"({self.follows.day_zero:%-d %b %Y})."
            )
        return day_zero

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        protocol = cleaned.get("protocol")
        if protocol is None:
            return cleaned
        day_zero = cleaned.get("day_zero")
        if self.follows is None and protocol.kind != Kind.PROCEDURE and day_zero is not None:
            earlier = (
                self.patient.courses.exclude(kind=Kind.PROCEDURE)
                .filter(
                    superseded_on__isnull=True,
                    ended_on__isnull=True,
                    day_zero__lt=day_zero,
                    day_zero__lte=clock.today(),
                )
                .order_by("-day_zero")
                .first()
            )
            if earlier is not None:
                self.add_error(
                    None,
                    f"This patient has an open transplant (Day Zero "
                    f"{earlier.day_zero:%-d %b %Y}): start this one from that course's page, "
                    "as a subsequent transplant, so its plan closes where this one starts.",
                )
        donor = cleaned.get("donor_type") or protocol.donor_type
        own_cells = protocol.kind in (Kind.AUTOLOGOUS, Kind.PROCEDURE)
        if own_cells and donor not in ("", DonorType.SELF):
            self.add_error("donor_type", "This protocol uses the patient's own cells.")
        if protocol.kind == Kind.ALLOGENEIC and donor == DonorType.SELF:
            self.add_error("donor_type", "An allogeneic transplant needs a donor other than self.")
        return cleaned


class InfusionForm(forms.Form):
    kind = forms.ChoiceField(
        label="What was given",
        choices=[("", "Choose"), *InfusionKind.choices],
        error_messages={"required": "Choose what was given."},
    )
    given_on = forms.DateField(
        label="Given on",
        widget=DateInput(),
        error_messages={"required": "Enter the day it was given."},
    )
    note = forms.CharField(label="Note (optional)", required=False, max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "infusion-%s")
        super().__init__(*args, **kwargs)

    def clean_given_on(self) -> date:
        return checked_past(self.cleaned_data["given_on"], what="The date")


class CatchUpForm(forms.Form):
    before = forms.DateField(
        label="Everything due before",
        widget=DateInput(),
        error_messages={"required": "Enter the date: what was due before it is recorded."},
        help_text="Usually the day the patient was registered here, or today.",
    )
    how = forms.ChoiceField(
        label="Record them as",
        choices=[
            ("done", "Done on their due dates"),
            ("not_recorded", "Not recorded here (closed, not done)"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how they are recorded."},
    )

    def __init__(self, *args: Any, course: TransplantCourse, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "catch-up-%s")
        super().__init__(*args, **kwargs)
        self.course = course

    def clean_before(self) -> date:
        before: date = self.cleaned_data["before"]
        if before > clock.today() + timedelta(days=1):
            raise ValidationError("Only what was due up to today can be recorded this way.")
        if before <= self.course.start_date:
            raise ValidationError(
                f"Nothing of this course is due before {self.course.start_date:%-d %b %Y}."
            )
        return before


class ConfirmInfusionForm(forms.Form):
    given_on = forms.DateField(
        label="Cells given on",
        widget=DateInput(),
        required=False,  # left empty: on Day Zero
        error_messages={"invalid": "Enter the day the cells were given as a date."},
    )

    def __init__(self, *args: Any, course: TransplantCourse, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "confirm-%s")
        kwargs.setdefault("initial", {"given_on": course.day_zero})
        super().__init__(*args, **kwargs)
        self.course = course

    def clean_given_on(self) -> date:
        given: date | None = self.cleaned_data["given_on"]
        if given is None:
            return self.course.day_zero  # the service says when Day Zero is still to come
        return checked_past(given, what="The day the cells were given")


class EndCourseForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why the course ends",
        choices=[("", "Choose a reason"), *EndReason.choices],
        error_messages={"required": "Choose why the course ends."},
    )
    on = forms.DateField(
        label="On",
        widget=DateInput(),
        error_messages={"required": "Enter the date the course ended."},
        help_text="Planned items after this date close; nothing is deleted.",
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=300,
        help_text="Optional; needed when follow-up is completed before its plan ends.",
    )

    def __init__(self, *args: Any, course: TransplantCourse, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "end-%s")
        super().__init__(*args, **kwargs)
        self.course = course

    def clean_on(self) -> date:
        # The rest (before the course starts; after something done) is the service's to say.
        return checked_past(self.cleaned_data["on"], what="The date")


class ReopenCourseForm(forms.Form):
    reason = forms.CharField(
        label="Why it is reopened",
        max_length=200,
        error_messages={"required": "Say why the course is reopened; it is kept."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "reopen-%s")
        super().__init__(*args, **kwargs)


class DayZeroMoveForm(forms.Form):
    day_zero = forms.DateField(
        label="New Day Zero",
        widget=DateInput(),
        error_messages={"required": "Enter the new Day Zero."},
    )
    reason = forms.CharField(
        max_length=100,  # it is also the history's change reason, a 100-character column
        help_text="Why it moved, e.g. 'donor product delayed'.",
        error_messages={"required": "Say why Day Zero moves; it is kept with the change."},
    )
    # The Day Zero the preview was computed from: a move confirmed from a stale screen (a
    # colleague moved it meanwhile) is not applied.
    from_day_zero = forms.DateField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, course: TransplantCourse, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.course = course

    def clean_day_zero(self) -> date:
        day_zero: date = self.cleaned_data["day_zero"]
        if day_zero == self.course.day_zero:
            raise ValidationError("That is already Day Zero; choose another date.")
        validate_day_zero(day_zero, patient=self.course.patient)
        return day_zero


class CompleteMilestoneForm(forms.Form):
    completed_on = forms.DateField(
        label="Done on",
        widget=DateInput(),
        error_messages={"required": "Enter the date it was done."},
    )

    # Work-up can happen well before the plan says; a year before the course starts is a typo.
    EARLIEST_BEFORE_START = timedelta(days=365)

    def __init__(self, *args: Any, course: TransplantCourse, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.course = course

    def clean_completed_on(self) -> date:
        completed_on: date = self.cleaned_data["completed_on"]
        if completed_on > clock.today():
            raise ValidationError("A milestone cannot be done in the future.")
        started = self.course.start_date
        if completed_on < started - self.EARLIEST_BEFORE_START:
            raise ValidationError(
                f"That is more than a year before the course started ({started:%-d %b %Y}); "
                "check the year."
            )
        return completed_on


class TimelineFilterForm(forms.Form):
    """What part of a course's timeline to show: a filter, and a folded phase opened without
    JavaScript (`?open=immune_recovery`). Anything unknown shows the usual page."""

    SHOW_CHOICES = [("all", "All"), ("next30", "Next 30 days"), ("overdue", "Overdue")]
    show = forms.ChoiceField(choices=SHOW_CHOICES, required=False)
    open = forms.ChoiceField(
        choices=[(phase.value, phase.label) for phase in Phase], required=False
    )

    @property
    def selected(self) -> str:
        if self.is_valid():
            return self.cleaned_data["show"] or "all"
        return "all"

    @property
    def opened(self) -> Phase | None:
        if self.is_valid() and self.cleaned_data["open"]:
            return Phase(self.cleaned_data["open"])
        return None


class InviteForm(forms.Form):
    email = forms.EmailField(
        required=False,
        max_length=254,  # the login's e-mail column (RFC 5321's limit on an address)
        label="Patient's e-mail (optional)",
        help_text="If given, the link is e-mailed too. Otherwise copy it to the patient.",
    )


class FollowUpFilterForm(forms.Form):
    """The follow-up list's filters, all in the URL so a view is bookmarkable."""

    q = forms.CharField(required=False, max_length=80, label="Name or MRN")
    kind = forms.ChoiceField(choices=followup.KIND_CHOICES, required=False, label="Kind")
    overdue = forms.BooleanField(required=False, label="Overdue only")
    window = forms.BooleanField(required=False, label="Day-100 window open")
    week = forms.BooleanField(required=False, label="Due this week")
    later = forms.BooleanField(required=False, label="Include patients after Day +100")
    gvhd = forms.ChoiceField(choices=followup.GvhdFilter.CHOICES, required=False, label="GVHD")
    indication = forms.ChoiceField(
        choices=registry.INDICATION_CHOICES, required=False, label="Primary disease"
    )
    sort = forms.ChoiceField(choices=followup.Sort.CHOICES, required=False, label="Sort by")

    def filters(self) -> followup.Filters:
        """The filters asked for; a field with a bad value falls back to its default."""
        self.is_valid()
        data = self.cleaned_data
        return followup.Filters(
            q=data.get("q", "").strip(),
            kind=data.get("kind", ""),
            overdue_only=data.get("overdue", False),
            window_open=data.get("window", False),
            due_this_week=data.get("week", False),
            include_later=data.get("later", False),
            gvhd=data.get("gvhd", ""),
            sort=data.get("sort") or followup.Sort.NEXT_DUE,
            indication=data.get("indication", ""),
        )


class RecoveryFilterForm(forms.Form):
    """The immune recovery list's filters, all in the URL so a view is bookmarkable."""

    q = forms.CharField(required=False, max_length=80, label="Name or MRN")
    kind = forms.ChoiceField(choices=recovery.KIND_CHOICES, required=False, label="Kind")
    show = forms.ChoiceField(choices=recovery.Show.CHOICES, required=False, label="Show")
    indication = forms.ChoiceField(
        choices=registry.INDICATION_CHOICES, required=False, label="Primary disease"
    )

    def filters(self) -> recovery.Filters:
        """The filters asked for; a field with a bad value falls back to its default."""
        self.is_valid()
        data = self.cleaned_data
        return recovery.Filters(
            q=data.get("q", "").strip(),
            kind=data.get("kind", ""),
            show=data.get("show", ""),
            indication=data.get("indication", ""),
        )


def checked_test_date(drawn_on: date, *, course: TransplantCourse) -> date:
    """A blood test's date: not in the future, not before the course's plan starts."""
    problem = counts.check_date(drawn_on, earliest=course.start_date, today=clock.today())
    if problem:
        raise ValidationError(problem[0].upper() + problem[1:])
    return drawn_on


class BloodCountForm(BloodCountModelForm):
    """One day's counts, added or corrected in place on the course page."""

    class Meta:
        model = BloodCount
        fields = ["drawn_on", "anc", "anc_manual", "platelets", "platelet_transfusion"]
        widgets = {
            "drawn_on": DateInput(),
            "anc": forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "100"}),
            "platelets": forms.NumberInput(attrs={"step": "1", "min": "0", "max": "2000"}),
        }
        error_messages = {
            "drawn_on": {"required": "Enter the date of the blood test."},
            "anc": {
                "max_decimal_places": "ANC has more decimals than are kept (2): check the "
                "value; it is not rounded."
            },
            "platelets": {
                "max_decimal_places": "Platelets have more decimals than are kept (1): check "
                "the value; it is not rounded."
            },
        }

    def __init__(self, *args: Any, course: TransplantCourse, **kwargs: Any) -> None:
        instance = kwargs.get("instance")
        # Ids unique on the course page, where a correction row sits beside the add form.
        kwargs.setdefault("auto_id", f"count-{instance.code}-%s" if instance else "count-%s")
        super().__init__(*args, **kwargs)
        self.course = course

    def clean_drawn_on(self) -> date:
        return checked_test_date(self.cleaned_data["drawn_on"], course=self.course)

    def _clean_value(
        self, field: str, name: str, maximum: Decimal, decimals: int
    ) -> Decimal | None:
        value = self.cleaned_data[field]
        if value is None:
            return None
        try:
            return counts.parse_value(
                str(value), name=name, maximum=maximum, decimal_comma=False, decimals=decimals
            )
        except ValueError as error:
            raise ValidationError(str(error)) from None

    def clean_anc(self) -> Decimal | None:
        return self._clean_value("anc", "ANC", counts.ANC_MAX, counts.ANC_DECIMALS)

    def clean_platelets(self) -> Decimal | None:
        return self._clean_value(
            "platelets", "Platelets", counts.PLATELETS_MAX, counts.PLATELETS_DECIMALS
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        # An empty count is refused by the model's constraint, in the clinic's words.
        return cleaned

    def _post_clean(self) -> None:
        # The course is not a form field; set it before the model's own checks run.
        self.instance.course = self.course
        super()._post_clean()  # type: ignore[misc]  # a Django hook django-stubs leaves out


class PastedLinesForm(forms.Form):
    """Lines pasted from a spreadsheet: every line checked, nothing saved unless all are
    right, and a line that repeats another or a saved row asked about, not saved twice."""

    auto_id_prefix = "paste"
    noun = "lines"  # what the lines are, in "No counts found"
    repeat_hint = ""  # what a real repeat is, in the question about repeats

    def __init__(self, *args: Any, course: TransplantCourse, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.auto_id_prefix}-%s")  # ids unique on the page
        super().__init__(*args, **kwargs)
        self.course = course

    def parse(self, text: str) -> tuple[list[Any], list[counts.LineError]]:
        raise NotImplementedError

    def repeated(self, lines: list[Any]) -> list[str]:
        raise NotImplementedError

    def clean_lines(self) -> list[Any]:
        if not self.cleaned_data["lines"].strip():
            raise ValidationError("Paste at least one line.")
        parsed, errors = self.parse(self.cleaned_data["lines"])
        if errors:
            raise ValidationError([str(error) for error in errors])
        if not parsed:
            raise ValidationError(f"No {self.noun} found: paste at least one line with a date.")
        return parsed

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        lines = cleaned.get("lines")
        if not lines or cleaned.get("save_repeats"):
            return cleaned
        repeated = self.repeated(lines)
        if repeated:
            label = self.fields["save_repeats"].label
            raise ValidationError(
                [
                    *repeated,
                    f"Nothing was saved. Remove the repeated lines, or tick “{label}” if they "
                    f"are {self.repeat_hint}.",
                ]
            )
        return cleaned


class PastedCountsForm(PastedLinesForm):
    lines = forms.CharField(
        strip=False,  # trailing tabs are empty cells, not white space to tidy
        label="Paste counts from a spreadsheet",
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text="One line per blood test: date, ANC, platelets, and y if platelets were "
        "transfused that day. Tabs, commas or semicolons between them.",
        error_messages={"required": "Paste at least one line."},
    )
    save_repeats = forms.BooleanField(required=False, label="Save lines that repeat a count")
    auto_id_prefix = "paste-counts"
    noun = "counts"
    repeat_hint = "real second draws the same day"

    def parse(self, text: str) -> tuple[list[Any], list[counts.LineError]]:
        parsed, errors = counts.parse_lines(
            text, earliest=self.course.start_date, today=clock.today()
        )
        return list(parsed), errors

    def repeated(self, lines: list[Any]) -> list[str]:
        saved = self.course.blood_counts.filter(
            drawn_on__in={line.drawn_on for line in lines}
        ).values_list("drawn_on", "anc", "platelets", "platelet_transfusion")
        return counts.repeats(lines, saved)


class HistoryFilterForm(forms.Form):
    """Which kind of event the History page shows; all when empty or unknown."""

    kind = forms.ChoiceField(
        choices=[("", "Every kind of change"), *EventKind.choices], required=False, label="Show"
    )

    @property
    def selected(self) -> str:
        if self.is_valid():
            return str(self.cleaned_data["kind"])
        return ""


class LabResultForm(forms.Form):
    """One lab result, added in place on the course page."""

    auto_id_prefix = "result"

    drawn_on = forms.DateField(
        label="Date",
        widget=DateInput(),
        error_messages={"required": "Enter the date of the test."},
    )
    analyte = forms.ChoiceField(
        label="Test",
        choices=[("", "Choose a test"), *ANALYTE_CHOICES],
        error_messages={"required": "Choose the test."},
    )
    value = forms.CharField(
        label="Result",
        max_length=30,
        help_text="In the test's unit; a CMV PCR may be “not detected”.",
        error_messages={"required": "Enter the result."},
    )
    unit = forms.ChoiceField(
        label="Unit",
        required=False,
        choices=[("", "The test's unit"), ("mg/dL", "mg/dL (IgG)")],
    )

    def __init__(self, *args: Any, course: TransplantCourse, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"{self.auto_id_prefix}-%s")  # ids unique on the page
        super().__init__(*args, **kwargs)
        self.course = course
        if course.kind != Kind.ALLOGENEIC:  # chimerism is donor cells: allogeneic only
            analyte = self.fields["analyte"]
            assert isinstance(analyte, forms.ChoiceField)
            analyte.choices = [
                ("", "Choose a test"),
                *(
                    (value, label)
                    for value, label in ANALYTE_CHOICES
                    if value not in lab_results.CHIMERISM
                ),
            ]

    def clean_drawn_on(self) -> date:
        return checked_test_date(self.cleaned_data["drawn_on"], course=self.course)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        analyte, value = cleaned.get("analyte"), cleaned.get("value")
        if analyte and value:
            try:
                reading = lab_results.read_value(
                    lab_results.Analyte(analyte), value, unit=cleaned.get("unit", "")
                )
            except ValueError as error:
                self.add_error("value", str(error))
            else:
                cleaned["reading"] = reading
        return cleaned

    def row(self) -> dict[str, Any]:
        reading: lab_results.Reading = self.cleaned_data["reading"]
        return {
            "drawn_on": self.cleaned_data["drawn_on"],
            "analyte": self.cleaned_data["analyte"],
            "value": reading.value,
            "undetected": reading.undetected,
        }


class PastedResultsForm(PastedLinesForm):
    lines = forms.CharField(
        strip=False,
        label="Paste results from a spreadsheet",
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"}),
        help_text="One line per result: date, test (myeloid, lymphoid, CMV, CD4 or IgG), "
        "value, and the unit if it is not the test's own (IgG in mg/dL).",
        error_messages={"required": "Paste at least one line."},
    )
    save_repeats = forms.BooleanField(required=False, label="Save lines that repeat a result")
    auto_id_prefix = "paste-results"
    noun = "results"
    repeat_hint = "real repeat tests"

    def parse(self, text: str) -> tuple[list[Any], list[counts.LineError]]:
        parsed, errors = lab_results.parse_result_lines(
            text, earliest=self.course.start_date, today=clock.today()
        )
        if self.course.kind != Kind.ALLOGENEIC:
            errors += [
                counts.LineError(line.line, "chimerism is measured after an allogeneic transplant.")
                for line in parsed
                if line.analyte in lab_results.CHIMERISM
            ]
        return list(parsed), errors

    def repeated(self, lines: list[Any]) -> list[str]:
        saved = LabResult.objects.filter(
            course=self.course, drawn_on__in={line.drawn_on for line in lines}
        ).values_list("drawn_on", "analyte", "value", "undetected")
        return lab_results.result_repeats(lines, saved)


def show_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """A service's refusal on the form: next to its field when the form has it."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def checked_past(day: date, *, what: str, course: TransplantCourse | None = None) -> date:
    """A date that has happened: not in the future; with `course`, not before Day 0 (GVHD
    comes from the donor's cells; revaccination follows the transplant)."""
    if day > clock.today():
        raise ValidationError(f"{what} cannot be in the future.")
    if course is not None and day < course.day_zero:
        raise ValidationError(
            f"{what} cannot be before Day 0 (the infusion, {course.day_zero:%-d %b %Y})."
        )
    return day


class FieldGroup:
    """Some of a form's fields under a legend, drawn by form_fields.html like a form."""

    def __init__(self, legend: str, fields: list[forms.BoundField]) -> None:
        self.legend = legend
        self.visible_fields = fields
        self.hidden_fields: list[forms.BoundField] = []


TOO_MANY_DECIMALS = "{} has more decimals than are kept ({}): check the value; it is not rounded."
MAX_EPISODES = 50
BILIRUBIN_MAX = {BilirubinUnit.MG_DL: Decimal(50), BilirubinUnit.UMOL_L: Decimal(855)}


class AcuteGvhdForm(AcuteGvhdModelForm):
    """One acute GVHD assessment: what was measured, organ by organ (MAGIC, adults)."""

    bilirubin_unit = forms.ChoiceField(
        label="Unit",
        choices=[("", "Choose the unit"), *BilirubinUnit.choices],
        error_messages={"required": "Choose the bilirubin's unit: mg/dL or µmol/L."},
    )

    class Meta:
        model = AcuteGvhdAssessment
        fields = [
            "assessed_on",
            "bsa_percent",
            "bullae_desquamation",
            "bilirubin",
            "bilirubin_unit",
            "persistent_nausea",
            "stool_ml_per_day",
            "stool_mixed_with_urine",
            "stool_episodes_per_day",
            "severe_pain_or_ileus",
            "grossly_bloody_stool",
            "note",
        ]
        labels = {"note": "Note (optional)"}
        widgets = {
            "assessed_on": DateInput(),
            "bsa_percent": forms.NumberInput(attrs={"step": "0.1", "min": "0", "max": "100"}),
            "bilirubin": forms.NumberInput(attrs={"step": "0.01", "min": "0"}),
            "stool_ml_per_day": forms.NumberInput(attrs={"step": "1", "min": "0"}),
            "stool_episodes_per_day": forms.NumberInput(attrs={"step": "0.1", "min": "0"}),
        }
        help_texts = {
            "bsa_percent": "Active erythema; 0 if none.",
            "bullae_desquamation": "Over 5 % of the body surface.",
            "stool_ml_per_day": "Average of 3 days.",
            "stool_mixed_with_urine": "Counts as half the volume.",
            "stool_episodes_per_day": "When the volume is not measured.",
        }
        error_messages = {
            "assessed_on": {"required": "Enter the date of the assessment."},
            "bsa_percent": {
                "required": "Enter the % of body surface with rash (0 if none).",
                "max_decimal_places": TOO_MANY_DECIMALS.format("The body surface", 1),
                # Django formats these with the field's limits: "%%" is a percent sign.
                "max_digits": "The rash covers 0 to 100 %% of the body surface.",
                "max_whole_digits": "The rash covers 0 to 100 %% of the body surface.",
            },
            "bilirubin": {
                "required": "Enter the total bilirubin.",
                "max_decimal_places": TOO_MANY_DECIMALS.format("Bilirubin", 2),
                "max_digits": "Bilirubin over 50 mg/dL (855 µmol/L): check the value and unit.",
                "max_whole_digits": "Bilirubin over 50 mg/dL (855 µmol/L): check the value and "
                "unit.",
            },
            "stool_ml_per_day": {
                "invalid": "Enter the stool volume in whole mL.",
                "min_value": "The stool volume cannot be negative.",
            },
            "stool_episodes_per_day": {
                "max_decimal_places": TOO_MANY_DECIMALS.format("The number of episodes", 1),
                "max_digits": "Over 50 episodes a day: check the value.",
                "max_whole_digits": "Over 50 episodes a day: check the value.",
            },
        }

    GROUPS = (
        ("Skin", ["bsa_percent", "bullae_desquamation"]),
        ("Liver", ["bilirubin", "bilirubin_unit"]),
        ("Upper GI", ["persistent_nausea"]),
        (
            "Lower GI",
            [
                "stool_ml_per_day",
                "stool_mixed_with_urine",
                "stool_episodes_per_day",
                "severe_pain_or_ileus",
                "grossly_bloody_stool",
            ],
        ),
    )

    def __init__(self, *args: Any, course: TransplantCourse, **kwargs: Any) -> None:
        instance = kwargs.get("instance")
        kwargs.setdefault("auto_id", f"acute-{instance.code}-%s" if instance else "acute-%s")
        super().__init__(*args, **kwargs)
        self.course = course
        if instance is None:
            self.fields["bsa_percent"].initial = None

    def values(self) -> dict[str, Any]:
        return {field: self.cleaned_data[field] for field in self.Meta.fields}

    def groups(self) -> list[FieldGroup]:
        """The date, then the organs' fields under their names, then the note."""
        return [
            FieldGroup("", [self["assessed_on"]]),
            *(FieldGroup(legend, [self[name] for name in names]) for legend, names in self.GROUPS),
            FieldGroup("", [self["note"]]),
        ]

    def clean_assessed_on(self) -> date:
        day = checked_past(
            self.cleaned_data["assessed_on"], course=self.course, what="The assessment"
        )
        others = self.course.acute_gvhd.filter(assessed_on=day).exclude(pk=self.instance.pk)
        if others.exists():
            raise ValidationError(
                f"There is already an assessment on {day:%-d %b %Y}: correct that one instead."
            )
        return day

    def clean_bsa_percent(self) -> Decimal:
        value: Decimal = self.cleaned_data["bsa_percent"]
        if value < 0 or value > 100:
            raise ValidationError("The rash covers 0 to 100 % of the body surface.")
        return value

    def clean_stool_ml_per_day(self) -> int | None:
        value: int | None = self.cleaned_data["stool_ml_per_day"]
        if value is not None and value > 10000:
            raise ValidationError("Over 10,000 mL a day: check the value.")
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        bilirubin, unit = cleaned.get("bilirubin"), cleaned.get("bilirubin_unit")
        if bilirubin is not None and bilirubin < 0:
            self.add_error("bilirubin", "Bilirubin cannot be negative.")
        elif bilirubin is not None and unit and bilirubin > BILIRUBIN_MAX[BilirubinUnit(unit)]:
            self.add_error(
                "bilirubin", "Bilirubin over 50 mg/dL (855 µmol/L): check the value and unit."
            )
        episodes = cleaned.get("stool_episodes_per_day")
        if episodes is not None and episodes < 0:
            self.add_error("stool_episodes_per_day", "The number of episodes cannot be negative.")
        elif episodes is not None and episodes > MAX_EPISODES:
            self.add_error("stool_episodes_per_day", "Over 50 episodes a day: check the value.")
        measured = [cleaned.get("stool_ml_per_day"), episodes]
        flagged = cleaned.get("severe_pain_or_ileus") or cleaned.get("grossly_bloody_stool")
        if (
            all(value is None for value in measured)
            and not flagged
            and not self.has_error("stool_ml_per_day")
        ):
            self.add_error(
                "stool_ml_per_day",
                "Enter the stool volume or the number of episodes a day (0 if none).",
            )
        if cleaned.get("stool_mixed_with_urine") and cleaned.get("stool_ml_per_day") is None:
            self.add_error("stool_mixed_with_urine", "Enter the volume it applies to.")
        return cleaned

    def _post_clean(self) -> None:
        self.instance.course = self.course  # not a form field; the model's checks need it
        super()._post_clean()  # type: ignore[misc]  # a Django hook django-stubs leaves out


ORGAN_SCORE_CHOICES = [(0, "0 – none"), (1, "1 – mild"), (2, "2 – moderate"), (3, "3 – severe")]


class ChronicGvhdForm(forms.Form):
    """NIH organ scores of chronic GVHD on a date: at diagnosis, or a later scoring."""

    assessed_on = forms.DateField(
        label="Date", widget=DateInput(), error_messages={"required": "Enter the date."}
    )
    note = forms.CharField(label="Note (optional)", max_length=300, required=False)

    def __init__(
        self, *args: Any, course: TransplantCourse, diagnosis: bool, prefix: str, **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", f"{prefix}-%s")
        super().__init__(*args, **kwargs)
        self.course = course
        self.diagnosis = diagnosis
        if diagnosis:
            self.fields["assessed_on"].label = "Diagnosed on"
        for organ in gvhd.NIH_ORGANS:
            self.fields[organ] = forms.TypedChoiceField(
                label=gvhd.NIH_ORGAN_NAMES[organ].capitalize(),
                choices=ORGAN_SCORE_CHOICES,
                coerce=int,
                initial=0,
                error_messages={"invalid_choice": "Choose a score from 0 to 3."},
            )
        self.order_fields(["assessed_on", *gvhd.NIH_ORGANS, "note"])

    def groups(self) -> list[FieldGroup]:
        return [
            FieldGroup("", [self["assessed_on"]]),
            FieldGroup("NIH organ scores", [self[organ] for organ in gvhd.NIH_ORGANS]),
            FieldGroup("", [self["note"]]),
        ]

    def clean_assessed_on(self) -> date:
        what = "The diagnosis" if self.diagnosis else "The scoring"
        return checked_past(self.cleaned_data["assessed_on"], course=self.course, what=what)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        scores = self.scores()
        if self.diagnosis and len(scores) == len(gvhd.NIH_ORGANS) and not any(scores.values()):
            raise ValidationError("To diagnose chronic GVHD, score at least one organ 1 to 3.")
        return cleaned

    def scores(self) -> dict[str, int]:
        return {
            organ: self.cleaned_data[organ]
            for organ in gvhd.NIH_ORGANS
            if organ in self.cleaned_data
        }


class ChronicGvhdResolveForm(forms.Form):
    resolved_on = forms.DateField(
        label="Resolved on",
        widget=DateInput(),
        error_messages={"required": "Enter the date it resolved."},
    )

    def __init__(self, *args: Any, course: TransplantCourse, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "resolve-%s")
        super().__init__(*args, **kwargs)
        self.course = course

    def clean_resolved_on(self) -> date:
        return checked_past(
            self.cleaned_data["resolved_on"], course=self.course, what="The resolution"
        )


# The most doses of each vaccine the plan gives (influenza: one a year).
MAX_DOSES = {
    "pcv": 4,
    "ppsv23": 1,
    "influenza": 20,
    "tdap": 3,
    "hib": 3,
    "ipv": 3,
    "hepb": 4,
    "menacwy": 2,
    "rzv": 2,
    "mmr": 2,
    "varicella": 2,
}


class VaccinationForm(forms.Form):
    """A dose of a vaccine given."""

    vaccine = forms.ChoiceField(
        choices=[("", "Choose the vaccine"), *Vaccine.choices],
        error_messages={"required": "Choose the vaccine."},
    )
    dose = forms.IntegerField(
        label="Dose number",
        min_value=1,
        error_messages={
            "required": "Enter the dose number (1 for the first).",
            "min_value": "The first dose is dose 1.",
            "invalid": "Enter the dose number as a whole number.",
        },
    )
    given_on = forms.DateField(
        label="Given on",
        widget=DateInput(),
        error_messages={"required": "Enter the date it was given."},
    )
    product = forms.CharField(label="Product (optional)", max_length=80, required=False)
    batch = forms.CharField(label="Batch (optional)", max_length=40, required=False)
    gates_overridden = forms.CharField(
        label="Given sooner than the rules allow: why",
        max_length=300,
        required=False,
        help_text="Only when asked: a live vaccine before its gates pass, or a dose sooner than "
        "its minimum interval after the previous one.",
    )

    def __init__(self, *args: Any, course: TransplantCourse, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "vaccination-%s")
        super().__init__(*args, **kwargs)
        self.course = course

    def clean_given_on(self) -> date:
        return checked_past(self.cleaned_data["given_on"], what="The date", course=self.course)

    def clean_product(self) -> str:
        return plain_name(self.cleaned_data["product"])

    def clean_batch(self) -> str:
        return plain_name(self.cleaned_data["batch"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        vaccine, dose = cleaned.get("vaccine"), cleaned.get("dose")
        if vaccine and dose:
            most = MAX_DOSES[vaccine]
            if dose > most:
                name = Vaccine(vaccine).label
                self.add_error("dose", f"{name} has at most {most} dose{pluralize(most)}.")
            elif self.course.vaccinations.filter(vaccine=vaccine, dose=dose).exists():
                self.add_error("dose", "This dose is already recorded: delete it to record again.")
        return cleaned


class ImmunosuppressionForm(forms.Form):
    """A drug that suppresses the immune system: from when, and until when if it stopped."""

    drug = forms.CharField(
        max_length=80, error_messages={"required": "Enter the drug (e.g. ciclosporin)."}
    )
    started_on = forms.DateField(
        label="Started on", widget=DateInput(), error_messages={"required": "Enter the start."}
    )
    stopped_on = forms.DateField(
        label="Stopped on (empty while it goes on)", widget=DateInput(), required=False
    )
    maintenance = forms.BooleanField(
        label="Maintenance therapy (e.g. lenalidomide)", required=False
    )
    counts = forms.BooleanField(
        label="Counts as immunosuppression for live vaccines", required=False, initial=True
    )

    def __init__(self, *args: Any, course: TransplantCourse, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "drug-%s")
        super().__init__(*args, **kwargs)
        self.course = course

    def clean_drug(self) -> str:
        return plain_name(self.cleaned_data["drug"])

    def clean_started_on(self) -> date:
        return checked_past(self.cleaned_data["started_on"], what="The start")

    def clean_stopped_on(self) -> date | None:
        stopped: date | None = self.cleaned_data["stopped_on"]
        return None if stopped is None else checked_past(stopped, what="The stop")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        assert cleaned is not None  # Form.clean() returns cleaned_data
        started, stopped = cleaned.get("started_on"), cleaned.get("stopped_on")
        if started and stopped and stopped < started:
            self.add_error("stopped_on", "A drug stops on or after the day it started.")
        return cleaned


class StopDrugForm(forms.Form):
    stopped_on = forms.DateField(
        label="Stopped on",
        widget=DateInput(),
        error_messages={"required": "Enter the day it was stopped."},
    )

    def __init__(self, *args: Any, entry: Immunosuppression, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"stop-{entry.code}-%s")
        super().__init__(*args, **kwargs)
        self.entry = entry

    def clean_stopped_on(self) -> date:
        stopped = checked_past(self.cleaned_data["stopped_on"], what="The stop")
        if stopped < self.entry.started_on:
            raise ValidationError(
                f"It started on {self.entry.started_on:%-d %b %Y}: it stops on or after that."
            )
        return stopped


class LetermovirForm(forms.Form):
    """Letermovir to Day +200 (high CMV risk), or back to Day +100."""

    extended = forms.TypedChoiceField(
        choices=[("1", "Extend to Day +200"), ("0", "Back to Day +100")],
        coerce=lambda value: value == "1",
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(
        label="Why (optional)",
        required=False,
        max_length=200,
        help_text="E.g. GVHD on steroids, mismatched or cord blood donor.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "letermovir-%s")
        super().__init__(*args, **kwargs)


class IrradiationForm(forms.Form):
    """What decides irradiated blood besides the protocol (the care team records it)."""

    harvest_date = forms.DateField(
        label="Stem cell harvest (optional)",
        required=False,
        widget=DateInput(),
        help_text="Irradiated blood from 14 days before it.",
    )
    hodgkin_lymphoma = forms.BooleanField(
        label="Hodgkin lymphoma (irradiated blood for life)", required=False
    )

    def __init__(self, *args: Any, course: TransplantCourse, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "irradiation-%s")
        kwargs.setdefault(
            "initial",
            {"harvest_date": course.harvest_date, "hodgkin_lymphoma": course.hodgkin_lymphoma},
        )
        super().__init__(*args, **kwargs)
        self.course = course
        if course.kind != "autologous":
            del self.fields["harvest_date"]

    def clean_harvest_date(self) -> date | None:
        harvest: date | None = self.cleaned_data.get("harvest_date")
        if harvest is not None and harvest > self.course.day_zero:
            raise ValidationError(
                f"The harvest comes before the infusion (Day Zero, "
                f"{self.course.day_zero:%-d %b %Y}): check the date."
            )
        return harvest


class IvigForm(forms.Form):
    given_on = forms.DateField(
        label="Given on",
        widget=DateInput(),
        error_messages={"required": "Enter the date it was given."},
    )

    def __init__(self, *args: Any, course: TransplantCourse, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "ivig-%s")
        super().__init__(*args, **kwargs)
        self.course = course

    def clean_given_on(self) -> date:
        given = checked_past(self.cleaned_data["given_on"], what="The date")
        if given < self.course.start_date:
            raise ValidationError(
                f"This course starts on {self.course.start_date:%-d %b %Y}: record an earlier "
                "IVIG dose on the course it was given in."
            )
        if self.course.ivig_doses.filter(given_on=given).exists():
            raise ValidationError(f"An IVIG dose on {given:%-d %b %Y} is already recorded.")
        return given


class RegistryFilterForm(forms.Form):
    """The registry worklist's filters, all in the URL so a view is bookmarkable."""

    q = forms.CharField(required=False, max_length=80, label="Name or MRN")
    show = forms.ChoiceField(choices=registry.Show.CHOICES, required=False, label="Show")
    form = forms.ChoiceField(choices=registry.form_choices, required=False, label="Form")
    status = forms.ChoiceField(choices=registry.STATUS_CHOICES, required=False, label="Status")
    indication = forms.ChoiceField(
        choices=registry.INDICATION_CHOICES, required=False, label="Primary disease"
    )

    def filters(self) -> registry.Filters:
        """The filters asked for; a field with a bad value falls back to its default."""
        self.is_valid()
        data = self.cleaned_data
        return registry.Filters(
            q=data.get("q", "").strip(),
            show=data.get("show", ""),
            form=data.get("form", ""),
            status=data.get("status", ""),
            indication=data.get("indication", ""),
        )


class RegistryDetailsForm(CourseModelForm):
    """What the registry asks of the transplant: indication, status, donor (allogeneic)."""

    class Meta:
        model = TransplantCourse
        fields = [
            "indication",
            "disease_status",
            "donor_relation",
            "hla_match",
            "donor_cmv",
            "recipient_cmv",
            "cord_units",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "registry-%s")
        super().__init__(*args, **kwargs)
        course = self.instance
        if course.kind != Kind.ALLOGENEIC:
            for name in ("donor_relation", "hla_match", "donor_cmv", "cord_units"):
                del self.fields[name]
        elif course.graft_source != GraftSource.CORD_BLOOD:
            del self.fields["cord_units"]
        for name, field in self.fields.items():
            if isinstance(field, forms.ChoiceField):
                model_field = TransplantCourse._meta.get_field(name)
                choices = getattr(model_field, "choices", None) or []
                field.choices = [("", "Not recorded"), *choices]
        if "cord_units" in self.fields:
            self.fields["cord_units"].widget.attrs.update(min=1, max=2)

    def _post_clean(self) -> None:
        # The service checks the details against the course (under its lock) and saves them.
        pass


class RegistryStatusForm(forms.Form):
    status = forms.ChoiceField(choices=FormStatus.choices, label="Status")
    submitted_on = forms.DateField(label="Submitted on", required=False, widget=DateInput())

    def __init__(self, *args: Any, report: RegistryReport, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"form-{report.code}-%s")
        kwargs.setdefault("initial", {"status": report.status, "submitted_on": report.submitted_on})
        super().__init__(*args, **kwargs)
        self.report = report

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("status") != FormStatus.SUBMITTED:
            data["submitted_on"] = None  # a date left in the field of a form not submitted
        return data
