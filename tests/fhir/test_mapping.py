"""The mapping, case by case, from what FHIR R4 says each element means (not from our code):
Day Zero offsets and windows (Vulcan), statuses in their value sets, values as typed, the
live-vaccine gates as forecast reasons, stable ids, and what the validation refuses."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.test import override_settings

from tests.factories import PatientFactory, StepFactory, small_protocol, start_course
from tests.fhir.conftest import milestone
from tracker import services
from tracker.fhir import resources as fhir
from tracker.fhir.course import course_resources
from tracker.fhir.validate import InvalidResource, validate
from tracker.models import BloodCount, ChecklistItem, LabResult, Milestone
from tracker.models.choices import Hold
from tracker.rules.immunity import GateVerdict

pytestmark = pytest.mark.django_db


def of_type(export, resource_type):
    return [r for r in export.resources if r["resourceType"] == resource_type]


def one(export, resource_type):
    (resource,) = of_type(export, resource_type)
    return resource


def action(plan, key):
    return next(a for a in plan["action"] if a["id"] == key)


def activity_of(care_plan, title):
    return next(a for a in care_plan["activity"] if a["detail"]["description"] == title)


class TestPlanDefinition:
    def plan(self, **step):
        protocol = small_protocol()
        StepFactory(protocol=protocol, key="probe", **step)
        return fhir.plan_definition(protocol, list(protocol.steps.all()))

    def test_a_day_before_day_zero_counts_back_with_its_window_in_the_same_direction(self):
        # Day -3, from Day -4 to Day -1: 3 days before Day Zero, acceptable 1 to 4 days before.
        probe = action(self.plan(day=-3, window_before=1, window_after=2), "probe")
        (related,) = probe["relatedAction"]
        assert related["actionId"] == "day-zero"
        assert related["relationship"] == "before-start"
        assert related["offsetDuration"]["value"] == 3
        assert related["offsetDuration"]["code"] == "d"
        window = related["extension"][0]["valueRange"]
        assert (window["low"]["value"], window["high"]["value"]) == (1, 4)
        around = probe["extension"][0]["valueRange"]
        assert (around["low"]["value"], around["high"]["value"]) == (-1, 2)

    def test_a_day_after_day_zero_and_its_window(self):
        probe = action(self.plan(day=30, window_before=7, window_after=7), "probe")
        (related,) = probe["relatedAction"]
        assert related["relationship"] == "after-start"
        assert related["offsetDuration"]["value"] == 30
        window = related["extension"][0]["valueRange"]
        assert (window["low"]["value"], window["high"]["value"]) == (23, 37)

    def test_day_zero_itself_and_a_one_day_window_have_no_range(self):
        probe = action(self.plan(day=0), "probe")
        (related,) = probe["relatedAction"]
        assert related["offsetDuration"]["value"] == 0
        assert "extension" not in related
        assert "extension" not in probe

    def test_calendar_months_stay_months_and_the_window_stays_in_days(self):
        probe = action(self.plan(day=None, months=6, window_before=14, window_after=30), "probe")
        (related,) = probe["relatedAction"]
        assert related["offsetDuration"] == {
            "value": 6,
            "unit": "months",
            "system": "http://unitsofmeasure.org",
            "code": "mo",
        }
        assert "extension" not in related  # Vulcan's range would mix months and days
        around = probe["extension"][0]["valueRange"]
        assert (around["low"]["value"], around["high"]["value"]) == (-14, 30)

    def test_repeats_count_every_occurrence_to_the_last_day(self):
        # Day 7 every 7 days to Day 28: Days 7, 14, 21, 28.
        probe = action(self.plan(day=7, repeat_every_days=7, repeat_until_day=28), "probe")
        assert probe["timingTiming"]["repeat"] == {"count": 4, "period": 7, "periodUnit": "d"}
        # Day 1 every 3 days to Day 9 ... and 10: Days 1, 4, 7 (10 is past the end).
        one_more = action(self.plan(day=1, repeat_every_days=3, repeat_until_day=9), "probe")
        assert one_more["timingTiming"]["repeat"]["count"] == 3

    def test_once_a_season_for_three_seasons(self):
        probe = action(self.plan(day=None, months=6, seasons=3), "probe")
        assert probe["timingTiming"]["repeat"] == {"count": 3, "period": 1, "periodUnit": "a"}

    def test_checklist_lines_are_sub_actions_and_the_audience_the_participants(self):
        probe = action(
            self.plan(day=1, checklist="Bloods\n\nWeight ", audience="care_team"), "probe"
        )
        assert [a["title"] for a in probe["action"]] == ["Bloods", "Weight"]
        assert probe["participant"] == [{"type": "practitioner"}]

    def test_a_retired_step_is_not_planned_any_more(self):
        plan = self.plan(day=1, retired=True)
        assert "probe" not in {a["id"] for a in plan["action"]}
        assert validate(plan)

    def test_a_vaccine_step_carries_its_cvx_code(self):
        probe = action(self.plan(day=None, months=3, vaccine="pcv", dose=1), "probe")
        assert {"system": "http://hl7.org/fhir/sid/cvx", "code": "152"}.items() <= probe["code"][0][
            "coding"
        ][1].items()


class TestStatuses:
    @pytest.fixture
    def course(self, coordinator, today):
        return start_course(day_zero=today - timedelta(days=10), by=coordinator)

    def test_each_milestone_status_reads_in_the_care_plan_activity_status_value_set(
        self, course, coordinator, today
    ):
        services.complete_milestone(
            milestone=milestone(course, "infusion"),
            on=today - timedelta(days=10),
            by=coordinator,
            today=today,
        )
        care_plan = one(course_resources(course, today=today), "CarePlan")
        statuses = {
            a["detail"]["description"]: (
                a["detail"]["status"],
                a["detail"]["statusReason"]["coding"][0]["code"],
            )
            for a in care_plan["activity"]
        }
        assert statuses["Stem cell infusion"] == ("completed", "done")
        assert statuses["Conditioning chemotherapy (1)"] == ("not-started", "overdue")
        assert statuses["Clinic visit (1)"] == ("not-started", "overdue")  # Day +7, a day window
        assert statuses["Clinic visit (2)"] == ("not-started", "upcoming")
        assert statuses["Day +30 evaluation"] == ("not-started", "upcoming")

    def test_a_ticked_item_puts_its_milestone_in_progress_and_its_task_completed(
        self, course, coordinator, today
    ):
        item = ChecklistItem.objects.filter(milestone=milestone(course, "day-30")).first()
        services.tick_item(item=item, checked=True, by=coordinator)
        export = course_resources(course, today=today)
        assert (
            activity_of(one(export, "CarePlan"), "Day +30 evaluation")["detail"]["status"]
            == "in-progress"
        )
        tasks = {t["id"]: t for t in of_type(export, "Task")}
        ticked = tasks[str(item.code)]
        assert ticked["status"] == "completed"
        assert ticked["executionPeriod"]["end"] == "2026-11-21T12:00:00+00:00"
        other = tasks[str(ChecklistItem.objects.filter(milestone=item.milestone).last().code)]
        assert other["status"] == "ready"
        assert other["restriction"]["period"] == {"start": "2026-12-04", "end": "2026-12-18"}

    def test_a_blocked_milestone_is_on_hold_and_a_closed_one_cancelled(self, course, today):
        Milestone.objects.filter(course=course, step__key="day-30").update(
            hold=Hold.BLOCKED, plan_note="Waiting for CD4"
        )
        Milestone.objects.filter(course=course, step__key="day-100").update(hold=Hold.ENDED)
        export = course_resources(course, today=today)
        care_plan = one(export, "CarePlan")
        blocked = activity_of(care_plan, "Day +30 evaluation")["detail"]
        assert blocked["status"] == "on-hold"
        assert blocked["statusReason"]["text"] == "Blocked: Waiting for CD4"
        closed = activity_of(care_plan, "Day +100 evaluation")["detail"]
        assert (closed["status"], closed["statusReason"]["coding"][0]["code"]) == (
            "cancelled",
            "ended",
        )
        day_30_tasks = [
            t for t in of_type(export, "Task") if t["code"]["coding"][0]["code"] == "day-30"
        ]
        assert {t["status"] for t in day_30_tasks} == {"on-hold"}

    def test_the_care_plan_follows_the_course_from_active_to_its_end(
        self, course, coordinator, today
    ):
        assert one(course_resources(course, today=today), "CarePlan")["status"] == "active"
        services.end_course(
            course=course, reason="died", on=today - timedelta(days=1), by=coordinator
        )
        course.refresh_from_db()  # as the view and the command read it: under the lock
        care_plan = one(course_resources(course, today=today), "CarePlan")
        assert care_plan["status"] == "revoked"
        assert care_plan["period"]["end"] == "2026-11-20"
        assert care_plan["note"][0]["text"].startswith("Ended on 2026-11-20: Died.")

    def test_a_later_transplant_replaces_the_earlier_plan(self, coordinator, today):
        first = start_course(day_zero=today - timedelta(days=200), by=coordinator)
        second = services.start_course(
            patient=first.patient,
            protocol=first.protocol,
            day_zero=today + timedelta(days=10),
            by=coordinator,
            follows=first,
            reason="graft_failure",
        )
        plan = one(course_resources(second, today=today), "CarePlan")
        assert plan["replaces"] == [{"reference": f"CarePlan/{first.code}"}]
        first.refresh_from_db()
        earlier = one(course_resources(first, today=today), "CarePlan")
        assert earlier["status"] == "revoked"


class TestValues:
    def test_counts_keep_the_digits_typed_and_a_manual_anc_its_own_loinc(self, autologous, today):
        export = course_resources(autologous, today=today)
        observations = of_type(export, "Observation")
        values = [
            (o["code"]["coding"][0]["code"], o["effectiveDateTime"], o["valueQuantity"]["value"])
            for o in observations
            if "valueQuantity" in o
        ]
        assert ("753-4", "2026-08-11", 0.45) in values  # manual differential
        assert ("777-3", "2026-08-11", 18.5) in values
        assert ("751-8", "2026-08-15", 1.2) in values
        assert ("777-3", "2026-08-15", 52) in values
        assert ("2465-3", "2026-08-31", 4.25) in values
        (transfusion,) = of_type(export, "Procedure")
        assert transfusion["performedDateTime"] == "2026-08-11"

    def test_a_value_typed_with_trailing_zeros_is_the_same_number(self, coordinator, today):
        course = start_course(by=coordinator)
        BloodCount.objects.create(
            course=course,
            drawn_on=today,
            anc=Decimal("0.50"),
            platelets=Decimal("100.0"),
            entered_by=coordinator,
        )
        values = {
            o["code"]["coding"][0]["code"]: o["valueQuantity"]["value"]
            for o in of_type(course_resources(course, today=today), "Observation")
        }
        assert values == {"751-8": 0.5, "777-3": 100}
        assert isinstance(values["777-3"], int)

    def test_a_cmv_pcr_below_detection_is_not_detected_not_zero(self, autologous, today):
        cmv = next(
            o
            for o in of_type(course_resources(autologous, today=today), "Observation")
            if o["code"]["coding"][0]["code"] == "72493-0"
        )
        assert "valueQuantity" not in cmv
        assert cmv["valueCodeableConcept"]["coding"] == [
            {"system": "http://snomed.info/sct", "code": "260415000", "display": "Not detected"}
        ]

    def test_units_are_ucum(self, allogeneic, today):
        units = {
            o["code"]["coding"][0]["code"]: o["valueQuantity"]["code"]
            for o in of_type(course_resources(allogeneic, today=today), "Observation")
            if "valueQuantity" in o
        }
        assert units == {"chimerism-myeloid": "%", "72493-0": "[IU]/mL", "24467-3": "/uL"}

    def test_the_mrn_goes_out_with_the_centres_identifier_system(self, autologous, today):
        with override_settings(FHIR_MRN_SYSTEM="urn:oid:2.16.840.1.113883.2.1.4.1"):
            patient = one(course_resources(autologous, today=today), "Patient")
        mrn = patient["identifier"][0]
        assert mrn["system"] == "urn:oid:2.16.840.1.113883.2.1.4.1"
        assert mrn["value"] == "GOLD-0001"
        assert mrn["type"]["coding"][0]["code"] == "MR"
        assert patient["birthDate"] == "1983-09-17"

    def test_ids_are_the_same_each_time_and_unique(self, allogeneic, today):
        first = [
            (r["resourceType"], r["id"])
            for r in course_resources(allogeneic, today=today).resources
        ]
        second = [
            (r["resourceType"], r["id"])
            for r in course_resources(allogeneic, today=today).resources
        ]
        assert first == second
        assert len(set(first)) == len(first)
        course_ids = {
            r["id"]
            for r in course_resources(allogeneic, today=today).resources
            if r["resourceType"] == "CarePlan"
        }
        assert course_ids == {str(allogeneic.code)}


class TestVaccines:
    def test_live_vaccine_gates_that_fail_are_each_a_forecast_reason(self, allogeneic, today):
        (mmr,) = one(course_resources(allogeneic, today=today), "ImmunizationRecommendation")[
            "recommendation"
        ]
        assert mmr["forecastStatus"]["coding"][0]["code"] == "contraindicated"
        gates = [reason["coding"][0]["code"] for reason in mmr["forecastReason"]]
        # 24 months since Day Zero, active chronic GVHD, still on tacrolimus, IVIG in June.
        assert gates == ["months_since_hct", "active_chronic_gvhd", "immunosuppression", "ivig"]
        assert "1 May 2028" in mmr["forecastReason"][0]["text"]
        assert "dateCriterion" not in mmr  # no date while chronic GVHD is active

    def test_a_known_opening_date_is_the_earliest_date_never_before_the_due_date(self, allogeneic):
        mmr = Milestone.objects.select_related("step", "course").get(
            course=allogeneic, step__key="mmr-1"
        )
        gates = GateVerdict(False, ["ivig"], {"ivig": "IVIG on 1 Jun 2026"}, date(2027, 2, 1))
        (recommendation,) = fhir.immunization_recommendation(
            allogeneic, [mmr], today=date(2026, 11, 21), gates=gates
        )["recommendation"]
        assert recommendation["dateCriterion"][0]["value"] == mmr.due_date.isoformat()  # 2028
        later = GateVerdict(False, ["ivig"], {"ivig": "IVIG"}, date(2029, 1, 1))
        (recommendation,) = fhir.immunization_recommendation(
            allogeneic, [mmr], today=date(2026, 11, 21), gates=later
        )["recommendation"]
        assert recommendation["dateCriterion"][0]["value"] == "2029-01-01"

    def test_inactivated_vaccines_are_due_or_overdue_with_their_dates(self, coordinator, today):
        protocol = small_protocol()
        protocol.steps.filter(key="pcv-1").update(vaccine="pcv", dose=1)
        course = start_course(protocol=protocol, day_zero=date(2026, 7, 1), by=coordinator)
        (pcv,) = one(course_resources(course, today=today), "ImmunizationRecommendation")[
            "recommendation"
        ]
        # Due 1 October, window to 31 October: overdue on 21 November.
        assert pcv["forecastStatus"]["coding"][0]["code"] == "overdue"
        assert [(d["code"]["coding"][0]["code"], d["value"]) for d in pcv["dateCriterion"]] == [
            ("30981-5", "2026-10-01"),
            ("30980-7", "2026-10-01"),
            ("59777-3", "2026-10-31"),
        ]
        services.record_vaccination(
            course=course, vaccine="pcv", dose=1, given_on=today, by=coordinator
        )
        export = course_resources(course, today=today)
        assert not of_type(export, "ImmunizationRecommendation")  # nothing left to give
        (given,) = of_type(export, "Immunization")
        assert given["protocolApplied"][0]["doseNumberPositiveInt"] == 1
        activity = activity_of(one(export, "CarePlan"), "Pneumococcal vaccine, dose 1")
        assert activity["outcomeReference"] == [{"reference": f"Immunization/{given['id']}"}]


class TestValidation:
    def test_an_unknown_element_is_refused(self):
        with pytest.raises(InvalidResource, match="Patient/x"):
            validate({"resourceType": "Patient", "id": "x", "mrn": "123"})

    def test_a_missing_required_element_is_refused(self):
        with pytest.raises(InvalidResource):
            validate({"resourceType": "Observation", "id": "x", "status": "final"})  # no code

    def test_a_status_outside_its_value_set_is_refused(self):
        with pytest.raises(InvalidResource, match="status 'done'"):
            validate(
                {
                    "resourceType": "Observation",
                    "id": "x",
                    "status": "done",
                    "code": {"text": "ANC"},
                    "valueInteger": 1,
                }
            )

    def test_a_malformed_date_is_refused(self):
        with pytest.raises(InvalidResource):
            validate({"resourceType": "Patient", "id": "x", "birthDate": "17/09/1983"})

    def test_an_action_timed_from_a_missing_action_is_refused(self):
        plan = {
            "resourceType": "PlanDefinition",
            "status": "active",
            "action": [
                {"id": "a", "relatedAction": [{"actionId": "nowhere", "relationship": "after"}]}
            ],
        }
        with pytest.raises(InvalidResource, match="missing action"):
            validate(plan)


def test_lab_results_of_every_analyte_map(coordinator, today):
    course = start_course(patient=PatientFactory(), by=coordinator)
    for analyte in ("chimerism_myeloid", "chimerism_lymphoid", "cmv_pcr", "cd4", "igg"):
        LabResult.objects.create(
            course=course,
            drawn_on=today,
            analyte=analyte,
            value=Decimal("5"),
            entered_by=coordinator,
        )
    codes = {
        o["code"]["coding"][0]["code"]
        for o in of_type(course_resources(course, today=today), "Observation")
    }
    assert codes == {"chimerism-myeloid", "chimerism-lymphoid", "72493-0", "24467-3", "2465-3"}


class TestNextDoses:
    """CLINICAL.md section 5: a later dose is dated from the dose before it once that is given,
    so only the next dose of each vaccine is a recommendation with dates."""

    @pytest.fixture
    def course(self, coordinator):
        protocol = small_protocol()
        protocol.steps.filter(key="pcv-1").update(vaccine="pcv", dose=1)
        StepFactory(
            protocol=protocol,
            key="pcv-2",
            day=None,
            months=4,
            window_after=30,
            vaccine="pcv",
            dose=2,
        )
        StepFactory(
            protocol=protocol,
            key="hepb-1",
            day=None,
            months=6,
            window_after=30,
            vaccine="hepb",
            dose=1,
        )
        return start_course(protocol=protocol, day_zero=date(2026, 7, 1), by=coordinator)

    def doses(self, course, today):
        resource = one(course_resources(course, today=today), "ImmunizationRecommendation")
        return [
            (r["vaccineCode"][0]["coding"][0]["code"], r["doseNumberPositiveInt"])
            for r in resource["recommendation"]
        ]

    def test_only_the_next_dose_of_each_vaccine_is_recommended(self, course, today):
        assert self.doses(course, today) == [("152", 1), ("45", 1)]

    def test_the_second_dose_follows_once_the_first_is_given(self, course, coordinator, today):
        services.record_vaccination(
            course=course, vaccine="pcv", dose=1, given_on=date(2026, 10, 5), by=coordinator
        )
        assert self.doses(course, today) == [("152", 2), ("45", 1)]


def test_every_live_vaccine_gate_has_a_name():
    from tracker.fhir.codes import GATE_NAMES
    from tracker.rules.immunity import GATES

    assert set(GATE_NAMES) == set(GATES)
