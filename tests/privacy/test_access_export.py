"""Right of access (issue 5, point 5; SECURITY.md item 18; story 9 of SCENARIOS.md).

"Rights-of-access export complete for the pupil and empty of anyone else": one row is seeded
in every table linked to a pupil, for Inès and for a second pupil of the same school who sits
on the same meeting's agenda and whose plan has the same action owner; every text field of
the second pupil carries a marker that must appear nowhere in the JSON or the PDF.
"""

import datetime as dt
import io
import json
import zipfile

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse
from pypdf import PdfReader

from alliance.agreements.models import (
    Agreement,
    AgreementKind,
    AgreementSignature,
    AgreementStatus,
)
from alliance.audit.models import AuditEvent
from alliance.cases.models import (
    Case,
    CaseEvent,
    CaseNote,
    CaseReferral,
    CaseSign,
    CaseTeamMember,
    FamilyContact,
    FamilyContactException,
    FamilyInvolvement,
    SignCatalogueEntry,
)
from alliance.core import clock
from alliance.detection.models import (
    Absence,
    EventImport,
    Lateness,
    Mark,
    Observation,
    PeriodCount,
    Sanction,
)
from alliance.meetings.models import AgendaItem, Meeting, MeetingParticipant
from alliance.partners.models import PartnerOrganisation
from alliance.plans.models import (
    ActionGoal,
    ActionPlan,
    ActionType,
    GoalAssessment,
    PlanAction,
    PlanAgreement,
    PlanReview,
    ReviewActionDecision,
)
from alliance.privacy import access_export
from alliance.privacy.access_export import (
    POLICIES,
    UncoveredModelError,
    linked_models,
    note_release_for_access_request,
    pupil_access_export,
    uncovered_models,
)
from alliance.privacy.models import NoteRelease
from alliance.pupils.models import Guardian, Pupil
from alliance.tenancy.models import Profession, Role
from tests import factories
from tests.conftest import adhered, login

INES = "QZXINES01"
OTHER = "QZXAUTRE9"  # the other pupil's marker (short: it fits in every field)
INES_SECRET = "QZXSECRETINES"


@pytest.fixture
def world(school, charter):
    members = {
        "head": adhered(factories.MembershipFactory(school=school, head=True)),
        "cpe": adhered(factories.MembershipFactory(school=school, cpe=True)),
        "nurse": adhered(factories.MembershipFactory(school=school, nurse=True)),
        "tutor": adhered(
            factories.MembershipFactory(
                school=school, role=Role.STAFF, profession=Profession.FORM_TUTOR
            )
        ),
        "teacher": adhered(factories.MembershipFactory(school=school)),
    }
    now = clock.now()
    shared = {
        "meeting": Meeting.objects.create(
            school=school,
            starts_at=now - dt.timedelta(days=7),
            place="Salle B12",
            convened_by=members["head"],
            convened_at=now - dt.timedelta(days=14),
            status="held",
        ),
        "action_type": ActionType.objects.create(school=school, label="Tutorat"),
        "sign": SignCatalogueEntry.objects.create(
            school=school, code="isolement", label="Isolement"
        ),
        "school_agreement": _school_partner_agreement(school, members["head"], now),
        "event_import": EventImport.objects.create(
            school=school,
            membership=members["cpe"],
            kind="absences",
            imported_at=now,
            file_sha256="0" * 64,
        ),
    }
    for name in ("head", "cpe", "nurse"):
        MeetingParticipant.objects.create(
            school=school, meeting=shared["meeting"], membership=members[name], attendance="present"
        )
    ines = factories.PupilFactory(school=school, last_name="Belkacem", first_name="Inès")
    other = factories.PupilFactory(school=school, last_name=f"Nom{OTHER}", first_name=OTHER)
    ines_seed = _seed(ines, INES, members, shared, secret=INES_SECRET)
    other_seed = _seed(other, OTHER, members, shared, secret=f"{OTHER}SECRET")
    # The other pupil's nurse note is released too: a release never crosses pupils.
    note_release_for_access_request(note=other_seed["secret_note"], actor=members["nurse"])
    return {
        "school": school,
        "members": members,
        "ines": ines,
        "other": other,
        "ines_seed": ines_seed,
        "other_seed": other_seed,
    }


def _school_partner_agreement(school, head, now):
    organisation = PartnerOrganisation.objects.create(name="Coup de Pouce", kind="association")
    return Agreement.objects.create(
        school=school,
        kind=AgreementKind.SCHOOL_PARTNER,
        partner_organisation=organisation,
        title="Convention aide aux devoirs",
        purpose="Aide aux devoirs",
        parties="Le collège ; l'association",
        starts_on=now.date() - dt.timedelta(days=60),
        ends_on=now.date() + dt.timedelta(days=200),
        status=AgreementStatus.CONCLUDED,
        created_by=head,
        board_approved_on=now.date() - dt.timedelta(days=50),
        board_reference="CA n°4",
        board_recorded_by=head,
        board_recorded_at=now,
        concluded_at=now,
    )


def _seed(pupil, m, members, shared, *, secret):
    """One row in every table linked to ``pupil``, with the marker ``m`` in every text field."""
    school = pupil.school
    now = clock.now()
    today = clock.today()
    pupil.national_id = m[:11]
    pupil.source_id = m
    pupil.school_number = m
    pupil.save()
    guardian = Guardian.objects.create(
        school=school,
        pupil=pupil,
        last_name=m,
        first_name=m,
        relationship="father",
        phone=m,
        email=f"{m.lower()}@example.test",
        address=m,
    )
    case = Case.objects.create(
        school=school,
        pupil=pupil,
        opened_by=members["cpe"],
        referent=members["cpe"],
        reason=m,
        opened_at=now - dt.timedelta(days=30),
        closing_note=m,
    )
    referral = CaseReferral.objects.create(
        school=school,
        case=case,
        pupil=pupil,
        referred_by=members["cpe"],
        reason=m,
        referred_at=now - dt.timedelta(days=30),
        is_initial=True,
    )
    CaseSign.objects.create(
        school=school, case=case, referral=referral, free_text=m, recorded_by=members["cpe"]
    )
    CaseTeamMember.objects.create(
        school=school,
        case=case,
        membership=members["nurse"],
        added_by=members["head"],
        added_at=now - dt.timedelta(days=29),
    )
    FamilyContact.objects.create(
        school=school,
        case=case,
        contacted_on=today,
        channel="phone",
        made_by=members["cpe"],
        recorded_by=members["cpe"],
        guardian=guardian,
        reached=True,
        outcome=m,
    )
    FamilyContactException.objects.create(
        school=school, case=case, reason=m, requested_by=members["cpe"], requested_at=now
    )
    FamilyInvolvement.objects.create(
        school=school,
        case=case,
        kind="informed",
        occurred_on=today,
        guardian=guardian,
        recorded_by=members["cpe"],
    )
    CaseNote.objects.create(
        school=school,
        case=case,
        author=members["cpe"],
        author_profession=Profession.CPE,
        audience="team",
        body=m,
    )
    CaseNote.objects.create(
        school=school,
        case=case,
        author=members["nurse"],
        author_profession=Profession.NURSE,
        audience="team",
        body="suivi infirmier en cours",
        is_summary_item=True,
    )
    secret_note = CaseNote.objects.create(
        school=school,
        case=case,
        author=members["nurse"],
        author_profession=Profession.NURSE,
        audience="profession",
        body=secret,
    )
    CaseEvent.objects.create(
        school=school, case=case, kind="reopened", actor=members["head"], detail=m, occurred_at=now
    )
    AgendaItem.objects.create(
        school=school,
        meeting=shared["meeting"],
        case=case,
        situation_summary=m,
        decisions=m,
        next_steps=m,
        recorded_by=members["head"],
        recorded_at=now,
    )
    plan = ActionPlan.objects.create(school=school, case=case, created_by=members["cpe"])
    review = PlanReview.objects.create(
        school=school,
        plan=plan,
        status="completed",
        opened_by=members["cpe"],
        opened_at=now,
        held_on=today,
        summary=m,
        completed_by=members["cpe"],
        completed_at=now,
    )
    action = PlanAction.objects.create(
        school=school,
        plan=plan,
        action_type=shared["action_type"],
        description=m,
        time_frame="in_school",
        owner=members["tutor"],  # the same owner for both pupils
        carried_by=m,
        starts_on=today,
        frequency="weekly",
        added_in_review=review,
    )
    goal = ActionGoal.objects.create(school=school, action=action, text=m)
    GoalAssessment.objects.create(school=school, review=review, goal=goal, result="reached")
    ReviewActionDecision.objects.create(
        school=school, review=review, action=action, decision="continued"
    )
    PlanAgreement.objects.create(
        school=school,
        plan=plan,
        party="family",
        guardian=guardian,
        agreed_on=today,
        channel="meeting",
        comment=m,
        plan_version=1,
        recorded_by=members["cpe"],
    )
    common = {"school": school, "pupil": pupil, "event_import": shared["event_import"]}
    Absence.objects.create(
        **common, source_key=f"{m}-a", start_date=today, end_date=today, reason=m
    )
    Lateness.objects.create(**common, source_key=f"{m}-l", date=today, minutes=5, reason=m)
    Sanction.objects.create(
        **common, source_key=f"{m}-s", date=today, nature=m, severity=1, incident_number=m
    )
    Mark.objects.create(**common, source_key=f"{m}-m", period=m, subject=m, assessment=m, mark=12)
    PeriodCount.objects.create(**common, source_key=f"{m}-p", period=m, half_days_absent=3)
    Observation.objects.create(
        school=school,
        pupil=pupil,
        sign=shared["sign"],
        observed_on=today,
        recorded_by=members["cpe"],
    )
    parent = shared["school_agreement"]
    pupil_agreement = Agreement.objects.create(
        school=school,
        kind=AgreementKind.PARTNER_PUPIL_PARENTS,
        partner_organisation=parent.partner_organisation,
        pupil=pupil,
        parent_agreement=parent,
        title=m,
        purpose=m,
        parties=m,
        starts_on=parent.starts_on,
        ends_on=parent.ends_on,
        status=AgreementStatus.CONCLUDED,
        created_by=members["head"],
        concluded_at=now,
    )
    AgreementSignature.objects.create(
        school=school,
        agreement=pupil_agreement,
        party="guardian",
        guardian=guardian,
        signatory_name=m,
        signed_on=today,
        recorded_by=members["head"],
        recorded_at=now,
    )
    return {"case": case, "secret_note": secret_note}


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)


def _ines_export(world):
    return pupil_access_export(actor=world["members"]["head"], pupil=world["ines"])


# --------------------------------------------------------------------------- coverage


def test_every_table_linked_to_a_pupil_has_a_decision():
    """A new table linked to a pupil (directly or through a case, a plan…) must be decided on."""
    assert uncovered_models() == []
    assert set(POLICIES) == set(linked_models()), "a policy names a table no longer linked"


def test_every_foreign_key_to_a_pupil_or_a_case_is_walked():
    """Independently of the walk: any model with a foreign key to Pupil or Case is covered."""
    linked = linked_models()
    for model in apps.get_models():
        for f in model._meta.concrete_fields:
            if isinstance(f, models.ForeignKey) and f.related_model in (Pupil, Case):
                label = model._meta.label_lower
                assert label in linked, f"{label}.{f.name} is not walked by the export"
                assert label in POLICIES, f"{label} has no right-of-access decision"


def test_an_undecided_table_stops_the_export(world, monkeypatch):
    monkeypatch.delitem(POLICIES, "detection.mark")
    assert uncovered_models() == ["detection.mark"]
    with pytest.raises(UncoveredModelError):
        _ines_export(world)


def test_the_bundle_covers_every_linked_table(world):
    note_release_for_access_request(
        note=world["ines_seed"]["secret_note"], actor=world["members"]["nurse"]
    )
    bundle = _ines_export(world).bundle
    assert bundle["schema_version"] == access_export.SCHEMA_VERSION
    assert bundle["exported_at"]
    exported = {label for label, policy in POLICIES.items() if policy.export}
    for label in exported:
        assert bundle["tables"].get(label), f"{label}: no row of the pupil in the export"
    assert bundle["tables"]["pupils.pupil"] == [
        row
        for row in bundle["tables"]["pupils.pupil"]
        if row["public_id"] == str(world["ines"].public_id)
    ]
    text = json.dumps(bundle, ensure_ascii=False)
    assert INES in text and INES_SECRET in text
    # The meeting is there (when, where, who), with Inès's item only.
    [item] = bundle["tables"]["meetings.agendaitem"]
    assert item["meeting_detail"]["place"] == "Salle B12"
    assert len(item["meeting_detail"]["participants"]) == 3


# --------------------------------------------------------------------------- nobody else


def test_nothing_of_another_pupil_in_the_json_or_the_pdf(world):
    export = _ines_export(world)
    text = export.json_bytes().decode()
    assert OTHER not in text
    assert str(world["other"].public_id) not in text
    pdf_text = _pdf_text(export.pdf)
    assert OTHER not in pdf_text
    assert "Belkacem" in pdf_text and INES in pdf_text  # the PDF does hold Inès's data
    assert "Document interne" in pdf_text


def test_the_other_pupils_cases_are_never_referred_to(world):
    text = _ines_export(world).json_bytes().decode()
    case = world["other_seed"]["case"]
    # Every public id of the other pupil's rows, in every linked table, is absent.
    for label, paths in linked_models().items():
        model = apps.get_model(label)
        if not any(f.name == "public_id" for f in model._meta.concrete_fields):
            continue
        query = models.Q()
        for path in paths:
            query |= models.Q(**{path: world["other"]}) if path else models.Q(pk=world["other"].pk)
        for public_id in model._default_manager.filter(query).values_list("public_id", flat=True):
            assert str(public_id) not in text, label
    assert str(case.public_id) not in text


# --------------------------------------------------------------------------- secrecy


def test_the_nurse_secret_note_is_left_out_until_its_author_releases_it(world):
    nurse = world["members"]["nurse"]
    note = world["ines_seed"]["secret_note"]
    export = _ines_export(world)
    assert INES_SECRET not in export.json_bytes().decode()
    assert INES_SECRET not in _pdf_text(export.pdf)
    # The published summary item is the team's, and the family's.
    assert "suivi infirmier en cours" in export.json_bytes().decode()
    # No audit event names the withheld note either.
    assert str(note.public_id) not in export.json_bytes().decode()

    # Only the author may release it.
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        note_release_for_access_request(note=note, actor=world["members"]["head"])
    before = AuditEvent.objects.count()
    note_release_for_access_request(note=note, actor=nurse)
    assert AuditEvent.objects.count() > before
    assert AuditEvent.objects.filter(
        object_public_id=str(note.public_id), actor_membership_id=nurse.pk, action="update"
    ).exists()
    assert NoteRelease.objects.filter(note=note, released_by=nurse).exists()

    export = _ines_export(world)
    assert INES_SECRET in export.json_bytes().decode()
    assert INES_SECRET in _pdf_text(export.pdf)


def test_the_release_view_is_the_authors_only(client, world):
    note = world["ines_seed"]["secret_note"]
    url = reverse("case_note_release", kwargs={"public_id": note.public_id})
    for name in ("head", "cpe", "tutor"):
        assert login(client, world["members"][name]).post(url).status_code == 404
    assert not NoteRelease.objects.filter(note=note).exists()
    response = login(client, world["members"]["nurse"]).post(url)
    assert response.status_code == 302
    assert NoteRelease.objects.filter(note=note).exists()


# --------------------------------------------------------------------------- audit and access


def test_the_export_is_audited_and_lists_who_accessed_the_record(world):
    head = world["members"]["head"]
    export = _ines_export(world)
    event = AuditEvent.objects.filter(
        action="export", object_public_id=str(world["ines"].public_id)
    )
    assert event.filter(actor_membership_id=head.pk).count() == 1
    actions = {(e["action"], e["object_public_id"]) for e in export.bundle["audit_events"]}
    assert ("export", str(world["ines"].public_id)) in actions


def test_the_head_downloads_the_zip_from_the_pupil_page(client, world):
    head = world["members"]["head"]
    page = login(client, head).get(
        reverse("pupil_detail", kwargs={"public_id": world["ines"].public_id})
    )
    assert "Exporter les données (droit d'accès)" in page.content.decode()
    url = reverse("pupil_access_export", kwargs={"public_id": world["ines"].public_id})
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        names = archive.namelist()
        assert {n.rsplit(".", 1)[1] for n in names} == {"json", "pdf"}
        [json_name] = [n for n in names if n.endswith(".json")]
        bundle = json.loads(archive.read(json_name))
    assert bundle["pupil_public_id"] == str(world["ines"].public_id)
    assert OTHER not in json.dumps(bundle, ensure_ascii=False)


def test_non_heads_get_404_and_no_button(client, world, other_school):
    url = reverse("pupil_access_export", kwargs={"public_id": world["ines"].public_id})
    page_url = reverse("pupil_detail", kwargs={"public_id": world["ines"].public_id})
    for name in ("cpe", "nurse", "tutor", "teacher"):
        member = world["members"][name]
        assert login(client, member).get(url).status_code == 404
        assert "droit d'accès" not in client.get(page_url).content.decode()
    outsider = adhered(factories.MembershipFactory(school=other_school, head=True))
    assert login(client, outsider).get(url).status_code == 404
    assert not AuditEvent.objects.filter(action="export").exists()
