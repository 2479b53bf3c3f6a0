"""Turn a decryption failure anywhere in a request into an error page (fail closed)."""

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from alliance.vault.crypto import DecryptionError

logger = logging.getLogger("alliance.vault")


class DecryptionErrorMiddleware:
    """A value that does not decrypt yields a 500 page saying so, never the data or a blank.

    The log line names the exception's message (key ids and model names, never content).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DecryptionError):
            return None
        logger.error("decryption failed on %s: %s", request.path_info, exception)
        html = render_to_string("vault/decryption_failed.html", request=request)
        return HttpResponse(html, status=500)
