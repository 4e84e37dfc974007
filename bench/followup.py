"""Benchmark of the 100-day follow-up list (issue 4, "Speed").

What it measures: the server time of the follow-up list's first page (`/follow-up/`), two
filtered pages (kind + overdue only + sorted by overdue; a search by part of a name, as a
full page and as the htmx fragment typing fetches), the "this week" view, the staff's Today
page (its first and last page of patients) and the CSV export
(the whole streamed body read), each with Django's test client logged in as a coordinator.
That is the whole request inside Django (middleware, session, queries, template or CSV
rendering) without the network or a browser. Each request is warmed up once, then timed
`--repeat` times (the CSV `--csv-repeat` times); the table shows the median, min and max in
milliseconds, the median as a multiple of a bare logged-in view's (`/bench/bare/`, the
yardstick of bench/pages.py, measured first in the same run), the SQL queries per request
and the rows returned.

The data: a scratch SQLite database in a temporary directory (never the project's
db.sqlite3), or with DATABASE_URL set that PostgreSQL database (a scratch one: the run refuses
a database that already has courses unless `--reuse` is given), migrated, with the protocol
library loaded and
`--courses` courses (10,000 by default) on the seven real protocols, with their milestones and
checklist items. Day Zero is spread evenly from about 3 years ago to 3 weeks ahead, so there
are courses in conditioning, around Day 0, in the 100-day window, past Day +100 with the
Day-100 evaluation done or not, and later. Past milestones are mostly done (some courses
leave some undone, so they are overdue); the Day-100 evaluation is done for most courses past
Day +115. The data is deterministic (`--seed`).

Run from the project root (DEBUG is set to true for the run):

    .venv/bin/python bench/followup.py
    .venv/bin/python bench/followup.py --courses 10000 --repeat 20 --csv-repeat 5

`--explain` also prints the first page's queries with their times and the plan of the slow
ones (SQLite's EXPLAIN QUERY PLAN, or PostgreSQL's EXPLAIN ANALYZE with its buffers);
`--keep` keeps the scratch database and says where it is, and `--reuse DIR` measures again
on it (migrated first, so a new migration applies) without the set-up. On PostgreSQL the
data stays in the database: `--reuse` alone measures it again.

    DATABASE_URL=postgres://tracker@127.0.0.1:5432/bench .venv/bin/python bench/followup.py
    DATABASE_URL=postgres://tracker@127.0.0.1:5432/bench .venv/bin/python bench/followup.py \
        --reuse --explain

Timings are printed, never asserted: this is a benchmark, not a test. It exits non-zero if a
request answers with anything other than 200.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Day Zero of the courses: evenly from PAST_DAYS ago to FUTURE_DAYS ahead.
PAST_DAYS = 3 * 365
FUTURE_DAYS = 21
# Courses created per batch (their milestones and checklist items are kept in memory).
BATCH = 250
# A share of courses leaves some past milestones undone (overdue); the others did everything.
SLOPPY_COURSES = 0.3
LEFT_UNDONE = 0.15
# The Day-100 evaluation: done for most courses past its window (Day +115), for some inside it.
DAY_100_DONE_AFTER_WINDOW = 0.85
DAY_100_DONE_IN_WINDOW = 0.4

SEARCH = "lind"  # part of three of the family names below
# Invented names; SIM905 would have these as lists of quoted words, which read worse.
GIVEN_NAMES = (  # noqa: SIM905
    "Alex Sam Jo Priya Morgan Chris Ada Ben Carla Dev Elif Femi Grace Hana Ivan Jun Kofi Lena "
    "Mateo Nia Omar Pia Quinn Rosa Tariq Uma Viktor Wen Yara Zoe"
).split()
FAMILY_NAMES = (  # noqa: SIM905
    "Rivera Okafor Lindqvist Nair Hughes Baptiste Andersen Brennan Chowdhury Dubois Eriksen "
    "Fischer Garcia Haddad Ivanova Jensen Kowalski Lindgren Moreau Nakamura Olsen Petrov Quispe "
    "Rossi Sato Takahashi Umar Varga Walsh Xu Yilmaz Zielinski Lindsay Mbeki Novak"
).split()


def configure(db_path: Path | None) -> None:
    """Point Django at the scratch database, then set it up. Must run before any model import.

    `db_path` is the scratch SQLite file, or None for the PostgreSQL database of DATABASE_URL.
    """
    if db_path is not None:
        os.environ["SQLITE_PATH"] = str(db_path)
        os.environ.pop("DATABASE_URL", None)
    os.environ["DEBUG"] = "true"
    os.environ["BENCHMARK_VIEWS"] = "true"  # the bare logged-in view, the yardstick
    os.environ["DJANGO_SETTINGS_MODULE"] = "tracker.settings"
    sys.path.insert(0, str(ROOT))
    import django
    from django.conf import settings

    django.setup()
    database = settings.DATABASES["default"]
    if db_path is None:
        if database["ENGINE"] != "django.db.backends.postgresql":
            sys.exit(f"Refusing to run: DATABASE_URL is not PostgreSQL ({database['ENGINE']}).")
    elif database["ENGINE"] != "tracker.db.sqlite3" or database["NAME"] != str(db_path):
        sys.exit(f"Refusing to run: the database is not the scratch one ({database['NAME']}).")


# --- Set-up -------------------------------------------------------------------------------


@dataclass
class ProtocolPlan:
    """A protocol with what planning a course on it needs, read once."""

    protocol: object
    steps: dict  # key -> ProtocolStep
    rules: list


def load_protocols() -> list[ProtocolPlan]:
    from tracker.models import Protocol

    plans = []
    for protocol in Protocol.objects.prefetch_related("steps").order_by("slug"):
        steps = {step.key: step for step in protocol.steps.all()}
        plans.append(ProtocolPlan(protocol, steps, [step.rule() for step in steps.values()]))
    return plans


def completed_on(planned, *, is_day_100: bool, sloppy: bool, today: date, rng) -> date | None:
    """When this planned milestone was done, or None if it is still pending."""
    if is_day_100:
        if today > planned.window_end:
            done = rng.random() < DAY_100_DONE_AFTER_WINDOW
        elif today >= planned.window_start:
            done = rng.random() < DAY_100_DONE_IN_WINDOW
        else:
            return None
        if not done:
            return None
        last = min(today, planned.window_end)
        return planned.window_start + timedelta(rng.randint(0, (last - planned.window_start).days))
    if planned.due_date >= today or (sloppy and rng.random() < LEFT_UNDONE):
        return None
    return planned.due_date


def create_courses(count: int, user, today: date, seed: int) -> Counter:
    """Create `count` patients, each with one course, its milestones and checklist items.

    This does what services.start_course does, in bulk: start_course creates one course at a
    time with a history row per milestone and checklist item, far too slow for 10,000 courses.
    The benchmark skips the history rows (django-simple-history); the list never reads them.
    """
    from django.db import transaction
    from django.utils import timezone

    from tracker.models import ChecklistItem, Milestone, Patient, TransplantCourse
    from tracker.models.courses import BOOKKEEPING
    from tracker.rules import schedule

    rng = random.Random(seed)
    plans = load_protocols()
    phases: Counter = Counter()
    noon = {}  # completion date -> an aware datetime on it, for completed_at and checked_at

    def moment(day: date) -> datetime:
        if day not in noon:
            noon[day] = timezone.make_aware(datetime(day.year, day.month, day.day, 12))
        return noon[day]

    span = PAST_DAYS + FUTURE_DAYS
    with transaction.atomic():
        for start in range(0, count, BATCH):
            numbers = range(start, min(start + BATCH, count))
            patients = Patient.objects.bulk_create(
                Patient(
                    mrn=f"BENCH-{n:06d}",
                    given_name=rng.choice(GIVEN_NAMES),
                    family_name=rng.choice(FAMILY_NAMES),
                    date_of_birth=date(rng.randint(1945, 2005), rng.randint(1, 12), 1),
                )
                for n in numbers
            )
            courses = []
            for n, patient in zip(numbers, patients, strict=True):
                plan = plans[n % len(plans)]
                day_zero = today + timedelta(FUTURE_DAYS - round(n * span / max(count - 1, 1)))
                phases[schedule.phase_of(today, day_zero).label] += 1
                courses.append(
                    TransplantCourse(
                        patient=patient,
                        protocol=plan.protocol,
                        kind=plan.protocol.kind,
                        graft_source=plan.protocol.graft_source,
                        donor_type=plan.protocol.donor_type,
                        day_zero=day_zero,
                        day_zero_confirmed=day_zero <= today,
                        created_by=user,
                    )
                )
            TransplantCourse.objects.bulk_create(courses)

            milestones, checklists = [], []
            for n, course in zip(numbers, courses, strict=True):
                plan = plans[n % len(plans)]
                sloppy = rng.random() < SLOPPY_COURSES
                for planned in schedule.plan(course.day_zero, plan.rules):
                    step = plan.steps[planned.key]
                    done = completed_on(
                        planned,
                        is_day_100=step.is_day_100_evaluation,
                        sloppy=sloppy,
                        today=today,
                        rng=rng,
                    )
                    milestones.append(
                        Milestone(
                            course_id=course.pk,
                            step_id=step.pk,
                            occurrence=planned.occurrence,
                            due_date=planned.due_date,
                            window_start=planned.window_start,
                            window_end=planned.window_end,
                            completed_on=done,
                            completed_by_id=user.pk if done else None,
                            completed_at=moment(done) if done else None,
                        )
                    )
                    checklists.append(step.checklist_items)
            Milestone.objects.bulk_create(milestones)  # SQLite returns the new primary keys

            # What services.start_course keeps on the course: the plan's first date and its
            # Day-100 milestone with the milestone's dates.
            by_course: dict[int, list[Milestone]] = {}
            for milestone in milestones:
                by_course.setdefault(milestone.course_id, []).append(milestone)
            day_100_steps = {
                step.pk
                for plan in plans
                for step in plan.steps.values()
                if step.is_day_100_evaluation
            }
            for course in courses:
                planned = by_course.get(course.pk, [])
                first = min((m.due_date for m in planned), default=course.day_zero)
                course.starts_on = min(first, course.day_zero)
                day_100 = next((m for m in planned if m.step_id in day_100_steps), None)
                if day_100 is not None:
                    course.day_100_milestone_id = day_100.pk
                    course.day_100_due = day_100.due_date
                    course.day_100_window_start = day_100.window_start
                    course.day_100_window_end = day_100.window_end
                    course.day_100_done_on = day_100.completed_on
            TransplantCourse.objects.bulk_update(courses, BOOKKEEPING)
            registry_forms(courses, today=today, rng=rng)

            ChecklistItem.objects.bulk_create(
                ChecklistItem(
                    milestone_id=milestone.pk,
                    text=text,
                    position=position,
                    checked_at=moment(milestone.completed_on) if milestone.completed_on else None,
                    checked_by_id=milestone.completed_by_id,
                )
                for milestone, items in zip(milestones, checklists, strict=True)
                for position, text in enumerate(items)
            )
    return phases


def registry_forms(courses: list, *, today: date, rng: random.Random) -> None:
    """What services.start_course plans for the registry; most forms past due submitted."""
    from django.conf import settings

    from tracker.models import RegistryReport
    from tracker.rules import registry

    reports = []
    for course in courses:
        if course.kind == "procedure":
            continue
        for position, form in enumerate(
            registry.registry_forms(course.day_zero, settings.REGISTRY_RULES)
        ):
            submitted = form.due < today and rng.random() < 0.8
            reports.append(
                RegistryReport(
                    course_id=course.pk,
                    key=form.key,
                    position=position,
                    target=form.target,
                    window_start=form.window_start,
                    window_end=form.window_end,
                    due=form.due,
                    status="submitted" if submitted else "not_started",
                    submitted_on=min(form.due, today) if submitted else None,
                )
            )
    RegistryReport.objects.bulk_create(reports, batch_size=2000)


def set_up(courses: int, seed: int, today: date):
    """Migrate, load the protocols, create the coordinator and the courses; print the counts."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.test import override_settings

    from tracker import roles
    from tracker.models import TransplantCourse

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    if TransplantCourse.objects.exists():
        sys.exit("Refusing to run: the database already has courses (use a scratch one).")
    call_command("load_protocols", verbosity=0)
    user = get_user_model().objects.create_user("bench-coordinator", first_name="Bench")
    user.groups.add(Group.objects.get(name=roles.COORDINATOR))
    migrated = time.perf_counter()
    # DEBUG's query log would format every parameter of every bulk insert; the set-up does
    # not need it (the requests below run with DEBUG on).
    with override_settings(DEBUG=False):
        phases = create_courses(courses, user, today, seed)
    done = time.perf_counter()
    print(
        f"Set-up: {done - started:.1f} s (migrate and protocols {migrated - started:.1f} s, "
        f"{courses:,} courses {done - migrated:.1f} s)"
    )
    describe(today)
    print("Courses by phase today: " + ", ".join(f"{n:,} {p}" for p, n in phases.items()))
    return user


def reuse(today: date):
    """The data of an earlier run, migrated (a new migration applies); its coordinator."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    describe(today)
    return get_user_model().objects.get(username="bench-coordinator")


def describe(today: date) -> None:
    from tracker.models import ChecklistItem, Milestone, TransplantCourse

    milestones = Milestone.objects.all()
    print(
        f"Rows: {TransplantCourse.objects.count():,} courses, {milestones.count():,} milestones "
        f"({milestones.filter(completed_on__isnull=False).count():,} done, "
        f"{milestones.overdue(today).count():,} overdue), "
        f"{ChecklistItem.objects.count():,} checklist items"
    )


# --- Measurement --------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    url: str
    times_ms: list[float]
    queries: list[dict]  # the warm-up's queries: sql and time (seconds, as text)
    rows: str


def fetch(client, url: str, headers: dict) -> tuple[int, str, float]:
    """One request, body read to the end; returns the status, the body and the milliseconds."""
    started = time.perf_counter()
    response = client.get(url, headers=headers)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    elapsed = (time.perf_counter() - started) * 1000
    return response.status_code, body.decode(), elapsed


def count_rows(url: str, body: str) -> str:
    """Rows in the answer: data lines of the CSV; rows on the page and patients matching."""
    if "/bench/" in url:
        return ""
    if "export.csv" in url:
        return f"{body.count(chr(10)) - 1:,}"
    if "/week/" in url:
        count = re.search(r'class="meta">(\d+) visit', body)
        return f"{int(count[1]):,} milestones" if count else "?"
    table = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in body else ""
    matching = re.search(r'role="status">(\d+) patient', body)
    return f"{table.count('<tr>')} of {int(matching[1]):,}" if matching else "?"


def measure(client, name: str, url: str, repeat: int, headers: dict | None = None) -> Result:
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    headers = headers or {}
    reset_queries()  # with DEBUG on the log keeps at most 9,000 queries; the set-up filled it
    with CaptureQueriesContext(connection) as queries:  # the warm-up, counting its queries
        status, body, _ = fetch(client, url, headers)
    if status != 200:
        sys.exit(f"{name}: {url} answered {status}")
    times = []
    for _ in range(repeat):
        status, _, elapsed = fetch(client, url, headers)
        if status != 200:
            sys.exit(f"{name}: {url} answered {status}")
        times.append(elapsed)
    return Result(name, url, times, queries.captured_queries, count_rows(url, body))


def print_table(results: list[Result]) -> None:
    header = ("Request", "URL", "median ms", "min ms", "max ms", "× bare", "queries", "rows")
    bare = statistics.median(results[0].times_ms)
    lines = [
        (
            r.name,
            r.url,
            f"{statistics.median(r.times_ms):.1f}",
            f"{min(r.times_ms):.1f}",
            f"{max(r.times_ms):.1f}",
            f"{statistics.median(r.times_ms) / bare:.1f}",
            str(len(r.queries)),
            r.rows,
        )
        for r in results
    ]
    widths = [max(len(line[i]) for line in [header, *lines]) for i in range(len(header))]
    for line in [header, *lines]:
        print(
            "  ".join(
                cell.ljust(width) if i < 2 else cell.rjust(width)
                for i, (cell, width) in enumerate(zip(line, widths, strict=True))
            )
        )


def run(args: argparse.Namespace) -> None:
    from django.test import Client

    from tracker import clock

    today = clock.today()
    if args.reuse is not None:
        print(f"Follow-up list benchmark, {today.isoformat()}, on the data of an earlier run")
        user = reuse(today)
    else:
        print(f"Follow-up list benchmark, {today.isoformat()}, {args.courses:,} courses")
        user = set_up(args.courses, args.seed, today)
    # An allowed host with DEBUG on; a server error comes back as a 500, not as an exception.
    client = Client(SERVER_NAME="localhost", raise_request_exception=False)
    client.force_login(user)
    htmx = {"HX-Request": "true"}
    filtered = "/follow-up/?kind=allogeneic&overdue=on&sort=overdue"
    search = f"/follow-up/?q={SEARCH}"
    results = [
        measure(client, "bare view, logged in", "/bench/bare/", args.repeat),
        measure(client, "first page", "/follow-up/", args.repeat),
        measure(client, "filtered", filtered, args.repeat),
        measure(client, "search", search, args.repeat),
        measure(client, "search (htmx rows)", search, args.repeat, htmx),
        measure(client, "this week", "/follow-up/week/", args.repeat),
        measure(client, "Today, first page", "/today/", args.repeat),
        measure(client, "Today, last page", "/today/?page=last", args.repeat),
        measure(client, "CSV export", "/follow-up/export.csv", args.csv_repeat),
    ]
    print(
        f"\nServer time (Django test client), warm-up then {args.repeat} runs "
        f"({args.csv_repeat} for the CSV):"
    )
    print_table(results)
    if args.explain:
        explain(results[1])


def explain(result: Result) -> None:
    """Each query of a request with its time, and the database's plan of the slow ones."""
    from django.db import connection

    print(f"\nQueries of the {result.name} ({result.url}) in its warm-up:")
    for query in result.queries:
        print(f"{float(query['time']) * 1000:8.1f} ms  {query['sql'][:90]}")
    # Queries of 10 ms or more (or else the slowest); the logged SQL has its parameters
    # quoted in (DEBUG), so it runs as it is.
    slow = [query for query in result.queries if float(query["time"]) >= 0.01]
    for query in slow or [max(result.queries, key=lambda query: float(query["time"]))]:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                print(f"\nEXPLAIN (ANALYZE, BUFFERS) of {query['sql'][:60]}...")
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
                for (line,) in cursor.fetchall():
                    print("  " + line)
                continue
            print(f"\nEXPLAIN QUERY PLAN of {query['sql'][:60]}...")
            depth = {0: -1}
            cursor.execute("EXPLAIN QUERY PLAN " + query["sql"])
            for node, parent, _, detail in cursor.fetchall():
                depth[node] = depth.get(parent, -1) + 1
                print("  " * depth[node] + detail)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--courses", type=int, default=10_000, help="courses to create")
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per page")
    parser.add_argument("--csv-repeat", type=int, default=5, help="timed runs of the CSV")
    parser.add_argument("--seed", type=int, default=4, help="seed of the invented data")
    parser.add_argument(
        "--keep", action="store_true", help="keep the scratch database and print where it is"
    )
    parser.add_argument(
        "--reuse",
        nargs="?",
        const="",
        metavar="DIR",
        help="measure the data of an earlier run: the directory --keep kept (SQLite), or "
        "nothing with DATABASE_URL",
    )
    parser.add_argument(
        "--explain", action="store_true", help="show the first page's queries and a query plan"
    )
    args = parser.parse_args()
    if args.courses < 1 or args.repeat < 1 or args.csv_repeat < 1:
        parser.error("--courses, --repeat and --csv-repeat must be at least 1")
    if os.environ.get("DATABASE_URL"):
        configure(None)  # PostgreSQL: the data stays in its database
        run(args)
        return
    if args.reuse == "":
        parser.error("--reuse needs the directory an earlier --keep run kept")
    scratch = args.reuse or tempfile.mkdtemp(prefix="followup-bench-")
    try:
        configure(Path(scratch) / "bench.sqlite3")
        run(args)
    finally:
        if args.keep or args.reuse:
            print(f"\nThe scratch database is kept in {scratch}")
        else:
            from django.db import connections

            connections.close_all()
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
