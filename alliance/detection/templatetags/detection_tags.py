"""Template tags of detection, for pages that belong to other apps (menu, pupil page, case page).

Each tag reads through the detection selectors with the acting membership, so the page that
includes it needs no change to its view.
"""

from typing import Any

from django import template

from alliance.cases.models import Case
from alliance.detection.observations import (
    can_record_observations,
    observations_for_case,
    observations_of_pupil,
)
from alliance.detection.perms import can_manage_detection, can_read_watchlist
from alliance.pupils.models import Pupil

register = template.Library()

#: At most this many observations in a block (the most recent).
BLOCK_LIMIT = 30


@register.simple_tag(takes_context=True)
def detection_menu(context: template.Context) -> dict[str, bool]:
    """What the menu offers: ``watchlist`` (read it), ``manage`` (the head's settings)."""
    request = context.get("request")
    membership = getattr(request, "membership", None)
    cache = getattr(request, "_detection_menu", None)
    if cache is None:
        cache = {
            "watchlist": bool(can_read_watchlist(membership)),
            "manage": bool(can_manage_detection(membership)),
        }
        if request is not None:
            request._detection_menu = cache
    return cache


@register.inclusion_tag("www/detection/_pupil_observations.html", takes_context=True)
def pupil_observations(context: template.Context, pupil: Pupil) -> dict[str, Any]:
    membership = getattr(context.get("request"), "membership", None)
    return {
        "pupil": pupil,
        "observations": list(observations_of_pupil(membership, pupil)[:BLOCK_LIMIT]),
        "can_observe": can_record_observations(membership) and pupil.left_on is None,
    }


@register.inclusion_tag("www/detection/_case_observations.html", takes_context=True)
def case_observations(context: template.Context, case: Case) -> dict[str, Any]:
    membership = getattr(context.get("request"), "membership", None)
    return {"observations": list(observations_for_case(membership, case)[:BLOCK_LIMIT])}
