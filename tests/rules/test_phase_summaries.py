"""The course page's folded phases: one summary line per phase, and which phases open."""

from datetime import date, timedelta

import pytest

from tracker.rules.schedule import (
    ENGRAFTMENT_LAST_DAY,
    HUNDRED_DAY_LAST_DAY,
    Phase,
    PhaseScheme,
    PhaseSummary,
    days_around,
    open_phases,
    phase_summaries,
)

DAY_ZERO = date(2026, 3, 1)


def day(n: int) -> date:
    return DAY_ZERO + timedelta(days=n)


def one_day(n: int, done_on: int | None = None, *, before: int = 0, after: int = 0):
    """A milestone on Day n with its window, done on Day done_on (or pending)."""
    done = day(done_on) if done_on is not None else None
    return (day(n), day(n - before), day(n + after), done)


class TestPhaseSummaries:
    def test_counts_each_state_once_and_dates_span_the_phase(self):
        milestones = [
            one_day(-5, done_on=-5),  # done
            one_day(-3, done_on=-1),  # done out of its one-day window: still done
            one_day(-2),  # overdue on Day +1
            one_day(1),  # due today
            one_day(3, before=2),  # window open from Day +1: due
            one_day(10),  # upcoming
        ]
        summaries = phase_summaries(milestones, day_zero=DAY_ZERO, today=day(1))
        assert summaries == [
            PhaseSummary(Phase.CONDITIONING, day(-5), day(-2), total=3, done=2, due=0, overdue=1),
            PhaseSummary(Phase.ENGRAFTMENT, day(1), day(10), total=3, done=0, due=2, overdue=0),
        ]
        assert summaries[1].upcoming == 1
        assert summaries[0].upcoming == 0

    def test_phases_come_in_course_order_whatever_the_input_order(self):
        milestones = [one_day(800), one_day(0), one_day(50), one_day(-1), one_day(20), one_day(150)]
        phases = [s.phase for s in phase_summaries(milestones, day_zero=DAY_ZERO, today=day(0))]
        assert phases == list(PhaseScheme().phases)

    def test_phase_boundaries(self):
        boundaries = {
            -1: Phase.CONDITIONING,
            0: Phase.DAY_ZERO,
            1: Phase.ENGRAFTMENT,
            ENGRAFTMENT_LAST_DAY: Phase.ENGRAFTMENT,
            ENGRAFTMENT_LAST_DAY + 1: Phase.HUNDRED_DAY,
            HUNDRED_DAY_LAST_DAY: Phase.HUNDRED_DAY,
            HUNDRED_DAY_LAST_DAY + 1: Phase.IMMUNE_RECOVERY,
        }
        for n, phase in boundaries.items():
            (summary,) = phase_summaries([one_day(n)], day_zero=DAY_ZERO, today=day(0))
            assert summary.phase == phase, n

    def test_long_term_starts_on_the_same_date_two_years_on_even_from_a_leap_day(self):
        leap = date(2028, 2, 29)
        before = (date(2030, 2, 27),) * 3 + (None,)
        on = (date(2030, 2, 28),) * 3 + (None,)
        summaries = phase_summaries([before, on], day_zero=leap, today=leap)
        assert [s.phase for s in summaries] == [Phase.IMMUNE_RECOVERY, Phase.LONG_TERM]

    def test_no_milestones_no_summaries(self):
        assert phase_summaries([], day_zero=DAY_ZERO, today=DAY_ZERO) == []

    def test_done_counts_before_the_window_opens_too(self):
        # Done early (before the window opened): done, not upcoming.
        (summary,) = phase_summaries(
            [one_day(20, done_on=5, before=2)], day_zero=DAY_ZERO, today=day(6)
        )
        assert (summary.done, summary.due, summary.overdue, summary.upcoming) == (1, 0, 0, 0)


ALL = list(PhaseScheme().phases)


class TestOpenPhases:
    def test_the_current_phase_and_the_next(self):
        assert open_phases(ALL, Phase.ENGRAFTMENT) == {Phase.ENGRAFTMENT, Phase.HUNDRED_DAY}

    def test_the_next_is_the_next_with_milestones(self):
        phases = [Phase.CONDITIONING, Phase.ENGRAFTMENT, Phase.LONG_TERM]
        assert open_phases(phases, Phase.ENGRAFTMENT) == {Phase.ENGRAFTMENT, Phase.LONG_TERM}

    def test_a_current_phase_without_milestones_opens_only_the_next(self):
        phases = [Phase.CONDITIONING, Phase.ENGRAFTMENT]
        assert open_phases(phases, Phase.DAY_ZERO) == {Phase.ENGRAFTMENT}

    def test_before_the_course_starts_the_first_phase_opens(self):
        assert open_phases(ALL, None) == {Phase.CONDITIONING}
        assert open_phases([Phase.ENGRAFTMENT, Phase.HUNDRED_DAY], None) == {Phase.ENGRAFTMENT}

    def test_the_last_phase_opens_alone(self):
        assert open_phases(ALL, Phase.LONG_TERM) == {Phase.LONG_TERM}

    def test_past_the_last_phase_with_milestones_nothing_opens(self):
        # A procedure whose steps all fell in the first weeks, seen years later.
        assert open_phases([Phase.CONDITIONING, Phase.DAY_ZERO], Phase.LONG_TERM) == frozenset()

    @pytest.mark.parametrize("current", [*Phase, None])
    def test_never_more_than_two(self, current):
        assert len(open_phases(ALL, current)) <= 2


class TestFirstDays:
    def summary(self, *days: int) -> PhaseSummary:
        (summary,) = phase_summaries([one_day(n) for n in days], day_zero=DAY_ZERO, today=DAY_ZERO)
        return summary

    def test_the_first_milestones_and_how_many_follow(self):
        summary = self.summary(*range(101, 131))
        assert summary.first_days(10) == (day(110), 20)

    def test_every_milestone_of_the_last_day_shown_is_shown(self):
        summary = self.summary(101, 102, 102, 102, 103)
        assert summary.first_days(2) == (day(102), 1)

    def test_fewer_milestones_than_asked_shows_them_all(self):
        summary = self.summary(101, 102)
        assert summary.first_days(10) == (day(102), 0)
        assert summary.first_days(2) == (day(102), 0)


def test_the_next_due_date_from_a_day():
    (summary,) = phase_summaries(
        [one_day(n) for n in (101, 110, 120)], day_zero=DAY_ZERO, today=DAY_ZERO
    )
    assert summary.next_from(day(105)) == day(110)
    assert summary.next_from(day(110)) == day(110)
    assert summary.next_from(day(121)) is None


def test_the_days_around_today_cross_month_and_year_ends():
    assert days_around(date(2026, 12, 28), before=7, after=21) == (
        date(2026, 12, 21),
        date(2027, 1, 18),
    )
    assert days_around(date(2028, 3, 1), before=7, after=0) == (date(2028, 2, 23), date(2028, 3, 1))
