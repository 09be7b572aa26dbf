"""Files that make python-calamine loop for ever or panic, found by the fuzzing in
test_fuzz.py and kept here as fixed cases, each built in code.

* An ODS whose table has no end tag: calamine's ODS reader reads a named table until its end
  tag and never stops at the end of the document, so it loops for ever. The guard refuses a
  content.xml that ends inside a table, and, where comments, CDATA sections, processing
  instructions or '<' in an attribute value could hide tags from its regular expressions,
  checks that the part is well-formed XML.
* A damaged .xls record (MERGECELLS declaring more ranges than it holds) makes calamine panic
  (pyo3's PanicException, a BaseException). The guard refuses it; and any panic that gets
  past the guard is reported as an unreadable file, with Rust's panic report kept off stderr.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from shortlist.readers import guard, read_applications
from shortlist.role import Role

from ..conftest import passing, table_header, table_rows, write_role
from .sheets import MANIFEST, ODS_NS, SheetSpec

ROW = ('<table:table-row><table:table-cell office:value-type="string"><text:p>x</text:p>'
       "</table:table-cell></table:table-row>")


def write_ods_content(path: Path, body: str) -> Path:
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS}>'
               f"<office:body><office:spreadsheet>{body}</office:spreadsheet></office:body>"
               "</office:document-content>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("META-INF/manifest.xml", MANIFEST)
        zf.writestr("content.xml", content)
    return path


def table(name: str, rows: str = ROW) -> str:
    return f'<table:table table:name="{name}">{rows}</table:table>'


@pytest.mark.parametrize(("body", "words"), [
    (f'<table:table table:name="T">{ROW}', "ends inside this table"),
    (table("A") + f'<table:table table:name="T">{ROW}</table:table', "ends inside this table"),
    (table("A") + f'<table:table table:name="T">{ROW}</table:<table>',
     "ends inside this table"),
    (f'<table:table table:name="T">{ROW}<!-- </table:table> -->', "not well-formed XML"),
    (f'<table:table table:name="T">{ROW}<![CDATA[ </table:table> ]]>', "not well-formed XML"),
    (f'<table:table table:name="T">{ROW}<?pi </table:table> ?>', "not well-formed XML"),
    (f'<table:table table:name="T">{ROW}<x a="</table:table>"/>', "not well-formed XML"),
    (f'<table:table table:name="T">{ROW}<y b="<x> </table:table>"/>', "not well-formed XML"),
    (table("T") + "<!--" + "<a>" * 2000 + "-->" + "<a>" * 2000 + "</a>" * 2000,
     "nests elements more than 1,000 deep"),
], ids=["no-end-tag", "cut-end-tag", "damaged-end-tag", "end-tag-in-comment",
        "end-tag-in-cdata", "end-tag-in-pi", "end-tag-in-attribute",
        "end-tag-in-nested-attribute", "deep-nesting"])
def test_ods_table_calamine_would_never_finish_is_refused(tmp_path: Path, body: str,
                                                          words: str) -> None:
    path = write_ods_content(tmp_path / "loop.ods", body)
    [p] = guard.inspect_file(path)
    assert p.type == "corrupt-file" and words in p.message, p.message


@pytest.mark.parametrize("body", [
    table("T"),
    table("T", '<table:table-row><table:table-cell office:value-type="string"><text:p>set '
               'x="5 and y=\'6</text:p></table:table-cell></table:table-row>'),
    '<table:table table:name="Empty"/>' + table("T"),
    table("T") + "<table:named-expressions/>",
], ids=["plain", "quotes-in-text", "self-closed-table", "named-expressions"])
def test_honest_ods_tables_pass(tmp_path: Path, body: str) -> None:
    assert guard.inspect_file(write_ods_content(tmp_path / "ok.ods", body)) == []


def test_shortlist_check_on_a_looping_ods_finishes(tmp_path: Path) -> None:
    """End to end, in a process of its own so that a regression hangs only that process."""
    role = write_role(tmp_path)
    path = write_ods_content(tmp_path / "loop.ods", f'<table:table table:name="T">{ROW}')
    result = subprocess.run(
        [sys.executable, "-m", "shortlist", "check", str(role), str(path), "--format", "json"],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONFAULTHANDLER": "1"})
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    [problem] = json.loads(result.stdout)["problems"]
    assert problem["type"] == "corrupt-file" and problem["sheet"] == "T"


def _rows() -> list[list[object]]:
    return [table_header(), *table_rows([passing("B1")])]


def _damaged_merge_xls(tmp_path: Path) -> Path:
    """An .xls whose MERGECELLS record claims 50 ranges and holds one."""
    import struct

    from .sheets import xls_bytes
    from .test_guard import build_cfb

    stream = xls_bytes(SheetSpec("S", _rows()))
    eof = stream.rindex(b"\x0a\x00\x00\x00")  # the sheet's EOF record
    bad_merge = struct.pack("<HHH", 0x00E5, 10, 50) + b"\x00" * 8
    damaged = tmp_path / "damaged.xls"
    damaged.write_bytes(build_cfb({"Workbook": stream[:eof] + bad_merge + stream[eof:]}))
    return damaged


def test_damaged_xls_record_is_refused_by_the_guard(role: Role, tmp_path: Path) -> None:
    [p] = read_applications(role, [_damaged_merge_xls(tmp_path)]).unreadable
    assert (p.type, p.sheet) == ("corrupt-file", "S")
    assert "merged-cells record is damaged" in p.message


def test_a_panic_in_the_workbook_reader_is_an_unreadable_file(
        role: Role, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str]) -> None:
    """python-calamine panics (pyo3 PanicException, a BaseException) on some damaged files,
    such as that .xls when the guard does not stop it: the file is reported as unreadable, the
    other inputs are still read, and Rust's panic report does not reach stderr."""
    from shortlist.readers import sources

    from .sheets import write_xls

    monkeypatch.setattr(sources, "inspect", lambda *_a, **_k: guard.Inspection([], {}))
    good = write_xls(tmp_path / "good.xls",
                     SheetSpec("S", [table_header(), *table_rows([passing("A1")])]))
    apps = read_applications(role, [good, _damaged_merge_xls(tmp_path)])
    assert apps.frame["applicant_id"].tolist() == ["A1"]
    [p] = apps.unreadable
    assert p.type == "unreadable-file" and p.file and p.file.endswith("damaged.xls")
    assert "the reader failed on damaged data" in p.message
    assert "panicked" not in capfd.readouterr().err


@pytest.mark.parametrize(("row", "too_large"), [
    ('<row r="1"><c r="A1" r="J20"><v>1</v></c></row>', True),  # a cell's last r counts
    ('<row r="1"><c r="J20" r="A1"><v>1</v></c></row>', False),
    ('<row r="1"><c r="A1" t="n"r="J20"><v>1</v></c></row>', True),  # no space before r
    ("<row r='1'><c r='A1' r='J20'><v>1</v></c></row>", True),
    ('<row r="1"><c r = "J20"><v>1</v></c></row>', True),
    ('<row r="1"><c r="A1" s="1 r=\'J20\'"><v>1</v></c></row>', False),  # inside a value
    ('<row r="20" r="1"><c><v>1</v></c></row>', True),  # a row's first r counts
    ('<row r="1" r="20"><c><v>1</v></c></row>', False),
    ('<row spans="1:1"r="20"><c><v>1</v></c></row>', True),
])
def test_cell_position_is_measured_as_calamine_reads_it(tmp_path: Path, row: str,
                                                        too_large: bool) -> None:
    """Found by fuzzing: '<c r="I2" t="inlineStr"r="XFD1048576">' made calamine allocate
    512 GB and abort, because it takes a cell's *last* r attribute and the guard measured the
    first. Each spelling is measured against a 10-row limit as calamine would place it."""
    from .test_guard import sheet_xml, write_xlsx

    path = write_xlsx(tmp_path / "dup.xlsx", sheet_xml(row))
    problems = guard.inspect_file(path, guard.Limits(max_rows=10))
    assert [p.type for p in problems] == (["sheet-too-large"] if too_large else [])


@pytest.mark.parametrize("cell", [
    '<c r="B2" t="e"><v>#N/A</v></c>',  # the fast path's spelling
    "<c r='B2' t='e'><v>#N/A</v></c>",  # single quotes: the slow path
    '<c r="B2" t = "e"><v>#N/A</v></c>',
    '<c r="A9" r="B2" t="e"><v>#N/A</v></c>',  # calamine places it by its last r
    '<c t="e" r="B2"><v>#N/A</v></c>',
])
def test_error_and_formula_cells_are_noted_however_the_tags_are_spelled(
        tmp_path: Path, cell: str) -> None:
    from .test_guard import sheet_xml, write_xlsx

    body = ('<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
            f'<row r="2"><c r="A2"><f>1+1</f><v>2</v></c>{cell}</row>')
    marks = guard.inspect(write_xlsx(tmp_path / "cells.xlsx", sheet_xml(body))).cells["Sheet1"]
    assert list(marks.errors()) == [(1, 1, "#N/A")]
    assert list(zip(marks.formula_rows, marks.formula_cols, strict=True)) == [(1, 0)]
