"""The head's dashboard. Every section starts from ``cases_visible_to`` (the head's school).

Each section is one query whatever the number of cases (aggregates, ``select_related``,
bounded lists): the page costs the same on a school with 3 cases as with 3,000.
"""

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from alliance.cases.models import Case, CaseStatus, FamilyContactException
from alliance.cases.selectors import cases_visible_to
from alliance.core import clock
from alliance.meetings.models import AgendaItem, Meeting, MeetingStatus
from alliance.plans.models import LIVE_ACTION_STATUSES, ActionPlan, PlanAction
from alliance.tenancy.models import Membership

#: At most this many rows in each list of the dashboard (the counts stay exact).
LIST_LIMIT = 50


@dataclass(frozen=True)
class DashboardFilters:
    status: str = ""
    referent: str = ""  # a membership's public id, or "none" for cases without a referent
    division: str = ""

    @classmethod
    def from_query(cls, query: Any) -> "DashboardFilters":
        status = str(query.get("status", ""))[:24]
        referent = str(query.get("referent", ""))[:36]
        division = str(query.get("division", ""))[:32]
        if status not in CaseStatus.values and status != "all":
            status = ""
        if referent != "none":
            try:
                referent = str(uuid.UUID(referent)) if referent else ""
            except ValueError:
                referent = ""
        return cls(status=status, referent=referent, division=division)

    @property
    def active(self) -> bool:
        return bool(self.status or self.referent or self.division)


@dataclass
class Dashboard:
    filters: DashboardFilters
    status_counts: list[dict[str, Any]] = field(default_factory=list)
    total: int = 0
    cases: list[Case] = field(default_factory=list)
    waiting_family: list[Case] = field(default_factory=list)
    overdue_reviews: list[ActionPlan] = field(default_factory=list)
    actions_by_owner: list[Any] = field(default_factory=list)
    next_meeting: Meeting | None = None
    next_agenda: list[AgendaItem] = field(default_factory=list)
    referent_load: list[Any] = field(default_factory=list)
    divisions: list[str] = field(default_factory=list)


def _scoped(membership: Membership | None, filters: DashboardFilters) -> QuerySet[Case]:
    """The visible cases, filtered by referent and division (not by status)."""
    cases = cases_visible_to(membership)
    if filters.referent == "none":
        cases = cases.filter(referent__isnull=True)
    elif filters.referent:
        cases = cases.filter(referent__public_id=filters.referent)
    if filters.division:
        cases = cases.filter(pupil__division__code=filters.division)
    return cases


def _with_status(cases: QuerySet[Case], status: str) -> QuerySet[Case]:
    if status == "all":
        return cases
    if status:
        return cases.filter(status=status)
    return cases.exclude(status=CaseStatus.CLOSED)


def dashboard_for(membership: Membership | None, filters: DashboardFilters) -> Dashboard:
    board = Dashboard(filters=filters)
    scoped = _scoped(membership, filters)
    cases = _with_status(scoped, filters.status)
    today = clock.today()

    counts = dict(scoped.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    board.status_counts = [
        {"status": s.value, "label": s.label, "count": counts.get(s.value, 0)} for s in CaseStatus
    ]
    board.total = sum(counts.get(s, 0) for s in CaseStatus.values if s != CaseStatus.CLOSED)

    board.cases = list(
        cases.select_related("pupil__division", "referent__user").order_by("-opened_at", "-pk")[
            :LIST_LIMIT
        ]
    )

    approved = FamilyContactException.objects.filter(
        case_id=OuterRef("pk"), approved_at__isnull=False
    )
    requested = FamilyContactException.objects.filter(
        case_id=OuterRef("pk"), approved_at__isnull=True
    )
    board.waiting_family = list(
        scoped.filter(status=CaseStatus.REFERRED)
        .filter(~Exists(approved))
        .annotate(exception_requested=Exists(requested))
        .select_related("pupil__division", "referent__user")
        .order_by("opened_at", "pk")[:LIST_LIMIT]
    )

    board.overdue_reviews = list(
        ActionPlan.objects.filter(
            case__in=_with_status(scoped, filters.status),
            case__status__in=[CaseStatus.PLAN_ACTIVE, CaseStatus.UNDER_REVIEW],
            next_review_on__lt=today,
        )
        .select_related("case__pupil__division", "case__referent__user")
        .order_by("next_review_on", "pk")[:LIST_LIMIT]
    )

    board.actions_by_owner = list(
        PlanAction.objects.filter(
            plan__case__in=cases.exclude(status=CaseStatus.CLOSED), status__in=LIVE_ACTION_STATUSES
        )
        .values(
            "owner__public_id",
            "owner__profession",
            "owner__user__first_name",
            "owner__user__last_name",
        )
        .annotate(
            actions=Count("pk"),
            outside_school=Count("pk", filter=Q(time_frame="outside_school")),
        )
        .order_by("-actions", "owner__user__last_name", "owner__public_id")
    )

    if membership is not None:
        board.next_meeting = (
            Meeting.objects.filter(
                school_id=membership.school_id,
                status=MeetingStatus.CONVENED,
                starts_at__gte=clock.now(),
            )
            .annotate(participant_count=Count("participants", distinct=True))
            .order_by("starts_at", "pk")
            .first()
        )
    if board.next_meeting is not None:
        board.next_agenda = list(
            AgendaItem.objects.filter(
                meeting_id=board.next_meeting.pk, case__in=cases_visible_to(membership)
            )
            .select_related("case__pupil__division")
            .order_by("position", "pk")
        )

    board.referent_load = list(
        _scoped(membership, DashboardFilters(division=filters.division))
        .exclude(status=CaseStatus.CLOSED)
        .values(
            "referent__public_id",
            "referent__profession",
            "referent__user__first_name",
            "referent__user__last_name",
        )
        .annotate(
            cases=Count("pk"),
            under_review=Count("pk", filter=Q(status=CaseStatus.UNDER_REVIEW)),
        )
        .order_by("-cases", "referent__user__last_name", "referent__public_id")
    )

    board.divisions = list(
        cases_visible_to(membership)
        .exclude(status=CaseStatus.CLOSED)
        .exclude(pupil__division__isnull=True)
        .values_list("pupil__division__code", flat=True)
        .distinct()
        .order_by("pupil__division__code")
    )
    return board
