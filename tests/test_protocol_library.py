"""The shipped protocol library, fixtures/protocols.json (CLINICAL.md sections 1, 4, 5, 7, 8, 9).

It loads by natural keys (no pks), so loading it again updates the rows in place; every step
is valid and plans to dated milestones inside their windows. What the patient sees of it
(issue 17): their conditioning days and home medicines, never an outcome; plain titles; the
phases of a transplant (work-up before conditioning) or of a procedure; clinic visits that can
move off a closed day. The wording itself is checked in tests/test_plain_language.py.
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
from tracker.rules.schedule import (
    ClinicDays,
    Phase,
    StepRule,
    add_months,
    date_of_day,
    day_number,
    influenza_dates,
    phase_of,
    phases_from,
    plan,
)

AUTOLOGOUS = ["auto-beam", "auto-melphalan"]
ALLOGENEIC = ["allo-mac-bu-cy", "allo-ric-flu-mel", "cord-blood"]
TRANSPLANTS = AUTOLOGOUS + ALLOGENEIC
PROCEDURES = [
    "bmac-injection",
    "im-bm-cell-therapy-leg",
    "bmac-bmp2-bone",
    "bm-mnc-stroke-research",
]
RESEARCH = ["bm-mnc-stroke-research"]
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


def test_the_nine_protocols_are_shipped_the_research_one_inactive(library):
    protocols = {p.slug: p for p in Protocol.objects.all()}
    assert set(protocols) == set(ALL_SLUGS)
    assert {protocols[slug].kind for slug in AUTOLOGOUS} == {"autologous"}
    assert {protocols[slug].kind for slug in ALLOGENEIC} == {"allogeneic"}
    assert {protocols[slug].kind for slug in PROCEDURES} == {"procedure"}
    assert protocols["cord-blood"].graft_source == "cord_blood"
    assert all(p.summary for p in protocols.values())
    for slug, protocol in protocols.items():
        assert protocol.is_research == (slug in RESEARCH), slug
        assert protocol.is_active == (slug not in RESEARCH), slug
        protocol.full_clean()
    research = protocols["bm-mnc-stroke-research"]
    assert "Research only, inside an approved study" in research.summary
    assert "(research)" in research.name
    bone = protocols["bmac-bmp2-bone"]
    assert (bone.graft_source, bone.donor_type) == ("bone_marrow", "self")


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


# --- What the patient sees (issue 17) --------------------------------------------------------

CHEMOTHERAPY = {
    "carmustine": "carmustine",
    "etoposide-cytarabine": "etoposide and cytarabine",
    "melphalan": "melphalan",
    "busulfan": "busulfan",
    "cyclophosphamide": "cyclophosphamide",
    "fludarabine": "fludarabine",
}
# Medicines the patient takes (at home, or knows the plan of): shown with their dates.
HOME_MEDICINES = {
    "filgrastim-start",
    "ciclosporin-start",
    "ciclosporin-mmf-start",
    "letermovir-start",
    "letermovir-stop",
    "pjp-stop",
}
# Where conditioning starts (CLINICAL.md section 7): the first conditioning drug, or the
# admission the day before it.
CONDITIONING_FROM = {
    "auto-beam": -7,  # admission; carmustine Day -6
    "auto-melphalan": -3,  # admission; melphalan Day -2
    "allo-mac-bu-cy": -8,  # admission and seizure prophylaxis; busulfan Day -7
    "allo-ric-flu-mel": -8,  # admission; fludarabine Day -7
    "cord-blood": -7,  # admission; cyclophosphamide and fludarabine Day -6
}
PROCEDURE_PHASES = {Phase.PREPARATION, Phase.PROCEDURE_DAY, Phase.RECOVERY, Phase.FOLLOW_UP}


def is_patient_visible(step: ProtocolStep) -> bool:
    return step.audience in ("patient", "both")


def test_every_step_a_patient_sees_has_its_own_patient_title(library):
    visible = [step for step in ProtocolStep.objects.all() if is_patient_visible(step)]
    assert len(visible) > 300
    missing = [str(step) for step in visible if not step.patient_title.strip()]
    assert missing == []


def test_outcomes_are_never_shown_to_patients_as_appointments(library):
    for step in ProtocolStep.objects.all():
        outcome = (
            step.engraftment
            or "engraftment" in step.title.lower()
            or "chimerism" in step.title.lower()
            or "registry" in step.title.lower()
        )
        if outcome:
            assert step.audience == "care_team", str(step)
    assert ProtocolStep.objects.exclude(engraftment="").count() == 10
    assert not ProtocolStep.objects.exclude(engraftment="").exclude(audience="care_team")


@pytest.mark.parametrize("slug", TRANSPLANTS)
def test_patients_see_each_conditioning_day_and_their_medicines(library, slug):
    protocol = Protocol.objects.get(slug=slug)
    steps = steps_of(slug)
    conditioning = [
        step
        for step in steps
        if step.day is not None and protocol.conditioning_from_day <= step.day < 0
    ]
    assert conditioning
    for step in conditioning:  # admission, drugs, rest day, radiotherapy: the whole calendar
        assert is_patient_visible(step), step.key
    chemotherapy = [step for step in steps if step.key in CHEMOTHERAPY]
    assert chemotherapy
    for step in chemotherapy:
        assert step in conditioning, step.key
        assert step.patient_title == f"Chemotherapy: {CHEMOTHERAPY[step.key]}", step.key
    medicines = [step for step in steps if step.key in HOME_MEDICINES]
    assert {"pjp-stop"} <= {step.key for step in medicines}
    for step in medicines:
        assert is_patient_visible(step), step.key
    for step in steps:
        if step.stop_rule:  # a stop the patient must not act on alone
            assert "we tell you when to stop" in step.patient_title, step.key
            assert "Keep taking it until we tell you to stop." in step.patient_text, step.key


@pytest.mark.parametrize("slug", TRANSPLANTS)
def test_transplant_conditioning_starts_where_its_regimen_does_and_work_up_comes_before(
    library, slug
):
    protocol = Protocol.objects.get(slug=slug)
    assert protocol.phase_set == "transplant"
    assert protocol.conditioning_from_day == CONDITIONING_FROM[slug]
    steps = steps_of(slug)
    first = [step for step in steps if step.day == protocol.conditioning_from_day]
    assert {step.key for step in first} & {"admission-central-line", *CHEMOTHERAPY}
    phase = phases_from(DAY_ZERO, protocol.phase_scheme)
    work_up = [s for s in steps if s.day is not None and s.day < protocol.conditioning_from_day]
    assert "pre-transplant-work-up" in {step.key for step in work_up}
    for step in work_up:
        assert phase(date_of_day(DAY_ZERO, step.day)) == Phase.WORK_UP, step.key
        words = f"{step.title} {step.patient_title} {step.patient_text}".lower()
        assert "conditioning" not in words, step.key
    for step in steps:
        if step.key in CHEMOTHERAPY or step.key == "admission-central-line":
            assert phase(date_of_day(DAY_ZERO, step.day)) == Phase.CONDITIONING, step.key
    work_up_day = next(s.day for s in steps if s.key == "pre-transplant-work-up")
    assert (
        phase_of(date_of_day(DAY_ZERO, work_up_day), DAY_ZERO, protocol.phase_scheme)
        == Phase.WORK_UP
    )


@pytest.mark.parametrize("slug", PROCEDURES)
def test_a_procedure_is_told_in_its_own_phases(library, slug):
    protocol = Protocol.objects.get(slug=slug)
    assert protocol.phase_set == "procedure"
    assert protocol.conditioning_from_day is None
    assert not protocol.tracks_engraftment
    milestones = plan(DAY_ZERO, [step.rule() for step in steps_of(slug)])
    phase = phases_from(DAY_ZERO, protocol.phase_scheme)
    phases = {phase(milestone.due_date) for milestone in milestones}
    assert phases <= PROCEDURE_PHASES
    assert {Phase.PREPARATION, Phase.PROCEDURE_DAY, Phase.FOLLOW_UP} <= phases


@pytest.mark.parametrize("slug", PROCEDURES)
def test_a_held_blood_thinner_has_a_dated_restart_after_day_0(library, slug):
    steps = {step.key: step for step in steps_of(slug)}
    if "hold-blood-thinners" not in steps:
        assert slug in RESEARCH  # the study agrees its own plan with the stroke team
        return
    plan_step = steps["hold-blood-thinners"]
    assert plan_step.title == plan_step.patient_title == "Check your blood-thinner plan"
    assert plan_step.day < 0
    assert "Do not stop" in plan_step.patient_text
    restart = steps["restart-blood-thinners"]
    assert restart.patient_title == "Restart your blood thinner"
    assert restart.months is None
    assert restart.day >= 1
    assert is_patient_visible(restart)
    assert "the day your doctor told you" in restart.patient_text
    assert "usually the day after" in restart.patient_text
    assert "bleeding" in restart.patient_text
    assert "call us" in restart.patient_text.lower()


def test_bmac_restarts_the_blood_thinner_on_day_1(library):
    restart = ProtocolStep.objects.get(
        protocol__slug="bmac-injection", key="restart-blood-thinners"
    )
    assert (restart.day, restart.window_before, restart.window_after) == (1, 0, 2)
    hold = ProtocolStep.objects.get(protocol__slug="bmac-injection", key="hold-blood-thinners")
    assert "we tell you if and when to stop it" in hold.patient_text
    assert "Do not stop your blood thinner on your own." in hold.patient_text


def test_the_leg_therapy_makes_a_cold_pale_leg_an_emergency_and_keeps_antiplatelets(library):
    steps = {step.key: step for step in steps_of("im-bm-cell-therapy-leg")}
    aftercare = steps["aftercare-first-week"].patient_text
    assert "colder, paler or much more painful" in aftercare
    assert "this is an emergency" in aftercare
    assert "call 999 (or your local emergency number)" in aftercare
    assert "If we are closed" in aftercare
    for text in (aftercare, steps["hold-blood-thinners"].patient_text):
        assert "aspirin or clopidogrel" in text
        assert "unless the vascular team" in text
    assert "emergency" in steps["aftercare-first-week"].checklist


def test_beam_promises_no_steroid_eye_drops(library):
    """Steroid eye drops go with high-dose cytarabine, not BEAM's."""
    protocol = Protocol.objects.get(slug="auto-beam")
    words = [protocol.summary] + [
        f"{s.title} {s.patient_title} {s.patient_text} {s.checklist}" for s in steps_of("auto-beam")
    ]
    assert not [text for text in words if "eye drop" in text.lower()]


@pytest.mark.parametrize("slug", TRANSPLANTS)
def test_the_flu_vaccine_plans_inside_the_season_whatever_the_month_of_day_zero(library, slug):
    influenza = next(step for step in steps_of(slug) if step.key == "influenza-vaccine")
    season = influenza_season()  # settings.INFLUENZA_SEASON (default 09-01/03-31)
    for month in range(1, 13):
        for day in (1, 15, calendar.monthrange(2025, month)[1]):
            day_zero = date(2025, month, day)
            milestones = plan(day_zero, [influenza.rule()])
            assert len(milestones) == influenza.seasons, day_zero
            for milestone in milestones:
                assert season.contains(milestone.due_date), (day_zero, milestone)
                assert milestone.due_date >= add_months(day_zero, influenza.months), day_zero
                assert milestone.window_end <= season.end_of(
                    season.start_on_or_before(milestone.due_date)
                )
            starts = {season.start_on_or_before(m.due_date) for m in milestones}
            assert len(starts) == len(milestones), "one dose a season"


@pytest.mark.parametrize("slug", ALL_SLUGS)
def test_clinic_visits_can_move_to_an_open_day_and_nothing_else_moves(library, slug):
    steps = steps_of(slug)
    at_clinic = [step for step in steps if step.at_clinic]
    assert at_clinic
    for step in at_clinic:
        assert step.window_before + step.window_after >= 2, step.key  # a weekend's width
        assert is_patient_visible(step), step.key
        assert step.day != 0, step.key
        assert not step.vaccine, step.key
        assert not step.engraftment, step.key
        assert not step.done_by_counts, step.key
        assert step.key not in CHEMOTHERAPY, step.key
    closed_at_weekends = ClinicDays()
    rules = [step.rule() for step in steps]
    for shift in range(7):  # a Day Zero on each day of the week
        day_zero = DAY_ZERO + timedelta(days=shift)
        open_plan = {(m.key, m.occurrence): m for m in plan(day_zero, rules)}
        for milestone in plan(day_zero, rules, closed_at_weekends):
            planned = open_plan[(milestone.key, milestone.occurrence)]
            assert planned.window_start <= milestone.due_date <= planned.window_end
            if milestone.moved_from is not None:
                assert milestone.key in {step.key for step in at_clinic}
                assert milestone.moved_from == planned.due_date
            if milestone.key in {step.key for step in at_clinic}:
                assert not closed_at_weekends.is_closed(milestone.due_date), milestone


def test_the_research_protocol_follows_its_scores_and_promises_nothing(library):
    steps = steps_of("bm-mnc-stroke-research")
    nihss = sorted(step.day for step in steps if "NIHSS" in step.title and step.day > 0)
    assert nihss == [1, 7, 30, 90]
    rankin = [(s.day, s.months) for s in steps if "Rankin" in s.title and (s.day or 0) >= 0]
    assert sorted(rankin, key=str) == sorted([(90, None), (180, None), (None, 12)], key=str)
    assert any("Barthel" in step.title for step in steps)
    assert any("imaging" in step.title.lower() and step.day == 7 for step in steps)
    assert [step.day for step in steps if "harvest" in step.title.lower()] == [0]
    consent = next(step for step in steps if step.key == "study-consent")
    assert "We do not know yet if it helps" in consent.patient_text
    assert "leave the study at any time" in consent.patient_text
    for step in steps:
        text = step.patient_text.lower()
        assert "will help" not in text, step.key
        assert "will improve" not in text, step.key


def test_the_bone_regeneration_protocol_grafts_on_day_0_and_checks_the_bone(library):
    steps = {step.key: step for step in steps_of("bmac-bmp2-bone")}
    assert steps["consultation-planning-scan"].day < 0
    assert steps["bone-graft-procedure"].day == 0
    review = steps["review-2-weeks"]
    assert (review.day, review.at_clinic) == (14, True)
    assert "Sutures removed" in review.checklist
    assert [steps[key].months for key in ("bone-check-3-months", "bone-check-6-months")] == [3, 6]
    aftercare = steps["aftercare-first-week"].patient_text
    for advice in ("soft, cool food", "mouth rinse", "Do not smoke", "call 999"):
        assert advice in aftercare, advice
