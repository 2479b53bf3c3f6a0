"""View guards: a live membership is needed for every school page."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse


def membership_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Logged in, with a live membership (the current school). Otherwise 404, as for a missing page."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if getattr(request, "membership", None) is None:
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def rule_required(
    predicate: Callable[[object], bool],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """The acting membership must satisfy ``predicate``; otherwise 404 (nothing leaks)."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @membership_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            if not predicate(request.membership):  # type: ignore[attr-defined]
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
