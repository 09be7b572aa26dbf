"""The form layout: one applicant per workbook, as written by `shortlist template --layout form`.

Labelled applicant fields (label in one cell, value in the next cell to the right) sit above the
criteria table, or on another sheet such as "Equality monitoring"; the criteria table has the
header `Criterion ID | Section | Criterion | Your rating | Your evidence`, one row per criterion.
"""

from __future__ import annotations

from typing import Any

from ..errors import Column, Problem
from ..role import Role, normalise_header
from .blocks import Block, evidence_key_of, rating_key_of
from .cells import CellError, cell_text, column_letter, is_blank, shorten
from .sources import Sheet
from .table import formula_problem

FORM_HEADERS = ("Criterion ID", "Section", "Criterion", "Your rating", "Your evidence")
_ID, _RATING, _EVIDENCE = "criterionid", "yourrating", "yourevidence"
FORM_SEARCH_ROWS = 200


def find_form_header(sheet: Sheet) -> tuple[int, dict[str, int]] | None:
    """(row index, column index of each form column) of the criteria table header, if any."""
    for i, cells in enumerate(sheet.rows[:FORM_SEARCH_ROWS]):
        cols = {normalise_header(cell_text(c)): j for j, c in enumerate(cells) if not is_blank(c)}
        if _ID in cols and _RATING in cols:
            return i, cols
    return None


def read_form(sheets: list[Sheet], form_sheet: Sheet, header: tuple[int, dict[str, int]],
              role: Role, display: str) -> Block:
    block = Block(display, form_sheet.name, "form")
    block.cell_errors = any(s.has_errors for s in sheets)
    header_index, cols = header
    # Cells read, by sheet, for formula warnings: (i, j, what).
    read_at: dict[int, list[tuple[int, int, str]]] = {}

    def note(sheet: Sheet, i: int, j: int, what: str) -> None:
        if sheet.has_formulas:
            read_at.setdefault(id(sheet), []).append((i, j, what))
    id_col, rating_col = cols[_ID], cols[_RATING]
    evidence_col = cols.get(_EVIDENCE)

    def letter(sheet: Sheet, j: int) -> Column:
        return Column(None, column_letter(sheet.first_col + j))

    def headed(j: int) -> Column:
        """A column of the criteria table, with its header as written."""
        cells = form_sheet.rows[header_index]
        text = cell_text(cells[j]).strip() if j < len(cells) else ""
        return Column(text or None, column_letter(form_sheet.first_col + j))

    rating_column = headed(rating_col)
    evidence_column = headed(evidence_col) if evidence_col is not None else None
    table_formulas = form_sheet.has_formulas
    known = role.criteria_by_id
    values: dict[str, Any] = {}
    table_rows: set[int] = {header_index}
    for i in range(header_index + 1, len(form_sheet.rows)):
        cells = form_sheet.rows[i]
        raw_id = cell_text(cells[id_col]).strip() if id_col < len(cells) else ""
        if not raw_id:
            if all(is_blank(c) for c in cells):
                break  # the criteria table ends at the first blank row
            continue
        table_rows.add(i)
        row_no = form_sheet.row_number(i)
        criterion = known.get(raw_id.casefold())
        if criterion is None:
            block.block_errors.append(Problem(
                "unknown-criterion", f"criterion id {raw_id!r} is not in role {role.id}; "
                f"expected one of {', '.join(c.id for c in role.criteria)}",
                display, form_sheet.name, row_no).at(letter(form_sheet, id_col)))
            continue
        rkey = rating_key_of(criterion.id)
        if rkey in values:
            block.block_errors.append(Problem(
                "duplicate-criterion", f"criterion {criterion.id} appears again (first at "
                f"row {block.key_rows[rkey]}); expected one row per criterion",
                display, form_sheet.name, row_no).at(letter(form_sheet, id_col)))
            continue
        values[rkey] = cells[rating_col] if rating_col < len(cells) else None
        block.key_rows[rkey] = row_no
        block.columns[rkey] = rating_column
        if table_formulas:
            note(form_sheet, i, rating_col, '"Your rating"')
        if evidence_col is not None and evidence_column is not None:
            ekey = evidence_key_of(criterion.id)
            values[ekey] = cells[evidence_col] if evidence_col < len(cells) else None
            block.key_rows[ekey] = row_no
            block.columns[ekey] = evidence_column
            if table_formulas:
                note(form_sheet, i, evidence_col, '"Your evidence"')

    header_row = form_sheet.row_number(header_index)
    for c in role.criteria:
        if rating_key_of(c.id) not in values:
            block.block_errors.append(Problem(
                "missing-criterion", f"the criteria table has no row for {c.id} "
                f"({shorten(c.text)}); expected one row per criterion of role {role.id}",
                display, form_sheet.name, header_row))
    if evidence_col is None and any(c.evidence == "required" for c in role.criteria):
        block.block_errors.append(Problem(
            "missing-column", "the criteria table has no 'Your evidence' column; expected "
            "the header " + " | ".join(FORM_HEADERS), display, form_sheet.name, header_row))

    labels = role.field_headers
    needed = role.condition_fields
    first_at: dict[str, tuple[str | None, int]] = {}
    for sheet in sheets:
        if not sheet.visible and sheet is not form_sheet:
            continue
        # A label merged across cells ("Applicant ID" in A3:B3) has its value after the range.
        label_end = {(i0, j0): j1 for i0, j0, _i1, j1 in sheet.merges if j1 > j0}
        for i, cells in enumerate(sheet.rows):
            if sheet is form_sheet and i in table_rows:
                continue
            for j, cell in enumerate(cells):
                if is_blank(cell):
                    continue
                name = labels.get(normalise_header(cell_text(cell)))
                if name is None:
                    break  # only the first filled cell of a row can be a label
                at = label_end.get((i, j), j) + 1
                value = cells[at] if at < len(cells) else None
                row_no = sheet.row_number(i)
                if name in first_at and not is_blank(value):
                    prev_sheet, prev_row = first_at[name]
                    block.block_errors.append(Problem(
                        "duplicate-field", f"{role.field(name).label!r} is filled in twice "
                        f"(also sheet {prev_sheet!r} row {prev_row}); expected it once",
                        display, sheet.name, row_no).at(letter(sheet, at)))
                    break
                if name not in first_at or is_blank(values.get(name)):
                    values[name] = value
                    first_at[name] = (sheet.name, row_no)
                    block.key_rows[name] = row_no
                    block.columns[name] = letter(sheet, at)
                    note(sheet, i, at, repr(role.field(name).label))
                break
    for f in role.fields:
        if f.name not in values and (f.required or f.name in needed):
            block.block_errors.append(Problem(
                "missing-field", f"no {f.label!r} entry; expected a row with {f.label!r} "
                "in one cell and the value in the cell to its right",
                display, form_sheet.name, None))

    block.rows.append(block.key_rows.get("applicant_id", header_row))
    for key, value in values.items():
        block.values[key] = [value]
    for sheet in sheets:
        if id(sheet) in read_at:
            block.warnings.extend(_formula_warnings(sheet, read_at[id(sheet)], display))
    return block


def _formula_warnings(sheet: Sheet, read: list[tuple[int, int, str]],
                      display: str) -> list[Problem]:
    """One `formula-cell` warning per column of `sheet` whose cells read hold formulas."""
    mask = sheet.formula_mask([(i, j) for i, j, _ in read])
    by_column: dict[int, list[tuple[int, str]]] = {}
    for (i, j, what), formula in zip(read, mask, strict=True):
        if formula and not isinstance(sheet.rows[i][j] if j < len(sheet.rows[i]) else None,
                                      CellError):  # error cells are reported as errors
            by_column.setdefault(j, []).append((i, what))
    out = []
    for j, cells in sorted(by_column.items()):
        cells.sort()
        names = list(dict.fromkeys(what for _, what in cells))
        what = ", ".join(names[:3]) + (" and more" if len(names) > 3 else "")
        out.append(formula_problem(
            what, [sheet.rows[i][j] if j < len(sheet.rows[i]) else None for i, _ in cells],
            display, sheet.name, [sheet.row_number(i) for i, _ in cells],
            Column(None, column_letter(sheet.first_col + j))))
    return out

