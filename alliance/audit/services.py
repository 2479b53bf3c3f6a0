"""Writing to the audit trail. Every write of pupil data calls ``audit_record`` in its own transaction."""

import datetime as dt
import uuid
from typing import TYPE_CHECKING

from django.db import connection, models, transaction

from alliance.audit.chain import GENESIS_HASH, ChainBreak, compute_hash, first_break
from alliance.audit.models import AuditAnchor, AuditEvent
from alliance.core import clock, request_context

if TYPE_CHECKING:
    from alliance.people.models import User
    from alliance.tenancy.models import Membership, School

# Any fixed 64-bit number: the key of the PostgreSQL advisory lock that serialises the chain.
_CHAIN_LOCK_KEY = 0x41_4C_4C_49_41_4E_43_45  # "ALLIANCE"


class AuditOutsideTransactionError(RuntimeError):
    """An audit event must be written in the same transaction as the act it records."""


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    # SQLite: transactions start IMMEDIATE (settings), so one writer at a time already.


def audit_record(
    *,
    action: str,
    target: models.Model | None = None,
    object_type: str = "",
    object_public_id: str | uuid.UUID = "",
    actor: "User | None" = None,
    membership: "Membership | None" = None,
    school: "School | None" = None,
) -> AuditEvent:
    """Append one event to the chain. Must run inside the transaction of the act itself."""
    if not connection.in_atomic_block:
        raise AuditOutsideTransactionError("audit_record() called outside transaction.atomic()")
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_public_id = object_public_id or str(getattr(target, "public_id", "") or "")
    if membership is not None:
        actor = actor or membership.user
        school = school or membership.school
    _lock_chain()
    last = AuditEvent.objects.order_by("-sequence").only("sequence", "entry_hash").first()
    previous_hash = last.entry_hash if last else GENESIS_HASH
    sequence = (last.sequence + 1) if last else 1
    fields = {
        "sequence": sequence,
        "occurred_at": clock.now(),
        "actor_user_id": actor.pk if actor else None,
        "actor_membership_id": membership.pk if membership else None,
        "school_id": school.pk if school else None,
        "action": action,
        "object_type": object_type,
        "object_public_id": str(object_public_id),
        "request_id": request_context.current_request_id(),
    }
    entry_hash = compute_hash(previous_hash=previous_hash, **fields)  # type: ignore[arg-type]
    return AuditEvent.objects.create(previous_hash=previous_hash, entry_hash=entry_hash, **fields)


def audit_record_view(**kwargs: object) -> AuditEvent:
    """Record a read in its own short transaction (reads have no write to join)."""
    with transaction.atomic():
        return audit_record(action="view", **kwargs)  # type: ignore[arg-type]


def audit_anchor_latest() -> AuditAnchor | None:
    """The anchor the chain restarts from (the highest), or ``None`` before any purge."""
    return AuditAnchor.objects.order_by("-up_to_sequence").first()


def audit_verify(batch_size: int = 5000) -> ChainBreak | None:
    """Check the chain from its genesis, or from the latest anchor after a retention purge;
    return the first break, or ``None`` when it holds."""
    anchor = audit_anchor_latest()
    events = AuditEvent.objects.order_by("sequence")
    if anchor is None:
        return first_break(events.iterator(chunk_size=batch_size))
    return first_break(
        events.filter(sequence__gt=anchor.up_to_sequence).iterator(chunk_size=batch_size),
        start_sequence=anchor.up_to_sequence + 1,
        start_hash=anchor.last_hash,
    )


def audit_expired_through(before: dt.datetime) -> tuple[int, int]:
    """``(up_to_sequence, count)``: the events a purge of everything older than ``before`` would
    remove — the unbroken run from the oldest kept event up to the first event that is not older
    (the chain is cut at one place only, even if the clock once went backwards)."""
    anchor = audit_anchor_latest()
    floor = anchor.up_to_sequence if anchor else 0
    first_kept = (
        AuditEvent.objects.filter(sequence__gt=floor, occurred_at__gte=before)
        .order_by("sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    candidates = AuditEvent.objects.filter(sequence__gt=floor, occurred_at__lt=before)
    if first_kept is not None:
        candidates = candidates.filter(sequence__lt=first_kept)
    last = candidates.order_by("-sequence").values_list("sequence", flat=True).first()
    if last is None:
        return floor, 0
    return last, candidates.count()


def audit_purge_before(before: dt.datetime) -> AuditAnchor | None:
    """Remove the events older than ``before`` (retention, docs/decisions/0015), anchoring the chain.

    The anchor is written first, inside the caller's transaction: the triggers let the DELETE
    through only for rows it covers. Returns the anchor, or ``None`` when nothing was due.
    """
    if not connection.in_atomic_block:
        raise AuditOutsideTransactionError(
            "audit_purge_before() called outside transaction.atomic()"
        )
    _lock_chain()
    up_to, count = audit_expired_through(before)
    if count == 0:
        return None
    last = AuditEvent.objects.get(sequence=up_to)
    anchor = AuditAnchor.objects.create(
        up_to_sequence=up_to,
        last_hash=last.entry_hash,
        purged_count=count,
        purged_before=before,
        created_at=clock.now(),
    )
    AuditEvent.objects.filter(sequence__lte=up_to).delete()
    return anchor
