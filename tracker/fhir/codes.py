"""The code tables of the FHIR R4 export: systems, LOINC and CVX codes, our own code systems,
and how the app's statuses read in FHIR's value sets. docs/fhir.md explains each choice.

Sources: FHIR R4 (4.0.1) value sets care-plan-activity-status, request-status, task-status,
event-status, immunization-recommendation-status and immunization-recommendation-date-criterion;
LOINC (codes as the NMDP/CIBMTR reporting IG uses them where it has them); CDC CVX.
"""

from __future__ import annotations

import uuid
from typing import Any

from tracker.models.choices import LIVE_VACCINES, Vaccine

FHIR_VERSION = "4.0.1"

# The app's own namespace: identifiers, code systems and extensions it defines. An identifier,
# not an address to fetch; the same in every centre, so two centres' exports read alike.
NAMESPACE = "https://transplant-tracker.example/fhir"
# The seed of the ids of resources that belong to no course (a protocol's PlanDefinition).
NAMESPACE_UUID = uuid.uuid5(uuid.NAMESPACE_URL, NAMESPACE)

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
CVX = "http://hl7.org/fhir/sid/cvx"
SNOMED = "http://snomed.info/sct"
V2_IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
PLAN_DEFINITION_TYPE = "http://terminology.hl7.org/CodeSystem/plan-definition-type"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
PROVENANCE_AGENT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
FORECAST_STATUS = "http://terminology.hl7.org/CodeSystem/immunization-recommendation-status"

# Our identifier systems: the records' own UUIDs, so a receiving server that assigns its own
# ids can still find the course, the patient and a milestone's checklist.
COURSE_IDENTIFIER = f"{NAMESPACE}/sid/course"
PATIENT_IDENTIFIER = f"{NAMESPACE}/sid/patient"
MILESTONE_IDENTIFIER = f"{NAMESPACE}/sid/milestone"

# Our code systems (no standard code fits, or the app's exact value is kept beside the
# standard one).
PROTOCOL_STEP = f"{NAMESPACE}/CodeSystem/protocol-step"
MILESTONE_STATUS = f"{NAMESPACE}/CodeSystem/milestone-status"
COURSE_KIND = f"{NAMESPACE}/CodeSystem/course-kind"
GRAFT_SOURCE = f"{NAMESPACE}/CodeSystem/graft-source"
PROCEDURE = f"{NAMESPACE}/CodeSystem/procedure"
LAB = f"{NAMESPACE}/CodeSystem/lab"
VACCINE = f"{NAMESPACE}/CodeSystem/vaccine"
GVHD = f"{NAMESPACE}/CodeSystem/gvhd"
ACUTE_GVHD_GRADE = f"{NAMESPACE}/CodeSystem/acute-gvhd-grade"
CHRONIC_GVHD_SEVERITY = f"{NAMESPACE}/CodeSystem/chronic-gvhd-severity"
COURSE_EVENT = f"{NAMESPACE}/CodeSystem/course-event"
# Our extensions: a milestone's window around its due day where Vulcan's cannot say it (a
# step anchored in calendar months), and a course event's data as the app keeps it.
WINDOW_EXTENSION = f"{NAMESPACE}/StructureDefinition/window-around-due"
EVENT_DATA_EXTENSION = f"{NAMESPACE}/StructureDefinition/event-data"
# HL7 Vulcan Schedule of Activities (R4): the acceptable range of a related action's offset.
VULCAN_OFFSET_RANGE = (
    "http://hl7.org/fhir/uv/vulcan-schedule/StructureDefinition/AcceptableOffsetRangeSoa"
)


def coding(system: str, code: str, display: str = "") -> dict[str, Any]:
    """A Coding (display left out when empty)."""
    return {"system": system, "code": code, **({"display": display} if display else {})}


def concept(*codings: dict[str, Any], text: str = "") -> dict[str, Any]:
    """A CodeableConcept of these codings (and text, when given)."""
    return {**({"coding": list(codings)} if codings else {}), **({"text": text} if text else {})}


# --- Laboratory: (system, code, display, UCUM unit, unit shown) -----------------------------

Lab = tuple[str, str, str, str, str]

ANC_AUTOMATED: Lab = (
    LOINC,
    "751-8",
    "Neutrophils [#/volume] in Blood by Automated count",
    "10*9/L",
    "10⁹/L",
)
ANC_MANUAL: Lab = (
    LOINC,
    "753-4",
    "Neutrophils [#/volume] in Blood by Manual count",
    "10*9/L",
    "10⁹/L",
)
PLATELETS: Lab = (
    LOINC,
    "777-3",
    "Platelets [#/volume] in Blood by Automated count",
    "10*9/L",
    "10⁹/L",
)
# By analyte (tracker.rules.lab_results.Analyte). Chimerism has no LOINC code we are sure of
# for "% donor cells in the myeloid (or lymphoid) line": our own codes (docs/fhir.md).
LAB_RESULTS: dict[str, Lab] = {
    "chimerism_myeloid": (LAB, "chimerism-myeloid", "Donor chimerism, myeloid", "%", "% donor"),
    "chimerism_lymphoid": (LAB, "chimerism-lymphoid", "Donor chimerism, lymphoid", "%", "% donor"),
    # The NMDP/CIBMTR reporting IG's code for a CMV viral load in IU/mL (plasma or serum).
    "cmv_pcr": (
        LOINC,
        "72493-0",
        "Cytomegalovirus DNA [Units/volume] (viral load) in Serum or Plasma by NAA with probe "
        "detection",
        "[IU]/mL",
        "IU/mL",
    ),
    "cd4": (LOINC, "24467-3", "CD3+CD4+ (T4 helper) cells [#/volume] in Blood", "/uL", "cells/µL"),
    "igg": (LOINC, "2465-3", "IgG [Mass/volume] in Serum or Plasma", "g/L", "g/L"),
}
NOT_DETECTED = coding(SNOMED, "260415000", "Not detected")

# --- Vaccines: CVX codes for the app's vaccines ------------------------------------------------

# "Unspecified formulation" codes where the app records the vaccine, not the product. Tdap/DTaP
# has none: the app does not say which of the two was given (115 Tdap, 107 DTaP), so it goes
# with our own code and its product name only.
CVX_CODES: dict[str, tuple[str, str]] = {
    "pcv": ("152", "Pneumococcal Conjugate, unspecified formulation"),
    "ppsv23": ("33", "pneumococcal polysaccharide PPV23"),
    "influenza": ("88", "influenza, unspecified formulation"),
    "hib": ("17", "Hib, unspecified formulation"),
    "ipv": ("10", "IPV"),
    "hepb": ("45", "Hep B, unspecified formulation"),
    "menacwy": ("108", "meningococcal ACWY, unspecified formulation"),
    "rzv": ("187", "zoster vaccine recombinant"),
    "mmr": ("03", "MMR"),
    "varicella": ("21", "varicella"),
}

# ImmunizationRecommendation.recommendation.dateCriterion (LOINC).
EARLIEST_DATE = coding(LOINC, "30981-5", "Earliest date to give")
DUE_DATE = coding(LOINC, "30980-7", "Date vaccine due")
LATEST_DATE = coding(LOINC, "59777-3", "Latest date to give immunization")
OVERDUE_DATE = coding(LOINC, "59778-1", "Date when overdue for immunization")

# --- Statuses ----------------------------------------------------------------------------------

# A milestone's status (tracker.rules.schedule.Status, and the hold of a closed one) as a
# CarePlan activity's status. Not done yet is "not-started" (FHIR's "scheduled" means a booking,
# which a planned date is not) or "in-progress" once a checklist item is ticked; our exact
# status goes beside it in statusReason.
ACTIVITY_STATUS = {
    "done": "completed",
    "done_out_of_window": "completed",
    "upcoming": "not-started",
    "due": "not-started",
    "overdue": "not-started",
    "blocked": "on-hold",
    "not_needed": "cancelled",
    # Closed holds: superseded by a later transplant, the course ended (withdrawn, never
    # started), or earlier milestones not recorded here (we do not know).
    "superseded": "cancelled",
    "ended": "cancelled",
    "not_recorded": "unknown",
}

# A checklist item not ticked, as a Task status, by its milestone's status (a ticked item is
# "completed" whatever its milestone). Under a milestone done without it: "cancelled" (no one
# is asked to do it any more; whether it was done is not recorded, as statusReason says).
TASK_STATUS = {
    "done": "cancelled",
    "done_out_of_window": "cancelled",
    "upcoming": "ready",
    "due": "ready",
    "overdue": "ready",
    "blocked": "on-hold",
    "not_needed": "cancelled",
    "superseded": "cancelled",
    "ended": "cancelled",
    "not_recorded": "cancelled",
}

# A course that ended (tracker.models.choices.EndReason) as CarePlan.status: only follow-up
# completed ran the plan to its end; every other end (and a later transplant) stopped it early.
CARE_PLAN_ENDED = {
    "completed": "completed",
    "died": "revoked",
    "relapse": "revoked",
    "transferred": "revoked",
    "lost_to_follow_up": "revoked",
}

# --- More of our codes -------------------------------------------------------------------------

DONOR_TYPE = f"{NAMESPACE}/CodeSystem/donor-type"
INFUSION = f"{NAMESPACE}/CodeSystem/infusion"
LIVE_VACCINE_GATE = f"{NAMESPACE}/CodeSystem/live-vaccine-gate"
MEDICATION = f"{NAMESPACE}/CodeSystem/medication"

VACCINE_NAMES: dict[str, str] = {str(value): str(label) for value, label in Vaccine.choices}
LIVE = frozenset(str(vaccine) for vaccine in LIVE_VACCINES)

# The live-vaccine gates (tracker.rules.immunity.GATES), as forecast reasons.
GATE_NAMES = {
    "months_since_hct": "Too soon after the transplant",
    "active_chronic_gvhd": "Active chronic GVHD",
    "immunosuppression": "On immunosuppression, or stopped it too recently",
    "ivig": "Too soon after IVIG",
}

PLATELET_TRANSFUSION = coding(PROCEDURE, "platelet-transfusion", "Platelet transfusion")
# SNOMED CT "Graft-versus-host disease (disorder)", as the NMDP/CIBMTR reporting IG uses it;
# acute or chronic is said by our own code beside it.
GVHD_SNOMED = coding(SNOMED, "234646005", "Graft-versus-host disease")
ACUTE_GVHD_GRADE_CODE = coding(GVHD, "acute-grade", "Acute GVHD overall grade (MAGIC)")
CHRONIC_GVHD_SEVERITY_CODE = coding(GVHD, "chronic-severity", "Chronic GVHD global severity (NIH)")
IMMUNOSUPPRESSION = coding(MEDICATION, "immunosuppression", "Immunosuppression")
IVIG = coding(MEDICATION, "ivig", "Intravenous immunoglobulin")
