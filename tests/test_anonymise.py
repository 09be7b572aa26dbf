"""Name-blind output: with --anonymise no output (terminal, CSV and its run record, JSON, xlsx,
explain, impact; with the panel's marks too, assessors' comments included) holds a name, a
personal field, a file or sheet name that could be a person's, or the guaranteed-interview
claim; the name-blind marking template holds no name; monitoring values never reach a ranked
output."""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner, Result

from shortlist.anonymise import NAME_REMOVED, redact_name
from shortlist.cli import app
from shortlist.role import load_role
from shortlist.sift import run_sift

from .conftest import Applicant, passing, role_data, write_applicants, write_form, write_role
from .marking import fill

runner = CliRunner()

PEOPLE = {
    "A1": "Xanthippe Quillfeather",
    "A2": "Bartholomew Zzyzx",
    "A3": "Leopold Fairweather-Nkemelu",
    "A4": "Philomena Thistlewood",
    "A5": "Griselda Okonkwo",
    "F1": "Ignatius Wolfhardt",
    "F2": "Perpetua Grimsdottir",
}
#: Names that only appear as file names.
FILE_ONLY = ["Cordelia Vantongeren"]
PERSONAL_VALUES = ["Quuxshire", "Inspector Thistlewood"]
MONITORING_VALUE = "Zoroastrian"
TABLE_FILE = "Bartholomew Zzyzx and Xanthippe Quillfeather.csv"
FIELDS = {"current_rank": "Current rank", "home_force": "Home force", "sex": "Sex",
          "religion": "Religion"}


def words_of(names: list[str]) -> list[str]:
    return sorted({w for n in names for w in re.split(r"[\s-]+", n) if len(w) > 2})


FORBIDDEN = words_of([*PEOPLE.values(), *FILE_ONLY]) + PERSONAL_VALUES


def person(aid: str, *, rank: str = "Sergeant", evidence: dict[str, str] | None = None,
           **ratings: Any) -> Applicant:
    a = passing(aid, PEOPLE[aid], evidence=evidence or {}, **ratings)
    a.fields = {"current_rank": rank, "home_force": "Quuxshire Constabulary", "sex": "Female",
                "religion": MONITORING_VALUE}
    return a


@pytest.fixture
def leaky(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Inputs built to leak: distinctive names in cells, evidence, file and sheet names; a
    personal value quoted by an error; a duplicate id quoting another file's name; a
    guaranteed-interview claimant shortlisted outside the top; a skipped file named after a
    person."""
    data = role_data()
    data["fields"] += [{"name": "home_force", "label": "Home force"},
                       {"name": "religion", "label": "Religion", "monitoring": True}]
    (tmp_path / "roles").mkdir()
    write_role(tmp_path / "roles", data, "anon.toml")
    own = ("As DS Xanthippe Quillfeather I led the investigation; QUILLFEATHER's team and "
           "Xanthippe's informants built the case.")
    write_applicants(tmp_path / TABLE_FILE, [
        person("A1", E1="Extensive", E2="Excellent", D1="Extensive", evidence={"E1": own}),
        person("A2", gis="Yes"),
        person("A3"),
        person("A4", rank="Inspector Thistlewood"),
        person("A5", E1="Limited"),
    ], fields=FIELDS)
    role = load_role(tmp_path / "roles" / "anon.toml")
    forms = tmp_path / "forms"
    answers = {"G1": ("Yes", ""), "E1": ("Some", "Ignatius Wolfhardt wrote the file."),
               "E2": ("Good", "Reports."), "D1": ("None", ""), "D2": ("No", "")}
    for aid, form_id in (("F1", "F1"), ("F2", "A3")):  # F2's form reuses A3's id
        path = write_form(forms / f"{PEOPLE[aid]}.xlsx", answers, role=role, fields={
            "Applicant ID": form_id, "Name": PEOPLE[aid], "Current rank": "Sergeant",
            "Home force": "Quuxshire Constabulary", "Religion": MONITORING_VALUE})
        wb = openpyxl.load_workbook(path)
        wb.active.title = PEOPLE[aid]
        wb.save(path)
    (forms / f"{FILE_ONLY[0]} CV.docx").write_bytes(b"PK\x03\x04 not a spreadsheet")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHORTLIST_ROLES", raising=False)
    return tmp_path


def invoke(*args: Any) -> Result:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


def xlsx_texts(path: Path) -> dict[str, str]:
    """Every part of the workbook (sheets, shared strings, properties) as text."""
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name).decode("utf-8", "replace") for name in z.namelist()}


def sheet_texts(path: Path) -> dict[str, str]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: "\n".join(str(c.value) for row in ws.iter_rows() for c in row
                                if c.value is not None) for ws in wb.worksheets}


def leaks(text: str, words: list[str]) -> list[str]:
    return [w for w in words if w.casefold() in text.casefold()]


ARGS = ["roles/anon.toml", TABLE_FILE, "forms", "--top", "1"]


def test_no_name_or_personal_field_in_any_anonymised_output(leaky: Path) -> None:
    outputs: dict[str, str] = {}
    for fmt in ("table", "json", "csv"):
        r = invoke("rank", *ARGS, "--anonymise", "--format", fmt)
        outputs[f"rank {fmt}"] = r.stdout
        outputs[f"rank {fmt} stderr"] = r.stderr
    for name in ("out.csv", "out.json", "out.txt", "out.xlsx"):
        r = invoke("rank", *ARGS, "--anonymise", "--include-evidence", "-o", name)
        outputs[f"{name} stderr"] = r.stderr
    for name in ("out.csv", "out.csv.run.json", "out.json", "out.txt"):
        outputs[name] = (leaky / name).read_text(encoding="utf-8")
    for aid in ["A1", "A2", "A3", "A4", "A5", "F1"]:  # F2's form uses id A3
        for fmt in ("table", "json"):
            r = invoke("explain", *ARGS, "--anonymise", "--applicant", aid, "--format", fmt)
            outputs[f"explain {aid} {fmt}"] = r.stdout
    for fmt in ("table", "json", "csv"):
        outputs[f"impact {fmt}"] = invoke("impact", *ARGS, "--anonymise", "--format",
                                          fmt).stdout
    outputs.update({f"out.xlsx:{part}": text
                    for part, text in xlsx_texts(leaky / "out.xlsx").items()})

    found = {where: hits for where, text in outputs.items() if (hits := leaks(text, FORBIDDEN))}
    assert found == {}
    # Monitoring data reaches no ranked output: only the Impact sheet and report show it.
    sheets = sheet_texts(leaky / "out.xlsx")
    assert MONITORING_VALUE in sheets["Impact"]
    ranked = {k: v for k, v in outputs.items() if not k.startswith(("impact", "out.xlsx:"))}
    ranked |= {f"sheet {k}": v for k, v in sheets.items() if k != "Impact"}
    assert {k for k, v in ranked.items() if MONITORING_VALUE in v} == set()

    # The evidence was written (with the name taken out), and the inputs named by number.
    assert NAME_REMOVED in sheets["Evidence"]
    data = json.loads(outputs["rank json"])
    assert [i["file"] for i in data["inputs"]] == ["input 1", "input 2", "input 3"]
    assert {a["source"]["file"] for a in data["applicants"]} == {"input 1", "input 2",
                                                                "input 3"}
    assert "skipped file 1" in sheets["Run"]


ASSESSOR = "Ann Smith"
#: Comments an assessor might write: the applicant's own name, whole and in part, and
#: another applicant's full name.
COMMENTS = {"A1": "Xanthippe Quillfeather's E1 is strong; QUILLFEATHER led, as Xanthippe says.",
            "A2": "Bartholomew writes well; better than Griselda Okonkwo.",
            "F1": "Wolfhardt: thin on E2."}


@pytest.fixture
def panel(leaky: Path) -> list[str]:
    """A name-blind marking template of the leaky inputs, filled in by an assessor whose
    comments name applicants; the panel options that use it."""
    invoke("template", "roles/anon.toml", "--layout", "marking", "-o", "blank.xlsx",
           TABLE_FILE, "forms")
    listed = [r[0] for r in openpyxl.load_workbook(leaky / "blank.xlsx")["Marks"].iter_rows(
        min_row=8, values_only=True) if r[0]]
    assert {"A1", "A2", "F1"} <= set(listed)
    marks = {aid: {"E1": "Substantial", "E2": "Good", "D1": "Some"} for aid in listed}
    fill(leaky / "blank.xlsx", leaky / "ann.xlsx", marks, assessor=ASSESSOR, comments=COMMENTS)
    return ["--marks", "ann.xlsx"]


def test_no_name_in_any_anonymised_output_of_a_panel_run(leaky: Path, panel: list[str]) -> None:
    outputs: dict[str, str] = {f"blank.xlsx:{part}": text
                               for part, text in xlsx_texts(leaky / "blank.xlsx").items()}
    for fmt in ("table", "json", "csv"):
        r = invoke("rank", *ARGS, *panel, "--anonymise", "--format", fmt)
        outputs[f"rank {fmt}"] = r.stdout
        outputs[f"rank {fmt} stderr"] = r.stderr
        outputs[f"impact {fmt}"] = invoke("impact", *ARGS, *panel, "--anonymise", "--format",
                                          fmt).stdout
    invoke("rank", *ARGS, *panel, "--anonymise", "--include-evidence", "-o", "panel.xlsx")
    outputs.update({f"panel.xlsx:{part}": text
                    for part, text in xlsx_texts(leaky / "panel.xlsx").items()})
    for aid in ["A1", "A2", "A3", "A4", "A5", "F1"]:
        for fmt in ("table", "json"):
            r = invoke("explain", *ARGS, *panel, "--anonymise", "--applicant", aid, "--format",
                       fmt)
            outputs[f"explain {aid} {fmt}"] = r.stdout
    found = {where: hits for where, text in outputs.items() if (hits := leaks(text, FORBIDDEN))}
    assert found == {}

    # The comments are all there, with the names taken out; the assessor is named.
    data = json.loads(outputs["rank json"])
    said = {a["applicant_id"]: a["assessor_comments"] for a in data["applicants"]}
    assert said["A1"] == [{"assessor": ASSESSOR, "comment": f"{NAME_REMOVED}'s E1 is strong; "
                           f"{NAME_REMOVED} led, as {NAME_REMOVED} says."}]
    assert said["A2"][0]["comment"] == f"{NAME_REMOVED} writes well; better than {NAME_REMOVED}."
    assert said["F1"][0]["comment"] == f"{NAME_REMOVED}: thin on E2."
    assert f"Comment from {ASSESSOR}: {NAME_REMOVED}: thin on E2." in outputs["explain F1 table"]
    moderation = sheet_texts(leaky / "panel.xlsx")["Moderation"]
    assert f"{NAME_REMOVED} writes well" in moderation and ASSESSOR in moderation
    # Without --anonymise the comments are as written (so the scan above proves something).
    plain = json.loads(invoke("rank", *ARGS, *panel, "--format", "json").stdout)
    assert {a["applicant_id"]: a["assessor_comments"] for a in plain["applicants"]}["A2"] == [
        {"assessor": ASSESSOR, "comment": COMMENTS["A2"]}]


def test_the_inputs_do_leak_without_anonymise(leaky: Path) -> None:
    """The fixture exercises every route a name could take: without --anonymise each of
    them shows a name (so the test above proves something)."""
    data = invoke("rank", *ARGS, "--format", "json").stdout
    for word in ("Xanthippe", "Wolfhardt", "Grimsdottir", "Quuxshire", "Inspector Thistlewood"):
        assert word in data, word
    invoke("rank", *ARGS, "-o", "plain.xlsx")
    sheets = sheet_texts(leaky / "plain.xlsx")
    assert "Cordelia Vantongeren" in sheets["Run"]
    assert "Xanthippe Quillfeather" in sheets["Evidence"]
    assert "guaranteed interview" in invoke("rank", *ARGS).stdout.lower()


def test_anonymising_changes_no_decision(leaky: Path) -> None:
    def decisions(*extra: str) -> tuple[list[tuple[Any, ...]], dict[str, Any], list[str]]:
        data = json.loads(invoke("rank", *ARGS, "--format", "json", *extra).stdout)
        return ([(a["applicant_id"], a["rank"], a["score"], a["status"], a["shortlisted"])
                 for a in data["applicants"]], data["summary"],
                [i["sha256"] for i in data["inputs"]])

    plain, anon = decisions(), decisions("--anonymise")
    assert plain == anon
    assert plain[1]["guaranteed_interview_added"] == 1


def test_the_scheme_is_not_named_for_an_applicant(leaky: Path) -> None:
    data = json.loads(invoke("rank", *ARGS, "--anonymise", "--format", "json").stdout)
    a2 = next(a for a in data["applicants"] if a["applicant_id"] == "A2")
    assert a2["shortlisted"] and a2["rank"] > 1
    assert "guaranteed_interview" not in a2 and "fields" not in a2 and "name" not in a2
    assert "guaranteed" not in a2["reason"] and "outside the top 1" in a2["reason"]
    table = invoke("rank", *ARGS, "--anonymise").stdout
    assert "guaranteed" not in table.lower()
    explained = invoke("explain", *ARGS, "--anonymise", "-a", "A2").stdout
    assert "guaranteed" not in explained.lower()


def test_problems_quoting_a_personal_value_are_reworded(leaky: Path) -> None:
    data = json.loads(invoke("rank", *ARGS, "--anonymise", "--format", "json").stdout)
    a4 = next(a for a in data["applicants"] if a["applicant_id"] == "A4")
    assert a4["status"] == "invalid"
    assert [e["message"] for e in a4["errors"]] == [
        "Current rank is not one of its allowed values (value withheld: anonymised)"]
    dupes = [e for a in data["applicants"] for e in a["errors"] if e["type"] == "duplicate-id"]
    assert len(dupes) == 2
    assert any("input 3" in e["message"] and "sheet 'sheet 1'" in e["message"] for e in dupes)


def test_monitoring_values_stay_out_of_ranked_outputs_without_anonymise(leaky: Path) -> None:
    (leaky / "odd.csv").write_text(
        "Applicant ID,Name,Current rank,Sex,Religion,G1,E1,E1 evidence,E2,D1\n"
        "M1,Mo,Sergeant,Femalee,Zoroastrian,Yes,Some,Did it.,Good,None\n", encoding="utf-8")
    texts = [invoke("rank", "roles/anon.toml", "odd.csv", "--format", fmt).stdout
             for fmt in ("table", "json", "csv")]
    texts.append(invoke("explain", "roles/anon.toml", "odd.csv", "-a", "M1").stdout)
    invoke("rank", "roles/anon.toml", "odd.csv", "-o", "odd.xlsx")
    texts += [v for k, v in sheet_texts(leaky / "odd.xlsx").items() if k != "Impact"]
    for text in texts:
        assert "Femalee" not in text and MONITORING_VALUE not in text
    run_sheet = sheet_texts(leaky / "odd.xlsx")["Run"]
    assert "Sex is not one of its allowed values (monitoring data" in run_sheet
    # `check` is for the recruiter fixing the data: it names the value.
    check = runner.invoke(app, ["check", "roles/anon.toml", "odd.csv"])
    assert "Femalee" in check.stdout


def test_library_anonymised_sift_keeps_what_scoring_needs(leaky: Path) -> None:
    role = load_role(leaky / "roles" / "anon.toml")
    sift = run_sift(role, [leaky / TABLE_FILE], anonymise=True)
    frame = sift.apps.frame
    assert set(frame["name"]) == {""} and set(frame["home_force"]) == {""}
    assert "Sergeant" in set(frame["current_rank"])  # read by an applies_if
    assert frame["guaranteed_interview"].any()
    out = io.BytesIO()
    from shortlist.exporters.json import write_json

    write_json(sift, out)
    assert not leaks(out.getvalue().decode("utf-8"), FORBIDDEN)


@pytest.mark.parametrize(("text", "name", "expected"), [
    ("Jane Smith led it.", "Jane Smith", f"{NAME_REMOVED} led it."),
    ("jane  SMITH led it.", "Jane Smith", f"{NAME_REMOVED} led it."),
    ("Smith's team; SMITH again.", "Jane Smith", f"{NAME_REMOVED}'s team; {NAME_REMOVED} again."),
    ("I will see Will.", "Will Jones", f"I will see {NAME_REMOVED}."),
    ("DS Jones and the DS team", "DS Sam Jones", f"DS {NAME_REMOVED} and the DS team"),
    ("Zoë Brontë-Hughes; Hughes; Brontë", "Zoë Brontë-Hughes",
     f"{NAME_REMOVED}; {NAME_REMOVED}; {NAME_REMOVED}"),
    ("Smithson is not Smith", "Jane Smith", f"Smithson is not {NAME_REMOVED}"),
    ("Nothing to do.", "", "Nothing to do."),
    ("", "Jane Smith", ""),
])
def test_redact_name(text: str, name: str, expected: str) -> None:
    assert redact_name(text, name) == expected


def test_a_skipped_unreadable_file_is_named_by_number(leaky: Path) -> None:
    (leaky / "forms" / "Cordelia Vantongeren.xlsx").write_text("not a workbook")
    outputs = []
    for fmt in ("table", "json"):
        r = invoke("rank", *ARGS, "--anonymise", "--skip-unreadable", "--format", fmt)
        outputs += [r.stdout, r.stderr]
    assert not [text for text in outputs if leaks(text, FORBIDDEN)]
    data = json.loads(outputs[2])
    assert data["summary"]["unreadable_files"] == ["input 2"]  # sorted first in forms/
    assert "1 unreadable file(s) skipped: input 2" in outputs[0]
