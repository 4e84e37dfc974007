"""GVHD as the course page and other features read it: each acute assessment with its
stages, grade, response and name (acute or late acute); the worst grade and its date; onset;
chronic GVHD episodes with their scorings; and whether chronic GVHD was active on a date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q

from tracker.models import (
    AcuteGvhdAssessment,
    ChronicGvhd,
    ChronicGvhdAssessment,
    Patient,
    TransplantCourse,
)
from tracker.rules import chart, gvhd
from tracker.rules.schedule import day_label, day_number


@dataclass(frozen=True)
class AcuteRow:
    assessment: AcuteGvhdAssessment
    day_label: str
    stages: dict[str, gvhd.Stage]  # each organ's stage with its reason
    grade: gvhd.Grade
    response: str  # gvhd.response(): "first", "improving", ...
    response_words: str
    label: gvhd.Label | None  # acute or late acute; None without GVHD that day


@dataclass(frozen=True)
class AcuteSummary:
    rows: list[AcuteRow]  # oldest first
    peak: AcuteRow | None  # the first assessment at the worst grade so far
    onset: AcuteRow | None  # the first assessment with GVHD (grade I or more)
    chart: chart.Chart | None

    @property
    def latest(self) -> AcuteRow | None:
        return self.rows[-1] if self.rows else None


@dataclass(frozen=True)
class Scoring:
    scoring: ChronicGvhdAssessment
    day_label: str
    severity: gvhd.Severity


@dataclass(frozen=True)
class ChronicEpisode:
    episode: ChronicGvhd
    scorings: list[Scoring]  # oldest first

    @property
    def latest(self) -> Scoring | None:
        return self.scorings[-1] if self.scorings else None

    @property
    def active(self) -> bool:
        return self.episode.resolved_on is None


def acute_summary(
    course: TransplantCourse, episodes: list[ChronicEpisode] | None = None
) -> AcuteSummary:
    """The course's acute GVHD assessments read by the rules, oldest first; `episodes` (the
    course's chronic GVHD, read if not given) name acute features while it is active."""
    if episodes is None:
        episodes = chronic_episodes(course)
    assessments = list(course.acute_gvhd.select_related("assessed_by").order_by("assessed_on"))
    rows: list[AcuteRow] = []
    previous: gvhd.OrganStages | None = None
    for assessment in assessments:
        stages = assessment.readings()
        current = gvhd.OrganStages(*(int(stage) for stage in stages.values()))
        grade = gvhd.grade_of(current)
        outcome = gvhd.response(previous, current)
        label = (
            gvhd.acute_label(
                assessed_on=assessment.assessed_on,
                day_zero=course.day_zero,
                chronic_active=any(e.episode.active_on(assessment.assessed_on) for e in episodes),
            )
            if grade
            else None
        )
        rows.append(
            AcuteRow(
                assessment,
                day_label(day_number(assessment.assessed_on, course.day_zero)),
                stages,
                grade,
                outcome,
                gvhd.RESPONSE_WORDS[outcome],
                label,
            )
        )
        previous = current
    involved = [row for row in rows if row.grade]
    peak = max(involved, key=lambda row: int(row.grade), default=None)  # the first of the worst
    return AcuteSummary(rows, peak, involved[0] if involved else None, grade_chart(course, rows))


def grade_chart(course: TransplantCourse, rows: list[AcuteRow]) -> chart.Chart | None:
    """The grade (0 to IV) against the day number; a Day +100 line once past it."""
    if not rows:
        return None
    values = [
        (day_number(row.assessment.assessed_on, course.day_zero), Decimal(int(row.grade)))
        for row in rows
    ]
    late = any(day > gvhd.LATE_ACUTE_AFTER_DAY for day, _ in values)
    return chart.build(
        values,
        thresholds=(),
        markers=[(gvhd.LATE_ACUTE_AFTER_DAY, "Day +100")] if late else [],
        top=4.0,
        y_labels=gvhd.ROMAN,
    )


def chronic_episodes(course: TransplantCourse) -> list[ChronicEpisode]:
    """The course's chronic GVHD episodes with their scorings, oldest first."""
    episodes = list(course.chronic_gvhd.order_by("diagnosed_on"))
    if not episodes:
        return []
    scorings = ChronicGvhdAssessment.objects.filter(episode__in=episodes).select_related(
        "assessed_by"
    )
    by_episode: dict[int, list[Scoring]] = {episode.pk: [] for episode in episodes}
    for scoring in scorings.order_by("assessed_on"):
        by_episode[scoring.episode_id].append(
            Scoring(
                scoring,
                day_label(day_number(scoring.assessed_on, course.day_zero)),
                gvhd.nih_global_severity(scoring.scores),
            )
        )
    return [ChronicEpisode(episode, by_episode[episode.pk]) for episode in episodes]


def chronic_gvhd_periods(patient: Patient) -> list[tuple[date, date | None]]:
    """When the patient had chronic GVHD, on every course: (diagnosed on, resolved on or None
    while active), oldest first. Active from the diagnosis until (not on) the resolution."""
    return list(
        ChronicGvhd.objects.filter(course__patient=patient)
        .order_by("diagnosed_on")
        .values_list("diagnosed_on", "resolved_on")
    )


def chronic_gvhd_active_on(patient: Patient, on: date) -> bool:
    """Whether the patient had active chronic GVHD on that date (the live-vaccine gates)."""
    return ChronicGvhd.objects.filter(
        Q(resolved_on__isnull=True) | Q(resolved_on__gt=on),
        course__patient=patient,
        diagnosed_on__lte=on,
    ).exists()


def gvhd_words(
    grade: int | None, peak: int | None, chronic: str, chronic_resolved: bool = False
) -> str:
    """GVHD now in a list's few words: "Acute II · chronic mild", "Acute resolved", ""."""
    parts = []
    if grade:
        parts.append(f"Acute {gvhd.ROMAN[grade]}")
    elif peak:
        parts.append("Acute resolved")
    if chronic == "none":
        parts.append("chronic, no organ involved")
    elif chronic:
        parts.append(f"chronic {chronic}")
    elif chronic_resolved:
        parts.append("chronic resolved")
    text = " · ".join(parts)
    return text[:1].upper() + text[1:]


def status_words(course: TransplantCourse) -> str:
    """The GVHD now in a few words, from the course's own columns (no query): "Acute grade
    II (worst III) · chronic GVHD, moderate"; "" when none was ever recorded."""
    parts = []
    grade, peak = course.gvhd_acute_grade, course.gvhd_acute_peak
    if grade is not None and peak:
        if grade:
            worst = f" (worst {gvhd.ROMAN[peak]})" if peak > grade else ""
            parts.append(f"Acute grade {gvhd.ROMAN[grade]}{worst}")
        else:
            parts.append(f"Acute resolved (worst {gvhd.ROMAN[peak]})")
    elif grade is not None:
        parts.append("No acute GVHD")
    if course.gvhd_chronic == "none":
        parts.append("chronic GVHD active, no organ involved at its last scoring")
    elif course.gvhd_chronic:
        parts.append(f"chronic GVHD, {course.gvhd_chronic}")
    elif course.gvhd_chronic_resolved_on:
        parts.append(f"chronic GVHD resolved {course.gvhd_chronic_resolved_on:%-d %b %Y}")
    text = " · ".join(parts)
    return text[:1].upper() + text[1:]
