"""The assessors' marking workbook: `shortlist template ROLE --layout marking -o FILE INPUT...`.

Sheets:

- **Marks** (to fill in): labelled cells at the top (`Assessor`, `Role`, `Applicants
  listed`), then `Applicant ID | <ID> mark … | Comment`, one row per applicant to mark, by
  applicant id. Each mark cell has a drop-down of the criterion's scale; a criterion that does
  not apply to an applicant says "does not apply" and is locked. Name-blind unless `names`.
- **Evidence** (to read): one row per applicant and marked criterion, with the evidence.
  The applicant's own rating is left out, so assessors mark the evidence unanchored. Unless
  `names`, the applicant's name and any applicant's full name are taken out of the evidence,
  as in anonymised outputs (`shortlist.anonymise.ApplicantNames`).
- **Criteria**: every criterion with its levels and pass level.

`shortlist.marks.read_marking_sheet` reads the Marks sheet back.
"""

from __future__ import annotations

from typing import Any, BinaryIO

import numpy as np
import xlsxwriter

from .anonymise import applicant_names
from .exporters.xlsx import ExcelText
from .marks import (
    ASSESSOR_LABEL,
    COMMENT_HEADER,
    DOES_NOT_APPLY,
    MARKS_SHEET,
    ROLE_LABEL,
    SCOPE_LABEL,
    SCOPE_TEXT,
    marked_criteria,
)
from .ranking import natural_key
from .role import Criterion, Role, format_points
from .scoring import applies_mask
from .sift import Sift
from .templates import STYLES, _Lists, _print_setup, _validate, _write_criteria

EVIDENCE_SHEET = "Evidence"
HEADER_ROW = 6  # row index of the Marks sheet's header
_LABEL_ROWS = (1, 2, 3)  # Assessor, Role, Applicants listed


def marking_rows(sift: Sift, everyone: bool = False) -> list[int]:
    """Row positions of the applicants a marking sheet lists, by applicant id: those who
    meet every essential criterion on self-assessment, or (`everyone`) every valid one."""
    pick = sift.col("valid").astype(bool)
    if not everyone:
        pick = pick & sift.col("essential_met").astype(bool)
    ids = sift.field("applicant_id")
    return sorted(np.flatnonzero(pick).tolist(), key=lambda i: (natural_key(str(ids[i])),
                                                                str(ids[i])))


def write_marking_sheet(sift: Sift, out: BinaryIO, *, everyone: bool = False,
                        names: bool = False, assessor: str = "") -> int:
    """Write a marking workbook for one assessor to `out`, from a sift on self-assessment;
    return how many applicants it lists."""
    rows = marking_rows(sift, everyone)
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False, "strings_to_numbers": False})
    try:
        wb.set_properties({"title": f"Marking sheet – {sift.role.id}",
                           "comments": "Written by shortlist"})
        x = ExcelText(wb, STYLES)
        lists = _Lists(wb)
        _write_marks(x, lists, sift, rows, everyone, names, assessor)
        _write_evidence(x, sift, rows, names)
        _write_criteria(x, sift.role)
        lists.finish()
    finally:
        wb.close()
    return len(rows)


def _protect(ws: Any) -> None:
    # No password: this guards against accidents, not against the assessor.
    ws.protect("", {"format_columns": True, "format_rows": True, "autofilter": True,
                    "sort": True, "select_locked_cells": True, "select_unlocked_cells": True})


def _header_comment(c: Criterion) -> str:
    need = (f"Essential: met at “{c.pass_level}” "
            f"({format_points(c.scale.points[c.pass_index])} points) or above"
            if c.essential and c.pass_index is not None else "Desirable")
    levels = " < ".join(f"{lv} ({format_points(p)})"
                        for lv, p in zip(c.scale.levels, c.scale.points, strict=True))
    text = f"{c.id} ({c.section})\n{c.text}\n{need}; weight {format_points(c.weight)}\n" \
           f"Levels, lowest first: {levels}"
    if c.applies_if is not None:
        text += f"\nApplies only if {c.applies_if.describe()}"
    return text


def _instructions(role: Role, everyone: bool) -> str:
    who = ("every valid applicant" if everyone else
           "every applicant who meets all the essential criteria on their self-assessment")
    return (f"Mark the evidence of {who}, listed by applicant id. For each criterion choose "
            "a mark from the drop-down list (the criterion's scale, lowest first), judging "
            "the evidence on the Evidence sheet against the criterion (hover over a header, "
            "or see the Criteria sheet). Mark independently, before moderation. Put your "
            "name in the Assessor cell and any comment in the Comment column. A blank mark "
            "means not marked yet: an applicant with a blank mark cannot be shortlisted "
            f"until marked. Cells saying '{DOES_NOT_APPLY}' are criteria that do not apply "
            f"to the applicant. The sheet is protected (without a password) so only the "
            f"shaded cells change. Role {role.id}.")


def _write_marks(x: ExcelText, lists: _Lists, sift: Sift, rows: list[int], everyone: bool,
                 names: bool, assessor: str) -> None:
    role = sift.role
    ws = x.workbook.add_worksheet(MARKS_SHEET)
    criteria = marked_criteria(role)
    who_cols = ["Applicant ID", *(["Name"] if names else [])]
    head = [*who_cols, *(f"{c.id} mark" for c in criteria), COMMENT_HEADER]
    first_c = len(who_cols)
    widths = [14, *([24] if names else []), *([11] * len(criteria)), 50]
    x.widths(ws, widths)
    x.height(ws, 0, 24)
    x.write(ws, 0, 0, f"Marking sheet – {role.title}", "title")
    span = max(first_c + 2, 3)
    for r, (label, value) in zip(_LABEL_ROWS, ((ASSESSOR_LABEL, assessor),
                                               (ROLE_LABEL, role.id),
                                               (SCOPE_LABEL, SCOPE_TEXT["all" if everyone
                                                                        else "essentials"])),
                                 strict=True):
        x.write(ws, r, 0, label, "label")
        style = "input" if label == ASSESSOR_LABEL else "text"
        ws.merge_range(r, 1, r, span, "", x[style])
        x.write(ws, r, 1, value, style)
    last_c = len(head) - 1
    ws.merge_range(4, 0, 4, max(last_c, span), "", x["wrap"])
    x.write(ws, 4, 0, _instructions(role, everyone), "wrap",
            width=x.width_of(ws, 0, max(last_c, span)))
    if not rows:
        x.write(ws, 5, 0, "Nobody to mark: no applicant meets every essential criterion on "
                "self-assessment (make the sheet with --all to mark everyone).", "muted")
    x.header(ws, HEADER_ROW, head)
    x.height(ws, HEADER_ROW, 30)
    for j, c in enumerate(criteria):
        ws.write_comment(HEADER_ROW, first_c + j, _header_comment(c),
                         {"x_scale": 3, "y_scale": 2.5, "font_size": 9})
    frame = sift.apps.frame
    applies = [applies_mask(c, frame) for c in criteria]
    ids = sift.field("applicant_id")
    name_values = sift.field("name") if names else None
    for k, i in enumerate(rows):
        row = HEADER_ROW + 1 + k
        who = str(ids[i])
        x.write(ws, row, 0, who, "id", who)
        if name_values is not None:
            x.write(ws, row, 1, str(name_values[i] or ""), "text", who)
        for j in range(len(criteria)):
            if applies[j][i]:
                ws.write_blank(row, first_c + j, None, x["input"])
            else:
                x.write(ws, row, first_c + j, DOES_NOT_APPLY, "no_input")
        ws.write_blank(row, last_c, None, x["input_wrap"])
    if rows:
        first, last = HEADER_ROW + 1, HEADER_ROW + len(rows)
        for j, c in enumerate(criteria):
            _validate(ws, lists, first, first_c + j, last, c.scale.levels, f"{c.id} mark")
    ws.freeze_panes(HEADER_ROW + 1, first_c)
    _protect(ws)
    _print_setup(ws, role, HEADER_ROW, fit=False)
    ws.repeat_columns(0, first_c - 1)
    ws.activate()


def _write_evidence(x: ExcelText, sift: Sift, rows: list[int], names: bool) -> None:
    role, frame = sift.role, sift.apps.frame
    ws = x.workbook.add_worksheet(EVIDENCE_SHEET)
    who_cols = ["Applicant ID", *(["Name"] if names else [])]
    head = [*who_cols, "Criterion", "Criterion text", "Words", "Word limit", "Note", "Evidence"]
    n_who = len(who_cols)
    x.widths(ws, [14, *([24] if names else []), 9, 40, 7, 7, 18, 90])
    x.height(ws, 0, 24)
    x.write(ws, 0, 0, f"Evidence – {role.title}", "title")
    x.write(ws, 1, 0, "Each listed applicant's evidence for each criterion to mark, in the "
            "order of the Marks sheet. Filter by applicant id to read one applicant.", "note")
    x.header(ws, 3, head)
    criteria = marked_criteria(role)
    applies = [applies_mask(c, frame) for c in criteria]
    words_of = [frame[f"words:{c.id}"].to_numpy() for c in criteria]
    evidence_of = [frame[f"evidence:{c.id}"].tolist() for c in criteria]
    if not names:  # name-blind: the evidence loses names as in `rank --anonymise`
        scrub = applicant_names(sift.apps)
        evidence_of = [scrub.column(texts) for texts in evidence_of]
    ids = sift.field("applicant_id")
    name_values = sift.field("name") if names else None
    row = 3
    for i in rows:
        who = str(ids[i])
        for j, c in enumerate(criteria):
            if not applies[j][i]:
                continue
            row += 1
            x.write(ws, row, 0, who, "id", who)
            if name_values is not None:
                x.write(ws, row, 1, str(name_values[i] or ""), "text", who)
            x.write(ws, row, n_who, c.id, "id")
            x.write(ws, row, n_who + 1, c.text, "small_wrap")
            words = int(words_of[j][i])
            ws.write_number(row, n_who + 2, words, x["count"])
            if c.word_limit is not None:
                ws.write_number(row, n_who + 3, c.word_limit, x["count"])
            text = str(evidence_of[j][i] or "")
            if not text:
                x.write(ws, row, n_who + 4, "no evidence given", "muted")
            elif c.word_limit is not None and words > c.word_limit:
                x.write(ws, row, n_who + 4, f"over the word limit ({words} words, limit "
                        f"{c.word_limit})", "muted")
            x.write(ws, row, n_who + 5, text, "wrap", who)
    ws.autofilter(3, 0, max(row, 4), len(head) - 1)
    ws.freeze_panes(4, n_who + 1)
    _protect(ws)
    _print_setup(ws, role, 3)
