"""The access matrix: every persona × every view × pupils of two schools.

An outsider gets 404 (the same answer as a missing record); a member who has
not adhered to the charter is sent to it; refused writes change nothing; and a
test walks the URL resolver so that no view escapes the matrix.
"""

import datetime as dt
import uuid
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from alliance.audit.models import AuditEvent
from alliance.cases import services as case_services
from alliance.cases.models import (
    Case,
    CaseNote,
    CaseReferral,
    CaseTeamMember,
    FamilyContact,
    FamilyContactException,
    SignCatalogueEntry,
)
from alliance.charter.models import BoardPresentation, CharterAdhesion, CharterVersion
from alliance.pupils.models import Guardian, Pupil, RosterImport
from alliance.tenancy.models import Membership, Profession, Role
from tests import factories
from tests.conftest import adhered, login

HEADS = {"head", "deputy"}
STAFF = {
    "cpe",
    "teacher",
    "form_tutor",
    "dropout_referent",
    "psyen",
    "nurse",
    "social_worker",
    "doctor",
}
PUPIL_READERS = HEADS | STAFF
PUPIL_EDITORS = HEADS | {"cpe"}
ADHERED_MEMBERS = PUPIL_READERS | {"partner", "volunteer", "partner_admin", "district", "admin"}
# The world's case: the head sees it; its team is the CPE (referent), the form tutor and the
# nurse — not the teacher nor any other staff member (need-to-know).
CASE_TEAM = {"cpe", "form_tutor", "nurse"}
CASE_READERS = HEADS | CASE_TEAM
CASE_STEERERS = HEADS | {"cpe"}
CASE_MARKER = "ZXQ-MATRIX-CASE-REASON"
DEFAULT_SIGN_CODES = [code for code, _label in case_services.DEFAULT_SIGNS]
NURSE_SECRET = "ZXQ-MATRIX-NURSE-SECRET"

PERSONAS = {
    # name: (role, profession)
    "head": (Role.HEAD, Profession.PRINCIPAL),
    "deputy": (Role.HEAD, Profession.DEPUTY),
    "cpe": (Role.STAFF, Profession.CPE),
    "teacher": (Role.STAFF, Profession.TEACHER),
    "form_tutor": (Role.STAFF, Profession.FORM_TUTOR),
    "dropout_referent": (Role.STAFF, Profession.DROPOUT_REFERENT),
    "psyen": (Role.STAFF, Profession.PSYEN),
    "nurse": (Role.STAFF, Profession.NURSE),
    "social_worker": (Role.STAFF, Profession.SOCIAL_WORKER),
    "doctor": (Role.STAFF, Profession.DOCTOR),
    "partner": (Role.PARTNER, Profession.PARTNER_PROFESSIONAL),
    "volunteer": (Role.PARTNER, Profession.VOLUNTEER),
    # A partner who also administers their organisation (docs/decisions/0014).
    "partner_admin": (Role.PARTNER, Profession.PARTNER_PROFESSIONAL),
    "district": (Role.DISTRICT, Profession.DISTRICT_OFFICER),
    "admin": (Role.ADMIN, Profession.TECHNICAL_ADMIN),
}
# Special personas: not adhered, expired membership, head of the other school only, anonymous.
ALL_PERSONAS = [*PERSONAS, "not_adhered", "expired", "outsider", "anonymous"]
EVERY_MEMBER = ADHERED_MEMBERS | {"outsider"}
EVERY_LOGGED_IN = EVERY_MEMBER | {"not_adhered", "expired"}


@dataclass
class World:
    school: object
    other_school: object
    pupil: object
    other_pupil: object
    members: dict = field(default_factory=dict)
    case: object = None


@pytest.fixture
def world(db):
    school = factories.SchoolFactory(name="Collège Jean Moulin")
    other = factories.SchoolFactory(name="Lycée professionnel Louise Michel")
    factories.CharterVersionFactory(school=school, number=1)
    factories.CharterVersionFactory(school=other, number=1)
    division = factories.DivisionFactory(
        school_year=factories.SchoolYearFactory(school=school), code="4E B"
    )
    pupil = factories.PupilFactory(
        school=school, last_name="Belkacem", first_name="Inès", division=division
    )
    factories.GuardianFactory(pupil=pupil)
    other_pupil = factories.PupilFactory(school=other, last_name="Haddad", first_name="Samir")
    members = {}
    for name, (role, profession) in PERSONAS.items():
        extra = {}
        if role == Role.PARTNER:
            extra["partner_organisation"] = factories.PartnerOrganisationFactory()
        members[name] = adhered(
            factories.MembershipFactory(school=school, role=role, profession=profession, **extra)
        )
    members["not_adhered"] = factories.MembershipFactory(
        school=school, role=Role.HEAD, profession=Profession.PRINCIPAL
    )
    members["expired"] = factories.MembershipFactory(
        school=school, cpe=True, valid_from=dt.date(2019, 9, 1), valid_until=dt.date(2021, 8, 31)
    )
    members["outsider"] = adhered(factories.MembershipFactory(school=other, head=True))
    members["anonymous"] = None
    return World(school, other, pupil, other_pupil, members, case=_world_case(pupil, members))


def _world_case(pupil, members):
    """A case of the school's pupil, its team, a family contact, the nurse's summary and secret."""
    from django.test import override_settings

    from alliance.core import clock

    head = members["head"]
    case = case_services.case_refer(actor=members["cpe"], pupil=pupil, reason=CASE_MARKER).case
    case_services.case_assign_referent(case=case, actor=head, referent=members["cpe"])
    for name in ("form_tutor", "nurse"):
        case_services.case_team_add(case=case, actor=head, membership=members[name])
    case_services.family_contact_record(
        case=case,
        actor=members["cpe"],
        contacted_on=clock.today(),
        channel="phone",
        reached=True,
        guardian=pupil.guardians.first(),
    )
    case_services.case_note_create(
        case=case,
        actor=members["nurse"],
        audience="team",
        body="suivi infirmier en cours",
        is_summary_item=True,
    )
    with override_settings(ALLIANCE_CERTIFIED_HEALTH_HOSTING=True):
        case_services.case_note_create(
            case=case, actor=members["nurse"], audience="profession", body=NURSE_SECRET
        )
    case.refresh_from_db()
    return case


def _pupil_kwargs(world):
    return {"public_id": world.pupil.public_id}


def _other_pupil_kwargs(world):
    return {"public_id": world.other_pupil.public_id}


def _no_kwargs(world):
    return {}


def _case_kwargs(world):
    return {"public_id": world.case.public_id}


# --- GPDS meetings, action plans, dashboard (docs/decisions/0008-meetings-plans-dashboard.md).
# Built on demand from the world's case, so the other views' tests keep the world as it is:
# a meeting held a week ago (the head, the CPE and the PsyEN present) examined the case, whose
# plan (one action) is active and under review; a second meeting is convened for next week
# (the head, the CPE and the PsyEN convened). The PsyEN is not on the case team.
MEETING_CONVENED = {"cpe", "psyen"}
MEETING_READERS = HEADS | MEETING_CONVENED | CASE_TEAM


def _gpds(world):
    cache = world.__dict__.setdefault("_gpds", {})
    if cache:
        return cache
    import datetime as dt

    from alliance.core import clock
    from alliance.meetings import services as meeting_services
    from alliance.meetings.models import Attendance
    from alliance.plans import services as plan_services
    from alliance.plans.models import ActionType

    head, members = world.members["head"], world.members
    convened = [head, members["cpe"], members["psyen"]]
    held = meeting_services.meeting_convene(
        actor=head,
        starts_at=clock.now() - dt.timedelta(days=7),
        place="B12",
        members=convened,
        cases=[world.case],
    )
    meeting_services.meeting_record_attendance(
        actor=head,
        meeting=held,
        expected_version=held.version,
        attendance={m.pk: Attendance.PRESENT for m in convened},
    )
    item = held.agenda_items.get()
    meeting_services.agenda_item_record(
        actor=head,
        item=item,
        expected_version=item.version,
        situation_summary="",
        decisions="Tutorat",
    )
    world.case.refresh_from_db()
    plan = plan_services.plan_create(actor=head, case=world.case)
    action = plan_services.plan_action_add(
        actor=head,
        plan=plan,
        expected_version=plan.version,
        goals=["Rendre ses devoirs"],
        action_type=ActionType.objects.filter(school=world.school).first(),
        time_frame="in_school",
        owner=members["form_tutor"],
        starts_on=clock.today(),
        frequency="weekly",
    )
    plan.refresh_from_db()
    plan_services.plan_activate(
        actor=head,
        plan=plan,
        expected_version=plan.version,
        next_review_on=clock.today() + dt.timedelta(days=42),
    )
    review = plan_services.plan_review_open(actor=head, plan=plan, expected_version=plan.version)
    coming = meeting_services.meeting_convene(
        actor=head,
        starts_at=clock.now() + dt.timedelta(days=7),
        place="B12",
        members=convened,
        cases=[world.case],
    )
    world.case.refresh_from_db()
    cache.update(held=held, item=item, plan=plan, action=action, review=review, coming=coming)
    return cache


def _held_meeting_kwargs(world):
    return {"public_id": _gpds(world)["held"].public_id}


def _coming_meeting_kwargs(world):
    return {"public_id": _gpds(world)["coming"].public_id}


def _agenda_item_kwargs(world):
    gpds = _gpds(world)
    return {"public_id": gpds["held"].public_id, "item_id": gpds["item"].public_id}


def _plan_kwargs(world):
    return {"public_id": _gpds(world)["plan"].public_id}


def _action_kwargs(world):
    return {"public_id": _gpds(world)["action"].public_id}


def _review_kwargs(world):
    return {"public_id": _gpds(world)["review"].public_id}


@dataclass(frozen=True)
class ViewCase:
    """Who gets 200 on GET (``readers``); everyone else logged in with a live membership gets ``refused``."""

    kwargs: object
    readers: frozenset
    refused: int = 404
    get_allowed: bool = True  # False for POST-only views (405 for members who pass the guards)
    gate_open: bool = False  # reachable before adhering to the charter
    needs_membership: bool = True
    post_data: dict | None = None  # a write attempted by each refused persona


def case(kwargs, readers, **options):
    return ViewCase(kwargs, frozenset(readers), **options)


# --- Vie-scolaire events import (docs/formats/events.md): a file staged by the CPE and its
# dry-run job (queued), both of the world's school. The file names the world's pupil: the
# technical admin, who imports but may not see pupils, gets the preview with names masked.
EVENT_IMPORTERS = PUPIL_EDITORS | {"admin"}


def _event_import(world):
    cache = world.__dict__.setdefault("_events", {})
    if cache:
        return cache
    from alliance.jobs import services as job_services

    name = f"{world.pupil.last_name} {world.pupil.first_name}"
    data = f"Élève;Classe;Date début\r\n{name};4E B;14/09/2026\r\n".encode()
    cpe = world.members["cpe"]
    upload = job_services.staged_upload_create(
        actor=cpe, kind="absences", filename="absences.csv", data=data, params={"rows": 1}
    )
    job = job_services.import_job_create(
        actor=cpe,
        handler="detection.events",
        kind="absences",
        upload=upload,
        params={"mapping": {"pupil_name": 0, "start": 2}, "period": ""},
        dry_run=True,
        total=1,
    )
    cache.update(upload=upload, job=job)
    return cache


def _event_upload_kwargs(world):
    return {"public_id": _event_import(world)["upload"].public_id}


def _event_job_kwargs(world):
    return {"public_id": _event_import(world)["job"].public_id}


# --- Roster import jobs (docs/decisions/0005-roster-import-pipeline.md): a confirmed import of
# the world's school, queued. Those who may import rosters follow it; the outsider, head of
# another school, gets the same 404 as for a missing job.
ROSTER_JOB_READERS = PUPIL_EDITORS | {"admin"}


def _roster_job_kwargs(world):
    cache = world.__dict__.setdefault("_roster", {})
    if not cache:
        from alliance.jobs import services as job_services
        from alliance.pupils.imports.pending import pending_upload_store

        cpe = world.members["cpe"]
        upload = pending_upload_store(
            actor=cpe, data=b"nom;prenom\r\n", filename="roster.csv", full_list=False, rows=1
        )
        cache["job"] = job_services.import_job_create(
            actor=cpe,
            handler="pupils.roster",
            kind="roster",
            upload=upload,
            params={"full_list": False, "fingerprint": "0" * 64},
            dry_run=False,
            total=1,
        )
    return {"public_id": cache["job"].public_id}


# --- Detection (docs/detection/watchlist.md): the watchlist is read by the head and, by default,
# the CPE and the dropout referent; the grid by the head and the staff not bound by secrecy;
# the rules by the head. The world's pupil (who has a case) is put on the watchlist on demand,
# so that the no-trace checks below look at a row that exists.
WATCHLIST_READERS = HEADS | {"cpe", "dropout_referent"}
OBSERVERS = HEADS | {"cpe", "teacher", "form_tutor", "dropout_referent"}


def _on_the_watchlist(world):
    if world.__dict__.get("_watched"):
        return
    from alliance.core import clock
    from alliance.detection.models import Absence, EventImport

    cpe = world.members["cpe"]
    event_import = EventImport.objects.create(
        school=world.school,
        membership=cpe,
        kind="absences",
        imported_at=clock.now(),
        file_sha256="0" * 64,
    )
    for n in range(5):
        Absence.objects.create(
            school=world.school,
            pupil=world.pupil,
            source_key=f"{n:064d}",
            event_import=event_import,
            start_date=clock.today(),
            end_date=clock.today(),
            half_days=1,
            justified=False,
        )
    world.__dict__["_watched"] = True


def _watchlist_kwargs(world):
    _on_the_watchlist(world)
    return {}


def _watched_pupil_kwargs(world):
    _on_the_watchlist(world)
    return _pupil_kwargs(world)


def _rule_kwargs(world):
    return {"code": "lateness"}


# --- Right of access (issue 5): the head exports a pupil's data; only a note's author
# releases it for the export (the nurse's secret note of the world's case).
def _secret_note_kwargs(world):
    note = CaseNote.objects.get(case=world.case, audience="profession")
    return {"public_id": note.public_id}


# --- Partner organisations (docs/decisions/0014-partner-organisations.md): the partner_admin
# persona's organisation is registered with the school; they administer it; it has a second
# person (a volunteer) and a pending invitation sent by the administrator. Built on demand.
PARTNER_HEADS = HEADS | {"outsider"}


def _partner_world(world):
    cache = world.__dict__.setdefault("_partners", {})
    if cache:
        return cache
    from alliance.core import clock
    from alliance.partners import services as partner_services
    from alliance.partners.models import PartnerPerson, PartnerRegistration

    admin = world.members["partner_admin"]
    organisation = admin.partner_organisation
    PartnerRegistration.objects.create(
        school=world.school, organisation=organisation, registered_at=clock.now()
    )
    PartnerPerson.objects.create(
        organisation=organisation,
        user=admin.user,
        kind="professional",
        is_admin=True,
        joined_at=clock.now(),
    )
    person = PartnerPerson.objects.create(
        organisation=organisation,
        user=factories.UserFactory(),
        kind="volunteer",
        joined_at=clock.now(),
    )
    invitation, token = partner_services.invitation_create(
        organisation=organisation,
        email="invite-matrix@example.org",
        kind="professional",
        actor_user=admin.user,
    )
    cache.update(organisation=organisation, person=person, invitation=invitation, token=token)
    return cache


def _partner_org_kwargs(world):
    return {"public_id": _partner_world(world)["organisation"].public_id}


def _partner_person_kwargs(world):
    return {"public_id": _partner_world(world)["person"].public_id}


def _partner_invitation_kwargs(world):
    return {"public_id": _partner_world(world)["invitation"].public_id}


def _partner_token_kwargs(world):
    return {"token": _partner_world(world)["token"]}


def _partner_admin_kwargs(world):
    _partner_world(world)
    return {}


# --- Agreements (docs/decisions/0013-agreements.md): a draft school–partner agreement of the
# world's school, with an organisation the head registered. The head alone reads and writes.
def _agreement_kwargs(world):
    cache = world.__dict__.setdefault("_agreement", {})
    if not cache:
        from alliance.agreements import services as agreement_services
        from alliance.core import clock
        from alliance.partners.models import PartnerRegistration

        organisation = factories.PartnerOrganisationFactory(name="Association Matrice")
        PartnerRegistration.objects.create(
            school=world.school, organisation=organisation, registered_at=clock.now()
        )
        cache["agreement"] = agreement_services.agreement_create(
            actor=world.members["head"],
            kind="school_partner",
            partner_organisation=organisation,
            title="Convention d'accompagnement",
            purpose="Aide aux devoirs",
            parties="Le collège ; l'association",
            starts_on=clock.today(),
            ends_on=clock.today() + dt.timedelta(days=300),
        )
    return {"public_id": cache["agreement"].public_id}


VIEW_MATRIX = {
    "home": case(_no_kwargs, EVERY_MEMBER | {"expired"}, needs_membership=False),
    "login": case(_no_kwargs, {"anonymous"}, gate_open=True, needs_membership=False),
    "logout": case(
        _no_kwargs,
        EVERY_LOGGED_IN | {"anonymous"},
        get_allowed=False,
        gate_open=True,
        needs_membership=False,
    ),
    "set_language": case(_no_kwargs, set(), gate_open=True, needs_membership=False),
    "school_switch": case(
        _no_kwargs, EVERY_LOGGED_IN, get_allowed=False, gate_open=True, needs_membership=False
    ),
    "charter": case(_no_kwargs, EVERY_MEMBER | {"not_adhered"}, gate_open=True),
    "charter_adhere": case(
        _no_kwargs, EVERY_MEMBER | {"not_adhered"}, get_allowed=False, gate_open=True
    ),
    "charter_publish": case(
        _no_kwargs,
        HEADS | {"outsider", "not_adhered"},
        gate_open=True,
        post_data={"title": "Charte piratée", "body": "x"},
    ),
    "charter_board": case(
        _no_kwargs,
        HEADS | {"outsider"},
        get_allowed=False,
        post_data={"presented_on": "2026-09-24", "minutes_reference": "CA 99"},
    ),
    "pupil_list": case(_no_kwargs, PUPIL_READERS | {"outsider"}),
    "pupil_create": case(
        _no_kwargs,
        PUPIL_EDITORS | {"outsider"},
        post_data={"last_name": "Intrus", "first_name": "Eve", "birth_date": "2012-01-01"},
    ),
    "roster_import": case(_no_kwargs, PUPIL_EDITORS | {"outsider", "admin"}),
    "roster_import_confirm": case(
        _no_kwargs,
        PUPIL_EDITORS | {"outsider", "admin"},
        get_allowed=False,
        post_data={"token": "x" * 43},
    ),
    "roster_import_history": case(_no_kwargs, PUPIL_EDITORS | {"outsider", "admin"}),
    "roster_import_job": case(_roster_job_kwargs, ROSTER_JOB_READERS),
    "roster_import_job_progress": case(_roster_job_kwargs, ROSTER_JOB_READERS),
    "pupil_detail": case(_pupil_kwargs, PUPIL_READERS),
    "pupil_edit": case(
        _pupil_kwargs,
        PUPIL_EDITORS,
        post_data={
            "last_name": "Changé",
            "first_name": "X",
            "birth_date": "2012-01-01",
            "version": "1",
        },
    ),
    "guardian_create": case(
        _pupil_kwargs, PUPIL_EDITORS, post_data={"last_name": "Intrus", "relationship": "other"}
    ),
    # Retention (decision 0015): the head or the CPE records that the pupil left (POST only).
    "pupil_mark_left": case(
        _pupil_kwargs, PUPIL_EDITORS, get_allowed=False, post_data={"confirm": "1"}
    ),
    "pupil_access_log": case(_pupil_kwargs, HEADS),
    "pupil_access_export": case(_pupil_kwargs, HEADS),
    "case_note_release": case(
        _secret_note_kwargs, {"nurse"}, get_allowed=False, post_data={"confirm": "1"}
    ),
    "access_log": case(_no_kwargs, HEADS | {"outsider"}),
    "retention_overview": case(_no_kwargs, HEADS | {"outsider"}),
    # Cases: see docs/decisions/0007-need-to-know-and-secrecy.md.
    # Partners list the cases whose team they are on under an agreement in force (none here).
    "case_list": case(
        _no_kwargs,
        PUPIL_READERS | {"outsider"} | {p for p, (r, _) in PERSONAS.items() if r == Role.PARTNER},
    ),
    "case_refer": case(_pupil_kwargs, PUPIL_READERS, post_data={"reason": "Intrusion"}),
    "case_detail": case(_case_kwargs, CASE_READERS),
    "case_edit": case(_case_kwargs, CASE_STEERERS, post_data={"reason": "Piraté", "version": "5"}),
    "case_transition": case(
        _case_kwargs,
        CASE_STEERERS,
        get_allowed=False,
        post_data={"action": "examine", "version": "5"},
    ),
    "case_close": case(
        _case_kwargs,
        CASE_STEERERS,
        get_allowed=False,
        post_data={"outcome": "other", "version": "5"},
    ),
    "case_reopen": case(
        _case_kwargs, HEADS, get_allowed=False, post_data={"reason": "x", "version": "5"}
    ),
    "case_family_contact": case(
        _case_kwargs,
        CASE_READERS,
        get_allowed=False,
        post_data={"contacted_on": "2026-10-01", "channel": "phone", "reached": "on"},
    ),
    "case_exception": case(
        _case_kwargs, CASE_READERS, get_allowed=False, post_data={"reason": "Intrusion"}
    ),
    "case_team_add": case(
        _case_kwargs, HEADS, get_allowed=False, post_data={"membership": str(uuid.uuid4())}
    ),
    "case_team_remove": case(
        _case_kwargs, HEADS, get_allowed=False, post_data={"membership": str(uuid.uuid4())}
    ),
    "case_referent": case(
        _case_kwargs,
        HEADS,
        get_allowed=False,
        post_data={"membership": str(uuid.uuid4()), "version": "5"},
    ),
    "case_note": case(
        _case_kwargs,
        CASE_READERS,
        get_allowed=False,
        post_data={"audience": "team", "body": "Intrusion"},
    ),
    # GPDS meetings (need-to-know per agenda item), action plans, the head's dashboard.
    "meeting_list": case(_no_kwargs, PUPIL_READERS | {"outsider"}),
    "meeting_create": case(
        _no_kwargs,
        HEADS | {"outsider"},
        post_data={"date": "2026-12-03", "time": "12:30", "duration_minutes": "60", "place": "X"},
    ),
    "meeting_detail": case(_held_meeting_kwargs, MEETING_READERS),
    "meeting_minutes_pdf": case(_held_meeting_kwargs, MEETING_READERS),
    "meeting_edit": case(
        _coming_meeting_kwargs, HEADS, post_data={"place": "Ailleurs", "version": "1"}
    ),
    "meeting_cancel": case(
        _coming_meeting_kwargs, HEADS, get_allowed=False, post_data={"version": "1"}
    ),
    "meeting_attendance": case(_coming_meeting_kwargs, HEADS, post_data={"version": "1"}),
    "agenda_item_record": case(
        _agenda_item_kwargs, HEADS, post_data={"decisions": "Piraté", "version": "2"}
    ),
    "plan_for_case": case(_case_kwargs, CASE_READERS, post_data={"start": "1"}),
    "plan_detail": case(_plan_kwargs, CASE_READERS),
    "plan_action_add": case(_plan_kwargs, CASE_READERS, post_data={"goals": "x", "version": "9"}),
    "plan_action_edit": case(
        _action_kwargs, CASE_READERS, post_data={"status": "stopped", "version": "1"}
    ),
    # The action's owner (here the form tutor) reports progress (decision 0013; POST only).
    "plan_action_progress": case(
        _action_kwargs,
        {"form_tutor"},
        get_allowed=False,
        post_data={"status": "completed", "version": "1"},
    ),
    "plan_activate": case(_plan_kwargs, CASE_STEERERS, post_data={"version": "9"}),
    "plan_agreement_add": case(
        _plan_kwargs, CASE_READERS, post_data={"party": "pupil", "channel": "phone"}
    ),
    "plan_review_open": case(
        _plan_kwargs, CASE_STEERERS, get_allowed=False, post_data={"version": "9"}
    ),
    "plan_review": case(_review_kwargs, CASE_STEERERS, post_data={"version": "9"}),
    "action_types": case(
        _no_kwargs, HEADS | {"outsider"}, post_data={"do": "add", "label": "Piratage"}
    ),
    "sign_catalogue": case(
        _no_kwargs, HEADS | {"outsider"}, post_data={"do": "add", "label": "Piratage"}
    ),
    "dashboard": case(_no_kwargs, HEADS | {"outsider"}),
    # Agreements (conventions) and the board's approvals: the head only.
    "agreement_list": case(_no_kwargs, HEADS | {"outsider"}),
    "agreement_create": case(
        _no_kwargs,
        HEADS | {"outsider"},
        post_data={
            "kind": "school_partner",
            "title": "Piratée",
            "purpose": "x",
            "parties": "x",
            "starts_on": "2026-09-01",
            "ends_on": "2027-06-30",
        },
    ),
    "agreement_detail": case(_agreement_kwargs, HEADS),
    "agreement_edit": case(
        _agreement_kwargs,
        HEADS,
        post_data={
            "title": "Piratée",
            "purpose": "x",
            "parties": "x",
            "starts_on": "2026-09-01",
            "ends_on": "2027-06-30",
            "version": "1",
        },
    ),
    "agreement_signature": case(
        _agreement_kwargs,
        HEADS,
        get_allowed=False,
        post_data={"party": "partner", "signatory_name": "Intrus", "signed_on": "2026-09-01"},
    ),
    "agreement_board_approval": case(
        _agreement_kwargs,
        HEADS,
        get_allowed=False,
        post_data={"approved_on": "2026-09-01", "reference": "CA 99", "version": "1"},
    ),
    "agreement_revoke": case(
        _agreement_kwargs, HEADS, get_allowed=False, post_data={"reason": "x", "version": "1"}
    ),
    "agreement_pdf": case(_agreement_kwargs, HEADS),
    # Vie-scolaire events import: those who may import (head, CPE, technical admin).
    "event_import_upload": case(
        _no_kwargs, EVENT_IMPORTERS | {"outsider"}, post_data={"kind": "absences"}
    ),
    "event_import_mapping": case(
        _event_upload_kwargs,
        EVENT_IMPORTERS,
        post_data={"pupil_name": "0", "start": "2", "confirm": "1"},
    ),
    "event_import_job": case(_event_job_kwargs, EVENT_IMPORTERS),
    "event_import_job_progress": case(_event_job_kwargs, EVENT_IMPORTERS),
    "event_import_run": case(
        _event_job_kwargs, EVENT_IMPORTERS, get_allowed=False, post_data={"confirm": "1"}
    ),
    "event_import_history": case(_no_kwargs, EVENT_IMPORTERS | {"outsider"}),
    # Detection: the watchlist, the referral from it, the observation grid, the school's rules.
    "watchlist": case(_watchlist_kwargs, WATCHLIST_READERS | {"outsider"}),
    "watchlist_refer": case(
        _watched_pupil_kwargs, WATCHLIST_READERS, post_data={"reason": "Intrusion"}
    ),
    "observation_create": case(
        _pupil_kwargs,
        OBSERVERS,
        post_data={"signs": ["isolation"], "observed_on": "2026-11-02"},
    ),
    "detection_settings": case(
        _no_kwargs,
        HEADS | {"outsider"},
        post_data={"capacity": "3", "professions": ["teacher"], "version": "1"},
    ),
    "detection_rules": case(_no_kwargs, HEADS | {"outsider"}),
    "detection_rule_edit": case(
        _rule_kwargs,
        HEADS | {"outsider"},
        post_data={"enabled": "on", "vigilance": "1", "alerte": "2", "weight": "9", "version": "1"},
    ),
    "detection_rules_export": case(_no_kwargs, HEADS | {"outsider"}),
    "detection_rules_import": case(_no_kwargs, HEADS | {"outsider"}, post_data={"version": "1"}),
    "detection_rules_reset": case(
        _no_kwargs, HEADS | {"outsider"}, get_allowed=False, post_data={"version": "1"}
    ),
    # Partner organisations: the head's pages, the organisation administrator's, the link.
    "partner_list": case(_partner_admin_kwargs, PARTNER_HEADS),
    "partner_register": case(
        _partner_admin_kwargs,
        PARTNER_HEADS,
        post_data={"name": "Intrus", "kind": "association", "admin_email": "x@example.org"},
    ),
    "partner_detail": case(_partner_org_kwargs, HEADS),
    "partner_admin_invite": case(
        _partner_org_kwargs, HEADS, get_allowed=False, post_data={"email": "x@example.org"}
    ),
    "partner_grant": case(
        _partner_org_kwargs, HEADS, get_allowed=False, post_data={"person": str(uuid.uuid4())}
    ),
    "partner_membership_end": case(
        _partner_org_kwargs,
        HEADS,
        get_allowed=False,
        post_data={"membership": str(uuid.uuid4())},
    ),
    "my_organisations": case(_partner_admin_kwargs, {"partner_admin"}, needs_membership=False),
    "organisation_admin": case(_partner_org_kwargs, {"partner_admin"}, needs_membership=False),
    "organisation_invite": case(
        _partner_org_kwargs,
        {"partner_admin"},
        get_allowed=False,
        needs_membership=False,
        post_data={"email": "x@example.org", "kind": "volunteer"},
    ),
    "organisation_person_remove": case(
        _partner_person_kwargs,
        {"partner_admin"},
        get_allowed=False,
        needs_membership=False,
        post_data={"confirm": "1"},
    ),
    "partner_invitation_revoke": case(
        _partner_invitation_kwargs,
        {"partner_admin"},
        get_allowed=False,
        needs_membership=False,
        post_data={"confirm": "1"},
    ),
    # Anyone holding the link sees the invitation (logged in with another address: "log out").
    "partner_invitation_accept": case(
        _partner_token_kwargs,
        EVERY_MEMBER | {"expired", "anonymous"},
        needs_membership=False,
        post_data={"first_name": "E", "last_name": "Ve", "password1": "x", "password2": "x"},
    ),
}


def _url_names(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _url_names(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield pattern.name
        elif isinstance(pattern, URLPattern):
            raise AssertionError(
                f"unnamed URL pattern {pattern.pattern}: name it and add it to the matrix"
            )


def test_every_view_is_in_the_matrix():
    names = set(_url_names(get_resolver().url_patterns))
    assert names == set(VIEW_MATRIX), (
        f"missing from the matrix: {sorted(names - set(VIEW_MATRIX))}; "
        f"stale in the matrix: {sorted(set(VIEW_MATRIX) - names)}"
    )


def expected_get(view: ViewCase, persona: str) -> int:
    """``readers`` are the personas who pass the view's guards: 200 on GET, or 405 for POST-only views."""
    if persona == "anonymous" and persona not in view.readers:
        return 302  # to the login page
    if persona == "not_adhered" and not view.gate_open:
        return 302  # to the charter
    if persona in view.readers:
        return 200 if view.get_allowed else 405
    return view.refused


def snapshot():
    return {
        "pupils": sorted(
            Pupil.objects.values_list(
                "public_id", "last_name", "first_name", "birth_date", "version"
            )
        ),
        "guardians": Guardian.objects.count(),
        "charters": CharterVersion.objects.count(),
        "presentations": BoardPresentation.objects.count(),
        "adhesions": CharterAdhesion.objects.count(),
        "imports": RosterImport.objects.count(),
        "memberships": Membership.objects.count(),
        "audit": AuditEvent.objects.count(),
        "cases": sorted(
            Case.objects.values_list("public_id", "status", "reason", "referent_id", "version")
        ),
        "referrals": CaseReferral.objects.count(),
        "team": sorted(CaseTeamMember.objects.values_list("membership_id", "removed_at")),
        "contacts": FamilyContact.objects.count(),
        "exceptions": FamilyContactException.objects.count(),
        "notes": CaseNote.objects.count(),
        # The grid of signs as changed by a head (the French defaults are seeded on first use).
        "signs": sorted(
            SignCatalogueEntry.objects.exclude(
                code__in=DEFAULT_SIGN_CODES, is_active=True
            ).values_list("school_id", "code", "label", "is_active")
        ),
        **_gpds_snapshot(),
        **_agreements_snapshot(),
        **_events_snapshot(),
        **_detection_snapshot(),
        **_partners_snapshot(),
    }


def _partners_snapshot():
    from alliance.partners.models import (
        PartnerInvitation,
        PartnerOrganisation,
        PartnerPerson,
        PartnerRegistration,
    )

    return {
        "partner_organisations": PartnerOrganisation.objects.count(),
        "partner_registrations": PartnerRegistration.objects.count(),
        "partner_people": sorted(PartnerPerson.objects.values_list("pk", "is_admin", "left_at")),
        "partner_invitations": sorted(
            PartnerInvitation.objects.values_list("pk", "accepted_at", "revoked_at")
        ),
        "partner_memberships": sorted(
            Membership.objects.filter(role=Role.PARTNER).values_list("pk", "valid_until")
        ),
    }


def _agreements_snapshot():
    from alliance.agreements.models import Agreement, AgreementSignature

    return {
        "agreements_rows": sorted(
            Agreement.objects.values_list("public_id", "title", "status", "version")
        ),
        "agreement_signatures": AgreementSignature.objects.count(),
    }


def _detection_snapshot():
    from alliance.detection.models import DetectionSettings, Observation

    return {
        "observations": Observation.objects.count(),
        "detection_settings": sorted(
            DetectionSettings.objects.values_list("school_id", "version", "capacity")
        ),
    }


def _events_snapshot():
    from alliance.detection.models import Absence, ColumnMapping, EventImport
    from alliance.jobs.models import ImportJob, StagedUpload

    return {
        "event_imports": EventImport.objects.count(),
        "absences": Absence.objects.count(),
        "column_mappings": ColumnMapping.objects.count(),
        "import_jobs": sorted(ImportJob.objects.values_list("pk", "status")),
        "staged_uploads": StagedUpload.objects.count(),
    }


def _gpds_snapshot():
    from alliance.meetings.models import AgendaItem, Meeting, MeetingParticipant
    from alliance.plans.models import ActionPlan, ActionType, PlanAction, PlanAgreement, PlanReview

    return {
        "meetings": sorted(Meeting.objects.values_list("public_id", "status", "place", "version")),
        "participants": sorted(MeetingParticipant.objects.values_list("pk", "attendance")),
        "agenda": sorted(AgendaItem.objects.values_list("pk", "decisions", "version")),
        "plans": sorted(ActionPlan.objects.values_list("pk", "version", "activated_at")),
        "actions": sorted(PlanAction.objects.values_list("pk", "status", "version")),
        "agreements": PlanAgreement.objects.count(),
        "reviews": sorted(PlanReview.objects.values_list("pk", "status")),
        "action_types": ActionType.objects.count(),
    }


@pytest.mark.parametrize("name", sorted(VIEW_MATRIX))
def test_view_answers_each_persona_as_the_matrix_says(client, world, name):
    view = VIEW_MATRIX[name]
    url = reverse(name, kwargs=view.kwargs(world))
    for persona in ALL_PERSONAS:
        client.logout()
        membership = world.members[persona]
        if membership is not None:
            login(client, membership)
        response = client.get(url)
        expected = expected_get(view, persona)
        if name == "set_language":
            expected = 302
        elif name == "login" and persona != "anonymous":
            expected = 302  # already logged in: sent home
        assert response.status_code == expected, (
            f"{persona} GET {name}: {response.status_code} != {expected}"
        )
        body = response.content.decode(errors="replace")
        # Pupils of the school appear only to those who may read them; the other school's never do.
        if persona not in PUPIL_READERS:
            assert world.pupil.last_name not in body, f"{persona} saw a pupil in {name}"
        if persona != "outsider":
            assert world.other_pupil.last_name not in body, (
                f"{persona} saw another school's pupil in {name}"
            )
        # Need-to-know: no trace of the case outside its readers; the nurse's secret, hers only.
        if persona not in CASE_READERS:
            assert CASE_MARKER not in body, f"{persona} saw the case in {name}"
            assert str(world.case.public_id) not in body, f"{persona} saw the case id in {name}"
        if persona != "nurse":
            assert NURSE_SECRET not in body, f"{persona} saw the nurse's note in {name}"


@pytest.mark.parametrize("name", sorted(n for n, v in VIEW_MATRIX.items() if v.post_data))
def test_refused_writes_leave_the_database_unchanged(client, world, name):
    view = VIEW_MATRIX[name]
    url = reverse(name, kwargs=view.kwargs(world))
    may_write = view.readers
    for persona in ALL_PERSONAS:
        if persona in may_write:
            continue
        client.logout()
        membership = world.members[persona]
        if membership is not None:
            login(client, membership)
        before = snapshot()
        response = client.post(url, view.post_data)
        assert response.status_code in {302, 404}, f"{persona} POST {name}: {response.status_code}"
        if response.status_code == 302:
            assert response["Location"].startswith((reverse("login"), reverse("charter"))), persona
        assert snapshot() == before, f"{persona} POST {name} changed the database"


@pytest.mark.parametrize(
    "name", ["pupil_detail", "pupil_edit", "guardian_create", "pupil_access_log"]
)
def test_a_pupil_of_another_school_is_a_404_like_a_missing_one(client, world, name):
    for persona in ADHERED_MEMBERS:
        login(client, world.members[persona])
        other = client.get(reverse(name, kwargs={"public_id": world.other_pupil.public_id}))
        missing = client.get(reverse(name, kwargs={"public_id": uuid.uuid4()}))
        assert other.status_code == missing.status_code == 404, persona
        assert other.content == missing.content, persona


def test_the_outsider_sees_their_own_pupil_and_nothing_else(client, world):
    login(client, world.members["outsider"])
    assert client.get(reverse("pupil_detail", kwargs=_other_pupil_kwargs(world))).status_code == 200
    listing = client.get(reverse("pupil_list")).content.decode()
    assert world.other_pupil.last_name in listing
    assert world.pupil.last_name not in listing


def test_search_never_reaches_another_school(client, world):
    login(client, world.members["head"])
    listing = client.get(reverse("pupil_list"), {"q": world.other_pupil.last_name}).content.decode()
    # The query is echoed in the search box; the pupil's link must not be there.
    assert str(world.other_pupil.public_id) not in listing
    assert "0 élève" in listing or "0 pupil" in listing
