"""Benchmark of the app's pages under gunicorn, as ratios to a bare logged-in view.

What it does: builds a scratch SQLite database (the follow-up list benchmark's 10,000 courses,
plus one course of about 300 milestones whose patient has a portal login and a calendar
feed), starts gunicorn on it with production settings (DEBUG off, 2 sync workers, WhiteNoise),
logs in a coordinator and the patient, and loads each page with a fixed number of concurrent
clients for a fixed time: with `wrk` when it is installed (`apt-get install wrk`), else with a
Python client at the same concurrency. For each page it prints requests/s, p50 and p99 in
milliseconds and the ratio of its mean server time (1 / requests per second) to the bare
view's, measured in the same run; it writes the same as JSON (`--json`). With DATABASE_URL
set it uses that PostgreSQL database instead of SQLite (emptied first: use a scratch one).

Run from the project root:

    .venv/bin/python bench/pages.py                         # 10,000 courses, 10 s a page
    .venv/bin/python bench/pages.py --courses 2000 --seconds 3   # a quicker look

Numbers are printed, never asserted. Run on a quiet machine; compare ratios, not times.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from http.client import HTTPConnection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from followup import ROOT, set_up  # noqa: E402

PORT = 8799
BIG_COURSE_DAYS = 290  # a daily step from Day -10: with the others, about 300 milestones


@dataclass
class Measure:
    name: str
    path: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    ratio: float = 0.0


def configure(database: Path | None, secret: str) -> None:
    """Django in this process, on the scratch database, with the server's secret key."""
    os.environ["SECRET_KEY"] = secret
    os.environ["DEBUG"] = "true"
    os.environ["DJANGO_SETTINGS_MODULE"] = "tracker.settings"
    if database is not None:
        os.environ.pop("DATABASE_URL", None)
        os.environ["SQLITE_PATH"] = str(database)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def big_course(coordinator, today: date):
    """A course of about 300 milestones whose patient has a portal login and a feed."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from tracker import roles, services
    from tracker.models import Patient, Protocol, ProtocolStep

    protocol = Protocol.objects.create(
        slug="bench-300",
        name="Benchmark, 300 milestones",
        kind="allogeneic",
        graft_source="pbsc",
        tracks_engraftment=True,
    )
    ProtocolStep.objects.create(
        protocol=protocol,
        key="daily",
        title="Daily check",
        day=-10,
        repeat_every_days=1,
        repeat_until_day=-10 + BIG_COURSE_DAYS - 1,
        checklist="Bloods\nObservations\nPlan",
    )
    for month in range(1, 11):
        ProtocolStep.objects.create(
            protocol=protocol,
            key=f"month-{month}",
            title=f"Month {month} review",
            months=month,
            checklist="Review",
        )
    login = get_user_model().objects.create_user("bench-patient", password="x")
    login.groups.add(Group.objects.get(name=roles.PATIENT))
    patient = Patient.objects.create(
        mrn="BENCH-300",
        given_name="Bench",
        family_name="Patient",
        date_of_birth=date(1970, 1, 1),
        user=login,
    )
    course = services.start_course(
        patient=patient, protocol=protocol, day_zero=today - timedelta(days=40), by=coordinator
    )
    return course, patient.renew_feed_token()


def session_cookie(user) -> str:
    """A logged-in session for `user`, made directly in the database the server reads."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"sessionid={session.session_key}"


def start_server(env: dict[str, str]) -> subprocess.Popen:
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    server = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/gunicorn"),
            "tracker.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            "2",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=1)
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    sys.exit("gunicorn did not start")


def load_with_python(path: str, cookie: str, seconds: float, clients: int) -> Measure:
    """`clients` threads requesting `path` for `seconds`: latencies and errors."""
    latencies: list[float] = []
    errors = [0]
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def client() -> None:
        mine, failed = [], 0
        while time.perf_counter() < stop:
            started = time.perf_counter()
            connection = HTTPConnection("127.0.0.1", PORT, timeout=30)
            connection.request("GET", path, headers={"Cookie": cookie})
            response = connection.getresponse()
            response.read()
            connection.close()
            mine.append((time.perf_counter() - started) * 1000)
            failed += response.status != 200
        with lock:
            latencies.extend(mine)
            errors[0] += failed

    threads = [threading.Thread(target=client) for _ in range(clients)]
    begun = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - begun
    latencies.sort()
    return Measure(
        name="",
        path=path,
        requests_per_second=len(latencies) / elapsed,
        p50_ms=statistics.median(latencies),
        p99_ms=latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        errors=errors[0],
    )


def one_at_a_time(path: str, cookie: str, repeat: int = 7) -> tuple[float, int]:
    """The median time of `repeat` requests made one after another, and the body's lines."""
    times, lines = [], 0
    for _ in range(repeat):
        started = time.perf_counter()
        connection = HTTPConnection("127.0.0.1", PORT, timeout=60)
        connection.request("GET", path, headers={"Cookie": cookie})
        body = connection.getresponse().read()
        connection.close()
        times.append((time.perf_counter() - started) * 1000)
        lines = body.count(b"\n")
    return statistics.median(times), lines


def load_with_wrk(path: str, cookie: str, seconds: float, clients: int) -> Measure:
    out = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{clients}",
            f"-d{max(1, round(seconds))}s",
            # wrk's default 2 s would drop the slow pages' answers (16 clients, 2 workers).
            "--timeout",
            "60s",
            "--latency",
            "-H",
            f"Cookie: {cookie}",
            f"http://127.0.0.1:{PORT}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def ms(text: str) -> float:
        for unit, factor in (("us", 0.001), ("ms", 1.0), ("s", 1000.0)):
            if text.endswith(unit):
                return float(text.removesuffix(unit)) * factor
        return float(text)

    lines = out.splitlines()
    p50 = next(line.split()[1] for line in lines if line.strip().startswith("50%"))
    p99 = next(line.split()[1] for line in lines if line.strip().startswith("99%"))
    rate = next(float(line.split()[1]) for line in lines if line.startswith("Requests/sec"))
    errors = sum(int(line.split()[-1]) for line in lines if "Non-2xx" in line)
    return Measure(
        name="", path=path, requests_per_second=rate, p50_ms=ms(p50), p99_ms=ms(p99), errors=errors
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--courses", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--json", default="bench/pages.json")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--reuse", metavar="DIR", help="a scratch directory kept by an earlier --keep run"
    )
    args = parser.parse_args()

    scratch = Path(args.reuse or tempfile.mkdtemp(prefix="tracker-bench-"))
    database = None if os.environ.get("DATABASE_URL") else scratch / "bench.sqlite3"
    secret = secrets.token_urlsafe(50)
    configure(database, secret)
    from tracker import clock

    today = clock.today()
    if args.reuse:
        from django.contrib.auth import get_user_model
        from django.core.management import call_command

        from tracker.models import Patient

        args.keep = True
        call_command("migrate", verbosity=0)  # a migration added since applies
        coordinator = get_user_model().objects.get(username="bench-coordinator")
        patient = Patient.objects.get(mrn="BENCH-300")
        course = patient.courses.get()
        token = patient.renew_feed_token()
    else:
        coordinator = set_up(args.courses, args.seed, today)
        course, token = big_course(coordinator, today)
    print(f"Course of {course.milestones.count()} milestones: /courses/{course.code}/")
    staff = session_cookie(coordinator)
    patient = session_cookie(course.patient.user)

    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": secret,
        "BENCHMARK_VIEWS": "true",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "BEHIND_TLS_PROXY": "false",
    }
    # Parts of course pages, patients' plans and feeds are kept in the cache: a page loaded
    # again and again is the repeated view. The first view is measured on a second server that
    # keeps nothing (FRAGMENT_CACHE_ENTRIES=0), against its own bare view.
    cached = [
        ("bare view, logged in", "/bench/bare/", staff),
        ("course page, 300 milestones (repeated view)", f"/courses/{course.code}/", staff),
        ("course page ?show=next30 (repeated view)", f"/courses/{course.code}/?show=next30", staff),
        ("follow-up list, first page", "/follow-up/", staff),
        ("this week", "/follow-up/week/", staff),
        ("CSV export", "/follow-up/export.csv", staff),
        ("immune recovery list, first page", "/immune-recovery/", staff),
        ("immune recovery CSV", "/immune-recovery/export.csv", staff),
        ("registry worklist, first page", "/registry/", staff),
        ("Today, first page", "/today/", staff),
        ("registry CSV, every form", "/registry/export.csv?show=all", staff),
        ("patient page /me/ (repeated view)", "/me/", patient),
        ("calendar feed (repeated poll)", f"/feeds/{token}.ics", ""),
    ]
    first = [
        ("bare view, logged in (no cache)", "/bench/bare/", staff),
        ("course page, 300 milestones (first view)", f"/courses/{course.code}/", staff),
        ("patient page /me/ (first view)", "/me/", patient),
        ("calendar feed (first poll)", f"/feeds/{token}.ics", ""),
    ]
    load = load_with_wrk if shutil.which("wrk") else load_with_python
    results = []
    for pages, extra in ((cached, {}), (first, {"FRAGMENT_CACHE_ENTRIES": "0"})):
        server = start_server({**env, **extra})
        measured = []
        try:
            for name, path, cookie in pages:
                load(path, cookie, 1, 2)  # warm up
                measure = load(path, cookie, args.seconds, args.clients)
                measure.name = name
                measured.append(measure)
            if not extra:  # the CSV's target is a time: one download at a time
                csv_ms, csv_lines = one_at_a_time("/follow-up/export.csv", staff)
        finally:
            server.terminate()
            server.wait(timeout=30)
        bare = measured[0].requests_per_second
        for measure in measured:
            rate = measure.requests_per_second
            measure.ratio = bare / rate if rate else float("inf")  # no answer in the time given
        results += measured
    print(
        f"\n{'Page':46} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'× bare':>7} errors"
        f"   ({load.__name__.removeprefix('load_with_')}, {args.clients} clients)"
    )
    for measure in results:
        print(
            f"{measure.name:46} {measure.requests_per_second:8.1f} {measure.p50_ms:8.1f} "
            f"{measure.p99_ms:8.1f} {measure.ratio:7.1f} {measure.errors:6}"
        )
    print(f"\nCSV export of {csv_lines - 1} rows, one download at a time: {csv_ms:.0f} ms (median)")
    summary = {
        "pages": [asdict(m) for m in results],
        "csv": {"rows": csv_lines - 1, "median_ms": round(csv_ms, 1)},
    }
    Path(args.json).write_text(json.dumps(summary, indent=2))
    print(f"\nWritten to {args.json}")
    if args.keep:
        print(f"Scratch database kept in {scratch}")
    else:
        shutil.rmtree(scratch, ignore_errors=True)
    if any(m.errors for m in results):
        sys.exit("Some requests did not answer 200.")


if __name__ == "__main__":
    main()
