"""Blank workbooks for applicants: `shortlist template ROLE -o PATH [--layout form|table]`.

`form` (one applicant per workbook) is laid out exactly as `readers/form.py` reads it: label and
value rows in columns A and B above the criteria table
`Criterion ID | Section | Criterion | Your rating | Your evidence | Word limit | Words`.
Equality-monitoring fields go on their own sheet, so the application itself never shows them.
`table` (one applicant per row) has a header row `readers/table.py` matches: the fields by
label, then `<ID> rating` and `<ID> evidence` per criterion, then, set apart at the far right
under their own band and shading, the optional equality-monitoring fields.

The form's `Words` cells count words as `shortlist` does (`str.split()`): runs of spaces, tabs,
line breaks and non-breaking spaces separate words. The table layout has no word-count
columns (any column the reader does not know is named by `check` as unmatched); its
evidence cells turn red over the word limit instead.

Ratings and fields with fixed values get drop-down lists; lists that cannot be written inline
(over Excel's 255 characters, or with a comma in a value) are kept on a hidden "Lists" sheet.
Sheets are protected without a password so labels, criterion text and formulas are not changed
by accident; the cells to fill in are unlocked and shaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, BinaryIO

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from .exporters.xlsx import ExcelText
from .role import YES_NO, Criterion, Field, Role

LAYOUTS = ("form", "table")
TABLE_ROWS = 500  # rows of the table layout given drop-downs and formats
FORM_SHEET = "Application"
MONITORING_SHEET = "Equality monitoring"
LISTS_SHEET = "Lists"
FORM_HEADER = ("Criterion ID", "Section", "Criterion", "Your rating", "Your evidence",
               "Word limit", "Words")
_BUILTIN = ("applicant_id", "name", "guaranteed_interview")
_INLINE_LIST_MAX = 255  # characters Excel allows in an inline list

_INPUT = {"bg_color": "#FFF2CC", "border": 1, "border_color": "#BFBFBF", "locked": False,
          "valign": "top"}
STYLES: dict[str, dict[str, Any]] = {
    "text": {"valign": "top"},
    "wrap": {"valign": "top", "text_wrap": True},
    "small_wrap": {"valign": "top", "text_wrap": True, "font_size": 9},
    "title": {"bold": True, "font_size": 14},
    "label": {"bold": True, "valign": "top", "text_wrap": True},
    "header": {"bold": True, "text_wrap": True, "valign": "top", "font_color": "#FFFFFF",
               "bg_color": "#1F4E78", "border": 1, "border_color": "#BFBFBF"},
    "id": {"bold": True, "valign": "top"},
    "input": _INPUT,
    "input_wrap": {**_INPUT, "text_wrap": True},
    "no_input": {"valign": "top", "bg_color": "#F2F2F2", "italic": True,
                 "font_color": "#7F7F7F", "text_wrap": True},
    "count": {"valign": "top", "align": "center", "num_format": "0"},
    "muted": {"valign": "top", "italic": True, "font_color": "#7F7F7F", "text_wrap": True},
    "note": {"valign": "top", "italic": True, "font_color": "#7F7F7F"},
}
_OVER_LIMIT = {"bg_color": "#FFC7CE", "font_color": "#9C0006", "bold": True}
# The table layout's equality-monitoring columns: a shading of their own, apart from the
# application's yellow input cells.
_MONITORING_FILL = "#E4DFEC"
STYLES.update({
    "monitoring_band": {"bold": True, "valign": "vcenter", "align": "center",
                        "text_wrap": True, "font_color": "#3F3151", "bg_color": "#CCC0DA",
                        "border": 1, "border_color": "#BFBFBF"},
    "monitoring_header": {**STYLES["header"], "bg_color": "#5F497A"},
    "monitoring_input": {**_INPUT, "bg_color": _MONITORING_FILL},
    "gap": {"bg_color": "#F2F2F2"},
})
MONITORING_BAND = "Equality monitoring – optional, never used in scoring"


def write_template(role: Role, out: BinaryIO, layout: str = "form", *,
                   rows: int = TABLE_ROWS) -> None:
    """Write a blank workbook for applicants to `out`: `layout` "form" (one applicant) or
    "table" (one applicant per row, `rows` of them given drop-downs)."""
    if layout not in LAYOUTS:
        raise ValueError(f"layout {layout!r} is not one of {', '.join(LAYOUTS)}")
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False, "strings_to_numbers": False})
    try:
        wb.set_properties({"title": f"{'Application form' if layout == 'form' else 'Applications'}"
                                    f" – {role.id}", "comments": "Written by shortlist"})
        x = ExcelText(wb, STYLES)
        lists = _Lists(wb)
        if layout == "form":
            _write_form(x, lists, role)
        else:
            _write_table(x, lists, role, rows)
        lists.finish()
    finally:
        wb.close()


class _Lists:
    """Drop-down sources: inline when Excel allows, else a column of the hidden Lists sheet
    (created only when needed, and kept last)."""

    def __init__(self, workbook: Any):
        self.workbook = workbook
        self.sheet: Any = None
        self.columns: dict[tuple[str, ...], str] = {}
        self._pending: list[tuple[int, tuple[str, ...]]] = []

    def source(self, values: Sequence[str]) -> str | list[str]:
        values = tuple(values)
        if (sum(len(v) for v in values) + len(values) - 1 <= _INLINE_LIST_MAX
                and not any("," in v or '"' in v for v in values)):
            return list(values)
        if values not in self.columns:
            col = len(self.columns)
            letter = xl_col_to_name(col)
            self.columns[values] = f"={LISTS_SHEET}!${letter}$1:${letter}${len(values)}"
            self._pending.append((col, values))
        return self.columns[values]

    def finish(self) -> None:
        if not self._pending:
            return
        ws = self.workbook.add_worksheet(LISTS_SHEET)
        for col, values in self._pending:
            for row, value in enumerate(values):
                # Role text, but written as text all the same.
                ws.write_string(row, col, value)
        ws.hide()
        ws.protect("")


def _validate(ws: Any, lists: _Lists, first_row: int, col: int, last_row: int,
              values: Sequence[str], title: str) -> None:
    source = lists.source(values)
    shown = ", ".join(values)
    ws.data_validation(first_row, col, last_row, col, {
        "validate": "list",
        "source": source,
        "input_title": title[:32],
        "input_message": _cut(f"Choose from the list: {shown}", 255),
        "error_title": "Not on the list",
        "error_message": _cut(f"Choose one of: {shown}", 255),
        "error_type": "stop",
    })


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _field_values(f: Field) -> Sequence[str] | None:
    if f.name == "guaranteed_interview":
        return YES_NO.levels[::-1]  # Yes, No
    return f.values


def _extra_fields(role: Role) -> list[Field]:
    return [f for f in role.fields if not f.monitoring and f.name not in _BUILTIN]


def _label_fields(role: Role) -> list[Field]:
    """The fields asked at the top of a form, in order: id, name, guaranteed interview, then
    the role's own (non-monitoring) fields."""
    builtin = [role.field(name) for name in _BUILTIN if any(f.name == name for f in role.fields)]
    return builtin + _extra_fields(role)


def _monitoring(role: Role) -> list[Field]:
    return [f for f in role.fields if f.monitoring]


def _limit_text(c: Criterion) -> str:
    if c.evidence == "none":
        return "no evidence"
    return "no limit" if c.word_limit is None else str(c.word_limit)


def _requirement(c: Criterion, role: Role) -> str:
    parts = []
    if c.essential:
        parts.append(f"Essential – you need at least “{c.pass_level}”"
                     if c.pass_level else "Essential")
    else:
        parts.append("Desirable")
    if c.evidence == "required":
        parts.append("evidence required")
    elif c.evidence == "none":
        parts.append("no evidence needed")
    if c.applies_if is not None:
        try:
            label = role.field(c.applies_if.field).label
        except KeyError:
            label = c.applies_if.field
        parts.append(f"applies only if {label} is " + " or ".join(c.applies_if.values))
    return "[" + "; ".join(parts) + "]"


def _criterion_text(c: Criterion, role: Role) -> str:
    text = c.text
    if c.description:
        text += "\n" + c.description
    return f"{text}\n{_requirement(c, role)}"


#: The characters the word count treats as spaces, besides the space itself: CR, LF, tab and
#: the non-breaking space (UNICHAR, not CHAR, which LibreOffice reads in a legacy code page).
_WORD_SEPARATORS = ("CHAR(13)", "CHAR(10)", "CHAR(9)", "_xlfn.UNICHAR(160)")


def _word_count(cell: str) -> str:
    """Excel formula: the words in `cell`, as `len(text.split())` counts them in ordinary text
    (words separated by runs of spaces, line breaks, tabs or non-breaking spaces)."""
    t = cell
    for char in _WORD_SEPARATORS:
        t = f'SUBSTITUTE({t},{char}," ")'
    t = f"TRIM({t})"  # leading and trailing spaces gone, runs of spaces made one
    return f'IF(LEN({t})=0,0,LEN({t})-LEN(SUBSTITUTE({t}," ",""))+1)'


def _protect(ws: Any) -> None:
    # No password: the protection guards against accidents, not against the applicant.
    ws.protect("", {"format_columns": True, "format_rows": True,
                    "select_locked_cells": True, "select_unlocked_cells": True})


def _print_setup(ws: Any, role: Role, repeat_row: int | None, landscape: bool = True,
                 fit: bool = True) -> None:
    if landscape:
        ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    if fit:
        ws.fit_to_pages(1, 0)
    if repeat_row is not None:
        ws.repeat_rows(repeat_row)
    ws.set_footer(f"&L{role.id.replace('&', '&&')} – &A&RPage &P of &N")


def _instructions(role: Role, layout: str) -> str:
    limits = sorted({c.word_limit for c in role.criteria
                     if c.word_limit is not None and c.evidence != "none"})
    limit_text = (f"Each criterion's word limit is shown ({', '.join(map(str, limits))} "
                  "words); evidence over it is flagged to the panel."
                  if limits else "There is no word limit.")
    where = ("'Your rating'" if layout == "form" else "each '<ID> rating' column")
    evidence = ("'Your evidence'" if layout == "form" else "the matching '<ID> evidence' column")
    text = (f"Fill in the shaded cells. For each criterion choose your rating from the "
            f"drop-down list in {where} (levels run from lowest to highest) and give your "
            f"evidence in {evidence}: a specific example of what you did and what resulted. "
            f"{limit_text} ")
    if layout == "form":
        text += "'Words' counts your words and turns red over the limit. "
    else:
        text += ("An evidence cell turns red when it is over its word limit. Each "
                 "criterion's full text, rating levels and word limit are on the Criteria "
                 "sheet and in the header cell's comment. ")
    if any(c.evidence == "required" for c in role.criteria):
        text += ("Where evidence is required, a rating above the lowest level with no "
                 "evidence counts as the lowest level. ")
    text += ("Essential criteria must all be met to be shortlisted. The labels and criterion "
             "text are locked (the sheet is protected, without a password) so they are not "
             "changed by accident.")
    if _monitoring(role):
        text += (f" The '{MONITORING_SHEET}' questions are optional and never used in "
                 "scoring." if layout == "form" else
                 " The equality-monitoring columns at the far right (shaded purple) are "
                 "optional and never used in scoring.")
    return text


# ---------------------------------------------------------------------------------------------
# Form layout


def _write_form(x: ExcelText, lists: _Lists, role: Role) -> None:
    wb = x.workbook
    ws = wb.add_worksheet(FORM_SHEET)
    widths = [20, 22, 46, 20, 70, 9, 8]
    x.widths(ws, widths)
    x.height(ws, 0, 24)
    x.write(ws, 0, 0, f"Application – {role.title}", "title")
    ws.merge_range(1, 0, 1, len(FORM_HEADER) - 1, "", x["wrap"])
    x.write(ws, 1, 0, _instructions(role, "form"), "wrap", width=sum(widths))

    row = 2
    for f in _label_fields(role):
        row += 1
        x.write(ws, row, 0, f.label, "label")
        ws.merge_range(row, 1, row, 2, "", x["input"])
        values = _field_values(f)
        if values:
            _validate(ws, lists, row, 1, row, values, f.label)
        if len(f.label) > widths[0]:
            x.height(ws, row, 30)
    row += 2
    header_row = row
    x.header(ws, header_row, FORM_HEADER)
    over = wb.add_format(_OVER_LIMIT)
    for c in role.criteria:
        row += 1
        x.height(ws, row, 120 if c.evidence != "none" else 45)
        x.write(ws, row, 0, c.id, "id")
        x.write(ws, row, 1, c.section, "wrap")
        x.write(ws, row, 2, _criterion_text(c, role), "wrap")
        ws.write_blank(row, 3, None, x["input"])
        _validate(ws, lists, row, 3, row, c.scale.levels, f"{c.id} rating")
        if c.evidence == "none":
            ws.write_blank(row, 4, None, x["no_input"])
            x.write(ws, row, 5, _limit_text(c), "muted")
            continue
        ws.write_blank(row, 4, None, x["input_wrap"])
        evidence_cell = xl_rowcol_to_cell(row, 4)
        if c.word_limit is not None:
            ws.write_number(row, 5, c.word_limit, x["count"])
        else:
            x.write(ws, row, 5, _limit_text(c), "muted")
        ws.write_formula(row, 6, "=" + _word_count(evidence_cell), x["count"], 0)
        if c.word_limit is not None:
            ws.conditional_format(row, 6, row, 6, {
                "type": "cell", "criteria": ">", "value": c.word_limit, "format": over})
    _protect(ws)
    _print_setup(ws, role, header_row)
    ws.activate()

    monitoring = _monitoring(role)
    if monitoring:
        _write_monitoring(x, lists, role, monitoring)


def _write_monitoring(x: ExcelText, lists: _Lists, role: Role, fields: list[Field]) -> None:
    ws = x.workbook.add_worksheet(MONITORING_SHEET)
    widths = [26, 40, 40]
    x.widths(ws, widths)
    x.height(ws, 0, 24)
    x.write(ws, 0, 0, "Equality monitoring (optional)", "title")
    ws.merge_range(1, 0, 1, 2, "", x["wrap"])
    x.write(ws, 1, 0, "Answering these questions is optional. Your answers are used only to "
            "monitor equality of opportunity: they are never shown to the sift panel with "
            "your scores and never used in scoring.", "wrap", width=sum(widths))
    row = 2
    for f in fields:
        row += 1
        x.write(ws, row, 0, f.label, "label")
        ws.write_blank(row, 1, None, x["input"])
        if f.values:
            _validate(ws, lists, row, 1, row, f.values, f.label)
    _protect(ws)
    _print_setup(ws, role, None, landscape=False)


# ---------------------------------------------------------------------------------------------
# Table layout


def _write_table(x: ExcelText, lists: _Lists, role: Role, rows: int) -> None:
    wb = x.workbook
    ws = wb.add_worksheet("Applications")
    columns: list[tuple[str, float, str, Any]] = []  # header, width, kind, subject
    for f in _label_fields(role):
        columns.append((f.label, 14 if f.name == "applicant_id" else 22 if f.name == "name"
                        else 14, "field", f))
    for c in role.criteria:
        columns.append((f"{c.id} rating", 14, "rating", c))
        if c.evidence != "none":
            columns.append((f"{c.id} evidence", 40, "evidence", c))
    monitoring = _monitoring(role)
    if monitoring:
        # Set apart at the far right: a narrow blank column, then the monitoring fields.
        columns.append(("", 2, "gap", None))
        for f in monitoring:
            columns.append((f.label, 18, "monitoring", f))

    header_row = 3
    first, last = header_row + 1, header_row + rows
    widths = [w for _, w, _, _ in columns]
    column_styles = {"evidence": "input_wrap", "monitoring": "monitoring_input", "gap": "gap"}
    # Empty cells take their column's format: every row below the header is for input.
    x.widths(ws, widths, formats=[x[column_styles.get(kind, "input")]
                                  for _, _, kind, _ in columns])
    for r in range(header_row):  # the rows above the header are not for input
        x.height(ws, r, 24 if r == 0 else 30 if r == 2 and monitoring else None, x["text"])
    x.write(ws, 0, 0, f"Applications – {role.title}", "title")
    application = [j for j, (_, _, kind, _) in enumerate(columns)
                   if kind not in ("gap", "monitoring")]
    span = min(application[-1], 11)
    ws.merge_range(1, 0, 1, span, "", x["wrap"])
    x.write(ws, 1, 0, _instructions(role, "table"), "wrap", width=sum(widths[:span + 1]))
    x.write(ws, 2, 0, "One applicant per row. Hover over a criterion's header for its full "
            "text.", "note")
    for j, (head, _, kind, _) in enumerate(columns):
        style = {"monitoring": "monitoring_header", "gap": "gap"}.get(kind, "header")
        x.headers[(ws.name, j)] = head
        if head:
            x.write(ws, header_row, j, head, style)
        else:
            ws.write_blank(header_row, j, None, x[style])
    x.height(ws, header_row, 45)
    if monitoring:
        band = [j for j, (_, _, kind, _) in enumerate(columns) if kind == "monitoring"]
        if len(band) > 1:
            ws.merge_range(2, band[0], 2, band[-1], "", x["monitoring_band"])
        x.write(ws, 2, band[0], MONITORING_BAND, "monitoring_band")

    over = wb.add_format(_OVER_LIMIT)
    for j, (_, _, kind, subject) in enumerate(columns):
        if kind in ("field", "monitoring"):
            values = _field_values(subject)
            if values:
                _validate(ws, lists, first, j, last, values, subject.label)
            if kind == "monitoring":
                ws.write_comment(header_row, j, _monitoring_note(subject),
                                 {"x_scale": 2, "y_scale": 1.5, "font_size": 9})
        elif kind == "rating":
            c = subject
            _validate(ws, lists, first, j, last, c.scale.levels, f"{c.id} rating")
            ws.write_comment(header_row, j, _comment(c, role),
                             {"x_scale": 3, "y_scale": 3, "font_size": 9})
        elif kind == "evidence":
            c = subject
            if c.word_limit is not None:
                cell = xl_rowcol_to_cell(first, j, row_abs=False, col_abs=True)
                ws.conditional_format(first, j, last, j, {
                    "type": "formula", "criteria": f"={_word_count(cell)}>{c.word_limit}",
                    "format": over})
            ws.write_comment(header_row, j,
                             f"{c.id} evidence: word limit {_limit_text(c)}.\n{c.text}",
                             {"x_scale": 2, "y_scale": 2, "font_size": 9})
    ws.freeze_panes(header_row + 1, 2)
    _protect(ws)
    # Too wide to print on one page at a readable size: pages across, with the header row and
    # the id and name columns repeated on each.
    _print_setup(ws, role, header_row, fit=False)
    ws.repeat_columns(0, 1)
    ws.activate()
    _write_criteria(x, role)


def _monitoring_note(f: Field) -> str:
    return (f"{f.label}: optional. Equality-monitoring data: used only to monitor equality "
            "of opportunity, in aggregate; never shown to the sift panel with scores and "
            "never used in scoring." + (f"\nChoose from: {', '.join(f.values)}"
                                       if f.values else ""))


def _comment(c: Criterion, role: Role) -> str:
    levels = " < ".join(c.scale.levels)
    return (f"{c.id} ({c.section})\n{c.text}\n{_requirement(c, role)}\n"
            f"Levels, lowest first: {levels}\nWord limit: {_limit_text(c)}")


def _write_criteria(x: ExcelText, role: Role) -> None:
    ws = x.workbook.add_worksheet("Criteria")
    head = ["ID", "Section", "Criterion", "Kind", "Rating levels, lowest first",
            "Pass level", "Evidence", "Word limit", "Applies only if"]
    x.widths(ws, [9, 26, 60, 11, 36, 14, 10, 10, 30])
    x.height(ws, 0, 24)
    x.write(ws, 0, 0, f"Criteria – {role.title}", "title")
    x.header(ws, 2, head)
    row = 2
    for c in role.criteria:
        row += 1
        x.write(ws, row, 0, c.id, "id")
        x.write(ws, row, 1, c.section, "wrap")
        x.write(ws, row, 2, c.text + (f"\n{c.description}" if c.description else ""),
                "wrap")
        x.write(ws, row, 3, c.kind, "text")
        x.write(ws, row, 4, " < ".join(c.scale.levels), "wrap")
        x.write(ws, row, 5, c.pass_level or "", "text")
        x.write(ws, row, 6, c.evidence, "text")
        if c.evidence != "none" and c.word_limit is not None:
            ws.write_number(row, 7, c.word_limit, x["count"])
        else:
            x.write(ws, row, 7, _limit_text(c), "text")
        if c.applies_if is not None:
            x.write(ws, row, 8, c.applies_if.describe(), "wrap")
    ws.freeze_panes(3, 1)
    _protect(ws)
    _print_setup(ws, role, 2)
