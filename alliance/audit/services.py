"""Writing to the audit trail. Every write of pupil data calls ``audit_record`` in its own transaction."""

import uuid
from typing import TYPE_CHECKING

from django.db import connection, models, transaction

from alliance.audit.chain import GENESIS_HASH, ChainBreak, compute_hash, first_break
from alliance.audit.models import AuditEvent
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


def audit_verify(batch_size: int = 5000) -> ChainBreak | None:
    """Check the whole chain; return the first break, or ``None`` when it holds."""
    events = AuditEvent.objects.order_by("sequence").iterator(chunk_size=batch_size)
    return first_break(events)
