"""Clinical cases for tracker.rules.registry, written from CLINICAL.md alone.

Sources: CLINICAL.md section 2 (day numbering) and section 4 (follow-up timepoints, and the
paragraph "Registry forms (CIBMTR)"). Pure Python: no database, no Django.

The rules under test, as the text states them:

- Day n is `day_zero + timedelta(days=n)`; Day 0 is the infusion day, Day -1 the day before.
- The registry windows are counted in DAY NUMBERS, never calendar months:
  100 days = Day 100 +/- 15 (Day 85-115), 6 months = Day 180 +/- 30 (Day 150-210),
  the 1-year contact must fall AFTER Day 365 (so the first day in is Day 366).
- Pre-TED (forms 2400/2402) due Day 0 + 30; form 2006 (infusion) due Day 0 + 45;
  100-day form due Day 0 + 130; 6-month form due Day 0 + 225.
- Follow-up forms at 100 days, 6 months, 1 year, then yearly to 6 years, then every two
  years (8, 10, 12 ... years); this module lists them to 20 years.
- A subsequent transplant restarts the sequence; the earlier course's open form takes as its
  contact date the day before the new preparative regimen starts (the day before the new
  infusion if there is no preparative regimen).

Every literal date below was worked out from a calendar and re-checked with
`date + timedelta` in a scratch shell, never by calling the code under test.
Where CLINICAL.md is silent, a `# judgement:` comment says what was assumed.
"""

from datetime import date, datetime, timedelta

import pytest

from tracker.rules import registry as registry_module
from tracker.rules.registry import (
    RegistryForm,
    in_window,
    outside_window,
    prior_course_contact_date,
    registry_forms,
)

EXPECTED_KEYS = [
    "pre_ted",
    "2006",
    "100d",
    "6m",
    "1y",
    "2y",
    "3y",
    "4y",
    "5y",
    "6y",
    "8y",
    "10y",
    "12y",
    "14y",
    "16y",
    "18y",
    "20y",
]
YEARLY = {f"{n}y": n for n in (1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16, 18, 20)}
LATER_KEYS = [k for k in EXPECTED_KEYS if k.endswith("y") and k != "1y"]


def d(text):
    return date.fromisoformat(text)


def day(n, day_zero):
    """The date of Day n (CLINICAL.md section 2: day_zero + timedelta(days=n))."""
    return day_zero + timedelta(days=n)


def forms_by_key(day_zero):
    forms = registry_forms(day_zero)
    by_key = {f.key: f for f in forms}
    assert len(by_key) == len(forms), f"duplicate keys in {[f.key for f in forms]}"
    return by_key


def form(day_zero, key):
    by_key = forms_by_key(day_zero)
    assert key in by_key, f"no {key!r} form for Day Zero {day_zero}: {sorted(by_key)}"
    return by_key[key]


def names_day(message, n):
    """True if `message` names Day n as a whole number.

    Accepts "Day 84" and "Day +84" (CLINICAL.md section 2 writes the sign on non-zero days),
    and for negative days either an ASCII hyphen or the typographic minus (U+2212).
    """
    if n == 0:
        candidates = ["Day 0", "Day +0"]
    elif n > 0:
        candidates = [f"Day {n}", f"Day +{n}"]
    else:
        candidates = [f"Day -{-n}", f"Day \u2212{-n}", f"Day \u2013{-n}"]
    for candidate in candidates:
        start = 0
        while (i := message.find(candidate, start)) != -1:
            end = i + len(candidate)
            if end == len(message) or not message[end].isdigit():
                return True
            start = i + 1
    return False


# ---------------------------------------------------------------------------------------------
# The sequence of forms
# ---------------------------------------------------------------------------------------------


def test_key_sequence_to_20_years():
    # Section 4: Pre-TED, 2006, 100 days, 6 months, 1 year, yearly to 6 years, then every two
    # years (8, 10, 12 ...); the interface lists them to 20 years after Day Zero.
    keys = [f.key for f in registry_forms(d("2024-03-01"))]
    assert keys == EXPECTED_KEYS, f"form keys in order: got {keys}"


@pytest.mark.parametrize("day_zero", [d("2024-02-29"), d("2024-12-31"), d("2023-03-01")])
def test_sequence_is_ordered_by_target(day_zero):
    forms = registry_forms(day_zero)
    targets = [(f.key, f.target) for f in forms]
    # pre_ted and 2006 share Day 0; after that each target is strictly later than the last.
    for (k1, t1), (k2, t2) in zip(targets, targets[1:], strict=False):
        assert t1 <= t2, f"{k1} ({t1}) comes before {k2} ({t2}) but targets later"
    follow_up = [t for k, t in targets if k not in ("pre_ted", "2006")]
    assert follow_up == sorted(set(follow_up)), f"follow-up targets not strictly rising: {targets}"
    assert all(isinstance(f, RegistryForm) for f in forms)


def test_titles_name_the_forms():
    by_key = forms_by_key(d("2024-03-01"))
    assert all(f.title.strip() for f in by_key.values()), "every form needs a title"
    assert "2400" in by_key["pre_ted"].title, f"Pre-TED: {by_key['pre_ted'].title!r}"
    assert "2402" in by_key["pre_ted"].title, f"Pre-TED: {by_key['pre_ted'].title!r}"
    assert "2006" in by_key["2006"].title, f"form 2006 title: {by_key['2006'].title!r}"
    assert "100" in by_key["100d"].title, f"100-day title: {by_key['100d'].title!r}"
    assert "8" in by_key["8y"].title, f"8-year title: {by_key['8y'].title!r}"


def test_forms_are_frozen():
    f = form(d("2024-03-01"), "100d")
    with pytest.raises(AttributeError):
        f.target = d("2030-01-01")  # frozen dataclass: FrozenInstanceError is an AttributeError


# ---------------------------------------------------------------------------------------------
# Target / window / due dates of the first five forms, literal dates
# ---------------------------------------------------------------------------------------------

# Columns: Day 30, 45, 85, 100, 115, 130, 150, 180, 210, 225, 365, 366 after the Day Zero.
LITERAL = {
    # month ends
    "2024-01-31": "2024-03-01 2024-03-16 2024-04-25 2024-05-10 2024-05-25 2024-06-09 "
    "2024-06-29 2024-07-29 2024-08-28 2024-09-12 2025-01-30 2025-01-31",
    "2024-04-30": "2024-05-30 2024-06-14 2024-07-24 2024-08-08 2024-08-23 2024-09-07 "
    "2024-09-27 2024-10-27 2024-11-26 2024-12-11 2025-04-30 2025-05-01",
    "2024-12-31": "2025-01-30 2025-02-14 2025-03-26 2025-04-10 2025-04-25 2025-05-10 "
    "2025-05-30 2025-06-29 2025-07-29 2025-08-13 2025-12-31 2026-01-01",
    "2023-12-31": "2024-01-30 2024-02-14 2024-03-25 2024-04-09 2024-04-24 2024-05-09 "
    "2024-05-29 2024-06-28 2024-07-28 2024-08-12 2024-12-30 2024-12-31",
    # leap day and its neighbours
    "2024-02-29": "2024-03-30 2024-04-14 2024-05-24 2024-06-08 2024-06-23 2024-07-08 "
    "2024-07-28 2024-08-27 2024-09-26 2024-10-11 2025-02-28 2025-03-01",
    "2023-02-28": "2023-03-30 2023-04-14 2023-05-24 2023-06-08 2023-06-23 2023-07-08 "
    "2023-07-28 2023-08-27 2023-09-26 2023-10-11 2024-02-28 2024-02-29",
    "2024-03-01": "2024-03-31 2024-04-15 2024-05-25 2024-06-09 2024-06-24 2024-07-09 "
    "2024-07-29 2024-08-28 2024-09-27 2024-10-12 2025-03-01 2025-03-02",
    # Day 100 falls on 29 Feb 2024
    "2023-11-21": "2023-12-21 2024-01-05 2024-02-14 2024-02-29 2024-03-15 2024-03-30 "
    "2024-04-19 2024-05-19 2024-06-18 2024-07-03 2024-11-20 2024-11-21",
    # the 100-day window (Day 85 24 Feb .. Day 115 25 Mar) spans 29 Feb 2024
    "2023-12-01": "2023-12-31 2024-01-15 2024-02-24 2024-03-10 2024-03-25 2024-04-09 "
    "2024-04-29 2024-05-29 2024-06-28 2024-07-13 2024-11-30 2024-12-01",
    # the 6-month window opens 28 Feb 2024 (Day 150) and spans 29 Feb; Day 180 = 29 Mar
    "2023-10-01": "2023-10-31 2023-11-15 2023-12-25 2024-01-09 2024-01-24 2024-02-08 "
    "2024-02-28 2024-03-29 2024-04-28 2024-05-13 2024-09-30 2024-10-01",
    # Day 180 falls on 29 Feb 2024
    "2023-09-02": "2023-10-02 2023-10-17 2023-11-26 2023-12-11 2023-12-26 2024-01-10 "
    "2024-01-30 2024-02-29 2024-03-30 2024-04-14 2024-09-01 2024-09-02",
    # Day 365 falls on 29 Feb 2024 (so the 1-year window opens 1 Mar 2024)
    "2023-03-01": "2023-03-31 2023-04-15 2023-05-25 2023-06-09 2023-06-24 2023-07-09 "
    "2023-07-29 2023-08-28 2023-09-27 2023-10-12 2024-02-29 2024-03-01",
    # leap year: Day 365 is 31 Dec 2024, not the anniversary
    "2024-01-01": "2024-01-31 2024-02-15 2024-03-26 2024-04-10 2024-04-25 2024-05-10 "
    "2024-05-30 2024-06-29 2024-07-29 2024-08-13 2024-12-31 2025-01-01",
}


@pytest.mark.parametrize("day_zero_text", list(LITERAL))
def test_first_five_forms_literal_dates(day_zero_text):
    day_zero = d(day_zero_text)
    (d30, d45, d85, d100, d115, d130, d150, d180, d210, d225, d365, d366) = (
        d(t) for t in LITERAL[day_zero_text].split()
    )
    f = forms_by_key(day_zero)
    expected = {
        # key: (target, window_start, window_end, due)
        "pre_ted": (day_zero, None, None, d30),  # Pre-TED due Day 0 + 30, no window
        "2006": (day_zero, None, None, d45),  # form 2006 due Day 0 + 45, no window
        "100d": (d100, d85, d115, d130),  # target Day 100, window Day 85-115, due Day 0 + 130
        "6m": (d180, d150, d210, d225),  # target Day 180, window Day 150-210, due Day 0 + 225
    }
    for key, (target, start, end, due) in expected.items():
        got = (f[key].target, f[key].window_start, f[key].window_end, f[key].due)
        assert got == (target, start, end, due), (
            f"Day Zero {day_zero}, {key}: (target, window_start, window_end, due) "
            f"expected {(target, start, end, due)}, got {got}"
        )
    # 1 year: target Day 365; the contact must be AFTER Day 365 -> opens Day 366, no end.
    one = f["1y"]
    assert one.target == d365, f"Day Zero {day_zero}: 1-year target is Day 365 = {d365}"
    assert one.window_start == d366, f"Day Zero {day_zero}: 1-year window opens Day 366 = {d366}"
    assert one.window_end is None, f"Day Zero {day_zero}: 1-year window has no end"
    assert one.due > one.target, f"Day Zero {day_zero}: 1-year due {one.due} not after target"


@pytest.mark.parametrize("day_zero_text", ["2023-12-31", "2023-02-28"])
def test_first_forms_match_day_offsets(day_zero_text):
    # Cross-check of the same rule with timedelta (section 2: Day n = day_zero + n days).
    z = d(day_zero_text)
    f = forms_by_key(z)
    assert (f["pre_ted"].target, f["pre_ted"].due) == (z, day(30, z))
    assert (f["2006"].target, f["2006"].due) == (z, day(45, z))
    assert (f["100d"].window_start, f["100d"].target, f["100d"].window_end, f["100d"].due) == (
        day(85, z),
        day(100, z),
        day(115, z),
        day(130, z),
    ), f"100-day dates for Day Zero {z}"
    assert (f["6m"].window_start, f["6m"].target, f["6m"].window_end, f["6m"].due) == (
        day(150, z),
        day(180, z),
        day(210, z),
        day(225, z),
    ), f"6-month dates for Day Zero {z}"
    assert (f["1y"].target, f["1y"].window_start) == (day(365, z), day(366, z))


def test_windows_are_day_numbers_not_calendar_months():
    # Section 4: "Their windows are counted in day numbers, not calendar months."
    f = forms_by_key(d("2024-01-31"))
    # 6 calendar months after 31 Jan 2024 would be 31 Jul 2024; Day 180 is 29 Jul 2024.
    assert f["6m"].target == d("2024-07-29"), f"6-month target is Day 180: {f['6m'].target}"
    # 1 calendar year after 1 Jan 2024 would be 1 Jan 2025; Day 365 is 31 Dec 2024 (leap year).
    g = forms_by_key(d("2024-01-01"))
    assert g["1y"].target == d("2024-12-31"), f"1-year target is Day 365: {g['1y'].target}"
    assert g["1y"].window_start == d("2025-01-01"), "first day after Day 365 is 1 Jan 2025"


# ---------------------------------------------------------------------------------------------
# Yearly and two-yearly forms
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("day_zero_text", ["2023-03-01", "2024-12-31"])
def test_yearly_targets_are_day_365_times_n(day_zero_text):
    # judgement (interface brief, not CLINICAL.md): N-year target = Day 365*N.
    z = d(day_zero_text)
    f = forms_by_key(z)
    for key, n in YEARLY.items():
        assert f[key].target == day(365 * n, z), (
            f"Day Zero {z}, {key}: target Day {365 * n} = {day(365 * n, z)}, got {f[key].target}"
        )


YEARLY_LITERAL = {
    "2024-02-29": {
        "2y": "2026-02-28",
        "3y": "2027-02-28",
        "4y": "2028-02-28",
        "5y": "2029-02-27",
        "6y": "2030-02-27",
        "8y": "2032-02-27",
        "10y": "2034-02-26",
        "20y": "2044-02-24",
    },
    "2024-01-31": {
        "2y": "2026-01-30",
        "6y": "2030-01-29",
        "8y": "2032-01-29",
        "12y": "2036-01-28",
        "18y": "2042-01-26",
        "20y": "2044-01-26",
    },
}


@pytest.mark.parametrize("day_zero_text", list(YEARLY_LITERAL))
def test_yearly_targets_literal(day_zero_text):
    f = forms_by_key(d(day_zero_text))
    for key, expected in YEARLY_LITERAL[day_zero_text].items():
        assert f[key].target == d(expected), (
            f"Day Zero {day_zero_text}, {key}: expected {expected}, got {f[key].target}"
        )


@pytest.mark.parametrize("day_zero_text", ["2024-02-29", "2024-12-31"])
def test_later_forms_are_due_after_target(day_zero_text):
    # Section 4: windows after 6 months and later due offsets are centre settings; only the
    # shape is fixed: due after the target, and not before the window opens.
    f = forms_by_key(d(day_zero_text))
    for key in ["1y", *LATER_KEYS]:
        form_ = f[key]
        assert form_.due > form_.target, f"{key}: due {form_.due} not after target {form_.target}"
        if form_.window_start is not None:
            assert form_.due >= form_.window_start, (
                f"{key}: due {form_.due} before window opens {form_.window_start}"
            )
        if form_.window_start is not None and form_.window_end is not None:
            assert form_.window_start <= form_.window_end, f"{key}: window ends before it opens"


# ---------------------------------------------------------------------------------------------
# Window edges
# ---------------------------------------------------------------------------------------------

EDGES_100D = [(84, False), (85, True), (115, True), (116, False)]
EDGES_6M = [(149, False), (150, True), (210, True), (211, False)]


@pytest.mark.parametrize("day_zero_text", ["2024-01-31", "2023-11-21"])
@pytest.mark.parametrize(("n", "inside"), EDGES_100D)
def test_100_day_window_edges(day_zero_text, n, inside):
    # Section 4: Day 100 +/- 15, Day 85-115 inclusive.
    z = d(day_zero_text)
    f = form(z, "100d")
    contact = day(n, z)
    assert in_window(f, contact) is inside, f"100-day form, Day {n} ({contact}): inside={inside}"
    message = outside_window(f, contact)
    if inside:
        assert message == "", f"Day {n} is inside the 100-day window, got {message!r}"
    else:
        assert message, f"Day {n} is outside the 100-day window: expected a sentence"


@pytest.mark.parametrize("day_zero_text", ["2023-10-01", "2023-09-02"])
@pytest.mark.parametrize(("n", "inside"), EDGES_6M)
def test_6_month_window_edges(day_zero_text, n, inside):
    # Section 4: 6 months = Day 180 +/- 30, Day 150-210 inclusive.
    z = d(day_zero_text)
    f = form(z, "6m")
    contact = day(n, z)
    assert in_window(f, contact) is inside, f"6-month form, Day {n} ({contact}): inside={inside}"
    message = outside_window(f, contact)
    if inside:
        assert message == "", f"Day {n} is inside the 6-month window, got {message!r}"
    else:
        assert message, f"Day {n} is outside the 6-month window: expected a sentence"


def test_100_day_edges_on_literal_dates():
    # Day Zero 1 Dec 2023: Day 84 = 23 Feb, Day 85 = 24 Feb, Day 115 = 25 Mar, Day 116 = 26 Mar
    # 2024 (the window spans 29 Feb).
    f = form(d("2023-12-01"), "100d")
    assert not in_window(f, d("2024-02-23"))
    assert in_window(f, d("2024-02-24"))
    assert in_window(f, d("2024-02-29"))
    assert in_window(f, d("2024-03-25"))
    assert not in_window(f, d("2024-03-26"))


@pytest.mark.parametrize(
    ("key", "n", "edge"),
    [
        ("100d", 84, 85),  # too early: the window opens on Day 85
        ("100d", 116, 115),  # too late: the window closed on Day 115
        ("6m", 149, 150),
        ("6m", 211, 210),
    ],
)
def test_outside_window_names_contact_day_and_edge(key, n, edge):
    z = d("2024-02-29")
    message = outside_window(form(z, key), day(n, z))
    assert isinstance(message, str), f"{key} Day {n}: expected a str, got {message!r}"
    assert message, f"{key} Day {n}: expected a sentence"
    assert names_day(message, n), f"{key}: message should name the contact's Day {n}: {message!r}"
    assert names_day(message, edge), f"{key}: message should name the edge Day {edge}: {message!r}"


# ---------------------------------------------------------------------------------------------
# The 1-year contact: after Day 365, no end
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "inside"),
    [
        (365, False),  # "must fall after Day 365": Day 365 itself is too early
        (366, True),
        (500, True),
        (7300, True),  # 20 years on: no window end
    ],
)
def test_1_year_contact_after_day_365(n, inside):
    z = d("2023-03-01")  # Day 365 = 29 Feb 2024, Day 366 = 1 Mar 2024
    f = form(z, "1y")
    contact = day(n, z)
    assert in_window(f, contact) is inside, f"1-year form, Day {n} ({contact}): inside={inside}"
    assert (outside_window(f, contact) == "") is inside, f"1-year form, Day {n}"


def test_1_year_contact_on_day_365_literal():
    f = form(d("2023-03-01"), "1y")
    assert not in_window(f, d("2024-02-29")), "29 Feb 2024 is Day 365: not after Day 365"
    assert in_window(f, d("2024-03-01")), "1 Mar 2024 is Day 366: after Day 365"
    message = outside_window(f, d("2024-02-29"))
    assert message, "Day 365 is outside the 1-year window: expected a sentence"
    # judgement: the edge may be phrased "opens on Day 366" or "after Day 365"; both name 365.
    assert names_day(message, 365), f"message should name the contact's Day 365: {message!r}"


# ---------------------------------------------------------------------------------------------
# Forms with no window; contacts before Day 0
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["pre_ted", "2006"])
@pytest.mark.parametrize("n", [-10, 0, 4000])
def test_form_without_window_is_always_in_window(key, n):
    z = d("2024-12-31")
    f = form(z, key)
    assert f.window_start is None, f"{key} has no contact window"
    assert f.window_end is None, f"{key} has no contact window"
    assert in_window(f, day(n, z)) is True, f"{key}: no window, so Day {n} is in"
    assert outside_window(f, day(n, z)) == "", f"{key}: no window, so no message for Day {n}"


@pytest.mark.parametrize(
    ("key", "n", "edge"),
    [
        ("100d", -3, 85),
        ("100d", 0, 85),
        ("6m", -1, 150),
    ],
)
def test_contact_on_or_before_day_zero_is_outside(key, n, edge):
    # Section 2: the day before Day 0 is Day -1; there is no "Day -0" and no gap.
    z = d("2024-03-01")  # Day -1 = 29 Feb 2024, Day -3 = 27 Feb 2024
    contact = day(n, z)
    f = form(z, key)
    assert not in_window(f, contact), f"{key}: Day {n} ({contact}) is before the window"
    message = outside_window(f, contact)
    assert names_day(message, n), f"{key}: message should name Day {n}: {message!r}"
    assert names_day(message, edge), f"{key}: message should name Day {edge}: {message!r}"


def test_1_year_contact_before_day_zero_is_outside():
    z = d("2024-03-01")
    f = form(z, "1y")
    message = outside_window(f, d("2024-02-29"))  # Day -1
    assert not in_window(f, d("2024-02-29"))
    assert names_day(message, -1), f"message should name Day -1: {message!r}"


# ---------------------------------------------------------------------------------------------
# Day Zero moves (section 2): every date that hangs off it moves; done work is flagged
# ---------------------------------------------------------------------------------------------


def test_moving_day_zero_moves_every_date():
    old = forms_by_key(d("2024-02-26"))
    new = forms_by_key(d("2024-03-04"))  # Day Zero a week later
    week = timedelta(days=7)
    for key in EXPECTED_KEYS:
        assert new[key].target == old[key].target + week, f"{key}: target did not move a week"
        assert new[key].due == old[key].due + week, f"{key}: due did not move a week"
        for attr in ("window_start", "window_end"):
            a, b = getattr(old[key], attr), getattr(new[key], attr)
            assert (a is None) == (b is None), f"{key}.{attr}: presence changed"
            if a is not None:
                assert b == a + week, f"{key}.{attr}: did not move a week"


def test_contact_done_before_day_zero_moved_is_flagged():
    # Contact on old Day 85 (21 May 2024 for Day Zero 26 Feb 2024). Day Zero moves to
    # 4 Mar 2024: the same date is now Day 78, outside the 100-day window (opens Day 85).
    contact = d("2024-05-21")
    assert in_window(form(d("2024-02-26"), "100d"), contact)
    moved = form(d("2024-03-04"), "100d")
    assert not in_window(moved, contact)
    message = outside_window(moved, contact)
    assert names_day(message, 78), f"message should name the contact's Day 78: {message!r}"
    assert names_day(message, 85), f"message should name the edge Day 85: {message!r}"


# ---------------------------------------------------------------------------------------------
# Subsequent transplant: contact date of the earlier course's open form
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("conditioning", "next_day_zero", "expected"),
    [
        # the day before the new preparative regimen starts
        ("2024-03-01", "2024-03-08", "2024-02-29"),  # leap year: 1 Mar -> 29 Feb
        ("2023-03-01", "2023-03-08", "2023-02-28"),  # common year: 1 Mar -> 28 Feb
        ("2024-05-01", "2024-05-07", "2024-04-30"),  # month end
        ("2024-06-20", "2024-06-27", "2024-06-19"),  # conditioning, not the infusion, counts
        # no conditioning: the day before the new infusion
        (None, "2024-03-01", "2024-02-29"),
        (None, "2025-01-01", "2024-12-31"),  # year end
        (None, "2024-05-01", "2024-04-30"),
    ],
)
def test_prior_course_contact_date(conditioning, next_day_zero, expected):
    got = prior_course_contact_date(
        next_conditioning_start=d(conditioning) if conditioning else None,
        next_day_zero=d(next_day_zero),
    )
    assert got == d(expected), (
        f"conditioning {conditioning}, new Day 0 {next_day_zero}: expected {expected}, got {got}"
    )


def test_prior_course_contact_date_is_keyword_only():
    with pytest.raises(TypeError):
        prior_course_contact_date(d("2024-03-01"), d("2024-03-08"))  # type: ignore[misc]


def test_prior_course_contact_lands_in_earlier_100_day_window():
    # First course Day 0 = 1 Jan 2024; second transplant's conditioning starts 5 Apr 2024.
    # The earlier 100-day form's contact is 4 Apr 2024 = Day 94 (31 Jan + 29 Feb + 31 Mar = 91
    # -> 1 Apr is Day 91), inside Day 85-115.
    contact = prior_course_contact_date(
        next_conditioning_start=d("2024-04-05"), next_day_zero=d("2024-04-12")
    )
    assert contact == d("2024-04-04")
    assert in_window(form(d("2024-01-01"), "100d"), contact)


# ---------------------------------------------------------------------------------------------
# No clock: nothing depends on today's date
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("day_zero_text", ["1995-06-15", "2090-06-15"])
def test_far_past_and_far_future_day_zero(day_zero_text):
    z = d(day_zero_text)
    f = forms_by_key(z)
    assert [k for k in f] == EXPECTED_KEYS
    assert f["100d"].window_start == day(85, z)
    assert f["6m"].window_end == day(210, z)
    assert f["20y"].target == day(7300, z)
    assert in_window(f["100d"], day(85, z)), "a far-away Day 85 is still in the 100-day window"
    assert not in_window(f["100d"], day(116, z))
    assert in_window(f["1y"], day(366, z))
    assert prior_course_contact_date(
        next_conditioning_start=None, next_day_zero=day(400, z)
    ) == day(399, z)


class _NoClockDate(date):
    @classmethod
    def today(cls):
        raise AssertionError("registry rules must not read today's date")


class _NoClockDateTime(datetime):
    @classmethod
    def today(cls):
        raise AssertionError("registry rules must not read the clock")

    @classmethod
    def now(cls, tz=None):
        raise AssertionError("registry rules must not read the clock")

    @classmethod
    def utcnow(cls):
        raise AssertionError("registry rules must not read the clock")


def test_does_not_read_the_clock(monkeypatch):
    if getattr(registry_module, "date", None) is date:
        monkeypatch.setattr(registry_module, "date", _NoClockDate)
    if getattr(registry_module, "datetime", None) is datetime:
        monkeypatch.setattr(registry_module, "datetime", _NoClockDateTime)
    z = _NoClockDate(2024, 2, 29)  # date arithmetic keeps the subclass, so .today() would raise
    f = forms_by_key(z)
    assert f["100d"].target == d("2024-06-08")
    assert f["6m"].target == d("2024-08-27")
    assert in_window(f["100d"], _NoClockDate(2024, 6, 8))
    assert outside_window(f["100d"], _NoClockDate(2024, 6, 24)) != ""  # Day 116
    assert in_window(f["1y"], _NoClockDate(2025, 3, 1))  # Day 366
    assert prior_course_contact_date(
        next_conditioning_start=_NoClockDate(2024, 3, 1), next_day_zero=_NoClockDate(2024, 3, 8)
    ) == d("2024-02-29")
