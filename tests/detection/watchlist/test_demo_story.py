"""Story 1 in the demo: the watchlist puts Inès near the top, the legal threshold among her reasons."""

from django.urls import reverse

from alliance.demo.generator import seed_demo
from alliance.detection.models import Absence, EventImport, Observation
from alliance.detection.watchlist import watchlist_for
from alliance.pupils.models import Pupil
from alliance.tenancy.models import Membership
from tests.conftest import login


def test_ines_is_near_the_top_with_four_reasons_and_the_legal_threshold(client, db):
    seed_demo(total_pupils=1100, seed=2026)
    head = Membership.objects.get(user__email="principal@clg-demo.example.fr")
    board = watchlist_for(head, language="en")
    names = [(row.pupil.first_name, row.pupil.last_name) for row in board.rows]
    rank = names.index(("Inès", "Belkacem")) + 1
    assert rank <= 5, names[:10]
    ines = board.rows[rank - 1]
    assert ines.pupil.division == "4e B"
    assert len(ines.reasons) >= 4
    legal = [reason for reason in ines.reasons if reason.legal]
    assert [reason.indicator for reason in legal] == ["unjustified_half_days"]
    assert "9 half-days" in legal[0].explanation
    indicators = {reason.indicator for reason in ines.reasons}
    assert {"average_drop", "observed_signs"} <= indicators
    # Her story: 2, then 5 absences, then 9 unjustified half-days; two teachers' signs.
    pupil = Pupil.objects.get(first_name="Inès", last_name="Belkacem")
    signs = Observation.objects.filter(pupil=pupil)
    assert [o.sign.code for o in signs] == ["no_materials", "no_materials"]
    assert len({o.recorded_by_id for o in signs}) == 2
    assert Absence.objects.filter(pupil=pupil, justified=False).count() >= 5
    # A realistic list: many pupils flagged, far fewer at the alert level; the CPE reads it.
    assert 50 < board.flagged < 300
    cpe = Membership.objects.get(user__email="cpe@clg-demo.example.fr")
    login(client, cpe)
    response = client.get(reverse("watchlist"))
    assert response.status_code == 200
    assert "Belkacem" in response.content.decode()
    # Seeding again changes nothing.
    imports = EventImport.objects.count()
    seed_demo(total_pupils=1100, seed=2026)
    assert EventImport.objects.count() == imports
