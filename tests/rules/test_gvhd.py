"""The GVHD rules' judgements beyond the MAGIC and NIH tables (those are in
test_gvhd_clinical.py, written from CLINICAL.md alone): names, reasons, edge readings."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tracker.rules import gvhd

DAY_ZERO = date(2024, 2, 20)


@pytest.mark.parametrize("day", [14, 100, 101, 400])
def test_acute_features_with_active_chronic_gvhd_are_the_overlap_syndrome(day):
    """NIH: overlap syndrome is chronic GVHD with acute features, whatever the day."""
    label = gvhd.acute_label(
        assessed_on=DAY_ZERO + timedelta(days=day), day_zero=DAY_ZERO, chronic_active=True
    )
    assert label.text == "overlap syndrome"
    assert "a form of chronic GVHD" in label.reason


def test_bullae_below_half_the_body_surface_are_explained():
    stage = gvhd.skin_stage(bsa_percent=40, bullae_desquamation=True)
    assert stage == 2
    assert "bullae count only with a rash over 50 %" in stage.reason
    assert "bullae" not in gvhd.skin_stage(bsa_percent=40).reason


def test_the_liver_reason_gives_the_converted_value():
    stage = gvhd.liver_stage(bilirubin_mg_dl=gvhd.bilirubin_mg_dl(Decimal(52), gvhd.UMOL_L))
    assert stage.reason == "liver stage 2: bilirubin 3.041 mg/dL (over 3, up to 6)"


def test_the_lower_gi_reason_names_both_measures():
    stage = gvhd.lower_gi_stage(stool_ml_per_day=600, episodes_per_day=6)
    assert stage == 2
    assert stage.reason == "lower GI stage 2: 600 mL a day and 6 episodes a day"


@pytest.mark.parametrize(
    ("previous", "current", "expected"),
    [
        ((2, 0, 0, 1), (1, 0, 0, 2), "mixed"),
        ((0, 0, 0, 0), (0, 0, 0, 0), "none"),
        ((3, 1, 1, 1), (0, 0, 0, 0), "resolved"),
    ],
)
def test_response_words(previous, current, expected):
    outcome = gvhd.response(gvhd.OrganStages(*previous), gvhd.OrganStages(*current))
    assert outcome == expected
    assert gvhd.RESPONSE_WORDS[outcome]
