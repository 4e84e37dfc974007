"""Backups restore: `sqlite3 .backup` for the embedded database, `pg_dump` for PostgreSQL.

Run on whichever database the suite runs on (make test: SQLite; make test-postgres:
PostgreSQL), with real data committed, the way the README says to do it in production.
"""

import os
import shutil
import sqlite3
import subprocess
import uuid

import pytest
from django.db import connection

from tracker.models import BloodCount, CourseEvent, Milestone, TransplantCourse

pytestmark = pytest.mark.django_db(transaction=True)

TABLES = [TransplantCourse, Milestone, BloodCount, CourseEvent]


def live_counts():
    return {model._meta.db_table: model.objects.count() for model in TABLES}


@pytest.fixture
def data(course, coordinator, today):
    BloodCount.objects.create(course=course, drawn_on=today, anc=1, entered_by=coordinator)
    return live_counts()


def test_a_backup_restores_every_row(data, tmp_path):
    """On the database the suite runs on (no skip: each leg checks its own)."""
    restore = {"sqlite": sqlite_backup_and_restore, "postgresql": pg_dump_and_restore}
    assert restore[connection.vendor](data, tmp_path) == data


def sqlite_backup_and_restore(data, tmp_path):
    live = connection.settings_dict["NAME"]
    backup = tmp_path / "backup.sqlite3"
    if shutil.which("sqlite3"):
        subprocess.run(["sqlite3", live, f".backup {backup}"], check=True, timeout=60)
    else:  # the same online backup, through Python's binding of SQLite's backup API
        with sqlite3.connect(live) as source, sqlite3.connect(backup) as target:
            source.backup(target)
    restored = tmp_path / "restored.sqlite3"
    shutil.copy(backup, restored)
    with sqlite3.connect(restored) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in data}


def pg_dump_and_restore(data, tmp_path):
    bin_dir = os.environ.get("PG_BIN", "")
    tool = lambda name: os.path.join(bin_dir, name) if bin_dir else name  # noqa: E731
    settings = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": settings.get("PASSWORD") or ""}
    server = ["-h", settings["HOST"] or "127.0.0.1", "-p", str(settings["PORT"] or 5432)]
    server += ["-U", settings["USER"]]
    dump = tmp_path / "tracker.dump"
    subprocess.run(
        [tool("pg_dump"), *server, "-Fc", "-f", str(dump), settings["NAME"]],
        check=True,
        env=env,
        timeout=120,
    )
    restored = f"restore_{uuid.uuid4().hex[:8]}"
    subprocess.run([tool("createdb"), *server, restored], check=True, env=env, timeout=60)
    try:
        subprocess.run(
            [tool("pg_restore"), *server, "--no-owner", "-d", restored, str(dump)],
            check=True,
            env=env,
            timeout=120,
        )
        counts = {}
        for table in data:
            result = subprocess.run(
                [tool("psql"), *server, "-d", restored, "-tAc", f"SELECT count(*) FROM {table}"],
                check=True,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            counts[table] = int(result.stdout.strip())
    finally:
        subprocess.run([tool("dropdb"), *server, restored], env=env, timeout=60)
    return counts
