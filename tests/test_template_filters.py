"""Small template filters: counts as typed, phone numbers as tel: addresses."""

from decimal import Decimal

import pytest

from tracker.templatetags.tracker_tags import plain_number, tel


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("210.0"), "210"),
        (Decimal("210.5"), "210.5"),
        (Decimal("0.495"), "0.495"),  # never rounded into another value
        (Decimal("0.50"), "0.5"),
        (Decimal("100"), "100"),
        (Decimal("1E+2"), "100"),  # a Decimal that prints itself in exponent form
        (Decimal("0.0"), "0"),
        ("12.30", "12.3"),  # as kept in an event's data
        ("not a number", "not a number"),
        (None, ""),
    ],
)
def test_plain_number_drops_only_the_zeros_the_column_adds(value, shown):
    assert plain_number(value) == shown


@pytest.mark.parametrize(
    ("number", "address"),
    [
        ("01632 960 100", "01632960100"),
        ("+44 (0)1632 960-999", "+4401632960999"),
        (" 999 ", "999"),
    ],
)
def test_tel_keeps_digits_and_a_leading_plus(number, address):
    assert tel(number) == address
