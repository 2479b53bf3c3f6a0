"""The audit trail: written with every read and write, append-only, tamper-evident."""

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from alliance.audit.models import AuditEvent
from alliance.audit.services import (
    AuditOutsideTransactionError,
    audit_record,
    audit_verify,
)
from alliance.cli import main as alliance_cli
from alliance.pupils import services as pupil_services
from tests.audit.tampering import triggers_disabled
from tests.conftest import login


def _chain(n, school):
    for _ in range(n):
        with transaction.atomic():
            audit_record(
                action="view", object_type="pupils.pupil", object_public_id="x", school=school
            )
    return list(AuditEvent.objects.order_by("sequence"))


def test_reading_a_pupil_page_is_audited_with_who_and_request_id(client, teacher, pupil):
    login(client, teacher)
    before = AuditEvent.objects.count()
    response = client.get(f"/pupils/{pupil.public_id}/")
    assert response.status_code == 200
    event = AuditEvent.objects.latest("sequence")
    assert AuditEvent.objects.count() == before + 1
    assert event.action == "view"
    assert event.object_type == "pupils.pupil"
    assert event.object_public_id == str(pupil.public_id)
    assert event.actor_user_id == teacher.user_id
    assert event.actor_membership_id == teacher.pk
    assert event.school_id == teacher.school_id
    assert event.request_id == response["X-Request-ID"]


def test_a_write_and_its_audit_event_share_one_transaction(cpe, pupil):
    pupil_services.pupil_update(
        actor=cpe, pupil=pupil, expected_version=pupil.version, first_name="Inès"
    )
    event = AuditEvent.objects.latest("sequence")
    assert (event.action, event.object_public_id) == ("update", str(pupil.public_id))
    # Content never goes to the trail: no field of the event holds the pupil's name.
    row = AuditEvent.objects.filter(pk=event.pk).values().get()
    assert not any("Inès" in str(value) or pupil.last_name in str(value) for value in row.values())


def test_a_failed_write_leaves_no_audit_event(cpe, pupil, other_school):
    from tests.factories import DivisionFactory, SchoolYearFactory

    foreign_division = DivisionFactory(school_year=SchoolYearFactory(school=other_school))
    before = AuditEvent.objects.count()
    with pytest.raises(Exception):  # noqa: B017 - a ValidationError from the service
        pupil_services.pupil_update(
            actor=cpe, pupil=pupil, expected_version=pupil.version, division=foreign_division
        )
    assert AuditEvent.objects.count() == before


def test_audit_record_refuses_to_run_outside_a_transaction(school, monkeypatch):
    # The test itself runs in a transaction; show the service a connection in autocommit.
    from types import SimpleNamespace

    monkeypatch.setattr(
        "alliance.audit.services.connection", SimpleNamespace(in_atomic_block=False, vendor="x")
    )
    with pytest.raises(AuditOutsideTransactionError):
        audit_record(action="view", object_type="pupils.pupil", school=school)


def test_update_and_delete_are_refused_by_the_database(school):
    _chain(2, school)
    event = AuditEvent.objects.first()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="delete")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET object_public_id = 'y'")
    assert AuditEvent.objects.count() == 2
    assert AuditEvent.objects.get(pk=event.pk).action == "view"


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_truncate_is_refused_on_postgresql(school):
    _chain(1, school)
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.count() == 1


def test_verify_accepts_an_intact_chain(school):
    _chain(5, school)
    assert audit_verify() is None
    call_command("audit_verify")


def test_verify_names_an_altered_row(school):
    events = _chain(5, school)
    with triggers_disabled(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET actor_user_id = 999 WHERE id = %s", [events[2].pk]
        )
    chain_break = audit_verify()
    assert chain_break is not None
    assert chain_break.sequence == 3
    assert chain_break.row_id == events[2].pk
    assert "altered" in chain_break.reason
    with pytest.raises(CommandError, match="sequence 3"):
        call_command("audit_verify")


def test_verify_names_a_deleted_row(school):
    events = _chain(5, school)
    with triggers_disabled(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    chain_break = audit_verify()
    assert chain_break is not None
    assert chain_break.sequence == 3
    assert "missing" in chain_break.reason


def test_verify_names_swapped_rows(school):
    events = _chain(5, school)
    a, b = events[1], events[3]
    with triggers_disabled(), connection.cursor() as cursor:
        # Swap the positions of rows 2 and 4 in the chain.
        cursor.execute("UPDATE audit_auditevent SET sequence = 0 WHERE id = %s", [a.pk])
        cursor.execute(
            "UPDATE audit_auditevent SET sequence = %s WHERE id = %s", [a.sequence, b.pk]
        )
        cursor.execute(
            "UPDATE audit_auditevent SET sequence = %s WHERE id = %s", [b.sequence, a.pk]
        )
    chain_break = audit_verify()
    assert chain_break is not None
    assert chain_break.sequence == 2
    assert chain_break.row_id == b.pk


def test_verify_names_a_moved_row_even_with_its_own_hash_recomputed(school):
    """An attacker who re-hashes a moved row still breaks the link to its predecessor."""
    from alliance.audit.chain import hash_of

    events = _chain(4, school)
    moved = events[3]
    with triggers_disabled(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [events[2].pk])
        moved.sequence = 3
        cursor.execute(
            "UPDATE audit_auditevent SET sequence = 3, entry_hash = %s WHERE id = %s",
            [hash_of(moved), moved.pk],
        )
    chain_break = audit_verify()
    assert chain_break is not None
    assert chain_break.sequence == 3
    assert "out of place" in chain_break.reason


def test_alliance_audit_verify_command_line(school, capsys, monkeypatch):
    # The command line closes every connection when it ends, which would end the test's own.
    monkeypatch.setattr("django.db.connections.close_all", lambda: None)
    events = _chain(3, school)
    alliance_cli(["audit", "verify"])
    assert "3 events verified" in capsys.readouterr().out
    with triggers_disabled(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditevent SET action = 'create' WHERE id = %s", [events[0].pk]
        )
    with pytest.raises(SystemExit) as exit_info:
        alliance_cli(["audit", "verify"])
    assert exit_info.value.code != 0
    assert "sequence 1" in capsys.readouterr().err


def test_head_sees_who_accessed_a_pupil(client, head, teacher, pupil):
    login(client, teacher)
    client.get(f"/pupils/{pupil.public_id}/")
    login(client, head)
    page = client.get(f"/pupils/{pupil.public_id}/access-log/").content.decode()
    assert teacher.user.last_name in page
    school_page = client.get("/access-log/").content.decode()
    assert teacher.user.last_name in school_page
    assert pupil.last_name in school_page
