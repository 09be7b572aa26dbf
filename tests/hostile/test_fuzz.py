"""Property-based fuzzing of the readers: random and mutated workbooks and CSVs.

Whatever the bytes, `read_applications` returns: every problem becomes a located `Problem`, no
exception escapes, nothing hangs and memory stays bounded. Workbooks are read in a worker
process under an address-space limit (RLIMIT_AS) with a timeout per example, so a reader that
aborts the process (as python-calamine does on some crafted files), hangs or runs away with
memory fails the example instead of taking the test run down. CSV reading is pure Python and
runs in-process.

Example counts are modest (CI stays fast); raise them locally with
``SHORTLIST_FUZZ_EXAMPLES=2000 pytest tests/hostile/test_fuzz.py``.
"""

from __future__ import annotations

import io
import json
import os
import queue
import subprocess
import sys
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shortlist.readers import read_applications
from shortlist.role import Role, load_role

from ..conftest import CRITERIA, passing, table_header, table_rows, write_role
from .sheets import Err, F, SheetSpec, write_book, xls_bytes

EXAMPLES = int(os.environ.get("SHORTLIST_FUZZ_EXAMPLES", "40"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
TIMEOUT = 60  # seconds for one file (a real read takes milliseconds)
MEMORY = 2 * 1024**3  # address space of the worker
MAX_RSS_KIB = 1536 * 1024  # peak resident memory allowed over the whole run


# ---------------------------------------------------------------------------------------------
# The worker process

WORKER = r"""
import json, resource, sys, traceback
from shortlist.readers import read_applications
from shortlist.role import load_role

role = load_role(sys.argv[1])
print("ready", flush=True)
for line in sys.stdin:
    path = line.rstrip("\n")
    try:
        apps = read_applications(role, [path])
        problems = [p.to_dict() for p in apps.problems]
        out = {"ok": True, "applicants": len(apps), "rows": len(apps.errors),
               "problems": problems[:200], "n_problems": len(problems),
               "readable": [i.readable for i in apps.inputs]}
    except BaseException:
        out = {"ok": False, "error": traceback.format_exc()[-3000:]}
    out["maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(out), flush=True)
"""


def _limit_memory() -> None:  # pragma: no cover - runs in the child
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


class Worker:
    """A long-lived reader process; restarted after a crash or a timeout."""

    def __init__(self, role_path: Path) -> None:
        self.role_path = role_path
        self.proc: subprocess.Popen[str] | None = None
        self.lines: queue.Queue[str | None] = queue.Queue()

    def start(self) -> None:
        env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(self.role_path)], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
            preexec_fn=_limit_memory if sys.platform.startswith("linux") else None)
        self.lines = queue.Queue()
        proc = self.proc

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                self.lines.put(line)
            self.lines.put(None)

        threading.Thread(target=pump, daemon=True).start()
        assert self.lines.get(timeout=TIMEOUT) == "ready\n"

    def stop(self) -> str:
        """Kill the worker; return the end of its stderr."""
        proc, self.proc = self.proc, None
        if proc is None:
            return ""
        proc.kill()
        try:
            _, err = proc.communicate(timeout=10)
        except (subprocess.TimeoutExpired, ValueError, OSError):
            err = ""
        return (err or "")[-3000:]

    def read(self, path: Path) -> dict[str, Any]:
        if self.proc is None or self.proc.poll() is not None:
            self.stop()
            self.start()
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(f"{path}\n")
        self.proc.stdin.flush()
        try:
            line = self.lines.get(timeout=TIMEOUT)
        except queue.Empty:
            err = self.stop()
            pytest.fail(f"reading {path} did not finish in {TIMEOUT} s (a hang)\n{err}")
        if line is None:
            code = self.proc.wait(timeout=10) if self.proc else None
            err = self.stop()
            pytest.fail(f"the reader process died on {path} (exit {code}): {err}")
        return json.loads(line)  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def fuzz_role_path(fuzz_dir: Path) -> Path:
    roles = fuzz_dir / "roles"
    roles.mkdir(exist_ok=True)
    return write_role(roles)


@pytest.fixture(scope="module")
def worker(fuzz_role_path: Path) -> Iterator[Worker]:
    w = Worker(fuzz_role_path)
    w.start()
    yield w
    w.stop()


_COUNTER = iter(range(10**9))


def _file(directory: Path, suffix: str, data: bytes) -> Path:
    path = directory / f"case{next(_COUNTER)}{suffix}"
    path.write_bytes(data)
    return path


def check(result: dict[str, Any], path: Path) -> None:
    """A read that returned: every problem located in the file and explained."""
    assert result["ok"], f"{path.name}: an exception escaped read_applications\n" \
                         f"{result.get('error')}"
    assert result["maxrss_kib"] < MAX_RSS_KIB, f"{path.name}: {result['maxrss_kib']} KiB"
    assert result["applicants"] == result["rows"]
    for p in result["problems"]:
        assert p["file"] and p["file"].endswith(path.name), p
        assert p["message"] and p["type"] and p["severity"] in ("error", "warning", "info"), p
        assert "Traceback" not in p["message"], p
    if result["readable"] == [False]:
        assert any(p["severity"] == "error" for p in result["problems"]), result


# ---------------------------------------------------------------------------------------------
# Strategies

ERRORS = ["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#NULL!"]
RATINGS = ["None", "Limited", "Some", "Substantial", "Extensive", "Yes", "No", "Good", "ok",
           "3", "3.0", " some ", "SOME\u00a0", "#N/A"]
# Characters an XML document may hold (XML 1.0), plus Excel's _xHHHH_ escapes of the others.
XML_TEXT = st.text(alphabet=st.characters(
    blacklist_categories=("Cs",), blacklist_characters="\ufffe\uffff",
    min_codepoint=0x9).filter(lambda ch: ch in "\t\n\r" or ord(ch) >= 0x20), max_size=40)
ESCAPES = st.sampled_from(["_x0001_", "_x000D_", "_x0000_", "_xD800_", "_x", "_xZZZZ_"])


@st.composite
def text_cells(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 9))
    if kind == 0:  # a huge string (the per-cell limit is 1,000,000 characters)
        return draw(st.sampled_from(["x", "word ", "€", "\u00a0"])) * draw(
            st.integers(1000, 60_000))
    if kind == 1:
        return draw(XML_TEXT) + draw(ESCAPES) + draw(XML_TEXT)
    if kind == 2:  # formula-like text
        return draw(st.sampled_from(["=", "+", "-", "@"])) + draw(XML_TEXT)
    return draw(XML_TEXT)


CELL = st.one_of(
    st.just(""), st.just(None), st.sampled_from(RATINGS), text_cells(),
    st.integers(-(2**53), 2**53), st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.builds(F, st.sampled_from(["1+1", 'A1&"x"', "SUM(A:A)", "NA()", "1/0", "Lists!B2"]),
              st.one_of(st.none(), st.sampled_from(RATINGS), st.integers(-9, 9),
                        st.booleans())),
    st.builds(Err, st.sampled_from(ERRORS), st.sampled_from([None, "NA()", "1/0"])),
)
SHEET_NAME = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"),
                                            blacklist_characters="\ufffe\uffff"),
                     min_size=1, max_size=31)


@st.composite
def workbooks(draw: st.DrawFn) -> tuple[str, list[SheetSpec], bool]:
    """A structurally valid workbook: the role's header (often perturbed), applicants with
    random cells, random sheet names and visibility, merges, title rows, stray cells."""
    suffix = draw(st.sampled_from([".xlsx", ".ods", ".xls"]))
    refs = suffix != ".xlsx" or draw(st.booleans())
    names = draw(st.lists(SHEET_NAME, min_size=1, max_size=3, unique_by=str.casefold))
    sheets = []
    for name in names:
        head: list[Any] = list(table_header())
        for _ in range(draw(st.integers(0, 3))):
            head[draw(st.integers(0, len(head) - 1))] = draw(CELL)
        n = draw(st.integers(0, 6))
        rows: list[list[Any]] = [list(r) for r in table_rows(
            [passing(f"A{k}") for k in range(n)], CRITERIA)]
        for row in rows:
            for _ in range(draw(st.integers(0, 4))):
                row[draw(st.integers(0, len(row) - 1))] = draw(CELL)
            if draw(st.integers(0, 5)) == 0:
                row.extend(draw(st.lists(CELL, max_size=3)))
        above = draw(st.lists(st.lists(CELL, max_size=4), max_size=3))
        grid = [*above, head, *rows]
        if draw(st.integers(0, 4)) == 0:
            grid = draw(st.lists(st.lists(CELL, max_size=8), max_size=8))  # no table at all
        if suffix == ".xls":  # BIFF8 LABEL records hold at most 255 characters
            grid = [[v[:255] if isinstance(v, str) else v for v in r] for r in grid]
        merges = []
        height, width = len(grid), max((len(r) for r in grid), default=0)
        if height and width:
            for _ in range(draw(st.integers(0, 3))):
                r0, c0 = draw(st.integers(0, height - 1)), draw(st.integers(0, width - 1))
                merges.append((r0, c0, draw(st.integers(r0, height)),
                               draw(st.integers(c0, width))))
        state = draw(st.sampled_from(["visible", "visible", "hidden", "veryHidden"]))
        sheets.append(SheetSpec(name if suffix != ".xls" else name[:31], grid, merges,
                                state if suffix != ".ods" or state != "veryHidden"
                                else "hidden"))
    return suffix, sheets, refs


def _base_sheet() -> SheetSpec:
    rows = table_rows([passing("A1"), passing("A2", E1="Extensive"), passing("A3")])
    rows[0][7] = F('"So"&"me"', "Some")
    rows[1][9] = Err("#N/A")
    return SheetSpec("Applications", [["Applications"], table_header(), *rows],
                     [(0, 0, 0, 3)])


@pytest.fixture(scope="module")
def base_files(fuzz_dir: Path) -> dict[str, bytes]:
    """A valid workbook of each kind, to mutate."""
    out = {}
    for suffix in (".xlsx", ".ods", ".xls"):
        path = write_book(fuzz_dir / f"base{suffix}", _base_sheet(),
                          SheetSpec("Hidden", [["x"]], state="hidden"))
        out[suffix] = path.read_bytes()
    return out


@st.composite
def mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """`data` with a few byte-level changes: flips, overwrites, deletions, insertions,
    duplications, a truncation."""
    buf = bytearray(data)
    for _ in range(draw(st.integers(1, 6))):
        if not buf:
            break
        op = draw(st.integers(0, 5))
        at = draw(st.integers(0, len(buf) - 1))
        if op == 0:
            buf[at] ^= 1 << draw(st.integers(0, 7))
        elif op == 1:
            chunk = draw(st.binary(min_size=1, max_size=16))
            buf[at:at + len(chunk)] = chunk
        elif op == 2:
            del buf[at:at + draw(st.integers(1, 64))]
        elif op == 3:
            buf[at:at] = draw(st.binary(min_size=1, max_size=32))
        elif op == 4:
            n = draw(st.integers(1, 256))
            buf[at:at] = buf[at:at + n] * draw(st.integers(1, 8))
        else:
            del buf[at:]
    return bytes(buf)


XML_TOKENS = [b"<", b">", b'"', b"/", b"&amp;", b"&#0;", b"&#xD800;", b"]]>", b"<!--",
              b'r="XFD1048576"', b'r="A0"', b'r="ZZZZZZ1"', b'r="-1"', b't="e"', b't="s"',
              b't="b"', b't="inlineStr"', b"<v>999999999</v>", b"<v>#BOGUS!</v>",
              b"<f>1/0</f>", b'<c r="B2"/>', b"<row>", b"</row>", b"<c>", b"</c>",
              b'table:number-columns-repeated="16384"', b'table:number-rows-repeated="99999"',
              b'table:number-columns-spanned="5000"', b'table:formula="of:=1"',
              b'calcext:value-type="error"', b'office:value-type="float"',
              b'office:value="1e400"', b'<text:s text:c="99999"/>',
              b"<table:covered-table-cell/>", b'<mergeCell ref="A1:XFD1048576"/>',
              b'<mergeCell ref="B2:A1"/>', b'state="hidden"', b'state="veryHidden"',
              b'<sheet name="X" sheetId="9" r:id="rId9"/>', b"\x00", b"\xff\xfe",
              "é".encode(), b"\r\n"]


@st.composite
def xml_mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """A zip package with one XML part changed by tokens that matter to spreadsheet readers,
    then zipped again with correct checksums (so the change reaches the XML parsers)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        parts = {info.filename: zf.read(info) for info in zf.infolist()}
    names = sorted(n for n in parts if n.endswith((".xml", ".rels")))
    name = draw(st.sampled_from(names))
    buf = bytearray(parts[name])
    for _ in range(draw(st.integers(1, 5))):
        at = draw(st.integers(0, len(buf)))
        token = draw(st.sampled_from(XML_TOKENS))
        if draw(st.booleans()):
            buf[at:at] = token
        else:
            buf[at:at + draw(st.integers(0, 24))] = token
    parts[name] = bytes(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, content in parts.items():
            zf.writestr(zipfile.ZipInfo(n) if n == "mimetype" else n, content)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------
# Workbooks (in the worker process)


@FUZZ
@given(case=workbooks())
def test_random_workbooks_read_or_report(worker: Worker, fuzz_dir: Path,
                                         case: tuple[str, list[SheetSpec], bool]) -> None:
    suffix, sheets, refs = case
    path = write_book(fuzz_dir / f"case{next(_COUNTER)}{suffix}", *sheets, refs=refs)
    check(worker.read(path), path)


@pytest.mark.parametrize("suffix", [".xlsx", ".ods", ".xls"])
@FUZZ
@given(data=st.data())
def test_mutated_workbook_bytes_read_or_report(worker: Worker, fuzz_dir: Path,
                                               base_files: dict[str, bytes], suffix: str,
                                               data: st.DataObject) -> None:
    mutated = data.draw(mutations(base_files[suffix]))
    path = _file(fuzz_dir, suffix, mutated)
    check(worker.read(path), path)


@pytest.mark.parametrize("suffix", [".xlsx", ".ods"])
@FUZZ
@given(data=st.data())
def test_mutated_workbook_xml_read_or_report(worker: Worker, fuzz_dir: Path,
                                             base_files: dict[str, bytes], suffix: str,
                                             data: st.DataObject) -> None:
    mutated = data.draw(xml_mutations(base_files[suffix]))
    path = _file(fuzz_dir, suffix, mutated)
    check(worker.read(path), path)


@FUZZ
@given(data=st.data())
def test_mutated_xls_records_read_or_report(worker: Worker, fuzz_dir: Path,
                                            data: st.DataObject) -> None:
    """The BIFF8 stream mutated *inside* a valid OLE container (so the records, not the
    container, are what the readers meet)."""
    from .test_guard import build_cfb

    stream = xls_bytes(_base_sheet())
    path = _file(fuzz_dir, ".xls", build_cfb({"Workbook": data.draw(mutations(stream))}))
    check(worker.read(path), path)


@FUZZ
@given(data=st.binary(max_size=4096),
       suffix=st.sampled_from([".xlsx", ".xlsm", ".xls", ".ods", ".xlsb"]))
def test_random_bytes_named_as_workbooks(worker: Worker, fuzz_dir: Path, data: bytes,
                                         suffix: str) -> None:
    path = _file(fuzz_dir, suffix, data)
    result = worker.read(path)
    check(result, path)


# ---------------------------------------------------------------------------------------------
# CSV (pure Python: in-process)


@pytest.fixture(scope="module")
def fuzz_role(fuzz_role_path: Path) -> Role:
    return load_role(fuzz_role_path)


def _check_csv(role: Role, path: Path) -> None:
    apps = read_applications(role, [path])
    assert len(apps.errors) == len(apps)
    for p in apps.problems:
        assert p.file and p.file.endswith(path.name) and p.message, p
    if not apps.inputs[0].readable:
        assert apps.unreadable, apps.problems


@FUZZ
@given(data=st.binary(max_size=2048), suffix=st.sampled_from([".csv", ".tsv", ".txt"]))
def test_random_csv_bytes(fuzz_role: Role, fuzz_dir: Path, data: bytes, suffix: str) -> None:
    _check_csv(fuzz_role, _file(fuzz_dir, suffix, data))


CSV_FIELD = st.one_of(st.sampled_from(RATINGS), st.text(max_size=20),
                      st.sampled_from(['"', '""', '"a"b', "a\nb", "\r", ",", ";", "\t", "\x00",
                                       "\ufeff", "=1+1", "\u2028"]))


@FUZZ
@given(header=st.booleans(), rows=st.lists(st.lists(CSV_FIELD, max_size=14), max_size=8),
       delimiter=st.sampled_from([",", ";", "\t", "|"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "utf-16-le",
                                 "latin-1"]),
       quoting=st.booleans(), newline=st.sampled_from(["\r\n", "\n", "\r"]))
def test_random_csv_tables(fuzz_role: Role, fuzz_dir: Path, header: bool,
                           rows: list[list[str]], delimiter: str, encoding: str, quoting: bool,
                           newline: str) -> None:
    lines = [table_header()] if header else []
    lines += rows
    if quoting:
        text = newline.join(delimiter.join('"' + f.replace('"', '""') + '"' for f in r)
                            for r in lines)
    else:  # raw fields: stray quotes, separators and line breaks inside fields
        text = newline.join(delimiter.join(r) for r in lines)
    data = text.encode(encoding, errors="replace")
    _check_csv(fuzz_role, _file(fuzz_dir, ".csv", data))
