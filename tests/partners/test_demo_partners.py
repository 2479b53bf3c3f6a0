"""The demo's partner organisations: registered with their schools, one administrator each."""

from django.urls import reverse

from alliance.demo.generator import seed_demo
from alliance.partners.models import PartnerInvitation, PartnerOrganisation, PartnerPerson
from alliance.partners.selectors import adhesion_statuses
from alliance.people.models import User


def test_the_demo_organisations_have_their_people_and_an_administrator(db, client):
    seed_demo(total_pupils=10, seed=7)
    for organisation in PartnerOrganisation.objects.all():
        people = PartnerPerson.objects.filter(organisation=organisation, left_at__isnull=True)
        assert people.filter(is_admin=True).count() == 1
        assert people.count() >= 2
        assert organisation.registrations.exists()
    volunteer = PartnerPerson.objects.get(user__email="benevole@coup-de-pouce.example.org")
    assert volunteer.kind == "volunteer" and not volunteer.is_admin
    assert PartnerInvitation.objects.filter(accepted_at__isnull=True).count() == 1
    admin = User.objects.get(email="coordinatrice@coup-de-pouce.example.org")
    statuses = adhesion_statuses(volunteer.organisation)
    assert statuses and all(s.adhered for s in statuses)
    client.force_login(admin)
    assert reverse("my_organisations") in client.get(reverse("home")).content.decode()
    page = client.get(reverse("organisation_admin", args=[volunteer.organisation.public_id]))
    assert page.status_code == 200
    assert "animateur@coup-de-pouce.example.org" in page.content.decode()
