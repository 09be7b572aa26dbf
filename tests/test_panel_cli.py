"""A complete panel round from the command line: the marking template, two assessors' sheets
filled in by code, an agreed sheet, and the ranking, explanation and workbook that result;
with the exact error messages and usage errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner, Result

from shortlist.cli import app

from .conftest import passing, write_applicants, write_role
from .marking import fill

runner = CliRunner()
FULL = {"E1": "Some", "E2": "Good", "D1": "None"}


def invoke(*args: Any) -> Result:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """roles/test-ds.toml and apps/a.csv: A1-A4 meet the essentials on self-assessment (A4 a
    Constable, so D2 applies), A5 fails E1; the working directory."""
    (tmp_path / "roles").mkdir()
    write_role(tmp_path / "roles")
    write_applicants(tmp_path / "apps" / "a.csv", [
        passing("A1", "Alice Aardvark", E1="Extensive", D1="Some"),
        passing("A2", "Bob Badger", E1="Substantial"),
        passing("A3", "Carol Crow", D1="Extensive"),
        passing("A4", "Dan Dormouse", rank="Constable", D2="Yes"),
        passing("A5", "Eve Eagle", E1="Limited"),
    ])
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHORTLIST_ROLES", raising=False)
    return tmp_path


def ok(result: Result) -> Result:
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result


def rank_json(*args: Any) -> dict[str, Any]:
    result = ok(invoke("rank", "test-ds", "apps", "--format", "json", *args))
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def by_id(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["applicant_id"]: r for r in data["applicants"]}


ANN = {"A1": {**FULL, "E1": "Substantial", "D1": "Some"},
       "A2": {**FULL, "E1": "Some"},
       "A3": {**FULL, "D1": "Extensive"},
       "A4": {**FULL, "E1": "Some", "D2": "Yes"}}
BOB = {"A1": {**FULL, "E1": "Extensive", "D1": "Some"},
       "A2": {**FULL, "E1": "Limited"},
       "A3": {**FULL, "D1": ""},  # not marked yet
       "A4": {**FULL, "E1": "Extensive", "D2": "Yes"}}


@pytest.fixture
def marked(workdir: Path) -> Path:
    """The template, Ann's and Bob's sheets filled in."""
    result = ok(invoke("template", "test-ds", "--layout", "marking", "-o", "marks.xlsx", "apps"))
    assert result.stderr == ("Wrote marks.xlsx (marking sheet for test-ds: 4 applicants "
                             "meeting every essential criterion on self-assessment, "
                             "name-blind).\n")
    fill(workdir / "marks.xlsx", workdir / "ann.xlsx", ANN, assessor="Ann",
         comments={"A2": "E1 example is thin"})
    fill(workdir / "marks.xlsx", workdir / "bob.xlsx", BOB, assessor="Bob")
    return workdir


def test_a_complete_panel_round(marked: Path) -> None:
    # 1. The assessors' marks: A2 marked below "Some" on E1 (mean of Some and Limited = 1.5),
    #    A3 not fully marked, A4's E1 marks two levels apart.
    first = rank_json("--marks", "ann.xlsx", "--marks", "bob.xlsx")
    recs = by_id(first)
    assert recs["A2"]["status"] == "failed_essential"
    assert recs["A2"]["failures"] == [{"criterion": "E1", "reason": 'marked "Some" (Ann), '
                                       '"Limited" (Bob): mean 1.5, needs "Some" (2 points)'}]
    assert recs["A3"]["shortlisted"] is False and recs["A3"]["rank"] is not None
    assert recs["A3"]["flags"] == [{"criterion": "D1", "flag": "not_fully_marked",
                                    "detail": "no mark from Bob (bob.xlsx)"}]
    assert recs["A4"]["flags"][0]["flag"] == "needs_moderation"
    assert recs["A5"]["status"] == "failed_essential", "not on the sheets: the claim stands"
    assert first["summary"]["not_fully_marked"] == 1
    assert first["summary"]["needs_moderation"] == 1
    assert recs["A2"]["assessor_comments"] == [{"assessor": "Ann",
                                                "comment": "E1 example is thin"}]

    # 2. Moderation: the panel agrees A2's E1 at "Some", A4's E1 at "Substantial", and marks
    #    A3's D1 — on a sheet made from the same template.
    ok(invoke("template", "test-ds", "--layout", "marking", "-o", "blank.xlsx", "apps",
              "--assessor", "Moderation panel"))
    fill(marked / "blank.xlsx", marked / "agreed.xlsx",
         {"A2": {"E1": "Some"}, "A3": {"D1": "Substantial"}, "A4": {"E1": "Substantial"}})
    final = rank_json("-m", "ann.xlsx", "-m", "bob.xlsx", "--agreed", "agreed.xlsx")
    recs = by_id(final)
    assert final["panel"]["agreed"]["assessor"] == "Moderation panel"
    assert final["summary"]["not_fully_marked"] == 0
    assert final["summary"]["needs_moderation"] == 0
    assert all(r["flags"] == [] for r in recs.values())
    assert recs["A2"]["status"] in ("ranked", "shortlisted")
    e1 = recs["A4"]["criteria"]["E1"]
    assert e1["self_rating"] == "Some"
    assert [(m["assessor"], m["mark"]) for m in e1["marks"]] == [("Ann", "Some"),
                                                                  ("Bob", "Extensive")]
    assert e1["final"] == {"points": 3, "level": "Substantial", "basis": "agreed"}
    # A1: E1 mean (3+4)/2 = 3.5, E2 3, D1 2: (7 + 3 + 2) / 17
    assert recs["A1"]["score"] == round(100 * 12 / 17, 2) and recs["A1"]["rank"] == 1
    assert [r["applicant_id"] for r in final["applicants"]] == ["A1", "A3", "A4", "A2", "A5"]
    assert [r["shortlisted"] for r in final["applicants"]] == [True, True, True, False, False]

    # 3. The workbook: Breakdown with the trail, Moderation listing the agreed cell.
    ok(invoke("rank", "test-ds", "apps", "-m", "ann.xlsx", "-m", "bob.xlsx", "--agreed",
              "agreed.xlsx", "-o", "panel.xlsx"))
    wb = openpyxl.load_workbook(marked / "panel.xlsx")
    head = [c.value for c in wb["Breakdown"][4]]
    assert head[5:12] == ["G1", "E1", "E1 self", "E1 Ann", "E1 Bob", "E1 agreed", "E2"]
    moderation = [[v for v in r if v is not None]
                  for r in wb["Moderation"].iter_rows(values_only=True)]
    assert ["A4", "Dan Dormouse", "E1", "Some", "Extensive", 2, 3, "Substantial", 3,
            'agreed "Substantial"'] in moderation

    # 4. One applicant's story, as text and as the same data in JSON.
    text = ok(invoke("explain", "test-ds", "apps", "-a", "A4", "-m", "ann.xlsx", "-m",
                     "bob.xlsx", "--agreed", "agreed.xlsx")).stdout
    assert 'marks: "Some" (Ann), "Extensive" (Bob); agreed "Substantial"' in text
    assert "Score: 100 × " in text
    data = json.loads(ok(invoke("explain", "test-ds", "apps", "-a", "A4", "-m", "ann.xlsx",
                                "-m", "bob.xlsx", "--agreed", "agreed.xlsx", "--format",
                                "json")).stdout)
    assert data["applicant"]["criteria"]["E1"]["final"]["basis"] == "agreed"
    assert data["decision"] in text
    assert round(100 * data["weighted_points"] / data["weighted_max"], 2) == \
        data["applicant"]["score"]


def test_impact_on_the_panels_marks(marked: Path) -> None:
    """The report measures the shortlist the panel's marks make: on self-assessment A1-A4
    (all Female) meet the essentials; on the marks A2 fails E1 and A3 awaits a mark."""
    def female(*args: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        data = json.loads(ok(invoke("impact", "test-ds", "apps", "--format", "json",
                                    *args)).stdout)
        return data, data["impact"]["fields"][0]["groups"][0]

    plain, self_assessed = female()
    assert "panel" not in plain and self_assessed["met_essentials"]["count"] == 4
    marks = ["--marks", "ann.xlsx", "--marks", "bob.xlsx"]
    data, marked_group = female(*marks, "--combine", "mean")
    assert data["panel"]["combine"] == "mean"
    assert [m["assessor"] for m in data["panel"]["marks"]] == ["Ann", "Bob"]
    assert marked_group["group"] == "Female" and marked_group["applied"] == 5
    assert marked_group["met_essentials"]["count"] == 3
    shortlisted = rank_json(*marks)["summary"]["shortlisted"]
    assert marked_group["shortlisted"]["count"] == shortlisted == 2
    assert any("not fully marked" in n for n in data["impact"]["notes"])
    ok(invoke("template", "test-ds", "--layout", "marking", "-o", "blank.xlsx", "apps"))
    fill(marked / "blank.xlsx", marked / "agreed.xlsx", {"A3": {"D1": "Substantial"}})
    agreed, final = female(*marks, "--agreed", "agreed.xlsx")
    assert agreed["panel"]["agreed"]["file"] == "agreed.xlsx"
    assert final["shortlisted"]["count"] == 3 and agreed["impact"]["notes"] == []
    table = ok(invoke("impact", "test-ds", "apps", *marks)).stdout
    assert "Sex (sex)" in table
    refused = invoke("impact", "test-ds", "apps", *marks, "--format", "json", "-o",
                     "bob.xlsx", "--force")
    assert refused.exit_code == 1 and "is one of the inputs" in refused.stderr


@pytest.mark.parametrize("combine", ["mean", "median", "min"])
def test_combine_option(marked: Path, combine: str) -> None:
    data = rank_json("-m", "ann.xlsx", "-m", "bob.xlsx", "--combine", combine)
    recs = by_id(data)
    assert data["panel"]["combine"] == combine
    assert recs["A2"]["status"] == "failed_essential", "Some and Limited: 1.5, 1.5 or 1"
    expected = {"mean": 3.5, "median": 3.5, "min": 3}[combine]
    assert recs["A1"]["criteria"]["E1"]["points"] == expected


def test_template_with_all_and_names(workdir: Path) -> None:
    result = ok(invoke("template", "test-ds", "--layout", "marking", "-o", "all.xlsx", "apps",
                       "--all", "--names"))
    assert "5 valid applicants" in result.stderr and "name-blind" not in result.stderr
    ws = openpyxl.load_workbook(workdir / "all.xlsx")["Marks"]
    assert [ws.cell(r, 2).value for r in range(8, 13)] == [
        "Alice Aardvark", "Bob Badger", "Carol Crow", "Dan Dormouse", "Eve Eagle"]


def test_unknown_applicant_in_a_marking_sheet_is_a_located_error(marked: Path) -> None:
    wb = openpyxl.load_workbook(marked / "ann.xlsx")
    wb["Marks"]["A9"] = "Z9"
    wb.save(marked / "ann.xlsx")
    result = invoke("rank", "test-ds", "apps", "-m", "ann.xlsx", "-m", "bob.xlsx")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: the marking sheets have 1 problem(s):\n"
                                    "  ann.xlsx, sheet 'Marks', row 9, column A \"Applicant "
                                    "ID\": applicant id 'Z9' is not in the applications (5 "
                                    "read from apps/a.csv); expected an id from the inputs")
    assert "No ranking was made: fix the marking sheets and run again." in result.stderr


def test_unknown_mark_is_a_located_error(marked: Path) -> None:
    wb = openpyxl.load_workbook(marked / "bob.xlsx")
    wb["Marks"]["C8"] = "Brilliant"
    wb.save(marked / "bob.xlsx")
    result = invoke("explain", "test-ds", "apps", "-a", "A1", "-m", "ann.xlsx", "-m",
                    "bob.xlsx")
    assert result.exit_code == 1
    assert "bob.xlsx, sheet 'Marks', row 8, column C \"E2 mark\": E2 mark 'Brilliant' is not " \
           'on the grade scale; expected one of "Poor" (0), "Fair" (1), "Good" (3), ' \
           '"Excellent" (5); also "ok"' in result.stderr


@pytest.mark.parametrize(("args", "message"), [
    (["rank", "test-ds", "apps", "--agreed", "a.xlsx"],
     "Error: --agreed needs the assessors' marking sheets: add --marks FILE for each"),
    (["rank", "test-ds", "apps", "--combine", "min"],
     "Error: --combine needs the assessors' marking sheets: add --marks FILE for each"),
    (["impact", "test-ds", "apps", "--agreed", "a.xlsx"],
     "Error: --agreed needs the assessors' marking sheets: add --marks FILE for each"),
    (["template", "test-ds", "--layout", "marking", "-o", "m.xlsx"],
     "Error: --layout marking needs the applications to mark: add INPUT files or folders"),
    (["template", "test-ds", "-o", "m.xlsx", "apps"],
     "Error: INPUT, --all, --names and --assessor are for --layout marking"),
])
def test_usage_errors(workdir: Path, args: list[str], message: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert result.stderr.strip() == message


def test_outputs_never_overwrite_a_marking_sheet(marked: Path) -> None:
    before = (marked / "ann.xlsx").read_bytes()
    result = invoke("rank", "test-ds", "apps", "-m", "ann.xlsx", "-m", "bob.xlsx", "-o",
                    "ann.xlsx", "--force")
    assert result.exit_code == 1
    assert "is one of the inputs" in result.stderr
    assert (marked / "ann.xlsx").read_bytes() == before


def test_a_marking_sheet_given_as_an_input(marked: Path) -> None:
    result = invoke("rank", "test-ds", "apps", "ann.xlsx", "-m", "ann.xlsx")
    assert result.exit_code == 1
    assert "Traceback" not in result.output


def test_no_marks_output_is_unchanged(workdir: Path) -> None:
    data = rank_json()
    assert "panel" not in data
    assert all("self_rating" not in c for r in data["applicants"]
               for c in r["criteria"].values())
