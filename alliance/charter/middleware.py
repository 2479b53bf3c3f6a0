"""The charter gate (art. 3 and 5): no adhesion to the current version, no access."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve

from alliance.charter.selectors import has_adhered_to_current

#: The only pages a member who has not adhered may reach.
OPEN_URL_NAMES = frozenset(
    {
        "login",
        "logout",
        "charter",
        "charter_adhere",
        "charter_publish",
        "school_switch",
        "set_language",
    }
)


class CharterGateMiddleware:
    """Send a member who has not adhered to the current charter to the charter page.

    Pupil data is also filtered out by the visibility selectors themselves; this
    gate makes the rule visible and covers every page, export and API alike.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = getattr(request, "membership", None)
        if membership is not None and not has_adhered_to_current(membership):
            try:
                name = resolve(request.path_info).url_name
            except Resolver404:
                name = None
            if name not in OPEN_URL_NAMES and not request.path_info.startswith("/static/"):
                return redirect("charter")
        return self.get_response(request)
