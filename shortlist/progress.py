"""Progress on stderr for long reads and writes: shown only on a terminal, never when piped."""

from __future__ import annotations

import sys
from pathlib import Path
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)


class Reporter:
    """Reports stages (`stage`) and files read (`file`). A no-op unless `enabled`."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    @classmethod
    def for_terminal(cls, quiet: bool) -> Reporter:
        return cls(enabled=not quiet and sys.stderr.isatty())

    def __enter__(self) -> Reporter:
        if self.enabled:
            self._progress = Progress(
                SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                MofNCompleteColumn(), TimeElapsedColumn(),
                console=Console(stderr=True), transient=True)
            self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def stage(self, description: str) -> None:
        """A step whose length is unknown (scoring, writing)."""
        if self._progress is None:
            return
        if self._task is not None:
            self._progress.remove_task(self._task)
        self._task = self._progress.add_task(description, total=None)
        self._progress.refresh()

    def file(self, i: int, n: int, path: Path) -> None:
        """File i (0-based) of n is about to be read."""
        if self._progress is None:
            return
        description = f"Reading {path.name}"
        if self._task is None or self._progress.tasks[-1].total != n:
            self.stage(description)
            assert self._task is not None
            self._progress.update(self._task, total=n)
        self._progress.update(self._task, completed=i, description=description, refresh=True)
