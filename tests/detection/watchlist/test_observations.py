"""The observation grid: signs noted with a date, audited, refused to outsiders, fed to the case."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from alliance.audit.models import AuditEvent
from alliance.cases import services as case_services
from alliance.cases.models import SignCatalogueEntry
from alliance.detection.models import Observation
from alliance.detection.observations import (
    grid_signs,
    observation_record,
    observations_for_case,
    observations_of_pupil,
)
from tests import factories
from tests.conftest import adhered, login
from tests.detection.watchlist.conftest import TODAY


def _sign(school, code):
    grid_signs(school)
    return SignCatalogueEntry.objects.get(school=school, code=code)


def test_the_grid_offers_the_french_defaults_but_not_what_the_data_measures(school):
    codes = list(grid_signs(school).values_list("code", flat=True))
    assert {"disengagement", "isolation", "lost_motivation", "conflicts", "fatigue"} <= set(codes)
    assert {"no_materials", "orientation"} <= set(codes)
    assert not {"absences", "lateness", "falling_grades"} & set(codes)


def test_a_teacher_notes_signs_and_the_act_is_audited(client, school, teacher, pupil):
    login(client, teacher)
    url = reverse("observation_create", kwargs={"public_id": pupil.public_id})
    page = client.get(url)
    assert page.status_code == 200
    assert "N’apporte plus ses affaires" in page.content.decode()
    response = client.post(
        url, {"signs": ["no_materials", "isolation"], "observed_on": "2026-11-20"}
    )
    assert response.status_code == 302
    observations = Observation.objects.filter(pupil=pupil).order_by("sign__code")
    assert [(o.sign.code, o.observed_on, o.recorded_by_id) for o in observations] == [
        ("isolation", dt.date(2026, 11, 20), teacher.pk),
        ("no_materials", dt.date(2026, 11, 20), teacher.pk),
    ]
    audited = AuditEvent.objects.filter(action="create", object_type="detection.observation")
    assert set(audited.values_list("object_public_id", flat=True)) == {
        str(o.public_id) for o in observations
    }
    assert all(e.actor_membership_id == teacher.pk for e in audited)
    # The same sign the same day by the same person is noted once.
    client.post(url, {"signs": ["no_materials"], "observed_on": "2026-11-20"})
    assert Observation.objects.filter(pupil=pupil).count() == 2


def test_bad_input_is_refused_with_located_errors(client, school, teacher, pupil):
    login(client, teacher)
    url = reverse("observation_create", kwargs={"public_id": pupil.public_id})
    response = client.post(url, {"signs": ["absences"], "observed_on": "2026-11-20"})
    assert response.status_code == 200
    assert "signs" in response.context["form"].errors
    response = client.post(url, {"signs": ["isolation"], "observed_on": "2026-12-20"})
    assert response.context["form"].errors == {"observed_on": ["The date cannot be in the future."]}
    assert not Observation.objects.exists()


def test_outsiders_are_refused(client, school, other_school, head, pupil):
    other_head = adhered(factories.MembershipFactory(school=other_school, head=True))
    nurse = adhered(factories.MembershipFactory(school=school, nurse=True))
    partner = adhered(factories.MembershipFactory(school=school, partner=True))
    not_adhered = factories.MembershipFactory(school=school)
    sign = _sign(school, "isolation")
    url = reverse("observation_create", kwargs={"public_id": pupil.public_id})
    for member in (other_head, nurse, partner):
        with pytest.raises(PermissionDenied):
            observation_record(actor=member, pupil=pupil, signs=[sign], observed_on=TODAY)
        login(client, member)
        assert client.get(url).status_code == 404
        assert (
            client.post(url, {"signs": ["isolation"], "observed_on": "2026-11-20"}).status_code
            == 404
        )
    login(client, not_adhered)
    assert (
        client.post(url, {"signs": ["isolation"], "observed_on": "2026-11-20"}).status_code == 302
    )
    assert not Observation.objects.exists()
    # A sign of another school's grid is not a sign of this one.
    foreign = _sign(other_school, "isolation")
    with pytest.raises(ValidationError):
        observation_record(actor=head, pupil=pupil, signs=[foreign], observed_on=TODAY)


def test_who_reads_the_observations(client, school, head, cpe, teacher, pupil):
    other_teacher = adhered(factories.MembershipFactory(school=school))
    observation_record(
        actor=teacher, pupil=pupil, signs=[_sign(school, "fatigue")], observed_on=TODAY
    )
    assert observations_of_pupil(teacher, pupil).count() == 1  # their own
    assert observations_of_pupil(other_teacher, pupil).count() == 0  # not another's
    assert observations_of_pupil(cpe, pupil).count() == 1  # reads the watchlist
    assert observations_of_pupil(head, pupil).count() == 1
    # On the pupil page, the same rule.
    for member, shown in ((teacher, True), (other_teacher, False), (head, True)):
        login(client, member)
        body = client.get(reverse("pupil_detail", kwargs={"public_id": pupil.public_id}))
        assert ("Fatigue" in body.content.decode()) is shown, member
    # The case: its readers see every observation of the pupil; others none.
    case = case_services.case_refer(actor=teacher, pupil=pupil, reason="Fatigue").case
    assert observations_for_case(head, case).count() == 1
    assert observations_for_case(teacher, case).count() == 0  # the referrer is not on the team
    assert observations_for_case(other_teacher, case).count() == 0
