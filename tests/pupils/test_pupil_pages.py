"""Pupil pages and services: create, edit with conflict detection, guardians."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from alliance.audit.models import AuditEvent
from alliance.pupils import services
from alliance.pupils.models import Pupil
from alliance.pupils.services import EditConflictError
from tests import factories
from tests.conftest import login


def test_cpe_creates_a_pupil_by_form(client, cpe):
    login(client, cpe)
    response = client.post(
        reverse("pupil_create"),
        {
            "last_name": "Belkacem",
            "first_name": "Inès",
            "birth_date": "2012-03-14",
            "national_id": "1234567890a",
        },
    )
    pupil = Pupil.objects.get(last_name="Belkacem")
    assert response["Location"] == reverse("pupil_detail", kwargs={"public_id": pupil.public_id})
    assert pupil.national_id == "1234567890A"
    assert pupil.school == cpe.school
    assert AuditEvent.objects.filter(
        action="create", object_public_id=str(pupil.public_id)
    ).exists()


def test_the_form_reports_a_bad_date_and_writes_nothing(client, cpe):
    login(client, cpe)
    response = client.post(
        reverse("pupil_create"), {"last_name": "X", "first_name": "Y", "birth_date": "31/02/2012"}
    )
    assert response.status_code == 200
    assert not Pupil.objects.exists()


def test_second_editor_gets_a_conflict_and_the_first_edit_survives(client, cpe, head, pupil):
    opened_version = pupil.version
    services.pupil_update(
        actor=head,
        pupil=Pupil.objects.get(pk=pupil.pk),
        expected_version=opened_version,
        first_name="Inès",
    )
    with pytest.raises(EditConflictError):
        services.pupil_update(
            actor=cpe,
            pupil=Pupil.objects.get(pk=pupil.pk),
            expected_version=opened_version,
            first_name="Ines",
        )
    assert Pupil.objects.get(pk=pupil.pk).first_name == "Inès"


def test_conflict_is_shown_in_the_edit_page(client, cpe, head, pupil):
    login(client, cpe)
    form_version = pupil.version
    services.pupil_update(
        actor=head, pupil=pupil, expected_version=form_version, last_name="Nouveau"
    )
    response = client.post(
        reverse("pupil_edit", kwargs={"public_id": pupil.public_id}),
        {
            "last_name": "Autre",
            "first_name": "Inès",
            "birth_date": "2012-05-17",
            "version": str(form_version),
        },
    )
    assert response.status_code == 200
    assert Pupil.objects.get(pk=pupil.pk).last_name == "Nouveau"


def test_a_teacher_cannot_edit(teacher, pupil):
    with pytest.raises(PermissionDenied):
        services.pupil_update(
            actor=teacher, pupil=pupil, expected_version=pupil.version, first_name="X"
        )
    with pytest.raises(PermissionDenied):
        services.pupil_create(
            actor=teacher, last_name="X", first_name="Y", birth_date=dt.date(2012, 1, 1)
        )


def test_cpe_adds_a_guardian(client, cpe, pupil):
    login(client, cpe)
    response = client.post(
        reverse("guardian_create", kwargs={"public_id": pupil.public_id}),
        {
            "last_name": "Belkacem",
            "first_name": "Nadia",
            "relationship": "mother",
            "legal_responsibility": "on",
            "phone": "06 01 02 03 04",
        },
    )
    assert response.status_code == 302
    guardian = pupil.guardians.get()
    assert (guardian.first_name, guardian.legal_responsibility, guardian.school) == (
        "Nadia",
        True,
        pupil.school,
    )
    page = client.get(
        reverse("pupil_detail", kwargs={"public_id": pupil.public_id})
    ).content.decode()
    assert "Nadia" in page


def test_left_pupils_are_hidden_from_the_list_but_not_from_their_page(client, teacher, school):
    gone = factories.PupilFactory(school=school, last_name="Parti", left=True)
    login(client, teacher)
    assert "Parti" not in client.get(reverse("pupil_list")).content.decode()
    assert (
        client.get(reverse("pupil_detail", kwargs={"public_id": gone.public_id})).status_code == 200
    )


def test_htmx_search_returns_only_the_results_fragment(client, teacher, pupil):
    login(client, teacher)
    response = client.get(reverse("pupil_list"), {"q": pupil.last_name}, HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert pupil.last_name in body
    assert "<html" not in body


def test_pages_are_not_cached_and_carry_a_request_id(client, teacher, pupil):
    login(client, teacher)
    response = client.get(reverse("pupil_detail", kwargs={"public_id": pupil.public_id}))
    assert response["Cache-Control"] == "no-store"
    assert len(response["X-Request-ID"]) == 32


def test_school_switcher_changes_the_current_school(client, school, other_school, pupil):
    from tests.conftest import adhered

    psyen_here = adhered(factories.MembershipFactory(school=school, nurse=True))
    psyen_there = adhered(
        factories.MembershipFactory(school=other_school, user=psyen_here.user, nurse=True)
    )
    other_pupil = factories.PupilFactory(school=other_school)
    login(client, psyen_here)
    assert (
        client.get(reverse("pupil_detail", kwargs={"public_id": pupil.public_id})).status_code
        == 200
    )
    assert (
        client.get(reverse("pupil_detail", kwargs={"public_id": other_pupil.public_id})).status_code
        == 404
    )
    home = client.get(reverse("home")).content.decode()
    assert other_school.name in home  # the switcher lists both schools
    client.post(reverse("school_switch"), {"membership": str(psyen_there.public_id)})
    assert (
        client.get(reverse("pupil_detail", kwargs={"public_id": other_pupil.public_id})).status_code
        == 200
    )
    assert (
        client.get(reverse("pupil_detail", kwargs={"public_id": pupil.public_id})).status_code
        == 404
    )


def test_switching_to_a_membership_of_someone_else_is_a_404(client, teacher, other_school):
    stranger = factories.MembershipFactory(school=other_school)
    login(client, teacher)
    assert (
        client.post(reverse("school_switch"), {"membership": str(stranger.public_id)}).status_code
        == 404
    )
