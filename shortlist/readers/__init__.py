"""Reading applications: files and folders in, one tidy row per applicant out.

Every applicant read keeps its source (file, sheet, row), and every problem names its cell.
Nothing is dropped or guessed: a bad value makes its applicant invalid (still listed); a file
that cannot be read at all is reported as unreadable.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InputNotFound, Problem
from ..paths import display_path
from ..role import Role
from .assemble import BLANK, assemble
from .blocks import Block
from .form import find_form_header, read_form
from .guard import DEFAULT_LIMITS, Limits
from .sources import (
    FOLDER_SUFFIXES,
    SUPPORTED_SUFFIXES,
    TEXT_SUFFIXES,
    Sheet,
    Unreadable,
    load_sheets,
)
from .table import HEADER_SEARCH_ROWS, ColumnMatcher, find_header, read_table

__all__ = ["BLANK", "DEFAULT_LIMITS", "Applications", "InputSummary", "Limits", "expand_inputs",
           "read_applications", "read_file"]


@dataclass
class InputSummary:
    file: str
    sha256: str
    applicants: int
    layout: str | None = None
    sheet: str | None = None
    readable: bool = True
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "sha256": self.sha256, "applicants": self.applicants}


@dataclass
class Applications:
    """Every applicant read, one row each in `frame`, with their problems in `errors`.

    `frame` columns: `applicant_id`, one per role field (text; `guaranteed_interview` as
    bool), `file`, `sheet`, `row`, and per criterion `level:ID` (level index, -1 when blank
    or unreadable), `unreadable:ID` (the rating could not be read), `evidence:ID` (text) and
    `words:ID` (word count).
    """

    role: Role
    frame: pd.DataFrame
    errors: list[list[Problem]]
    problems: list[Problem]
    inputs: list[InputSummary]

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def unreadable(self) -> list[Problem]:
        """The errors of the files that could not be read at all."""
        unread = {i.file for i in self.inputs if not i.readable}
        return [p for p in self.problems if p.is_error and p.file in unread]

    @property
    def has_errors(self) -> bool:
        return any(p.is_error for p in self.problems)


def expand_inputs(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[Problem]]:
    """Files as given, and folders as every spreadsheet in them (not hidden or lock files).

    Raises `InputNotFound` for a path that does not exist; a folder's other files and a file
    given twice are reported as warnings.
    """
    files: list[Path] = []
    notes: list[Problem] = []
    seen: set[Path] = set()
    for raw in paths:
        p = Path(raw)
        if not p.exists():
            raise InputNotFound(f"input {raw} does not exist")
        if p.is_dir():
            found, keys = [], []
            folder = p.resolve()
            with os.scandir(p) as entries:
                children = sorted(entries, key=lambda e: e.name)
            for entry in children:
                if entry.name.startswith((".", "~$")) or not entry.is_file():
                    continue
                child = p / entry.name
                if child.suffix.lower() in FOLDER_SUFFIXES:
                    found.append(child)
                    # Only a link needs resolving on its own: the folder was resolved once.
                    keys.append(child.resolve() if entry.is_symlink() else folder / entry.name)
                else:
                    notes.append(Problem(
                        "not-a-spreadsheet", "is not a spreadsheet (.xlsx, .xlsm, .xls, .ods, "
                        ".csv); skipped (name a .txt file on its own to read it as CSV)",
                        display_path(child), severity="warning"))
            if not found:
                raise InputNotFound(f"folder {raw} holds no spreadsheets (.xlsx, .xlsm, .xls, "
                                    ".ods, .csv)")
        else:
            found, keys = [p], [p.resolve()]
        for f, key in zip(found, keys, strict=True):
            if key in seen:
                notes.append(Problem("repeated-input", "is given more than once; read once",
                                     display_path(f), severity="warning"))
                continue
            seen.add(key)
            files.append(f)
    return files, notes


FileRead = tuple[list[Block], InputSummary, list[Problem]]


def read_file(path: Path, role: Role, limits: Limits = DEFAULT_LIMITS) -> FileRead:
    """Read one file: its applicant blocks, a summary, and file-level problems."""
    display = display_path(path)
    suffix = path.suffix.lower()
    data: bytes | None = None
    try:
        size = path.stat().st_size
        if suffix in TEXT_SUFFIXES and size <= limits.max_file_bytes:
            data = path.read_bytes()  # read once: hashed here, parsed by the CSV reader
            data_hash = hashlib.sha256(data).hexdigest()
        else:
            data_hash = _sha256(path)
    except OSError as exc:
        problem = Problem("unreadable-file", f"cannot be opened ({exc.strerror or exc})",
                          display)
        return [], InputSummary(display, "", 0, readable=False), [problem]
    summary = InputSummary(display, data_hash, 0)
    problems: list[Problem] = []
    if suffix not in SUPPORTED_SUFFIXES:
        summary.readable = False
        return [], summary, [Problem(
            "unsupported-file", f"has suffix {suffix or '(none)'!r}; expected one of "
            ".xlsx, .xlsm, .xls, .ods, .csv", display)]
    try:
        if size == 0:
            raise Unreadable(Problem("empty-file", "is empty (0 bytes)", display))
        sheets = load_sheets(path, display, limits, data=data)
    except Unreadable as exc:
        summary.readable = False
        return [], summary, [exc.problem]
    except OSError as exc:
        summary.readable = False
        return [], summary, [Problem("unreadable-file",
                                     f"cannot be read ({exc.strerror or exc})", display)]
    for sheet in sheets:
        summary.notes.extend(sheet.notes)
    blocks, problems = _read_sheets(sheets, role, display)
    if not blocks:
        summary.readable = False
    else:
        summary.layout = blocks[0].layout
        summary.sheet = blocks[0].sheet
        summary.applicants = sum(len(b) for b in blocks)
        if len(sheets) > 1:  # say which sheet was read (a hidden decoy is not)
            names = dict.fromkeys(b.sheet for b in blocks if b.sheet is not None)
            summary.notes.append("read sheet " + ", ".join(repr(n) for n in names))
    return blocks, summary, problems


def _read_sheets(sheets: list[Sheet], role: Role, display: str) -> tuple[list[Block],
                                                                         list[Problem]]:
    problems: list[Problem] = []
    if not sheets or all(not s.rows for s in sheets):
        return [], [Problem("empty-file", "holds no cells; expected applicants' data",
                            display)]
    visible = [s for s in sheets if s.visible and s.rows]
    for s in visible:
        form_header = find_form_header(s)
        if form_header is not None:
            return [read_form(sheets, s, form_header, role, display)], problems
    matcher = ColumnMatcher(role)
    chosen: list[Block] = []
    best_guess: tuple[Sheet, Any] | None = None
    for s in sheets:
        header = find_header(s, matcher) if s.rows else None
        if header is None:
            continue
        if header.has_id and header.criteria_found:
            if s.visible:
                chosen.append(read_table(s, header, role, display))
            else:
                problems.append(Problem(
                    "hidden-sheet", "is hidden and looks like applications; not read (only "
                    "visible sheets are read: unhide it if it is meant to be)", display,
                    s.name, severity="warning"))
        elif s.visible and best_guess is None:
            best_guess = (s, header)
    if chosen:
        if len(chosen) > 1:
            problems.extend(Problem("sheet-read", f"is read ({len(b)} applicants)", display,
                                    b.sheet, severity="info") for b in chosen)
        if not any(len(b) for b in chosen):
            problems.append(Problem("no-applicants", "has a header row but no applicants "
                                    "under it", display, chosen[0].sheet, severity="warning"))
        return chosen, problems
    if best_guess is not None:
        s, header = best_guess
        return [], [Problem(
            "no-header", "has criterion columns but no applicant id column; expected a "
            "header such as 'Applicant ID', 'ID' or 'Candidate number'", display, s.name,
            s.row_number(header.row_index))]
    example = ", ".join(f"'{c.id}'" for c in role.criteria[:3])
    return [], [*problems, Problem(
        "no-header", "has no header row naming an applicant id column ('Applicant ID', "
        f"'ID', 'Candidate number'…) and criterion columns ({example}…), and is not an "
        "application form (no 'Criterion ID | … | Your rating' table); "
        + _searched(sheets), display, sheets[0].name if len(sheets) == 1 else None)]


def _searched(sheets: list[Sheet]) -> str:
    """Where a header was looked for, for a message: 'searched sheet 'Data', rows 1–50 (of
    1,200)', or a few sheets in turn; 'searched lines 1–12 (all it holds)' for a CSV."""
    def rows_of(s: Sheet) -> str:
        n = len(s.rows)
        if not n:
            return "(no cells)"
        seen = min(n, HEADER_SEARCH_ROWS)
        what = "lines" if s.lines is not None else "rows"
        span = f"{what} {s.row_number(0)}–{s.row_number(seen - 1)}" if seen > 1 \
            else f"{what[:-1]} {s.row_number(0)}"
        return span + (f" (of {n:,})" if n > seen else " (all it holds)")

    if len(sheets) == 1:
        s = sheets[0]
        return f"searched {rows_of(s)}" if s.name is None else \
            f"searched sheet {s.name!r}, {rows_of(s)}"
    shown = [("" if s.visible else "hidden ") + f"{s.name!r} {rows_of(s)}" for s in sheets[:6]]
    more = f", and {len(sheets) - 6} more" if len(sheets) > 6 else ""
    return f"searched {len(sheets)} sheets: " + "; ".join(shown) + more


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_applications(role: Role, paths: Sequence[str | os.PathLike[str]], *,
                      limits: Limits = DEFAULT_LIMITS,
                      on_file: Callable[[int, int, Path], None] | None = None) -> Applications:
    """Read every input for `role`. Never raises for bad content: problems are collected.

    `limits` bound what a file may cost before it is refused; `on_file(i, n, path)` is called
    before each file is read (for progress displays).
    """
    files, notes = expand_inputs(paths)
    problems: list[Problem] = list(notes)
    blocks: list[Block] = []
    inputs: list[InputSummary] = []
    for i, f in enumerate(files):
        if on_file is not None:
            on_file(i, len(files), f)
        file_blocks, summary, file_problems = read_file(f, role, limits)
        inputs.append(summary)
        problems.extend(file_problems)
        blocks.extend(file_blocks)
    frame, errors, warnings = assemble(role, blocks)
    for b in blocks:
        problems.extend(b.block_errors)
        problems.extend(b.warnings)
    for row_errors in errors:
        problems.extend(row_errors)
    problems.extend(warnings)
    return Applications(role, frame, errors, _in_reading_order(_dedupe(problems), inputs),
                        inputs)


def _in_reading_order(problems: list[Problem], inputs: list[InputSummary]) -> list[Problem]:
    """Problems file by file in the order read, then by sheet and row (stable otherwise)."""
    order = {i.file: k for k, i in enumerate(inputs)}
    return sorted(problems, key=lambda p: (order.get(p.file or "", -1), p.sheet or "",
                                           p.row if p.row is not None else 0))


def _dedupe(problems: list[Problem]) -> list[Problem]:
    seen: set[Problem] = set()
    out = []
    for p in problems:
        if p not in seen:
            seen.add(p)
            out.append(p)
    return out
