"""Builders for the panel's marking sheets: in memory (`sheet`), as a workbook written from
scratch (`write_marks`), or by filling in a marking template as an assessor would (`fill`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from shortlist.marks import MarkingSheet, MarkRow, marked_criteria
from shortlist.readers import BLANK
from shortlist.role import Role

#: applicant id → criterion id → mark (a level label; "" or None for blank)
Marks = Mapping[str, Mapping[str, Any]]


def sheet(role: Role, marks: Marks, *, assessor: str = "Ann", file: str | None = None,
          scope: str = "essentials", comments: Mapping[str, str] | None = None) -> MarkingSheet:
    """A marking sheet as `read_marking_sheet` would return it, built in memory."""
    criteria = marked_criteria(role)
    out = MarkingSheet(file or f"{assessor.lower()}.xlsx", sheet="Marks", assessor=assessor,
                       role_id=role.id, scope=scope,  # type: ignore[arg-type]
                       columns={c.id: f"{chr(66 + j)} \"{c.id} mark\""
                                for j, c in enumerate(criteria)},
                       id_column='A "Applicant ID"')
    for r, (aid, row) in enumerate(marks.items(), 8):
        levels = {}
        for c in criteria:
            label = row.get(c.id)
            levels[c.id] = c.scale.levels.index(label) if label else BLANK
        out.rows.append(MarkRow(aid, r, levels, (comments or {}).get(aid, "")))
    return out


def write_marks(path: Path, rows: Sequence[Sequence[Any]], *, header: Sequence[str],
                assessor: str = "Ann", role_id: str | None = "test-ds",
                scope: str | None = None, sheet_name: str = "Marks") -> Path:
    """A marking workbook written from scratch with openpyxl: the labels at the top, a blank
    row, then `header` on row 6 and `rows` from row 7."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet_name
    ws.append(["Marking sheet"])
    ws.append(["Assessor", assessor])
    ws.append(["Role", role_id] if role_id is not None else [])
    ws.append(["Applicants listed", scope] if scope is not None else [])
    ws.append([])
    ws.append(list(header))
    for r in rows:
        ws.append([None if v == "" else v for v in r])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def fill(template: Path, out: Path, marks: Marks, *, assessor: str | None = None,
         comments: Mapping[str, str] | None = None) -> Path:
    """Fill in a marking template (from `shortlist template --layout marking`) as an assessor
    would: the Assessor cell, the marks by applicant id and criterion, and comments."""
    import openpyxl

    wb = openpyxl.load_workbook(template)
    ws = wb["Marks"]
    if assessor is not None:
        ws["B2"] = assessor
    header_row = next(r for r in range(1, 30) if ws.cell(r, 1).value == "Applicant ID")
    head = [c.value for c in ws[header_row]]
    seen = set()
    for row in ws.iter_rows(min_row=header_row + 1):
        aid = row[0].value
        if aid is None:
            continue
        seen.add(aid)
        for cid, value in (marks.get(aid) or {}).items():
            row[head.index(f"{cid} mark")].value = value or None
        if comments and aid in comments:
            row[head.index("Comment")].value = comments[aid]
    unknown = set(marks) - seen
    assert not unknown, f"not on the template: {unknown}"
    wb.save(out)
    return out
