"""Shared builders: a small role file and applicants written as CSV or xlsx, all in tmp_path.

The default role (`role_data()`) is small enough to score by hand:

====  =========  ==========  =====  ======  ========  ==========  ==========================
id    kind       scale       pass   weight  evidence  word_limit  applies_if
====  =========  ==========  =====  ======  ========  ==========  ==========================
G1    essential  yes_no      Yes    0       none      –           –
E1    essential  experience  Some   2       required  250 (role)  –
E2    essential  grade       Good   1       optional  50          –
D1    desirable  experience  –      1       optional  250 (role)  –
D2    desirable  yes_no      –      1       optional  250 (role)  current_rank ∈ {Constable,
                                                                   Detective Constable}
====  =========  ==========  =====  ======  ========  ==========  ==========================

`experience`: None 0 < Limited 1 < Some 2 < Substantial 3 < Extensive 4 (alias "n/a" = None).
`grade` has custom points: Poor 0 < Fair 1 < Good 3 < Excellent 5 (alias "ok" = Fair).
Maximum weighted points: E1 2×4 = 8, E2 1×5 = 5, D1 1×4 = 4, D2 1×1 = 1, so the denominator
is 18 when D2 applies and 17 when it does not.
Fields: `current_rank` (values Constable, Detective Constable, Sergeant) and `sex`
(monitoring). `[shortlist]`: size 3, min_score 0, word_limit 250, tie_break ["desirable"].
"""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from shortlist.role import Role, load_role

REPO = Path(__file__).resolve().parents[1]
ROLES_DIR = REPO / "roles"

# ---------------------------------------------------------------------------------------------
# Role files


DEFAULT_ROLE: dict[str, Any] = {
    "role": {"id": "test-ds", "title": "Test Detective Sergeant", "organisation": "Test Force"},
    "shortlist": {"size": 3, "min_score": 0, "word_limit": 250, "tie_break": ["desirable"]},
    "scales": {
        "experience": {"levels": ["None", "Limited", "Some", "Substantial", "Extensive"],
                       "aliases": {"n/a": "None"}},
        "grade": {"levels": ["Poor", "Fair", "Good", "Excellent"], "points": [0, 1, 3, 5],
                  "aliases": {"ok": "Fair"}},
    },
    "criteria": [
        {"id": "G1", "section": "Essential criteria", "text": "Holds a full driving licence",
         "kind": "essential", "scale": "yes_no", "pass": "Yes", "weight": 0,
         "evidence": "none"},
        {"id": "E1", "section": "Essential criteria",
         "text": "Experience of serious organised crime investigation", "kind": "essential",
         "scale": "experience", "pass": "Some", "weight": 2, "evidence": "required"},
        {"id": "E2", "section": "Essential criteria", "text": "Ability to write clear reports",
         "kind": "essential", "scale": "grade", "pass": "Good", "weight": 1,
         "evidence": "optional", "word_limit": 50},
        {"id": "D1", "section": "Desirable criteria", "text": "Knowledge of covert tactics",
         "kind": "desirable", "scale": "experience", "weight": 1},
        {"id": "D2", "section": "Desirable criteria", "text": "Has passed the sergeants' exam",
         "kind": "desirable", "scale": "yes_no", "weight": 1,
         "applies_if": {"field": "current_rank", "in": ["Constable", "Detective Constable"]}},
    ],
    "fields": [
        {"name": "current_rank", "label": "Current rank",
         "values": ["Constable", "Detective Constable", "Sergeant"]},
        {"name": "sex", "label": "Sex", "monitoring": True,
         "values": ["Female", "Male", "Prefer not to say"]},
    ],
}

CRITERIA = ("G1", "E1", "E2", "D1", "D2")
FIELDS = {"current_rank": "Current rank", "sex": "Sex"}


def role_data() -> dict[str, Any]:
    """A fresh deep copy of the default role, for a test to change before writing it."""
    return copy.deepcopy(DEFAULT_ROLE)


def criterion(data: Mapping[str, Any], cid: str) -> dict[str, Any]:
    """The criterion table `cid` of role data (mutable)."""
    for c in data["criteria"]:
        if c["id"] == cid:
            return c  # type: ignore[no-any-return]
    raise KeyError(cid)


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) \
            + " }"
    raise TypeError(f"cannot write {v!r} as TOML")


def _toml_key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() and k.isascii() else \
        json.dumps(k)


def to_toml(data: Mapping[str, Any]) -> str:
    """A role dict as TOML: top-level scalars, tables, `scales.NAME` tables, arrays of tables."""
    lines: list[str] = []
    for key, value in data.items():
        if not isinstance(value, dict | list):
            lines.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, value in data.items():
        if key == "scales" and isinstance(value, dict):
            for name, scale in value.items():
                if isinstance(scale, dict):
                    lines.append(f"\n[scales.{_toml_key(name)}]")
                    lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in scale.items()]
                else:
                    lines.append(f"\n[scales]\n{_toml_key(name)} = {_toml_value(scale)}")
        elif isinstance(value, dict):
            lines.append(f"\n[{_toml_key(key)}]")
            lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()]
        elif isinstance(value, list) and value and all(isinstance(t, dict) for t in value):
            for table in value:
                lines.append(f"\n[[{_toml_key(key)}]]")
                lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items()]
        elif isinstance(value, list):
            lines.insert(0, f"{_toml_key(key)} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def write_role(directory: Path, data: Mapping[str, Any] | None = None,
               name: str = "test-ds.toml") -> Path:
    """Write role data (default: `role_data()`) as TOML into `directory`; return the path."""
    path = directory / name
    path.write_text(to_toml(role_data() if data is None else data), encoding="utf-8")
    return path


@pytest.fixture
def role_path(tmp_path: Path) -> Path:
    roles = tmp_path / "roles"
    roles.mkdir()
    return write_role(roles)


@pytest.fixture
def role(role_path: Path) -> Role:
    return load_role(role_path)


# ---------------------------------------------------------------------------------------------
# Applicants

DEFAULT_EVIDENCE = "I led the investigation and wrote the file."


@dataclass
class Applicant:
    """One applicant's answers. Evidence defaults to a short sentence for every rated
    criterion unless given in `evidence` (use "" for blank evidence)."""

    id: Any
    name: str = ""
    ratings: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Any] = field(default_factory=dict)
    gis: Any = ""

    def evidence_for(self, cid: str) -> Any:
        if cid in self.evidence:
            return self.evidence[cid]
        rating = self.ratings.get(cid)
        return DEFAULT_EVIDENCE if rating not in (None, "") else ""


def applicant(id: Any, name: str = "", *, rank: str = "Sergeant", sex: str = "Female",
              gis: Any = "", evidence: Mapping[str, Any] | None = None,
              **ratings: Any) -> Applicant:
    """An applicant; ratings as keyword arguments (`E1="Some"`)."""
    return Applicant(id, name or f"Person {id}", dict(ratings), dict(evidence or {}),
                     {"current_rank": rank, "sex": sex}, gis)


def passing(id: Any, name: str = "", **overrides: Any) -> Applicant:
    """An applicant meeting every essential of the default role: G1 Yes, E1 Some, E2 Good,
    D1 None (score (2·2 + 3) / 17 = 41.18 as a Sergeant)."""
    ratings: dict[str, Any] = {"G1": "Yes", "E1": "Some", "E2": "Good", "D1": "None"}
    kwargs = {k: overrides.pop(k) for k in ("rank", "sex", "gis", "evidence") if k in overrides}
    ratings.update(overrides)
    return applicant(id, name, **kwargs, **ratings)


def table_header(criteria: Sequence[str] = CRITERIA,
                 fields: Mapping[str, str] | None = None) -> list[str]:
    fields = FIELDS if fields is None else fields
    head = ["Applicant ID", "Name", *fields.values(), "Guaranteed interview"]
    for cid in criteria:
        head += [f"{cid} rating", f"{cid} evidence"]
    return head


def table_rows(applicants: Iterable[Applicant], criteria: Sequence[str] = CRITERIA,
               fields: Mapping[str, str] | None = None) -> list[list[Any]]:
    fields = FIELDS if fields is None else fields
    rows = []
    for a in applicants:
        row = [a.id, a.name, *(a.fields.get(f, "") for f in fields), a.gis]
        for cid in criteria:
            row += [a.ratings.get(cid, ""), a.evidence_for(cid)]
        rows.append(row)
    return rows


def write_applicants(path: Path, applicants: Iterable[Applicant], *,
                     criteria: Sequence[str] = CRITERIA, fields: Mapping[str, str] | None = None,
                     header: Sequence[Any] | None = None, title_rows: Sequence[Sequence[Any]] = (),
                     encoding: str = "utf-8", delimiter: str = ",",
                     sheet: str = "Applications") -> Path:
    """Applicants in the table layout, as CSV or xlsx by `path`'s suffix.

    `header` replaces the generated header row (same column order); `title_rows` go above it.
    """
    head = list(header) if header is not None else table_header(criteria, fields)
    rows = [list(r) for r in title_rows] + [head] + table_rows(applicants, criteria, fields)
    return write_rows(path, rows, encoding=encoding, delimiter=delimiter, sheet=sheet)


def write_rows(path: Path, rows: Sequence[Sequence[Any]], *, encoding: str = "utf-8",
               delimiter: str = ",", sheet: str = "Applications") -> Path:
    """Raw rows to CSV (in `encoding`, `delimiter`) or to an xlsx sheet (openpyxl)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        import openpyxl

        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = sheet
        for r in rows:
            ws.append([None if v == "" else v for v in r])
        wb.save(path)
        return path
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    for r in rows:
        writer.writerow(["" if v is None else v for v in r])
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def write_form(path: Path, answers: Mapping[str, tuple[Any, Any]], *,
               fields: Mapping[str, Any] | None = None, role: Role | None = None,
               title: str = "Application form") -> Path:
    """A form-layout workbook: a title, label/value rows in A/B, a blank row, then the
    `Criterion ID | Section | Criterion | Your rating | Your evidence` table.

    `answers` maps criterion id → (rating, evidence); `fields` maps label → value.
    """
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Application"
    ws.append([title])
    for label, value in (fields or {}).items():
        ws.append([label, value])
    ws.append([])
    ws.append(["Criterion ID", "Section", "Criterion", "Your rating", "Your evidence"])
    for cid, (rating, evidence) in answers.items():
        section = text = ""
        if role is not None:
            try:
                c = role.criterion(cid)
                section, text = c.section, c.text
            except KeyError:
                pass
        ws.append([cid, section, text, rating, evidence])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


# ---------------------------------------------------------------------------------------------
# Running a sift on built applicants


def sift_of(role: Role, applicants: Iterable[Applicant], directory: Path, **options: Any) -> Any:
    """Write the applicants to one CSV in `directory` and run the sift on it."""
    from shortlist.sift import run_sift

    path = write_applicants(directory / "applicants.csv", applicants)
    return run_sift(role, [path], **options)


def records_by_id(sift: Any) -> dict[str, dict[str, Any]]:
    return {r["applicant_id"]: r for r in sift.records()}


@pytest.fixture
def in_repo(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run with the repository root as the working directory (so `roles/` is found)."""
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("SHORTLIST_ROLES", raising=False)
    return REPO
