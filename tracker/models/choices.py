"""Choices shared by the models: kinds of course, graft sources, donors, audiences."""

from __future__ import annotations

from django.db import models


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


class Analyte(models.TextChoices):
    """Laboratory results kept on a course besides blood counts (tracker.rules.lab_results)."""

    CHIMERISM_MYELOID = "chimerism_myeloid", "Donor chimerism, myeloid (% donor)"
    CHIMERISM_LYMPHOID = "chimerism_lymphoid", "Donor chimerism, lymphoid (% donor)"
    CMV_PCR = "cmv_pcr", "CMV PCR (IU/mL)"
    CD4 = "cd4", "CD4 count (cells/µL)"
    IGG = "igg", "IgG (g/L)"
