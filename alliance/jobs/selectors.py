"""Reads of jobs and staged files: scoped to the acting membership's school, empty by default."""

import uuid

from django.db.models import QuerySet
from django.http import Http404

from alliance.core import clock
from alliance.jobs.models import ImportJob, StagedUpload
from alliance.jobs.perms import can_follow_import_jobs
from alliance.tenancy.models import Membership


def import_jobs_visible_to(membership: Membership | None, *, handler: str) -> QuerySet[ImportJob]:
    """The jobs of ``handler`` that ``membership`` may follow.

    Rule, in words: those who may import into a school see every import job of that
    school (not only their own, so a CPE can follow what the head started), and no
    job of any other school. Anyone else sees none.
    """
    if membership is None or not can_follow_import_jobs(membership):
        return ImportJob.objects.none()
    return ImportJob.objects.filter(school_id=membership.school_id, handler=handler)


def import_job_get_visible(
    membership: Membership | None, public_id: uuid.UUID | str, *, handler: str
) -> ImportJob:
    """One job, fetched and checked at once: another school's job is the same 404 as a missing one."""
    try:
        return (
            import_jobs_visible_to(membership, handler=handler)
            .select_related("membership__user", "upload")
            .defer("upload__data")
            .get(public_id=public_id)
        )
    except (ImportJob.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def staged_upload_get_visible(
    membership: Membership | None, public_id: uuid.UUID | str, *, kinds: frozenset[str]
) -> StagedUpload:
    """A staged file of the membership's school, not expired, of one of ``kinds``; else 404."""
    if membership is None or not can_follow_import_jobs(membership):
        raise Http404
    try:
        return StagedUpload.objects.filter(
            school_id=membership.school_id, kind__in=kinds, expires_at__gt=clock.now()
        ).get(public_id=public_id)
    except (StagedUpload.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc
