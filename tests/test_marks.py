"""The sift panel: marking sheets written and read back, marks matched and combined, every
rule of moderation, and the trail in every output (library level; the CLI round is in
test_panel_cli.py).

The default role (see conftest) marks E1, E2, D1 and D2 (G1 asks no evidence, so its answer
stands). E2's scale has custom points: Poor 0 < Fair 1 < Good 3 < Excellent 5.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
import tempfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shortlist.anonymise import NAME_REMOVED
from shortlist.errors import Problem
from shortlist.explain import explain, render_explanation
from shortlist.exporters.csv import write_csv
from shortlist.exporters.xlsx import write_xlsx
from shortlist.marks import (
    DOES_NOT_APPLY,
    MarksError,
    load_panel,
    marked_criteria,
    match_marks,
    read_marking_sheet,
)
from shortlist.marksheet import marking_rows, write_marking_sheet
from shortlist.readers import Applications, read_applications
from shortlist.role import Role
from shortlist.sift import Sift, run_sift, sift_applications

from .conftest import Applicant, passing, records_by_id, write_applicants
from .marking import Marks, fill, sheet, write_marks
from .test_properties import RoleSpec, run, scenarios

PASS = {"E1": "Some", "E2": "Good"}  # the default role's pass levels
FULL = {"E1": "Some", "E2": "Good", "D1": "None"}  # a full set of marks for a Sergeant


def apps_of(role: Role, applicants: list[Applicant], directory: Path) -> Applications:
    path = write_applicants(directory / "apps.csv", applicants)
    return read_applications(role, [path])


def panel_sift(role: Role, applicants: list[Applicant], directory: Path, *sheets: Marks,
               agreed: Marks | None = None, combine: str = "mean", scope: str = "essentials",
               **options: Any) -> Sift:
    """Sift `applicants` with one in-memory marking sheet per `sheets` (Ann, Bob, Cy…)."""
    apps = apps_of(role, applicants, directory)
    names = ["Ann", "Bob", "Cy", "Di"]
    marking = [sheet(role, m, assessor=names[k], scope=scope) for k, m in enumerate(sheets)]
    agreed_sheet = sheet(role, agreed, assessor="Panel", file="agreed.xlsx") \
        if agreed is not None else None
    panel = match_marks(apps, marking, agreed_sheet, combine)
    return sift_applications(apps, panel=panel, **options)


def problems_of(exc: pytest.ExceptionInfo[MarksError]) -> list[Problem]:
    return exc.value.problems


# ---------------------------------------------------------------------------------------------
# The marking template


@pytest.fixture
def four(role: Role, tmp_path: Path) -> Sift:
    """A10 and A2 meet the essentials (A2 a Constable, so D2 applies); A3 fails E1 on
    self-assessment; A4 is invalid."""
    path = write_applicants(tmp_path / "apps.csv", [
        passing("A10", "Alice Aardvark", E1="Extensive",
                evidence={"E1": "=HYPERLINK(\"http://x\")"}),
        passing("A2", "Bob Badger", rank="Constable", D2="Yes"),
        passing("A3", "Carol Crow", E1="Limited"),
        passing("A4", "Dan Dormouse", E2="Superb"),
    ])
    return run_sift(role, [path])


def _cells(ws: Any) -> list[list[Any]]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_template_lists_who_meets_the_essentials_by_id_and_name_blind(four: Sift) -> None:
    out = io.BytesIO()
    assert write_marking_sheet(four, out) == 2
    wb = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    assert wb.sheetnames[:3] == ["Marks", "Evidence", "Criteria"]
    rows = _cells(wb["Marks"])
    assert rows[1][:2] == ["Assessor", None]
    assert rows[2][:2] == ["Role", "test-ds"]
    assert rows[3][1].startswith("Applicants meeting every essential")
    assert rows[6] == ["Applicant ID", "E1 mark", "E2 mark", "D1 mark", "D2 mark", "Comment"]
    # Natural id order (A2 before A10), not rank order; D2 applies only to the Constable.
    assert rows[7] == ["A2", None, None, None, None, None]
    assert rows[8] == ["A10", None, None, None, DOES_NOT_APPLY, None]
    assert len(rows) == 9
    text = json.dumps([_cells(ws) for ws in wb.worksheets])
    for name in ("Alice", "Bob Badger", "Carol", "Dan"):
        assert name not in text, "name-blind by default"
    assert "Carol" not in text and "A3" not in json.dumps(rows)
    ws = wb["Marks"]
    validations = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert validations["B8:B9"] == '"None,Limited,Some,Substantial,Extensive"'
    assert validations["C8:C9"] == '"Poor,Fair,Good,Excellent"'
    assert ws.protection.sheet and ws["B2"].protection.locked is False
    assert ws["B8"].protection.locked is False and ws["E9"].protection.locked is True


def test_template_evidence_sheet_is_text_and_never_a_formula(four: Sift) -> None:
    out = io.BytesIO()
    write_marking_sheet(four, out)
    ws = openpyxl.load_workbook(io.BytesIO(out.getvalue()))["Evidence"]
    rows = _cells(ws)
    assert rows[3] == ["Applicant ID", "Criterion", "Criterion text", "Words", "Word limit",
                       "Note", "Evidence"]
    body = rows[4:]
    # A2: E1, E2, D1, D2; A10: E1, E2, D1 (G1 asks no evidence; D2 does not apply).
    assert [(r[0], r[1]) for r in body] == [("A2", "E1"), ("A2", "E2"), ("A2", "D1"),
                                            ("A2", "D2"), ("A10", "E1"), ("A10", "E2"),
                                            ("A10", "D1")]
    cell = ws.cell(9, 7)
    assert cell.value == '=HYPERLINK("http://x")' and cell.data_type == "s"
    assert "self" not in json.dumps(rows[3]).casefold(), "self-ratings are not shown"


def test_template_evidence_is_name_blind_unless_names(role: Role, tmp_path: Path) -> None:
    own = "As DS Alice Aardvark I led it; AARDVARK's team and Alice's sources. Will do."
    path = write_applicants(tmp_path / "apps.csv", [
        passing("A1", "Alice Aardvark", evidence={"E1": own, "E2": "With Bob Badger."}),
        passing("A2", "Bob Badger", evidence={"E1": "Alice helped; so did Carol Crow."}),
        passing("A3", "Carol Crow", E1="Limited")])
    sift = run_sift(role, [path])

    def evidence(**options: Any) -> dict[tuple[str, str], str]:
        out = io.BytesIO()
        write_marking_sheet(sift, out, **options)
        rows = _cells(openpyxl.load_workbook(io.BytesIO(out.getvalue()))["Evidence"])
        at = rows[3].index("Criterion")
        return {(r[0], r[at]): r[-1] for r in rows[4:]}

    blind = evidence()
    assert blind[("A1", "E1")] == (f"As DS {NAME_REMOVED} I led it; {NAME_REMOVED}'s team and "
                                   f"{NAME_REMOVED}'s sources. Will do.")
    assert blind[("A1", "E2")] == f"With {NAME_REMOVED}."  # another applicant's full name
    # Another applicant's first name alone cannot be told from a word; a full name can,
    # even of someone not on the sheet (Carol failed on self-assessment).
    assert blind[("A2", "E1")] == f"Alice helped; so did {NAME_REMOVED}."
    named = evidence(names=True)
    assert named[("A1", "E1")] == own
    assert named[("A2", "E1")] == "Alice helped; so did Carol Crow."


def test_template_all_and_names(four: Sift, role: Role, tmp_path: Path) -> None:
    assert [four.field("applicant_id")[i] for i in marking_rows(four, everyone=True)] == \
        ["A2", "A3", "A10"], "every valid applicant (A4 is invalid)"
    path = tmp_path / "m.xlsx"
    with path.open("wb") as fh:
        write_marking_sheet(four, fh, everyone=True, names=True, assessor="Ann")
    rows = _cells(openpyxl.load_workbook(path)["Marks"])
    assert rows[1][:2] == ["Assessor", "Ann"]
    assert rows[3][1].startswith("Every valid applicant")
    assert rows[6][:2] == ["Applicant ID", "Name"]
    assert [r[:2] for r in rows[7:]] == [["A2", "Bob Badger"], ["A3", "Carol Crow"],
                                         ["A10", "Alice Aardvark"]]
    read = read_marking_sheet(role, path)
    assert read.problems == [] and read.scope == "all" and read.assessor == "Ann"
    assert [r.applicant_id for r in read.rows] == ["A2", "A3", "A10"]


def test_a_filled_template_reads_back(four: Sift, role: Role, tmp_path: Path) -> None:
    template = tmp_path / "template.xlsx"
    with template.open("wb") as fh:
        write_marking_sheet(four, fh)
    path = fill(template, tmp_path / "ann.xlsx", {
        "A2": {"E1": "Substantial", "E2": "good", "D1": " none ", "D2": "Yes"},
        "A10": {"E1": "4", "E2": "Excellent"}}, assessor="Ann Assessor",
        comments={"A10": "Strong on E1; D1 not yet marked"})
    read = read_marking_sheet(role, path)
    assert read.problems == []
    assert (read.file, read.sheet, read.assessor, read.role_id, read.scope) == \
        (str(path), "Marks", "Ann Assessor", "test-ds", "essentials")
    assert {cid: c.label for cid, c in read.columns.items()} == {
        "E1": 'B "E1 mark"', "E2": 'C "E2 mark"', "D1": 'D "D1 mark"', "D2": 'E "D2 mark"'}
    by_id = {r.applicant_id: r for r in read.rows}
    assert by_id["A2"].marks == {"E1": 3, "E2": 2, "D1": 0, "D2": 1}
    assert by_id["A2"].row == 8
    assert by_id["A10"].marks["E1"] == 4 and by_id["A10"].marks["D1"] == -1
    assert by_id["A10"].comment == "Strong on E1; D1 not yet marked"


def test_marking_sheet_is_not_read_as_applications(four: Sift, role: Role,
                                                    tmp_path: Path) -> None:
    """A marking sheet put among the applications by mistake is an unreadable input, never
    silently read as applicants."""
    template = tmp_path / "template.xlsx"
    with template.open("wb") as fh:
        write_marking_sheet(four, fh)
    apps = read_applications(role, [template])
    assert len(apps) == 0 and apps.unreadable


# ---------------------------------------------------------------------------------------------
# Reading: every problem located


HEADER = ["Applicant ID", "E1 mark", "E2 mark", "D1 mark", "D2 mark", "Comment"]


@pytest.fixture
def apps(role: Role, tmp_path: Path) -> Applications:
    return apps_of(role, [passing("A1"), passing("A2", rank="Constable"), passing("A3")],
                   tmp_path)


def _only(exc: pytest.ExceptionInfo[MarksError], type_: str) -> Problem:
    found = [p for p in problems_of(exc) if p.type == type_]
    assert len(found) == 1, problems_of(exc)
    return found[0]


def test_unknown_applicant_id_is_located(apps: Applications, tmp_path: Path) -> None:
    path = write_marks(tmp_path / "ann.xlsx", [["A1", "Some", "Good", "None", ""],
                                               ["Z9", "Some", "Good", "None", ""]],
                       header=HEADER)
    with pytest.raises(MarksError) as exc:
        load_panel(apps, [path])
    p = _only(exc, "unknown-applicant")
    assert (p.file, p.sheet, p.row, p.column) == (str(path), "Marks", 8, 'A "Applicant ID"')
    assert p.message.startswith("applicant id 'Z9' is not in the applications (3 read from")
    assert "expected an id from the inputs (e.g. A1, A2, A3)" in p.message
    assert "No ranking was made" in str(exc.value)


def test_unknown_criterion_column_is_located(apps: Applications, tmp_path: Path) -> None:
    path = write_marks(tmp_path / "ann.xlsx", [["A1", "Some", "Good", "None", "", "ok"]],
                       header=[*HEADER[:5], "E9 mark", "Comment"])
    with pytest.raises(MarksError) as exc:
        load_panel(apps, [path])
    p = _only(exc, "unknown-criterion")
    assert (p.sheet, p.row, p.column) == ("Marks", 6, 'F "E9 mark"')
    assert p.message == ("'E9 mark' is not a criterion of role test-ds; expected 'Applicant "
                         "ID', a column per marked criterion (E1, E2, D1, D2; e.g. 'E1 mark') "
                         "and 'Comment'")


def test_unknown_mark_is_located_with_what_is_accepted(apps: Applications,
                                                       tmp_path: Path) -> None:
    path = write_marks(tmp_path / "ann.xlsx", [["A1", "Some", "Superb", "None", ""]],
                       header=HEADER)
    with pytest.raises(MarksError) as exc:
        load_panel(apps, [path])
    p = _only(exc, "unknown-mark")
    assert (p.sheet, p.row, p.column) == ("Marks", 7, 'C "E2 mark"')
    # in JSON, as for applications: the header as written, and the letter
    assert (p.to_dict()["column"], p.to_dict()["column_letter"]) == ("E2 mark", "C")
    assert p.message == ("E2 mark 'Superb' is not on the grade scale; expected one of "
                         '"Poor" (0), "Fair" (1), "Good" (3), "Excellent" (5); also "ok"')


@pytest.mark.parametrize(("rows", "type_", "where", "message"), [
    ([["A1", "Some", "Good", "None", ""], [" a1 ", "Some", "Good", "None", ""]],
     "duplicate-id", (8, 'A "Applicant ID"'),
     "applicant 'a1' is also on row 7; expected each applicant once"),
    ([["A1", "Some", "Good", "None", "Yes"]], "not-applicable", (7, 'E "D2 mark"'),
     'D2 does not apply to applicant A1 (current_rank is one of "Constable", "Detective '
     "Constable\"), so it is not marked; expected a blank cell or 'does not apply'"),
    ([["A2", "Some", "Good", "None", DOES_NOT_APPLY]], "missing-mark", (7, 'E "D2 mark"'),
     "D2 says 'does not apply', but it applies to applicant A2; expected a mark, one of "
     '"No" (0), "Yes" (1); also "n", "false", "y", "true"'),
    ([["", "Some", "", "", ""]], "missing-value", (7, 'A "Applicant ID"'),
     "has marks but no applicant id; expected the applicant's id"),
])
def test_row_problems_are_located(apps: Applications, tmp_path: Path, rows: list[list[str]],
                                  type_: str, where: tuple[int, str], message: str) -> None:
    path = write_marks(tmp_path / "ann.xlsx", rows, header=HEADER)
    with pytest.raises(MarksError) as exc:
        load_panel(apps, [path])
    p = _only(exc, type_)
    assert (p.sheet, p.row, p.column) == ("Marks", *where)
    assert p.message == message


def test_every_problem_is_reported_together(apps: Applications, tmp_path: Path) -> None:
    a = write_marks(tmp_path / "ann.xlsx", [["Z1", "Some", "Good", "None", ""],
                                            ["A1", "Lots", "Good", "None", ""]], header=HEADER)
    b = write_marks(tmp_path / "bob.xlsx", [["Z2", "Some", "Good", "None", ""]],
                    header=HEADER, assessor="Bob")
    with pytest.raises(MarksError) as exc:
        load_panel(apps, [a, b])
    assert sorted(p.type for p in problems_of(exc)) == ["unknown-applicant",
                                                        "unknown-applicant", "unknown-mark"]


def test_wrong_role_and_missing_columns(apps: Applications, tmp_path: Path) -> None:
    other = write_marks(tmp_path / "other.xlsx", [["A1", "Some", "Good", "None", ""]],
                        header=HEADER, role_id="secou-ds")
    with pytest.raises(MarksError) as exc:
        load_panel(apps, [other])
    assert _only(exc, "wrong-role").message.startswith(
        "is a marking sheet for role 'secou-ds'; expected role 'test-ds'")
    short = write_marks(tmp_path / "short.xlsx", [["A1", "Some", "Good"]],
                        header=["Applicant ID", "E1 mark", "E2 mark"])
    with pytest.raises(MarksError) as exc:
        load_panel(apps, [short])
    assert _only(exc, "missing-column").message == (
        "has no column for D1, D2; expected a column per marked criterion on every "
        "assessor's sheet")
    # An agreed sheet need only have the columns it agrees marks for.
    full = write_marks(tmp_path / "ann.xlsx", [["A1", "Some", "Good", "None", ""]],
                       header=HEADER)
    panel = load_panel(apps, [full], agreed=short)
    assert panel.agreed_sheet is not None and panel.agreed_sheet.columns.keys() == {"E1", "E2"}


def test_a_criterion_with_no_evidence_is_not_marked(apps: Applications, tmp_path: Path) -> None:
    path = write_marks(tmp_path / "ann.xlsx", [["A1", "Yes", "Some", "Good", "None", ""]],
                       header=["Applicant ID", "G1", *HEADER[1:]])
    with pytest.raises(MarksError) as exc:
        load_panel(apps, [path])
    p = _only(exc, "unmarked-criterion")
    assert (p.row, p.column) == (6, 'B "G1"')
    assert [c.id for c in marked_criteria(apps.role)] == ["E1", "E2", "D1", "D2"]


@pytest.mark.parametrize("header", [
    ["Candidate number", "E1", "e2 MARK", "D1 - Knowledge of covert tactics", "D2 marks",
     "Comments"],
    ["ID", "E1 score", "E2", "D1", "D2", "Notes"],
])
def test_header_spellings(apps: Applications, tmp_path: Path, header: list[str]) -> None:
    path = write_marks(tmp_path / "ann.xlsx", [["A1", "Some", "Good", "None", "", "fine"]],
                       header=header)
    sheet_read = read_marking_sheet(apps.role, path)
    assert sheet_read.problems == []
    assert list(sheet_read.columns) == ["E1", "E2", "D1", "D2"]
    assert sheet_read.rows[0].comment == "fine"


def test_not_a_marking_sheet_and_file_problems(apps: Applications, tmp_path: Path) -> None:
    path = write_applicants(tmp_path / "more.csv", [passing("A9")])
    assert read_marking_sheet(apps.role, path).problems[0].type == "no-marks-table"
    ann = write_marks(tmp_path / "ann.xlsx", [["A1", "Some", "Good", "None", ""]],
                      header=HEADER)
    with pytest.raises(MarksError) as exc:
        load_panel(apps, [ann, ann, tmp_path / "missing.xlsx"])
    assert sorted(p.type for p in problems_of(exc)) == ["missing-file", "repeated-input"]
    inputs = sorted({str(f) for f in apps.frame["file"]})
    with pytest.raises(MarksError) as exc:
        load_panel(apps, [ann, inputs[0]])
    assert _only(exc, "marks-as-input")
    twin = write_marks(tmp_path / "twin.xlsx", [["A1", "Some", "Good", "None", ""]],
                       header=HEADER, assessor="ann")
    with pytest.raises(MarksError) as exc:
        load_panel(apps, [ann, twin])
    assert _only(exc, "duplicate-assessor").message.startswith(
        "assessor 'ann' also marked")


# ---------------------------------------------------------------------------------------------
# The rules


def test_marks_replace_self_ratings_and_essentials_are_judged_on_them(
        role: Role, tmp_path: Path) -> None:
    sift = panel_sift(role, [passing("A1", E1="Extensive"), passing("A2")], tmp_path,
                      {"A1": {**FULL, "E1": "Limited"}, "A2": {**FULL, "E1": "Substantial"}},
                      {"A1": {**FULL, "E1": "Limited"}, "A2": {**FULL, "E1": "Extensive"}})
    recs = records_by_id(sift)
    a1, a2 = recs["A1"], recs["A2"]
    assert a1["status"] == "failed_essential"
    assert a1["failures"] == [{"criterion": "E1", "reason": 'marked "Limited" (Ann), '
                               '"Limited" (Bob): mean 1, needs "Some" (2 points)'}]
    assert a1["criteria"]["E1"]["rating"] == "Extensive", "the claim is kept"
    assert a1["criteria"]["E1"]["points"] == 1
    assert a2["criteria"]["E1"]["points"] == 3.5
    # (2 × 3.5 + 3 + 0) / 17
    assert a2["score"] == round(100 * 10 / 17, 2) and a2["rank"] == 1


@pytest.mark.parametrize(("combine", "points", "met"), [
    ("mean", 3, True), ("median", 3, True), ("min", 1, False)])
def test_combine_rules_work_on_points(role: Role, tmp_path: Path, combine: str,
                                      points: float, met: bool) -> None:
    """E2's points are 0, 1, 3, 5: Fair (1), Good (3) and Excellent (5) have mean 3,
    median 3 and min 1; the pass level "Good" is 3 points."""
    marks = [{"A1": {**FULL, "E2": e2}} for e2 in ("Fair", "Excellent", "Good")]
    sift = panel_sift(role, [passing("A1")], tmp_path, *marks, combine=combine)
    rec = records_by_id(sift)["A1"]
    assert rec["criteria"]["E2"]["points"] == points
    assert rec["criteria"]["E2"]["met"] is met and rec["essential_met"] is met
    assert rec["criteria"]["E2"]["final"] == {
        "points": points, "level": {1: "Fair", 3: "Good"}[points], "basis": "assessors",
        "combine": combine}


def test_a_mean_between_levels_is_compared_with_the_pass_points(role: Role,
                                                               tmp_path: Path) -> None:
    """Fair (1) and Excellent (5): mean 3 = Good's points, so E2 is met; Fair and Good: mean
    2 < 3, so not."""
    sift = panel_sift(role, [passing("A1"), passing("A2")], tmp_path,
                      {"A1": {**FULL, "E2": "Fair"}, "A2": {**FULL, "E2": "Fair"}},
                      {"A1": {**FULL, "E2": "Excellent"}, "A2": {**FULL, "E2": "Good"}})
    recs = records_by_id(sift)
    assert recs["A1"]["essential_met"] is True
    assert recs["A2"]["essential_met"] is False
    assert recs["A2"]["criteria"]["E2"]["final"]["level"] is None


def test_needs_moderation_is_more_than_one_level_apart(role: Role, tmp_path: Path) -> None:
    sift = panel_sift(role, [passing("A1"), passing("A2"), passing("A3")], tmp_path,
                      {"A1": {**FULL, "E1": "Some"}, "A2": {**FULL, "E1": "Some"},
                       "A3": {**FULL, "E1": "Some"}},
                      {"A1": {**FULL, "E1": "Substantial"}, "A2": {**FULL, "E1": "Extensive"},
                       "A3": {**FULL, "E1": "Extensive"}},
                      agreed={"A3": {"E1": "Substantial"}})
    recs = records_by_id(sift)
    assert recs["A1"]["flags"] == [], "one level apart is ordinary disagreement"
    assert recs["A2"]["flags"] == [{
        "criterion": "E1", "flag": "needs_moderation",
        "detail": 'marks "Some" (Ann), "Extensive" (Bob) are 2 levels apart; agree a mark on '
                  "the agreed sheet"}]
    assert recs["A2"]["shortlisted"] is True, "a flag, not a bar"
    assert recs["A3"]["flags"] == [], "settled by the agreed sheet"
    assert recs["A3"]["criteria"]["E1"]["final"] == {"points": 3, "level": "Substantial",
                                                     "basis": "agreed"}
    assert sift.summary()["needs_moderation"] == 1
    assert sift.panel is not None
    assert [(i, c.id) for i, c in sift.panel.moderation_cells()] == [(1, "E1"), (2, "E1")]


def test_the_agreed_sheet_overrides_cell_by_cell(role: Role, tmp_path: Path) -> None:
    sift = panel_sift(role, [passing("A1")], tmp_path,
                      {"A1": {**FULL, "E1": "Limited", "D1": "Some"}},
                      {"A1": {**FULL, "E1": "Limited", "D1": "Extensive"}},
                      agreed={"A1": {"E1": "Some", "E2": "", "D1": ""}})
    crit = records_by_id(sift)["A1"]["criteria"]
    assert crit["E1"]["points"] == 2 and crit["E1"]["met"] is True
    assert crit["E1"]["final"]["basis"] == "agreed"
    assert crit["D1"]["points"] == 3 and crit["D1"]["final"]["basis"] == "assessors"
    assert crit["E2"]["final"]["basis"] == "assessors"


def test_a_blank_mark_means_not_fully_marked(role: Role, tmp_path: Path) -> None:
    """A1 would be rank 1, but Bob left D1 blank: A1 keeps a provisional rank, is not
    shortlisted, and nobody takes the place (top 1)."""
    sift = panel_sift(role, [passing("A1", D1="Extensive"), passing("A2")], tmp_path,
                      {"A1": {**FULL, "D1": "Extensive"}, "A2": FULL},
                      {"A1": {**FULL, "D1": ""}, "A2": FULL}, top=1)
    recs = records_by_id(sift)
    a1 = recs["A1"]
    assert a1["rank"] == 1 and a1["status"] == "ranked" and a1["shortlisted"] is False
    assert a1["reason"] == ("not fully marked (provisional rank 1): cannot be shortlisted "
                            "until every assessor has marked every criterion")
    assert a1["flags"] == [{"criterion": "D1", "flag": "not_fully_marked",
                            "detail": "no mark from Bob (bob.xlsx)"}]
    assert a1["criteria"]["D1"]["points"] == 4, "the one mark given counts meanwhile"
    assert recs["A2"]["rank"] == 2 and recs["A2"]["shortlisted"] is False
    s = sift.summary()
    assert s["shortlisted"] == 0 and s["not_fully_marked"] == 1
    assert "1 not fully marked (not shortlisted until every assessor has marked them)" in \
        sift.summary_line()


def test_missing_from_a_sheet_means_not_fully_marked_unless_agreed(role: Role,
                                                                  tmp_path: Path) -> None:
    people = [passing("A1"), passing("A2"), passing("A3", E1="Limited")]
    sift = panel_sift(role, people, tmp_path, {"A1": FULL, "A2": FULL}, {"A1": FULL})
    recs = records_by_id(sift)
    assert [f["flag"] for f in recs["A2"]["flags"]] == ["not_fully_marked"] * 3
    assert recs["A2"]["flags"][0]["detail"] == "not on Bob's sheet (bob.xlsx)"
    assert recs["A2"]["criteria"]["E1"]["marks"] == [
        {"file": "ann.xlsx", "assessor": "Ann", "listed": True, "mark": "Some", "points": 2},
        {"file": "bob.xlsx", "assessor": "Bob", "listed": False, "mark": None,
         "points": None}]
    # A3 failed E1 on self-assessment, so no sheet lists them: their rating stands.
    assert recs["A3"]["flags"] == [] and recs["A3"]["status"] == "failed_essential"
    assert recs["A3"]["criteria"]["E1"]["final"] == {"points": 1, "level": "Limited",
                                                     "basis": "self_rating"}
    settled = panel_sift(role, people, tmp_path, {"A1": FULL, "A2": FULL}, {"A1": FULL},
                         agreed={"A2": FULL})
    assert records_by_id(settled)["A2"]["flags"] == []
    assert records_by_id(settled)["A2"]["shortlisted"] is True


def test_sheets_made_with_all_expect_everyone(role: Role, tmp_path: Path) -> None:
    """With --all, A3 (failing E1 on self-assessment) is to be marked: a sheet without A3
    leaves them not fully marked; marked up to "Some" they meet the essentials."""
    people = [passing("A1"), passing("A3", E1="Limited")]
    sift = panel_sift(role, people, tmp_path, {"A1": FULL, "A3": FULL}, {"A1": FULL},
                      scope="all")
    a3 = records_by_id(sift)["A3"]
    assert a3["essential_met"] is True and a3["status"] == "ranked"
    assert {f["flag"] for f in a3["flags"]} == {"not_fully_marked"}
    both = panel_sift(role, people, tmp_path, {"A1": FULL, "A3": FULL},
                      {"A1": FULL, "A3": FULL}, scope="all")
    assert records_by_id(both)["A3"]["status"] == "shortlisted"


def test_a_mark_settles_an_unevidenced_rating(role: Role, tmp_path: Path) -> None:
    unevidenced = passing("A1", E1="Extensive", evidence={"E1": ""})
    plain = run_sift(role, [write_applicants(tmp_path / "u.csv", [unevidenced])])
    assert [f["flag"] for f in records_by_id(plain)["A1"]["flags"]] == ["unevidenced"]
    sift = panel_sift(role, [unevidenced], tmp_path, {"A1": {**FULL, "E1": "None"}},
                      scope="all")
    rec = records_by_id(sift)["A1"]
    assert rec["flags"] == [] and "counted_as" not in rec["criteria"]["E1"]
    assert rec["failures"] == [{"criterion": "E1",
                                "reason": 'marked "None" (Ann), needs "Some" (2 points)'}]


def test_no_marks_no_trail(role: Role, tmp_path: Path) -> None:
    path = write_applicants(tmp_path / "a.csv", [passing("A1")])
    plain, empty = run_sift(role, [path]), run_sift(role, [path], marks=[])
    assert plain.panel is None and empty.panel is None
    data = plain.to_dict()
    assert "panel" not in data and "not_fully_marked" not in data["summary"]
    crit = data["applicants"][0]["criteria"]["E1"]
    assert set(crit) == {"rating", "points", "max", "weight", "met", "words", "applies"}
    assert "assessor_comments" not in data["applicants"][0]
    data.pop("created")
    other = empty.to_dict()
    other.pop("created")
    assert data == other


# ---------------------------------------------------------------------------------------------
# The trail in every output


@pytest.fixture
def moderated(role: Role, tmp_path: Path) -> Sift:
    people = [passing("A1", "Alice", E1="Extensive", D1="Some"),
              passing("A2", "Bob", rank="Constable", D2="Yes"), passing("A3", "Carol"),
              passing("A4", "Dan", E1="Limited")]
    apps = apps_of(role, people, tmp_path)
    ann = sheet(role, {"A1": {**FULL, "E1": "Substantial", "D1": "Some"},
                       "A2": {**FULL, "E1": "Some", "D2": "Yes"}, "A3": FULL},
                assessor="Ann", comments={"A1": "+ strong covert work"})
    bob = sheet(role, {"A1": {**FULL, "E1": "Extensive", "D1": "Limited"},
                       "A2": {**FULL, "E1": "Extensive", "D2": "Yes"},
                       "A3": {**FULL, "D1": ""}}, assessor="Bob")
    agreed = sheet(role, {"A2": {"E1": "Substantial"}}, assessor="Panel", file="agreed.xlsx")
    return sift_applications(apps, panel=match_marks(apps, [ann, bob], agreed))


def test_json_trail(moderated: Sift) -> None:
    data = json.loads(json.dumps(moderated.to_dict()))
    assert data["panel"]["combine"] == "mean"
    assert [m["assessor"] for m in data["panel"]["marks"]] == ["Ann", "Bob"]
    assert data["panel"]["agreed"]["file"] == "agreed.xlsx"
    assert data["summary"]["not_fully_marked"] == 1
    assert data["summary"]["needs_moderation"] == 0
    recs = {r["applicant_id"]: r for r in data["applicants"]}
    e1 = recs["A2"]["criteria"]["E1"]
    assert e1["self_rating"] == "Some" and e1["rating"] == "Some"
    assert [m["mark"] for m in e1["marks"]] == ["Some", "Extensive"]
    assert e1["final"] == {"points": 3, "level": "Substantial", "basis": "agreed"}
    g1 = recs["A1"]["criteria"]["G1"]
    assert g1["marks"] == [] and g1["final"]["basis"] == "self_rating"
    assert recs["A1"]["criteria"]["D2"]["final"] is None, "does not apply"
    assert recs["A1"]["assessor_comments"] == [{"assessor": "Ann",
                                                "comment": "+ strong covert work"}]
    assert recs["A3"]["reason"].startswith("not fully marked")
    assert sorted(recs) == ["A1", "A2", "A3", "A4"], "every applicant exactly once"


def test_csv_trail(moderated: Sift) -> None:
    buf = io.BytesIO()
    write_csv(moderated, buf)
    rows = {r["applicant_id"]: r for r in csv.DictReader(io.StringIO(buf.getvalue().decode()))}
    assert rows["A2"]["E1 marks"] == "Ann: Some; Bob: Extensive; final 3 (agreed)"
    assert rows["A1"]["D1 marks"] == "Ann: Some; Bob: Limited; final 1.5 (mean)"
    assert rows["A4"]["E1 marks"] == "final 1 (self-rating)"
    assert len(rows) == 4


def test_workbook_trail(moderated: Sift, tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    with path.open("wb") as fh:
        write_xlsx(moderated, fh)
    wb = openpyxl.load_workbook(path)
    names = wb.sheetnames
    assert names[names.index("Breakdown") + 1] == "Moderation"
    rows = _cells(wb["Breakdown"])
    head = rows[3]
    assert head[:12] == ["Rank", "Applicant ID", "Name", "Status", "Score", "G1", "E1",
                         "E1 self", "E1 Ann", "E1 Bob", "E1 agreed", "E2"]
    by_id = {r[1]: dict(zip(head, r, strict=True)) for r in rows[4:]}
    assert by_id["A2"]["E1"] == 3 and by_id["A2"]["E1 agreed"] == "Substantial"
    assert (by_id["A2"]["E1 self"], by_id["A2"]["E1 Ann"], by_id["A2"]["E1 Bob"]) == \
        ("Some", "Some", "Extensive")
    assert by_id["A4"]["E1 Ann"] == "not listed" and by_id["A4"]["E1"] == 1
    assert sorted(by_id) == ["A1", "A2", "A3", "A4"]
    text = _cells(wb["Moderation"])
    flat = [[v for v in r if v is not None] for r in text]
    assert ["Marks more than one level apart (1)"] in flat
    assert ["A2", "Bob", "E1", "Some", "Extensive", 2, 3, "Substantial", 3,
            'agreed "Substantial"'] in flat
    assert ["A3", "Carol", "D1", "no mark from Bob (bob.xlsx)"] in flat
    assert ["A1", "Alice", "Ann", "+ strong covert work"] in flat


def test_workbook_without_marks_has_no_moderation_sheet(role: Role, tmp_path: Path) -> None:
    sift = run_sift(role, [write_applicants(tmp_path / "a.csv", [passing("A1")])])
    out = io.BytesIO()
    write_xlsx(sift, out)
    assert "Moderation" not in openpyxl.load_workbook(io.BytesIO(out.getvalue())).sheetnames


def test_explain_tells_the_story(moderated: Sift) -> None:
    data = explain(moderated, "A2")
    rows = {r["criterion"]: r for r in data["criteria"]}
    assert rows["E1"]["marks_text"] == 'marks: "Some" (Ann), "Extensive" (Bob); agreed ' \
                                       '"Substantial"'
    assert rows["E1"]["note"] == 'met (needs "Some", 2 points)'
    assert data["panel"]["combine"] == "mean"
    text = render_explanation(moderated, data)
    assert "Marked by Ann (ann.xlsx), Bob (bob.xlsx); several marks on a criterion are " \
           "combined by the mean of their points." in text
    assert "Agreed marks from agreed.xlsx replace them where given." in text
    assert 'E1  essential  self "Some"' in text
    assert 'marks: "Some" (Ann), "Extensive" (Bob); agreed "Substantial"' in text
    assert "not marked by the panel (no evidence asked for): the answer stands" in text
    assert "\nRanked 2 of 3. Shortlisted: rank 2 within the top 3.\n" in text
    a3 = render_explanation(moderated, explain(moderated, "A3"))
    assert "Flag D1: not fully marked (no mark from Bob (bob.xlsx))" in a3
    assert ("\nRanked 3 of 3. Not shortlisted: not fully marked (provisional rank 3): cannot "
            "be shortlisted until every assessor has marked every criterion.\n") in a3
    a1 = render_explanation(moderated, explain(moderated, "A1"))
    assert "Comment from Ann: + strong covert work" in a1


def _assert_adds_up(sift: Sift, applicant_id: str) -> None:
    data = explain(sift, applicant_id)
    rec = data["applicant"]
    counted = [r["weighted"] for r in data["criteria"]
               if r["applies"] and r["weight"] > 0]
    total = 0.0
    for w in counted:
        total += w
    assert total == data["weighted_points"], "the rows add up exactly"
    if rec["score"] is not None and data["weighted_max"] == 0:
        assert rec["score"] == 0, "nothing scored applies"
    elif rec["score"] is not None:
        assert round(100 * data["weighted_points"] / data["weighted_max"], 2) == rec["score"]
        exact = sift.col("score")[sift.index_of(applicant_id)]
        assert 100 * data["weighted_points"] / data["weighted_max"] == exact


def test_explained_points_add_up_exactly_with_thirds(role: Role, tmp_path: Path) -> None:
    """Three assessors' mean is in thirds of a point: the explained rows still add up to the
    score exactly."""
    marks = [{"A1": {**FULL, "E1": e1, "D1": d1}}
             for e1, d1 in (("Some", "Limited"), ("Some", "Some"), ("Substantial", "Some"))]
    sift = panel_sift(role, [passing("A1")], tmp_path, *marks)
    assert sift.col("points:E1")[0] == 7 / 3
    assert records_by_id(sift)["A1"]["criteria"]["E1"]["points"] == 2.33333
    _assert_adds_up(sift, "A1")


# ---------------------------------------------------------------------------------------------
# Properties


PROPERTY = settings(max_examples=30, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


def _panel_for(spec: RoleSpec, sift: Sift, data: st.DataObject, at_pass: bool
               ) -> tuple[list[Any], str]:
    """1-3 assessors marking every applicable marked criterion of every valid applicant:
    essentials at their pass level (or, unless `at_pass`, anywhere from it up), desirables
    anywhere."""
    role = sift.role
    valid = sift.col("valid").astype(bool)
    ids = [str(x) for x in sift.field("applicant_id")]
    keep = [i for i in range(len(ids)) if valid[i]]
    applies = {c.id: sift.col(f"applies:{c.id}") for c in marked_criteria(role)}
    sheets = []
    for k in range(data.draw(st.integers(1, 3), label="assessors")):
        marks: dict[str, dict[str, str]] = {}
        for i in keep:
            row = {}
            for c in marked_criteria(role):
                if not applies[c.id][i]:
                    continue
                low = c.pass_index if c.pass_index is not None else 0
                high = low if (at_pass and c.pass_index is not None) else len(c.scale.levels) - 1
                row[c.id] = c.scale.levels[data.draw(st.integers(low, high))]
            marks[ids[i]] = row
        sheets.append(sheet(role, marks, assessor=f"Assessor {k}", scope="all"))
    return sheets, data.draw(st.sampled_from(["mean", "median", "min"]), label="combine")


def _self_met_unmarked(sift: Sift, i: int) -> bool:
    """Whether applicant i meets the essentials nobody marks (no evidence asked)."""
    return all(bool(sift.col(f"met:{c.id}")[i]) for c in sift.role.essentials
               if c.evidence == "none")


@PROPERTY
@given(scenarios(), st.data())
def test_marking_every_criterion_at_its_pass_level_meets_every_essential(
        scenario: tuple[RoleSpec, list[Any]], data: st.DataObject) -> None:
    spec, people = scenario
    with tempfile.TemporaryDirectory() as d:
        plain = run(spec, people, Path(d))
        sheets, combine = _panel_for(spec, plain, data, at_pass=data.draw(st.booleans()))
        sift = sift_applications(plain.apps, panel=match_marks(plain.apps, sheets, None,
                                                               combine))
        valid = sift.col("valid").astype(bool)
        for i in range(len(valid)):
            if not valid[i]:
                continue
            assert not sift.col("not_fully_marked")[i]
            for c in marked_criteria(sift.role):
                if c.essential:
                    assert sift.col(f"met:{c.id}")[i], (c.id, sift.record(i))
            assert bool(sift.col("essential_met")[i]) == _self_met_unmarked(plain, i)
        assert sorted(r["source"]["row"] for r in sift.records()) == \
            list(range(2, len(people) + 2)), "every applicant exactly once"


def _exact_final(c: Any, levels: list[int], combine: str) -> Fraction:
    pts = [Fraction(c.scale.points[lv]).limit_denominator() for lv in levels]
    if combine == "mean":
        return sum(pts, Fraction(0)) / len(pts)
    if combine == "median":
        return Fraction(statistics.median(pts))
    return min(pts)


@PROPERTY
@given(scenarios(), st.data())
def test_explained_points_add_up_exactly_to_the_score(
        scenario: tuple[RoleSpec, list[Any]], data: st.DataObject) -> None:
    spec, people = scenario
    with tempfile.TemporaryDirectory() as d:
        plain = run(spec, people, Path(d))
        sheets, combine = _panel_for(spec, plain, data, at_pass=False)
        panel = match_marks(plain.apps, sheets, None, combine)
        sift = sift_applications(plain.apps, panel=panel)
        valid = sift.col("valid").astype(bool)
        ids = [str(x) for x in sift.field("applicant_id")]
        for i in range(len(ids)):
            if not valid[i]:
                continue
            _assert_adds_up(sift, ids[i])
            # …and the score is what exact arithmetic on the marks gives.
            num = den = Fraction(0)
            for c in sift.role.criteria:
                if not sift.col(f"applies:{c.id}")[i] or c.weight == 0:
                    continue
                cm = panel.criterion(c.id)
                if cm is not None:
                    levels = [int(lv) for lv in cm.levels[:, i] if lv >= 0]
                    pts = _exact_final(c, levels, combine)
                else:
                    pts = Fraction(float(sift.col(f"points:{c.id}")[i])).limit_denominator()
                num += Fraction(c.weight).limit_denominator() * pts
                den += Fraction(c.weight).limit_denominator() * \
                    Fraction(c.scale.max_points).limit_denominator()
            exact = 100 * num / den if den else Fraction(0)
            assert abs(float(exact) - float(sift.col("score")[i])) < 1e-9


def test_same_marks_same_output(role: Role, tmp_path: Path) -> None:
    a = panel_sift(role, [passing("A1"), passing("A2")], tmp_path,
                   {"A1": FULL, "A2": {**FULL, "E1": "Extensive"}}, {"A1": FULL})
    b = panel_sift(role, [passing("A1"), passing("A2")], tmp_path,
                   {"A1": FULL, "A2": {**FULL, "E1": "Extensive"}}, {"A1": FULL})
    da, db = a.to_dict(), b.to_dict()
    da.pop("created")
    db.pop("created")
    assert json.dumps(da) == json.dumps(db)
