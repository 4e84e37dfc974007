"""Graft-versus-host disease: MAGIC acute organ stages and overall grade, NIH chronic severity.

Pure Python (no Django). Sources, as CLINICAL.md section 6 sums them up:

- Acute GVHD organ stages and overall grade: the MAGIC criteria, Harris et al., Biol Blood
  Marrow Transplant 2016;22:4-10 (adult criteria). Bilirubin 1 mg/dL = 17.1 µmol/L; stool
  volume is the average of 3 days, stool mixed with urine counts as half.
- Chronic GVHD global severity: the NIH consensus, Jagasia et al., BBMT 2015;21:389-401.
- Acute vs chronic is the clinician's call from the features, never from the date: acute GVHD
  after Day +100 is "late acute" (NIH).
- Response from one assessment to the next, organ by organ (the usual definitions of
  complete, partial and mixed response and progression, in the clinic's words).

Two judgements of this module:

- The MAGIC table has gaps between its rows (bilirubin 2-3, then 3.1-6). A value above a
  row's upper limit belongs to the next row: 3.05 mg/dL is liver stage 2, 999.5 mL of stool
  is lower GI stage 2. Numbers are read exactly (floats through their text), so 34.2 µmol/L
  is exactly 2 mg/dL.
- Missing data is never stage 0: lower GI without a stool volume or a number of episodes
  (and no stage-4 sign) is an error, not "no GVHD".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from tracker.rules.schedule import day_label

UMOL_PER_MG_DL = Decimal("17.1")
MG_DL = "mg/dL"
UMOL_L = "µmol/L"
BILIRUBIN_UNITS = (MG_DL, UMOL_L)
LATE_ACUTE_AFTER_DAY = 100
ROMAN = ("0", "I", "II", "III", "IV")

# Each organ's (stage, highest value of the row) from the MAGIC table; above the last, the
# next stage. The liver's stage-1 row starts at 2 mg/dL (below: stage 0).
LIVER_ROWS = ((1, Decimal(3)), (2, Decimal(6)), (3, Decimal(15)))
STOOL_ML_ROWS = ((0, Decimal(500)), (1, Decimal(999)), (2, Decimal(1500)))
EPISODE_ROWS = ((0, Decimal(3)), (1, Decimal(4)), (2, Decimal(7)))

NIH_ORGANS = (
    "skin",
    "mouth",
    "eyes",
    "gi_tract",
    "liver",
    "lungs",
    "joints_fascia",
    "genital_tract",
)
NIH_ORGAN_NAMES = {
    "skin": "skin",
    "mouth": "mouth",
    "eyes": "eyes",
    "gi_tract": "GI tract",
    "liver": "liver",
    "lungs": "lungs",
    "joints_fascia": "joints and fascia",
    "genital_tract": "genital tract",
}
SEVERITIES = ("none", "mild", "moderate", "severe")


class Stage(int):
    """An organ stage (0-4) with the reason in words."""

    reason: str

    def __new__(cls, value: int, reason: str) -> Stage:
        stage = super().__new__(cls, value)
        stage.reason = reason
        return stage


class Grade(int):
    """The overall grade: 0 (no acute GVHD) or 1-4 (grade I-IV), with the reason in words."""

    reason: str

    def __new__(cls, value: int, reason: str) -> Grade:
        grade = super().__new__(cls, value)
        grade.reason = reason
        return grade

    @property
    def roman(self) -> str:
        return ROMAN[self]


class Severity(str):
    """The NIH global severity ("none", "mild", "moderate", "severe") with the reason."""

    reason: str

    def __new__(cls, value: str, reason: str) -> Severity:
        severity = super().__new__(cls, value)
        severity.reason = reason
        return severity


@dataclass(frozen=True)
class Label:
    """What to call acute GVHD on a date ("acute", "late acute") and why."""

    text: str
    reason: str


class OrganStages(NamedTuple):
    """The four acute GVHD organ stages of one assessment."""

    skin: int
    liver: int
    upper_gi: int
    lower_gi: int

    @property
    def any(self) -> bool:
        return any(self)


def number(value: int | float | Decimal | str, what: str) -> Decimal:
    """A measured value as an exact, finite, non-negative Decimal (ValueError otherwise)."""
    if isinstance(value, bool):
        raise ValueError(f"{what} must be a number.")
    try:
        exact = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except (InvalidOperation, TypeError, ValueError) as error:
        raise ValueError(f"{what} must be a number.") from error
    if not exact.is_finite():
        raise ValueError(f"{what} must be a number.")
    if exact < 0:
        raise ValueError(f"{what} cannot be negative.")
    return exact


def shown(value: Decimal) -> str:
    """A value as the clinic writes it: 3.1, 1500, 0.5 (no trailing zeros, no exponent)."""
    return format(value.normalize(), "f")


def skin_stage(*, bsa_percent: int | float | Decimal, bullae_desquamation: bool = False) -> Stage:
    """MAGIC skin stage from the body surface with active erythema (and bullae)."""
    bsa = number(bsa_percent, "Body surface")
    if bsa > 100:
        raise ValueError("Body surface cannot be over 100 %.")
    text = f"rash on {shown(bsa)} % of the body surface"
    if bsa == 0:
        return Stage(0, "skin stage 0: no active rash")
    if bsa < 25:
        bullae = "; bullae count only with a rash over 50 %" if bullae_desquamation else ""
        return Stage(1, f"skin stage 1: {text} (under 25 %){bullae}")
    if bsa <= 50:
        bullae = "; bullae count only with a rash over 50 %" if bullae_desquamation else ""
        return Stage(2, f"skin stage 2: {text} (25 to 50 %){bullae}")
    if bullae_desquamation:
        return Stage(4, f"skin stage 4: {text} with bullae and desquamation")
    return Stage(3, f"skin stage 3: {text} (over 50 %)")


def bilirubin_mg_dl(value: int | float | Decimal, unit: str) -> Decimal:
    """Bilirubin in mg/dL from a value in mg/dL or µmol/L (1 mg/dL = 17.1 µmol/L)."""
    exact = number(value, "Bilirubin")
    if unit == MG_DL:
        return exact
    if unit in (UMOL_L, "umol/L"):
        return exact / UMOL_PER_MG_DL
    raise ValueError(f"Unknown bilirubin unit {unit!r}: use mg/dL or µmol/L.")


def liver_stage(*, bilirubin_mg_dl: int | float | Decimal) -> Stage:
    """MAGIC liver stage from the total bilirubin in mg/dL."""
    bilirubin = number(bilirubin_mg_dl, "Bilirubin")
    text = f"bilirubin {shown(bilirubin.quantize(Decimal('0.001')))} mg/dL"
    if bilirubin < 2:
        return Stage(0, f"liver stage 0: {text} (under 2)")
    limits = {1: "2 to 3", 2: "over 3, up to 6", 3: "over 6, up to 15"}
    for stage, highest in LIVER_ROWS:
        if bilirubin <= highest:
            return Stage(stage, f"liver stage {stage}: {text} ({limits[stage]})")
    return Stage(4, f"liver stage 4: {text} (over 15)")


def upper_gi_stage(*, persistent_nausea_vomiting_anorexia: bool) -> Stage:
    """MAGIC upper GI stage: 1 with persistent nausea, vomiting or anorexia."""
    if persistent_nausea_vomiting_anorexia:
        return Stage(1, "upper GI stage 1: persistent nausea, vomiting or anorexia")
    return Stage(0, "upper GI stage 0: no persistent nausea, vomiting or anorexia")


def counted_stool_ml(ml: int | float | Decimal, *, mixed_with_urine: bool = False) -> Decimal:
    """The stool volume that counts: stool mixed with urine counts as half (MAGIC)."""
    volume = number(ml, "Stool volume")
    return volume / 2 if mixed_with_urine else volume


def _stage_by_rows(value: Decimal, rows: tuple[tuple[int, Decimal], ...]) -> int:
    """Stage 0 below the first row's limit (exclusive), then each row up to its highest value
    (inclusive), then one stage more."""
    zero_limit = rows[0][1]
    if value < zero_limit:
        return 0
    for stage, highest in rows[1:]:
        if value <= highest:
            return stage
    return rows[-1][0] + 1


def lower_gi_stage(
    *,
    stool_ml_per_day: int | float | Decimal | None = None,
    episodes_per_day: int | float | Decimal | None = None,
    severe_pain_or_ileus: bool = False,
    grossly_bloody_stool: bool = False,
) -> Stage:
    """MAGIC lower GI stage (adults): the higher of stool volume and episodes a day; stage 4
    with severe abdominal pain or ileus, or grossly bloody stool, whatever the volume."""
    volume = None if stool_ml_per_day is None else number(stool_ml_per_day, "Stool volume")
    episodes = None if episodes_per_day is None else number(episodes_per_day, "Stool episodes")
    if severe_pain_or_ileus:
        return Stage(4, "lower GI stage 4: severe abdominal pain or ileus")
    if grossly_bloody_stool:
        return Stage(4, "lower GI stage 4: grossly bloody stool")
    if volume is None and episodes is None:
        raise ValueError("Enter the stool volume or the number of episodes a day.")
    by_volume = -1 if volume is None else _stage_by_rows(volume, STOOL_ML_ROWS)
    by_episodes = -1 if episodes is None else _stage_by_rows(episodes, EPISODE_ROWS)
    stage = max(by_volume, by_episodes)
    parts = []
    if volume is not None:
        parts.append(f"{shown(volume)} mL a day")
    if episodes is not None:
        parts.append(f"{shown(episodes)} episode{'' if episodes == 1 else 's'} a day")
    return Stage(stage, f"lower GI stage {stage}: {' and '.join(parts)}")


ORGAN_NAMES = {"skin": "skin", "liver": "liver", "upper_gi": "upper GI", "lower_gi": "lower GI"}
ORGAN_RANGES = {"skin": 4, "liver": 4, "upper_gi": 1, "lower_gi": 4}


def overall_grade(*, skin: int, liver: int, upper_gi: int, lower_gi: int) -> Grade:
    """The MAGIC overall grade (Harris et al. 2016) from the four organ stages."""
    stages = {"skin": skin, "liver": liver, "upper_gi": upper_gi, "lower_gi": lower_gi}
    for organ, stage in stages.items():
        if isinstance(stage, bool) or not isinstance(stage, int):
            raise ValueError(f"The {ORGAN_NAMES[organ]} stage must be a whole number.")
        if not 0 <= stage <= ORGAN_RANGES[organ]:
            raise ValueError(f"The {ORGAN_NAMES[organ]} stage must be 0 to {ORGAN_RANGES[organ]}.")

    def deciding(wanted: dict[str, tuple[int, ...]]) -> list[str]:
        return [
            f"{ORGAN_NAMES[organ]} stage {stages[organ]}"
            for organ, values in wanted.items()
            if stages[organ] in values
        ]

    grades: list[tuple[int, dict[str, tuple[int, ...]]]] = [
        (4, {"skin": (4,), "liver": (4,), "lower_gi": (4,)}),
        (3, {"liver": (2, 3), "lower_gi": (2, 3)}),
        (2, {"skin": (3,), "liver": (1,), "upper_gi": (1,), "lower_gi": (1,)}),
    ]
    for grade, wanted in grades:
        organs = deciding(wanted)
        if organs:
            return Grade(grade, f"Grade {ROMAN[grade]}: {_and(organs)}")
    if skin:
        return Grade(1, f"Grade I: skin stage {skin} only")
    return Grade(0, "No acute GVHD: every organ at stage 0")


def grade_of(stages: OrganStages) -> Grade:
    """The overall grade of an assessment's four stages."""
    return overall_grade(
        skin=stages.skin, liver=stages.liver, upper_gi=stages.upper_gi, lower_gi=stages.lower_gi
    )


def _and(parts: list[str]) -> str:
    if len(parts) == 1:
        return parts[0]
    return f"{', '.join(parts[:-1])} and {parts[-1]}"


def nih_global_severity(organ_scores: Mapping[str, int]) -> Severity:
    """NIH global severity of chronic GVHD (Jagasia et al. 2015) from the eight organ scores
    (0-3): mild, moderate or severe by the number of organs and the highest scores, with
    the lungs weighing more."""
    unknown = sorted(set(organ_scores) - set(NIH_ORGANS))
    if unknown:
        raise ValueError(f"Unknown organ: {', '.join(unknown)}.")
    missing = [organ for organ in NIH_ORGANS if organ not in organ_scores]
    if missing:
        raise ValueError(f"Score every organ: {', '.join(missing)} missing.")
    for organ in NIH_ORGANS:
        score = organ_scores[organ]
        if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= 3:
            raise ValueError(f"The {NIH_ORGAN_NAMES[organ]} score must be 0, 1, 2 or 3.")
    lungs = organ_scores["lungs"]
    involved = [organ for organ in NIH_ORGANS if organ_scores[organ] > 0]

    def named(organs: list[str]) -> str:
        return _and([f"{NIH_ORGAN_NAMES[o]} {organ_scores[o]}" for o in organs])

    scored_3 = [organ for organ in NIH_ORGANS if organ_scores[organ] == 3]
    if scored_3:
        return Severity("severe", f"Severe: {named(scored_3)} (an organ scored 3)")
    if lungs >= 2:
        return Severity("severe", f"Severe: lungs {lungs} (lung score 2 or more)")
    if lungs == 1:
        return Severity("moderate", "Moderate: lungs 1 (any lung involvement)")
    scored_2 = [organ for organ in NIH_ORGANS if organ_scores[organ] == 2]
    if scored_2:
        return Severity("moderate", f"Moderate: {named(scored_2)} (an organ scored 2)")
    if len(involved) >= 3:
        return Severity(
            "moderate", f"Moderate: {len(involved)} organs involved ({named(involved)})"
        )
    if involved:
        count = "1 organ" if len(involved) == 1 else "2 organs"
        return Severity("mild", f"Mild: {count} scored 1 ({named(involved)})")
    return Severity("none", "No chronic GVHD: every organ scored 0")


def acute_label(*, assessed_on: date, day_zero: date, chronic_active: bool = False) -> Label:
    """'acute'; 'late acute' after Day +100; 'overlap syndrome' while chronic GVHD is active.

    The name follows the date and the chronic GVHD recorded; the diagnosis (acute features
    rather than chronic ones) is the clinician's. NIH: acute features with chronic GVHD are
    the overlap syndrome, a form of chronic GVHD; late acute is acute features without
    chronic ones."""
    day = (assessed_on - day_zero).days
    if chronic_active:
        return Label(
            "overlap syndrome",
            f"Acute features on {day_label(day)} while chronic GVHD is active: the overlap "
            "syndrome, a form of chronic GVHD (NIH consensus).",
        )
    if day > LATE_ACUTE_AFTER_DAY:
        return Label(
            "late acute",
            f"Acute features on Day +{day}, after Day +{LATE_ACUTE_AFTER_DAY}: late acute GVHD "
            "(acute or chronic is decided by the features, not the date).",
        )
    return Label("acute", f"Acute features on {day_label(day)}, by Day +{LATE_ACUTE_AFTER_DAY}.")


def response(previous: OrganStages | None, current: OrganStages) -> str:
    """How acute GVHD changed since the previous assessment, organ by organ: "first",
    "none" (no GVHD then or now), "resolved", "improving", "worse", "mixed" or "stable"."""
    if previous is None:
        return "first"
    if not previous.any and not current.any:
        return "none"
    if not current.any:
        return "resolved"
    better = any(now < then for then, now in zip(previous, current, strict=True))
    worse = any(now > then for then, now in zip(previous, current, strict=True))
    if better and worse:
        return "mixed"
    if better:
        return "improving"
    if worse:
        return "worse"
    return "stable"


RESPONSE_WORDS = {
    "first": "first assessment",
    "none": "no acute GVHD",
    "resolved": "resolved",
    "improving": "improving",
    "worse": "worse",
    "mixed": "mixed (some organs better, some worse)",
    "stable": "stable",
}
