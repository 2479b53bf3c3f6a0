"""The demo plays the stories: Inès (parents first, what the nurse knows), Yanis (the head's
exception), Samir (the lycée professionnel)."""

import pytest

from alliance.cases.models import Case, CaseStatus
from alliance.cases.selectors import case_family_associated_or_excepted, notes_visible_to
from alliance.demo.generator import seed_demo
from alliance.tenancy.models import Membership, Profession

pytestmark = pytest.mark.django_db


def _case(first_name):
    return Case.objects.select_related("pupil").get(pupil__first_name=first_name)


def _member(email):
    return Membership.objects.select_related("user", "school").get(user__email=email)


def test_the_story_cases(settings):
    settings.ALLIANCE_CERTIFIED_HEALTH_HOSTING = False
    seed_demo(total_pupils=200, seed=3)
    ines = _case("Inès")
    # The demo goes on with the meeting and the plan (alliance/demo/meetings.py).
    assert ines.pupil.last_name == "Belkacem" and ines.status == CaseStatus.PLAN_ACTIVE
    assert ines.opened_by.profession == Profession.CPE
    assert ines.signs.count() == 4
    contact = ines.family_contacts.get()
    assert contact.reached and contact.channel == "phone"
    assert contact.guardian.relationship == "mother"
    team = set(ines.team.current().values_list("membership__profession", flat=True))
    assert team == {
        Profession.PRINCIPAL,
        Profession.CPE,
        Profession.FORM_TUTOR,
        Profession.PSYEN,
        Profession.NURSE,
        Profession.PARTNER_PROFESSIONAL,  # the homework club coordinator (story 5)
    }
    # Without HDS hosting the nurse published her summary item and nothing else.
    assert [(note.body, note.is_summary_item) for note in ines.notes.all()] == [
        ("suivi infirmier en cours", True)
    ]
    cpe = _member("cpe@clg-demo.example.fr")
    assert [note.body for note in notes_visible_to(cpe, ines)] == ["suivi infirmier en cours"]

    yanis = _case("Yanis")
    assert yanis.status == CaseStatus.EXAMINED  # examined at the meeting, under the exception
    assert sorted(yanis.family_contacts.values_list("channel", "reached")) == [
        ("ent_message", False),
        ("letter", False),
        ("phone", False),
    ]
    assert yanis.family_exception.is_approved
    assert case_family_associated_or_excepted(yanis)

    samir = _case("Samir")
    assert samir.school.school_type == "lp" and samir.is_open


def test_with_hds_hosting_the_nurse_keeps_her_own_note(settings):
    settings.ALLIANCE_CERTIFIED_HEALTH_HOSTING = True
    seed_demo(total_pupils=200, seed=3)
    ines = _case("Inès")
    assert ines.notes.filter(audience="profession", is_summary_item=False).count() == 1
    nurse = _member("infirmiere@clg-demo.example.fr")
    head = _member("principal@clg-demo.example.fr")
    assert notes_visible_to(nurse, ines).count() == 2
    assert notes_visible_to(head, ines).count() == 1


def test_the_teacher_outside_the_team_sees_no_demo_case():
    seed_demo(total_pupils=200, seed=3)
    from alliance.cases.selectors import cases_visible_to

    assert not cases_visible_to(_member("prof@clg-demo.example.fr")).exists()
    # Inès, Yanis, and the four other situations of the meeting's agenda.
    assert cases_visible_to(_member("principal@clg-demo.example.fr")).count() == 6
