"""Geometry of the blood-count charts: values against day number, drawn as SVG on the server.

Pure Python (no Django). The template only places what this module computed, so the chart
needs no JavaScript and no chart library.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

WIDTH = 640
HEIGHT = 220
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 28
MIN_LAST_DAY = 30


class CountLike(Protocol):
    """A blood count as the charts read it (a BloodCount, or anything with these)."""

    @property
    def drawn_on(self) -> date: ...
    @property
    def anc(self) -> Decimal | None: ...
    @property
    def platelets(self) -> Decimal | None: ...
    @property
    def platelet_transfusion(self) -> bool: ...


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    day: int
    value: Decimal


@dataclass(frozen=True)
class Line:
    """A horizontal threshold or a vertical day marker, with where its label goes."""

    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    plot_top: int
    plot_bottom: int
    points: tuple[Point, ...]
    x_ticks: tuple[Line, ...]
    y_ticks: tuple[Line, ...]
    thresholds: tuple[Line, ...]
    markers: tuple[Line, ...]
    transfusions: tuple[float, ...]

    @property
    def polyline(self) -> str:
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10^n at or above value (so axis ticks are round)."""
    if value <= 0:
        return 1.0
    exponent = math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        candidate = step * 10**exponent
        if candidate >= value:
            return float(candidate)
    return float(10 ** (exponent + 1))


def _day_tick(day: int) -> str:
    """'−7', '0', '+14': the typographic minus, as in day labels."""
    return "0" if day == 0 else f"+{day}" if day > 0 else f"\N{MINUS SIGN}{-day}"


def build(
    values: Sequence[tuple[int, Decimal]],
    *,
    thresholds: Iterable[float],
    markers: Iterable[tuple[int, str]] = (),
    transfusion_days: Iterable[int] = (),
    top: float | None = None,
    y_labels: Sequence[str] | None = None,
) -> Chart:
    """Place (day number, value) points, threshold lines, day markers and transfusions.

    `top` fixes the axis's highest value (100 for a percentage); by default it is the next
    round number above the values and twice the highest threshold. `y_labels` names the five
    ticks of the value axis (the GVHD grades 0 to IV), bottom first.
    """
    thresholds = list(thresholds)
    markers = list(markers)
    transfusion_days = list(transfusion_days)
    days = [day for day, _ in values] + [day for day, _ in markers] + transfusion_days
    first = min([0, *days])
    last = max([MIN_LAST_DAY, *days])
    if top is None:
        top = nice_ceiling(max([float(v) for _, v in values] + [t * 2 for t in thresholds] + [1]))
    plot_right, plot_bottom = WIDTH - RIGHT, HEIGHT - BOTTOM

    def x_of(day: int) -> float:
        return LEFT + (day - first) / (last - first) * (plot_right - LEFT)

    def y_of(value: float) -> float:
        return plot_bottom - value / top * (plot_bottom - TOP)

    step = 7 if last - first <= 70 else 14 if last - first <= 140 else 28
    tick_days = range(math.ceil(first / step) * step, last + 1, step)
    return Chart(
        width=WIDTH,
        height=HEIGHT,
        plot_left=LEFT,
        plot_right=plot_right,
        plot_top=TOP,
        plot_bottom=plot_bottom,
        points=tuple(
            Point(x_of(day), y_of(float(value)), day, value) for day, value in sorted(values)
        ),
        x_ticks=tuple(Line(x_of(day), _day_tick(day)) for day in tick_days),
        y_ticks=tuple(
            Line(y_of(top * i / 4), y_labels[i] if y_labels else f"{top * i / 4:g}")
            for i in range(5)
        ),
        thresholds=tuple(Line(y_of(t), f"{t:g}") for t in thresholds),
        markers=tuple(Line(x_of(day), label) for day, label in markers),
        transfusions=tuple(x_of(day) for day in transfusion_days),
    )


def course_charts(
    day_zero: date,
    counts: Sequence[CountLike],
    *,
    neutrophil_date: date | None = None,
    platelet_date: date | None = None,
) -> tuple[Chart, Chart]:
    """The ANC and the platelet chart of a course, from its counts (drawn_on, anc, platelets,
    platelet_transfusion) and its engraftment dates (or None)."""

    def day(of: date) -> int:
        return (of - day_zero).days

    anc_markers = [(day(neutrophil_date), "ANC engrafted")] if neutrophil_date else []
    platelet_markers = [(day(platelet_date), "Platelets engrafted")] if platelet_date else []
    anc = build(
        [(day(c.drawn_on), c.anc) for c in counts if c.anc is not None],
        thresholds=[0.5],
        markers=anc_markers,
    )
    platelets = build(
        [(day(c.drawn_on), c.platelets) for c in counts if c.platelets is not None],
        thresholds=[20, 50],
        markers=platelet_markers,
        transfusion_days=[day(c.drawn_on) for c in counts if c.platelet_transfusion],
    )
    return anc, platelets
