"""Roster import (placeholder: being written)."""

from dataclasses import dataclass


class RosterError(Exception):
    """A located problem in a roster file."""


@dataclass
class RosterReport:
    created: int = 0


def roster_import_file(*, actor, data: bytes, filename: str, dry_run: bool):  # noqa: ANN001
    raise NotImplementedError
