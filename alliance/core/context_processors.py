"""Template context shared by every page: the acting membership and the switcher."""

from django.http import HttpRequest

from alliance.charter.selectors import has_adhered_to_current


def alliance(request: HttpRequest) -> dict[str, object]:
    membership = getattr(request, "membership", None)
    return {
        "membership": membership,
        "memberships": getattr(request, "memberships", []),
        "current_school": membership.school if membership else None,
        "charter_ok": has_adhered_to_current(membership),
    }
