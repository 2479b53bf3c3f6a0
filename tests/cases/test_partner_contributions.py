"""Partners contribute to the cases whose team they are on (docs/decisions/0013, section
"Partners contribute"): team notes, convocations to the meetings of their cases, progress on
the actions they carry, and the notice of the end of their access.
"""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils.translation import gettext as _

from alliance.agreements import services as agreement_services
from alliance.agreements.selectors import partner_access_ends_on, partner_access_notice
from alliance.audit.models import AuditEvent
from alliance.cases import services
from alliance.cases.models import CaseNote
from alliance.cases.selectors import notes_visible_to
from alliance.core import clock
from alliance.meetings import services as meeting_services
from alliance.meetings.selectors import (
    agenda_items_visible_to,
    convenable_partners,
    meetings_visible_to,
    partner_convocations,
)
from alliance.plans import services as plan_services
from alliance.plans.models import ActionStatus, ActionType
from alliance.plans.services import PlanEditConflictError
from tests import factories
from tests.cases import test_partner_access as access
from tests.cases.conftest import REASON_MARKER
from tests.cases.test_partner_access import (
    CONTACT_OUTCOME,
    approve,
    draft_agreement,
    move_clock,
    reach_family,
)
from tests.conftest import adhered, login

# The fixtures of the partners' sequence: their organisation and a partner not yet adhered.
organisation = access.organisation
partner = access.partner

PARTNER_NOTE = "ZXQ-NOTE-DU-PARTENAIRE"
MINUTES_MARKER = "ZXQ-COMPTE-RENDU"


@pytest.fixture
def agreement(head, organisation):
    return approve(head, draft_agreement(head, organisation, days=90))


@pytest.fixture
def on_team(head, cpe, open_case, guardian, partner, agreement):
    adhered(partner)
    reach_family(open_case, cpe, guardian)
    services.case_team_add(case=open_case, actor=head, membership=partner)
    open_case.refresh_from_db()
    return partner


def case_url(case):
    return reverse("case_detail", kwargs={"public_id": case.public_id})


def note_url(case):
    return reverse("case_note", kwargs={"public_id": case.public_id})


# ------------------------------------------------------------------------------ 1. notes


def test_a_partner_writes_a_note_for_the_whole_team_through_the_page(
    client, open_case, on_team, cpe, teacher
):
    login(client, on_team)
    page = client.get(case_url(open_case)).content.decode()
    # The form offers no audience: the note is for the whole team.
    assert 'name="body"' in page and 'name="audience"' not in page
    response = client.post(note_url(open_case), {"body": PARTNER_NOTE, "audience": "author_only"})
    assert response.status_code == 302
    note = CaseNote.objects.get(case=open_case, author=on_team)
    # Whatever the request says, the audience is the team.
    assert note.audience == "team" and note.body == PARTNER_NOTE and not note.is_summary_item
    assert AuditEvent.objects.filter(
        action="create", object_public_id=str(note.public_id), actor_membership_id=on_team.pk
    ).exists()
    # The team reads it; the partner's page shows it; a teacher off the team does not.
    assert note in notes_visible_to(cpe, open_case)
    assert not notes_visible_to(teacher, open_case).exists()
    assert PARTNER_NOTE in client.get(case_url(open_case)).content.decode()


def test_the_partner_note_answers_htmx_with_the_section(client, open_case, on_team):
    login(client, on_team)
    response = client.post(note_url(open_case), {"body": PARTNER_NOTE}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert response.status_code == 200
    assert PARTNER_NOTE in body and 'id="notes"' in body
    # The section alone: nothing of the staff page (referral reason, family contact).
    assert REASON_MARKER not in body and CONTACT_OUTCOME not in body


def test_an_empty_partner_note_says_what_is_missing(client, open_case, on_team):
    login(client, on_team)
    response = client.post(note_url(open_case), {"body": "   "})
    assert response.status_code == 400
    assert "Ce champ est obligatoire" in response.content.decode()
    assert not CaseNote.objects.filter(author=on_team).exists()


@pytest.mark.parametrize(
    ("audience", "summary"),
    [
        ("school_staff_on_team", False),
        ("profession", False),
        ("author_only", False),
        ("team", True),
    ],
)
def test_the_service_refuses_a_partner_any_other_audience(open_case, on_team, audience, summary):
    with pytest.raises(ValidationError) as info:
        services.case_note_create(
            case=open_case, actor=on_team, audience=audience, body="x", is_summary_item=summary
        )
    assert info.value.message_dict == {
        "audience": [_("A partner's note is shared with the whole case team.")]
    }
    assert not CaseNote.objects.filter(author=on_team).exists()


def test_no_note_once_the_agreement_ended_or_off_the_team(
    client, monkeypatch, head, open_case, on_team
):
    move_clock(monkeypatch, 91)
    with pytest.raises(PermissionDenied):
        services.case_note_create(case=open_case, actor=on_team, audience="team", body="x")
    login(client, on_team)
    assert client.post(note_url(open_case), {"body": "x"}).status_code == 404
    monkeypatch.undo()
    services.case_team_remove(case=open_case, actor=head, membership=on_team)
    with pytest.raises(PermissionDenied):
        services.case_note_create(case=open_case, actor=on_team, audience="team", body="x")
    assert not CaseNote.objects.filter(author=on_team).exists()


def test_a_closed_case_offers_no_note_form_and_refuses_one(client, head, open_case, on_team):
    services.case_close(case=open_case, actor=head, outcome="other")
    login(client, on_team)
    page = client.get(case_url(open_case)).content.decode()
    assert 'name="body"' not in page
    response = client.post(note_url(open_case), {"body": "x"})
    assert response.status_code == 400
    assert not CaseNote.objects.filter(author=on_team).exists()


# --------------------------------------------------------------------------- 2. meetings


def convene(head, members, cases, *, days=7):
    return meeting_services.meeting_convene(
        actor=head,
        starts_at=clock.now() + dt.timedelta(days=days),
        place="Salle B12",
        members=members,
        cases=cases,
    )


@pytest.fixture
def other_case(head, cpe, school):
    pupil = factories.PupilFactory(school=school, last_name="Lambert", first_name="Yanis")
    guardian = factories.GuardianFactory(pupil=pupil)
    case = services.case_refer(actor=cpe, pupil=pupil, reason="Retards").case
    reach_family(case, head, guardian)
    return case


def test_a_partner_is_convened_only_to_the_meetings_of_their_cases(
    head, cpe, open_case, other_case, on_team
):
    assert on_team in convenable_partners(head.school)
    # A meeting about another case as well: refused, with the reason.
    with pytest.raises(ValidationError) as info:
        convene(head, [cpe, on_team], [open_case, other_case])
    assert info.value.message_dict == {
        "members": [
            _(
                "A partner can be convened only to a meeting whose agenda holds only "
                "situations whose team they are on: make a separate meeting for the "
                "other situations."
            )
        ]
    }
    # A meeting about their case only: convened.
    meeting = convene(head, [cpe, on_team], [open_case])
    assert meeting.participants.filter(membership=on_team).exists()
    # Changing it to add another case is refused while the partner is convened.
    with pytest.raises(ValidationError):
        meeting_services.meeting_update(
            actor=head,
            meeting=meeting,
            expected_version=meeting.version,
            starts_at=meeting.starts_at,
            place=meeting.place,
            members=[cpe, on_team],
            cases=[open_case, other_case],
        )


def test_a_partner_without_agreement_or_off_the_team_cannot_be_convened(
    head, cpe, open_case, partner, agreement, guardian
):
    adhered(partner)
    reach_family(open_case, cpe, guardian)
    # Not on the team.
    assert partner not in convenable_partners(head.school)
    with pytest.raises(ValidationError):
        convene(head, [cpe, partner], [open_case])
    services.case_team_add(case=open_case, actor=head, membership=partner)
    agreement_services.agreement_revoke(
        actor=head, agreement=agreement, expected_version=agreement.version, reason="Fin."
    )
    assert partner not in convenable_partners(head.school)
    with pytest.raises(ValidationError):
        convene(head, [cpe, partner], [open_case])


def test_the_partner_sees_date_and_place_never_the_minutes(
    client, monkeypatch, head, cpe, open_case, on_team
):
    meeting = convene(head, [cpe, on_team], [open_case], days=1)
    [convocation] = partner_convocations(on_team, open_case)
    assert convocation.meeting == meeting
    # The meeting pages stay closed to partners, and no minutes reach them.
    assert not meetings_visible_to(on_team).exists()
    assert not agenda_items_visible_to(on_team, meeting).exists()
    login(client, on_team)
    assert (
        client.get(reverse("meeting_detail", kwargs={"public_id": meeting.public_id})).status_code
        == 404
    )
    # Held, with the partner present, and minutes recorded.
    move_clock(monkeypatch, 2)
    meeting_services.meeting_record_attendance(
        actor=head,
        meeting=meeting,
        expected_version=meeting.version,
        attendance={head.pk: "present", cpe.pk: "present", on_team.pk: "present"},
    )
    item = meeting.agenda_items.get()
    meeting_services.agenda_item_record(
        actor=head,
        item=item,
        expected_version=item.version,
        situation_summary=MINUTES_MARKER,
        decisions=MINUTES_MARKER,
    )
    assert not agenda_items_visible_to(on_team, meeting).exists()
    body = client.get(case_url(open_case)).content.decode()
    assert "Salle B12" in body
    assert MINUTES_MARKER not in body
    for name in ("meeting_detail", "meeting_minutes_pdf"):
        url = reverse(name, kwargs={"public_id": meeting.public_id})
        assert client.get(url).status_code == 404, name


def test_the_convocation_disappears_with_the_access(monkeypatch, head, cpe, open_case, on_team):
    convene(head, [cpe, on_team], [open_case])
    assert partner_convocations(on_team, open_case).exists()
    move_clock(monkeypatch, 91)
    assert not partner_convocations(on_team, open_case).exists()


def test_the_partner_invitation_names_no_pupil_and_links_to_their_cases(
    head, cpe, open_case, on_team, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = convene(head, [cpe, on_team], [open_case])
    [message] = [m for m in mail.outbox if m.to == [on_team.user.email]]
    assert open_case.pupil.last_name not in message.body
    assert reverse("case_list") in message.body
    assert reverse("meeting_detail", kwargs={"public_id": meeting.public_id}) not in message.body
    [staff_message] = [m for m in mail.outbox if m.to == [cpe.user.email]]
    assert reverse("meeting_detail", kwargs={"public_id": meeting.public_id}) in staff_message.body


# ------------------------------------------------------------------------------ 3. plan


@pytest.fixture
def partner_action(head, cpe, open_case, on_team):
    services.case_mark_examined(case=open_case, actor=head)
    plan = plan_services.plan_create(actor=cpe, case=open_case)
    return plan_services.plan_action_add(
        actor=cpe,
        plan=plan,
        expected_version=plan.version,
        goals=["Rendre ses devoirs à temps"],
        action_type=ActionType.objects.filter(school=open_case.school).first(),
        time_frame="outside_school",
        owner=on_team,
        starts_on=clock.today(),
        frequency="weekly",
    )


def progress_url(action):
    return reverse("plan_action_progress", kwargs={"public_id": action.public_id})


def test_the_partner_reports_their_action_started_then_done(
    client, open_case, on_team, partner_action
):
    login(client, on_team)
    page = client.get(case_url(open_case)).content.decode()
    assert progress_url(partner_action) in page
    response = client.post(
        progress_url(partner_action), {"status": "in_progress", "version": partner_action.version}
    )
    assert response.status_code == 302 and response.url.endswith("#plan")
    partner_action.refresh_from_db()
    assert partner_action.status == ActionStatus.IN_PROGRESS
    client.post(
        progress_url(partner_action), {"status": "completed", "version": partner_action.version}
    )
    partner_action.refresh_from_db()
    assert partner_action.status == ActionStatus.COMPLETED
    assert (
        AuditEvent.objects.filter(
            action="update",
            object_public_id=str(partner_action.public_id),
            actor_membership_id=on_team.pk,
        ).count()
        == 2
    )
    # Done: no more progress form; the page says it.
    assert progress_url(partner_action) not in client.get(case_url(open_case)).content.decode()


def test_progress_is_forward_only_and_refuses_a_stale_page(on_team, partner_action):
    with pytest.raises(ValidationError):
        plan_services.plan_action_report_progress(
            actor=on_team,
            action=partner_action,
            expected_version=partner_action.version,
            status=ActionStatus.STOPPED,
        )
    stale = partner_action.version
    plan_services.plan_action_report_progress(
        actor=on_team, action=partner_action, expected_version=stale, status="completed"
    )
    with pytest.raises(PlanEditConflictError):
        plan_services.plan_action_report_progress(
            actor=on_team, action=partner_action, expected_version=stale, status="in_progress"
        )
    partner_action.refresh_from_db()
    with pytest.raises(ValidationError) as info:
        plan_services.plan_action_report_progress(
            actor=on_team,
            action=partner_action,
            expected_version=partner_action.version,
            status="in_progress",
        )
    [message] = info.value.message_dict["status"]
    assert str(ActionStatus.COMPLETED.label) in message


def test_only_the_owner_reports_and_only_while_they_see_the_case(
    client, monkeypatch, cpe, form_tutor, head, open_case, on_team, partner_action
):
    # Another member of the team is not the owner.
    services.case_team_add(case=open_case, actor=head, membership=form_tutor)
    with pytest.raises(PermissionDenied):
        plan_services.plan_action_report_progress(
            actor=form_tutor,
            action=partner_action,
            expected_version=partner_action.version,
            status="completed",
        )
    login(client, form_tutor)
    assert client.post(progress_url(partner_action), {"status": "completed"}).status_code == 404
    # The owner, once the agreement ended: refused, and the page is a 404.
    move_clock(monkeypatch, 91)
    with pytest.raises(PermissionDenied):
        plan_services.plan_action_report_progress(
            actor=on_team,
            action=partner_action,
            expected_version=partner_action.version,
            status="completed",
        )
    login(client, on_team)
    response = client.post(
        progress_url(partner_action), {"status": "completed", "version": partner_action.version}
    )
    assert response.status_code == 404
    partner_action.refresh_from_db()
    assert partner_action.status == ActionStatus.PLANNED


def test_the_partner_still_cannot_edit_the_plan(client, on_team, partner_action):
    login(client, on_team)
    url = reverse("plan_action_edit", kwargs={"public_id": partner_action.public_id})
    assert client.get(url).status_code == 404
    with pytest.raises(PermissionDenied):
        plan_services.plan_action_update(
            actor=on_team,
            action=partner_action,
            expected_version=partner_action.version,
            status="stopped",
        )
    # A GET on the progress URL (POST only) after the guards: 405, not a change.
    assert client.get(progress_url(partner_action)).status_code == 405


# ------------------------------------------------------------------------ 4. access end


def test_the_partner_sees_when_the_access_ends_and_a_notice_30_days_before(
    client, monkeypatch, open_case, on_team, agreement
):
    login(client, on_team)
    ends = agreement.ends_on.strftime("%d/%m/%Y")
    for name in ("case_list", "home"):
        body = client.get(reverse(name)).content.decode()
        assert ends in body, name
        assert "fr-alert--warning" not in body, name
    # 61 days later: 29 days left — the notice.
    move_clock(monkeypatch, 61)
    notice = partner_access_notice(on_team)
    assert notice == {"ends_on": agreement.ends_on, "days_left": 29, "soon": True}
    for name in ("case_list", "home"):
        body = client.get(reverse(name)).content.decode()
        assert "fr-alert--warning" in body and ends in body, name
    assert "fr-alert--warning" in client.get(case_url(open_case)).content.decode()
    # The last day: still there; the day after: gone, and so is the notice.
    monkeypatch.undo()
    move_clock(monkeypatch, 90)
    assert partner_access_notice(on_team)["days_left"] == 0
    monkeypatch.undo()
    move_clock(monkeypatch, 91)
    assert partner_access_notice(on_team) is None
    body = client.get(reverse("case_list")).content.decode()
    assert str(open_case.public_id) not in body and ends not in body


def test_a_renewed_agreement_extends_the_date_a_revocation_ends_it(
    head, organisation, on_team, agreement
):
    renewal = agreement_services.agreement_create(
        actor=head,
        kind="school_partner",
        partner_organisation=organisation,
        title="Convention renouvelée",
        purpose="Suite.",
        parties="Les mêmes.",
        starts_on=agreement.ends_on + dt.timedelta(days=1),
        ends_on=agreement.ends_on + dt.timedelta(days=365),
    )
    assert partner_access_ends_on(on_team) == agreement.ends_on  # a draft does not count
    approve(head, renewal)
    assert partner_access_ends_on(on_team) == renewal.ends_on
    agreement_services.agreement_revoke(
        actor=head, agreement=agreement, expected_version=agreement.version, reason="Fin."
    )
    assert partner_access_ends_on(on_team) is None


def test_school_members_get_no_access_notice(client, head, cpe):
    assert partner_access_notice(head) is None and partner_access_notice(cpe) is None
    login(client, cpe)
    assert 'id="access-end"' not in client.get(reverse("case_list")).content.decode()
