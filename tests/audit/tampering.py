"""Test-only helpers that get past the append-only triggers to simulate an attacker with DB access."""

from contextlib import contextmanager

from django.db import connection

from alliance.audit import triggers as sql


@contextmanager
def triggers_disabled():
    table = "audit_auditevent"
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            for statement in sql.SQLITE_DOWN:
                cursor.execute(statement)
        else:
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                for statement in sql.SQLITE_UP:
                    cursor.execute(statement)
            else:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
