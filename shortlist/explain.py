"""One applicant's story: how each criterion was read and scored, and why they stand where
they do. The explained weighted points add up exactly to the score."""

from __future__ import annotations

from typing import Any

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
            row["note"] = f"does not apply ({c.applies_if.describe() if c.applies_if else ''})"
        else:
            weighted = (crit["points"] or 0) * c.weight
            row["weighted"] = weighted
            row["weighted_max"] = c.scale.max_points * c.weight
            if c.weight > 0:
                total += weighted
                possible += c.scale.max_points * c.weight
            notes = []
            if c.weight == 0:
                notes.append("gate only, not scored")
            if c.essential:
                notes.append(("met" if crit["met"] else "NOT met") + f' (needs "{c.pass_level}")')
            if crit.get("counted_as"):
                notes.append(f'no evidence, counted as "{crit["counted_as"]}"')
            row["note"] = "; ".join(notes)
        rows.append(row)
    ties: list[str] = []
    if rec["rank"] is not None:
        ranks, ids = sift.col("rank"), sift.field("applicant_id")
        ties = [str(ids[k]) for k in sift.order if k != i and ranks[k] == rec["rank"]]
    return {
        "applicant": rec,
        "criteria": rows,
        "weighted_points": total,
        "weighted_max": possible,
        "ties_with": ties,
        "decision": _decision(sift, rec, ties),
    }


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
    width = max(len(r["criterion"]) for r in data["criteria"])
    for r in data["criteria"]:
        rating = f'"{r["rating"]}"' if r["rating"] is not None else "no answer"
        if not r["applies"]:
            lines.append(f"  {r['criterion']:<{width}}  {r['kind']:<9}  {rating:<24} {r['note']}")
            continue
        pts = (f"{format_points(r['points'] or 0)}/{format_points(r['max'])} × "
               f"{format_points(r['weight'])} = {format_points(r['weighted'])}")
        lines.append(f"  {r['criterion']:<{width}}  {r['kind']:<9}  {rating:<24} {pts:<18} "
                     f"{r['note']}")
    lines.append("")
    if rec["score"] is not None:
        lines.append(f"Score: 100 × {format_points(data['weighted_points'])} / "
                     f"{format_points(data['weighted_max'])} = {rec['score']:.2f}"
                     + (f"; desirable score {rec['desirable_score']:.2f}"
                        if rec["desirable_score"] is not None else ""))
    for f in rec["flags"]:
        lines.append(f"Flag {f['criterion']}: {f['flag'].replace('_', ' ')} ({f['detail']})")
    for e in rec["errors"]:
        where = ", ".join(x for x in (e["sheet"] and f"sheet {e['sheet']!r}",
                                      e["row"] and f"row {e['row']}",
                                      e["column"] and f"column {e['column']}") if x)
        lines.append(f"Error at {where}: {e['message']}")
    lines.append(data["decision"])
    return "\n".join(line.rstrip() for line in lines) + "\n"
