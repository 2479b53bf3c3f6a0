"""The head's coordination dashboard (charter art. 2): one page, filterable, constant cost."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from alliance.cases.models import CaseStatus
from alliance.coordination.selectors import DashboardFilters, dashboard_for
from alliance.core import clock
from alliance.meetings.perms import can_manage_meetings
from alliance.www.decorators import rule_required


@rule_required(can_manage_meetings)
def dashboard(request: HttpRequest) -> HttpResponse:
    membership = request.membership  # type: ignore[attr-defined]
    filters = DashboardFilters.from_query(request.GET)
    board = dashboard_for(membership, filters)
    return render(
        request,
        "www/dashboard/dashboard.html",
        {
            "board": board,
            "filters": filters,
            "statuses": CaseStatus.choices,
            "today": clock.today(),
        },
    )
