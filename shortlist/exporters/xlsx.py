"""The panel's Excel workbook: the shortlist, the ranking, a per-criterion breakdown, the
evidence, the role and a record of the run.

Applicant text is untrusted. Every string goes through `ExcelText.write`, which writes it with
`write_string` (never `write`, which may turn "=…" into a formula), replaces characters Excel
cannot store, cuts text over Excel's cell limit, and gives text a spreadsheet would take for a
formula a quote prefix (the cell shows the text unchanged; editing it never makes a formula).
Every change to a value is recorded as a note, written to the Run sheet and handed back to the
caller.

Large sifts: the workbook is written in xlsxwriter's constant-memory mode (each row is flushed
as soon as the next begins), and the columns are taken from the sift's frames as plain lists.
The bodies of the long sheets (Shortlist, Ranking, Breakdown, Evidence) are written by
`xlsx_fast`, column by column, as the XML the cell-by-cell code below would have xlsxwriter
write; that code writes each sheet's last row, and every row when the fast path is not
available.
"""

from __future__ import annotations

import functools
import math
import os
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
import xlsxwriter
import xlsxwriter.workbook
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from .. import __version__
from ..errors import OutputError
from ..impact import monitoring_fields
from ..marks import SCOPE_TEXT
from ..ranking import FAILED, INVALID, RANKED, SHORTLISTED
from ..role import Criterion, Role, format_points
from ..sift import Sift
from . import xlsx_fast
from .safety import FORMULA_TRIGGERS

#: Excel's limits.
MAX_CELL_CHARS = 32_767  # UTF-16 code units per cell
MAX_ROWS = 1_048_576
TRUNCATION_MARK = "…[truncated]"
REPLACEMENT = "\ufffd"

# XML 1.0 cannot hold C0 controls other than tab, LF and CR, lone surrogates or U+FFFE/U+FFFF;
# Excel stores such characters only through an escape that other readers misread.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_UNSTORABLE_ASCII = str.maketrans(dict.fromkeys([*range(0x09), 0x0b, 0x0c, *range(0x0e, 0x20)]))
_TRIGGERS = frozenset(FORMULA_TRIGGERS)
_TRIGGERS_OR_TAG = _TRIGGERS | {"<"}  # what text other than PLAIN starts with


def _storable(text: str) -> bool:
    """Whether `text` has no character `_UNSTORABLE` matches."""
    if text.isascii():  # deleting characters from ASCII text is many times faster than a search
        return len(text.translate(_UNSTORABLE_ASCII)) == len(text)
    return _UNSTORABLE.search(text) is None

STATUS_LABELS = {SHORTLISTED: "Shortlisted", RANKED: "Ranked", FAILED: "Failed an essential",
                 INVALID: "Invalid"}
SCORE_BANDS = 10  # the score distribution's bands: 0–10, 10–20, … 90–100

#: Deflate level of the panel workbook's zip. xlsxwriter always uses zlib's default (6); at
#: level 1 a national campaign's workbook is written in about half the time (its compression
#: is most of what is left) and is about a third larger (7.6 MB instead of 5.7 MB for 20,000
#: applicants).
ZIP_LEVEL = 1


class _Workbook(xlsxwriter.Workbook):  # type: ignore[misc]
    """xlsxwriter's Workbook, zipped at `ZIP_LEVEL` (it has no option for it, so the ZipFile
    it opens in `_store_workbook` is given the level for as long as that runs)."""

    def _store_workbook(self) -> None:
        zip_file = xlsxwriter.workbook.ZipFile
        xlsxwriter.workbook.ZipFile = functools.partial(zip_file, compresslevel=ZIP_LEVEL)
        try:
            super()._store_workbook()
        finally:
            xlsxwriter.workbook.ZipFile = zip_file


WORKBOOK_OPTIONS = {
    "constant_memory": True,
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}

STYLES: dict[str, dict[str, Any]] = {
    "text": {"valign": "top"},
    "wrap": {"valign": "top", "text_wrap": True},
    "band": {"valign": "top", "text_wrap": True},  # wrapped, its row sized by hand
    "small_wrap": {"valign": "top", "text_wrap": True, "font_size": 9},
    "bold": {"valign": "top", "bold": True},
    "muted": {"valign": "top", "italic": True, "font_color": "#7F7F7F"},
    "title": {"bold": True, "font_size": 14},
    "subtitle": {"bold": True, "font_size": 12},
    "header": {"bold": True, "text_wrap": True, "valign": "top", "font_color": "#FFFFFF",
               "bg_color": "#1F4E78", "border": 1, "border_color": "#BFBFBF"},
    "crit_header": {"text_wrap": True, "valign": "top", "font_size": 8, "bg_color": "#DDEBF7",
                    "border": 1, "border_color": "#BFBFBF"},
    "int": {"valign": "top", "num_format": "0", "align": "center"},
    "count": {"valign": "top", "num_format": "0"},
    # Points and other numbers are rounded to 2 decimals and shown in General format, so 3,
    # 2.5 and 2.33 read as written ("0.##" would show 3 as "3.").
    "number": {"valign": "top", "align": "left"},
    "score": {"valign": "top", "num_format": "0.00"},
    "points": {"valign": "top", "align": "center"},
    "unmet": {"valign": "top", "align": "center", "bold": True,
              "font_color": "#9C0006", "bg_color": "#FFC7CE"},
    "na": {"valign": "top", "align": "center", "italic": True, "font_color": "#7F7F7F",
           "bg_color": "#F2F2F2"},
    "bad": {"valign": "top", "align": "center", "italic": True, "font_color": "#9C5700",
            "bg_color": "#FFEB9C"},
    "mono": {"valign": "top", "font_name": "Consolas", "font_size": 9},
}

# Wrapping styles: (points per line, characters per unit of column width).
_LINE = {"wrap": (15.0, 1.05), "small_wrap": (12.0, 1.25)}
MAX_ROW_POINTS = 409.0  # Excel's tallest row

#: How `ExcelText` writes a piece of text (see `ExcelText.text_kind`).
PLAIN, QUOTED, RICH = range(3)

# Excel's "light red fill with dark red text", for essential criteria not met.
_UNMET_CF = {"bg_color": "#FFC7CE", "font_color": "#9C0006", "bold": True}


@dataclass
class _Change:
    message: str
    cells: list[str] = field(default_factory=list)


def excel_text(text: str) -> tuple[str, int, int | None]:
    """`text` as Excel can store it: (text, characters replaced, original length if cut).

    Characters a cell cannot hold become U+FFFD; text over 32,767 UTF-16 units is cut and ends
    with "…[truncated]".
    """
    replaced = 0
    if _UNSTORABLE.search(text) is not None:
        text, replaced = _UNSTORABLE.subn(REPLACEMENT, text)
    cut_from: int | None = None
    if len(text) > MAX_CELL_CHARS // 2:
        units = text.encode("utf-16-le")
        if len(units) // 2 > MAX_CELL_CHARS:
            cut_from = len(text)
            keep = 2 * (MAX_CELL_CHARS - len(TRUNCATION_MARK))
            # A surrogate pair split by the cut is dropped whole.
            text = units[:keep].decode("utf-16-le", errors="ignore") + TRUNCATION_MARK
    return text, replaced, cut_from


class ExcelText:
    """Writes every string of a workbook safely, with named formats, and notes any change.

    Each named style has a twin with `quote_prefix` set, used for text that starts like a
    formula, so the cell shows the original text and is never a formula.
    """

    def __init__(self, workbook: Any, styles: dict[str, dict[str, Any]]):
        self.workbook = workbook
        self.styles = {name: workbook.add_format(props) for name, props in styles.items()}
        self.quoted = {name: workbook.add_format({**props, "quote_prefix": True})
                       for name, props in styles.items()}
        self._fragment = workbook.add_format({})
        self.headers: dict[tuple[str, int], str] = {}
        self._changes: dict[tuple[str, str], _Change] = {}
        self._widths: dict[str, dict[int, float]] = {}
        self._tall: dict[str, tuple[int, float]] = {}  # sheet → (row, height set) last raised
        self._row_formats: dict[tuple[str, int], Any] = {}

    def widths(self, ws: Any, widths: Sequence[float], first: int = 0,
               formats: Sequence[Any] | None = None) -> None:
        """Set column widths (in characters; optionally the columns' formats), remembered to
        size rows of wrapped text."""
        known = self._widths.setdefault(ws.name, {})
        for j, w in enumerate(widths, first):
            ws.set_column(j, j, w, None if formats is None else formats[j - first])
            known[j] = w

    def width_of(self, ws: Any, first: int, last: int) -> float:
        """The width of columns first..last together (for merged cells)."""
        known = self._widths.get(ws.name, {})
        return sum(known.get(j, 8.43) for j in range(first, last + 1))

    def height(self, ws: Any, row: int, points: float | None, fmt: Any = None) -> None:
        """Set a row's height (points) outright, and optionally its format (kept when the
        row is made taller for wrapped text)."""
        ws.set_row(row, points, fmt)
        self._tall[ws.name] = (row, points or 15.0)
        if fmt is not None:
            self._row_formats[(ws.name, row)] = fmt

    def line_points(self, ws: Any, col: int, text: str, style: str,
                    width: float | None = None) -> float | None:
        """The height (points) a row needs for `text` wrapped in column `col` in a wrapping
        `style`, or None when it fits on one line."""
        # Neither Excel nor LibreOffice sizes a row to wrapped text in a file it opens, so
        # the row is made tall enough for an estimate of the lines the text wraps to.
        line, scale = _LINE[style]
        w = width if width is not None else self._widths.get(ws.name, {}).get(col, 8.43)
        capacity = max(1.0, w * scale)
        if "\n" in text:
            lines = sum(max(1, math.ceil(len(part) / capacity)) for part in text.split("\n"))
        else:
            lines = max(1, math.ceil(len(text) / capacity))
        if lines < 2:
            return None
        return min(MAX_ROW_POINTS, lines * line + 3)

    def _grow(self, ws: Any, row: int, col: int, text: str, style: str,
              width: float | None) -> None:
        points = self.line_points(ws, col, text, style, width)
        if points is None:
            return
        last_row, last_points = self._tall.get(ws.name, (-1, 0.0))
        if last_row == row and last_points >= points:
            return
        ws.set_row(row, points, self._row_formats.get((ws.name, row)))
        self._tall[ws.name] = (row, points)

    def __getitem__(self, name: str) -> Any:
        return self.styles[name]

    @property
    def notes(self) -> list[str]:
        """One line per value changed to fit in a cell, naming every cell it was written to."""
        out = []
        for change in self._changes.values():
            cells = ", ".join(change.cells[:8])
            if len(change.cells) > 8:
                cells += f" and {len(change.cells) - 8} more"
            out.append(f"{change.message} ({cells})")
        return out

    def header(self, ws: Any, row: int, labels: Sequence[str], style: str = "header",
               height: float = 30) -> None:
        """A header row; the labels also name the columns in notes."""
        self.height(ws, row, height)
        for col, label in enumerate(labels):
            self.headers[(ws.name, col)] = label
            self.write(ws, row, col, label, style)

    def write(self, ws: Any, row: int, col: int, value: str | None, style: str = "text",
              who: str = "", width: float | None = None) -> None:
        """Write `value` as text (nothing for None or ""). `who` names the applicant in notes;
        `width` is the width the text wraps in, when the cell is merged with others."""
        if not value:
            return
        value = self.fit(ws, row, col, value, who)
        if style in _LINE:
            self._grow(ws, row, col, value, style, width)
        fmt, rich = self.text_format(value, style)
        if rich:
            # xlsxwriter writes a string shaped like this unescaped, as rich-text XML: written
            # in two fragments it is escaped like any other text.
            ws.write_rich_string(row, col, value[:1], self._fragment, value[1:], fmt)
            return
        ws.write_string(row, col, value, fmt)

    def fit(self, ws: Any, row: int, col: int, value: str, who: str = "") -> str:
        """`value` as a cell can hold it (see `excel_text`), noting any change."""
        return self._fit(ws, row, col, value, who) if self.needs_fit(value) else value

    @staticmethod
    def needs_fit(value: str) -> bool:
        """Whether `fit` may change `value`."""
        return _UNSTORABLE.search(value) is not None or len(value) > MAX_CELL_CHARS // 2

    @staticmethod
    def needing_fit(values: Sequence[str | None]) -> list[int]:
        """The positions of the values `fit` may change (as `needs_fit`, for many at once)."""
        texts = [v or "" for v in values]
        # One look at all the text finds nothing in almost every column.
        if (_storable("\n".join(texts))
                and max(map(len, texts), default=0) <= MAX_CELL_CHARS // 2):
            return []
        return [k for k, v in enumerate(texts) if v and ExcelText.needs_fit(v)]

    @staticmethod
    def text_kind(value: str) -> int:
        """How fitted, non-empty text is written: PLAIN; QUOTED, with the quote-prefixed
        format, as it starts like a formula; or RICH, as a two-fragment rich string, as it is
        shaped like rich-text XML ("<r>…</r>")."""
        return ExcelText.text_kinds((value,))[0]

    @staticmethod
    def text_kinds(values: Iterable[str]) -> list[int]:
        """`text_kind` of each of `values`."""
        values = list(values)
        if _TRIGGERS_OR_TAG.isdisjoint(map(itemgetter(0), values)):  # as most text does
            return [PLAIN] * len(values)
        return [RICH if v.startswith("<r>") and v.endswith("</r>") else
                QUOTED if v[0] in _TRIGGERS else PLAIN for v in values]

    def text_format(self, value: str, style: str) -> tuple[Any, bool]:
        """The format for fitted, non-empty text in `style` (see `text_kind`), and whether it
        is written as a two-fragment rich string."""
        kind = self.text_kind(value)
        return (self.quoted[style] if kind == QUOTED else self.styles[style]), kind == RICH

    def _fit(self, ws: Any, row: int, col: int, value: str, who: str) -> str:
        text, replaced, cut_from = excel_text(value)
        what = self.headers.get((ws.name, col), f"column {xl_col_to_name(col)}")
        if who:
            short_who, _, _ = excel_text(who[:40])
            what = f"{what} of applicant {short_who}"
        cell = f"{ws.name}!{xl_rowcol_to_cell(row, col)}"
        if replaced:
            self._note(what, f"{replaced} character(s) Excel cannot store replaced with "
                             "U+FFFD", cell)
        if cut_from is not None:
            self._note(what, f"{cut_from:,} characters, more than a cell holds; cut to "
                             f"{MAX_CELL_CHARS:,} ending {TRUNCATION_MARK!r}", cell)
        return text

    def _note(self, what: str, message: str, cell: str) -> None:
        change = self._changes.setdefault((what, message), _Change(f"{what}: {message}"))
        change.cells.append(cell)


# ---------------------------------------------------------------------------------------------
# The sift's columns, in output order, as plain lists


@dataclass
class _Columns:
    positions: np.ndarray  # row positions in output order
    ids: list[str]
    names: list[str]
    rank: list[int | None]
    score: list[float | None]
    desirable: list[float | None]
    status: list[str]
    reason: list[str]
    shortlisted: list[bool]
    essential_met: list[bool]
    valid: list[bool]
    failures: list[str]
    flags: list[str]
    errors: list[str]
    files: list[str]
    sheets: list[str]
    rows: list[int]
    fields: dict[str, list[str]]


def _texts(values: Any) -> list[str]:
    return [v if type(v) is str else _text(v) for v in values.tolist()]


def _text(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


def _scores(values: np.ndarray, valid: np.ndarray) -> list[float | None]:
    rounded = np.round(values.astype(float), 2)
    return [None if (not ok or math.isnan(x)) else x
            for x, ok in zip(rounded.tolist(), valid.tolist(), strict=True)]


def points_column(points: pd.Series, pos: np.ndarray) -> list[float]:
    """A criterion's points in output order, rounded to 2 decimals (0 where missing)."""
    rounded: list[float] = _points_array(points, pos).tolist()
    return rounded


def _points_array(points: pd.Series, pos: np.ndarray) -> np.ndarray:
    rounded: np.ndarray = np.round(np.nan_to_num(points.to_numpy(dtype=float)[pos]), 2)
    return rounded


def _columns(sift: Sift) -> _Columns:
    frame, sc, rk = sift.apps.frame, sift.scored, sift.ranked
    pos = sift.order
    n = len(pos)
    valid = sc["valid"].to_numpy(dtype=bool)[pos]
    failures = _failure_texts(sift, pos)
    flags = _flag_texts(sift, pos)
    errors = []
    for i in pos.tolist():
        problems = sift.apps.errors[i]
        errors.append("\n".join(_error_text(p) for p in problems if p.is_error)
                      if problems else "")
    fields: dict[str, list[str]] = {}
    if not sift.anonymise:
        if "guaranteed_interview" in frame:
            gis = frame["guaranteed_interview"].to_numpy(dtype=bool)[pos]
            fields["guaranteed_interview"] = ["Yes" if g else "" for g in gis.tolist()]
        for f in _extra_fields(sift.role):
            fields[f.name] = _texts(frame[f.name].to_numpy(dtype=object)[pos])
    ranks = rk["rank"].to_numpy(dtype=object)[pos]
    no_rank = pd.isna(ranks).tolist()
    return _Columns(
        positions=pos,
        ids=_texts(frame["applicant_id"].to_numpy(dtype=object)[pos]),
        names=_texts(frame["name"].to_numpy(dtype=object)[pos]) if "name" in frame
        else [""] * n,
        rank=[None if missing else int(r)
              for r, missing in zip(ranks.tolist(), no_rank, strict=True)],
        score=_scores(sc["score"].to_numpy()[pos], valid),
        desirable=_scores(sc["desirable_score"].to_numpy()[pos], valid),
        status=_texts(rk["status"].to_numpy(dtype=object)[pos]),
        reason=_texts(rk["reason"].to_numpy(dtype=object)[pos]),
        shortlisted=rk["shortlisted"].to_numpy(dtype=bool)[pos].tolist(),
        essential_met=sc["essential_met"].to_numpy(dtype=bool)[pos].tolist(),
        valid=valid.tolist(),
        failures=failures,
        flags=flags,
        errors=errors,
        files=_texts(frame["file"].to_numpy(dtype=object)[pos]),
        sheets=_texts(frame["sheet"].to_numpy(dtype=object)[pos]),
        rows=[int(r) for r in frame["row"].to_numpy()[pos].tolist()],
        fields=fields,
    )


def _extra_fields(role: Role) -> list[Any]:
    """The role's own scored fields (not the built-in id, name and guaranteed interview)."""
    return [f for f in role.scored_fields
            if f.name not in ("applicant_id", "name", "guaranteed_interview")]


def _failure_texts(sift: Sift, pos: np.ndarray) -> list[str]:
    failures = sift.all_failures
    return ["\n".join(f"{c.id}: {reason}" for c, reason in failures[k]) if failures[k] else ""
            for k in pos.tolist()]


def _flag_texts(sift: Sift, pos: np.ndarray) -> list[str]:
    flags = sift.all_flags
    return ["\n".join(f"{c.id}: {flag.replace('_', ' ')} ({detail})"
                      for c, flag, detail in flags[k]) if flags[k] else ""
            for k in pos.tolist()]


def _error_text(p: Any) -> str:
    where = ", ".join(x for x in (p.sheet and f"sheet {p.sheet}",
                                  p.row is not None and f"row {p.row}",
                                  p.column and f"column {p.column}") if x)
    return f"{where}: {p.message}" if where else p.message


# ---------------------------------------------------------------------------------------------
# Sheets


def _print_setup(ws: Any, role: Role, repeat_row: int | None, *, landscape: bool = True) -> None:
    if landscape:
        ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.fit_to_pages(1, 0)
    if repeat_row is not None:
        ws.repeat_rows(repeat_row)
    ws.set_footer(f"&L{_header_safe(role.id)} – &A&RPage &P of &N")


def _header_safe(text: str) -> str:
    """Text for a print header or footer, where '&' starts a control code."""
    return text.replace("&", "&&")


def _title(x: ExcelText, ws: Any, title: str, line: str | None = None, width: int = 6) -> None:
    x.height(ws, 0, 22)
    x.write(ws, 0, 0, title, "title")
    if line:
        _merged(x, ws, 1, 0, width - 1, line, "wrap")


def _merged(x: ExcelText, ws: Any, row: int, first: int, last: int, text: str,
            style: str) -> None:
    """Text across merged cells, written by the safe writer (merge_range uses `write`)."""
    if last > first:
        ws.merge_range(row, first, row, last, "", x[style])
    x.write(ws, row, first, text, style, width=x.width_of(ws, first, last))


HEADER_ROW = 3  # row index of the header on the applicant sheets (title, summary, blank above)


def _who_columns(sift: Sift) -> list[str]:
    return ["Applicant ID"] if sift.anonymise else ["Applicant ID", "Name"]


def _write_who(x: ExcelText, ws: Any, row: int, sift: Sift, cols: _Columns, k: int) -> None:
    """Applicant k's rank, id and (unless name-blind) name: the first cells of a row."""
    rank = cols.rank[k]
    if rank is not None:
        ws.write_number(row, 0, rank, x["int"])
    who = cols.ids[k]
    x.write(ws, row, 1, who, "text", who)
    if not sift.anonymise:
        x.write(ws, row, 2, cols.names[k], "text", who)


def _write_shortlist(x: ExcelText, ws: Any, sift: Sift, cols: _Columns) -> None:
    role = sift.role
    head = ["Rank", *_who_columns(sift), "Score", "Desirable score", "Reason"]
    widths = [6, 14, *([] if sift.anonymise else [28]), 12, 12, 48]
    x.widths(ws, widths)
    _title(x, ws, f"Shortlist – {role.title}", sift.summary_line(), len(head))
    x.header(ws, HEADER_ROW, head)
    picks = [k for k, s in enumerate(cols.shortlisted) if s]
    row = HEADER_ROW
    start = 0
    if len(picks) > 1 and xlsx_fast.available(ws, HEADER_ROW + 1):
        start = _shortlist_body(x, ws, sift, cols, picks)
        row += start
    for k in picks[start:]:
        row += 1
        _applicant_cells(x, ws, row, sift, cols, k)
        j = len(head) - 1
        x.write(ws, row, j, cols.reason[k], "wrap", cols.ids[k])
    if not picks:
        row += 1
        x.write(ws, row, 0, "Nobody is shortlisted.", "muted")
    ws.freeze_panes(HEADER_ROW + 1, 0)
    ws.autofilter(HEADER_ROW, 0, row if picks else HEADER_ROW, len(head) - 1)
    _write_distribution(x, ws, sift, cols, row + 2, len(head))
    # No repeated header: the distribution prints on a page of its own after the list.
    _print_setup(ws, role, None)
    ws.activate()


def _shortlist_body(x: ExcelText, ws: Any, sift: Sift, cols: _Columns, picks: list[int]) -> int:
    """The Shortlist's rows but the last, as `_write_shortlist` writes them cell by cell, in
    one go; returns how many (see `_ranking_body`)."""
    picks = picks[:-1]
    ids = [cols.ids[k] for k in picks]
    b = xlsx_fast.Body(x, ws, HEADER_ROW + 1, len(picks))
    b.numbers(0, [cols.rank[k] for k in picks], x["int"])
    b.texts(1, ids, "text", ids)
    j = 2
    if not sift.anonymise:
        b.texts(2, [cols.names[k] for k in picks], "text", ids)
        j = 3
    b.numbers(j, [cols.score[k] for k in picks], x["score"])
    b.numbers(j + 1, [cols.desirable[k] for k in picks], x["score"])
    b.texts(j + 2, [cols.reason[k] for k in picks], "wrap", ids)
    b.write()
    return len(picks)


def _applicant_cells(x: ExcelText, ws: Any, row: int, sift: Sift, cols: _Columns,
                     k: int) -> int:
    """Rank, id, name (unless anonymised), score, desirable score; returns the next column."""
    rank = cols.rank[k]
    if rank is not None:
        ws.write_number(row, 0, rank, x["int"])
    who = cols.ids[k]
    x.write(ws, row, 1, who, "text", who)
    j = 2
    if not sift.anonymise:
        x.write(ws, row, 2, cols.names[k], "text", who)
        j = 3
    for value in (cols.score[k], cols.desirable[k]):
        if value is not None:
            ws.write_number(row, j, value, x["score"])
        j += 1
    return j


def _write_distribution(x: ExcelText, ws: Any, sift: Sift, cols: _Columns, top: int,
                        width: int) -> None:
    """The score distribution of valid applicants, by outcome, and its chart, from row `top`.

    Each band's column is stacked by outcome, so the band holding the cut-off shows both the
    shortlisted and the ranked but not shortlisted; that band's label also names the cut-off.
    """
    status = np.asarray(cols.status, dtype=object)
    scores = np.asarray([np.nan if s is None else s for s in cols.score], dtype=float)
    scored = ~np.isnan(scores)
    bands = np.clip(np.floor(np.nan_to_num(scores, nan=0.0) / (100 / SCORE_BANDS)),
                    0, SCORE_BANDS - 1).astype(np.int64)
    # The cut-off is set by rank; guaranteed-interview claimants may be shortlisted below it.
    top_n = sift.options.top
    by_rank = np.asarray([sh and r is not None and r <= top_n
                          for sh, r in zip(cols.shortlisted, cols.rank, strict=True)], dtype=bool)
    by_rank &= scored
    cutoff = float(scores[by_rank].min()) if by_rank.any() else None
    shortlisted = status == SHORTLISTED
    extra = int(np.sum(shortlisted & ~by_rank))
    series = [("Shortlisted" if not extra else f"Shortlisted (top {top_n})",
               shortlisted & by_rank, "#2E7D32"),
              *([(f"Shortlisted outside the top {top_n}", shortlisted & ~by_rank, "#9CCC65")]
                if extra else []),
              ("Ranked, not shortlisted", status == RANKED, "#9E9E9E"),
              ("Failed an essential", status == FAILED, "#C62828")]
    counts = [np.bincount(bands[mask & scored], minlength=SCORE_BANDS).tolist()
              for _, mask, _ in series]
    step = 100 // SCORE_BANDS
    labels = [f"{b * step}–{(b + 1) * step}" for b in range(SCORE_BANDS)]
    if cutoff is not None:
        cut_band = min(int(cutoff // step), SCORE_BANDS - 1)
        labels[cut_band] += f"\n(cut-off {cutoff:.2f})"

    ws.set_h_pagebreaks([top])  # the distribution and its chart print on a page of their own
    x.write(ws, top, 0, "Score distribution", "subtitle")
    note = ("Applicants with a score (all but invalid ones) by score band; each band includes "
            "its lower bound and the last includes 100. ")
    if cutoff is not None:
        note += f"Cut-off: the lowest score shortlisted by rank is {cutoff:.2f}"
        note += (f"; {extra} more shortlisted outside the top {top_n}"
                 + ("." if sift.anonymise else " under the guaranteed interview scheme.")
                 if extra else ".")
    else:
        note += "Nobody is shortlisted by rank."
    _merged(x, ws, top + 1, 0, width - 1, note, "wrap")
    head_row = top + 2
    x.height(ws, head_row, 60 if extra else 45)
    x.write(ws, head_row, 1, "Score band", "header")
    for s, (label, _, _) in enumerate(series):
        x.write(ws, head_row, 2 + s, label, "header")
    for b in range(SCORE_BANDS):
        r = head_row + 1 + b
        if "\n" in labels[b]:
            x.height(ws, r, 30)
        x.write(ws, r, 1, labels[b], "band")
        for s in range(len(series)):
            ws.write_number(r, 2 + s, counts[s][b], x["count"])

    # The workbook is written in constant-memory mode, so xlsxwriter cannot read the cells
    # back to cache them in the chart: the data is given to it, so the chart shows the band
    # labels and counts before any program recalculates it.
    chart = x.workbook.add_chart({"type": "column", "subtype": "stacked"})
    name = ws.name
    first, last = head_row + 1, head_row + SCORE_BANDS
    for s, (label, _, colour) in enumerate(series):
        chart.add_series({
            "name": [name, head_row, 2 + s],
            "name_data": [label],
            "categories": [name, first, 1, last, 1],
            "categories_data": labels,
            "values": [name, first, 2 + s, last, 2 + s],
            "values_data": counts[s],
            "fill": {"color": colour},
            "gap": 40,
        })
    title = "Score distribution"
    if cutoff is not None:
        title += f" (cut-off {cutoff:.2f})"
    chart.set_title({"name": title, "name_font": {"size": 11}})
    chart.set_x_axis({"name": "Score band"})
    y_axis: dict[str, Any] = {"name": "Applicants", "min": 0, "num_format": "0",
                              "major_gridlines": {"visible": True}}
    if max((sum(band) for band in zip(*counts, strict=True)), default=0) <= 10:
        y_axis["major_unit"] = 1
    chart.set_y_axis(y_axis)
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 620, "height": 320})
    ws.insert_chart(head_row + SCORE_BANDS + 2, 0, chart, {"x_offset": 4, "y_offset": 4})


def _write_ranking(x: ExcelText, ws: Any, sift: Sift, cols: _Columns) -> None:
    role = sift.role
    extra = [] if sift.anonymise else _extra_fields(role)
    head = ["Rank", *_who_columns(sift), "Score", "Desirable score", "Status",
            "Essential met", "Reason", "Failures", "Flags", "Errors"]
    widths: list[float] = [6, 12, *([] if sift.anonymise else [22]), 8, 9, 12, 9, 22, 36,
                           30, 34]
    printed = len(head)  # the audit columns after these are left off the printout
    if not sift.anonymise:
        head.append("Guaranteed interview")
        widths.append(11)
        for f in extra:
            head.append(f.label)
            widths.append(16)
    head += ["Source file", "Sheet", "Row"]
    widths += [28, 14, 7]
    x.widths(ws, widths)
    _title(x, ws, f"Ranking – {role.title}",
           "Every applicant in output order: ranked applicants by rank, then those who failed "
           "an essential criterion, then invalid applications.", printed)
    x.header(ws, HEADER_ROW, head)
    n = len(cols.ids)
    start = 0
    if n > 1 and xlsx_fast.available(ws, HEADER_ROW + 1):
        start = _ranking_body(x, ws, sift, cols, extra)
    for k in range(start, n):
        row = HEADER_ROW + 1 + k
        who = cols.ids[k]
        j = _applicant_cells(x, ws, row, sift, cols, k)
        x.write(ws, row, j, STATUS_LABELS.get(cols.status[k], cols.status[k]), "wrap")
        if cols.valid[k]:
            x.write(ws, row, j + 1, "Yes" if cols.essential_met[k] else "No", "text")
        x.write(ws, row, j + 2, cols.reason[k], "wrap", who)
        x.write(ws, row, j + 3, cols.failures[k], "wrap", who)
        x.write(ws, row, j + 4, cols.flags[k], "wrap", who)
        x.write(ws, row, j + 5, cols.errors[k], "wrap", who)
        j += 6
        if not sift.anonymise:
            x.write(ws, row, j, cols.fields["guaranteed_interview"][k] if
                    "guaranteed_interview" in cols.fields else "", "text", who)
            j += 1
            for f in extra:
                x.write(ws, row, j, cols.fields[f.name][k], "text", who)
                j += 1
        x.write(ws, row, j, cols.files[k], "text", who)
        x.write(ws, row, j + 1, cols.sheets[k], "text", who)
        ws.write_number(row, j + 2, cols.rows[k], x["int"])
    last = HEADER_ROW + max(n, 1)
    ws.freeze_panes(HEADER_ROW + 1, 3 if not sift.anonymise else 2)
    ws.autofilter(HEADER_ROW, 0, last, len(head) - 1)
    ws.print_area(0, 0, last, printed - 1)
    _print_setup(ws, role, HEADER_ROW)


def _ranking_body(x: ExcelText, ws: Any, sift: Sift, cols: _Columns, extra: list[Any]) -> int:
    """The Ranking's rows but the last, as `_write_ranking` writes them cell by cell, in one
    go; returns how many. (The last is left to xlsxwriter: it writes a sheet's last row when
    the workbook is closed, and so numbers the formats first used there last.)"""
    n = len(cols.ids) - 1
    ids = cols.ids
    b = xlsx_fast.Body(x, ws, HEADER_ROW + 1, n)
    b.numbers(0, cols.rank, x["int"])
    b.texts(1, ids, "text", ids)
    j = 2
    if not sift.anonymise:
        b.texts(2, cols.names, "text", ids)
        j = 3
    b.numbers(j, cols.score, x["score"])
    b.numbers(j + 1, cols.desirable, x["score"])
    j += 2
    b.texts(j, [STATUS_LABELS.get(s, s) for s in cols.status], "wrap")
    b.texts(j + 1, [("Yes" if met else "No") if ok else ""
                    for met, ok in zip(cols.essential_met, cols.valid, strict=True)], "text")
    b.texts(j + 2, cols.reason, "wrap", ids)
    b.texts(j + 3, cols.failures, "wrap", ids)
    b.texts(j + 4, cols.flags, "wrap", ids)
    b.texts(j + 5, cols.errors, "wrap", ids)
    j += 6
    if not sift.anonymise:
        b.texts(j, cols.fields.get("guaranteed_interview", [""] * n), "text", ids)
        j += 1
        for f in extra:
            b.texts(j, cols.fields[f.name], "text", ids)
            j += 1
    b.texts(j, cols.files, "text", ids)
    b.texts(j + 1, cols.sheets, "text", ids)
    b.numbers(j + 2, cols.rows, x["int"])
    b.write()
    return n


def _criterion_caption(c: Criterion) -> str:
    """A criterion in a few short lines, for the narrow column above its points."""
    lines = ["Essential" if c.essential else "Desirable"]
    if c.essential and c.pass_level is not None:
        lines.append(f'pass "{c.pass_level}"')
    lines.append(f"max {format_points(c.scale.max_points)}, weight {format_points(c.weight)}")
    if c.applies_if is not None:
        lines.append(f"only if {c.applies_if.field} is " + " or ".join(c.applies_if.values))
    lines.append(c.text)
    return "\n".join(lines)


def _write_breakdown(x: ExcelText, ws: Any, sift: Sift, cols: _Columns) -> None:
    role, frame, sc = sift.role, sift.apps.frame, sift.scored
    pos = cols.positions
    lead = ["Rank", *_who_columns(sift), "Status", "Score"]
    lead_widths = [6, 14, *([] if sift.anonymise else [22]), 17, 8]
    first_c = len(lead)
    head = lead + [c.id for c in role.criteria]
    x.widths(ws, [*lead_widths, *([9] * len(role.criteria))])
    _title(x, ws, f"Breakdown – {role.title}",
           "Points per criterion (counted level). Red: an essential criterion not met. "
           "n/a: the criterion does not apply to the applicant. unreadable: the rating could "
           "not be read (see Ranking). Shading runs from 0 to the criterion's maximum.",
           len(head))
    caption_row = HEADER_ROW - 1
    x.height(ws, caption_row, 120)
    for j, c in enumerate(role.criteria):
        x.write(ws, caption_row, first_c + j, _criterion_caption(c), "crit_header")
    x.header(ws, HEADER_ROW, head)

    n = len(pos)
    kinds = []  # per criterion, per applicant: 0 points, 1 unmet, 2 n/a, 3 unreadable
    values = []
    for c in role.criteria:
        applies = sc[f"applies:{c.id}"].to_numpy(dtype=bool)[pos]
        unreadable = frame[f"unreadable:{c.id}"].to_numpy(dtype=bool)[pos]
        met = sc[f"met:{c.id}"].to_numpy(dtype=bool)[pos]
        kinds.append(np.where(unreadable, 3, np.where(~applies, 2, np.where(~met, 1, 0))))
        values.append(_points_array(sc[f"points:{c.id}"], pos))
    start = 0
    if n > 1 and xlsx_fast.available(ws, HEADER_ROW + 1):
        start = _breakdown_body(x, ws, sift, cols, kinds, values)
    by_kind = [x["points"], x["unmet"]]
    na, bad = x["na"], x["bad"]
    score_fmt = x["score"]
    status_col = len(lead) - 2
    for k in range(start, n):
        row = HEADER_ROW + 1 + k
        _write_who(x, ws, row, sift, cols, k)
        x.write(ws, row, status_col, STATUS_LABELS.get(cols.status[k], cols.status[k]))
        if cols.score[k] is not None:
            ws.write_number(row, status_col + 1, cols.score[k], score_fmt)
        for j in range(len(kinds)):
            kind = int(kinds[j][k])
            if kind < 2:
                ws.write_number(row, first_c + j, float(values[j][k]), by_kind[kind])
            elif kind == 2:
                ws.write_string(row, first_c + j, "n/a", na)
            else:
                ws.write_string(row, first_c + j, "unreadable", bad)
    last = HEADER_ROW + max(n, 1)
    unmet_cf = x.workbook.add_format(_UNMET_CF)
    for j, c in enumerate(role.criteria):
        col = first_c + j
        if c.essential and c.pass_level is not None:
            need = c.scale.points[c.scale.index_of(c.pass_level)]
            ws.conditional_format(HEADER_ROW + 1, col, last, col, {
                "type": "cell", "criteria": "<", "value": need,
                "format": unmet_cf, "stop_if_true": True})
        ws.conditional_format(HEADER_ROW + 1, col, last, col, {
            "type": "3_color_scale",
            "min_type": "num", "min_value": 0, "min_color": "#FFFFFF",
            "mid_type": "num", "mid_value": c.scale.max_points / 2, "mid_color": "#D9EAD3",
            "max_type": "num", "max_value": c.scale.max_points, "max_color": "#63BE7B"})
    ws.freeze_panes(HEADER_ROW + 1, first_c)
    ws.autofilter(HEADER_ROW, 0, last, len(head) - 1)
    _print_setup(ws, role, HEADER_ROW)


def _breakdown_body(x: ExcelText, ws: Any, sift: Sift, cols: _Columns, kinds: list[np.ndarray],
                    values: list[np.ndarray]) -> int:
    """The Breakdown's rows but the last, as `_write_breakdown` writes them cell by cell, in
    one go; returns how many (see `_ranking_body`)."""
    n = len(cols.ids) - 1
    ids = cols.ids
    status_col = 3 if not sift.anonymise else 2
    b = xlsx_fast.Body(x, ws, HEADER_ROW + 1, n)
    b.numbers(0, cols.rank, x["int"])
    b.texts(1, ids, "text", ids)
    if not sift.anonymise:
        b.texts(2, cols.names, "text", ids)
    b.texts(status_col, [STATUS_LABELS.get(s, s) for s in cols.status], "text")
    b.numbers(status_col + 1, cols.score, x["score"])
    formats = [x["points"], x["unmet"], x["na"], x["bad"]]
    constants = (None, None, "n/a", "unreadable")
    for j, (kind, points) in enumerate(zip(kinds, values, strict=True)):
        b.mixed(status_col + 2 + j, points, kind, formats, constants)
    b.write()
    return n


def _evidence_sheets(sift: Sift, cols: _Columns, include_all: bool) -> tuple[list[int], int]:
    """Applicants (as output positions) whose evidence is written, and how many sheets it
    takes (an Excel sheet holds at most 1,048,576 rows)."""
    picks = list(range(len(cols.ids))) if include_all else [
        k for k, s in enumerate(cols.shortlisted) if s]
    rows = len(picks) * len(sift.role.criteria)
    per_sheet = MAX_ROWS - HEADER_ROW - 1
    return picks, max(1, math.ceil(rows / per_sheet))


@dataclass
class _CriterionEvidence:
    """A criterion's columns on the Evidence sheet, for the applicants whose evidence is
    written (index p: the p-th of them, in output order)."""

    criterion: Criterion
    levels: list[int]
    applies: list[bool]
    unevidenced: list[bool]
    over_limit: list[bool]
    unreadable: list[bool]
    points: list[float]
    words: list[Any]
    evidence: np.ndarray

    def rating(self, p: int) -> str:
        """The Rating cell of applicant p ("" for none), in `rating_style`."""
        if self.unreadable[p]:
            return "unreadable"
        level = int(self.levels[p])
        return self.criterion.scale.levels[level] if level >= 0 else ""

    def rating_style(self, p: int) -> str:
        return "bad" if self.unreadable[p] else "wrap"

    def flags(self, p: int) -> str:
        notes = []
        if self.unevidenced[p]:
            notes.append(f'unevidenced: counted as "{self.criterion.scale.levels[0]}"')
        if self.over_limit[p]:
            notes.append("over the word limit")
        return "; ".join(notes)

    def text(self, p: int) -> str:
        """The Evidence cell of applicant p ("" for none), in `text_style`."""
        text = self.evidence[p]
        if isinstance(text, str) and text:
            return text
        return "(no evidence asked for)" if self.criterion.evidence == "none" else ""

    def text_style(self, p: int) -> str:
        text = self.evidence[p]
        if (isinstance(text, str) and text) or self.criterion.evidence != "none":
            return "wrap"
        return "muted"


def _criterion_evidence(sift: Sift, cols: _Columns, picks: list[int]
                        ) -> list[_CriterionEvidence]:
    frame, sc = sift.apps.frame, sift.scored
    pos = cols.positions[np.asarray(picks, dtype=np.int64)]
    return [_CriterionEvidence(
        c,
        frame[f"level:{c.id}"].to_numpy()[pos].tolist(),
        sc[f"applies:{c.id}"].to_numpy(dtype=bool)[pos].tolist(),
        sc[f"unevidenced:{c.id}"].to_numpy(dtype=bool)[pos].tolist(),
        sc[f"over_limit:{c.id}"].to_numpy(dtype=bool)[pos].tolist(),
        frame[f"unreadable:{c.id}"].to_numpy(dtype=bool)[pos].tolist(),
        points_column(sc[f"points:{c.id}"], pos),
        frame[f"words:{c.id}"].to_numpy()[pos].tolist(),
        frame[f"evidence:{c.id}"].to_numpy(dtype=object)[pos],
    ) for c in sift.role.criteria]


def _write_evidence(x: ExcelText, sheets: list[Any], sift: Sift, cols: _Columns,
                    picks: list[int], include_all: bool) -> None:
    role = sift.role
    head = ["Rank", *_who_columns(sift), "Criterion", "Criterion text", "Rating", "Points",
            "Words", "Word limit", "Flags", "Evidence"]
    widths = [6, 12, *([] if sift.anonymise else [18]), 9, 28, 14, 7, 7, 7, 16, 80]
    who_n = len(_who_columns(sift))
    scope = "every applicant" if include_all else "the shortlisted applicants"
    per_sheet = MAX_ROWS - HEADER_ROW - 1
    for s, ws in enumerate(sheets):
        x.widths(ws, widths)
        _title(x, ws, f"Evidence – {role.title}",
               f"The evidence of {scope}, one row per applicant and criterion, in output order"
               + (f" (part {s + 1} of {len(sheets)})." if len(sheets) > 1 else "."),
               len(head))
        x.header(ws, HEADER_ROW, head)
        ws.freeze_panes(HEADER_ROW + 1, 1 + who_n)
        _print_setup(ws, role, HEADER_ROW)
    per_criterion = _criterion_evidence(sift, cols, picks)
    m = len(per_criterion)
    n_rows = len(picks) * m  # row t: criterion t % m of applicant picks[t // m]
    for s, ws in enumerate(sheets):
        lo, hi = s * per_sheet, min(n_rows, (s + 1) * per_sheet)
        start = lo
        if hi - lo > 1 and xlsx_fast.available(ws, HEADER_ROW + 1):
            start = _evidence_body(x, ws, sift, cols, picks, per_criterion, lo, hi - 1)
        for t in range(start, hi):
            _evidence_row(x, ws, HEADER_ROW + 1 + t - lo, sift, cols, picks, t // m,
                          per_criterion[t % m])
    if not picks:
        x.write(sheets[0], HEADER_ROW + 1, 0, "Nobody is shortlisted.", "muted")
    for s, ws in enumerate(sheets):
        rows_here = min(per_sheet, max(0, n_rows - s * per_sheet))
        ws.autofilter(HEADER_ROW, 0, HEADER_ROW + max(rows_here, 1), len(head) - 1)


def _evidence_row(x: ExcelText, ws: Any, row: int, sift: Sift, cols: _Columns,
                  picks: list[int], p: int, e: _CriterionEvidence) -> None:
    """One row of the Evidence sheet: criterion `e` of applicant `picks[p]`."""
    c, k = e.criterion, picks[p]
    _write_who(x, ws, row, sift, cols, k)
    who = cols.ids[k]
    col = 1 + len(_who_columns(sift))
    ws.write_string(row, col, c.id, x["bold"])
    x.write(ws, row, col + 1, c.text, "small_wrap")
    x.write(ws, row, col + 2, e.rating(p), e.rating_style(p))
    if not e.applies[p]:
        x.write(ws, row, col + 3, "n/a", "na")
    else:
        ws.write_number(row, col + 3, e.points[p], x["points"])
    if c.evidence != "none":
        ws.write_number(row, col + 4, int(e.words[p]), x["int"])
        if c.word_limit is not None:
            ws.write_number(row, col + 5, c.word_limit, x["int"])
    x.write(ws, row, col + 6, e.flags(p), "wrap")
    x.write(ws, row, col + 7, e.text(p), e.text_style(p), who)


def _evidence_body(x: ExcelText, ws: Any, sift: Sift, cols: _Columns, picks: list[int],
                   per_criterion: list[_CriterionEvidence], lo: int, hi: int) -> int:
    """Rows lo … hi - 1 of the Evidence (on one sheet, from its first body row), as
    `_evidence_row` writes them cell by cell, in one go; returns hi (see `_ranking_body`)."""
    m = len(per_criterion)
    ps = [t // m for t in range(lo, hi)]  # row t: applicant picks[t // m], criterion t % m
    es = [per_criterion[t % m] for t in range(lo, hi)]
    ks = [picks[p] for p in ps]
    n = len(ps)
    ids = [cols.ids[k] for k in ks]
    b = xlsx_fast.Body(x, ws, HEADER_ROW + 1, n)
    b.numbers(0, [cols.rank[k] for k in ks], x["int"])
    b.texts(1, ids, "text", ids)
    if not sift.anonymise:
        b.texts(2, [cols.names[k] for k in ks], "text", ids)
    col = 1 + len(_who_columns(sift))
    b.mixed(col, [None] * n, np.arange(lo, hi) % m, [x["bold"]] * m,
            [e.criterion.id for e in per_criterion])
    b.texts(col + 1, [e.criterion.text for e in es], "small_wrap")
    b.texts(col + 2, list(map(_CriterionEvidence.rating, es, ps)),
            list(map(_CriterionEvidence.rating_style, es, ps)))
    applies = np.asarray([e.applies[p] for e, p in zip(es, ps, strict=True)], dtype=bool)
    b.mixed(col + 3, [e.points[p] for e, p in zip(es, ps, strict=True)],
            np.where(applies, 0, 1), [x["points"], x["na"]], [None, "n/a"])
    b.numbers(col + 4, [int(e.words[p]) if e.criterion.evidence != "none" else None
                        for e, p in zip(es, ps, strict=True)], x["int"])
    b.numbers(col + 5, [e.criterion.word_limit if e.criterion.evidence != "none" else None
                        for e in es], x["int"])
    b.texts(col + 6, list(map(_CriterionEvidence.flags, es, ps)), "wrap")
    b.texts(col + 7, list(map(_CriterionEvidence.text, es, ps)),
            list(map(_CriterionEvidence.text_style, es, ps)), ids)
    b.write()
    return hi


def _levels_text(c: Criterion) -> str:
    return " < ".join(f"{lv} ({format_points(p)})"
                      for lv, p in zip(c.scale.levels, c.scale.points, strict=True))


def _write_role(x: ExcelText, ws: Any, sift: Sift) -> None:
    role = sift.role
    widths = [9, 26, 50, 11, 14, 40, 16, 8, 10, 8, 30, 16, 50]
    x.widths(ws, widths)
    _title(x, ws, f"Role – {role.title}")
    facts: list[tuple[str, str | int | float]] = [
        ("Role id", role.id), ("Title", role.title), ("Organisation", role.organisation),
        ("Location", role.location), ("Reports to", role.reports_to),
        ("Role file", _relative(role.path)), ("Role file SHA-256", role.sha256),
        ("Seed document", role.source), ("Shortlist size", role.size),
        ("Minimum score", role.min_score),
        ("Default word limit", "no limit" if role.word_limit is None else role.word_limit),
        ("Tie-break", ", ".join(role.tie_break)), ("Purpose", role.purpose),
    ]
    row = 1
    for label, value in facts:
        row += 1
        x.write(ws, row, 1, label, "bold")
        if isinstance(value, str):
            _merged(x, ws, row, 2, 5, value, "wrap")
        else:
            ws.merge_range(row, 2, row, 5, "", x["number"])
            ws.write_number(row, 2, round(value, 2), x["number"])
    row += 2
    head = ["ID", "Section", "Criterion", "Kind", "Scale", "Levels (points), lowest first",
            "Pass level", "Weight", "Evidence", "Word limit", "Applies if", "Reference",
            "Description"]
    crit_header = row
    x.header(ws, row, head)
    for c in role.criteria:
        row += 1
        x.write(ws, row, 0, c.id, "bold")
        x.write(ws, row, 1, c.section, "wrap")
        x.write(ws, row, 2, c.text, "wrap")
        x.write(ws, row, 3, c.kind, "text")
        x.write(ws, row, 4, c.scale.name, "text")
        x.write(ws, row, 5, _levels_text(c), "wrap")
        x.write(ws, row, 6, c.pass_level or "", "text")
        ws.write_number(row, 7, c.weight, x["points"])
        x.write(ws, row, 8, c.evidence, "text")
        if c.word_limit is not None:
            ws.write_number(row, 9, c.word_limit, x["int"])
        x.write(ws, row, 10, c.applies_if.describe() if c.applies_if else "", "wrap")
        x.write(ws, row, 11, c.reference or "", "wrap")
        x.write(ws, row, 12, c.description or "", "small_wrap")
    ws.autofilter(crit_header, 0, row, len(head) - 1)
    ws.freeze_panes(crit_header + 1, 1)
    row += 2
    x.write(ws, row, 0, "Applicant fields", "subtitle")
    row += 1
    x.header(ws, row, ["Name", "Label", "Allowed values", "Monitoring", "Required"])
    for f in role.fields:
        row += 1
        x.write(ws, row, 0, f.name, "text")
        x.write(ws, row, 1, f.label, "text")
        x.write(ws, row, 2, "; ".join(f.values) if f.values else "", "wrap")
        x.write(ws, row, 3, "Yes (never used in scoring)" if f.monitoring else "No", "text")
        x.write(ws, row, 4, "Yes" if f.required else "No", "text")
    _print_setup(ws, role, crit_header)


def _relative(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


def _write_run(x: ExcelText, ws: Any, sift: Sift, late_notes: Callable[[], list[str]]) -> None:
    role, summary = sift.role, sift.summary()
    x.widths(ws, [34, 66, 14, 14, 14, 14, 14])
    _title(x, ws, "Run record")
    yes_no = {True: "Yes", False: "No"}
    facts: list[tuple[str, Any]] = [
        ("Tool", f"shortlist {__version__}"),
        ("Created (UTC)", sift.created.isoformat(timespec="seconds")),
        ("Role id", role.id), ("Role title", role.title),
        ("Role file", _relative(role.path)), ("Role file SHA-256", role.sha256),
        ("Top (shortlist size)", sift.options.top),
        ("Minimum score", sift.options.min_score),
        ("Anonymised", yes_no[sift.anonymise]),
        ("Unreadable files skipped", yes_no[sift.skip_unreadable]),
        ("Evidence of every applicant included", yes_no[sift.include_evidence]),
        *([("Marks combined by", f"{sift.panel.combine} of the assessors' points"
            + ("; the agreed marks replace them where given"
               if sift.panel.agreed_sheet is not None else ""))]
          if sift.panel is not None else []),
        ("Applicants read", summary["applicants"]), ("Ranked", summary["ranked"]),
        ("Failed an essential criterion", summary["failed_essential"]),
        ("Invalid", summary["invalid"]), ("Shortlisted", summary["shortlisted"]),
        ("Ties at the cut-off kept", yes_no[bool(summary["tied_at_cutoff"])]),
        ("Added under the guaranteed interview scheme",
         summary["guaranteed_interview_added"]),
        ("Summary", sift.summary_line()),
    ]
    row = 1
    for label, value in facts:
        row += 1
        x.write(ws, row, 0, label, "bold")
        if isinstance(value, int | float) and not isinstance(value, bool):
            ws.write_number(row, 1, round(value, 2), x["number"])
        else:
            x.write(ws, row, 1, str(value), "wrap")
    row += 2
    x.write(ws, row, 0, "Inputs", "subtitle")
    row += 1
    x.header(ws, row, ["File", "SHA-256", "Applicants", "Layout", "Sheet", "Read"])
    for i in sift.apps.inputs:
        row += 1
        x.write(ws, row, 0, i.file, "wrap")
        x.write(ws, row, 1, i.sha256, "mono")
        ws.write_number(row, 2, i.applicants, x["int"])
        x.write(ws, row, 3, i.layout or "", "text")
        x.write(ws, row, 4, i.sheet or "", "text")
        x.write(ws, row, 5, "Yes" if i.readable else "No (unreadable)", "text")
    if sift.panel is not None:
        row += 2
        x.write(ws, row, 0, "Marking sheets", "subtitle")
        row += 1
        x.header(ws, row, ["File", "SHA-256", "Applicants", "Assessor", "Sheet", "Role in the "
                           "round", "Lists"])
        sheets = [(s, "assessor's marks") for s in sift.panel.sheets]
        if sift.panel.agreed_sheet is not None:
            sheets.append((sift.panel.agreed_sheet, "agreed marks (override)"))
        for sheet, part in sheets:
            row += 1
            x.write(ws, row, 0, sheet.file, "wrap")
            x.write(ws, row, 1, sheet.sha256, "mono")
            ws.write_number(row, 2, len(sheet.rows), x["int"])
            x.write(ws, row, 3, sheet.name, "text")
            x.write(ws, row, 4, sheet.sheet or "", "text")
            x.write(ws, row, 5, part, "wrap")
            x.write(ws, row, 6, SCOPE_TEXT.get(sheet.scope, sheet.scope), "wrap")
    problems = sift.apps.problems
    row += 2
    x.write(ws, row, 0, f"Problems found in the inputs ({len(problems)})", "subtitle")
    row += 1
    x.header(ws, row, ["Where", "Problem", "Severity", "Type"])
    for p in problems:
        row += 1
        x.write(ws, row, 0, p.location(), "wrap")
        x.write(ws, row, 1, p.message, "wrap")
        x.write(ws, row, 2, p.severity, "text")
        x.write(ws, row, 3, p.type, "text")
    row += 2
    x.write(ws, row, 0, "Notes on this workbook", "subtitle")
    notes = late_notes()
    row += 1
    if not notes:
        x.write(ws, row, 0, "All applicant text is written exactly as read.", "muted")
    for note in notes:
        x.write(ws, row, 0, "Text changed to fit Excel", "text")
        x.write(ws, row, 1, note, "wrap")
        row += 1
    _print_setup(ws, role, None, landscape=False)


# ---------------------------------------------------------------------------------------------


def write_xlsx(sift: Sift, out: BinaryIO, *, include_evidence: bool | None = None,
               notes: list[str] | None = None) -> None:
    """Write the panel's workbook to `out`.

    Sheets: Shortlist (with the score distribution), Ranking, Breakdown, Evidence (the
    shortlisted applicants', or everyone's with `include_evidence`, by default
    `sift.include_evidence`), Impact (when the role has monitoring fields), Role and Run.
    Values changed to fit in a cell (characters Excel
    cannot store, text over its cell limit) are listed on the Run sheet and appended to
    `notes` (by default `sift.notes`), one line each, for the caller to show as warnings.
    """
    if include_evidence is None:
        include_evidence = sift.include_evidence
    if notes is None:
        notes = sift.notes
    n = len(sift.apps.frame)
    if n > MAX_ROWS - HEADER_ROW - 1:
        raise OutputError(f"{n:,} applicants do not fit on one Excel sheet (at most "
                          f"{MAX_ROWS - HEADER_ROW - 1:,}); write csv or json instead")
    cols = _columns(sift)
    picks, evidence_parts = _evidence_sheets(sift, cols, include_evidence)
    wb = _Workbook(out, WORKBOOK_OPTIONS)
    try:
        wb.set_properties({"title": f"Shortlist – {sift.role.id}",
                           "comments": f"Created by shortlist {__version__}"})
        x = ExcelText(wb, STYLES)
        shortlist = wb.add_worksheet("Shortlist")
        ranking = wb.add_worksheet("Ranking")
        breakdown = wb.add_worksheet("Breakdown")
        moderation = wb.add_worksheet("Moderation") if sift.panel is not None else None
        evidence = [wb.add_worksheet("Evidence" if s == 0 else f"Evidence ({s + 1})")
                    for s in range(evidence_parts)]
        impact_ws = wb.add_worksheet("Impact") if monitoring_fields(sift.role) else None
        role_ws = wb.add_worksheet("Role")
        run = wb.add_worksheet("Run")
        _write_shortlist(x, shortlist, sift, cols)
        _write_ranking(x, ranking, sift, cols)
        if sift.panel is None:
            _write_breakdown(x, breakdown, sift, cols)
        else:  # the panel's marks beside the points, and the Moderation sheet
            from .xlsx_panel import write_moderation, write_panel_breakdown

            write_panel_breakdown(x, breakdown, sift, cols)
            write_moderation(x, moderation, sift, cols)
        _write_evidence(x, evidence, sift, cols, picks, include_evidence)
        if impact_ws is not None:  # adverse impact by stage, per monitoring field
            from .impact import write_impact_sheet

            write_impact_sheet(x, impact_ws, sift)
        _write_role(x, role_ws, sift)
        _write_run(x, run, sift, lambda: x.notes)
    finally:
        wb.close()
    if notes is not None:
        notes.extend(x.notes)
