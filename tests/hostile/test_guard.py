"""Hostile and broken spreadsheets against the pre-flight guard (shortlist.readers.guard).

Every fixture is built in code into tmp_path: minimal xlsx packages written with zipfile,
ODS content.xml by hand, and OLE compound files (.xls and encrypted OOXML) by a small CFB
writer below. Nothing here lets python-calamine open a hostile file: the one test that runs
calamine does so in a subprocess, on a file the guard let through.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from shortlist.readers import guard
from shortlist.readers.guard import Limits, detect_kind, inspect_file

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "calamine"

# --------------------------------------------------------------------------------------------
# Builders

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"

CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
    'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/></Types>'
)
PACKAGE_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)


def sheet_xml(body: str, head: str = "") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{head}'
        f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><dimension ref="A1"/>'
        f"<sheetData>{body}</sheetData></worksheet>"
    )


def write_xlsx(path: Path, sheet: str, sst: str | None = None, sheet_name: str = "Sheet1",
               extra: dict[str, str | bytes] | None = None) -> Path:
    """A minimal but complete xlsx package (what Excel needs, what calamine reads)."""
    rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{REL_NS}/worksheet" Target="worksheets/sheet1.xml"/>'
        + (f'<Relationship Id="rId2" Type="{REL_NS}/sharedStrings" Target="sharedStrings.xml"/>'
           if sst is not None else "")
        + "</Relationships>"
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>'
        f'<sheet name="{sheet_name}" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", PACKAGE_RELS)
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", rels)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
        if sst is not None:
            zf.writestr("xl/sharedStrings.xml", sst)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return path


def sst_xml(strings: list[str], head: str = "") -> str:
    items = "".join(f"<si><t>{s}</t></si>" for s in strings)
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{head}'
            f'<sst xmlns="{MAIN_NS}" count="{len(strings)}" uniqueCount="{len(strings)}">'
            f"{items}</sst>")


ODS_HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
    "<office:body><office:spreadsheet>"
)
ODS_TAIL = "</office:spreadsheet></office:body></office:document-content>"
MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)


def write_ods(path: Path, tables: str, manifest: str = MANIFEST) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("META-INF/manifest.xml", manifest)
        zf.writestr("content.xml", ODS_HEAD + tables + ODS_TAIL)
    return path


def ods_cell(value: str) -> str:
    return (f'<table:table-cell office:value-type="string"><text:p>{value}</text:p>'
            "</table:table-cell>")


ONE_CELL = '<row r="1"><c r="A1"><v>1</v></c></row>'
SHARED_1 = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
ONE_ROW_TABLE = ('<table:table table:name="T"><table:table-row>'
                 '<table:table-cell office:value-type="string"><text:p>x</text:p>'
                 "</table:table-cell></table:table-row></table:table>")
PADDING_ROW = ('<table:table-row table:number-rows-repeated="1048570">'
               '<table:table-cell table:number-columns-repeated="16384"/></table:table-row>')


_END, _FREE, _FATSECT, _NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF


def build_cfb(streams: dict[str, bytes]) -> bytes:
    """A version-3 OLE compound file holding `streams` (each padded to >= 4096 bytes so that
    none lives in the mini stream; the declared size is the padded size)."""
    ss = 512
    names = list(streams)
    dir_sectors = ((1 + len(names)) * 128 + ss - 1) // ss
    fat = [_FREE] * (ss // 4)
    fat[0] = _FATSECT
    for i in range(dir_sectors):
        fat[1 + i] = 2 + i if i + 1 < dir_sectors else _END
    nxt = 1 + dir_sectors
    bodies: list[bytes] = []
    placed: list[tuple[int, int]] = []
    for name in names:
        body = streams[name].ljust(max(4096, -(-len(streams[name]) // ss) * ss), b"\x00")
        count = len(body) // ss
        for k in range(count):
            fat[nxt + k] = nxt + k + 1 if k + 1 < count else _END
        placed.append((nxt, len(body)))
        bodies.append(body)
        nxt += count
    assert nxt <= ss // 4, "fixtures must fit one FAT sector"
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIII", header, 0x2C, 1, 1, 0, 4096, _END, 0, _END, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *([_FREE] * 108))

    def entry(name: str, kind: int, child: int, start: int, size: int, right: int) -> bytes:
        raw = name.encode("utf-16-le") + b"\x00\x00"
        e = bytearray(128)
        e[: len(raw)] = raw
        struct.pack_into("<HBB", e, 64, len(raw), kind, 1)
        struct.pack_into("<III", e, 68, _NOSTREAM, right, child)
        struct.pack_into("<II", e, 116, start, size)
        return bytes(e)

    entries = [entry("Root Entry", 5, 1 if names else _NOSTREAM, _END, 0, _NOSTREAM)]
    for i, (name, (start, size)) in enumerate(zip(names, placed, strict=True)):
        entries.append(entry(name, 2, _NOSTREAM, start, size,
                             i + 2 if i + 1 < len(names) else _NOSTREAM))
    directory = b"".join(entries).ljust(dir_sectors * ss, b"\x00")
    return bytes(header) + struct.pack(f"<{ss // 4}I", *fat) + directory + b"".join(bodies)


def rec(typ: int, body: bytes) -> bytes:
    return struct.pack("<HH", typ, len(body)) + body


def biff8(cells: list[tuple[int, int, float]], dims: tuple[int, int, int, int] | None = None,
          filepass: bool = False, name: str = "Applicants") -> bytes:
    """A BIFF8 Workbook stream: globals (BOF, [FILEPASS], BOUNDSHEET, EOF) and one sheet."""
    bof = struct.pack("<HHHHII", 0x0600, 0x0005, 0x0DBB, 0x07CC, 0, 0x0600)
    raw = name.encode("latin-1")

    def globals_(offset: int) -> bytes:
        return (rec(0x0809, bof)
                + (rec(0x002F, struct.pack("<H", 1) + bytes(52)) if filepass else b"")
                + rec(0x0085, struct.pack("<IBB", offset, 0, 0) + bytes([len(raw), 0]) + raw)
                + rec(0x000A, b""))

    offset = len(globals_(0))
    sheet = rec(0x0809, struct.pack("<HHHHII", 0x0600, 0x0010, 0x0DBB, 0x07CC, 0, 0x0600))
    if dims is not None:
        sheet += rec(0x0200, struct.pack("<IIHHH", *dims, 0))
    for row, col, value in cells:
        sheet += rec(0x0203, struct.pack("<HHHd", row, col, 0, value))
    return globals_(offset) + sheet + rec(0x000A, b"")


def write_xls(path: Path, stream: bytes) -> Path:
    path.write_bytes(build_cfb({"Workbook": stream}))
    return path


def types(problems: list[guard.Problem]) -> list[str]:
    return [p.type for p in problems]


@pytest.fixture
def no_calamine(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make any use of python-calamine fail loudly, and block importing it afresh."""
    import python_calamine

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("python-calamine was called by the guard")

    for name in ("from_path", "from_filelike", "from_object"):
        monkeypatch.setattr(python_calamine.CalamineWorkbook, name, refuse, raising=False)
    monkeypatch.setattr(python_calamine, "load_workbook", refuse, raising=False)


# --------------------------------------------------------------------------------------------
# Honest files pass


def test_openpyxl_workbook_passes(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Applicants"
    ws.append(["Applicant ID", "Name", "E1", "E1 evidence"])
    for i in range(200):
        ws.append([f"A{i:03}", f"Person {i}", "Some", "I led an investigation " * 20])
    wb.create_sheet("Notes")["C3"] = "hidden note"
    path = tmp_path / "applicants.xlsx"
    wb.save(path)
    assert inspect_file(path) == []
    assert detect_kind(path).kind == "xlsx"


def test_styled_empty_cell_far_away_is_not_counted(tmp_path: Path) -> None:
    # calamine skips cells without a value, so a formatted-but-empty XFD1048576 is harmless
    body = ('<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
            '<row r="1048576"><c r="XFD1048576" s="1"/></row>')
    path = write_xlsx(tmp_path / "styled.xlsx", sheet_xml(body))
    assert inspect_file(path) == []
    # ...and calamine agrees (run in a subprocess: if this were wrong it would abort)
    code = ("import python_calamine as pc, sys; "
            "s = pc.CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0); "
            "print(s.height, s.width)")
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.split() == ["1", "1"]


def test_honest_ods_with_libreoffice_padding_passes(tmp_path: Path) -> None:
    rows = "".join(f"<table:table-row>{ods_cell(f'A{i}')}{ods_cell('Some')}"
                   '<table:table-cell table:number-columns-repeated="16382"/></table:table-row>'
                   for i in range(50))
    table = (f'<table:table table:name="Applicants"><table:table-column '
             f'table:number-columns-repeated="16384"/>{rows}{PADDING_ROW}</table:table>')
    path = write_ods(tmp_path / "padded.ods", table)
    assert inspect_file(path) == []
    assert detect_kind(path).kind == "ods"


def test_honest_xls_passes(tmp_path: Path) -> None:
    path = write_xls(tmp_path / "ok.xls", biff8([(0, 0, 1.0), (40, 12, 2.0)], dims=(0, 41, 0, 13)))
    assert inspect_file(path) == []
    assert detect_kind(path).kind == "xls"


# --------------------------------------------------------------------------------------------
# Zip containers


def test_zip_bomb_by_ratio_is_refused_before_decompressing(tmp_path: Path,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_xlsx(tmp_path / "ratio.xlsx", sheet_xml(""),
                      extra={"xl/media/padding.xml": b" " * (32 * 1024 * 1024)})
    opened: list[str] = []
    real_open = zipfile.ZipFile.open

    def spy(self: zipfile.ZipFile, name: object, *args: object, **kwargs: object) -> object:
        opened.append(getattr(name, "filename", str(name)))
        return real_open(self, name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    problems = inspect_file(path)
    assert types(problems) == ["zip-bomb"]
    assert "xl/media/padding.xml" in problems[0].message
    assert "times" in problems[0].message
    assert opened == []  # decided from the central directory alone


def _patch_declared_size(path: Path, member: str, size: int) -> None:
    """Rewrite a member's uncompressed size in the central directory and local header."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(member)
    pos = data.find(b"PK\x01\x02")
    while pos != -1:
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46 : pos + 46 + name_len].decode() == member:
            struct.pack_into("<I", data, pos + 24, size)
            break
        pos = data.find(b"PK\x01\x02", pos + 4)
    struct.pack_into("<I", data, info.header_offset + 22, size)
    path.write_bytes(bytes(data))


def test_zip_bomb_by_declared_size(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "declared.xlsx", sheet_xml(ONE_CELL))
    _patch_declared_size(path, "xl/worksheets/sheet1.xml", 0xFFFFFF00)
    problems = inspect_file(path)
    assert types(problems) == ["zip-bomb"]
    assert "4,294,967,040 bytes" in problems[0].message


def test_total_uncompressed_and_member_count_limits(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "many.xlsx", sheet_xml(""),
                      extra={f"xl/custom/part{i}.xml": "<x/>" for i in range(20)})
    assert inspect_file(path) == []
    assert types(inspect_file(path, Limits(max_members=10))) == ["zip-bomb"]
    assert types(inspect_file(path, Limits(max_uncompressed_bytes=500))) == ["zip-bomb"]


def test_overlapping_members_are_a_zip_bomb(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "overlap.xlsx", sheet_xml(""),
                      extra={"xl/a.xml": "<a>" + "x" * 5000 + "</a>"})
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        target = zf.getinfo("xl/worksheets/sheet1.xml").header_offset
    pos = data.find(b"PK\x01\x02")
    while pos != -1:  # point the last member's directory entry at the sheet's data
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46 : pos + 46 + name_len] == b"xl/a.xml":
            struct.pack_into("<I", data, pos + 42, target)
        pos = data.find(b"PK\x01\x02", pos + 4)
    path.write_bytes(bytes(data))
    assert types(inspect_file(path)) == ["zip-bomb"]


def test_truncated_xlsx(tmp_path: Path) -> None:
    whole = write_xlsx(tmp_path / "whole.xlsx", sheet_xml(ONE_CELL))
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    problems = inspect_file(cut)
    assert types(problems) == ["truncated-file"]
    assert "cut short" in problems[0].message


def test_damaged_member_crc(tmp_path: Path) -> None:
    path = tmp_path / "crc.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("_rels/.rels", PACKAGE_RELS)
        zf.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN_NS}"><sheets/></workbook>')
        zf.writestr("xl/worksheets/sheet1.xml", sheet_xml(ONE_CELL.replace("1</v>", "7</v>")))
    data = path.read_bytes().replace(b"<v>7</v>", b"<v>8</v>")
    path.write_bytes(data)
    assert types(inspect_file(path)) == ["corrupt-file"]


# A sheet big enough to be streamed (not read whole) and deflated, so that the scan inflates it
# itself; its rows are all different, so it deflates only a few times.
BIG_ROWS = "".join(f'<row r="{i}"><c r="A{i}" t="inlineStr"><is><t>{i * 7919:x} {i}</t></is>'
                   f"</c></row>" for i in range(1, 60_000))


def _big_sheet(tmp_path: Path, name: str = "big.xlsx") -> Path:
    path = write_xlsx(tmp_path / name, sheet_xml(BIG_ROWS))
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    assert info.compress_type == zipfile.ZIP_DEFLATED and info.file_size > 2 * guard._CHUNK // 8
    return path


@pytest.mark.parametrize("inflater", ["isal", "zlib"])
def test_a_large_deflated_sheet_is_inflated_as_zipfile_reads_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, inflater: str) -> None:
    if inflater == "zlib":  # where isal is missing
        import zlib

        monkeypatch.setattr(guard, "_inflate", zlib)
    path = _big_sheet(tmp_path)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
        assert b"".join(guard._inflated(zf, info)) == zf.read(info)
    assert inspect_file(path) == []


@pytest.mark.parametrize(("change", "words"), [
    (lambda size: size - 1000, "size or checksum does not match"),  # expands beyond it
    (lambda size: size + 1000, "size or checksum does not match"),  # ends before it
])
def test_a_large_member_that_lies_about_its_size(tmp_path: Path,
                                                 change: Callable[[int], int],
                                                 words: str) -> None:
    path = _big_sheet(tmp_path)
    with zipfile.ZipFile(path) as zf:
        size = zf.getinfo("xl/worksheets/sheet1.xml").file_size
    _patch_declared_size(path, "xl/worksheets/sheet1.xml", change(size))
    [p] = inspect_file(path)
    assert p.type == "corrupt-file" and words in p.message, p.message


def test_a_large_member_damaged_inside(tmp_path: Path) -> None:
    path = _big_sheet(tmp_path)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/worksheets/sheet1.xml")
    data = bytearray(path.read_bytes())
    middle = info.header_offset + 30 + len(info.filename) + info.compress_size // 2
    data[middle : middle + 64] = bytes(64)  # zeros in the middle of the deflate stream
    path.write_bytes(bytes(data))
    [p] = inspect_file(path)
    assert p.type == "corrupt-file", p.message


def test_encrypted_zip_member(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "zipcrypto.xlsx", sheet_xml(""))
    data = bytearray(path.read_bytes())
    pos = data.find(b"PK\x01\x02")
    struct.pack_into("<H", data, pos + 8, struct.unpack_from("<H", data, pos + 8)[0] | 1)
    path.write_bytes(bytes(data))
    assert types(inspect_file(path)) == ["password-protected"]


# --------------------------------------------------------------------------------------------
# XML entities


BILLION_LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">'
    '<!ENTITY lol9 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
)


def test_billion_laughs_in_shared_strings(tmp_path: Path) -> None:
    sst = sst_xml(["&lol9;"], head=BILLION_LAUGHS)
    body = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    path = write_xlsx(tmp_path / "lol.xlsx", sheet_xml(body), sst=sst)
    problems = inspect_file(path)
    assert types(problems) == ["xml-entities"]
    assert "xl/sharedStrings.xml" in problems[0].message
    assert "billion laughs" in problems[0].message


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE worksheet SYSTEM "http://attacker.invalid/evil.dtd">',
    '<!doctype worksheet PUBLIC "-//x//y" "http://attacker.invalid/evil.dtd">',
])
def test_external_entity_in_worksheet(tmp_path: Path, doctype: str) -> None:
    body = '<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row>'
    path = write_xlsx(tmp_path / "xxe.xlsx", sheet_xml(body, head=doctype), sheet_name="Form")
    problems = inspect_file(path)
    assert types(problems) == ["xml-entities"]
    assert problems[0].sheet == "Form"


def test_entities_in_utf16_part_and_in_any_part(tmp_path: Path) -> None:
    utf16 = sheet_xml("", head=BILLION_LAUGHS).replace('encoding="UTF-8"', 'encoding="UTF-16"')
    path = tmp_path / "utf16.xlsx"
    write_xlsx(path, sheet_xml(""), extra={})
    with zipfile.ZipFile(path) as src:
        parts = {i.filename: src.read(i.filename) for i in src.infolist()}
    parts["xl/worksheets/sheet1.xml"] = utf16.encode("utf-16")  # with a byte-order mark
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    assert types(inspect_file(path)) == ["xml-entities"]
    styles = write_xlsx(tmp_path / "styles.xlsx", sheet_xml(""), extra={
        "xl/styles.xml": '<?xml version="1.0"?>' + BILLION_LAUGHS + "<styleSheet/>"})
    problems = inspect_file(styles)
    assert types(problems) == ["xml-entities"]
    assert "xl/styles.xml" in problems[0].message


def test_openoffice_manifest_doctype_is_tolerated(tmp_path: Path) -> None:
    manifest = MANIFEST.replace(
        "<manifest:manifest", '<!DOCTYPE manifest:manifest PUBLIC "-//OpenOffice.org//DTD '
        'Manifest 1.0//EN" "Manifest.dtd"><manifest:manifest', 1)
    table = ONE_ROW_TABLE
    assert inspect_file(write_ods(tmp_path / "ooo.ods", table, manifest=manifest)) == []


# --------------------------------------------------------------------------------------------
# Used range of xlsx worksheets


XFD_BODY = ('<row r="1"><c r="A1" t="inlineStr"><is><t>Applicant ID</t></is></c></row>'
            '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')


def test_cell_at_xfd1048576_is_refused_without_calamine(tmp_path: Path, no_calamine: None) -> None:
    path = write_xlsx(tmp_path / "xfd.xlsx", sheet_xml(XFD_BODY), sheet_name="Applicants")
    assert path.stat().st_size < 5 * 1024
    problems = inspect_file(path)
    assert types(problems) == ["sheet-too-large"]
    p = problems[0]
    assert (p.sheet, p.row, p.column) == ("Applicants", 1048576, "XFD")
    assert "17,179,869,184 cells" in p.message


def test_guard_process_survives_xfd_and_never_imports_calamine(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "xfd.xlsx", sheet_xml(XFD_BODY))
    code = (
        "import sys; from pathlib import Path; "
        "from shortlist.readers.guard import inspect_file; "
        "ps = inspect_file(Path(sys.argv[1])); "
        "print(ps[0].type, 'python_calamine' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                         text=True, timeout=60, cwd=Path(__file__).resolve().parents[2])
    assert out.returncode == 0, out.stderr[-500:]
    assert out.stdout.split() == ["sheet-too-large", "False"]


@pytest.mark.parametrize(("name", "body", "row", "column"), [
    ("lowercase", '<row r="1"><c r="a1"><v>1</v></c><c r="xfd1048576"><v>1</v></c></row>',
     1048576, "XFD"),
    ("prefixed", '<row r="1"><x:c xmlns:x="' + MAIN_NS + '" r="A1"><x:v>1</x:v></x:c>'
     '<x:c xmlns:x="' + MAIN_NS + '" r="ZZZ900000"><x:v>1</x:v></x:c></row>', 900000, "ZZZ"),
    ("single quotes", "<row r='1'><c r='A1'><v>1</v></c><c r='XFD100000'><v>2</v></c></row>",
     100000, "XFD"),
    ("ref not first", '<row r="1"><c s="0" r="A1"><v>1</v></c><c t="n" r="AAA99999"><v>2</v></c>'
     "</row>", 99999, "AAA"),
    # a naive scanner would read the far cell as self-closing (empty); calamine does not
    ("quoted '/>'", '<row r="1"><c r="A1"><v>1</v></c></row>'
     '<row r="2"><c r="CV200000" x="/>"><v>1</v></c></row>', 200000, "CV"),
    ("rows out of order", '<row r="5000000"><c r="B5000000"><v>1</v></c></row>'
     '<row r="1"><c r="A1"><v>1</v></c></row>', 5000000, "B"),
    ("huge row number", '<row r="1"><c r="A1"><v>1</v></c><c r="B99999999999999"><v>1</v></c>'
     "</row>", 99999999999999, "B"),
])
def test_far_cells_in_every_spelling(tmp_path: Path, name: str, body: str, row: int,
                                     column: str) -> None:
    path = write_xlsx(tmp_path / "far.xlsx", sheet_xml(body))
    problems = inspect_file(path)
    assert types(problems) == ["sheet-too-large"], name
    assert (problems[0].row, problems[0].column) == (row, column), name


def test_rows_and_cells_without_r_are_counted(tmp_path: Path) -> None:
    # 16,385 cells without r= in one row: column XFE, one past Excel's last column
    wide = "<row>" + "<c><v>1</v></c>" * 16385 + "</row>"
    problems = inspect_file(write_xlsx(tmp_path / "wide.xlsx", sheet_xml(wide)))
    assert types(problems) == ["sheet-too-large"]
    assert problems[0].column == "XFE"
    # a row index set far down, then rows without r= keep counting from it
    tall = ('<row r="1"><c><v>1</v></c></row><row r="1048570"/>' + "<row/>" * 10
            + "<row><c/><c/><c><v>1</v></c></row>")
    problems = inspect_file(write_xlsx(tmp_path / "tall.xlsx", sheet_xml(tall)))
    assert types(problems) == ["sheet-too-large"]
    assert (problems[0].row, problems[0].column) == (1048581, "C")
    # the same shapes inside the limits pass, and r-less sheets are measured like calamine
    ok = "<row>" + "<c><v>1</v></c>" * 30 + "</row>" + "<row><c><v>2</v></c></row>" * 100
    assert inspect_file(write_xlsx(tmp_path / "ok.xlsx", sheet_xml(ok))) == []
    assert types(inspect_file(write_xlsx(tmp_path / "ok2.xlsx", sheet_xml(ok)),
                              Limits(max_rows=100))) == ["sheet-too-large"]


def test_lying_dimension_is_ignored(tmp_path: Path) -> None:
    body = ONE_CELL + '<row r="1000000"><c r="Z1000000"><v>1</v></c></row>'
    sheet = sheet_xml(body).replace('<dimension ref="A1"/>', '<dimension ref="A1:B2"/>')
    problems = inspect_file(write_xlsx(tmp_path / "liar.xlsx", sheet))
    assert types(problems) == ["sheet-too-large"]
    assert "26,000,000 cells" in problems[0].message


def test_limits_are_configurable(tmp_path: Path) -> None:
    body = '<row r="1"><c r="A1"><v>1</v></c></row><row r="5000"><c r="J5000"><v>1</v></c></row>'
    path = write_xlsx(tmp_path / "mid.xlsx", sheet_xml(body))
    assert inspect_file(path) == []
    assert types(inspect_file(path, Limits(max_cells=49_999))) == ["sheet-too-large"]
    assert inspect_file(path, Limits(max_cells=50_000)) == []
    assert types(inspect_file(path, Limits(max_columns=9))) == ["sheet-too-large"]
    assert types(inspect_file(path, Limits(max_rows=4999))) == ["sheet-too-large"]


# --------------------------------------------------------------------------------------------
# Enormous cells and text multiplied by references


def test_enormous_shared_string(tmp_path: Path) -> None:
    sst = sst_xml(["short", "x" * 2000])
    path = write_xlsx(tmp_path / "long.xlsx", sheet_xml(SHARED_1.replace("0</v>", "1</v>")),
                      sst=sst)
    assert inspect_file(path) == []
    problems = inspect_file(path, Limits(max_cell_chars=1000))
    assert types(problems) == ["cell-too-large"]
    assert "shared string #1" in problems[0].message


def test_enormous_inline_cell_is_located(tmp_path: Path) -> None:
    body = (f'<row r="3"><c r="D3" t="inlineStr"><is><t>{"y" * 5000}</t></is></c></row>')
    problems = inspect_file(write_xlsx(tmp_path / "inline.xlsx", sheet_xml(body)),
                            Limits(max_cell_chars=1000))
    assert types(problems) == ["cell-too-large"]
    assert (problems[0].row, problems[0].column) == (3, "D")


def test_shared_string_referenced_by_many_cells(tmp_path: Path) -> None:
    sst = sst_xml(["z" * 20_000])
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>' for r in range(1, 2001))
    path = write_xlsx(tmp_path / "amplified.xlsx", sheet_xml(rows), sst=sst)
    assert inspect_file(path) == []  # 40 million characters: under the default budget
    problems = inspect_file(path, Limits(max_expanded_chars=10_000_000))
    assert types(problems) == ["text-too-large"]
    # the same string referenced once is fine under that budget
    once = write_xlsx(tmp_path / "once.xlsx", sheet_xml(SHARED_1),
                      sst=sst)
    assert inspect_file(once, Limits(max_expanded_chars=10_000_000)) == []


# --------------------------------------------------------------------------------------------
# ODS repeat expansion


def test_ods_repeated_non_empty_cell_to_billions(tmp_path: Path) -> None:
    table = ('<table:table table:name="Bomb">'
             '<table:table-row table:number-rows-repeated="999999999">'
             '<table:table-cell table:number-columns-repeated="999999999" '
             'office:value-type="string">'
             "<text:p>X</text:p></table:table-cell></table:table-row></table:table>")
    problems = inspect_file(write_ods(tmp_path / "bomb.ods", table))
    assert types(problems) == ["sheet-too-large"]
    assert problems[0].sheet == "Bomb"


@pytest.mark.parametrize(("rows", "expect"), [
    # non-empty row repeated past Excel's last row
    ('<table:table-row table:number-rows-repeated="2000000">' + ods_cell("x")
     + "</table:table-row>",
     "sheet-too-large"),
    # 4,000 × 4,000 non-empty cells = 16 million
    ('<table:table-row table:number-rows-repeated="4000"><table:table-cell '
     'table:number-columns-repeated="4000" office:value-type="float" office:value="1"/>'
     "</table:table-row>", "sheet-too-large"),
    # empty rows in the middle count once a non-empty row follows them
    ('<table:table-row>' + ods_cell("a") + '</table:table-row><table:table-row '
     'table:number-rows-repeated="1048576"><table:table-cell/></table:table-row>'
     '<table:table-row>' + ods_cell("b") + "</table:table-row>", "sheet-too-large"),
    # a formula counts as content
    ('<table:table-row><table:table-cell table:number-columns-repeated="20000" '
     'table:formula="of:=1"/></table:table-row>', "sheet-too-large"),
    # one cell asking for a billion spaces
    ('<table:table-row><table:table-cell office:value-type="string"><text:p>a<text:s '
     'text:c="1000000000"/></text:p></table:table-cell></table:table-row>', "cell-too-large"),
    # a long text repeated across a row and down rows
    ('<table:table-row table:number-rows-repeated="3000"><table:table-cell '
     'table:number-columns-repeated="1000" office:value-type="string"><text:p>' + "w" * 1000
     + "</text:p></table:table-cell></table:table-row>", "text-too-large"),
])
def test_ods_expansions(tmp_path: Path, rows: str, expect: str) -> None:
    table = f'<table:table table:name="S">{rows}{PADDING_ROW}</table:table>'
    assert types(inspect_file(write_ods(tmp_path / "x.ods", table))) == [expect]


def test_ods_trailing_padding_is_not_used_range(tmp_path: Path) -> None:
    row = (f"<table:table-row>{ods_cell('a')}<table:table-cell "
           'table:number-columns-repeated="16383"/></table:table-row>')
    table = ('<table:table table:name="S">'
             '<table:table-column table:number-columns-repeated="16384"/>'
             f"{row}<table:table-row table:number-rows-repeated=\"1048575\"><table:table-cell "
             f'table:number-columns-repeated="16384"/></table:table-row></table:table>')
    assert inspect_file(write_ods(tmp_path / "pad.ods", table), Limits(max_cells=1)) == []


def test_ods_encrypted(tmp_path: Path) -> None:
    manifest = MANIFEST.replace(
        'manifest:media-type="text/xml"/>',
        'manifest:media-type="text/xml"><manifest:encryption-data manifest:checksum="x"/>'
        "</manifest:file-entry>")
    table = ONE_ROW_TABLE
    assert types(inspect_file(write_ods(tmp_path / "enc.ods", table, manifest=manifest))) == [
        "password-protected"]


# --------------------------------------------------------------------------------------------
# OLE compound files: encrypted OOXML and .xls


def test_encrypted_ooxml_package(tmp_path: Path, no_calamine: None) -> None:
    path = tmp_path / "secret.xlsx"
    path.write_bytes(build_cfb({"EncryptionInfo": b"\x04\x00\x04\x00" + bytes(200),
                                "EncryptedPackage": os.urandom(6000)}))
    problems = inspect_file(path)
    assert types(problems) == ["password-protected"]
    assert detect_kind(path).kind == "encrypted-ooxml"


def test_xls_far_cell_and_declared_dimensions(tmp_path: Path) -> None:
    far = write_xls(tmp_path / "far.xls", biff8([(0, 0, 1.0), (65535, 65535, 2.0)]))
    problems = inspect_file(far)
    assert types(problems) == ["sheet-too-large"]
    assert (problems[0].sheet, problems[0].row, problems[0].column) == ("Applicants", 65536, "CRXP")
    huge = write_xls(tmp_path / "dims.xls", biff8([(0, 0, 1.0)], dims=(0, 0xFFFFFFFF, 0, 0xFFFF)))
    assert types(inspect_file(huge)) == ["sheet-too-large"]
    inverted = write_xls(tmp_path / "inv.xls", biff8([(0, 0, 1.0)], dims=(500, 10, 0, 5)))
    assert types(inspect_file(inverted)) == ["corrupt-file"]


def test_xls_with_filepass(tmp_path: Path) -> None:
    path = write_xls(tmp_path / "locked.xls", biff8([(0, 0, 1.0)], filepass=True))
    assert types(inspect_file(path)) == ["password-protected"]


def test_truncated_and_damaged_ole(tmp_path: Path) -> None:
    whole = build_cfb({"Workbook": biff8([(0, 0, 1.0)])})
    cut = tmp_path / "cut.xls"
    cut.write_bytes(whole[:1500])
    assert types(inspect_file(cut)) == ["truncated-file"]
    tiny = tmp_path / "tiny.xls"
    tiny.write_bytes(whole[:300])
    assert types(inspect_file(tiny)) == ["truncated-file"]
    bad = bytearray(whole)
    struct.pack_into("<I", bad, 0x30, 0xFFFFFEFF)  # directory starts at a sector that cannot exist
    (tmp_path / "bad.xls").write_bytes(bytes(bad))
    [damaged] = inspect_file(tmp_path / "bad.xls")
    assert damaged.type == "corrupt-file"
    assert "sector 4294967039, which does not exist" in damaged.message
    # in plain words too: what is wrong and what to do about it
    assert damaged.message.endswith("the file is damaged: open it in Excel or LibreOffice "
                                    "(which can often repair it) and save it again, or ask for "
                                    "a fresh copy")
    assert "copy or download it again" in inspect_file(cut)[0].message


# --------------------------------------------------------------------------------------------
# What the bytes really are


def test_csv_renamed_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "applicants.xlsx"
    path.write_text("Applicant ID,Name,E1\nA001,Ann,Some\n", encoding="utf-8")
    problems = inspect_file(path)
    assert types(problems) == ["wrong-extension"]
    assert "CSV" in problems[0].message and "Applicant ID,Name,E1" in problems[0].message
    assert detect_kind(path).kind == "csv"


def test_xls_renamed_xlsx_and_xlsx_renamed_csv(tmp_path: Path) -> None:
    xls = tmp_path / "old.xlsx"
    xls.write_bytes(build_cfb({"Workbook": biff8([(0, 0, 1.0)])}))
    problems = inspect_file(xls)
    assert types(problems) == ["wrong-extension"]
    assert "Excel 97-2003" in problems[0].message and ".xls" in problems[0].message
    real = write_xlsx(tmp_path / "x.xlsx", sheet_xml(""))
    renamed = tmp_path / "export.csv"
    renamed.write_bytes(real.read_bytes())
    problems = inspect_file(renamed)
    assert types(problems) == ["wrong-extension"]
    assert "rename it to .xlsx" in problems[0].message


def test_html_and_spreadsheetml_named_xls(tmp_path: Path) -> None:
    html = tmp_path / "report.xls"
    html.write_text("<html><body><table><tr><td>A001</td></tr></table></body></html>")
    problems = inspect_file(html)
    assert types(problems) == ["wrong-extension"]
    assert "HTML" in problems[0].message
    xml = tmp_path / "report2.xls"
    xml.write_text('<?xml version="1.0"?><Workbook xmlns="urn:schemas-microsoft-com:office:'
                   'spreadsheet"></Workbook>')
    assert "Excel 2003 XML" in inspect_file(xml)[0].message


def test_random_bytes_named_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "noise.xlsx"
    path.write_bytes(bytes(range(256)) * 8 + os.urandom(4096))
    problems = inspect_file(path)
    assert types(problems) == ["not-a-spreadsheet"]
    assert "binary" in problems[0].message


def test_other_documents(tmp_path: Path) -> None:
    docx = tmp_path / "cv.xlsx"
    with zipfile.ZipFile(docx, "w") as zf:
        zf.writestr("[Content_Types].xml", CONTENT_TYPES)
        zf.writestr("word/document.xml", "<w:document/>")
    assert types(inspect_file(docx)) == ["not-a-spreadsheet"]
    assert "Word" in inspect_file(docx)[0].message
    pdf = tmp_path / "cv.ods"
    pdf.write_bytes(b"%PDF-1.7\n" + os.urandom(100))
    assert types(inspect_file(pdf)) == ["not-a-spreadsheet"]


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    assert types(inspect_file(empty)) == ["empty-file"]
    assert types(inspect_file(tmp_path / "missing.xlsx")) == ["unreadable-file"]
    assert types(inspect_file(tmp_path)) == ["not-a-spreadsheet"]
    big = tmp_path / "big.csv"
    big.write_text("a,b\n" * 1000)
    assert types(inspect_file(big, Limits(max_file_bytes=100))) == ["file-too-large"]


def test_csv_is_left_to_the_csv_reader(tmp_path: Path) -> None:
    for name, data in [("utf8.csv", "ID;Name\nA1;Zoë\n".encode()),
                       ("bom.csv", "\ufeffID,Name\n".encode()),
                       ("cp1252.csv", "ID\tName\nA1\tZo\xeb\n".encode("cp1252")),
                       ("utf16.csv", "ID,Name\n".encode("utf-16"))]:
        path = tmp_path / name
        path.write_bytes(data)
        assert inspect_file(path) == [], name


# --------------------------------------------------------------------------------------------
# Streaming machinery


def test_prefetch_worker_stops_when_a_problem_ends_the_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guard, "_CHUNK", 4096)  # prefetch parts over 8 KiB
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r * 7919 % 10007}</v></c></row>'
                   for r in range(1, 3000))
    body = '<row r="1"><c r="XFD1048576"><v>1</v></c></row>' + rows
    path = write_xlsx(tmp_path / "early.xlsx", sheet_xml(body))
    before = threading.active_count()
    assert types(inspect_file(path)) == ["sheet-too-large"]
    assert inspect_file(write_xlsx(tmp_path / "fine.xlsx", sheet_xml(rows))) == []
    assert threading.active_count() == before


def test_scan_speed_on_a_large_sheet(tmp_path: Path) -> None:
    rows = "".join(
        f'<row r="{r}"><c r="A{r}" t="s"><v>{r % 50}</v></c><c r="B{r}"><v>{r * 31 % 997}</v></c>'
        f'<c r="C{r}" t="inlineStr"><is><t>Evidence {r * 7 % 1013} words</t></is></c></row>'
        for r in range(1, 120_001))
    path = write_xlsx(tmp_path / "large.xlsx", sheet_xml(rows),
                      sst=sst_xml([f"Level {i}" for i in range(50)]))
    with zipfile.ZipFile(path) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size > 15_000_000
    start = time.process_time()
    assert inspect_file(path) == []
    assert time.process_time() - start < 3.0  # ~0.1 s expected; generous for slow machines


# --------------------------------------------------------------------------------------------
# The calamine test corpus

HOSTILE = {
    "issue_594_dos.ods": "sheet-too-large",
    "pass_protected.ods": "password-protected",
    "pass_protected.xlsx": "password-protected",
    "pass_protected.xlsb": "password-protected",
    "issue_385.xls": "password-protected",
    "too_small.xls": "wrong-extension",
    "issue252.xlsx": "corrupt-file",
    "OOM_alloc3.xls": "corrupt-file",
}
HONEST = [
    "date.xlsx", "issue127.xlsx", "merge_cells.xlsx", "any_sheets.ods", "number_rows_repeated.ods",
    "issue_261.xlsx", "issue_174.xlsx", "strict_iso_paths.xlsx", "minimal_package.xlsx",
    "issue_530.xlsx", "nonstandard-xml-ns-prefix.xlsx", "vba.xlsm", "errors.xlsx",
    "OOM_alloc.xls", "OOM_alloc2.xls", "gh548_incorrect_sst_unique_count.xls", "issues.xls",
    "multi-empty.ods", "covered.ods",
]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="calamine corpus not available")
def test_calamine_corpus() -> None:
    results: dict[str, list[str]] = {}
    for path in sorted(CORPUS.iterdir()):
        start = time.monotonic()
        problems = inspect_file(path)
        assert time.monotonic() - start < 5, path.name
        assert all(p.file == str(path) and p.message for p in problems)
        results[path.name] = types(problems)
    for name, expected in HOSTILE.items():
        assert results[name] == [expected], name
    for name in HONEST:
        assert results[name] == [], name
    extensions = {"xlsx", "xlsm", "xlsb", "xls", "ods"}
    spreadsheets = {n for n in results if n.rsplit(".", 1)[-1] in extensions}
    assert {n for n in spreadsheets if results[n]} == set(HOSTILE)


def test_parts_shared_by_forms_are_inflated_once_and_still_checked(tmp_path: Path) -> None:
    """A part met again byte for byte (as in forms filled in from one template) is not
    inflated again; the same bytes under another declared CRC are still refused."""
    first = write_xlsx(tmp_path / "a.xlsx", sheet_xml(ONE_CELL))
    second = write_xlsx(tmp_path / "b.xlsx", sheet_xml(ONE_CELL))
    guard._INFLATED.clear()
    assert inspect_file(first) == []
    remembered = len(guard._INFLATED)
    assert remembered > 0
    assert inspect_file(second) == []
    assert len(guard._INFLATED) == remembered  # every part was found again

    data = bytearray(second.read_bytes())
    with zipfile.ZipFile(second) as zf:
        info = zf.getinfo("xl/workbook.xml")
    pos = data.find(b"PK\x01\x02")
    while pos != -1:  # the directory's CRC of xl/workbook.xml, one bit off
        name_len = struct.unpack_from("<H", data, pos + 28)[0]
        if data[pos + 46 : pos + 46 + name_len] == b"xl/workbook.xml":
            struct.pack_into("<I", data, pos + 16, info.CRC ^ 1)
        pos = data.find(b"PK\x01\x02", pos + 4)
    damaged = tmp_path / "c.xlsx"
    damaged.write_bytes(bytes(data))
    assert "corrupt-file" in types(inspect_file(damaged))


def test_a_verdict_is_never_carried_over_to_a_part_that_differs(tmp_path: Path) -> None:
    """Forms from one template are checked quickly because what was made of a part is kept
    by its content; a form whose workbook part differs (here: an entity bomb) after many
    clean ones is still refused, and a clean one after it still passes."""
    clean = [write_xlsx(tmp_path / f"form{i}.xlsx", sheet_xml(ONE_CELL)) for i in range(3)]
    for path in clean:
        assert inspect_file(path) == []
    bomb_workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<!DOCTYPE workbook [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>'
        f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheets>'
        '<sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
    hostile = tmp_path / "hostile.xlsx"
    with zipfile.ZipFile(clean[0]) as src, \
            zipfile.ZipFile(hostile, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, bomb_workbook if info.filename == "xl/workbook.xml"
                         else src.read(info))
    assert "xml-entities" in types(inspect_file(hostile))
    assert inspect_file(clean[0]) == []


def test_the_bytes_checked_are_the_bytes_read(tmp_path: Path) -> None:
    """A small workbook is read from the copy the guard checked: replacing the file between
    the check and the read changes nothing (and the file's hash is of what was read)."""
    from shortlist.readers import sources

    path = write_xlsx(tmp_path / "a.xlsx", sheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>checked</t></is></c></row>'))
    inspection = guard.inspect(path)
    assert inspection.problems == [] and inspection.content == path.read_bytes()
    write_xlsx(path, sheet_xml(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>swapped</t></is></c></row>'))
    sheets = sources.load_sheets(path, "a.xlsx", inspection=inspection)
    assert sheets[0].rows == [["checked"]]
