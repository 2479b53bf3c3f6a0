"""Encryption at rest (SECURITY.md §19): ciphertext in raw SQL, rotation, failing closed."""

import base64
import io
import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.urls import reverse

from alliance.audit.models import AuditEvent
from alliance.cases.models import CaseNote
from alliance.vault import crypto, keyring, services
from alliance.vault.fields import Sealed
from alliance.vault.models import SchoolKey
from tests import factories
from tests.conftest import adhered, login
from tests.vault.conftest import NOTE_MARKER, make_case, write_note

pytestmark = pytest.mark.django_db


def raw_bodies() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM cases_casenote ORDER BY id")
        return [row[0] for row in cursor.fetchall()]


def another_master_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def fresh(note):
    return CaseNote.objects.get(pk=note.pk)


# ---------------------------------------------------------------------------- at rest
def test_raw_sql_shows_only_ciphertext(note, school):
    [stored] = raw_bodies()
    assert NOTE_MARKER not in stored
    assert NOTE_MARKER.encode().hex() not in stored
    key = SchoolKey.objects.get(school=school, is_primary=True)
    assert stored.startswith(f"alx1:{key.key_id}:")
    assert fresh(note).body == NOTE_MARKER
    # Nothing else in the database holds the marker either (audit events, case history…).
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                assert not any(NOTE_MARKER in str(cell) for cell in row), table


def test_the_master_key_is_not_in_the_database(note):
    master = settings.ALLIANCE_MASTER_KEY
    with connection.cursor() as cursor:
        cursor.execute("SELECT wrapped_key, master_key_id FROM vault_schoolkey")
        for wrapped, master_id in cursor.fetchall():
            assert master not in wrapped and master not in master_id


def test_two_writes_of_the_same_text_differ(case, cpe):
    write_note(case, cpe, "même texte")
    write_note(case, cpe, "même texte")
    first, second = raw_bodies()
    assert first != second


def test_values_list_gives_sealed_values_that_refuse_to_become_text(note):
    [value] = CaseNote.objects.values_list("body", flat=True)
    assert isinstance(value, Sealed)
    with pytest.raises(crypto.DecryptionError):
        str(value)


def test_update_and_lookups_on_the_content_are_refused(note):
    with pytest.raises(crypto.PlaintextWriteRefusedError), transaction.atomic():
        CaseNote.objects.filter(pk=note.pk).update(body="en clair")
    with pytest.raises(crypto.PlaintextWriteRefusedError), transaction.atomic():
        CaseNote.objects.filter(body=NOTE_MARKER).exists()
    assert raw_bodies()[0].startswith("alx1:")


def test_editing_a_note_reseals_it(note):
    loaded = fresh(note)
    loaded.body = "nouveau texte"
    loaded.save()
    assert "nouveau texte" not in raw_bodies()[0]
    assert fresh(note).body == "nouveau texte"


def test_each_school_has_its_own_key(case, cpe, other_school):
    write_note(case, cpe)
    head_b = adhered(factories.MembershipFactory(school=other_school, head=True))
    cpe_b = adhered(factories.MembershipFactory(school=other_school, cpe=True))
    case_b = make_case(head_b, cpe_b, factories.PupilFactory(school=other_school))
    write_note(case_b, cpe_b)
    keys = {k.school_id: k.key_id for k in SchoolKey.objects.filter(is_primary=True)}
    assert len(set(keys.values())) == 2
    assert {body.split(":")[1] for body in raw_bodies()} == set(keys.values())


# ---------------------------------------------------------------------------- fail closed
def _swap_body(note, stored):
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_casenote SET body = %s WHERE id = %s", [stored, note.pk])


def test_wrong_master_key_fails_closed(note, settings):
    settings.ALLIANCE_MASTER_KEY = another_master_key()
    loaded = fresh(note)
    with pytest.raises(crypto.WrongMasterKeyError, match="wrapped by master key"):
        _ = loaded.body


def test_wrong_master_key_fails_even_with_the_key_cached(note, settings):
    assert fresh(note).body == NOTE_MARKER  # the key is now in the process cache
    settings.ALLIANCE_MASTER_KEY = another_master_key()
    with pytest.raises(crypto.DecryptionError):
        _ = fresh(note).body


def test_the_master_key_id_cannot_be_forged(note, settings):
    """Even with the stored fingerprint rewritten, the wrong key does not unwrap (AES-GCM)."""
    wrong = another_master_key()
    settings.ALLIANCE_MASTER_KEY = wrong
    SchoolKey.objects.update(master_key_id=crypto.master_key_id(crypto.parse_master_key(wrong)))
    with pytest.raises(crypto.DecryptionError, match="does not open"):
        _ = fresh(note).body


def test_tampered_ciphertext_fails_closed(note):
    stored = raw_bodies()[0]
    head, payload = stored.rsplit(":", 1)
    raw = bytearray(base64.urlsafe_b64decode(payload))
    raw[-1] ^= 1
    _swap_body(note, f"{head}:{base64.urlsafe_b64encode(bytes(raw)).decode()}")
    with pytest.raises(crypto.DecryptionError, match="does not decrypt"):
        _ = fresh(note).body


def test_a_ciphertext_moved_to_another_row_fails(case, cpe):
    first = write_note(case, cpe, "premier")
    second = write_note(case, cpe, "second")
    _swap_body(second, raw_bodies()[0])
    assert fresh(first).body == "premier"
    with pytest.raises(crypto.DecryptionError):
        _ = fresh(second).body


def test_plaintext_left_in_the_column_fails(note):
    _swap_body(note, "du texte en clair")
    with pytest.raises(crypto.DecryptionError, match="not Alliance ciphertext"):
        _ = fresh(note).body


def test_the_case_page_shows_an_error_not_the_note(client, note, case, cpe, settings):
    url = reverse("case_detail", kwargs={"public_id": case.public_id})
    login(client, cpe)
    assert NOTE_MARKER in client.get(url).content.decode()
    settings.ALLIANCE_MASTER_KEY = another_master_key()
    response = client.get(url)
    assert response.status_code == 500
    page = response.content.decode()
    assert NOTE_MARKER not in page and "alx1:" not in page
    assert "Encrypted data unavailable" in page or "chiffr" in page


# ---------------------------------------------------------------------------- rotation
def test_rotation_keeps_old_rows_readable_and_new_writes_use_the_new_key(case, cpe, school):
    old = write_note(case, cpe, "avant rotation")
    old_key = SchoolKey.objects.get(school=school, is_primary=True)
    new_row = keyring.create_key(school.pk)  # a rotation that has not re-encrypted yet
    assert fresh(old).body == "avant rotation"
    new = write_note(case, cpe, "après rotation")
    assert raw_bodies()[0].startswith(f"alx1:{old_key.key_id}:")
    assert raw_bodies()[1].startswith(f"alx1:{new_row.key_id}:")
    assert fresh(new).body == "après rotation"
    old_key.refresh_from_db()
    assert not old_key.is_primary and old_key.retired_at is not None


def test_rotate_keys_reencrypts_everything_and_audits_without_content(case, cpe, school):
    notes = [write_note(case, cpe, f"note {n}") for n in range(5)]
    old_key = SchoolKey.objects.get(school=school, is_primary=True)
    events_before = AuditEvent.objects.count()
    call_command("rotate_keys", "--batch-size", "2", stdout=io.StringIO())
    new_key = SchoolKey.objects.get(school=school, is_primary=True)
    assert new_key.version == old_key.version + 1
    assert all(body.startswith(f"alx1:{new_key.key_id}:") for body in raw_bodies())
    assert [fresh(n).body for n in notes] == [f"note {n}" for n in range(5)]
    events = AuditEvent.objects.filter(sequence__gt=events_before)
    assert {(e.object_type, e.object_public_id) for e in events} >= {
        ("vault.schoolkey", new_key.key_id),
        ("vault.reencryption", new_key.key_id),
    }
    # The five notes, plus the case's reason and its referral's reason.
    assert services.key_references() == {new_key.key_id: 7}
    # The old key is retired, not destroyed, until asked.
    old_key.refresh_from_db()
    assert old_key.wrapped_key and old_key.destroyed_at is None


def test_destroy_unused_keys_only_destroys_unreferenced_ones(case, cpe, school):
    note = write_note(case, cpe)
    old_key = SchoolKey.objects.get(school=school, is_primary=True)
    keyring.create_key(school.pk)  # retired old key still named by the note
    assert services.destroy_unused_keys() == []
    services.rotate_school_keys(destroy_unused=True)
    old_key.refresh_from_db()
    assert old_key.destroyed_at is not None and old_key.wrapped_key == ""
    assert fresh(note).body == NOTE_MARKER
    assert AuditEvent.objects.filter(
        object_type="vault.schoolkey", object_public_id=old_key.key_id, action="delete"
    ).exists()


def test_a_destroyed_key_fails_closed(note, school):
    key = SchoolKey.objects.get(school=school)
    SchoolKey.objects.filter(pk=key.pk).update(wrapped_key="", destroyed_at=key.created_at)
    keyring.clear_cache()
    with pytest.raises(crypto.DecryptionError, match="destroyed"):
        _ = fresh(note).body


def test_master_key_rotation(note, settings, tmp_path):
    new_master = another_master_key()
    key_file = tmp_path / "master.key"
    key_file.write_text(new_master + "\n")
    out = tmp_path / "out.txt"
    with out.open("w") as stdout:
        call_command("rotate_keys", "--new-master-key-file", str(key_file), stdout=stdout)
    assert "re-wrapped" in out.read_text()
    stored_before = raw_bodies()
    # The old master key no longer opens the school keys; the new one does.
    with pytest.raises(crypto.WrongMasterKeyError):
        _ = fresh(note).body
    settings.ALLIANCE_MASTER_KEY = ""
    settings.ALLIANCE_MASTER_KEY_FILE = str(key_file)
    assert fresh(note).body == NOTE_MARKER
    assert raw_bodies() == stored_before  # data keys unchanged: nothing re-encrypted


def test_master_key_rotation_with_a_malformed_key_changes_nothing(note, tmp_path):
    bad = tmp_path / "bad.key"
    bad.write_text("trop court")
    wrapped_before = list(SchoolKey.objects.values_list("wrapped_key", flat=True))
    with pytest.raises(CommandError, match="32 random bytes"):
        call_command("rotate_keys", "--new-master-key-file", str(bad))
    assert list(SchoolKey.objects.values_list("wrapped_key", flat=True)) == wrapped_before


def test_rotate_keys_status_lists_keys_and_references(note, school, capsys):
    call_command("rotate_keys", "--status")
    key = SchoolKey.objects.get(school=school)
    # The note, the case's reason and its referral's reason.
    assert f"{key.key_id} primary, 3 value(s)" in capsys.readouterr().out


def test_check_decryption_reports_failures_without_content(case, cpe):
    good = write_note(case, cpe, "lisible")
    bad = write_note(case, cpe, "illisible")
    _swap_body(bad, raw_bodies()[0])
    result = services.check_decryption()
    assert result.checked["cases.CaseNote.body"] == 2
    assert result.failures["cases.CaseNote.body"] == 1
    assert str(bad.public_id) in result.first_errors[0]
    assert "lisible" not in " ".join(result.first_errors)
    assert fresh(good).body == "lisible"


# ---------------------------------------------------------------------------- configuration
def _run_check(env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ALLIANCE_", "DJANGO_"))}
    env["ALLIANCE_SECRET_KEY"] = secrets.token_urlsafe(50)
    env.update(env_extra)
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_a_master_key():
    result = _run_check({})
    assert result.returncode != 0
    assert "ALLIANCE_MASTER_KEY" in result.stderr


def test_a_malformed_master_key_is_named(tmp_path):
    key_file = tmp_path / "master.key"
    key_file.write_text("pas une clé")
    result = _run_check({"ALLIANCE_MASTER_KEY_FILE": str(key_file)})
    assert result.returncode != 0
    assert "vault.E002" in result.stderr and "32 random bytes" in result.stderr


def test_debug_makes_a_development_key_under_var(settings, tmp_path):
    settings.DEBUG = True
    settings.ALLIANCE_MASTER_KEY = ""
    settings.ALLIANCE_MASTER_KEY_FILE = ""
    settings.VAR_DIR = tmp_path
    key = crypto.master_key()
    path = tmp_path / crypto.DEV_KEY_FILENAME
    assert len(key) == 32 and path.exists()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert crypto.master_key() == key


def test_the_migration_seals_notes_written_before_encryption(note, case, cpe):
    from types import SimpleNamespace

    from django.apps import apps

    from alliance.vault.migration_ops import encrypt_existing_rows

    _swap_body(note, "écrite avant le chiffrement")
    empty = write_note(case, cpe, "x")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE cases_casenote SET body = '' WHERE id = %s", [empty.pk])
    forwards = encrypt_existing_rows("cases", "CaseNote", "body")
    forwards(apps, SimpleNamespace(connection=connection))
    forwards(apps, SimpleNamespace(connection=connection))  # idempotent
    sealed, blank = raw_bodies()
    assert sealed.startswith("alx1:") and "avant" not in sealed
    assert blank == ""
    assert fresh(note).body == "écrite avant le chiffrement"
