"""Pre-flight guard: look at a spreadsheet cheaply before python-calamine is allowed to open it.

python-calamine is fast and tolerant, but some crafted files make it misbehave in ways no
``try``/``except`` can catch: a tiny xlsx with one cell at ``XFD1048576`` makes it allocate the
whole used range (17 billion cells) and the process **aborts**; zip bombs and repeated-cell
bombs exhaust memory; entity bombs and external entities attack whatever XML parser comes next.
:func:`inspect_file` checks a file for all of these with bounded memory and without trusting
anything the file declares about itself, and returns located :class:`~shortlist.errors.Problem`
values. An empty list means calamine may open the file.

What is checked, by container:

* every file: existence, size, emptiness, and what the bytes really are compared with the
  extension (an ``.xlsx`` that is a CSV, an OLE ``.xls``, an HTML page, random bytes…);
* zip containers (xlsx, xlsm, xlsb, ods): the central directory before anything is
  decompressed (member count, declared sizes, compression ratios, overlapping members,
  encrypted or exotic members, truncation), then a streamed pass over the parts calamine reads:
  XML prologs for ``<!DOCTYPE``/``<!ENTITY`` (entity bombs, XXE), worksheets for their real used
  range (cell references, rows and cells without ``r=`` counted as calamine counts them — the
  ``<dimension>`` element is ignored because it can lie), the shared-string table and sheets
  for over-long text and for text multiplied by repeated references, and ODS ``content.xml``
  for ``number-rows-repeated`` / ``number-columns-repeated`` expansion (only repeats of
  non-empty cells and rows count: LibreOffice pads every sheet with empty repeats);
* OLE compound files: the directory is parsed (bounded) to tell an encrypted OOXML package
  (``EncryptedPackage`` stream) from an ``.xls`` workbook; ``.xls`` workbooks are walked record
  by record for ``FILEPASS`` (password), the shared-string count, declared dimensions and the
  cells' real positions;
* text files named as spreadsheets are described ("really a CSV file", "an HTML page").

The used range is measured from A1 (rows × columns up to the furthest non-empty cell), as a
reader that reports Excel row numbers or pads to A1 would allocate it.

The same streamed pass also notes, per sheet, what python-calamine does not report
(:class:`CellMarks`): cells holding an error value (``#N/A``, ``#DIV/0!``, LibreOffice's
``Err:502``…), which calamine returns as an empty string; cells holding a formula, whose
cached value calamine returns as if it had been typed; and, for ODS, merged ranges, which
calamine reports for xlsx and xls only. :func:`inspect` returns them with the problems.
"""

from __future__ import annotations

import codecs
import contextlib
import html
import io
import mmap
import os
import posixpath
import pyexpat
import re
import stat
import struct
import types
import zipfile
import zlib
from array import array
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, TypeVar, cast

from shortlist.errors import Problem

# ISA-L inflates deflate about twice as fast as zlib; zlib does the same job where it is
# missing (it is a dependency, but has no wheel for every platform).
_inflate: types.ModuleType
try:
    from isal import isal_zlib as _inflate
except ImportError:  # pragma: no cover
    _inflate = zlib
_INFLATE_ERRORS: tuple[type[Exception], ...] = (zlib.error, _inflate.error)

__all__ = [
    "DEFAULT_LIMITS",
    "ERROR_MEANINGS",
    "CellMarks",
    "FileKind",
    "Inspection",
    "Limits",
    "detect_kind",
    "inspect",
    "inspect_file",
    "utf16_without_bom",
]

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

_T = TypeVar("_T")


@dataclass(frozen=True)
class Limits:
    """Ceilings applied by :func:`inspect_file`; every one can be raised for a batch run.

    The defaults admit a national campaign in one workbook (50,000 applicants × 30 criteria
    with 120-word evidence is a 250 MB file whose sheet XML is 1.1 GB) while keeping the worst
    file that passes within a few GB of memory; the compression ratio, not the sizes, is what
    stops a zip bomb.
    """

    #: Largest file accepted at all (compressed size on disk).
    max_file_bytes: int = 512 * MiB
    #: Total *declared* uncompressed size of all members of a zip container.
    max_uncompressed_bytes: int = 4 * GiB
    #: Declared uncompressed size of any single member.
    max_member_bytes: int = 3 * GiB
    #: Uncompressed/compressed ratio allowed for members of at least `ratio_min_bytes`.
    #: Real sheet XML deflates 5-30x; zip bombs reach 1,000x with deflate.
    max_compression_ratio: float = 200.0
    #: Members smaller than this (uncompressed) are exempt from the ratio test.
    ratio_min_bytes: int = 1 * MiB
    #: Members of a zip container (an xlsx has 10-50; thousands means something is wrong).
    max_members: int = 10_000
    #: Rows of any sheet's used range (Excel's own maximum).
    max_rows: int = 1_048_576
    #: Columns of any sheet's used range (Excel's own maximum, XFD).
    max_columns: int = 16_384
    #: Cells (rows × columns, counted from A1) of any sheet's used range. calamine holds
    #: 32 bytes per cell of the used range, so 10 million cells is ~320 MB before any Python
    #: object exists.
    max_cells: int = 10_000_000
    #: Cells of the used ranges of all the sheets of one file, added up. Every sheet is
    #: loaded (each becomes about 20 bytes a cell of Python lists, kept while the file is
    #: read), so forty sheets just under `max_cells` would need gigabytes. Files are read one
    #: after another and each one's cells are let go before the next, so this bounds a run.
    max_total_cells: int = 20_000_000
    #: Characters in one run of text (one cell, one shared string, one attribute).
    #: Excel itself stops at 32,767; LibreOffice and other tools allow more.
    max_cell_chars: int = 1_000_000
    #: Characters the file would expand to through repetition: shared strings times the cells
    #: that reference them, ODS repeated non-empty cells/rows, ODS ``<text:s text:c=…>``.
    max_expanded_chars: int = 2 * GiB


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class FileKind:
    """What a file's bytes really are, whatever its name says."""

    #: ``xlsx`` (also xlsm), ``xlsb``, ``ods``, ``xls``, ``csv`` (any text), ``encrypted-ooxml``,
    #: ``biff4`` (Excel 2-4), ``html``, ``spreadsheetml-2003``, ``xml``, ``zip``, ``ole``,
    #: ``docx``, ``pptx``, ``odf``, ``doc``, ``pdf``, ``image``, ``archive``, ``empty``,
    #: ``binary``.
    kind: str
    #: For messages, e.g. "an OpenDocument spreadsheet (.ods)".
    description: str


# --------------------------------------------------------------------------------------------
# Problem types (stable slugs scripts may match on)

ZIP_BOMB = "zip-bomb"
XML_ENTITIES = "xml-entities"
SHEET_TOO_LARGE = "sheet-too-large"
WORKBOOK_TOO_LARGE = "workbook-too-large"
TOO_LARGE_FOR_MEMORY = "too-large-for-memory"
CELL_TOO_LARGE = "cell-too-large"
TEXT_TOO_LARGE = "text-too-large"
PASSWORD_PROTECTED = "password-protected"
NOT_A_SPREADSHEET = "not-a-spreadsheet"
EMPTY_FILE = "empty-file"
WRONG_EXTENSION = "wrong-extension"
TRUNCATED_FILE = "truncated-file"
CORRUPT_FILE = "corrupt-file"
FILE_TOO_LARGE = "file-too-large"
UNSUPPORTED_FORMAT = "unsupported-format"
UNREADABLE_FILE = "unreadable-file"

_CHUNK = 8 * MiB  # decompressed bytes handled at a time
_PROLOG_BYTES = 256 * KiB  # how much of an XML part is read to check its prolog
_SMALL_PART_CAP = 16 * MiB  # workbook.xml, rels, manifest: read whole only below this
#: Parts calamine reads (sheets, shared strings, workbook, rels) up to this declared size are
#: decompressed once, whole, and every check runs on that copy (dropped after its last use).
_WHOLE_CAP = 1 * MiB
#: Shared-string lengths are noted in the first pass only for tables of up to this many
#: strings (8 bytes each); larger tables are measured again if the exact count is needed.
_EAGER_SST_LENGTHS = 8_000_000
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

_EXPECTED_KINDS: dict[str, frozenset[str]] = {
    ".xlsx": frozenset({"xlsx"}),
    ".xlsm": frozenset({"xlsx"}),
    ".xlsb": frozenset({"xlsb"}),
    ".ods": frozenset({"ods"}),
    ".xls": frozenset({"xls"}),
    ".csv": frozenset({"csv"}),
    ".tsv": frozenset({"csv"}),
    ".txt": frozenset({"csv"}),
}

_KIND_TEXT = {
    "xlsx": "an Excel workbook (.xlsx)",
    "xlsb": "an Excel binary workbook (.xlsb)",
    "ods": "an OpenDocument spreadsheet (.ods)",
    "xls": "an Excel 97-2003 workbook (.xls)",
    "csv": "a CSV/text file",
    "encrypted-ooxml": "a password-encrypted Excel workbook",
}


def _fmt(n: int) -> str:
    return f"{n:,}"


def _hint(limit: str, lead: str = "") -> str:
    """What a message about an exceeded limit ends with: the limit's name and how to raise
    it, e.g. `` (limit max_cells; raise it with --limit max_cells=N)``."""
    return f"{lead} (limit {limit}; raise it with --limit {limit}=N)"


#: What one cell of a used range costs while a file is read: calamine's own cell (32 bytes)
#: while its sheet is converted, and the Python list slots and row lists it becomes (about
#: 20 bytes) for as long as the file is being read. Measured with python-calamine 0.4 on
#: sheets of empty cells; text and numbers in the cells are bounded by the other limits.
NATIVE_CELL_BYTES = 32
PYTHON_CELL_BYTES = 20


def grid_bytes(largest: int, total: int, all_at_once: bool = False) -> int:
    """Estimated peak memory for reading a file whose largest sheet's used range has
    `largest` cells and whose sheets' ranges add up to `total`. calamine decodes an .xlsx or
    .xlsb one sheet at a time; it decodes every sheet of an .xls or .ods when it opens the
    file (`all_at_once`) and hands out a copy of each sheet on top."""
    native = total + largest if all_at_once else largest
    return NATIVE_CELL_BYTES * native + PYTHON_CELL_BYTES * total


def memory_ceiling() -> int:
    """The most memory this process could have: the computer's physical memory, or less if a
    container (cgroup) or an address-space limit (``ulimit -v``, less what is mapped already)
    allows less. No limit can raise it: a file needing more cannot be read here at all."""
    found = list(_machine_memory())
    try:
        import resource

        for which in (resource.RLIMIT_AS, getattr(resource, "RLIMIT_DATA", None)):
            if which is None:
                continue
            soft = resource.getrlimit(which)[0]
            if soft != resource.RLIM_INFINITY and soft > 0:
                found.append(max(soft - _mapped_bytes(), 0))
    except (ImportError, OSError, ValueError):
        pass
    found = [n for n in found if n > 0]
    return min(found) if found else 1 << 62


@lru_cache(maxsize=1)
def _machine_memory() -> tuple[int, ...]:
    """Physical memory and the container's limit: fixed while the process runs, so read once
    (a folder of many forms asks for every file)."""
    found: list[int] = []
    with contextlib.suppress(ValueError, OSError, AttributeError):
        found.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    for name in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(name).read_text().strip()
        except OSError:
            continue
        if text.isdigit():
            found.append(int(text))
    return tuple(found)


def _mapped_bytes() -> int:
    """Virtual memory this process has mapped already (Linux; 0 elsewhere)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0


def _bytes_text(n: int) -> str:
    """1536 → '1.5 KB'; sizes for messages about memory (powers of 1024, one decimal)."""
    size = float(n)
    for unit in ("bytes", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:,.0f} {unit}" if unit == "bytes" else f"{size:,.1f} {unit}"
        size /= 1024
    return f"{n} bytes"  # pragma: no cover - the loop always returns


def _memory_refusal(need: int, ceiling: int) -> str:
    """The end of a message about a file that cannot fit in memory whatever the limits."""
    return (f"opening it would need about {_bytes_text(need)} of memory, more than the "
            f"{_bytes_text(ceiling)} this computer can give shortlist, so no --limit can allow "
            "it")


def _col_letters(n: int) -> str:
    """1 → A, 26 → Z, 27 → AA, 16384 → XFD."""
    out = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out or "?"


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ch - 64)
    return n


def _with_advice(kind: str, message: str) -> str:
    """A damaged or incomplete file's message, ending in plain words on what to do."""
    if kind == CORRUPT_FILE:
        lead = "" if "the file is damaged" in message else "the file is damaged: "
        return (f"{message}; {lead}open it in Excel or LibreOffice (which can often repair "
                "it) and save it again, or ask for a fresh copy")
    if kind == TRUNCATED_FILE:
        lead = "" if "cut short" in message or "incomplete" in message else \
            "the file is incomplete: "
        return f"{message}; {lead}copy or download it again, or ask for a fresh copy"
    return message


class _Stop(Exception):
    """Raised inside a scan once a fatal problem has been recorded for the current part."""


class _Broken(Exception):
    """A container structure is damaged; carries the problem type and message."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


# --------------------------------------------------------------------------------------------
# What the scan notes about cells

#: Spreadsheet error values and what each means, for messages. LibreOffice shows most errors
#: as ``Err:NNN`` (``Err:502`` invalid argument…) and some with Excel's names.
ERROR_MEANINGS: dict[str, str] = {
    "#NULL!": "two ranges that do not intersect",
    "#DIV/0!": "a division by zero",
    "#VALUE!": "a value of the wrong type in a formula",
    "#REF!": "a reference to a cell that no longer exists",
    "#NAME?": "a name or function the spreadsheet does not know",
    "#NUM!": "an impossible number",
    "#N/A": "a value that is not available, often a lookup that found nothing",
    "#GETTING_DATA": "data that was still being fetched when the file was saved",
    "#SPILL!": "a formula result that could not spill into its neighbouring cells",
    "#CALC!": "a calculation the spreadsheet could not do",
    "#FIELD!": "a field that does not exist in a linked data type",
    "#BLOCKED!": "a blocked external resource",
    "#CONNECT!": "an external connection that failed",
    "#BUSY!": "a calculation that was still running",
    "#UNKNOWN!": "a data type the spreadsheet does not know",
}
_BIFF_ERRORS = {0x00: "#NULL!", 0x07: "#DIV/0!", 0x0F: "#VALUE!", 0x17: "#REF!",
                0x1D: "#NAME?", 0x24: "#NUM!", 0x2A: "#N/A", 0x2B: "#GETTING_DATA"}
#: Merged ranges are noted (ODS) only where headers and form labels are looked for.
MERGE_ROWS = 200


class CellMarks:
    """Cells of one sheet that a reader must know about but python-calamine does not report.

    Positions are 0-based ``(row, column)`` as calamine numbers them (absolute, not relative to
    the used range). Stored in compact arrays (a few bytes per cell): a crafted file can hold
    millions of formula cells. At most `cap` error and `cap` formula cells are kept.
    """

    def __init__(self, cap: int = DEFAULT_LIMITS.max_cells) -> None:
        self.cap = cap
        self.error_rows: array[int] = array("I")
        self.error_cols: array[int] = array("I")
        self.error_codes: array[int] = array("H")  # index into `codes`
        self.codes: list[str] = []
        self._code_index: dict[str, int] = {}
        self.formula_rows: array[int] = array("I")
        self.formula_cols: array[int] = array("I")
        #: Merged ranges (first row, first column, last row, last column), ODS only.
        self.merges: list[tuple[int, int, int, int]] = []

    def __bool__(self) -> bool:
        return bool(self.error_rows or self.formula_rows or self.merges)

    def add_error(self, row: int, col: int, code: str) -> None:
        """An error value; `code` as the spreadsheet shows it (``#N/A``), or '' if unknown."""
        if len(self.error_rows) >= self.cap or row < 0 or col < 0 or row > 0xFFFFFFFF \
                or col > 0xFFFFFFFF:
            return
        code = code.strip()[:32]
        index = self._code_index.get(code)
        if index is None:
            if len(self.codes) >= 0xFFFF:
                code, index = "", self._code_index.get("")
            if index is None:
                index = self._code_index[code] = len(self.codes)
                self.codes.append(code)
        self.error_rows.append(row)
        self.error_cols.append(col)
        self.error_codes.append(index)

    def add_formula(self, row: int, col: int) -> None:
        if len(self.formula_rows) >= self.cap or row < 0 or col < 0 or row > 0xFFFFFFFF \
                or col > 0xFFFFFFFF:
            return
        self.formula_rows.append(row)
        self.formula_cols.append(col)

    def add_merge(self, row: int, col: int, last_row: int, last_col: int) -> None:
        if row < MERGE_ROWS and len(self.merges) < 10_000 and (last_row, last_col) != (row, col):
            self.merges.append((row, col, last_row, last_col))

    def errors(self) -> Iterator[tuple[int, int, str]]:
        """Every error cell as (row, column, code)."""
        codes = self.codes
        for r, c, k in zip(self.error_rows, self.error_cols, self.error_codes, strict=True):
            yield r, c, codes[k]

    def extend(self, other: CellMarks) -> None:
        for r, c, code in other.errors():
            self.add_error(r, c, code)
        for r, c in zip(other.formula_rows, other.formula_cols, strict=True):
            self.add_formula(r, c)
        for m in other.merges:
            self.add_merge(*m)


@dataclass
class Inspection:
    """What :func:`inspect` found: the problems (empty: safe to open) and, by sheet name, the
    cells calamine will not report faithfully (see :class:`CellMarks`)."""

    problems: list[Problem]
    cells: dict[str, CellMarks]
    #: Cells of the used ranges of all the sheets measured, added up.
    grid_cells: int = 0
    #: Estimated memory (bytes) that reading them will take at its peak (`grid_bytes`).
    grid_bytes: int = 0
    #: A small zip container's bytes, as checked: read these, not the file again (they are
    #: what was checked, even if the file has changed since).
    content: bytes | None = None


# --------------------------------------------------------------------------------------------
# Public API


def inspect(path: Path, limits: Limits = DEFAULT_LIMITS) -> Inspection:
    """Check `path` before calamine opens it: the problems found, and the sheets' error,
    formula and (ODS) merged cells.

    Never raises for anything a file contains; never decompresses more than the declared sizes
    allow; never holds more than a few chunks of decompressed data in memory (plus a few bytes
    per error or formula cell).
    """
    inspector = _Inspector(Path(path), limits)
    problems = inspector.run()
    return Inspection(problems, {k: v for k, v in inspector.marks.items() if v},
                      inspector.grid_cells, inspector.grid_need(), inspector.content)


def inspect_file(path: Path, limits: Limits = DEFAULT_LIMITS) -> list[Problem]:
    """Check `path` before calamine opens it; return the problems found (empty: safe to open).

    Never raises for anything a file contains; never decompresses more than the declared sizes
    allow; never holds more than a few chunks of decompressed data in memory.
    """
    return inspect(path, limits).problems


def detect_kind(path: Path) -> FileKind:
    """Say what a file really is from its bytes (cheap: reads the head, the zip directory or
    the OLE directory, never a whole part). Raises ``OSError`` if the file cannot be read."""
    path = Path(path)
    size = path.stat().st_size
    if size == 0:
        return FileKind("empty", "an empty file")
    with path.open("rb") as fh:
        head = fh.read(64 * KiB)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        try:
            with zipfile.ZipFile(path) as zf:
                return _classify_zip(zf)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
            return FileKind("zip", "a damaged zip archive")
    if head.startswith(_OLE_MAGIC):
        try:
            with path.open("rb") as fh, mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                return _classify_ole(_Cfb(mm, size))
        except (_Broken, struct.error, IndexError, ValueError):
            return FileKind("ole", "a damaged OLE compound file")
    return _classify_bytes(head)


# --------------------------------------------------------------------------------------------
# Sniffing


def _classify_bytes(head: bytes) -> FileKind:
    """Classify a file that is neither a zip nor an OLE compound file, from its first bytes."""
    magic: list[tuple[bytes, str, str]] = [
        (b"%PDF", "pdf", "a PDF document"),
        (b"\x89PNG", "image", "a PNG image"),
        (b"\xff\xd8\xff", "image", "a JPEG image"),
        (b"GIF8", "image", "a GIF image"),
        (b"Rar!", "archive", "a RAR archive"),
        (b"7z\xbc\xaf", "archive", "a 7-Zip archive"),
        (b"\x1f\x8b", "archive", "a gzip archive"),
        (b"{\\rtf", "rtf", "an RTF document"),
    ]
    for prefix, kind, label in magic:
        if head.startswith(prefix):
            return FileKind(kind, label)
    # Excel 2.x-4.x worksheets are bare BIFF records (no OLE container): BOF record first.
    if len(head) >= 8 and head[0] == 0x09 and head[1] in (0x00, 0x02, 0x04, 0x08):
        ln = head[2] | head[3] << 8
        if 4 <= ln <= 20:
            return FileKind("biff4", "an Excel 2.x-4.x worksheet (pre-1997 format)")
    text = _as_text(head)
    if text is None:
        return FileKind("binary", "unrecognised binary data")
    probe = text.lstrip("\ufeff \t\r\n").lower()
    if probe.startswith("<"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in probe:
            return FileKind("spreadsheetml-2003", "an Excel 2003 XML spreadsheet")
        if probe.startswith(("<!doctype html", "<html", "<table", "<head", "<body", "<meta")) or (
            "<html" in probe[:2048]
        ):
            return FileKind("html", "an HTML page")
        return FileKind("xml", "an XML document")
    return FileKind("csv", "a CSV/text file")


def utf16_without_bom(head: bytes) -> str | None:
    """``utf-16-le`` or ``utf-16-be`` if `head` (the start of a file) is UTF-16 text written
    without a byte-order mark, else None.

    Text in the Latin alphabets is mostly ASCII, and in UTF-16 every ASCII character has a
    NUL byte beside it, always on the same side: so at least a third of the characters
    must have their high byte zero, hardly any their low byte, and the whole must decode
    into text with few control characters.
    """
    n = len(head) - len(head) % 2
    if n < 4:
        return None
    pairs = n // 2
    even_nuls = head[0:n:2].count(0)
    odd_nuls = head[1:n:2].count(0)
    if odd_nuls * 3 >= pairs and even_nuls * 50 <= pairs:
        encoding = "utf-16-le"
    elif even_nuls * 3 >= pairs and odd_nuls * 50 <= pairs:
        encoding = "utf-16-be"
    else:
        return None
    try:
        text = head[:n].decode(encoding)
    except UnicodeDecodeError as exc:
        if exc.start < n - 4:  # (a surrogate pair may be cut by the read boundary)
            return None
        text = head[: exc.start].decode(encoding)
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
    return encoding if controls <= max(2, len(text) // 100) else None


def _as_text(head: bytes) -> str | None:
    """Decode the head of a file if it is plausibly text (UTF-8, UTF-16 with or without
    BOM, cp1252)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="replace")
    if b"\x00" in head:
        utf16 = utf16_without_bom(head)
        return head.decode(utf16, errors="replace") if utf16 is not None else None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 4:  # a character cut by the read boundary
            text = head[: exc.start].decode("utf-8")
        else:
            text = head.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\t\r\n\f")
    if controls > max(2, len(text[:4096]) // 100):
        return None
    return text


def _preview(head: bytes) -> str:
    text = _as_text(head) or ""
    line = text.lstrip("\ufeff \t\r\n").splitlines()[0] if text.strip() else ""
    line = "".join(ch if ch.isprintable() else " " for ch in line).strip()
    return line if len(line) <= 80 else line[:77] + "..."


def _part_key(info: zipfile.ZipInfo) -> str:
    """Name used to match parts: lower case, with Windows backslashes made slashes (calamine's
    zip reader finds ``xl\\workbook.xml`` as ``xl/workbook.xml``)."""
    return info.filename.replace("\\", "/").lower()


def _classify_zip(zf: zipfile.ZipFile) -> FileKind:
    names = {_part_key(info): info for info in zf.infolist()}
    if "mimetype" in names:
        try:
            mime = _read_capped(zf, names["mimetype"], 256).decode("ascii", "replace").strip()
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error, RuntimeError,
                NotImplementedError):
            mime = ""
        if mime.startswith("application/vnd.oasis.opendocument.spreadsheet"):
            return FileKind("ods", _KIND_TEXT["ods"])
        if mime.startswith("application/vnd.oasis.opendocument."):
            what = mime.rsplit(".", 1)[-1].split("-")[0]
            return FileKind("odf", f"an OpenDocument {what} document, not a spreadsheet")
    if "content.xml" in names and "meta-inf/manifest.xml" in names:
        return FileKind("ods", _KIND_TEXT["ods"])
    if "xl/workbook.bin" in names:
        return FileKind("xlsb", _KIND_TEXT["xlsb"])
    if "xl/workbook.xml" in names or _office_document_target(zf, names).endswith("workbook.xml"):
        return FileKind("xlsx", _KIND_TEXT["xlsx"])
    if "word/document.xml" in names:
        return FileKind("docx", "a Word document (.docx)")
    if "ppt/presentation.xml" in names:
        return FileKind("pptx", "a PowerPoint presentation (.pptx)")
    if not names:
        return FileKind("zip", "an empty zip archive")
    return FileKind("zip", "a zip archive that holds no spreadsheet")


def _classify_ole(cfb: _Cfb) -> FileKind:
    names = {e.name.lower() for e in cfb.entries if e.kind in (1, 2)}
    if "encryptedpackage" in names:
        return FileKind("encrypted-ooxml", _KIND_TEXT["encrypted-ooxml"])
    if "workbook" in names or "book" in names:
        return FileKind("xls", _KIND_TEXT["xls"])
    if "worddocument" in names:
        return FileKind("doc", "a Word 97-2003 document (.doc)")
    if "powerpoint document" in names:
        return FileKind("ppt", "a PowerPoint 97-2003 presentation (.ppt)")
    return FileKind("ole", "an OLE compound document that holds no workbook")


# --------------------------------------------------------------------------------------------
# Small zip helpers


def _read_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int) -> bytes:
    """The first `cap` bytes of a member, as ``zf.open(info).read(cap)`` gives them (with the
    same checks when the whole member is read: declared size and CRC-32)."""
    if info.compress_type != zipfile.ZIP_DEFLATED or info.flag_bits & 1 \
            or info.compress_size > _WHOLE_CAP:
        with zf.open(info) as fh:
            return fh.read(cap)
    # A small deflated part (most of a workbook's): one inflate of its bytes, without
    # zipfile's per-member machinery, which costs more than the inflate itself here.
    raw = _raw_member(zf, info)
    want = min(cap, info.file_size)
    key = (raw, want, info.file_size, info.CRC)
    out = _INFLATED.pop(key, None)
    if out is not None:
        _INFLATED[key] = out  # most recently used last; the first is dropped when full
        return out
    inflater = zlib.decompressobj(-15)
    try:
        # (a max_length of 0 would mean no limit at all)
        out = inflater.decompress(raw, want) if want > 0 else b""
    except zlib.error as exc:
        raise zipfile.BadZipFile(f"{info.filename!r} cannot be decompressed: {exc}") from None
    if len(out) == info.file_size:  # read whole: check it as zipfile does
        if zlib.crc32(out) != info.CRC:
            raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")
    elif len(out) < want:
        raise EOFError(f"{info.filename!r} ends before its declared size")
    if len(raw) <= _MEMO_RAW_BYTES and len(out) <= _MEMO_PART_BYTES:
        if len(_INFLATED) >= _MEMO_PARTS:
            _INFLATED.pop(next(iter(_INFLATED)))
        _INFLATED[key] = out
    return out


#: A zip container of at most this size is checked from a copy in memory.
_IN_MEMORY_ZIP = 1 * MiB

# Forms filled in from one template share most of their parts byte for byte (styles, theme,
# workbook, relationships). A part's content is a function of its compressed bytes (with its
# declared size and CRC), so the content of small parts is kept, keyed by those bytes
# themselves (never by a checksum a file could forge), and not inflated again.
_INFLATED: dict[tuple[bytes, int, int, int], bytes] = {}
_MEMO_PARTS = 64
_MEMO_RAW_BYTES = 16 * KiB
_MEMO_PART_BYTES = 256 * KiB
_MEMO_PARSED_BYTES = 64 * KiB  # (parts whose parse is kept: see `_memo_by_content`)


def _member_start(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Where a member's compressed bytes start (after its local header), checked as zipfile
    checks it."""
    fh = zf.fp
    if fh is None:
        raise ValueError("the zip file is closed")
    fh.seek(info.header_offset)
    header = fh.read(30)
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile(f"bad local file header for {info.filename!r}")
    name_len: int
    extra_len: int
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    return int(info.header_offset) + 30 + name_len + extra_len


def _raw_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """A (small) member's compressed bytes."""
    start = _member_start(zf, info)
    assert zf.fp is not None
    zf.fp.seek(start)
    raw = zf.fp.read(info.compress_size)
    if len(raw) != info.compress_size:
        raise EOFError(f"{info.filename!r} is cut short")
    return raw


def _office_document_target(zf: zipfile.ZipFile, names: dict[str, zipfile.ZipInfo]) -> str:
    """Target of the package's officeDocument relationship (``xl/workbook.xml`` normally)."""
    info = names.get("_rels/.rels")
    if info is None or info.file_size > _SMALL_PART_CAP:
        return ""
    try:
        data = _read_capped(zf, info, _SMALL_PART_CAP)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, RuntimeError,
            NotImplementedError):
        return ""
    target = _office_document(data)
    return _join_target("", target).lower() if target is not None else ""


def _office_document(rels: bytes) -> str | None:
    """The Target of the officeDocument relationship in a package's ``_rels/.rels`` ('' if
    it names none); None if there is no such relationship."""
    for _rid, typ, target, _mode in _relationships(rels):
        if typ.endswith("/officeDocument"):
            return target or ""
    return None


_REL_RE = re.compile(rb"<(?:[\w.\-]+:)?Relationship\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_SHEET_RE = re.compile(rb"<(?:[\w.\-]+:)?sheet\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")


def _attr(attrs: bytes, name: bytes) -> str | None:
    """Value of attribute `name` (exact qualified name, or any prefix when `name` has none)."""
    pat = _attr_pattern(name)
    m = pat.search(attrs)
    if m is None:
        return None
    raw = m.group(1) if m.group(1) is not None else m.group(2)
    return html.unescape(raw.decode("utf-8", "replace"))


@lru_cache(maxsize=64)
def _attr_pattern(name: bytes) -> re.Pattern[bytes]:
    return re.compile(
        rb"(?:^|\s)" + re.escape(name) + rb"\s*=\s*(?:\"([^\"]*)\"|'([^']*)')"
    )


def _memo_by_content(parse: Callable[[bytes], _T]) -> Callable[[bytes], _T]:
    """`parse`, with what it made of small parts kept, keyed by their content (forms from
    one template share their relationships and workbook part byte for byte)."""
    memo: dict[bytes, Any] = {}

    def parsed(data: bytes) -> _T:
        if len(data) > _MEMO_PARSED_BYTES:
            return parse(data)
        found = memo.get(data, memo)
        if found is memo:
            if len(memo) >= _MEMO_PARTS:
                memo.pop(next(iter(memo)))
            found = memo[data] = parse(data)
        return cast(_T, found)
    return parsed


@_memo_by_content
def _relationships(data: bytes) -> tuple[tuple[str, str, str | None, str], ...]:
    """(Id, Type, Target, lower-cased TargetMode) of each relationship of a .rels part."""
    return tuple((_attr(attrs, b"Id") or "", _attr(attrs, b"Type") or "",
                  _attr(attrs, b"Target"), (_attr(attrs, b"TargetMode") or "").lower())
                 for attrs in _REL_RE.findall(data))


@_memo_by_content
def _workbook_sheets(data: bytes) -> tuple[tuple[str | None, str | None], ...]:
    """(name, relationship id) of each sheet a workbook.xml lists."""
    out = []
    for attrs in _SHEET_RE.findall(data):
        sheet_rid = _attr(attrs, b"r:id") or _attr(attrs, b"relationships:id")
        if sheet_rid is None:
            idm = re.search(rb"(?:^|\s)[\w.\-]+:id\s*=\s*[\"']([^\"']*)", attrs)
            sheet_rid = idm.group(1).decode("utf-8", "replace") if idm else None
        out.append((_attr(attrs, b"name"), sheet_rid))
    return tuple(out)


def _join_target(base_dir: str, target: str) -> str:
    target = target.replace("\\", "/")
    if target.startswith("/"):
        joined = target.lstrip("/")
    else:
        joined = posixpath.join(base_dir, target) if base_dir else target
    return posixpath.normpath(joined).lstrip("/")


# --------------------------------------------------------------------------------------------
# Streaming an XML part


_INFLATE_INPUT = 1 * MiB  # compressed bytes handed to the inflater at a time


def _inflated(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """A deflated member's content in chunks of at most `_CHUNK`, as `zf.open(info)` would give
    it (the same checks: local header, declared size, CRC-32), but inflated by `_inflate`.

    Never produces more than the declared size (plus one byte, to tell that it lies), so a
    member whose real expansion is far beyond what the directory says costs nothing more.
    """
    start = _member_start(zf, info)
    fh = zf.fp
    assert fh is not None
    inflater = _inflate.decompressobj(-15)
    left_in, left_out, crc, pending = info.compress_size, info.file_size, 0, b""
    try:
        while not inflater.eof:
            if not pending and left_in > 0:  # (the inflater may still hold output)
                fh.seek(start + info.compress_size - left_in)
                pending = fh.read(min(left_in, _INFLATE_INPUT))
                left_in = left_in - len(pending) if pending else 0
            before = len(pending)
            out = inflater.decompress(pending, min(left_out, _CHUNK) + 1)
            pending = inflater.unconsumed_tail
            if len(out) > left_out:
                raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r} (it holds "
                                         f"more than its declared {_fmt(info.file_size)} bytes)")
            if not out and len(pending) == before:
                break  # nothing more comes out: the stream is cut short or damaged
            left_out -= len(out)
            crc = zlib.crc32(out, crc)
            if out:
                yield out
    except _INFLATE_ERRORS as exc:
        raise zipfile.BadZipFile(f"{info.filename!r} cannot be decompressed: {exc}") from None
    if not inflater.eof:
        raise EOFError(f"{info.filename!r} ends before its compressed data does")
    if left_out or crc != info.CRC:
        raise zipfile.BadZipFile(f"Bad CRC-32 for file {info.filename!r}")


def _decoded_chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo,
                    data: bytes | None = None) -> Generator[bytes, None, None]:
    """Decompressed content of a part in chunks, transcoded to UTF-8 if it is UTF-16.

    `data`, if given, is the part's whole content, already read (see ``_Inspector.whole``).
    """
    if data is None and info.compress_type == zipfile.ZIP_DEFLATED and not info.flag_bits & 1:
        chunks: Iterator[bytes] = _inflated(zf, info)
    else:
        chunks = _read_chunks(zf, info, data)
    first = next(chunks, b"")
    if not first:
        return
    decoder: codecs.IncrementalDecoder | None = None
    if first.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        decoder = codecs.getincrementaldecoder("utf-16")(errors="replace")
    elif first.startswith(b"<\x00"):
        decoder = codecs.getincrementaldecoder("utf-16-le")(errors="replace")
    elif first.startswith(b"\x00<"):
        decoder = codecs.getincrementaldecoder("utf-16-be")(errors="replace")
    if decoder is None:
        yield first
        yield from chunks
        return
    yield decoder.decode(first).encode("utf-8")
    for chunk in chunks:
        yield decoder.decode(chunk).encode("utf-8")
    tail = decoder.decode(b"", final=True).encode("utf-8")
    if tail:
        yield tail


def _read_chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo,
                 data: bytes | None) -> Iterator[bytes]:
    """A part's content in chunks, from `data` or through zipfile (stored, encrypted or
    exotically compressed members)."""
    with zf.open(info) if data is None else io.BytesIO(data) as fh:
        while chunk := fh.read(_CHUNK):
            yield chunk


def _pieces(chunks: Iterator[bytes], flush_at: int) -> Iterator[bytes]:
    """Re-cut chunks so that no tag is split: each piece ends just before a ``<``.

    A piece with no ``<`` at all is only held back up to `flush_at` bytes, so one enormous
    text run or tag cannot make the carry grow without bound (it is then measured as a run).
    """
    carry = b""
    for data in chunks:
        buf = carry + data if carry else data
        cut = buf.rfind(b"<")
        if cut <= 0:
            if len(buf) >= flush_at:
                yield buf
                carry = b""
            else:
                carry = buf
            continue
        yield buf[:cut]
        carry = buf[cut:]
    if carry:
        yield carry


_WS = re.compile(rb"[ \t\r\n]*")


def _prolog_problem(data: bytes, complete: bool) -> tuple[str, str] | None:
    """Look at an XML part's prolog (before the root element) for a DOCTYPE or ENTITY.

    Returns ``(kind, detail)`` with kind ``entities``, ``external``, ``doctype`` or
    ``unfinished`` (the prolog runs past what was read), or None.
    """
    i = 3 if data.startswith(codecs.BOM_UTF8) else 0
    n = len(data)
    while True:
        m = _WS.match(data, i)
        i = m.end() if m else i
        if i >= n:
            return None if complete else ("unfinished", "")
        if data.startswith(b"<?", i):
            j = data.find(b"?>", i + 2)
            if j < 0:
                return None if complete else ("unfinished", "")
            i = j + 2
            continue
        if data.startswith(b"<!--", i):
            j = data.find(b"-->", i + 4)
            if j < 0:
                return None if complete else ("unfinished", "")
            i = j + 3
            continue
        if data.startswith(b"<!", i):
            keyword = data[i + 2 : i + 9].upper()
            if not (keyword.startswith(b"DOCTYPE") or keyword.startswith(b"ENTITY")):
                return None
            decl = data[i : i + 1 * MiB]
            head_end = decl.find(b">")
            bracket = decl.find(b"[")
            has_subset = bracket != -1 and (head_end == -1 or bracket < head_end)
            upper = decl.upper()
            if b"<!ENTITY" in upper or keyword.startswith(b"ENTITY"):
                return ("entities", decl[:60].decode("utf-8", "replace"))
            head = upper[: head_end if head_end != -1 else 4096]
            if b"SYSTEM" in head or b"PUBLIC" in head:
                return ("external" if not has_subset else "entities",
                        decl[:60].decode("utf-8", "replace"))
            return ("doctype", decl[:60].decode("utf-8", "replace"))
        return None


# --------------------------------------------------------------------------------------------
# xlsx worksheet scanning

_TAIL = rb"(?:[^>\"']|\"[^\"]*\"|'[^']*')*"  # rest of a start tag, quote-aware
_REF_AT = re.compile(rb'<c r="([A-Za-z]+)(\d+)"' + _TAIL + rb"(?<!/)>")
_PREFIXED_C = re.compile(rb":c[\s/>]")
_SLOW_TAG = re.compile(rb"<(/?)(?:[\w.\-]+:)?(row|c)(?=[\s/>])(" + _TAIL + rb")>")
_SLOW_TAG_START = re.compile(rb"<(?:[\w.\-]+:)?(?:row|c)(?=[\s/>])")
_CELL_REF = re.compile(rb"([A-Za-z]+)(\d+)")
# Attributes as calamine's XML reader splits them: a name, '=', a quoted value; no space is
# needed between attributes (`t="n"r="J20"` has an r attribute).
_ATTR_TOKEN = re.compile(rb"""([^\s=<>"'/]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
# The attributes of a cell as Excel, LibreOffice, openpyxl and xlsxwriter write them, after
# its r="…": one space before each, double quotes. The fast path reads only sheets whose every
# cell tag is '<c r="…"' followed by these and '>' or '/>'; anything else (a second r, which
# calamine would use, single quotes, an unknown attribute) sends the sheet to the slow path.
_CELL_ATTRS = rb'(?: (?:s|t|cm|vm|ph)="[^"]*+")*+'
# Any cell tag the fast path cannot read: not starting '<c r="', or other attributes.
_ODD_C = rb'(?! r=")[\s/>]| r="[^"]*+"' + _CELL_ATTRS + rb"(?!/?>)"
_ODD_C_TAG = re.compile(rb"<c(?:" + _ODD_C + rb")")


_whole_prolog_problem = _memo_by_content(lambda data: _prolog_problem(data, True))
_prolog_problem_at_start = _memo_by_content(lambda data: _prolog_problem(data, False))


def _r_attribute(attrs: bytes, last: bool) -> bytes | None:
    """The value of the first (or `last`) r attribute among a tag's attributes."""
    found = None
    for m in _ATTR_TOKEN.finditer(attrs):
        if m.group(1) == b"r":
            found = m.group(2) if m.group(2) is not None else m.group(3)
            if not last:
                break
    return found
_ROW_REF = re.compile(rb"[A-Za-z]*(\d+)")
_T_S = re.compile(rb"""t\s*=\s*(?:"s"|'s')""")
_S_REF = re.compile(
    rb"""t\s*=\s*(?:"s"|'s')""" + _TAIL + rb">\s*(?:<(?:[\w.\-]+:)?f\b" + _TAIL
    + rb"/>\s*|<(?:[\w.\-]+:)?f\b" + _TAIL + rb">[^<]*</(?:[\w.\-]+:)?f\s*>\s*)?"
    rb"<(?:[\w.\-]+:)?v\s*>\s*(\d+)\s*<"
)


def _gt_digits(n: int) -> bytes:
    """Regex for a decimal string (leading zeros allowed) whose value is greater than n."""
    s = str(n).encode()
    k = len(s)
    alts = [rb"[1-9]\d{%d,}" % k]
    for i in range(k):
        d = s[i] - 48
        if d < 9:
            alts.append(s[:i] + b"[%d-9]" % (d + 1) + (rb"\d{%d}" % (k - i - 1)))
    return rb"0*+(?:" + b"|".join(alts) + rb")"


def _gt_letters(col: int) -> bytes:
    """Regex for column letters (either case) whose column number is greater than col."""
    if col <= 0:
        return rb"[A-Za-z]+"
    s = _col_letters(col).encode()
    k = len(s)
    alts = [rb"[A-Za-z]{%d,}" % (k + 1)]
    for i in range(k):
        ch = s[i]
        if ch < ord("Z"):
            nxt = bytes([ch + 1])
            cls = b"[" + nxt + b"-Z" + nxt.lower() + b"-z]"
            prefix = b"".join(b"[" + bytes([c]) + bytes([c]).lower() + b"]" for c in s[:i])
            alts.append(prefix + cls + (rb"[A-Za-z]{%d}" % (k - i - 1)))
    return rb"(?:" + b"|".join(alts) + rb")"


@lru_cache(maxsize=512)
def _fast_pattern(row: int, col: int) -> re.Pattern[bytes]:
    """One pass of the fast path over a piece: a non-empty cell whose row is beyond `row` or
    whose column is beyond `col` (group ``gt``), or a cell tag the fast path cannot read
    (see `_ODD_C`)."""
    return re.compile(
        rb'<c(?:(?P<gt> r="(?:' + _gt_letters(col) + rb"\d++|[A-Za-z]++" + _gt_digits(row)
        + rb')"' + _CELL_ATTRS + rb">)|" + _ODD_C + rb")"
    )


class _Range:
    """Furthest non-empty cell seen so far, and the first limit it broke."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.rows = 0
        self.cols = 0
        self.broken: tuple[str, int, int] | None = None  # (message, row, col)

    def add(self, row: int, col: int) -> bool:
        """Record a non-empty cell (1-based); return True once a limit is broken."""
        if row > self.rows:
            self.rows = row
        if col > self.cols:
            self.cols = col
        lim = self.limits
        if self.rows > lim.max_rows or self.cols > lim.max_columns or (
            self.rows * self.cols > lim.max_cells
        ):
            self.broken = (self.describe(), row, col)
            return True
        return False

    def describe(self) -> str:
        lim = self.limits
        rows, cols = self.rows, self.cols
        size = (f"A1:{_col_letters(cols)}{rows} ({_fmt(rows)} rows × {_fmt(cols)} columns"
                f" = {_fmt(rows * cols)} cells)")
        need, ceiling = grid_bytes(rows * cols, rows * cols), memory_ceiling()
        if rows > lim.max_rows:
            why = f"more than {_fmt(lim.max_rows)} rows{_hint('max_rows')}"
        elif cols > lim.max_columns:
            why = f"more than {_fmt(lim.max_columns)} columns{_hint('max_columns')}"
        elif need > ceiling:  # raising the limit would only move the failure
            why = f"more than {_fmt(lim.max_cells)} cells"
        else:
            why = f"more than {_fmt(lim.max_cells)} cells{_hint('max_cells')}"
        cost = (_memory_refusal(need, ceiling) if need > ceiling
                else "opening it would need memory for every cell of that range")
        return (f"the used range reaches {size}, {why}; {cost}. Remove the stray far-away "
                f"cells (or copy the applicant table into a new workbook) and try again")


class _LongRuns:
    """Finds text runs (between ``<`` characters) longer than the cell limit, cheaply."""

    def __init__(self, limit: int) -> None:
        self.limit = max(limit, 2)
        self.block = max(self.limit // 2, 1)
        self.carry = 0  # bytes since the last '<' at the end of the previous piece
        self.found: tuple[int, int, int] | None = None  # (chars, start, end) in the piece

    def check(self, piece: bytes) -> bool:
        """Return True if `piece` (with the carry) holds a run over the limit."""
        first = piece.find(b"<")
        if first == -1:
            self.carry += len(piece)
            if self.carry > self.limit:
                self.found = (self.carry, 0, len(piece))
                return True
            return False
        if self.carry + first > self.limit:
            self.found = (self.carry + first, 0, first)
            return True
        n = len(piece)
        b = self.block
        i = first
        while i < n:
            if piece.find(b"<", i, i + b) == -1 and i + b <= n:
                start = piece.rfind(b"<", 0, i) + 1
                end = piece.find(b"<", i + b)
                end = n if end == -1 else end
                if end - start > self.limit:
                    chars = len(piece[start:end].decode("utf-8", "replace"))
                    if chars > self.limit:
                        self.found = (chars, start, end)
                        return True
                i = end
            else:
                i += b
        self.carry = n - piece.rfind(b"<") - 1
        return False


_REF_HEAD = re.compile(rb'<c r="([A-Za-z]+)(\d+)"')
_F_OPEN = re.compile(rb"<f[\s>/]")
_F_LEAD = re.compile(rb"\s*<(?:[\w.\-]+:)?f[\s>/]")
_T_E = re.compile(rb"""\st\s*=\s*(?:"e"|'e')""")
# A cheap test that a piece may hold an error cell: fast-path cells quote with '"' (a
# literal search starting with a common character such as ' ' or 't' would be slower).
_FAST_T_E = re.compile(rb'"e"')
_V_ANY = re.compile(rb"<(?:[\w.\-]+:)?v\s*>([^<]{0,64})")  # a piece ends before a "<"
_C_CLOSE = re.compile(rb"</(?:[\w.\-]+:)?c\s*>")


def _record_header(buf: bytes, pos: int) -> tuple[int, int, int, bool] | None:
    """The header of the xlsb (BIFF12) record at `pos`: its type and body size are 7-bit
    varints of 1-2 and 1-4 bytes. (type, size, where the body starts, whether the size ended
    within its 4 bytes); None if `buf` ends first."""
    values = []
    ended = False
    for width in (2, 4):
        value = 0
        ended = False
        for shift in range(0, 7 * width, 7):
            if pos >= len(buf):
                return None
            b = buf[pos]
            pos += 1
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                ended = True
                break
        values.append(value)
    return values[0], values[1], pos, ended


def _xlsb_sheets(data: bytes) -> list[tuple[str, str]]:
    """(relationship id, name) of each sheet in an xlsb workbook.bin (BrtBundleSh records:
    state, tab id, then the id and the name as length-prefixed UTF-16 strings)."""
    out: list[tuple[str, str]] = []
    pos, n = 0, len(data)
    while pos < n and len(out) < 100_000:
        header = _record_header(data, pos)
        if header is None:
            return out
        typ, ln, pos, _ = header
        body = data[pos : pos + ln]
        pos += ln
        if typ == 0x9C and len(body) >= 12:
            strings = []
            at = 8
            for _ in range(2):
                if at + 4 > len(body):
                    break
                cch = int.from_bytes(body[at : at + 4], "little")
                at += 4
                if cch == 0xFFFFFFFF or at + 2 * cch > len(body):
                    strings.append("")
                    continue
                strings.append(body[at : at + 2 * cch].decode("utf-16-le", "replace"))
                at += 2 * cch
            if len(strings) == 2:
                out.append((strings[0], strings[1]))
    return out


def _xlsb_records(zf: zipfile.ZipFile, info: zipfile.ZipInfo,
                  head: int) -> Iterator[tuple[int, bytes, int]]:
    """The records of an xlsb (BIFF12) part as (type, the first `head` bytes of the body,
    the body's size), streamed: a record's body is never buffered beyond `head` bytes."""
    with zf.open(info) as fh:
        buf = b""
        pos = 0

        def need(k: int) -> bool:
            nonlocal buf, pos
            while len(buf) - pos < k:
                more = fh.read(_CHUNK)
                if not more:
                    return False
                buf = buf[pos:] + more
                pos = 0
            return True

        while need(1):
            need(6)  # (the longest header; fewer bytes may be left)
            header = _record_header(buf, pos)
            if header is None:
                return
            typ, ln, pos, _ = header
            take = min(ln, head)
            if not need(take):
                return
            yield typ, buf[pos : pos + take], ln
            skip = ln
            while skip:  # past the rest of the body without keeping it
                step = min(skip, len(buf) - pos)
                pos += step
                skip -= step
                if skip and not need(1):
                    return


def _xml_text(raw: bytes) -> str:
    return html.unescape(raw.decode("utf-8", "replace")).strip()


class _XlsxMarks:
    """Notes a worksheet's error cells (``t="e"``) and formula cells (an ``<f>`` child) while
    the guard streams it. Pieces end before a ``<``, so a cell's start tag may end one piece
    and its ``<f>``/``<v>`` begin the next: the last cell of a piece is carried over."""

    def __init__(self, cap: int) -> None:
        self.marks = CellMarks(cap)
        self.last_ref: tuple[int, int] | None = None  # fast path: last <c r="…"> of a piece
        self.pending: tuple[int, int, bool] | None = None  # slow path: (row, col, is_error)
        self.pending_error: tuple[int, int] | None = None  # an error cell's <v> is to come

    def error(self, piece: bytes, pos: int, row: int, col: int) -> None:
        """An error cell whose content starts at `pos`: its code is the text of its ``<v>``
        (looked for up to the cell's end tag, in the next piece if that is where it is)."""
        end = _C_CLOSE.search(piece, pos)
        v = _V_ANY.search(piece, pos, end.start() if end else len(piece))
        if v is None and end is None:
            self.pending_error = (row, col)  # carried until the cell's end tag is seen
            return
        self.marks.add_error(row, col, _xml_text(v.group(1)) if v else "")

    def continue_error(self, piece: bytes) -> None:
        if self.pending_error is not None:
            row, col = self.pending_error
            self.pending_error = None
            self.error(piece, 0, row, col)

    def fast(self, piece: bytes) -> None:
        """Fast path (every cell tag starts ``<c r="``): find ``<f`` and ``t="e"``."""
        marks = self.marks
        self.continue_error(piece)
        if _F_OPEN.search(piece) is not None:  # (SRE's literal-prefix scan beats bytes.find)
            seen: tuple[int, int] | None = None
            for m in _F_OPEN.finditer(piece):
                c = piece.rfind(b'<c r="', 0, m.start())
                ref = self.last_ref if c == -1 else _ref_at(piece, c)
                if ref is not None and ref != seen:
                    marks.add_formula(*ref)
                    seen = ref
        if _FAST_T_E.search(piece) is not None:
            for m in _T_E.finditer(piece):
                c = piece.rfind(b'<c r="', 0, m.start())
                tag = _REF_AT.match(piece, c) if c != -1 else None
                if tag is None or tag.end() <= m.start():
                    continue  # not an attribute of a cell, or a self-closed (empty) cell
                self.error(piece, tag.end(), int(tag.group(2)) - 1,
                           _col_number(tag.group(1)) - 1)
        last = piece.rfind(b'<c r="')
        if last != -1:
            self.last_ref = _ref_at(piece, last)

    def slow_cell(self, piece: bytes, end: int, attrs: bytes, row: int, col: int) -> None:
        """Slow path: a non-empty cell tag at (row, col) ending at offset `end`."""
        error = _T_E.search(attrs) is not None
        if end >= len(piece.rstrip()):
            self.pending = (row, col, error)  # its content is in the next piece
            return
        self.content(piece, end, row, col, error)

    def continue_pending(self, piece: bytes) -> None:
        self.continue_error(piece)
        if self.pending is not None:
            row, col, error = self.pending
            self.pending = None
            self.content(piece, 0, row, col, error)

    def content(self, piece: bytes, pos: int, row: int, col: int, error: bool) -> None:
        if _F_LEAD.match(piece, pos):
            self.marks.add_formula(row, col)
        if error:
            self.error(piece, pos, row, col)


def _ref_at(piece: bytes, pos: int) -> tuple[int, int] | None:
    m = _REF_HEAD.match(piece, pos)
    return (int(m.group(2)) - 1, _col_number(m.group(1)) - 1) if m else None


_SI_SPLIT = re.compile(rb"<(?:[\w.\-]+:)?si(?=[\s/>])")  # where each shared string starts
_SI_HAS_TEXT = re.compile(rb"<(?:[\w.\-]+:)?[tr](?=[\s/>])")  # a string calamine keeps


@dataclass
class _SstInfo:
    count: int = 0  # number of <si> elements
    longest: int = 0  # bytes of the longest <si> element
    lengths: array[int] | None = None  # bytes per calamine string index (exact mode only)


# --------------------------------------------------------------------------------------------
# ODS content.xml scanning

_ROWS_REP = re.compile(rb"(?:^|\s)table:number-rows-repeated\s*=\s*[\"'](\d+)")
_COLS_REP = re.compile(rb"(?:^|\s)table:number-columns-repeated\s*=\s*[\"'](\d+)")
_COLS_REP_ANY = re.compile(rb"table:number-columns-repeated\s*=\s*[\"'](\d+)")
_TEXT_C = re.compile(rb"text:c\s*=\s*[\"'](\d+)")
_TABLE_NAME = re.compile(rb"(?:^|\s)table:name\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_TABLE_OPEN = re.compile(rb"<table:table(?=[\s/>])(" + _TAIL + rb")>")
_TABLE_CLOSE = re.compile(rb"</table:table\s*>")
_ROW_START = re.compile(rb"<table:table-row(?=[\s/>])(" + _TAIL + rb")>")
_ROW_END = re.compile(rb"</table:table-row\s*>")
_CELL_AT = re.compile(rb"<table:(?:covered-)?table-cell(?=[\s/>])(" + _TAIL + rb")>")
_CELL_END = re.compile(rb"</table:(?:covered-)?table-cell\s*>")
_HIDING = re.compile(rb"<!--|<!\[CDATA\[|<\?")
_ATTR_LT = re.compile(rb"""=\s*(?:"[^"<]*(?:<|\Z)|'[^'<]*(?:<|\Z))""")
_MAX_DEPTH = 1000


def _hides_markup(piece: bytes, first: bool) -> bool:
    """Whether `piece` holds what could hide tags from a regular-expression scan: a comment,
    a CDATA section, a processing instruction (other than the XML declaration), or an
    attribute value with a '<' in it (or running on past the piece, which ends before a '<').
    Text such as `x="y` before a tag also matches: that only costs a well-formedness pass."""
    start = 0
    if first:
        declaration = piece.find(b"<?xml")
        if 0 <= declaration <= 3:
            start = declaration + 5
    return _HIDING.search(piece, start) is not None or _ATTR_LT.search(piece) is not None


_ODS_FORMULA = re.compile(rb"(?:^|\s)table:formula\s*=")
_ODS_ERROR = re.compile(rb"""(?:^|\s)calcext:value-type\s*=\s*(?:"error"|'error')""")
_ODS_EMPTY_STRING = re.compile(rb"""(?:^|\s)office:string-value\s*=\s*(?:""|'')""")
_ODS_TEXT = re.compile(rb"\s*<text:p(?:\s[^>]*)?>([^<]{0,64})<")
_ODS_COLS_SPAN = re.compile(rb"(?:^|\s)table:number-columns-spanned\s*=\s*[\"'](\d+)")
_ODS_ROWS_SPAN = re.compile(rb"(?:^|\s)table:number-rows-spanned\s*=\s*[\"'](\d+)")
#: What LibreOffice and Excel show for a failed formula.
_ERROR_TEXT = re.compile(r"#(?:NULL!|DIV/0!|VALUE!|REF!|NAME\?|NUM!|N/A)|Err:\d{3}")


# --------------------------------------------------------------------------------------------
# OLE compound files (CFB)

_FREE, _END, _FAT, _DIF = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFC


@dataclass
class _CfbEntry:
    name: str
    kind: int  # 1 storage, 2 stream, 5 root
    start: int
    size: int


class _Cfb:
    """Just enough of [MS-CFB] to list entries and read a stream, with every index checked."""

    def __init__(self, buf: mmap.mmap | bytes, size: int) -> None:
        self.buf = buf
        self.size = size
        if size < 512:
            raise _Broken(TRUNCATED_FILE, f"the file is only {size} bytes, too short for an "
                          "OLE compound document")
        (major, byte_order, shift, mini_shift) = struct.unpack_from("<HHHH", buf, 0x1A)
        if byte_order != 0xFFFE or shift not in (9, 12) or mini_shift != 6:
            raise _Broken(CORRUPT_FILE, "the OLE header is damaged")
        self.ss = 1 << shift
        (n_fat, first_dir, _tx, self.mini_cutoff, first_minifat, n_minifat, first_difat,
         _n_difat) = struct.unpack_from("<IIIIIIII", buf, 0x2C)
        self.version = major
        self.n_sectors = max((size - self.ss) // self.ss, 0)
        if size % self.ss and size > self.ss:
            self.n_sectors += 1  # a short last sector is tolerated, as by calamine
        # FAT sector list from the header and the DIFAT chain
        fat_sectors = list(struct.unpack_from("<109I", buf, 0x4C))
        difat = first_difat
        per = self.ss // 4 - 1
        seen = 0
        while difat not in (_END, _FREE) and seen <= self.n_sectors:
            self._check_sector(difat, "DIFAT")
            off = (difat + 1) * self.ss
            vals = struct.unpack_from(f"<{per + 1}I", buf, off) if off + self.ss <= size else ()
            if not vals:
                raise _Broken(TRUNCATED_FILE, "the OLE sector table runs past the end of the "
                              "file (the file was cut short)")
            fat_sectors.extend(vals[:per])
            difat = vals[per]
            seen += 1
        if n_fat > len(fat_sectors) or n_fat > self.n_sectors + 1:
            raise _Broken(CORRUPT_FILE, f"the OLE header declares {_fmt(n_fat)} allocation "
                          f"sectors but the file holds {_fmt(self.n_sectors)} sectors")
        fat = array("I")
        for s in fat_sectors[:n_fat]:
            self._check_sector(s, "allocation table")
            fat.frombytes(self._sector(s))
        if fat.itemsize != 4:  # pragma: no cover - every CPython platform has 4-byte 'I'
            raise _Broken(CORRUPT_FILE, "unsupported platform")
        if struct.pack("=I", 1) != struct.pack("<I", 1):  # pragma: no cover - big-endian host
            fat.byteswap()
        self.fat = fat
        # directory
        dir_bytes = self._chain_bytes(first_dir, None, "directory")
        self.entries: list[_CfbEntry] = []
        for off in range(0, len(dir_bytes) - 127, 128):
            raw = dir_bytes[off : off + 128]
            name_len = struct.unpack_from("<H", raw, 64)[0]
            kind = raw[66]
            start, size_lo, size_hi = struct.unpack_from("<III", raw, 116)
            name = raw[: max(0, min(name_len, 64) - 2)].decode("utf-16-le", "replace")
            stream_size = size_lo if self.version == 3 else size_lo | size_hi << 32
            if kind in (1, 2, 5):
                self.entries.append(_CfbEntry(name, kind, start, stream_size))
        if not self.entries or self.entries[0].kind != 5:
            raise _Broken(CORRUPT_FILE, "the OLE directory has no root entry")
        addressable = len(fat) * self.ss  # what the allocation table can describe
        for e in self.entries:
            if e.kind in (2, 5) and e.size > size:
                damage = TRUNCATED_FILE if e.size <= addressable else CORRUPT_FILE
                raise _Broken(damage, f"the OLE stream {e.name!r} declares {_fmt(e.size)} bytes "
                              f"but the whole file is {_fmt(size)} bytes: the file was cut "
                              "short or is damaged")
        self.first_minifat = first_minifat
        self.n_minifat = n_minifat

    def _check_sector(self, s: int, what: str) -> None:
        if s >= self.n_sectors:
            if s < self.n_sectors + (self.size // 4):
                raise _Broken(TRUNCATED_FILE, f"the OLE {what} points past the end of the "
                              "file (the file was cut short)")
            raise _Broken(CORRUPT_FILE, f"the OLE {what} points to sector {s}, which does not "
                          "exist")

    def _sector(self, s: int) -> bytes:
        off = (s + 1) * self.ss
        data = self.buf[off : off + self.ss]
        if len(data) < self.ss:
            data = bytes(data) + b"\x00" * (self.ss - len(data))
        return bytes(data)

    def _chain(self, start: int, what: str) -> list[int]:
        out: list[int] = []
        s = start
        limit = min(len(self.fat), self.n_sectors + 1)
        while s != _END:
            if s in (_FREE, _FAT, _DIF):
                if not out:
                    return out
                raise _Broken(CORRUPT_FILE, f"the OLE {what} chain is broken")
            self._check_sector(s, what)
            if s >= len(self.fat) or len(out) > limit:
                raise _Broken(CORRUPT_FILE, f"the OLE {what} chain loops or runs off the table")
            out.append(s)
            s = self.fat[s]
        return out

    def _chain_bytes(self, start: int, size: int | None, what: str) -> bytes:
        sectors = self._chain(start, what)
        data = b"".join(self._sector(s) for s in sectors)
        if size is not None:
            if len(data) < size:
                raise _Broken(TRUNCATED_FILE, f"the OLE stream {what!r} is shorter than it "
                              "declares (the file was cut short)")
            data = data[:size]
        return data

    def stream(self, entry: _CfbEntry) -> bytes:
        if entry.size < self.mini_cutoff and entry.kind == 2:
            root = self.entries[0]
            mini = self._chain_bytes(root.start, root.size, "mini stream")
            minifat = array("I")
            minifat.frombytes(self._chain_bytes(self.first_minifat, None, "mini allocation"))
            if struct.pack("=I", 1) != struct.pack("<I", 1):  # pragma: no cover
                minifat.byteswap()
            out = bytearray()
            s = entry.start
            steps = 0
            while s != _END and len(out) < entry.size:
                if s >= len(minifat) or (s + 1) * 64 > len(mini) or steps > len(minifat):
                    raise _Broken(CORRUPT_FILE, f"the OLE stream {entry.name!r} is damaged")
                out += mini[s * 64 : (s + 1) * 64]
                s = minifat[s]
                steps += 1
            if len(out) < entry.size:
                raise _Broken(TRUNCATED_FILE, f"the OLE stream {entry.name!r} is shorter than "
                              "it declares")
            return bytes(out[: entry.size])
        return self._chain_bytes(entry.start, entry.size, entry.name)


_REC = struct.Struct("<HH")
_U16 = struct.Struct("<H")
_CELL_RECORDS = frozenset({0x0203, 0x0204, 0x0205, 0x027E, 0x00FD, 0x0006, 0x00D6})


# --------------------------------------------------------------------------------------------
# The inspector


class _Inspector:
    def __init__(self, path: Path, limits: Limits) -> None:
        self.path = path
        self.name = str(path)
        self.limits = limits
        self.problems: list[Problem] = []
        self.ext = path.suffix.lower()
        self.marks: dict[str, CellMarks] = {}
        self._whole: dict[int, bytes] = {}  # id(ZipInfo) -> content of a small part
        #: The used ranges measured so far: all sheets' cells added up, and the largest.
        self.grid_cells = 0
        self.grid_largest = 0
        #: calamine decodes every sheet of the file when it opens it (.xls, .ods).
        self.all_at_once = False
        self.grid_refused = False  # the file as a whole was found too large
        self.last_range = (0, 0)  # rows, columns of the sheet scanned last
        self.content: bytes | None = None  # a small zip container, read whole

    def grid_need(self) -> int:
        return grid_bytes(self.grid_largest, self.grid_cells, self.all_at_once)

    def count_grid(self, sheet: str | None, rows: int, cols: int) -> bool:
        """Add a sheet's used range (already within the per-sheet limits) to the file's total.
        False, with the problem recorded, once the sheets read so far are too many cells
        for one file, or would need more memory than the computer has."""
        if self.grid_refused:
            return False
        cells = rows * cols
        self.grid_cells += cells
        self.grid_largest = max(self.grid_largest, cells)
        lim = self.limits
        total = self.grid_cells
        size = f"A1:{_col_letters(cols)}{rows}, {_fmt(cells)} cells"
        if total == cells:
            what = f"this sheet's used range is {size}"
        else:
            what = (f"this sheet's used range ({size}) brings the sheets of the file to "
                    f"{_fmt(total)} cells")
        fix = ("Remove the stray far-away cells, or delete the sheets that are not "
               "applications, and try again")
        need, ceiling = self.grid_need(), memory_ceiling()
        if need > ceiling:
            self.add(TOO_LARGE_FOR_MEMORY, f"{what}; {_memory_refusal(need, ceiling)}. {fix}",
                     sheet=sheet)
        elif total > lim.max_total_cells:
            self.add(WORKBOOK_TOO_LARGE, f"{what}, more than the {_fmt(lim.max_total_cells)} "
                     f"allowed in one file{_hint('max_total_cells')}; every sheet is loaded "
                     f"into memory. {fix}", sheet=sheet)
        else:
            return True
        self.grid_refused = True
        return False

    def keep_marks(self, sheet: str | None, marks: CellMarks) -> None:
        """Remember a scanned sheet's marks under the name calamine will give it."""
        if sheet is None or not marks:
            return
        if sheet in self.marks:
            self.marks[sheet].extend(marks)
        else:
            self.marks[sheet] = marks

    # -- reporting ------------------------------------------------------------------------

    def add(self, kind: str, message: str, sheet: str | None = None, row: int | None = None,
            column: str | None = None) -> None:
        self.problems.append(Problem(kind, _with_advice(kind, message), file=self.name,
                                     sheet=sheet, row=row, column=column,
                                     column_letter=column))

    def wrong_extension(self, kind: FileKind, head: bytes = b"") -> None:
        expected = _EXPECTED_KINDS.get(self.ext)
        if expected is None or kind.kind in expected:
            return
        what = kind.description
        if kind.kind == "csv" and head:
            preview = _preview(head)
            if preview:
                what += f" (it begins {preview!r})"
        if kind.kind in _KIND_TEXT or kind.kind in {"html", "spreadsheetml-2003", "xml",
                                                     "biff4"}:
            real_ext = {"xlsx": ".xlsx", "xlsb": ".xlsb", "ods": ".ods", "xls": ".xls"}.get(
                kind.kind)
            if real_ext:
                fix = f"rename it to {real_ext}"
            elif kind.kind == "csv":
                fix = "if it is a CSV export, rename it to .csv"
            else:
                fix = "open it in Excel or LibreOffice and save it as .xlsx"
            self.add(WRONG_EXTENSION, f"the file is named {self.ext} but is really {what}; "
                     f"{fix}")
        else:
            wanted = " or ".join(_KIND_TEXT.get(k, k) for k in sorted(expected))
            self.add(NOT_A_SPREADSHEET, f"the file is named {self.ext} but is really {what}, "
                     f"not a spreadsheet; expected {wanted}")

    # -- entry point ----------------------------------------------------------------------

    def run(self) -> list[Problem]:
        try:
            st = self.path.stat()
        except OSError as exc:
            self.add(UNREADABLE_FILE, f"cannot read the file: {exc.strerror or exc}")
            return self.problems
        if not stat.S_ISREG(st.st_mode):
            self.add(NOT_A_SPREADSHEET, "this is not a regular file")
            return self.problems
        size = st.st_size
        if size == 0:
            self.add(EMPTY_FILE, "the file is empty (0 bytes)")
            return self.problems
        if size > self.limits.max_file_bytes:
            self.add(FILE_TOO_LARGE, f"the file is {_fmt(size)} bytes, more than the "
                     f"{_fmt(self.limits.max_file_bytes)} bytes shortlist accepts"
                     f"{_hint('max_file_bytes')}")
            return self.problems
        try:
            with self.path.open("rb") as fh:
                head = fh.read(64 * KiB)
                if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
                    if size <= _IN_MEMORY_ZIP:  # a form: its parts read without system calls
                        self.content = head + fh.read(max(0, size - len(head)))
                        self.inspect_zip(io.BytesIO(self.content), len(self.content))
                    else:
                        self.inspect_zip(fh, size)
                elif head.startswith(_OLE_MAGIC):
                    with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                        self.inspect_ole(mm, size)
                else:
                    self.inspect_other(head, size)
        except OSError as exc:
            self.add(UNREADABLE_FILE, f"cannot read the file: {exc.strerror or exc}")
        except MemoryError:
            self.add(FILE_TOO_LARGE, "the file needs more memory to check than is available")
        except Exception as exc:  # a structure no check anticipated: refuse, never crash
            self.add(CORRUPT_FILE, f"the file is malformed in a way that could not be checked "
                     f"({type(exc).__name__}: {exc}); refused")
        return self.problems

    # -- plain files ----------------------------------------------------------------------

    def inspect_other(self, head: bytes, size: int) -> None:
        kind = _classify_bytes(head)
        if kind.kind == "biff4" and self.ext == ".xls":
            self.add(UNSUPPORTED_FORMAT, "the file is an Excel 2.x-4.x worksheet (a pre-1997 "
                     "format that cannot be read); open it in Excel or LibreOffice and save "
                     "it as .xlsx")
            return
        if self.ext in _EXPECTED_KINDS:
            self.wrong_extension(kind, head)
        elif kind.kind != "csv":
            self.add(NOT_A_SPREADSHEET, f"the file is {kind.description}, not a spreadsheet")

    # -- zip containers -------------------------------------------------------------------

    def inspect_zip(self, fh: BinaryIO, size: int) -> None:
        if not self.zip_directory_ok(fh, size):
            return
        try:
            zf = zipfile.ZipFile(fh)
        except zipfile.BadZipFile as exc:
            msg = str(exc)
            if "Truncated" in msg or "truncated" in msg:
                self.add(TRUNCATED_FILE, "the zip container is cut short; the file was not "
                         "completely downloaded or saved")
            else:
                self.add(CORRUPT_FILE, f"the zip container is damaged ({msg})")
            return
        except (OSError, ValueError, EOFError, RuntimeError, NotImplementedError) as exc:
            self.add(CORRUPT_FILE, f"the zip container is damaged ({exc})")
            return
        with zf:
            infos = zf.infolist()
            if not self.zip_sizes_ok(infos, size):
                return
            kind = _classify_zip(zf)
            if self.ext in _EXPECTED_KINDS:
                self.wrong_extension(kind)
            elif kind.kind not in ("xlsx", "xlsb", "ods"):
                self.add(NOT_A_SPREADSHEET, f"the file is {kind.description}")
            if kind.kind == "ods":
                self.inspect_ods(zf, infos)
            elif kind.kind in ("xlsx", "xlsb"):
                self.inspect_ooxml(zf, infos, kind.kind)
            else:
                # Not a spreadsheet; still refuse hostile XML if a reader is pointed at it.
                for info in infos:
                    if not self.check_prolog(zf, info, None):
                        break

    def zip_directory_ok(self, fh: BinaryIO, size: int) -> bool:
        """Check the end-of-central-directory record before zipfile builds its index."""
        lim = self.limits
        tail_len = min(size, 65_557)
        fh.seek(size - tail_len)
        tail = fh.read(tail_len)
        pos = tail.rfind(b"PK\x05\x06")
        if pos == -1 or pos + 22 > len(tail):
            self.add(TRUNCATED_FILE, "the zip container has no directory at its end: the file "
                     "was cut short (not completely downloaded, copied or saved)")
            return False
        entries, cd_size, _cd_offset = struct.unpack_from("<HII", tail, pos + 10)
        total_entries: int = entries
        cd_size_total: int = cd_size
        loc = pos - 20
        if loc >= 0 and tail[loc : loc + 4] == b"PK\x06\x07":
            (z64_off,) = struct.unpack_from("<Q", tail, loc + 8)
            if z64_off + 56 <= size:
                fh.seek(z64_off)
                rec = fh.read(56)
                if rec[:4] == b"PK\x06\x06" and len(rec) == 56:
                    total_entries, cd_size_total = struct.unpack_from("<QQ", rec, 32)
        if total_entries > lim.max_members:
            self.add(ZIP_BOMB, f"the zip container lists {_fmt(total_entries)} parts, more "
                     f"than the {_fmt(lim.max_members)} a spreadsheet could need"
                     f"{_hint('max_members')}")
            return False
        if cd_size_total > size:
            self.add(TRUNCATED_FILE, "the zip directory is larger than the file: the file "
                     "was cut short or is damaged")
            return False
        if cd_size_total > 64 * MiB:
            self.add(ZIP_BOMB, f"the zip directory alone is {_fmt(cd_size_total)} bytes; a "
                     "spreadsheet's is a few kilobytes")
            return False
        return True

    def zip_sizes_ok(self, infos: list[zipfile.ZipInfo], size: int) -> bool:
        """Declared sizes, ratios, overlaps, encryption, methods — before decompressing."""
        lim = self.limits
        ok = True
        if len(infos) > lim.max_members:
            self.add(ZIP_BOMB, f"the zip container holds {_fmt(len(infos))} parts, more than "
                     f"the {_fmt(lim.max_members)} a spreadsheet could need{_hint('max_members')}")
            return False
        total = 0
        for info in infos:
            total += info.file_size
            if info.flag_bits & 0x1:
                self.add(PASSWORD_PROTECTED, f"part {info.filename} is encrypted with a "
                         "password; remove the password (save an unprotected copy) and try "
                         "again")
                return False
            if info.file_size > lim.max_member_bytes:
                self.add(ZIP_BOMB, f"part {info.filename} declares {_fmt(info.file_size)} bytes "
                         f"uncompressed, more than the {_fmt(lim.max_member_bytes)} allowed for "
                         f"one part{_hint('max_member_bytes')}")
                ok = False
            elif info.file_size >= lim.ratio_min_bytes and (
                info.file_size > lim.max_compression_ratio * max(info.compress_size, 1)
            ):
                ratio = info.file_size / max(info.compress_size, 1)
                self.add(ZIP_BOMB, f"part {info.filename} expands {ratio:,.0f} times "
                         f"({_fmt(info.compress_size)} bytes to {_fmt(info.file_size)}); real "
                         f"spreadsheets compress less than {lim.max_compression_ratio:,.0f} "
                         f"times{_hint('max_compression_ratio')}")
                ok = False
            if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED,
                                          zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA):
                self.add(UNSUPPORTED_FORMAT, f"part {info.filename} uses zip compression method "
                         f"{info.compress_type}, which spreadsheet programs do not write and "
                         "shortlist cannot check")
                ok = False
        if ok and total > lim.max_uncompressed_bytes:
            self.add(ZIP_BOMB, f"the parts of the zip container add up to {_fmt(total)} bytes "
                     f"uncompressed, more than the {_fmt(lim.max_uncompressed_bytes)} allowed"
                     f"{_hint('max_uncompressed_bytes')}")
            ok = False
        if not ok:
            return False
        # Overlapping members (the "better zip bomb" construction) and data past the end.
        ordered = sorted(infos, key=lambda i: i.header_offset)
        for cur, nxt in zip(ordered, [*ordered[1:], None], strict=True):
            end = cur.header_offset + cur.compress_size
            if nxt is not None and end > nxt.header_offset:
                self.add(ZIP_BOMB, f"parts {cur.filename} and {nxt.filename} overlap inside the "
                         "zip container, a construction used only by zip bombs")
                return False
            if end > size:
                self.add(TRUNCATED_FILE, f"part {cur.filename} runs past the end of the file: "
                         "the file was cut short")
                return False
        return True

    def read_part_error(self, info: zipfile.ZipInfo, exc: BaseException,
                        sheet: str | None = None) -> None:
        if isinstance(exc, EOFError):
            self.add(TRUNCATED_FILE, f"part {info.filename} ends early: the file was cut short",
                     sheet=sheet)
        elif "CRC" in str(exc):
            self.add(CORRUPT_FILE, f"part {info.filename} is damaged (its size or checksum "
                     "does not match its content)", sheet=sheet)
        else:
            self.add(CORRUPT_FILE, f"part {info.filename} cannot be decompressed ({exc})",
                     sheet=sheet)

    def whole(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo,
              cap: int = _CHUNK) -> bytes | None:
        """A small part's content, decompressed once and kept (until popped from
        ``self._whole``) for every check that needs it. None for an empty or large part or
        one that cannot be read: the caller then streams it as before and reports the error
        it meets there, exactly as without this copy. `cap` is the size of the read the
        part's own pass would make (so a part whose declared size lies behaves the same)."""
        data = self._whole.get(id(info))
        if data is None and 0 < info.file_size <= _WHOLE_CAP and not info.is_dir():
            try:
                data = _read_capped(zf, info, cap)
            except _READ_ERRORS:
                return None
            self._whole[id(info)] = data
        return data

    def read_small(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo | None) -> bytes | None:
        """Whole content of a small part after a prolog check; None if absent or too big."""
        if info is None or info.file_size > _SMALL_PART_CAP:
            return None
        data = self.whole(zf, info, _SMALL_PART_CAP)
        if data is None:
            try:
                data = _read_capped(zf, info, _SMALL_PART_CAP)
            except _READ_ERRORS as exc:
                self.read_part_error(info, exc)
                raise _Stop from exc
        if not self.report_prolog(info, data, complete=True, sheet=None):
            raise _Stop
        return data

    def check_prolog(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo,
                     sheet: str | None) -> bool:
        """Read the start of a part and refuse DOCTYPE/ENTITY declarations. True if clean."""
        if info.is_dir() or info.file_size == 0:
            return True
        data = self._whole.get(id(info))
        if data is not None:
            data = data[:_PROLOG_BYTES]
        else:
            try:
                data = _read_capped(zf, info, _PROLOG_BYTES)
            except _READ_ERRORS as exc:
                self.read_part_error(info, exc, sheet)
                return False
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            data = data.decode("utf-16", "replace").encode("utf-8")
        elif data.startswith(b"<\x00"):
            data = data.decode("utf-16-le", "replace").encode("utf-8")
        elif data.startswith(b"\x00<"):
            data = data.decode("utf-16-be", "replace").encode("utf-8")
        return self.report_prolog(info, data, complete=len(data) < _PROLOG_BYTES, sheet=sheet)

    def report_prolog(self, info: zipfile.ZipInfo, data: bytes, complete: bool,
                      sheet: str | None) -> bool:
        found = (_whole_prolog_problem if complete else _prolog_problem_at_start)(data)
        if found is None:
            return True
        what, decl = found
        part = info.filename
        if what == "unfinished":
            self.add(CORRUPT_FILE, f"part {part} starts with more than {_fmt(_PROLOG_BYTES)} "
                     "bytes of declarations before any content; refused", sheet=sheet)
        elif what == "entities":
            self.add(XML_ENTITIES, f"part {part} declares XML entities ({decl!r}); spreadsheets "
                     "never need them and they are how 'billion laughs' entity bombs work",
                     sheet=sheet)
        elif what == "external":
            if part.lower() == "meta-inf/manifest.xml":
                return True  # OpenOffice 1-3 name their manifest DTD; never fetched, harmless
            self.add(XML_ENTITIES, f"part {part} refers to an external DTD or entity "
                     f"({decl!r}); files that make an XML parser fetch other files (XXE) are "
                     "refused", sheet=sheet)
        else:
            self.add(XML_ENTITIES, f"part {part} has a DOCTYPE declaration ({decl!r}), which "
                     "no spreadsheet needs; refused", sheet=sheet)
        return False

    # -- OOXML (xlsx, xlsm, xlsb) ---------------------------------------------------------

    def inspect_ooxml(self, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo],
                      kind: str) -> None:
        by_lower: dict[str, list[zipfile.ZipInfo]] = {}
        for info in infos:
            by_lower.setdefault(_part_key(info), []).append(info)
        try:
            sheets, sst_parts = self.ooxml_sheet_map(zf, by_lower)
        except _Stop:
            return
        # Parts calamine will read in full: shared strings first (their lengths are needed to
        # weigh references), then worksheets. Everything else only needs its prolog checked.
        sst = _SstInfo()
        full: set[str] = set()
        first_sst = True  # the part whose string lengths an exact count would use
        for name in sst_parts:
            for info in by_lower.get(name, []):
                full.add(info.filename)
                if kind == "xlsx" and not self.scan_sst(zf, info, sst, first_sst):
                    return
                if kind == "xlsb" and not self.scan_xlsb_sst(zf, info, sst, first_sst):
                    return
                first_sst = False
        if kind == "xlsx":
            budget = _Budget(self.limits.max_expanded_chars)
            scanned: list[zipfile.ZipInfo] = []
            for name, sheet_name in sheets.items():
                for info in by_lower.get(name, []):
                    full.add(info.filename)
                    if self.scan_xlsx_sheet(zf, info, sheet_name, sst, budget):
                        scanned.append(info)
            if self.grid_refused:
                return
            # Each cell was weighed as if it referenced the longest shared string. Only if that
            # bound is large are the real references counted (a second pass, rarely needed).
            if sst.count and budget.total > self.limits.max_expanded_chars // 2:
                self.shared_strings_exact(zf, sst_parts, by_lower, sst, scanned)
        else:
            budget = _Budget(self.limits.max_expanded_chars)
            for name, sheet_name in sheets.items():
                for info in by_lower.get(name, []):
                    full.add(info.filename)
                    if not self.scan_xlsb_sheet(zf, info, sheet_name, sst, budget):
                        return
        for info in infos:
            if info.filename not in full:
                self.check_prolog(zf, info, None)
        self._whole.clear()

    def ooxml_sheet_map(self, zf: zipfile.ZipFile, by_lower: dict[str, list[zipfile.ZipInfo]]
                        ) -> tuple[dict[str, str | None], list[str]]:
        """Map lower-cased worksheet part names to the sheet names users see.

        Worksheets are found from the workbook's relationships (as calamine finds them,
        case-insensitively) and, in case those are damaged, from the ``worksheets/`` folder.
        """
        def first(name: str) -> zipfile.ZipInfo | None:
            found = by_lower.get(name)
            return found[-1] if found else None

        wb_part = "xl/workbook.xml"
        rels = self.read_small(zf, first("_rels/.rels"))
        target = _office_document(rels) if rels is not None else None
        if target is not None:
            wb_part = _join_target("", target or wb_part).lower()
        if wb_part not in by_lower and "xl/workbook.bin" in by_lower:
            wb_part = "xl/workbook.bin"
        base = posixpath.dirname(wb_part)
        wb_rels_name = posixpath.join(base, "_rels", posixpath.basename(wb_part) + ".rels")
        targets: dict[str, tuple[str, str]] = {}  # rId -> (type, part)
        wb_rels = self.read_small(zf, first(wb_rels_name))
        sst_parts: list[str] = []
        if wb_rels is not None:
            for rid, full_type, target, mode in _relationships(wb_rels):
                if mode == "external":
                    continue
                typ = full_type.rsplit("/", 1)[-1]
                part = _join_target(base, target or "").lower()
                targets[rid] = (typ, part)
                if typ == "sharedStrings":
                    sst_parts.append(part)
        for default_sst in ("xl/sharedstrings.xml", "xl/sharedstrings.bin"):
            if default_sst in by_lower and default_sst not in sst_parts:
                sst_parts.append(default_sst)
        sheets: dict[str, str | None] = {}
        if wb_part.endswith(".xml"):
            wb = self.read_small(zf, first(wb_part))
            if wb is not None:
                for shown, sheet_rid in _workbook_sheets(wb):
                    if sheet_rid is not None and sheet_rid in targets:
                        sheets.setdefault(targets[sheet_rid][1], shown)
        elif wb_part.endswith(".bin") and (info := first(wb_part)) is not None \
                and info.file_size <= _SMALL_PART_CAP:
            try:
                wb_bin = _read_capped(zf, info, _SMALL_PART_CAP)
            except _READ_ERRORS:
                wb_bin = b""  # calamine reports it
            for sheet_rid, shown in _xlsb_sheets(wb_bin):
                if sheet_rid in targets:
                    sheets.setdefault(targets[sheet_rid][1], shown)
        for typ, part in targets.values():
            if typ in ("worksheet", "dialogsheet", "macrosheet"):
                sheets.setdefault(part, None)
        for lower in by_lower:
            if re.search(r"(^|/)(worksheets|dialogsheets|macrosheets)/[^/]+\.(xml|bin)$", lower):
                sheets.setdefault(lower, None)
        return sheets, sst_parts

    def scan_sst(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, sst: _SstInfo,
                 lengths: bool = False) -> bool:
        """Stream the shared-string table: prolog, over-long strings, count, longest; with
        `lengths`, also every string's byte length as :meth:`sst_lengths` measures it, so that
        an exact count of references needs no second pass over the table."""
        data = self.whole(zf, info)
        try:
            if not self.check_prolog(zf, info, None):
                return False
            return self.sst_pass(zf, info, sst, lengths, data)
        finally:
            self._whole.pop(id(info), None)

    def sst_pass(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, sst: _SstInfo,
                 lengths: bool, data: bytes | None) -> bool:
        runs = _LongRuns(self.limits.max_cell_chars)
        split = _SI_SPLIT
        has_text = _SI_HAS_TEXT
        open_len = -1  # bytes of the <si> element still open at the end of the last piece
        # Lengths as sst_lengths records them: strings holding neither <t> nor <r> are
        # skipped (as calamine skips them); `open_text`: the open string holds one.
        found: array[int] | None = array("Q") if lengths else None
        open_text = False
        try:
            for piece in _pieces(_decoded_chunks(zf, info, data), 2 * _CHUNK):
                parts = split.split(piece)
                if found is not None and open_len >= 0 and not open_text:
                    open_text = has_text.search(parts[0]) is not None
                if len(parts) > 1:
                    head = open_len + len(parts[0]) if open_len >= 0 else 0
                    if found is not None:
                        if open_len >= 0 and open_text:
                            found.append(head)
                        found.extend([len(seg) for seg in parts[1:-1]
                                      if has_text.search(seg) is not None])
                        open_text = has_text.search(parts[-1]) is not None
                        if len(found) > _EAGER_SST_LENGTHS:
                            found = None  # measured again only if needed (sst_lengths)
                    sst.longest = max(sst.longest, head, max(map(len, parts[1:])))
                    open_len = len(parts[-1])
                elif open_len >= 0:
                    open_len += len(piece)
                if runs.check(piece):
                    chars, start, _ = runs.found or (0, 0, 0)
                    index = sst.count + len(split.findall(piece, 0, start)) - 1
                    self.add(CELL_TOO_LARGE, f"shared string #{max(index, 0)} in part "
                             f"{info.filename} is {_fmt(chars)} characters long, more than the "
                             f"{_fmt(self.limits.max_cell_chars)} allowed in one cell"
                             f"{_hint('max_cell_chars')}")
                    return False
                sst.count += len(parts) - 1
        except _READ_ERRORS as exc:
            self.read_part_error(info, exc)
            return False
        sst.longest = max(sst.longest, open_len)
        if found is not None:
            if open_len > 0 and open_text:
                found.append(open_len)
            sst.lengths = found
        return True

    def sst_lengths(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, sst: _SstInfo) -> bool:
        """Byte length of every string, indexed as calamine indexes them (exact mode only).

        calamine skips ``<si>`` elements that hold neither ``<t>`` nor ``<r>``, which shifts
        later indices; lengths are stored after the same skip.
        """
        split = _SI_SPLIT
        has_text = _SI_HAS_TEXT
        lengths: array[int] = array("Q")
        pending = b""
        started = False  # the text before the first <si> is the table's header
        try:
            for piece in _pieces(_decoded_chunks(zf, info), 2 * _CHUNK):
                parts = split.split(pending + piece)
                pending = parts.pop()
                if not started and parts:
                    parts = parts[1:]
                    started = True
                elif not started:
                    continue
                for seg in parts:
                    if has_text.search(seg):
                        lengths.append(len(seg))
        except _READ_ERRORS as exc:
            self.read_part_error(info, exc)
            return False
        if started and pending and has_text.search(pending):
            lengths.append(len(pending))
        sst.lengths = lengths
        return True

    def shared_strings_exact(self, zf: zipfile.ZipFile, sst_parts: list[str],
                             by_lower: dict[str, list[zipfile.ZipInfo]], sst: _SstInfo,
                             sheets: list[zipfile.ZipInfo]) -> None:
        """Count the characters the worksheets' shared-string references expand to."""
        sst_infos = [i for n in sst_parts for i in by_lower.get(n, [])]
        if not sst_infos:
            return
        if sst.lengths is None and not self.sst_lengths(zf, sst_infos[0], sst):
            return  # (normally noted by scan_sst; measured here for very large tables)
        if sst.lengths is None:
            return
        lengths = sst.lengths
        limit = self.limits.max_expanded_chars
        total = 0
        for info in sheets:
            try:
                for piece in _pieces(_decoded_chunks(zf, info), 2 * _CHUNK):
                    refs = _S_REF.findall(piece)
                    unmatched = len(_T_S.findall(piece)) - len(refs)
                    try:
                        total += sum(map(lengths.__getitem__, map(int, refs)))
                    except IndexError:
                        total += sum(lengths[int(i)] for i in refs if int(i) < len(lengths))
                    total += max(unmatched, 0) * sst.longest
            except _READ_ERRORS as exc:
                self.read_part_error(info, exc)
                return
            if total > limit:
                break
        if total > limit:
            self.add(TEXT_TOO_LARGE, f"the worksheets reference the shared-string table so "
                     f"often that their text would expand to about {_fmt(total)} characters, "
                     f"more than the {_fmt(limit)} allowed (a few long strings repeated in "
                     f"very many cells){_hint('max_expanded_chars', ';')}")

    def scan_xlsx_sheet(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, sheet: str | None,
                        sst: _SstInfo, budget: _Budget) -> bool:
        """Scan one worksheet; True if it was read to the end without a problem."""
        label = sheet if sheet is not None else info.filename
        self.whole(zf, info)  # a small sheet is decompressed once, for both checks
        try:
            return self.xlsx_sheet_checks(zf, info, sheet, label, sst, budget)
        finally:
            self._whole.pop(id(info), None)

    def xlsx_sheet_checks(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, sheet: str | None,
                          label: str, sst: _SstInfo, budget: _Budget) -> bool:
        if not self.check_prolog(zf, info, label):
            return False
        try:
            marker = _XlsxMarks(self.limits.max_cells)
            result = self.xlsx_sheet_pass(zf, info, label, sst, budget, marker, fast=True)
            if result is None:
                marker = _XlsxMarks(self.limits.max_cells)
                result = self.xlsx_sheet_pass(zf, info, label, sst, budget, marker, fast=False)
        except _READ_ERRORS as exc:
            self.read_part_error(info, exc, label)
            return False
        except _Stop:
            return False
        if result:
            self.keep_marks(sheet, marker.marks)
            return self.count_grid(label, *self.last_range)
        return bool(result)

    def xlsx_sheet_pass(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, sheet: str,
                        sst: _SstInfo, budget: _Budget, marker: _XlsxMarks,
                        fast: bool) -> bool | None:
        """One streamed pass over a worksheet. Returns None if the fast path cannot be used,
        else whether the sheet is within the limits. Error and formula cells go to `marker`."""
        lim = self.limits
        rng = _Range(lim)
        runs = _LongRuns(lim.max_cell_chars)
        row_idx = 0  # calamine's 0-based row index for cells without r=
        col_idx = 0  # calamine's 0-based column index for the next cell without r=
        row_last = 0  # 1-based column of the last non-empty r-less cell in the current row
        cells = 0  # cells that may reference a shared string
        for piece in _pieces(_decoded_chunks(zf, info, self._whole.get(id(info))), 2 * _CHUNK):
            if runs.check(piece):
                chars, start, _ = runs.found or (0, 0, 0)
                near = list(re.finditer(rb'\sr\s*=\s*["\']([A-Za-z]+)(\d+)["\']',
                                        piece[max(0, start - 4096) : start]))
                m = near[-1] if near else None
                self.add(CELL_TOO_LARGE, f"a cell holds a text run of {_fmt(chars)} characters, "
                         f"more than the {_fmt(self.limits.max_cell_chars)} allowed"
                         f"{_hint('max_cell_chars')}",
                         sheet=sheet, row=int(m.group(2)) if m else None,
                         column=m.group(1).decode().upper() if m else None)
                raise _Stop
            if fast:
                # Usable only if every cell tag is '<c r="…"' with the usual attributes (no
                # prefix, no r-less cells, no second r): see `_ODD_C`.
                if _PREFIXED_C.search(piece) is not None:
                    return None
                broken = self.fast_cells(piece, rng)
                if broken is None:
                    return None
                if broken:
                    break
                if sst.count:
                    cells += piece.count(b'<c r="')
                marker.fast(piece)
                continue
            # Slow path: walk every row and cell tag as calamine does (rows and cells without
            # r= take the next index). Cells without r= are summed per row, not one by one.
            marker.continue_pending(piece)
            opened = 0
            broken = False
            for tag in _SLOW_TAG.finditer(piece):
                slash, name, attrs = tag.groups()
                if slash:
                    if name == b"row":
                        if row_last and rng.add(row_idx + 1, row_last):
                            broken = True
                            break
                        row_last = 0
                        row_idx += 1
                        col_idx = 0
                    continue
                opened += 1
                closed = attrs.endswith(b"/")
                # calamine takes a cell's last r= attribute and a row's first
                ref = _r_attribute(attrs, last=name == b"c") if b"r" in attrs else None
                if name == b"c":
                    cells += 1
                    if ref is None:
                        col_idx += 1
                        if not closed:
                            row_last = col_idx
                            if col_idx > lim.max_columns and rng.add(row_idx + 1, col_idx):
                                broken = True
                                break
                            marker.slow_cell(piece, tag.end(), attrs, row_idx, col_idx - 1)
                        continue
                    cm = _CELL_REF.fullmatch(ref)
                    if cm is None:
                        col_idx += 1  # calamine stops on a malformed reference
                        continue
                    col_idx = _col_number(cm.group(1))
                    if not closed:
                        if rng.add(int(cm.group(2)), col_idx):
                            broken = True
                            break
                        marker.slow_cell(piece, tag.end(), attrs, int(cm.group(2)) - 1,
                                         col_idx - 1)
                    continue
                # a row start
                if row_last and rng.add(row_idx + 1, row_last):
                    broken = True
                    break
                row_last = 0
                if ref is not None:
                    rm = _ROW_REF.fullmatch(ref)
                    if rm:
                        row_idx = int(rm.group(1)) - 1
                if closed:
                    row_idx += 1
                    col_idx = 0
            if broken:
                break
            if opened != len(_SLOW_TAG_START.findall(piece)):
                self.add(CORRUPT_FILE, f"part {info.filename} has a malformed row or cell tag "
                         "(an unmatched quote or '<' inside a tag); refused", sheet=sheet)
                raise _Stop
        if row_last and rng.broken is None:
            rng.add(row_idx + 1, row_last)
        budget.total += cells * sst.longest
        if rng.broken is not None:
            message, row, col = rng.broken
            self.add(SHEET_TOO_LARGE, f"cell {_col_letters(col)}{row}: {message}", sheet=sheet,
                     row=row, column=_col_letters(col))
            return False
        self.last_range = (rng.rows, rng.cols)
        return True

    def fast_cells(self, piece: bytes, rng: _Range) -> bool | None:
        """Fast path for one piece: measure its cells, and check that the fast path can read
        them. Returns True once a limit is broken, None if a cell tag needs the slow path.

        The last non-empty cell of the piece is measured first (rows normally increase, so it
        is usually the furthest); then one regex pass looks both for any non-empty cell beyond
        the range seen so far and for a cell tag the fast path cannot read. In a normal sheet
        that pass finds nothing.
        """
        pos = piece.rfind(b'<c r="')
        tries = 0
        while pos != -1 and tries < 16:
            m = _REF_AT.match(piece, pos)
            if m is not None:
                if _ODD_C_TAG.match(piece, pos) is not None:
                    return None  # e.g. a second r, which calamine would use instead
                if rng.add(int(m.group(2)), _col_number(m.group(1))):
                    return True
                break
            pos = piece.rfind(b'<c r="', 0, pos)
            tries += 1
        start = 0
        for _ in range(64):
            m = _fast_pattern(rng.rows, rng.cols).search(piece, start)
            if m is None:
                return False
            if m.group("gt") is None:
                return None
            ref = _REF_AT.match(piece, m.start())
            if ref is not None and rng.add(int(ref.group(2)), _col_number(ref.group(1))):
                return True
            start = m.end()
        # Adversarial ordering (cell after cell further out): check and measure the rest
        # directly.
        if _ODD_C_TAG.search(piece, start) is not None:
            return None
        for letters, digits in _REF_AT.findall(piece, start):
            if rng.add(int(digits), _col_number(letters)):
                return True
        return False

    def scan_xlsb_sst(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo, sst: _SstInfo,
                      lengths: bool) -> bool:
        """Walk an xlsb shared-string table (BrtSSTItem records: flags, then the text as a
        character count and UTF-16): refuse a string over the cell limit before it is read,
        and note the count, the longest and (with `lengths`) every string's length."""
        if not info.filename.lower().endswith(".bin"):
            return self.check_prolog(zf, info, None)
        limit = self.limits.max_cell_chars
        found: array[int] | None = array("Q") if lengths else None
        try:
            for typ, body, size in _xlsb_records(zf, info, head=5):
                if typ != 0x13 or len(body) < 5:  # BrtSSTItem
                    continue
                chars = int.from_bytes(body[1:5], "little")
                if chars > limit:
                    self.add(CELL_TOO_LARGE, f"shared string #{sst.count} in part "
                             f"{info.filename} is {_fmt(chars)} characters long, more than "
                             f"the {_fmt(limit)} allowed in one cell{_hint('max_cell_chars')}")
                    return False
                chars = min(chars, size)
                sst.count += 1
                sst.longest = max(sst.longest, chars)
                if found is not None:
                    found.append(chars)
                    if len(found) > _EAGER_SST_LENGTHS:
                        found = None  # every reference is then weighed as the longest
        except _READ_ERRORS as exc:
            self.read_part_error(info, exc)
            return False
        if found is not None:
            sst.lengths = found
        return True

    def scan_xlsb_sheet(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo,
                        sheet: str | None, sst: _SstInfo | None = None,
                        budget: _Budget | None = None) -> bool:
        """Walk an xlsb worksheet's records (BIFF12) for the real used range, text cells over
        the cell limit, and the text its shared-string references expand to (added to
        `budget`). False once a problem was found."""
        label = sheet if sheet is not None else info.filename
        if not info.filename.lower().endswith(".bin"):
            return self.check_prolog(zf, info, label)
        lim = self.limits
        rng = _Range(lim)
        marks = CellMarks(lim.max_cells)
        sst = sst if sst is not None else _SstInfo()
        budget = budget if budget is not None else _Budget(lim.max_expanded_chars)
        sizes = sst.lengths if sst.lengths is not None else array("Q")
        n_sizes = len(sizes)
        longest = sst.longest
        row = 0
        col = -1
        buf = b""
        pos = 0
        try:
            with zf.open(info) as fh:
                while True:
                    more = fh.read(_CHUNK)
                    buf = buf[pos:] + more
                    pos = 0
                    n = len(buf)
                    while True:
                        header = _record_header(buf, pos)
                        if header is None:
                            break
                        typ, ln, p, ok = header
                        if not ok:  # (waiting for more would buffer the rest of the part)
                            self.add(CORRUPT_FILE, f"part {info.filename} holds a record "
                                     "whose size is not a valid number (more than 4 bytes "
                                     "long): the file is damaged", sheet=label)
                            return False
                        if typ in (6, 8, 17) and p + 12 <= n:
                            # BrtCellSt, BrtFmlaString, BrtShortSt: the text's length comes
                            # first, so an over-long one is refused before it is buffered
                            at = 4 if typ == 17 else 8
                            chars = int.from_bytes(buf[p + at : p + at + 4], "little")
                            if chars > lim.max_cell_chars:
                                c = col + 2 if typ == 17 else int.from_bytes(
                                    buf[p : p + 4], "little") + 1
                                self.add(CELL_TOO_LARGE, f"a cell holds a text of "
                                         f"{_fmt(chars)} characters, more than the "
                                         f"{_fmt(lim.max_cell_chars)} allowed"
                                         f"{_hint('max_cell_chars')}", sheet=label,
                                         row=row + 1, column=_col_letters(c))
                                return False
                        if p + ln > n:
                            break
                        if (typ == 7 and ln >= 12) or (typ == 18 and ln >= 8):  # BrtCellIsst
                            at = p + (8 if typ == 7 else 4)
                            k = int.from_bytes(buf[at : at + 4], "little")
                            budget.total += sizes[k] if k < n_sizes else longest
                        if typ == 0 and ln >= 4:  # BrtRowHdr
                            row = int.from_bytes(buf[p : p + 4], "little")
                            col = -1
                        elif (2 <= typ <= 11 or typ == 62) and ln >= 4:  # cells with a column
                            col = int.from_bytes(buf[p : p + 4], "little")
                            if rng.add(row + 1, col + 1):
                                raise _Stop
                            if 8 <= typ <= 11:  # BrtFmlaString/Num/Bool/Error
                                marks.add_formula(row, col)
                            if typ in (3, 11) and ln >= 9:  # BrtCellError, BrtFmlaError
                                marks.add_error(row, col, _BIFF_ERRORS.get(buf[p + 8], ""))
                        elif 13 <= typ <= 18:  # "short" cells: next column
                            col += 1
                            if rng.add(row + 1, col + 1):
                                raise _Stop
                        elif typ in (1, 12):  # blank cells
                            col = int.from_bytes(buf[p : p + 4], "little") if typ == 1 else col + 1
                        pos = p + ln
                    if not more:
                        break
        except _READ_ERRORS as exc:
            self.read_part_error(info, exc, label)
            return False
        except _Stop:
            message, r, c = rng.broken or ("", 0, 0)
            self.add(SHEET_TOO_LARGE, f"cell {_col_letters(c)}{r}: {message}", sheet=label,
                     row=r, column=_col_letters(c))
            return False
        if budget.total > budget.limit:
            self.add(TEXT_TOO_LARGE, f"the worksheets reference the shared-string table so "
                     f"often that their text would expand to about {_fmt(budget.total)} "
                     f"characters, more than the {_fmt(budget.limit)} allowed (a few long "
                     f"strings repeated in very many cells){_hint('max_expanded_chars', ';')}",
                     sheet=label)
            return False
        self.keep_marks(sheet, marks)
        return self.count_grid(label, rng.rows, rng.cols)

    # -- ODS -------------------------------------------------------------------------------

    def inspect_ods(self, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
        by_lower = {_part_key(info): info for info in infos}
        try:
            manifest = self.read_small(zf, by_lower.get("meta-inf/manifest.xml"))
        except _Stop:
            return
        if manifest is not None and b"encryption-data" in manifest:
            self.add(PASSWORD_PROTECTED, "the spreadsheet is encrypted with a password; save "
                     "an unprotected copy and try again")
            return
        self.all_at_once = True  # calamine decodes every table of an .ods when it opens it
        for info in infos:
            if _part_key(info) == "content.xml":
                self.scan_ods_content(zf, info)
            elif _part_key(info) != "meta-inf/manifest.xml":
                self.check_prolog(zf, info, None)

    def scan_ods_content(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        if not self.check_prolog(zf, info, None):
            return
        scan = _OdsScan(self, info)
        try:
            scan.run(_pieces(_decoded_chunks(zf, info), 2 * _CHUNK))
            if scan.hidden_markup:
                self.check_well_formed(zf, info)
        except _READ_ERRORS as exc:
            self.read_part_error(info, exc)
        except _Stop:
            pass

    def check_well_formed(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        """Parse a part with expat (no DTD: refused already) and refuse it unless it is
        well-formed and nested at most `_MAX_DEPTH` deep.

        Only run on parts whose comments, CDATA sections, processing instructions or '<' in
        attribute values could hide tags from the regular expressions of the scan; honest
        spreadsheets have none, so this slower pass is rare.
        """
        parser = pyexpat.ParserCreate("UTF-8")  # the chunks are UTF-8 whatever is declared
        depth = 0

        def start(_name: str, _attrs: object) -> None:
            nonlocal depth
            depth += 1
            if depth > _MAX_DEPTH:
                raise _Broken(CORRUPT_FILE, f"part {info.filename} nests elements more than "
                              f"{_fmt(_MAX_DEPTH)} deep; refused")

        def end(_name: str) -> None:
            nonlocal depth
            depth -= 1

        parser.StartElementHandler = start
        parser.EndElementHandler = end
        try:
            for chunk in _decoded_chunks(zf, info):
                parser.Parse(chunk, False)
            parser.Parse(b"", True)
        except _Broken as exc:
            self.add(exc.kind, exc.message)
            raise _Stop from None
        except pyexpat.ExpatError as exc:
            self.add(CORRUPT_FILE, f"part {info.filename} is not well-formed XML "
                     f"({pyexpat.ErrorString(exc.code)} at line {exc.lineno}, column "
                     f"{exc.offset}); the file is damaged")
            raise _Stop from None

    # -- OLE ---------------------------------------------------------------------------------

    def inspect_ole(self, mm: mmap.mmap, size: int) -> None:
        try:
            cfb = _Cfb(mm, size)
        except _Broken as exc:
            self.add(exc.kind, exc.message)
            return
        except (struct.error, IndexError, ValueError):
            self.add(TRUNCATED_FILE, "the OLE compound document is cut short or damaged")
            return
        kind = _classify_ole(cfb)
        if kind.kind == "encrypted-ooxml":
            self.add(PASSWORD_PROTECTED, "the workbook is encrypted with a password (Excel "
                     "'Encrypt with Password'); save an unprotected copy and try again")
            return
        if self.ext in _EXPECTED_KINDS:
            self.wrong_extension(kind)
        elif kind.kind != "xls":
            self.add(NOT_A_SPREADSHEET, f"the file is {kind.description}")
        if kind.kind != "xls":
            return
        entry = next((e for e in cfb.entries if e.kind == 2 and e.name.lower() == "workbook"),
                     None) or next(
            (e for e in cfb.entries if e.kind == 2 and e.name.lower() == "book"), None)
        if entry is None:  # pragma: no cover - _classify_ole found one
            return
        try:
            self.scan_biff(cfb.stream(entry))
        except _Broken as exc:
            self.add(exc.kind, exc.message)
        except (struct.error, IndexError, ValueError):
            self.add(CORRUPT_FILE, "the workbook stream is damaged")

    def scan_biff(self, s: bytes) -> None:
        """Walk an .xls Workbook stream: FILEPASS, SST count, sheets' dimensions and cells."""
        n = len(s)
        pos = 0
        sheets: list[tuple[int, str]] = []
        biff8 = True
        first = True
        while pos + 4 <= n:
            typ, ln = _REC.unpack_from(s, pos)
            data = pos + 4
            if data + ln > n:
                self.add(TRUNCATED_FILE, "the workbook stream ends in the middle of a record: "
                         "the file is cut short or damaged")
                return
            if first:
                first = False
                if typ != 0x0809 and typ not in (0x0209, 0x0409):
                    self.add(CORRUPT_FILE, "the workbook stream does not start with a BOF "
                             "record; the file is damaged")
                    return
                if ln >= 2:
                    vers = _U16.unpack_from(s, data)[0]
                    biff8 = vers == 0x0600 or (vers == 0 and not (
                        ln >= 4 and _U16.unpack_from(s, data + 2)[0] == 0x1000))
            if typ == 0x002F:  # FILEPASS
                self.add(PASSWORD_PROTECTED, "the workbook is encrypted with a password; save "
                         "an unprotected copy and try again")
                return
            if typ == 0x0085 and ln >= 8:  # BOUNDSHEET
                (offset,) = struct.unpack_from("<I", s, data)
                cch = s[data + 6]
                if biff8:
                    wide = s[data + 7] & 1 if ln >= 8 else 0
                    raw = s[data + 8 : data + 8 + cch * (2 if wide else 1)]
                    name = raw.decode("utf-16-le" if wide else "latin-1", "replace")
                else:
                    name = s[data + 7 : data + 7 + cch].decode("cp1252", "replace")
                sheets.append((offset, name))
            elif typ == 0x00FC and ln >= 8:  # SST
                (unique,) = struct.unpack_from("<i", s, data + 4)
                if unique < 0 or unique > n:
                    self.add(CORRUPT_FILE, f"the shared-string table declares {_fmt(unique)} "
                             f"strings, impossible in a {_fmt(n)}-byte workbook stream; the "
                             "file is damaged or crafted")
                    return
            elif typ == 0x000A:
                break
            pos = data + ln
        self.all_at_once = True  # calamine decodes every sheet of an .xls when it opens it
        for offset, name in sheets:
            if offset >= n:
                self.add(CORRUPT_FILE, "the workbook points to a sheet past the end of its "
                         "stream; the file is damaged", sheet=name)
                continue
            self.scan_biff_sheet(s, offset, name)
            if self.grid_refused:
                return

    def scan_biff_sheet(self, s: bytes, pos: int, name: str) -> None:
        lim = self.limits
        rng = _Range(lim)
        n = len(s)
        unpack = _REC.unpack_from
        cells = _CELL_RECORDS
        marks = CellMarks(lim.max_cells)
        declared = (0, 0)  # rows, columns calamine reserves from the DIMENSIONS record
        while pos + 4 <= n:
            typ, ln = unpack(s, pos)
            data = pos + 4
            if data + ln > n:
                return  # calamine reports the damage itself; nothing to allocate
            if typ in cells and ln >= 4:
                row, col = unpack(s, data)
                if rng.add(row + 1, col + 1):
                    break
                if typ == 0x0006 and ln >= 14:  # FORMULA: cached result in bytes 6-13
                    marks.add_formula(row, col)
                    if s[data + 12] == 0xFF and s[data + 13] == 0xFF and s[data + 6] == 2:
                        marks.add_error(row, col, _BIFF_ERRORS.get(s[data + 8], ""))
                elif typ == 0x0205 and ln >= 8 and s[data + 7] == 1:  # BOOLERR, an error
                    marks.add_error(row, col, _BIFF_ERRORS.get(s[data + 6], ""))
            elif typ == 0x00BD and ln >= 6:  # MULRK
                row, first = unpack(s, data)
                (last,) = _U16.unpack_from(s, data + ln - 2)
                if rng.add(row + 1, max(first, last) + 1):
                    break
            elif typ == 0x0200 and ln in (10, 14):  # DIMENSIONS: calamine reserves from it
                if ln == 14:
                    rf, rl = struct.unpack_from("<II", s, data)
                    cf, cl = struct.unpack_from("<HH", s, data + 8)
                else:
                    rf, rl, cf, cl = struct.unpack_from("<HHHH", s, data)
                if rl >= 1 and cl >= 1:
                    if rf > rl - 1:
                        # calamine computes rl-1-rf+1 in unsigned arithmetic: ~4 billion rows
                        self.add(CORRUPT_FILE, f"the sheet declares impossible dimensions "
                                 f"(rows {_fmt(rf + 1)} to {_fmt(rl)}); the file is damaged "
                                 "or crafted", sheet=name)
                        return
                    declared = (rl - rf, max(cl - cf, cl))
                    reserved = declared[0] * declared[1]
                    if reserved > lim.max_cells:
                        need, ceiling = grid_bytes(reserved, reserved, True), memory_ceiling()
                        how = (_memory_refusal(need, ceiling) if need > ceiling else
                               f"limit max_cells = {_fmt(lim.max_cells)}, raise it with "
                               "--limit max_cells=N")
                        self.add(SHEET_TOO_LARGE, f"the sheet declares a used range of "
                                 f"{_fmt(rl - rf)} rows × {_fmt(max(cl - cf, cl))} columns "
                                 f"({_fmt(reserved)} cells; {how}), which would be reserved "
                                 "in memory before any cell is read", sheet=name)
                        return
            elif typ == 0x00E5 and (ln < 2 or ln < 2 + 8 * _U16.unpack_from(s, data)[0]):
                # MERGECELLS shorter than the ranges it declares: calamine panics on it
                self.add(CORRUPT_FILE, "the sheet's merged-cells record is damaged (it "
                         "declares more ranges than it holds)", sheet=name)
                return
            elif typ == 0x000A:
                break
            pos = data + ln
        if rng.broken is not None:
            message, row, col = rng.broken
            self.add(SHEET_TOO_LARGE, f"cell {_col_letters(col)}{row}: {message}", sheet=name,
                     row=row, column=_col_letters(col))
        else:
            self.keep_marks(name, marks)
            if declared[0] * declared[1] > rng.rows * rng.cols:
                self.count_grid(name, *declared)
            else:
                self.count_grid(name, rng.rows, rng.cols)


_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, RuntimeError,
                NotImplementedError, ValueError)


@dataclass
class _Budget:
    limit: int
    total: int = 0  # upper bound of shared-string characters referenced so far


class _OdsScan:
    """Measures each table of ODS content.xml the way calamine expands it.

    Works row by row: a few literal-prefixed searches find row boundaries, and the cells of a
    row are measured with byte counts and reverse searches rather than one regex step per tag.
    A row's width is the position after its last non-empty cell (``office:`` value attributes
    or a formula), counting ``number-columns-repeated``; empty rows count only when a non-empty
    row follows them, so LibreOffice's trailing padding is free.
    """

    def __init__(self, owner: _Inspector, info: zipfile.ZipInfo) -> None:
        self.owner = owner
        self.lim = owner.limits
        self.info = info
        self.table: str | None = None
        self.done = True  # no table open, or a problem was reported for this one
        self.rows_seen = 0  # rows so far in this table, repeats expanded (empty ones too)
        self.used_rows = 0
        self.used_cols = 0
        self.expanded = 0  # characters beyond the file's own, through repetition
        self.in_row = False
        self.row_rep = 1
        self.row_bytes = 0
        self.row_extra = 0
        self.col_pos = 0
        self.row_width = 0
        self.marks = CellMarks(self.lim.max_cells)
        self.open_table: str | None = None  # a named table whose end tag is still to come
        # Comments, CDATA, processing instructions or '<' in an attribute value: markup the
        # regular expressions here could be fooled by (see `_hides_markup`).
        self.hidden_markup = False
        # Error, formula and merged cells of the open row: (kind, column, repeat, detail).
        self.row_marks: list[tuple[str, int, int, str | tuple[int, int]]] = []
        self.refused = False  # a problem was reported for the open table
        self.counted = False  # the open table's used range was added to the file's total

    def problem(self, kind: str, message: str, row: int | None = None,
                col: int | None = None) -> None:
        self.owner.add(kind, message, sheet=self.table or "(unnamed table)", row=row,
                       column=_col_letters(col) if col else None)
        self.done = True
        self.refused = True
        self.in_row = False

    def over(self) -> bool:
        lim = self.lim
        rows, cols = self.used_rows, self.used_cols
        if rows > lim.max_rows or cols > lim.max_columns or rows * cols > lim.max_cells:
            rng = _Range(lim)
            rng.rows, rng.cols = rows, cols
            self.problem(SHEET_TOO_LARGE, "repeated non-empty cells or rows "
                         "(table:number-rows-repeated / number-columns-repeated): "
                         + rng.describe(), row=self.rows_seen + 1, col=cols)
            return True
        return False

    def run(self, pieces: Iterator[bytes]) -> None:
        runs = _LongRuns(self.lim.max_cell_chars)
        first = True
        for piece in pieces:
            if not self.hidden_markup:
                self.hidden_markup = _hides_markup(piece, first)
            first = False
            if runs.check(piece):
                chars = (runs.found or (0, 0, 0))[0]
                self.owner.add(CELL_TOO_LARGE, f"a cell holds a text run of {_fmt(chars)} "
                               f"characters, more than the {_fmt(self.lim.max_cell_chars)} "
                               f"allowed{_hint('max_cell_chars')}", sheet=self.table)
                raise _Stop
            pos = 0
            marks = sorted([(m.start(), m.end(), m.group(1)) for m in
                            _TABLE_OPEN.finditer(piece)]
                           + [(m.start(), m.end(), None) for m in _TABLE_CLOSE.finditer(piece)])
            for begin, end, attrs in marks:
                self.region(piece, pos, begin)
                pos = end
                if attrs is None:
                    self.end_table()
                    self.open_table = None
                elif not attrs.rstrip().endswith(b"/"):
                    self.start_table(attrs)
                    if _TABLE_NAME.search(attrs):
                        self.open_table = self.table
            self.region(piece, pos, len(piece))
        self.end_table()
        if self.open_table is not None:
            # calamine reads a named table until its end tag and never stops at the end of
            # the document: without this check such a file makes it loop for ever.
            self.owner.add(CORRUPT_FILE, "content.xml ends inside this table (its end tag is "
                           "missing or damaged); the file is damaged or was not completely "
                           "saved", sheet=self.open_table)
            raise _Stop

    def start_table(self, attrs: bytes) -> None:
        self.end_table()
        nm = _TABLE_NAME.search(attrs)
        raw = (nm.group(1) if nm.group(1) is not None else nm.group(2)) if nm else b""
        self.table = html.unescape(raw.decode("utf-8", "replace"))
        self.done = False
        self.refused = False
        self.counted = False
        self.rows_seen = self.used_rows = self.used_cols = 0
        self.expanded = 0
        self.in_row = False
        self.marks = CellMarks(self.lim.max_cells)

    def end_table(self) -> None:
        if self.table is not None and not self.done:
            self.over()
        if self.table is not None and not self.refused:
            self.owner.keep_marks(self.table, self.marks)
            self.marks = CellMarks(self.lim.max_cells)
            if not self.counted:
                self.counted = True
                if not self.owner.count_grid(self.table, self.used_rows, self.used_cols):
                    raise _Stop
        self.done = True

    def region(self, piece: bytes, a: int, b: int) -> None:
        """Rows (or the rest of an open row) between offsets a and b of a piece."""
        pos = a
        while pos < b and not self.done:
            if self.in_row:
                end = _ROW_END.search(piece, pos, b)
                stop = end.start() if end else b
                self.cells(piece, pos, stop)
                if end is None or self.done:
                    return
                self.end_row()
                pos = end.end()
                continue
            start = _ROW_START.search(piece, pos, b)
            if start is None:
                return
            attrs = start.group(1)
            rep = _ROWS_REP.search(attrs)
            self.in_row = True
            self.row_rep = int(rep.group(1)) if rep else 1
            self.row_bytes = start.end() - start.start()
            self.row_extra = 0
            self.col_pos = 0
            self.row_width = 0
            self.row_marks = []
            pos = start.end()
            if attrs.rstrip().endswith(b"/"):
                self.end_row()

    def cells(self, piece: bytes, a: int, b: int) -> None:
        """Measure the cells of the open row that lie between offsets a and b."""
        if a >= b:
            return
        lim = self.lim
        start_col = self.col_pos
        self.row_bytes += b - a
        count = piece.count(b"<table:table-cell", a, b) + piece.count(
            b"<table:covered-table-cell", a, b)
        reps: list[tuple[int, int]] = []
        if piece.find(b"number-columns-repeated", a, b) != -1:
            reps = [(m.start(), int(m.group(1))) for m in _COLS_REP_ANY.finditer(piece, a, b)]
        last = max(piece.rfind(b"office:", a, b), piece.rfind(b"table:formula", a, b))
        if last != -1:
            cell = max(piece.rfind(b"<table:table-cell", a, last),
                       piece.rfind(b"<table:covered-table-cell", a, last))
            if cell == -1:
                width = self.col_pos  # the value belongs to a cell opened in an earlier piece
            else:
                before = piece.count(b"<table:table-cell", a, cell) + piece.count(
                    b"<table:covered-table-cell", a, cell)
                extra = sum(v - 1 for p, v in reps if p < cell)
                tag = _CELL_AT.match(piece, cell)
                own = _COLS_REP.search(tag.group(1)) if tag else None
                width = self.col_pos + before + extra + (int(own.group(1)) if own else 1)
            self.row_width = max(self.row_width, width)
            if self.row_width > lim.max_columns:
                self.used_cols = max(self.used_cols, self.row_width)
                self.used_rows = max(self.used_rows, self.rows_seen + 1)
                self.over()
                return
        self.col_pos += count + sum(v - 1 for _, v in reps)
        # Repeated non-empty cells are copied by calamine once per repeat.
        for p, v in reps:
            if v < 2:
                continue
            cell = max(piece.rfind(b"<table:table-cell", a, p),
                       piece.rfind(b"<table:covered-table-cell", a, p))
            tag = _CELL_AT.match(piece, cell) if cell != -1 else None
            if tag is None or not (b"office:" in tag.group(1) or b"table:formula" in tag.group(1)):
                continue
            if tag.group(1).rstrip().endswith(b"/"):
                size = tag.end() - tag.start()
            else:
                close = _CELL_END.search(piece, tag.end(), b)
                size = (close.end() if close else b) - cell
            self.row_extra += size * (v - 1)
        if piece.find(b"text:c", a, b) != -1:
            for m in _TEXT_C.finditer(piece, a, b):
                spaces = int(m.group(1))
                if spaces > lim.max_cell_chars:
                    self.problem(CELL_TOO_LARGE, f"a cell asks for {_fmt(spaces)} repeated "
                                 f"spaces (<text:s text:c=…>), more than the "
                                 f"{_fmt(lim.max_cell_chars)} characters allowed in one cell"
                                 f"{_hint('max_cell_chars')}",
                                 row=self.rows_seen + 1, col=max(self.col_pos, 1))
                    return
                self.row_extra += spaces
        if (piece.find(b"table:formula", a, b) != -1 or piece.find(b"error", a, b) != -1
                or piece.find(b"-spanned", a, b) != -1):
            self.mark_cells(piece, a, b, start_col)

    def mark_cells(self, piece: bytes, a: int, b: int, col: int) -> None:
        """Note the open row's formula, error and merged cells between offsets a and b."""
        if self.done:
            return
        for m in _CELL_AT.finditer(piece, a, b):
            attrs = m.group(1)
            rep_m = _COLS_REP.search(attrs)
            rep = min(int(rep_m.group(1)), self.lim.max_columns) if rep_m else 1
            if not (b"table:formula" in attrs or b"error" in attrs or b"-spanned" in attrs):
                col += rep
                continue
            formula = _ODS_FORMULA.search(attrs) is not None
            text = _ODS_TEXT.match(piece, m.end(), b) if not attrs.rstrip().endswith(b"/") else None
            shown = _xml_text(text.group(1)) if text else ""
            error = _ODS_ERROR.search(attrs) is not None or (
                formula and _ODS_EMPTY_STRING.search(attrs) is not None
                and _ERROR_TEXT.fullmatch(shown) is not None)
            if formula:
                self.row_marks.append(("f", col, rep, ""))
            if error:
                self.row_marks.append(("e", col, rep, shown))
            spans = _ODS_COLS_SPAN.search(attrs), _ODS_ROWS_SPAN.search(attrs)
            if spans[0] or spans[1]:
                width = int(spans[0].group(1)) if spans[0] else 1
                height = int(spans[1].group(1)) if spans[1] else 1
                self.row_marks.append(("m", col, 1, (height, width)))
            col += rep

    def end_row(self) -> None:
        self.in_row = False
        rep = self.row_rep
        if self.row_width:
            self.used_rows = self.rows_seen + rep
            self.used_cols = max(self.used_cols, self.row_width)
            self.expanded += self.row_extra * rep + self.row_bytes * (rep - 1)
            if self.over():
                return
            if self.expanded > self.lim.max_expanded_chars:
                self.problem(TEXT_TOO_LARGE, f"repeated non-empty cells and rows would expand "
                             f"to more than {_fmt(self.lim.max_expanded_chars)} characters"
                             f"{_hint('max_expanded_chars')}",
                             row=self.rows_seen + 1)
                return
        if self.row_marks:
            self.keep_row_marks(rep)
        self.rows_seen += rep

    def keep_row_marks(self, rep: int) -> None:
        """The open row's marks, once per repeat of the row (within the used range, which
        has just been checked, so at most `max_cells` of them)."""
        marks = self.marks
        cap = marks.cap
        first = self.rows_seen
        for r in range(first, first + rep):
            for kind, col, n, detail in self.row_marks:
                if isinstance(detail, tuple):  # a merged range: (rows, columns) spanned
                    marks.add_merge(r, col, r + detail[0] - 1, col + detail[1] - 1)
                    continue
                for c in range(col, col + n):
                    if kind == "f":
                        marks.add_formula(r, c)
                    else:
                        marks.add_error(r, c, str(detail))
            if len(marks.formula_rows) >= cap or len(marks.error_rows) >= cap or (
                    r >= MERGE_ROWS and not any(k != "m" for k, *_ in self.row_marks)):
                break
        self.row_marks = []
