"""Reading applications: table and form layouts, CSV quirks, folders, and located problems."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest

from shortlist.errors import Column, InputNotFound, Problem, column_label
from shortlist.readers import Applications, expand_inputs, read_applications
from shortlist.readers.table import ColumnMatcher
from shortlist.role import Role, load_role

from .conftest import (
    applicant,
    passing,
    role_data,
    table_header,
    write_applicants,
    write_form,
    write_role,
    write_rows,
)


def read(role: Role, *paths: Path) -> Applications:
    return read_applications(role, list(paths))


def errors(apps: Applications) -> list[Problem]:
    return [p for p in apps.problems if p.is_error]


def warnings(apps: Applications) -> list[Problem]:
    return [p for p in apps.problems if not p.is_error]


def column(apps: Applications, name: str) -> list[Any]:
    return apps.frame[name].tolist()


LEVEL_SOME, LEVEL_SUBSTANTIAL = 2, 3


# ---------------------------------------------------------------------------------------------
# Workbooks can be read at all


def test_workbook_is_read(role: Role, tmp_path: Path) -> None:
    apps = read(role, write_applicants(tmp_path / "a.xlsx", [passing("A1")]))
    assert column(apps, "applicant_id") == ["A1"]


# ---------------------------------------------------------------------------------------------
# The table layout: where the header is


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_header_below_title_rows(role: Role, tmp_path: Path, suffix: str) -> None:
    path = write_applicants(tmp_path / f"a{suffix}", [passing("A1"), passing("A2")],
                            title_rows=[["Detective Sergeant applications"],
                                        ["Closing date: 1 May", "", "Confidential"], [""]])
    apps = read(role, path)
    assert errors(apps) == []
    assert column(apps, "applicant_id") == ["A1", "A2"]
    assert column(apps, "row") == [5, 6]
    assert apps.inputs[0].applicants == 2
    assert apps.inputs[0].layout == "table"


def test_blank_rows_between_applicants_are_skipped(role: Role, tmp_path: Path) -> None:
    head = table_header()
    rows = [head, *_rows([passing("A1")]), [""] * len(head), *_rows([passing("A2")])]
    apps = read(role, write_rows(tmp_path / "a.csv", rows))
    assert column(apps, "applicant_id") == ["A1", "A2"]
    assert column(apps, "row") == [2, 4]


def _rows(applicants: list[Any]) -> list[list[Any]]:
    from .conftest import table_rows

    return table_rows(applicants)


def test_csv_rows_are_numbered_by_line_across_multi_line_evidence(role: Role,
                                                                  tmp_path: Path) -> None:
    path = write_applicants(tmp_path / "a.csv", [
        passing("A1", evidence={"E1": "line one\nline two\nline three"}),
        passing("A2", E1="Bogus")])
    apps = read(role, path)
    assert column(apps, "row") == [2, 5]
    [p] = errors(apps)
    assert p.row == 5
    assert column(apps, "words:E1")[0] == 6


# ---------------------------------------------------------------------------------------------
# Column matching


@pytest.mark.parametrize(("header", "key"), [
    ("E1", "rating:E1"),
    ("E1 rating", "rating:E1"),
    (" e1  RATING ", "rating:E1"),
    ("E1 Rating:", "rating:E1"),
    ("E1 (rating)", "rating:E1"),
    ("E1 self-rating", "rating:E1"),
    ("e1 - Experience of SOC investigation", "rating:E1"),
    ("E1: experience", "rating:E1"),
    ("E1 – experience", "rating:E1"),
    ("Experience of serious organised crime investigation", "rating:E1"),
    ("EXPERIENCE OF SERIOUS ORGANISED-CRIME INVESTIGATION!", "rating:E1"),
    ("E1 evidence", "evidence:E1"),
    ("e1 EVIDENCE", "evidence:E1"),
    ("E1-Evidence", "evidence:E1"),
    ("E1_evidence", "evidence:E1"),
    ("E1 your evidence", "evidence:E1"),
    ("Experience of serious organised crime investigation - evidence", "evidence:E1"),
    ("Applicant ID", "applicant_id"),
    ("APPLICANT_ID", "applicant_id"),
    ("ID", "applicant_id"),
    ("Candidate number", "applicant_id"),
    ("candidate no.", "applicant_id"),
    ("Name", "name"),
    ("Full name", "name"),
    ("Guaranteed interview", "guaranteed_interview"),
    ("GIS", "guaranteed_interview"),
    ("Current rank", "current_rank"),
    ("current-rank", "current_rank"),
    ("Sex", "sex"),
    ("Email", None),
    ("Timestamp", None),
    ("E10", None),
    ("E1x", None),
])
def test_column_matching(role: Role, header: str, key: str | None) -> None:
    assert ColumnMatcher(role).match(header) == key


@pytest.mark.parametrize(("header", "key"), [
    ("E1Rating", "rating:E1"),
    ("E1Evidence", "evidence:E1"),
    ("E 1 rating", "rating:E1"),
    ("(E1) rating", "rating:E1"),
])
def test_column_matching_ignores_all_spaces_and_punctuation(role: Role, header: str,
                                                            key: str) -> None:
    assert ColumnMatcher(role).match(header) == key


def test_criterion_id_that_prefixes_another_is_matched_exactly(tmp_path: Path) -> None:
    data = role_data()
    data["criteria"].append({"id": "E10", "section": "Essential criteria", "text": "Tenth",
                             "kind": "desirable", "scale": "experience"})
    role = load_role(write_role(tmp_path, data))
    m = ColumnMatcher(role)
    assert m.match("E10 rating") == "rating:E10"
    assert m.match("E1 rating") == "rating:E1"
    assert m.match("E10 - tenth") == "rating:E10"


def test_variant_headers_read_end_to_end(role: Role, tmp_path: Path) -> None:
    header = ["Candidate number", "full name", "CURRENT RANK", "sex", "GIS",
              "g1", "G1 evidence", "E1 - Experience of SOC", "e1 evidence",
              "Ability to write clear reports", "E2 Evidence", "D1 rating", "D1 evidence",
              "D2", "D2 evidence"]
    path = write_applicants(tmp_path / "a.csv", [passing("A1", "Ann Smith", E1="Substantial")],
                            header=header)
    apps = read(role, path)
    assert apps.problems == []
    assert column(apps, "applicant_id") == ["A1"]
    assert column(apps, "name") == ["Ann Smith"]
    assert column(apps, "level:E1") == [LEVEL_SUBSTANTIAL]
    assert column(apps, "evidence:E1") == ["I led the investigation and wrote the file."]


def test_unmatched_columns_are_warned_once_and_not_used(role: Role, tmp_path: Path) -> None:
    head = [*table_header(), "Email address", "Timestamp"]
    rows = [head] + [[*r, f"a{i}@example.org", "2024-05-01 10:00"]
                     for i, r in enumerate(_rows([passing("A1"), passing("A2"), passing("A3")]))]
    apps = read(role, write_rows(tmp_path / "a.csv", rows))
    assert errors(apps) == []
    unmatched = [p for p in apps.problems if p.type == "unmatched-column"]
    assert [p.column for p in unmatched] == ['"Email address"', '"Timestamp"']
    assert all(p.severity == "warning" and p.row == 1 for p in unmatched)
    assert "email" not in " ".join(apps.frame.columns).casefold()


def test_duplicate_columns_for_one_criterion_are_an_error(role: Role, tmp_path: Path) -> None:
    head = [*table_header(), "E1"]
    rows = [head] + [[*r, "Extensive"] for r in _rows([passing("A1")])]
    apps = read(role, write_rows(tmp_path / "a.csv", rows))
    [p] = [p for p in errors(apps) if p.type == "ambiguous-column"]
    assert '"E1 rating"' in p.message and '"E1"' in p.message
    assert p.row == 1
    assert apps.errors[0], "the applicant is invalid"


def test_missing_id_column_is_a_located_error(role: Role, tmp_path: Path) -> None:
    head = table_header()[1:]
    rows = [["Applications"], head] + [r[1:] for r in _rows([passing("A1")])]
    path = write_rows(tmp_path / "noid.csv", rows)
    apps = read(role, path)
    [p] = errors(apps)
    assert p.file == "noid.csv" or p.file.endswith("noid.csv")
    assert p.row == 2, "the row of the header that lacks the id column"
    assert "no applicant id column" in p.message
    assert "'Applicant ID'" in p.message and "'Candidate number'" in p.message
    assert apps.unreadable == [p]


def test_missing_criterion_column_is_a_located_error(role: Role, tmp_path: Path) -> None:
    path = write_applicants(tmp_path / "a.csv", [passing("A1"), passing("A2")],
                            criteria=("G1", "E1", "D1", "D2"))
    apps = read(role, path)
    [p] = errors(apps)
    assert p.type == "missing-column"
    assert p.file.endswith("a.csv") and p.row == 1
    assert "criterion E2" in p.message
    assert "'E2 rating'" in p.message, "says what header would be accepted"
    assert all(errs == [p] for errs in apps.errors), "every applicant in the file is invalid"
    assert len(apps) == 2, "but still read"


def test_missing_evidence_column_for_required_evidence(role: Role, tmp_path: Path) -> None:
    head = [h for h in table_header() if h != "E1 evidence"]
    rows = [head] + [[v for h, v in zip(table_header(), r, strict=True) if h != "E1 evidence"]
                     for r in _rows([passing("A1")])]
    apps = read(role, write_rows(tmp_path / "a.csv", rows))
    [p] = errors(apps)
    assert p.type == "missing-column"
    assert "'E1 evidence'" in p.message


def test_missing_optional_evidence_column_is_fine(role: Role, tmp_path: Path) -> None:
    head = [h for h in table_header() if h != "D1 evidence"]
    rows = [head] + [[v for h, v in zip(table_header(), r, strict=True) if h != "D1 evidence"]
                     for r in _rows([passing("A1")])]
    apps = read(role, write_rows(tmp_path / "a.csv", rows))
    assert errors(apps) == []
    assert column(apps, "words:D1") == [0]


def test_missing_condition_field_column_is_an_error(role: Role, tmp_path: Path) -> None:
    path = write_applicants(tmp_path / "a.csv", [passing("A1")], fields={"sex": "Sex"})
    apps = read(role, path)
    [p] = errors(apps)
    assert p.type == "missing-column"
    assert "'Current rank'" in p.message


def test_missing_name_and_gis_columns_are_warnings(role: Role, tmp_path: Path) -> None:
    head = table_header()
    keep = [i for i, h in enumerate(head) if h not in ("Name", "Guaranteed interview")]
    rows = [[r[i] for i in keep] for r in [head, *_rows([passing("A1")])]]
    apps = read(role, write_rows(tmp_path / "a.csv", rows))
    assert errors(apps) == []
    assert {p.type for p in warnings(apps)} == {"missing-column"}
    assert column(apps, "name") == [""]
    assert column(apps, "guaranteed_interview") == [False]


# ---------------------------------------------------------------------------------------------
# Values


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("rating", ["Substantial", "substantial", "SUBSTANTIAL", " Substantial ",
                                    "sub stantial", 3, 3.0, "3", "3.0", " 3 "])
def test_rating_by_label_or_point_value(role: Role, tmp_path: Path, suffix: str,
                                        rating: Any) -> None:
    apps = read(role, write_applicants(tmp_path / f"a{suffix}", [passing("A1", E1=rating)]))
    assert errors(apps) == []
    assert column(apps, "level:E1") == [LEVEL_SUBSTANTIAL]


@pytest.mark.parametrize(("rating", "level"), [("n/a", 0), ("N/A", 0), ("ok", 1), ("OK", 1),
                                               ("5", 3), ("3", 2), ("1", 1), ("0", 0)])
def test_rating_by_alias_or_custom_point_value(role: Role, tmp_path: Path, rating: str,
                                               level: int) -> None:
    scale_of = {"n/a": "D1", "N/A": "D1"}
    cid = scale_of.get(rating, "E2")
    apps = read(role, write_applicants(tmp_path / "a.csv", [passing("A1", **{cid: rating})]))
    assert errors(apps) == []
    assert column(apps, f"level:{cid}") == [level]


def test_level_index_is_not_a_point_value(role: Role, tmp_path: Path) -> None:
    # E2's points are 0, 1, 3, 5: "2" is neither a label nor a point value.
    apps = read(role, write_applicants(tmp_path / "a.csv", [passing("A1", E2="2")]))
    [p] = errors(apps)
    assert p.type == "unknown-rating"
    assert '"Good" (3)' in p.message


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize(("value", "level"), [
    ("Yes", 1), ("yes", 1), ("Y", 1), ("y", 1), ("TRUE", 1), ("true", 1), ("1", 1), (1, 1),
    ("No", 0), ("N", 0), ("n", 0), ("False", 0), ("0", 0), (0, 0),
])
def test_yes_no_spellings(role: Role, tmp_path: Path, suffix: str, value: Any,
                          level: int) -> None:
    apps = read(role, write_applicants(tmp_path / f"a{suffix}", [passing("A1", G1=value)]))
    assert errors(apps) == []
    assert column(apps, "level:G1") == [level]


def test_yes_no_as_workbook_booleans(role: Role, tmp_path: Path) -> None:
    apps = read(role, write_applicants(tmp_path / "a.xlsx", [
        passing("A1", G1=True, gis=True), passing("A2", G1=False, gis=False)]))
    assert errors(apps) == []
    assert column(apps, "level:G1") == [1, 0]
    assert column(apps, "guaranteed_interview") == [True, False]


def test_numbers_stored_as_text_and_as_numbers(role: Role, tmp_path: Path) -> None:
    apps = read(role, write_applicants(tmp_path / "a.xlsx", [
        passing("007", E1="3"), passing(8, E1=3), passing(9.0, E1=3.0)]))
    assert errors(apps) == []
    assert column(apps, "applicant_id") == ["007", "8", "9"], "text keeps leading zeros"
    assert column(apps, "level:E1") == [LEVEL_SUBSTANTIAL] * 3


@pytest.mark.parametrize("odd_one", [None, True])
def test_a_column_of_point_values_mixing_numbers_and_text(role: Role, tmp_path: Path,
                                                          odd_one: Any) -> None:
    """E2's points are 0, 1, 3, 5: 0 is a rating, not a blank; 3, 3.0 and "3" are one; a
    value not on the scale is reported at its own cell, in whatever form it was typed. (A
    true/false cell in the column takes the cell-by-cell path: the result is the same.)"""
    ratings = [0, 0.0, "0", 3, 3.0, " 3 ", 5, 2.0, None, "Good"]
    people = [passing(f"A{k}", E2=r) for k, r in enumerate(ratings)]
    if odd_one is not None:
        people.append(passing("B1", E2=odd_one))
    apps = read(role, write_applicants(tmp_path / "a.xlsx", people))
    assert column(apps, "level:E2")[:len(ratings)] == [0, 0, 0, 2, 2, 2, 3, -1, -1, 2]
    unknown = [p for p in errors(apps) if p.type == "unknown-rating"]
    assert [p.message.split(" is not")[0] for p in unknown] == \
        ["E2 rating '2'"] + (["E2 rating 'TRUE'"] if odd_one is not None else [])
    assert unknown[0].row == 9  # A7, below the header row


def test_ids_and_values_are_trimmed(role: Role, tmp_path: Path) -> None:
    apps = read(role, write_applicants(tmp_path / "a.csv", [
        passing("  A1 ", "  Ann   Smith ", rank=" sergeant ")]))
    assert errors(apps) == []
    assert column(apps, "applicant_id") == ["A1"]
    assert column(apps, "name") == ["Ann Smith"]
    assert column(apps, "current_rank") == ["Sergeant"], "matched to the allowed value"


def test_field_value_not_allowed_is_a_located_error(role: Role, tmp_path: Path) -> None:
    apps = read(role, write_applicants(tmp_path / "a.csv", [passing("A1", rank="PC")]))
    [p] = errors(apps)
    assert (p.type, p.row, p.column) == ("bad-value", 2, '"Current rank"')
    assert "'PC'" in p.message
    assert "'Constable', 'Detective Constable', 'Sergeant'" in p.message


def test_bad_monitoring_value_is_a_warning_not_an_error(role: Role, tmp_path: Path) -> None:
    # Monitoring data must never decide an outcome, so it cannot make an applicant invalid.
    apps = read(role, write_applicants(tmp_path / "a.csv", [
        passing("A1", sex="male"), passing("A2", sex="Unknown")]))
    assert column(apps, "sex") == ["Male", "Unknown"]
    assert errors(apps) == []
    assert apps.errors == [[], []]
    [p] = warnings(apps)
    assert (p.type, p.column, p.row) == ("bad-value", '"Sex"', 3)
    assert "'Female', 'Male', 'Prefer not to say'" in p.message


# ---------------------------------------------------------------------------------------------
# CSV encodings and delimiters


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_encodings_and_delimiters(role: Role, tmp_path: Path, encoding: str,
                                      delimiter: str) -> None:
    evidence = "Led a £5m fraud case; café owners, “quoted” — and more"
    path = write_applicants(tmp_path / "a.csv", [
        passing("A1", "Zoë Brontë", evidence={"E1": evidence}),
        passing("A2", "José Núñez", E1="Extensive")], encoding=encoding, delimiter=delimiter)
    apps = read(role, path)
    assert apps.problems == []
    assert column(apps, "applicant_id") == ["A1", "A2"]
    assert column(apps, "name") == ["Zoë Brontë", "José Núñez"]
    assert column(apps, "evidence:E1")[0] == evidence
    assert column(apps, "level:E1") == [LEVEL_SOME, 4]
    expected_note = {",": "comma", ";": "semicolon", "\t": "tab"}[delimiter]
    assert apps.inputs[0].notes == [f"{encoding}, {expected_note}-separated"]


def test_csv_with_unbalanced_quote_is_unreadable_with_its_line(role: Role,
                                                               tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(",".join(table_header()) + '\r\nA1,"Ann,Sergeant\r\n', encoding="utf-8")
    [p] = read(role, path).unreadable
    assert p.type == "bad-csv"
    assert p.file is not None and p.file.endswith("bad.csv")
    assert p.row == 2, "the line the unbalanced quote starts on"


def test_binary_file_named_csv_is_unreadable(role: Role, tmp_path: Path) -> None:
    path = tmp_path / "binary.csv"
    path.write_bytes(b"\x00\x01\x02garbage\x00")
    apps = read(role, path)
    [p] = apps.unreadable
    assert p.file.endswith("binary.csv")
    assert "expected a CSV/text file" in p.message
    assert apps.inputs[0].readable is False


def test_empty_file_is_unreadable(role: Role, tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    [p] = read(role, path).unreadable
    assert p.type == "empty-file"


def test_csv_with_no_header_is_unreadable(role: Role, tmp_path: Path) -> None:
    path = write_rows(tmp_path / "junk.csv", [["a", "b"], ["1", "2"]])
    [p] = read(role, path).unreadable
    assert "'Applicant ID'" in p.message and "'E1'" in p.message
    assert p.message.endswith("; searched lines 1–2 (all it holds)")


def test_no_header_names_the_sheets_and_rows_searched(role: Role, tmp_path: Path) -> None:
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "Notes"
    for r in range(1, 81):
        notes.cell(r, 1, f"note {r}")
    data = wb.create_sheet("Data")
    data.cell(3, 2, "x")
    wb.create_sheet("Spare").sheet_state = "hidden"
    wb.save(tmp_path / "book.xlsx")
    [p] = read(role, tmp_path / "book.xlsx").unreadable
    assert p.type == "no-header" and p.sheet is None
    assert p.message.endswith("; searched 3 sheets: 'Notes' rows 1–50 (of 80); 'Data' row 3 "
                              "(all it holds); hidden 'Spare' (no cells)")
    one = openpyxl.Workbook()
    one.active.title = "Only"
    one.active.cell(1, 1, "title")
    one.save(tmp_path / "one.xlsx")
    [p] = read(role, tmp_path / "one.xlsx").unreadable
    assert p.sheet == "Only"
    assert p.message.endswith("; searched sheet 'Only', row 1 (all it holds)")


# ---------------------------------------------------------------------------------------------
# Folders


def test_folder_reads_every_spreadsheet(role: Role, tmp_path: Path) -> None:
    folder = tmp_path / "apps"
    write_applicants(folder / "b.csv", [passing("B1")])
    write_applicants(folder / "a.xlsx", [passing("A1"), passing("A2")])
    (folder / ".hidden.csv").write_text("not,a,sheet\n", encoding="utf-8")
    (folder / "~$a.xlsx").write_bytes(b"lock file")
    (folder / "notes.docx").write_bytes(b"PK\x03\x04")
    (folder / "sub").mkdir()
    write_applicants(folder / "sub" / "c.csv", [passing("C1")])
    apps = read(role, folder)
    assert errors(apps) == []
    assert column(apps, "applicant_id") == ["A1", "A2", "B1"], "sorted; sub-folders not read"
    [w] = warnings(apps)
    assert w.type == "not-a-spreadsheet"
    assert w.file.endswith("notes.docx")
    assert ".xlsx" in w.message and ".csv" in w.message
    assert [i.file.rsplit("/", 1)[-1] for i in apps.inputs] == ["a.xlsx", "b.csv"]


def test_folder_text_notes_are_not_spreadsheets(role: Role, tmp_path: Path) -> None:
    folder = tmp_path / "apps"
    write_applicants(folder / "a.csv", [passing("A1")])
    (folder / "README.txt").write_text("Applications for the DS post.\n", encoding="utf-8")
    apps = read(role, folder)
    assert errors(apps) == []
    assert [w.type for w in warnings(apps)] == ["not-a-spreadsheet"]


def test_folder_without_spreadsheets(role: Role, tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    (folder / "notes.docx").write_bytes(b"PK")
    with pytest.raises(InputNotFound, match="holds no spreadsheets"):
        read(role, folder)


def test_missing_input(role: Role, tmp_path: Path) -> None:
    with pytest.raises(InputNotFound, match="does not exist"):
        read(role, tmp_path / "nope.csv")


def test_file_given_twice_is_read_once(role: Role, tmp_path: Path) -> None:
    path = write_applicants(tmp_path / "a.csv", [passing("A1")])
    files, notes = expand_inputs([path, tmp_path, path])
    assert files == [path]
    assert [n.type for n in notes] == ["repeated-input", "repeated-input"]
    apps = read(role, path, path)
    assert len(apps) == 1
    assert errors(apps) == []


def test_a_link_to_a_file_already_given_is_read_once(role: Role, tmp_path: Path) -> None:
    folder = tmp_path / "apps"
    path = write_applicants(folder / "a.csv", [passing("A1")])
    (folder / "b.csv").symlink_to(path)
    (tmp_path / "link").symlink_to(folder, target_is_directory=True)
    files, notes = expand_inputs([folder, tmp_path / "link" / "a.csv", tmp_path / "link"])
    assert files == [path]
    assert [(n.type, Path(n.file or "").name) for n in notes] == [
        ("repeated-input", "b.csv"), ("repeated-input", "a.csv"), ("repeated-input", "a.csv"),
        ("repeated-input", "b.csv")]


# ---------------------------------------------------------------------------------------------
# The form layout

FORM_FIELDS = {"Applicant ID": "F1", "Name": "Fred Bloggs", "Current rank": "Constable",
               "Guaranteed interview": "No", "Sex": "Male"}
FORM_ANSWERS = {"G1": ("Yes", ""), "E1": ("Substantial", "I ran Operation Nightjar."),
                "E2": ("Excellent", "Reports praised."), "D1": ("Some", "Courses"),
                "D2": ("Yes", "Passed in 2022")}


def test_form_layout(role: Role, tmp_path: Path) -> None:
    path = write_form(tmp_path / "fred.xlsx", FORM_ANSWERS, fields=FORM_FIELDS, role=role)
    apps = read(role, path)
    assert apps.problems == []
    assert apps.inputs[0].layout == "form"
    assert column(apps, "applicant_id") == ["F1"]
    assert column(apps, "name") == ["Fred Bloggs"]
    assert column(apps, "current_rank") == ["Constable"]
    assert column(apps, "sex") == ["Male"]
    assert column(apps, "sheet") == ["Application"]
    assert column(apps, "row") == [2], "the row of the Applicant ID entry"
    assert column(apps, "level:E1") == [LEVEL_SUBSTANTIAL]
    assert column(apps, "evidence:E1") == ["I ran Operation Nightjar."]
    assert column(apps, "level:D2") == [1]


def test_forms_and_tables_together(role: Role, tmp_path: Path) -> None:
    folder = tmp_path / "apps"
    write_form(folder / "f1.xlsx", FORM_ANSWERS, fields=FORM_FIELDS, role=role)
    write_form(folder / "f2.xlsx", FORM_ANSWERS, fields={**FORM_FIELDS, "Applicant ID": "F2"})
    write_applicants(folder / "table.csv", [passing("T1"), passing("T2")])
    apps = read(role, folder)
    assert errors(apps) == []
    assert column(apps, "applicant_id") == ["F1", "F2", "T1", "T2"]
    assert [i.layout for i in apps.inputs] == ["form", "form", "table"]


def test_form_unknown_rating_is_located(role: Role, tmp_path: Path) -> None:
    answers = {**FORM_ANSWERS, "E1": ("Heaps", "x")}
    path = write_form(tmp_path / "f.xlsx", answers, fields=FORM_FIELDS, role=role)
    apps = read(role, path)
    [p] = errors(apps)
    # Title (1), 5 field rows (2–6), a blank row (7), the table header (8), G1 (9), E1 (10).
    assert (p.sheet, p.row, p.column) == ("Application", 10, 'D "Your rating"')
    assert "'Heaps'" in p.message and '"Extensive" (4)' in p.message


def test_form_unknown_and_missing_criteria(role: Role, tmp_path: Path) -> None:
    answers = {k: v for k, v in FORM_ANSWERS.items() if k != "E2"}
    answers["X9"] = ("Yes", "")
    path = write_form(tmp_path / "f.xlsx", answers, fields=FORM_FIELDS, role=role)
    apps = read(role, path)
    by_type = {p.type: p for p in errors(apps)}
    assert set(by_type) == {"unknown-criterion", "missing-criterion"}
    unknown = by_type["unknown-criterion"]
    assert (unknown.sheet, unknown.row, unknown.column) == ("Application", 13, "A")
    assert "expected one of G1, E1, E2, D1, D2" in unknown.message
    missing = by_type["missing-criterion"]
    assert missing.row == 8 and "E2" in missing.message
    assert apps.errors[0], "the applicant is invalid"


def test_form_without_applicant_id(role: Role, tmp_path: Path) -> None:
    fields = {k: v for k, v in FORM_FIELDS.items() if k != "Applicant ID"}
    path = write_form(tmp_path / "f.xlsx", FORM_ANSWERS, fields=fields, role=role)
    apps = read(role, path)
    assert "missing-field" in {p.type for p in errors(apps)}
    [p] = [p for p in errors(apps) if p.type == "missing-field"]
    assert "'Applicant ID'" in p.message and p.sheet == "Application"
    assert len(apps) == 1, "the form is still listed (as invalid)"


def test_form_bad_field_value_is_located(role: Role, tmp_path: Path) -> None:
    path = write_form(tmp_path / "f.xlsx", FORM_ANSWERS,
                      fields={**FORM_FIELDS, "Current rank": "Inspector"}, role=role)
    [p] = errors(read(role, path))
    assert (p.type, p.sheet, p.row, p.column) == ("bad-value", "Application", 4, "B")
    assert "'Inspector'" in p.message and "'Constable'" in p.message


# ---------------------------------------------------------------------------------------------
# Every problem is located and says what would be accepted


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_every_cell_problem_names_file_sheet_row_and_column(role: Role, tmp_path: Path,
                                                            suffix: str) -> None:
    path = write_applicants(tmp_path / f"bad{suffix}", [
        passing("A1"),
        passing("A2", E1="Lots"),          # unknown rating (row 3)
        passing("A3", G1="maybe"),         # unknown yes/no (row 4)
        passing("A4", rank="Chief"),       # value not allowed (row 5)
        passing("A5", gis="perhaps"),      # unknown yes/no in a field (row 6)
        passing("", "No Id"),              # blank id (row 7)
        passing("A1"),                     # duplicate id (row 8, and row 2)
    ], title_rows=[["Sift"]])
    apps = read(role, path)
    problems = errors(apps)
    assert len(problems) == 7
    is_workbook = suffix == ".xlsx"
    letters = {h: chr(ord("A") + i) for i, h in enumerate(table_header())}
    for p in problems:
        assert p.file is not None and p.file.endswith(f"bad{suffix}"), p
        assert p.row is not None, p
        assert p.column, p
        if is_workbook:
            assert p.sheet == "Applications", p
            assert p.column[0] in letters.values(), p
        assert "expected" in p.message or "needs" in p.message, p
    rows = sorted((p.row, p.type) for p in problems)
    assert rows == [(3, "duplicate-id"), (4, "unknown-rating"), (5, "unknown-rating"),
                    (6, "bad-value"), (7, "bad-value"), (8, "missing-value"),
                    (9, "duplicate-id")]
    located = {p.row: p for p in problems}
    e1 = located[4]
    assert e1.column.endswith('"E1 rating"')
    if is_workbook:
        assert e1.column == f'{letters["E1 rating"]} "E1 rating"'
    assert 'expected one of "None" (0), "Limited" (1)' in e1.message
    assert '"No" (0), "Yes" (1)' in located[5].message
    assert "also" in located[5].message, "aliases such as y/n are listed too"


def test_problem_text_and_dict(tmp_path: Path) -> None:
    p = Problem("unknown-rating", "E1 rating 'x' is not on the scale; expected one of …",
                "a.xlsx", "Applications", 7).at(Column("E1 rating", "C"))
    assert str(p) == ("a.xlsx, sheet 'Applications', row 7, column C \"E1 rating\": "
                      "E1 rating 'x' is not on the scale; expected one of …")
    assert p.to_dict() == {"type": "unknown-rating", "severity": "error", "file": "a.xlsx",
                           "sheet": "Applications", "row": 7, "column": "E1 rating",
                           "column_letter": "C",
                           "message": "E1 rating 'x' is not on the scale; expected one of …"}


@pytest.mark.parametrize(("column", "label", "name", "letter"), [
    (Column("E2 rating", "K"), 'K "E2 rating"', "E2 rating", "K"),
    (Column(None, "K"), "K", "K", "K"),
    (Column("E2 rating", None), '"E2 rating"', "E2 rating", None),
])
def test_problem_columns_for_people_and_for_scripts(column: Column, label: str, name: str,
                                                    letter: str | None) -> None:
    p = Problem("unknown-rating", "…", "a.xlsx", "S", 7).at(column)
    assert p.column == label and column_label(name, letter) == label
    assert (p.to_dict()["column"], p.to_dict()["column_letter"]) == (name, letter)


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_json_column_is_the_header_as_written_and_the_letter_is_separate(
        role: Role, tmp_path: Path, suffix: str) -> None:
    path = write_applicants(tmp_path / f"a{suffix}", [passing("A1", E2="Superb")])
    [p] = errors(read(role, path))
    letter = chr(ord("A") + table_header().index("E2 rating"))
    d = p.to_dict()
    assert d["column"] == "E2 rating"
    assert d["column_letter"] == (letter if suffix == ".xlsx" else None)
    assert p.column == (f'{letter} "E2 rating"' if suffix == ".xlsx" else '"E2 rating"')


def test_applicant_keeps_its_source(role: Role, tmp_path: Path) -> None:
    one = write_applicants(tmp_path / "one.csv", [passing("A1"), applicant("A2", E1="Some")])
    two = write_applicants(tmp_path / "two.csv", [passing("B1")])
    apps = read(role, one, two)
    sources = list(zip(column(apps, "file"), column(apps, "row"), strict=True))
    assert [(f.rsplit("/", 1)[-1], r) for f, r in sources] == [
        ("one.csv", 2), ("one.csv", 3), ("two.csv", 2)]
    assert [i.applicants for i in apps.inputs] == [2, 1]
    assert all(len(i.sha256) == 64 for i in apps.inputs)
