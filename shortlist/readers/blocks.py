"""What a layout reader hands on: applicants' raw values with the cell each came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..errors import Column, Problem


# One string object per key, whatever the number of files: blocks sent from a worker process
# then share their keys (pickled once per batch of files, not once per form).
@lru_cache(maxsize=4096)
def rating_key_of(criterion_id: str) -> str:
    return f"rating:{criterion_id}"


@lru_cache(maxsize=4096)
def evidence_key_of(criterion_id: str) -> str:
    return f"evidence:{criterion_id}"


@dataclass
class Block:
    """Applicants read from one sheet (table layout) or one form.

    `values[key][i]` is applicant i's raw cell for `key`: a field name, `rating:E1` or
    `evidence:E1`. A key missing from `values` had no column (or form entry) at all.
    Locations: the table layout has one row per applicant (`rows[i]`) and one column per key
    (`columns[key]`); a form has one applicant and a row per key (`key_rows[key]`).
    """

    file: str
    sheet: str | None
    layout: str
    rows: list[int] = field(default_factory=list)
    values: dict[str, list[Any]] = field(default_factory=dict)
    columns: dict[str, Column] = field(default_factory=dict)
    key_rows: dict[str, int] = field(default_factory=dict)
    # Problems with the whole block (a missing column): they make every applicant in it invalid.
    block_errors: list[Problem] = field(default_factory=list)
    # Problems with single applicants, by index in this block.
    row_errors: dict[int, list[Problem]] = field(default_factory=dict)
    # Warnings and notes that invalidate nothing (unmatched columns, hidden sheets skipped).
    warnings: list[Problem] = field(default_factory=list)
    # Some value may be a `cells.CellError` (an error value such as #N/A in a workbook).
    cell_errors: bool = False

    def __len__(self) -> int:
        return len(self.rows)

    def where(self, key: str, i: int) -> tuple[int, Column | None]:
        """The (row, column) of applicant i's value for `key`, for messages."""
        return self.key_rows.get(key, self.rows[i]), self.columns.get(key)

    def problem(self, type_: str, message: str, key: str | None, i: int) -> Problem:
        row, column = self.where(key, i) if key is not None else (self.rows[i], None)
        return Problem(type_, message, self.file, self.sheet, row).at(column)

    def add_row_error(self, i: int, problem: Problem) -> None:
        self.row_errors.setdefault(i, []).append(problem)
