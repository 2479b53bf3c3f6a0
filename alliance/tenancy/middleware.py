"""Resolve the acting membership (hence the current school) once per request."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from alliance.tenancy.selectors import live_memberships_of

SESSION_KEY = "alliance_membership"


class CurrentMembershipMiddleware:
    """Set ``request.membership`` (or ``None``) and ``request.memberships``.

    The membership chosen with the switcher is kept in the session by public id;
    when it is no longer live (ended, user disabled), the first live one is used.
    Every query of school data is scoped by ``request.membership``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        memberships = list(live_memberships_of(request.user))
        chosen = None
        wanted = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
        if wanted:
            chosen = next((m for m in memberships if str(m.public_id) == wanted), None)
        if chosen is None and memberships:
            chosen = memberships[0]
        request.memberships = memberships  # type: ignore[attr-defined]
        request.membership = chosen  # type: ignore[attr-defined]
        return self.get_response(request)
