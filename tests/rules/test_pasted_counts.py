"""Reading blood counts pasted from a spreadsheet (`tracker.rules.pasted_counts`, pure Python).

Issue 5, "Counts": many rows pasted at once, tab or comma separated, with a transfusion marker
column; every line is checked and its errors name its line number; no dates before the course's
start or in the future; no negative or absurd values (ANC > 100, platelets > 2000 × 10⁹/L).
`parse_lines` returns the valid lines *and* the errors; `PastedCountsForm.clean_lines` refuses
the whole paste when the errors are not empty, which makes the paste all-or-nothing.

No database: the parser imports nothing from Django. The expected values are worked out by hand.
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tracker.rules.pasted_counts import CountLine, LineError, parse_date, parse_lines, repeats

EARLIEST = date(2026, 3, 1)  # the course's conditioning start
TODAY = date(2026, 3, 20)
MARCH_14 = date(2026, 3, 14)
NOT_A_DATE = "“{}” is not a date (use 2026-03-14 or 14/03/2026)."
COLUMNS = "expected date, ANC, platelets and an optional transfusion mark."
NOTHING = "there is no ANC, no platelet count and no transfusion."
ANC_HINT = " (an ANC of 1500/mm³ is 1.5 × 10⁹/L)"


def parse(text: str) -> tuple[list[CountLine], list[LineError]]:
    return parse_lines(text, earliest=EARLIEST, today=TODAY)


def only_line(text: str) -> CountLine:
    """The one valid line of text, failing loudly if anything was reported."""
    counts, errors = parse(text)
    assert errors == [], f"unexpected errors for {text!r}: {[str(e) for e in errors]}"
    assert len(counts) == 1, f"expected one line from {text!r}, got {counts}"
    return counts[0]


def errors_of(text: str) -> list[LineError]:
    counts, errors = parse(text)
    assert counts == [], f"expected no valid line from {text!r}, got {counts}"
    return errors


# Separators ------------------------------------------------------------------------------------


def test_tab_separated_lines_as_a_spreadsheet_copies_them_are_read_with_a_decimal_comma():
    pasted = "2026-03-14\t0,5\t30\t\r\n2026-03-15\t1,25\t45,5\ty\r\n"

    counts, errors = parse(pasted)

    assert errors == []
    assert counts == [
        CountLine(1, MARCH_14, Decimal("0.5"), Decimal("30"), False),
        CountLine(2, date(2026, 3, 15), Decimal("1.25"), Decimal("45.5"), True),
    ]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        pytest.param(
            "2026-03-14,0.5,30,n",
            CountLine(1, MARCH_14, Decimal("0.5"), Decimal("30"), False),
            id="comma-separated with a decimal point",
        ),
        pytest.param(
            "2026-03-14 , 0.5 , 30 , y ",
            CountLine(1, MARCH_14, Decimal("0.5"), Decimal("30"), True),
            id="comma-separated with spaces around the cells",
        ),
        pytest.param(
            "14/03/2026;0,5;30,5;x",
            CountLine(1, MARCH_14, Decimal("0.5"), Decimal("30.5"), True),
            id="semicolon-separated with a decimal comma",
        ),
        pytest.param(
            "14.03.2026;1.5;200",
            CountLine(1, MARCH_14, Decimal("1.5"), Decimal("200"), False),
            id="semicolon-separated with a decimal point",
        ),
        pytest.param(
            "2026-03-14\t0.5\t30",
            CountLine(1, MARCH_14, Decimal("0.5"), Decimal("30"), False),
            id="tab-separated with a decimal point and no transfusion column",
        ),
    ],
)
def test_a_line_is_read_whatever_the_separator(line, expected):
    assert only_line(line) == expected


# Header and blank lines ------------------------------------------------------------------------


def test_a_header_on_line_1_is_skipped_and_the_data_keeps_its_own_line_numbers():
    counts, errors = parse("Date\tANC\tPlatelets\tTransfused\n2026-03-14\t0,5\t30\t")

    assert errors == []
    assert counts == [CountLine(2, MARCH_14, Decimal("0.5"), Decimal("30"), False)]


def test_a_header_after_line_1_is_a_wrong_line_with_every_cell_reported():
    counts, errors = parse("2026-03-14\t0,5\t30\nDate\tANC\tPlatelets\tTransfused")

    assert counts == [CountLine(1, MARCH_14, Decimal("0.5"), Decimal("30"), False)]
    assert errors == [
        LineError(2, NOT_A_DATE.format("Date")),
        LineError(2, "ANC “ANC” is not a number."),
        LineError(2, "Platelets “Platelets” is not a number."),
        LineError(2, "transfusion mark “Transfused” is not yes or no."),
    ]


def test_a_header_is_only_skipped_on_line_1_even_when_line_1_is_blank():
    errors = errors_of("\nDate,ANC,Platelets")

    assert [e.line for e in errors] == [2, 2, 2]
    assert errors[0] == LineError(2, NOT_A_DATE.format("Date"))


def test_blank_lines_are_skipped_but_errors_name_the_original_line_number():
    pasted = "\n2026-03-14\t0,5\t30\n\n   \t  \n2026-03-15\tabc\t30\n\n"

    counts, errors = parse(pasted)

    assert counts == [CountLine(2, MARCH_14, Decimal("0.5"), Decimal("30"), False)]
    assert errors == [LineError(5, "ANC “abc” is not a number.")]


def test_nothing_pasted_gives_no_lines_and_no_errors():
    assert parse("") == ([], [])
    assert parse("\n  \n\t\n") == ([], [])


# Dates -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("2026-03-14", id="ISO"),
        pytest.param("14/03/2026", id="day first with slashes"),
        pytest.param("14.03.2026", id="day first with dots"),
    ],
)
def test_a_date_is_read_in_the_three_formats(text):
    assert parse_date(text) == MARCH_14
    assert only_line(f"{text}\t0,5\t30").drawn_on == MARCH_14


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("2026-02-30", id="30 February"),
        pytest.param("03/14/2026", id="month first as in the US"),
        pytest.param("yesterday", id="a word"),
        pytest.param("14/03/26", id="two-digit year"),
        pytest.param("", id="empty"),
    ],
)
def test_an_invalid_date_is_reported_with_the_formats_to_use(text):
    # Line 2, after a valid line: on line 1 a cell with letters would be taken for a header.
    counts, errors = parse(f"2026-03-13\t0,4\t25\n{text}\t0,5\t30")

    assert parse_date(text) is None
    assert [c.line for c in counts] == [1]
    assert errors == [LineError(2, NOT_A_DATE.format(text))]


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("yesterday", id="a word"),
        pytest.param("14 Mar 2026", id="a month name"),
    ],
)
def test_a_mistyped_date_on_line_1_is_reported_not_skipped_as_a_header(text):
    # The header test looks only at the first cell (not a date and has a letter), so a first
    # data line with a bad date but numeric ANC and platelets vanishes without an error, and
    # since the other lines are valid the form saves them: line 1 is lost silently.
    counts, errors = parse(f"{text}\t0,5\t30\n2026-03-15\t0,6\t35")

    assert errors == [LineError(1, NOT_A_DATE.format(text))], (
        f"line 1 {text!r} with numeric ANC and platelets must not be skipped as a header; "
        f"the paste would save {[c.line for c in counts]} and drop line 1 without a word"
    )


@pytest.mark.parametrize(
    ("drawn_on", "message"),
    [
        pytest.param(TODAY + timedelta(days=1), "the date is in the future.", id="tomorrow"),
        pytest.param(
            EARLIEST - timedelta(days=1),
            "the date is before the course started (1 Mar 2026).",
            id="the day before the course started",
        ),
    ],
)
def test_a_date_outside_the_course_is_refused(drawn_on, message):
    assert errors_of(f"{drawn_on:%Y-%m-%d}\t0,5\t30") == [LineError(1, message)]


@pytest.mark.parametrize(
    "drawn_on",
    [pytest.param(TODAY, id="today"), pytest.param(EARLIEST, id="the course's first day")],
)
def test_the_edges_of_the_course_are_accepted(drawn_on):
    assert only_line(f"{drawn_on:%d/%m/%Y};0,5;30").drawn_on == drawn_on


# Values ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "anc", "platelets"),
    [
        pytest.param("2026-03-14\t\t30", None, Decimal("30"), id="empty ANC"),
        pytest.param("2026-03-14\t0,5\t", Decimal("0.5"), None, id="empty platelets"),
        pytest.param("2026-03-14,,30", None, Decimal("30"), id="empty ANC with commas"),
        pytest.param("2026-03-14\t0\t0", Decimal("0"), Decimal("0"), id="zero is a value"),
        pytest.param("2026-03-14\t100\t2000", Decimal("100"), Decimal("2000"), id="the maxima"),
        pytest.param("2026-03-14;100,00;2000,0", Decimal("100"), Decimal("2000"), id="maxima ,0"),
    ],
)
def test_values_are_read_and_an_empty_cell_is_none(line, anc, platelets):
    count = only_line(line)

    assert (count.anc, count.platelets) == (anc, platelets)


@pytest.mark.parametrize(
    ("anc", "platelets", "message"),
    [
        pytest.param("-0,1", "30", "ANC cannot be negative.", id="negative ANC"),
        pytest.param("0,5", "-5", "Platelets cannot be negative.", id="negative platelets"),
        pytest.param("abc", "30", "ANC “abc” is not a number.", id="a word for ANC"),
        pytest.param("0,5", "lots", "Platelets “lots” is not a number.", id="a word for PLT"),
        pytest.param("NaN", "30", "ANC “NaN” is not a number.", id="NaN"),
        pytest.param("0,5", "Infinity", "Platelets “Infinity” is not a number.", id="Infinity"),
        pytest.param("-Infinity", "30", "ANC “-Infinity” is not a number.", id="-Infinity"),
        pytest.param(
            "100,01",
            "30",
            f"ANC 100.01 is above 100: check the unit, × 10⁹/L{ANC_HINT}.",
            id="ANC just above 100",
        ),
        pytest.param(
            "1500",
            "30",
            f"ANC 1500 is above 100: check the unit, × 10⁹/L{ANC_HINT}.",
            id="ANC per mm3",
        ),
        pytest.param(
            "0,5",
            "2000,1",
            "Platelets 2000.1 is above 2000: check the unit, × 10⁹/L.",
            id="platelets just above 2000",
        ),
    ],
)
def test_a_wrong_value_is_refused_with_its_reason(anc, platelets, message):
    assert errors_of(f"2026-03-14\t{anc}\t{platelets}") == [LineError(1, message)]


def test_a_value_that_is_not_a_number_is_quoted_as_it_was_typed():
    # "<0,1" is how a lab reports an ANC below detection. The decimal comma is swapped for a
    # point before parsing, and the message quotes the swapped text, not the pasted one.
    errors = errors_of("2026-03-14\t<0,1\t30")

    assert errors == [LineError(1, "ANC “<0,1” is not a number.")], (
        f"the error quotes {errors[0].message!r}, a text the user never typed"
    )


def test_a_line_with_no_value_and_no_transfusion_is_refused():
    assert errors_of("2026-03-14\t\t\t") == [LineError(1, NOTHING)]
    assert errors_of("2026-03-14,,,n") == [LineError(1, NOTHING)]


def test_a_line_with_only_a_transfusion_is_accepted():
    assert only_line("2026-03-14\t\t\ty") == CountLine(1, MARCH_14, None, None, True)


def test_an_empty_line_with_another_error_reports_only_that_error():
    assert errors_of("2026-03-21\t\t") == [LineError(1, "the date is in the future.")]


# Transfusion marks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mark", ["y", "yes", "x", "1", "true", "plt", "t", "Y", "YES", "True", "PLT", " y "]
)
def test_a_transfusion_mark_means_platelets_were_transfused(mark):
    assert only_line(f"2026-03-14\t0,5\t30\t{mark}").platelet_transfusion is True


@pytest.mark.parametrize(
    "mark",
    [
        pytest.param("", id="empty"),
        pytest.param("n", id="n"),
        pytest.param("no", id="no"),
        pytest.param("0", id="0"),
        pytest.param("false", id="false"),
        pytest.param("-", id="dash"),
        pytest.param("N", id="N"),
        pytest.param("No", id="No"),
    ],
)
def test_a_no_mark_means_no_transfusion(mark):
    assert only_line(f"2026-03-14\t0,5\t30\t{mark}").platelet_transfusion is False


def test_no_transfusion_column_means_no_transfusion():
    assert only_line("2026-03-14\t0,5\t30").platelet_transfusion is False


def test_an_unknown_transfusion_mark_is_refused_as_typed():
    assert errors_of("2026-03-14\t0,5\t30\tMaybe") == [
        LineError(1, "transfusion mark “Maybe” is not yes or no.")
    ]


# Columns ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("2026-03-14\t0,5", id="two columns"),
        pytest.param("2026-03-14", id="a date alone"),
        pytest.param("2026-03-14\t0,5\t30\ty\textra", id="five columns"),
        pytest.param("2026-03-14,0,5,30,y", id="decimal comma with commas: five columns"),
    ],
)
def test_a_line_with_too_few_or_too_many_columns_is_refused(line):
    assert errors_of(line) == [LineError(1, COLUMNS)]


def test_a_wrong_number_of_columns_is_the_only_error_reported_for_the_line():
    # The cells cannot be trusted to be in their places, so nothing else is checked.
    errors = errors_of("2026-03-14\t0,5\n2026-03-21\t-1")

    assert errors == [LineError(1, COLUMNS), LineError(2, COLUMNS)]


# Several errors, several lines -----------------------------------------------------------------


def test_every_error_on_one_line_is_reported_in_column_order():
    errors = errors_of("2026-03-21\t-1\tabc\tmaybe")

    assert errors == [
        LineError(1, "the date is in the future."),
        LineError(1, "ANC cannot be negative."),
        LineError(1, "Platelets “abc” is not a number."),
        LineError(1, "transfusion mark “maybe” is not yes or no."),
    ]


def test_when_any_line_is_wrong_the_errors_come_back_with_the_valid_lines_and_nothing_is_saved():
    # parse_lines returns both lists; the all-or-nothing rule lives in the caller:
    # PastedCountsForm.clean_lines raises a ValidationError when `errors` is not empty, so the
    # valid lines 1 and 4 are not saved either until line 2 and line 3 are corrected.
    pasted = "\n".join(
        [
            "2026-03-14\t0,5\t30",
            "2026-03-15\t1500\t30",
            "2026-03-16\t0,6\t35\tmaybe",
            "2026-03-17\t0,7\t\ty",
        ]
    )

    counts, errors = parse(pasted)

    assert errors == [
        LineError(2, f"ANC 1500 is above 100: check the unit, × 10⁹/L{ANC_HINT}."),
        LineError(3, "transfusion mark “maybe” is not yes or no."),
    ]
    assert counts == [
        CountLine(1, MARCH_14, Decimal("0.5"), Decimal("30"), False),
        CountLine(4, date(2026, 3, 17), Decimal("0.7"), None, True),
    ]


def test_a_paste_of_valid_lines_has_no_errors_and_keeps_the_order_and_repeat_draws():
    counts, errors = parse("2026-03-15;0,6;35\n2026-03-14;0,5;30\n2026-03-14;0,4;;y")

    assert errors == []
    assert [(c.line, c.drawn_on, c.anc) for c in counts] == [
        (1, date(2026, 3, 15), Decimal("0.6")),
        (2, MARCH_14, Decimal("0.5")),
        (3, MARCH_14, Decimal("0.4")),
    ]


# CountLine and LineError -----------------------------------------------------------------------


def test_a_count_line_gives_the_values_a_blood_count_is_made_of():
    count = CountLine(7, MARCH_14, Decimal("0.5"), None, True)

    assert count.values() == {
        "drawn_on": MARCH_14,
        "anc": Decimal("0.5"),
        "platelets": None,
        "platelet_transfusion": True,
    }


@pytest.mark.parametrize(
    ("error", "text"),
    [
        pytest.param(
            LineError(3, "the date is in the future."),
            "Line 3: The date is in the future.",
            id="lower-case message",
        ),
        pytest.param(
            LineError(12, "ANC cannot be negative."),
            "Line 12: ANC cannot be negative.",
            id="message already capitalised",
        ),
        pytest.param(
            LineError(2, NOT_A_DATE.format("x")),
            "Line 2: “x” is not a date (use 2026-03-14 or 14/03/2026).",
            id="message starting with a quote",
        ),
    ],
)
def test_a_line_error_reads_as_a_sentence_with_its_line_number(error, text):
    assert str(error) == text


def test_a_parsed_error_reads_as_the_form_shows_it():
    _, errors = parse("2026-03-14\t0,5\t30\n\n2026-03-21\t0,5\t30")

    assert [str(e) for e in errors] == ["Line 3: The date is in the future."]


# --- Precision and repeats (CLINICAL.md §3: never round a value the user typed) -----------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("2026-03-14\t0.495\t30", "ANC 0.495 has more decimals than are kept (2)"),
        ("2026-03-14\t0,495\t30", "ANC 0,495 has more decimals than are kept (2)"),
        ("2026-03-14\t0.5\t30.25", "Platelets 30.25 has more decimals than are kept (1)"),
    ],
)
def test_a_value_with_more_decimals_than_kept_is_refused_not_rounded(line, message):
    counts, errors = parse_lines(line, earliest=date(2026, 3, 1), today=date(2026, 3, 20))
    assert counts == []
    assert message in str(errors[0])


def test_trailing_zeros_are_not_extra_decimals():
    counts, errors = parse_lines(
        "2026-03-14\t0.500\t30.00", earliest=date(2026, 3, 1), today=date(2026, 3, 20)
    )
    assert errors == []
    assert counts[0].anc == Decimal("0.500")


def test_repeated_lines_and_lines_like_a_saved_count_are_named():
    counts, _ = parse_lines(
        "2026-03-14\t0.5\t30\n2026-03-15\t0.6\t31\n2026-03-14\t0.50\t30.0",
        earliest=date(2026, 3, 1),
        today=date(2026, 3, 20),
    )
    saved = [(date(2026, 3, 15), Decimal("0.60"), Decimal("31.0"), False)]
    assert repeats(counts, saved) == [
        "Line 2 is the same as the count already saved for 15 Mar 2026.",
        "Line 3 repeats line 1.",
    ]


def test_a_second_draw_with_other_values_is_no_repeat():
    counts, _ = parse_lines(
        "2026-03-14\t0.5\t30\n2026-03-14\t0.4\t30",
        earliest=date(2026, 3, 1),
        today=date(2026, 3, 20),
    )
    assert repeats(counts, []) == []


def test_a_thousands_separator_in_a_count_is_refused_not_read_as_a_decimal_point():
    counts, errors = parse_lines(
        "2026-03-14\t0,5\t1,500", earliest=date(2026, 3, 1), today=date(2026, 3, 20)
    )
    assert counts == []
    assert "Platelets “1,500” is ambiguous: write 1500" in str(errors[0])
