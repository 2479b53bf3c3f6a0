"""Errors of a roster import."""

from alliance.core.textfiles import FileError


class RosterError(FileError):
    """A roster file that cannot be imported: every listed problem is located in the file.

    Nothing has been written when it is raised.
    """


class PlanChanged(Exception):
    """The import would no longer do what its dry run announced; nothing was written.

    Raised when the pupils recorded changed between the dry run and its confirmation.
    """
