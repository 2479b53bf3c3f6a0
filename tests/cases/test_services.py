"""Case services: transitions and their refusals, parents first, closure, reopening, locking."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from alliance.audit.models import AuditEvent
from alliance.cases import services
from alliance.cases.models import (
    Case,
    CaseReferral,
    CaseStatus,
    CaseTeamMember,
    FamilyContact,
)
from alliance.cases.selectors import case_family_associated_or_excepted, cases_visible_to
from alliance.core import clock
from tests import factories
from tests.cases.conftest import staff
from tests.conftest import adhered

pytestmark = pytest.mark.django_db


def test_a_referral_opens_a_case_with_its_signs_and_audit(cpe, pupil):
    grid = services.sign_catalogue_ensure(school=pupil.school)
    before = AuditEvent.objects.count()
    referral = services.case_refer(
        actor=cpe,
        pupil=pupil,
        reason="Absences",
        sign_entries=grid[:2],
        free_signs=["N'apporte plus ses affaires", ""],
    )
    case = referral.case
    assert referral.is_initial and case.status == CaseStatus.REFERRED
    assert case.opened_by == cpe and case.school_id == pupil.school_id
    assert sorted(s.label for s in case.signs.all()) == sorted(
        [grid[0].label, grid[1].label, "N'apporte plus ses affaires"]
    )
    assert AuditEvent.objects.count() == before + 2  # the case and the referral
    # The referrer is not put on the team: the head builds it (decision 0007).
    assert not case.team.exists()
    assert not cases_visible_to(cpe).exists()


def test_the_default_grid_is_seeded_once(school):
    first = services.sign_catalogue_ensure(school=school)
    again = services.sign_catalogue_ensure(school=school)
    assert len(first) == len(services.DEFAULT_SIGNS) == len(again)


def test_a_second_referral_joins_the_open_case_as_a_signal(open_case, teacher, pupil):
    referral = services.case_refer(actor=teacher, pupil=pupil, reason="Endormie en cours")
    assert referral.case_id == open_case.pk and not referral.is_initial
    assert Case.objects.filter(pupil=pupil).count() == 1
    assert not cases_visible_to(teacher).exists()


def test_one_open_case_per_pupil_is_a_database_constraint(open_case, cpe):
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.create(
            school=open_case.school,
            pupil=open_case.pupil,
            opened_by=cpe,
            reason="x",
            opened_at=clock.now(),
        )


def test_referral_refusals(cpe, other_school, pupil):
    outsider_pupil = factories.PupilFactory(school=other_school)
    with pytest.raises(PermissionDenied):
        services.case_refer(actor=cpe, pupil=outsider_pupil, reason="x")
    partner = adhered(factories.MembershipFactory(school=pupil.school, partner=True))
    with pytest.raises(PermissionDenied):
        services.case_refer(actor=partner, pupil=pupil, reason="x")
    with pytest.raises(ValidationError):
        services.case_refer(actor=cpe, pupil=pupil, reason="   ")
    with pytest.raises(ValidationError):
        services.case_refer(actor=cpe, pupil=pupil, reason="x", free_signs=["y" * 201])
    assert not Case.objects.exists() and not CaseReferral.objects.exists()


def test_the_whole_life_of_a_case(associated_case, head, cpe):
    case = associated_case
    assert case.status == CaseStatus.FAMILY_ASSOCIATED
    services.case_mark_examined(case=case, actor=cpe)  # the referent may steer
    assert case.status == CaseStatus.EXAMINED and case.examined_at
    # The plan's steps go through the plan (tests/plans): without it, each is refused.
    version = Case.objects.get(pk=case.pk).version
    for step in (
        services.case_activate_plan,
        services.case_start_review,
        services.case_resume_plan,
    ):
        with pytest.raises(ValidationError) as refusal:
            step(case=case, actor=head)
        assert refusal.value.code == "through_plan"
    assert Case.objects.get(pk=case.pk).version == version
    services.case_close(case=case, actor=head, outcome="back_on_track", note="Raccrochée")
    assert case.status == CaseStatus.CLOSED and case.closed_at and case.outcome == "back_on_track"
    kinds = list(case.events.values_list("to_status", flat=True))
    assert CaseStatus.CLOSED in kinds


@pytest.mark.parametrize(
    "service",
    [services.case_activate_plan, services.case_start_review, services.case_resume_plan],
)
def test_illegal_transitions_are_refused_with_a_message(associated_case, head, service):
    version = associated_case.version
    with pytest.raises(ValidationError) as refusal:
        service(case=associated_case, actor=head)
    assert refusal.value.messages[0]
    associated_case.refresh_from_db()
    assert associated_case.version == version
    assert associated_case.status == CaseStatus.FAMILY_ASSOCIATED


def test_a_team_member_who_is_not_referent_cannot_steer(associated_case, head, form_tutor):
    services.case_team_add(case=associated_case, actor=head, membership=form_tutor)
    with pytest.raises(PermissionDenied):
        services.case_mark_examined(case=associated_case, actor=form_tutor)


def test_close_needs_a_valid_outcome(associated_case, head):
    with pytest.raises(ValidationError):
        services.case_close(case=associated_case, actor=head, outcome="")
    with pytest.raises(ValidationError):
        services.case_close(case=associated_case, actor=head, outcome="vanished")
    assert associated_case.status == CaseStatus.FAMILY_ASSOCIATED


def test_a_closed_case_is_read_only(associated_case, head, cpe, form_tutor, guardian):
    case = associated_case
    services.case_close(case=case, actor=head, outcome="moved_away")
    writes = [
        lambda: services.case_update(
            case=case, actor=head, expected_version=case.version, reason="y"
        ),
        lambda: services.case_team_add(case=case, actor=head, membership=form_tutor),
        lambda: services.case_team_remove(case=case, actor=head, membership=cpe),
        lambda: services.case_assign_referent(case=case, actor=head, referent=head),
        lambda: services.family_contact_record(
            case=case, actor=cpe, contacted_on=clock.today(), channel="phone", reached=True
        ),
        lambda: services.family_exception_request(case=case, actor=cpe, reason="x"),
        lambda: services.family_involvement_record(
            case=case, actor=cpe, kind="informed", occurred_on=clock.today()
        ),
        lambda: services.case_note_create(case=case, actor=cpe, audience="team", body="x"),
        lambda: services.case_mark_examined(case=case, actor=head),
        lambda: services.case_close(case=case, actor=head, outcome="other"),
    ]
    version = Case.objects.get(pk=case.pk).version
    for write in writes:
        with pytest.raises(ValidationError):
            write()
    assert Case.objects.get(pk=case.pk).version == version


def test_reopen_is_for_the_head_with_a_reason(associated_case, head, cpe):
    case = associated_case
    services.case_close(case=case, actor=head, outcome="other")
    with pytest.raises(PermissionDenied):
        services.case_reopen(case=case, actor=cpe, reason="x")
    with pytest.raises(ValidationError):
        services.case_reopen(case=case, actor=head, reason="")
    services.case_reopen(case=case, actor=head, reason="Nouvelles absences")
    assert case.status == CaseStatus.FAMILY_ASSOCIATED and case.outcome == ""
    # The detail is encrypted at rest: read it from the instance (no lookup on its content).
    assert [e.detail for e in case.events.filter(kind="reopened")] == ["Nouvelles absences"]
    with pytest.raises(ValidationError):
        services.case_reopen(case=case, actor=head, reason="again")


def test_reopen_refused_when_the_pupil_has_another_open_case(associated_case, head, cpe, pupil):
    services.case_close(case=associated_case, actor=head, outcome="other")
    services.case_refer(actor=cpe, pupil=pupil, reason="Une nouvelle fois")
    with pytest.raises(ValidationError):
        services.case_reopen(case=associated_case, actor=head, reason="x")


# ---------------------------------------------------------------- parents first


def test_the_case_cannot_be_examined_before_the_family(open_case, head):
    assert not case_family_associated_or_excepted(open_case)
    with pytest.raises(ValidationError) as refusal:
        services.case_mark_examined(case=open_case, actor=head)
    assert refusal.value.code == "parents_first"
    with pytest.raises(ValidationError):
        services.ensure_parents_first(open_case)
    assert open_case.status == CaseStatus.REFERRED


def test_failed_attempts_do_not_associate_the_family(open_case, cpe, guardian):
    for channel in ("letter", "phone", "ent_message"):
        services.family_contact_record(
            case=open_case,
            actor=cpe,
            contacted_on=clock.today(),
            channel=channel,
            reached=False,
            guardian=guardian,
        )
    open_case.refresh_from_db()
    assert open_case.status == CaseStatus.REFERRED
    assert not case_family_associated_or_excepted(open_case)


def test_the_first_reached_contact_associates_the_family(open_case, cpe, guardian):
    services.family_contact_record(
        case=open_case, actor=cpe, contacted_on=clock.today(), channel="phone", reached=True
    )
    assert open_case.status == CaseStatus.FAMILY_ASSOCIATED
    assert case_family_associated_or_excepted(open_case)
    services.ensure_parents_first(open_case)


def test_the_exception_path(open_case, head, cpe):
    request = services.family_exception_request(
        case=open_case, actor=cpe, reason="Trois tentatives sans réponse"
    )
    assert not request.is_approved and not case_family_associated_or_excepted(open_case)
    with pytest.raises(PermissionDenied):
        services.family_exception_approve(case=open_case, actor=cpe)
    services.family_exception_approve(case=open_case, actor=head)
    assert case_family_associated_or_excepted(open_case)
    services.case_mark_examined(case=open_case, actor=head)
    assert open_case.status == CaseStatus.EXAMINED


def test_the_head_may_write_and_approve_an_exception_at_once(open_case, head):
    with pytest.raises(ValidationError):
        services.family_exception_approve(case=open_case, actor=head, reason=" ")
    exception = services.family_exception_approve(
        case=open_case, actor=head, reason="Famille injoignable"
    )
    assert exception.is_approved and exception.requested_by == head


def test_no_exception_once_the_family_is_associated(associated_case, head, cpe):
    with pytest.raises(ValidationError):
        services.family_exception_request(case=associated_case, actor=cpe, reason="x")
    with pytest.raises(ValidationError):
        services.family_exception_approve(case=associated_case, actor=head, reason="x")


def test_contact_input_is_checked(open_case, cpe, other_school):
    other_guardian = factories.GuardianFactory()  # a guardian of another pupil
    stranger = adhered(factories.MembershipFactory(school=other_school, cpe=True))
    bad = [
        {"contacted_on": clock.today() + dt.timedelta(days=1)},
        {"contacted_on": clock.today() - dt.timedelta(days=400)},
        {"guardian": other_guardian},
        {"made_by": stranger},
        {"channel": "pigeon"},
        {"outcome": "x" * 2001},
    ]
    for extra in bad:
        arguments = {"contacted_on": clock.today(), "channel": "phone", "reached": True} | extra
        with pytest.raises(ValidationError):
            services.family_contact_record(case=open_case, actor=cpe, **arguments)
    assert not FamilyContact.objects.exists()
    open_case.refresh_from_db()
    assert open_case.status == CaseStatus.REFERRED


# ---------------------------------------------------------------- team


def test_team_membership_rules(open_case, head, cpe, teacher, other_school, school):
    with pytest.raises(PermissionDenied):
        services.case_team_add(case=open_case, actor=cpe, membership=teacher)
    foreign = adhered(factories.MembershipFactory(school=other_school))
    partner = adhered(factories.MembershipFactory(school=school, partner=True))
    not_adhered = factories.MembershipFactory(school=school)
    expired = adhered(
        factories.MembershipFactory(
            school=school, valid_from=dt.date(2019, 9, 1), valid_until=dt.date(2021, 8, 31)
        )
    )
    for candidate in (foreign, partner, not_adhered, expired):
        with pytest.raises(ValidationError):
            services.case_team_add(case=open_case, actor=head, membership=candidate)
    services.case_team_add(case=open_case, actor=head, membership=teacher)
    assert services.case_team_add(case=open_case, actor=head, membership=teacher) is None
    assert cases_visible_to(teacher).filter(pk=open_case.pk).exists()
    services.case_team_remove(case=open_case, actor=head, membership=teacher)
    assert not cases_visible_to(teacher).exists()
    with pytest.raises(ValidationError):
        services.case_team_remove(case=open_case, actor=head, membership=teacher)
    with pytest.raises(ValidationError):  # the referent stays until replaced
        services.case_team_remove(case=open_case, actor=head, membership=cpe)
    assert CaseTeamMember.objects.filter(case=open_case, membership=teacher).count() == 1


def test_the_referent_joins_the_team(open_case, head, school):
    dropout = staff(school, "dropout_referent")
    services.case_assign_referent(case=open_case, actor=head, referent=dropout)
    assert open_case.referent == dropout
    assert open_case.team.current().filter(membership=dropout).exists()


# ---------------------------------------------------------------- lost updates


def test_a_stale_version_is_refused_and_the_first_edit_survives(open_case, head, cpe):
    seen = open_case.version
    first = Case.objects.get(pk=open_case.pk)
    second = Case.objects.get(pk=open_case.pk)
    services.case_update(case=first, actor=head, expected_version=seen, reason="Version du chef")
    with pytest.raises(services.CaseEditConflictError) as conflict:
        services.case_update(case=second, actor=cpe, expected_version=seen, reason="Version CPE")
    assert "Reload" in str(conflict.value) or "Rechargez" in str(conflict.value)
    assert Case.objects.get(pk=open_case.pk).reason == "Version du chef"


def test_a_stale_version_blocks_a_transition(associated_case, head):
    seen = associated_case.version
    services.case_update(
        case=associated_case, actor=head, expected_version=seen, reason="Mise à jour"
    )
    with pytest.raises(services.CaseEditConflictError):
        services.case_mark_examined(case=associated_case, actor=head, expected_version=seen)
    assert Case.objects.get(pk=associated_case.pk).status == CaseStatus.FAMILY_ASSOCIATED
