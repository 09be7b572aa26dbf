"""Limits on a whole file and on the computer's memory, not only on one sheet.

A workbook of many sheets, each just under the per-sheet cell limit, is as dangerous as one
enormous sheet: every sheet is loaded. And raising a limit must never let a file through whose
used range cannot fit in memory at all (python-calamine aborts the process when an allocation
fails). Bombs are built in code; the tests that open them run the CLI in a subprocess with a
3 GB address-space cap and read its peak memory as a bound, not as a timing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from shortlist.readers import guard, sources
from shortlist.readers.guard import Limits, inspect, inspect_file

from .test_guard import ONE_CELL, biff8, ods_cell, sheet_xml, write_ods, write_xls, write_xlsx

REPO = Path(__file__).resolve().parents[2]
ROLE = REPO / "roles" / "secou-ds.toml"
MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def write_sheets(path: Path, n: int, far: str) -> Path:
    """An xlsx of `n` sheets, each holding A1 and one cell at `far` (so that calamine, which
    starts a sheet's range at its first cell, allocates the whole range A1:`far`)."""
    col = "".join(ch for ch in far if ch.isalpha())
    row = far[len(col):]
    body = (f'<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row>'
            f'<row r="{row}"><c r="{far}" t="inlineStr"><is><t>x</t></is></c></row>')
    types = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for i in range(1, n + 1))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
            'openxmlformats.org/package/2006/content-types"><Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/><Override '
            'PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            f'officedocument.spreadsheetml.sheet.main+xml"/>{types}</Types>'))
        zf.writestr("_rels/.rels", (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_NS}">'
            f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'))
        zf.writestr("xl/workbook.xml", (
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN_NS}" '
            f'xmlns:r="{REL_NS}"><sheets>'
            + "".join(f'<sheet name="S{i}" sheetId="{i}" r:id="rId{i}"/>'
                      for i in range(1, n + 1)) + "</sheets></workbook>"))
        zf.writestr("xl/_rels/workbook.xml.rels", (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_NS}">'
            + "".join(f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" '
                      f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, n + 1))
            + "</Relationships>"))
        for i in range(1, n + 1):
            zf.writestr(f"xl/worksheets/sheet{i}.xml", sheet_xml(body))
    return path


def types(problems: list[guard.Problem]) -> list[str]:
    return [p.type for p in problems]


def run_check(*args: str, address_space: int = 3 * 1024**3) -> tuple[int, dict[str, object],
                                                                       str, int]:
    """`shortlist check --format json ARGS` in a child process whose address space is capped;
    (exit status, report, stderr, the child's peak resident memory in bytes)."""
    script = (
        "import resource, runpy, sys\n"
        f"resource.setrlimit(resource.RLIMIT_AS, ({address_space}, {address_space}))\n"
        "sys.argv = ['shortlist', *sys.argv[1:]]\n"
        "code = 0\n"
        "try:\n"
        "    runpy.run_module('shortlist', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    code = exc.code if isinstance(exc.code, int) else 1\n"
        "sys.stdout.flush()\n"
        "print('PEAK', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(code)\n")
    out = subprocess.run([sys.executable, "-c", script, "check", str(ROLE), *args, "--format",
                          "json", "--quiet"], capture_output=True, text=True, timeout=300,
                         cwd=REPO)
    peak = next((int(line.split()[1]) * 1024 for line in out.stderr.splitlines()
                 if line.startswith("PEAK ")), -1)
    report = json.loads(out.stdout) if out.stdout.strip() else {}
    return out.returncode, report, out.stderr, peak


# --------------------------------------------------------------------------------------------
# The guard alone (no calamine)


def test_many_sheets_each_just_under_the_sheet_limit_are_refused_as_a_file(
        tmp_path: Path) -> None:
    path = write_sheets(tmp_path / "forty.xlsx", 40, "I1000000")  # 9 million cells a sheet
    assert path.stat().st_size < 20 * 1024
    [p] = inspect_file(path)
    assert p.type == "workbook-too-large"
    assert p.sheet == "S3"  # the first sheet that takes the file over 20 million cells
    assert "27,000,000 cells" in p.message
    assert "--limit max_total_cells=N" in p.message


def test_the_file_limit_can_be_raised_within_memory(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_sheets(tmp_path / "three.xlsx", 3, "J100")  # 1,000 cells a sheet
    assert types(inspect_file(path, Limits(max_total_cells=2_999))) == ["workbook-too-large"]
    monkeypatch.setattr(guard, "memory_ceiling", lambda: 1 << 40)
    found = inspect(path, Limits(max_total_cells=3_000))
    assert found.problems == []
    assert found.grid_cells == 3_000
    assert found.grid_bytes == guard.grid_bytes(1_000, 3_000)


def test_every_format_counts_its_sheets_towards_the_file(tmp_path: Path) -> None:
    ods = write_ods(tmp_path / "two.ods", "".join(
        f'<table:table table:name="T{i}"><table:table-row>{ods_cell("a")}{ods_cell("b")}'
        "</table:table-row></table:table>" for i in (1, 2)))
    assert inspect_file(ods, Limits(max_total_cells=4)) == []
    [p] = inspect_file(ods, Limits(max_total_cells=3))
    assert (p.type, p.sheet) == ("workbook-too-large", "T2")
    xls = write_xls(tmp_path / "one.xls", biff8([(0, 0, 1.0), (1, 1, 2.0)]))
    assert inspect_file(xls, Limits(max_total_cells=4)) == []
    assert types(inspect_file(xls, Limits(max_total_cells=3))) == ["workbook-too-large"]
    # an .xls reserves what its DIMENSIONS record declares, even beyond its last cell
    declared = write_xls(tmp_path / "dims.xls", biff8([(0, 0, 1.0)], dims=(0, 100, 0, 10)))
    assert types(inspect_file(declared, Limits(max_total_cells=999))) == ["workbook-too-large"]


def test_no_limit_lets_through_a_range_that_cannot_fit_in_memory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    xfd = write_xlsx(tmp_path / "xfd.xlsx", sheet_xml(
        '<row r="1"><c r="A1"><v>1</v></c></row>'
        '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'))
    huge = Limits(max_cells=10**12, max_total_cells=10**12)
    [p] = inspect_file(xfd, huge)
    assert p.type == "too-large-for-memory"
    assert "17,179,869,184 cells" in p.message and "no --limit can allow it" in p.message
    # at the default limits the per-sheet message says that raising it cannot help either
    [p] = inspect_file(xfd)
    assert p.type == "sheet-too-large" and "no --limit can allow it" in p.message
    assert "raise it with" not in p.message
    # the ceiling is the computer's, whatever the limits: a small machine refuses sooner
    small = write_xlsx(tmp_path / "small.xlsx", sheet_xml(ONE_CELL.replace("A1", "J1000")))
    assert inspect_file(small) == []
    monkeypatch.setattr(guard, "memory_ceiling", lambda: 100_000)
    [p] = inspect_file(small, huge)
    assert p.type == "too-large-for-memory"


def test_memory_ceiling_is_a_positive_size() -> None:
    assert guard.memory_ceiling() > 64 * 1024**2


# --------------------------------------------------------------------------------------------
# The whole read, in a child process under a 3 GB cap


def test_forty_sheet_bomb_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    path = write_sheets(tmp_path / "forty.xlsx", 40, "I1000000")
    code, report, stderr, peak = run_check(str(path))
    assert code == 1, stderr[-1000:]
    [problem] = report["problems"]  # type: ignore[misc]
    assert problem["type"] == "workbook-too-large"
    assert 0 < peak < 400 * 1024**2  # refused before calamine allocates anything


def test_raising_the_limits_on_an_impossible_range_fails_cleanly(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "xfd.xlsx", sheet_xml(
        '<row r="1"><c r="A1"><v>1</v></c></row>'
        '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'))
    code, report, stderr, _ = run_check(str(path), "--limit", "max_cells=20000000000",
                                        "--limit", "max_total_cells=20000000000")
    assert code == 1, (code, stderr[-1000:])  # not 134 (aborted) with nothing said
    [problem] = report["problems"]  # type: ignore[misc]
    assert problem["type"] == "too-large-for-memory"
    assert "no --limit can allow it" in str(problem["message"])


def test_files_read_one_after_another_do_not_add_up(tmp_path: Path) -> None:
    one = write_sheets(tmp_path / "a.xlsx", 1, "I1000000")  # 9 million cells
    _, _, _, single = run_check(str(one))
    many = [write_sheets(tmp_path / f"{k}.xlsx", 1, "I1000000") for k in "bcd"]
    code, report, stderr, peak = run_check(str(one), *map(str, many))
    assert code == 1, stderr[-1000:]  # (no header row in any of them)
    assert report["summary"]["files"] == 4  # type: ignore[index]
    # each file's cells are let go before the next file is read
    assert peak < single * 1.3, (peak, single)


def test_a_big_read_is_announced_before_calamine_opens_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", sheet_xml(ONE_CELL))
    held: list[bool] = []
    real_held = sources.native_stderr_held

    def spy() -> object:
        held.append(True)
        return real_held()

    monkeypatch.setattr(sources, "native_stderr_held", spy)
    sources.load_sheets(path, "a.xlsx")
    assert held == [True] and "shortlist: reading" not in capfd.readouterr().err
    monkeypatch.setattr(sources, "ANNOUNCE_BYTES", 1)
    sources.load_sheets(path, "a.xlsx")
    # announced, and calamine's own words (should it abort) are not held back
    assert held == [True]
    err = capfd.readouterr().err
    assert "shortlist: reading a.xlsx" in err and "ran out of memory" in err
