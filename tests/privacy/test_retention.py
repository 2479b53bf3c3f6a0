"""Retention (issue 5 points 3 and 4, SECURITY item 17): leaving, archive, deletion, logs, counts.

The clock is moved past each limit of the schedule (docs/decisions/0015); the last test runs a
pupil's whole life in Alliance with a marker in every free field, purges, and searches every
column of every table of the database for it.
"""

import datetime as dt
import io
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from alliance.audit.models import AuditAnchor, AuditEvent
from alliance.audit.services import audit_record, audit_verify
from alliance.cases import services as case_services
from alliance.cases.models import Case, CaseEvent, CaseNote, CaseOutcome, CaseStatus
from alliance.cases.selectors import cases_visible_to
from alliance.core import clock
from alliance.detection.models import Absence, EventImport, Observation, Sanction
from alliance.privacy import retention
from alliance.privacy.models import CaseArchive, PurgeRun, RetentionStatistic, StatisticKind
from alliance.privacy.purge import purge_plan, purge_run
from alliance.pupils.models import Guardian, Pupil
from alliance.pupils.roster import roster_import_file
from alliance.pupils.services import pupil_mark_left
from alliance.tenancy.models import Profession
from tests import factories
from tests.audit.tampering import triggers_disabled
from tests.conftest import adhered
from tests.pupils.test_roster import BASE, csv_bytes, with_cell


def at(monkeypatch, when: dt.datetime) -> dt.datetime:
    """Move the application clock to ``when``."""
    monkeypatch.setattr(clock, "now", lambda: when)
    return when


def moment(year: int, month: int, day: int) -> dt.datetime:
    return dt.datetime(year, month, day, 10, 0, tzinfo=dt.UTC)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def form_tutor(school, charter):
    return adhered(factories.MembershipFactory(school=school, profession=Profession.FORM_TUTOR))


@pytest.fixture
def case(monkeypatch, head, cpe, form_tutor, pupil):
    """A case opened on 10 November 2026 (school year 2026-2027), the tutor on its team."""
    at(monkeypatch, moment(2026, 11, 10))
    factories.GuardianFactory(pupil=pupil)
    opened = case_services.case_refer(actor=cpe, pupil=pupil, reason="Absences répétées").case
    case_services.case_assign_referent(case=opened, actor=head, referent=cpe)
    case_services.case_team_add(case=opened, actor=head, membership=form_tutor)
    opened.refresh_from_db()
    return opened


def close(case, head, when, monkeypatch, outcome=CaseOutcome.BACK_ON_TRACK):
    at(monkeypatch, when)
    case_services.case_close(case=case, actor=head, outcome=outcome)
    case.refresh_from_db()
    return case


# --------------------------------------------------------------------------- the schedule


def test_the_schedule_has_documented_defaults_and_refuses_a_bad_setting(settings):
    default = retention.schedule()
    assert (default.case_years, default.left_pupil_years, default.detection_years) == (2, 1, 2)
    assert (default.audit_months, default.history_months) == (12, 12)
    assert [name for name, _rule in default.describe()] == [
        "cases",
        "pupils",
        "detection",
        "audit",
        "history",
    ]
    settings.ALLIANCE_RETENTION_AUDIT_MONTHS = 6
    assert retention.schedule().audit_months == 6
    settings.ALLIANCE_RETENTION_AUDIT_MONTHS = 0
    with pytest.raises(ValueError, match="ALLIANCE_RETENTION_AUDIT_MONTHS"):
        retention.schedule()


def test_school_years_follow_the_schools_own_dates_or_september_to_august(school):
    assert retention.year_of(school, dt.date(2027, 3, 1)).label == "2026-2027"
    assert retention.years_after_end(school, dt.date(2027, 3, 1), 0) == dt.date(2027, 9, 1)
    assert retention.years_after_end(school, dt.date(2027, 3, 1), 2) == dt.date(2029, 9, 1)
    assert retention.first_kept_day(school, dt.date(2027, 3, 1), 2) == dt.date(2025, 9, 1)
    factories.SchoolYearFactory(
        school=school,
        label="2027-2028",
        starts_on=dt.date(2027, 8, 28),
        ends_on=dt.date(2028, 7, 6),
    )
    assert retention.years_after_end(school, dt.date(2027, 9, 20), 0) == dt.date(2028, 7, 7)
    assert retention.months_ago(moment(2027, 3, 31), 1).date() == dt.date(2027, 2, 28)
    assert retention.months_ago(moment(2027, 3, 31), 12).date() == dt.date(2026, 3, 31)


# --------------------------------------------------------------------------- a pupil leaves


def test_a_pupil_absent_from_a_newer_roster_has_their_open_case_closed(cpe, head, school):
    roster_import_file(actor=cpe, data=csv_bytes(BASE), filename="eleves.csv")
    leaving = Pupil.objects.get(school=school, last_name="Lefèvre")
    opened = case_services.case_refer(actor=cpe, pupil=leaving, reason="Absences").case
    before = AuditEvent.objects.count()

    report = roster_import_file(actor=cpe, data=csv_bytes(BASE[1:]), filename="eleves.csv")

    assert report.left == 1
    opened.refresh_from_db()
    assert (opened.status, opened.outcome) == (CaseStatus.CLOSED, CaseOutcome.LEFT_SCHOOL)
    assert opened.closed_at is not None
    event = CaseEvent.objects.filter(case=opened).order_by("pk").last()
    assert (event.kind, event.to_status, event.actor) == ("status", CaseStatus.CLOSED, cpe)
    assert AuditEvent.objects.filter(
        pk__gt=0, sequence__gt=before, action="update", object_public_id=str(opened.public_id)
    ).exists()


def test_marking_a_pupil_as_left_closes_the_case_and_the_form_never_offers_that_outcome(
    case, cpe, pupil
):
    from alliance.www.case_forms import CloseForm

    pupil_mark_left(actor=cpe, pupil=pupil)
    case.refresh_from_db()
    assert (case.status, case.outcome) == (CaseStatus.CLOSED, CaseOutcome.LEFT_SCHOOL)
    assert CaseOutcome.LEFT_SCHOOL not in dict(CloseForm().fields["outcome"].choices)


def test_a_pupil_arriving_in_another_school_is_a_new_record_and_nothing_follows(
    cpe, school, other_school
):
    row = with_cell(BASE[0], "ine", "1234567890A")
    roster_import_file(actor=cpe, data=csv_bytes([row, *BASE[1:]]), filename="eleves.csv")
    first = Pupil.objects.get(school=school, national_id="1234567890A")
    opened = case_services.case_refer(actor=cpe, pupil=first, reason="Absences").case
    roster_import_file(actor=cpe, data=csv_bytes(BASE[1:]), filename="eleves.csv")

    other_cpe = adhered(factories.MembershipFactory(school=other_school, cpe=True))
    other_head = adhered(factories.MembershipFactory(school=other_school, head=True))
    roster_import_file(actor=other_cpe, data=csv_bytes([row]), filename="eleves.csv")

    arrived = Pupil.objects.get(school=other_school, national_id="1234567890A")
    assert arrived.pk != first.pk and arrived.left_on is None
    assert not Case.objects.filter(pupil=arrived).exists()
    assert not cases_visible_to(other_head).exists()
    assert not Guardian.objects.filter(pupil=arrived, pk__in=first.guardians.values("pk")).exists()
    opened.refresh_from_db()
    assert opened.pupil_id == first.pk and opened.outcome == CaseOutcome.LEFT_SCHOOL


# --------------------------------------------------------------------------- archive, delete


def test_a_closed_case_is_archived_at_the_end_of_the_school_year_for_the_head_only(
    monkeypatch, case, head, form_tutor
):
    close(case, head, moment(2027, 3, 15), monkeypatch)
    at(monkeypatch, moment(2027, 8, 31))
    assert purge_run().counts["cases_archived"] == 0
    assert cases_visible_to(form_tutor).filter(pk=case.pk).exists()

    at(monkeypatch, moment(2027, 9, 1))
    result = purge_run()

    assert result.counts["cases_archived"] == 1
    archive = CaseArchive.objects.get(case=case)
    assert archive.delete_on == dt.date(2029, 9, 1)
    assert not cases_visible_to(form_tutor).filter(pk=case.pk).exists()
    assert cases_visible_to(head).filter(pk=case.pk).exists()
    with pytest.raises(ValidationError) as refused:
        case_services.case_reopen(case=case, actor=head, reason="Erreur")
    assert refused.value.code == "archived"
    assert purge_run().counts["cases_archived"] == 0  # once only


def test_an_archived_case_is_deleted_after_its_period_and_only_counts_remain(
    monkeypatch, case, head, cpe, pupil
):
    case_services.case_note_create(case=case, actor=cpe, audience="team", body="Appel")
    close(case, head, moment(2027, 3, 15), monkeypatch)
    at(monkeypatch, moment(2027, 9, 1))
    purge_run()
    at(monkeypatch, moment(2029, 8, 31))
    assert purge_run().counts["cases_deleted"] == 0
    assert Case.objects.filter(pk=case.pk).exists()

    at(monkeypatch, moment(2029, 9, 1))
    result = purge_run()

    assert result.counts["cases_deleted"] == 1
    assert not Case.objects.filter(pk=case.pk).exists()
    assert not CaseNote.objects.exists() and not CaseEvent.objects.exists()
    assert not CaseArchive.objects.exists()
    assert Pupil.objects.filter(pk=pupil.pk).exists()  # still at school: the pupil stays
    stat = RetentionStatistic.objects.get(kind=StatisticKind.CASE_CLOSED)
    assert (stat.school_year, stat.outcome, stat.count) == ("2026-2027", "back_on_track", 1)
    run = PurgeRun.objects.get(public_id=result.run.public_id)
    assert run.counts["cases_deleted"] == 1
    assert AuditEvent.objects.filter(
        action="delete", object_type="privacy.purgerun", object_public_id=str(run.public_id)
    ).exists()


def test_a_pupil_who_left_is_deleted_after_the_period_once_their_case_is_gone(
    monkeypatch, case, head, cpe, pupil, school
):
    at(monkeypatch, moment(2027, 1, 20))
    pupil_mark_left(actor=cpe, pupil=pupil)
    never_referred = factories.PupilFactory(school=school, left_on=dt.date(2027, 1, 20))

    at(monkeypatch, moment(2028, 9, 1))
    result = purge_run()
    assert result.counts["pupils_deleted"] == 1  # the one without a case
    assert not Pupil.objects.filter(pk=never_referred.pk).exists()
    assert Pupil.objects.filter(pk=pupil.pk).exists()  # their case is archived until 2029

    at(monkeypatch, moment(2029, 9, 1))
    result = purge_run()
    assert (result.counts["cases_deleted"], result.counts["pupils_deleted"]) == (1, 1)
    assert not Pupil.objects.filter(pk=pupil.pk).exists()
    assert not Guardian.objects.exists()
    cells = {(s.kind, s.school_year, s.outcome): s.count for s in RetentionStatistic.objects.all()}
    assert cells == {
        ("pupil_deleted", "2026-2027", ""): 2,
        ("case_closed", "2026-2027", "left_school"): 1,
    }


def test_a_shorter_schedule_from_the_settings_is_applied(monkeypatch, settings, case, head):
    settings.ALLIANCE_RETENTION_CASE_YEARS = 0
    close(case, head, moment(2027, 3, 15), monkeypatch)
    at(monkeypatch, moment(2027, 9, 1))
    result = purge_run()
    assert (result.counts["cases_archived"], result.counts["cases_deleted"]) == (1, 1)
    assert not Case.objects.exists()


# --------------------------------------------------------------------------- detection data


def _event_import(school, membership):
    return EventImport.objects.create(
        school=school,
        membership=membership,
        kind="absences",
        imported_at=clock.now(),
        file_sha256="0" * 64,
    )


def test_detection_data_older_than_the_previous_school_year_is_deleted(
    monkeypatch, cpe, pupil, school
):
    at(monkeypatch, moment(2026, 11, 10))
    history = _event_import(school, cpe)

    def absence(day):
        return Absence.objects.create(
            school=school, pupil=pupil, event_import=history, source_key=str(day),
            start_date=day, end_date=day,
        )  # fmt: skip

    two_years_ago = absence(dt.date(2025, 6, 10))  # 2024-2025
    last_year = absence(dt.date(2025, 9, 10))  # 2025-2026
    this_year = absence(dt.date(2026, 11, 2))  # 2026-2027
    sanction = Sanction.objects.create(
        school=school, pupil=pupil, event_import=history, source_key="s", date=dt.date(2025, 5, 2),
        nature="Retenue", severity=1,
    )  # fmt: skip

    result = purge_run()

    assert result.counts["detection:detection.absence"] == 1
    assert result.counts["detection:detection.sanction"] == 1
    assert set(Absence.objects.values_list("pk", flat=True)) == {last_year.pk, this_year.pk}
    assert not Absence.objects.filter(pk=two_years_ago.pk).exists()
    assert not Sanction.objects.filter(pk=sanction.pk).exists()
    assert EventImport.objects.filter(pk=history.pk).exists()  # rows of it are kept

    at(monkeypatch, moment(2028, 9, 1))  # 2028-2029: 2026-2027 is now two years back
    purge_run()
    assert not Absence.objects.exists()
    assert not EventImport.objects.exists()  # older than 12 months and empty


# --------------------------------------------------------------------------- audit events


def test_audit_events_older_than_twelve_months_are_purged_and_the_chain_verifies_from_the_anchor(
    monkeypatch, school
):
    for month in (1, 2, 3):
        at(monkeypatch, moment(2026, month, 5))
        with transaction.atomic():
            audit_record(action="view", object_type="pupils.pupil", school=school)
    at(monkeypatch, moment(2026, 6, 5))
    with transaction.atomic():
        kept = audit_record(action="view", object_type="pupils.pupil", school=school)

    at(monkeypatch, moment(2027, 3, 1))
    result = purge_run()

    assert result.counts["audit_events"] == 2  # January and February 2026
    anchor = AuditAnchor.objects.get()
    assert (anchor.up_to_sequence, anchor.purged_count) == (2, 2)
    assert list(AuditEvent.objects.values_list("sequence", flat=True)) == [3, 4, 5]
    assert audit_verify() is None
    out = io.StringIO()
    call_command("audit_verify", stdout=out)
    assert "from the retention anchor at sequence 2" in out.getvalue()
    assert AuditEvent.objects.filter(pk=kept.pk).exists()

    # The purge path is no way around the triggers: a kept event still cannot be deleted…
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditEvent.objects.filter(pk=kept.pk).delete()
    # …nor can the anchor be changed or removed.
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditAnchor.objects.filter(pk=anchor.pk).update(up_to_sequence=99)
    with pytest.raises(Exception, match="append-only"), transaction.atomic():
        AuditAnchor.objects.filter(pk=anchor.pk).delete()


def test_the_verification_from_the_anchor_still_finds_a_removed_first_row(monkeypatch, school):
    for month in (1, 2, 9):
        at(monkeypatch, moment(2026, month, 5))
        with transaction.atomic():
            audit_record(action="view", object_type="pupils.pupil", school=school)
    at(monkeypatch, moment(2027, 3, 1))
    purge_run()
    with triggers_disabled():
        AuditEvent.objects.filter(sequence=3).delete()
    chain_break = audit_verify()
    assert chain_break is not None and chain_break.sequence == 4


def test_an_anchor_cannot_be_written_twice_for_the_same_place(school):
    AuditAnchor.objects.create(
        up_to_sequence=1, last_hash="0" * 64, purged_count=0, purged_before=clock.now(),
        created_at=clock.now(),
    )  # fmt: skip
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditAnchor.objects.create(
            up_to_sequence=1, last_hash="1" * 64, purged_count=0, purged_before=clock.now(),
            created_at=clock.now(),
        )  # fmt: skip


# --------------------------------------------------------------------------- dry run, command, task


def test_the_dry_run_lists_public_ids_and_counts_and_changes_nothing(
    monkeypatch, case, head, pupil
):
    close(case, head, moment(2027, 3, 15), monkeypatch)
    at(monkeypatch, moment(2027, 9, 1))
    before = AuditEvent.objects.count()
    out = io.StringIO()
    call_command("purge_expired", "--dry-run", stdout=out)
    text = out.getvalue()
    assert "cases_archived: 1" in text
    assert f"cases_archived {case.public_id}" in text
    assert "would go" in text
    assert pupil.last_name not in text and pupil.first_name not in text
    assert not CaseArchive.objects.exists() and not PurgeRun.objects.exists()
    assert AuditEvent.objects.count() == before

    out = io.StringIO()
    call_command("purge_expired", stdout=out)
    assert "cases_archived: 1" in out.getvalue()
    assert CaseArchive.objects.filter(case=case).exists()
    assert PurgeRun.objects.count() == 1


def test_the_daily_task_runs_the_purge(monkeypatch, case, head):
    from alliance.privacy.tasks import purge_expired

    close(case, head, moment(2027, 3, 15), monkeypatch)
    at(monkeypatch, moment(2027, 9, 1))
    result = purge_expired.enqueue()  # the immediate backend in tests
    assert result.return_value["cases_archived"] == 1
    assert CaseArchive.objects.filter(case=case).exists()


def test_a_plan_for_a_quiet_day_is_empty(school):
    assert purge_plan().is_empty


# --------------------------------------------------------------------------- no trace left

MARKER = "Zorglubeth"
INE = "0987654321Z"


def _all_values_containing(needles):
    """Every (table, column) of the whole database whose value contains one of ``needles``."""
    found = []
    lowered = [n.lower() for n in needles]
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # introspected names only
            columns = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, memoryview | bytes | bytearray):
                        text = bytes(value).decode("utf-8", "replace").lower()
                    else:
                        text = str(value).lower()
                    if any(n in text for n in lowered):
                        found.append((table, column))
    return found


def _lifecycle(monkeypatch, school, members):
    """The pupil's life in Alliance, with the marker in every free field it may reach."""
    from tests.test_access_matrix import _gpds

    head, cpe, nurse = members["head"], members["cpe"], members["nurse"]
    row = [
        MARKER, f"Inès-{MARKER}", "09/01/2012", "4e A", INE,
        MARKER, f"Sophie{MARKER}", "mère", "oui", "06 39 98 10 42", f"{MARKER.lower()}@example.fr",
        f"1 rue {MARKER}; 94200 Ivry",
    ]  # fmt: skip
    roster_import_file(actor=cpe, data=csv_bytes([row, *BASE]), filename="eleves.csv")
    pupil = Pupil.objects.get(school=school, national_id=INE)
    guardian = pupil.guardians.get()
    referral = case_services.case_refer(
        actor=cpe, pupil=pupil, reason=f"Motif {MARKER}", free_signs=[f"Signe {MARKER}"]
    )
    case = referral.case
    case_services.case_assign_referent(case=case, actor=head, referent=cpe)
    for name in ("form_tutor", "nurse"):
        case_services.case_team_add(case=case, actor=head, membership=members[name])
    case_services.family_contact_record(
        case=case, actor=cpe, contacted_on=clock.today(), channel="phone", reached=True,
        guardian=guardian, outcome=f"Échange {MARKER}",
    )  # fmt: skip
    case_services.case_note_create(case=case, actor=cpe, audience="team", body=f"Note {MARKER}")
    case_services.case_note_create(
        case=case, actor=nurse, audience="team", body=f"suivi {MARKER}", is_summary_item=True
    )
    world = SimpleNamespace(school=school, members=members, case=case)
    gpds = _gpds(world)
    from alliance.meetings import services as meeting_services

    item = gpds["item"]
    item.refresh_from_db()
    meeting_services.agenda_item_record(
        actor=head, item=item, expected_version=item.version,
        situation_summary=f"Situation {MARKER}", decisions=f"Décision {MARKER}",
    )  # fmt: skip
    history = _event_import(school, cpe)
    Absence.objects.create(
        school=school, pupil=pupil, event_import=history, source_key=MARKER,
        start_date=clock.today(), end_date=clock.today(), reason=f"Raison {MARKER}",
    )  # fmt: skip
    from alliance.detection.observations import grid_signs, observation_record

    observation_record(
        actor=cpe, pupil=pupil, signs=list(grid_signs(school)[:1]), observed_on=clock.today()
    )
    return pupil, case


def test_after_the_purge_nothing_of_the_pupil_remains_anywhere_in_the_database(monkeypatch, school):
    from tests.test_access_matrix import PERSONAS

    at(monkeypatch, moment(2026, 11, 10))
    factories.CharterVersionFactory(school=school, number=1)
    members = {
        name: adhered(factories.MembershipFactory(school=school, role=role, profession=profession))
        for name, (role, profession) in PERSONAS.items()
        if name in {"head", "cpe", "form_tutor", "nurse", "psyen"}
    }
    pupil, case = _lifecycle(monkeypatch, school, members)
    assert _all_values_containing([MARKER, INE]), "the lifecycle must write the marker"
    assert Observation.objects.filter(pupil=pupil).exists()

    # The pupil leaves: absent from the next roster. Their case closes and enters retention.
    at(monkeypatch, moment(2027, 2, 1))
    roster_import_file(actor=members["cpe"], data=csv_bytes(BASE), filename="eleves.csv")
    case.refresh_from_db()
    assert case.outcome == CaseOutcome.LEFT_SCHOOL

    # Each limit in turn: archive (end of 2026-2027), then deletion (two school years later).
    at(monkeypatch, moment(2027, 9, 1))
    assert purge_run().counts["cases_archived"] == 1
    assert _all_values_containing([MARKER, INE])
    at(monkeypatch, moment(2029, 9, 1))
    result = purge_run()
    assert (result.counts["cases_deleted"], result.counts["pupils_deleted"]) == (1, 1)

    assert _all_values_containing([MARKER, INE]) == []
    # Only the audit trail still holds the pupil's random public id, and only until it expires.
    assert {t for t, _c in _all_values_containing([str(pupil.public_id)])} <= {"audit_auditevent"}
    at(monkeypatch, moment(2030, 9, 2))
    purge_run()
    assert _all_values_containing([str(pupil.public_id), str(case.public_id)]) == []
    assert audit_verify() is None
    assert RetentionStatistic.objects.filter(
        kind=StatisticKind.CASE_CLOSED, outcome="left_school", count=1
    ).exists()
    assert timezone.is_aware(result.run.ran_at)


def test_the_head_or_the_cpe_records_the_leaving_from_the_pupil_page(client, case, cpe, pupil):
    from django.urls import reverse

    from tests.conftest import login

    login(client, cpe)
    url = reverse("pupil_mark_left", kwargs={"public_id": pupil.public_id})
    page = client.get(reverse("pupil_detail", kwargs={"public_id": pupil.public_id}))
    assert url in page.content.decode()
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302
    pupil.refresh_from_db()
    case.refresh_from_db()
    assert pupil.left_on == clock.today()
    assert (case.status, case.outcome) == (CaseStatus.CLOSED, CaseOutcome.LEFT_SCHOOL)
    page = client.get(reverse("pupil_detail", kwargs={"public_id": pupil.public_id}))
    assert url not in page.content.decode()


def test_the_head_sees_the_schedule_and_the_anonymised_counts(monkeypatch, client, case, head):
    from django.urls import reverse

    from tests.conftest import login

    close(case, head, moment(2027, 3, 15), monkeypatch)
    at(monkeypatch, moment(2029, 9, 1))
    purge_run()
    login(client, head)
    page = client.get(reverse("retention_overview")).content.decode()
    assert "2026-2027" in page
    assert "Retour à une scolarité régulière" in page  # the outcome, in French
    row = page[page.index("2026-2027") : page.index("</tr>", page.index("2026-2027"))]
    assert "<td>1</td>" in row
