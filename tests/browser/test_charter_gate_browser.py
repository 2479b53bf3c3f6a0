"""End to end, in a real browser: log in, meet the charter gate, adhere, reach a pupil's page."""

import re

import pytest

from tests import factories

pytestmark = pytest.mark.browser


def test_member_adheres_to_the_charter_then_reaches_a_pupil(page, live_server):
    from playwright.sync_api import expect

    school = factories.SchoolFactory(name="Collège Jean Moulin")
    factories.CharterVersionFactory(school=school, number=1)
    head = factories.MembershipFactory(school=school, head=True)
    pupil = factories.PupilFactory(school=school, last_name="Lefebvre", first_name="Noé")
    factories.PupilFactory(last_name="Ailleurs", first_name="Autre")  # another school's pupil

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", head.user.email)
    page.fill("input[name=password]", factories.PASSWORD)
    page.locator("form:has(input[name=password]) button[type=submit]").click()

    # The gate sends a member who has not adhered to the charter page, whatever they ask for.
    expect(page).to_have_url(re.compile(r"/charter/$"))
    page.goto(f"{live_server.url}/pupils/")
    expect(page).to_have_url(re.compile(r"/charter/$"))
    expect(page.get_by_text("Lefebvre")).to_have_count(0)

    page.locator("#adhere").click()
    expect(page.locator("#adhere")).to_have_count(0)

    page.goto(f"{live_server.url}/pupils/")
    expect(page).to_have_url(re.compile(r"/pupils/$"))
    expect(page.get_by_text("Ailleurs")).to_have_count(0)
    page.get_by_role("link", name=f"{pupil.last_name} {pupil.first_name}").click()

    expect(page).to_have_url(re.compile(rf"/pupils/{pupil.public_id}/$"))
    expect(page.locator("body")).to_contain_text(pupil.last_name)
    expect(page.locator("body")).to_contain_text(pupil.first_name)
