"""The panel's trail in the workbook, when assessors marked the evidence: the Breakdown with
each marked criterion's final points beside the self-rating and every assessor's mark, and a
Moderation sheet (the marking sheets read, every cell whose marks are more than one level
apart, every cell not fully marked, and the assessors' comments).

The workbook is written in constant-memory mode, so each sheet is written row by row, top
to bottom. Every string goes through `ExcelText.write`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..marks import COMBINE_RULES, PanelMarks
from ..role import Criterion
from ..sift import Sift
from .xlsx import (
    _UNMET_CF,
    HEADER_ROW,
    STATUS_LABELS,
    ExcelText,
    _Columns,
    _criterion_caption,
    _merged,
    _print_setup,
    _title,
    _who_columns,
    _write_who,
    points_column,
)


def _trail_heads(panel: PanelMarks) -> list[str]:
    return ["self", *(s.name for s in panel.sheets), *(["agreed"] if panel.agreed_sheet else [])]


def write_panel_breakdown(x: ExcelText, ws: Any, sift: Sift, cols: _Columns) -> None:
    """The Breakdown with marks: per criterion its final points (coloured as usual), then,
    for a marked criterion, the self-rating, each assessor's mark and the agreed mark."""
    panel = sift.panel
    assert panel is not None
    role, frame, sc = sift.role, sift.apps.frame, sift.scored
    pos = cols.positions
    lead = ["Rank", *_who_columns(sift), "Status", "Score"]
    marked = {c.id for c in panel.criteria}
    trail = _trail_heads(panel)
    head = list(lead)
    widths: list[float] = [6, 14, *([] if sift.anonymise else [22]), 17, 8]
    points_col: dict[str, int] = {}
    for c in role.criteria:
        points_col[c.id] = len(head)
        head.append(c.id)
        widths.append(9)
        if c.id in marked:
            head += [f"{c.id} {t}" for t in trail]
            widths += [11] * len(trail)
    x.widths(ws, widths)
    _title(x, ws, f"Breakdown – {role.title}",
           "Final points per criterion (from the panel's marks where given, else the "
           "self-rating), with the self-rating, each assessor's mark and the agreed mark "
           f"beside each marked criterion; marks combined by {panel.combine}. Red: an "
           "essential criterion not met. n/a: the criterion does not apply. See the "
           "Moderation sheet for marks more than one level apart.", len(lead) + 6)
    caption_row = HEADER_ROW - 1
    x.height(ws, caption_row, 120)
    for c in role.criteria:
        x.write(ws, caption_row, points_col[c.id], _criterion_caption(c), "crit_header")
    x.header(ws, HEADER_ROW, head)

    per_criterion = []
    for c in role.criteria:
        applies = sc[f"applies:{c.id}"].to_numpy(dtype=bool)[pos]
        unreadable = frame[f"unreadable:{c.id}"].to_numpy(dtype=bool)[pos]
        met = sc[f"met:{c.id}"].to_numpy(dtype=bool)[pos]
        kind = np.where(unreadable, 3, np.where(~applies, 2, np.where(~met, 1, 0))).tolist()
        points = points_column(sc[f"points:{c.id}"], pos)
        claimed = frame[f"level:{c.id}"].to_numpy()[pos].tolist()
        cm = panel.criterion(c.id)
        marks = cm.levels[:, pos].tolist() if cm is not None else []
        agreed = cm.agreed[pos].tolist() if cm is not None else []
        per_criterion.append((c, kind, points, claimed, marks, agreed))
    by_kind = [x["points"], x["unmet"]]
    status_col = len(lead) - 2
    for k in range(len(pos)):
        row = HEADER_ROW + 1 + k
        _write_who(x, ws, row, sift, cols, k)
        x.write(ws, row, status_col, STATUS_LABELS.get(cols.status[k], cols.status[k]))
        if cols.score[k] is not None:
            ws.write_number(row, status_col + 1, cols.score[k], x["score"])
        for c, kind, points, claimed, marks, agreed in per_criterion:
            j = points_col[c.id]
            if kind[k] < 2:
                ws.write_number(row, j, points[k], by_kind[kind[k]])
            elif kind[k] == 2:
                ws.write_string(row, j, "n/a", x["na"])
            else:
                ws.write_string(row, j, "unreadable", x["bad"])
            if c.id not in marked or kind[k] == 2:
                continue
            if claimed[k] >= 0:
                x.write(ws, row, j + 1, c.scale.levels[claimed[k]], "text")
            for s, levels in enumerate(marks):
                if levels[k] >= 0:
                    x.write(ws, row, j + 2 + s, c.scale.levels[levels[k]], "text")
                elif not panel.listed[s, pos[k]]:
                    x.write(ws, row, j + 2 + s, "not listed", "muted")
            if panel.agreed_sheet is not None and agreed[k] >= 0:
                x.write(ws, row, j + 2 + len(marks), c.scale.levels[agreed[k]], "bold")
    last = HEADER_ROW + max(len(pos), 1)
    unmet_cf = x.workbook.add_format(_UNMET_CF)
    for c in role.criteria:
        col = points_col[c.id]
        if c.essential and c.pass_index is not None:
            ws.conditional_format(HEADER_ROW + 1, col, last, col, {
                "type": "cell", "criteria": "<", "value": c.scale.points[c.pass_index],
                "format": unmet_cf, "stop_if_true": True})
        ws.conditional_format(HEADER_ROW + 1, col, last, col, {
            "type": "3_color_scale",
            "min_type": "num", "min_value": 0, "min_color": "#FFFFFF",
            "mid_type": "num", "mid_value": c.scale.max_points / 2, "mid_color": "#D9EAD3",
            "max_type": "num", "max_value": c.scale.max_points, "max_color": "#63BE7B"})
    ws.freeze_panes(HEADER_ROW + 1, len(lead))
    ws.autofilter(HEADER_ROW, 0, last, len(head) - 1)
    _print_setup(ws, role, HEADER_ROW)


def _level(c: Criterion, level: int) -> str:
    return c.scale.levels[level] if level >= 0 else ""


def write_moderation(x: ExcelText, ws: Any, sift: Sift, cols: _Columns) -> None:
    """The Moderation sheet: the marking sheets read, the cells whose marks are more than
    one level apart, the cells not fully marked, and the assessors' comments."""
    panel = sift.panel
    assert panel is not None
    role = sift.role
    names = [s.name for s in panel.sheets]
    who_cols = _who_columns(sift)
    n_who = len(who_cols)
    x.widths(ws, [14, *([] if sift.anonymise else [22]), 10, *([14] * len(names)), 9, 10, 14,
                  10, 60])
    _title(x, ws, f"Moderation – {role.title}",
           "Marks more than one level apart on a criterion need moderation: agree a mark and "
           "put it on the agreed sheet (rank --agreed FILE), which overrides the assessors' "
           "marks cell by cell. An applicant with a mark missing cannot be shortlisted until "
           "marked.", 8)
    output_order = np.empty(len(cols.positions), dtype=np.int64)
    output_order[cols.positions] = np.arange(len(cols.positions))
    valid = np.asarray(sift.col("valid"), dtype=bool)
    ids, people = sift.field("applicant_id"), None if sift.anonymise else sift.field("name")

    def who(row: int, i: int) -> None:
        aid = str(ids[i])
        x.write(ws, row, 0, aid, "text", aid)
        if people is not None:
            x.write(ws, row, 1, str(people[i] or ""), "text", aid)

    row = 3
    x.write(ws, row, 0, "Marking sheets", "subtitle")
    row += 1
    x.header(ws, row, ["File", "Kind", "Assessor", "Applicants listed", "Lists", "SHA-256"])
    sheets = [(sheet, "assessor") for sheet in panel.sheets]
    if panel.agreed_sheet is not None:
        sheets.append((panel.agreed_sheet, "agreed"))
    for sheet, kind in sheets:
        row += 1
        x.write(ws, row, 0, sheet.file, "wrap")
        x.write(ws, row, 1, kind, "text")
        x.write(ws, row, 2, sheet.name, "text")
        ws.write_number(row, 3, len(sheet.rows), x["int"])
        x.write(ws, row, 4, "every valid applicant" if sheet.scope == "all" else
                "meeting the essentials on self-assessment", "text")
        x.write(ws, row, 5, sheet.sha256, "mono")
    row += 1
    x.write(ws, row, 0, f"Several assessors' marks are combined by the {panel.combine} of "
            "their points; an agreed mark replaces them.", "muted")

    cells = [(i, c) for i, c in panel.moderation_cells() if valid[i]]
    cells.sort(key=lambda t: int(output_order[t[0]]))
    row += 2
    x.write(ws, row, 0, f"Marks more than one level apart ({len(cells)})", "subtitle")
    row += 1
    x.header(ws, row, [*who_cols, "Criterion", *names, "Levels apart", "Combined points",
                       "Agreed", "Final points", "Status"])
    j0 = n_who
    for i, c in cells:
        cm = panel.criterion(c.id)
        assert cm is not None
        row += 1
        who(row, i)
        ws.write_string(row, j0, c.id, x["bold"])
        for s in range(len(names)):
            x.write(ws, row, j0 + 1 + s, _level(c, int(cm.levels[s, i])), "text")
        j = j0 + 1 + len(names)
        ws.write_number(row, j, int(cm.spread[i]), x["int"])
        marks = cm.levels[:, i]
        points = np.asarray(c.scale.points, dtype=float)[marks[marks >= 0]]
        combined = float(COMBINE_RULES[panel.combine](points[:, None])[0])
        ws.write_number(row, j + 1, round(combined, 2), x["points"])
        agreed = int(cm.agreed[i])
        x.write(ws, row, j + 2, _level(c, agreed), "bold")
        ws.write_number(row, j + 3, round(float(sift.col(f"points:{c.id}")[i]), 2),
                        x["points"])
        x.write(ws, row, j + 4, f'agreed "{_level(c, agreed)}"' if agreed >= 0
                else "needs moderation", "text")
    if not cells:
        row += 1
        x.write(ws, row, 0, "No marks are more than one level apart.", "muted")

    gaps = []
    for c in panel.criteria:
        cm = panel.criterion(c.id)
        assert cm is not None
        gaps += [(int(i), c) for i in np.flatnonzero(cm.unmarked & valid)]
    order = {c.id: j for j, c in enumerate(panel.criteria)}
    gaps.sort(key=lambda t: (int(output_order[t[0]]), order[t[1].id]))
    flags = sift.all_flags
    row += 2
    x.write(ws, row, 0, f"Not fully marked ({len(gaps)} mark(s) missing)", "subtitle")
    row += 1
    x.header(ws, row, [*who_cols, "Criterion", "Missing"])
    for i, c in gaps:
        row += 1
        who(row, i)
        ws.write_string(row, n_who, c.id, x["bold"])
        detail = next((d for fc, f, d in flags[i] if fc.id == c.id and f == "not_fully_marked"),
                      "")
        x.write(ws, row, n_who + 1, detail, "wrap")
    if not gaps:
        row += 1
        x.write(ws, row, 0, "Every applicant to be marked is fully marked.", "muted")

    comments = [(int(i), who_said, text) for i in cols.positions.tolist()
                for who_said, text in panel.comments[i]]
    row += 2
    x.write(ws, row, 0, f"Assessors' comments ({len(comments)})", "subtitle")
    row += 1
    x.header(ws, row, [*who_cols, "Assessor", "Comment"])
    for i, who_said, text in comments:
        row += 1
        who(row, i)
        x.write(ws, row, n_who, who_said, "text")
        _merged(x, ws, row, n_who + 1, n_who + 5 + len(names), text, "wrap")
    _print_setup(ws, role, None)
