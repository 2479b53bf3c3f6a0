"""Right of access (issue 5, point 5): the head's export of one pupil, the author's release.

Thin views: the work and the rules are in ``alliance.privacy.access_export``.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from alliance.cases.models import CaseNote
from alliance.privacy.access_export import (
    note_release_for_access_request,
    pupil_access_export,
)
from alliance.pupils.perms import can_view_access_log, can_view_pupils
from alliance.pupils.selectors import pupil_get_visible
from alliance.www.decorators import rule_required

# The head (who answers the family's request for the school), in force and adhered.
can_export_pupil_data = can_view_access_log


@rule_required(can_export_pupil_data)
def pupil_access_export_view(request: HttpRequest, public_id: str) -> HttpResponse:
    """A ZIP with the JSON bundle and the PDF of everything about the pupil (audited)."""
    membership = request.membership  # type: ignore[attr-defined]
    pupil = pupil_get_visible(membership, public_id)
    export = pupil_access_export(actor=membership, pupil=pupil)
    response = HttpResponse(export.zip_bytes(), content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{export.basename}.zip"'
    response["Cache-Control"] = "no-store"
    return response


@rule_required(can_view_pupils)
def case_note_release(request: HttpRequest, public_id: str) -> HttpResponse:
    """The author releases one of their notes for a right-of-access request (audited)."""
    membership = request.membership  # type: ignore[attr-defined]
    try:
        note = CaseNote.objects.select_related("case").get(
            public_id=public_id, author=membership, school_id=membership.school_id
        )
    except (CaseNote.DoesNotExist, ValueError) as exc:
        raise Http404 from exc
    # The method is checked after the author: for anyone else the note does not exist.
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    note_release_for_access_request(note=note, actor=membership)
    messages.success(
        request, _("The note will be included in the family's right-of-access export.")
    )
    return redirect("case_detail", public_id=note.case.public_id)


@rule_required(can_view_access_log)
def retention_overview(request: HttpRequest) -> HttpResponse:
    """The head sees the retention schedule, the archive's size and the anonymised counts."""
    from django.shortcuts import render

    from alliance.cases.models import CaseOutcome
    from alliance.privacy.models import CaseArchive, RetentionStatistic
    from alliance.privacy.retention import schedule

    membership = request.membership  # type: ignore[attr-defined]
    labels = {
        "cases": _("Situations"),
        "pupils": _("Pupils who left"),
        "detection": _("School-life data"),
        "audit": _("Access log"),
        "history": _("Import history"),
    }
    outcomes = dict(CaseOutcome.choices)
    statistics = list(
        RetentionStatistic.objects.filter(school_id=membership.school_id).order_by(
            "-school_year", "kind", "outcome"
        )
    )
    for stat in statistics:
        stat.outcome_label = outcomes.get(stat.outcome, "")  # type: ignore[attr-defined]
    return render(
        request,
        "www/privacy/retention.html",
        {
            "rules": [(labels[key], rule) for key, rule in schedule().describe()],
            "archived_count": CaseArchive.objects.filter(school_id=membership.school_id).count(),
            "statistics": statistics,
        },
    )
