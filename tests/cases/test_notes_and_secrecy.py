"""Notes and professional secrecy (charter art. 3b; SECURITY.md §4).

A nurse's note never reaches the CPE, a teacher, the head, the PsyEN or a partner: only the
summary item she publishes does. Without certified health hosting (HDS) no note body of a
secrecy-bound professional can be saved at all.
"""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from alliance.cases import services
from alliance.cases.models import CaseNote
from alliance.cases.selectors import notes_visible_to
from alliance.tenancy.models import Profession
from tests import factories
from tests.cases.conftest import NURSE_SECRET, staff
from tests.conftest import adhered, login

pytestmark = pytest.mark.django_db
SUMMARY = "suivi infirmier en cours"


@pytest.fixture
def team(open_case, head, cpe, teacher, nurse, psyen, school):
    second_nurse = staff(school, Profession.NURSE)
    for member in (teacher, nurse, psyen, second_nurse):
        services.case_team_add(case=open_case, actor=head, membership=member)
    return {
        "head": head,
        "cpe": cpe,
        "teacher": teacher,
        "nurse": nurse,
        "psyen": psyen,
        "second_nurse": second_nurse,
    }


@pytest.fixture
def nurse_notes(settings, open_case, team):
    settings.ALLIANCE_CERTIFIED_HEALTH_HOSTING = True
    nurse = team["nurse"]
    services.case_note_create(
        case=open_case, actor=nurse, audience="team", body=SUMMARY, is_summary_item=True
    )
    secret = services.case_note_create(
        case=open_case, actor=nurse, audience="profession", body=NURSE_SECRET
    )
    mine = services.case_note_create(
        case=open_case, actor=nurse, audience="author_only", body="ZXQ-BROUILLON"
    )
    return secret, mine


def _bodies(membership, case):
    return {note.body for note in notes_visible_to(membership, case)}


def test_the_secret_stays_with_the_profession(open_case, team, nurse_notes):
    for name in ("head", "cpe", "teacher", "psyen"):
        assert _bodies(team[name], open_case) == {SUMMARY}, name
    assert _bodies(team["second_nurse"], open_case) == {SUMMARY, NURSE_SECRET}
    assert _bodies(team["nurse"], open_case) == {SUMMARY, NURSE_SECRET, "ZXQ-BROUILLON"}


def test_nobody_outside_the_case_reads_any_note(open_case, nurse_notes, school, other_school):
    partner = adhered(factories.MembershipFactory(school=school, partner=True))
    off_team_nurse = staff(school, Profession.NURSE)
    outsider = adhered(factories.MembershipFactory(school=other_school, head=True))
    for reader in (partner, off_team_nurse, outsider, None):
        assert not notes_visible_to(reader, open_case).exists()


def test_removed_from_the_team_reads_no_more(open_case, team, nurse_notes, head):
    services.case_team_remove(case=open_case, actor=head, membership=team["second_nurse"])
    assert not notes_visible_to(team["second_nurse"], open_case).exists()


@pytest.mark.parametrize("name", ["head", "cpe", "teacher", "psyen"])
def test_the_case_page_shows_the_summary_not_the_note(client, open_case, team, nurse_notes, name):
    login(client, team[name])
    body = client.get(
        reverse("case_detail", kwargs={"public_id": open_case.public_id})
    ).content.decode()
    assert SUMMARY in body
    assert NURSE_SECRET not in body and "ZXQ-BROUILLON" not in body


def test_the_nurse_reads_her_note_on_the_page(client, open_case, team, nurse_notes):
    login(client, team["nurse"])
    body = client.get(
        reverse("case_detail", kwargs={"public_id": open_case.public_id})
    ).content.decode()
    assert NURSE_SECRET in body and "ZXQ-BROUILLON" in body


def test_a_partner_gets_a_404_and_no_note(client, open_case, nurse_notes, school):
    partner = adhered(factories.MembershipFactory(school=school, partner=True))
    login(client, partner)
    response = client.get(reverse("case_detail", kwargs={"public_id": open_case.public_id}))
    assert response.status_code == 404
    assert NURSE_SECRET not in response.content.decode()


# ---------------------------------------------------------------- without HDS hosting


@pytest.mark.parametrize("audience", ["team", "school_staff_on_team", "profession", "author_only"])
def test_without_hds_no_note_body_can_be_saved_by_a_nurse(settings, open_case, team, audience):
    settings.ALLIANCE_CERTIFIED_HEALTH_HOSTING = False
    with pytest.raises(ValidationError) as refusal:
        services.case_note_create(
            case=open_case, actor=team["nurse"], audience=audience, body="Détails de santé"
        )
    assert refusal.value.code == "hds_required"
    assert not CaseNote.objects.exists()


def test_without_hds_the_nurse_publishes_a_summary_item(settings, open_case, team):
    settings.ALLIANCE_CERTIFIED_HEALTH_HOSTING = False
    note = services.case_note_create(
        case=open_case, actor=team["nurse"], audience="team", body=SUMMARY, is_summary_item=True
    )
    assert note.is_summary_item and note.author_profession == Profession.NURSE
    with pytest.raises(ValidationError):
        services.case_note_create(
            case=open_case,
            actor=team["nurse"],
            audience="team",
            body="x" * 201,
            is_summary_item=True,
        )


def test_without_hds_the_form_offers_only_the_summary(client, settings, open_case, team):
    settings.ALLIANCE_CERTIFIED_HEALTH_HOSTING = False
    login(client, team["nurse"])
    url = reverse("case_detail", kwargs={"public_id": open_case.public_id})
    response = client.get(url)
    form = response.context["note_form"]
    assert form.summary_only
    assert {value for value, _label in form.fields["audience"].choices} == {
        "team",
        "school_staff_on_team",
    }
    assert "is_summary_item" not in form.fields
    # A forged post for her profession's eyes only is refused, and nothing is written.
    forged = client.post(
        reverse("case_note", kwargs={"public_id": open_case.public_id}),
        {"audience": "profession", "body": "Détails de santé"},
    )
    assert forged.status_code == 400
    assert not CaseNote.objects.exists()
    # Whatever she types goes in as a summary item, never as a note.
    client.post(
        reverse("case_note", kwargs={"public_id": open_case.public_id}),
        {"audience": "team", "body": SUMMARY, "is_summary_item": ""},
    )
    assert [(note.body, note.is_summary_item) for note in CaseNote.objects.all()] == [
        (SUMMARY, True)
    ]


def test_with_hds_the_nurse_may_choose_her_profession(client, settings, open_case, team):
    settings.ALLIANCE_CERTIFIED_HEALTH_HOSTING = True
    login(client, team["nurse"])
    response = client.get(reverse("case_detail", kwargs={"public_id": open_case.public_id}))
    choices = {v for v, _l in response.context["note_form"].fields["audience"].choices}
    assert "profession" in choices


def test_others_keep_no_profession_notes_nor_summaries(open_case, team, settings):
    settings.ALLIANCE_CERTIFIED_HEALTH_HOSTING = True
    with pytest.raises(ValidationError):
        services.case_note_create(
            case=open_case, actor=team["cpe"], audience="profession", body="x"
        )
    with pytest.raises(ValidationError):
        services.case_note_create(
            case=open_case, actor=team["cpe"], audience="team", body="x", is_summary_item=True
        )
    with pytest.raises(ValidationError):
        services.case_note_create(
            case=open_case,
            actor=team["nurse"],
            audience="author_only",
            body="x",
            is_summary_item=True,
        )
    assert not CaseNote.objects.exists()


def test_the_audit_event_of_a_note_holds_no_content(open_case, team, nurse_notes):
    from alliance.audit.models import AuditEvent

    for event in AuditEvent.objects.filter(object_type="cases.casenote"):
        text = " ".join(str(v) for v in (event.action, event.object_type, event.object_public_id))
        assert NURSE_SECRET not in text
    assert AuditEvent.objects.filter(object_type="cases.casenote").count() == 3
