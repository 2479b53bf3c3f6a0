"""The official side: anything that could feed a pupil's official school records.

Charter art. 4b: *the fact of benefiting from a parcours may not be written in any official
document meant to follow the young person through their schooling or civic life* (bulletins,
livret scolaire unique, dossier scolaire, SIECLE, Affelnet/Parcoursup files…).

Alliance generates nothing for those records today, by design: every document it makes is an
internal document, marked as such on every page (``alliance.core.pdf.internal_marking``). This
package is the one place where code that hands data *back* to the school's official tools may
ever live (a roster export to SIECLE, a class list for a report-card tool…), so that the
boundary is in the code, not in good intentions (docs/decisions/0015):

1. *Imports.* Nothing here may import the case side — ``alliance.cases``, ``alliance.meetings``,
   ``alliance.plans``, ``alliance.agreements``, ``alliance.coordination``, ``alliance.privacy``,
   ``alliance.vault``, ``alliance.detection`` (observations, watchlist, engine) — directly or
   through another module. The import-linter contract in ``pyproject.toml`` says so; ``make
   lint`` and ``tests/test_official_boundary.py`` run it.
2. *Templates.* Official templates live under ``templates/official/`` and are rendered only
   through ``official_render``, which refuses any case-side object in the context; the boundary
   test renders each of them with case data carrying a marker and checks the marker is absent.
3. *Marking.* Official output does not carry the internal marking (it is not an Alliance
   document); everything else Alliance generates does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models
from django.template.loader import render_to_string

#: Where official templates live (under any template directory).
TEMPLATE_PREFIX = "official/"

#: The apps and modules of the case side: the official side may neither import them nor be
#: given any of their objects. Kept in step with the import-linter contract (a test checks).
CASE_SIDE_MODULES: tuple[str, ...] = (
    "alliance.agreements",
    "alliance.cases",
    "alliance.coordination",
    "alliance.detection",
    "alliance.meetings",
    "alliance.plans",
    "alliance.privacy",
    "alliance.vault",
)


class OfficialBoundaryError(RuntimeError):
    """Case-side data was handed to the official side (charter art. 4b)."""


def _is_case_side(value: Any) -> bool:
    module = type(value).__module__
    if isinstance(value, models.QuerySet):
        module = value.model.__module__
    return any(module == m or module.startswith(f"{m}.") for m in CASE_SIDE_MODULES)


def _walk(value: Any, depth: int = 0) -> Iterable[Any]:
    yield value
    if depth > 4:
        return
    if isinstance(value, Mapping):
        for item in value.values():
            yield from _walk(item, depth + 1)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _walk(item, depth + 1)


def check_official_context(context: Mapping[str, Any]) -> None:
    """Refuse a context holding any object (or queryset) of the case side, however nested."""
    for name, value in context.items():
        for item in _walk(value):
            if _is_case_side(item):
                raise OfficialBoundaryError(
                    f"the official side may not receive case data: {name!r} holds a "
                    f"{type(item).__module__}.{type(item).__name__}"
                )


def official_render(template_name: str, context: Mapping[str, Any]) -> str:
    """Render an official template (``official/…``) after checking its context."""
    if not template_name.startswith(TEMPLATE_PREFIX):
        raise OfficialBoundaryError(f"{template_name} is not an official template")
    check_official_context(context)
    return render_to_string(template_name, dict(context))
