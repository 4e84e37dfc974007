"""tracker.db.sqlite3: Django's SQLite backend with the connection's own limit on variables."""

import sqlite3

import pytest
from django.db import connection

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="the SQLite backend only"),
]


def test_the_limit_on_variables_is_the_connections_not_djangos_999():
    connection.ensure_connection()
    limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    assert limit > 999  # SQLite 3.32 and later: 32,766 unless built otherwise
    assert connection.features.max_query_params == limit


def test_a_limit_lowered_on_the_connection_is_followed():
    connection.ensure_connection()
    raw = connection.connection
    before = raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 100)
    try:
        assert connection.features.max_query_params == 100
    finally:
        raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, before)
