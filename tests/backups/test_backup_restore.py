"""Backup → wipe → restore → verify, on SQLite and PostgreSQL (SECURITY.md §20).

The same round trip runs on whichever database the suite runs on: SQLite by default,
PostgreSQL under ``scripts/run_with_postgres.py`` (``make test-postgres``). Tests that need
one database are skipped on the other.
"""

import base64
import io
import json
import secrets
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from alliance.audit.models import AuditEvent
from alliance.audit.services import audit_verify
from alliance.backups import services
from alliance.cases.models import CaseNote
from alliance.vault import keyring
from tests import factories
from tests.audit.tampering import triggers_disabled
from tests.conftest import _audit_trigger_statements, adhered
from tests.vault.conftest import NOTE_MARKER, make_case, write_note

pytestmark = pytest.mark.usefixtures("transactional_db")


@pytest.fixture(autouse=True)
def _fresh_key_cache():
    keyring.clear_cache()
    yield
    keyring.clear_cache()


@pytest.fixture
def world():
    """Two schools, a case with notes in each, and the audit events that came with them."""
    notes = []
    for n in range(2):
        school = factories.SchoolFactory()
        head = adhered(factories.MembershipFactory(school=school, head=True))
        cpe = adhered(factories.MembershipFactory(school=school, cpe=True))
        case = make_case(head, cpe, factories.PupilFactory(school=school))
        notes.append(write_note(case, cpe, f"{NOTE_MARKER}-{n}"))
        notes.append(write_note(case, cpe, f"deuxième note {n}"))
    return notes


def wipe() -> None:
    """Empty every table, past the audit tables' append-only triggers (put back after)."""
    with connection.cursor() as cursor:
        for statement in _audit_trigger_statements(up=False):
            cursor.execute(statement)
    try:
        call_command("flush", "--noinput", verbosity=0)
    finally:
        with connection.cursor() as cursor:
            for statement in _audit_trigger_statements(up=True):
                cursor.execute(statement)
    assert not CaseNote.objects.exists() and not AuditEvent.objects.exists()


def backup(tmp_path: Path) -> Path:
    out = io.StringIO()
    call_command("backup", "--output", str(tmp_path), stdout=out)
    [path] = list(tmp_path.glob("alliance-backup-*"))
    assert "master key is not in the backup" in out.getvalue()
    return path


def restore(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("restore", str(path), *args, stdout=out)
    return out.getvalue()


def test_backup_wipe_restore_verify(world, tmp_path):
    expected_counts = services.table_counts()
    expected_events = AuditEvent.objects.count()
    path = backup(tmp_path)
    manifest = json.loads((path / services.MANIFEST).read_text())
    assert manifest["vendor"] == connection.vendor
    assert manifest["tables"]["cases_casenote"] == 4
    assert manifest["audit_head"]["sequence"] == expected_events
    assert manifest["master_key_included"] is False
    assert "cases.CaseNote.body" in manifest["encrypted_fields"]
    wipe()

    output = restore(path)

    assert "restore verified" in output
    # The four notes, and in each school the case's reason and its referral's reason.
    assert "8 encrypted value(s) decrypt" in output
    assert services.table_counts() == expected_counts
    assert audit_verify() is None
    assert AuditEvent.objects.count() == expected_events
    assert sorted(n.body for n in CaseNote.objects.all()) == sorted(n.body for n in world)
    # The audit table is append-only again after the restore.
    with pytest.raises(Exception, match="append-only"):
        AuditEvent.objects.filter(sequence=1).delete()


def test_the_backup_holds_ciphertext_not_the_notes(world, tmp_path, settings):
    path = backup(tmp_path)
    manifest = json.loads((path / services.MANIFEST).read_text())
    dump = (path / manifest["dump_file"]).read_bytes()
    assert NOTE_MARKER.encode() not in dump
    assert b"alx1:" in dump or connection.vendor == "postgresql"  # pg_dump compresses
    for content in (dump, (path / services.MANIFEST).read_bytes()):
        assert settings.ALLIANCE_MASTER_KEY.encode() not in content


def test_restore_refuses_a_database_that_is_not_empty(world, tmp_path):
    path = backup(tmp_path)
    with pytest.raises(CommandError, match="not empty"):
        restore(path)


def test_restore_force_replaces_the_content(world, tmp_path):
    path = backup(tmp_path)
    write_note(world[0].case, world[0].author, "écrite après la sauvegarde")
    assert "restore verified" in restore(path, "--force")
    assert CaseNote.objects.count() == 4


def test_a_corrupted_backup_is_refused_and_the_database_left_alone(world, tmp_path):
    path = backup(tmp_path)
    manifest = json.loads((path / services.MANIFEST).read_text())
    dump = path / manifest["dump_file"]
    data = bytearray(dump.read_bytes())
    data[len(data) // 2] ^= 0xFF
    dump.write_bytes(bytes(data))
    wipe()
    with pytest.raises(CommandError, match="checksum mismatch"):
        restore(path)
    with pytest.raises(CommandError, match="checksum mismatch"):
        call_command("verify_backup", str(path))
    assert not CaseNote.objects.exists()


def test_a_missing_manifest_is_named(tmp_path):
    with pytest.raises(CommandError, match="no manifest"):
        restore(tmp_path)


def test_restore_with_the_wrong_master_key_fails_verification(world, tmp_path, settings):
    path = backup(tmp_path)
    wipe()
    settings.ALLIANCE_MASTER_KEY = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    out = io.StringIO()
    with pytest.raises(CommandError, match="does not verify"):
        call_command("restore", str(path), stdout=out)
    report = out.getvalue()
    assert "FAILED: encrypted values that do not decrypt" in report
    assert "wrapped by master key" in report
    assert NOTE_MARKER not in report


def test_verify_finds_an_audit_chain_altered_after_the_restore(world, tmp_path):
    path = backup(tmp_path)
    wipe()
    restore(path)
    with triggers_disabled():
        AuditEvent.objects.filter(sequence=2).update(object_type="altered")
    out = io.StringIO()
    with pytest.raises(CommandError, match="verification failed"):
        call_command("verify_backup", str(path), "--database", stdout=out)
    assert "FAILED: audit chain broken at sequence 2" in out.getvalue()


def test_verify_finds_missing_rows(world, tmp_path):
    path = backup(tmp_path)
    wipe()
    restore(path)
    factories.SchoolFactory()
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_backup", str(path), "--database", stdout=out)
    assert "tenancy_school: 3 rows, expected 2" in out.getvalue()


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_verify_backup_checks_an_sqlite_copy_without_restoring(world, tmp_path):
    path = backup(tmp_path)
    out = io.StringIO()
    call_command("verify_backup", str(path), stdout=out)
    assert "backup verified" in out.getvalue()
    assert "8 encrypted value(s) decrypt" in out.getvalue()  # four notes, 2 × two reasons


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_verify_backup_reads_a_postgresql_archive(world, tmp_path):
    path = backup(tmp_path)
    out = io.StringIO()
    call_command("verify_backup", str(path), stdout=out)
    assert "the archive reads (pg_restore --list)" in out.getvalue()


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_pg_dump_matches_the_server_major_version():
    tool = services.postgres_tool("pg_dump")
    assert services._tool_major(tool) >= connection.pg_version // 10000


def test_a_restored_database_takes_new_writes(world, tmp_path):
    path = backup(tmp_path)
    wipe()
    restore(path)
    note = write_note(world[0].case, world[0].author, "après restauration")
    assert CaseNote.objects.get(pk=note.pk).body == "après restauration"
    assert audit_verify() is None
