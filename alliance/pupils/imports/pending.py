"""Uploaded roster files kept between their dry run and its confirmation, for an hour at most.

The file stays on the server (never sent back to the browser): it is written to a
private directory (``settings.ROSTER_PENDING_DIR``, else a folder of the system's
temporary directory), under a random token that only the uploader's session holds.
It is deleted when the import is confirmed, when another file is uploaded in the
same session, and by ``pending_uploads_purge`` once an hour old (run at every
upload and confirmation, and by the ``purge_pending_rosters`` command).
"""

from __future__ import annotations

import os
import re
import secrets
import tempfile
import time
from pathlib import Path

from django.conf import settings

#: Seconds a pending upload is kept.
PENDING_MAX_AGE = 3600
_TOKEN = re.compile(r"[A-Za-z0-9_\-]{32,64}")


def _directory() -> Path:
    configured = getattr(settings, "ROSTER_PENDING_DIR", None)
    path = Path(configured or Path(tempfile.gettempdir()) / "alliance-roster-pending")
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def _path(token: str) -> Path | None:
    return _directory() / token if _TOKEN.fullmatch(token or "") else None


def pending_upload_store(data: bytes) -> str:
    """Keep ``data``; return the token that names it."""
    pending_uploads_purge()
    token = secrets.token_urlsafe(32)
    path = _directory() / token
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return token


def pending_upload_read(token: str) -> bytes | None:
    """The kept file, or None if the token is unknown or the file is more than an hour old."""
    path = _path(token)
    if path is None:
        return None
    try:
        if time.time() - path.stat().st_mtime > PENDING_MAX_AGE:
            path.unlink(missing_ok=True)
            return None
        return path.read_bytes()
    except FileNotFoundError:
        return None


def pending_upload_delete(token: str) -> None:
    path = _path(token)
    if path is not None:
        path.unlink(missing_ok=True)


def pending_uploads_purge(max_age: int = PENDING_MAX_AGE) -> int:
    """Delete the kept files older than ``max_age`` seconds; return how many were deleted."""
    deleted = 0
    limit = time.time() - max_age
    for path in _directory().iterdir():
        try:
            if _TOKEN.fullmatch(path.name) and path.stat().st_mtime < limit:
                path.unlink(missing_ok=True)
                deleted += 1
        except FileNotFoundError:
            continue
    return deleted
