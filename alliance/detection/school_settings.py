"""A school's detection settings: who reads the watchlist, the team's capacity, the rule set.

Reads: ``detection_settings_of(school_id)`` (never creates a row), ``watchlist_professions``,
``school_rules`` (the engine's ``RuleSet``, the school's own or the engine's defaults).
Writes (the head only, audited, optimistic lock on ``version``): ``detection_settings_update``,
``school_rules_update`` (one indicator's thresholds and weight, from the form),
``school_rules_import`` (a whole rules file), ``school_rules_reset``.

The rule set is stored as the engine's own file document and validated by the engine
(``alliance.detection.engine``) before it is saved: what the school saves is exactly what
the engine will run, and what ``alliance backtest`` reads.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from alliance.audit.services import audit_record
from alliance.detection.engine import RuleProblem, RulesError, RuleSet, parse_rules_text
from alliance.detection.models import (
    DEFAULT_CAPACITY,
    DetectionSettings,
    default_watchlist_professions,
)
from alliance.detection.perms import can_manage_detection
from alliance.pupils.services import EditConflictError
from alliance.tenancy.models import Membership, Profession

#: The professions the head may let read the watchlist (school staff only).
WATCHLIST_PROFESSION_CHOICES: tuple[str, ...] = (
    Profession.CPE,
    Profession.DROPOUT_REFERENT,
    Profession.FORM_TUTOR,
    Profession.TEACHER,
    Profession.PSYEN,
    Profession.SOCIAL_WORKER,
    Profession.NURSE,
    Profession.DOCTOR,
)
MAX_CAPACITY = 500

logger = logging.getLogger(__name__)


class SettingsConflictError(EditConflictError):
    """Someone else changed the school's detection settings after the form was loaded."""


def detection_settings_of(school_id: int) -> DetectionSettings:
    """The school's settings, or an unsaved row with the defaults (reading never writes)."""
    found = DetectionSettings.objects.filter(school_id=school_id).first()
    return found or DetectionSettings(school_id=school_id)


def watchlist_professions(school_id: int) -> frozenset[str]:
    found = (
        DetectionSettings.objects.filter(school_id=school_id)
        .values_list("watchlist_professions", flat=True)
        .first()
    )
    return frozenset(default_watchlist_professions() if found is None else found)


def _lock(actor: Membership, expected_version: int | None) -> DetectionSettings:
    if not can_manage_detection(actor):
        raise PermissionDenied
    settings, _created = DetectionSettings.objects.select_for_update().get_or_create(
        school_id=actor.school_id
    )
    if expected_version is not None and settings.version != expected_version:
        raise SettingsConflictError(
            _(
                "Someone else changed these settings while you were working on them. "
                "Reload the page to see their changes, then try again."
            ),
            code="conflict",
        )
    return settings


def _save(settings: DetectionSettings, actor: Membership, fields: list[str]) -> DetectionSettings:
    settings.updated_by = actor
    settings.full_clean()
    DetectionSettings.objects.filter(pk=settings.pk).update(
        **{name: getattr(settings, name) for name in [*fields, "updated_by"]},
        version=F("version") + 1,
    )
    settings.refresh_from_db()
    audit_record(
        action="update",
        object_type="detection.detectionsettings",
        object_public_id=str(actor.school.public_id),
        membership=actor,
    )
    return settings


@transaction.atomic
def detection_settings_update(
    *,
    actor: Membership,
    capacity: int,
    professions: Iterable[str],
    expected_version: int | None = None,
) -> DetectionSettings:
    """The head sets the team's capacity and the professions that read the watchlist."""
    settings = _lock(actor, expected_version)
    chosen = sorted(set(professions))
    errors = {}
    if not 1 <= capacity <= MAX_CAPACITY:
        errors["capacity"] = _("Between 1 and %(max)d situations.") % {"max": MAX_CAPACITY}
    if any(p not in WATCHLIST_PROFESSION_CHOICES for p in chosen):
        errors["professions"] = _("Choose professions of the school's staff from the list.")
    if errors:
        raise ValidationError(errors)
    settings.capacity = capacity
    settings.watchlist_professions = chosen
    return _save(settings, actor, ["capacity", "watchlist_professions"])


def default_capacity() -> int:
    return DEFAULT_CAPACITY


# --------------------------------------------------------------------------- the rule set


def rules_of(settings: DetectionSettings) -> RuleSet:
    """The rule set the school runs: its own document, or the engine's defaults.

    A stored document the engine no longer accepts (after an upgrade) falls back to the
    defaults rather than stopping detection; the rules page says so (``rules_problems``).
    """
    try:
        return RuleSet.from_document(settings.rules or {}, source="school")
    except RulesError:
        logger.warning(
            "school %s: stored detection rules refused, defaults used", settings.school_id
        )
        return RuleSet.defaults()


def rules_problems(settings: DetectionSettings) -> list[RuleProblem]:
    try:
        RuleSet.from_document(settings.rules or {}, source="school")
    except RulesError as error:
        return list(error.problems)
    return []


def school_rules(school_id: int) -> RuleSet:
    return rules_of(detection_settings_of(school_id))


def _store_rules(
    actor: Membership, rules: RuleSet, expected_version: int | None
) -> DetectionSettings:
    settings = _lock(actor, expected_version)
    settings.rules = rules.to_document()
    return _save(settings, actor, ["rules"])


@transaction.atomic
def school_rule_update(
    *,
    actor: Membership,
    indicator: str,
    enabled: bool,
    vigilance: float,
    alerte: float,
    weight: float,
    expected_version: int | None = None,
) -> DetectionSettings:
    """The head changes one indicator's thresholds and weight.

    Validated by the engine (``RuleSet.with_indicator``): a ``RulesError`` names the keys
    refused (``indicators.<code>.alerte``…); nothing is saved then.
    """
    if not can_manage_detection(actor):
        raise PermissionDenied
    current = school_rules(actor.school_id)
    rules = current.with_indicator(
        indicator, enabled=enabled, vigilance=vigilance, alerte=alerte, weight=weight
    )
    return _store_rules(actor, rules, expected_version)


@transaction.atomic
def school_rules_import(
    *, actor: Membership, text: str, filename: str, expected_version: int | None = None
) -> DetectionSettings:
    """The head replaces the school's rule set with a rules file (the engine's format).

    ``RulesError`` (every problem, with its key or line) when the file is refused; nothing
    is saved then.
    """
    if not can_manage_detection(actor):
        raise PermissionDenied
    suffix = "." + filename.rsplit(".", 1)[-1] if "." in filename else ""
    rules = parse_rules_text(text, source=filename, suffix=suffix)
    return _store_rules(actor, rules, expected_version)


@transaction.atomic
def school_rules_reset(
    *, actor: Membership, expected_version: int | None = None
) -> DetectionSettings:
    """The head goes back to the engine's documented defaults."""
    settings = _lock(actor, expected_version)
    settings.rules = {}
    return _save(settings, actor, ["rules"])


def school_rules_file(school_id: int) -> str:
    """The school's rule set as a rules file (TOML), which ``school_rules_import`` reads back."""
    return school_rules(school_id).to_toml()


@transaction.atomic
def school_rules_export(*, actor: Membership) -> str:
    """The school's rules file, for the head to download; the export is audited."""
    if not can_manage_detection(actor):
        raise PermissionDenied
    audit_record(
        action="export",
        object_type="detection.rules",
        object_public_id=str(actor.school.public_id),
        membership=actor,
    )
    # Every document Alliance generates carries the internal marking (charter art. 4b); in a
    # rules file it is a TOML comment, which the import reads past.
    from alliance.core.pdf import internal_marking

    return f"# {internal_marking()}\n{school_rules_file(actor.school_id)}"
