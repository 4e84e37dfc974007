"""Clinical cases for tracker.rules.gvhd, written from CLINICAL.md sections 2 and 6 alone.

Pure Python: no database, no Django. Every expected value below comes from the clinical
reference (quoted above each group), from MAGIC (Harris et al., BBMT 2016;22:4-10, adult
criteria) and the NIH 2014 chronic GVHD consensus (Jagasia et al., BBMT 2015), or from the
team's written decisions where the table is ambiguous (marked `# decision:`). The expected
grade and NIH severity functions in this file are written independently of the code under
test; nothing here was worked out by calling the module.

Units: bilirubin in mg/dL unless said otherwise (1 mg/dL = 17.1 umol/L); BSA in % of body
surface; stool in mL per day (average of 3 days); episodes per day (may be a 3-day average).
"""

import itertools
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tracker.rules import gvhd

MG_DL = "mg/dL"
UMOL_L = "\u00b5mol/L"  # micro sign, as written in CLINICAL.md section 6
NON_EMPTY = r"\S"  # a ValueError should say what was wrong

BAD_NUMBERS = [
    pytest.param(-1, id="negative-int"),
    pytest.param(-0.1, id="negative-float"),
    pytest.param(Decimal("-0.01"), id="negative-decimal"),
    pytest.param(float("nan"), id="float-nan"),
    pytest.param(float("inf"), id="float-inf"),
    pytest.param(Decimal("NaN"), id="decimal-nan"),
    pytest.param(Decimal("Infinity"), id="decimal-inf"),
]


def has_reason(value):
    return isinstance(value.reason, str) and value.reason.strip() != ""


# ---------------------------------------------------------------------------------------------
# Skin
# ---------------------------------------------------------------------------------------------
# CLINICAL.md section 6, MAGIC table, Skin column:
#   0 none | 1 < 25 % | 2 25-50 % | 3 > 50 % |
#   4 generalised erythroderma (> 50 %) with bullae and desquamation > 5 %
# decision: 0 % is stage 0; any BSA > 0 and < 25 is stage 1; 25-50 inclusive stage 2; > 50
# stage 3; stage 4 needs BOTH BSA > 50 AND bullae_desquamation; bullae with BSA <= 50 stage by
# BSA alone; BSA over 100, negative, NaN or infinity raise ValueError.

SKIN_CASES = [
    # bsa, bullae, expected
    (0, False, 0, "0pct"),
    (0, True, 0, "0pct-bullae"),
    (0.5, False, 1, "0.5pct"),
    (1, False, 1, "1pct"),
    (24, False, 1, "24pct"),
    (24, True, 1, "24pct-bullae-stages-by-bsa"),
    (24.9, False, 1, "24.9pct-float"),
    (Decimal("24.99"), False, 1, "24.99pct-decimal"),
    (25, False, 2, "25pct"),
    (25, True, 2, "25pct-bullae-stages-by-bsa"),
    (25.0, False, 2, "25.0pct-float"),
    (Decimal("25"), False, 2, "25pct-decimal"),
    (37.5, False, 2, "37.5pct"),
    (50, False, 2, "50pct"),
    (50, True, 2, "50pct-bullae-stages-by-bsa"),
    (Decimal("50.0"), True, 2, "50.0pct-decimal-bullae"),
    (50.05, False, 3, "50.05pct"),
    (50.1, False, 3, "50.1pct"),
    (50.1, True, 4, "50.1pct-bullae"),
    (51, False, 3, "51pct"),
    (51, True, 4, "51pct-bullae"),
    (100, False, 3, "100pct"),
    (100, True, 4, "100pct-bullae"),
    (Decimal("100"), True, 4, "100pct-decimal-bullae"),
]


class TestSkinStage:
    """MAGIC skin stage from % body surface with active erythema (CLINICAL.md section 6)."""

    @pytest.mark.parametrize(
        ("bsa", "bullae", "expected"),
        [pytest.param(b, bu, e, id=i) for b, bu, e, i in SKIN_CASES],
    )
    def test_stage(self, bsa, bullae, expected):
        stage = gvhd.skin_stage(bsa_percent=bsa, bullae_desquamation=bullae)
        assert stage == expected
        assert isinstance(stage, int)
        assert has_reason(stage)

    def test_bullae_defaults_to_false(self):
        assert gvhd.skin_stage(bsa_percent=60) == 3

    @pytest.mark.parametrize("bsa", BAD_NUMBERS)
    def test_invalid_number_raises(self, bsa):
        with pytest.raises(ValueError, match=NON_EMPTY):
            gvhd.skin_stage(bsa_percent=bsa)

    @pytest.mark.parametrize(
        "bsa",
        [
            pytest.param(100.1, id="100.1"),
            pytest.param(101, id="101"),
            pytest.param(Decimal("100.01"), id="100.01-decimal"),
        ],
    )
    def test_over_100_percent_raises(self, bsa):
        # decision: BSA over 100 raises ValueError.
        with pytest.raises(ValueError, match=NON_EMPTY):
            gvhd.skin_stage(bsa_percent=bsa, bullae_desquamation=True)


# ---------------------------------------------------------------------------------------------
# Liver and bilirubin units
# ---------------------------------------------------------------------------------------------
# CLINICAL.md section 6, MAGIC table, Liver column:
#   0 < 2 mg/dL | 1 2-3 mg/dL | 2 3.1-6 mg/dL | 3 6.1-15 mg/dL | 4 > 15 mg/dL
#   "Bilirubin 1 mg/dL = 17.1 umol/L."
# decision: a value above a row's upper limit belongs to the next row (3.05 -> 2, 6.05 -> 3,
# 15.01 -> 4; 1.99 -> 0); conversion is exact Decimal arithmetic (34.2 umol/L = 2 mg/dL).

LIVER_CASES = [
    (0, 0, "0"),
    (1.9, 0, "1.9"),
    (1.99, 0, "1.99"),
    (Decimal("1.999"), 0, "1.999-decimal"),
    (2, 1, "2-int"),
    (2.0, 1, "2.0-float"),
    (Decimal("2.0"), 1, "2.0-decimal"),
    (2.5, 1, "2.5"),
    (3, 1, "3-int"),
    (3.0, 1, "3.0-float"),
    (Decimal("3.00"), 1, "3.00-decimal"),
    (3.05, 2, "3.05-between-rows"),
    (3.1, 2, "3.1"),
    (6, 2, "6-int"),
    (6.0, 2, "6.0-float"),
    (6.05, 3, "6.05-between-rows"),
    (6.1, 3, "6.1"),
    (15, 3, "15-int"),
    (15.0, 3, "15.0-float"),
    (15.01, 4, "15.01"),
    (15.1, 4, "15.1"),
    (40, 4, "40"),
]


class TestLiverStage:
    """MAGIC liver stage from total bilirubin in mg/dL (CLINICAL.md section 6)."""

    @pytest.mark.parametrize(
        ("bilirubin", "expected"), [pytest.param(b, e, id=i) for b, e, i in LIVER_CASES]
    )
    def test_stage(self, bilirubin, expected):
        stage = gvhd.liver_stage(bilirubin_mg_dl=bilirubin)
        assert stage == expected
        assert isinstance(stage, int)
        assert has_reason(stage)

    @pytest.mark.parametrize("bilirubin", BAD_NUMBERS)
    def test_invalid_number_raises(self, bilirubin):
        with pytest.raises(ValueError, match=NON_EMPTY):
            gvhd.liver_stage(bilirubin_mg_dl=bilirubin)


# umol/L value, exact mg/dL, MAGIC liver stage
UMOL_CASES = [
    (Decimal("34.1"), None, 0, "34.1-just-below-2"),
    (Decimal("34.2"), Decimal("2"), 1, "34.2-is-2"),
    (Decimal("51.3"), Decimal("3"), 1, "51.3-is-3"),
    (Decimal("51.4"), None, 2, "51.4-just-above-3"),
    (Decimal("53.01"), Decimal("3.1"), 2, "53.01-is-3.1"),
    (Decimal("102.6"), Decimal("6"), 2, "102.6-is-6"),
    (Decimal("102.7"), None, 3, "102.7-just-above-6"),
    (Decimal("104.31"), Decimal("6.1"), 3, "104.31-is-6.1"),
    (Decimal("256.5"), Decimal("15"), 3, "256.5-is-15"),
    (Decimal("256.6"), None, 4, "256.6-just-above-15"),
    (Decimal("258.21"), Decimal("15.1"), 4, "258.21-is-15.1"),
    (Decimal("0"), Decimal("0"), 0, "0"),
    # Floats are read through str(), so 34.2 is exactly 34.2 and converts to exactly 2.
    (34.2, Decimal("2"), 1, "34.2-float-is-exactly-2"),
    (51.3, Decimal("3"), 1, "51.3-float-is-exactly-3"),
    (102.6, Decimal("6"), 2, "102.6-float-is-exactly-6"),
    (256.5, Decimal("15"), 3, "256.5-float-is-exactly-15"),
    (171, Decimal("10"), 3, "171-int-is-10"),
]


class TestBilirubinUnits:
    """1 mg/dL = 17.1 umol/L, exact Decimal arithmetic (CLINICAL.md section 6)."""

    @pytest.mark.parametrize(
        ("umol", "mg", "stage"), [pytest.param(u, m, s, id=i) for u, m, s, i in UMOL_CASES]
    )
    def test_umol_converts_and_stages(self, umol, mg, stage):
        converted = gvhd.bilirubin_mg_dl(umol, UMOL_L)
        assert isinstance(converted, Decimal)
        if mg is not None:
            assert converted == mg
        # Also check the conversion is the exact quotient, within Decimal precision.
        assert abs(converted * Decimal("17.1") - Decimal(str(umol))) < Decimal("1e-20")
        assert gvhd.liver_stage(bilirubin_mg_dl=converted) == stage

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            pytest.param(2, Decimal("2"), id="int"),
            pytest.param(2.5, Decimal("2.5"), id="float-2.5"),
            pytest.param(3.1, Decimal("3.1"), id="float-3.1-read-through-str"),
            pytest.param(Decimal("15.01"), Decimal("15.01"), id="decimal"),
        ],
    )
    def test_mg_dl_passes_through(self, value, expected):
        converted = gvhd.bilirubin_mg_dl(value, MG_DL)
        assert isinstance(converted, Decimal)
        assert converted == expected

    @pytest.mark.parametrize("value", BAD_NUMBERS)
    @pytest.mark.parametrize("unit", [MG_DL, UMOL_L])
    def test_invalid_number_raises(self, value, unit):
        with pytest.raises(ValueError, match=NON_EMPTY):
            gvhd.bilirubin_mg_dl(value, unit)

    @pytest.mark.parametrize("unit", ["mg/L", "mmol/L", "", "g/dL"])
    def test_unknown_unit_raises(self, unit):
        # judgement (not in CLINICAL.md or the decisions): the interface names exactly two
        # units; silently guessing another unit could stage a patient wrongly.
        with pytest.raises(ValueError, match=NON_EMPTY):
            gvhd.bilirubin_mg_dl(2, unit)


# ---------------------------------------------------------------------------------------------
# Upper GI
# ---------------------------------------------------------------------------------------------
# CLINICAL.md section 6: Upper GI stage 0 "none or intermittent nausea, vomiting or anorexia";
# stage 1 "persistent nausea, vomiting or anorexia".


class TestUpperGiStage:
    """MAGIC upper GI stage (CLINICAL.md section 6)."""

    @pytest.mark.parametrize(
        ("persistent", "expected"),
        [pytest.param(False, 0, id="none-or-intermittent"), pytest.param(True, 1, id="persistent")],
    )
    def test_stage(self, persistent, expected):
        stage = gvhd.upper_gi_stage(persistent_nausea_vomiting_anorexia=persistent)
        assert stage == expected
        assert isinstance(stage, int)
        assert has_reason(stage)


# ---------------------------------------------------------------------------------------------
# Lower GI
# ---------------------------------------------------------------------------------------------
# CLINICAL.md section 6, MAGIC table, Lower GI (adult stool output per day):
#   0 < 500 mL or < 3 episodes | 1 500-999 mL or 3-4 episodes | 2 1000-1500 mL or 5-7 episodes
#   3 > 1500 mL or > 7 episodes | 4 severe abdominal pain with or without ileus, or grossly
#   bloody stool (whatever the volume)
#   "Stool volume is the average of 3 days; stool mixed with urine counts as half."
# decision: the higher stage of volume and episodes wins; a value above a row's upper limit
# belongs to the next row (999.5 mL -> 2, 1500.5 mL -> 3; 4.5 episodes -> 2, 7.5 -> 3,
# 2.9 -> 0); episodes may be fractional; a stage-4 flag gives 4 even with no volume/episodes;
# no volume, no episodes and no flag raises ValueError (missing data is never stage 0).

STOOL_ML_CASES = [
    (0, 0, "0ml"),
    (499, 0, "499ml"),
    (499.5, 0, "499.5ml"),
    (500, 1, "500ml"),
    (750, 1, "750ml"),
    (999, 1, "999ml"),
    (999.5, 2, "999.5ml-between-rows"),
    (1000, 2, "1000ml"),
    (1500, 2, "1500ml"),
    (Decimal("1500.0"), 2, "1500.0ml-decimal"),
    (1500.5, 3, "1500.5ml-between-rows"),
    (1501, 3, "1501ml"),
    (3000, 3, "3000ml"),
]

EPISODE_CASES = [
    (0, 0, "0ep"),
    (2, 0, "2ep"),
    (2.9, 0, "2.9ep"),
    (3, 1, "3ep"),
    (Decimal("3.5"), 1, "3.5ep-decimal"),
    (4, 1, "4ep"),
    (4.5, 2, "4.5ep-between-rows"),
    (5, 2, "5ep"),
    (7, 2, "7ep"),
    (7.5, 3, "7.5ep-between-rows"),
    (8, 3, "8ep"),
    (12, 3, "12ep"),
]

DISAGREEING_CASES = [
    # ml, episodes, expected (the higher of the two stages)
    (400, 5, 2, "400ml-st0_5ep-st2"),
    (400, 8, 3, "400ml-st0_8ep-st3"),
    (600, 8, 3, "600ml-st1_8ep-st3"),
    (1600, 1, 3, "1600ml-st3_1ep-st0"),
    (1200, 3, 2, "1200ml-st2_3ep-st1"),
    (700, 2, 1, "700ml-st1_2ep-st0"),
    (200, 4, 1, "200ml-st0_4ep-st1"),
    (1000, 5, 2, "1000ml-st2_5ep-st2-agree"),
    (0, 0, 0, "both-zero"),
]


class TestLowerGiStage:
    """MAGIC adult lower GI stage (CLINICAL.md section 6)."""

    @pytest.mark.parametrize(
        ("ml", "expected"), [pytest.param(m, e, id=i) for m, e, i in STOOL_ML_CASES]
    )
    def test_volume_alone(self, ml, expected):
        stage = gvhd.lower_gi_stage(stool_ml_per_day=ml)
        assert stage == expected
        assert isinstance(stage, int)
        assert has_reason(stage)

    @pytest.mark.parametrize(
        ("episodes", "expected"), [pytest.param(n, e, id=i) for n, e, i in EPISODE_CASES]
    )
    def test_episodes_alone(self, episodes, expected):
        stage = gvhd.lower_gi_stage(episodes_per_day=episodes)
        assert stage == expected
        assert has_reason(stage)

    @pytest.mark.parametrize(
        ("ml", "episodes", "expected"),
        [pytest.param(m, n, e, id=i) for m, n, e, i in DISAGREEING_CASES],
    )
    def test_volume_and_episodes_higher_wins(self, ml, episodes, expected):
        assert gvhd.lower_gi_stage(stool_ml_per_day=ml, episodes_per_day=episodes) == expected

    @pytest.mark.parametrize(
        "kwargs",
        [
            pytest.param(dict(severe_pain_or_ileus=True), id="pain-no-volume"),
            pytest.param(dict(grossly_bloody_stool=True), id="bloody-no-volume"),
            pytest.param(
                dict(severe_pain_or_ileus=True, grossly_bloody_stool=True), id="both-flags"
            ),
            pytest.param(dict(stool_ml_per_day=0, severe_pain_or_ileus=True), id="pain-0ml"),
            pytest.param(dict(stool_ml_per_day=100, grossly_bloody_stool=True), id="bloody-100ml"),
            pytest.param(
                dict(stool_ml_per_day=2000, grossly_bloody_stool=True), id="bloody-2000ml"
            ),
            pytest.param(dict(episodes_per_day=1, severe_pain_or_ileus=True), id="pain-1ep"),
            pytest.param(
                dict(stool_ml_per_day=600, episodes_per_day=9, severe_pain_or_ileus=True),
                id="pain-600ml-9ep",
            ),
        ],
    )
    def test_stage_4_flags_whatever_the_volume(self, kwargs):
        stage = gvhd.lower_gi_stage(**kwargs)
        assert stage == 4
        assert has_reason(stage)

    @pytest.mark.parametrize(
        "kwargs",
        [
            pytest.param(dict(), id="nothing"),
            pytest.param(dict(stool_ml_per_day=None, episodes_per_day=None), id="explicit-none"),
            pytest.param(
                dict(severe_pain_or_ileus=False, grossly_bloody_stool=False), id="flags-false"
            ),
        ],
    )
    def test_missing_data_is_not_stage_0(self, kwargs):
        with pytest.raises(ValueError, match=NON_EMPTY):
            gvhd.lower_gi_stage(**kwargs)

    @pytest.mark.parametrize("value", BAD_NUMBERS)
    def test_invalid_volume_raises(self, value):
        with pytest.raises(ValueError, match=NON_EMPTY):
            gvhd.lower_gi_stage(stool_ml_per_day=value)

    @pytest.mark.parametrize("value", BAD_NUMBERS)
    def test_invalid_episodes_raises(self, value):
        with pytest.raises(ValueError, match=NON_EMPTY):
            gvhd.lower_gi_stage(episodes_per_day=value)


class TestCountedStool:
    """Stool mixed with urine counts as half (CLINICAL.md section 6)."""

    @pytest.mark.parametrize(
        ("ml", "mixed", "expected"),
        [
            pytest.param(1200, False, Decimal("1200"), id="1200-not-mixed"),
            pytest.param(1200, True, Decimal("600"), id="1200-mixed-is-600"),
            pytest.param(999, True, Decimal("499.5"), id="999-mixed-is-499.5"),
            pytest.param(1200.5, True, Decimal("600.25"), id="1200.5-float-mixed"),
            pytest.param(Decimal("3001"), True, Decimal("1500.5"), id="3001-mixed"),
            pytest.param(0, True, Decimal("0"), id="0-mixed"),
        ],
    )
    def test_counted(self, ml, mixed, expected):
        counted = gvhd.counted_stool_ml(ml, mixed_with_urine=mixed)
        assert isinstance(counted, Decimal)
        assert counted == expected

    def test_default_is_not_mixed(self):
        assert gvhd.counted_stool_ml(800) == Decimal("800")

    @pytest.mark.parametrize(
        ("ml", "mixed", "expected"),
        [
            pytest.param(1200, True, 1, id="1200-mixed-600-stage1"),
            pytest.param(1200, False, 2, id="1200-unmixed-stage2"),
            pytest.param(999, True, 0, id="999-mixed-499.5-stage0"),
            pytest.param(1000, True, 1, id="1000-mixed-500-stage1"),
            pytest.param(2000, True, 2, id="2000-mixed-1000-stage2"),
            pytest.param(3000, True, 2, id="3000-mixed-1500-stage2"),
            pytest.param(3001, True, 3, id="3001-mixed-1500.5-stage3"),
        ],
    )
    def test_counted_volume_stages(self, ml, mixed, expected):
        counted = gvhd.counted_stool_ml(ml, mixed_with_urine=mixed)
        assert gvhd.lower_gi_stage(stool_ml_per_day=counted) == expected

    @pytest.mark.parametrize("value", BAD_NUMBERS)
    def test_invalid_number_raises(self, value):
        with pytest.raises(ValueError, match=NON_EMPTY):
            gvhd.counted_stool_ml(value, mixed_with_urine=True)


# ---------------------------------------------------------------------------------------------
# MAGIC overall grade
# ---------------------------------------------------------------------------------------------
# CLINICAL.md section 6: "MAGIC overall grade: 0 none; I skin stage 1-2 with no liver, upper GI
# or lower GI involvement; II skin stage 3 and/or liver stage 1 and/or upper GI stage 1 and/or
# lower GI stage 1; III liver stage 2-3 and/or lower GI stage 2-3 (with skin 0-3 and upper GI
# 0-1); IV skin, liver or lower GI stage 4."
# decision: a stage outside its organ's range (skin/liver/lower GI 0-4, upper GI 0-1) or a
# non-int raises ValueError.

ROMAN = {0: "0", 1: "I", 2: "II", 3: "III", 4: "IV"}
ORGAN_LABEL = {"skin": "skin", "liver": "liver", "upper_gi": "upper GI", "lower_gi": "lower GI"}


def expected_magic_grade(skin, liver, upper_gi, lower_gi):
    """The MAGIC overall grade, read directly from CLINICAL.md section 6.

    Returns (grade, deciding) where deciding lists (organ, stage) pairs that put the patient
    in that grade (empty for grades 0 and I).
    """
    stages = {"skin": skin, "liver": liver, "upper_gi": upper_gi, "lower_gi": lower_gi}
    # IV: skin, liver or lower GI stage 4.
    grade_iv = [(o, s) for o, s in stages.items() if o != "upper_gi" and s == 4]
    if grade_iv:
        return 4, grade_iv
    # III: liver stage 2-3 and/or lower GI stage 2-3.
    grade_iii = [(o, s) for o, s in stages.items() if o in ("liver", "lower_gi") and s in (2, 3)]
    if grade_iii:
        return 3, grade_iii
    # II: skin 3 and/or liver 1 and/or upper GI 1 and/or lower GI 1.
    grade_ii = [
        (o, s)
        for o, s in stages.items()
        if (o == "skin" and s == 3) or (o in ("liver", "upper_gi", "lower_gi") and s == 1)
    ]
    if grade_ii:
        return 2, grade_ii
    # I: skin 1-2, nothing else.
    if skin in (1, 2):
        return 1, []
    return 0, []


def check_grade(result, grade, deciding):
    assert result == grade
    assert isinstance(result, int)
    assert result.roman == ROMAN[grade]
    assert has_reason(result)
    if grade >= 1:
        assert re.search(rf"\bGrade {ROMAN[grade]}\b", result.reason), result.reason
    for organ, stage in deciding:
        phrase = f"{ORGAN_LABEL[organ]} stage {stage}"
        assert phrase.lower() in result.reason.lower(), (phrase, result.reason)


ALL_COMBINATIONS = list(itertools.product(range(5), range(5), range(2), range(5)))
assert len(ALL_COMBINATIONS) == 250


class TestOverallGradeAllCombinations:
    """All 250 stage combinations against the plain MAGIC function above (CLINICAL.md s6)."""

    @pytest.mark.parametrize(
        ("skin", "liver", "upper_gi", "lower_gi"),
        [pytest.param(*c, id="skin{}-liver{}-ugi{}-lgi{}".format(*c)) for c in ALL_COMBINATIONS],
    )
    def test_grade(self, skin, liver, upper_gi, lower_gi):
        grade, deciding = expected_magic_grade(skin, liver, upper_gi, lower_gi)
        result = gvhd.overall_grade(skin=skin, liver=liver, upper_gi=upper_gi, lower_gi=lower_gi)
        check_grade(result, grade, deciding)


NAMED_GRADE_CASES = [
    # id, (skin, liver, upper_gi, lower_gi), grade, phrases the reason must contain
    ("no-gvhd", (0, 0, 0, 0), 0, []),
    ("skin1-alone-I", (1, 0, 0, 0), 1, []),
    ("skin2-alone-I", (2, 0, 0, 0), 1, []),
    ("skin3-alone-II", (3, 0, 0, 0), 2, ["skin stage 3"]),
    ("skin4-alone-IV", (4, 0, 0, 0), 4, ["skin stage 4"]),
    ("liver1-alone-II", (0, 1, 0, 0), 2, ["liver stage 1"]),
    ("liver2-alone-III", (0, 2, 0, 0), 3, ["liver stage 2"]),
    ("liver3-alone-III", (0, 3, 0, 0), 3, ["liver stage 3"]),
    ("liver4-alone-IV", (0, 4, 0, 0), 4, ["liver stage 4"]),
    ("upper-gi1-alone-II", (0, 0, 1, 0), 2, ["upper GI stage 1"]),
    ("lower-gi1-alone-II", (0, 0, 0, 1), 2, ["lower GI stage 1"]),
    ("lower-gi2-alone-III", (0, 0, 0, 2), 3, ["lower GI stage 2"]),
    ("lower-gi3-alone-III", (0, 0, 0, 3), 3, ["lower GI stage 3"]),
    ("lower-gi4-alone-IV", (0, 0, 0, 4), 4, ["lower GI stage 4"]),
    ("upper-gi1+skin2-II", (2, 0, 1, 0), 2, ["upper GI stage 1"]),
    ("skin1+upper-gi1-II", (1, 0, 1, 0), 2, ["upper GI stage 1"]),
    ("liver1+lower-gi1-II", (0, 1, 0, 1), 2, ["liver stage 1", "lower GI stage 1"]),
    ("liver1+upper-gi1-II", (0, 1, 1, 0), 2, ["liver stage 1", "upper GI stage 1"]),
    ("skin3+liver1-II", (3, 1, 0, 0), 2, ["skin stage 3", "liver stage 1"]),
    ("skin2+liver1-II", (2, 1, 0, 0), 2, ["liver stage 1"]),
    (
        "skin3+upper1+lower1-II",
        (3, 0, 1, 1),
        2,
        ["skin stage 3", "upper GI stage 1", "lower GI stage 1"],
    ),
    ("skin1+liver2-III", (1, 2, 0, 0), 3, ["liver stage 2"]),
    ("skin2+liver2-III", (2, 2, 0, 0), 3, ["liver stage 2"]),
    ("skin3+lower-gi3-III", (3, 0, 0, 3), 3, ["lower GI stage 3"]),
    ("skin2+upper1+lower2-III", (2, 0, 1, 2), 3, ["lower GI stage 2"]),
    ("liver2+lower-gi3-III", (0, 2, 0, 3), 3, ["liver stage 2", "lower GI stage 3"]),
    (
        "everything-below-4-III",
        (3, 3, 1, 3),
        3,
        ["liver stage 3", "lower GI stage 3"],
    ),
    ("lower-gi4+skin1-IV", (1, 0, 0, 4), 4, ["lower GI stage 4"]),
    ("skin4+upper-gi1-IV", (4, 0, 1, 0), 4, ["skin stage 4"]),
    ("skin4+liver1-IV", (4, 1, 0, 0), 4, ["skin stage 4"]),
    ("liver4+lower-gi4-IV", (0, 4, 0, 4), 4, ["liver stage 4", "lower GI stage 4"]),
    ("liver4+skin3+lower2-IV", (3, 4, 0, 2), 4, ["liver stage 4"]),
    (
        "all-maximal-IV",
        (4, 4, 1, 4),
        4,
        ["skin stage 4", "liver stage 4", "lower GI stage 4"],
    ),
]


class TestOverallGradeNamedCases:
    """Hand-written MAGIC grades (CLINICAL.md section 6), independent of the function above."""

    @pytest.mark.parametrize(
        ("stages", "grade", "phrases"),
        [pytest.param(s, g, p, id=i) for i, s, g, p in NAMED_GRADE_CASES],
    )
    def test_named(self, stages, grade, phrases):
        skin, liver, upper_gi, lower_gi = stages
        result = gvhd.overall_grade(skin=skin, liver=liver, upper_gi=upper_gi, lower_gi=lower_gi)
        assert result == grade
        assert result.roman == ROMAN[grade]
        if grade >= 1:
            assert re.search(rf"\bGrade {ROMAN[grade]}\b", result.reason), result.reason
        for phrase in phrases:
            assert phrase.lower() in result.reason.lower(), (phrase, result.reason)

    def test_named_cases_agree_with_plain_function(self):
        # Guard against a typo in either the table or the function in this file.
        for case_id, stages, grade, _ in NAMED_GRADE_CASES:
            assert expected_magic_grade(*stages)[0] == grade, case_id

    def test_example_reason_for_liver_stage_2(self):
        result = gvhd.overall_grade(skin=0, liver=2, upper_gi=0, lower_gi=0)
        assert "Grade III" in result.reason
        assert "liver stage 2" in result.reason

    def test_accepts_stages_from_the_stage_functions(self):
        result = gvhd.overall_grade(
            skin=gvhd.skin_stage(bsa_percent=60),  # 3
            liver=gvhd.liver_stage(bilirubin_mg_dl=gvhd.bilirubin_mg_dl(Decimal("34.2"), UMOL_L)),
            upper_gi=gvhd.upper_gi_stage(persistent_nausea_vomiting_anorexia=False),
            lower_gi=gvhd.lower_gi_stage(
                stool_ml_per_day=gvhd.counted_stool_ml(1200, mixed_with_urine=True)
            ),
        )
        # skin 3, liver 1, upper GI 0, lower GI 1 -> grade II
        assert result == 2
        assert result.roman == "II"


class TestOverallGradeInvalid:
    """decision: out-of-range or non-int stages raise ValueError."""

    @pytest.mark.parametrize(
        "kwargs",
        [
            pytest.param(dict(skin=5), id="skin5"),
            pytest.param(dict(skin=-1), id="skin-neg"),
            pytest.param(dict(liver=5), id="liver5"),
            pytest.param(dict(liver=-1), id="liver-neg"),
            pytest.param(dict(upper_gi=2), id="upper-gi2"),
            pytest.param(dict(upper_gi=4), id="upper-gi4"),
            pytest.param(dict(upper_gi=-1), id="upper-gi-neg"),
            pytest.param(dict(lower_gi=5), id="lower-gi5"),
            pytest.param(dict(lower_gi=-1), id="lower-gi-neg"),
            pytest.param(dict(skin=1.0), id="skin-float"),
            pytest.param(dict(liver=Decimal("2")), id="liver-decimal"),
            pytest.param(dict(lower_gi="2"), id="lower-gi-str"),
            pytest.param(dict(upper_gi=None), id="upper-gi-none"),
            pytest.param(dict(skin=2.5), id="skin-2.5"),
        ],
    )
    def test_raises(self, kwargs):
        stages = dict(skin=0, liver=0, upper_gi=0, lower_gi=0)
        stages.update(kwargs)
        with pytest.raises(ValueError, match=NON_EMPTY):
            gvhd.overall_grade(**stages)


# ---------------------------------------------------------------------------------------------
# NIH chronic GVHD global severity
# ---------------------------------------------------------------------------------------------
# CLINICAL.md section 6: "eight organs each scored 0-3 (skin, mouth, eyes, GI tract, liver,
# lungs, joints and fascia, genital tract). Mild: 1-2 organs, none above score 1, lung 0.
# Moderate: 3 or more organs with score 1; or any organ other than lung with score 2; or lung
# score 1. Severe: any organ with score 3; or lung score 2 or 3."
# decision: a missing key, an unknown key, a score outside 0-3 or a non-integer score (bool
# included) raises ValueError.

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
NON_LUNG = tuple(o for o in NIH_ORGANS if o != "lungs")


def expected_nih_severity(scores):
    """NIH 2014 global severity, read directly from CLINICAL.md section 6."""
    lungs = scores["lungs"]
    involved = [o for o in NIH_ORGANS if scores[o] >= 1]
    if any(scores[o] == 3 for o in NIH_ORGANS) or lungs >= 2:
        return "severe"
    if len(involved) >= 3 or any(scores[o] == 2 for o in NON_LUNG) or lungs == 1:
        return "moderate"
    if 1 <= len(involved) <= 2:  # here every score is <= 1 and lung is 0
        return "mild"
    return "none"


def renamed(organ, wrong_name):
    """All-zero scores with one organ under a wrong key (score 1)."""
    scores = {o: 0 for o in NIH_ORGANS if o != organ}
    scores[wrong_name] = 1
    return scores


def nih(**scores):
    full = {o: 0 for o in NIH_ORGANS}
    full.update(scores)
    return full


NIH_NAMED_CASES = [
    ("all-zero-none", nih(), "none"),
    ("skin1-mild", nih(skin=1), "mild"),
    ("genital1-mild", nih(genital_tract=1), "mild"),
    ("two-organs-score1-mild", nih(mouth=1, eyes=1), "mild"),
    ("gi1+liver1-mild", nih(gi_tract=1, liver=1), "mild"),
    ("three-organs-score1-moderate", nih(skin=1, mouth=1, eyes=1), "moderate"),
    ("seven-non-lung-score1-moderate", nih(**{o: 1 for o in NON_LUNG}), "moderate"),
    ("all-eight-score1-moderate", nih(**{o: 1 for o in NIH_ORGANS}), "moderate"),
    ("lung1-alone-moderate", nih(lungs=1), "moderate"),
    ("lung1+skin1-moderate", nih(lungs=1, skin=1), "moderate"),
    ("mouth2+eyes1-moderate", nih(mouth=2, eyes=1), "moderate"),
    ("skin2-alone-moderate", nih(skin=2), "moderate"),
    ("liver2+lung1-moderate", nih(liver=2, lungs=1), "moderate"),
    (
        "all-non-lung-2+lung1-moderate",
        nih(lungs=1, **{o: 2 for o in NON_LUNG}),
        "moderate",
    ),
    ("lung2-alone-severe", nih(lungs=2), "severe"),
    ("lung3-alone-severe", nih(lungs=3), "severe"),
    ("lung2+skin1-severe", nih(lungs=2, skin=1), "severe"),
    ("eyes3-alone-severe", nih(eyes=3), "severe"),
    ("skin3+mouth1-severe", nih(skin=3, mouth=1), "severe"),
    ("everything-3-severe", nih(**{o: 3 for o in NIH_ORGANS}), "severe"),
]


class TestNihSeverityNamed:
    """Hand-written NIH global severity cases (CLINICAL.md section 6)."""

    @pytest.mark.parametrize(
        ("scores", "expected"), [pytest.param(s, e, id=i) for i, s, e in NIH_NAMED_CASES]
    )
    def test_named(self, scores, expected):
        result = gvhd.nih_global_severity(scores)
        assert result == expected
        assert isinstance(result, str)
        assert has_reason(result)

    @pytest.mark.parametrize("organ", NON_LUNG)
    def test_any_non_lung_organ_score_2_is_moderate(self, organ):
        assert gvhd.nih_global_severity(nih(**{organ: 2})) == "moderate"

    @pytest.mark.parametrize("organ", NON_LUNG)
    def test_any_single_non_lung_organ_score_1_is_mild(self, organ):
        assert gvhd.nih_global_severity(nih(**{organ: 1})) == "mild"

    @pytest.mark.parametrize("organ", NIH_ORGANS)
    def test_any_organ_score_3_is_severe(self, organ):
        assert gvhd.nih_global_severity(nih(**{organ: 3})) == "severe"

    def test_named_cases_agree_with_plain_function(self):
        for case_id, scores, expected in NIH_NAMED_CASES:
            assert expected_nih_severity(scores) == expected, case_id


class TestNihSeverityExhaustive:
    """All 4^8 = 65,536 score combinations against the plain NIH function above."""

    def test_all_combinations(self):
        mismatches = []
        count = 0
        for combo in itertools.product(range(4), repeat=len(NIH_ORGANS)):
            scores = dict(zip(NIH_ORGANS, combo, strict=True))
            expected = expected_nih_severity(scores)
            got = gvhd.nih_global_severity(scores)
            count += 1
            if got != expected:
                mismatches.append((scores, expected, str(got)))
        assert count == 65_536
        assert not mismatches, f"{len(mismatches)} mismatches, first: {mismatches[:5]}"


class TestNihSeverityInvalid:
    """decision: invalid organ keys or scores raise ValueError."""

    def _without(self, organ):
        scores = nih()
        del scores[organ]
        return scores

    @pytest.mark.parametrize("organ", NIH_ORGANS)
    def test_missing_key_raises(self, organ):
        with pytest.raises(ValueError, match=NON_EMPTY):
            gvhd.nih_global_severity(self._without(organ))

    @pytest.mark.parametrize(
        "scores",
        [
            pytest.param({**nih(), "kidney": 0}, id="extra-key"),
            pytest.param({**nih(), "lung": 0}, id="extra-lung-singular"),
            pytest.param(renamed("lungs", "lung"), id="lung-instead-of-lungs"),
            pytest.param(renamed("gi_tract", "gi"), id="gi-instead-of-gi_tract"),
        ],
    )
    def test_unknown_key_raises(self, scores):
        with pytest.raises(ValueError, match=NON_EMPTY):
            gvhd.nih_global_severity(scores)

    def test_empty_mapping_raises(self):
        with pytest.raises(ValueError, match=NON_EMPTY):
            gvhd.nih_global_severity({})

    @pytest.mark.parametrize(
        "bad",
        [
            pytest.param(4, id="4"),
            pytest.param(-1, id="neg"),
            pytest.param(1.5, id="float-1.5"),
            pytest.param("1", id="str"),
            pytest.param(None, id="none"),
            pytest.param(True, id="bool-true"),
            pytest.param(False, id="bool-false"),
        ],
    )
    @pytest.mark.parametrize("organ", ["skin", "lungs"])
    def test_bad_score_raises(self, organ, bad):
        with pytest.raises(ValueError, match=NON_EMPTY):
            gvhd.nih_global_severity(nih(**{organ: bad}))


# ---------------------------------------------------------------------------------------------
# Acute vs late acute
# ---------------------------------------------------------------------------------------------
# CLINICAL.md section 6: "Acute vs chronic is decided by clinical features, not by the date
# alone (NIH consensus): acute after Day 100 is 'late acute'."
# CLINICAL.md section 2: "day_number(date) = (date - day_zero).days".
# decision: Day +100 itself is "acute"; Day +101 is "late acute".

D0 = date(2024, 1, 10)


def day(n, day_zero=D0):
    return day_zero + timedelta(days=n)


ACUTE_CASES = [
    # assessed_on, day_zero, expected, day number (for the id / sanity check)
    (day(0), D0, "acute", 0, "day0"),
    (day(14), D0, "acute", 14, "day14"),
    (day(99), D0, "acute", 99, "day99"),
    (day(100), D0, "acute", 100, "day100"),
    (day(101), D0, "late acute", 101, "day101"),
    (day(365), D0, "late acute", 365, "day365"),
    (day(1000), D0, "late acute", 1000, "day1000"),
    # Leap year: Day 0 = 20 Feb 2024; 29 Feb exists, so Day +100 = 30 May 2024.
    (date(2024, 5, 29), date(2024, 2, 20), "acute", 99, "leap-day99-29may"),
    (date(2024, 5, 30), date(2024, 2, 20), "acute", 100, "leap-day100-30may"),
    (date(2024, 5, 31), date(2024, 2, 20), "late acute", 101, "leap-day101-31may"),
    # Same day zero in a common year: Day +100 = 31 May 2023.
    (date(2023, 5, 31), date(2023, 2, 20), "acute", 100, "common-day100-31may"),
    (date(2023, 6, 1), date(2023, 2, 20), "late acute", 101, "common-day101-1jun"),
    # Month end: Day 0 = 31 Jan 2023, Day +100 = 11 May 2023.
    (date(2023, 5, 11), date(2023, 1, 31), "acute", 100, "monthend-day100-11may"),
    (date(2023, 5, 12), date(2023, 1, 31), "late acute", 101, "monthend-day101-12may"),
    # Across a year end: Day 0 = 1 Dec 2023, Day +100 = 10 Mar 2024 (leap February).
    (date(2024, 3, 10), date(2023, 12, 1), "acute", 100, "yearend-day100-10mar"),
    (date(2024, 3, 11), date(2023, 12, 1), "late acute", 101, "yearend-day101-11mar"),
]


class TestAcuteLabel:
    """Acute GVHD after Day +100 is "late acute" (CLINICAL.md sections 2 and 6)."""

    @pytest.mark.parametrize(
        ("assessed_on", "day_zero", "expected", "n"),
        [pytest.param(a, z, e, n, id=i) for a, z, e, n, i in ACUTE_CASES],
    )
    def test_label(self, assessed_on, day_zero, expected, n):
        assert (assessed_on - day_zero).days == n  # the table itself is right
        label = gvhd.acute_label(assessed_on=assessed_on, day_zero=day_zero)
        assert label.text == expected
        assert isinstance(label.reason, str)
        assert label.reason.strip()

    def test_never_calls_it_chronic_by_date(self):
        # "not by the date alone": even years out, the date never turns acute into chronic.
        label = gvhd.acute_label(assessed_on=day(3 * 365), day_zero=D0)
        assert label.text in ("acute", "late acute")
        assert "chronic" not in label.text

    @pytest.mark.parametrize("n", [99, 100, 101, 365])
    def test_reason_writes_the_day_the_section_2_way(self, n):
        # judgement, NOT in CLINICAL.md or the decisions: the reason names the assessment's own
        # day, written the section 2 way ('Written "Day +14" (sign always shown except on 0)').
        label = gvhd.acute_label(assessed_on=day(n), day_zero=D0)
        assert f"Day +{n}" in label.reason, label.reason


# ---------------------------------------------------------------------------------------------
# Response between two assessments
# ---------------------------------------------------------------------------------------------
# Team definition (brief): "first" when previous is None; "none" when both all 0; "resolved"
# when current all 0 and previous not; "improving" when >= 1 organ lower and none higher;
# "worse" when >= 1 organ higher and none lower (includes a new flare from all 0); "mixed" when
# some lower and others higher; "stable" when every organ is the same and not all 0.

S = gvhd.OrganStages

RESPONSE_CASES = [
    (None, S(2, 1, 0, 1), "first", "first-with-gvhd"),
    (None, S(0, 0, 0, 0), "first", "first-all-zero"),
    (S(0, 0, 0, 0), S(0, 0, 0, 0), "none", "none"),
    (S(2, 1, 0, 1), S(0, 0, 0, 0), "resolved", "resolved"),
    (S(0, 0, 1, 0), S(0, 0, 0, 0), "resolved", "resolved-upper-gi-only"),
    (S(3, 1, 1, 2), S(2, 1, 1, 2), "improving", "improving-skin-only"),
    (S(3, 1, 1, 2), S(1, 0, 0, 2), "improving", "improving-several"),
    (S(0, 0, 1, 3), S(0, 0, 0, 1), "improving", "improving-gi"),
    (S(1, 0, 0, 0), S(2, 0, 0, 0), "worse", "worse-skin"),
    (S(1, 1, 0, 1), S(1, 2, 1, 3), "worse", "worse-several"),
    (S(0, 0, 0, 0), S(1, 0, 0, 0), "worse", "worse-new-flare-from-zero"),
    (S(0, 0, 0, 0), S(0, 0, 0, 4), "worse", "worse-new-flare-lower-gi4"),
    (S(2, 0, 0, 1), S(1, 0, 0, 2), "mixed", "mixed-skin-down-gi-up"),
    (S(3, 2, 1, 0), S(0, 3, 0, 0), "mixed", "mixed-liver-up-others-down"),
    (S(2, 1, 0, 0), S(2, 1, 0, 0), "stable", "stable"),
    (S(4, 4, 1, 4), S(4, 4, 1, 4), "stable", "stable-maximal"),
]


class TestResponse:
    """Change in organ stages between assessments (team definition in the brief)."""

    @pytest.mark.parametrize(
        ("previous", "current", "expected"),
        [pytest.param(p, c, e, id=i) for p, c, e, i in RESPONSE_CASES],
    )
    def test_response(self, previous, current, expected):
        assert gvhd.response(previous, current) == expected

    def test_every_outcome_is_covered(self):
        assert {e for _, _, e, _ in RESPONSE_CASES} == {
            "first",
            "none",
            "resolved",
            "improving",
            "worse",
            "mixed",
            "stable",
        }

    def test_organ_stages_fields(self):
        stages = gvhd.OrganStages(skin=3, liver=1, upper_gi=0, lower_gi=2)
        assert (stages.skin, stages.liver, stages.upper_gi, stages.lower_gi) == (3, 1, 0, 2)
        assert stages == gvhd.OrganStages(3, 1, 0, 2)

    def test_organ_stages_is_frozen(self):
        stages = gvhd.OrganStages(3, 1, 0, 2)
        with pytest.raises((AttributeError, TypeError)):
            stages.skin = 0  # type: ignore[misc]
