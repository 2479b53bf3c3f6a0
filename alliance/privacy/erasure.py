"""Erase a row and everything that depends on it, whatever app the dependants belong to.

The purge (``alliance.privacy.purge``) deletes a case or a pupil "with everything linked to
it". The tables linked to them grow with every feature (notes, plans, meetings, agreements,
encrypted note bodies…), mostly with ``on_delete=PROTECT``, so Django's own cascade cannot be
used and a hand-kept list would drift. Instead the rows are found by walking the reverse
relations of the models (every foreign key, one-to-one and many-to-many table pointing at a row
already found), level by level, until nothing new turns up; then they are deleted children
first. A nullable ``SET_NULL`` link is cleared rather than followed: such a row belongs to
something else (a job outliving its file).

Some references are not foreign keys (a public id copied into another table). Those are listed
in ``NON_FK_REFERENCES`` and erased with the rows they name. The audit trail is the exception
on purpose: it keeps public ids, never content, and is trimmed by its own retention (12
months); once the pupil's rows are gone, those random ids point at nothing.
"""

from __future__ import annotations

import graphlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db import models

#: ``(model label, field name, root label)``: rows of ``model`` whose ``field`` holds the
#: public id of an erased row of ``root label`` are erased with it. Add here any table that
#: refers to a pupil or a case without a foreign key.
NON_FK_REFERENCES: tuple[tuple[str, str, str], ...] = ()

#: Tables never walked into: they keep ids by design and have their own retention.
NEVER_ERASED = frozenset({"audit.auditevent", "audit.auditanchor"})

_CHUNK = 500


def _reverse_links(model: type[models.Model]) -> Iterable[models.ForeignKey[Any, Any]]:
    """The foreign keys (one-to-ones, many-to-many tables) of other models pointing at ``model``."""
    for rel in model._meta.get_fields(include_hidden=True):
        if not rel.auto_created or rel.concrete:
            continue
        if not (rel.one_to_many or rel.one_to_one):
            continue
        remote = rel.remote_field
        if isinstance(remote, models.ForeignKey) and not remote.model._meta.abstract:
            yield remote


@dataclass
class Erasure:
    """The rows to delete (by model), and the links to clear first."""

    rows: dict[type[models.Model], set[Any]] = field(default_factory=dict)
    clear: list[tuple[type[models.Model], str, set[Any]]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {m._meta.label_lower: len(pks) for m, pks in self.rows.items() if pks}

    def add(self, model: type[models.Model], pks: Iterable[Any]) -> set[Any]:
        known = self.rows.setdefault(model, set())
        new = set(pks) - known
        known.update(new)
        return new


def collect(
    model: type[models.Model], pks: Iterable[Any], erasure: Erasure | None = None
) -> Erasure:
    """Every row that depends on the rows ``pks`` of ``model``, through any chain of links."""
    erasure = erasure or Erasure()
    queue: list[tuple[type[models.Model], set[Any]]] = [(model, erasure.add(model, pks))]
    while queue:
        current, new_pks = queue.pop()
        if not new_pks:
            continue
        for fk in _reverse_links(current):
            child = fk.model._meta.concrete_model
            assert child is not None
            if child._meta.label_lower in NEVER_ERASED:
                continue
            if fk.remote_field.on_delete is models.SET_NULL:
                erasure.clear.append((child, fk.name, set(new_pks)))
                continue
            found = child._base_manager.filter(**{f"{fk.name}__in": new_pks}).values_list(
                "pk", flat=True
            )
            queue.append((child, erasure.add(child, found)))
        for label, field_name, root in NON_FK_REFERENCES:
            if root != current._meta.label_lower:
                continue
            public_ids = current._base_manager.filter(pk__in=new_pks).values_list(
                "public_id", flat=True
            )
            other = apps.get_model(label)
            found = other._base_manager.filter(
                **{f"{field_name}__in": [str(p) for p in public_ids]}
            ).values_list("pk", flat=True)
            queue.append((other, erasure.add(other, found)))
    return erasure


def _deletion_order(models_found: Iterable[type[models.Model]]) -> list[type[models.Model]]:
    """Children before the rows they point at (a table is deleted before the tables it refers to)."""
    found = set(models_found)
    sorter: graphlib.TopologicalSorter[type[models.Model]] = graphlib.TopologicalSorter()
    for model in found:
        sorter.add(model)
        for f in model._meta.concrete_fields:
            target = f.related_model if f.is_relation else None
            if isinstance(target, type) and target in found and target is not model:
                sorter.add(target, model)  # ``model`` rows go first
    return list(sorter.static_order())


def erase(erasure: Erasure) -> dict[str, int]:
    """Clear the ``SET_NULL`` links, then delete every collected row, children first.

    Must run inside the caller's transaction. Returns the number of rows deleted per table.
    """
    for model, field_name, pks in erasure.clear:
        model._base_manager.filter(**{f"{field_name}__in": pks}).update(**{field_name: None})
    deleted: dict[str, int] = {}
    for model in _deletion_order(m for m, pks in erasure.rows.items() if pks):
        ordered = sorted(erasure.rows[model])
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start : start + _CHUNK]
            _total, per_model = model._base_manager.filter(pk__in=chunk).delete()
            for label, count in per_model.items():
                deleted[label.lower()] = deleted.get(label.lower(), 0) + count
    return deleted
