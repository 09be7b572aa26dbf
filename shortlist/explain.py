"""One applicant's story: how each criterion was read and scored, and why they stand where
they do. The explained weighted points add up exactly to the score."""

from __future__ import annotations

from typing import Any

from .audit import render_record
from .errors import column_label
from .marks import pass_points
from .role import format_points
from .sift import Sift


def explain(sift: Sift, applicant_id: str) -> dict[str, Any]:
    i = sift.index_of(applicant_id)
    rec = sift.record(i)
    rows = []
    total = possible = 0.0
    for c in sift.role.criteria:
        crit = rec["criteria"][c.id]
        row: dict[str, Any] = {"criterion": c.id, "kind": c.kind, "text": c.text, **crit}
        if not crit["applies"]:
            row["note"] = ("does not apply: only when "
                           + (c.applies_if.describe() if c.applies_if else "it applies"))
        else:
            # The unrounded points, so that the rows add up exactly to the score.
            weighted = float(sift.col(f"points:{c.id}")[i]) * c.weight
            row["weighted"] = weighted
            row["weighted_max"] = c.scale.max_points * c.weight
            if c.weight > 0:
                total += weighted
                possible += c.scale.max_points * c.weight
            notes = []
            if c.weight == 0:
                notes.append("gate only, not scored")
            marks = sift.panel.describe_marks(i, c) if sift.panel is not None else None
            if sift.panel is not None:
                row["marks_text"] = (
                    f"marks: {marks}" if marks is not None
                    else "not marked by the panel (no evidence asked for): the answer stands"
                    if c.evidence == "none" else "no marks: the self-rating stands")
            if c.essential and marks is not None and c.pass_index is not None:
                notes.append(("met" if crit["met"] else "NOT met")
                             + f' (needs "{c.pass_level}", {pass_points(c)})')
            elif c.essential:
                notes.append(("met" if crit["met"] else "NOT met") + f' (needs "{c.pass_level}")')
            if crit.get("counted_as"):
                notes.append(f'no evidence, counted as "{crit["counted_as"]}"')
            row["note"] = "; ".join(notes)
        rows.append(row)
    ties: list[str] = []
    if rec["rank"] is not None:
        ranks, ids = sift.col("rank"), sift.field("applicant_id")
        ties = [str(ids[k]) for k in sift.order if k != i and ranks[k] == rec["rank"]]
    out: dict[str, Any] = {
        "applicant": rec,
        "criteria": rows,
        "weighted_points": total,
        "weighted_max": possible,
        "ties_with": ties,
        "decision": _decision(sift, rec, ties),
    }
    if sift.panel is not None:
        out["panel"] = sift.panel.to_dict()
    out["run"] = sift.run_record()
    return out


def _decision(sift: Sift, rec: dict[str, Any], ties: list[str]) -> str:
    status = rec["status"]
    if status == "invalid":
        return ("Not ranked: the application has errors that must be fixed before it can be "
                "scored (see errors).")
    if status == "failed_essential":
        return ("Not shortlisted: fails essential criteria — "
                + "; ".join(f"{f['criterion']}: {f['reason']}" for f in rec["failures"]) + ".")
    tie = f", tied with {', '.join(ties)}" if ties else ""
    where = f"Ranked {rec['rank']} of {sift.summary()['ranked']}{tie}"
    if status == "shortlisted":
        return f"{where}. Shortlisted: {rec['reason']}."
    return f"{where}. Not shortlisted: {rec['reason']}."


def render_explanation(sift: Sift, data: dict[str, Any]) -> str:
    rec = data["applicant"]
    who = rec["applicant_id"] or "(no id)"
    if rec.get("name"):
        who += f" ({rec['name']})"
    src = rec["source"]
    lines = [f"Applicant {who}",
             f"Read from {src['file']}" + (f", sheet {src['sheet']!r}" if src["sheet"] else "")
             + f", row {src['row']}", ""]
    if "panel" in data:
        lines[-1:] = [*_panel_lines(data["panel"]), ""]
    width = max(len(r["criterion"]) for r in data["criteria"])
    # With marks, ratings read 'self "…"': as wide as the longest, so the points line up.
    rw = 24 if "panel" not in data else max(
        [24, *(len(f'self "{r["rating"]}"') for r in data["criteria"] if r["rating"])])
    for r in data["criteria"]:
        rating = f'"{r["rating"]}"' if r["rating"] is not None else "no answer"
        if "panel" in data:
            rating = f"self {rating}"
        if not r["applies"]:
            lines.append(f"  {r['criterion']:<{width}}  {r['kind']:<9}  {rating:<{rw}} {r['note']}")
            continue
        pts = (f"{format_points(r['points'] or 0)}/{format_points(r['max'])} × "
               f"{format_points(r['weight'])} = {format_points(r['weighted'])}")
        lines.append(f"  {r['criterion']:<{width}}  {r['kind']:<9}  {rating:<{rw}} {pts:<18} "
                     f"{r['note']}")
        if "marks_text" in r:
            lines.append(f"  {'':<{width}}  {'':<9}  {r['marks_text']}")
    lines.append("")
    if rec["score"] is not None:
        lines.append(f"Score: 100 × {format_points(data['weighted_points'])} / "
                     f"{format_points(data['weighted_max'])} = {rec['score']:.2f}"
                     + (f"; desirable score {rec['desirable_score']:.2f}"
                        if rec["desirable_score"] is not None else ""))
    for f in rec["flags"]:
        lines.append(f"Flag {f['criterion']}: {f['flag'].replace('_', ' ')} ({f['detail']})")
    for comment in rec.get("assessor_comments", []):
        lines.append(f"Comment from {comment['assessor']}: {comment['comment']}")
    for e in rec["errors"]:
        where = ", ".join(x for x in (e["sheet"] and f"sheet {e['sheet']!r}",
                                      e["row"] and f"row {e['row']}",
                                      e["column"] and "column " + column_label(
                                          e["column"], e.get("column_letter"))) if x)
        lines.append(f"Error at {where}: {e['message']}")
    lines.append(data["decision"])
    text = "\n".join(line.rstrip() for line in lines) + "\n"
    return text + ("\n" + render_record(data["run"]) if data.get("run") else "")


def _panel_lines(panel: dict[str, Any]) -> list[str]:
    """Who marked, and how marks became points."""
    who = ", ".join(f"{m['assessor']} ({m['file']})" for m in panel["marks"])
    lines = [f"Marked by {who}; several marks on a criterion are combined by the "
             f"{panel['combine']} of their points."]
    if panel["agreed"] is not None:
        lines.append(f"Agreed marks from {panel['agreed']['file']} replace them where given.")
    lines.append("Where nobody marked a criterion, the applicant's own rating stands.")
    return lines
