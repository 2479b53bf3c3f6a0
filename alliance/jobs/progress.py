"""Progress of a long operation, reported to whoever watches it.

An import calls ``stage`` and ``advance``; ``JobProgress`` writes the numbers on the
job's row (read by the progress page every second), ``TerminalProgress`` draws a bar
on the command line. Both throttle, so reporting every row costs nothing.
"""

import time
from typing import Any, Protocol

from alliance.jobs.models import ImportJob, JobStage


class Progress:
    """Receives progress; this base ignores it (for callers that do not watch)."""

    def __init__(self) -> None:
        self.stage_name = ""
        self.done = 0
        self.total = 0

    def stage(self, name: str, total: int | None = None) -> None:
        """A new stage begins; ``total`` (when given) resets the count of items to do."""
        self.stage_name = name
        if total is not None:
            self.total = total
            self.done = 0
        self.report(force=True)

    def advance(self, count: int = 1) -> None:
        self.done = min(self.done + count, self.total) if self.total else self.done + count
        self.report(force=False)

    def finish(self) -> None:
        self.done = self.total
        self.report(force=True)

    def report(self, *, force: bool) -> None:
        """Show or store the current numbers; ``force`` for a stage change or the end."""


class JobProgress(Progress):
    """Writes progress on an ``ImportJob`` row, at most every ``interval`` seconds.

    The row is written in autocommit, outside the import's own transaction, so the
    progress page sees it at once (the import writes its data in one short
    transaction at the end).
    """

    def __init__(self, job_pk: int, *, total: int = 0, interval: float = 0.5) -> None:
        super().__init__()
        self.job_pk = job_pk
        self.total = total
        self.interval = interval
        self._last = 0.0

    def report(self, *, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._last < self.interval:
            return
        self._last = now
        ImportJob.objects.filter(pk=self.job_pk).update(
            stage=self.stage_name, progress_done=self.done, progress_total=self.total
        )


class Stream(Protocol):
    def write(self, text: str, /) -> object: ...

    def flush(self) -> object: ...


class TerminalProgress(Progress):
    """A text progress bar: ``[#########.........]  45 %  900/2000 — Reading the file``."""

    WIDTH = 30

    def __init__(self, stream: Stream) -> None:
        super().__init__()
        self.stream = stream
        self._shown: tuple[str, int] | None = None
        self._drawn = False

    def report(self, *, force: bool) -> None:
        percent = self.done * 100 // self.total if self.total else 0
        if not force and self._shown == (self.stage_name, percent):
            return
        self._shown = (self.stage_name, percent)
        filled = self.WIDTH * percent // 100
        bar = "#" * filled + "." * (self.WIDTH - filled)
        label = JobStage(self.stage_name).label if self.stage_name in JobStage.values else ""
        line = f"[{bar}] {percent:3d} %  {self.done}/{self.total}"
        if label:
            line += f" — {label}"
        self.stream.write("\r" + line.ljust(100))
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the bar's line, so what follows starts on a new one."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


class CommandStream:
    """A management command's ``stdout``/``stderr`` as a ``Stream``, without its automatic line ends."""

    def __init__(self, wrapper: Any) -> None:
        self.wrapper = wrapper

    def write(self, text: str) -> int:
        self.wrapper.write(text, ending="")
        return len(text)

    def flush(self) -> None:
        self.wrapper.flush()
