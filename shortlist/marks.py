"""The sift panel's marks: assessors' marking sheets read into plain data, matched to the
applications, and combined per criterion into the final marks that scoring uses.

A marking sheet (written by `shortlist template ROLE --layout marking -o FILE INPUT...`) has
a few labelled cells at the top ("Assessor", "Role", "Applicants listed"), then a table
`Applicant ID | <ID> mark … | Comment`, one row per applicant. Several assessors' sheets are
combined per criterion (mean, median or min of the marks' points); an agreed sheet (the same
layout, filled in at moderation) overrides any cell it gives a mark for.

Reading is the only I/O here (`read_marking_sheet`, `load_panel`); everything after that is
plain data and NumPy, so `scoring.score` stays pure: it is handed a `PanelMarks`.

Rules (the README's "Panel marking and moderation" section says the same in words):

- Marked criteria are those the role asks evidence for (`evidence` is not "none"); a
  yes/no declaration with no evidence keeps the applicant's own answer.
- A cell with at least one mark (or an agreed mark) replaces the self-rating: its final points
  are the agreed mark's points, else the combination of the assessors' marks' points.
- `needs_moderation`: two or more assessors' marks on a cell more than one level apart
  (highest level minus lowest > 1), and no agreed mark for it.
- `not_fully_marked`: some assessor sheet should mark a cell and has no mark for it (blank, or
  the applicant is not on that sheet), and there is no agreed mark for it. A sheet should
  mark every applicable criterion of every applicant it lists and of every applicant in its
  scope (meeting every essential on self-assessment, or every valid applicant if made with
  `--all`). Such an applicant cannot be shortlisted until marked.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .errors import Column, Problem, ShortlistError
from .paths import display_path
from .ranking import natural_key
from .readers import BLANK, Applications
from .readers.cells import cell_text, column_letter, is_blank, rating_key, shorten
from .readers.sources import Sheet, Unreadable, load_sheets
from .role import Criterion, Role, format_points, normalise_header, normalise_value
from .scoring import applies_mask, score

__all__ = ["COMBINE_RULES", "DOES_NOT_APPLY", "CriterionMarks", "MarkRow", "MarkingSheet",
           "MarksError", "PanelMarks", "load_panel", "marked_criteria", "marks_text",
           "match_marks", "read_marking_sheet"]

Combine = Literal["mean", "median", "min"]
Scope = Literal["essentials", "all"]

#: How several assessors' marks on one cell become one number of points.
COMBINE_RULES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "mean": lambda pts: np.nanmean(pts, axis=0),
    "median": lambda pts: np.nanmedian(pts, axis=0),
    "min": lambda pts: np.nanmin(pts, axis=0),
}

#: Cell values of a marking sheet besides the scale's levels.
NOT_LISTED = -2  # the applicant is not on the sheet
NOT_APPLICABLE = -3  # the cell says DOES_NOT_APPLY
DOES_NOT_APPLY = "does not apply"

MARKS_SHEET = "Marks"
ASSESSOR_LABEL = "Assessor"
ROLE_LABEL = "Role"
SCOPE_LABEL = "Applicants listed"
COMMENT_HEADER = "Comment"
SCOPE_TEXT: dict[str, str] = {
    "essentials": "Applicants meeting every essential criterion on self-assessment",
    "all": "Every valid applicant (made with --all)",
}
HEADER_SEARCH_ROWS = 30
# Not "rating": "E1 rating" is an applications table's header, never a marking sheet's.
_MARK_WORDS = ("", "mark", "marks", "score", "level")
_COMMENT_HEADERS = {normalise_header(h) for h in (
    "Comment", "Comments", "Assessor comment", "Assessor's comment", "Assessor comments",
    "Note", "Notes")}
_SEPARATORS = "-–—:.)]"


class MarksError(ShortlistError):
    """The marking sheets have problems; carries every one found, each located."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [f"the marking sheets have {len(self.problems)} problem(s):"]
        lines += [f"  {p}" for p in self.problems]
        lines.append("No ranking was made: fix the marking sheets and run again.")
        return "\n".join(lines)


def marked_criteria(role: Role) -> tuple[Criterion, ...]:
    """The criteria assessors mark: every one the role asks evidence for."""
    return tuple(c for c in role.criteria if c.evidence != "none")


# ---------------------------------------------------------------------------------------------
# One marking sheet, read


@dataclass
class MarkRow:
    """One applicant's row: marks by criterion id (a level index, `BLANK` or
    `NOT_APPLICABLE`) and the assessor's comment."""

    applicant_id: str
    row: int
    marks: dict[str, int]
    comment: str = ""


@dataclass
class MarkingSheet:
    """A marking sheet as read: who marked, for which role and scope, and each row."""

    file: str
    sha256: str = ""
    sheet: str | None = None
    assessor: str = ""
    role_id: str | None = None
    scope: Scope = "essentials"
    #: Criterion id → its column (header and letter), for messages.
    columns: dict[str, Column] = field(default_factory=dict)
    id_column: Column | None = None
    rows: list[MarkRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The assessor's name, or the file's when the Assessor cell was left blank."""
        return self.assessor or Path(self.file).name

    def cell(self, criterion_id: str, row: int) -> tuple[int, Column | None]:
        return row, self.columns.get(criterion_id)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "sha256": self.sha256, "assessor": self.name,
                "sheet": self.sheet, "applicants": len(self.rows), "lists": self.scope}


def _criterion_header(text: str, ids: Sequence[tuple[str, str]]) -> str | None:
    """The criterion id a header names: 'E1', 'E1 mark', 'E1 - <text>'. `ids` are (id,
    normalised id), longest first."""
    raw = " ".join(text.split())
    norm = normalise_header(raw)
    for cid, nid in ids:
        if norm.startswith(nid) and norm[len(nid):] in _MARK_WORDS:
            return cid
        rest = raw[len(cid):].lstrip()
        if raw.casefold().startswith(cid.casefold()) and rest[:1] in tuple(_SEPARATORS) \
                and rest:
            return cid
    return None


def _find_table(sheets: list[Sheet], role: Role) -> tuple[Sheet, int] | None:
    """The sheet and row index of the marks table's header: a row with an applicant id
    header and at least one criterion column (the sheet named "Marks" is looked at first)."""
    id_headers = role.field("applicant_id").headers()
    ids = sorted(((c.id, normalise_header(c.id)) for c in role.criteria),
                 key=lambda t: len(t[0]), reverse=True)
    visible = [s for s in sheets if s.visible and s.rows]
    visible.sort(key=lambda s: normalise_header(s.name or "") != normalise_header(MARKS_SHEET))
    fallback: tuple[Sheet, int] | None = None
    for s in visible:
        for i, cells in enumerate(s.rows[:HEADER_SEARCH_ROWS]):
            texts = [cell_text(c) for c in cells]
            if not any(normalise_header(t) in id_headers for t in texts):
                continue
            if any(_criterion_header(t, ids) for t in texts if t.strip()):
                return s, i
            named = normalise_header(s.name or "") == normalise_header(MARKS_SHEET)
            if fallback is None and named and sum(1 for t in texts if t.strip()) > 1:
                fallback = (s, i)
            break
    return fallback


def read_marking_sheet(role: Role, path: str | os.PathLike[str]) -> MarkingSheet:
    """Read one marking sheet. Never raises for bad content: problems go to `.problems`,
    each with its file, sheet, row and column."""
    p = Path(path)
    out = MarkingSheet(display_path(p))
    try:
        out.sha256 = hashlib.sha256(p.read_bytes()).hexdigest()
        sheets = load_sheets(p, out.file)
    except OSError as exc:
        out.problems.append(Problem("unreadable-file",
                                    f"cannot be read ({exc.strerror or exc})", out.file))
        return out
    except Unreadable as exc:
        out.problems.append(exc.problem)
        return out
    found = _find_table(sheets, role)
    if found is None:
        example = ", ".join(f"'{c.id} mark'" for c in marked_criteria(role)[:3])
        out.problems.append(Problem(
            "no-marks-table", "is not a marking sheet: no sheet has a header row with "
            f"'Applicant ID' and a column per criterion ({example}…); expected a workbook "
            f"made by `shortlist template {role.id} --layout marking`", out.file))
        return out
    sheet, header_index = found
    out.sheet = sheet.name
    _read_labels(out, sheet, header_index, role)
    _read_rows(out, sheet, header_index, role)
    return out


def _label_value(cells: list[Any], j: int) -> str:
    for value in cells[j + 1:]:
        if not is_blank(value):
            return " ".join(cell_text(value).split())
    return ""


def _read_labels(out: MarkingSheet, sheet: Sheet, header_index: int, role: Role) -> None:
    for i, cells in enumerate(sheet.rows[:header_index]):
        for j, cell in enumerate(cells):
            label = normalise_header(cell_text(cell))
            if label in ("assessor", "assessorname", "assessorsname"):
                out.assessor = _label_value(cells, j)
            elif label in ("role", "roleid"):
                out.role_id = _label_value(cells, j) or None
            elif label == normalise_header(SCOPE_LABEL):
                text = normalise_header(_label_value(cells, j))
                if not text or "essential" in text:
                    out.scope = "essentials"
                elif text.startswith(("every", "all")):
                    out.scope = "all"
                else:
                    out.problems.append(Problem(
                        "bad-value", f"{SCOPE_LABEL} is {_label_value(cells, j)!r}; expected "
                        + " or ".join(repr(t) for t in SCOPE_TEXT.values()), out.file,
                        sheet.name, sheet.row_number(i)).at(
                            Column(None, column_letter(sheet.first_col + j + 1))))
    if out.role_id is not None and out.role_id != role.id:
        out.problems.append(Problem(
            "wrong-role", f"is a marking sheet for role {out.role_id!r}; expected role "
            f"{role.id!r} (make a marking sheet for this role with `shortlist template "
            f"{role.id} --layout marking`)", out.file, sheet.name))


def _read_rows(out: MarkingSheet, sheet: Sheet, header_index: int, role: Role) -> None:
    header = sheet.rows[header_index]
    header_row = sheet.row_number(header_index)
    id_headers = role.field("applicant_id").headers()
    other_fields = {h for f in role.fields if f.name != "applicant_id" for h in f.headers()}
    ids = sorted(((c.id, normalise_header(c.id)) for c in role.criteria),
                 key=lambda t: len(t[0]), reverse=True)
    marked = {c.id for c in marked_criteria(role)}
    marked_ids = ", ".join(c.id for c in marked_criteria(role))
    example = next((c.id for c in marked_criteria(role)), "E1")

    def label(j: int) -> Column:
        text = cell_text(header[j]).strip() or None
        return Column(text, None if sheet.lines is not None else
                      column_letter(sheet.first_col + j))

    def problem(type_: str, message: str, row: int, column: Column | None) -> None:
        out.problems.append(Problem(type_, message, out.file, sheet.name, row).at(column))

    id_col: int | None = None
    comment_col: int | None = None
    crit_cols: dict[int, str] = {}
    for j, cell in enumerate(header):
        text = cell_text(cell)
        norm = normalise_header(text)
        if not norm:
            continue
        if norm in id_headers and id_col is None:
            id_col = j
        elif norm in _COMMENT_HEADERS and comment_col is None:
            comment_col = j
        elif norm in other_fields:
            continue  # a name column (--names): for the assessor's eyes only
        elif (cid := _criterion_header(text, ids)) is not None:
            if cid not in marked:
                problem("unmarked-criterion", f"criterion {cid} is not marked by the panel (the "
                        "role asks no evidence for it); expected only the marked criteria: "
                        f"{marked_ids}", header_row, label(j))
            elif cid in crit_cols.values():
                first = next(k for k, v in crit_cols.items() if v == cid)
                problem("ambiguous-column", f"is a second column for criterion {cid} (the "
                        f"first is {label(first).label}); expected one column per criterion",
                        header_row, label(j))
            else:
                crit_cols[j] = cid
        else:
            problem("unknown-criterion", f"{shorten(text.strip())!r} is not a criterion of role "
                    f"{role.id}; expected 'Applicant ID', a column per marked criterion "
                    f"({marked_ids}; e.g. '{example} mark') and "
                    f"'{COMMENT_HEADER}'", header_row, label(j))
    assert id_col is not None  # _find_table found it
    out.id_column = label(id_col)
    out.columns = {cid: label(j) for j, cid in crit_cols.items()}
    scales = {cid: role.criterion(cid) for cid in crit_cols.values()}
    lookups = {cid: c.scale.lookup() for cid, c in scales.items()}
    not_applicable = normalise_value(DOES_NOT_APPLY)
    seen: dict[str, int] = {}
    for i in range(header_index + 1, len(sheet.rows)):
        cells = sheet.rows[i]

        def at(j: int | None, cells: list[Any] = cells) -> Any:
            return cells[j] if j is not None and j < len(cells) else None

        row = sheet.row_number(i)
        applicant_id = " ".join(cell_text(at(id_col)).split())
        marks: dict[str, int] = {}
        for j, cid in crit_cols.items():
            raw = at(j)
            key = rating_key(raw)
            if not key:
                marks[cid] = BLANK
            elif key == not_applicable:
                marks[cid] = NOT_APPLICABLE
            elif (level := lookups[cid].get(key)) is not None:
                marks[cid] = level
            else:
                marks[cid] = BLANK
                c = scales[cid]
                problem("unknown-mark", f"{cid} mark {shorten(cell_text(raw).strip())!r} is not "
                        f"on the {c.scale.name} scale; expected one of {c.scale.accepted()}",
                        row, label(j))
        comment = cell_text(at(comment_col)).strip()
        if not applicant_id:
            if any(m != BLANK for m in marks.values()) or comment:
                problem("missing-value", "has marks but no applicant id; expected the "
                        "applicant's id", row, label(id_col))
            continue
        key = applicant_id.casefold()
        if key in seen:
            problem("duplicate-id", f"applicant {applicant_id!r} is also on row {seen[key]}; "
                    "expected each applicant once", row, label(id_col))
            continue
        seen[key] = row
        out.rows.append(MarkRow(applicant_id, row, marks, comment))


# ---------------------------------------------------------------------------------------------
# Marks matched to the applications, and combined


@dataclass
class CriterionMarks:
    """One criterion's marks, per applicant (arrays of length n, or (sheets, n))."""

    criterion: Criterion
    levels: np.ndarray  # (k, n) level index, BLANK, or NOT_LISTED
    agreed: np.ndarray  # (n,) level index or BLANK
    points: np.ndarray  # (n,) final points from the marks; NaN where nobody marked
    marked: np.ndarray  # (n,) the final points come from marks, not the self-rating
    spread: np.ndarray  # (n,) highest minus lowest assessor level (0 with fewer than 2)
    needs_moderation: np.ndarray  # (n,)
    missing: np.ndarray  # (k, n) sheet k should mark the cell and has no mark for it
    unmarked: np.ndarray  # (n,) some sheet is missing a mark and there is no agreed one


@dataclass
class PanelMarks:
    """The panel's marks for one set of applications: plain data that `score` takes."""

    role: Role
    sheets: list[MarkingSheet]
    agreed_sheet: MarkingSheet | None
    combine: str
    listed: np.ndarray  # (k, n) applicant i is on sheet k
    expected: np.ndarray  # (k, n) applicant i is in sheet k's scope
    applies: dict[str, np.ndarray]  # criterion id → (n,) the criterion applies
    levels: dict[str, np.ndarray]  # criterion id → (k, n)
    agreed: dict[str, np.ndarray]  # criterion id → (n,)
    comments: list[list[tuple[str, str]]]  # per applicant: (who, comment)

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return marked_criteria(self.role)

    def criterion(self, criterion_id: str) -> CriterionMarks | None:
        """The combined marks of a marked criterion (None for a criterion not marked)."""
        return self._combined.get(criterion_id)

    @cached_property
    def _combined(self) -> dict[str, CriterionMarks]:
        return {c.id: self._combine(c) for c in self.criteria}

    def _combine(self, c: Criterion) -> CriterionMarks:
        levels, agreed, applies = self.levels[c.id], self.agreed[c.id], self.applies[c.id]
        table = np.asarray(c.scale.points, dtype=float)
        has = levels >= 0
        pts = np.where(has, table[np.clip(levels, 0, None)], np.nan)
        count = has.sum(axis=0)
        combined = np.full(levels.shape[1], np.nan)
        some = count > 0
        if some.any():
            combined[some] = COMBINE_RULES[self.combine](pts[:, some])
        is_agreed = agreed >= 0
        points = np.where(is_agreed, table[np.clip(agreed, 0, None)], combined)
        hi = np.where(has, levels, -1).max(axis=0)
        lo = np.where(has, levels, len(table)).min(axis=0)
        spread = np.where(count >= 2, hi - lo, 0)
        missing = (self.listed | self.expected) & applies[None, :] & ~has
        return CriterionMarks(
            criterion=c, levels=levels, agreed=agreed, points=points,
            marked=applies & (is_agreed | some), spread=spread,
            needs_moderation=applies & (spread > 1) & ~is_agreed, missing=missing,
            unmarked=applies & missing.any(axis=0) & ~is_agreed)

    @cached_property
    def not_fully_marked(self) -> np.ndarray:
        """(n,) applicants with a marked criterion some assessor has not marked."""
        out = np.zeros(self.listed.shape[1], dtype=bool)
        for cm in self._combined.values():
            out |= cm.unmarked
        return out

    # -- per applicant, for records, flags and failures ------------------------------------

    def who(self, k: int) -> str:
        return self.sheets[k].name

    def marks_record(self, i: int, c: Criterion) -> list[dict[str, Any]]:
        """Each assessor sheet's mark for applicant i on c (JSON)."""
        cm = self.criterion(c.id)
        out = []
        for k, sheet in enumerate(self.sheets):
            level = int(cm.levels[k, i]) if cm is not None else NOT_LISTED
            out.append({"file": sheet.file, "assessor": sheet.name,
                        "listed": bool(self.listed[k, i]),
                        "mark": c.scale.levels[level] if level >= 0 else None,
                        "points": _num(c.scale.points[level]) if level >= 0 else None})
        return out

    def final_record(self, i: int, c: Criterion, points: float,
                     counted: int) -> dict[str, Any]:
        """How c's final points for applicant i arose (JSON); `counted` is the self-rating's
        level as counted (BLANK for no answer)."""
        cm = self.criterion(c.id)
        basis = "self_rating"
        if cm is not None and cm.agreed[i] >= 0:
            basis = "agreed"
        elif cm is not None and cm.marked[i]:
            basis = "assessors"
        if basis == "self_rating":
            level = c.scale.levels[counted] if counted >= 0 else None
        else:
            level = next((lv for lv, p in zip(c.scale.levels, c.scale.points, strict=True)
                          if abs(p - points) < 1e-9), None)
        out: dict[str, Any] = {"points": _num(points), "level": level, "basis": basis}
        if basis == "assessors":
            out["combine"] = self.combine
        return out

    def describe_marks(self, i: int, c: Criterion) -> str | None:
        """c's marks for applicant i in words, or None when the self-rating stands:
        'agreed "Some"' or '"Some" (Ann), "Substantial" (Bob): mean 2.5'."""
        cm = self.criterion(c.id)
        if cm is None or not cm.marked[i]:
            return None
        marks = [f'"{c.scale.levels[int(cm.levels[k, i])]}" ({self.who(k)})'
                 for k in range(len(self.sheets)) if cm.levels[k, i] >= 0]
        if cm.agreed[i] >= 0:
            agreed = f'agreed "{c.scale.levels[int(cm.agreed[i])]}"'
            return f"{', '.join(marks)}; {agreed}" if marks else agreed
        text = ", ".join(marks)
        if len(marks) > 1:
            text += f": {self.combine} {format_points(round(float(cm.points[i]), 2))}"
        return text

    def failure_reason(self, i: int, c: Criterion) -> str | None:
        """Why essential c is not met on the marks, or None when the self-rating stands."""
        marks = self.describe_marks(i, c)
        if marks is None or c.pass_index is None:
            return None
        return f'marked {marks}, needs "{c.pass_level}" ({pass_points(c)})'

    def flags(self) -> list[list[tuple[Criterion, str, str]]]:
        """Per applicant: (criterion, flag, detail) for `needs_moderation` and
        `not_fully_marked`, in criterion order."""
        out: list[list[tuple[Criterion, str, str]]] = [[] for _ in range(self.listed.shape[1])]
        for c in self.criteria:
            cm = self._combined[c.id]
            for i in np.flatnonzero(cm.needs_moderation | cm.unmarked).tolist():
                if cm.needs_moderation[i]:
                    marks = ", ".join(
                        f'"{c.scale.levels[int(cm.levels[k, i])]}" ({self.who(k)})'
                        for k in range(len(self.sheets)) if cm.levels[k, i] >= 0)
                    out[i].append((c, "needs_moderation",
                                   f"marks {marks} are {int(cm.spread[i])} levels apart; "
                                   "agree a mark on the agreed sheet"))
                if cm.unmarked[i]:
                    gaps = [f"not on {self.who(k)}'s sheet ({self.sheets[k].file})"
                            if not self.listed[k, i] else
                            f"no mark from {self.who(k)} ({self.sheets[k].file})"
                            for k in np.flatnonzero(cm.missing[:, i]).tolist()]
                    out[i].append((c, "not_fully_marked", "; ".join(gaps)))
        return out

    def moderation_cells(self) -> list[tuple[int, Criterion]]:
        """Every (applicant row, criterion) whose assessors' marks are more than one level
        apart, agreed since or not, by applicant row then criterion."""
        cells = []
        for c in self.criteria:
            cm = self._combined[c.id]
            cells += [(int(i), c) for i in np.flatnonzero(cm.spread > 1)]
        order = {c.id: j for j, c in enumerate(self.criteria)}
        return sorted(cells, key=lambda t: (t[0], order[t[1].id]))

    def to_dict(self) -> dict[str, Any]:
        return {"combine": self.combine, "marks": [s.to_dict() for s in self.sheets],
                "agreed": self.agreed_sheet.to_dict() if self.agreed_sheet else None}


def pass_points(c: Criterion) -> str:
    """An essential's pass level in points, in words: "2 points", "1 point"."""
    need = format_points(c.scale.points[c.pass_index]) if c.pass_index is not None else "0"
    return f"{need} point" + ("" if need == "1" else "s")


def marks_text(crit: dict[str, Any]) -> str:
    """A criterion record's marks and final points in one line (for CSV):
    'Ann: Some; Bob: Extensive; final 3 (agreed)'."""
    final = crit.get("final")
    if final is None:
        return ""
    parts = [f"{m['assessor']}: {m['mark']}" for m in crit.get("marks", []) if m["mark"]]
    basis = {"assessors": final.get("combine", "marks"), "agreed": "agreed",
             "self_rating": "self-rating"}[final["basis"]]
    parts.append(f"final {format_points(round(float(final['points']), 2))} ({basis})")
    return "; ".join(parts)


def _num(x: float) -> int | float:
    """Points as the JSON shows them (as `Sift` does: whole numbers as int)."""
    return int(x) if float(x).is_integer() else float(format_points(float(x)))


def match_marks(apps: Applications, sheets: Sequence[MarkingSheet],
                agreed: MarkingSheet | None = None, combine: str = "mean") -> PanelMarks:
    """Match marking sheets (already read) to the applications. Raises `MarksError` with
    every problem: those found reading the sheets, and unknown applicant ids, marks for
    criteria that do not apply, missing criterion columns on an assessor's sheet."""
    if combine not in COMBINE_RULES:
        raise ValueError(f"combine {combine!r} is not one of {', '.join(COMBINE_RULES)}")
    role, frame = apps.role, apps.frame
    n, k_sheets = len(frame), len(sheets)
    problems: list[Problem] = []
    for s in [*sheets, *([agreed] if agreed else [])]:
        problems += s.problems
    names: dict[str, str] = {}
    for s in sheets:
        if s.assessor:
            first = names.setdefault(s.assessor.casefold(), s.file)
            if first != s.file:
                problems.append(Problem(
                    "duplicate-assessor", f"assessor {s.assessor!r} also marked {first}; "
                    "expected one marking sheet per assessor", s.file, s.sheet))
        if not s.problems and s.sheet is not None:
            missing = [c.id for c in marked_criteria(role) if c.id not in s.columns]
            if missing:
                problems.append(Problem(
                    "missing-column", f"has no column for {', '.join(missing)}; expected a "
                    "column per marked criterion on every assessor's sheet", s.file, s.sheet))

    index: dict[str, list[int]] = {}
    for i, raw in enumerate(frame["applicant_id"].tolist()):
        if raw:
            index.setdefault(str(raw).strip().casefold(), []).append(i)
    applies = {c.id: applies_mask(c, frame) for c in marked_criteria(role)}
    files = sorted({str(f) for f in frame["file"].tolist()})
    sample = ", ".join(sorted((str(x) for x in frame["applicant_id"].tolist() if x),
                              key=natural_key)[:5])

    def place(s: MarkingSheet, levels: dict[str, np.ndarray], k: int | None,
              listed: np.ndarray | None) -> None:
        for r in s.rows:
            hits = index.get(r.applicant_id.casefold())
            if not hits:
                problems.append(Problem(
                    "unknown-applicant", f"applicant id {r.applicant_id!r} is not in the "
                    f"applications ({n} read from {', '.join(files) or 'no files'}); expected "
                    f"an id from the inputs (e.g. {sample})", s.file, s.sheet,
                    r.row).at(s.id_column))
                continue
            for i in hits:
                if listed is not None:
                    listed[i] = True
                for cid, level in r.marks.items():
                    c = role.criterion(cid)
                    row, column = s.cell(cid, r.row)
                    if level >= 0 and not applies[cid][i]:
                        cond = c.applies_if.describe() if c.applies_if else ""
                        problems.append(Problem(
                            "not-applicable", f"{cid} does not apply to applicant "
                            f"{r.applicant_id} ({cond}), so it is not marked; expected a "
                            f"blank cell or {DOES_NOT_APPLY!r}", s.file, s.sheet,
                            row).at(column))
                        continue
                    if level == NOT_APPLICABLE and applies[cid][i]:
                        problems.append(Problem(
                            "missing-mark", f"{cid} says {DOES_NOT_APPLY!r}, but it applies "
                            f"to applicant {r.applicant_id}; expected a mark, one of "
                            f"{c.scale.accepted()}", s.file, s.sheet, row).at(column))
                        continue
                    if level >= 0:
                        target = levels[cid]
                        if k is None:
                            target[i] = level
                        else:
                            target[k, i] = level

    listed = np.zeros((k_sheets, n), dtype=bool)
    levels = {c.id: np.full((k_sheets, n), NOT_LISTED, dtype=np.int16)
              for c in marked_criteria(role)}
    comments: list[list[tuple[str, str]]] = [[] for _ in range(n)]
    for k, s in enumerate(sheets):
        per_sheet = {cid: np.full(n, NOT_LISTED, dtype=np.int16) for cid in levels}
        place(s, per_sheet, None, listed[k])
        for cid, arr in per_sheet.items():
            arr[listed[k] & (arr == NOT_LISTED)] = BLANK
            levels[cid][k] = arr
    agreed_levels = {cid: np.full(n, BLANK, dtype=np.int16) for cid in levels}
    if agreed is not None:
        place(agreed, agreed_levels, None, None)
    for s, label in [*((s, s.name) for s in sheets),
                     *([(agreed, f"agreed ({agreed.name})")] if agreed else [])]:
        for r in s.rows:
            for i in index.get(r.applicant_id.casefold(), []):
                if r.comment:
                    comments[i].append((label, r.comment))
    if problems:
        raise MarksError(problems)

    self_scored = score(apps)
    valid = self_scored["valid"].to_numpy(dtype=bool)
    met = self_scored["essential_met"].to_numpy(dtype=bool)
    expected = np.array([valid if s.scope == "all" else valid & met for s in sheets],
                        dtype=bool).reshape(k_sheets, n)
    return PanelMarks(role, list(sheets), agreed, combine, listed, expected, applies, levels,
                      agreed_levels, comments)


def load_panel(apps: Applications, marks: Sequence[str | os.PathLike[str]],
               agreed: str | os.PathLike[str] | None = None,
               combine: str = "mean") -> PanelMarks:
    """Read the assessors' marking sheets (and an agreed sheet) and match them to `apps`.
    Raises `MarksError` listing every problem found, each located."""
    if not marks:
        raise MarksError([Problem("no-marks", "an agreed sheet needs the assessors' marking "
                                  "sheets it moderates; expected at least one")])
    problems: list[Problem] = []
    seen: dict[Path, str] = {}
    for p in [*marks, *([agreed] if agreed is not None else [])]:
        key = Path(p).resolve()
        if key in seen:
            problems.append(Problem("repeated-input", "is given more than once; expected each "
                                    "assessor's sheet (and the agreed sheet) once",
                                    display_path(Path(p))))
        seen[key] = str(p)
        if not Path(p).is_file():
            problems.append(Problem("missing-file", "does not exist", display_path(Path(p))))
    inputs = {Path(f).resolve() for f in apps.frame["file"].unique().tolist()}
    for key, p in seen.items():
        if key in inputs:
            problems.append(Problem("marks-as-input", "is given both as an application input "
                                    "and as a marking sheet; expected it once, as one or the "
                                    "other", display_path(Path(p))))
    if problems:
        raise MarksError(problems)
    sheets = [read_marking_sheet(apps.role, p) for p in marks]
    agreed_sheet = read_marking_sheet(apps.role, agreed) if agreed is not None else None
    return match_marks(apps, sheets, agreed_sheet, combine)
