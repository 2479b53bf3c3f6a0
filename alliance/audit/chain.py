"""The hash chain of the audit trail: how an event's hash is computed and checked."""

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

GENESIS_HASH = "0" * 64


class ChainedEvent(Protocol):
    sequence: int
    occurred_at: dt.datetime
    actor_user_id: int | None
    actor_membership_id: int | None
    school_id: int | None
    action: str
    object_type: str
    object_public_id: str
    request_id: str
    previous_hash: str
    entry_hash: str


def _canonical_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def compute_hash(
    *,
    previous_hash: str,
    sequence: int,
    occurred_at: dt.datetime,
    actor_user_id: int | None,
    actor_membership_id: int | None,
    school_id: int | None,
    action: str,
    object_type: str,
    object_public_id: str,
    request_id: str,
) -> str:
    fields = [
        previous_hash,
        str(sequence),
        _canonical_time(occurred_at),
        "" if actor_user_id is None else str(actor_user_id),
        "" if actor_membership_id is None else str(actor_membership_id),
        "" if school_id is None else str(school_id),
        action,
        object_type,
        object_public_id,
        request_id,
    ]
    # The unit separator cannot occur in any field, so the encoding is unambiguous.
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()


def hash_of(event: ChainedEvent) -> str:
    return compute_hash(
        previous_hash=event.previous_hash,
        sequence=event.sequence,
        occurred_at=event.occurred_at,
        actor_user_id=event.actor_user_id,
        actor_membership_id=event.actor_membership_id,
        school_id=event.school_id,
        action=event.action,
        object_type=event.object_type,
        object_public_id=event.object_public_id,
        request_id=event.request_id,
    )


@dataclass(frozen=True)
class ChainBreak:
    """The first place where the chain does not hold."""

    sequence: int
    row_id: int | None
    reason: str

    def __str__(self) -> str:
        return (
            f"audit chain broken at sequence {self.sequence} (row id {self.row_id}): {self.reason}"
        )


def first_break(
    events: Iterable[ChainedEvent],
    *,
    start_sequence: int = 1,
    start_hash: str = GENESIS_HASH,
) -> ChainBreak | None:
    """Walk events in sequence order; name the first altered, missing or reordered row.

    The walk starts at the genesis, or (after a retention purge) at an anchor: the first kept
    event must then carry ``start_sequence`` and link to ``start_hash``.

    - a gap in the sequence means a row was removed;
    - a row whose ``previous_hash`` is not the hash of the row before it was
      moved (reordered) or has a removed predecessor;
    - a row whose content does not give its own ``entry_hash`` was altered.
    """
    expected_previous = start_hash
    expected_sequence = start_sequence
    for event in events:
        row_id = getattr(event, "pk", None)
        if event.sequence != expected_sequence:
            return ChainBreak(
                event.sequence,
                row_id,
                f"row(s) missing: expected sequence {expected_sequence}, found {event.sequence}",
            )
        if hash_of(event) != event.entry_hash:
            return ChainBreak(
                event.sequence, row_id, "row altered: its content does not match its hash"
            )
        if event.previous_hash != expected_previous:
            return ChainBreak(
                event.sequence,
                row_id,
                "row out of place: it does not follow the row before it in the chain",
            )
        expected_previous = event.entry_hash
        expected_sequence += 1
    return None
