"""The watchlist: ranked, explained, filtered, cut at the team's capacity, audited, no trace."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from alliance.audit.models import AuditEvent
from alliance.cases import services as case_services
from alliance.cases.models import Case, CaseReferral
from alliance.detection import school_settings
from alliance.detection.models import DetectionSettings
from alliance.detection.watchlist import watchlist_for
from alliance.meetings.models import Meeting, MeetingStatus
from tests import factories
from tests.conftest import adhered, login
from tests.detection.watchlist.conftest import NOW, PARIS, slide


@pytest.fixture
def pupils(school, divisions, events, cpe):
    """Inès slides (legal threshold); Léo has three unjustified half-days and lateness in
    November; Zoé is absent only in October; Max has nothing."""
    ines = factories.PupilFactory(
        school=school, division=divisions["4B"], first_name="Inès", last_name="Belkacem"
    )
    slide(events, ines)
    teachers = [adhered(factories.MembershipFactory(school=school)) for _ in range(2)]
    for teacher in teachers:
        events.observation(ines, "no_materials", dt.date(2026, 11, 16), by=teacher)
    leo = factories.PupilFactory(
        school=school, division=divisions["3A"], first_name="Léo", last_name="Garnier"
    )
    for day in (3, 4, 5):
        events.absence(leo, dt.date(2026, 11, day))
    for day in (9, 10, 12, 13):
        events.lateness(leo, dt.date(2026, 11, day))
    zoe = factories.PupilFactory(
        school=school, division=divisions["4B"], first_name="Zoé", last_name="Perrin"
    )
    for day in (5, 6, 7):
        events.absence(zoe, dt.date(2026, 10, day), half_days=2)
    max_ = factories.PupilFactory(
        school=school, division=divisions["3A"], first_name="Max", last_name="Blanc"
    )
    return {"ines": ines, "leo": leo, "zoe": zoe, "max": max_}


def _names(board):
    return [row.pupil.first_name for row in board.rows]


def test_ranked_with_the_reasons_and_the_legal_threshold(head, pupils):
    board = watchlist_for(head, language="en")
    assert _names(board)[0] == "Inès"
    assert "Max" not in _names(board)  # no event, no reason: not on the list
    assert board.flagged == len(board.rows) == 3
    ines = board.rows[0]
    assert ines.top_level == "alerte" and ines.legal
    indicators = [reason.indicator for reason in ines.reasons]
    assert len(indicators) >= 4
    assert {"unjustified_half_days", "average_drop", "observed_signs"} <= set(indicators)
    legal = next(r for r in ines.reasons if r.indicator == "unjustified_half_days")
    assert legal.legal and legal.level == "alerte"
    assert "9 half-days in November 2026" in legal.explanation
    assert "legal threshold" in legal.explanation and "L131-8" in legal.explanation
    # Every reason names its indicator, its value and its threshold.
    for row in board.rows:
        for reason in row.reasons:
            assert "threshold" in reason.explanation and "since" in reason.explanation
    # The timeline: the last months, with the unjustified half-days as the sparkline's text.
    assert ines.months[-3:] == ["Sep 2026", "Oct 2026", "Nov 2026"]
    unjustified = next(t for t in ines.timeline if t.indicator == "unjustified_half_days")
    assert unjustified.values[-3:] == ["0", "1", "9"]
    assert ines.sparkline is not None and "Nov 2026 : 9" in ines.sparkline.text
    assert ines.averages == [("T1", "12,5"), ("T2", "9,5")]


def test_the_page_shows_reasons_timeline_and_weights(client, head, pupils):
    login(client, head)
    response = client.get(reverse("watchlist"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Belkacem" in body and "Blanc" not in body
    assert 'data-legal="1"' in body
    assert 'role="img"' in body and "<title" in body  # the sparkline has its text alternative
    assert "Month by month" in body
    assert 'id="weights"' in body
    assert reverse("watchlist_refer", kwargs={"public_id": pupils["ines"].public_id}) in body


def test_in_french_the_svg_coordinates_are_not_localised(client, head, pupils, settings):
    settings.LANGUAGE_CODE = "fr"
    login(client, head)
    with translation.override("fr"):
        body = client.get(reverse("watchlist")).content.decode()
    assert "demi-journées en novembre 2026" in body  # the engine speaks the page's language
    assert re.search(r'<line x1="0" x2="120" y1="\d+(\.\d+)?" ', body)
    assert re.search(r'<polyline points="[\d., ]+"', body)


def test_filters_by_division_level_and_indicator(head, pupils):
    assert _names(watchlist_for(head, division="4E B")) == ["Inès", "Zoé"]
    assert _names(watchlist_for(head, level="3e")) == ["Léo"]
    assert _names(watchlist_for(head, indicator="lateness")) == ["Léo"]
    assert _names(watchlist_for(head, indicator="observed_signs")) == ["Inès"]
    # An unknown value is ignored, not an error.
    assert watchlist_for(head, division="9E Z").filters["division"] == ""


def test_new_since_the_last_gpds_meeting(head, pupils):
    board = watchlist_for(head)
    assert board.last_meeting_on is None
    assert not any(row.is_new for row in board.rows)
    # A meeting held on 23 October: Inès and Zoé were already flagged then, Léo was not.
    Meeting.objects.create(
        school=head.school,
        starts_at=dt.datetime(2026, 10, 23, 12, 30, tzinfo=PARIS),
        place="B12",
        status=MeetingStatus.HELD,
        convened_by=head,
        convened_at=dt.datetime(2026, 10, 16, 9, 0, tzinfo=PARIS),
    )
    # A meeting convened for next week does not count.
    Meeting.objects.create(
        school=head.school,
        starts_at=NOW + dt.timedelta(days=7),
        place="B12",
        convened_by=head,
        convened_at=NOW,
    )
    board = watchlist_for(head)
    assert board.last_meeting_on == dt.date(2026, 10, 23)
    assert {row.pupil.first_name: row.is_new for row in board.rows} == {
        "Inès": False,
        "Zoé": False,
        "Léo": True,
    }
    assert _names(watchlist_for(head, new_only=True)) == ["Léo"]


def test_the_capacity_marks_the_cut(client, head, pupils):
    school_settings.detection_settings_update(actor=head, capacity=1, professions=["cpe"])
    board = watchlist_for(head)
    assert [row.above_cut for row in board.rows] == [True, False, False]
    login(client, head)
    body = client.get(reverse("watchlist")).content.decode()
    assert body.count('id="capacity-cut"') == 1
    assert body.index("Belkacem") < body.index('id="capacity-cut"') < body.index("Garnier")
    # Filtered, the rows keep their rank in the school, and the cut stays where it is.
    filtered = watchlist_for(head, level="3e")
    assert [(row.rank, row.above_cut) for row in filtered.rows] == [(3, False)]


def test_one_click_opens_a_referral_prefilled_with_the_reasons(client, cpe, pupils):
    ines = pupils["ines"]
    login(client, cpe)
    url = reverse("watchlist_refer", kwargs={"public_id": ines.public_id})
    response = client.get(url)
    assert response.status_code == 200
    form = response.context["form"]
    reason = form.initial["reason"]
    assert reason.startswith("Detection (watchlist) of 11/27/2026:")
    assert "legal threshold" in reason and "9 half-days in November 2026" in reason
    assert set(form.initial["signs"]) >= {"absences", "falling_grades", "no_materials"}
    assert 'value="no_materials"' in response.content.decode()
    # Sent as it is: the case is opened from the alert, with the signs.
    data = {"reason": reason, "signs": form.initial["signs"]}
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == reverse("watchlist")
    case = Case.objects.get(pupil=ines)
    assert case.source_alert_public_id is not None
    assert case.reason == reason
    assert set(case.signs.values_list("catalogue_entry__code", flat=True)) >= {"no_materials"}
    # The read of the alert was audited as a read of the pupil.
    assert AuditEvent.objects.filter(
        action="view", object_type="pupils.pupil", object_public_id=str(ines.public_id)
    ).exists()


def test_a_pupil_not_on_the_list_goes_to_the_ordinary_referral(client, cpe, pupils):
    login(client, cpe)
    url = reverse("watchlist_refer", kwargs={"public_id": pupils["max"].public_id})
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "case_refer", kwargs={"public_id": pupils["max"].public_id}
    )


def test_every_view_is_audited_once(client, head, pupils):
    login(client, head)
    before = AuditEvent.objects.filter(object_type="detection.watchlist").count()
    client.get(reverse("watchlist"))
    client.get(reverse("watchlist"), {"division": "4E B"})
    events = AuditEvent.objects.filter(object_type="detection.watchlist")
    assert events.count() == before + 2
    event = events.last()
    assert event.action == "view" and event.actor_membership_id == head.pk
    assert event.object_public_id == str(head.school.public_id)


def test_who_reads_the_watchlist(client, school, head, cpe, teacher, referent, pupils):
    url = reverse("watchlist")
    tutor = adhered(factories.MembershipFactory(school=school, profession="form_tutor"))
    for member, expected in (
        (head, 200),
        (cpe, 200),
        (referent, 200),
        (teacher, 404),
        (tutor, 404),
    ):
        login(client, member)
        assert client.get(url).status_code == expected, member.profession
    school_settings.detection_settings_update(actor=head, capacity=10, professions=["form_tutor"])
    for member, expected in ((cpe, 404), (referent, 404), (tutor, 200), (head, 200)):
        login(client, member)
        assert client.get(url).status_code == expected, member.profession
    # The menu offers it to those only.
    login(client, tutor)
    assert url in client.get(reverse("pupil_list")).content.decode()
    login(client, teacher)
    assert url not in client.get(reverse("pupil_list")).content.decode()


def _row(body: str, public_id) -> str:
    match = re.search(
        rf'<tr id="pupil-{public_id}".*?(?=<tr id="pupil-|<tr class="alliance-cut"|\n  </tbody>)',
        body,
        re.S,
    )
    assert match, public_id
    row = match.group(0)
    return row[: row.rindex("</tr>") + len("</tr>")]


def test_no_trace_of_a_case_the_reader_cannot_see(
    client, school, head, cpe, referent, events, divisions
):
    """Twins with the same events, one with a case: the same row for who cannot see the case."""
    twins = [
        factories.PupilFactory(
            school=school, division=divisions["4B"], first_name=name, last_name="Jumeau"
        )
        for name in ("Alice", "Brune")
    ]
    for twin in twins:
        slide(events, twin)
    case = case_services.case_refer(actor=head, pupil=twins[0], reason="Absences").case
    login(client, referent)  # reads the watchlist, not on the case's team
    body = client.get(reverse("watchlist")).content.decode()
    rows = [_row(body, twin.public_id) for twin in twins]
    normalised = [
        row.replace(str(twin.public_id), "ID").replace(twin.first_name, "NAME")
        for row, twin in zip(rows, twins, strict=True)
    ]
    # Ranks differ only by their tie-break: compare the rows without their rank cell.
    without_rank = [re.sub(r'data-rank="\d+"|<td>\d+<br>', "", row) for row in normalised]
    assert without_rank[0] == without_rank[1]
    assert str(case.public_id) not in body
    # The head sees the case on its row.
    login(client, head)
    body = client.get(reverse("watchlist")).content.decode()
    assert str(case.public_id) in _row(body, twins[0].public_id)
    assert "Open case" not in _row(body, twins[1].public_id)
    # A referral from the watchlist answers the same whether or not a case exists.
    login(client, referent)
    for twin in twins:
        url = reverse("watchlist_refer", kwargs={"public_id": twin.public_id})
        response = client.post(url, {"reason": "Absences en hausse"}, follow=True)
        assert response.redirect_chain == [(reverse("watchlist"), 302)]
        assert "Your referral has been recorded" in response.content.decode()
        assert str(case.public_id) not in response.content.decode()
    assert CaseReferral.objects.filter(referred_by=referent).count() == 2
    assert Case.objects.count() == 2  # one new case for Brune; Alice's signal joined hers


def test_query_count_does_not_depend_on_the_number_of_pupils(
    client, school, head, events, divisions, cpe
):
    login(client, head)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("watchlist")).status_code == 200
        return len(queries)

    pupil = factories.PupilFactory(school=school, division=divisions["4B"])
    slide(events, pupil)
    events.observation(pupil, "isolation", dt.date(2026, 11, 10), by=cpe)
    case_services.case_refer(actor=head, pupil=pupil, reason="x")
    few = count()
    for index in range(12):
        other = factories.PupilFactory(
            school=school, division=divisions["3A" if index % 2 else "4B"]
        )
        slide(events, other)
        events.lateness(other, dt.date(2026, 11, 3))
        events.observation(other, "isolation", dt.date(2026, 11, 10), by=cpe)
        if index % 3 == 0:
            case_services.case_refer(actor=head, pupil=other, reason="x")
    assert count() == few


def test_settings_are_read_not_created_by_the_watchlist(head, pupils):
    watchlist_for(head)
    assert not DetectionSettings.objects.exists()
