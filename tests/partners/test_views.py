"""Partner pages end to end: the head, the organisation's administrator, the invitation link,
the charter gate for partner people, and no personal data in any URL."""

import datetime as dt
import re

import pytest
from django.core import mail
from django.urls import reverse

from alliance.cases.selectors import cases_visible_to
from alliance.core import clock
from alliance.partners import services
from alliance.partners.models import PartnerInvitation, PartnerOrganisation, PartnerPerson
from alliance.partners.selectors import adhesion_statuses
from alliance.pupils.selectors import pupils_visible_to
from alliance.tenancy.models import Membership
from tests import factories
from tests.conftest import adhered, login

PASSWORD = "un-long-mot-de-passe-sûr"


@pytest.fixture(autouse=True)
def _locmem_mail(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def _link_in(message):
    match = re.search(r"https?://\S+/invitation/(\S+)/", message.body)
    assert match, message.body
    return reverse("partner_invitation_accept", args=[match.group(1)])


def _without_csrf(content):
    """A page without its CSRF tokens (masked differently on every response)."""
    text = re.sub(r'"X-CSRFToken": "[^"]*"', "", content.decode())
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", text)


def _urls_in(body):
    return re.findall(r'(?:href|action)="([^"]*)"', body)


def _assert_no_personal_data_in_urls(body, *people):
    for url in _urls_in(body):
        for user in people:
            for value in (user.email, user.last_name, user.first_name, user.email.split("@")[0]):
                assert value.lower() not in url.lower(), f"{value} in {url}"


def test_the_whole_story(client, school, head, pupil, django_capture_on_commit_callbacks):
    """The head registers an organisation; its administrator joins with a new account and
    invites a volunteer; the head lets the volunteer work in the school; the volunteer sees
    only the charter until adhering; both pages show who adhered."""
    login(client, head)
    page = client.get(reverse("partner_list")).content.decode()
    assert reverse("partner_register") in page
    response = client.post(
        reverse("partner_register"),
        {"name": "Asso", "kind": "association", "siret": "73282932000075", "admin_email": ""},
    )
    assert response.status_code == 200
    assert "73282932000075" in response.content.decode()  # says what is wrong, and where
    assert not PartnerOrganisation.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("partner_register"),
            {
                "name": "Association Horizon",
                "kind": "association",
                "siret": "73282932000074",
                "admin_email": "aline.admin@horizon.example",
            },
        )
    organisation = PartnerOrganisation.objects.get()
    assert response["Location"] == reverse("partner_detail", args=[organisation.public_id])
    assert len(mail.outbox) == 1
    accept = _link_in(mail.outbox[0])

    # The administrator has no account and no school: they create one from the link.
    client.logout()
    page = client.get(accept)
    assert page.status_code == 200 and "password1" in page.content.decode()
    bad = client.post(
        accept,
        {"first_name": "Aline", "last_name": "Admin", "password1": "1234", "password2": "1234"},
    )
    assert bad.status_code == 200 and not PartnerPerson.objects.exists()
    response = client.post(
        accept,
        {"first_name": "Aline", "last_name": "Admin", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert response["Location"] == reverse("organisation_admin", args=[organisation.public_id])
    admin = PartnerPerson.objects.get(is_admin=True)
    assert admin.user.email == "aline.admin@horizon.example"
    assert not Membership.objects.filter(user=admin.user).exists()
    assert client.get(accept).status_code == 404  # single use

    # The administrator invites a volunteer; the navigation leads to the organisation.
    home = client.get(reverse("home")).content.decode()
    assert reverse("my_organisations") in home
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("organisation_invite", args=[organisation.public_id]),
            {"email": "victor@example.org", "kind": "volunteer"},
        )
    assert len(mail.outbox) == 2 and mail.outbox[1].to == ["victor@example.org"]
    volunteer_link = _link_in(mail.outbox[1])
    page = client.get(reverse("organisation_admin", args=[organisation.public_id])).content.decode()
    assert "victor@example.org" in page  # pending invitation listed

    # The volunteer already has an account (they coach at another school's club).
    victor = factories.UserFactory(
        email="victor@example.org", first_name="Victor", last_name="Benevole"
    )
    victor.set_password(PASSWORD)
    victor.save()
    client.logout()
    page = client.get(volunteer_link).content.decode()
    assert f"{reverse('login')}?next=" in page
    client.force_login(victor)
    client.post(volunteer_link)
    person = PartnerPerson.objects.get(user=victor)
    assert person.kind == "volunteer" and not person.is_admin

    # The head lets the volunteer work in the school.
    login(client, head)
    page = client.get(reverse("partner_detail", args=[organisation.public_id])).content.decode()
    assert "Victor" in page
    assert "Does not work in your school" in page or "N’intervient pas dans votre" in page
    client.post(
        reverse("partner_grant", args=[organisation.public_id]), {"person": str(person.public_id)}
    )
    membership = Membership.objects.get(user=victor, school=school)
    assert membership.partner_organisation == organisation

    # The volunteer sees nothing before adhering: every page leads to the charter.
    client.force_login(victor)
    for name in ("home", "pupil_list", "case_list", "meeting_list"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and response["Location"] == reverse("charter"), name
    detail = client.get(reverse("pupil_detail", args=[pupil.public_id]))
    assert detail.status_code == 302 and detail["Location"] == reverse("charter")
    assert not pupils_visible_to(membership).exists()

    # Both the head's and the administrator's pages show who adhered.
    login(client, head)
    page = client.get(reverse("partner_detail", args=[organisation.public_id])).content.decode()
    assert "adhesion-status" in page
    assert "Not adhered to version 1" in page or "Pas encore adhéré à la version 1" in page
    adhered(membership)
    client.force_login(admin.user)
    page = client.get(reverse("organisation_admin", args=[organisation.public_id])).content.decode()
    assert school.name in page
    assert "Adhered to version 1" in page or "Adhéré à la version 1" in page
    _assert_no_personal_data_in_urls(page, admin.user, victor)

    # After adhering, a partner still sees no pupil: partners work on cases they are asked to.
    client.force_login(victor)
    assert client.get(reverse("pupil_list")).status_code == 404
    assert client.get(reverse("pupil_detail", args=[pupil.public_id])).status_code == 404
    assert not pupils_visible_to(membership).exists()
    assert not cases_visible_to(membership).exists()

    # Removed by the administrator: the membership ends at once.
    client.force_login(admin.user)
    client.post(reverse("organisation_person_remove", args=[person.public_id]))
    membership.refresh_from_db()
    assert not membership.is_live()
    client.force_login(victor)
    assert client.get(reverse("charter")).status_code == 404  # no school any more


def test_a_partner_without_any_school_membership_gets_nothing(client, school, pupil, org_admin):
    client.force_login(org_admin.user)
    for name in ("pupil_list", "case_list", "meeting_list", "charter", "partner_list"):
        assert client.get(reverse(name)).status_code == 404, name
    assert client.get(reverse("pupil_detail", args=[pupil.public_id])).status_code == 404
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert pupil.last_name not in home.content.decode()
    # …but their organisation's page, yes.
    assert (
        client.get(
            reverse("organisation_admin", args=[org_admin.organisation.public_id])
        ).status_code
        == 200
    )


def test_an_invalid_used_revoked_or_expired_link_is_one_and_the_same_404(
    client, organisation, org_admin, move_clock
):
    _inv, used = services.invitation_create(
        organisation=organisation,
        email="a@example.org",
        kind="volunteer",
        actor_user=org_admin.user,
    )
    services.invitation_accept(token=used, user=factories.UserFactory(email="a@example.org"))
    revoked_inv, revoked = services.invitation_create(
        organisation=organisation,
        email="b@example.org",
        kind="volunteer",
        actor_user=org_admin.user,
    )
    services.invitation_revoke(invitation=revoked_inv, actor_user=org_admin.user)
    _inv, expired = services.invitation_create(
        organisation=organisation,
        email="c@example.org",
        kind="volunteer",
        actor_user=org_admin.user,
    )
    bodies = set()
    for token in (used, revoked, "x" * 43):
        response = client.get(reverse("partner_invitation_accept", args=[token]))
        assert response.status_code == 404
        bodies.add(_without_csrf(response.content).replace(token, ""))
    move_clock(services.INVITATION_VALIDITY + dt.timedelta(seconds=1))
    response = client.get(reverse("partner_invitation_accept", args=[expired]))
    assert response.status_code == 404
    bodies.add(_without_csrf(response.content).replace(expired, ""))
    assert len(bodies) == 1
    # And posting to it creates nothing.
    client.post(
        reverse("partner_invitation_accept", args=[expired]),
        {"first_name": "C", "last_name": "C", "password1": PASSWORD, "password2": PASSWORD},
    )
    assert not PartnerPerson.objects.filter(user__email="c@example.org").exists()


def test_logged_in_with_another_address_the_invitation_is_not_taken(
    client, organisation, org_admin
):
    _inv, token = services.invitation_create(
        organisation=organisation,
        email="a@example.org",
        kind="volunteer",
        actor_user=org_admin.user,
    )
    intruder = factories.UserFactory(email="intruder@example.org")
    client.force_login(intruder)
    url = reverse("partner_invitation_accept", args=[token])
    assert client.get(url).status_code == 200
    client.post(url)
    assert not PartnerPerson.objects.filter(user=intruder).exists()
    assert PartnerInvitation.objects.get().accepted_at is None


def test_admin_only_actions_are_404_for_others(
    client, school, head, organisation, org_admin, volunteer
):
    invitation, _token = services.invitation_create(
        organisation=organisation,
        email="z@example.org",
        kind="volunteer",
        actor_user=org_admin.user,
    )
    for user in (volunteer.user, head.user, factories.UserFactory()):
        client.force_login(user)
        assert (
            client.get(reverse("organisation_admin", args=[organisation.public_id])).status_code
            == 404
        )
        assert client.post(
            reverse("organisation_person_remove", args=[org_admin.public_id])
        ).status_code in {404}
        assert (
            client.post(
                reverse("partner_invitation_revoke", args=[invitation.public_id])
            ).status_code
            == 404
        )
        assert (
            client.post(
                reverse("organisation_invite", args=[organisation.public_id]),
                {"email": "e@example.org", "kind": "volunteer"},
            ).status_code
            == 404
        )
    volunteer.refresh_from_db()
    invitation.refresh_from_db()
    assert volunteer.left_at is None and invitation.revoked_at is None
    assert PartnerInvitation.objects.count() == 1


def test_the_head_revokes_the_administrator_invitation_sent_from_the_school(
    client, head, organisation
):
    invitation, _token = services.invitation_create(
        organisation=organisation,
        email="typo@example.org",
        kind="professional",
        is_admin=True,
        actor_user=head.user,
        actor_membership=head,
    )
    login(client, head)
    page = client.get(reverse("partner_detail", args=[organisation.public_id])).content.decode()
    assert "typo@example.org" in page
    response = client.post(reverse("partner_invitation_revoke", args=[invitation.public_id]))
    assert response["Location"] == reverse("partner_detail", args=[organisation.public_id])
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_the_head_of_another_school_sees_nothing_of_the_organisation(
    client, other_school, organisation
):
    other_head = adhered(factories.MembershipFactory(school=other_school, head=True))
    login(client, other_head)
    assert client.get(reverse("partner_detail", args=[organisation.public_id])).status_code == 404
    assert organisation.name not in client.get(reverse("partner_list")).content.decode()


def test_the_head_sees_only_their_school_in_the_status(
    client, school, other_school, head, organisation, volunteer
):
    from alliance.partners.models import PartnerRegistration

    other_head = adhered(factories.MembershipFactory(school=other_school, head=True))
    PartnerRegistration.objects.create(
        school=other_school, organisation=organisation, registered_at=clock.now()
    )
    services.grant_partner_membership(actor=other_head, person=volunteer)
    login(client, head)
    page = client.get(reverse("partner_detail", args=[organisation.public_id])).content.decode()
    assert other_school.name not in page  # where else they work is not this head's business


def test_the_navigation_shows_partners_to_heads(client, head):
    login(client, head)
    assert reverse("partner_list") in client.get(reverse("home")).content.decode()


def test_the_gate_covers_a_partner_again_when_the_charter_changes(
    client, school, head, organisation, volunteer
):
    from alliance.charter.services import charter_publish

    membership = adhered(services.grant_partner_membership(actor=head, person=volunteer))
    client.force_login(volunteer.user)
    assert client.get(reverse("home")).status_code == 200
    charter_publish(school=school, title="Charte v2", body="Nouveau texte", actor=head)
    response = client.get(reverse("home"))
    assert response.status_code == 302 and response["Location"] == reverse("charter")
    row = next(s for s in adhesion_statuses(organisation) if s.person == volunteer)
    assert row.charter.number == 2 and not row.adhered
    assert membership.is_live()


def test_the_head_page_carries_no_personal_data_in_urls(
    client, head, organisation, volunteer, org_admin
):
    services.grant_partner_membership(actor=head, person=volunteer)
    services.invitation_create(
        organisation=organisation,
        email="typo@example.org",
        kind="professional",
        is_admin=True,
        actor_user=head.user,
        actor_membership=head,
    )
    login(client, head)
    page = client.get(reverse("partner_detail", args=[organisation.public_id])).content.decode()
    assert volunteer.user.last_name in page  # the person is listed…
    _assert_no_personal_data_in_urls(page, volunteer.user, org_admin.user)  # …not in a URL
    assert "typo" not in " ".join(_urls_in(page))
