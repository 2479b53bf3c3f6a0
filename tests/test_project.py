"""Project-wide checks: migrations are complete, deletions are deliberate, system checks pass."""

import base64
import os
import secrets
import subprocess
import sys

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import models

#: Every ForeignKey (or OneToOneField) of Alliance's own apps whose ``on_delete`` is
#: CASCADE, with the reason the cascade is wanted. Any other ForeignKey must choose
#: PROTECT, RESTRICT, SET_NULL, SET_DEFAULT, SET(...) or DO_NOTHING: deleting a row must
#: never silently take away records (pupils, adhesions, audit-relevant facts) with it.
#: Schools are kept alive by their memberships and pupils (PROTECT), so the cascades
#: from a school only ever clear a school that holds nothing else.
CASCADE_ALLOWED = {
    "tenancy.SchoolYear.school": "a school's calendar is part of the school itself",
    "tenancy.Division.school": "tenant key of a division, which lives and dies with its year",
    "tenancy.Division.school_year": "a division exists only within its year; pupils PROTECT it",
    "charter.CharterVersion.school": "the school's own charter text; adhesions PROTECT a version",
    "charter.BoardPresentation.school": "tenant key of a fact that belongs to a charter version",
    "charter.BoardPresentation.charter_version": "a board presentation means nothing without its version",
    "charter.CharterAdhesion.school": "tenant key; the adhesion's membership PROTECTs the school",
    "pupils.Guardian.pupil": "a guardian is part of the pupil's record, erased with it",
    # Imported vie-scolaire events are part of the pupil's record: erasing the pupil (end of
    # retention, right to erasure) erases them; PROTECT would keep pupils' data forever.
    "detection.Absence.pupil": "an absence is part of the pupil's record, erased with it",
    "detection.Lateness.pupil": "a lateness is part of the pupil's record, erased with it",
    "detection.Sanction.pupil": "a sanction is part of the pupil's record, erased with it",
    "detection.Mark.pupil": "a mark is part of the pupil's record, erased with it",
    "detection.PeriodCount.pupil": "a period count is part of the pupil's record, erased with it",
    "detection.Observation.pupil": "a grid observation is part of the pupil's record, erased with it",
}


def _alliance_foreign_keys() -> list[tuple[str, models.ForeignKey]]:
    found = []
    for model in apps.get_models():
        if not model.__module__.startswith("alliance."):
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.ForeignKey) and not field.auto_created:
                found.append((f"{model._meta.label}.{field.name}", field))
    return found


@pytest.mark.django_db
def test_no_model_change_lacks_a_migration():
    try:
        call_command("makemigrations", "--check", "--dry-run", verbosity=1)
    except SystemExit as exit_:
        pytest.fail(f"makemigrations --check found missing migrations (exit {exit_.code})")


def test_every_cascade_is_deliberate():
    foreign_keys = _alliance_foreign_keys()
    assert foreign_keys, (
        "no ForeignKey found in the alliance apps: the check looks in the wrong place"
    )
    cascades = {
        name for name, field in foreign_keys if field.remote_field.on_delete is models.CASCADE
    }
    undeclared = sorted(cascades - CASCADE_ALLOWED.keys())
    assert not undeclared, (
        "ForeignKey(s) with on_delete=CASCADE: choose PROTECT (or another deliberate rule), "
        f"or add them to CASCADE_ALLOWED in {__file__} with the reason: {undeclared}"
    )
    stale = sorted(CASCADE_ALLOWED.keys() - cascades)
    assert not stale, f"CASCADE_ALLOWED lists ForeignKeys that no longer cascade: {stale}"


def test_system_checks_pass():
    call_command("check", fail_level="WARNING")


def test_manage_py_check_deploy_passes_with_production_settings():
    """``manage.py check --deploy`` on the real settings, as an académie would run them."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ALLIANCE_", "DJANGO_"))
    }
    env["ALLIANCE_SECRET_KEY"] = secrets.token_urlsafe(50)
    env["ALLIANCE_MASTER_KEY"] = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
