"""Choices shared by the models: kinds of course, graft sources, donors, audiences."""

from __future__ import annotations

from django.db import models

from tracker.rules import lab_results


class Kind(models.TextChoices):
    AUTOLOGOUS = "autologous", "Autologous"
    ALLOGENEIC = "allogeneic", "Allogeneic"
    PROCEDURE = "procedure", "Other bone-marrow cell procedure"


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
    TDAP = "tdap", "Tetanus, diphtheria, pertussis (Tdap/DTaP)"
    HIB = "hib", "Haemophilus influenzae type b (Hib)"
    IPV = "ipv", "Inactivated polio (IPV)"
    HEPB = "hepb", "Hepatitis B"
    MENACWY = "menacwy", "Meningococcal conjugate (MenACWY)"
    RZV = "rzv", "Recombinant zoster"
    MMR = "mmr", "MMR (live)"
    VARICELLA = "varicella", "Varicella (live)"


LIVE_VACCINES = (Vaccine.MMR, Vaccine.VARICELLA)
