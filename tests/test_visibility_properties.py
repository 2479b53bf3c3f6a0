"""Property: whoever can see a pupil is in that pupil's school, live, adhered, head or staff.

Hypothesis draws random worlds of schools, memberships (every role and
profession, validity dates around today, adhered or not) and pupils.
"""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from alliance.charter.models import CharterAdhesion
from alliance.pupils.selectors import pupils_visible_to
from alliance.tenancy.models import Profession, Role
from tests import factories

TODAY = dt.date.today()

membership_spec = st.fixed_dictionaries(
    {
        "school": st.integers(0, 2),
        "role": st.sampled_from(list(Role)),
        "profession": st.sampled_from(list(Profession)),
        "starts": st.integers(-400, 30),
        "ends": st.none() | st.integers(-30, 400),
        "adhered": st.booleans(),
        "active": st.booleans(),
    }
)


class VisibilityProperties(TestCase):
    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        specs=st.lists(membership_spec, min_size=1, max_size=6),
        pupils_per_school=st.lists(st.integers(0, 3), min_size=3, max_size=3),
    )
    def test_can_see_implies_same_school_live_and_adhered(self, specs, pupils_per_school):
        schools = [factories.SchoolFactory() for _ in range(3)]
        charters = [factories.CharterVersionFactory(school=s, number=1) for s in schools]
        for school, count in zip(schools, pupils_per_school, strict=True):
            factories.PupilFactory.create_batch(count, school=school)
        for spec in specs:
            school = schools[spec["school"]]
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
                school=school,
                role=spec["role"],
                profession=spec["profession"],
                valid_from=starts,
                valid_until=ends,
                user=factories.UserFactory(is_active=spec["active"]),
                **extra,
            )
            if spec["adhered"]:
                CharterAdhesion.objects.create(
                    school=school,
                    charter_version=charters[spec["school"]],
                    user=membership.user,
                    membership=membership,
                    adhered_at=factories.CharterVersionFactory._meta.model.objects.first().published_at,
                )
            visible = list(pupils_visible_to(membership))
            live = spec["active"] and starts <= TODAY and (ends is None or ends >= TODAY)
            may_see = live and spec["adhered"] and spec["role"] in {Role.HEAD, Role.STAFF}
            for pupil in visible:
                assert pupil.school_id == school.pk
            assert bool(visible) == (may_see and pupils_per_school[spec["school"]] > 0)
            if may_see:
                assert len(visible) == pupils_per_school[spec["school"]]
