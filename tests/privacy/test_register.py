"""The data classification register covers every field, and its published copy is current."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import models

from alliance.privacy.register import (
    EXCLUDED,
    REGISTER,
    SECRECY_PROFESSIONS,
    Level,
    iter_fields,
)
from alliance.tenancy.models import SECRECY_BOUND_PROFESSIONS


def _field_names(model: type[models.Model]) -> list[str]:
    """The model's stored fields: its columns and its many-to-many links."""
    return [f.name for f in model._meta.concrete_fields] + [
        f.name for f in model._meta.many_to_many
    ]


def _alliance_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m._meta.app_config.name.startswith("alliance.")]


def test_every_field_of_every_alliance_model_is_classified():
    missing = [
        f"{model._meta.label}.{name}"
        for model in _alliance_models()
        for name in _field_names(model)
        if name not in getattr(REGISTER.get(model._meta.label), "fields", {})
    ]
    assert not missing, (
        "Unclassified fields — add them to alliance/privacy/register.py, then run "
        "`manage.py privacy_register`: " + ", ".join(missing)
    )


def test_every_registered_field_still_exists():
    stale = []
    for label, table in REGISTER.items():
        try:
            model = apps.get_model(label)
        except LookupError:
            stale.append(f"{label} (no such model)")
            continue
        existing = set(_field_names(model))
        stale += [f"{label}.{name}" for name in table.fields if name not in existing]
    assert not stale, "The register names fields that no longer exist: " + ", ".join(stale)


def test_every_installed_model_is_registered_or_deliberately_left_out():
    undecided = [
        model._meta.label
        for model in apps.get_models()
        if model._meta.label not in REGISTER and model._meta.label not in EXCLUDED
    ]
    assert not undecided, (
        "Installed models neither in the register nor in EXCLUDED (does it hold personal "
        "data?): " + ", ".join(undecided)
    )
    assert not set(REGISTER) & set(EXCLUDED)
    for label in EXCLUDED:
        apps.get_model(label)  # a stale exclusion fails here


def test_the_app_of_each_entry_is_the_models_app():
    wrong = [
        f"{label}: {table.app!r}"
        for label, table in REGISTER.items()
        if apps.get_model(label)._meta.app_config.name != table.app
    ]
    assert not wrong, wrong
    third_party = {
        label for label, table in REGISTER.items() if not table.app.startswith("alliance.")
    }
    assert third_party == {label for label, table in REGISTER.items() if table.third_party}


def test_entries_are_well_formed():
    for label, name, entry in iter_fields():
        where = f"{label}.{name}"
        assert isinstance(entry.level, Level), where
        assert entry.purpose.strip(), f"{where} has no purpose"
        if entry.level == Level.SECRET_BY_PROFESSION:
            assert entry.personal, where
            assert entry.professions, f"{where}: whose secret is it?"
            assert set(entry.professions) <= set(SECRECY_PROFESSIONS), where
        else:
            assert not entry.professions, f"{where}: professions only for secret fields"


def test_the_register_knows_the_secrecy_bound_professions():
    assert set(SECRECY_PROFESSIONS) == {str(p) for p in SECRECY_BOUND_PROFESSIONS}


@pytest.mark.parametrize(
    ("label", "name", "level"),
    [
        ("cases.CaseNote", "body", Level.SECRET_BY_PROFESSION),
        ("pupils.Pupil", "last_name", Level.CONFIDENTIAL),
        ("pupils.Pupil", "birth_date", Level.CONFIDENTIAL),
        ("pupils.Pupil", "national_id", Level.CONFIDENTIAL),
        ("pupils.Guardian", "phone", Level.CONFIDENTIAL),
        ("pupils.Guardian", "email", Level.CONFIDENTIAL),
        ("pupils.Guardian", "address", Level.CONFIDENTIAL),
        ("cases.Case", "pupil", Level.CONFIDENTIAL),
        ("jobs.StagedUpload", "data", Level.CONFIDENTIAL),
        ("people.User", "password", Level.CONFIDENTIAL),
        ("audit.AuditEvent", "entry_hash", Level.INTERNAL),
        ("tenancy.School", "name", Level.PUBLIC),
        ("tenancy.School", "uai", Level.PUBLIC),
    ],
)
def test_landmark_classifications(label, name, level):
    assert REGISTER[label].fields[name].level == level


def test_pupil_identity_and_case_content_are_personal_data():
    for label in ("pupils.Pupil", "pupils.Guardian", "cases.Case", "cases.CaseNote"):
        table = REGISTER[label]
        assert all(entry.personal for name, entry in table.fields.items() if name != "version"), (
            label
        )


def test_the_published_register_is_up_to_date():
    out = StringIO()
    call_command("privacy_register", "--check", stdout=out)
    assert "up to date" in out.getvalue()


def test_the_check_fails_on_a_stale_copy_and_the_command_rewrites_it(settings, tmp_path):
    settings.BASE_DIR = tmp_path
    with pytest.raises(CommandError, match="out of date"):
        call_command("privacy_register", "--check", stdout=StringIO())  # no file at all
    call_command("privacy_register", stdout=StringIO())
    published = tmp_path / "docs" / "privacy" / "data-register.md"
    assert "| `body` | `secret_by_profession` | yes |" in published.read_text(encoding="utf-8")
    call_command("privacy_register", "--check", stdout=StringIO())
    published.write_text(published.read_text(encoding="utf-8") + "hand edit\n", encoding="utf-8")
    with pytest.raises(CommandError, match="out of date"):
        call_command("privacy_register", "--check", stdout=StringIO())
