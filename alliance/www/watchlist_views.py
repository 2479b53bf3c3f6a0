"""The watchlist (repérage) and the referral it opens in one click.

Reads go through ``alliance.detection.watchlist`` (which starts from the pupils the member
sees and shows a case only to those who may see it); the referral goes through
``cases.services.case_refer`` and answers exactly as the ordinary referral does, whether or
not the pupil already has a case (docs/decisions/0007). Every page view is audited: the
watchlist as one event (object type ``detection.watchlist``), the alert of one pupil as a
read of that pupil.
"""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from alliance.audit.services import audit_record_view
from alliance.cases import services as case_services
from alliance.cases.models import REASON_MAX_LENGTH
from alliance.cases.perms import can_refer
from alliance.core import clock
from alliance.detection.perms import can_manage_detection, can_read_watchlist
from alliance.detection.watchlist import Reason, pupil_alert, watchlist_for
from alliance.pupils.selectors import pupil_get_visible
from alliance.tenancy.models import Membership
from alliance.www.case_forms import ReferralForm
from alliance.www.decorators import rule_required

#: The object type of the watchlist's audit events (one per page view).
WATCHLIST_OBJECT_TYPE = "detection.watchlist"


def can_refer_from_watchlist(membership: Membership | None) -> bool:
    """Reads the watchlist and may refer a pupil (head or school staff, live and adhered)."""
    return bool(can_read_watchlist(membership) and can_refer(membership))


@rule_required(can_read_watchlist)
def watchlist(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    query = request.GET
    board = watchlist_for(
        membership,
        division=query.get("division", ""),
        level=query.get("level", ""),
        indicator=query.get("indicator", ""),
        new_only=query.get("new") == "1",
        language=getattr(request, "LANGUAGE_CODE", "fr"),
    )
    audit_record_view(
        object_type=WATCHLIST_OBJECT_TYPE,
        object_public_id=str(membership.school.public_id),
        membership=membership,
    )
    filtered = any(board.filters.values())
    return render(
        request,
        "www/detection/watchlist.html",
        {
            "board": board,
            "filtered": filtered,
            "can_refer": can_refer_from_watchlist(membership),
            "can_manage": can_manage_detection(membership),
        },
    )


def referral_text(reasons: list[Reason], on: dt.date) -> str:
    """The referral's reason, prefilled: the watchlist's reasons, one per line."""
    head = _("Detection (watchlist) of %(date)s:") % {"date": date_format(on, "SHORT_DATE_FORMAT")}
    lines = [head, *(f"- {reason.explanation}" for reason in reasons)]
    text = "\n".join(lines)
    return text[:REASON_MAX_LENGTH]


@rule_required(can_refer_from_watchlist)
def watchlist_refer(request: HttpRequest, public_id: str) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    pupil = pupil_get_visible(membership, public_id)
    if request.method == "GET":
        audit_record_view(target=pupil, membership=membership)
    alert = pupil_alert(membership, pupil.pk, language=getattr(request, "LANGUAGE_CODE", "fr"))
    if alert is None or pupil.left_on is not None:
        messages.info(
            request,
            _("This pupil is not on the watchlist today: write the referral yourself."),
        )
        return redirect("case_refer", public_id=pupil.public_id)
    case_services.sign_catalogue_ensure(school=membership.school)
    form = ReferralForm(
        request.POST or None,
        school_id=membership.school_id,
        initial={
            "reason": referral_text(alert.reasons, clock.today()),
            "signs": alert.sign_codes,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            case_services.case_refer(
                actor=membership,
                pupil=pupil,
                reason=form.cleaned_data["reason"],
                sign_entries=form.cleaned_data["signs"],
                free_signs=form.cleaned_data["free_signs"],
                source_alert_public_id=alert.alert_public_id,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # The same words as the ordinary referral, whether a case was opened or not.
            messages.success(
                request,
                _(
                    "Your referral has been recorded and passed on to the head of school, who "
                    "coordinates the follow-up."
                ),
            )
            return redirect(reverse("watchlist"))
    return render(
        request,
        "www/detection/watchlist_refer.html",
        {"form": form, "pupil": pupil, "alert": alert},
        status=400 if request.method == "POST" else 200,
    )
