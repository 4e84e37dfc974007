"""A course's lab results as the course page shows them: rows, words, one chart per test."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from tracker.models import LabResult, TransplantCourse
from tracker.rules import chart, lab_results
from tracker.rules.lab_results import CHIMERISM, Analyte
from tracker.rules.schedule import day_label, day_number

# Lines drawn on each chart: what the clinic reads the values against (CLINICAL.md).
REFERENCE_LINES: dict[Analyte, tuple[float, ...]] = {
    Analyte.CHIMERISM_MYELOID: (95.0, 5.0),
    Analyte.CHIMERISM_LYMPHOID: (95.0, 5.0),
    Analyte.CD4: (200.0,),  # PJP prophylaxis: many centres wait for CD4 > 200/µL
    Analyte.IGG: (4.0,),  # IgG replaced below 4 g/L (400 mg/dL)
    Analyte.CMV_PCR: (),
}


@dataclass(frozen=True)
class ResultRow:
    result: LabResult
    day_label: str
    words: str  # chimerism in words ("full donor", "mixed, falling from 92 %"), else ""


@dataclass(frozen=True)
class ResultChart:
    analyte: Analyte
    title: str
    chart: chart.Chart


def result_rows(course: TransplantCourse, results: list[LabResult]) -> list[ResultRow]:
    """Each result with its day number and, for chimerism, what it means so far."""
    so_far: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    rows = []
    for result in sorted(results, key=lambda r: (r.drawn_on, r.pk or 0)):
        words = ""
        if result.analyte in CHIMERISM and result.value is not None:
            so_far[result.analyte].append((result.drawn_on, result.value))
            words = lab_results.chimerism_words(so_far[result.analyte])
        rows.append(
            ResultRow(result, day_label(day_number(result.drawn_on, course.day_zero)), words)
        )
    return rows


def result_charts(course: TransplantCourse, results: list[LabResult]) -> list[ResultChart]:
    """One small chart per test with values (a CMV PCR not detected is drawn at 0)."""
    by_test: dict[Analyte, list[tuple[int, Decimal]]] = defaultdict(list)
    for result in results:
        value = result.value if result.value is not None else Decimal(0)
        by_test[Analyte(result.analyte)].append(
            (day_number(result.drawn_on, course.day_zero), value)
        )
    charts = []
    for analyte in Analyte:
        values = by_test.get(analyte)
        if not values:
            continue
        spec = lab_results.SPECS[analyte]
        charts.append(
            ResultChart(
                analyte,
                f"{spec.name} ({spec.unit}) by day",
                chart.build(
                    values,
                    thresholds=REFERENCE_LINES[analyte],
                    top=100.0 if analyte in CHIMERISM else None,
                ),
            )
        )
    return charts


def chimerism_summary(results: list[LabResult]) -> str:
    """'Full donor in both lines', or each line's latest in words; '' without chimerism."""
    lines = {
        analyte: [
            (r.drawn_on, r.value) for r in results if r.analyte == analyte and r.value is not None
        ]
        for analyte in CHIMERISM
    }
    myeloid = sorted(lines[Analyte.CHIMERISM_MYELOID])
    lymphoid = sorted(lines[Analyte.CHIMERISM_LYMPHOID])
    both = lab_results.full_donor_in_both([v for _, v in myeloid], [v for _, v in lymphoid])
    if both:
        return "Full donor chimerism in both lines"
    parts = []
    if myeloid:
        parts.append(f"myeloid {lab_results.chimerism_words(myeloid)}")
    if lymphoid:
        parts.append(f"lymphoid {lab_results.chimerism_words(lymphoid)}")
    text = "; ".join(parts)
    return text[:1].upper() + text[1:]
