"""Make the audit table append-only in the database itself.

Triggers refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL), so not even a
bug or a raw SQL session of the application can rewrite the trail.
"""

from django.db import migrations

from alliance.audit.triggers import (
    POSTGRES_DOWN_0002 as POSTGRES_DOWN,
)
from alliance.audit.triggers import (
    POSTGRES_UP_0002 as POSTGRES_UP,
)
from alliance.audit.triggers import (
    SQLITE_DOWN_0002 as SQLITE_DOWN,
)
from alliance.audit.triggers import (
    SQLITE_UP_0002 as SQLITE_UP,
)


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor)
        if statements is None:
            raise RuntimeError(f"no append-only triggers for {schema_editor.connection.vendor}")
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}),
        )
    ]
