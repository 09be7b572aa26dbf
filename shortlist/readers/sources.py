"""Opening files: every supported format becomes a list of `Sheet`s of plain cell values."""

from __future__ import annotations

import csv
import io
import os
import sys
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

import numpy as np

from ..errors import Problem
from .cells import CellError
from .guard import (
    DEFAULT_LIMITS,
    MERGE_ROWS,
    PYTHON_CELL_BYTES,
    CellMarks,
    Inspection,
    Limits,
    inspect,
    memory_ceiling,
    utf16_without_bom,
)

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
    #: Cells holding a formula, as parallel arrays of indices into `rows` (i, j); the value in
    #: `rows` is the one the formula last calculated, as saved in the file.
    formula_rows: np.ndarray | None = None
    formula_cols: np.ndarray | None = None
    #: Merged ranges near the top of the sheet, as (i0, j0, i1, j1) indices into `rows`
    #: (inclusive); only the top-left cell of a range holds its value.
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    #: Some cell of `rows` is a `CellError` (an error value such as #N/A).
    has_errors: bool = False

    def row_number(self, i: int) -> int:
        return self.lines[i] if self.lines is not None else self.first_row + i

    @property
    def has_formulas(self) -> bool:
        return self.formula_rows is not None and len(self.formula_rows) > 0

    def formula_mask(self, cells: list[tuple[int, int]]) -> list[bool]:
        """For each (i, j) of `cells`, whether that cell holds a formula."""
        if not cells or self.formula_rows is None or self.formula_cols is None:
            return [False] * len(cells)
        have = self.formula_rows * (1 << 32) + self.formula_cols
        want = np.array([i * (1 << 32) + j for i, j in cells], dtype=np.int64)
        return [bool(x) for x in np.isin(want, have)]


class Unreadable(Exception):
    """A file that cannot be read at all; carries the located problem."""

    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(str(problem))


def load_sheets(path: Path, display: str, limits: Limits = DEFAULT_LIMITS, *,
                data: bytes | None = None, max_grid_bytes: int | None = None,
                inspection: Inspection | None = None) -> list[Sheet]:
    """Every worksheet of a workbook (hidden ones marked), or the one table of a CSV.

    The file is inspected first (`guard.inspect_file`; `inspection` if it was just done): a
    dangerous or mislabelled file is refused before any reader spends memory on it. `data`,
    if given, is the file's content already read (a CSV is not read again). A workbook whose
    read is estimated to need more than `max_grid_bytes` of memory raises `TooBigHere`
    instead of being read.
    """
    if inspection is None:
        inspection = inspect(path, limits)
    blocking = [p for p in inspection.problems if p.is_error]
    if blocking:
        raise Unreadable(replace(blocking[0], file=display))
    if path.suffix.lower() in TEXT_SUFFIXES:
        return [read_csv(path.read_bytes() if data is None else data, display, limits)]
    if max_grid_bytes is not None and inspection.grid_bytes > max_grid_bytes:
        raise TooBigHere(inspection.grid_bytes)
    return _read_workbook(path, display, inspection)


class TooBigHere(Exception):
    """A file to be read where memory for a large one is assured (not alongside others)."""


def inspect_workbook(path: Path, limits: Limits = DEFAULT_LIMITS) -> Inspection | None:
    """The guard's inspection of a workbook, to hand to `load_sheets`; None for a file that
    is not a workbook by its name or is empty (`load_sheets` is not asked to read it)."""
    if path.suffix.lower() not in WORKBOOK_SUFFIXES:
        return None
    try:
        if path.stat().st_size == 0:
            return None
    except OSError:
        return None
    return inspect(path, limits)


#: A workbook estimated to need at least this much memory to read is announced on stderr
#: before python-calamine opens it, and calamine's own messages are not held back: should
#: the computer run out of memory, calamine aborts the process, and these are the last words.
ANNOUNCE_BYTES = 1 << 30


def _read_workbook(path: Path, display: str, inspection: Inspection | None = None
                   ) -> list[Sheet]:
    """Every worksheet, with the guard's marks applied: error cells become `CellError`,
    formula cells and (ODS) merged ranges are recorded on the `Sheet`."""
    marks = inspection.cells if inspection is not None else None
    content = inspection.content if inspection is not None else None
    if inspection is not None and inspection.grid_bytes >= ANNOUNCE_BYTES:
        _announce(display, inspection)
        return _calamine_sheets(path, display, marks, content)
    with native_stderr_held():
        return _calamine_sheets(path, display, marks, content)


def _announce(display: str, inspection: Inspection) -> None:
    gib = inspection.grid_bytes / (1 << 30)
    try:
        sys.stderr.write(
            f"shortlist: reading {display}: its sheets' used ranges hold "
            f"{inspection.grid_cells:,} cells, which need about {gib:,.1f} GB of memory; if "
            "shortlist stops here, the computer ran out of memory: remove the stray "
            "far-away cells from the file (or copy the applicant table into a new workbook) "
            "and try again\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


@contextmanager
def native_stderr_held() -> Iterator[None]:
    """Hold what native code writes to file descriptor 2 while calamine runs.

    A panic in calamine's Rust code is caught (see `_READER_FAILURES`) and reported as an
    unreadable file, but Rust's panic hook has already printed "thread panicked at …" and
    perhaps a backtrace to stderr, which would read as a crash. That report is dropped;
    anything else written meanwhile is passed on. Should the process abort outright, what
    it wrote here is lost with it, so a file big enough for that to be a risk is read
    without this (see `ANNOUNCE_BYTES`). One thread at a time.
    """
    global _HOLDING
    with _STDERR_LOCK:
        if _HOLDING:  # within another hold: fd 2 is held already
            yield
            return
        try:
            sys.stderr.flush()
            saved = os.dup(2)
        except (OSError, ValueError):
            yield
            return
        try:
            held = _held_file()
        except OSError:
            os.close(saved)
            yield
            return
        os.dup2(held.fileno(), 2)
        _HOLDING = True
        try:
            yield
        finally:
            _HOLDING = False
            os.dup2(saved, 2)
            os.close(saved)
            held.seek(0)
            text = held.read(1 << 20)
            with suppress(OSError):
                held.truncate(0)  # not kept on disk until the next read
            if text and b"panicked at" not in text:
                os.write(2, text)


_STDERR_LOCK = threading.RLock()
_HOLDING = False
#: The file `native_stderr_held` holds output in, with the process it belongs to: made once
#: and emptied for each read (a new one per file costs more than reading a small form). A
#: forked child makes its own, as the parent's file offset is shared with it.
_HELD: tuple[int, IO[bytes]] | None = None


def _held_file() -> IO[bytes]:
    global _HELD
    pid = os.getpid()
    if _HELD is None or _HELD[0] != pid:
        _HELD = (pid, tempfile.TemporaryFile())  # noqa: SIM115 (kept for the process)
    held = _HELD[1]
    held.seek(0)
    held.truncate()
    return held


def _calamine_sheets(path: Path, display: str, marks: dict[str, CellMarks] | None,
                     content: bytes | None = None) -> list[Sheet]:
    """The sheets of the workbook at `path`, or of `content` (its bytes) if given."""
    import python_calamine as pc

    try:
        wb = pc.CalamineWorkbook.from_path(str(path)) if content is None else \
            pc.CalamineWorkbook.from_filelike(io.BytesIO(content))
    except pc.PasswordError:
        raise Unreadable(Problem(
            "password-protected", "is password-protected; save it without a password and "
            "try again", display)) from None
    except _READER_FAILURES as exc:  # calamine raises several types for damaged files
        _reraise_interrupts(exc)
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
            found = Sheet(meta.name, rows, first_row, first_col, visible)
            sheet_marks = (marks or {}).get(meta.name)
            merged = sheet.merged_cell_ranges  # xlsx and xls; None for ODS
            if merged:
                found.merges = _relative_merges(
                    found, ((r0, c0, r1, c1) for (r0, c0), (r1, c1) in merged))
            elif sheet_marks is not None and sheet_marks.merges:
                found.merges = _relative_merges(found, sheet_marks.merges)
            if sheet_marks is not None:
                _apply_marks(found, sheet_marks)
            sheets.append(found)
    except _READER_FAILURES as exc:
        _reraise_interrupts(exc)
        raise Unreadable(Problem(
            "unreadable-file", f"a sheet cannot be read ({_short(exc)})", display)) from None
    return sheets


#: What python-calamine may raise on a damaged file. Besides its own errors and ordinary
#: exceptions, a bug in the Rust code surfaces as ``pyo3_runtime.PanicException``, which
#: derives from BaseException ("range start index 116 out of range" on a damaged .xls): it
#: is caught too, so that one bad file is reported as unreadable instead of ending the run.
_READER_FAILURES = (BaseException,)


def _reraise_interrupts(exc: BaseException) -> None:
    if isinstance(exc, KeyboardInterrupt | SystemExit | GeneratorExit):
        raise exc


def _relative_merges(sheet: Sheet, merges: Any) -> list[tuple[int, int, int, int]]:
    """Merged ranges (0-based absolute) near the top, as indices into `sheet.rows`."""
    r0, c0 = sheet.first_row - 1, sheet.first_col
    out: list[tuple[int, int, int, int]] = []
    for top, left, bottom, right in merges:
        if top < MERGE_ROWS and (bottom, right) != (top, left) and len(out) < 10_000:
            out.append((top - r0, left - c0, bottom - r0, right - c0))
    return out


def _apply_marks(sheet: Sheet, marks: CellMarks) -> None:
    """Error cells read as '' become `CellError`s; formula cells are recorded."""
    r0, c0 = sheet.first_row - 1, sheet.first_col
    rows = sheet.rows
    for r, c, code in marks.errors():
        i, j = r - r0, c - c0
        if 0 <= i < len(rows) and 0 <= j < len(rows[i]) and rows[i][j] in ("", None):
            rows[i][j] = CellError.of(code)
            sheet.has_errors = True
    if marks.formula_rows:
        sheet.formula_rows = _int64(marks.formula_rows) - r0
        sheet.formula_cols = _int64(marks.formula_cols) - c0


def _int64(values: Any) -> np.ndarray:
    """An `array.array` of unsigned ints as a numpy int64 array (no per-item Python work)."""
    return np.frombuffer(values, dtype=f"=u{values.itemsize}").astype(np.int64)


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    if type(exc).__name__ == "PanicException":
        text = f"the reader failed on damaged data: {text}"
    return text[:200]


# ---------------------------------------------------------------------------------------------
# CSV


def decode_text(data: bytes, display: str) -> tuple[str, str]:
    """Bytes → text, detecting UTF-8 (with or without BOM), UTF-16 (with BOM, or without one
    when the text shows it: NUL bytes in every other place) and cp1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    elif b"\x00" in data[:4096]:
        utf16 = utf16_without_bom(data[:4096])
        if utf16 is None:
            raise Unreadable(Problem(
                "not-text", "is not a text CSV file (it contains NUL bytes); expected CSV "
                "text in UTF-8, UTF-16 or Windows-1252", display))
        encodings = [utf16]
    else:
        encodings = ["utf-8", "cp1252"]
    for enc in encodings:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    if encodings[0].startswith("utf-16"):
        raise Unreadable(Problem(
            "bad-encoding", f"looks like UTF-16 text without a byte-order mark but is not "
            f"valid {encodings[0].upper()}; save it again as UTF-8 (or as UTF-16 with a BOM, "
            "Excel's \"Unicode text\")", display))
    raise Unreadable(Problem(
        "bad-encoding", "is not readable text; expected UTF-8, UTF-16 or Windows-1252",
        display))


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


def read_csv(data: bytes, display: str, limits: Limits = DEFAULT_LIMITS) -> Sheet:
    """The one table of a CSV file, within the limits a workbook's sheet has.

    A CSV of nothing but separators is as costly as a workbook's far-away cell: a Python list
    slot per field, whatever the file's size. Records are read one at a time and the read
    stops as soon as the table (records × widest record, as for a sheet's used range) passes
    `max_cells`; a line with more separators than that is refused before it is split, and a
    field longer than `max_cell_chars` before it is built.
    """
    text, encoding = decode_text(data, display)
    del data
    delim = sniff_delimiter(text)
    ceiling = memory_ceiling() // PYTHON_CELL_BYTES
    cap = min(limits.max_cells, limits.max_total_cells, ceiling)
    lines = _Lines(text, delim, cap)
    rows: list[list[Any]] = []
    numbers: list[int] = []
    start = 1  # the line the current record starts on
    offset = 0  # and where it starts in `text`
    widest = 0
    with _CSV_LOCK:
        previous = csv.field_size_limit(max(limits.max_cell_chars, 1))
        try:
            reader = csv.reader(lines, delimiter=delim, strict=True)
            for record in reader:
                width = len(record)
                if width > widest:
                    widest = width
                rows.append(record)
                numbers.append(start)
                if len(rows) * widest > cap:
                    raise Unreadable(_csv_too_large(display, start, len(rows), widest,
                                                    limits, ceiling))
                start = reader.line_num + 1
                offset = lines.consumed
        except _TooWide as exc:
            raise Unreadable(_csv_too_large(display, lines.line, 1, exc.fields, limits,
                                            ceiling)) from None
        except csv.Error as exc:
            raise Unreadable(_csv_problem(display, str(exc), text, start, offset,
                                          limits)) from None
        finally:
            csv.field_size_limit(previous)
    sheet = Sheet(None, rows, lines=numbers)
    sheet.notes.append(f"{encoding}, {_DELIMITER_NAMES[delim]}-separated")
    return sheet


#: csv.field_size_limit is one setting for the whole process: one CSV read at a time.
_CSV_LOCK = threading.Lock()


class _TooWide(Exception):
    def __init__(self, fields: int) -> None:
        super().__init__(fields)
        self.fields = fields


class _Lines:
    """The lines of `text` for csv.reader, counted (`line`, `consumed` characters), with a
    line holding more separators than `cap` fields refused before csv splits it."""

    def __init__(self, text: str, delim: str, cap: int) -> None:
        # io.StringIO would copy the text at four bytes a character; only a file with bare
        # CR line ends (old Mac) needs its line splitting.
        bare_cr = text.count("\r") != text.count("\r\n")
        self.lines = iter(io.StringIO(text, newline="")) if bare_cr else _split_lines(text)
        self.delim = delim
        self.cap = cap
        self.line = 0
        self.consumed = 0

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.line += 1
        self.consumed += len(line)
        if len(line) > self.cap and line.count(self.delim) >= self.cap:
            raise _TooWide(line.count(self.delim) + 1)
        return line


def _split_lines(text: str) -> Iterator[str]:
    """The lines of `text`, each with its line end."""
    pos, n = 0, len(text)
    find = text.find
    while pos < n:
        end = find("\n", pos)
        if end == -1:
            yield text[pos:]
            return
        yield text[pos : end + 1]
        pos = end + 1


def _csv_too_large(display: str, line: int, records: int, widest: int, limits: Limits,
                   ceiling: int) -> Problem:
    cells = records * widest
    sep = "records" if records > 1 else "record"
    size = (f"{records:,} {sep} of up to {widest:,} fields, {cells:,} cells"
            if records > 1 else f"a record of {widest:,} fields")
    name, limit = min(("max_cells", limits.max_cells),
                      ("max_total_cells", limits.max_total_cells), key=lambda x: x[1])
    if ceiling < limit and cells > ceiling:
        why = (f"more than this computer's memory can hold, so no --limit can allow it "
               f"(about {PYTHON_CELL_BYTES} bytes a cell)")
        kind = "too-large-for-memory"
    else:
        why = (f"more than the {limit:,} cells allowed (limit {name}; raise it with --limit "
               f"{name}=N)")
        kind = "sheet-too-large"
    return Problem(kind, f"the table reaches {size} by this line, {why}; reading it would "
                   "need memory for every field. Remove the runs of extra separators (or "
                   "split the file) and try again", display, row=line)


def _csv_problem(display: str, error: str, text: str, line: int, offset: int,
                 limits: Limits) -> Problem:
    """A csv.Error as a located problem: an over-long field (the cell limit) or damage."""
    if "field larger than field limit" in error and text.count('"', offset) % 2 == 0:
        return Problem(
            "cell-too-large", f"a field of the record starting on this line is longer than "
            f"the {limits.max_cell_chars:,} characters allowed in one cell (limit "
            "max_cell_chars; raise it with --limit max_cell_chars=N)", display, row=line)
    if "field larger than field limit" in error:
        error = ("a quoted field runs on for more than "
                 f"{limits.max_cell_chars:,} characters")
    return Problem(
        "bad-csv", f"cannot be parsed as CSV ({error}); check for an unbalanced quote "
        "starting on or before this line", display, row=line)
