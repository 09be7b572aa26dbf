"""The run record: on every output (JSON keys, the table's footer, the Run sheet, a CSV's
sidecar, explain), identical between runs of the same inputs but for the time, and the
applicants' order independent of the order the inputs are given in."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import stat
from pathlib import Path
from typing import Any, BinaryIO

import openpyxl
import pytest
from typer.testing import CliRunner, Result

from shortlist.audit import sidecar_path
from shortlist.cli import app
from shortlist.errors import OutputError
from shortlist.output import write_atomic, write_files
from shortlist.role import load_role
from shortlist.sift import run_sift

from .conftest import passing, write_applicants, write_form, write_role
from .marking import fill

runner = CliRunner()


def invoke(*args: Any) -> Result:
    return runner.invoke(app, [str(a) for a in args])


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Three inputs, each with ranked, tied, failed and invalid applicants, so that the
    output order depends on every rule: a.csv, b.xlsx and a folder of forms."""
    (tmp_path / "roles").mkdir()
    write_role(tmp_path / "roles")
    write_applicants(tmp_path / "a.csv", [
        passing("A10", D1="Some"), passing("A2"), passing("A3", E1="Limited"),
        passing("A4", E2="Superb"), passing("B7"),  # B7 is also in b.xlsx: both invalid
    ])
    write_applicants(tmp_path / "b.xlsx", [
        passing("B1", D1="Some"), passing("A1"), passing("B3", E1="None"),
        passing("B4", G1="Maybe"), passing("B7"),
    ])
    role = load_role(tmp_path / "roles" / "test-ds.toml")
    for aid in ("F2", "F1"):
        write_form(tmp_path / "forms" / f"{aid}.xlsx", {
            "G1": ("Yes", ""), "E1": ("Some", "Did it."), "E2": ("Good", ""),
            "D1": ("Some", ""), "D2": ("No", "")}, role=role,
            fields={"Applicant ID": aid, "Name": f"Form {aid}", "Current rank": "Sergeant"})
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHORTLIST_ROLES", raising=False)
    return tmp_path


INPUTS = ["a.csv", "b.xlsx", "forms"]


def rank_json(*args: Any) -> dict[str, Any]:
    result = invoke("rank", "test-ds", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)  # type: ignore[no-any-return]


@pytest.mark.parametrize("extra", [[], ["--anonymise"], ["--top", "2", "--min-score", "10"]])
def test_same_inputs_twice_give_identical_json_but_for_the_time(work: Path,
                                                                extra: list[str]) -> None:
    first, second = rank_json(*INPUTS, *extra), rank_json(*INPUTS, *extra)
    assert first.pop("created") and second.pop("created")
    assert first == second
    assert [i["sha256"] for i in first["inputs"]] == [sha(work / "a.csv"), sha(work / "b.xlsx"),
                                                     sha(work / "forms" / "F1.xlsx"),
                                                     sha(work / "forms" / "F2.xlsx")]
    assert first["role"]["sha256"] == sha(work / "roles" / "test-ds.toml")
    assert first["options"]["anonymise"] is ("--anonymise" in extra)


def test_the_record_lists_every_option_and_count(work: Path) -> None:
    data = rank_json(*INPUTS, "--top", "2")
    assert data["shortlist_version"] == "0.1.0"
    assert data["role"] == {"id": "test-ds", "title": "Test Detective Sergeant",
                            "file": "roles/test-ds.toml",
                            "sha256": sha(work / "roles" / "test-ds.toml")}
    assert data["options"] == {"top": 2, "min_score": 0, "anonymise": False,
                               "skip_unreadable": False, "include_evidence": False}
    assert [i["applicants"] for i in data["inputs"]] == [5, 5, 1, 1]
    assert data["summary"]["applicants"] == 12


@pytest.mark.parametrize("order", [
    ["b.xlsx", "a.csv", "forms"], ["forms", "b.xlsx", "a.csv"], ["forms/F2.xlsx", "a.csv",
                                                                 "forms/F1.xlsx", "b.xlsx"],
])
def test_input_order_does_not_change_the_applicants_order(work: Path, order: list[str]) -> None:
    def applicants(data: dict[str, Any]) -> list[Any]:
        return [(a["applicant_id"], a["rank"], a["status"], a["source"])
                for a in data["applicants"]]

    reference = rank_json(*INPUTS)
    shuffled = rank_json(*order)
    assert applicants(shuffled) == applicants(reference)
    assert [a["applicant_id"] for a in reference["applicants"]] == [
        "A10", "B1", "F1", "F2", "A1", "A2", "A3", "B3", "A4", "B7", "B4", "B7"]
    # The record lists the inputs as given: it says what was run.
    first = {"b.xlsx": "b.xlsx", "forms": "forms/F1.xlsx", "forms/F2.xlsx": "forms/F2.xlsx"}
    assert shuffled["inputs"][0]["file"] == first[order[0]]


def test_the_table_ends_with_the_run_record(work: Path) -> None:
    result = invoke("rank", "test-ds", *INPUTS)
    assert result.exit_code == 0, result.output
    footer = result.stdout.split("\nRun record: ")[1]
    assert footer.startswith("shortlist 0.1.0, created 20")
    assert f"role: test-ds, roles/test-ds.toml, SHA-256 {sha(work / 'roles/test-ds.toml')}" \
        in footer
    for name in ("a.csv", "b.xlsx", "forms/F1.xlsx", "forms/F2.xlsx"):
        assert f"input: {name}, " in footer and sha(work / name) in footer
    assert "options: top 3, min_score 0, anonymise no" in footer


def test_csv_gets_its_run_record_beside_it(work: Path) -> None:
    result = invoke("rank", "test-ds", *INPUTS, "-o", "out.csv")
    assert result.exit_code == 0, result.output
    assert "run record in out.csv.run.json" in result.stderr
    record = json.loads((work / "out.csv.run.json").read_text(encoding="utf-8"))
    assert record["output"] == {"file": "out.csv", "sha256": sha(work / "out.csv")}
    data = rank_json(*INPUTS)
    for key in ("shortlist_version", "role", "inputs", "options", "summary"):
        assert record[key] == data[key]
    assert "applicants" not in record and record["created"]


def test_csv_record_is_never_overwritten_without_force(work: Path) -> None:
    (work / "out.csv.run.json").write_text("kept", encoding="utf-8")
    result = invoke("rank", "test-ds", *INPUTS, "-o", "out.csv")
    assert result.exit_code == 1
    assert "Error: output out.csv.run.json already exists; use --force" in result.stderr
    assert not (work / "out.csv").exists(), "nothing is written when the record cannot be"
    assert invoke("rank", "test-ds", *INPUTS, "-o", "out.csv", "--force").exit_code == 0
    assert json.loads((work / "out.csv.run.json").read_text())["output"]["sha256"] == \
        sha(work / "out.csv")


def test_csv_on_stdout_has_no_sidecar(work: Path) -> None:
    assert invoke("rank", "test-ds", *INPUTS, "--format", "csv").exit_code == 0
    assert not list(work.glob("*.run.json"))


def test_the_workbook_run_sheet_holds_the_record(work: Path) -> None:
    assert invoke("rank", "test-ds", *INPUTS, "-o", "out.xlsx",
                  "--include-evidence").exit_code == 0
    ws = openpyxl.load_workbook(work / "out.xlsx")["Run"]
    cells = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    for name in ("a.csv", "b.xlsx", "forms/F1.xlsx", "forms/F2.xlsx",
                 "roles/test-ds.toml"):
        assert name in cells and sha(work / name) in cells
    facts = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0]}
    assert facts["Tool"] == "shortlist 0.1.0" and facts["Created (UTC)"]
    assert facts["Top (shortlist size)"] == 3 and facts["Anonymised"] == "No"
    assert facts["Evidence of every applicant included"] == "Yes"
    assert facts["Applicants read"] == 12


def test_explain_carries_the_record(work: Path) -> None:
    result = invoke("explain", "test-ds", *INPUTS, "-a", "B1", "--format", "json")
    assert result.exit_code == 0, result.output
    run = json.loads(result.stdout)["run"]
    assert run["inputs"] == rank_json(*INPUTS)["inputs"]
    text = invoke("explain", "test-ds", *INPUTS, "-a", "B1").stdout
    assert "\nRun record: shortlist 0.1.0" in text and sha(work / "a.csv") in text


def test_a_panel_round_is_in_every_record(work: Path) -> None:
    for who, name in (("ann", "Ann Smith"), ("bob", "Bob Jones"), ("agreed", "Panel")):
        result = invoke("template", "test-ds", "--layout", "marking", "-o", f"{who}.xlsx",
                        *INPUTS, "--assessor", name)
        assert result.exit_code == 0, result.output
    fill(work / "ann.xlsx", work / "ann.xlsx", {"A2": {"E1": "Substantial"}})
    panel = ["--marks", "ann.xlsx", "--marks", "bob.xlsx", "--agreed", "agreed.xlsx",
             "--combine", "min"]
    sheets = {"ann.xlsx": "Ann Smith", "bob.xlsx": "Bob Jones", "agreed.xlsx": "Panel"}

    data = rank_json(*INPUTS, *panel)
    assert data["options"]["combine"] == "min"
    assert [m["file"] for m in data["panel"]["marks"]] == ["ann.xlsx", "bob.xlsx"]
    assert data["panel"]["agreed"]["sha256"] == sha(work / "agreed.xlsx")

    table = invoke("rank", "test-ds", *INPUTS, *panel)
    assert table.exit_code == 0, table.output
    explained = invoke("explain", "test-ds", *INPUTS, "-a", "A2", *panel)
    assert explained.exit_code == 0, explained.output
    for text in (table.stdout, explained.stdout):
        footer = text.split("\nRun record: ")[1]
        for file, who in sheets.items():
            kind = "agreed marks" if file == "agreed.xlsx" else "marks"
            assert f"  {kind}: {file}, assessor {who}, " in footer
            assert f"SHA-256 {sha(work / file)}" in footer
        assert "combine min" in footer

    assert invoke("rank", "test-ds", *INPUTS, *panel, "-o", "out.xlsx").exit_code == 0
    ws = openpyxl.load_workbook(work / "out.xlsx")["Run"]
    facts = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0]}
    assert facts["Marks combined by"].startswith("min of the assessors' points; the agreed")
    rows = list(ws.iter_rows(values_only=True))
    for file, who in sheets.items():
        row = next(r for r in rows if r[0] == file)
        assert row[1] == sha(work / file) and row[3] == who

    assert invoke("rank", "test-ds", *INPUTS, *panel, "-o", "out.csv").exit_code == 0
    record = json.loads((work / "out.csv.run.json").read_text(encoding="utf-8"))
    assert record["options"]["combine"] == "min" and record["panel"] == data["panel"]


def test_run_record_is_the_json_without_applicants(work: Path) -> None:
    sift = run_sift(load_role(work / "roles" / "test-ds.toml"), [work / "a.csv"])
    data = sift.to_dict()
    assert list(data) == ["shortlist_version", "role", "inputs", "options", "created",
                          "summary", "problems", "applicants"]
    data.pop("applicants")
    assert sift.run_record() == data


# ---------------------------------------------------------------------------------------------
# Writing outputs safely: permissions, files open elsewhere, failed writes


@pytest.fixture
def umask_027() -> Any:
    old = os.umask(0o027)
    yield
    os.umask(old)


def test_a_new_output_has_the_usual_permissions(work: Path, umask_027: None) -> None:
    assert invoke("rank", "test-ds", *INPUTS, "-o", "out.xlsx").exit_code == 0
    assert invoke("rank", "test-ds", *INPUTS, "-o", "out.csv").exit_code == 0
    for name in ("out.xlsx", "out.csv", "out.csv.run.json"):
        assert stat.S_IMODE((work / name).stat().st_mode) == 0o640, name


def test_a_replaced_output_keeps_its_permissions(work: Path) -> None:
    out = work / "out.json"
    out.write_text("old", encoding="utf-8")
    out.chmod(0o664)
    assert invoke("rank", "test-ds", *INPUTS, "-o", "out.json", "--force").exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o664
    assert json.loads(out.read_text(encoding="utf-8"))["summary"]["applicants"] == 12


@pytest.mark.parametrize(("lock", "program"), [
    (".~lock.out.xlsx#", "LibreOffice"), ("~$out.xlsx", "Excel")])
def test_an_output_open_in_an_office_program_is_not_replaced(
        work: Path, lock: str, program: str) -> None:
    out = work / "out.xlsx"
    out.write_bytes(b"the panel's copy")
    (work / lock).write_text(",Ann Smith,pc,01.12.2026 09:00,", encoding="utf-8")
    result = invoke("rank", "test-ds", *INPUTS, "-o", "out.xlsx", "--force")
    assert result.exit_code == 1
    assert (f"Error: output out.xlsx is open in {program} (lock file {lock}); close it and "
            "try again") in result.stderr
    assert out.read_bytes() == b"the panel's copy"
    assert not list(work.glob(".out.xlsx.*")), "no temporary file is left behind"


def test_a_lock_file_beside_a_missing_output_does_not_matter(work: Path) -> None:
    (work / ".~lock.out.xlsx#").write_text("stale", encoding="utf-8")
    assert invoke("rank", "test-ds", *INPUTS, "-o", "out.xlsx").exit_code == 0


def test_a_failed_write_leaves_the_old_output_and_no_temporary_file(tmp_path: Path) -> None:
    out = tmp_path / "out.xlsx"
    out.write_bytes(b"old")

    def breaks(fh: BinaryIO) -> None:
        fh.write(b"half a workbook")
        raise RuntimeError("the writer failed")

    with pytest.raises(RuntimeError, match="the writer failed"):
        write_atomic(out, breaks, force=True)
    with pytest.raises(OutputError, match=r"cannot write .*out\.xlsx: No space left on device"):
        write_atomic(out, _disk_full, force=True)
    assert out.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.xlsx"]


def test_a_failed_run_record_leaves_neither_file(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    out.write_bytes(b"old csv")
    sidecar_path(out).write_bytes(b"old record")
    with pytest.raises(RuntimeError):
        write_files([(out, lambda fh: fh.write(b"new csv")), (sidecar_path(out), _fails)],
                    force=True)
    assert out.read_bytes() == b"old csv" and sidecar_path(out).read_bytes() == b"old record"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "out.csv.run.json"]


def _disk_full(fh: BinaryIO) -> None:
    fh.write(b"part")
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _fails(fh: BinaryIO) -> None:
    raise RuntimeError("the record could not be made")
