"""Fast bodies for the workbook's big sheets (Ranking, Breakdown, and Evidence).

xlsxwriter costs a few microseconds a cell, which at national-campaign scale (a million cells)
is seconds. The workbook is written in constant-memory mode, where xlsxwriter streams each
finished row's XML to a temporary file and copies that file into the sheet's `<sheetData>` when
the workbook is closed. A `Body` takes a sheet's body column by column and writes the XML of its
rows straight to that stream, block by block: the same XML xlsxwriter writes for the same calls
(inline strings, the same escapes, the same style indexes, assigned in the same order, and the
same row heights), at a fraction of the cost. Everything else — formats, titles, headers,
conditional formats, filters, panes, print setup — is still xlsxwriter's.

The cost is kept to a few pieces of text a cell, joined once a block: a column's values repeat
(statuses, levels, points, file names), so a value's style, quoting, escaping and row height,
and a number's text, are worked out once per distinct value (per block of rows, which bounds the
memory); and a block of text that xlsxwriter writes as it is (most are, found by one look at
all of it) goes in between its tags unchanged.

Safety is unchanged: applicant text is only ever an inline string (never a formula, a number
or a hyperlink), goes through `ExcelText` (`fit`: characters a cell cannot hold replaced, text
over the cell limit cut, every change noted; `text_kind`: the quote-prefixed style for text
that starts like a formula), and is XML-escaped here exactly as xlsxwriter escapes it.

`available` says whether the worksheet is in the state this needs (constant-memory mode, rows
written in order); if not (or with `ENABLED` off, as the tests do to compare), the callers
write cell by cell through xlsxwriter.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from operator import itemgetter
from typing import Any, cast

import numpy as np
import pandas as pd
from xlsxwriter.utility import _preserve_whitespace, xl_col_to_name
from xlsxwriter.worksheet import Worksheet
from xlsxwriter.xmlwriter import XMLwriter

#: Off: every cell is written through xlsxwriter (the reference the tests compare with).
ENABLED = True
#: Rows generated and written at a time (bounds the memory the XML takes).
BLOCK = 2048

# A slot's cells hold: a number; constant text of our own; text written as ExcelText does,
# or its rich-text lookalike.
_NUM, _STR, _TEXT, _RICH = range(4)

# Text that xlsxwriter changes when it writes it: XML metacharacters, control characters
# (written as _xHHHH_), literal _xHHHH_ (its leading "_" escaped), or leading or trailing
# whitespace (xml:space="preserve"). Anything else is written as it is.
_CARE = re.compile(r"[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$")
# Its characters alone, searched for many times faster; and as a table deleting them from
# ASCII text, faster still.
_CARE_CHARS = re.compile("[&<>\x00-\x08\x0b-\x1f\ufffe\uffff]")
_CARE_ASCII = str.maketrans(dict.fromkeys([*b"&<>", *range(0x09), *range(0x0b, 0x20)]))


def available(ws: Any, first_row: int) -> bool:
    """Whether rows from `first_row` on can be written straight to the worksheet's stream."""
    return (ENABLED and bool(getattr(ws, "constant_memory", False))
            and getattr(ws, "row_data_fh", None) is not None and ws.fh is ws.row_data_fh
            and hasattr(ws, "_write_single_row") and ws.previous_row <= first_row)


def _no_care_chars(text: str) -> bool:
    """Whether `text` has none of the characters `_CARE` looks for, nor "_x"."""
    if "_" in text and "_x" in text:  # looking for one character first is faster
        return False
    if text.isascii():
        return len(text.translate(_CARE_ASCII)) == len(text)
    return _CARE_CHARS.search(text) is None


def _as_is(value: str) -> bool:
    """Whether xlsxwriter writes non-empty `value` as it is (`_CARE` finds nothing)."""
    if value[0].isspace() or value[-1].isspace():
        return False
    return _no_care_chars(value) or _CARE.search(value) is None


def _all_as_is(texts: list[str]) -> bool:
    """Whether xlsxwriter writes each of `texts` ("" for no cell) as it is; False when
    unsure. (One look at all the text finds nothing in almost every block of a column.)"""
    distinct = list(filter(None, dict.fromkeys(texts)))
    if any(map(str.isspace, map(itemgetter(0), distinct))) or any(
            map(str.isspace, map(itemgetter(-1), distinct))):
        return False
    return _no_care_chars("\n".join(distinct))


def _inline(value: str) -> str:
    """`<t>` and its text, escaped as xlsxwriter escapes an inline string."""
    if _as_is(value):
        return "<t>" + value + "</t>"
    text = XMLwriter._escape_control_characters(value)
    space = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return f"<t{space}>{text}</t>"


def _number_text(v: float) -> str:
    return f"{v:.16G}"  # as xlsxwriter writes <v>


def _masked(present: np.ndarray, text: str) -> list[str]:
    """`text` where `present`, else ""."""
    chosen: list[str] = np.asarray([text, ""], dtype=object)[(~present).view(np.int8)].tolist()
    return chosen


@dataclass
class _Column:
    col: int
    slots: np.ndarray  # index into formats/kinds per row; -1: no cell
    formats: list[Any]
    kinds: list[int]
    numbers: np.ndarray | None = None  # per row, the number of a _NUM slot
    constants: dict[int, str] = field(default_factory=dict)  # a _STR slot's text
    # Text (_TEXT and _RICH slots): the values, the ExcelText style of each style code, each
    # row's code (None: all 0) and the applicant each row is of, for notes.
    values: list[str | None] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    style_codes: list[int] | None = None
    who: Sequence[str] | None = None
    used: frozenset[int] = frozenset()  # the slots with cells
    fixed_tails: list[str] | None = None  # per row, a number or constant cell after its ref


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
        values = values[:self.n]
        present = np.fromiter((v is not None for v in values), dtype=bool, count=self.n)
        self.mixed(col, values, np.where(present, 0, -1), [fmt], [None])

    def mixed(self, col: int, values: Sequence[float | None] | np.ndarray, slots: np.ndarray,
              formats: Sequence[Any], constants: Sequence[str | None]) -> None:
        """Cells whose format is `formats[slots[k]]` (none where the slot is -1): the
        number `values[k]`, or, for a slot s with `constants[s]`, that text (constant text of
        our own, written as `write_string` writes it; `values[k]` is then unused)."""
        slots = np.asarray(slots, dtype=np.int64)[:self.n]
        nums = np.asarray(values[:self.n], dtype=float)  # None: NaN, where no number is
        kinds = [_NUM if t is None else _STR for t in constants]
        is_number = np.asarray([k == _NUM for k in kinds] + [False], dtype=bool)[slots]
        if not np.isfinite(nums[is_number]).all():
            raise TypeError("NAN/INF not supported in write_number()")
        self.columns.append(_Column(col, slots, list(formats), kinds, nums, {
            s: t for s, t in enumerate(constants) if t is not None}))

    def texts(self, col: int, values: Sequence[str | None], style: str | Sequence[str] = "text",
              who: Sequence[str] | None = None) -> None:
        """Applicant (or any) text, written as `ExcelText.write` writes it, in `style` (or
        each row's style); `who` names each row's applicant in notes."""
        if isinstance(style, str):
            styles, codes = [style], None
        else:
            styles = list(dict.fromkeys(style[:self.n]))
            code = {s: i for i, s in enumerate(styles)}
            codes = [code[s] for s in style[:self.n]]
        self.columns.append(_Column(col, np.empty(0, dtype=np.int64), [], [],
                                    values=list(values[:self.n]), styles=styles or ["text"],
                                    style_codes=codes, who=who))

    # -----------------------------------------------------------------------------------------

    def write(self) -> None:
        x, ws, first, n = self.x, self.ws, self.first, self.n
        if first > ws.previous_row:
            ws._write_single_row(first)  # the rows above, as the next write would
        self.columns.sort(key=lambda c: c.col)
        heights = [0.0] * n
        self._fit_texts()
        for c in self.columns:
            if c.styles:
                self._text_slots(c, heights)
        self._assign_style_indexes()
        self._check_dimensions()
        for c in self.columns:
            self._prepare(c)
        fh = ws.fh
        ends: dict[float, str] = {0.0: '">'}  # a row's start tag after its number, by height
        for a in range(0, n, BLOCK):
            b = min(n, a + BLOCK)
            rows = list(map(str, range(first + 1 + a, first + 1 + b)))
            row_array = np.asarray(rows, dtype=object)
            grown = heights[a:b]
            for h in set(grown) - ends.keys():
                ends[h] = '"' + self._height(h) + ">"
            m = b - a
            parts: list[list[str]] = [['<row r="'] * m, rows, [ends[h] for h in grown]]
            filled = np.zeros(m, dtype=bool)
            for c in self.columns:
                parts += self._cells(c, a, b, rows, row_array, filled)
            parts.append(["</row>"] * m)
            kept = filled | np.asarray(grown, dtype=bool)
            if not kept.all():  # a row with no cell is written only if its height is set
                keep = np.flatnonzero(kept).tolist()
                parts = [[part[k] for k in keep] for part in parts]
                m = len(keep)
            # The rows' pieces in order, each part every len(parts)th: one join makes the XML.
            pieces = [""] * (m * len(parts))
            for i, part in enumerate(parts):
                pieces[i::len(parts)] = part
            fh.write("".join(pieces))
        ws.previous_row = first + n  # rows above are written: xlsxwriter refuses to rewrite
        grown_rows = np.flatnonzero(np.asarray(heights, dtype=float))
        if len(grown_rows):
            last = int(grown_rows[-1])
            x._tall[ws.name] = (first + last, heights[last])

    def _fit_texts(self) -> None:
        # In the order the cells would be written (row by row), so notes list cells in order.
        texts = [(j, c) for j, c in enumerate(self.columns) if c.styles]
        for a in range(0, self.n, BLOCK):
            todo = []
            for j, c in texts:
                todo += [(a + k, c.col, j) for k in self.x.needing_fit(c.values[a:a + BLOCK])]
            for k, col, j in sorted(todo):
                c = self.columns[j]
                value = c.values[k]
                assert value is not None
                c.values[k] = self.x.fit(self.ws, self.first + k, col, value,
                                         c.who[k] if c.who is not None else "")

    def _text_slots(self, c: _Column, heights: list[float]) -> None:
        # Each style code takes three slots: the text written plain, quote-prefixed, or as a
        # rich string (ExcelText.text_kind).
        from .xlsx import _LINE, PLAIN, QUOTED, RICH

        x, ws = self.x, self.ws
        c.formats, c.kinds = [], []
        for style in c.styles:
            kind_format = {PLAIN: x.styles[style], QUOTED: x.quoted[style],
                           RICH: x.styles[style]}
            c.formats += [kind_format[k] for k in range(3)]
            c.kinds += [_RICH if k == RICH else _TEXT for k in range(3)]
        codes = c.style_codes
        slots: list[int] = []
        for a in range(0, len(c.values), BLOCK):
            values = c.values[a:a + BLOCK]
            b = a + len(values)
            distinct = list(filter(None, dict.fromkeys(values)))
            kind_of: dict[str | None, int] = dict(zip(distinct, x.text_kinds(distinct),
                                                      strict=True))
            if codes is None:  # style code 0: the slot is the kind; -1: no text, no cell
                slots += map(kind_of.get, values, repeat(-1))
            else:
                slots += [3 * code + kind_of[v] if v else -1
                          for code, v in zip(codes[a:b], values, strict=True)]
            for code, style in enumerate(c.styles):
                if style not in _LINE:
                    continue
                if codes is None:
                    points_of: dict[str | None, float] = {
                        v: x.line_points(ws, c.col, v, style) or 0.0 for v in distinct}
                    grown: Iterable[float] = map(points_of.get, values, repeat(0.0))
                else:
                    mine = [v if k == code else "" for k, v in zip(codes[a:b], values,
                                                                    strict=True)]
                    points_of = {v: x.line_points(ws, c.col, v, style) or 0.0
                                 for v in dict.fromkeys(mine) if v}
                    grown = map(points_of.get, mine, repeat(0.0))
                heights[a:b] = map(max, heights[a:b], grown)
        c.slots = np.asarray(slots, dtype=np.int64)

    def _assign_style_indexes(self) -> None:
        # xlsxwriter numbers formats as cells first use them, row by row: do the same.
        # (A format no cell uses gets no index, as with xlsxwriter.)
        firsts = []
        for c in self.columns:
            used = set()
            present = np.flatnonzero(c.slots >= 0)
            found, first_at = np.unique(c.slots[present], return_index=True)
            for s, at in zip(found.tolist(), first_at.tolist(), strict=True):
                firsts.append((int(present[at]), c.col, c.formats[s]))
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

    def _head(self, c: _Column, s: int) -> str:
        return f'" s="{c.formats[s]._get_xf_index()}"'

    def _prepare(self, c: _Column) -> None:
        # What follows the reference of a number or constant-text cell, for the whole column.
        # Each distinct number (by its bits, so that 0 and -0 stay apart) is formatted once.
        if c.numbers is not None:
            tails = np.full(len(c.slots), "", dtype=object)
            for s in sorted(c.used):
                where = np.flatnonzero(c.slots == s)
                if c.kinds[s] == _STR:
                    tails[where] = (self._head(c, s) + ' t="inlineStr"><is>'
                                    + _inline(c.constants[s]) + "</is></c>")
                    continue
                codes, bits = pd.factorize(c.numbers[where].view(np.uint64))
                mid = self._head(c, s) + "><v>"
                texts = [mid + _number_text(v) + "</v></c>"
                         for v in np.asarray(bits).view(np.float64).tolist()]
                tails[where] = np.asarray(texts, dtype=object)[codes]
            c.fixed_tails = tails.tolist()

    def _cells(self, c: _Column, a: int, b: int, rows: list[str], row_array: np.ndarray,
               filled: np.ndarray) -> list[list[str]]:
        """The cells of rows a … b - 1 of a column, as sequences whose items, joined, make
        each row's cell ("" where it has none), the first two its reference up to the row
        number and the row number (`rows`, as text; also as an array). Marks the rows with a
        cell in `filled`."""
        slots = c.slots[a:b]
        present = slots >= 0
        if not present.any():
            return []
        filled |= present
        full = bool(present.all())
        pre = '<c r="' + xl_col_to_name(c.col)
        start = ([[pre] * (b - a), rows] if full else
                 [_masked(present, pre), np.where(present, row_array, "").tolist()])
        if c.fixed_tails is not None:
            return [*start, c.fixed_tails[a:b]]
        texts = cast("list[str]", c.values[a:b]) if full else [v or "" for v in c.values[a:b]]
        used = set(slots[present].tolist())
        heads = {s: self._head(c, s) + ' t="inlineStr"><is>' for s in used}
        if all(c.kinds[s] == _TEXT for s in used) and _all_as_is(texts):
            # The common case: each cell's text as it is, between tags that depend only on
            # its slot (see _inline).
            opens = {s: head + "<t>" for s, head in heads.items()}
            close = "</t></is></c>"
            if len(opens) == 1:
                (open_tag,) = opens.values()
                tags = [[open_tag] * (b - a), [close] * (b - a)] if full else [
                    _masked(present, open_tag), _masked(present, close)]
            else:
                opens[-1] = ""
                tags = [list(map(opens.__getitem__, slots.tolist())), _masked(present, close)]
            return [*start, tags[0], texts, tags[1]]
        # Else what follows each distinct text's reference in each slot, as the rest of its
        # cell (see _inline).
        known: dict[int, dict[str | None, str]] = {s: {} for s in used}
        tails = []
        for s, v in zip(slots.tolist(), c.values[a:b], strict=True):
            if s < 0 or v is None:
                tails.append("")
                continue
            tail = known[s].get(v)
            if tail is None:
                xml = self._rich(v, c.formats[s]) if c.kinds[s] == _RICH else _inline(v)
                tail = known[s][v] = heads[s] + xml + "</is></c>"
            tails.append(tail)
        return [*start, tails]

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
