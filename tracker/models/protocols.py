"""Protocols and their steps: the shipped library a course is planned from."""

from __future__ import annotations

import functools

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from tracker.models.choices import (
    LIVE_VACCINES,
    Audience,
    ChronicGvhdCondition,
    DonorType,
    Engraftment,
    GraftSource,
    Kind,
    PhaseSet,
    StopRule,
    Vaccine,
)
from tracker.rules import immunity, schedule


def influenza_season() -> schedule.Season:
    """The centre's influenza season (settings.INFLUENZA_SEASON, "MM-DD/MM-DD")."""
    return _season(settings.INFLUENZA_SEASON)


@functools.cache
def _season(value: str) -> schedule.Season:
    starts, ends = value.split("/")
    return schedule.Season(
        starts=tuple(int(part) for part in starts.split("-")),  # type: ignore[arg-type]
        ends=tuple(int(part) for part in ends.split("-")),  # type: ignore[arg-type]
    )


def phase_scheme(phase_set: str, conditioning_from_day: int | None) -> schedule.PhaseScheme:
    """A protocol's phases from its two fields (also read as values by lists)."""
    return schedule.PhaseScheme(
        procedure=phase_set == PhaseSet.PROCEDURE, conditioning_from=conditioning_from_day
    )


class ProtocolManager(models.Manager["Protocol"]):
    def get_by_natural_key(self, slug: str) -> Protocol:
        return self.get(slug=slug)


class Protocol(models.Model):
    """A reusable plan, e.g. 'Allogeneic, reduced intensity (Flu/Mel)'."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    graft_source = models.CharField(
        max_length=20, choices=GraftSource.choices, help_text="The usual graft source."
    )
    donor_type = models.CharField(
        max_length=30, choices=DonorType.choices, blank=True, help_text="The usual donor."
    )
    summary = models.TextField(blank=True, help_text="What this protocol is, for the team.")
    is_active = models.BooleanField(default=True, help_text="Offered when starting a course.")
    is_research = models.BooleanField(
        "Research protocol",
        default=False,
        help_text="Evidence from studies only (not standard care): marked 'research' wherever "
        "it is offered or shown. Keep it inactive until an approved study uses it.",
    )
    phase_set = models.CharField(
        max_length=12,
        choices=PhaseSet.choices,
        default=PhaseSet.TRANSPLANT,
        help_text="The phases its courses are shown in, to the team and the patient.",
    )
    conditioning_from_day = models.SmallIntegerField(
        "Conditioning starts on day",
        null=True,
        blank=True,
        help_text="Transplants: the day number conditioning starts (e.g. -7). The days before "
        "it are the work-up. Empty: every day before Day Zero is conditioning.",
    )
    tracks_engraftment = models.BooleanField(
        default=False,
        help_text="Courses on this protocol track neutrophil and platelet engraftment from "
        "blood counts (transplants; not same-day procedures).",
    )
    purine_analogue = models.BooleanField(
        "Conditioning with a purine analogue",
        default=False,
        help_text="E.g. fludarabine: irradiated blood components for life (BSH 2020).",
    )
    tbi = models.BooleanField(
        "Total body irradiation",
        default=False,
        help_text="Autologous: irradiated blood components 6 months after, not 3 (BSH 2020).",
    )
    graft_failure_day = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="The centre's own primary graft failure day for this protocol. Empty: by the "
        "course's graft source (Day +30 for marrow or blood stem cells, Day +42 for cord "
        "blood; ASTCT 2024).",
    )
    revision = models.PositiveIntegerField(
        default=1,
        editable=False,
        help_text="Counts the edits of this protocol and its steps (the admin and "
        "load_protocols count them): course pages kept in the cache are drawn again after one.",
    )
    history = HistoricalRecords(excluded_fields=["revision"])

    objects = ProtocolManager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.slug,)

    @property
    def phase_scheme(self) -> schedule.PhaseScheme:
        return phase_scheme(self.phase_set, self.conditioning_from_day)

    def clean(self) -> None:
        if self.conditioning_from_day is not None and self.conditioning_from_day >= 0:
            raise ValidationError(
                {
                    "conditioning_from_day": "Conditioning starts before Day Zero: give a day "
                    "number below 0, such as -7."
                }
            )
        if self.phase_set == PhaseSet.PROCEDURE and self.conditioning_from_day is not None:
            raise ValidationError(
                {
                    "conditioning_from_day": "A same-day procedure has no conditioning: leave "
                    "this empty."
                }
            )

    def count_edit(self) -> None:
        """Count an edit of the protocol or its steps (see `revision`), in the database."""
        Protocol.objects.filter(pk=self.pk).update(revision=models.F("revision") + 1)


class ProtocolStepManager(models.Manager["ProtocolStep"]):
    def get_by_natural_key(self, protocol_slug: str, key: str) -> ProtocolStep:
        return self.get(protocol__slug=protocol_slug, key=key)


class ProtocolStep(models.Model):
    """One planned thing in a protocol, anchored on Day Zero in days or calendar months."""

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="steps")
    key = models.SlugField(max_length=60, help_text="Stable name within the protocol.")
    title = models.CharField(max_length=160)
    day = models.IntegerField(
        null=True, blank=True, help_text="Day number (negative before Day Zero)."
    )
    months = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Calendar months after Day Zero (instead of a day)."
    )
    window_before = models.PositiveSmallIntegerField(default=0, help_text="Days before due.")
    window_after = models.PositiveSmallIntegerField(default=0, help_text="Days after due.")
    repeat_every_days = models.PositiveSmallIntegerField(null=True, blank=True)
    repeat_until_day = models.IntegerField(null=True, blank=True)
    audience = models.CharField(max_length=20, choices=Audience.choices, default=Audience.BOTH)
    patient_title = models.CharField(
        max_length=160,
        blank=True,
        help_text="The title the patient reads, in plain words (empty: the title).",
    )
    patient_text = models.TextField(blank=True, help_text="Plain words for the patient.")
    at_clinic = models.BooleanField(
        "Clinic visit",
        default=False,
        help_text="An outpatient visit: when it falls on a day the clinic is closed it moves to "
        "the nearest open day inside its window. Inpatient days and drug days never move.",
    )
    checklist = models.TextField(blank=True, help_text="Checklist items, one per line.")
    position = models.PositiveSmallIntegerField(default=0, help_text="Order on the same day.")
    done_by_counts = models.BooleanField(
        "Done when counts are entered",
        default=False,
        help_text="Daily blood counts: an occurrence is done when that day's counts are entered.",
    )
    engraftment = models.CharField(
        max_length=20,
        choices=Engraftment.choices,
        blank=True,
        help_text="Completed automatically with the engraftment date the blood counts show.",
    )
    is_day_100_evaluation = models.BooleanField(
        "Day-100 evaluation",
        default=False,
        help_text="The Day-100 evaluation the follow-up list tracks (one per protocol).",
    )
    vaccine = models.CharField(
        max_length=20,
        choices=Vaccine.choices,
        blank=True,
        help_text="The vaccine this step gives (one per step): recording the dose completes it; "
        "a live vaccine waits for the live-vaccine gates.",
    )
    dose = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="The dose of the vaccine this step gives (1 for the first).",
    )
    seasons = models.PositiveSmallIntegerField(
        "Once a season, for seasons",
        null=True,
        blank=True,
        help_text="Given once in each influenza season (INFLUENZA_SEASON) from its months "
        "after Day Zero, for this many seasons: one milestone a season. Empty: once.",
    )
    chronic_gvhd = models.CharField(
        "Chronic GVHD condition",
        max_length=10,
        choices=ChronicGvhdCondition.choices,
        blank=True,
        help_text="Given only without (PPSV23) or only with (a 4th PCV) active chronic GVHD; "
        "otherwise the milestone reads 'Not needed'.",
    )
    stop_rule = models.CharField(
        max_length=12,
        choices=StopRule.choices,
        blank=True,
        help_text="A drug that stops by rule: the milestone's date follows the rule and says why.",
    )
    retired = models.BooleanField(
        default=False,
        help_text="No longer planned for new courses; kept for the courses that have it "
        "(load_protocols retires a step that left the library).",
    )
    history = HistoricalRecords()

    objects = ProtocolStepManager()

    class Meta:
        ordering = ["protocol", "position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(vaccine="", dose__isnull=True) | Q(~Q(vaccine=""), dose__gte=1),
                name="step_vaccine_with_its_dose",
                violation_error_message="A vaccine step needs its dose number (1 for the first).",
            ),
            models.UniqueConstraint(
                fields=["protocol", "key"],
                name="step_key_unique",
                violation_error_message="This protocol already has a step with this key.",
            ),
            models.UniqueConstraint(
                fields=["protocol"],
                condition=Q(is_day_100_evaluation=True),
                name="one_day_100_evaluation_per_protocol",
                violation_error_message="This protocol already has a Day-100 evaluation step.",
            ),
            models.UniqueConstraint(
                fields=["protocol", "engraftment"],
                condition=~Q(engraftment=""),
                name="one_engraftment_step_of_each_kind_per_protocol",
                violation_error_message=(
                    "This protocol already has a step for this kind of engraftment."
                ),
            ),
            models.CheckConstraint(
                condition=Q(seasons__isnull=True)
                | Q(seasons__gte=1, months__isnull=False, repeat_every_days__isnull=True),
                name="step_season_from_months",
                violation_error_message=(
                    "A step given once a season starts a number of months after Day Zero, "
                    "for at least one season, and does not also repeat every few days."
                ),
            ),
            models.CheckConstraint(
                condition=Q(day__isnull=False, months__isnull=True)
                | Q(day__isnull=True, months__isnull=False),
                name="step_anchored_on_day_or_months",
                violation_error_message=(
                    "Give the step either a day number or a number of months after Day Zero, "
                    "not both."
                ),
            ),
            models.CheckConstraint(
                condition=Q(repeat_every_days__isnull=True, repeat_until_day__isnull=True)
                | Q(
                    repeat_every_days__gte=1,
                    repeat_until_day__isnull=False,
                    day__isnull=False,
                    repeat_until_day__gte=models.F("day"),
                ),
                name="step_repeat_complete",
                violation_error_message=(
                    "A repeated step needs a day, how often it repeats, and a last day on or "
                    "after its day."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.protocol.slug}: {self.title}"

    def natural_key(self) -> tuple[str, str]:
        return (*self.protocol.natural_key(), self.key)

    natural_key.dependencies = ["tracker.protocol"]  # type: ignore[attr-defined]

    @property
    def is_live_vaccine(self) -> bool:
        return self.vaccine in LIVE_VACCINES

    @property
    def repeats(self) -> bool:
        return bool(self.repeat_every_days or self.seasons)

    @property
    def chained_words(self) -> str:
        """How this dose follows the dose before it ("" for a first dose or no vaccine)."""
        if (
            not self.vaccine
            or not self.dose
            or (self.vaccine, self.dose) not in immunity.MIN_INTERVALS
        ):
            return ""
        if self.vaccine == "varicella":
            return "At least 3 months after dose 1 (aged 1 to 12), 4 weeks from 13."
        words = immunity.interval_words(immunity.MIN_INTERVALS[(self.vaccine, self.dose)])
        also = immunity.from_first_interval(self.vaccine, self.dose)
        extra = f" and {immunity.interval_words(also)} after dose 1" if also else ""
        return f"At least {words} after dose {self.dose - 1}{extra}."

    @property
    def checklist_items(self) -> list[str]:
        return [line.strip() for line in self.checklist.splitlines() if line.strip()]

    def rule(self) -> schedule.StepRule:
        return schedule.StepRule(
            key=self.key,
            day=self.day,
            months=self.months,
            window_before=self.window_before,
            window_after=self.window_after,
            repeat_every_days=self.repeat_every_days,
            repeat_until_day=self.repeat_until_day,
            season=influenza_season() if self.seasons else None,
            seasons=self.seasons,
            at_clinic=self.at_clinic,
        )

    def clean(self) -> None:
        try:
            self.rule()
        except ValueError as error:
            message = str(error).split(": ", 1)[-1]
            raise ValidationError(message[0].upper() + message[1:] + ".") from None
