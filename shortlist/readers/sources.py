"""Opening files: every supported format becomes a list of `Sheet`s of plain cell values."""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ..errors import Problem
from .guard import DEFAULT_LIMITS, Limits, inspect_file

WORKBOOK_SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}
TEXT_SUFFIXES = {".csv", ".tsv", ".txt"}
SUPPORTED_SUFFIXES = WORKBOOK_SUFFIXES | TEXT_SUFFIXES
#: What a folder contributes: a .txt file in a folder is more likely a note than a CSV.
FOLDER_SUFFIXES = WORKBOOK_SUFFIXES | {".csv", ".tsv"}
DELIMITERS = (",", ";", "\t")
_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab"}


@dataclass
class Sheet:
    """One sheet's cells. `rows[i][j]` is the cell at spreadsheet row `first_row + i`
    (1-based) and column index `first_col + j` (0-based)."""

    name: str | None
    rows: list[list[Any]]
    first_row: int = 1
    first_col: int = 0
    visible: bool = True
    # CSV only: the 1-based line each record starts on (records may span lines).
    lines: list[int] | None = None
    notes: list[str] = field(default_factory=list)

    def row_number(self, i: int) -> int:
        return self.lines[i] if self.lines is not None else self.first_row + i


class Unreadable(Exception):
    """A file that cannot be read at all; carries the located problem."""

    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


def load_sheets(path: Path, display: str, limits: Limits = DEFAULT_LIMITS) -> list[Sheet]:
    """Every worksheet of a workbook (hidden ones marked), or the one table of a CSV.

    The file is inspected first (`guard.inspect_file`): a dangerous or mislabelled file is
    refused before any reader spends memory on it.
    """
    blocking = [p for p in inspect_file(path, limits) if p.is_error]
    if blocking:
        raise Unreadable(replace(blocking[0], file=display))
    if path.suffix.lower() in TEXT_SUFFIXES:
        return [read_csv(path.read_bytes(), display)]
    return _read_workbook(path, display)


def _read_workbook(path: Path, display: str) -> list[Sheet]:
    import python_calamine as pc

    try:
        wb = pc.CalamineWorkbook.from_path(str(path))
    except pc.PasswordError:
        raise Unreadable(Problem(
            "password-protected", "is password-protected; save it without a password and "
            "try again", display)) from None
    except Exception as exc:  # calamine raises several types for damaged files
        raise Unreadable(Problem(
            "unreadable-file", f"cannot be read as a {path.suffix.lower()} workbook "
            f"({_short(exc)})", display)) from None
    sheets: list[Sheet] = []
    try:
        for meta in wb.sheets_metadata:
            if str(meta.typ) != str(pc.SheetTypeEnum.WorkSheet):
                continue
            sheet = wb.get_sheet_by_name(meta.name)
            start = sheet.start
            rows = sheet.to_python()
            first_row, first_col = (start[0] + 1, start[1]) if start is not None else (1, 0)
            visible = str(meta.visible) == str(pc.SheetVisibleEnum.Visible)
            sheets.append(Sheet(meta.name, rows, first_row, first_col, visible))
    except Exception as exc:
        raise Unreadable(Problem(
            "unreadable-file", f"a sheet cannot be read ({_short(exc)})", display)) from None
    return sheets


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:200]


# ---------------------------------------------------------------------------------------------
# CSV


def decode_text(data: bytes, display: str) -> tuple[str, str]:
    """Bytes → text, detecting UTF-8 (with or without BOM), UTF-16 (with BOM) and cp1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8", "cp1252"]
    if b"\x00" in data[:4096] and encodings != ["utf-16"]:
        raise Unreadable(Problem(
            "not-text", "is not a text CSV file (it contains NUL bytes); expected CSV text in "
            "UTF-8, UTF-16 or Windows-1252", display))
    for enc in encodings:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise Unreadable(Problem(
        "bad-encoding", "is not readable text; expected UTF-8, UTF-16 (with BOM) or "
        "Windows-1252", display))


def sniff_delimiter(text: str) -> str:
    """The delimiter (comma, semicolon or tab) that splits the first lines most consistently."""
    sample = text[:65536]
    lines = [ln for ln in sample.splitlines()[:50] if ln.strip()]
    if len(sample) == 65536 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut short
    best, best_score = ",", (0, 0)
    for delim in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(io.StringIO("\n".join(lines)), delimiter=delim)]
        except csv.Error:
            continue
        if not counts:
            continue
        mode, freq = Counter(counts).most_common(1)[0]
        score = (freq, mode) if mode > 1 else (0, 0)
        if score > best_score:
            best, best_score = delim, score
    return best


def read_csv(data: bytes, display: str) -> Sheet:
    text, encoding = decode_text(data, display)
    delim = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    rows: list[list[Any]] = []
    lines: list[int] = []
    start = 1
    try:
        for record in reader:
            rows.append(record)
            lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise Unreadable(Problem(
            "bad-csv", f"cannot be parsed as CSV ({exc}); check for an unbalanced quote "
            "starting on or before this line", display, row=start)) from None
    sheet = Sheet(None, rows, lines=lines)
    sheet.notes.append(f"{encoding}, {_DELIMITER_NAMES[delim]}-separated")
    return sheet
