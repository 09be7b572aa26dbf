"""Fast bodies for the workbook's big sheets (Ranking, Breakdown, and Evidence).

xlsxwriter costs a few microseconds a cell, which at national-campaign scale (a million cells)
is seconds. The workbook is written in constant-memory mode, where xlsxwriter streams each
finished row's XML to a temporary file and copies that file into the sheet's `<sheetData>` when
the workbook is closed. A `Body` takes a sheet's body column by column and writes the XML of its
rows straight to that stream, block by block: the same XML xlsxwriter writes for the same calls
(inline strings, the same escapes, the same style indexes, assigned in the same order, and the
same row heights), at a fraction of the cost. Everything else — formats, titles, headers,
conditional formats, filters, panes, print setup — is still xlsxwriter's.

Safety is unchanged: applicant text is only ever an inline string (never a formula, a number
or a hyperlink), goes through `ExcelText` (`fit`: characters a cell cannot hold replaced, text
over the cell limit cut, every change noted; `text_format`: the quote-prefixed style for text
that starts like a formula), and is XML-escaped here exactly as xlsxwriter escapes it.

`available` says whether the worksheet is in the state this needs (constant-memory mode, rows
written in order); if not (or with `ENABLED` off, as the tests do to compare), the callers
write cell by cell through xlsxwriter.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name
from xlsxwriter.worksheet import Worksheet
from xlsxwriter.xmlwriter import XMLwriter

#: Off: every cell is written through xlsxwriter (the reference the tests compare with).
ENABLED = True
#: Rows generated and written at a time (bounds the memory the XML takes).
BLOCK = 2048

# Text that xlsxwriter changes when it writes it: XML metacharacters, control characters
# (written as _xHHHH_), literal _xHHHH_ (its leading "_" escaped), or leading or trailing
# whitespace (xml:space="preserve"). Anything else is written as it is.
_CARE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$")

_NUM, _STR, _TEXT, _RICH = range(4)  # constant text, applicant text, rich-text lookalike


def available(ws: Any, first_row: int) -> bool:
    """Whether rows from `first_row` on can be written straight to the worksheet's stream."""
    return (ENABLED and bool(getattr(ws, "constant_memory", False))
            and getattr(ws, "row_data_fh", None) is not None and ws.fh is ws.row_data_fh
            and hasattr(ws, "_write_single_row") and ws.previous_row <= first_row)


def _number_text(v: float) -> str:
    return f"{v:.16G}"  # as xlsxwriter writes <v>


def _inline(value: str) -> str:
    """`<t>` and its text, escaped as xlsxwriter escapes an inline string."""
    if _CARE.search(value) is None:
        return "<t>" + value + "</t>"
    text = XMLwriter._escape_control_characters(value)
    space = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<t{space}>{text}</t>"


@dataclass
class _Column:
    col: int
    values: list[Any]
    slots: np.ndarray  # index into formats/kinds per row; -1: no cell
    formats: list[Any]
    kinds: list[int]
    style: str = ""  # applicant text: its ExcelText style
    who: Sequence[str] | None = None
    used: frozenset[int] = frozenset()  # the slots with cells


class Body:
    """The rows `first_row` … `first_row + n - 1` of a sheet, given column by column (the
    first n values of each sequence), then written with `write`. Columns not given are
    empty."""

    def __init__(self, x: Any, ws: Any, first_row: int, n: int) -> None:
        self.x, self.ws, self.first, self.n = x, ws, first_row, n
        self.columns: list[_Column] = []
        self._scratch: Any = None

    def numbers(self, col: int, values: Sequence[float | None], fmt: Any) -> None:
        """Numbers in one format; None leaves the cell empty."""
        present = np.fromiter((v is not None for v in values[:self.n]), dtype=bool,
                              count=self.n)
        self.cells(col, values, np.where(present, 0, -1), [fmt], [_NUM])

    def mixed(self, col: int, values: Sequence[float | str | None], slots: np.ndarray,
              formats: Sequence[Any], is_text: Sequence[bool]) -> None:
        """Cells whose format is `formats[slots[k]]` (none where the slot is -1); a slot's
        values are numbers, or constant text of our own when `is_text[slot]`."""
        self.cells(col, values, slots, list(formats), [_STR if t else _NUM for t in is_text])

    def cells(self, col: int, values: Sequence[Any], slots: np.ndarray, formats: list[Any],
              kinds: list[int]) -> None:
        values = values[:self.n]
        slots = np.asarray(slots, dtype=np.int64)[:self.n]
        for s, kind in enumerate(kinds):
            if kind == _NUM:
                nums = np.asarray([values[k] for k in np.flatnonzero(slots == s).tolist()],
                                  dtype=float)
                if not np.isfinite(nums).all():
                    raise TypeError("NAN/INF not supported in write_number()")
        self.columns.append(_Column(col, list(values), slots, formats, kinds))

    def texts(self, col: int, values: Sequence[str | None], style: str = "text",
              who: Sequence[str] | None = None) -> None:
        """Applicant (or any) text, written as `ExcelText.write` writes it; `who` names each
        row's applicant in notes."""
        self.columns.append(_Column(col, list(values[:self.n]), np.empty(0, dtype=np.int64),
                                    [], [], style, who))

    # -----------------------------------------------------------------------------------------

    def write(self) -> None:
        x, ws, first, n = self.x, self.ws, self.first, self.n
        if first > ws.previous_row:
            ws._write_single_row(first)  # the rows above, as the next write would
        self.columns.sort(key=lambda c: c.col)
        heights = np.zeros(n, dtype=float)
        self._fit_texts()
        for c in self.columns:
            if not c.kinds:
                self._text_slots(c, heights)
        self._assign_style_indexes()
        self._check_dimensions()
        fh = ws.fh
        for a in range(0, n, BLOCK):
            b = min(n, a + BLOCK)
            rows = [str(first + 1 + k) for k in range(a, b)]
            parts = [self._column_xml(c, a, b, rows) for c in self.columns]
            out = []
            for i, cells in enumerate(zip(*parts, strict=True)):
                body = "".join(cells)
                h = heights[a + i]
                if h:
                    out.append(f'<row r="{rows[i]}"{self._height(h)}>{body}</row>')
                elif body:
                    out.append(f'<row r="{rows[i]}">{body}</row>')
            fh.write("".join(out))
        ws.previous_row = first + n  # rows above are written: xlsxwriter refuses to rewrite
        if heights.any():
            last = int(np.flatnonzero(heights)[-1])
            x._tall[ws.name] = (first + last, float(heights[last]))

    def _fit_texts(self) -> None:
        # In the order the cells would be written (row by row), so notes list cells in order.
        todo = []
        for j, c in enumerate(self.columns):
            if c.kinds:
                continue
            fit = self.x.needs_fit
            todo += [(k, c.col, j) for k, v in enumerate(c.values) if v and fit(v)]
        for k, col, j in sorted(todo):
            c = self.columns[j]
            c.values[k] = self.x.fit(self.ws, self.first + k, col, c.values[k],
                                     c.who[k] if c.who is not None else "")

    def _text_slots(self, c: _Column, heights: np.ndarray) -> None:
        x, style = self.x, c.style
        plain, quoted = x.styles[style], x.quoted[style]
        c.formats, c.kinds = [plain, quoted, plain], [_TEXT, _TEXT, _RICH]
        slots = np.full(len(c.values), -1, dtype=np.int64)
        text_format = x.text_format
        from .xlsx import _LINE

        grow = style in _LINE
        for k, v in enumerate(c.values):
            if not v:
                continue
            fmt, rich = text_format(v, style)
            slots[k] = 2 if rich else (1 if fmt is quoted else 0)
            if grow:
                points = x.line_points(self.ws, c.col, v, style)
                if points is not None and points > heights[k]:
                    heights[k] = points
        c.slots = slots

    def _assign_style_indexes(self) -> None:
        # xlsxwriter numbers formats as cells first use them, row by row: do the same.
        # (A format no cell uses gets no index, as with xlsxwriter.)
        firsts = []
        for c in self.columns:
            used = set()
            for s, fmt in enumerate(c.formats):
                where = np.flatnonzero(c.slots == s)
                if len(where):
                    firsts.append((int(where[0]), c.col, fmt))
                    used.add(s)
            c.used = frozenset(used)
        for _, _, fmt in sorted(firsts, key=lambda t: (t[0], t[1])):
            fmt._get_xf_index()

    def _check_dimensions(self) -> None:
        for c in self.columns:
            where = np.flatnonzero(c.slots >= 0)
            if len(where):
                self.ws._check_dimensions(self.first + int(where[0]), c.col)
                self.ws._check_dimensions(self.first + int(where[-1]), c.col)

    def _height(self, points: float) -> str:
        # As set_row(row, points) and then xlsxwriter's <row> writer.
        ws = self.ws
        pixels = int(points * 4.0 / 3.0 + 0.5)
        if pixels == ws.original_row_height == ws.default_row_height:
            return ""
        return f' ht="{pixels * 0.75:.16g}" customHeight="1"'

    def _column_xml(self, c: _Column, a: int, b: int, rows: list[str]) -> list[str]:
        letter = xl_col_to_name(c.col)
        heads = [f'" s="{fmt._get_xf_index()}"' if s in c.used else ""
                 for s, fmt in enumerate(c.formats)]
        slots = c.slots[a:b].tolist()
        values = c.values[a:b]
        if c.kinds == [_NUM]:  # the common case: numbers in one format
            mid = heads[0] + "><v>"
            return ["" if s < 0 else '<c r="' + letter + r + mid + _number_text(v) + "</v></c>"
                    for r, s, v in zip(rows, slots, values, strict=True)]
        out = []
        for r, s, v in zip(rows, slots, values, strict=True):
            if s < 0:
                out.append("")
                continue
            kind = c.kinds[s]
            if kind == _NUM:
                out.append(f'<c r="{letter}{r}{heads[s]}><v>{_number_text(v)}</v></c>')
            elif kind == _RICH:
                out.append(f'<c r="{letter}{r}{heads[s]} t="inlineStr"><is>'
                           f"{self._rich(v, c.formats[s])}</is></c>")
            else:
                out.append(f'<c r="{letter}{r}{heads[s]} t="inlineStr"><is>{_inline(v)}</is></c>')
        return out

    def _rich(self, value: str, fmt: Any) -> str:
        # Text shaped like rich-text XML is written as ExcelText.write writes it: a rich
        # string of two fragments, each escaped. xlsxwriter's own code makes the XML.
        if self._scratch is None:
            self._scratch = Worksheet()
            self._scratch.constant_memory = True
        scratch = self._scratch
        scratch.write_rich_string(0, 0, value[:1], self.x._fragment, value[1:], fmt)
        xml = scratch.table[0][0].string
        scratch.table.clear()
        return str(XMLwriter._escape_control_characters(xml))
