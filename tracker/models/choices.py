"""Choices shared by the models: kinds of course, graft sources, donors, audiences."""

from __future__ import annotations

from django.db import models

from tracker.rules import lab_results


class Kind(models.TextChoices):
    AUTOLOGOUS = "autologous", "Autologous"
    ALLOGENEIC = "allogeneic", "Allogeneic"
    PROCEDURE = "procedure", "Other bone-marrow cell procedure"


class PhaseSet(models.TextChoices):
    """The phases a course is told in (CLINICAL.md sections 8 and 9)."""

    TRANSPLANT = (
        "transplant",
        (
            "Transplant: work-up, conditioning, Day Zero, engraftment, 100-day window, immune "
            "recovery, long-term"
        ),
    )
    PROCEDURE = "procedure", "Same-day procedure: preparation, procedure day, recovery, follow-up"


class GraftSource(models.TextChoices):
    BONE_MARROW = "bone_marrow", "Bone marrow"
    PBSC = "pbsc", "Peripheral blood stem cells"
    CORD_BLOOD = "cord_blood", "Umbilical cord blood"
    MARROW_CONCENTRATE = "marrow_concentrate", "Bone-marrow cell concentrate"


class DonorType(models.TextChoices):
    SELF = "self", "Self (autologous)"
    MATCHED_SIBLING = "matched_sibling", "Matched sibling"
    MATCHED_UNRELATED = "matched_unrelated", "Matched unrelated"
    MISMATCHED_UNRELATED = "mismatched_unrelated", "Mismatched unrelated"
    HAPLOIDENTICAL = "haploidentical", "Haploidentical"
    CORD = "cord", "Unrelated cord blood"


class Engraftment(models.TextChoices):
    NEUTROPHIL = "neutrophil", "Neutrophil engraftment"
    PLATELET = "platelet", "Platelet engraftment (≥ 20)"


class Audience(models.TextChoices):
    CARE_TEAM = "care_team", "Care team"
    PATIENT = "patient", "Patient"
    BOTH = "both", "Care team and patient"


# Laboratory results kept on a course besides blood counts, named and unit-ed as the rules
# define them (tracker.rules.lab_results): "IgG (g/L)".
ANALYTE_CHOICES = [
    (analyte.value, f"{spec.name} ({spec.unit})") for analyte, spec in lab_results.SPECS.items()
]


class Vaccine(models.TextChoices):
    PCV = "pcv", "Pneumococcal conjugate (PCV)"
    PPSV23 = "ppsv23", "Pneumococcal polysaccharide (PPSV23)"
    INFLUENZA = "influenza", "Inactivated influenza"
    TDAP = "tdap", "Tetanus, diphtheria and whooping cough (Tdap/DTaP)"
    HIB = "hib", "Haemophilus influenzae type b (Hib)"
    IPV = "ipv", "Inactivated polio (IPV)"
    HEPB = "hepb", "Hepatitis B"
    MENACWY = "menacwy", "Meningococcal conjugate (MenACWY)"
    RZV = "rzv", "Recombinant zoster"
    MMR = "mmr", "MMR (live)"
    VARICELLA = "varicella", "Varicella (live)"


LIVE_VACCINES = (Vaccine.MMR, Vaccine.VARICELLA)


class ChronicGvhdCondition(models.TextChoices):
    """A step given only with, or only without, active chronic GVHD (PPSV23 or a 4th PCV)."""

    ANY = "", "Whatever the chronic GVHD"
    WITHOUT = "without", "Only without active chronic GVHD"
    WITH = "with", "Only with active chronic GVHD"


class StopRule(models.TextChoices):
    """A drug that stops by rule: the step's date follows the rule (CLINICAL.md section 5)."""

    NONE = "", "None"
    PJP = "pjp", "PJP prophylaxis (6 months after engraftment and off immunosuppression)"
    LETERMOVIR = "letermovir", "Letermovir (Day +100, extendable to Day +200)"


class Hold(models.TextChoices):
    """Why a milestone not done is not counted due or overdue (kept by the immune-recovery
    re-plan; tracker.services.immunity.replan_immune_recovery)."""

    NONE = "", "None"
    BLOCKED = "blocked", "Blocked until a clinical event"
    BLOCKED_UNTIL = "blocked_until", "Blocked until its due date"
    NOT_NEEDED = "not_needed", "Not needed"
    # Closed: kept, never due or overdue, never shown to the patient (tracker.services.courses).
    SUPERSEDED = "superseded", "Superseded by a later transplant"
    ENDED = "ended", "Course ended"
    NOT_RECORDED = "not_recorded", "Not recorded here"


CLOSED_HOLDS = (Hold.SUPERSEDED, Hold.ENDED, Hold.NOT_RECORDED)


class EndReason(models.TextChoices):
    """Why a course ended (CLINICAL.md section 9)."""

    DIED = "died", "Died"
    RELAPSE = "relapse", "Relapse or progression"
    TRANSFERRED = "transferred", "Transferred to another centre"
    COMPLETED = "completed", "Follow-up completed"
    LOST = "lost_to_follow_up", "Lost to follow-up"


class InfusionKind(models.TextChoices):
    """Cells given after Day Zero that are not a new transplant (CLINICAL.md section 9)."""

    AUTOLOGOUS_RESCUE = "autologous_rescue", "Autologous rescue"
    DLI = "dli", "Donor lymphocyte infusion"
    BOOST = "boost", "Stem cell boost"
    ADDITIONAL_CORD_UNIT = "additional_cord_unit", "Second cord blood unit"
    SECOND_INFUSION_DAY = "second_infusion_day", "Second day of the infusion"


class FollowReason(models.TextChoices):
    """Why a transplant follows an earlier one (CLINICAL.md section 9)."""

    TANDEM = "tandem", "Planned tandem"
    RELAPSE = "relapse", "Relapse or progression"
    GRAFT_FAILURE = "graft_failure", "Graft failure"
    OTHER = "other", "Other"


class Indication(models.TextChoices):
    """The primary disease a transplant treats (what the registry asks first)."""

    AML = "aml", "Acute myeloid leukaemia (AML)"
    ALL = "all", "Acute lymphoblastic leukaemia (ALL)"
    CML = "cml", "Chronic myeloid leukaemia (CML)"
    MDS = "mds", "Myelodysplastic syndrome (MDS)"
    MYELOFIBROSIS = "myelofibrosis", "Myelofibrosis"
    HODGKIN = "hodgkin", "Hodgkin lymphoma"
    NON_HODGKIN = "non_hodgkin", "Non-Hodgkin lymphoma"
    MYELOMA = "myeloma", "Multiple myeloma"
    APLASTIC_ANAEMIA = "aplastic_anaemia", "Aplastic anaemia"
    SICKLE_CELL = "sickle_cell", "Sickle cell disease"
    THALASSAEMIA = "thalassaemia", "Thalassaemia"
    SCID = "scid", "Severe combined immunodeficiency (SCID)"
    WISKOTT_ALDRICH = "wiskott_aldrich", "Wiskott–Aldrich syndrome"
    OTHER = "other", "Other"


class DiseaseStatus(models.TextChoices):
    """The disease's status at transplant."""

    CR1 = "cr1", "First complete remission"
    CR2 = "cr2", "Second complete remission"
    CR3 = "cr3_or_later", "Third or later complete remission"
    PARTIAL = "partial", "Partial remission or response"
    STABLE = "stable", "Stable disease"
    ACTIVE = "active", "Relapsed, refractory or progressive"
    UNTREATED = "untreated", "Untreated (upfront)"
    NOT_APPLICABLE = "not_applicable", "Not applicable (non-malignant disease)"


class DonorRelation(models.TextChoices):
    SIBLING = "sibling", "Sibling"
    HAPLOIDENTICAL_RELATIVE = "haplo_relative", "Haploidentical relative"
    OTHER_RELATIVE = "other_relative", "Other relative"
    UNRELATED = "unrelated", "Unrelated adult donor"
    CORD = "cord", "Unrelated cord blood"


class HlaMatch(models.TextChoices):
    MATCHED = "matched", "Matched (8/8 or 10/10)"
    MISMATCHED = "mismatched", "Mismatched (7/8 or 9/10)"
    HAPLOIDENTICAL = "haploidentical", "Haploidentical"
    CORD_6 = "cord_6_6", "Cord 6/6"
    CORD_5 = "cord_5_6", "Cord 5/6"
    CORD_4 = "cord_4_6", "Cord 4/6 or less"


class CmvSerostatus(models.TextChoices):
    POSITIVE = "positive", "Positive"
    NEGATIVE = "negative", "Negative"
    UNKNOWN = "unknown", "Not known"


class FormStatus(models.TextChoices):
    """Where a registry form is (changed in place by the care team)."""

    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    SUBMITTED = "submitted", "Submitted"
    NOT_REQUIRED = "not_required", "Not required"


OPEN_FORM_STATUSES = (FormStatus.NOT_STARTED, FormStatus.IN_PROGRESS)
