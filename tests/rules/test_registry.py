"""The registry rules beyond the clinical cases (tests/rules/test_registry_clinical.py): which
form reports a last contact, what it makes not required, a centre's own offsets, and how a
window reads."""

from datetime import date, timedelta

import pytest

from tracker.rules.registry import (
    RegistryRules,
    closing_form,
    not_required_after,
    registry_forms,
    title_of,
)

Z = date(2024, 2, 29)
FORMS = registry_forms(Z)


def day(n):
    return Z + timedelta(days=n)


@pytest.mark.parametrize(
    ("contact_day", "key"),
    [
        (-2, "100d"),  # a death before the infusion: the first follow-up reports it
        (60, "100d"),
        (115, "100d"),  # the window's last day
        (116, "6m"),
        (210, "6m"),
        (211, "1y"),
        (365, "1y"),
        (729, "1y"),  # the year to the next target
        (730, "2y"),
        (2555, "6y"),  # 7 years: the 6-year contact falls after Day 2190, to the 8-year
        (7300, "20y"),
        (9000, "20y"),  # beyond the last: the last one
    ],
)
def test_the_form_that_reports_a_last_contact(contact_day, key):
    assert closing_form(FORMS, day(contact_day)).key == key


def test_a_form_already_done_passes_the_contact_on():
    assert closing_form(FORMS, day(100), done=["100d"]).key == "6m"
    assert closing_form(FORMS, day(2555), done=["6y"]).key == "8y"
    assert not_required_after(FORMS, day(100), done=["100d", "2y"]) == [
        f.key for f in FORMS[4:] if f.key != "2y"
    ]


def test_pre_ted_and_form_2006_are_always_required():
    assert not_required_after(FORMS, day(-2))[0] == "6m"
    assert "pre_ted" not in not_required_after(FORMS, day(-2))


def test_a_centres_offsets():
    rules = RegistryRules(
        due_days={"pre_ted": 20, "2006": 40, "100d": 120, "6m": 200},
        windows={"100d": (90, 110)},
        yearly_window_first=-30,
        yearly_window_last=30,
        yearly_due_after=60,
        years=10,
    )
    forms = {f.key: f for f in registry_forms(Z, rules)}
    assert forms["pre_ted"].due == day(20)
    assert (forms["100d"].window_start, forms["100d"].window_end) == (day(90), day(110))
    assert forms["6m"].window_start is None  # no window given
    assert (forms["2y"].window_start, forms["2y"].window_end) == (day(700), day(760))
    assert forms["2y"].due == day(790)
    assert list(forms)[-1] == "10y"


@pytest.mark.parametrize(
    "kwargs",
    [{"windows": {"100d": (115, 85)}}, {"yearly_window_first": 10, "yearly_window_last": 5}],
)
def test_an_impossible_window_is_refused(kwargs):
    with pytest.raises(ValueError, match="window"):
        RegistryRules(**kwargs)


def test_windows_read_in_day_numbers():
    forms = {f.key: f for f in FORMS}
    assert forms["100d"].window_words() == "Day +85 to Day +115"
    assert forms["1y"].window_words() == "after Day +365"
    assert forms["pre_ted"].window_words() == ""
    assert title_of("12y") == "12-year follow-up"
