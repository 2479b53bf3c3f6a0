"""Per-request context (the request id) available to services without passing the request."""

import contextvars
import uuid

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")


def new_request_id() -> str:
    value = uuid.uuid4().hex
    _request_id.set(value)
    return value


def set_request_id(value: str) -> contextvars.Token[str]:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token[str]) -> None:
    _request_id.reset(token)


def current_request_id() -> str:
    """The id of the request being served, or ``""`` outside a request (commands, tasks)."""
    return _request_id.get()
