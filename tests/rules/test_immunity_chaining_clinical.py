"""Clinical cases for ``chain_doses``, written from CLINICAL.md only.

Sources: CLINICAL.md section 5 (vaccine table; "Doses follow the doses given")
and section 2 (calendar months clamp at month ends, ``relativedelta``), plus the
team decisions in the brief (interval table, varicella age rule, reason text).
"""

from datetime import date, timedelta

import pytest

from tracker.rules.immunity import PlannedDose, chain_doses

D = date


def dues(doses, **kwargs):
    return [c.due for c in chain_doses(doses, **kwargs)]


# --- on-time series: nothing moves ------------------------------------------


@pytest.mark.parametrize(
    ("vaccine", "count"),
    [("pcv", 3), ("tdap", 3), ("hib", 3), ("ipv", 3), ("hepb", 3), ("menacwy", 2)],
)
def test_on_time_series_keeps_own_dates(vaccine, count):
    # Section 5: later dose due at the LATER of its own date and prev + interval.
    # Own dates 20 weeks apart satisfy every interval in the table.
    own = [D(2026, 4, 1), D(2026, 8, 19), D(2027, 1, 6)][:count]
    doses = [PlannedDose(vaccine, i + 1, d) for i, d in enumerate(own)]
    chained = chain_doses(doses)
    assert [c.due for c in chained] == own
    assert [c.reason for c in chained] == [""] * count


def test_first_dose_always_keeps_its_own_date():
    chained = chain_doses([PlannedDose("pcv", 1, D(2026, 4, 1))])
    assert chained[0].due == D(2026, 4, 1)
    assert chained[0].reason == ""


# --- late dose 1 pushes the series (cascade) ---------------------------------


def test_late_dose_1_pushes_dose_2_and_cascades_to_dose_3():
    # Section 5: "A late dose 1 pushes dose 2". PCV 4 weeks apart.
    # Dose 1 given 16 May; dose 2 (not given) -> 13 Jun; dose 3 -> 13 Jun + 28 = 11 Jul.
    doses = [
        PlannedDose("pcv", 1, D(2026, 4, 1), given_on=D(2026, 5, 16)),
        PlannedDose("pcv", 2, D(2026, 4, 29)),
        PlannedDose("pcv", 3, D(2026, 5, 27)),
    ]
    chained = chain_doses(doses)
    assert chained[1].due == D(2026, 6, 13)
    assert chained[2].due == D(2026, 7, 11)
    assert "16 May 2026" in chained[1].reason
    assert "13 Jun 2026" in chained[2].reason


def test_not_given_dose_1_counts_on_its_own_date():
    # Previous dose not given -> counts on its (chained) due date.
    doses = [
        PlannedDose("tdap", 1, D(2026, 6, 10)),
        PlannedDose("tdap", 2, D(2026, 6, 20)),
    ]
    chained = chain_doses(doses)
    assert chained[1].due == D(2026, 7, 8)  # 10 Jun + 28 days
    assert "10 Jun 2026" in chained[1].reason


def test_given_date_beats_planned_date_of_previous_dose():
    # Dose 1 planned 1 Apr but actually given 20 Apr: count from 20 Apr.
    doses = [
        PlannedDose("hib", 1, D(2026, 4, 1), given_on=D(2026, 4, 20)),
        PlannedDose("hib", 2, D(2026, 4, 29)),
    ]
    chained = chain_doses(doses)
    assert chained[1].due == D(2026, 5, 18)
    assert "20 Apr 2026" in chained[1].reason


def test_early_given_dose_1_does_not_pull_dose_2_earlier():
    # "Later of" its own date and prev + interval: own date is a floor.
    doses = [
        PlannedDose("ipv", 1, D(2026, 4, 1), given_on=D(2026, 3, 20)),
        PlannedDose("ipv", 2, D(2026, 5, 1)),
    ]
    chained = chain_doses(doses)
    assert chained[1].due == D(2026, 5, 1)
    assert chained[1].reason == ""


def test_pcv_dose_4_needs_8_weeks_after_dose_3():
    doses = [
        PlannedDose("pcv", 3, D(2026, 11, 1), given_on=D(2026, 11, 20)),
        PlannedDose("pcv", 4, D(2026, 12, 1)),
    ]
    chained = chain_doses(doses)
    assert chained[1].due == D(2027, 1, 15)  # 20 Nov + 56 days
    assert "20 Nov 2026" in chained[1].reason


@pytest.mark.parametrize(
    ("vaccine", "days"),
    [("menacwy", 56), ("mmr", 28), ("tdap", 28), ("hib", 28), ("ipv", 28)],
)
def test_dose_2_interval_per_vaccine(vaccine, days):
    given = D(2026, 10, 12)
    doses = [
        PlannedDose(vaccine, 1, D(2026, 10, 1), given_on=given),
        PlannedDose(vaccine, 2, D(2026, 10, 13)),
    ]
    chained = chain_doses(doses)
    assert (chained[1].due - given).days == days
    assert "12 Oct 2026" in chained[1].reason


# --- exact boundaries ---------------------------------------------------------


@pytest.mark.parametrize(
    ("vaccine", "dose", "days"),
    [("pcv", 2, 28), ("pcv", 3, 28), ("pcv", 4, 56), ("menacwy", 2, 56), ("mmr", 2, 28)],
)
def test_interval_met_to_the_day_keeps_own_date(vaccine, dose, days):
    prev = D(2026, 6, 1)
    doses = [
        PlannedDose(vaccine, dose - 1, prev, given_on=prev),
        PlannedDose(vaccine, dose, prev + timedelta(days=days)),
    ]
    chained = chain_doses(doses)
    assert chained[1].due == prev + timedelta(days=days)
    assert chained[1].reason == ""


def test_one_day_short_moves_by_one_day():
    doses = [
        PlannedDose("pcv", 1, D(2026, 6, 1), given_on=D(2026, 6, 1)),
        PlannedDose("pcv", 2, D(2026, 6, 28)),  # 27 days after
    ]
    chained = chain_doses(doses)
    assert chained[1].due == D(2026, 6, 29)
    assert "01 Jun 2026" in chained[1].reason or "1 Jun 2026" in chained[1].reason


# --- hepatitis B: two intervals for dose 3 -----------------------------------


def test_hepb_dose_2_four_weeks_after_dose_1():
    doses = [
        PlannedDose("hepb", 1, D(2026, 6, 1), given_on=D(2026, 6, 15)),
        PlannedDose("hepb", 2, D(2026, 6, 29)),
    ]
    assert dues(doses)[1] == D(2026, 7, 13)


def test_hepb_dose_3_sixteen_weeks_from_dose_1_wins():
    # d2 + 56 = 24 Aug; d1 + 112 = 21 Sep -> 21 Sep.
    doses = [
        PlannedDose("hepb", 1, D(2026, 6, 1), given_on=D(2026, 6, 1)),
        PlannedDose("hepb", 2, D(2026, 6, 29), given_on=D(2026, 6, 29)),
        PlannedDose("hepb", 3, D(2026, 7, 1)),
    ]
    chained = chain_doses(doses)
    assert chained[2].due == D(2026, 9, 21)
    assert chained[2].reason != ""


def test_hepb_dose_3_eight_weeks_from_dose_2_wins():
    # d2 given late: d2 + 56 = 15 Oct; d1 + 112 = 21 Sep -> 15 Oct.
    doses = [
        PlannedDose("hepb", 1, D(2026, 6, 1), given_on=D(2026, 6, 1)),
        PlannedDose("hepb", 2, D(2026, 6, 29), given_on=D(2026, 8, 20)),
        PlannedDose("hepb", 3, D(2026, 8, 21)),
    ]
    chained = chain_doses(doses)
    assert chained[2].due == D(2026, 10, 15)
    assert "20 Aug 2026" in chained[2].reason


def test_hepb_dose_3_cascades_from_not_given_doses():
    # d1 given 10 Jun; d2 not given -> 8 Jul; d3: max(8 Jul + 56 = 2 Sep,
    # 10 Jun + 112 = 30 Sep, own 1 Aug) = 30 Sep.
    doses = [
        PlannedDose("hepb", 1, D(2026, 6, 1), given_on=D(2026, 6, 10)),
        PlannedDose("hepb", 2, D(2026, 7, 1)),
        PlannedDose("hepb", 3, D(2026, 8, 1)),
    ]
    assert dues(doses)[1:] == [D(2026, 7, 8), D(2026, 9, 30)]


def test_hepb_dose_3_both_intervals_met_to_the_day_keeps_own_date():
    # d1 1 Jun, d2 27 Jul (d1 + 56); d3 own 21 Sep = d1 + 112 = d2 + 56.
    doses = [
        PlannedDose("hepb", 1, D(2026, 6, 1), given_on=D(2026, 6, 1)),
        PlannedDose("hepb", 2, D(2026, 7, 27), given_on=D(2026, 7, 27)),
        PlannedDose("hepb", 3, D(2026, 9, 21)),
    ]
    chained = chain_doses(doses)
    assert chained[2].due == D(2026, 9, 21)
    assert chained[2].reason == ""


def test_hepb_dose_3_later_own_date_kept():
    doses = [
        PlannedDose("hepb", 1, D(2026, 6, 1), given_on=D(2026, 6, 1)),
        PlannedDose("hepb", 2, D(2026, 7, 1), given_on=D(2026, 7, 1)),
        PlannedDose("hepb", 3, D(2026, 12, 1)),
    ]
    chained = chain_doses(doses)
    assert chained[2].due == D(2026, 12, 1)
    assert chained[2].reason == ""


# --- recombinant zoster: calendar month, clamped -----------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        (D(2026, 1, 31), D(2026, 2, 28)),  # section 2: 31 Jan + 1 month = 28 Feb
        (D(2028, 1, 31), D(2028, 2, 29)),  # leap year
        (D(2026, 3, 31), D(2026, 4, 30)),
        (D(2026, 1, 15), D(2026, 2, 15)),
        (D(2026, 12, 31), D(2027, 1, 31)),
    ],
)
def test_rzv_dose_2_one_calendar_month_clamped(given, expected):
    doses = [
        PlannedDose("rzv", 1, given, given_on=given),
        PlannedDose("rzv", 2, given),
    ]
    assert dues(doses)[1] == expected


def test_rzv_dose_2_exactly_one_month_keeps_own_date():
    doses = [
        PlannedDose("rzv", 1, D(2026, 1, 31), given_on=D(2026, 1, 31)),
        PlannedDose("rzv", 2, D(2026, 2, 28)),
    ]
    chained = chain_doses(doses)
    assert chained[1].due == D(2026, 2, 28)
    assert chained[1].reason == ""


def test_rzv_not_thirty_days():
    # Never "30 days per month": 1 Feb + 1 month = 1 Mar, not 3 Mar.
    doses = [
        PlannedDose("rzv", 1, D(2026, 2, 1), given_on=D(2026, 2, 1)),
        PlannedDose("rzv", 2, D(2026, 2, 2)),
    ]
    chained = chain_doses(doses)
    assert chained[1].due == D(2026, 3, 1)
    assert "01 Feb 2026" in chained[1].reason or "1 Feb 2026" in chained[1].reason


# --- varicella: 3 months aged 1-12, 4 weeks from 13 --------------------------


def _varicella(d1_given, born, d2_own=None):
    doses = [
        PlannedDose("varicella", 1, d1_given, given_on=d1_given),
        PlannedDose("varicella", 2, d2_own or d1_given),
    ]
    return chain_doses(doses, born=born)[1]


def test_varicella_age_12_day_before_13th_birthday_three_months():
    c = _varicella(D(2026, 6, 14), born=D(2013, 6, 15))
    assert c.due == D(2026, 9, 14)
    assert "14 Jun 2026" in c.reason


def test_varicella_on_13th_birthday_four_weeks():
    c = _varicella(D(2026, 6, 15), born=D(2013, 6, 15))
    assert c.due == D(2026, 7, 13)
    assert "15 Jun 2026" in c.reason


def test_varicella_adult_four_weeks():
    c = _varicella(D(2026, 6, 15), born=D(1980, 1, 1))
    assert c.due == D(2026, 7, 13)


def test_varicella_young_child_three_months_clamped():
    # 30 Nov + 3 calendar months = 28 Feb (clamped, section 2).
    c = _varicella(D(2026, 11, 30), born=D(2020, 1, 1))
    assert c.due == D(2027, 2, 28)


def test_varicella_born_unknown_uses_three_months():
    c = _varicella(D(2026, 6, 15), born=None)
    assert c.due == D(2026, 9, 15)


def test_varicella_leap_day_birthday_on_feb_28_is_still_12():
    # Born 29 Feb 2012. CLINICAL.md clamps calendar months, not ages. The team's decision:
    # a 29 February child turns 13 on 1 March in a common year (as in English law), which is
    # also the safer reading here (the longer, child interval): 3 months, not 4 weeks.
    c = _varicella(D(2025, 2, 28), born=D(2012, 2, 29))
    assert c.due == D(2025, 5, 28)


def test_varicella_leap_day_birthday_day_before_is_12():
    c = _varicella(D(2025, 2, 27), born=D(2012, 2, 29))
    assert c.due == D(2025, 5, 27)


def test_varicella_leap_day_birthday_after_is_13():
    c = _varicella(D(2025, 3, 1), born=D(2012, 2, 29))
    assert c.due == D(2025, 3, 29)


def test_varicella_leap_day_birthday_in_leap_year():
    # 29 Feb 2024: 12th birthday -> aged 12 -> 3 months -> 29 May 2024.
    c = _varicella(D(2024, 2, 29), born=D(2012, 2, 29))
    assert c.due == D(2024, 5, 29)


def test_varicella_interval_met_keeps_own_date():
    c = _varicella(D(2026, 6, 14), born=D(2013, 6, 15), d2_own=D(2026, 9, 14))
    assert c.due == D(2026, 9, 14)
    assert c.reason == ""


def test_deferred_live_dose_1_defers_dose_2():
    # Section 5: "a deferred live dose 1 defers dose 2" (not given, own date late).
    doses = [
        PlannedDose("mmr", 1, D(2027, 9, 10)),
        PlannedDose("mmr", 2, D(2027, 8, 1)),
    ]
    chained = chain_doses(doses, born=D(1980, 1, 1))
    assert chained[1].due == D(2027, 10, 8)
    assert "10 Sep 2027" in chained[1].reason


# --- no chaining across vaccines / missing previous dose ---------------------


def test_vaccines_do_not_chain_across_each_other():
    doses = [
        PlannedDose("hib", 1, D(2026, 6, 1), given_on=D(2026, 6, 25)),
        PlannedDose("ipv", 2, D(2026, 6, 29)),
        PlannedDose("tdap", 2, D(2026, 6, 29)),
        PlannedDose("pcv", 2, D(2026, 6, 29)),
    ]
    chained = chain_doses(doses)
    assert [c.due for c in chained[1:]] == [D(2026, 6, 29)] * 3
    assert [c.reason for c in chained[1:]] == [""] * 3


def test_dose_without_previous_in_list_keeps_own_date():
    doses = [PlannedDose("pcv", 2, D(2026, 6, 29)), PlannedDose("hepb", 2, D(2026, 6, 1))]
    chained = chain_doses(doses)
    assert [c.due for c in chained] == [D(2026, 6, 29), D(2026, 6, 1)]
    assert [c.reason for c in chained] == ["", ""]


def test_mixed_vaccines_each_chain_independently():
    doses = [
        PlannedDose("pcv", 1, D(2026, 4, 1), given_on=D(2026, 5, 16)),
        PlannedDose("rzv", 1, D(2026, 1, 31), given_on=D(2026, 1, 31)),
        PlannedDose("pcv", 2, D(2026, 4, 29)),
        PlannedDose("tdap", 1, D(2026, 7, 1)),
        PlannedDose("rzv", 2, D(2026, 2, 1)),
        PlannedDose("tdap", 2, D(2026, 8, 1)),
        PlannedDose("pcv", 3, D(2026, 5, 27)),
    ]
    assert dues(doses) == [
        D(2026, 4, 1),
        D(2026, 1, 31),
        D(2026, 6, 13),
        D(2026, 7, 1),
        D(2026, 2, 28),
        D(2026, 8, 1),
        D(2026, 7, 11),
    ]


# --- input order preserved ----------------------------------------------------


def test_output_order_matches_input_when_input_is_shuffled():
    doses = [
        PlannedDose("pcv", 3, D(2026, 5, 27)),
        PlannedDose("pcv", 1, D(2026, 4, 1), given_on=D(2026, 5, 16)),
        PlannedDose("pcv", 2, D(2026, 4, 29)),
    ]
    chained = chain_doses(doses)
    assert len(chained) == 3
    assert [c.due for c in chained] == [D(2026, 7, 11), D(2026, 4, 1), D(2026, 6, 13)]


def test_empty_list():
    assert chain_doses([]) == []


def test_accepts_tuple_and_returns_list():
    doses = (PlannedDose("pcv", 1, D(2026, 4, 1)), PlannedDose("pcv", 2, D(2026, 4, 10)))
    chained = chain_doses(doses)
    assert isinstance(chained, list)
    assert [c.due for c in chained] == [D(2026, 4, 1), D(2026, 4, 29)]
