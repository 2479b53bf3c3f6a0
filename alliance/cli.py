"""The ``alliance`` command: a thin front to the management commands.

``alliance audit verify`` is the same as ``manage.py audit_verify``; any other
arguments are passed to Django's ``manage.py`` unchanged.
"""

import os
import sys

ALIASES = {("audit", "verify"): ["audit_verify"]}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance.settings")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    for prefix, replacement in ALIASES.items():
        if tuple(args[: len(prefix)]) == prefix:
            args = replacement + args[len(prefix) :]
            break
    execute_from_command_line(["alliance", *args])


if __name__ == "__main__":
    main()
