"""Problems and exceptions.

Every problem `shortlist` finds in a role file or an input is a typed value with a location,
so that a person can go straight to the cell (or the role-file entry) and fix it. Validation
collects every problem it can find and reports them together rather than stopping at the first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True)
class Column:
    """A column of an input file, as a problem names it: its header as written in the file
    (None if it has none) and its spreadsheet letter (None in a CSV, which has no letters)."""

    header: str | None
    letter: str | None = None

    @property
    def label(self) -> str:
        """How people are shown it: ``K "E2 rating"``, ``K``, or ``"E2 rating"`` in a CSV."""
        return column_label(self.header, self.letter)


def column_label(header: str | None, letter: str | None) -> str:
    """A column for people from its header as written and its letter (either may be None):
    ``K "E2 rating"``; ``K`` when it has no header; ``"E2 rating"`` when it has no letter."""
    if letter and header is not None and header != letter:
        return f'{letter} "{header}"'
    if letter:
        return letter
    return f'"{header}"' if header is not None else ""


@dataclass(frozen=True)
class Problem:
    """One problem in an input file, located as precisely as it can be.

    `type` is a short stable slug (``unknown-rating``, ``duplicate-id``…) that scripts can
    match on; `message` says what was found and what would have been accepted.
    `row` is the spreadsheet row number (1-based, as shown by Excel) or the CSV line number.
    `column` is the column as people are shown it (``K "E2 rating"``); `header` is its header
    as written in the file and `column_letter` its letter (None in a CSV). Scripts match on
    `column_name` (the header, or the letter of a column without one), which is what the
    JSON ``column`` key holds.
    """

    type: str
    message: str
    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    severity: Severity = "error"
    column_letter: str | None = None
    header: str | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    @property
    def column_name(self) -> str | None:
        """The column's header as written in the file, or its letter if it has no header."""
        if self.header is not None:
            return self.header
        return self.column_letter if self.column_letter is not None else self.column

    def at(self, column: Column | None) -> Problem:
        """This problem located at `column` (its label, header and letter)."""
        if column is None:
            return self
        return replace(self, column=column.label, column_letter=column.letter,
                       header=column.header)

    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.sheet:
            parts.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.location()
        return f"{where}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "severity": self.severity,
            "file": self.file,
            "sheet": self.sheet,
            "row": self.row,
            "column": self.column_name,
            "column_letter": self.column_letter,
            "message": self.message,
        }


@dataclass(frozen=True)
class RoleProblem:
    """One problem in a role file: which file, which criterion (or table), which field."""

    file: str
    message: str
    criterion: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.criterion:
            where.append(self.criterion)
        if self.field:
            where.append(f"field {self.field!r}")
        return f"{', '.join(where)}: {self.message}"


class ShortlistError(Exception):
    """Base of every error `shortlist` raises on purpose; the CLI shows it without a traceback."""


class RoleError(ShortlistError):
    """A role file could not be loaded; carries every problem found in it."""

    def __init__(self, problems: Iterable[RoleProblem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class RoleNotFound(ShortlistError):
    """A role id or path names no role file."""


@dataclass
class UnreadableInputs(ShortlistError):
    """One or more input files could not be read at all, so no honest ranking can be made."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        files = sorted({p.file or "?" for p in self.problems})
        lines = [f"{len(files)} input file(s) could not be read:"]
        lines += [f"  {p}" for p in self.problems]
        return "\n".join(lines)


class InputNotFound(ShortlistError):
    """An input path does not exist or holds no spreadsheets."""


class OutputError(ShortlistError):
    """An output could not be written (it exists, it is an input, or the disk refused)."""


class ApplicantNotFound(ShortlistError):
    """`explain` was asked about an applicant id that no input holds."""
