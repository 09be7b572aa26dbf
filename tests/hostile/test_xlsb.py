"""Excel binary workbooks (.xlsb) get the text checks an .xlsx gets: a shared string or a
cell's text over the cell limit, and shared strings multiplied by the cells referencing them.

Packages are built in code from BIFF12 records (a 7-bit varint type and size, then the body);
the guard reads them, calamine never does.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

from shortlist.readers.guard import Limits, inspect_file

REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def rec(typ: int, body: bytes = b"", size: int | None = None) -> bytes:
    """A record; `size` (if given) is the size declared, whatever the body holds."""
    return varint(typ) + varint(len(body) if size is None else size) + body


def wide(text: str) -> bytes:
    return struct.pack("<I", len(text)) + text.encode("utf-16-le")


def sst(strings: list[str]) -> bytes:
    n = len(strings)
    return (rec(159, struct.pack("<II", n, n))
            + b"".join(rec(19, b"\x00" + wide(s)) for s in strings) + rec(160))


def sheet(cells: list[bytes]) -> bytes:
    """One row (row 1) holding `cells` (records for columns A, B, …)."""
    return rec(129) + rec(145) + rec(0, struct.pack("<IIHBB", 0, 0, 300, 0, 0) + bytes(4)) \
        + b"".join(cells) + rec(146) + rec(130)


def isst(col: int, index: int) -> bytes:
    return rec(7, struct.pack("<III", col, 0, index))  # BrtCellIsst: column, style, string


def text_cell(col: int, text: str) -> bytes:
    return rec(6, struct.pack("<II", col, 0) + wide(text))  # BrtCellSt


def write_xlsb(path: Path, sheet_bin: bytes, sst_bin: bytes | None = None) -> Path:
    bundle = rec(156, struct.pack("<II", 0, 1) + wide("rId1") + wide("Applicants"))
    rels = (f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_NS}">'
            f'<Relationship Id="rId1" Type="{REL_NS}/worksheet" Target="worksheets/sheet1.bin"/>'
            + (f'<Relationship Id="rId2" Type="{REL_NS}/sharedStrings" '
               'Target="sharedStrings.bin"/>' if sst_bin is not None else "")
            + "</Relationships>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.'
                    'openxmlformats.org/package/2006/content-types"/>')
        zf.writestr("_rels/.rels", (
            f'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="{PKG_NS}">'
            f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" '
            'Target="xl/workbook.bin"/></Relationships>'))
        zf.writestr("xl/workbook.bin", rec(131) + rec(143) + bundle + rec(144) + rec(132))
        zf.writestr("xl/_rels/workbook.bin.rels", rels)
        zf.writestr("xl/worksheets/sheet1.bin", sheet_bin)
        if sst_bin is not None:
            zf.writestr("xl/sharedStrings.bin", sst_bin)
    return path


def test_honest_xlsb_passes(tmp_path: Path) -> None:
    path = write_xlsb(tmp_path / "ok.xlsb", sheet([isst(0, 0), isst(1, 1), text_cell(2, "x")]),
                      sst(["Applicant ID", "E1"]))
    assert inspect_file(path) == []


def test_an_over_long_shared_string_is_refused(tmp_path: Path) -> None:
    path = write_xlsb(tmp_path / "long.xlsb", sheet([isst(0, 1)]), sst(["a", "w" * 2_000]))
    assert inspect_file(path, Limits(max_cell_chars=2_000)) == []
    [p] = inspect_file(path, Limits(max_cell_chars=1_999))
    assert p.type == "cell-too-large"
    assert "shared string #1 in part xl/sharedStrings.bin is 2,000 characters" in p.message
    assert "--limit max_cell_chars=N" in p.message


def test_a_shared_string_declaring_billions_of_characters_is_refused_unread(
        tmp_path: Path) -> None:
    # the record says 4 GB follow; the check must not wait for (or buffer) them
    lying = rec(159, struct.pack("<II", 1, 1)) + rec(
        19, b"\x00" + struct.pack("<I", 2_000_000_000), size=200_000_000)
    [p] = inspect_file(write_xlsb(tmp_path / "lie.xlsb", sheet([isst(0, 0)]), lying))
    assert p.type == "cell-too-large"
    assert "2,000,000,000 characters" in p.message


def test_an_over_long_text_cell_is_refused_at_its_cell(tmp_path: Path) -> None:
    path = write_xlsb(tmp_path / "cell.xlsb", sheet([text_cell(0, "id"), text_cell(3, "w" * 500)]))
    assert inspect_file(path) == []
    [p] = inspect_file(path, Limits(max_cell_chars=499))
    assert (p.type, p.sheet, p.row, p.column) == ("cell-too-large", "Applicants", 1, "D")


def test_shared_strings_multiplied_by_references_are_refused(tmp_path: Path) -> None:
    cells = [isst(j, 0) for j in range(1_000)]  # 1,000 cells, each the 10,000-char string
    path = write_xlsb(tmp_path / "many.xlsb", sheet(cells), sst(["w" * 10_000, "short"]))
    assert inspect_file(path) == []
    [p] = inspect_file(path, Limits(max_expanded_chars=9_999_999))
    assert p.type == "text-too-large"
    assert "10,000,000 characters" in p.message and "--limit max_expanded_chars=N" in p.message
    # references to the short string cost what it holds, not what the longest holds
    short = write_xlsb(tmp_path / "short.xlsb", sheet([isst(j, 1) for j in range(1_000)]),
                       sst(["w" * 10_000, "short"]))
    assert inspect_file(short, Limits(max_expanded_chars=10_000)) == []


def test_a_record_size_longer_than_four_bytes_is_refused_as_damaged(tmp_path: Path) -> None:
    """A size varint that never ends would have the scan wait for the rest of the part;
    it is a damaged file, said at once."""
    broken = rec(129) + varint(145) + b"\x80\x80\x80\x80\x01" + bytes(64 * 1024)
    problems = inspect_file(write_xlsb(tmp_path / "broken.xlsb", broken))
    assert [p.type for p in problems] == ["corrupt-file"]
    assert "not a valid number" in problems[0].message and problems[0].sheet == "Applicants"
