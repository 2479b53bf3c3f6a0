"""Property: "can see a case" ⇒ same school, live, adhered, and (head or on the team now).

Hypothesis draws random worlds: schools, memberships of every role and profession (validity
dates around today, adhered or not, active or not), cases, and team rows — some removed, some
for members of another school or for partners written straight to the table, as a bug or a
forged import might. The rule must hold for every membership, and notes must follow it.
"""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from alliance.cases.models import Case, CaseNote, CaseTeamMember
from alliance.cases.selectors import cases_visible_to, notes_visible_to
from alliance.charter.models import CharterAdhesion
from alliance.core import clock
from alliance.tenancy.models import Profession, Role
from tests import factories

TODAY = dt.date.today()

membership_spec = st.fixed_dictionaries(
    {
        "school": st.integers(0, 1),
        "role": st.sampled_from(list(Role)),
        "profession": st.sampled_from(list(Profession)),
        "starts": st.integers(-400, 30),
        "ends": st.none() | st.integers(-30, 400),
        "adhered": st.booleans(),
        "active": st.booleans(),
    }
)
team_spec = st.tuples(st.integers(0, 7), st.integers(0, 3), st.booleans())  # member, case, removed


class CaseVisibilityProperties(TestCase):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        specs=st.lists(membership_spec, min_size=1, max_size=8),
        case_schools=st.lists(st.integers(0, 1), min_size=1, max_size=4),
        team=st.lists(team_spec, max_size=10),
    )
    def test_can_see_implies_school_live_adhered_and_head_or_team(self, specs, case_schools, team):
        schools = [factories.SchoolFactory() for _ in range(2)]
        charters = [factories.CharterVersionFactory(school=s, number=1) for s in schools]
        opener = factories.MembershipFactory(school=schools[0], head=True)
        members = []
        for spec in specs:
            starts = TODAY + dt.timedelta(days=spec["starts"])
            ends = (
                None
                if spec["ends"] is None
                else max(starts, TODAY + dt.timedelta(days=spec["ends"]))
            )
            extra = {}
            if spec["role"] == Role.PARTNER:
                extra["partner_organisation"] = factories.PartnerOrganisationFactory()
            membership = factories.MembershipFactory(
                school=schools[spec["school"]],
                role=spec["role"],
                profession=spec["profession"],
                valid_from=starts,
                valid_until=ends,
                user=factories.UserFactory(is_active=spec["active"]),
                **extra,
            )
            if spec["adhered"]:
                CharterAdhesion.objects.create(
                    school=membership.school,
                    charter_version=charters[spec["school"]],
                    user=membership.user,
                    membership=membership,
                    adhered_at=charters[spec["school"]].published_at,
                )
            members.append((spec, membership))
        cases = []
        for index in case_schools:
            pupil = factories.PupilFactory(school=schools[index])
            case = Case.objects.create(
                school=schools[index],
                pupil=pupil,
                opened_by=opener,
                reason="x",
                opened_at=clock.now(),
            )
            CaseNote.objects.create(
                school=case.school,
                case=case,
                author=opener,
                author_profession=opener.profession,
                audience="team",
                body="note",
            )
            cases.append(case)
        now = clock.now()
        current: set[tuple[int, int]] = set()
        for member_index, case_index, removed in team:
            if member_index >= len(members) or case_index >= len(cases):
                continue
            membership, case = members[member_index][1], cases[case_index]
            if (membership.pk, case.pk) in current or any(
                row.membership_id == membership.pk and row.removed_at is None
                for row in CaseTeamMember.objects.filter(case=case)
            ):
                continue
            CaseTeamMember.objects.create(
                school=case.school,
                case=case,
                membership=membership,
                added_by=opener,
                added_at=now,
                removed_at=now if removed else None,
            )
            if not removed:
                current.add((membership.pk, case.pk))

        for spec, membership in members:
            live = (
                spec["active"]
                and membership.valid_from <= TODAY
                and (membership.valid_until is None or membership.valid_until >= TODAY)
            )
            visible = set(cases_visible_to(membership).values_list("pk", flat=True))
            for case in cases:
                may_see = (
                    live
                    and spec["adhered"]
                    and case.school_id == membership.school_id
                    and (
                        spec["role"] == Role.HEAD
                        or (spec["role"] == Role.STAFF and (membership.pk, case.pk) in current)
                    )
                )
                assert (case.pk in visible) == may_see, (spec, case.pk)
                assert notes_visible_to(membership, case).exists() == may_see
