"""Writes on cases. Each one checks the actor, validates, and audits in the same transaction.

Conventions, shared with the meetings and plans apps that call these services:

- keyword-only arguments, the acting membership as ``actor``;
- a refused act raises ``PermissionDenied`` (the actor may not) or ``ValidationError`` with a
  translatable message (the act is not possible now: wrong status, closed case, bad input);
- every write locks the case row first and refuses on a closed case (except ``case_reopen``);
- ``expected_version`` (optional) is the case version the actor's form showed: a mismatch
  raises ``CaseEditConflictError`` and nothing is written;
- the ``case`` object passed in is refreshed in place after a change of the case row.
"""

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from alliance.audit.services import audit_record
from alliance.cases.models import (
    FREE_SIGN_MAX_LENGTH,
    SIGN_LABEL_MAX_LENGTH,
    SUMMARY_MAX_LENGTH,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseNote,
    CaseOutcome,
    CaseReferral,
    CaseSign,
    CaseStatus,
    CaseTeamMember,
    ContactChannel,
    FamilyContact,
    FamilyContactException,
    FamilyInvolvement,
    InvolvementKind,
    NoteAudience,
    SignCatalogueEntry,
)
from alliance.cases.perms import (
    can_coordinate_case,
    can_manage_sign_catalogue,
    can_refer,
    can_steer_case,
    can_work_on_case,
    can_write_case_note,
    may_write_note_bodies,
)
from alliance.cases.selectors import case_family_associated_or_excepted, partner_team_refusals
from alliance.charter.selectors import has_adhered_to_current
from alliance.core import clock
from alliance.pupils.models import Guardian, Pupil
from alliance.pupils.selectors import pupils_visible_to
from alliance.pupils.services import EditConflictError
from alliance.tenancy.models import Membership, Role, School

#: The French grid offered to a school that has not configured its own (code, label).
DEFAULT_SIGNS: tuple[tuple[str, str], ...] = (
    ("absences", "Absences répétées"),
    ("lateness", "Retards répétés"),
    ("disengagement", "Désengagement en classe"),
    ("no_materials", "N’apporte plus ses affaires"),
    ("falling_grades", "Baisse des résultats"),
    ("lost_motivation", "Perte de motivation"),
    ("isolation", "Isolement, repli sur soi"),
    ("conflicts", "Conflits avec des élèves ou des adultes"),
    ("fatigue", "Fatigue"),
    ("behaviour", "Comportement qui change"),
    ("orientation", "Projet d’orientation subi ou absent"),
)
MAX_FREE_SIGNS = 10
#: School roles that may sit on a case team. Partners join under the conditions of
#: ``selectors.partner_team_refusals`` (agreement in force, charter, parents first).
TEAM_ROLES = frozenset({Role.HEAD, Role.STAFF})


class CaseEditConflictError(EditConflictError):
    """Someone else changed the case after the actor's page was loaded."""


# --------------------------------------------------------------------------- helpers


def _now() -> dt.datetime:
    return clock.now()


def _lock(case: Case, *, expected_version: int | None = None, allow_closed: bool = False) -> Case:
    """Lock the case row, re-read it, and refuse a closed case or a stale version."""
    fresh = Case.objects.select_for_update().get(pk=case.pk)
    if expected_version is not None and fresh.version != expected_version:
        raise CaseEditConflictError(
            _(
                "Someone else changed this case while you were working on it. "
                "Reload the page to see their changes, then try again."
            ),
            code="conflict",
        )
    if not allow_closed and fresh.status == CaseStatus.CLOSED:
        raise ValidationError(
            _("This case is closed: it can no longer be changed. The head may reopen it."),
            code="closed",
        )
    return fresh


def _save_case(fresh: Case, case: Case, fields: list[str]) -> None:
    """Save ``fields`` of the locked row, bump its version, and refresh the caller's object."""
    fresh.full_clean()
    # save() on the locked row, not QuerySet.update(): the reason and the closing note are
    # encrypted at rest and only an instance can seal them (decision 0016); the version was
    # compared under the row lock by ``_lock``.
    fresh.save(update_fields=fields)
    Case.objects.filter(pk=fresh.pk).update(version=F("version") + 1, updated_at=_now())
    case.refresh_from_db()


def _event(
    case: Case,
    actor: Membership,
    kind: str,
    *,
    from_status: str = "",
    to_status: str = "",
    subject: Membership | None = None,
    related_public_id: uuid.UUID | None = None,
    detail: str = "",
) -> CaseEvent:
    event = CaseEvent(
        school_id=case.school_id,
        case=case,
        kind=kind,
        actor=actor,
        subject=subject,
        from_status=from_status,
        to_status=to_status,
        related_public_id=related_public_id,
        detail=detail,
        occurred_at=_now(),
    )
    event.full_clean()
    event.save()
    return event


def _require(predicate: Any, actor: Membership, case: Case | None = None) -> None:
    allowed = predicate(actor, case) if case is not None else predicate(actor)
    if not allowed or (case is not None and actor.school_id != case.school_id):
        raise PermissionDenied


def _transition(
    *,
    case: Case,
    actor: Membership,
    allowed_from: Iterable[str],
    to: str,
    expected_version: int | None,
    refusal: str,
    extra: dict[str, Any] | None = None,
    related_public_id: uuid.UUID | None = None,
) -> Case:
    _require(can_steer_case, actor, case)
    fresh = _lock(case, expected_version=expected_version)
    if fresh.status not in set(allowed_from):
        raise ValidationError(refusal, code="illegal_transition")
    before = fresh.status
    fresh.status = to
    fields = ["status"]
    for name, value in (extra or {}).items():
        setattr(fresh, name, value)
        fields.append(name)
    _save_case(fresh, case, fields)
    _event(
        case,
        actor,
        CaseEventKind.STATUS,
        from_status=before,
        to_status=to,
        related_public_id=related_public_id,
    )
    audit_record(action="update", target=case, membership=actor)
    return case


def _is_team_eligible(membership: Membership, school_id: int) -> bool:
    return (
        membership.school_id == school_id
        and membership.role in TEAM_ROLES
        and membership.is_live()
        and has_adhered_to_current(membership)
    )


def _check_team_candidate(
    case: Case, membership: Membership, *, allow_partner: bool = False
) -> None:
    if membership.school_id != case.school_id:
        raise ValidationError(
            {"membership": _("This person is not a member of this school.")}, code="other_school"
        )
    if membership.role == Role.PARTNER:
        if not allow_partner:
            raise ValidationError(
                {
                    "membership": _(
                        "A partner cannot be the referent: choose a member of the school staff."
                    )
                },
                code="partner",
            )
        # Charter adhesion, a school–partner agreement in force, parents first
        # (docs/decisions/0013-agreements.md).
        refusals = partner_team_refusals(case, membership)
        if refusals:
            raise ValidationError({"membership": refusals}, code="partner")
        return
    if not _is_team_eligible(membership, case.school_id):
        raise ValidationError(
            {
                "membership": _(
                    "Only school staff whose membership is in force and who adhered to the "
                    "current charter can join a case team."
                )
            },
            code="not_eligible",
        )


def _add_to_team(case: Case, actor: Membership, membership: Membership) -> CaseTeamMember | None:
    if case.team.current().filter(membership=membership).exists():
        return None
    member = CaseTeamMember(
        school_id=case.school_id,
        case=case,
        membership=membership,
        added_by=actor,
        added_at=_now(),
    )
    member.full_clean()
    member.save()
    _event(case, actor, CaseEventKind.TEAM_ADDED, subject=membership)
    audit_record(action="create", target=member, membership=actor)
    return member


def _clean_text(value: str, field: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({field: _("This field is required.")}, code="required")
    return value


# --------------------------------------------------------------------------- parents first


def ensure_parents_first(case: Case) -> None:
    """Refuse (``ValidationError``) unless the family was reached or the head approved an exception.

    Call before putting a case on a meeting agenda, examining it, or sharing it with a partner.
    """
    if not case_family_associated_or_excepted(case):
        raise ValidationError(
            _(
                "Parents first: record a contact in which the family was reached, or have the "
                "head approve a written exception, before this case is examined or shared."
            ),
            code="parents_first",
        )


# --------------------------------------------------------------------------- sign grid


@transaction.atomic
def sign_catalogue_ensure(*, school: School) -> list[SignCatalogueEntry]:
    """Give the school the default French grid the first time it is needed (idempotent)."""
    if not SignCatalogueEntry.objects.filter(school=school).exists():
        SignCatalogueEntry.objects.bulk_create(
            [
                SignCatalogueEntry(school=school, code=code, label=label, position=index)
                for index, (code, label) in enumerate(DEFAULT_SIGNS)
            ],
            ignore_conflicts=True,
        )
    return list(
        SignCatalogueEntry.objects.filter(school=school, is_active=True).order_by(
            "position", "label"
        )
    )


def _sign_code(school_id: int, label: str) -> str:
    """A code for a new sign of the grid, from its label, unique in the school."""
    max_length = SignCatalogueEntry._meta.get_field("code").max_length or 50
    base = (slugify(label) or "sign")[: max_length - 4].strip("-") or "sign"
    taken = set(
        SignCatalogueEntry.objects.filter(school_id=school_id).values_list("code", flat=True)
    )
    code, suffix = base, 2
    while code in taken:
        code, suffix = f"{base}-{suffix}", suffix + 1
    return code


@transaction.atomic
def sign_catalogue_add(*, actor: Membership, label: str) -> SignCatalogueEntry:
    """The head adds a sign to the school's grid (after the French defaults, kept as they are)."""
    if not can_manage_sign_catalogue(actor):
        raise PermissionDenied
    sign_catalogue_ensure(school=actor.school)
    label = _clean_text(label, "label")
    if len(label) > SIGN_LABEL_MAX_LENGTH:
        raise ValidationError(
            {
                "label": _("At most %(n)d characters (here: %(length)d).")
                % {"n": SIGN_LABEL_MAX_LENGTH, "length": len(label)}
            }
        )
    entries = SignCatalogueEntry.objects.filter(school_id=actor.school_id)
    # Compared in Python: SQLite folds the case of ASCII letters only ("É" ≠ "é" there).
    if label.casefold() in {other.casefold() for other in entries.values_list("label", flat=True)}:
        raise ValidationError(
            {"label": _("This sign is already in the grid (offer it again if it was retired).")}
        )
    position = (entries.aggregate(m=Max("position"))["m"] or 0) + 1
    entry = SignCatalogueEntry(
        school_id=actor.school_id,
        code=_sign_code(actor.school_id, label),
        label=label,
        position=position,
    )
    entry.full_clean()
    entry.save()
    audit_record(action="create", target=entry, object_public_id=entry.code, membership=actor)
    return entry


@transaction.atomic
def sign_catalogue_set_active(
    *, actor: Membership, entry: SignCatalogueEntry, is_active: bool
) -> SignCatalogueEntry:
    """The head retires a sign from the grid, or offers it again. Referrals that recorded it
    keep it; a retired sign is no longer offered in new referrals."""
    if not can_manage_sign_catalogue(actor) or entry.school_id != actor.school_id:
        raise PermissionDenied
    if entry.is_active != is_active:
        entry.is_active = is_active
        entry.save(update_fields=["is_active", "updated_at"])
        audit_record(action="update", target=entry, object_public_id=entry.code, membership=actor)
    return entry


# --------------------------------------------------------------------------- referral


def _record_signs(
    case: Case,
    referral: CaseReferral,
    actor: Membership,
    entries: Iterable[SignCatalogueEntry],
    free_signs: Iterable[str],
) -> None:
    entries = list(entries)
    for entry in entries:
        if entry.school_id != case.school_id or not entry.is_active:
            raise ValidationError({"signs": _("This sign is not part of the school's grid.")})
    texts = [text.strip() for text in free_signs if text and text.strip()]
    if len(texts) > MAX_FREE_SIGNS:
        raise ValidationError(
            {"free_signs": _("At most %(n)d free-text signs.") % {"n": MAX_FREE_SIGNS}}
        )
    for text in texts:
        if len(text) > FREE_SIGN_MAX_LENGTH:
            raise ValidationError(
                {
                    "free_signs": _("Each sign must fit in %(n)d characters.")
                    % {"n": FREE_SIGN_MAX_LENGTH}
                }
            )
    already = set(case.signs.values_list("catalogue_entry_id", flat=True))
    signs = [
        CaseSign(
            school_id=case.school_id,
            case=case,
            referral=referral,
            catalogue_entry=entry,
            recorded_by=actor,
        )
        for entry in dict.fromkeys(entries)
        if entry.pk not in already
    ] + [
        CaseSign(
            school_id=case.school_id,
            case=case,
            referral=referral,
            free_text=text,
            recorded_by=actor,
        )
        for text in dict.fromkeys(texts)
    ]
    for sign in signs:
        # The "grid entry xor free text" constraint is left to the database: Django checks a
        # constraint in Python by sending the values to the database, which an encrypted free
        # text refuses in plaintext (decision 0016). The signs are built one kind at a time.
        sign.full_clean(validate_constraints=False)
        sign.save()


@transaction.atomic
def case_refer(
    *,
    actor: Membership,
    pupil: Pupil,
    reason: str,
    sign_entries: Iterable[SignCatalogueEntry] = (),
    free_signs: Iterable[str] = (),
    source_alert_public_id: uuid.UUID | None = None,
) -> CaseReferral:
    """Refer ``pupil`` (saisine). Returns the referral, never the case.

    When the pupil has no open case, a case is opened. When the pupil already has one, the
    referral and its signs are attached to it as a new signal for the head and the team. The
    referrer is told the same thing either way, and is not added to any team: the head builds
    the team (docs/decisions/0007-need-to-know-and-secrecy.md).
    """
    if not can_refer(actor) or pupil.school_id != actor.school_id:
        raise PermissionDenied
    if not pupils_visible_to(actor).filter(pk=pupil.pk).exists():
        raise PermissionDenied
    if pupil.left_on is not None:
        raise ValidationError(_("This pupil has left the school: no referral can be made."))
    reason = _clean_text(reason, "reason")
    now = _now()
    # Serialise the referrals of one pupil so two of them cannot both open a case.
    Pupil.objects.select_for_update().filter(pk=pupil.pk).first()
    case = Case.objects.select_for_update().open().filter(pupil=pupil).first()
    is_new = case is None
    if case is None:
        case = Case(
            school_id=pupil.school_id,
            pupil=pupil,
            opened_by=actor,
            reason=reason,
            opened_at=now,
            source_alert_public_id=source_alert_public_id,
        )
        case.full_clean()
        try:
            with transaction.atomic():
                case.save()
        except IntegrityError as exc:  # another referral opened it just now
            case = Case.objects.open().filter(pupil=pupil).first()
            if case is None:
                raise ValidationError(_("The referral could not be recorded; try again.")) from exc
            is_new = False
    referral = CaseReferral(
        school_id=pupil.school_id,
        case=case,
        pupil=pupil,
        referred_by=actor,
        reason=reason,
        referred_at=now,
        is_initial=is_new,
    )
    referral.full_clean()
    referral.save()
    _record_signs(case, referral, actor, sign_entries, free_signs)
    if is_new:
        _event(case, actor, CaseEventKind.OPENED, to_status=CaseStatus.REFERRED)
        audit_record(action="create", target=case, membership=actor)
    else:
        _event(case, actor, CaseEventKind.SIGNAL)
        Case.objects.filter(pk=case.pk).update(version=F("version") + 1, updated_at=now)
    audit_record(action="create", target=referral, membership=actor)
    return referral


@transaction.atomic
def case_update(*, case: Case, actor: Membership, expected_version: int, reason: str) -> Case:
    """Edit the case's reason (head or referent), refusing a lost update."""
    _require(can_steer_case, actor, case)
    fresh = _lock(case, expected_version=expected_version)
    fresh.reason = _clean_text(reason, "reason")
    _save_case(fresh, case, ["reason"])
    _event(case, actor, CaseEventKind.EDITED)
    audit_record(action="update", target=case, membership=actor)
    return case


# --------------------------------------------------------------------------- team


@transaction.atomic
def case_team_add(
    *, case: Case, actor: Membership, membership: Membership
) -> CaseTeamMember | None:
    """The head adds a member of the school's staff, or a partner, to the case team (``None`` if
    already on it). A partner joins only when they adhered to the current charter, their
    organisation has a school–partner agreement in force, and the family was associated."""
    _require(can_coordinate_case, actor, case)
    fresh = _lock(case)
    _check_team_candidate(fresh, membership, allow_partner=True)
    return _add_to_team(fresh, actor, membership)


@transaction.atomic
def case_team_remove(*, case: Case, actor: Membership, membership: Membership) -> None:
    """The head removes a member from the team; they stop seeing the case at once."""
    _require(can_coordinate_case, actor, case)
    fresh = _lock(case)
    if fresh.referent_id == membership.pk:
        raise ValidationError(
            {"membership": _("Assign another referent before removing this one from the team.")}
        )
    member = fresh.team.current().filter(membership=membership).first()
    if member is None:
        raise ValidationError({"membership": _("This person is not on the case team.")})
    member.removed_at = _now()
    member.removed_by = actor
    member.full_clean()
    member.save(update_fields=["removed_at", "removed_by"])
    _event(fresh, actor, CaseEventKind.TEAM_REMOVED, subject=membership)
    audit_record(action="update", target=member, membership=actor)


@transaction.atomic
def case_assign_referent(
    *,
    case: Case,
    actor: Membership,
    referent: Membership,
    expected_version: int | None = None,
) -> Case:
    """The head names the case's referent, who joins the team if not on it yet."""
    _require(can_coordinate_case, actor, case)
    fresh = _lock(case, expected_version=expected_version)
    _check_team_candidate(fresh, referent)
    _add_to_team(fresh, actor, referent)
    fresh.referent = referent
    _save_case(fresh, case, ["referent"])
    _event(case, actor, CaseEventKind.REFERENT, subject=referent)
    audit_record(action="update", target=case, membership=actor)
    return case


# --------------------------------------------------------------------------- family


@transaction.atomic
def family_contact_record(
    *,
    case: Case,
    actor: Membership,
    contacted_on: dt.date,
    channel: str,
    reached: bool,
    made_by: Membership | None = None,
    guardian: Guardian | None = None,
    pupil_present: bool = False,
    outcome: str = "",
) -> FamilyContact:
    """Log one contact (or attempt) with the family. The first one that reached the family moves
    the case from ``referred`` to ``family_associated``."""
    _require(can_work_on_case, actor, case)
    fresh = _lock(case)
    made_by = made_by or actor
    errors: dict[str, str] = {}
    today = clock.today()
    if contacted_on > today:
        errors["contacted_on"] = _("The date cannot be in the future.")
    elif contacted_on < timezone.localdate(fresh.opened_at):
        errors["contacted_on"] = _("The date cannot be before the case was opened.")
    if channel not in ContactChannel.values:
        errors["channel"] = _("Choose a channel from the list.")
    if guardian is not None and (
        guardian.pupil_id != fresh.pupil_id or guardian.school_id != fresh.school_id
    ):
        errors["guardian"] = _("This guardian is not one of this pupil's guardians.")
    if made_by.pk != actor.pk and not (
        made_by.school_id == fresh.school_id
        and (made_by.role == Role.HEAD or fresh.team.current().filter(membership=made_by).exists())
    ):
        errors["made_by"] = _("The contact must have been made by the head or a team member.")
    if errors:
        raise ValidationError(errors)
    contact = FamilyContact(
        school_id=fresh.school_id,
        case=fresh,
        contacted_on=contacted_on,
        channel=channel,
        made_by=made_by,
        recorded_by=actor,
        guardian=guardian,
        pupil_present=pupil_present,
        reached=reached,
        outcome=(outcome or "").strip(),
    )
    contact.full_clean()
    contact.save()
    _event(fresh, actor, CaseEventKind.FAMILY_CONTACT)
    audit_record(action="create", target=contact, membership=actor)
    if reached and fresh.family_associated_at is None:
        before = fresh.status
        fresh.family_associated_at = _now()
        fields = ["family_associated_at"]
        if fresh.status == CaseStatus.REFERRED:
            fresh.status = CaseStatus.FAMILY_ASSOCIATED
            fields.append("status")
        _save_case(fresh, case, fields)
        if before != fresh.status:
            _event(
                fresh,
                actor,
                CaseEventKind.STATUS,
                from_status=before,
                to_status=fresh.status,
            )
            audit_record(action="update", target=fresh, membership=actor)
    return contact


@transaction.atomic
def family_exception_request(
    *, case: Case, actor: Membership, reason: str
) -> FamilyContactException:
    """A team member asks the head for an exception to parents first, with the written reason."""
    _require(can_work_on_case, actor, case)
    fresh = _lock(case)
    reason = _clean_text(reason, "reason")
    if case_family_associated_or_excepted(fresh):
        raise ValidationError(_("The family is already associated: no exception is needed."))
    if FamilyContactException.objects.filter(case=fresh).exists():
        raise ValidationError(_("An exception has already been requested for this case."))
    exception = FamilyContactException(
        school_id=fresh.school_id,
        case=fresh,
        reason=reason,
        requested_by=actor,
        requested_at=_now(),
    )
    exception.full_clean()
    exception.save()
    _event(fresh, actor, CaseEventKind.EXCEPTION_REQUESTED)
    audit_record(action="create", target=exception, membership=actor)
    return exception


@transaction.atomic
def family_exception_approve(
    *, case: Case, actor: Membership, reason: str = ""
) -> FamilyContactException:
    """The head approves the exception: the pending request, or one the head writes now
    (``reason`` is then required; given with a pending request, it replaces its wording)."""
    _require(can_coordinate_case, actor, case)
    fresh = _lock(case)
    if case_family_associated_or_excepted(fresh):
        raise ValidationError(_("The family is already associated: no exception is needed."))
    now = _now()
    exception = FamilyContactException.objects.filter(case=fresh).first()
    if exception is None:
        exception = FamilyContactException(
            school_id=fresh.school_id,
            case=fresh,
            reason=_clean_text(reason, "reason"),
            requested_by=actor,
            requested_at=now,
        )
    elif reason.strip():
        exception.reason = reason.strip()
    exception.approved_by = actor
    exception.approved_at = now
    exception.full_clean()
    exception.save()
    _event(fresh, actor, CaseEventKind.EXCEPTION_APPROVED)
    audit_record(action="update", target=exception, membership=actor)
    Case.objects.filter(pk=fresh.pk).update(version=F("version") + 1, updated_at=now)
    case.refresh_from_db()
    return exception


@transaction.atomic
def family_involvement_record(
    *,
    case: Case,
    actor: Membership,
    kind: str,
    occurred_on: dt.date,
    guardian: Guardian | None = None,
    pupil_took_part: bool = False,
    related_public_id: uuid.UUID | None = None,
) -> FamilyInvolvement:
    """Record one fact of the family's involvement (invited, present, agreed…)."""
    _require(can_work_on_case, actor, case)
    fresh = _lock(case)
    if kind not in InvolvementKind.values:
        raise ValidationError({"kind": _("Choose a kind from the list.")})
    if occurred_on > clock.today():
        raise ValidationError({"occurred_on": _("The date cannot be in the future.")})
    if guardian is not None and guardian.pupil_id != fresh.pupil_id:
        raise ValidationError(
            {"guardian": _("This guardian is not one of this pupil's guardians.")}
        )
    involvement = FamilyInvolvement(
        school_id=fresh.school_id,
        case=fresh,
        kind=kind,
        occurred_on=occurred_on,
        guardian=guardian,
        pupil_took_part=pupil_took_part,
        related_public_id=related_public_id,
        recorded_by=actor,
    )
    involvement.full_clean()
    involvement.save()
    audit_record(action="create", target=involvement, membership=actor)
    return involvement


# --------------------------------------------------------------------------- transitions


@transaction.atomic
def case_mark_examined(
    *,
    case: Case,
    actor: Membership,
    meeting: Any = None,
    expected_version: int | None = None,
) -> Case:
    """The GPDS examined the case (``meeting``: the meeting object, if any). Parents first."""
    _require(can_steer_case, actor, case)
    ensure_parents_first(case)
    now = _now()
    return _transition(
        case=case,
        actor=actor,
        allowed_from={CaseStatus.REFERRED, CaseStatus.FAMILY_ASSOCIATED},
        to=CaseStatus.EXAMINED,
        expected_version=expected_version,
        refusal=_("Only a case waiting for its first examination can be marked examined."),
        extra={"examined_at": case.examined_at or now},
        related_public_id=getattr(meeting, "public_id", None),
    )


def _require_plan_step(case: Case, plan: Any, refusal: str) -> None:
    """The plan's steps move the case only through its own action plan.

    The plans services pass the plan they lock; a forged request from the case page passes none
    and is refused with ``refusal``, before any write.
    """
    if plan is None or getattr(plan, "case_id", None) != case.pk:
        raise ValidationError(refusal, code="through_plan")


@transaction.atomic
def case_activate_plan(
    *, case: Case, actor: Membership, plan: Any = None, expected_version: int | None = None
) -> Case:
    """The action plan agreed after the examination starts (called by ``plans.services.plan_activate``
    with the plan, which must hold at least one action still carried out)."""
    _require(can_steer_case, actor, case)
    _require_plan_step(
        case,
        plan,
        _(
            "An action plan starts from its own page, once it holds at least one action: "
            "open the case's action plan."
        ),
    )
    if not plan.has_live_action():
        raise ValidationError(_("Add at least one action before starting the plan."))
    return _transition(
        case=case,
        actor=actor,
        allowed_from={CaseStatus.EXAMINED},
        to=CaseStatus.PLAN_ACTIVE,
        expected_version=expected_version,
        refusal=_("An action plan can start only once the case has been examined."),
        related_public_id=plan.public_id,
    )


@transaction.atomic
def case_start_review(
    *, case: Case, actor: Membership, review: Any = None, expected_version: int | None = None
) -> Case:
    """The team reviews the plan in progress (called by ``plans.services.plan_review_open`` with
    the review it opened)."""
    _require(can_steer_case, actor, case)
    _require_plan_step(
        case,
        getattr(review, "plan", None),
        _("A review is opened from the action plan's page, where each goal is then assessed."),
    )
    if not review.is_open:
        raise ValidationError(_("This review is already completed."), code="status")
    return _transition(
        case=case,
        actor=actor,
        allowed_from={CaseStatus.PLAN_ACTIVE},
        to=CaseStatus.UNDER_REVIEW,
        expected_version=expected_version,
        refusal=_("Only a case with an action plan in progress can be put under review."),
        related_public_id=review.public_id,
    )


@transaction.atomic
def case_resume_plan(
    *, case: Case, actor: Membership, review: Any = None, expected_version: int | None = None
) -> Case:
    """After the review, the (updated) plan goes on (called by
    ``plans.services.plan_review_complete`` with the review it completed)."""
    _require(can_steer_case, actor, case)
    _require_plan_step(
        case,
        getattr(review, "plan", None),
        _("The action plan resumes once its review is completed on the plan's page."),
    )
    if review.is_open:
        raise ValidationError(
            _("The action plan resumes once its review is completed on the plan's page."),
            code="status",
        )
    return _transition(
        case=case,
        actor=actor,
        allowed_from={CaseStatus.UNDER_REVIEW},
        to=CaseStatus.PLAN_ACTIVE,
        expected_version=expected_version,
        refusal=_("Only a case under review can resume its action plan."),
        related_public_id=review.public_id,
    )


@transaction.atomic
def case_close(
    *,
    case: Case,
    actor: Membership,
    outcome: str,
    note: str = "",
    expected_version: int | None = None,
) -> Case:
    """Close the case with its outcome (from any open status: a pupil may move away at once)."""
    if outcome not in CaseOutcome.values:
        raise ValidationError({"outcome": _("Choose the outcome of the case.")}, code="outcome")
    return _transition(
        case=case,
        actor=actor,
        allowed_from=set(CaseStatus.values) - {CaseStatus.CLOSED},
        to=CaseStatus.CLOSED,
        expected_version=expected_version,
        refusal=_("This case is already closed."),
        extra={"outcome": outcome, "closing_note": (note or "").strip(), "closed_at": _now()},
    )


@transaction.atomic
def case_reopen(
    *, case: Case, actor: Membership, reason: str, expected_version: int | None = None
) -> Case:
    """The head reopens a closed case, with the written reason. It goes back to where it was:
    under review if its action plan had started (the plan page then opens a review), examined if
    it had been examined, else family associated or referred."""
    _require(can_coordinate_case, actor, case)
    reason = _clean_text(reason, "reason")
    fresh = _lock(case, expected_version=expected_version, allow_closed=True)
    if fresh.status != CaseStatus.CLOSED:
        raise ValidationError(_("Only a closed case can be reopened."), code="illegal_transition")
    if hasattr(fresh, "archive"):  # privacy.CaseArchive: retention's read-only archive
        raise ValidationError(
            _("This case is archived (retention): it can no longer be reopened."),
            code="archived",
        )
    if Case.objects.open().filter(pupil_id=fresh.pupil_id).exists():
        raise ValidationError(
            _("This pupil has another open case: it cannot be reopened."), code="open_exists"
        )
    # The plan lives in the plans app (``ActionPlan.case``, related name ``action_plan``).
    plan = getattr(fresh, "action_plan", None)
    if plan is not None and plan.activated_at is not None:
        fresh.status = CaseStatus.UNDER_REVIEW
    elif fresh.examined_at is not None:
        fresh.status = CaseStatus.EXAMINED
    elif fresh.family_associated_at is not None:
        fresh.status = CaseStatus.FAMILY_ASSOCIATED
    else:
        fresh.status = CaseStatus.REFERRED
    fresh.outcome = ""
    fresh.closed_at = None
    _save_case(fresh, case, ["status", "outcome", "closed_at"])
    _event(
        case,
        actor,
        CaseEventKind.REOPENED,
        from_status=CaseStatus.CLOSED,
        to_status=fresh.status,
        detail=reason,
    )
    audit_record(action="update", target=case, membership=actor)
    return case


# --------------------------------------------------------------------------- notes


@transaction.atomic
def case_note_create(
    *,
    case: Case,
    actor: Membership,
    audience: str,
    body: str,
    is_summary_item: bool = False,
) -> CaseNote:
    """Write a note for an audience (charter art. 3b).

    A secrecy-bound professional (PsyEN, nurse, social worker, doctor) may keep a note to their
    profession or to themselves, and publish a short summary item to the team. Without certified
    health hosting (HDS) they may publish summary items only.

    A partner on the team (under an agreement in force, docs/decisions/0013) writes for the
    whole team only: any other audience, or a summary item, is refused.
    """
    _require(can_write_case_note, actor, case)
    fresh = _lock(case)
    body = _clean_text(body, "body")
    if audience not in NoteAudience.values:
        raise ValidationError({"audience": _("Choose who may read the note.")})
    if actor.role == Role.PARTNER and (audience != NoteAudience.TEAM or is_summary_item):
        raise ValidationError(
            {"audience": _("A partner's note is shared with the whole case team.")},
            code="partner_team_only",
        )
    if audience == NoteAudience.PROFESSION and not actor.is_secrecy_bound:
        raise ValidationError(
            {
                "audience": _(
                    "Only health, social and psychology professionals keep notes to their profession."
                )
            }
        )
    if is_summary_item:
        if not actor.is_secrecy_bound:
            raise ValidationError(
                _("Summary items are published by health, social and psychology professionals.")
            )
        if audience not in {NoteAudience.TEAM, NoteAudience.SCHOOL_STAFF_ON_TEAM}:
            raise ValidationError({"audience": _("A summary item is published to the team.")})
        if len(body) > SUMMARY_MAX_LENGTH:
            raise ValidationError(
                {"body": _("A summary item fits in %(n)d characters.") % {"n": SUMMARY_MAX_LENGTH}}
            )
    elif not may_write_note_bodies(actor):
        raise ValidationError(
            _(
                "This deployment has no certified health-data hosting (HDS): your profession "
                "records only a short summary item for the team, never the note itself."
            ),
            code="hds_required",
        )
    note = CaseNote(
        school_id=fresh.school_id,
        case=fresh,
        author=actor,
        author_profession=actor.profession,
        audience=audience,
        body=body,
        is_summary_item=is_summary_item,
    )
    note.full_clean()
    note.save()
    audit_record(action="create", target=note, membership=actor)
    return note


@transaction.atomic
def case_close_for_leaving_pupil(*, pupil_id: int, actor: Membership) -> list[Case]:
    """The pupil left the school: their open case closes, outcome "left the school".

    Charter art. 4b and issue 5 point 3: a case never follows the pupil; it closes here and
    enters the retention schedule (``alliance.privacy.retention``). Called through the pupils
    app's ``pupil_left`` signal by whoever recorded the leaving (a roster import, or the head
    or CPE marking the pupil as left): it follows from the roster, so no steering right is
    asked. Each closure is a status event of the case and an audit event.
    """
    closed: list[Case] = []
    for case in Case.objects.open().filter(pupil_id=pupil_id).order_by("pk"):
        fresh = _lock(case)
        before = fresh.status
        fresh.status = CaseStatus.CLOSED
        fresh.outcome = CaseOutcome.LEFT_SCHOOL
        fresh.closed_at = max(_now(), fresh.opened_at)
        _save_case(fresh, case, ["status", "outcome", "closed_at"])
        _event(case, actor, CaseEventKind.STATUS, from_status=before, to_status=CaseStatus.CLOSED)
        audit_record(action="update", target=case, membership=actor)
        closed.append(case)
    return closed
