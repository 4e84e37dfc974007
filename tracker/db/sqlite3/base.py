"""Django's SQLite backend, told the real limit on SQL variables of the SQLite it runs on.

Django 5.2 assumes SQLite's old compile-time default of 999 variables a statement, so
bulk_create and bulk_update split a course of 300 milestones into several statements each.
SQLite 3.32 and later allow 32,766 by default (Debian's build: 250,000). Django 6.0 reads the
limit from the connection; this backend does the same until the project moves to Django 6.
It also asks for the SQLite the course services need. Use it as ENGINE "tracker.db.sqlite3";
everything else is Django's own backend.
"""

import sqlite3

from django.db.backends.sqlite3 import base, features


class DatabaseFeatures(features.DatabaseFeatures):
    # What the course services need: bulk_create returning the new primary keys (RETURNING,
    # 3.35) and UPDATE ... FROM (3.33). Django refuses to connect to an older SQLite.
    minimum_database_version = (3, 35)

    # A class attribute in Django 5.2, a property like this one in Django 6.0.
    @property
    def max_query_params(self) -> int:  # type: ignore[override]
        """The open connection's limit (lowered at run time with setlimit, if ever)."""
        self.connection.ensure_connection()
        connection: sqlite3.Connection = self.connection.connection
        return connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
