"""Migration helper: encrypt the rows a column held in plaintext before it became encrypted."""

import uuid
from collections.abc import Callable
from typing import Any

from alliance.vault import crypto, keyring


def encrypt_existing_rows(
    app_label: str,
    model_name: str,
    field_name: str,
    *,
    school_column: str = "school_id",
    row_id_column: str = "public_id",
) -> Callable[[Any, Any], None]:
    """A ``RunPython`` function sealing every non-empty plaintext value of one column.

    Reads and writes through the migration's connection with plain SQL (the historical
    model's field would refuse plaintext), and takes keys from the historical ``SchoolKey``.
    Values already in the ``alx1:`` format are left alone, so it can run twice.
    """

    def forwards(apps: Any, schema_editor: Any) -> None:
        model = apps.get_model(app_label, model_name)
        key_model = apps.get_model("vault", "SchoolKey")
        connection = schema_editor.connection
        using = connection.alias
        quote = connection.ops.quote_name
        table = quote(model._meta.db_table)
        column = quote(model._meta.get_field(field_name).column)
        label = f"{app_label}.{model._meta.object_name}"
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT id, {quote(school_column)}, {quote(row_id_column)}, {column} "  # noqa: S608
                f"FROM {table}"
            )
            rows = cursor.fetchall()
        for pk, school_id, row_id, value in rows:
            if not value or str(value).startswith(crypto.PREFIX):
                continue
            key = keyring.primary_key(school_id, using=using, model=key_model)
            try:  # the model's str(public_id): SQLite stores UUIDs as 32 hex digits
                row_text = str(uuid.UUID(str(row_id)))
            except ValueError:
                row_text = str(row_id)
            token = crypto.seal(
                key.aead,
                str(value),
                key_id=key.key_id,
                aad=crypto.value_aad(
                    key_id=key.key_id,
                    school_id=school_id,
                    label=label,
                    field=field_name,
                    row_id=row_text,
                ),
            )
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET {column} = %s WHERE id = %s",  # noqa: S608
                    [token, pk],
                )

    return forwards
