"""Clinical cases for tracker.rules.immunity, written from CLINICAL.md sections 2 and 5 alone.

Pure Python: no database, no Django. Every expected date below was worked out by hand from a
calendar and from the clinical rule quoted above each group (or from the team's written
decisions where CLINICAL.md is silent, marked `# decision:`), never by calling the code under
test.

Calendar months (CLINICAL.md section 2): "Month-based milestones ... calendar months with
`dateutil.relativedelta` (Day Zero 31 Jan + 1 month = 28/29 Feb). Never '30 days per
month'." So 31 Aug + 6 months = 28 Feb (29 Feb in a leap year), 30 Jun + 8 months = 28 Feb,
29 Feb 2024 + 24 months = 28 Feb 2026, 29 Feb 2024 + 12 months = 28 Feb 2025.
"""

import dataclasses
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tracker.rules import immunity

d = date.fromisoformat

HCT = "months_since_hct"
CGVHD = "active_chronic_gvhd"
IS = "immunosuppression"
IVIG = "ivig"

# A Day Zero long enough ago that the 24-month gate has passed (on 10 Jan 2022).
DZ_OLD = d("2020-01-10")
ON = d("2025-06-01")


def has_reason(value):
    return isinstance(value.reason, str) and value.reason.strip() != ""


# =============================================================================================
# 1. Live-vaccine gates
# =============================================================================================
# CLINICAL.md section 5, "Live-vaccine gates": "at least 24 months since the latest HCT; no
# active chronic GVHD; off all immunosuppression for at least 12 months by default ...; at
# least 8 months since the last dose of intravenous immunoglobulin (IVIG; IDSA: 8-11
# months). 'At least N months since X' passes on X + N calendar months itself. When only time
# blocks, the first date all gates pass is known; when a clinical event blocks (active chronic
# GVHD, ongoing immunosuppression), it is not."


def gate(
    case_id,
    *,
    on=ON,
    dz=(DZ_OLD,),
    gvhd=(),
    isp=(),
    ivig=(),
    config=None,
    blocked=(),
    eligible_from,
):
    return pytest.param(
        {
            "on": on,
            "transplant_day_zeros": list(dz),
            "chronic_gvhd_periods": list(gvhd),
            "immunosuppression_periods": list(isp),
            "ivig_dates": list(ivig),
            "config": config,
        },
        list(blocked),
        eligible_from,
        id=case_id,
    )


def run_gates(inputs, on=None):
    kwargs = dict(inputs)
    if on is not None:
        kwargs["on"] = on
    if kwargs["config"] is None:
        del kwargs["config"]
    return immunity.live_vaccine_gates(**kwargs)


GATE_CASES = [
    # --- at least 24 months since the latest HCT --------------------------------------------
    gate(
        "hct-24-months-exactly-eligible",
        on=d("2025-03-15"),
        dz=[d("2023-03-15")],
        eligible_from=d("2025-03-15"),
    ),
    gate(
        "hct-one-day-short-blocked-from-next-day",
        on=d("2025-03-14"),
        dz=[d("2023-03-15")],
        blocked=[HCT],
        eligible_from=d("2025-03-15"),
    ),
    gate(
        "hct-day-zero-29feb2024-plus-24-months-is-28feb2026",
        on=d("2026-02-28"),
        dz=[d("2024-02-29")],
        eligible_from=d("2026-02-28"),
    ),
    gate(
        "hct-day-zero-29feb2024-blocked-27feb2026",
        on=d("2026-02-27"),
        dz=[d("2024-02-29")],
        blocked=[HCT],
        eligible_from=d("2026-02-28"),
    ),
    gate(
        "hct-day-zero-31aug-plus-24-months",
        on=d("2025-08-30"),
        dz=[d("2023-08-31")],
        blocked=[HCT],
        eligible_from=d("2025-08-31"),
    ),
    # "since the latest HCT" (and section 2: a subsequent transplant has its own Day 0)
    gate(
        "hct-later-transplant-restarts-24-months",
        dz=[DZ_OLD, d("2024-05-01")],
        blocked=[HCT],
        eligible_from=d("2026-05-01"),
    ),
    gate(
        "hct-later-transplant-listed-first",
        dz=[d("2024-05-01"), DZ_OLD],
        blocked=[HCT],
        eligible_from=d("2026-05-01"),
    ),
    gate(
        "hct-second-transplant-24-months-exactly",
        dz=[DZ_OLD, d("2023-06-01")],
        eligible_from=d("2025-06-01"),
    ),
    # decision: a planned transplant after `on` counts, so it blocks
    gate(
        "hct-planned-transplant-after-on-blocks",
        dz=[DZ_OLD, d("2025-09-01")],
        blocked=[HCT],
        eligible_from=d("2027-09-01"),
    ),
    gate(
        "hct-only-transplant-still-planned",
        dz=[d("2025-09-01")],
        blocked=[HCT],
        eligible_from=d("2027-09-01"),
    ),
    # "each configurable"
    gate(
        "hct-default-18-months-after-blocks",
        dz=[d("2023-12-01")],
        blocked=[HCT],
        eligible_from=d("2025-12-01"),
    ),
    gate(
        "hct-config-18-months-eligible",
        dz=[d("2023-12-01")],
        config=immunity.GateConfig(months_since_hct=18),
        eligible_from=d("2025-06-01"),
    ),
    # --- no active chronic GVHD ------------------------------------------------------------
    # decision: active on day x when start <= x and (end is None or x < end)
    gate(
        "cgvhd-active-open-no-date",
        gvhd=[(d("2023-01-01"), None)],
        blocked=[CGVHD],
        eligible_from=None,
    ),
    gate(
        "cgvhd-starts-today-active",
        gvhd=[(ON, None)],
        blocked=[CGVHD],
        eligible_from=None,
    ),
    gate(
        "cgvhd-resolves-tomorrow-still-active-no-date",
        gvhd=[(d("2023-01-01"), d("2025-06-02"))],
        blocked=[CGVHD],
        eligible_from=None,
    ),
    gate(
        "cgvhd-resolved-today-eligible",
        gvhd=[(d("2023-01-01"), ON)],
        eligible_from=ON,
    ),
    gate(
        "cgvhd-resolved-yesterday-eligible",
        gvhd=[(d("2023-01-01"), d("2025-05-31"))],
        eligible_from=d("2025-05-31"),
    ),
    gate(
        "cgvhd-starts-after-on-not-active",
        gvhd=[(d("2025-07-01"), None)],
        eligible_from=d("2022-01-10"),
    ),
    gate(
        "cgvhd-two-episodes-latest-end",
        gvhd=[(d("2023-02-01"), d("2024-08-15")), (d("2022-03-01"), d("2022-09-01"))],
        eligible_from=d("2024-08-15"),
    ),
    gate(
        "cgvhd-flare-after-resolution-blocks",
        gvhd=[(d("2022-03-01"), d("2023-01-01")), (d("2025-01-10"), None)],
        blocked=[CGVHD],
        eligible_from=None,
    ),
    # --- off all immunosuppression for at least 12 months ----------------------------------
    # decision: stop = first day off; None while ongoing; periods starting after `on` ignored
    gate(
        "is-stopped-12-months-ago-eligible",
        isp=[(d("2023-01-01"), d("2024-06-01"))],
        eligible_from=d("2025-06-01"),
    ),
    gate(
        "is-stopped-11-months-ago-blocked",
        isp=[(d("2023-01-01"), d("2024-07-01"))],
        blocked=[IS],
        eligible_from=d("2025-07-01"),
    ),
    gate(
        "is-stopped-12-months-less-one-day",
        isp=[(d("2023-01-01"), d("2024-06-02"))],
        blocked=[IS],
        eligible_from=d("2025-06-02"),
    ),
    gate(
        "is-stopped-today",
        isp=[(d("2023-01-01"), ON)],
        blocked=[IS],
        eligible_from=d("2026-06-01"),
    ),
    gate(
        "is-ongoing-with-expired-hct-time-no-date",
        isp=[(d("2023-01-01"), None)],
        blocked=[IS],
        eligible_from=None,
    ),
    gate(
        "is-ongoing-and-hct-time-block-no-date",
        dz=[d("2024-01-01")],
        isp=[(d("2024-01-01"), None)],
        blocked=[HCT, IS],
        eligible_from=None,
    ),
    # decision: a stop recorded after `on` is a planned stop: a time block, stop + 12 months
    gate(
        "is-planned-stop-after-on-time-block",
        isp=[(d("2023-01-01"), d("2025-07-01"))],
        blocked=[IS],
        eligible_from=d("2026-07-01"),
    ),
    gate(
        "is-period-starting-after-on-ignored",
        isp=[(d("2023-01-01"), d("2024-01-01")), (d("2025-07-01"), None)],
        eligible_from=d("2025-01-01"),
    ),
    gate(
        "is-latest-stop-counts",
        isp=[(d("2024-02-01"), d("2024-09-15")), (d("2022-01-01"), d("2022-06-01"))],
        blocked=[IS],
        eligible_from=d("2025-09-15"),
    ),
    gate(
        "is-overlapping-periods-latest-stop-not-latest-start",
        isp=[(d("2023-01-01"), d("2024-07-20")), (d("2023-06-01"), d("2024-03-01"))],
        blocked=[IS],
        eligible_from=d("2025-07-20"),
    ),
    gate(
        "is-one-ongoing-among-stopped-no-date",
        isp=[(d("2022-01-01"), d("2022-06-01")), (d("2024-01-01"), None)],
        blocked=[IS],
        eligible_from=None,
    ),
    gate(
        "is-stop-29feb2024-plus-12-is-28feb2025",
        on=d("2025-02-28"),
        isp=[(d("2023-01-01"), d("2024-02-29"))],
        eligible_from=d("2025-02-28"),
    ),
    gate(
        "is-stop-29feb2024-blocked-27feb2025",
        on=d("2025-02-27"),
        isp=[(d("2023-01-01"), d("2024-02-29"))],
        blocked=[IS],
        eligible_from=d("2025-02-28"),
    ),
    gate(
        "is-default-stopped-23-months-ago-eligible",
        isp=[(d("2022-01-01"), d("2023-06-15"))],
        eligible_from=d("2024-06-15"),
    ),
    gate(
        "is-config-24-months-blocks",
        isp=[(d("2022-01-01"), d("2023-06-15"))],
        config=immunity.GateConfig(off_immunosuppression_months=24),
        blocked=[IS],
        eligible_from=d("2025-06-15"),
    ),
    gate(
        "is-config-6-months-31aug-plus-6-is-28feb",
        on=d("2025-02-28"),
        isp=[(d("2024-01-01"), d("2024-08-31"))],
        config=immunity.GateConfig(off_immunosuppression_months=6),
        eligible_from=d("2025-02-28"),
    ),
    gate(
        "is-config-6-months-31aug-blocked-27feb",
        on=d("2025-02-27"),
        isp=[(d("2024-01-01"), d("2024-08-31"))],
        config=immunity.GateConfig(off_immunosuppression_months=6),
        blocked=[IS],
        eligible_from=d("2025-02-28"),
    ),
    # --- at least 8 months since the last IVIG ----------------------------------------------
    # decision: IVIG dates after `on` ignored; no IVIG passes
    gate(
        "ivig-30jun2025-plus-8-is-28feb2026-eligible",
        on=d("2026-02-28"),
        ivig=[d("2025-06-30")],
        eligible_from=d("2026-02-28"),
    ),
    gate(
        "ivig-30jun2025-blocked-27feb2026",
        on=d("2026-02-27"),
        ivig=[d("2025-06-30")],
        blocked=[IVIG],
        eligible_from=d("2026-02-28"),
    ),
    gate(
        "ivig-30jun2023-leap-plus-8-is-29feb2024-eligible",
        on=d("2024-02-29"),
        ivig=[d("2023-06-30")],
        eligible_from=d("2024-02-29"),
    ),
    gate(
        "ivig-30jun2023-leap-blocked-28feb2024",
        on=d("2024-02-28"),
        ivig=[d("2023-06-30")],
        blocked=[IVIG],
        eligible_from=d("2024-02-29"),
    ),
    gate(
        "ivig-given-on-the-day",
        ivig=[ON],
        blocked=[IVIG],
        eligible_from=d("2026-02-01"),
    ),
    gate(
        "ivig-after-on-ignored",
        ivig=[d("2024-01-01"), d("2025-07-01")],
        eligible_from=d("2024-09-01"),
    ),
    gate(
        "ivig-only-after-on-ignored",
        ivig=[d("2025-07-01")],
        eligible_from=d("2022-01-10"),
    ),
    gate(
        "ivig-latest-counts-unordered",
        ivig=[d("2024-12-01"), d("2024-03-01")],
        blocked=[IVIG],
        eligible_from=d("2025-08-01"),
    ),
    gate(
        "ivig-default-9-months-ago-eligible",
        ivig=[d("2024-09-01")],
        eligible_from=d("2025-05-01"),
    ),
    gate(
        "ivig-config-11-months-blocks",
        ivig=[d("2024-09-01")],
        config=immunity.GateConfig(months_since_ivig=11),
        blocked=[IVIG],
        eligible_from=d("2025-08-01"),
    ),
    # --- several gates ---------------------------------------------------------------------
    gate(
        "all-four-block-in-gates-order",
        dz=[d("2024-01-01")],
        gvhd=[(d("2024-06-01"), None)],
        isp=[(d("2024-03-01"), None)],
        ivig=[d("2025-05-01")],
        blocked=[HCT, CGVHD, IS, IVIG],
        eligible_from=None,
    ),
    gate(
        "time-blocks-only-immunosuppression-latest-wins",
        dz=[d("2024-01-01")],
        isp=[(d("2024-03-01"), d("2025-03-01"))],
        ivig=[d("2025-05-01")],
        blocked=[HCT, IS, IVIG],
        eligible_from=d("2026-03-01"),
    ),
    gate(
        "time-blocks-only-ivig-latest-wins",
        dz=[d("2024-01-01")],
        isp=[(d("2024-03-01"), d("2024-10-01"))],
        ivig=[d("2025-05-20")],
        blocked=[HCT, IS, IVIG],
        eligible_from=d("2026-01-20"),
    ),
    gate(
        "time-blocks-only-hct-latest-wins",
        dz=[d("2024-08-01")],
        isp=[(d("2024-09-01"), d("2025-01-01"))],
        ivig=[d("2025-04-01")],
        blocked=[HCT, IS, IVIG],
        eligible_from=d("2026-08-01"),
    ),
    gate(
        "immunosuppression-and-ivig-same-day",
        isp=[(d("2023-01-01"), d("2024-11-01"))],
        ivig=[d("2025-03-01")],
        blocked=[IS, IVIG],
        eligible_from=d("2025-11-01"),
    ),
    gate(
        "cgvhd-and-ivig-clinical-block-no-date",
        gvhd=[(d("2024-01-01"), None)],
        ivig=[d("2025-03-01")],
        blocked=[CGVHD, IVIG],
        eligible_from=None,
    ),
    gate(
        "hct-and-cgvhd-clinical-block-no-date",
        dz=[d("2024-01-01")],
        gvhd=[(d("2024-06-01"), None)],
        blocked=[HCT, CGVHD],
        eligible_from=None,
    ),
    # --- eligible: since when? -------------------------------------------------------------
    # decision: the latest of Day Zero + 24 months, last stop + 12 months, last IVIG + 8
    # months, the last chronic GVHD end
    gate(
        "eligible-no-history-from-hct-24-months",
        eligible_from=d("2022-01-10"),
    ),
    gate(
        "eligible-from-latest-of-all-four-ivig",
        on=d("2025-01-01"),
        dz=[d("2021-01-15")],
        gvhd=[(d("2022-02-01"), d("2023-04-10"))],
        isp=[(d("2022-01-01"), d("2023-05-01"))],
        ivig=[d("2023-11-20")],
        eligible_from=d("2024-07-20"),
    ),
    gate(
        "eligible-from-cgvhd-end",
        on=d("2025-01-01"),
        dz=[d("2021-01-15")],
        gvhd=[(d("2022-02-01"), d("2024-11-30"))],
        isp=[(d("2021-01-05"), d("2022-06-01"))],
        eligible_from=d("2024-11-30"),
    ),
]


# Cases with a known date (only time blocks, or eligible); clinical blocks have none.
DATED_GATE_CASES = [case for case in GATE_CASES if case.values[2] is not None]


class TestLiveVaccineGates:
    """CLINICAL.md section 5, "Live-vaccine gates" (the "2-1-8" rule)."""

    def test_gate_names_in_order(self):
        assert immunity.GATES == (HCT, CGVHD, IS, IVIG)

    def test_config_defaults_are_2_1_8(self):
        config = immunity.GateConfig()
        assert config.months_since_hct == 24
        assert config.off_immunosuppression_months == 12
        assert config.months_since_ivig == 8

    def test_config_is_frozen(self):
        config = immunity.GateConfig()
        with pytest.raises(dataclasses.FrozenInstanceError):
            config.months_since_hct = 12

    @pytest.mark.parametrize(("inputs", "blocked", "eligible_from"), GATE_CASES)
    def test_verdict(self, inputs, blocked, eligible_from):
        verdict = run_gates(inputs)
        assert verdict.eligible is (not blocked)
        assert list(verdict.blocked_by) == blocked
        assert set(verdict.reasons) == set(blocked)
        for name in blocked:
            assert isinstance(verdict.reasons[name], str)
            assert verdict.reasons[name].strip() != ""
        assert verdict.eligible_from == eligible_from

    @pytest.mark.parametrize(("inputs", "blocked", "eligible_from"), DATED_GATE_CASES)
    def test_eligible_from_is_the_first_day_all_pass(self, inputs, blocked, eligible_from):
        """ "When only time blocks, the first date all gates pass is known": on that date
        every gate passes; the day before, at least one does not."""
        on_the_day = run_gates(inputs, on=eligible_from)
        assert on_the_day.eligible is True
        assert list(on_the_day.blocked_by) == []
        assert on_the_day.eligible_from == eligible_from
        assert run_gates(inputs, on=eligible_from - timedelta(days=1)).eligible is False

    @pytest.mark.parametrize(("inputs", "blocked", "eligible_from"), DATED_GATE_CASES)
    def test_date_is_after_on_when_blocked_and_not_after_when_eligible(
        self, inputs, blocked, eligible_from
    ):
        if blocked:
            assert eligible_from > inputs["on"]
        else:
            assert eligible_from <= inputs["on"]

    def test_no_transplant_raises(self):
        with pytest.raises(ValueError, match=r"(?i)transplant|day.?zero|hct|empty"):
            immunity.live_vaccine_gates(
                on=ON,
                transplant_day_zeros=[],
                chronic_gvhd_periods=[],
                immunosuppression_periods=[],
                ivig_dates=[],
            )

    def test_inputs_may_be_tuples(self):
        verdict = immunity.live_vaccine_gates(
            on=ON,
            transplant_day_zeros=(d("2024-01-01"),),
            chronic_gvhd_periods=(),
            immunosuppression_periods=((d("2024-01-01"), d("2025-03-01")),),
            ivig_dates=(d("2025-05-01"),),
        )
        assert list(verdict.blocked_by) == [HCT, IS, IVIG]
        assert verdict.eligible_from == d("2026-03-01")


# =============================================================================================
# 2. Dose intervals and chaining
# =============================================================================================
# CLINICAL.md section 5, vaccine table, column "Doses and minimum intervals":
#   PCV "3, at least 4 weeks apart; a 4th at 12 months ..."; Tdap/DTaP, Hib, IPV "3, at least
#   4 weeks apart"; Hepatitis B "dose 2 >= 4 weeks after dose 1; dose 3 >= 8 weeks after dose
#   2 and >= 16 weeks after dose 1"; Meningococcal conjugate "2, at least 8 weeks apart";
#   Recombinant zoster "2, second 1-2 months after the first"; MMR "1-2, at least 4 weeks
#   apart"; Varicella "2: 3 months apart aged 1-12, 4 weeks apart from 13"; PPSV23 "1";
#   influenza "1 a season".
# decision: PCV dose 4 is 8 weeks after dose 3 (CDC General Best Practice table 3-1).

DAYS_28 = immunity.Interval(days=28)
DAYS_56 = immunity.Interval(days=56)

INTERVAL_CASES = [
    pytest.param("pcv", 2, None, DAYS_28, id="pcv-2-4-weeks"),
    pytest.param("pcv", 3, None, DAYS_28, id="pcv-3-4-weeks"),
    pytest.param("pcv", 4, None, DAYS_56, id="pcv-4-8-weeks-cdc-table-3-1"),
    pytest.param("tdap", 2, None, DAYS_28, id="tdap-2-4-weeks"),
    pytest.param("tdap", 3, None, DAYS_28, id="tdap-3-4-weeks"),
    pytest.param("hib", 2, None, DAYS_28, id="hib-2-4-weeks"),
    pytest.param("hib", 3, None, DAYS_28, id="hib-3-4-weeks"),
    pytest.param("ipv", 2, None, DAYS_28, id="ipv-2-4-weeks"),
    pytest.param("ipv", 3, None, DAYS_28, id="ipv-3-4-weeks"),
    pytest.param("hepb", 2, None, DAYS_28, id="hepb-2-4-weeks-after-1"),
    pytest.param("hepb", 3, None, DAYS_56, id="hepb-3-8-weeks-after-2"),
    pytest.param("menacwy", 2, None, DAYS_56, id="menacwy-2-8-weeks"),
    pytest.param("rzv", 2, None, immunity.Interval(months=1), id="rzv-2-one-calendar-month"),
    pytest.param("mmr", 2, None, DAYS_28, id="mmr-2-4-weeks"),
    pytest.param("mmr", 2, 5, DAYS_28, id="mmr-2-age-ignored"),
    pytest.param("varicella", 2, 1, immunity.Interval(months=3), id="varicella-age-1-3-months"),
    pytest.param("varicella", 2, 7, immunity.Interval(months=3), id="varicella-age-7-3-months"),
    pytest.param("varicella", 2, 12, immunity.Interval(months=3), id="varicella-age-12-3-months"),
    pytest.param("varicella", 2, 13, DAYS_28, id="varicella-age-13-4-weeks"),
    pytest.param("varicella", 2, 45, DAYS_28, id="varicella-adult-4-weeks"),
]

VACCINES = [
    "pcv",
    "ppsv23",
    "influenza",
    "tdap",
    "hib",
    "ipv",
    "hepb",
    "menacwy",
    "rzv",
    "mmr",
    "varicella",
]

NO_SUCH_DOSE = [
    pytest.param("pcv", 5, id="pcv-5"),
    pytest.param("ppsv23", 2, id="ppsv23-2-single-dose"),
    pytest.param("influenza", 2, id="influenza-2-yearly-not-chained"),
    pytest.param("tdap", 4, id="tdap-4"),
    pytest.param("hib", 4, id="hib-4"),
    pytest.param("ipv", 4, id="ipv-4"),
    pytest.param("hepb", 4, id="hepb-4"),
    pytest.param("menacwy", 3, id="menacwy-3"),
    pytest.param("rzv", 3, id="rzv-3"),
    pytest.param("mmr", 3, id="mmr-3"),
    pytest.param("varicella", 3, id="varicella-3"),
    pytest.param("pcv", 0, id="pcv-0"),
    pytest.param("hepb", -1, id="hepb-negative"),
]


class TestDoseInterval:
    """CLINICAL.md section 5, vaccine table, "Doses and minimum intervals"."""

    @pytest.mark.parametrize(("vaccine", "dose", "age", "expected"), INTERVAL_CASES)
    def test_minimum_interval_from_previous_dose(self, vaccine, dose, age, expected):
        assert immunity.dose_interval(vaccine, dose, age_years=age) == expected

    @pytest.mark.parametrize("vaccine", VACCINES)
    def test_dose_1_has_no_previous_dose(self, vaccine):
        kwargs = {"age_years": 30} if vaccine == "varicella" else {}
        with pytest.raises(ValueError, match=rf"(?i)dose|{vaccine}"):
            immunity.dose_interval(vaccine, 1, **kwargs)

    @pytest.mark.parametrize(("vaccine", "dose"), NO_SUCH_DOSE)
    def test_dose_the_vaccine_does_not_have(self, vaccine, dose):
        kwargs = {"age_years": 30} if vaccine == "varicella" else {}
        with pytest.raises(ValueError, match=rf"(?i)dose|{vaccine}"):
            immunity.dose_interval(vaccine, dose, **kwargs)

    @pytest.mark.parametrize("vaccine", ["bcg", "yellow_fever", ""])
    def test_unknown_vaccine(self, vaccine):
        with pytest.raises(ValueError, match=r"(?i)vaccine|unknown"):
            immunity.dose_interval(vaccine, 2)

    def test_varicella_needs_age(self):
        """ "3 months apart aged 1-12, 4 weeks apart from 13": the interval depends on age."""
        with pytest.raises(ValueError, match=r"(?i)age"):
            immunity.dose_interval("varicella", 2)

    def test_hepb_dose_3_from_dose_1_is_16_weeks(self):
        """Hepatitis B: "dose 3 ... >= 16 weeks after dose 1"."""
        assert immunity.from_first_interval("hepb", 3) == immunity.Interval(days=112)

    @pytest.mark.parametrize(
        ("vaccine", "dose"),
        [
            ("hepb", 2),
            ("pcv", 2),
            ("pcv", 3),
            ("pcv", 4),
            ("tdap", 3),
            ("hib", 3),
            ("ipv", 3),
            ("menacwy", 2),
            ("rzv", 2),
            ("mmr", 2),
            ("varicella", 2),
        ],
    )
    def test_no_from_first_minimum_elsewhere(self, vaccine, dose):
        assert immunity.from_first_interval(vaccine, dose) is None


class TestInterval:
    """CLINICAL.md section 2: days with timedelta, calendar months clamped with relativedelta;
    section 5: "Calendar months clamp at month ends (`relativedelta`)"."""

    @pytest.mark.parametrize(
        ("interval", "day", "expected"),
        [
            pytest.param(immunity.Interval(), d("2025-01-31"), d("2025-01-31"), id="zero"),
            pytest.param(DAYS_28, d("2025-01-31"), d("2025-02-28"), id="28-days-from-31jan"),
            pytest.param(DAYS_28, d("2024-02-01"), d("2024-02-29"), id="28-days-leap-feb"),
            pytest.param(DAYS_56, d("2024-12-20"), d("2025-02-14"), id="56-days-over-new-year"),
            pytest.param(
                immunity.Interval(days=112), d("2025-01-01"), d("2025-04-23"), id="16-weeks"
            ),
            pytest.param(
                immunity.Interval(months=1),
                d("2025-01-31"),
                d("2025-02-28"),
                id="1-month-31jan-clamps-28feb",
            ),
            pytest.param(
                immunity.Interval(months=1),
                d("2024-01-31"),
                d("2024-02-29"),
                id="1-month-31jan-leap-29feb",
            ),
            pytest.param(
                immunity.Interval(months=1),
                d("2025-03-31"),
                d("2025-04-30"),
                id="1-month-31mar-clamps-30apr",
            ),
            pytest.param(
                immunity.Interval(months=3),
                d("2024-11-30"),
                d("2025-02-28"),
                id="3-months-30nov-clamps-28feb",
            ),
            pytest.param(
                immunity.Interval(months=1, days=2),
                d("2025-01-30"),
                d("2025-03-02"),
                id="months-then-days",
            ),
        ],
    )
    def test_after(self, interval, day, expected):
        assert interval.after(day) == expected

    def test_defaults_and_frozen(self):
        interval = immunity.Interval()
        assert (interval.days, interval.months) == (0, 0)
        assert immunity.Interval(days=28) == immunity.Interval(days=28, months=0)
        with pytest.raises(dataclasses.FrozenInstanceError):
            interval.days = 1


# CLINICAL.md section 5, "Doses follow the doses given": "Each later dose is due at the later
# of its own earliest date after Day Zero and the previous dose actually given plus the
# minimum interval. A late dose 1 pushes dose 2; a deferred live dose 1 defers dose 2.
# Calendar months clamp at month ends (`relativedelta`)."

DOSE_DUE_CASES = [
    pytest.param({"earliest": d("2025-05-15")}, d("2025-05-15"), id="first-dose-earliest"),
    pytest.param(
        {"earliest": d("2025-05-15"), "previous": d("2025-04-15"), "interval": DAYS_28},
        d("2025-05-15"),
        id="own-earliest-later-wins",
    ),
    pytest.param(
        {"earliest": d("2025-05-13"), "previous": d("2025-04-15"), "interval": DAYS_28},
        d("2025-05-13"),
        id="tie-both-same-day",
    ),
    # Day Zero 15 Jan 2025: PCV dose 1 planned at 3 months (15 Apr) but given at 5 months 10
    # days (25 Jun); dose 2 own earliest 4 months (15 May) -> 25 Jun + 28 days = 23 Jul.
    pytest.param(
        {"earliest": d("2025-05-15"), "previous": d("2025-06-25"), "interval": DAYS_28},
        d("2025-07-23"),
        id="late-pcv-dose-1-pushes-dose-2",
    ),
    pytest.param(
        {"earliest": d("2025-05-15"), "interval": DAYS_28},
        d("2025-05-15"),
        id="interval-without-previous-ignored",
    ),
    # Hepatitis B dose 3: dose 1 on 1 Jan, dose 2 on 29 Jan (4 weeks): 29 Jan + 56 = 26 Mar,
    # 1 Jan + 112 = 23 Apr -> the 16 weeks from dose 1 decide.
    pytest.param(
        {
            "earliest": d("2025-01-01"),
            "previous": d("2025-01-29"),
            "interval": DAYS_56,
            "first": d("2025-01-01"),
            "from_first": immunity.Interval(days=112),
        },
        d("2025-04-23"),
        id="hepb-3-16-weeks-from-dose-1-wins",
    ),
    # Dose 2 late (1 Apr): 1 Apr + 56 = 27 May, later than 23 Apr.
    pytest.param(
        {
            "earliest": d("2025-01-01"),
            "previous": d("2025-04-01"),
            "interval": DAYS_56,
            "first": d("2025-01-01"),
            "from_first": immunity.Interval(days=112),
        },
        d("2025-05-27"),
        id="hepb-3-8-weeks-from-late-dose-2-wins",
    ),
    pytest.param(
        {
            "earliest": d("2025-06-01"),
            "previous": d("2025-01-29"),
            "interval": DAYS_56,
            "first": d("2025-01-01"),
            "from_first": immunity.Interval(days=112),
        },
        d("2025-06-01"),
        id="hepb-3-own-earliest-wins",
    ),
    pytest.param(
        {"earliest": d("2025-01-01"), "first": d("2025-01-01")},
        d("2025-01-01"),
        id="first-without-from-first-ignored",
    ),
    pytest.param(
        {"earliest": d("2025-01-01"), "from_first": immunity.Interval(days=112)},
        d("2025-01-01"),
        id="from-first-without-first-ignored",
    ),
    pytest.param(
        {
            "earliest": d("2025-01-01"),
            "previous": d("2025-01-31"),
            "interval": immunity.Interval(months=1),
        },
        d("2025-02-28"),
        id="rzv-1-month-after-31jan-clamps",
    ),
    # A deferred live dose: varicella dose 1 (age 8) given 30 Nov 2025 after the gates
    # passed; dose 2 own earliest (24 months + 3 months) 1 Jun 2025 -> 30 Nov + 3 months.
    pytest.param(
        {
            "earliest": d("2025-06-01"),
            "previous": d("2025-11-30"),
            "interval": immunity.Interval(months=3),
        },
        d("2026-02-28"),
        id="deferred-varicella-dose-1-defers-dose-2-clamped",
    ),
]


class TestDoseDue:
    """CLINICAL.md section 5, "Doses follow the doses given"."""

    @pytest.mark.parametrize(("kwargs", "expected"), DOSE_DUE_CASES)
    def test_due(self, kwargs, expected):
        assert immunity.dose_due(**kwargs) == expected

    def test_late_dose_1_pushes_dose_2_with_the_table_interval(self):
        given = d("2025-06-25")  # dose 1: Day Zero 15 Jan 2025 + 5 months 10 days
        due = immunity.dose_due(
            earliest=d("2025-05-15"),  # dose 2's own earliest: 4 months
            previous=given,
            interval=immunity.dose_interval("pcv", 2),
        )
        assert due == d("2025-07-23")
        assert due != given + timedelta(days=2)

    def test_hepb_dose_3_with_the_table_intervals(self):
        due = immunity.dose_due(
            earliest=d("2025-07-15"),
            previous=d("2025-08-12"),
            interval=immunity.dose_interval("hepb", 3),
            first=d("2025-07-15"),
            from_first=immunity.from_first_interval("hepb", 3),
        )
        # 12 Aug + 56 days = 7 Oct; 15 Jul + 112 days = 4 Nov.
        assert due == d("2025-11-04")

    def test_deferred_mmr_dose_1_defers_dose_2(self):
        due = immunity.dose_due(
            earliest=d("2025-03-10"),
            previous=d("2026-01-20"),
            interval=immunity.dose_interval("mmr", 2),
        )
        assert due == d("2026-02-17")


# =============================================================================================
# 3. Influenza
# =============================================================================================
# CLINICAL.md section 5: "Inactivated influenza | from 6 months (4 months in an outbreak);
# then yearly, in season | 1 a season".
# decision: first = Day Zero + 6 calendar months if inside a season (inclusive ends), else the
# next season's start; then each later season's start while <= until; never two in a season.

NORTH = immunity.Season()
SOUTH = immunity.Season(starts=(4, 1), ends=(9, 30))

FLU_CASES = [
    pytest.param(
        {"day_zero": d("2025-01-15"), "until": d("2027-12-31")},
        [d("2025-09-01"), d("2026-09-01"), d("2027-09-01")],
        id="6-months-in-july-off-season-waits-for-september",
    ),
    pytest.param(
        {"day_zero": d("2024-05-10"), "until": d("2026-12-31")},
        [d("2024-11-10"), d("2025-09-01"), d("2026-09-01")],
        id="6-months-in-november-in-season",
    ),
    pytest.param(
        {"day_zero": d("2024-07-15"), "until": d("2026-12-31")},
        [d("2025-01-15"), d("2025-09-01"), d("2026-09-01")],
        id="6-months-in-january-wrapped-season-next-is-september",
    ),
    pytest.param(
        {"day_zero": d("2024-09-30"), "until": d("2025-12-31")},
        [d("2025-03-30"), d("2025-09-01")],
        id="6-months-30mar-in-season",
    ),
    pytest.param(
        {"day_zero": d("2024-10-01"), "until": d("2025-12-31")},
        [d("2025-09-01")],
        id="6-months-1apr-after-season-end",
    ),
    pytest.param(
        {
            "day_zero": d("2024-09-30"),
            "until": d("2025-12-31"),
            "season": immunity.Season(starts=(9, 1), ends=(3, 30)),
        },
        [d("2025-03-30"), d("2025-09-01")],
        id="season-end-day-inclusive",
    ),
    pytest.param(
        {"day_zero": d("2025-03-01"), "until": d("2026-12-31")},
        [d("2025-09-01"), d("2026-09-01")],
        id="6-months-on-season-start-day-once",
    ),
    pytest.param(
        {"day_zero": d("2024-08-31"), "until": d("2025-06-30")},
        [d("2025-02-28")],
        id="31aug-plus-6-clamps-28feb",
    ),
    pytest.param(
        {"day_zero": d("2023-08-31"), "until": d("2024-06-30")},
        [d("2024-02-29")],
        id="31aug-plus-6-leap-29feb",
    ),
    pytest.param(
        {"day_zero": d("2025-01-15"), "until": d("2025-08-31")},
        [],
        id="until-before-first-date",
    ),
    pytest.param(
        {"day_zero": d("2025-01-15"), "until": d("2026-09-01")},
        [d("2025-09-01"), d("2026-09-01")],
        id="until-on-a-season-start-included",
    ),
    pytest.param(
        {"day_zero": d("2024-05-10"), "until": d("2024-11-10")},
        [d("2024-11-10")],
        id="until-on-first-date-included",
    ),
    pytest.param(
        {"day_zero": d("2025-01-15"), "until": d("2026-08-31")},
        [d("2025-09-01")],
        id="until-day-before-next-season",
    ),
    pytest.param(
        {"day_zero": d("2025-01-15"), "until": d("2025-12-31"), "from_months": 4},
        [d("2025-09-01")],
        id="outbreak-4-months-may-off-season",
    ),
    pytest.param(
        {"day_zero": d("2024-07-10"), "until": d("2025-12-31"), "from_months": 4},
        [d("2024-11-10"), d("2025-09-01")],
        id="outbreak-4-months-in-season",
    ),
    pytest.param(
        {"day_zero": d("2025-01-15"), "until": d("2027-12-31"), "season": SOUTH},
        [d("2025-07-15"), d("2026-04-01"), d("2027-04-01")],
        id="southern-6-months-in-july-in-season",
    ),
    pytest.param(
        {"day_zero": d("2025-05-01"), "until": d("2027-12-31"), "season": SOUTH},
        [d("2026-04-01"), d("2027-04-01")],
        id="southern-6-months-in-november-next-april",
    ),
    pytest.param(
        {"day_zero": d("2025-03-30"), "until": d("2026-12-31"), "season": SOUTH},
        [d("2025-09-30"), d("2026-04-01")],
        id="southern-end-day-inclusive",
    ),
    pytest.param(
        {"day_zero": d("2024-08-01"), "until": d("2025-12-31"), "season": SOUTH},
        [d("2025-04-01")],
        id="southern-6-months-in-february-before-season",
    ),
]


def in_season(day, season):
    start = (day.month, day.day) >= season.starts
    end = (day.month, day.day) <= season.ends
    if season.starts <= season.ends:
        return start and end
    return start or end


def season_year(day, season):
    """The year the season containing `day` started in."""
    if season.starts > season.ends and (day.month, day.day) <= season.ends:
        return day.year - 1
    return day.year


class TestInfluenza:
    """CLINICAL.md section 5, "Inactivated influenza": from 6 months, then yearly in season,
    1 a season."""

    def test_default_season(self):
        assert NORTH.starts == (9, 1)
        assert NORTH.ends == (3, 31)
        assert immunity.Season() == immunity.Season(starts=(9, 1), ends=(3, 31))
        with pytest.raises(dataclasses.FrozenInstanceError):
            NORTH.starts = (10, 1)

    @pytest.mark.parametrize(("kwargs", "expected"), FLU_CASES)
    def test_dates(self, kwargs, expected):
        assert list(immunity.influenza_dates(**kwargs)) == expected

    @pytest.mark.parametrize(("kwargs", "expected"), FLU_CASES)
    def test_one_a_season_in_season_after_the_start(self, kwargs, expected):
        season = kwargs.get("season", NORTH)
        dates = list(immunity.influenza_dates(**kwargs))
        assert dates == sorted(dates)
        assert all(in_season(day, season) for day in dates)
        assert all(day <= kwargs["until"] for day in dates)
        assert all(day > kwargs["day_zero"] for day in dates)
        seasons = [season_year(day, season) for day in dates]
        assert len(seasons) == len(set(seasons))


# =============================================================================================
# 4. PJP and letermovir stops
# =============================================================================================
# CLINICAL.md section 5, "Drugs that end by rule": "PJP prophylaxis for at least 6 months
# after engraftment and as long as immunosuppression continues (an ATG cohort found 6 months
# too short with CD4 < 200/uL; many centres wait for CD4 > 200/uL and >= 3 months off
# immunosuppression). Letermovir (CMV prophylaxis) from within 28 days of HCT to Day +100,
# extendable to Day +200 in high-risk patients (FDA, August 2023)."

ENGRAFT = d("2025-01-20")  # + 6 months = 20 Jul 2025
CD4_200 = immunity.PjpConfig(cd4_threshold=200)
ATG = immunity.PjpConfig(months_off_immunosuppression=3, cd4_threshold=200)

PJP_CASES = [
    pytest.param({"engraftment": None}, None, id="not-engrafted-no-date"),
    pytest.param({}, d("2025-07-20"), id="6-months-after-engraftment"),
    pytest.param({"engraftment": d("2024-08-31")}, d("2025-02-28"), id="31aug-plus-6-clamps"),
    pytest.param({"engraftment": d("2023-08-31")}, d("2024-02-29"), id="31aug-plus-6-leap"),
    pytest.param(
        {"immunosuppression_periods": [(d("2024-12-20"), None)]},
        None,
        id="immunosuppression-ongoing-no-date",
    ),
    pytest.param(
        {"immunosuppression_periods": [(d("2024-12-20"), d("2025-09-10"))]},
        d("2025-09-10"),
        id="immunosuppression-stops-after-6-months",
    ),
    pytest.param(
        {"immunosuppression_periods": [(d("2024-12-20"), d("2025-03-01"))]},
        d("2025-07-20"),
        id="immunosuppression-stops-before-6-months",
    ),
    pytest.param(
        {
            "immunosuppression_periods": [
                (d("2025-10-01"), d("2025-12-15")),
                (d("2024-12-20"), d("2025-05-01")),
            ]
        },
        d("2025-12-15"),
        id="latest-stop-counts",
    ),
    pytest.param(
        {
            "immunosuppression_periods": [
                (d("2024-12-20"), d("2025-05-01")),
                (d("2025-10-01"), None),
            ]
        },
        None,
        id="restarted-immunosuppression-no-date",
    ),
    pytest.param(
        {
            "immunosuppression_periods": [(d("2024-12-20"), d("2025-09-10"))],
            "config": immunity.PjpConfig(months_off_immunosuppression=3),
        },
        d("2025-12-10"),
        id="3-months-off-immunosuppression",
    ),
    pytest.param(
        {
            "immunosuppression_periods": [(d("2024-12-20"), d("2025-11-30"))],
            "config": immunity.PjpConfig(months_off_immunosuppression=3),
        },
        d("2026-02-28"),
        id="3-months-off-from-30nov-clamps",
    ),
    pytest.param(
        {"config": immunity.PjpConfig(months_after_engraftment=12)},
        d("2026-01-20"),
        id="config-12-months-after-engraftment",
    ),
    pytest.param(
        {"cd4_results": [(d("2025-06-01"), 150)]},
        d("2025-07-20"),
        id="cd4-ignored-without-threshold",
    ),
    # --- CD4 threshold -------------------------------------------------------------------
    pytest.param({"config": CD4_200}, None, id="cd4-threshold-no-result-no-date"),
    pytest.param(
        {"config": CD4_200, "cd4_results": [(d("2025-05-01"), 350)]},
        d("2025-07-20"),
        id="cd4-above-before-6-months",
    ),
    pytest.param(
        {"config": CD4_200, "cd4_results": [(d("2025-06-01"), 150), (d("2025-10-01"), 250)]},
        d("2025-10-01"),
        id="cd4-latest-above-after-6-months-date-of-result",
    ),
    pytest.param(
        {"config": CD4_200, "cd4_results": [(d("2025-10-01"), 250), (d("2025-06-01"), 150)]},
        d("2025-10-01"),
        id="cd4-unordered-latest-by-date",
    ),
    pytest.param(
        {"config": CD4_200, "cd4_results": [(d("2025-10-01"), 150), (d("2025-06-01"), 250)]},
        None,
        id="cd4-latest-below-earlier-above-no-date",
    ),
    pytest.param(
        {"config": CD4_200, "cd4_results": [(d("2025-06-01"), 300), (d("2025-08-01"), 200)]},
        None,
        id="cd4-latest-exactly-200-not-above",
    ),
    pytest.param(
        {"config": CD4_200, "cd4_results": [(d("2025-08-01"), Decimal("200.1"))]},
        d("2025-08-01"),
        id="cd4-decimal-just-above",
    ),
    pytest.param(
        {"config": CD4_200, "cd4_results": [(d("2025-08-01"), Decimal("200.0"))]},
        None,
        id="cd4-decimal-200-0-not-above",
    ),
    pytest.param(
        {
            "config": CD4_200,
            "immunosuppression_periods": [(d("2024-12-20"), None)],
            "cd4_results": [(d("2025-08-01"), 400)],
        },
        None,
        id="cd4-above-but-immunosuppression-ongoing",
    ),
    pytest.param(
        {
            "config": ATG,
            "immunosuppression_periods": [(d("2024-12-20"), d("2025-08-15"))],
            "cd4_results": [(d("2025-12-01"), 220)],
        },
        d("2025-12-01"),
        id="atg-cohort-3-months-off-and-cd4-later",
    ),
    pytest.param(
        {
            "config": ATG,
            "immunosuppression_periods": [(d("2024-12-20"), d("2025-08-15"))],
            "cd4_results": [(d("2025-09-01"), 220)],
        },
        d("2025-11-15"),
        id="atg-cohort-cd4-early-3-months-off-decides",
    ),
]


class TestPjpStop:
    """CLINICAL.md section 5, "Drugs that end by rule", PJP prophylaxis."""

    def test_config_defaults(self):
        config = immunity.PjpConfig()
        assert config.months_after_engraftment == 6
        assert config.months_off_immunosuppression == 0
        assert config.cd4_threshold is None

    @pytest.mark.parametrize(("kwargs", "expected"), PJP_CASES)
    def test_stop(self, kwargs, expected):
        arguments = {"engraftment": ENGRAFT, "immunosuppression_periods": [], "cd4_results": []}
        arguments.update(kwargs)
        stop = immunity.pjp_stop(**arguments)
        assert stop.on == expected
        assert has_reason(stop)


class TestLetermovirStop:
    """CLINICAL.md section 5: letermovir "to Day +100, extendable to Day +200"; section 2:
    day-based milestones are day_zero + timedelta(days=n)."""

    @pytest.mark.parametrize(
        ("day_zero", "extended", "expected"),
        [
            pytest.param(d("2025-03-01"), False, d("2025-06-09"), id="day-100"),
            pytest.param(d("2025-03-01"), True, d("2025-09-17"), id="day-200-extended"),
            pytest.param(d("2024-01-01"), False, d("2024-04-10"), id="day-100-leap-year"),
            pytest.param(d("2024-11-15"), False, d("2025-02-23"), id="day-100-over-new-year"),
        ],
    )
    def test_stop(self, day_zero, extended, expected):
        stop = immunity.letermovir_stop(day_zero=day_zero, extended=extended)
        assert stop.on == expected
        assert stop.on == day_zero + timedelta(days=200 if extended else 100)
        assert has_reason(stop)

    def test_not_extended_by_default(self):
        assert immunity.letermovir_stop(day_zero=d("2025-03-01")).on == d("2025-06-09")


# =============================================================================================
# 5. Irradiated blood components (BSH 2020)
# =============================================================================================
# CLINICAL.md section 5: "allogeneic HCT from the start of conditioning for at least 6
# months, and longer while on immunosuppression or with chronic GVHD; autologous HCT from 7-14
# days before the harvest to 3 months after (6 months after TBI); lifelong after purine
# analogues such as fludarabine and in Hodgkin lymphoma."
# decision: 6 months after Day Zero; autologous start = harvest - 14 days; 3/6 months after
# Day Zero.

COND = d("2025-01-01")
DZ = d("2025-01-10")  # + 3 months = 10 Apr 2025, + 6 months = 10 Jul 2025

IRRADIATION_CASES = [
    # kwargs, start, until, lifelong
    pytest.param(
        {"kind": "allogeneic"},
        COND,
        d("2025-07-10"),
        False,
        id="allo-from-conditioning-6-months",
    ),
    pytest.param(
        {"kind": "allogeneic", "conditioning_start": None},
        DZ,
        d("2025-07-10"),
        False,
        id="allo-no-conditioning-date-from-day-zero",
    ),
    pytest.param(
        {"kind": "allogeneic", "tbi": True},
        COND,
        d("2025-07-10"),
        False,
        id="allo-tbi-still-6-months",
    ),
    pytest.param(
        {"kind": "allogeneic", "day_zero": d("2024-08-31"), "conditioning_start": None},
        d("2024-08-31"),
        d("2025-02-28"),
        False,
        id="allo-31aug-plus-6-clamps",
    ),
    pytest.param(
        {"kind": "allogeneic", "immunosuppression_periods": [(d("2024-12-30"), d("2025-10-01"))]},
        COND,
        d("2025-10-01"),
        False,
        id="allo-immunosuppression-stops-after-6-months",
    ),
    pytest.param(
        {"kind": "allogeneic", "immunosuppression_periods": [(d("2024-12-30"), d("2025-03-01"))]},
        COND,
        d("2025-07-10"),
        False,
        id="allo-immunosuppression-stops-before-6-months",
    ),
    pytest.param(
        {
            "kind": "allogeneic",
            "immunosuppression_periods": [(d("2024-12-30"), d("2025-10-01"))],
            "chronic_gvhd_periods": [(d("2025-08-01"), d("2026-02-01"))],
        },
        COND,
        d("2026-02-01"),
        False,
        id="allo-chronic-gvhd-ends-last",
    ),
    pytest.param(
        {
            "kind": "allogeneic",
            "immunosuppression_periods": [
                (d("2025-12-01"), d("2026-05-20")),
                (d("2024-12-30"), d("2025-10-01")),
            ],
            "chronic_gvhd_periods": [(d("2025-08-01"), d("2026-02-01"))],
        },
        COND,
        d("2026-05-20"),
        False,
        id="allo-second-immunosuppression-ends-last",
    ),
    pytest.param(
        {
            "kind": "allogeneic",
            "purine_analogue": True,
        },
        COND,
        None,
        True,
        id="allo-fludarabine-lifelong-from-conditioning",
    ),
    pytest.param(
        {"kind": "allogeneic", "purine_analogue": True, "conditioning_start": None},
        DZ,
        None,
        True,
        id="allo-fludarabine-no-conditioning-date-from-day-zero",
    ),
    pytest.param(
        {
            "kind": "allogeneic",
            "hodgkin": True,
            "immunosuppression_periods": [(d("2024-12-30"), d("2025-10-01"))],
        },
        COND,
        None,
        True,
        id="allo-hodgkin-lifelong",
    ),
    pytest.param(
        {"kind": "autologous", "hodgkin": True},
        COND,
        None,
        True,
        id="auto-hodgkin-lifelong",
    ),
    pytest.param(
        {"kind": "autologous", "purine_analogue": True, "tbi": True},
        COND,
        None,
        True,
        id="auto-purine-analogue-lifelong",
    ),
    pytest.param(
        {"kind": "autologous", "harvest_date": d("2024-12-01")},
        d("2024-11-17"),
        d("2025-04-10"),
        False,
        id="auto-14-days-before-harvest-to-3-months",
    ),
    pytest.param(
        {"kind": "autologous", "harvest_date": d("2024-12-01"), "tbi": True},
        d("2024-11-17"),
        d("2025-07-10"),
        False,
        id="auto-tbi-6-months",
    ),
    pytest.param(
        {"kind": "autologous"},
        COND,
        d("2025-04-10"),
        False,
        id="auto-no-harvest-date-from-conditioning",
    ),
    pytest.param(
        {"kind": "autologous", "conditioning_start": None},
        DZ,
        d("2025-04-10"),
        False,
        id="auto-no-harvest-no-conditioning-from-day-zero",
    ),
    pytest.param(
        {"kind": "autologous", "day_zero": d("2024-11-30"), "conditioning_start": None},
        d("2024-11-30"),
        d("2025-02-28"),
        False,
        id="auto-30nov-plus-3-clamps",
    ),
    pytest.param(
        {
            "kind": "autologous",
            "day_zero": d("2023-08-31"),
            "conditioning_start": None,
            "tbi": True,
        },
        d("2023-08-31"),
        d("2024-02-29"),
        False,
        id="auto-tbi-31aug-plus-6-leap",
    ),
]


def irradiate(**kwargs):
    arguments = {"day_zero": DZ, "conditioning_start": COND}
    arguments.update(kwargs)
    return immunity.irradiated_blood(**arguments)


class TestIrradiatedBlood:
    """CLINICAL.md section 5, "Irradiated blood components" (BSH 2020)."""

    @pytest.mark.parametrize(("kwargs", "start", "until", "lifelong"), IRRADIATION_CASES)
    def test_window(self, kwargs, start, until, lifelong):
        result = irradiate(**kwargs)
        assert result is not None
        assert result.start == start
        assert result.until == until
        assert result.lifelong is lifelong
        assert has_reason(result)

    @pytest.mark.parametrize(
        "kwargs",
        [
            pytest.param({}, id="plain"),
            pytest.param({"tbi": True, "purine_analogue": True}, id="purine-analogue"),
        ],
    )
    def test_other_procedures_need_none(self, kwargs):
        """Section 5 names only allogeneic and autologous HCT (section 8 procedures are
        autologous marrow injections). decision: kind "procedure" returns None, even with a
        purine analogue (see the report: the lifelong rule is about the patient)."""
        assert irradiate(kind="procedure", **kwargs) is None

    @pytest.mark.parametrize(
        ("kwargs", "word"),
        [
            pytest.param(
                {"immunosuppression_periods": [(d("2024-12-30"), None)]},
                r"(?i)immunosuppress",
                id="immunosuppression-ongoing",
            ),
            pytest.param(
                {
                    "immunosuppression_periods": [(d("2024-12-30"), d("2025-05-01"))],
                    "chronic_gvhd_periods": [(d("2025-04-01"), None)],
                },
                r"(?i)gvhd",
                id="chronic-gvhd-open",
            ),
            pytest.param(
                {
                    "immunosuppression_periods": [
                        (d("2024-12-30"), d("2025-05-01")),
                        (d("2025-09-01"), None),
                    ],
                },
                r"(?i)immunosuppress",
                id="immunosuppression-restarted",
            ),
        ],
    )
    def test_allogeneic_open_ended_while_on_immunosuppression_or_chronic_gvhd(self, kwargs, word):
        result = irradiate(kind="allogeneic", **kwargs)
        assert result is not None
        assert result.start == COND
        assert result.until is None
        assert result.lifelong is False
        assert has_reason(result)
        assert re.search(word, result.reason)


def test_lifelong_irradiation_starts_at_the_earliest_known_date():
    """An autologous patient after fludarabine: lifelong, from 14 days before the harvest
    (the earliest date the course knows), not from conditioning."""
    result = immunity.irradiated_blood(
        kind="autologous",
        day_zero=date(2026, 3, 1),
        conditioning_start=date(2026, 2, 24),
        harvest_date=date(2026, 1, 20),
        purine_analogue=True,
    )
    assert result is not None
    assert (result.start, result.until, result.lifelong) == (date(2026, 1, 6), None, True)
