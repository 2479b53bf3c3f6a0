"""The home page (one per role) and the school switcher."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from alliance.agreements.selectors import partner_access_notice
from alliance.cases.selectors import cases_visible_to
from alliance.detection.perms import can_import_events
from alliance.pupils.selectors import pupils_visible_to
from alliance.tenancy.middleware import SESSION_KEY


@login_required
def home(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    context: dict[str, object] = {
        "pupil_count": None,
        "case_count": None,
        "can_import_events": False,
        "access": None,
    }
    if membership is not None:
        context["can_import_events"] = can_import_events(membership)
        context["pupil_count"] = pupils_visible_to(membership).filter(left_on__isnull=True).count()
        # Only the cases this member may see: for most staff, the ones whose team they are on.
        context["case_count"] = cases_visible_to(membership).open().count()
        # A partner: when their access to cases ends (agreement), noticed 30 days before.
        context["access"] = partner_access_notice(membership)
    return render(request, "www/home.html", context)


@login_required
@require_POST
def school_switch(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("membership", "")
    memberships = request.memberships  # type: ignore[attr-defined]
    if not any(str(m.public_id) == wanted for m in memberships):
        raise Http404
    request.session[SESSION_KEY] = wanted
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = ""
    # Another school: a pupil page of the former one would be a 404, so go home.
    return redirect(next_url if next_url and not next_url.startswith("/pupils/") else "home")
