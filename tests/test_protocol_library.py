"""The shipped protocol library, fixtures/protocols.json (CLINICAL.md sections 1, 4, 5, 7, 8).

It loads by natural keys (no pks), so loading it again updates the rows in place; every step
is valid and plans to dated milestones inside their windows.
"""

import calendar
import importlib
import json
from datetime import date, timedelta

import pytest
from django.conf import settings
from django.core.management import call_command

from tests.factories import ProtocolFactory
from tracker.models import Protocol, ProtocolStep
from tracker.models.protocols import influenza_season
from tracker.rules.immunity import MIN_INTERVALS
from tracker.rules.schedule import StepRule, day_number, influenza_dates, plan

AUTOLOGOUS = ["auto-beam", "auto-melphalan"]
ALLOGENEIC = ["allo-mac-bu-cy", "allo-ric-flu-mel", "cord-blood"]
TRANSPLANTS = AUTOLOGOUS + ALLOGENEIC
PROCEDURES = ["bmac-injection", "im-bm-cell-therapy-leg"]
ALL_SLUGS = TRANSPLANTS + PROCEDURES

DAY_ZERO = date(2024, 1, 31)  # a month end in a leap year: month anchors must clamp


def load_library() -> None:
    call_command("load_protocols", verbosity=0)


@pytest.fixture
def library(db):
    load_library()


def steps_of(slug: str) -> list[ProtocolStep]:
    return list(ProtocolStep.objects.filter(protocol__slug=slug).order_by("position", "id"))


def calendar_months_after(start: date, months: int) -> date:
    """Worked out by hand (not relativedelta): same day of the month, clamped to its end."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def test_the_seven_protocols_are_shipped(library):
    protocols = {p.slug: p for p in Protocol.objects.all()}
    assert set(protocols) == set(ALL_SLUGS)
    assert {protocols[slug].kind for slug in AUTOLOGOUS} == {"autologous"}
    assert {protocols[slug].kind for slug in ALLOGENEIC} == {"allogeneic"}
    assert {protocols[slug].kind for slug in PROCEDURES} == {"procedure"}
    assert protocols["cord-blood"].graft_source == "cord_blood"
    assert all(p.is_active and p.summary for p in protocols.values())
    for protocol in protocols.values():
        protocol.full_clean()


def test_loading_again_updates_in_place(library):
    counts = (Protocol.objects.count(), ProtocolStep.objects.count())
    step = ProtocolStep.objects.get(protocol__slug="auto-beam", key="stem-cell-infusion")
    title = step.title
    step.title = "Edited locally"
    step.save()
    protocol = Protocol.objects.get(slug="cord-blood")
    name = protocol.name
    protocol.name = "Edited locally"
    protocol.save()

    load_library()

    assert (Protocol.objects.count(), ProtocolStep.objects.count()) == counts
    step.refresh_from_db()
    protocol.refresh_from_db()
    assert step.title == title
    assert protocol.name == name


def test_every_step_is_valid_and_complete(library):
    for protocol in Protocol.objects.all():
        steps = steps_of(protocol.slug)
        assert steps, protocol.slug
        titles = [step.title for step in steps]
        assert len(set(titles)) == len(titles), f"{protocol.slug}: titles repeat"
        for step in steps:
            where = f"{protocol.slug}/{step.key}"
            step.full_clean()
            assert isinstance(step.rule(), StepRule), where
            assert step.patient_text.strip(), where
            items = step.checklist_items
            assert 1 <= len(items) <= 5, where
            assert all(len(item) < 200 for item in items), where


@pytest.mark.parametrize("slug", TRANSPLANTS)
def test_transplant_protocol_has_the_course_landmarks(library, slug):
    steps = steps_of(slug)
    days = {step.day for step in steps if step.day is not None}
    months = {step.months for step in steps if step.months is not None}

    assert min(days) < 0, "conditioning or work-up before Day 0"
    assert 0 in days, "Day 0 infusion"
    assert any(s.day == 100 and (s.window_before, s.window_after) == (15, 15) for s in steps)
    assert any(s.day == 180 and (s.window_before, s.window_after) == (30, 30) for s in steps)
    # The 1-year contact must fall after Day 365: its window opens on the anniversary.
    assert any(s.months == 12 and s.window_before == 0 for s in steps)
    assert {12, 24} <= months
    assert any(s.repeat_every_days for s in steps), "a repeating step"

    vaccines = [s for s in steps if s.months is not None and "vaccin" in s.title.lower()]
    assert vaccines, "months-anchored revaccination"
    mmr = next(s for s in steps if s.title.startswith("MMR"))
    assert mmr.months == 24
    gates = mmr.checklist.lower()
    for gate in ("24 months", "chronic gvhd", "immunosuppression", "ivig"):
        assert gate in gates, f"live-vaccine gate {gate!r} on the MMR checklist"


@pytest.mark.parametrize("slug", ALLOGENEIC)
def test_allogeneic_protocol_monitors_cmv_weekly_to_day_100(library, slug):
    assert any(
        s.repeat_every_days == 7 and s.repeat_until_day == 100 and "cmv" in s.title.lower()
        for s in steps_of(slug)
    )


@pytest.mark.parametrize("slug", AUTOLOGOUS)
def test_autologous_protocol_gives_recombinant_zoster_from_day_60(library, slug):
    zoster = [s for s in steps_of(slug) if "zoster" in s.title.lower()]
    assert [(s.day, s.window_before, s.window_after) for s in zoster][0] == (60, 10, 10)
    assert len(zoster) == 2


@pytest.mark.parametrize("slug", PROCEDURES)
def test_procedure_protocol_prepares_treats_and_follows_up(library, slug):
    steps = steps_of(slug)
    assert any(s.day is not None and s.day < 0 and s.audience == "patient" for s in steps)
    assert any(s.day == 0 for s in steps)
    assert any(s.months is not None for s in steps), "follow-up over months"
    text = " ".join(s.title + " " + s.checklist for s in steps).lower()
    assert "vaccin" not in text
    assert "engraftment" not in text


@pytest.mark.parametrize("slug", ALL_SLUGS)
def test_protocol_plans_inside_windows(library, slug):
    steps = steps_of(slug)
    by_key = {step.key: step for step in steps}
    milestones = plan(DAY_ZERO, [step.rule() for step in steps])

    for milestone in milestones:
        step = by_key[milestone.key]
        assert milestone.window_start <= milestone.due_date <= milestone.window_end
        assert milestone.window_start == milestone.due_date - timedelta(days=step.window_before)
        if step.seasons:  # any day of its season
            season = influenza_season()
            assert milestone.window_end == season.end_of(
                season.start_on_or_before(milestone.due_date)
            )
        else:
            assert milestone.window_end == milestone.due_date + timedelta(days=step.window_after)
        if step.seasons:
            season = influenza_season()
            dates = influenza_dates(
                day_zero=DAY_ZERO,
                until=calendar_months_after(DAY_ZERO, 12 * (step.seasons + 1)),
                from_months=step.months,
                season=season,
            )
            assert milestone.due_date == dates[milestone.occurrence - 1]
            assert season.contains(milestone.due_date)
        elif step.months is not None:
            assert milestone.due_date == calendar_months_after(DAY_ZERO, step.months)
        else:
            n = day_number(milestone.due_date, DAY_ZERO)
            assert n == step.day + (milestone.occurrence - 1) * (step.repeat_every_days or 0)
            assert n <= (step.repeat_until_day if step.repeat_every_days else step.day)

    for step in steps:
        count = sum(1 for m in milestones if m.key == step.key)
        if step.repeat_every_days:
            assert count == (step.repeat_until_day - step.day) // step.repeat_every_days + 1
        elif step.seasons:
            assert count == step.seasons, step.key
        else:
            assert count == 1, step.key


def test_month_anchors_clamp_to_calendar_months(library):
    steps = {s.key: s for s in steps_of("auto-beam")}
    due = {m.key: m.due_date for m in plan(DAY_ZERO, [s.rule() for s in steps.values()])}
    assert steps["pcv-dose-1"].months == 3
    assert due["pcv-dose-1"] == date(2024, 4, 30)  # 31 Jan + 3 months: April has 30 days
    assert due["pcv-dose-2"] == date(2024, 5, 31)
    assert due["one-year-evaluation"] == date(2025, 1, 31)
    assert day_number(due["one-year-evaluation"], DAY_ZERO) == 366  # 2024 is a leap year


@pytest.mark.django_db
def test_engraftment_follows_the_graft_source_unless_a_protocol_sets_its_own_day():
    """Migration 0011: the day a protocol had becomes an override only where it differs."""
    from django.apps import apps

    migration = importlib.import_module("tracker.migrations.0011_engraftment_data")
    cord = ProtocolFactory(graft_source="cord_blood", graft_failure_day=42)
    centre = ProtocolFactory(graft_source="pbsc", graft_failure_day=28)
    procedure = ProtocolFactory(graft_source="marrow_concentrate", graft_failure_day=None)
    migration.engraftment(apps, None)
    for protocol in (cord, centre, procedure):
        protocol.refresh_from_db()
    assert (cord.tracks_engraftment, cord.graft_failure_day) == (True, None)
    assert (centre.tracks_engraftment, centre.graft_failure_day) == (True, 28)
    assert (procedure.tracks_engraftment, procedure.graft_failure_day) == (False, None)


@pytest.mark.django_db
def test_the_shipped_daily_counts_steps_are_done_by_counts():
    call_command("load_protocols", verbosity=0)
    daily = ProtocolStep.objects.filter(key="daily-blood-counts")
    assert daily.count() == 5
    assert all(step.done_by_counts for step in daily)
    transplants = Protocol.objects.exclude(kind="procedure")
    assert all(protocol.tracks_engraftment for protocol in transplants)


@pytest.mark.django_db
def test_loading_the_library_records_history_and_loading_again_changes_nothing():
    load_library()
    protocol = Protocol.objects.get(slug="auto-beam")
    assert protocol.history.count() == 1
    assert protocol.history.first().history_change_reason == "Protocol library loaded"
    step = protocol.steps.first()
    assert step.history.count() == 1
    load_library()
    assert protocol.history.count() == 1
    assert step.history.count() == 1


@pytest.mark.django_db
def test_a_changed_library_updates_in_place_with_a_history_row(tmp_path):
    load_library()
    rows = json.loads((settings.BASE_DIR / "fixtures" / "protocols.json").read_text())
    for row in rows:
        if row["model"] == "tracker.protocolstep" and row["fields"]["key"] == "daily-blood-counts":
            row["fields"]["title"] = "Daily full blood count"
    changed = tmp_path / "protocols.json"
    changed.write_text(json.dumps(rows))
    revisions = dict(Protocol.objects.values_list("slug", "revision"))
    call_command("load_protocols", str(changed), verbosity=0)
    steps = ProtocolStep.objects.filter(key="daily-blood-counts")
    assert {step.title for step in steps} == {"Daily full blood count"}
    assert all(step.history.count() == 2 for step in steps)
    # Course pages kept in the cache are drawn again for the changed protocols only.
    edited = {step.protocol.slug for step in steps}
    for slug, revision in Protocol.objects.values_list("slug", "revision"):
        assert revision == revisions[slug] + (1 if slug in edited else 0), slug


# --- Immune recovery in the library (CLINICAL.md section 5) ---------------------------------

TRANSPLANTS = [*AUTOLOGOUS, *ALLOGENEIC]


@pytest.mark.parametrize("slug", TRANSPLANTS)
def test_one_vaccine_per_step_each_dose_once_in_order(library, slug):
    doses: dict[str, list[tuple[int, int]]] = {}
    for step in steps_of(slug):
        text = f"{step.title} {step.key}".lower()
        if step.vaccine:
            assert step.dose, step.key
            doses.setdefault(step.vaccine, []).append((step.dose, step.months or 0))
        else:
            assert "vaccin" not in text or "evaluation" in text or "review" in text, step.key
    for vaccine, given in doses.items():
        numbers = [dose for dose, _ in sorted(given)]
        assert numbers == list(range(1, len(numbers) + 1)), (slug, vaccine)
        for dose, _ in sorted(given)[1:]:
            if vaccine not in ("influenza",):
                assert (vaccine, dose) in MIN_INTERVALS, (slug, vaccine, dose)
    for vaccine in ("pcv", "tdap", "hib", "ipv", "hepb"):
        assert len(doses[vaccine]) >= 3, (slug, vaccine)
    assert doses["rzv"]
    assert doses["mmr"]
    assert doses["varicella"]
    assert doses["ppsv23"]


@pytest.mark.parametrize("slug", ALLOGENEIC)
def test_allogeneic_ppsv23_only_without_chronic_gvhd_else_a_fourth_pcv(library, slug):
    steps = {step.key: step for step in steps_of(slug)}
    assert steps["ppsv23"].chronic_gvhd == "without"
    assert (steps["pcv-dose-4"].vaccine, steps["pcv-dose-4"].dose) == ("pcv", 4)
    assert steps["pcv-dose-4"].chronic_gvhd == "with"
    assert steps["ppsv23"].months == steps["pcv-dose-4"].months == 12
    zoster = sorted((s for s in steps.values() if s.vaccine == "rzv"), key=lambda s: s.dose)
    assert [s.dose for s in zoster] == [1, 2], "recombinant zoster for allogeneic courses too"
    assert steps["letermovir-stop"].stop_rule == "letermovir"
    assert steps["letermovir-stop"].day == 100


@pytest.mark.parametrize("slug", TRANSPLANTS)
def test_influenza_yearly_in_season_and_pjp_stop_by_rule(library, slug):
    steps = {step.key: step for step in steps_of(slug)}
    influenza = steps["influenza-vaccine"]
    assert influenza.months == 6
    assert influenza.seasons
    occurrences = [m for m in plan(DAY_ZERO, [influenza.rule()])]
    assert len(occurrences) == influenza.seasons
    assert steps["pjp-stop"].stop_rule == "pjp"


@pytest.mark.parametrize("slug", TRANSPLANTS)
def test_long_term_follow_up_yearly_to_year_6_then_every_two_years(library, slug):
    reviews = sorted(
        (s for s in steps_of(slug) if s.key.startswith("year-")), key=lambda s: s.months or 0
    )
    years = [(s.months or 0) // 12 for s in reviews]
    assert years[:4] == [3, 4, 5, 6]
    assert all(b - a == 2 for a, b in zip(years[3:], years[4:], strict=False))
    assert years[-1] >= 20
    for review in reviews:
        years_after = f"{(review.months or 0) // 12} years after your transplant"
        assert review.patient_title == f"Your yearly check, {years_after}", review.key
        assert review.patient_text.startswith("Once a year we look"), review.key
        items = " ".join(review.checklist_items).lower()
        screenings = ("lipids", "glucose", "thyroid", "eye", "dental", "skin", "bone", "fertility")
        for screening in (*screenings, "second cancers", "psychosocial"):
            assert screening in items, (review.key, screening)
        assert ("gvhd" in items) == (slug in ALLOGENEIC)
