"""Workbooks built in code, cell by cell, with what openpyxl cannot write: formulas with cached
values (as Excel and LibreOffice save them), error values (``#N/A``…), merged ranges, hidden
sheets, and the XML spellings other tools use (cells without ``r=``).

A sheet is a list of rows; a row a list of cells: ``None``/``""`` (empty), ``str``, ``int``,
``float``, ``bool``, :class:`F` (a formula and the value it last calculated), :class:`Err`
(an error value, from a formula by default) or :class:`Covered` (ODS: a cell under a merge).
"""

from __future__ import annotations

import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"


@dataclass(frozen=True)
class F:
    """A formula cell: `expr` (without '=') and the value it last calculated (None: never
    calculated, as written by a program that does not calculate formulas)."""

    expr: str
    value: Any = None


@dataclass(frozen=True)
class Err:
    """A cell holding an error value such as ``#N/A``; `expr` is the failed formula (None: an
    error value with no formula, as left by pasting values)."""

    code: str
    expr: str | None = "VLOOKUP(A1,Lists!A:B,2,FALSE)"


@dataclass(frozen=True)
class Covered:
    """ODS: a cell covered by a merged range that starts to its left or above."""


@dataclass
class SheetSpec:
    name: str
    rows: list[list[Any]]
    #: Merged ranges as (first row, first column, last row, last column), 0-based.
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    state: str = "visible"  # visible | hidden | veryHidden


def col_letters(j: int) -> str:
    out = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        out = chr(65 + r) + out
    return out


# ---------------------------------------------------------------------------------------------
# xlsx


def _xlsx_cell(ref: str, value: Any) -> str:
    r = f' r="{ref}"' if ref else ""
    if value is None or value == "" or isinstance(value, Covered):
        return ""
    if isinstance(value, Err):
        f = f"<f>{escape(value.expr)}</f>" if value.expr is not None else ""
        return f'<c{r} t="e">{f}<v>{escape(value.code)}</v></c>'
    if isinstance(value, F):
        f = f"<f>{escape(value.expr)}</f>"
        v = value.value
        if v is None:
            return f"<c{r}>{f}</c>"
        if isinstance(v, bool):
            return f'<c{r} t="b">{f}<v>{int(v)}</v></c>'
        if isinstance(v, int | float):
            return f"<c{r}>{f}<v>{v!r}</v></c>"
        return f'<c{r} t="str">{f}<v>{escape(str(v))}</v></c>'
    if isinstance(value, bool):
        return f'<c{r} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f"<c{r}><v>{value!r}</v></c>"
    text = escape(str(value))
    return f'<c{r} t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def xlsx_sheet_xml(spec: SheetSpec, refs: bool = True) -> str:
    """Worksheet XML; with `refs=False` rows and cells carry no ``r=`` (empty cells are
    then written as ``<c/>`` so that positions still count)."""
    rows = []
    for i, row in enumerate(spec.rows):
        cells = []
        for j, value in enumerate(row):
            xml = _xlsx_cell(f"{col_letters(j)}{i + 1}" if refs else "", value)
            cells.append(xml if xml or refs else "<c/>")
        rows.append(f'<row r="{i + 1}">' + "".join(cells) + "</row>" if refs
                    else "<row>" + "".join(cells) + "</row>")
    merges = ""
    if spec.merges:
        merges = f'<mergeCells count="{len(spec.merges)}">' + "".join(
            f'<mergeCell ref="{col_letters(c0)}{r0 + 1}:{col_letters(c1)}{r1 + 1}"/>'
            for r0, c0, r1, c1 in spec.merges) + "</mergeCells>"
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><sheetData>'
            + "".join(rows) + f"</sheetData>{merges}</worksheet>")


def write_xlsx(path: Path, *sheets: SheetSpec, refs: bool = True) -> Path:
    """A complete xlsx package holding `sheets` (Excel and LibreOffice open it)."""
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{k + 1}.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        for k in range(len(sheets)))
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        f'officedocument.spreadsheetml.sheet.main+xml"/>{overrides}</Types>')
    package_rels = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships '
        f'xmlns="{PKG_REL_NS}"><Relationship Id="rId1" Type="{REL_NS}/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>')
    rels = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships '
            f'xmlns="{PKG_REL_NS}">' + "".join(
                f'<Relationship Id="rId{k + 1}" Type="{REL_NS}/worksheet" '
                f'Target="worksheets/sheet{k + 1}.xml"/>' for k in range(len(sheets)))
            + "</Relationships>")
    entries = "".join(
        f"<sheet name={quoteattr(s.name)} sheetId=\"{k + 1}\" r:id=\"rId{k + 1}\""
        + (f' state="{s.state}"' if s.state != "visible" else "") + "/>"
        for k, s in enumerate(sheets))
    active = next((k for k, s in enumerate(sheets) if s.state == "visible"), 0)
    workbook = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}"><bookViews><workbookView '
                f'activeTab="{active}" firstSheet="{active}"/></bookViews>'
                f"<sheets>{entries}</sheets><calcPr fullCalcOnLoad=\"0\"/></workbook>")
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", content_types)
        zf.writestr("_rels/.rels", package_rels)
        zf.writestr("xl/workbook.xml", workbook)
        zf.writestr("xl/_rels/workbook.xml.rels", rels)
        for k, s in enumerate(sheets):
            zf.writestr(f"xl/worksheets/sheet{k + 1}.xml", xlsx_sheet_xml(s, refs))
    return path


# ---------------------------------------------------------------------------------------------
# ODS

ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" '
    'xmlns:calcext="urn:org:documentfoundation:names:experimental:calc:xmlns:calcext:1.0"')
MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>")


def _ods_value(value: Any) -> tuple[str, str]:
    """(attributes, content) of a value, as LibreOffice writes it."""
    if isinstance(value, bool):
        word = "true" if value else "false"
        return (f'office:value-type="boolean" office:boolean-value="{word}"',
                f"<text:p>{word.upper()}</text:p>")
    if isinstance(value, int | float):
        return (f'office:value-type="float" office:value="{value!r}"',
                f"<text:p>{value}</text:p>")
    return ('office:value-type="string"', f"<text:p>{escape(str(value))}</text:p>")


def _attr(text: str) -> str:
    return quoteattr(text, {'"': "&quot;"})


def _ods_cell(value: Any, span: tuple[int, int] | None) -> str:
    spans = (f' table:number-rows-spanned="{span[0]}" table:number-columns-spanned="{span[1]}"'
             if span else "")
    if isinstance(value, Covered):
        return "<table:covered-table-cell/>"
    if value is None or value == "":
        return f"<table:table-cell{spans}/>"
    if isinstance(value, Err):
        f = f" table:formula={_attr('of:=' + value.expr)}" if value.expr is not None else ""
        return (f'<table:table-cell{f} office:value-type="string" office:string-value="" '
                f'calcext:value-type="error"{spans}><text:p>{escape(value.code)}</text:p>'
                "</table:table-cell>")
    if isinstance(value, F):
        attrs, content = _ods_value(value.value) if value.value is not None else ("", "")
        return (f"<table:table-cell table:formula={_attr('of:=' + value.expr)} {attrs}{spans}>"
                f"{content}</table:table-cell>")
    attrs, content = _ods_value(value)
    return f"<table:table-cell {attrs}{spans}>{content}</table:table-cell>"


def write_ods(path: Path, *sheets: SheetSpec) -> Path:
    """An ODS document; merged ranges become spans, the cells under them must be `Covered`."""
    tables = []
    for s in sheets:
        spans = {(r0, c0): (r1 - r0 + 1, c1 - c0 + 1) for r0, c0, r1, c1 in s.merges}
        rows = "".join(
            "<table:table-row>" + "".join(_ods_cell(v, spans.get((i, j)))
                                          for j, v in enumerate(row)) + "</table:table-row>"
            for i, row in enumerate(s.rows))
        style = "ta1" if s.state == "visible" else "ta2"  # ODS has no "very hidden"
        tables.append(f"<table:table table:name={quoteattr(s.name)} table:style-name="
                      f'"{style}">{rows}</table:table>')
    styles = ('<office:automatic-styles><style:style style:name="ta1" style:family="table">'
              '<style:table-properties table:display="true"/></style:style>'
              '<style:style style:name="ta2" style:family="table">'
              '<style:table-properties table:display="false"/></style:style>'
              "</office:automatic-styles>")
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS} '
               f'office:version="1.3">{styles}<office:body><office:spreadsheet>'
               + "".join(tables) + "</office:spreadsheet></office:body>"
               "</office:document-content>")
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("META-INF/manifest.xml", MANIFEST)
        zf.writestr("content.xml", content)
    return path


def write_book(path: Path, *sheets: SheetSpec, refs: bool = True) -> Path:
    """`sheets` as .xlsx, .ods or .xls by `path`'s suffix."""
    if path.suffix == ".ods":
        return write_ods(path, *sheets)
    if path.suffix == ".xls":
        return write_xls(path, *sheets)
    return write_xlsx(path, *sheets, refs=refs)


# ---------------------------------------------------------------------------------------------
# xls (BIFF8 in an OLE compound file), as far as python-calamine and the guard read it

_ERROR_BYTES = {"#NULL!": 0x00, "#DIV/0!": 0x07, "#VALUE!": 0x0F, "#REF!": 0x17,
                "#NAME?": 0x1D, "#NUM!": 0x24, "#N/A": 0x2A}
_PTG_INT_1 = struct.pack("<HIH", 0, 0, 3) + b"\x1e\x01\x00"  # flags, chn, cce, rgce "=1"


def _rec(typ: int, body: bytes) -> bytes:
    return struct.pack("<HH", typ, len(body)) + body


def _xl_string(text: str, cch_bytes: int) -> bytes:
    """An XLUnicodeString: length, flags, then Latin-1 or UTF-16 characters."""
    try:
        raw, flag = text.encode("latin-1"), 0
    except UnicodeEncodeError:
        raw, flag = text.encode("utf-16-le"), 1
    length = struct.pack("<H" if cch_bytes == 2 else "<B", len(text))
    return length + bytes([flag]) + raw


def _xls_cell(i: int, j: int, value: Any) -> bytes:
    head = struct.pack("<HHH", i, j, 0)
    if value is None or value == "" or isinstance(value, Covered):
        return b""
    if isinstance(value, Err):
        code = _ERROR_BYTES[value.code]
        if value.expr is None:
            return _rec(0x0205, head + bytes([code, 1]))  # BOOLERR
        return _rec(0x0006, head + bytes([2, 0, code, 0, 0, 0, 0xFF, 0xFF]) + _PTG_INT_1)
    if isinstance(value, F):
        v = value.value
        if v is None or isinstance(v, str):
            result = bytes([0 if v else 3, 0, 0, 0, 0, 0, 0xFF, 0xFF])
            tail = _rec(0x0207, _xl_string(v, 2)) if v else b""
            return _rec(0x0006, head + result + _PTG_INT_1) + tail
        if isinstance(v, bool):
            return _rec(0x0006, head + bytes([1, 0, int(v), 0, 0, 0, 0xFF, 0xFF]) + _PTG_INT_1)
        return _rec(0x0006, head + struct.pack("<d", float(v)) + _PTG_INT_1)
    if isinstance(value, bool):
        return _rec(0x0205, head + bytes([int(value), 0]))
    if isinstance(value, int | float):
        return _rec(0x0203, head + struct.pack("<d", float(value)))
    return _rec(0x0204, head + _xl_string(str(value), 2))  # LABEL


def xls_bytes(*sheets: SheetSpec) -> bytes:
    """A BIFF8 Workbook stream: globals (BOF, BOUNDSHEET per sheet, EOF), then the sheets."""
    def bof(kind: int) -> bytes:
        return _rec(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0, 0x0600))

    states = {"visible": 0, "hidden": 1, "veryHidden": 2}
    bodies = []
    for s in sheets:
        cells = b"".join(_xls_cell(i, j, v) for i, row in enumerate(s.rows)
                         for j, v in enumerate(row))
        if s.merges:
            cells += _rec(0x00E5, struct.pack("<H", len(s.merges)) + b"".join(
                struct.pack("<HHHH", r0, r1, c0, c1) for r0, c0, r1, c1 in s.merges))
        bodies.append(bof(0x0010) + cells + _rec(0x000A, b""))

    def globals_(offsets: list[int]) -> bytes:
        out = bof(0x0005)
        for s, offset in zip(sheets, offsets, strict=True):
            out += _rec(0x0085, struct.pack("<IBB", offset, states[s.state], 0)
                        + _xl_string(s.name, 1))
        return out + _rec(0x000A, b"")

    offsets, pos = [], len(globals_([0] * len(sheets)))
    for body in bodies:
        offsets.append(pos)
        pos += len(body)
    return globals_(offsets) + b"".join(bodies)


def write_xls(path: Path, *sheets: SheetSpec) -> Path:
    from .test_guard import build_cfb

    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(build_cfb({"Workbook": xls_bytes(*sheets)}))
    return path
