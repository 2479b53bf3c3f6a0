"""Uploaded roster files kept between their dry run and its confirmation, for an hour at most.

The file stays on the server (never sent back to the browser), in the database as a
``jobs.StagedUpload`` of kind ``roster``: web and worker processes share only the
database, and the import may run in a worker (docs/decisions/0006-background-jobs.md).
It is named by the upload's random public id, which only the uploader's session holds
(the page checks both), and it is scoped to the school. It is deleted when its import
finishes, when another file is uploaded in the same session, and once an hour old
(purged at every upload and job run, and by the ``purge_pending_rosters`` and
``purge_staged_uploads`` commands). Confirming gives the file the usual day to wait
for a worker (``STAGED_UPLOAD_TTL``).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import Http404

from alliance.jobs.models import StagedUpload
from alliance.jobs.selectors import staged_upload_get_visible
from alliance.jobs.services import staged_upload_create, staged_uploads_purge_expired
from alliance.tenancy.models import Membership

#: The ``StagedUpload.kind`` of roster files.
PENDING_KIND = "roster"
#: How long an uploaded roster waits for its confirmation.
PENDING_TTL = dt.timedelta(hours=1)


def _public_id(token: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(token))
    except ValueError:
        return None


def pending_upload_store(
    *, actor: Membership, data: bytes, filename: str, full_list: bool, rows: int
) -> StagedUpload:
    """Keep ``data`` (audited); its ``public_id`` is the token the session holds.

    ``rows``: the pupils the file lists, as its dry run counted them (decides whether the
    import runs inline or in the background).
    """
    return staged_upload_create(
        actor=actor,
        kind=PENDING_KIND,
        filename=filename,
        data=data,
        params={"full_list": bool(full_list), "rows": int(rows)},
        ttl=PENDING_TTL,
    )


def pending_upload_get(actor: Membership, token: str) -> StagedUpload | None:
    """The kept file of the actor's school, or None (unknown token, another school's, expired)."""
    public_id = _public_id(token)
    if public_id is None:
        return None
    try:
        return staged_upload_get_visible(actor, public_id, kinds=frozenset({PENDING_KIND}))
    except Http404:
        return None


def pending_upload_delete(actor: Membership, token: str) -> None:
    """Forget a kept file of the actor's school, unless an import job is using it."""
    public_id = _public_id(token)
    if public_id is None:
        return
    StagedUpload.objects.filter(
        school_id=actor.school_id, kind=PENDING_KIND, public_id=public_id, jobs__isnull=True
    ).delete()


def pending_uploads_purge() -> int:
    """Delete the kept files whose time is up (roster files and every other staged file)."""
    return staged_uploads_purge_expired()
