"""Job handlers by name. A domain app registers its handler when it is ready (``AppConfig.ready``).

A handler receives the job and a ``Progress`` and returns the result summary (JSON,
no personal data). It raises ``JobFailed`` when the import is refused for a reason
the person can act on (a located problem in the file); anything else is an
unexpected failure, logged for the operators.
"""

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alliance.jobs.models import ImportJob
    from alliance.jobs.progress import Progress

Handler = Callable[["ImportJob", "Progress"], dict[str, Any]]

_HANDLERS: dict[str, Handler] = {}


class JobFailed(Exception):
    """The job could not do its work, for a reason worded for the person who started it.

    Nothing has been written. ``result`` may carry counts to show beside the message.
    """

    def __init__(self, message: str, result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.result = result or {}


def register(name: str) -> Callable[[Handler], Handler]:
    def decorator(handler: Handler) -> Handler:
        _HANDLERS[name] = handler
        return handler

    return decorator


def get_handler(name: str) -> Handler:
    try:
        return _HANDLERS[name]
    except KeyError:
        raise LookupError(f"no job handler registered as {name!r}") from None
