"""Doses that follow the doses given (CLINICAL.md §5): each later dose is due at the later of
its own date and the previous dose (given, else as due) plus the minimum interval."""

from datetime import date

from tracker.rules.immunity import PlannedDose, chain_doses

DZ = date(2026, 1, 15)


def test_a_late_dose_1_pushes_dose_2():
    """The issue's case: PCV dose 1 due at 3 months, given at 5 months less 2 days; dose 2 is
    not due two days later but 4 weeks after dose 1."""
    doses = [
        PlannedDose("pcv", 1, date(2026, 4, 15), given_on=date(2026, 6, 13)),
        PlannedDose("pcv", 2, date(2026, 5, 15)),
        PlannedDose("pcv", 3, date(2026, 6, 15)),
    ]
    first, second, third = chain_doses(doses)
    assert second.due == date(2026, 7, 11)
    assert second.reason == "At least 4 weeks after dose 1 given on 13 Jun 2026."
    # Dose 3 follows dose 2 as it is now due, not as first planned.
    assert third.due == date(2026, 8, 8)
    assert "dose 2 due on 11 Jul 2026" in third.reason


def test_doses_on_time_keep_their_own_dates():
    doses = [
        PlannedDose("pcv", 1, date(2026, 4, 15), given_on=date(2026, 4, 15)),
        PlannedDose("pcv", 2, date(2026, 5, 15)),
    ]
    assert [dose.due for dose in chain_doses(doses)] == [date(2026, 4, 15), date(2026, 5, 15)]
    assert chain_doses(doses)[1].reason == ""


def test_hepatitis_b_dose_3_waits_16_weeks_from_dose_1():
    doses = [
        PlannedDose("hepb", 1, date(2026, 7, 15), given_on=date(2026, 9, 1)),
        PlannedDose("hepb", 2, date(2026, 9, 15), given_on=date(2026, 9, 29)),
        PlannedDose("hepb", 3, date(2026, 11, 15)),
    ]
    third = chain_doses(doses)[2]
    # 8 weeks after dose 2 is 24 Nov; 16 weeks after dose 1 is 22 Dec: the later wins.
    assert third.due == date(2026, 12, 22)
    assert third.reason == "At least 16 weeks after dose 1 given on 1 Sep 2026."


def test_varicella_in_a_child_waits_3_months():
    doses = [
        PlannedDose("varicella", 1, date(2028, 1, 15), given_on=date(2028, 1, 20)),
        PlannedDose("varicella", 2, date(2028, 2, 15)),
    ]
    child = chain_doses(doses, born=date(2020, 5, 1))[1]
    adult = chain_doses(doses, born=date(1980, 5, 1))[1]
    assert (child.due, adult.due) == (date(2028, 4, 20), date(2028, 2, 17))


def test_a_month_interval_clamps_at_the_month_end():
    doses = [
        PlannedDose("rzv", 1, date(2026, 1, 10), given_on=date(2026, 1, 31)),
        PlannedDose("rzv", 2, date(2026, 2, 10)),
    ]
    assert chain_doses(doses)[1].due == date(2026, 2, 28)


def test_vaccines_do_not_chain_across_each_other():
    doses = [
        PlannedDose("pcv", 1, date(2026, 4, 15), given_on=date(2026, 6, 1)),
        PlannedDose("menacwy", 2, date(2026, 9, 15)),  # no dose 1 in the plan: its own date
        PlannedDose("hib", 2, date(2026, 5, 15)),
    ]
    assert [dose.due for dose in chain_doses(doses)[1:]] == [date(2026, 9, 15), date(2026, 5, 15)]
