"""Which column holds which field: proposing a mapping from the headers, checking it, saving it.

The proposal, in order: the mapping the school confirmed for the same headers (found
by ``header_signature``); else the best matching preset, completed by fuzzy matching;
else fuzzy matching alone (normalised header names compared with each field's
aliases). The school confirms or corrects it; the confirmed mapping is saved and
reused for the next file with the same headers.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from alliance.audit.services import audit_record
from alliance.core import clock
from alliance.core.textfiles import header_key
from alliance.detection.fields import KINDS_WITH_PERIOD, fields_for
from alliance.detection.models import ColumnMapping
from alliance.detection.presets import PRESETS, PRESETS_BY_NAME, Preset, preset_matches
from alliance.detection.tables import header_signature
from alliance.tenancy.models import Membership, School

#: Below this similarity a header is not proposed for a field.
FUZZY_THRESHOLD = 0.84

Mapping = dict[str, int]


@dataclass
class Proposal:
    mapping: Mapping
    #: ``saved``, ``preset`` or ``fuzzy``.
    source: str
    preset: str = ""
    saved: ColumnMapping | None = None
    #: Presets of *other* kinds whose headers this file has (the wrong kind chosen?).
    other_kind_presets: list[Preset] = field(default_factory=list)


def _score(key: str, aliases: tuple[str, ...]) -> float:
    if not key:
        return 0.0
    if key in aliases:
        return 1.0
    best = 0.0
    for alias in aliases:
        if len(alias) >= 4 and key.startswith(alias):
            best = max(best, 0.9)
        best = max(best, difflib.SequenceMatcher(None, key, alias).ratio())
    return best


def fill_fuzzy(kind: str, keys: list[str], mapping: Mapping, preset: Preset | None) -> None:
    used = set(mapping.values())
    candidates: list[tuple[float, int, str, int]] = []
    for order, target in enumerate(fields_for(kind)):
        if target.name in mapping:
            continue
        aliases = target.aliases + (preset.columns.get(target.name, ()) if preset else ())
        for index, key in enumerate(keys):
            if index in used:
                continue
            score = _score(key, aliases)
            if score >= FUZZY_THRESHOLD:
                candidates.append((score, -order, target.name, index))
    # Best scores first; among equals, the field listed first.
    for _score_value, _order, name, index in sorted(candidates, reverse=True):
        if name in mapping or index in used:
            continue
        mapping[name] = index
        used.add(index)


def mapping_from_preset(preset: Preset, kind: str, keys: list[str]) -> Mapping:
    """The columns ``preset`` names for ``kind``'s fields, found in ``keys`` (the first of each)."""
    names = {target.name for target in fields_for(kind)}
    mapping: Mapping = {}
    used: set[int] = set()
    for name, aliases in preset.columns.items():
        if name not in names:
            continue
        for alias in aliases:
            index = next((i for i, key in enumerate(keys) if key == alias and i not in used), None)
            if index is not None:
                mapping[name] = index
                used.add(index)
                break
    return mapping


def best_preset(kind: str, keys: list[str]) -> Preset | None:
    matching = [p for p in PRESETS if kind in p.kinds and preset_matches(p, keys)]
    if not matching:
        return None
    return max(
        matching,
        key=lambda p: (len(p.signature), len(mapping_from_preset(p, kind, keys))),
    )


def saved_mapping(school: School, kind: str, headers: list[str]) -> ColumnMapping | None:
    return ColumnMapping.objects.filter(
        school=school, kind=kind, header_signature=header_signature(headers)
    ).first()


def propose_mapping(school: School, kind: str, headers: list[str]) -> Proposal:
    keys = [header_key(h) for h in headers]
    others = [p for p in PRESETS if kind not in p.kinds and preset_matches(p, keys)]
    saved = saved_mapping(school, kind, headers)
    if saved is not None and not check_mapping(kind, saved.mapping, headers, period_given=True):
        return Proposal(
            dict(saved.mapping), "saved", saved.preset, saved, other_kind_presets=others
        )
    preset = best_preset(kind, keys)
    mapping = mapping_from_preset(preset, kind, keys) if preset else {}
    fill_fuzzy(kind, keys, mapping, preset)
    return Proposal(
        mapping,
        "preset" if preset else "fuzzy",
        preset.name if preset else "",
        other_kind_presets=others,
    )


def check_mapping(
    kind: str, mapping: Mapping, headers: list[str], *, period_given: bool
) -> list[str]:
    """What is wrong with ``mapping`` for a file with ``headers`` (an empty list: nothing)."""
    problems: list[str] = []
    targets = {target.name: target for target in fields_for(kind)}
    seen: dict[int, str] = {}
    for name, index in mapping.items():
        if name not in targets:
            problems.append(_("“%(field)s” is not a field of this kind of file.") % {"field": name})
            continue
        if not isinstance(index, int) or not 0 <= index < len(headers):
            problems.append(
                _("%(field)s: the file has no such column.") % {"field": targets[name].label}
            )
            continue
        if index in seen:
            problems.append(
                _("The same column is chosen for “%(first)s” and “%(second)s”.")
                % {"first": targets[seen[index]].label, "second": targets[name].label}
            )
        seen[index] = name
    for target in targets.values():
        if target.required and target.name not in mapping:
            problems.append(
                _("Choose the column that holds “%(field)s”.") % {"field": target.label}
            )
    if not (
        {"ine", "school_number", "source_id", "pupil_name"} & mapping.keys()
        or {"last_name", "first_name"} <= mapping.keys()
    ):
        problems.append(
            _(
                "Choose how pupils are identified: the INE, the pupil number (ELENOET), the SIECLE "
                "id, the pupil column "
                "(surname and first name together), or both surname and first name."
            )
        )
    if kind in KINDS_WITH_PERIOD and "period" not in mapping and not period_given:
        problems.append(
            _("Choose the period column, or give the period of the whole file at upload.")
        )
    return problems


@transaction.atomic
def column_mapping_save(
    *, actor: Membership, kind: str, headers: list[str], mapping: Mapping, preset: str = ""
) -> ColumnMapping:
    """Record the mapping ``actor`` confirmed for files with these headers (replacing an older one)."""
    if preset and preset not in PRESETS_BY_NAME:
        preset = ""
    column_mapping, created = ColumnMapping.objects.update_or_create(
        school_id=actor.school_id,
        kind=kind,
        header_signature=header_signature(headers),
        defaults={
            "headers": list(headers),
            "mapping": dict(mapping),
            "preset": preset,
            "confirmed_by": actor,
            "confirmed_at": clock.now(),
        },
    )
    audit_record(action="create" if created else "update", target=column_mapping, membership=actor)
    return column_mapping
