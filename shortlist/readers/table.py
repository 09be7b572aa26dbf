"""The table layout: one applicant per row under a header row (which may sit below titles)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import Column, Problem
from ..role import Role, normalise_header
from .blocks import Block, evidence_key_of, rating_key_of
from .cells import CellError, cell_text, column_letter, is_blank
from .sources import Sheet

HEADER_SEARCH_ROWS = 50
_RATING_WORDS = {"", "rating", "selfrating", "yourrating", "selfassessment", "score", "level"}
_EVIDENCE_WORDS = {"evidence", "yourevidence", "supportingevidence", "evidencetext",
                   "example", "examples"}
_EVIDENCE_ENDINGS = ("evidence", "yourevidence", "supportingevidence")
_SEPARATOR = re.compile(r"^\s*[-–—:.)\]]")
_TRAILING_NOTE = re.compile(r"\s*\([^()]*\)\s*$")


@dataclass
class HeaderMatch:
    """How each column of a header row maps onto the role."""

    row_index: int
    keys: dict[int, str] = field(default_factory=dict)  # column index → key
    unmatched: list[int] = field(default_factory=list)
    clashes: list[tuple[str, list[int]]] = field(default_factory=list)
    #: The header's cells when they are not simply `sheet.rows[row_index]`: merged header
    #: cells filled in, or two header rows combined ("E1" merged above "Rating | Evidence").
    cells: list[Any] | None = None

    @property
    def has_id(self) -> bool:
        return "applicant_id" in self.keys.values()

    @property
    def criteria_found(self) -> int:
        return sum(1 for k in self.keys.values() if k.startswith("rating:"))


class ColumnMatcher:
    """Maps header text onto fields and criteria as the SPEC describes."""

    def __init__(self, role: Role):
        self.role = role
        self.field_headers = role.field_headers
        # a field's own name or label (not an alias)
        self.primary_headers = {normalise_header(n) for f in role.fields for n in (f.name, f.label)}
        by_length = sorted((c.id for c in role.criteria), key=len, reverse=True)
        self.ids = [(cid, normalise_header(cid)) for cid in by_length]
        self.texts = {normalise_header(c.text): c.id for c in role.criteria}

    def match(self, header: str) -> str | None:
        """The key a header names (a field name, `rating:ID` or `evidence:ID`), or None.

        A trailing note in brackets ("E1 evidence (max 250 words)") is ignored if the
        header does not match with it.
        """
        raw = " ".join(header.split())
        key = self._match(raw)
        if key is None and _TRAILING_NOTE.search(raw):
            key = self._match(_TRAILING_NOTE.sub("", raw))
        return key

    def _match(self, raw: str) -> str | None:
        norm = normalise_header(raw)
        if not norm:
            return None
        if norm in self.field_headers:
            return self.field_headers[norm]
        # The id then "rating"/"evidence", however spaced, cased or bracketed: "E1 rating",
        # "E1Evidence", "(E1) rating", "E 1 rating".
        for cid, nid in self.ids:
            if norm.startswith(nid):
                rest = norm[len(nid):]
                if rest in _RATING_WORDS:
                    return rating_key_of(cid)
                if rest in _EVIDENCE_WORDS or any(rest.endswith(w) for w in _EVIDENCE_ENDINGS):
                    return evidence_key_of(cid)
        # "E1 - <any text>": the id, a separator, then anything.
        folded = raw.casefold()
        for cid, _ in self.ids:
            c = cid.casefold()
            if folded.startswith(c) and _SEPARATOR.match(raw[len(c):]):
                return rating_key_of(cid)
        # The criterion's full text, optionally followed by "rating" or "evidence".
        for text_norm, cid in self.texts.items():
            if norm.startswith(text_norm):
                rest = norm[len(text_norm):]
                if rest in _RATING_WORDS:
                    return rating_key_of(cid)
                if rest in _EVIDENCE_WORDS:
                    return evidence_key_of(cid)
        return None

    def match_row(self, row_index: int, cells: list[Any]) -> HeaderMatch:
        found = HeaderMatch(row_index)
        by_key: dict[str, list[int]] = {}
        for j, cell in enumerate(cells):
            if is_blank(cell):
                continue
            key = self.match(cell_text(cell))
            if key is None:
                found.unmatched.append(j)
            else:
                by_key.setdefault(key, []).append(j)
        for key, cols in by_key.items():
            if len(cols) > 1 and not key.startswith(("rating:", "evidence:")):
                # "Applicant ID" beside a form tool's own "ID": a field's name or label
                # beats an alias, so the alias column is simply not used.
                primary = [j for j in cols
                           if normalise_header(cell_text(cells[j])) in self.primary_headers]
                if len(primary) == 1:
                    found.unmatched.extend(j for j in cols if j != primary[0])
                    cols = primary
            if len(cols) > 1:
                found.clashes.append((key, cols))
            found.keys[cols[0]] = key
        return found


def find_header(sheet: Sheet, matcher: ColumnMatcher) -> HeaderMatch | None:
    """The first row, among the first rows of the sheet, that names an id column and a
    criterion; failing that, the best candidate (for error messages).

    Merged header cells are read as people see them: a cell merged down over two header rows
    ("Applicant ID" in A1:A2) counts in both rows, and a cell merged across columns above a
    second header row ("E1" over "Rating | Evidence") is combined with each cell below it
    ("E1 Rating", "E1 Evidence"), the second row then being the header.
    """
    best: HeaderMatch | None = None
    rows, wide = _merged_views(sheet) if sheet.merges else (sheet.rows, {})
    for i, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        m = matcher.match_row(i, cells)
        if i in wide and i + 1 < len(rows):
            combined = _combine(rows[i], rows[i + 1], wide[i], matcher)
            two = matcher.match_row(i + 1, combined)
            # Better than either row alone (the lower row is tried next if it is not).
            alone = [x for x in (m, matcher.match_row(i + 1, rows[i + 1]))
                     if x.has_id and x.criteria_found]
            if two.has_id and two.criteria_found and all(
                    len(two.keys) > len(x.keys) for x in alone):
                two.cells = combined
                return two
        if cells is not sheet.rows[i]:
            m.cells = cells
        if m.has_id and m.criteria_found:
            return m
        if m.criteria_found and (best is None or m.criteria_found > best.criteria_found):
            best = m
    return best


_MERGE_BUDGET = 200_000  # cells written while filling merged header ranges, at most


def _merged_views(sheet: Sheet) -> tuple[list[list[Any]], dict[int, dict[int, Any]]]:
    """The first rows with each merged range's value copied down its first column (so a
    header merged over two rows counts in both), and, per row, the cells covered by a range
    merged across columns that starts in that row: {column: the range's value}."""
    limit = HEADER_SEARCH_ROWS + 1
    rows = [list(r) for r in sheet.rows[:limit]]
    wide: dict[int, dict[int, Any]] = {}
    budget = _MERGE_BUDGET
    for i0, j0, i1, j1 in sheet.merges:
        if not (0 <= i0 < len(rows) and 0 <= j0 < len(rows[i0])) or budget <= 0:
            continue
        value = rows[i0][j0]
        if is_blank(value):
            continue
        for i in range(i0 + 1, min(i1, len(rows) - 1) + 1):
            if j0 < len(rows[i]) and is_blank(rows[i][j0]):
                rows[i][j0] = value
            budget -= 1
        if j1 > j0:
            covered = wide.setdefault(i0, {})
            for j in range(j0, min(j1, len(rows[i0]) - 1) + 1):
                covered[j] = value
                budget -= 1
    return rows, wide


def _combine(top: list[Any], bottom: list[Any], wide: dict[int, Any],
             matcher: ColumnMatcher) -> list[Any]:
    """Two header rows as one. Under a cell merged across columns: "<upper> <lower>" (E1 /
    Rating → "E1 Rating"), or the lower cell alone if only it names something (Ratings /
    E1 → "E1"); else the lower cell, or the upper one where the lower is blank."""
    out: list[Any] = []
    for j in range(max(len(top), len(bottom))):
        up = top[j] if j < len(top) else None
        low = bottom[j] if j < len(bottom) else None
        if j in wide:
            over = wide[j]
            if is_blank(low):  # the merged cell alone: it names its first column only
                out.append(over if j == 0 or wide.get(j - 1) is not over else "")
                continue
            lower = cell_text(low).strip()
            both = f"{cell_text(over).strip()} {lower}"
            if matcher.match(both) is None and matcher.match(lower) is not None:
                out.append(low)
            else:
                out.append(both)
        else:
            out.append(up if is_blank(low) else low)
    return out


def describe_key(key: str) -> str:
    if key.startswith("rating:"):
        return f"{key[7:]} rating"
    if key.startswith("evidence:"):
        return f"{key[9:]} evidence"
    return key


def read_table(sheet: Sheet, header: HeaderMatch, role: Role, display: str) -> Block:
    """Extract the applicants under `header`; report missing, clashing and unmatched columns."""
    block = Block(display, sheet.name, "table")
    block.cell_errors = sheet.has_errors
    header_cells = header.cells if header.cells is not None else sheet.rows[header.row_index]
    header_row = sheet.row_number(header.row_index)

    def col(j: int) -> Column:
        """Column j: its header as written and (not in a CSV, which has none) its letter."""
        header = cell_text(header_cells[j]).strip() if j < len(header_cells) else ""
        letter = None if sheet.lines is not None else column_letter(sheet.first_col + j)
        return Column(header or None, letter)

    def header_problem(type_: str, message: str, column: Column | None = None,
                       severity: str = "error") -> Problem:
        return Problem(type_, message, display, sheet.name, header_row, None,
                       "warning" if severity == "warning" else "error").at(column)

    for key, cols in header.clashes:
        block.block_errors.append(header_problem(
            "ambiguous-column",
            f"columns {', '.join(col(j).label for j in cols)} all match {describe_key(key)}; "
            "expected exactly one", col(cols[0])))
    for j in header.unmatched:
        block.warnings.append(header_problem(
            "unmatched-column", "matches no field or criterion of the role; not used",
            col(j), "warning"))

    present = set(header.keys.values())
    for f in role.fields:
        if f.name in present:
            continue
        if f.required or f.name in role.condition_fields:
            block.block_errors.append(header_problem(
                "missing-column", f"no column for {f.label!r} ({f.name}); expected a header "
                f"such as {', '.join(repr(h) for h in _examples(f))}"))
        elif f.name in ("name", "guaranteed_interview"):
            block.warnings.append(header_problem(
                "missing-column", f"no column for {f.label!r}; "
                + ("names will be blank" if f.name == "name"
                   else "nobody is treated as claiming a guaranteed interview"),
                severity="warning"))
    no_rating = [c.id for c in role.criteria if rating_key_of(c.id) not in present]
    no_evidence = [c.id for c in role.criteria
                   if c.evidence == "required" and evidence_key_of(c.id) not in present]
    if no_rating:
        first = no_rating[0]
        block.block_errors.append(header_problem(
            "missing-column", f"no rating column for {_id_list(no_rating)}; expected a header "
            f"per criterion such as '{first}', '{first} rating' or '{first} - <text>' "
            f"(role {role.id} has {', '.join(c.id for c in role.criteria)})"))
    if no_evidence:
        block.block_errors.append(header_problem(
            "missing-column", f"no evidence column for {_id_list(no_evidence)}, whose evidence "
            f"is required; expected a header such as '{no_evidence[0]} evidence'"))

    columns = sorted(header.keys.items())
    for j, key in columns:
        block.columns[key] = col(j)
    width = len(header_cells)
    last_used = max((j for j in range(width) if not is_blank(header_cells[j])), default=-1)
    kept: list[int] = []
    for i in range(header.row_index + 1, len(sheet.rows)):
        cells = sheet.rows[i]
        if all(is_blank(c) for c in cells):
            continue
        k = len(kept)
        kept.append(i)
        block.rows.append(sheet.row_number(i))
        if sheet.lines is not None and len(cells) != width:
            extra = [c for c in cells[width:] if not is_blank(c)]
            if len(cells) < width or extra:
                block.add_row_error(k, Problem(
                    "ragged-row", f"has {len(cells)} fields, but the header has {width}; "
                    "expected one field per column (a missing or extra separator?)",
                    display, None, sheet.row_number(i)))
        elif len(cells) > last_used + 1 and (extra_cells := [
                j for j in range(last_used + 1, len(cells)) if not is_blank(cells[j])]):
            block.warnings.append(Problem(
                "cell-outside-table", "holds a value in a column with no header; not used",
                display, sheet.name, sheet.row_number(i), severity="warning").at(
                    Column(None, column_letter(sheet.first_col + extra_cells[0]))))
    data = [sheet.rows[i] for i in kept]
    if data and min(map(len, data)) >= width:
        # Rows as long as the header (a workbook's rows all are): transpose in one C-level
        # pass rather than a Python loop per column.
        by_column = list(zip(*data, strict=False))
        for j, key in columns:
            block.values[key] = list(by_column[j])
    else:
        for j, key in columns:
            block.values[key] = [r[j] if j < len(r) else None for r in data]
    if sheet.has_formulas and kept:
        def what(key: str) -> str:
            return describe_key(key) if key.startswith(("rating:", "evidence:")) \
                else role.field(key).label

        block.warnings.extend(_formula_warnings(sheet, kept, columns, col, what,
                                                display))
    return block


def _formula_warnings(sheet: Sheet, kept: list[int], columns: list[tuple[int, str]],
                      col: Callable[[int], Column], what: Callable[[str], str],
                      display: str) -> list[Problem]:
    """One `formula-cell` warning per column read that holds formulas in applicants' rows."""
    assert sheet.formula_rows is not None and sheet.formula_cols is not None
    in_rows = np.isin(sheet.formula_rows, np.asarray(kept, dtype=np.int64))
    rows, cols = sheet.formula_rows[in_rows], sheet.formula_cols[in_rows]
    out = []
    for j, key in columns:
        at = [i for i in np.unique(rows[cols == j]).tolist()
              if not isinstance(_cell(sheet, i, j), CellError)]  # reported as errors instead
        if at:
            out.append(formula_problem(
                what(key), [_cell(sheet, i, j) for i in at], display, sheet.name,
                [sheet.row_number(i) for i in at], col(j)))
    return out


def _cell(sheet: Sheet, i: int, j: int) -> Any:
    row = sheet.rows[i]
    return row[j] if j < len(row) else None


def formula_problem(what: str, values: list[Any], display: str, sheet: str | None,
                    rows: list[int], column: Column) -> Problem:
    """The warning for the formula cells of one column: located at the first, counted."""
    n = len(values)
    if n == 1:
        message = (f"{what} holds a formula; the value it last calculated, as saved in the "
                   "file, is used")
    else:
        message = (f"{what}: {n} cells (rows {rows[0]}–{rows[-1]}) hold formulas; the values "
                   "they last calculated, as saved in the file, are used")
    blank = sum(1 for v in values if is_blank(v))
    if blank:
        which = "it shows" if n == 1 else f"{blank} of them show"
        message += (f"; {which} no value and read{'s' if n == 1 else ''} as blank (if a value "
                    "is expected, open the file in Excel or LibreOffice and save it again so "
                    "that the formulas are calculated)")
    return Problem("formula-cell", message, display, sheet, rows[0],
                   severity="warning").at(column)


def _examples(f: Any) -> list[str]:
    return [f.label, *list(f.aliases)[:2]] if f.name != "applicant_id" else [
        "Applicant ID", "ID", "Candidate number"]


def _id_list(ids: list[str]) -> str:
    return ("criterion " if len(ids) == 1 else "criteria ") + ", ".join(ids)
