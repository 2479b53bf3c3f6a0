"""Writes on agreements. Each one checks the actor (the head), validates, and audits in the same
transaction.

Conventions (as in ``alliance.cases.services``): keyword-only arguments, the acting membership
as ``actor``; ``PermissionDenied`` when the actor may not, ``ValidationError`` with a
translatable message (on the field concerned when there is one) when the act is not possible;
``expected_version`` is the version the actor's form showed: a mismatch raises
``AgreementEditConflictError`` and nothing is written. The ``agreement`` passed in is refreshed
in place after a change.
"""

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from alliance.agreements.models import (
    BOARD_REFERENCE_MAX_LENGTH,
    PARTIES_MAX_LENGTH,
    PARTIES_OF_KIND,
    PURPOSE_MAX_LENGTH,
    REASON_MAX_LENGTH,
    REQUIRED_PPP_PARTIES,
    SIGNATORY_MAX_LENGTH,
    Agreement,
    AgreementKind,
    AgreementParty,
    AgreementSignature,
    AgreementStatus,
)
from alliance.agreements.perms import can_manage_agreements
from alliance.agreements.selectors import organisations_of_school
from alliance.audit.services import audit_record
from alliance.core import clock
from alliance.partners.models import PartnerOrganisation
from alliance.pupils.models import Guardian, Pupil
from alliance.pupils.selectors import pupils_visible_to
from alliance.pupils.services import EditConflictError
from alliance.tenancy.models import Membership

TITLE_MAX_LENGTH = 200
#: The longest term an agreement may have (a school–partner agreement is usually yearly or
#: for three years; ten years is surely a typing error).
MAX_TERM_DAYS = 5 * 366


class AgreementEditConflictError(EditConflictError):
    """Someone else changed the agreement after the actor's page was loaded."""


def _require_head(actor: Membership, agreement: Agreement | None = None) -> None:
    if not can_manage_agreements(actor) or (
        agreement is not None and agreement.school_id != actor.school_id
    ):
        raise PermissionDenied


def _lock(agreement: Agreement, expected_version: int | None) -> Agreement:
    fresh = Agreement.objects.select_for_update().get(pk=agreement.pk)
    if expected_version is not None and fresh.version != expected_version:
        raise AgreementEditConflictError(
            _(
                "Someone else changed this agreement while you were working on it. "
                "Reload the page to see their changes, then try again."
            ),
            code="conflict",
        )
    return fresh


def _save(fresh: Agreement, agreement: Agreement, fields: list[str]) -> None:
    fresh.full_clean()
    # save() on the locked row (``_lock`` compared the version), not QuerySet.update(): the
    # purpose, the parties and the revocation reason are encrypted at rest (decision 0016).
    fresh.save(update_fields=fields)
    Agreement.objects.filter(pk=fresh.pk).update(version=F("version") + 1, updated_at=clock.now())
    agreement.refresh_from_db()


def _text(value: str, field: str, max_length: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: _("This field is required.")}, code="required")
    if len(value) > max_length:
        raise ValidationError(
            {
                field: _("At most %(n)d characters (here: %(length)d).")
                % {"n": max_length, "length": len(value)}
            },
            code="too_long",
        )
    return value


def _check_dates(starts_on: dt.date, ends_on: dt.date, parent: Agreement | None = None) -> None:
    if ends_on < starts_on:
        raise ValidationError(
            {"ends_on": _("The end date must be on or after the start date.")}, code="dates"
        )
    if (ends_on - starts_on).days > MAX_TERM_DAYS:
        raise ValidationError(
            {"ends_on": _("An agreement lasts five years at most: check the end date.")},
            code="dates",
        )
    if parent is not None and (starts_on < parent.starts_on or ends_on > parent.ends_on):
        raise ValidationError(
            {
                "ends_on": _(
                    "A pupil agreement must fall within the dates of its school–partner "
                    "agreement (%(start)s – %(end)s)."
                )
                % {
                    "start": parent.starts_on.strftime("%d/%m/%Y"),
                    "end": parent.ends_on.strftime("%d/%m/%Y"),
                }
            },
            code="dates",
        )


def _check_parent(actor: Membership, parent: Agreement | None, organisation_id: int) -> Agreement:
    if (
        parent is None
        or parent.school_id != actor.school_id
        or parent.kind != AgreementKind.SCHOOL_PARTNER
    ):
        raise ValidationError(
            {
                "parent_agreement": _(
                    "Choose the school–partner agreement this pupil agreement falls under."
                )
            },
            code="parent",
        )
    if parent.partner_organisation_id != organisation_id:
        raise ValidationError(
            {
                "parent_agreement": _(
                    "The school–partner agreement must be with the same partner organisation."
                )
            },
            code="parent",
        )
    if parent.status == AgreementStatus.REVOKED:
        raise ValidationError(
            {"parent_agreement": _("This school–partner agreement has been revoked.")},
            code="parent",
        )
    return parent


@transaction.atomic
def agreement_create(
    *,
    actor: Membership,
    kind: str,
    partner_organisation: PartnerOrganisation,
    title: str,
    purpose: str,
    parties: str,
    starts_on: dt.date,
    ends_on: dt.date,
    pupil: Pupil | None = None,
    parent_agreement: Agreement | None = None,
) -> Agreement:
    """The head drafts an agreement. A partner–pupil–parents agreement names the pupil and the
    school–partner agreement (same organisation) it falls under."""
    _require_head(actor)
    if kind not in AgreementKind.values:
        raise ValidationError({"kind": _("Choose the kind of agreement.")}, code="kind")
    if not organisations_of_school(actor.school_id).filter(pk=partner_organisation.pk).exists():
        raise ValidationError(
            {
                "partner_organisation": _(
                    "Register this organisation as a partner of the school first."
                )
            },
            code="organisation",
        )
    title = _text(title, "title", TITLE_MAX_LENGTH)
    purpose = _text(purpose, "purpose", PURPOSE_MAX_LENGTH)
    parties = _text(parties, "parties", PARTIES_MAX_LENGTH)
    if kind == AgreementKind.PARTNER_PUPIL_PARENTS:
        if pupil is None or not pupils_visible_to(actor).filter(pk=pupil.pk).exists():
            raise ValidationError({"pupil": _("Choose a pupil of the school.")}, code="pupil")
        parent_agreement = _check_parent(actor, parent_agreement, partner_organisation.pk)
    else:
        pupil, parent_agreement = None, None
    _check_dates(starts_on, ends_on, parent_agreement)
    agreement = Agreement(
        school_id=actor.school_id,
        kind=kind,
        partner_organisation=partner_organisation,
        pupil=pupil,
        parent_agreement=parent_agreement,
        title=title,
        purpose=purpose,
        parties=parties,
        starts_on=starts_on,
        ends_on=ends_on,
        created_by=actor,
    )
    agreement.full_clean()
    agreement.save()
    audit_record(action="create", target=agreement, membership=actor)
    return agreement


@transaction.atomic
def agreement_update(
    *,
    actor: Membership,
    agreement: Agreement,
    expected_version: int,
    title: str,
    purpose: str,
    parties: str,
    starts_on: dt.date,
    ends_on: dt.date,
) -> Agreement:
    """The head edits a draft nobody has signed yet (signed terms never change)."""
    _require_head(actor, agreement)
    fresh = _lock(agreement, expected_version)
    if fresh.status != AgreementStatus.DRAFT:
        raise ValidationError(
            _("Only a draft agreement can be edited: revoke it and draw up a new one."),
            code="not_draft",
        )
    if fresh.signatures.exists():
        raise ValidationError(
            _("A party has already signed this agreement: its terms can no longer change."),
            code="signed",
        )
    fresh.title = _text(title, "title", TITLE_MAX_LENGTH)
    fresh.purpose = _text(purpose, "purpose", PURPOSE_MAX_LENGTH)
    fresh.parties = _text(parties, "parties", PARTIES_MAX_LENGTH)
    _check_dates(starts_on, ends_on, fresh.parent_agreement)
    fresh.starts_on, fresh.ends_on = starts_on, ends_on
    _save(fresh, agreement, ["title", "purpose", "parties", "starts_on", "ends_on"])
    audit_record(action="update", target=agreement, membership=actor)
    return agreement


@transaction.atomic
def agreement_signature_record(
    *,
    actor: Membership,
    agreement: Agreement,
    party: str,
    signatory_name: str,
    signed_on: dt.date,
    signatory_capacity: str = "",
    guardian: Guardian | None = None,
) -> AgreementSignature:
    """The head records that a party signed the paper agreement.

    A partner–pupil–parents agreement is concluded once the partner and a parent (or guardian)
    of the pupil have signed: it needs no board approval of its own (docs/decisions/0013).
    """
    _require_head(actor, agreement)
    fresh = _lock(agreement, None)
    if fresh.status == AgreementStatus.REVOKED:
        raise ValidationError(_("This agreement has been revoked."), code="revoked")
    if party not in PARTIES_OF_KIND[fresh.kind]:
        raise ValidationError(
            {"party": _("This party does not sign this kind of agreement.")}, code="party"
        )
    signatory_name = _text(signatory_name, "signatory_name", SIGNATORY_MAX_LENGTH)
    signatory_capacity = _text(
        signatory_capacity, "signatory_capacity", SIGNATORY_MAX_LENGTH, required=False
    )
    if signed_on > clock.today():
        raise ValidationError({"signed_on": _("The date cannot be in the future.")}, code="date")
    if party == AgreementParty.GUARDIAN:
        if guardian is None or guardian.pupil_id != fresh.pupil_id:
            raise ValidationError(
                {"guardian": _("Choose one of this pupil's guardians.")}, code="guardian"
            )
    else:
        guardian = None
    signature = AgreementSignature(
        school_id=fresh.school_id,
        agreement=fresh,
        party=party,
        signatory_name=signatory_name,
        signatory_capacity=signatory_capacity,
        guardian=guardian,
        signed_on=signed_on,
        recorded_by=actor,
        recorded_at=clock.now(),
    )
    signature.full_clean()
    signature.save()
    audit_record(action="create", target=signature, membership=actor)
    fields: list[str] = []
    if (
        fresh.kind == AgreementKind.PARTNER_PUPIL_PARENTS
        and fresh.status == AgreementStatus.DRAFT
        and set(fresh.signatures.values_list("party", flat=True)) >= REQUIRED_PPP_PARTIES
    ):
        fresh.status = AgreementStatus.CONCLUDED
        fresh.concluded_at = clock.now()
        fields = ["status", "concluded_at"]
    _save(fresh, agreement, fields)
    if fields:
        audit_record(action="update", target=agreement, membership=actor)
    return signature


@transaction.atomic
def agreement_board_approval_record(
    *,
    actor: Membership,
    agreement: Agreement,
    expected_version: int,
    approved_on: dt.date,
    reference: str,
) -> Agreement:
    """The head records the board's approval of a school–partner agreement (charter art. 5):
    the date of the conseil d'administration and the reference of its deliberation. The
    agreement is then concluded, and in force between its dates."""
    _require_head(actor, agreement)
    fresh = _lock(agreement, expected_version)
    if fresh.kind != AgreementKind.SCHOOL_PARTNER:
        raise ValidationError(
            _(
                "A partner–pupil–parents agreement is not put before the board: it would "
                "disclose the pupil's situation. It is concluded by the signatures of the "
                "partner and the parents."
            ),
            code="kind",
        )
    if fresh.status != AgreementStatus.DRAFT:
        raise ValidationError(
            _("The board's approval of this agreement is already recorded, or it was revoked."),
            code="status",
        )
    if approved_on > clock.today():
        raise ValidationError(
            {"approved_on": _("The date of the board meeting cannot be in the future.")},
            code="date",
        )
    fresh.board_reference = _text(reference, "reference", BOARD_REFERENCE_MAX_LENGTH)
    fresh.board_approved_on = approved_on
    fresh.board_recorded_by = actor
    fresh.board_recorded_at = clock.now()
    fresh.status = AgreementStatus.CONCLUDED
    fresh.concluded_at = fresh.board_recorded_at
    _save(
        fresh,
        agreement,
        [
            "board_reference",
            "board_approved_on",
            "board_recorded_by",
            "board_recorded_at",
            "status",
            "concluded_at",
        ],
    )
    audit_record(action="update", target=agreement, membership=actor)
    return agreement


@transaction.atomic
def agreement_revoke(
    *,
    actor: Membership,
    agreement: Agreement,
    expected_version: int,
    reason: str,
    revoked_on: dt.date | None = None,
) -> Agreement:
    """The head revokes an agreement (draft or concluded), with the written reason. Partners
    lose their access to cases at once; the pupil agreements under a revoked school–partner
    agreement stop being in force with it."""
    _require_head(actor, agreement)
    fresh = _lock(agreement, expected_version)
    if fresh.status == AgreementStatus.REVOKED:
        raise ValidationError(_("This agreement is already revoked."), code="status")
    reason = _text(reason, "reason", REASON_MAX_LENGTH)
    day = revoked_on or clock.today()
    if day > clock.today():
        raise ValidationError(
            {"revoked_on": _("The date cannot be in the future: revoke it on that day.")},
            code="date",
        )
    fresh.status = AgreementStatus.REVOKED
    fresh.revoked_on = day
    fresh.revocation_reason = reason
    fresh.revoked_by = actor
    fresh.revoked_at = clock.now()
    _save(
        fresh,
        agreement,
        ["status", "revoked_on", "revocation_reason", "revoked_by", "revoked_at"],
    )
    audit_record(action="update", target=agreement, membership=actor)
    return agreement
