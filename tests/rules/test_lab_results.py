"""Lab results beyond counts (tracker.rules.lab_results): units, precision, chimerism words."""

from datetime import date
from decimal import Decimal

import pytest

from tracker.rules.lab_results import (
    Analyte,
    Chimerism,
    Reading,
    chimerism_of,
    chimerism_words,
    full_donor_in_both,
    parse_result_lines,
    read_value,
)

TODAY = date(2026, 11, 21)
EARLIEST = date(2026, 10, 1)


class TestReadingAValue:
    @pytest.mark.parametrize(
        ("analyte", "text", "unit", "expected"),
        [
            (Analyte.IGG, "8.2", "", Decimal("8.20")),
            (Analyte.IGG, "820", "mg/dL", Decimal("8.20")),  # 1 g/L = 100 mg/dL
            (Analyte.IGG, "400", "mg/dL", Decimal("4.00")),
            (Analyte.IGG, "4,5", "", Decimal("4.50")),  # a decimal comma
            (Analyte.CD4, "200", "", Decimal("200")),
            (Analyte.CHIMERISM_MYELOID, "98.5", "", Decimal("98.5")),
            (Analyte.CHIMERISM_LYMPHOID, "100", "", Decimal("100.0")),
            (Analyte.CMV_PCR, "1250", "", Decimal("1250")),
        ],
    )
    def test_a_value_in_the_tests_unit_or_converted(self, analyte, text, unit, expected):
        assert read_value(analyte, text, unit=unit) == Reading(expected)

    @pytest.mark.parametrize("text", ["not detected", "Not Detected", "ND", "negative"])
    def test_a_cmv_pcr_may_be_not_detected(self, text):
        assert read_value(Analyte.CMV_PCR, text) == Reading(None, undetected=True)

    def test_only_a_cmv_pcr_may_be_not_detected(self):
        with pytest.raises(ValueError, match="not a number"):
            read_value(Analyte.CD4, "not detected")

    @pytest.mark.parametrize(
        ("analyte", "text", "unit", "message"),
        [
            (Analyte.CHIMERISM_MYELOID, "98.55", "", "more decimals than are kept"),
            (Analyte.CD4, "200.5", "", "whole numbers"),
            (Analyte.IGG, "823.5", "mg/dL", "more decimals than are kept"),
            (Analyte.CHIMERISM_MYELOID, "100.1", "", "highest possible value"),
            (Analyte.CD4, "-1", "", "cannot be negative"),
            (Analyte.IGG, "abc", "", "not a number"),
            (Analyte.IGG, "NaN", "", "not a number"),
            (Analyte.IGG, "820", "", "highest possible value"),  # mg/dL typed as g/L
            (Analyte.CD4, "200", "mg/dL", "entered in cells/µL"),
        ],
    )
    def test_a_wrong_value_is_refused_with_a_reason(self, analyte, text, unit, message):
        with pytest.raises(ValueError, match=message):
            read_value(analyte, text, unit=unit)


class TestChimerism:
    @pytest.mark.parametrize(
        ("percent", "state"),
        [
            ("100", Chimerism.FULL_DONOR),
            ("95.1", Chimerism.FULL_DONOR),
            ("95", Chimerism.MIXED),  # full donor is more than 95 %
            ("50", Chimerism.MIXED),
            ("5", Chimerism.MIXED),
            ("4.9", Chimerism.RECIPIENT),
            ("0", Chimerism.RECIPIENT),
        ],
    )
    def test_full_donor_above_95_mixed_from_5_to_95(self, percent, state):
        assert chimerism_of(Decimal(percent)) == state

    def test_in_words_with_a_fall_of_5_points_or_more_called_falling(self):
        results = [(date(2026, 4, 1), Decimal("99")), (date(2026, 6, 9), Decimal("88"))]
        assert chimerism_words(results) == "mixed, falling from 99 %"

    def test_a_smaller_fall_is_not_called_falling(self):
        results = [(date(2026, 4, 1), Decimal("99")), (date(2026, 6, 9), Decimal("96"))]
        assert chimerism_words(results) == "full donor"

    def test_the_order_given_does_not_matter(self):
        results = [(date(2026, 6, 9), Decimal("88")), (date(2026, 4, 1), Decimal("99"))]
        assert chimerism_words(results) == "mixed, falling from 99 %"

    def test_full_donor_needs_both_lines(self):
        assert full_donor_in_both([Decimal("99")], [Decimal("96")]) is True
        assert full_donor_in_both([Decimal("99")], [Decimal("90")]) is False
        assert full_donor_in_both([Decimal("99")], []) is None


class TestPastedResults:
    def test_lines_of_each_test_with_units(self):
        text = (
            "2026-11-01\tmyeloid\t98.5\n"
            "01/11/2026;Lymphoid;91,5\n"
            "2026-11-02,CMV,not detected\n"
            "2026-11-02\tCD4\t180\n"
            "2026-11-03\tIgG\t820\tmg/dL\n"
        )
        results, errors = parse_result_lines(text, earliest=EARLIEST, today=TODAY)
        assert errors == []
        assert [(r.analyte, r.reading.value) for r in results] == [
            (Analyte.CHIMERISM_MYELOID, Decimal("98.5")),
            (Analyte.CHIMERISM_LYMPHOID, Decimal("91.5")),
            (Analyte.CMV_PCR, None),
            (Analyte.CD4, Decimal("180")),
            (Analyte.IGG, Decimal("8.20")),
        ]

    def test_every_wrong_line_is_reported_and_nothing_counts(self):
        text = "2026-11-01\tmyeloid\t98.55\n2026-11-40\tcd4\t100\n2026-11-01\tferritin\t300"
        results, errors = parse_result_lines(text, earliest=EARLIEST, today=TODAY)
        messages = [str(error) for error in errors]
        assert results == []
        assert messages[0].startswith("Line 1: ")
        assert any(m.startswith("Line 2: “2026-11-40” is not a date") for m in messages)
        assert any("“ferritin” is not a test" in m for m in messages)

    def test_a_date_in_the_future_or_before_the_course_is_refused(self):
        text = "2026-11-22\tcd4\t100\n2026-09-30\tcd4\t100"
        _, errors = parse_result_lines(text, earliest=EARLIEST, today=TODAY)
        assert [error.line for error in errors] == [1, 2]

    def test_a_header_line_is_skipped(self):
        results, errors = parse_result_lines(
            "Date\tTest\tValue\n2026-11-01\tcd4\t90", earliest=EARLIEST, today=TODAY
        )
        assert (len(results), errors) == (1, [])


@pytest.mark.parametrize(("analyte", "text"), [(Analyte.CMV_PCR, "12,000"), (Analyte.CD4, "1,000")])
def test_a_thousands_separator_is_refused_not_read_as_a_decimal_point(analyte, text):
    with pytest.raises(ValueError, match="without a thousands separator"):
        read_value(analyte, text)
