"""Outputs of the adverse-impact report: the terminal table, JSON and tidy CSV (IMPACT_FORMATS),
and the workbook's Impact sheet. Each format is one function `(report, binary stream) -> None`.

Group labels are the role's values or, for a free-text monitoring field, applicants' text: CSV
cells are neutralised and workbook cells written by `ExcelText`, never as formulas.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any, BinaryIO

from tabulate import tabulate

from ..audit import render_record
from ..impact import (
    FOUR_FIFTHS,
    MIN_GROUP,
    POOLED,
    STAGE_LABELS,
    STAGES,
    FieldImpact,
    ImpactReport,
    StageResult,
    impact,
)
from ..sift import Sift
from .safety import neutralise
from .xlsx import HEADER_ROW, ExcelText, _merged, _print_setup, _title


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{100 * rate:.1f}%"


def _ratio(r: StageResult) -> str:
    if r.impact_ratio is None:
        return ""
    return f"{r.impact_ratio:.2f}" + (" BELOW 4/5" if r.below_four_fifths else "")


def impact_rows(f: FieldImpact) -> tuple[list[str], list[list[str]]]:
    """A field's groups as text rows: the table the terminal shows."""
    head = ["Group", "Applied"]
    for s in STAGES[1:]:
        head += [f"{STAGE_LABELS[s]}\n(rate)", "Impact\nratio"]
    head.append("Notes")
    rows = []
    for g in f.groups:
        row = [g.group, str(g.applied)]
        for s in STAGES[1:]:
            r = g.stages[s]
            ref = " (highest)" if f.reference.get(s) == g.group else ""
            rate = f" ({_percent(r.rate)})" if r.rate is not None else ""
            row += [f"{r.count}{rate}", _ratio(r) + ref]
        row.append("; ".join(g.notes))
        rows.append(row)
    return head, rows


def _small_groups_text() -> str:
    return (f"Groups of fewer than {MIN_GROUP} are combined into \"{POOLED}\" (with the next "
            f"group where needed, so that every row holds {MIN_GROUP} or more and none of "
            "them can be worked out from the totals).")


def render_impact(report: ImpactReport) -> str:
    t = report.totals
    out = [f"Adverse impact – {report.role.title} ({report.role.id})",
           f"{t['applied']} applied, {t['met_essentials']} met every essential criterion, "
           f"{t['shortlisted']} shortlisted. Rates are of those who applied; the impact ratio "
           "is a group's rate over the highest group's; below 0.80 (four-fifths) is flagged. "
           + _small_groups_text(), ""]
    for f in report.fields:
        out.append(f"{f.label} ({f.field})")
        if f.groups:
            head, rows = impact_rows(f)
            out.append(tabulate(rows, head, tablefmt="simple_outline", disable_numparse=True,
                                maxcolwidths=[24, None, None, None, None, None, 32]))
        out += [f"  {n}" for n in f.notes]
        out.append("")
    out += report.notes
    text = "\n".join(out).rstrip("\n") + "\n"
    return text + "\n" + render_record(report.record)


def write_impact_table(report: ImpactReport, out: BinaryIO) -> None:
    out.write(render_impact(report).encode("utf-8"))


def write_impact_json(report: ImpactReport, out: BinaryIO) -> None:
    text = json.dumps(report.to_dict(), ensure_ascii=False, indent=2, allow_nan=False)
    out.write(text.encode("utf-8") + b"\n")


CSV_HEADER = ["field", "group", "stage", "count", "rate", "impact_ratio", "below_four_fifths",
              "compared", "pooled", "notes"]


def impact_csv_rows(report: ImpactReport) -> list[list[Any]]:
    """Tidy rows: one per field, group and stage (a field whose breakdown is withheld has
    one row, with no group, saying so)."""
    t = report.totals
    rows: list[list[Any]] = [["", "All applicants", "applied", t["applied"], None, None, None,
                              False, False, ""]]
    for s in STAGES[1:]:
        rate = round(t[s] / t["applied"], 4) if t["applied"] else None
        rows.append(["", "All applicants", s, t[s], rate, None, None, False, False, ""])
    for f in report.fields:
        if f.withheld:
            rows.append([f.field, "", "", None, None, None, None, False, False,
                         "; ".join(f.notes)])
        for g in f.groups:
            notes = "; ".join(g.notes)
            rows.append([f.field, g.group, "applied", g.applied, None, None, None, g.compared,
                         g.pooled, notes])
            for s in STAGES[1:]:
                r = g.stages[s]
                rows.append([f.field, g.group, s, r.count, r.rate, r.impact_ratio,
                             r.below_four_fifths, g.compared, g.pooled, notes])
    return rows


def write_impact_csv(report: ImpactReport, out: BinaryIO) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(CSV_HEADER)
    for row in impact_csv_rows(report):
        writer.writerow(["" if v is None else neutralise(v) if isinstance(v, str) else v
                         for v in row])
    text.detach()


ImpactWriter = Callable[[ImpactReport, BinaryIO], None]

IMPACT_FORMATS: dict[str, ImpactWriter] = {
    "table": write_impact_table,
    "csv": write_impact_csv,
    "json": write_impact_json,
}


# ---------------------------------------------------------------------------------------------
# The workbook's Impact sheet

SHEET_HEAD = ["Group", "Applied"]
for _s in STAGES[1:]:
    SHEET_HEAD += [STAGE_LABELS[_s], "Rate", "Impact ratio", "Below four-fifths"]
SHEET_HEAD.append("Notes")


def write_impact_sheet(x: ExcelText, ws: Any, sift: Sift) -> None:
    """The adverse-impact report of every monitoring field, on one sheet (rows in order, as
    constant-memory mode needs)."""
    report = impact(sift)
    t = report.totals
    x.widths(ws, [30, 10, *([12, 9, 10, 11] * (len(STAGES) - 1)), 50])
    _title(x, ws, f"Adverse impact – {report.role.title}",
           f"{t['applied']} applied, {t['met_essentials']} met every essential criterion, "
           f"{t['shortlisted']} shortlisted. Rates are of those who applied; the impact "
           "ratio is a group's rate over the highest rate among the groups compared; below "
           f"{float(FOUR_FIFTHS):.2f} (four-fifths) is flagged. {_small_groups_text()} "
           "Monitoring data never affects a score.", len(SHEET_HEAD))
    pct = x.workbook.add_format({"valign": "top", "num_format": "0.0%"})
    ratio = x.workbook.add_format({"valign": "top", "num_format": "0.00"})
    count = x["count"]
    row = HEADER_ROW - 1
    for f in report.fields:
        row += 1
        x.write(ws, row, 0, f"{f.label} ({f.field})", "subtitle")
        if f.groups:
            row += 1
            x.header(ws, row, SHEET_HEAD)
        for g in f.groups:
            row += 1
            x.write(ws, row, 0, g.group, "wrap")
            ws.write_number(row, 1, g.applied, count)
            col = 2
            for s in STAGES[1:]:
                r = g.stages[s]
                ws.write_number(row, col, r.count, count)
                if r.rate is not None:
                    ws.write_number(row, col + 1, r.rate, pct)
                if r.impact_ratio is not None:
                    ws.write_number(row, col + 2, r.impact_ratio, ratio)
                    x.write(ws, row, col + 3, "Yes" if r.below_four_fifths else "No",
                            "bad" if r.below_four_fifths else "text")
                col += 4
            notes = list(g.notes)
            notes += [f"highest rate: {STAGE_LABELS[s].lower()}" for s in STAGES[1:]
                      if f.reference.get(s) == g.group]
            x.write(ws, row, col, "; ".join(notes), "wrap")
        for note in f.notes:
            row += 1
            _merged(x, ws, row, 0, len(SHEET_HEAD) - 1, note, "muted")
        row += 1
    for note in report.notes:
        row += 1
        _merged(x, ws, row, 0, len(SHEET_HEAD) - 1, note, "muted")
    _print_setup(ws, report.role, None)

