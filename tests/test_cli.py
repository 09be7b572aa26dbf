"""The command line, through Typer's CliRunner: outputs, formats, exit codes and messages."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import typer
from typer.testing import CliRunner, Result

from shortlist.cli import app
from shortlist.role import load_role

from .conftest import (
    REPO,
    criterion,
    passing,
    role_data,
    write_applicants,
    write_role,
)

runner = CliRunner()

NAMES = {"A1": "Alice Aardvark", "A2": "Bob Badger", "A3": "Carol Crow", "A4": "Dan Dormouse"}


def invoke(*args: Any, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(app, [str(a) for a in args], env=env)


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with roles/test-ds.toml and a.csv (A1 shortlisted, A2 ranked, A3 failed, A4
    invalid), as the working directory."""
    (tmp_path / "roles").mkdir()
    write_role(tmp_path / "roles")
    write_applicants(tmp_path / "a.csv", [
        passing("A1", NAMES["A1"], E1="Extensive", E2="Excellent", D1="Some"),
        passing("A2", NAMES["A2"]),
        passing("A3", NAMES["A3"], E1="Limited"),
        passing("A4", NAMES["A4"], E2="Superb"),
    ])
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHORTLIST_ROLES", raising=False)
    return tmp_path


def rank_json(*args: Any) -> dict[str, Any]:
    result = invoke("rank", "test-ds", "a.csv", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def assert_clean(result: Result) -> None:
    """No traceback, and any exception is just the exit."""
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)


# ---------------------------------------------------------------------------------------------
# rank: the terminal table


def test_rank_prints_a_table(workdir: Path) -> None:
    result = invoke("rank", "test-ds", "a.csv", "--top", "1")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("Test Detective Sergeant (test-ds)\n")
    for heading in ("Rank", "ID", "Name", "Score", "Desirable", "Status"):
        assert heading in out
    lines = out.splitlines()
    row_of = {aid: next(i for i, ln in enumerate(lines) if f" {aid} " in ln) for aid in NAMES}
    assert row_of["A1"] < row_of["A2"] < row_of["A3"] < row_of["A4"]
    assert "88.24" in lines[row_of["A1"]] and "shortlisted" in lines[row_of["A1"]]
    assert "ranked" in lines[row_of["A2"]]
    assert "failed essential" in lines[row_of["A3"]]
    assert 'E1: rated "Limited", needs "Some"' in out
    assert "invalid" in lines[row_of["A4"]]
    assert ("\n4 applicants: 2 ranked, 1 failed an essential criterion, 1 invalid; 1 "
            "shortlisted (top 1).\n\nRun record: shortlist 0.1.0, created ") in out
    # The run record is the footer, ending with what was found in the inputs.
    assert out.rstrip().endswith("include_evidence no\n  problems in the inputs: 1 error(s), "
                                 "0 warning(s); run `shortlist check` for each with its "
                                 "location")
    # Messages go to stderr, never into the data.
    assert "Warning: 1 applicant(s) are invalid" in result.stderr
    assert "Warning" not in out


def test_rank_by_role_path_and_by_shortlist_roles(workdir: Path, tmp_path: Path) -> None:
    by_path = invoke("rank", "roles/test-ds.toml", "a.csv", "--format", "json")
    assert by_path.exit_code == 0, by_path.output
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    os.rename(workdir / "roles", elsewhere / "roles")
    assert invoke("rank", "test-ds", "a.csv").exit_code == 1
    by_env = invoke("rank", "test-ds", "a.csv", "--format", "json",
                    env={"SHORTLIST_ROLES": str(elsewhere / "roles")})
    assert by_env.exit_code == 0, by_env.output
    assert json.loads(by_env.stdout)["summary"] == json.loads(by_path.stdout)["summary"]


# ---------------------------------------------------------------------------------------------
# rank: JSON, the stable contract

SPEC_TOP = {"shortlist_version", "role", "inputs", "options", "summary", "applicants"}
SPEC_ROLE = {"id", "title", "file", "sha256"}
SPEC_INPUT = {"file", "sha256", "applicants"}
SPEC_OPTIONS = {"top", "min_score", "anonymise"}
SPEC_SUMMARY = {"applicants", "ranked", "failed_essential", "invalid", "shortlisted"}
SPEC_APPLICANT = {"applicant_id", "name", "rank", "score", "desirable_score", "essential_met",
                  "shortlisted", "status", "failures", "flags", "errors", "criteria", "source"}
SPEC_CRITERION = {"rating", "points", "max", "weight", "met", "words"}
SPEC_ERROR = {"file", "sheet", "row", "column", "message"}


def test_json_has_the_spec_keys(workdir: Path) -> None:
    data = rank_json()
    assert set(data) >= SPEC_TOP
    assert set(data["role"]) == SPEC_ROLE
    assert data["role"]["id"] == "test-ds"
    assert data["role"]["title"] == "Test Detective Sergeant"
    assert data["role"]["file"] == "roles/test-ds.toml"
    role_bytes = (workdir / "roles" / "test-ds.toml").read_bytes()
    assert data["role"]["sha256"] == hashlib.sha256(role_bytes).hexdigest()
    assert data["shortlist_version"] == "0.1.0"
    [inp] = data["inputs"]
    assert set(inp) == SPEC_INPUT
    assert inp == {"file": "a.csv", "applicants": 4,
                   "sha256": hashlib.sha256((workdir / "a.csv").read_bytes()).hexdigest()}
    assert set(data["options"]) >= SPEC_OPTIONS
    assert data["options"]["top"] == 3 and data["options"]["min_score"] == 0
    assert data["options"]["anonymise"] is False
    assert set(data["summary"]) >= SPEC_SUMMARY
    assert {k: data["summary"][k] for k in SPEC_SUMMARY} == {
        "applicants": 4, "ranked": 2, "failed_essential": 1, "invalid": 1, "shortlisted": 2}
    statuses = []
    for rec in data["applicants"]:
        assert set(rec) >= SPEC_APPLICANT, set(rec) ^ SPEC_APPLICANT
        assert set(rec["source"]) == {"file", "sheet", "row"}
        assert rec["source"]["file"] == "a.csv" and isinstance(rec["source"]["row"], int)
        assert set(rec["criteria"]) == {"G1", "E1", "E2", "D1", "D2"}
        for crit in rec["criteria"].values():
            assert set(crit) >= SPEC_CRITERION
        for f in rec["failures"]:
            assert set(f) == {"criterion", "reason"}
        for f in rec["flags"]:
            assert set(f) == {"criterion", "flag", "detail"}
        for e in rec["errors"]:
            assert set(e) >= SPEC_ERROR
        assert rec["status"] in {"shortlisted", "ranked", "failed_essential", "invalid"}
        statuses.append(rec["status"])
    assert statuses == ["shortlisted", "shortlisted", "failed_essential", "invalid"]


def test_json_values(workdir: Path) -> None:
    recs = {r["applicant_id"]: r for r in rank_json()["applicants"]}
    a1 = recs["A1"]
    assert a1["name"] == NAMES["A1"]
    assert (a1["rank"], a1["score"], a1["desirable_score"]) == (1, 88.24, 50.0)
    assert a1["essential_met"] is True and a1["shortlisted"] is True
    assert a1["criteria"]["E1"]["rating"] == "Extensive"
    assert {k: a1["criteria"]["E1"][k] for k in SPEC_CRITERION} == {
        "rating": "Extensive", "points": 4, "max": 4, "weight": 2, "met": True, "words": 8}
    assert a1["source"] == {"file": "a.csv", "sheet": None, "row": 2}
    a3 = recs["A3"]
    assert a3["rank"] is None and a3["status"] == "failed_essential"
    assert a3["failures"] == [{"criterion": "E1", "reason": 'rated "Limited", needs "Some"'}]
    a4 = recs["A4"]
    assert a4["rank"] is None and a4["score"] is None and a4["status"] == "invalid"
    [err] = a4["errors"]
    assert {k: err[k] for k in SPEC_ERROR} == {
        "file": "a.csv", "sheet": None, "row": 5, "column": "E2 rating",
        "message": err["message"]}
    assert "'Superb'" in err["message"]


def test_json_scores_are_rounded_numbers(workdir: Path) -> None:
    for rec in rank_json()["applicants"]:
        for key in ("score", "desirable_score"):
            value = rec[key]
            assert value is None or (isinstance(value, int | float) and round(value, 2) == value)


def test_json_options(workdir: Path) -> None:
    data = rank_json("--top", "1", "--min-score", "50")
    assert data["options"]["top"] == 1
    assert data["options"]["min_score"] == 50
    assert data["summary"]["shortlisted"] == 1


def test_json_goes_to_stdout_alone(workdir: Path) -> None:
    result = invoke("rank", "test-ds", "a.csv", "--format", "json")
    json.loads(result.stdout)
    assert "Warning" in result.stderr


# ---------------------------------------------------------------------------------------------
# rank: output files


@pytest.mark.parametrize(("name", "kind"), [("out.json", "json"), ("out.csv", "csv"),
                                            ("out.txt", "table"), ("OUT.JSON", "json")])
def test_format_follows_the_output_suffix(workdir: Path, name: str, kind: str) -> None:
    result = invoke("rank", "test-ds", "a.csv", "-o", name)
    assert result.exit_code == 0, result.output
    assert result.stdout == "", "data goes to the file"
    assert f"Wrote {name} ({kind})" in result.stderr
    text = (workdir / name).read_text(encoding="utf-8")
    if kind == "json":
        assert json.loads(text)["summary"]["applicants"] == 4
    elif kind == "csv":
        rows = list(csv.DictReader(io.StringIO(text)))
        assert [r["applicant_id"] for r in rows] == ["A1", "A2", "A3", "A4"]
        assert [r["status"] for r in rows] == ["shortlisted", "shortlisted", "failed_essential",
                                               "invalid"]
    else:
        assert text.startswith("Test Detective Sergeant (test-ds)")


def test_format_option_wins_over_suffix(workdir: Path) -> None:
    result = invoke("rank", "test-ds", "a.csv", "-o", "out.txt", "--format", "json")
    assert result.exit_code == 0, result.output
    assert json.loads((workdir / "out.txt").read_text(encoding="utf-8"))["role"]["id"] == \
        "test-ds"


def test_xlsx_output(workdir: Path) -> None:
    import openpyxl

    result = invoke("rank", "test-ds", "a.csv", "-o", "panel.xlsx")
    assert result.exit_code == 0, result.output
    wb = openpyxl.load_workbook(workdir / "panel.xlsx")
    text = " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
                    if c.value is not None)
    for aid in NAMES:
        assert aid in text


def test_xlsx_without_output_is_a_usage_error(workdir: Path) -> None:
    result = invoke("rank", "test-ds", "a.csv", "--format", "xlsx")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Error: --format xlsx needs an output file" in result.stderr


def test_unknown_output_suffix_is_a_usage_error(workdir: Path) -> None:
    result = invoke("rank", "test-ds", "a.csv", "-o", "out.pdf")
    assert result.exit_code == 2
    assert "add --format" in result.stderr
    assert not (workdir / "out.pdf").exists()


def test_existing_output_is_kept_without_force(workdir: Path) -> None:
    out = workdir / "out.json"
    out.write_text("precious", encoding="utf-8")
    before = out.stat().st_mtime_ns
    result = invoke("rank", "test-ds", "a.csv", "-o", "out.json")
    assert result.exit_code == 1
    assert "Error: output out.json already exists; use --force to replace it" in result.stderr
    assert out.read_text(encoding="utf-8") == "precious"
    assert out.stat().st_mtime_ns == before
    assert sorted(p.name for p in workdir.iterdir()) == ["a.csv", "out.json", "roles"], \
        "no temporary file is left behind"


def test_force_replaces_an_existing_output(workdir: Path) -> None:
    out = workdir / "out.json"
    out.write_text("old", encoding="utf-8")
    result = invoke("rank", "test-ds", "a.csv", "-o", "out.json", "--force")
    assert result.exit_code == 0, result.output
    assert json.loads(out.read_text(encoding="utf-8"))["summary"]["applicants"] == 4
    assert sorted(p.name for p in workdir.iterdir()) == ["a.csv", "out.json", "roles"]


@pytest.mark.parametrize("target", ["a.csv", "./a.csv", "apps/b.csv"])
def test_output_that_is_an_input_is_refused(workdir: Path, target: str) -> None:
    write_applicants(workdir / "apps" / "b.csv", [passing("B1")])
    before = {p: p.read_bytes() for p in (workdir / "a.csv", workdir / "apps" / "b.csv")}
    result = invoke("rank", "test-ds", "a.csv", "apps", "-o", target, "--force", "--format",
                    "csv")
    assert result.exit_code == 1
    assert "is one of the inputs" in result.stderr
    assert {p: p.read_bytes() for p in before} == before


@pytest.mark.parametrize("fmt", ["json", "csv", "xlsx", "table"])
def test_output_never_replaces_the_role_file(workdir: Path, fmt: str) -> None:
    role_file = workdir / "roles" / "test-ds.toml"
    before = role_file.read_bytes()
    for role in ("test-ds", "roles/test-ds.toml"):
        result = invoke("rank", role, "a.csv", "-o", "roles/test-ds.toml", "--format", fmt,
                        "--force")
        assert result.exit_code == 1, result.output
        assert "Error: output roles/test-ds.toml is one of the inputs" in result.stderr
        assert role_file.read_bytes() == before
    assert sorted(p.name for p in (workdir / "roles").iterdir()) == ["test-ds.toml"]


def test_csv_run_record_never_replaces_an_input(workdir: Path) -> None:
    # A role file whose name is what the CSV's run record would be called.
    (workdir / "out.csv.run.json").write_bytes((workdir / "roles" / "test-ds.toml").read_bytes())
    before = (workdir / "out.csv.run.json").read_bytes()
    result = invoke("rank", "./out.csv.run.json", "a.csv", "-o", "out.csv", "--force")
    assert result.exit_code == 1, result.output
    assert "Error: output out.csv.run.json is one of the inputs" in result.stderr
    assert (workdir / "out.csv.run.json").read_bytes() == before
    assert not (workdir / "out.csv").exists(), "neither file is written"


def test_output_through_a_link_to_an_input_is_refused(workdir: Path) -> None:
    os.link(workdir / "a.csv", workdir / "link.csv")
    result = invoke("rank", "test-ds", "a.csv", "-o", "link.csv", "--force")
    assert result.exit_code == 1
    assert "is one of the inputs" in result.stderr
    assert (workdir / "link.csv").read_bytes() == (workdir / "a.csv").read_bytes()


def test_template_never_replaces_its_inputs(workdir: Path) -> None:
    from shortlist.templates import write_template

    role = load_role(workdir / "roles" / "test-ds.toml")
    with (workdir / "form.xlsx").open("wb") as fh:
        write_template(role, fh, "form")
    before = (workdir / "form.xlsx").read_bytes()
    result = invoke("template", "test-ds", "--layout", "marking", "-o", "form.xlsx",
                    "form.xlsx", "--force")
    assert result.exit_code == 1
    assert "Error: output form.xlsx is one of the inputs" in result.stderr
    assert (workdir / "form.xlsx").read_bytes() == before


def test_output_into_a_missing_folder(workdir: Path) -> None:
    result = invoke("rank", "test-ds", "a.csv", "-o", "nowhere/out.json")
    assert result.exit_code == 1
    assert "does not exist" in result.stderr
    assert_clean(result)


# ---------------------------------------------------------------------------------------------
# rank: unreadable inputs


def _bad_file(workdir: Path) -> Path:
    bad = workdir / "bad.csv"
    bad.write_bytes(b"\x00\x01\x02 not text")
    return bad


def test_unreadable_input_stops_the_ranking(workdir: Path) -> None:
    _bad_file(workdir)
    result = invoke("rank", "test-ds", "a.csv", "bad.csv")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "Error: 1 input file(s) could not be read" in result.stderr
    assert "bad.csv" in result.stderr
    assert "--skip-unreadable" in result.stderr
    assert_clean(result)


def test_skip_unreadable_ranks_the_rest_and_names_the_file(workdir: Path) -> None:
    _bad_file(workdir)
    result = invoke("rank", "test-ds", "a.csv", "bad.csv", "--skip-unreadable", "--format",
                    "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["summary"]["unreadable_files"] == ["bad.csv"]
    assert data["summary"]["applicants"] == 4
    assert [i["file"] for i in data["inputs"]] == ["a.csv", "bad.csv"]
    assert data["options"]["skip_unreadable"] is True
    assert "skipped unreadable file bad.csv" in result.stderr


def test_missing_input_file(workdir: Path) -> None:
    result = invoke("rank", "test-ds", "a.csv", "missing.csv")
    assert result.exit_code == 1
    assert "Error: input missing.csv does not exist" in result.stderr
    assert_clean(result)


# ---------------------------------------------------------------------------------------------
# rank: warnings about the inputs


def _warned_inputs(workdir: Path, extra_columns: int = 1) -> list[str]:
    """extra.csv with unmatched columns, and sheets.xlsx with a hidden sheet of applicants
    and a rating that is a formula never calculated."""
    path = write_applicants(workdir / "extra.csv", [passing("X1"), passing("X2")])
    text = path.read_text(encoding="utf-8").splitlines()
    heads = [f"Note {k}" for k in range(extra_columns)]
    text = [",".join([text[0], *heads])] + [ln + "," * extra_columns for ln in text[1:]]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    book = write_applicants(workdir / "sheets.xlsx", [passing("S1"), passing("S2")])
    wb = openpyxl.load_workbook(book)
    ws = wb.active
    heads = [c.value for c in ws[1]]
    ws.cell(2, heads.index("D1 rating") + 1).value = '=IF(TRUE,"Some","None")'
    old = wb.copy_worksheet(ws)
    old.title = "Last year"
    old.sheet_state = "hidden"
    wb.save(book)
    return ["extra.csv", "sheets.xlsx"]


@pytest.mark.parametrize("fmt", ["table", "csv", "json", "xlsx"])
def test_rank_shows_the_inputs_warnings(workdir: Path, fmt: str) -> None:
    inputs = _warned_inputs(workdir)
    out = ["-o", f"out.{fmt}"] if fmt == "xlsx" else ["--format", fmt]
    result = invoke("rank", "test-ds", *inputs, *out)
    assert result.exit_code == 0, result.output
    warnings = [ln for ln in result.stderr.splitlines() if ln.startswith("Warning: ")]
    # columns that match nothing are normal in exported forms: one line, `check` names them
    assert "Warning: 1 column(s) match no field or criterion of the role and are not used; " \
        "run `shortlist check` to see which." in warnings
    assert any(ln.startswith("Warning: sheets.xlsx, sheet 'Last year': is hidden")
               for ln in warnings), warnings
    assert any(ln.startswith("Warning: sheets.xlsx, sheet 'Applications'") and "formula" in ln
               for ln in warnings), warnings
    assert "Warning" not in result.stdout


def test_rank_json_lists_the_problems_as_check_does(workdir: Path) -> None:
    inputs = _warned_inputs(workdir)
    data = json.loads(invoke("rank", "test-ds", *inputs, "a.csv", "--format", "json").stdout)
    checked = json.loads(invoke("check", "test-ds", *inputs, "a.csv", "--format",
                                "json").stdout)
    assert data["problems"] == checked["problems"]
    kinds = {(p["type"], p["severity"]) for p in data["problems"]}
    assert {("unmatched-column", "warning"), ("hidden-sheet", "warning"),
            ("formula-cell", "warning"), ("unknown-rating", "error")} <= kinds
    for p in data["problems"]:
        assert set(p) >= {"type", "severity", "file", "sheet", "row", "column", "message"}


def test_many_warnings_are_counted(workdir: Path) -> None:
    inputs = _warned_inputs(workdir, extra_columns=30)
    wb = openpyxl.load_workbook(workdir / "sheets.xlsx")
    for k in range(20):  # 20 more hidden sheets that look like applications: 22 warnings
        wb.copy_worksheet(wb["Last year"]).title = f"Year {k}"
        wb[f"Year {k}"].sheet_state = "hidden"
    wb.save(workdir / "sheets.xlsx")
    result = invoke("rank", "test-ds", *inputs, "--format", "csv", "-o", "out.csv")
    assert result.exit_code == 0, result.output
    warnings = [ln for ln in result.stderr.splitlines() if ln.startswith("Warning: ")]
    assert len(warnings) == 11
    assert warnings[0].startswith("Warning: 30 column(s) match no field or criterion")
    assert warnings[-1] == ("Warning: … and 13 more warning(s) about the inputs; run "
                            "`shortlist check` for every one with its location.")
    record = json.loads((workdir / "out.csv.run.json").read_text(encoding="utf-8"))
    assert len([p for p in record["problems"] if p["severity"] == "warning"]) == 52


# ---------------------------------------------------------------------------------------------
# check


def test_check_clean_input(workdir: Path) -> None:
    write_applicants(workdir / "clean.csv", [passing("A1"), passing("A2")])
    result = invoke("check", "test-ds", "clean.csv")
    assert result.exit_code == 0, result.output
    assert "clean.csv: 2 applicant(s), table layout (utf-8, comma-separated)" in result.stdout
    assert "1 file(s), 2 applicant(s): 0 error(s), 0 warning(s); 0 applicant(s) invalid." in \
        result.stdout


def test_check_reports_located_errors(workdir: Path) -> None:
    result = invoke("check", "test-ds", "a.csv")
    assert result.exit_code == 1
    out = result.stdout
    assert "error" in out and "a.csv" in out
    assert '"E2 rating"' in out
    assert "'Superb'" in out
    assert '"Excellent" (5)' in out, "what would have been accepted"
    line = next(ln for ln in out.splitlines() if "'Superb'" in ln)
    assert " 5 " in line, "the row"
    assert "1 error(s)" in out and "1 applicant(s) invalid" in out


def test_check_names_unmatched_columns_once(workdir: Path) -> None:
    path = write_applicants(workdir / "extra.csv", [passing("A1"), passing("A2")],
                            header=None)
    text = path.read_text(encoding="utf-8").splitlines()
    text = [text[0] + ",Email"] + [ln + ",x@example.org" for ln in text[1:]]
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    result = invoke("check", "test-ds", "extra.csv")
    assert result.exit_code == 0, result.output
    assert result.stdout.count('"Email"') == 1
    assert "matches no field or criterion" in result.stdout


def test_check_json(workdir: Path) -> None:
    _bad_file(workdir)
    result = invoke("check", "test-ds", "a.csv", "bad.csv", "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["summary"] == {"files": 2, "applicants": 4, "invalid_applicants": 1,
                               "unreadable_files": 1, "errors": 2, "warnings": 0}
    by_type = {p["type"]: p for p in data["problems"]}
    assert by_type["unknown-rating"]["file"] == "a.csv"
    assert by_type["unknown-rating"]["row"] == 5
    assert by_type["unknown-rating"]["column"] == "E2 rating"
    assert by_type["unknown-rating"]["column_letter"] is None
    assert by_type["not-a-spreadsheet"]["file"] == "bad.csv"
    assert [i["readable"] for i in data["inputs"]] == [True, False]


def test_check_json_clean(workdir: Path) -> None:
    write_applicants(workdir / "clean.csv", [passing("A1")])
    result = invoke("check", "test-ds", "clean.csv", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["problems"] == []


def test_check_reports_role_problems(workdir: Path) -> None:
    data = role_data()
    criterion(data, "E1")["scale"] = "skill"
    criterion(data, "E2")["pass"] = "Great"
    write_role(workdir / "roles", data, name="broken.toml")
    result = invoke("check", "roles/broken.toml", "a.csv")
    assert result.exit_code == 1
    assert "roles/broken.toml, criterion E1, field 'scale'" in result.stdout
    assert "roles/broken.toml, criterion E2, field 'pass'" in result.stdout
    assert "Error: role file has 2 problem(s)" in result.stderr
    assert_clean(result)


def test_rank_with_a_broken_role(workdir: Path) -> None:
    data = role_data()
    criterion(data, "E1")["weight"] = -1
    write_role(workdir / "roles", data, name="broken.toml")
    result = invoke("rank", "roles/broken.toml", "a.csv")
    assert result.exit_code == 1
    assert "Error: role file has 1 problem(s)" in result.stderr
    assert "criterion E1, field 'weight': is -1; expected a number >= 0" in result.stderr
    assert_clean(result)


# ---------------------------------------------------------------------------------------------
# roles, show, explain


def test_roles_lists_the_known_roles(workdir: Path) -> None:
    result = invoke("roles")
    assert result.exit_code == 0
    assert "test-ds" in result.stdout and "Test Detective Sergeant" in result.stdout


def test_roles_in_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("SHORTLIST_ROLES", raising=False)
    result = invoke("roles")
    assert result.exit_code == 0, result.output
    assert "secou-ds" in result.stdout and "btp-msoct-ds" in result.stdout


def test_roles_without_a_roles_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHORTLIST_ROLES", raising=False)
    result = invoke("roles")
    assert result.exit_code == 1
    assert "Error: no role files" in result.stderr


def test_show_prints_the_criteria(workdir: Path) -> None:
    result = invoke("show", "test-ds")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("Test Detective Sergeant (test-ds)")
    for cid in ("G1", "E1", "E2", "D1", "D2"):
        assert f" {cid} " in out
    assert "Scale grade: Poor < Fair < Good < Excellent (points 0, 1, 3, 5)" in out
    assert "current_rank" in out, "the applies_if condition is shown"


def test_explain_text(workdir: Path) -> None:
    result = invoke("explain", "test-ds", "a.csv", "--applicant", "A3")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith(f"Applicant A3 ({NAMES['A3']})")
    assert "Read from a.csv, row 4" in out
    assert "Score: 100 × 5 / 17 = 29.41" in out
    assert 'Not shortlisted: fails essential criteria — E1: rated "Limited", needs "Some".' \
        in out


def test_explain_json(workdir: Path) -> None:
    result = invoke("explain", "test-ds", "a.csv", "--applicant", "a1", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["applicant"]["applicant_id"] == "A1"
    assert data["weighted_points"] == 15 and data["weighted_max"] == 17
    assert round(100 * data["weighted_points"] / data["weighted_max"], 2) == \
        data["applicant"]["score"]
    assert [r["criterion"] for r in data["criteria"]] == ["G1", "E1", "E2", "D1", "D2"]
    assert data["decision"].startswith("Ranked 1 of 2")


def test_explain_unknown_applicant(workdir: Path) -> None:
    result = invoke("explain", "test-ds", "a.csv", "--applicant", "Z9")
    assert result.exit_code == 1
    assert "Error: no applicant 'Z9' in the inputs" in result.stderr
    assert "A1" in result.stderr, "suggests ids that exist"
    assert_clean(result)


def test_explain_needs_an_applicant(workdir: Path) -> None:
    result = invoke("explain", "test-ds", "a.csv")
    assert result.exit_code == 2
    assert "--applicant" in result.output


# ---------------------------------------------------------------------------------------------
# --anonymise


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_anonymise_leaves_out_names(workdir: Path, fmt: str) -> None:
    result = invoke("rank", "test-ds", "a.csv", "--anonymise", "--format", fmt)
    assert result.exit_code == 0, result.output
    for name in NAMES.values():
        assert name not in result.output
    for aid in NAMES:
        assert aid in result.stdout
    assert "Sergeant" not in result.stdout.replace("Test Detective Sergeant", ""), \
        "personal fields are left out too"
    if fmt == "json":
        data = json.loads(result.stdout)
        assert data["options"]["anonymise"] is True
        for rec in data["applicants"]:
            assert "name" not in rec


def test_anonymise_xlsx_and_explain(workdir: Path) -> None:
    import openpyxl

    assert invoke("rank", "test-ds", "a.csv", "--anonymise", "-o", "anon.xlsx").exit_code == 0
    wb = openpyxl.load_workbook(workdir / "anon.xlsx")
    cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not any(name in cell for name in NAMES.values() for cell in cells)
    result = invoke("explain", "test-ds", "a.csv", "--applicant", "A1", "--anonymise")
    assert result.exit_code == 0
    assert NAMES["A1"] not in result.output


# ---------------------------------------------------------------------------------------------
# Help, usage errors, no tracebacks


def _commands() -> dict[str, Any]:
    group = typer.main.get_command(app)
    return dict(group.commands)  # type: ignore[attr-defined]


def test_every_command_has_help_text() -> None:
    commands = _commands()
    assert {"rank", "check", "roles", "show", "explain"} <= set(commands)
    for name, command in commands.items():
        assert (command.help or "").strip(), f"command {name} has no help text"
        for param in command.params:
            if param.name == "help":
                continue
            assert (getattr(param, "help", None) or "").strip(), \
                f"{name}: parameter {param.name} has no help text"


@pytest.mark.parametrize("command", ["rank", "check", "roles", "show", "explain"])
def test_help_runs(command: str) -> None:
    result = invoke(command, "--help")
    assert result.exit_code == 0
    assert "Usage" in result.output


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == "shortlist 0.1.0"


@pytest.mark.parametrize("args", [
    ["rank", "test-ds", "a.csv", "--top", "0"],
    ["rank", "test-ds", "a.csv", "--min-score", "101"],
    ["rank", "test-ds", "a.csv", "--format", "pdf"],
    ["rank", "test-ds"],
    ["rank"],
    ["check", "test-ds", "a.csv", "--format", "xlsx"],
    ["rank", "test-ds", "a.csv", "-o", "emptydir"],
    ["frobnicate"],
])
def test_usage_errors_exit_2(workdir: Path, args: list[str]) -> None:
    (workdir / "emptydir").mkdir()
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert_clean(result)


@pytest.mark.parametrize("args", [
    ["rank", "roles/garbled.toml", "a.csv"],
    ["check", "roles/garbled.toml", "a.csv"],
    ["show", "roles/garbled.toml"],
    ["rank", "test-ds", "binary.csv"],
    ["rank", "test-ds", "notes.docx"],
    ["check", "test-ds", "binary.csv"],
    ["explain", "test-ds", "binary.csv", "--applicant", "A1"],
    ["rank", "test-ds", "emptydir"],
    ["check", "missing/role.toml", "a.csv"],
    ["check", "nope", "a.csv"],
])
def test_no_traceback_for_bad_input(workdir: Path, args: list[str]) -> None:
    (workdir / "roles" / "garbled.toml").write_text("[role\nid = 1\n", encoding="utf-8")
    (workdir / "binary.csv").write_bytes(b"\x00\xff\x00\xfe")
    (workdir / "notes.docx").write_bytes(b"PK\x03\x04")
    (workdir / "emptydir").mkdir()
    result = invoke(*args)
    assert result.exit_code == 1, result.output
    assert_clean(result)
    if args[:2] == ["check", "test-ds"]:
        assert "binary.csv" in result.stdout, "check reports input problems as data"
    else:
        assert "Error: " in result.stderr


@pytest.mark.parametrize(("command", "message"), [
    (["rank", "nope", "a.csv"], "Error: no role 'nope'; known roles in roles/: test-ds"),
    (["show", "nope"], "Error: no role 'nope'; known roles in roles/: test-ds"),
    (["explain", "nope", "a.csv", "--applicant", "A1"], "Error: no role 'nope'"),
    (["rank", "missing/role.toml", "a.csv"], "Error: role file missing/role.toml does not exist"),
])
def test_unknown_role_is_an_error_message(workdir: Path, command: list[str],
                                          message: str) -> None:
    result = invoke(*command)
    assert_clean(result)
    assert result.exit_code == 1
    assert message in result.stderr


def test_unknown_role_through_the_entry_point(workdir: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    env.pop("SHORTLIST_DEBUG", None)
    env.pop("SHORTLIST_ROLES", None)
    proc = subprocess.run([sys.executable, "-m", "shortlist", "rank", "nope", "a.csv"],
                          capture_output=True, text=True, cwd=workdir, env=env, timeout=60)
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.strip() == "Error: no role 'nope'; known roles in roles/: test-ds"
