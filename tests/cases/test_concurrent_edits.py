"""Lost updates, for real: two people save the same record at the same moment.

Both threads read the record (the version their form showed), meet at a barrier, then save.
Exactly one save wins; the other is refused and nothing of the winner's is lost.

- PostgreSQL: the services lock the row (``select_for_update``); the second save waits for the
  first to commit, then sees a newer version and gets the edit-conflict message.
- SQLite: in production (a file, WAL, ``BEGIN IMMEDIATE``, a busy timeout) the second writer
  waits likewise. The test database is SQLite's shared-cache in-memory database, which refuses
  the second writer at once ("database table is locked") instead of waiting: the test accepts
  that refusal there, since it too writes nothing.

The sequential lost-update tests (stale version → conflict message) are in each app's tests.
"""

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import OperationalError, connection

from alliance.cases import services as case_services
from alliance.cases.models import Case
from alliance.core import clock
from alliance.meetings import services as meeting_services
from alliance.meetings.models import Meeting
from alliance.plans import services as plan_services
from alliance.plans.models import ActionType, PlanAction
from alliance.pupils.services import EditConflictError
from tests import factories
from tests.conftest import adhered


def race(first: Callable[[], object], second: Callable[[], object]) -> list[BaseException | None]:
    """Run both at once (after a barrier); return what each raised (None when it succeeded)."""
    barrier = threading.Barrier(2, timeout=30)
    outcome: list[BaseException | None] = [None, None]

    def run(index: int, write: Callable[[], object]) -> None:
        try:
            barrier.wait()
            write()
        except BaseException as exc:  # reported to the test below
            outcome[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, w)) for i, w in enumerate((first, second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcome


def one_wins(outcome: list[BaseException | None]) -> int:
    """Exactly one save succeeded and the other was refused as a conflict; the winner's index."""
    winners = [i for i, error in enumerate(outcome) if error is None]
    assert len(winners) == 1, outcome
    loser = outcome[1 - winners[0]]
    refused_here = (EditConflictError,)
    if connection.vendor == "sqlite":
        refused_here += (OperationalError,)
    assert isinstance(loser, refused_here), repr(loser)
    if isinstance(loser, EditConflictError):
        assert "Reload" in str(loser) or "Rechargez" in str(loser)
    return winners[0]


@pytest.fixture
def world(transactional_db):
    school = factories.SchoolFactory()
    factories.CharterVersionFactory(school=school, number=1)
    head = adhered(factories.MembershipFactory(school=school, head=True))
    cpe = adhered(factories.MembershipFactory(school=school, cpe=True))
    tutor = adhered(factories.MembershipFactory(school=school, profession="form_tutor"))
    pupil = factories.PupilFactory(school=school)
    case = case_services.case_refer(actor=cpe, pupil=pupil, reason="Absences").case
    case_services.case_assign_referent(case=case, actor=head, referent=cpe)
    case_services.case_team_add(case=case, actor=head, membership=tutor)
    case_services.family_contact_record(
        case=case, actor=cpe, contacted_on=clock.today(), channel="phone", reached=True
    )
    case.refresh_from_db()
    return {"head": head, "cpe": cpe, "tutor": tutor, "case": case}


def test_two_edits_of_a_case_at_once(world):
    case, head, cpe = world["case"], world["head"], world["cpe"]
    seen = case.version
    texts = ("Texte du chef", "Texte de la CPE")
    outcome = race(
        lambda: case_services.case_update(
            case=Case.objects.get(pk=case.pk), actor=head, expected_version=seen, reason=texts[0]
        ),
        lambda: case_services.case_update(
            case=Case.objects.get(pk=case.pk), actor=cpe, expected_version=seen, reason=texts[1]
        ),
    )
    winner = one_wins(outcome)
    case.refresh_from_db()
    assert case.reason == texts[winner]
    assert case.version == seen + 1


def test_two_edits_of_a_plan_action_at_once(world):
    case, head, cpe = world["case"], world["head"], world["cpe"]
    case_services.case_mark_examined(case=case, actor=head)
    plan = plan_services.plan_create(actor=cpe, case=case)
    action = plan_services.plan_action_add(
        actor=cpe,
        plan=plan,
        expected_version=plan.version,
        goals=["Rendre ses devoirs"],
        action_type=ActionType.objects.get(school=plan.school, code="tutoring"),
        time_frame="in_school",
        owner=world["tutor"],
        starts_on=clock.today(),
        frequency="weekly",
    )
    seen = action.version
    frequencies = ("fortnightly", "monthly")
    outcome = race(
        *(
            (
                lambda actor=actor, frequency=frequency: plan_services.plan_action_update(
                    actor=actor,
                    action=PlanAction.objects.get(pk=action.pk),
                    expected_version=seen,
                    frequency=frequency,
                )
            )
            for actor, frequency in zip((head, cpe), frequencies, strict=True)
        )
    )
    winner = one_wins(outcome)
    action.refresh_from_db()
    assert action.frequency == frequencies[winner]
    assert action.version == seen + 1


def test_two_edits_of_a_meeting_at_once(world):
    case, head = world["case"], world["head"]
    meeting = meeting_services.meeting_convene(
        actor=head,
        starts_at=clock.now() + dt.timedelta(days=3),
        place="B12",
        members=[world["cpe"]],
        cases=[case],
    )
    seen = meeting.version
    places = ("Salle B14", "CDI")
    outcome = race(
        *(
            (
                lambda place=place: meeting_services.meeting_update(
                    actor=head,
                    meeting=Meeting.objects.get(pk=meeting.pk),
                    expected_version=seen,
                    starts_at=meeting.starts_at,
                    place=place,
                    members=[world["cpe"]],
                    cases=[case],
                )
            )
            for place in places
        )
    )
    winner = one_wins(outcome)
    meeting.refresh_from_db()
    assert meeting.place == places[winner]
    assert meeting.version == seen + 1
