"""The terminal table: the ranking at a glance, with every reason spelled out."""

from __future__ import annotations

from typing import Any, BinaryIO

from tabulate import tabulate

from ..audit import render_record
from ..sift import Sift

NOTE_WIDTH = 60
MAX_ERRORS_SHOWN = 3


def table_rows(sift: Sift) -> tuple[list[str], list[list[Any]]]:
    head = ["Rank", "ID"] + ([] if sift.anonymise else ["Name"]) + [
        "Score", "Desirable", "Status", "Reasons and flags"]
    rows = []
    for rec in sift.records():
        notes = [f"{f['criterion']}: {f['reason']}" for f in rec["failures"]]
        errors = [f"error: {e['message']}" for e in rec["errors"]]
        if len(errors) > MAX_ERRORS_SHOWN:
            more = len(errors) - MAX_ERRORS_SHOWN + 1
            errors = [*errors[:MAX_ERRORS_SHOWN - 1],
                      f"… and {more} more error(s): see `shortlist check`"]
        notes += errors
        if rec["status"] == "shortlisted" and rec["reason"] and (
                "tied" in rec["reason"] or "guaranteed" in rec["reason"]):
            notes.insert(0, rec["reason"])
        failed = {f["criterion"] for f in rec["failures"]}
        notes += [f"{f['criterion']}: {f['flag'].replace('_', ' ')} ({f['detail']})"
                  for f in rec["flags"]
                  if not (f["flag"] == "unevidenced" and f["criterion"] in failed)]
        row: list[Any] = ["" if rec["rank"] is None else rec["rank"], rec["applicant_id"] or ""]
        if not sift.anonymise:
            row.append(rec["name"] or "")
        row += [_score(rec["score"]), _score(rec["desirable_score"]),
                rec["status"].replace("_", " "), "\n".join(notes)]
        rows.append(row)
    return head, rows


def _score(x: float | None) -> str:
    return "" if x is None else f"{x:.2f}"


def render_table(sift: Sift) -> str:
    head, rows = table_rows(sift)
    title = f"{sift.role.title} ({sift.role.id})"
    width = [None] * (len(head) - 1) + [NOTE_WIDTH]
    body = tabulate(rows, head, tablefmt="simple_outline", maxcolwidths=width,
                    disable_numparse=True) if rows else "(no applicants)"
    return f"{title}\n{body}\n{sift.summary_line()}\n\n{render_record(sift.run_record())}"


def write_table(sift: Sift, out: BinaryIO) -> None:
    out.write(render_table(sift).encode("utf-8"))
