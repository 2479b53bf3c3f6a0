"""Agreements: the head alone writes them; board approval, signatures, revocation, conflicts,
audit events, and the PDF for signature marked internal on every page (docs/decisions/0013)."""

import datetime as dt
import io

import pypdf
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from alliance.agreements import services
from alliance.agreements.models import Agreement, AgreementStatus
from alliance.agreements.selectors import agreement_is_active
from alliance.agreements.services import AgreementEditConflictError
from alliance.audit.models import AuditEvent
from alliance.core import clock
from alliance.core.pdf import internal_marking
from alliance.partners.models import PartnerRegistration
from tests import factories
from tests.conftest import adhered, login


@pytest.fixture
def organisation(school):
    organisation = factories.PartnerOrganisationFactory(name="Mission locale du Val")
    PartnerRegistration.objects.create(
        school=school, organisation=organisation, registered_at=clock.now()
    )
    return organisation


def draft(head, organisation, **extra):
    values = {
        "kind": "school_partner",
        "partner_organisation": organisation,
        "title": "Convention mission locale",
        "purpose": "Accompagnement des élèves de 16 ans et plus vers une formation.\n" * 40,
        "parties": "Le lycée ; la mission locale",
        "starts_on": clock.today(),
        "ends_on": clock.today() + dt.timedelta(days=200),
    }
    values.update(extra)
    return services.agreement_create(actor=head, **values)


def approve(head, agreement, **extra):
    return services.agreement_board_approval_record(
        actor=head,
        agreement=agreement,
        expected_version=agreement.version,
        approved_on=extra.get("approved_on", clock.today()),
        reference="CA n° 12",
    )


def audit_actions(agreement):
    return list(
        AuditEvent.objects.filter(object_public_id=str(agreement.public_id))
        .order_by("sequence")
        .values_list("action", flat=True)
    )


def test_only_the_head_writes_agreements(head, cpe, organisation, school, other_school):
    partner = adhered(
        factories.MembershipFactory(school=school, partner=True, partner_organisation=organisation)
    )
    other_head = adhered(factories.MembershipFactory(school=other_school, head=True))
    for actor in (cpe, partner):
        with pytest.raises(PermissionDenied):
            draft(actor, organisation)
    with pytest.raises(ValidationError):  # the organisation is not one of the other school's
        draft(other_head, organisation)
    agreement = draft(head, organisation)
    for actor in (cpe, partner, other_head):
        with pytest.raises(PermissionDenied):
            approve(actor, agreement)
        with pytest.raises(PermissionDenied):
            services.agreement_revoke(
                actor=actor, agreement=agreement, expected_version=agreement.version, reason="x"
            )
        with pytest.raises(PermissionDenied):
            services.agreement_signature_record(
                actor=actor,
                agreement=agreement,
                party="partner",
                signatory_name="X",
                signed_on=clock.today(),
            )
    assert agreement.status == AgreementStatus.DRAFT


def test_active_only_once_the_board_approved_and_between_its_dates(head, organisation):
    agreement = draft(head, organisation)
    assert not agreement_is_active(agreement)
    approve(head, agreement)
    assert agreement.status == AgreementStatus.CONCLUDED
    assert agreement.board_reference == "CA n° 12" and agreement.board_recorded_by == head
    assert agreement_is_active(agreement)
    assert not agreement_is_active(agreement, on=agreement.ends_on + dt.timedelta(days=1))
    assert not agreement_is_active(agreement, on=agreement.starts_on - dt.timedelta(days=1))
    with pytest.raises(ValidationError):  # approved once only
        approve(head, agreement)


def test_board_date_in_the_future_is_refused(head, organisation):
    agreement = draft(head, organisation)
    with pytest.raises(ValidationError) as info:
        approve(head, agreement, approved_on=clock.today() + dt.timedelta(days=3))
    assert "approved_on" in info.value.message_dict


def test_bad_dates_say_where(head, organisation):
    with pytest.raises(ValidationError) as info:
        draft(head, organisation, ends_on=clock.today() - dt.timedelta(days=1))
    assert "ends_on" in info.value.message_dict
    assert not Agreement.objects.exists()


def test_an_unregistered_organisation_is_refused(head):
    stranger = factories.PartnerOrganisationFactory()
    with pytest.raises(ValidationError) as info:
        draft(head, stranger)
    assert "partner_organisation" in info.value.message_dict


def test_a_stale_edit_is_a_conflict_and_signed_terms_never_change(head, organisation):
    agreement = draft(head, organisation)
    stale = agreement.version
    services.agreement_update(
        actor=head,
        agreement=agreement,
        expected_version=stale,
        title="Nouveau titre",
        purpose="p",
        parties="q",
        starts_on=agreement.starts_on,
        ends_on=agreement.ends_on,
    )
    with pytest.raises(AgreementEditConflictError):
        services.agreement_update(
            actor=head,
            agreement=agreement,
            expected_version=stale,
            title="Perdu",
            purpose="p",
            parties="q",
            starts_on=agreement.starts_on,
            ends_on=agreement.ends_on,
        )
    agreement.refresh_from_db()
    assert agreement.title == "Nouveau titre"
    services.agreement_signature_record(
        actor=head,
        agreement=agreement,
        party="school",
        signatory_name="Mme la principale",
        signed_on=clock.today(),
    )
    with pytest.raises(ValidationError):
        services.agreement_update(
            actor=head,
            agreement=agreement,
            expected_version=agreement.version,
            title="Après signature",
            purpose="p",
            parties="q",
            starts_on=agreement.starts_on,
            ends_on=agreement.ends_on,
        )


def test_pupil_agreement_needs_no_board_and_follows_its_school_partner_agreement(
    head, organisation, pupil
):
    guardian = factories.GuardianFactory(pupil=pupil)
    parent = approve(head, draft(head, organisation))
    agreement = draft(
        head,
        organisation,
        kind="partner_pupil_parents",
        pupil=pupil,
        parent_agreement=parent,
        title="Convention d'accompagnement individuel",
        ends_on=clock.today() + dt.timedelta(days=100),
    )
    with pytest.raises(ValidationError):  # never put before the board (art. 4b)
        approve(head, agreement)
    with pytest.raises(ValidationError):  # the school does not sign this one
        services.agreement_signature_record(
            actor=head,
            agreement=agreement,
            party="school",
            signatory_name="X",
            signed_on=clock.today(),
        )
    services.agreement_signature_record(
        actor=head,
        agreement=agreement,
        party="partner",
        signatory_name="M. Martin",
        signed_on=clock.today(),
    )
    assert not agreement_is_active(agreement)
    services.agreement_signature_record(
        actor=head,
        agreement=agreement,
        party="guardian",
        signatory_name="Mme Belkacem",
        guardian=guardian,
        signed_on=clock.today(),
    )
    assert agreement.status == AgreementStatus.CONCLUDED
    assert agreement_is_active(agreement)
    services.agreement_revoke(
        actor=head, agreement=parent, expected_version=parent.version, reason="Fin du partenariat"
    )
    assert not agreement_is_active(agreement)


def test_pupil_agreement_must_fall_under_the_same_organisation_and_dates(
    head, organisation, pupil, school
):
    other = factories.PartnerOrganisationFactory()
    PartnerRegistration.objects.create(school=school, organisation=other, registered_at=clock.now())
    parent = draft(head, organisation)
    with pytest.raises(ValidationError) as info:
        draft(head, other, kind="partner_pupil_parents", pupil=pupil, parent_agreement=parent)
    assert "parent_agreement" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        draft(
            head,
            organisation,
            kind="partner_pupil_parents",
            pupil=pupil,
            parent_agreement=parent,
            ends_on=parent.ends_on + dt.timedelta(days=1),
        )
    assert "ends_on" in info.value.message_dict


def test_every_write_is_audited(head, organisation):
    agreement = draft(head, organisation)
    approve(head, agreement)
    services.agreement_revoke(
        actor=head, agreement=agreement, expected_version=agreement.version, reason="Fin"
    )
    assert audit_actions(agreement) == ["create", "update", "update"]
    assert agreement.status == AgreementStatus.REVOKED and agreement.revoked_by == head
    assert not agreement_is_active(agreement)


def test_the_pdf_is_marked_internal_on_every_page(client, head, organisation):
    agreement = approve(head, draft(head, organisation))
    login(client, head)
    response = client.get(reverse("agreement_pdf", kwargs={"public_id": agreement.public_id}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pages = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(response.content)).pages]
    assert len(pages) >= 2  # the long purpose spreads over several pages
    marking = internal_marking()
    for page in pages:
        assert marking in page.replace("\n", " ")
    assert "Convention mission locale" in pages[0]
    assert "export" in audit_actions(agreement)


def test_the_pages_work_for_the_head(client, head, organisation):
    login(client, head)
    response = client.post(
        reverse("agreement_create"),
        {
            "kind": "school_partner",
            "partner_organisation": str(organisation.public_id),
            "title": "Convention club",
            "purpose": "Sport",
            "parties": "Le collège ; le club",
            "starts_on": clock.today().isoformat(),
            "ends_on": (clock.today() + dt.timedelta(days=60)).isoformat(),
        },
    )
    agreement = Agreement.objects.get(title="Convention club")
    assert response.status_code == 302
    url = reverse("agreement_board_approval", kwargs={"public_id": agreement.public_id})
    response = client.post(
        url, {"approved_on": clock.today().isoformat(), "reference": "CA 7", "version": "1"}
    )
    assert response.status_code == 302
    body = client.get(reverse("agreement_list")).content.decode()
    assert "Convention club" in body
    detail = client.get(reverse("agreement_detail", kwargs={"public_id": agreement.public_id}))
    assert "agreement-state" in detail.content.decode()
    # Bad input: a clear message on the field, nothing written.
    response = client.post(
        reverse("agreement_create"),
        {
            "kind": "school_partner",
            "partner_organisation": str(organisation.public_id),
            "title": "Mauvaises dates",
            "purpose": "x",
            "parties": "x",
            "starts_on": "2026-10-10",
            "ends_on": "2026-10-01",
        },
    )
    assert response.status_code == 400
    assert not Agreement.objects.filter(title="Mauvaises dates").exists()
