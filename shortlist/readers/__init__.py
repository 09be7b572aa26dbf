"""Reading applications: files and folders in, one tidy row per applicant out.

Every applicant read keeps its source (file, sheet, row), and every problem names its cell.
Nothing is dropped or guessed: a bad value makes its applicant invalid (still listed); a file
that cannot be read at all is reported as unreadable.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import math
import multiprocessing
import os
import signal
import sys
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import pandas as pd

from ..errors import InputNotFound, Problem
from ..paths import display_path
from ..role import Role
from .assemble import BLANK, Part, assemble_part, combine
from .blocks import Block
from .form import find_form_header, read_form
from .guard import DEFAULT_LIMITS, Inspection, Limits
from .sources import (
    FOLDER_SUFFIXES,
    SUPPORTED_SUFFIXES,
    TEXT_SUFFIXES,
    Sheet,
    TooBigHere,
    Unreadable,
    inspect_workbook,
    load_sheets,
    native_stderr_held,
)
from .table import HEADER_SEARCH_ROWS, ColumnMatcher, find_header, read_table

__all__ = ["BLANK", "DEFAULT_LIMITS", "WORKERS_ENV", "Applications", "InputSummary", "Limits",
           "expand_inputs", "read_applications", "read_file"]


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
    read = _read_file(path, role, limits)
    assert read is not None
    return read


def _read_file(path: Path, role: Role, limits: Limits, max_grid_bytes: int | None = None,
               inspection: Inspection | None = None) -> FileRead | None:
    """`read_file`; None, having read nothing, for a workbook estimated to need more than
    `max_grid_bytes` of memory (see `sources.load_sheets`). `inspection`: the guard's, if
    it has just checked the file."""
    display = display_path(path)
    suffix = path.suffix.lower()
    data: bytes | None = None
    if inspection is None:
        inspection = inspect_workbook(path, limits)
    try:
        size = path.stat().st_size
        if suffix in TEXT_SUFFIXES and size <= limits.max_file_bytes:
            data = path.read_bytes()  # read once: hashed here, parsed by the CSV reader
            data_hash = hashlib.sha256(data).hexdigest()
        elif inspection is not None and inspection.content is not None:
            data_hash = hashlib.sha256(inspection.content).hexdigest()  # the bytes read
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
        sheets = load_sheets(path, display, limits, data=data, max_grid_bytes=max_grid_bytes,
                             inspection=inspection)
    except TooBigHere:
        return None
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
    before each file is read (for progress displays), in input order.

    Many small files (a folder of forms) are read by worker processes, one per CPU
    (`SHORTLIST_WORKERS` sets how many; 1 reads in this process only): the result is the one
    reading them one after another gives.
    """
    with _cyclic_gc_paused():
        return _read_applications(role, paths, limits, on_file)


@contextlib.contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Reading builds millions of cells in lists that hold no reference cycles, and the cyclic
    garbage collector would walk them again and again as they grow (a tenth of a large read);
    what little cyclic garbage reading makes is collected once it is switched back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _read_applications(role: Role, paths: Sequence[str | os.PathLike[str]], limits: Limits,
                       on_file: Callable[[int, int, Path], None] | None) -> Applications:
    files, notes = expand_inputs(paths)
    problems: list[Problem] = list(notes)
    blocks: list[Block] = []
    inputs: list[InputSummary] = []
    parts: list[Part] = []  # assembled in order: by a worker, or here from `loose`
    loose: list[Block] = []
    with ReadAhead.start(files, role, limits) as ahead:
        for i, f in enumerate(files):
            if on_file is not None:
                on_file(i, len(files), f)
            read = ahead.take(i)  # None: read it here
            file_blocks, summary, file_problems = read or read_file(f, role, limits)
            inputs.append(summary)
            problems.extend(file_problems)
            blocks.extend(file_blocks)
            covered, part = ahead.part_at(i)
            if not covered:
                loose.extend(file_blocks)
            elif part is not None:  # the first file of a run a worker assembled
                if loose:
                    parts.append(assemble_part(role, loose))
                    loose = []
                parts.append(part)
    if loose or not parts:
        parts.append(assemble_part(role, loose))
    frame, errors, warnings = combine(parts)
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


# ---------------------------------------------------------------------------------------------
# Reading many small files in parallel

#: The environment variable that sets how many processes read files at once (1: read them one
#: after another in this process); by default, one per CPU this process may run on.
WORKERS_ENV = "SHORTLIST_WORKERS"
#: Files read in parallel: only when there are at least this many of them, ...
PARALLEL_MIN_FILES = 32
#: ... and only those of at most this size; a bigger file is read here, on its own.
PARALLEL_MAX_FILE_BYTES = 2 << 20
#: A file that a worker finds (by the guard's estimate) would need more memory than this to
#: read is handed back and read here, on its own: the limits bound one file at a time.
PARALLEL_MAX_GRID_BYTES = 64 << 20
#: Files per task sent to a worker: enough to amortise the hand-over, few enough to keep all
#: the workers busy until the end.
_MAX_CHUNK = 64
_CHUNKS_PER_WORKER = 8
_MIN_CHUNK = 8


def worker_count(files: int) -> int:
    """How many processes read `files` files at once: `SHORTLIST_WORKERS` if set (a whole
    number, at least 1), else the CPUs this process may use."""
    raw = os.environ.get(WORKERS_ENV, "").strip()
    if raw.isdigit() and int(raw) >= 1:
        wanted = int(raw)
    else:
        try:
            wanted = len(os.sched_getaffinity(0))
        except (AttributeError, OSError):
            wanted = os.cpu_count() or 1
    return max(1, min(wanted, files))


def _pool_context() -> multiprocessing.context.BaseContext | None:
    """How worker processes are started: forked on Linux (nothing to import again); else
    spawned, but only when `SHORTLIST_WORKERS` asks for workers (a spawned worker imports the
    main module again, and takes about a second to start)."""
    if multiprocessing.current_process().daemon:
        return None  # a daemon process (a worker of some pool) may not start processes
    methods = multiprocessing.get_all_start_methods()
    if sys.platform.startswith("linux") and "fork" in methods:
        return multiprocessing.get_context("fork")
    if os.environ.get(WORKERS_ENV, "").strip().isdigit() and "spawn" in methods:
        return multiprocessing.get_context("spawn")
    return None


class ReadAhead:
    """Small files read by worker processes while the caller takes them in input order.

    `take(i)` gives file i's `read_file` result, or None when the caller is to read it itself:
    a big file, a file a worker handed back, or a file whose worker failed. A worker that dies
    (a crash in native code) breaks the pool; every file not yet read is then read by the
    caller, one after another, so nothing is lost and each file gets its own message.
    """

    def __init__(self, executor: ProcessPoolExecutor, chunks: list[list[int]],
                 futures: list[Future[ChunkRead]]) -> None:
        self._executor = executor
        self._chunks = chunks
        self._futures: dict[int, Future[ChunkRead]] = dict(enumerate(futures))
        self._chunk_of = {i: k for k, chunk in enumerate(chunks) for i in chunk}
        self._ready: dict[int, FileRead | None] = {}
        self._parts: dict[int, Part] = {}  # by chunk: its files' blocks, assembled

    @classmethod
    def start(cls, files: Sequence[Path], role: Role, limits: Limits) -> ReadAhead | _NoPool:
        """A read-ahead of `files`' small files, or `_NoPool` when parallel reading would
        not pay (few files, one worker) or is not available here."""
        small = [i for i, f in enumerate(files) if _is_small(f)]
        workers = worker_count(len(small) // _MIN_CHUNK)
        context = _pool_context() if len(small) >= PARALLEL_MIN_FILES and workers > 1 else None
        if context is None:
            return _NoPool()
        size = math.ceil(len(small) / (workers * _CHUNKS_PER_WORKER))
        size = max(_MIN_CHUNK, min(_MAX_CHUNK, size))
        chunks = [small[k:k + size] for k in range(0, len(small), size)]
        executor: ProcessPoolExecutor | None = None
        try:
            executor = ProcessPoolExecutor(workers, mp_context=context,
                                           initializer=_start_worker, initargs=(role, limits))
            # A run of consecutive files is assembled by its worker too.
            futures = [executor.submit(_read_chunk, [files[i] for i in chunk],
                                       chunk == list(range(chunk[0], chunk[-1] + 1)))
                       for chunk in chunks]
        except (OSError, RuntimeError, ImportError, NotImplementedError):
            # No processes to be had here (fork failed, no semaphores): read in this one.
            if executor is not None:
                executor.shutdown(wait=False, cancel_futures=True)
            return _NoPool()
        return cls(executor, chunks, futures)

    def take(self, i: int) -> FileRead | None:
        if i in self._ready:
            return self._ready.pop(i)
        k = self._chunk_of.get(i, -1)
        future = self._futures.pop(k, None)
        if future is None:
            return None
        chunk = self._chunks[k]
        reads: list[FileRead | None]
        try:
            reads, part = future.result()
        except Exception:  # a broken pool, or a failure the caller will meet reading it
            reads, part = [None] * len(chunk), None
        self._ready.update(zip(chunk, reads, strict=True))
        if part is not None:
            self._parts[k] = part
        return self._ready.pop(i)

    def part_at(self, i: int) -> tuple[bool, Part | None]:
        """Whether file i (taken already) is in a run a worker assembled, and that run's
        `Part` if file i is its first."""
        k = self._chunk_of.get(i, -1)
        if k not in self._parts:
            return False, None
        return True, self._parts[k] if i == self._chunks[k][0] else None

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        # On an error or an interrupt, files not yet started are dropped; a worker finishes
        # the few files it is reading and stops.
        self._executor.shutdown(wait=exc is None, cancel_futures=True)


class _NoPool:
    """Every file is read by the caller."""

    def take(self, i: int) -> None:
        return None

    def part_at(self, i: int) -> tuple[bool, None]:
        return False, None

    def __enter__(self) -> _NoPool:
        return self

    def __exit__(self, *exc: object) -> None:
        return None


def _is_small(path: Path) -> bool:
    try:
        return path.stat().st_size <= PARALLEL_MAX_FILE_BYTES
    except OSError:
        return False  # read here, where its problem is reported


_WORKER_JOB: tuple[Role, Limits] | None = None


def _start_worker(role: Role, limits: Limits) -> None:
    """Set up a worker process: the role and limits every file is read with; Ctrl-C left to
    the main process (which stops the pool); standard streams of its own."""
    global _WORKER_JOB
    _WORKER_JOB = (role, limits)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # A forked child inherits the locks of the parent's stream objects as they were: held,
    # perhaps, by a thread of the parent (a progress display writing to stderr), which does
    # not exist here. Fresh objects over the same file descriptors cannot be held.
    try:
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 (for the life of the process)
        sys.stderr = open(2, "w", encoding="utf-8",  # noqa: SIM115
                          errors="backslashreplace", closefd=False)
    except OSError:
        pass


#: Workbooks a worker has the guard check in a row before reading them: a run of either kind
#: of work takes about a tenth less time than the two taken in turn, file by file (the code
#: and tables each uses stay in the processor's caches). The inspections wait in memory.
_INSPECT_AHEAD = 16


#: What a worker sends back for a chunk of files: each file's read (None: handed back), and,
#: if it was asked to and read every file, their blocks assembled.
ChunkRead = tuple[list[FileRead | None], Part | None]


def _read_chunk(files: list[Path], assemble: bool) -> ChunkRead:
    assert _WORKER_JOB is not None
    role, limits = _WORKER_JOB
    reads: list[FileRead | None] = []
    # What native code writes to stderr is held once for the chunk, not file by file: these
    # files are small, and holding it costs about a twentieth of reading one.
    with native_stderr_held():
        for k in range(0, len(files), _INSPECT_AHEAD):
            batch = files[k:k + _INSPECT_AHEAD]
            checked = [inspect_workbook(f, limits) for f in batch]
            reads.extend(_read_file(f, role, limits, PARALLEL_MAX_GRID_BYTES, inspection)
                         for f, inspection in zip(batch, checked, strict=True))
    part = None
    if assemble and all(r is not None for r in reads):
        blocks = [b for r in reads if r is not None for b in r[0]]
        part = assemble_part(role, blocks)
        for b in blocks:  # their values are in the part now: only locations travel back
            b.values = {}
    return reads, part
