"""Property: a partner sees a case iff on its team now AND adhered AND an agreement is in force.

Sibling of ``test_case_visibility_properties``, for partners (docs/decisions/0013). Hypothesis
draws worlds of two schools and two partner organisations: partner memberships (either school,
either organisation, validity around today, adhered or not, active or not), school–partner
agreements in every state (in force, expired, not yet started, revoked, draft never approved by
the board) for any school × organisation pair, cases, and team rows (current or removed). For
every partner and every case, ``cases_visible_to`` must say exactly: same school, live,
adhered, on the team now, and a school–partner agreement between that school and the
partner's organisation in force today. Notes follow: the partner reads a team note of a case
iff they see it, and never a note for school staff only.
"""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from alliance.agreements.models import Agreement
from alliance.agreements.selectors import partner_has_active_agreement
from alliance.cases.models import Case, CaseNote, CaseTeamMember
from alliance.cases.selectors import cases_visible_to, notes_visible_to
from alliance.charter.models import CharterAdhesion
from alliance.core import clock
from alliance.tenancy.models import Profession, Role
from tests import factories

STATES = ("active", "expired", "future", "revoked", "draft")
# Weighted towards the worlds where access is possible, so that both answers are exercised.
mostly = st.sampled_from([True, True, True, False])

partner_spec = st.fixed_dictionaries(
    {
        "school": st.integers(0, 1),
        "organisation": st.integers(0, 1),
        "starts": st.integers(-400, 30),
        "ends": st.none() | st.integers(-30, 400),
        "adhered": mostly,
        "active": mostly,
    }
)
agreement_spec = st.tuples(
    st.integers(0, 1), st.integers(0, 1), st.sampled_from(("active", "active", *STATES))
)
# partner, case (indexes modulo the lists' lengths), removed
team_spec = st.tuples(st.integers(0, 5), st.integers(0, 3), mostly.map(lambda b: not b))


def _agreement(school, organisation, head, state, today):
    days = dt.timedelta
    starts, ends = today - days(30), today + days(60)
    if state == "expired":
        starts, ends = today - days(400), today - days(1)
    elif state == "future":
        starts, ends = today + days(1), today + days(200)
    values = {
        "school": school,
        "kind": "school_partner",
        "partner_organisation": organisation,
        "title": "Convention",
        "purpose": "x",
        "parties": "x",
        "starts_on": starts,
        "ends_on": ends,
        "created_by": head,
        "status": "draft",
    }
    if state != "draft":
        values |= {
            "status": "concluded",
            "board_approved_on": starts,
            "board_reference": "CA 1",
            "board_recorded_by": head,
            "board_recorded_at": clock.now(),
            "concluded_at": clock.now(),
        }
    if state == "revoked":
        values |= {
            "status": "revoked",
            "revoked_on": today,
            "revoked_at": clock.now(),
            "revoked_by": head,
            "revocation_reason": "Fin.",
        }
    return Agreement.objects.create(**values)


class PartnerVisibilityProperties(TestCase):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        specs=st.lists(partner_spec, min_size=1, max_size=6),
        agreements=st.lists(agreement_spec, min_size=1, max_size=6),
        case_schools=st.lists(st.integers(0, 1), min_size=1, max_size=4),
        team=st.lists(team_spec, min_size=1, max_size=10),
    )
    def test_partner_sees_a_case_iff_on_team_adhered_and_agreement_in_force(
        self, specs, agreements, case_schools, team
    ):
        today = clock.today()
        schools = [factories.SchoolFactory() for _ in range(2)]
        charters = [factories.CharterVersionFactory(school=s, number=1) for s in schools]
        heads = [factories.MembershipFactory(school=s, head=True) for s in schools]
        organisations = [factories.PartnerOrganisationFactory() for _ in range(2)]
        in_force: set[tuple[int, int]] = set()
        for school_index, organisation_index, state in agreements:
            _agreement(
                schools[school_index],
                organisations[organisation_index],
                heads[school_index],
                state,
                today,
            )
            if state == "active":
                in_force.add((schools[school_index].pk, organisations[organisation_index].pk))

        partners = []
        for spec in specs:
            starts = today + dt.timedelta(days=spec["starts"])
            ends = (
                None
                if spec["ends"] is None
                else max(starts, today + dt.timedelta(days=spec["ends"]))
            )
            membership = factories.MembershipFactory(
                school=schools[spec["school"]],
                role=Role.PARTNER,
                profession=Profession.PARTNER_PROFESSIONAL,
                partner_organisation=organisations[spec["organisation"]],
                valid_from=starts,
                valid_until=ends,
                user=factories.UserFactory(is_active=spec["active"]),
            )
            if spec["adhered"]:
                CharterAdhesion.objects.create(
                    school=membership.school,
                    charter_version=charters[spec["school"]],
                    user=membership.user,
                    membership=membership,
                    adhered_at=charters[spec["school"]].published_at,
                )
            partners.append((spec, membership))

        cases = []
        for index in case_schools:
            head = heads[index]
            case = Case.objects.create(
                school=schools[index],
                pupil=factories.PupilFactory(school=schools[index]),
                opened_by=head,
                reason="x",
                opened_at=clock.now(),
            )
            for audience in ("team", "school_staff_on_team"):
                CaseNote.objects.create(
                    school=case.school,
                    case=case,
                    author=head,
                    author_profession=head.profession,
                    audience=audience,
                    body=audience,
                )
            cases.append(case)

        now = clock.now()
        current: set[tuple[int, int]] = set()
        for partner_index, case_index, removed in team:
            case_index %= len(cases)
            membership, case = partners[partner_index % len(partners)][1], cases[case_index]
            if (membership.pk, case.pk) in current:
                continue
            CaseTeamMember.objects.create(
                school=case.school,
                case=case,
                membership=membership,
                added_by=heads[case_schools[case_index]],
                added_at=now,
                removed_at=now if removed else None,
            )
            if not removed:
                current.add((membership.pk, case.pk))

        for spec, membership in partners:
            live = (
                spec["active"]
                and membership.valid_from <= today
                and (membership.valid_until is None or membership.valid_until >= today)
            )
            agreement_in_force = (
                membership.school_id,
                membership.partner_organisation_id,
            ) in in_force
            assert partner_has_active_agreement(membership) == agreement_in_force, spec
            visible = set(cases_visible_to(membership).values_list("pk", flat=True))
            for case in cases:
                may_see = (
                    live
                    and spec["adhered"]
                    and case.school_id == membership.school_id
                    and (membership.pk, case.pk) in current
                    and agreement_in_force
                )
                assert (case.pk in visible) == may_see, (spec, case.pk)
                audiences = set(
                    notes_visible_to(membership, case).values_list("audience", flat=True)
                )
                assert audiences == ({"team"} if may_see else set()), (spec, case.pk)
