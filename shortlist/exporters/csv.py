"""CSV: one row per applicant in output order, for spreadsheets and scripts."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any, BinaryIO

from ..errors import column_label
from ..marks import marks_text
from ..sift import Sift
from .safety import neutralise


def csv_header(sift: Sift) -> list[str]:
    head = ["rank", "applicant_id"]
    if not sift.anonymise:
        head.append("name")
    head += ["status", "shortlisted", "score", "desirable_score", "essential_met", "reason",
             "failures", "flags", "errors"]
    for c in sift.role.criteria:
        head += [f"{c.id} rating", f"{c.id} points"]
        if sift.panel is not None:
            head.append(f"{c.id} marks")
        if sift.include_evidence and c.evidence != "none":
            head.append(f"{c.id} evidence")
    head += ["source_file", "source_sheet", "source_row"]
    return head


def csv_rows(sift: Sift) -> Iterator[list[Any]]:
    for rec in sift.records():
        row: list[Any] = [rec["rank"], rec["applicant_id"]]
        if not sift.anonymise:
            row.append(rec["name"])
        row += [rec["status"], rec["shortlisted"], rec["score"], rec["desirable_score"],
                rec["essential_met"], rec["reason"],
                "; ".join(f"{f['criterion']}: {f['reason']}" for f in rec["failures"]),
                "; ".join(f"{f['criterion']}: {f['flag']} ({f['detail']})"
                          for f in rec["flags"]),
                "; ".join(_error_text(e) for e in rec["errors"])]
        for crit in rec["criteria"].values():
            row += [crit["rating"], crit["points"]]
            if "final" in crit:
                row.append(marks_text(crit))
            if "evidence" in crit:
                row.append(crit["evidence"])
        src = rec["source"]
        row += [src["file"], src["sheet"], src["row"]]
        yield row


def _error_text(e: dict[str, Any]) -> str:
    where = ", ".join(str(x) for x in (e["sheet"] and f"sheet {e['sheet']}",
                                         e["row"] and f"row {e['row']}",
                                         e["column"] and "column " + column_label(
                                             e["column"], e.get("column_letter"))) if x)
    return f"{where}: {e['message']}" if where else e["message"]


def write_csv(sift: Sift, out: BinaryIO) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow(csv_header(sift))
    for row in csv_rows(sift):
        writer.writerow(["" if v is None else neutralise(v) if isinstance(v, str) else v
                         for v in row])
    text.detach()
