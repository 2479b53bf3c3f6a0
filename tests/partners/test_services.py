"""Partner services: registering, the invitation lifecycle, removal, memberships, audit."""

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from alliance.audit.models import AuditEvent
from alliance.core import clock
from alliance.partners import services
from alliance.partners.models import (
    PartnerInvitation,
    PartnerOrganisation,
    PartnerPerson,
    PartnerRegistration,
)
from alliance.partners.selectors import adhesion_statuses, token_hash
from alliance.tenancy.models import Membership, Profession, Role
from tests import factories
from tests.conftest import adhered

LINK = "https://alliance.example/invitation/{}/"


def _link(token):
    return LINK.format(token)


def _events(action, target):
    return AuditEvent.objects.filter(action=action, object_public_id=str(target.public_id))


# --------------------------------------------------------------------------- registering


def test_the_head_registers_a_new_organisation_and_invites_its_administrator(
    head, django_capture_on_commit_callbacks, settings
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with django_capture_on_commit_callbacks(execute=True):
        organisation, created = services.organisation_register(
            actor=head,
            name="  Mission locale   du Val ",
            kind="mission_locale",
            siret="732 829 320 00074",
            admin_email="Directrice@ML-Val.example",
            link_for=_link,
        )
    assert created
    assert organisation.name == "Mission locale du Val"
    assert organisation.siret == "73282932000074"
    assert PartnerRegistration.objects.filter(
        school=head.school, organisation=organisation
    ).exists()
    invitation = PartnerInvitation.objects.get(organisation=organisation)
    assert invitation.is_admin and invitation.email == "directrice@ml-val.example"
    assert invitation.invited_from == head
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["directrice@ml-val.example"]
    assert "Mission locale du Val" in message.subject
    assert LINK.split("{")[0] in message.body
    assert _events("create", organisation).count() == 1
    assert _events("invite", invitation).count() == 1


def test_a_known_siret_finds_the_existing_organisation(head, other_school):
    other_head = adhered(factories.MembershipFactory(school=other_school, head=True))
    existing = PartnerOrganisation.objects.create(
        name="Club de rugby", kind="club", siret="73282932000074"
    )
    organisation, created = services.organisation_register(
        actor=head, name="Autre nom", kind="association", siret="73282932000074"
    )
    assert not created and organisation == existing
    assert organisation.name == "Club de rugby"  # kept as it is
    # A second school registers it too: one organisation, two registrations.
    services.organisation_register(
        actor=other_head, name="", kind="", siret="73282932000074", admin_email=""
    )
    assert PartnerOrganisation.objects.filter(siret="73282932000074").count() == 1
    assert existing.registrations.count() == 2


def test_registering_says_what_is_wrong_and_where(head):
    with pytest.raises(ValidationError) as caught:
        services.organisation_register(
            actor=head, name="", kind="nonsense", siret="73282932000075", admin_email=""
        )
    errors = caught.value.message_dict
    assert "siret" in errors and "73282932000075" in errors["siret"][0]
    with pytest.raises(ValidationError) as caught:
        services.organisation_register(actor=head, name="Asso", kind="association")
    assert "admin_email" in caught.value.message_dict
    assert not PartnerOrganisation.objects.exists()


def test_only_the_head_registers_organisations(school, charter, head):
    cpe = adhered(factories.MembershipFactory(school=school, cpe=True))
    with pytest.raises(PermissionDenied):
        services.organisation_register(
            actor=cpe, name="A", kind="association", admin_email="a@example.org"
        )
    not_adhered_head = factories.MembershipFactory(school=school, head=True)
    with pytest.raises(PermissionDenied):
        services.organisation_register(
            actor=not_adhered_head, name="A", kind="association", admin_email="a@example.org"
        )


# --------------------------------------------------------------------------- invitations


def test_the_token_is_not_stored_only_its_hash(organisation, org_admin):
    invitation, token = services.invitation_create(
        organisation=organisation,
        email="pro@example.org",
        kind="professional",
        actor_user=org_admin.user,
    )
    assert token not in invitation.token_hash
    assert invitation.token_hash == token_hash(token)
    assert len(token) >= 40
    assert invitation.expires_at == invitation.created_at + services.INVITATION_VALIDITY


def test_invitation_lifecycle_accept_once(organisation, org_admin):
    invitation, token = services.invitation_create(
        organisation=organisation,
        email="pro@example.org",
        kind="professional",
        actor_user=org_admin.user,
    )
    user = factories.UserFactory(email="pro@example.org")
    person = services.invitation_accept(token=token, user=user)
    assert person.organisation == organisation and person.kind == "professional"
    assert not person.is_admin and person.invited_by == org_admin.user
    invitation.refresh_from_db()
    assert invitation.accepted_by == user and invitation.accepted_at is not None
    assert _events("accept", invitation).count() == 1
    assert _events("create", person).count() == 1
    with pytest.raises(ValidationError):  # single use
        services.invitation_accept(token=token, user=user)


def test_an_invitation_expires(organisation, org_admin, move_clock):
    _invitation, token = services.invitation_create(
        organisation=organisation,
        email="pro@example.org",
        kind="volunteer",
        actor_user=org_admin.user,
    )
    user = factories.UserFactory(email="pro@example.org")
    move_clock(services.INVITATION_VALIDITY + dt.timedelta(minutes=1))
    with pytest.raises(ValidationError):
        services.invitation_accept(token=token, user=user)
    assert not PartnerPerson.objects.filter(user=user).exists()


def test_a_revoked_invitation_cannot_be_used(organisation, org_admin):
    invitation, token = services.invitation_create(
        organisation=organisation,
        email="pro@example.org",
        kind="volunteer",
        actor_user=org_admin.user,
    )
    services.invitation_revoke(invitation=invitation, actor_user=org_admin.user)
    assert _events("revoke", invitation).count() == 1
    with pytest.raises(ValidationError):
        services.invitation_accept(token=token, user=factories.UserFactory(email="pro@example.org"))
    with pytest.raises(ValidationError):  # revoking twice says so
        services.invitation_revoke(invitation=invitation, actor_user=org_admin.user)


def test_a_new_invitation_to_the_same_address_replaces_the_pending_one(organisation, org_admin):
    first, first_token = services.invitation_create(
        organisation=organisation,
        email="pro@example.org",
        kind="volunteer",
        actor_user=org_admin.user,
    )
    _second, second_token = services.invitation_create(
        organisation=organisation,
        email="PRO@example.org",
        kind="professional",
        actor_user=org_admin.user,
    )
    first.refresh_from_db()
    assert first.revoked_at is not None
    user = factories.UserFactory(email="pro@example.org")
    with pytest.raises(ValidationError):
        services.invitation_accept(token=first_token, user=user)
    assert services.invitation_accept(token=second_token, user=user).kind == "professional"


def test_only_the_invited_address_may_accept(organisation, org_admin):
    _invitation, token = services.invitation_create(
        organisation=organisation,
        email="pro@example.org",
        kind="volunteer",
        actor_user=org_admin.user,
    )
    with pytest.raises(PermissionDenied):
        services.invitation_accept(token=token, user=factories.UserFactory(email="x@example.org"))


def test_a_new_account_needs_a_password_that_passes_the_validators(organisation, org_admin):
    _invitation, token = services.invitation_create(
        organisation=organisation,
        email="new@example.org",
        kind="volunteer",
        actor_user=org_admin.user,
    )
    with pytest.raises(ValidationError) as caught:
        services.invitation_accept_new_account(
            token=token, first_name="Nina", last_name="Nouvelle", password="12345678"
        )
    assert "password1" in caught.value.message_dict
    person = services.invitation_accept_new_account(
        token=token, first_name="Nina", last_name="Nouvelle", password="un-long-mot-de-passe-sûr"
    )
    assert person.user.email == "new@example.org"
    assert person.user.check_password("un-long-mot-de-passe-sûr")
    assert not Membership.objects.filter(user=person.user).exists()  # no school yet


def test_only_the_admin_invites_people_and_the_head_only_administrators(
    organisation, org_admin, volunteer, head, school
):
    with pytest.raises(PermissionDenied):  # a plain person of the organisation
        services.invitation_create(
            organisation=organisation,
            email="x@example.org",
            kind="volunteer",
            actor_user=volunteer.user,
        )
    with pytest.raises(PermissionDenied):  # the head invites the administrator only
        services.invitation_create(
            organisation=organisation,
            email="x@example.org",
            kind="volunteer",
            actor_user=head.user,
            actor_membership=head,
        )
    invitation, _token = services.invitation_create(
        organisation=organisation,
        email="x@example.org",
        kind="professional",
        is_admin=True,
        actor_user=head.user,
        actor_membership=head,
    )
    assert invitation.invited_from == head
    other = factories.PartnerOrganisationFactory()  # not registered with the head's school
    with pytest.raises(PermissionDenied):
        services.invitation_create(
            organisation=other,
            email="x@example.org",
            kind="professional",
            is_admin=True,
            actor_user=head.user,
            actor_membership=head,
        )


def test_inviting_someone_already_in_the_organisation_is_refused(
    organisation, org_admin, volunteer
):
    with pytest.raises(ValidationError) as caught:
        services.invitation_create(
            organisation=organisation,
            email=volunteer.user.email,
            kind="volunteer",
            actor_user=org_admin.user,
        )
    assert "email" in caught.value.message_dict


# --------------------------------------------------------------------------- memberships


def test_the_head_grants_a_partner_membership_then_the_person_must_adhere(
    head, school, organisation, volunteer
):
    membership = services.grant_partner_membership(actor=head, person=volunteer)
    assert membership.role == Role.PARTNER and membership.profession == Profession.VOLUNTEER
    assert membership.partner_organisation == organisation
    assert membership.valid_from == clock.today() and membership.is_live()
    assert _events("create", membership).filter(actor_membership_id=head.pk).count() == 1
    status = adhesion_statuses(organisation, school=school)
    row = next(s for s in status if s.person == volunteer)
    assert row.membership == membership and not row.adhered
    adhered(membership)
    row = next(s for s in adhesion_statuses(organisation) if s.person == volunteer)
    assert row.adhered and row.charter.number == 1 and row.school == school


def test_only_people_of_an_organisation_registered_with_the_school_are_granted(head, other_school):
    outside = factories.PartnerOrganisationFactory()
    person = PartnerPerson.objects.create(
        organisation=outside,
        user=factories.UserFactory(),
        kind="professional",
        joined_at=clock.now(),
    )
    with pytest.raises(PermissionDenied):
        services.grant_partner_membership(actor=head, person=person)


def test_granting_twice_ending_twice_and_past_end_dates_are_refused(head, volunteer):
    with pytest.raises(ValidationError) as caught:
        services.grant_partner_membership(
            actor=head, person=volunteer, valid_until=clock.today() - dt.timedelta(days=1)
        )
    assert "valid_until" in caught.value.message_dict
    membership = services.grant_partner_membership(actor=head, person=volunteer)
    with pytest.raises(ValidationError):
        services.grant_partner_membership(actor=head, person=volunteer)
    services.partner_membership_end(actor=head, membership=membership)
    with pytest.raises(ValidationError):
        services.partner_membership_end(actor=head, membership=membership)


def test_removing_a_person_ends_their_partner_memberships_at_once(
    head, school, other_school, organisation, org_admin, volunteer
):
    here = services.grant_partner_membership(actor=head, person=volunteer)
    other_head = adhered(factories.MembershipFactory(school=other_school, head=True))
    PartnerRegistration.objects.create(
        school=other_school, organisation=organisation, registered_at=clock.now()
    )
    there = services.grant_partner_membership(actor=other_head, person=volunteer)
    staff = factories.MembershipFactory(school=school, user=volunteer.user)  # not a partner one
    services.person_remove(person=volunteer, actor_user=org_admin.user)
    volunteer.refresh_from_db()
    assert volunteer.left_at is not None
    for membership in (here, there):
        membership.refresh_from_db()
        assert not membership.is_live()
        assert membership.valid_until < clock.today()
        assert _events("end", membership).count() == 1
    staff.refresh_from_db()
    assert staff.is_live()
    assert _events("remove", volunteer).count() == 1
    assert not Membership.objects.live().filter(user=volunteer.user, role=Role.PARTNER).exists()


def test_only_the_admin_removes_and_the_last_admin_stays(organisation, org_admin, volunteer):
    with pytest.raises(PermissionDenied):
        services.person_remove(person=org_admin, actor_user=volunteer.user)
    with pytest.raises(ValidationError):
        services.person_remove(person=org_admin, actor_user=org_admin.user)
    org_admin.refresh_from_db()
    assert org_admin.left_at is None


def test_the_head_ends_a_partner_membership(head, volunteer):
    membership = services.grant_partner_membership(actor=head, person=volunteer)
    services.partner_membership_end(actor=head, membership=membership)
    membership.refresh_from_db()
    assert not membership.is_live()
    # Granted again later: the same row opens again from today.
    again = services.grant_partner_membership(actor=head, person=volunteer)
    assert again.pk == membership.pk and again.is_live() and again.valid_until is None
