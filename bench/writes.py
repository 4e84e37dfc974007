"""Benchmark of the two big writes: starting a course and moving its Day Zero (issue 11).

What it measures: `services.start_course` and then `services.move_day_zero` (three days later)
on a fresh course, for a protocol of 10 and one of 300 milestones: a daily step from Day -10
with three checklist items (like the course of bench/pages.py) and a Day-100 evaluation. Each
write is warmed up once with its SQL queries counted, then timed `--repeat` times, each time
on a new patient's course. The table shows the median, min and max in milliseconds (wall
clock), the median of this process's CPU time (the same on a quiet machine, less inflated by
other processes on a busy one), the median time in SQL statements (the rest is Python:
Django, django-simple-history and ours) and the queries. The timed runs have DEBUG off, as in
production (with DEBUG on, Django's query log quotes every parameter of every bulk insert,
which costs more than the insert).

The data: a scratch SQLite database in a temporary directory (never the project's
db.sqlite3; DATABASE_URL is ignored), migrated, with the two protocols and a coordinator.

Run from the project root:

    .venv/bin/python bench/writes.py
    .venv/bin/python bench/writes.py --profile   # also cProfile of both writes at 300

Timings are printed and written to `--json` (bench/writes.json), never asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from followup import configure  # noqa: E402

SIZES = (10, 300)
DAY_ZERO = date(2026, 3, 3)
MOVE = timedelta(days=3)


def protocol_of(milestones: int):
    """A protocol planning `milestones` milestones: a daily step and a Day-100 evaluation."""
    from tracker.models import Protocol, ProtocolStep

    protocol = Protocol.objects.create(
        slug=f"bench-writes-{milestones}",
        name=f"Benchmark, {milestones} milestones",
        kind="allogeneic",
        graft_source="pbsc",
    )
    ProtocolStep.objects.create(
        protocol=protocol,
        key="daily",
        title="Daily check",
        day=-10,
        repeat_every_days=1,
        repeat_until_day=-10 + milestones - 2,
        checklist="Bloods\nObservations\nPlan",
        position=10,
    )
    ProtocolStep.objects.create(
        protocol=protocol,
        key="day-100",
        title="Day +100 evaluation",
        day=100,
        window_before=15,
        window_after=15,
        is_day_100_evaluation=True,
        checklist="Marrow biopsy",
        position=20,
    )
    return protocol


class Patients:
    """A new patient for each course, so every run starts a course the same way."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self):
        from tracker.models import Patient

        self.count += 1
        return Patient.objects.create(
            mrn=f"BENCH-W{self.count:05d}",
            given_name="Bench",
            family_name=f"Writes{self.count}",
            date_of_birth=date(1970, 1, 1),
        )


class SqlTime:
    """Time spent executing SQL statements (Django's execute wrappers; the commit excluded)."""

    def __init__(self) -> None:
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started

    def lap(self) -> float:
        """Milliseconds since the last lap."""
        seconds, self.seconds = self.seconds, 0.0
        return seconds * 1000


def start_and_move(protocol, coordinator, patient) -> tuple[tuple[float, float, float], ...]:
    """Start a course and move its Day Zero: the milliseconds of each, wall, CPU and SQL."""
    from django.db import connection

    from tracker import services

    sql = SqlTime()
    with connection.execute_wrapper(sql):
        started, started_cpu = time.perf_counter(), time.process_time()
        course = services.start_course(
            patient=patient, protocol=protocol, day_zero=DAY_ZERO, by=coordinator
        )
        moving, moving_cpu = time.perf_counter(), time.process_time()
        start_sql = sql.lap()
        services.move_day_zero(
            course=course, day_zero=DAY_ZERO + MOVE, by=coordinator, reason="Benchmark"
        )
        done, done_cpu = time.perf_counter(), time.process_time()
    return (
        ((moving - started) * 1000, (moving_cpu - started_cpu) * 1000, start_sql),
        ((done - moving) * 1000, (done_cpu - moving_cpu) * 1000, sql.lap()),
    )


def count_queries(protocol, coordinator, patient) -> tuple[int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tracker import services

    with CaptureQueriesContext(connection) as start:
        course = services.start_course(
            patient=patient, protocol=protocol, day_zero=DAY_ZERO, by=coordinator
        )
    with CaptureQueriesContext(connection) as move:
        services.move_day_zero(course=course, day_zero=DAY_ZERO + MOVE, by=coordinator)
    return len(start), len(move)


def profile(protocol, coordinator, patient) -> None:
    """cProfile of one start and one move: the 30 functions with the most time, callees included."""
    profiler = cProfile.Profile()
    profiler.enable()
    start_and_move(protocol, coordinator, patient)
    profiler.disable()
    print(f"\ncProfile of starting and moving a course on {protocol.name}:")
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed runs of each write")
    parser.add_argument("--json", default="bench/writes.json")
    parser.add_argument("--profile", action="store_true", help="cProfile both writes at 300")
    args = parser.parse_args()

    scratch = Path(tempfile.mkdtemp(prefix="tracker-bench-writes-"))
    try:
        configure(scratch / "bench.sqlite3")
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.db import connection
        from django.test import override_settings

        call_command("migrate", verbosity=0)
        coordinator = get_user_model().objects.create_user("bench-coordinator")
        patients = Patients()
        results = []
        for size in SIZES:
            protocol = protocol_of(size)
            start_queries, move_queries = count_queries(protocol, coordinator, patients())
            timings = []
            with override_settings(DEBUG=False):
                for _ in range(args.repeat):
                    timings.append(start_and_move(protocol, coordinator, patients()))
            milestones = protocol.courses.first().milestones.count()
            for action, queries, runs in (
                ("start course", start_queries, [start for start, _ in timings]),
                ("move Day Zero", move_queries, [move for _, move in timings]),
            ):
                times = [wall for wall, _, _ in runs]
                results.append(
                    {
                        "write": action,
                        "milestones": milestones,
                        "median_ms": round(statistics.median(times), 1),
                        "min_ms": round(min(times), 1),
                        "max_ms": round(max(times), 1),
                        "cpu_median_ms": round(statistics.median(cpu for _, cpu, _ in runs), 1),
                        "sql_median_ms": round(statistics.median(sql for _, _, sql in runs), 1),
                        "queries": queries,
                    }
                )
            if args.profile and size == max(SIZES):
                with override_settings(DEBUG=False):
                    profile(protocol, coordinator, patients())

        print(
            f"\nWrites on SQLite {connection.Database.sqlite_version}, "
            f"warm-up then {args.repeat} runs each (DEBUG off):"
        )
        print(
            f"{'Write':15} {'milestones':>10} {'median ms':>10} {'min':>7} {'max':>7} "
            f"{'CPU':>7} {'SQL':>7} queries"
        )
        for row in results:
            print(
                f"{row['write']:15} {row['milestones']:10} {row['median_ms']:10.1f} "
                f"{row['min_ms']:7.1f} {row['max_ms']:7.1f} {row['cpu_median_ms']:7.1f} "
                f"{row['sql_median_ms']:7.1f} "
                f"{row['queries']:7}"
            )
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
        print(f"\nWritten to {args.json}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
