"""GVHD on an allogeneic course: acute assessments, and chronic GVHD from diagnosis to
resolution. Each write locks the course, stages what was measured with the rules, keeps the
course's GVHD columns for the lists, and records a course event."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from tracker.models import (
    AcuteGvhdAssessment,
    ChronicGvhd,
    ChronicGvhdAssessment,
    EventKind,
    TransplantCourse,
)
from tracker.models.courses import GVHD_BOOKKEEPING
from tracker.models.events import record
from tracker.rules import gvhd
from tracker.services.courses import lock_course, save_bookkeeping
from tracker.services.immunity import replan_immune_recovery


def _shown(value: Any) -> Any:
    """A value as an event keeps it (JSON): dates and decimals as text."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return gvhd.shown(value)
    return value


def _locked(course: TransplantCourse) -> TransplantCourse:
    course = lock_course(course)
    if not course.has_gvhd:
        raise ValidationError("GVHD is recorded on allogeneic courses only.")
    return course


def _acute_data(assessment: AcuteGvhdAssessment, grade: gvhd.Grade) -> dict[str, Any]:
    return {
        "assessment": str(assessment.code),
        "assessed_on": assessment.assessed_on.isoformat(),
        "grade": int(grade),
        "roman": grade.roman,
        "reason": grade.reason,
        "stages": dict(assessment.stages._asdict()),
    }


def keep_gvhd(course: TransplantCourse) -> None:
    """Copy the GVHD now to the (locked) course: the latest acute grade, the worst so far,
    the severity of active chronic GVHD at its latest scoring, and when the last chronic GVHD
    resolved."""
    grades = list(course.acute_gvhd.order_by("assessed_on").values_list("grade", flat=True))
    course.gvhd_acute_grade = grades[-1] if grades else None
    course.gvhd_acute_peak = max(grades) if grades else None
    latest = (
        ChronicGvhdAssessment.objects.filter(
            episode__course=course, episode__resolved_on__isnull=True
        )
        .order_by("-assessed_on")
        .values_list("severity", flat=True)
        .first()
    )
    course.gvhd_chronic = latest or ""
    course.gvhd_chronic_resolved_on = (
        course.chronic_gvhd.filter(resolved_on__isnull=False)
        .order_by("-resolved_on")
        .values_list("resolved_on", flat=True)
        .first()
    )
    save_bookkeeping(course, GVHD_BOOKKEEPING)


@transaction.atomic
def record_acute_gvhd(
    *, course: TransplantCourse, values: dict[str, Any], by: User
) -> AcuteGvhdAssessment:
    """Save one assessment (the form's values) with its stages and grade."""
    course = _locked(course)
    assessment = AcuteGvhdAssessment(course=course, assessed_by=by, **values)
    grade = assessment.stage()
    assessment.full_clean()
    assessment._history_user = by  # type: ignore[attr-defined]
    assessment.save()
    record(EventKind.ACUTE_GVHD_ADDED, by=by, course=course, **_acute_data(assessment, grade))
    keep_gvhd(course)
    return assessment


@transaction.atomic
def correct_acute_gvhd(
    *, assessment: AcuteGvhdAssessment, values: dict[str, Any], by: User
) -> AcuteGvhdAssessment | None:
    """Change what the user changed and stage it again; None when it was deleted meanwhile."""
    course = _locked(assessment.course)
    fresh = AcuteGvhdAssessment.objects.filter(pk=assessment.pk).first()
    if fresh is None:
        return None
    changes = {
        field: [_shown(getattr(fresh, field)), _shown(value)]
        for field, value in values.items()
        if getattr(fresh, field) != value
    }
    if not changes:
        return fresh
    was_grade = fresh.grade
    for field in changes:
        setattr(fresh, field, values[field])
    grade = fresh.stage()
    fresh.full_clean()
    fresh._history_user = by  # type: ignore[attr-defined]
    fresh.save()
    record(
        EventKind.ACUTE_GVHD_CORRECTED,
        by=by,
        course=course,
        changes=changes,
        was_grade=gvhd.ROMAN[was_grade],
        **_acute_data(fresh, grade),
    )
    keep_gvhd(course)
    return fresh


@transaction.atomic
def delete_acute_gvhd(*, assessment: AcuteGvhdAssessment, by: User) -> None:
    """Delete an assessment entered in error (a second delete changes nothing)."""
    course = _locked(assessment.course)
    fresh = AcuteGvhdAssessment.objects.filter(pk=assessment.pk).first()
    if fresh is None:
        return
    record(
        EventKind.ACUTE_GVHD_DELETED,
        by=by,
        course=course,
        **_acute_data(fresh, gvhd.grade_of(fresh.stages)),
    )
    fresh._history_user = by  # type: ignore[attr-defined]
    fresh.delete()
    keep_gvhd(course)


def _scoring(
    episode: ChronicGvhd, assessed_on: date, scores: dict[str, int], note: str, by: User
) -> tuple[ChronicGvhdAssessment, gvhd.Severity]:
    if episode.pk and episode.assessments.filter(assessed_on=assessed_on).exists():
        raise ValidationError(
            {
                "assessed_on": f"There is already a scoring on {assessed_on:%-d %b %Y}: "
                "delete it and score again."
            }
        )
    scoring = ChronicGvhdAssessment(
        episode=episode, assessed_on=assessed_on, note=note, assessed_by=by, **scores
    )
    severity = scoring.score()
    scoring.full_clean()
    scoring._history_user = by  # type: ignore[attr-defined]
    scoring.save()
    return scoring, severity


def _chronic_data(
    episode: ChronicGvhd, scoring: ChronicGvhdAssessment, severity: gvhd.Severity
) -> dict[str, Any]:
    return {
        "episode": str(episode.code),
        "scoring": str(scoring.code),
        "assessed_on": scoring.assessed_on.isoformat(),
        "severity": str(severity),
        "reason": severity.reason,
        "scores": scoring.scores,
    }


@transaction.atomic
def diagnose_chronic_gvhd(
    *,
    course: TransplantCourse,
    diagnosed_on: date,
    scores: dict[str, int],
    by: User,
    note: str = "",
) -> ChronicGvhd:
    """Chronic GVHD diagnosed on a date, with its first organ scores."""
    course = _locked(course)
    if not any(scores.values()):
        raise ValidationError("Chronic GVHD is diagnosed with at least one organ scored 1 to 3.")
    if course.chronic_gvhd.filter(resolved_on__isnull=True).exists():
        raise ValidationError("This course already has active chronic GVHD: score it again.")
    last_resolved = (
        course.chronic_gvhd.order_by("-resolved_on").values_list("resolved_on", flat=True).first()
    )
    if last_resolved is not None and diagnosed_on < last_resolved:
        raise ValidationError(
            {
                "assessed_on": f"The last chronic GVHD resolved on {last_resolved:%-d %b %Y}: "
                "a new diagnosis comes on or after that date."
            }
        )
    episode = ChronicGvhd(course=course, diagnosed_on=diagnosed_on, diagnosed_by=by)
    episode.full_clean()
    episode._history_user = by  # type: ignore[attr-defined]
    episode.save()
    scoring, severity = _scoring(episode, diagnosed_on, scores, note, by)
    record(
        EventKind.CHRONIC_GVHD_DIAGNOSED,
        by=by,
        course=course,
        **_chronic_data(episode, scoring, severity),
    )
    keep_gvhd(course)
    replan_immune_recovery(course, by=by, why="Chronic GVHD diagnosed")
    return episode


@transaction.atomic
def score_chronic_gvhd(
    *, episode: ChronicGvhd, assessed_on: date, scores: dict[str, int], by: User, note: str = ""
) -> ChronicGvhdAssessment:
    """A later scoring of active chronic GVHD."""
    course = _locked(episode.course)
    episode = ChronicGvhd.objects.get(pk=episode.pk)
    if episode.resolved_on is not None:
        raise ValidationError(
            f"This chronic GVHD resolved on {episode.resolved_on:%-d %b %Y}: record a new "
            "diagnosis if it came back."
        )
    if assessed_on < episode.diagnosed_on:
        raise ValidationError(
            {
                "assessed_on": "A scoring comes on or after the diagnosis "
                f"({episode.diagnosed_on:%-d %b %Y})."
            }
        )
    scoring, severity = _scoring(episode, assessed_on, scores, note, by)
    record(
        EventKind.CHRONIC_GVHD_ASSESSED,
        by=by,
        course=course,
        **_chronic_data(episode, scoring, severity),
    )
    keep_gvhd(course)
    return scoring


@transaction.atomic
def resolve_chronic_gvhd(*, episode: ChronicGvhd, resolved_on: date, by: User) -> None:
    """The clinician records chronic GVHD resolved (off treatment, no active features)."""
    course = _locked(episode.course)
    episode = ChronicGvhd.objects.get(pk=episode.pk)
    if episode.resolved_on is not None:
        raise ValidationError(f"It was recorded resolved on {episode.resolved_on:%-d %b %Y}.")
    latest = episode.assessments.order_by("-assessed_on").values_list("assessed_on", flat=True)
    earliest = max(episode.diagnosed_on + timedelta(days=1), latest.first() or episode.diagnosed_on)
    if resolved_on < earliest:
        raise ValidationError(
            {
                "resolved_on": f"Diagnosed on {episode.diagnosed_on:%-d %b %Y} and last scored "
                f"on {latest.first():%-d %b %Y}: the earliest it can be recorded resolved is "
                f"{earliest:%-d %b %Y}."
            }
        )
    episode.resolved_on = resolved_on
    episode.resolved_by = by
    episode.full_clean()
    episode._history_user = by  # type: ignore[attr-defined]
    episode.save(update_fields=["resolved_on", "resolved_by"])
    record(
        EventKind.CHRONIC_GVHD_RESOLVED,
        by=by,
        course=course,
        episode=str(episode.code),
        diagnosed_on=episode.diagnosed_on.isoformat(),
        resolved_on=resolved_on.isoformat(),
    )
    keep_gvhd(course)
    replan_immune_recovery(course, by=by, why="Chronic GVHD resolved")


@transaction.atomic
def reopen_chronic_gvhd(*, episode: ChronicGvhd, by: User) -> None:
    """Undo a resolution recorded in error: the chronic GVHD is active again."""
    course = _locked(episode.course)
    episode = ChronicGvhd.objects.get(pk=episode.pk)
    if episode.resolved_on is None:
        return
    later = course.chronic_gvhd.filter(diagnosed_on__gte=episode.resolved_on).exclude(pk=episode.pk)
    if later.exists():
        raise ValidationError(
            "A later chronic GVHD was diagnosed after this one resolved: this resolution stays."
        )
    was_resolved_on = episode.resolved_on
    episode.resolved_on = None
    episode.resolved_by = None
    episode._history_user = by  # type: ignore[attr-defined]
    episode.save(update_fields=["resolved_on", "resolved_by"])
    record(
        EventKind.CHRONIC_GVHD_REOPENED,
        by=by,
        course=course,
        episode=str(episode.code),
        diagnosed_on=episode.diagnosed_on.isoformat(),
        was_resolved_on=was_resolved_on.isoformat(),
    )
    keep_gvhd(course)
    replan_immune_recovery(course, by=by, why="Chronic GVHD resolution undone")


@transaction.atomic
def delete_chronic_scoring(*, scoring: ChronicGvhdAssessment, by: User) -> None:
    """Delete a scoring entered in error. The diagnosis's own scoring goes only with the
    diagnosis, when it is the episode's last scoring (a second delete changes nothing)."""
    course = _locked(scoring.episode.course)
    fresh = ChronicGvhdAssessment.objects.select_related("episode").filter(pk=scoring.pk).first()
    if fresh is None:
        return
    episode = fresh.episode
    others = episode.assessments.exclude(pk=fresh.pk)
    is_diagnosis = fresh.assessed_on == episode.diagnosed_on
    if is_diagnosis and others.exists():
        raise ValidationError(
            "This is the scoring of the diagnosis: delete the later scorings first."
        )
    record(
        EventKind.CHRONIC_GVHD_SCORE_DELETED,
        by=by,
        course=course,
        with_diagnosis=is_diagnosis,
        **_chronic_data(episode, fresh, gvhd.nih_global_severity(fresh.scores)),
    )
    fresh._history_user = by  # type: ignore[attr-defined]
    fresh.delete()
    if is_diagnosis:
        episode._history_user = by  # type: ignore[attr-defined]
        episode.delete()
    keep_gvhd(course)
    replan_immune_recovery(course, by=by, why="Chronic GVHD scoring deleted")
