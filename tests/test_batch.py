"""Batch runs: a plan of campaigns run in one command, past failures, with its summary; plans
validated like role files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner, Result

from shortlist.batch import PlanError, load_plan, run_batch
from shortlist.cli import app
from shortlist.role import find_role
from shortlist.sift import run_sift

from .conftest import REPO, passing, write_applicants, write_role

runner = CliRunner()
SAMPLE_PLAN = Path("sample_applications/plans/both-roles.toml")


def invoke(*args: Any) -> Result:
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def sample_copy(tmp_path: Path) -> Path:
    """The sample plan with the files it names, laid out as in the repository."""
    root = tmp_path / "repo"
    for rel in ("roles/secou-ds.toml", "roles/btp-msoct-ds.toml",
                "sample_applications/secou-ds/applications.xlsx",
                "sample_applications/btp-msoct-ds/applications.xlsx", str(SAMPLE_PLAN)):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / rel, root / rel)
    return root


def test_the_sample_plan_runs_both_seed_roles(sample_copy: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(sample_copy.parent)  # paths in the plan are relative to the plan
    plan = sample_copy / SAMPLE_PLAN
    result = invoke("batch", plan)
    assert result.exit_code == 0, result.output
    out = plan.parent / "out"
    assert sorted(p.name for p in out.iterdir()) == [
        "btp-msoct-ds.csv", "btp-msoct-ds.csv.run.json", "secou-ds-anonymised.xlsx",
        "secou-ds.xlsx"]
    assert "[1/3] SECOU Detective Sergeant" in result.stderr
    assert "3 campaign(s): 3 succeeded, 0 failed." in result.stdout
    for role_id in ("secou-ds", "btp-msoct-ds"):
        expected = run_sift(find_role(str(sample_copy / "roles" / f"{role_id}.toml")),
                            [sample_copy / f"sample_applications/{role_id}/applications.xlsx"],
                            top=8 if role_id == "secou-ds" else 6).summary()
        row = next(line for line in result.stdout.splitlines() if f"│ {role_id} " in line)
        cells = [c.strip() for c in row.split("│")[3:8]]
        assert cells == [str(expected[k]) for k in ("applicants", "ranked", "failed_essential",
                                                    "invalid", "shortlisted")]
    # The name-blind campaign's workbook holds none of the applicants' names.
    source = openpyxl.load_workbook(
        sample_copy / "sample_applications/secou-ds/applications.xlsx", read_only=True)
    rows = list(source.worksheets[0].iter_rows(values_only=True))
    names = [str(r[1]) for r in rows[rows.index(next(r for r in rows if r[0] ==
                                                     "Applicant ID")) + 1:] if r[1]]
    assert len(names) == 44
    anon = openpyxl.load_workbook(out / "secou-ds-anonymised.xlsx")
    text = "\n".join(str(c.value) for ws in anon.worksheets for row in ws.iter_rows()
                     for c in row if c.value is not None)
    assert [n for n in names if n in text] == []
    plain = openpyxl.load_workbook(out / "secou-ds.xlsx", read_only=True)
    assert names[0] in {str(r[2]) for r in plain["Ranking"].iter_rows(values_only=True)}

    again = invoke("batch", plan, "--format", "json")
    assert again.exit_code == 1, "outputs exist: every campaign fails without --force"
    data = json.loads(again.stdout)
    assert data["summary"] == {"campaigns": 3, "succeeded": 0, "failed": 3}
    assert "already exists; use --force" in data["campaigns"][0]["error"]
    forced = invoke("batch", plan, "--format", "json", "--force")
    assert forced.exit_code == 0, forced.output
    data = json.loads(forced.stdout)
    assert data["plan"]["sha256"] and data["options"] == {"force": True}
    assert [c["status"] for c in data["campaigns"]] == ["ok", "ok", "ok"]
    assert data["campaigns"][1]["run"]["options"]["anonymise"] is True
    assert data["campaigns"][1]["run"]["inputs"][0]["file"] == "input 1"
    assert data["campaigns"][2]["format"] == "csv"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "roles").mkdir()
    write_role(tmp_path / "roles")
    (tmp_path / "roles" / "broken.toml").write_text("[role]\nid = 'Bad Id'\n", encoding="utf-8")
    write_applicants(tmp_path / "data" / "a.csv", [passing("A1", D1="Some"), passing("A2"),
                                                   passing("A3", E1="Limited")])
    return tmp_path


def write_plan(directory: Path, text: str) -> Path:
    path = directory / "plans" / "plan.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_a_failing_campaign_does_not_stop_the_others(project: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    plan = write_plan(project, """
[defaults]
top = 1

[[campaigns]]
name = "missing input"
role = "../roles/test-ds.toml"
inputs = ["../data/nope.csv"]
output = "out/missing.json"

[[campaigns]]
name = "broken role"
role = "../roles/broken.toml"
inputs = ["../data/a.csv"]
output = "out/broken.json"

[[campaigns]]
name = "good"
role = "../roles/test-ds.toml"
inputs = ["../data"]
output = "out/good.json"
anonymise = true
""")
    monkeypatch.chdir(project)
    result = invoke("batch", plan)
    assert result.exit_code == 1
    assert "3 campaign(s): 1 succeeded, 2 failed." in result.stdout
    assert "Campaign 'missing input' failed: input " in result.stdout
    assert f"{project / 'data' / 'nope.csv'} does not exist" in result.stdout
    assert "Campaign 'broken role' failed: role file has" in result.stdout
    good = json.loads((project / "plans" / "out" / "good.json").read_text(encoding="utf-8"))
    assert good["options"]["top"] == 1 and good["options"]["anonymise"] is True
    assert good["summary"]["shortlisted"] == 1
    assert not (project / "plans" / "out" / "missing.json").exists()

    data = json.loads(invoke("batch", plan, "--format", "json", "--force").stdout)
    assert [(c["name"], c["status"]) for c in data["campaigns"]] == [
        ("missing input", "failed"), ("broken role", "failed"), ("good", "ok")]
    assert data["campaigns"][2]["summary"]["applicants"] == 3
    assert data["campaigns"][0]["summary"] is None


def test_plan_problems_are_all_reported_with_their_location(project: Path) -> None:
    plan = write_plan(project, """
colour = "blue"

[defaults]
top = 0

[[campaigns]]
role = "../roles/test-ds.toml"
inputs = ["../data/a.csv"]

[[campaigns]]
name = "twice"
role = "test-ds"
inputs = []
min_score = 200
anonymise = "yes"
format = "pdf"
output = "out/x.xlsx"

[[campaigns]]
name = "twice"
inputs = ["../data/a.csv"]
output = "out/x.xlsx"
colour = "red"

[[campaigns]]
name = "odd output"
role = "test-ds"
inputs = ["../data/a.csv"]
output = "out/x.docx"

[[campaigns]]
name = "sheet without a file"
role = "test-ds"
inputs = ["../data/a.csv"]
format = "xlsx"
""")
    with pytest.raises(PlanError) as info:
        load_plan(plan)
    assert [str(p).replace(str(plan), "PLAN") for p in info.value.problems] == [
        "PLAN, top level, key 'colour': is not a known key; expected one of defaults, campaigns",
        "PLAN, [defaults], key 'top': is 0; expected a whole number of at least 1",
        "PLAN, campaign #1, key 'name': is missing or blank; expected the campaign's name "
        "(text)",
        "PLAN, campaign 'twice', key 'inputs': is []; expected a list of files or folders "
        "(relative to the plan)",
        "PLAN, campaign 'twice', key 'min_score': is 200; expected a number from 0 to 100",
        "PLAN, campaign 'twice', key 'anonymise': is 'yes'; expected true or false",
        "PLAN, campaign 'twice', key 'format': is 'pdf'; expected one of table, csv, json, "
        "xlsx",
        "PLAN, campaign 'twice', key 'name': is used by another campaign; expected each name "
        "once",
        "PLAN, campaign 'twice', key 'colour': is not a known key; expected one of name, role, "
        "inputs, output, top, min_score, anonymise, skip_unreadable, include_evidence, format",
        "PLAN, campaign 'twice', key 'role': is missing or blank; expected a role file "
        "(relative to the plan) or a role id",
        "PLAN, campaign 'twice', key 'output': is also the output of campaign 'twice'; "
        "expected each campaign to write its own file",
        "PLAN, campaign 'odd output', key 'output': is 'out/x.docx', whose suffix names no "
        "format; expected a suffix .txt, .csv, .json, .xlsx or a `format` key",
        "PLAN, campaign 'sheet without a file', key 'output': is missing; format xlsx needs "
        "an output file",
    ]
    result = invoke("batch", plan)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: plan has 13 problem(s):\n  ")
    assert not (plan.parent / "out").exists()


@pytest.mark.parametrize(("text", "message"), [
    ("[[campaigns]\n", "is not valid TOML"),
    ("", "expected at least one [[campaigns]] table"),
    ("campaigns = 3", "expected at least one [[campaigns]] table"),
])
def test_unreadable_plans(project: Path, text: str, message: str) -> None:
    with pytest.raises(PlanError, match=message.replace("[", r"\[")):
        load_plan(write_plan(project, text))


def test_missing_plan_is_a_usage_error(project: Path) -> None:
    assert invoke("batch", project / "nope.toml").exit_code == 2


def test_role_ids_and_the_library(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    plan = write_plan(project, """
[[campaigns]]
name = "by id"
role = "test-ds"
inputs = "../data/a.csv"
""")
    monkeypatch.chdir(project)  # role ids are looked up in ./roles/, as on the command line
    result = run_batch(plan)
    assert not result.failed
    (only,) = result.results
    assert only.role_id == "test-ds" and only.files == [] and only.summary is not None
    assert only.summary["applicants"] == 3
    assert result.to_dict()["campaigns"][0]["output"] is None


def test_no_campaign_writes_over_the_plan_or_any_campaign_s_files(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / "data" / "b.csv").write_bytes((project / "data" / "a.csv").read_bytes())
    plan = write_plan(project, """
[[campaigns]]
name = "over the plan"
role = "../roles/test-ds.toml"
inputs = ["../data/a.csv"]
output = "plan.toml"
format = "json"

[[campaigns]]
name = "over its role"
role = "test-ds"
inputs = ["../data/a.csv"]
output = "../roles/test-ds.toml"
format = "json"

[[campaigns]]
name = "over its input"
role = "../roles/test-ds.toml"
inputs = ["../data"]
output = "../data/a.csv"

[[campaigns]]
name = "over another campaign's input"
role = "../roles/test-ds.toml"
inputs = ["../data/a.csv"]
output = "../data/b.csv"

[[campaigns]]
name = "b"
role = "../roles/test-ds.toml"
inputs = ["../data/b.csv"]
""")
    monkeypatch.chdir(project)
    files = [plan, project / "roles" / "test-ds.toml", project / "data" / "a.csv",
             project / "data" / "b.csv"]
    before = {p: p.read_bytes() for p in files}
    result = run_batch(plan, force=True)
    assert [r.ok for r in result.results] == [False, False, False, False, True]
    for r in result.failed:
        assert r.error is not None and "is one of the inputs" in r.error, r.error
    assert {p: p.read_bytes() for p in files} == before
