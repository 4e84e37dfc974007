"""Geometry of the blood-count charts (`tracker.rules.chart`, pure Python, no database).

The plot area is fixed: 640 × 220 with margins left 44, right 12, top 12, bottom 28, so
x runs from 44 to 628 (584 wide) and y from 192 (value 0) up to 12 (the top of the axis,
180 high). The x range is min(0, first day) to max(30, last day). Every expectation below is
worked out by hand from those numbers.
"""

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest

from tracker.rules.chart import Chart, Line, build, course_charts, nice_ceiling

LEFT, RIGHT_EDGE, TOP, BOTTOM = 44, 628, 12, 192
PLOT_WIDTH, PLOT_HEIGHT = 584, 180


def x_at(day: float, first: int = 0, last: int = 30) -> float:
    return LEFT + (day - first) / (last - first) * PLOT_WIDTH


def labels(lines) -> list[str]:
    return [line.label for line in lines]


# nice_ceiling ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        pytest.param(0, 1.0, id="zero gives 1"),
        pytest.param(-5, 1.0, id="negative gives 1"),
        pytest.param(0.3, 0.5, id="0.3 to 0.5"),
        pytest.param(0.5, 0.5, id="0.5 stays"),
        pytest.param(1, 1.0, id="1 stays"),
        pytest.param(1.1, 2.0, id="1.1 to 2"),
        pytest.param(2.2, 2.5, id="2.2 to 2.5"),
        pytest.param(2.5, 2.5, id="2.5 stays"),
        pytest.param(3, 5.0, id="3 to 5"),
        pytest.param(7, 10.0, id="7 to 10"),
        pytest.param(10, 10.0, id="10 stays"),
        pytest.param(130, 200.0, id="130 to 200"),
        pytest.param(251, 500.0, id="251 to 500"),
        pytest.param(501, 1000.0, id="501 to 1000"),
        pytest.param(2000, 2000.0, id="2000 stays"),
    ],
)
def test_nice_ceiling_is_the_smallest_1_2_2point5_5_times_a_power_of_ten_at_or_above(
    value, expected
):
    assert nice_ceiling(value) == expected


# build: the frame ------------------------------------------------------------------------------


def test_the_plot_area_is_inside_the_margins():
    chart = build([], thresholds=[])

    assert (chart.width, chart.height) == (640, 220)
    assert (chart.plot_left, chart.plot_right) == (LEFT, RIGHT_EDGE)
    assert (chart.plot_top, chart.plot_bottom) == (TOP, BOTTOM)


def test_day_0_and_day_30_sit_exactly_on_the_left_and_right_edges():
    chart = build([(30, Decimal("2")), (15, Decimal("1")), (0, Decimal("0.1"))], thresholds=[])

    assert [p.x for p in chart.points] == [44.0, 336.0, 628.0]
    assert chart.points[0].x == chart.plot_left
    assert chart.points[-1].x == chart.plot_right


def test_the_x_range_stretches_to_a_day_before_zero_and_after_day_30():
    chart = build([(-10, Decimal("1")), (0, Decimal("1")), (50, Decimal("1"))], thresholds=[])

    assert [p.x for p in chart.points] == pytest.approx([44.0, 44 + 10 / 60 * 584, 628.0])
    assert chart.points[1].x == pytest.approx(141.3333, abs=1e-4)


def test_a_short_series_still_spans_day_0_to_day_30():
    chart = build([(5, Decimal("1")), (10, Decimal("1"))], thresholds=[])

    assert [p.x for p in chart.points] == pytest.approx([44 + 584 / 6, 44 + 584 / 3])


def test_a_value_of_0_is_on_the_bottom_and_the_top_value_on_the_top():
    chart = build([(1, Decimal("0")), (2, Decimal("2.5")), (3, Decimal("5"))], thresholds=[0.5])

    assert [p.y for p in chart.points] == [192.0, 102.0, 12.0]
    assert chart.points[0].y == chart.plot_bottom
    assert chart.points[-1].y == chart.plot_top


@pytest.mark.parametrize(
    ("values", "thresholds", "tick_labels"),
    [
        pytest.param(
            [Decimal("0.3")], [0.5], ["0", "0.25", "0.5", "0.75", "1"], id="ANC low: 2 × 0.5"
        ),
        pytest.param(
            [Decimal("3.2")], [0.5], ["0", "1.25", "2.5", "3.75", "5"], id="ANC high: 3.2 to 5"
        ),
        pytest.param(
            [Decimal("30")], [20, 50], ["0", "25", "50", "75", "100"], id="platelets: 2 × 50"
        ),
        pytest.param(
            [Decimal("130")], [20, 50], ["0", "50", "100", "150", "200"], id="platelets 130"
        ),
        pytest.param([Decimal("0.2")], [], ["0", "0.25", "0.5", "0.75", "1"], id="at least 1"),
        pytest.param([], [], ["0", "0.25", "0.5", "0.75", "1"], id="nothing at all"),
    ],
)
def test_the_top_is_the_nice_ceiling_of_the_values_and_twice_the_thresholds(
    values, thresholds, tick_labels
):
    chart = build([(day, v) for day, v in enumerate(values)], thresholds=thresholds)

    assert labels(chart.y_ticks) == tick_labels
    assert [t.position for t in chart.y_ticks] == pytest.approx([192, 147, 102, 57, 12])


def test_points_are_sorted_by_day_whatever_the_input_order():
    chart = build([(14, Decimal("2")), (0, Decimal("0.1")), (7, Decimal("0.4"))], thresholds=[0.5])

    assert [(p.day, p.value) for p in chart.points] == [
        (0, Decimal("0.1")),
        (7, Decimal("0.4")),
        (14, Decimal("2")),
    ]
    assert [p.x for p in chart.points] == pytest.approx([44.0, 180.2667, 316.5333], abs=1e-4)
    # the top is 2: 0.1 → 192 − 9, 0.4 → 192 − 36, 2 → 192 − 180
    assert [p.y for p in chart.points] == pytest.approx([183.0, 156.0, 12.0])


# build: thresholds, markers, transfusions ------------------------------------------------------


def test_threshold_lines_are_placed_at_their_values_with_their_labels():
    chart = build([(0, Decimal("30"))], thresholds=[20, 50])  # top 100

    assert chart.thresholds == (Line(156.0, "20"), Line(102.0, "50"))


def test_the_anc_threshold_is_halfway_up_when_the_counts_stay_low():
    chart = build([(0, Decimal("0.1"))], thresholds=[0.5])  # top 1

    assert chart.thresholds == (Line(102.0, "0.5"),)


def test_day_markers_are_placed_at_their_day_with_their_label():
    chart = build([(0, Decimal("1"))], thresholds=[], markers=[(14, "ANC engrafted")])

    (marker,) = chart.markers
    assert marker.label == "ANC engrafted"
    assert marker.position == pytest.approx(316.5333, abs=1e-4)  # 44 + 14/30 × 584


def test_a_marker_after_day_30_stretches_the_x_range_to_it():
    chart = build([(20, Decimal("1"))], thresholds=[], markers=[(40, "Platelets engrafted")])

    assert chart.markers == (Line(628.0, "Platelets engrafted"),)
    assert chart.points[0].x == pytest.approx(44 + 20 / 40 * 584)  # 336.0


def test_transfusions_are_placed_at_their_days_in_the_order_given():
    chart = build([(0, Decimal("30"))], thresholds=[20, 50], transfusion_days=[10, 3])

    assert chart.transfusions == pytest.approx((44 + 584 / 3, 102.4))


def test_a_transfusion_before_day_0_stretches_the_x_range_to_it():
    chart = build([(0, Decimal("30"))], thresholds=[], transfusion_days=[-6])

    assert chart.transfusions == (44.0,)
    assert chart.points[0].x == pytest.approx(44 + 6 / 36 * 584)


# build: day ticks ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "last", "tick_labels"),
    [
        pytest.param(0, 30, ["0", "+7", "+14", "+21", "+28"], id="Day 0 to 30: every 7"),
        pytest.param(-7, 30, ["\u22127", "0", "+7", "+14", "+21", "+28"], id="from Day -7"),
        pytest.param(-10, 30, ["\u22127", "0", "+7", "+14", "+21", "+28"], id="from Day -10"),
        pytest.param(
            0, 70, ["0"] + [f"+{d}" for d in range(7, 71, 7)], id="70 days: still every 7"
        ),
        pytest.param(0, 71, ["0", "+14", "+28", "+42", "+56", "+70"], id="71 days: every 14"),
        pytest.param(
            -14,
            100,
            ["\u221214", "0", "+14", "+28", "+42", "+56", "+70", "+84", "+98"],
            id="114 days",
        ),
        pytest.param(
            0, 140, ["0"] + [f"+{d}" for d in range(14, 141, 14)], id="140 days: still every 14"
        ),
        pytest.param(0, 141, ["0", "+28", "+56", "+84", "+112", "+140"], id="141 days: every 28"),
    ],
)
def test_day_ticks_are_every_7_14_or_28_days_by_range(first, last, tick_labels):
    chart = build([(first, Decimal("1")), (last, Decimal("1"))], thresholds=[])

    assert labels(chart.x_ticks) == tick_labels


def test_day_ticks_are_placed_on_the_x_axis():
    chart = build([(-7, Decimal("1"))], thresholds=[])  # Day -7 to Day 30: 37 days

    assert [t.position for t in chart.x_ticks] == pytest.approx(
        [x_at(day, -7, 30) for day in (-7, 0, 7, 14, 21, 28)]
    )
    assert chart.x_ticks[0].position == 44.0


def test_a_negative_day_tick_is_written_with_the_typographic_minus():
    # As in day labels ("Day −7"): U+2212, not the hyphen-minus U+002D.
    chart = build([(-7, Decimal("1"))], thresholds=[])

    assert chart.x_ticks[0].label == "\u22127"
    assert chart.x_ticks[0].label != "-7"
    assert chart.x_ticks[1].label == "0"


# build: an empty series; the polyline ----------------------------------------------------------


def test_an_empty_series_still_gives_a_chart_with_ticks_and_thresholds():
    chart = build([], thresholds=[0.5])

    assert chart.points == ()
    assert chart.polyline == ""
    assert labels(chart.x_ticks) == ["0", "+7", "+14", "+21", "+28"]
    assert labels(chart.y_ticks) == ["0", "0.25", "0.5", "0.75", "1"]
    assert chart.thresholds == (Line(102.0, "0.5"),)
    assert chart.markers == ()
    assert chart.transfusions == ()


def test_the_polyline_is_x_comma_y_pairs_with_one_decimal_separated_by_spaces():
    chart = build(
        [(30, Decimal("0")), (0, Decimal("1")), (15, Decimal("0.5")), (1, Decimal("0.33"))],
        thresholds=[0.5],
    )

    # Day 1: 44 + 584/30 = 63.466…; 0.33 of a top of 1: 192 − 59.4 = 132.6
    assert chart.polyline == "44.0,12.0 63.5,132.6 336.0,102.0 628.0,192.0"


def test_a_point_keeps_its_day_and_decimal_value():
    (point,) = build([(3, Decimal("0.45"))], thresholds=[0.5]).points

    assert (point.day, point.value) == (3, Decimal("0.45"))
    assert isinstance(point.value, Decimal)


# course_charts ---------------------------------------------------------------------------------

DAY_ZERO = date(2026, 3, 10)


def count(day, anc, platelets, transfused=False):
    return SimpleNamespace(
        drawn_on=DAY_ZERO + timedelta(days=day),
        anc=None if anc is None else Decimal(anc),
        platelets=None if platelets is None else Decimal(platelets),
        platelet_transfusion=transfused,
    )


COUNTS = [
    count(18, "0.8", "55"),
    count(-7, "2.1", "150"),
    count(5, "0.1", "15", transfused=True),
    count(10, None, "40"),
    count(14, "0.6", None, transfused=True),
]


def charts(**dates) -> tuple[Chart, Chart]:
    return course_charts(DAY_ZERO, COUNTS, **dates)


def test_the_anc_chart_has_the_anc_values_by_day_and_skips_missing_ones():
    anc, _ = charts()

    assert [(p.day, p.value) for p in anc.points] == [
        (-7, Decimal("2.1")),
        (5, Decimal("0.1")),
        (14, Decimal("0.6")),
        (18, Decimal("0.8")),
    ]
    # Day -7 to Day 30; the top is 2.5 (2.1 is above 2 × 0.5)
    assert [p.x for p in anc.points] == pytest.approx([x_at(d, -7, 30) for d in (-7, 5, 14, 18)])
    assert [p.y for p in anc.points] == pytest.approx([40.8, 184.8, 148.8, 134.4])


def test_the_platelet_chart_has_the_platelet_values_by_day_and_skips_missing_ones():
    _, platelets = charts()

    assert [(p.day, p.value) for p in platelets.points] == [
        (-7, Decimal("150")),
        (5, Decimal("15")),
        (10, Decimal("40")),
        (18, Decimal("55")),
    ]
    # the top is 200 (150 is above 2 × 50)
    assert [p.y for p in platelets.points] == pytest.approx([57.0, 178.5, 156.0, 142.5])


def test_the_anc_chart_has_the_0point5_threshold_and_the_platelet_chart_20_and_50():
    anc, platelets = charts()

    assert anc.thresholds == (Line(pytest.approx(156.0), "0.5"),)  # 0.5 of 2.5
    assert platelets.thresholds == (Line(174.0, "20"), Line(147.0, "50"))  # of 200


def test_engraftment_markers_are_labelled_and_at_the_engraftment_day():
    anc, platelets = charts(
        neutrophil_date=DAY_ZERO + timedelta(days=14),
        platelet_date=DAY_ZERO + timedelta(days=22),
    )

    assert labels(anc.markers) == ["ANC engrafted"]
    assert anc.markers[0].position == pytest.approx(x_at(14, -7, 30))
    assert anc.markers[0].position == anc.points[2].x  # on the Day +14 count
    assert labels(platelets.markers) == ["Platelets engrafted"]
    assert platelets.markers[0].position == pytest.approx(x_at(22, -7, 30))


def test_no_engraftment_dates_means_no_markers():
    anc, platelets = charts()

    assert anc.markers == ()
    assert platelets.markers == ()


def test_transfusions_are_marked_on_the_platelet_chart_only_even_without_a_platelet_count():
    anc, platelets = charts()

    assert anc.transfusions == ()
    assert platelets.transfusions == pytest.approx((x_at(5, -7, 30), x_at(14, -7, 30)))


def test_a_course_without_counts_gives_two_empty_charts():
    anc, platelets = course_charts(DAY_ZERO, [])

    assert (anc.polyline, platelets.polyline) == ("", "")
    assert labels(anc.thresholds) == ["0.5"]
    assert labels(platelets.thresholds) == ["20", "50"]
    assert labels(anc.x_ticks) == labels(platelets.x_ticks) == ["0", "+7", "+14", "+21", "+28"]


def test_a_percentage_chart_can_fix_its_top_at_100():
    chart = build([(30, Decimal("99")), (100, Decimal("97"))], thresholds=[95.0, 5.0], top=100.0)
    assert chart.y_ticks[-1].label == "100"
    assert chart.points[0].y < chart.points[1].y  # 99 % is drawn higher than 97 %
