"""One course of each kind with something of every record the export maps, built through the
services (so their course events are there too) on the pinned today (2026-11-21)."""

from datetime import date
from decimal import Decimal

import pytest

from tests.factories import PatientFactory, StepFactory, small_protocol, start_course
from tracker import services
from tracker.models import ChecklistItem, Kind, Milestone
from tracker.rules.gvhd import NIH_ORGANS


def milestone(course, key, occurrence=1):
    return Milestone.objects.get(course=course, step__key=key, occurrence=occurrence)


def counts(course, by, today, *rows):
    blank = {"anc": None, "anc_manual": False, "platelets": None, "platelet_transfusion": False}
    services.record_counts(course=course, rows=[{**blank, **r} for r in rows], by=by, today=today)


@pytest.fixture(autouse=True)
def named_coordinator(db, coordinator):
    """The same name in every run (the factory numbers its users in the order tests run)."""
    coordinator.first_name, coordinator.last_name = "Casey", "Morgan"
    coordinator.save()
    return coordinator


@pytest.fixture
def autologous(coordinator, today):
    protocol = small_protocol(
        slug="golden-auto",
        name="Autologous, BEAM (golden)",
        kind=Kind.AUTOLOGOUS,
        donor_type="self",
        summary="A small autologous protocol for the golden file.",
    )
    protocol.steps.filter(key="pcv-1").update(vaccine="pcv", dose=1)
    patient = PatientFactory(
        mrn="GOLD-0001", given_name="Sam", family_name="Okafor", date_of_birth=date(1983, 9, 17)
    )
    course = start_course(
        patient=patient, protocol=protocol, day_zero=date(2026, 7, 29), by=coordinator
    )
    services.move_day_zero(
        course=course, day_zero=date(2026, 8, 1), by=coordinator, reason="Bed not ready"
    )
    course.refresh_from_db()
    services.complete_milestone(
        milestone=milestone(course, "infusion"), on=date(2026, 8, 1), by=coordinator, today=today
    )
    item = ChecklistItem.objects.filter(milestone=milestone(course, "clinic")).first()
    services.tick_item(item=item, checked=True, by=coordinator)
    counts(
        course,
        coordinator,
        today,
        {
            "drawn_on": date(2026, 8, 11),
            "anc": Decimal("0.45"),
            "anc_manual": True,
            "platelets": Decimal("18.5"),
            "platelet_transfusion": True,
        },
        {"drawn_on": date(2026, 8, 15), "anc": Decimal("1.2"), "platelets": Decimal("52")},
    )
    services.record_results(
        course=course,
        rows=[
            {"drawn_on": date(2026, 8, 31), "analyte": "igg", "value": Decimal("4.25")},
            {
                "drawn_on": date(2026, 8, 31),
                "analyte": "cmv_pcr",
                "value": None,
                "undetected": True,
            },
        ],
        by=coordinator,
    )
    services.record_vaccination(
        course=course,
        vaccine="pcv",
        dose=1,
        given_on=date(2026, 11, 5),
        by=coordinator,
        product="Prevenar 13",
        batch="AB123",
    )
    return course


@pytest.fixture
def allogeneic(coordinator, today):
    protocol = small_protocol(slug="golden-allo", name="Allogeneic, Flu/Mel (golden)")
    StepFactory(
        protocol=protocol,
        key="mmr-1",
        title="MMR (live), dose 1",
        day=None,
        months=24,
        window_after=60,
        vaccine="mmr",
        dose=1,
        checklist="",
        position=70,
    )
    patient = PatientFactory(
        mrn="GOLD-0002", given_name="Jo", family_name="Lindqvist", date_of_birth=date(1965, 1, 30)
    )
    course = start_course(
        patient=patient, protocol=protocol, day_zero=date(2026, 5, 1), by=coordinator
    )
    services.record_immunosuppression(
        course=course, drug="Tacrolimus", started_on=date(2026, 4, 28), by=coordinator
    )
    services.record_ivig(course=course, given_on=date(2026, 6, 1), by=coordinator)
    services.record_acute_gvhd(
        course=course,
        values={
            "assessed_on": date(2026, 5, 25),
            "bsa_percent": Decimal(30),
            "bilirubin": Decimal("1"),
            "bilirubin_unit": "mg/dL",
            "stool_ml_per_day": 100,
        },
        by=coordinator,
    )
    scores = {organ: 0 for organ in NIH_ORGANS}
    episode = services.diagnose_chronic_gvhd(
        course=course,
        diagnosed_on=date(2026, 9, 1),
        scores={**scores, "skin": 1, "mouth": 1},
        by=coordinator,
    )
    services.score_chronic_gvhd(
        episode=episode,
        assessed_on=date(2026, 10, 15),
        scores={**scores, "skin": 2},
        by=coordinator,
        note="Sclerotic features on the forearms",
    )
    services.record_results(
        course=course,
        rows=[
            {
                "drawn_on": date(2026, 5, 31),
                "analyte": "chimerism_myeloid",
                "value": Decimal("98.5"),
            },
            {"drawn_on": date(2026, 6, 7), "analyte": "cmv_pcr", "value": Decimal("1250")},
            {"drawn_on": date(2026, 8, 1), "analyte": "cd4", "value": Decimal("180")},
        ],
        by=coordinator,
    )
    services.record_infusion(
        course=course,
        kind="dli",
        given_on=date(2026, 10, 1),
        by=coordinator,
        note="Mixed chimerism",
    )
    return course


@pytest.fixture
def procedure(coordinator, today):
    protocol = StepFactory(
        protocol__slug="golden-knee",
        protocol__name="Bone marrow concentrate, knee (golden)",
        protocol__kind=Kind.PROCEDURE,
        protocol__graft_source="marrow_concentrate",
        protocol__donor_type="self",
        protocol__phase_set="procedure",
        key="harvest-inject",
        title="Marrow harvest and knee injection",
        day=0,
        at_clinic=True,
        checklist="Consent signed\nSite marked",
        position=10,
    ).protocol
    StepFactory(
        protocol=protocol,
        key="review",
        title="Two-week review",
        day=14,
        window_before=3,
        window_after=3,
        at_clinic=True,
        checklist="Wound checked",
        position=20,
    )
    StepFactory(
        protocol=protocol,
        key="three-months",
        title="Three-month knee score",
        day=None,
        months=3,
        window_before=14,
        window_after=14,
        checklist="",
        position=30,
        audience="care_team",
    )
    patient = PatientFactory(
        mrn="GOLD-0003", given_name="Léa", family_name="Dubois", date_of_birth=date(1972, 3, 4)
    )
    course = start_course(
        patient=patient, protocol=protocol, day_zero=date(2026, 6, 10), by=coordinator
    )
    services.complete_milestone(
        milestone=milestone(course, "harvest-inject"),
        on=date(2026, 6, 10),
        by=coordinator,
        today=today,
    )
    services.complete_milestone(
        milestone=milestone(course, "review"), on=date(2026, 6, 26), by=coordinator, today=today
    )
    services.end_course(
        course=course,
        reason="completed",
        on=date(2026, 11, 20),
        by=coordinator,
        note="Discharged to the referring team",
    )
    course.refresh_from_db()
    return course
