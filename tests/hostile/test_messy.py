"""Messy honest files (issue 4, "Messy honest files read correctly"), each built in code.

Error cells, formula cells, merged header cells, hidden decoy sheets, NBSP and trailing spaces,
CSV in UTF-16, ragged rows, mislabelled files, duplicate ids across files, and how `rank`
treats an unreadable file. Workbooks are written cell by cell with `sheets.py` (xlsx, ODS and
xls), so formulas carry cached values and error cells are real error cells.

Covered elsewhere and not repeated here (tests/test_readers.py): header below title rows
(`test_header_below_title_rows`), blank rows (`test_blank_rows_between_applicants_are_skipped`),
numbers stored as text and `3.0` for `3` (`test_numbers_stored_as_text_and_as_numbers`,
`test_rating_by_label_or_point_value`), booleans for yes/no (`test_yes_no_as_workbook_booleans`),
trailing spaces in CSV (`test_ids_and_values_are_trimmed`), CSV in UTF-8 with and without BOM
and cp1252 with comma, semicolon or tab (`test_csv_encodings_and_delimiters`), an unbalanced
quote (`test_csv_with_unbalanced_quote_is_unreadable_with_its_line`), duplicate ids within a
file (`test_every_cell_problem_names_file_sheet_row_and_column`); tests/hostile/test_guard.py:
dangerous and mislabelled files before any reader opens them.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from typer.testing import CliRunner

from shortlist.cli import app
from shortlist.errors import Problem
from shortlist.readers import Applications, guard, read_applications
from shortlist.role import Role
from shortlist.sift import run_sift

from ..conftest import (
    passing,
    table_header,
    table_rows,
    write_applicants,
    write_role,
    write_rows,
)
from .sheets import Covered, Err, F, SheetSpec, write_book

HEAD = table_header()
COL = {h: j for j, h in enumerate(HEAD)}
LETTER = {h: chr(ord("A") + j) for j, h in enumerate(HEAD)}
BOOKS = [".xlsx", ".ods", ".xls"]


def read(role: Role, *paths: Path) -> Applications:
    return read_applications(role, list(paths))


def errors(apps: Applications) -> list[Problem]:
    return [p for p in apps.problems if p.is_error]


def of_type(apps: Applications, kind: str) -> list[Problem]:
    return [p for p in apps.problems if p.type == kind]


def column(apps: Applications, name: str) -> list[Any]:
    return apps.frame[name].tolist()


def table(*applicants: Any, edits: dict[tuple[int, str], Any] | None = None,
          above: list[list[Any]] | None = None) -> list[list[Any]]:
    """Header and applicants' rows; `edits[(k, header)]` replaces applicant k's cell."""
    rows = table_rows(applicants)
    for (k, header), value in (edits or {}).items():
        rows[k][COL[header]] = value
    return [*(above or []), list(HEAD), *rows]


def book(tmp_path: Path, suffix: str, rows: list[list[Any]], name: str = "Applications",
         merges: list[tuple[int, int, int, int]] | None = None, refs: bool = True) -> Path:
    return write_book(tmp_path / f"apps{suffix}", SheetSpec(name, rows, merges or []),
                      refs=refs)


# ---------------------------------------------------------------------------------------------
# Error cells: an error at that cell, never a blank


@pytest.mark.parametrize(("suffix", "refs"), [(".xlsx", True), (".xlsx", False),
                                              (".ods", True), (".xls", True)])
def test_error_cells_are_errors_at_their_cells(role: Role, tmp_path: Path, suffix: str,
                                               refs: bool) -> None:
    rows = table(passing("A1"), passing("A2"), passing("A3"), passing("A4"), edits={
        (0, "E1 rating"): Err("#N/A"),
        (1, "E1 evidence"): Err("#VALUE!"),
        (1, "Name"): Err("#REF!"),
        (2, "Guaranteed interview"): Err("#DIV/0!"),
        (2, "D1 rating"): Err("#NUM!", expr=None),  # an error value pasted without formula
    })
    apps = read(role, book(tmp_path, suffix, rows, refs=refs))
    found = {(p.row, p.column): p for p in errors(apps)}
    expect = {(2, "E1 rating"): "#N/A", (3, "E1 evidence"): "#VALUE!", (3, "Name"): "#REF!",
              (4, "Guaranteed interview"): "#DIV/0!", (4, "D1 rating"): "#NUM!"}
    assert set(found) == {(r, f'{LETTER[h]} "{h}"') for r, h in expect}
    for (row, header), code in expect.items():
        p = found[(row, f'{LETTER[header]} "{header}"')]
        assert p.type == "error-cell"
        assert p.sheet == "Applications" and p.file and p.file.endswith(f"apps{suffix}")
        assert code in p.message and "expected" in p.message, p.message
    assert '"None" (0), "Limited" (1)' in found[(2, 'H "E1 rating"')].message
    assert "a value that is not available" in found[(2, 'H "E1 rating"')].message
    # Read as an error, not as blank: the rating is unreadable, not "no answer".
    assert column(apps, "unreadable:E1") == [True, False, False, False]
    assert column(apps, "unreadable:D1") == [False, False, True, False]
    assert column(apps, "evidence:E1")[1] == ""
    assert [bool(e) for e in apps.errors] == [True, True, True, False], "A4 is fine"
    assert of_type(apps, "formula-cell") == [], "error cells are not also formula warnings"


def test_error_in_the_id_column_is_one_error(role: Role, tmp_path: Path) -> None:
    apps = read(role, book(tmp_path, ".xlsx", table(passing("A1"), passing("A2"),
                                                   edits={(1, "Applicant ID"): Err("#N/A")})))
    [p] = apps.errors[1]
    assert (p.type, p.row, p.column) == ("error-cell", 3, 'A "Applicant ID"')
    assert apps.errors[0] == []


def test_error_in_monitoring_data_is_a_warning(role: Role, tmp_path: Path) -> None:
    apps = read(role, book(tmp_path, ".ods", table(passing("A1"),
                                                  edits={(0, "Sex"): Err("Err:502")})))
    assert errors(apps) == []
    [p] = of_type(apps, "error-cell")
    assert p.severity == "warning" and p.row == 2 and p.column == 'D "Sex"'
    assert "Err:502" in p.message and "LibreOffice" in p.message
    assert column(apps, "sex") == [""]


def test_error_text_typed_by_a_person_is_an_unknown_rating(role: Role, tmp_path: Path) -> None:
    apps = read(role, write_applicants(tmp_path / "a.csv", [passing("A1", E1="#N/A")]))
    [p] = errors(apps)
    assert p.type == "unknown-rating" and "'#N/A'" in p.message


def test_error_cell_in_a_form(role: Role, tmp_path: Path) -> None:
    rows = [["Application form"], ["Applicant ID", "F1"], ["Name", Err("#NAME?")],
            ["Current rank", "Sergeant"], [],
            ["Criterion ID", "Section", "Criterion", "Your rating", "Your evidence"],
            ["G1", "", "", "Yes", ""], ["E1", "", "", Err("#N/A"), "Led it."],
            ["E2", "", "", "Good", ""], ["D1", "", "", "None", ""], ["D2", "", "", "", ""]]
    apps = read(role, write_book(tmp_path / "form.xlsx", SheetSpec("Application", rows)))
    found = sorted((p.row, p.column, p.type) for p in errors(apps))
    assert found == [(3, "B", "error-cell"), (8, 'D "Your rating"', "error-cell")]
    assert column(apps, "unreadable:E1") == [True]


def test_every_error_value_is_named(role: Role, tmp_path: Path) -> None:
    codes = ["#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A"]
    apps = read(role, book(tmp_path, ".xlsx", table(
        *(passing(f"A{k}") for k in range(len(codes))),
        edits={(k, "E2 rating"): Err(code) for k, code in enumerate(codes)})))
    messages = [p.message for p in errors(apps)]
    for code, message in zip(codes, messages, strict=True):
        assert f"error value {code} (" in message, message


# ---------------------------------------------------------------------------------------------
# Formula cells: the cached value is used, and flagged once per column


@pytest.mark.parametrize(("suffix", "refs"), [(".xlsx", True), (".xlsx", False),
                                              (".ods", True), (".xls", True)])
def test_formula_cells_use_the_saved_value_and_warn_once_per_column(
        role: Role, tmp_path: Path, suffix: str, refs: bool) -> None:
    rows = table(passing("A1"), passing("A2"), passing("A3"), passing("A4"), edits={
        (0, "E1 rating"): F('"Ext"&"ensive"', "Extensive"),
        (1, "E1 rating"): F("Lists!B2", "Some"),
        (3, "E1 rating"): F("Lists!B2", "Some"),
        (2, "D1 rating"): F("1+1", 2),
    })
    rows[0].append("Total")  # a column no criterion uses: its formulas are not read
    for r in rows[1:]:
        r.append(F("SUM(H2:H9)", 9))
    rows.insert(0, [F('"Applications "&"2026"', "Applications 2026")])  # a title formula
    apps = read(role, book(tmp_path, suffix, rows, refs=refs))
    assert errors(apps) == []
    assert column(apps, "level:E1") == [4, 2, 2, 2]
    assert column(apps, "level:D1") == [0, 0, 2, 0]
    e1, d1 = of_type(apps, "formula-cell")
    assert (e1.severity, e1.row, e1.column) == ("warning", 3, 'H "E1 rating"')
    assert "3 cells (rows 3–6) hold formulas" in e1.message
    assert "last calculated" in e1.message and "no value" not in e1.message
    assert (d1.row, d1.column) == (5, 'L "D1 rating"')
    assert d1.message.startswith("D1 rating holds a formula")
    assert not [p for p in apps.problems if p.type == "formula-cell" and "Total" in str(p)]


def test_formula_never_calculated_reads_blank_and_says_so(role: Role, tmp_path: Path) -> None:
    # openpyxl and other libraries write formulas without a calculated value.
    rows = table(passing("A1"), passing("A2"), edits={(0, "E1 rating"): F('"Some"'),
                                                      (1, "E1 rating"): F('"Some"', "Some")})
    apps = read(role, book(tmp_path, ".xlsx", rows))
    [p] = of_type(apps, "formula-cell")
    assert "2 cells (rows 2–3)" in p.message
    assert "1 of them show no value and read as blank" in p.message
    assert "save it again" in p.message
    assert column(apps, "level:E1") == [-1, 2]


def test_formula_cells_in_a_form(role: Role, tmp_path: Path) -> None:
    rows = [["Applicant ID", F('"F"&"1"', "F1")], ["Current rank", "Sergeant"], [],
            ["Criterion ID", "Section", "Criterion", "Your rating", "Your evidence", "Words"],
            ["G1", "", "", F('"Yes"', "Yes"), "", F("LEN(E5)", 0)],
            ["E1", "", "", F('"Some"', "Some"), "Led it.", F("LEN(E6)", 2)],
            ["E2", "", "", "Good", "", F("LEN(E7)", 0)],
            ["D1", "", "", "None", "", F("LEN(E8)", 0)]]
    apps = read(role, write_book(tmp_path / "form.ods", SheetSpec("Application", rows)))
    assert [p.type for p in errors(apps)] == ["missing-criterion"]  # D2 has no row
    found = sorted((p.row, p.column) for p in of_type(apps, "formula-cell"))
    assert found == [(1, "B"), (5, 'D')], "the 'Words' formulas are not read, so not flagged"
    rating = next(p for p in of_type(apps, "formula-cell") if p.column == "D")
    assert "2 cells (rows 5–6)" in rating.message and '"Your rating"' in rating.message
    assert column(apps, "applicant_id") == ["F1"]


@pytest.mark.parametrize("refs", [True, False])
def test_cells_noted_across_chunk_boundaries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            refs: bool) -> None:
    """The guard streams sheets in pieces: a cell's tag and its <f>/<v> may be cut apart."""
    rows: list[list[Any]] = []
    for i in range(400):
        rows.append([f"text {i}", F(f"A{i}", i) if i % 3 else i,
                     Err("#N/A") if i % 7 == 0 else "", F("1", 1) if i % 5 == 0 else None])
    path = write_book(tmp_path / "many.xlsx", SheetSpec("S", rows), refs=refs)
    whole = guard.inspect(path).cells["S"]
    for chunk in (97, 256, 1000):
        monkeypatch.setattr(guard, "_CHUNK", chunk)
        cut = guard.inspect(path).cells["S"]
        assert list(cut.errors()) == list(whole.errors()), chunk
        assert sorted(zip(cut.formula_rows, cut.formula_cols, strict=True)) == \
            sorted(zip(whole.formula_rows, whole.formula_cols, strict=True)), chunk
    expected_errors = [(i, 2, "#N/A") for i in range(0, 400, 7)]
    assert list(whole.errors()) == expected_errors
    expected = ({(i, 1) for i in range(400) if i % 3} | {(i, 2) for i in range(0, 400, 7)}
                | {(i, 3) for i in range(0, 400, 5)})  # error cells hold formulas too
    assert set(zip(whole.formula_rows, whole.formula_cols, strict=True)) == expected


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) is not installed")
def test_error_and_formula_cells_as_libreoffice_saves_them(role: Role, tmp_path: Path) -> None:
    """LibreOffice recalculates and writes .ods and .xls its own way (calcext:value-type,
    Err:5xx, FORMULA records): the same cells are found."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Applications"
    for row in table(passing("A1"), passing("A2"), passing("A3")):
        ws.append([None if v == "" else v for v in row])
    ws[f"{LETTER['E1 rating']}2"] = "=1/0"
    ws[f"{LETTER['E1 rating']}3"] = '="Ext"&"ensive"'
    ws[f"{LETTER['E2 rating']}3"] = "=NA()"
    source = tmp_path / "source.xlsx"
    wb.save(source)
    for target in ("ods", "xls"):
        subprocess.run([SOFFICE, f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
                        "--headless", "--norestore", "--convert-to", target, "--outdir",
                        str(tmp_path), str(source)], capture_output=True, timeout=180,
                       check=True)
        apps = read(role, tmp_path / f"source.{target}")
        found = sorted((p.row, p.column[0], p.type) for p in errors(apps))
        assert found == [(2, "H", "error-cell"), (3, "J", "error-cell")], target
        assert "#DIV/0!" in errors(apps)[0].message
        assert column(apps, "level:E1") == [-1, 4, 2], target
        [p] = of_type(apps, "formula-cell")
        assert (p.row, p.column) == (3, 'H "E1 rating"'), target


# ---------------------------------------------------------------------------------------------
# Merged header cells


def _covered(row: list[Any], first: int, last: int) -> list[Any]:
    return [Covered() if first < j <= last else v for j, v in enumerate(row)]


G1 = COL["G1 rating"]  # the first criterion column
DATA = table_rows([passing("A1"), passing("A2", E1="Extensive")])


def _title_over_criteria() -> SheetSpec:
    above = [""] * len(HEAD)
    above[G1] = "Ratings and evidence"
    return SheetSpec("S", [_covered(above, G1, len(HEAD) - 1), list(HEAD), *DATA],
                     [(0, G1, 0, len(HEAD) - 1)])


def _two_level_header() -> SheetSpec:
    # "Applicant ID", "Name"… merged down over both header rows; "Ratings" across the rest.
    top = [*HEAD[:G1], "Ratings", *[""] * (len(HEAD) - G1 - 1)]
    below = [Covered()] * G1 + HEAD[G1:]
    return SheetSpec("S", [_covered(top, G1, len(HEAD) - 1), below, *DATA],
                     [(0, j, 1, j) for j in range(G1)] + [(0, G1, 0, len(HEAD) - 1)])


def _id_over_rating_and_evidence(fields_merged: bool) -> SheetSpec:
    # "E1 – <text>" merged across two columns above "Rating | Evidence".
    top, below = list(HEAD[:G1]), [Covered() if fields_merged else ""] * G1
    merges = [(0, j, 1, j) for j in range(G1)] if fields_merged else []
    for k, cid in enumerate(("G1", "E1", "E2", "D1", "D2")):
        top += [f"{cid} – criterion", Covered()]
        below += ["Rating", "Evidence"]
        merges.append((0, G1 + 2 * k, 0, G1 + 2 * k + 1))
    return SheetSpec("S", [top, below, *DATA], merges)


def _header_merged_across_two_columns() -> SheetSpec:
    at = COL["E1 evidence"]
    head = [*HEAD[: at + 1], Covered(), *HEAD[at + 1:]]
    data = [[*r[: at + 1], "", *r[at + 1:]] for r in DATA]
    return SheetSpec("S", [head, *data], [(0, at, 0, at + 1)])


@pytest.mark.parametrize("suffix", BOOKS)
@pytest.mark.parametrize(("build", "first_row"), [
    (_title_over_criteria, 3),
    (_two_level_header, 3),
    (lambda: _id_over_rating_and_evidence(True), 3),
    (lambda: _id_over_rating_and_evidence(False), 3),
    (_header_merged_across_two_columns, 2),
], ids=["title-over-criteria", "two-level-header", "id-over-rating-evidence",
        "id-over-rating-evidence-unmerged-fields", "header-across-two-columns"])
def test_merged_header_cells(role: Role, tmp_path: Path, suffix: str, build: Any,
                             first_row: int) -> None:
    spec = build()
    apps = read(role, write_book(tmp_path / f"merged{suffix}", spec))
    assert apps.problems == []
    assert column(apps, "applicant_id") == ["A1", "A2"]
    assert column(apps, "level:E1") == [2, 4]
    assert column(apps, "evidence:E1") == ["I led the investigation and wrote the file."] * 2
    assert column(apps, "row") == [first_row, first_row + 1]


def test_merged_header_problems_name_the_combined_header(role: Role, tmp_path: Path) -> None:
    spec = _id_over_rating_and_evidence(True)
    spec.rows[2][COL["E1 rating"]] = "Lots"
    apps = read(role, write_book(tmp_path / "merged.xlsx", spec))
    [p] = errors(apps)
    assert (p.row, p.column) == (3, 'H "E1 – criterion Rating"')


@pytest.mark.parametrize("suffix", BOOKS)
def test_form_label_merged_across_cells(role: Role, tmp_path: Path, suffix: str) -> None:
    rows = [["Applicant ID", Covered(), "F7"], ["Current rank", Covered(), "Sergeant"], [],
            ["Criterion ID", "Section", "Criterion", "Your rating", "Your evidence"],
            ["G1", "", "", "Yes", ""], ["E1", "", "", "Some", "Led it."],
            ["E2", "", "", "Good", ""], ["D1", "", "", "None", ""], ["D2", "", "", "", ""]]
    spec = SheetSpec("Application", rows, [(0, 0, 0, 1), (1, 0, 1, 1)])
    apps = read(role, write_book(tmp_path / f"form{suffix}", spec))
    assert errors(apps) == []
    assert column(apps, "applicant_id") == ["F7"]
    assert column(apps, "current_rank") == ["Sergeant"]


# ---------------------------------------------------------------------------------------------
# Hidden decoy sheets: the visible sheet is read, and check says which


@pytest.mark.parametrize("suffix", BOOKS)
@pytest.mark.parametrize("state", ["hidden", "veryHidden"])
def test_hidden_decoy_sheet(role: Role, tmp_path: Path, suffix: str, state: str) -> None:
    decoy = SheetSpec("Applications", table(passing("X1"), passing("X2")), state=state)
    notes = SheetSpec("Notes", [["Internal notes"], ["do not share"]], state="hidden")
    real = SheetSpec("Applications (final)", table(passing("A1"), passing("A2")))
    path = write_book(tmp_path / f"decoy{suffix}", decoy, notes, real)
    apps = read(role, path)
    assert column(apps, "applicant_id") == ["A1", "A2"]
    assert column(apps, "sheet") == ["Applications (final)"] * 2
    assert apps.inputs[0].sheet == "Applications (final)"
    assert apps.inputs[0].notes == ["read sheet 'Applications (final)'"]  # shown by check
    [p] = apps.problems
    assert (p.type, p.severity, p.sheet) == ("hidden-sheet", "warning", "Applications")
    assert "not read" in p.message


# ---------------------------------------------------------------------------------------------
# Spaces: trailing, leading, non-breaking


@pytest.mark.parametrize("suffix", [".xlsx", ".ods", ".csv"])
def test_trailing_and_non_breaking_spaces(role: Role, tmp_path: Path, suffix: str) -> None:
    nbsp = "\u00a0"
    head = [f"{h}{nbsp}" if k % 2 else f" {h} " for k, h in enumerate(HEAD)]
    rows = table(passing("A1"), passing("A2"), edits={
        (0, "Applicant ID"): f"A1{nbsp}", (0, "Name"): f"Ann{nbsp}{nbsp}Smith ",
        (0, "E1 rating"): f"Some{nbsp}", (0, "E2 rating"): f" {nbsp}good ",
        (1, "Applicant ID"): f" A2{nbsp}", (1, "Current rank"): f"Detective{nbsp}Constable ",
        (1, "D1 rating"): f"{nbsp}3{nbsp}",
    })
    rows[0] = head
    path = (write_rows(tmp_path / "a.csv", rows) if suffix == ".csv"
            else book(tmp_path, suffix, rows))
    apps = read(role, path)
    assert errors(apps) == []
    assert column(apps, "applicant_id") == ["A1", "A2"]
    assert column(apps, "name") == ["Ann Smith", "Person A2"]
    assert column(apps, "current_rank") == ["Sergeant", "Detective Constable"]
    assert column(apps, "level:E1") == [2, 2]
    assert column(apps, "level:E2") == [2, 2]
    assert column(apps, "level:D1") == [0, 3]


# ---------------------------------------------------------------------------------------------
# CSV: UTF-16 ("Unicode text"), ragged rows


def _csv_text(rows: list[list[Any]], delimiter: str) -> str:
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


@pytest.mark.parametrize(("codec", "bom", "delimiter"), [
    ("utf-16-le", b"\xff\xfe", "\t"),  # Excel: Save as "Unicode Text (*.txt)"
    ("utf-16-be", b"\xfe\xff", "\t"),
    ("utf-16-le", b"\xff\xfe", ","),
])
def test_csv_in_utf16_with_bom(role: Role, tmp_path: Path, codec: str, bom: bytes,
                               delimiter: str) -> None:
    rows = table(passing("A1", "Zoë Brontë"), passing("A2", "Siân Ó Súilleabháin"))
    path = tmp_path / "unicode.txt"
    path.write_bytes(bom + _csv_text(rows, delimiter).encode(codec))
    apps = read(role, path)
    assert apps.problems == []
    assert column(apps, "name") == ["Zoë Brontë", "Siân Ó Súilleabháin"]
    assert column(apps, "level:E1") == [2, 2]
    sep = {"\t": "tab", ",": "comma"}[delimiter]
    assert apps.inputs[0].notes == [f"utf-16, {sep}-separated"]


def test_ragged_rows_are_reported_at_their_line(role: Role, tmp_path: Path) -> None:
    rows = table(passing("A1", evidence={"E1": "two\nlines"}), passing("A2"), passing("A3"),
                 passing("A4"))
    text = _csv_text(rows, ",").split("\r\n")
    # text[0] header (line 1), [1] A1 (lines 2-3), [2] A2 (line 4), [3] A3, [4] A4 (line 6)
    text[2] = text[2].rsplit(",", 2)[0]  # A2 lost its last two fields
    text[4] = text[4] + ",extra,fields"  # A4 has two more than the header
    path = tmp_path / "ragged.csv"
    path.write_text("\r\n".join(text), encoding="utf-8")
    apps = read(role, path)
    found = {p.row: p for p in errors(apps)}
    assert sorted(found) == [4, 6]
    assert all(p.type == "ragged-row" for p in found.values())
    assert f"has {len(HEAD) - 2} fields, but the header has {len(HEAD)}" in found[4].message
    assert f"has {len(HEAD) + 2} fields" in found[6].message
    assert [bool(e) for e in apps.errors] == [False, True, False, True]
    assert column(apps, "row") == [2, 4, 5, 6]


def test_ragged_row_with_only_blank_extra_fields_is_fine(role: Role, tmp_path: Path) -> None:
    rows = table(passing("A1"))
    text = _csv_text(rows, ";").replace("\r\n", ";;\r\n", 2).split("\r\n")
    text[0] = text[0][:-2]  # the header has no trailing separators, the row has two
    path = tmp_path / "trailing.csv"
    path.write_text("\r\n".join(text), encoding="utf-8")
    assert errors(read(role, path)) == []


# ---------------------------------------------------------------------------------------------
# Files that are not what their names say


@pytest.mark.parametrize(("name", "content", "kind", "words"), [
    ("export.xlsx", "csv", "wrong-extension", "really a CSV/text file"),
    ("photo.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "not-a-spreadsheet",
     "a PNG image"),
    ("report.xlsx", b"%PDF-1.7\n" + b"0" * 500, "not-a-spreadsheet", "a PDF document"),
    ("empty.xlsx", b"", "empty-file", "empty"),
    ("empty.ods", b"", "empty-file", "empty"),
    ("noise.xls", bytes(range(1, 256)) * 8, "wrong-extension", "unrecognised binary data"),
])
def test_mislabelled_and_empty_files_are_named_as_such(role: Role, tmp_path: Path, name: str,
                                                       content: Any, kind: str,
                                                       words: str) -> None:
    path = tmp_path / name
    if content == "csv":
        write_applicants(tmp_path / "real.csv", [passing("A1")])
        path.write_bytes((tmp_path / "real.csv").read_bytes())
    else:
        path.write_bytes(content)
    apps = read(role, path)
    [p] = apps.unreadable
    assert p.file is not None and p.file.endswith(name)
    assert apps.inputs[0].readable is False and len(apps) == 0
    if kind == "wrong-extension" and "noise" in name:
        assert p.type in ("wrong-extension", "not-a-spreadsheet"), p
    else:
        assert p.type == kind, p
    assert words in p.message, p.message
    if content == "csv":
        assert "rename it to .csv" in p.message


def test_workbook_with_no_cells(role: Role, tmp_path: Path) -> None:
    apps = read(role, write_book(tmp_path / "blank.xlsx", SheetSpec("Sheet1", [])))
    [p] = apps.unreadable
    assert p.type == "empty-file" and "holds no cells" in p.message


# ---------------------------------------------------------------------------------------------
# Duplicate ids, within and across files, after trimming spaces


def test_duplicate_ids_across_files_after_trimming(role: Role, tmp_path: Path) -> None:
    one = write_applicants(tmp_path / "one.csv", [passing(" A1 "), passing("B1")])
    two = book(tmp_path, ".xlsx", table(passing("A1\u00a0"), passing("C1"), passing("b1")))
    apps = read(role, one, two)
    dupes = [(p.file.rsplit("/", 1)[-1] if p.file else None, p.row)
             for p in of_type(apps, "duplicate-id")]
    assert sorted(dupes) == [("apps.xlsx", 2), ("apps.xlsx", 4), ("one.csv", 2),
                             ("one.csv", 3)]
    a1 = next(p for p in of_type(apps, "duplicate-id") if p.file and p.file.endswith("csv")
              and p.row == 2)
    assert "'A1'" in a1.message and "apps.xlsx sheet 'Applications' row 2" in a1.message
    assert [bool(e) for e in apps.errors] == [True, True, True, False, True]


@pytest.mark.parametrize("hidden", ["\u200b", "\ufeff", "\u200c", "\u200d", "\u00ad",
                                    "\u200e", "\u2060"])
@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_ids_differing_only_by_invisible_characters_are_duplicates(
        role: Role, tmp_path: Path, hidden: str, suffix: str) -> None:
    people = [passing("A1"), passing(f"A{hidden}1"), passing(f"B2{hidden}")]
    path = (write_applicants(tmp_path / "apps.csv", people) if suffix == ".csv"
            else book(tmp_path, suffix, table(*people)))
    apps = read(role, path)
    assert column(apps, "applicant_id") == ["A1", "A1", "B2"]  # stored as seen
    assert sorted(p.row for p in of_type(apps, "duplicate-id")) == [2, 3]
    cleaned = of_type(apps, "id-cleaned")
    assert [(p.severity, p.row, p.column_name) for p in cleaned] == [
        ("warning", 3, "Applicant ID"), ("warning", 4, "Applicant ID")]
    assert f"U+{ord(hidden):04X}" in cleaned[0].message


def test_ids_in_compatibility_forms_are_duplicates_and_say_how_they_were_written(
        role: Role, tmp_path: Path) -> None:
    path = write_applicants(tmp_path / "apps.csv", [passing("A1"), passing("Ａ１")])  # full-width
    apps = read(role, path)
    first, second = of_type(apps, "duplicate-id")
    assert "(as 'Ａ１')" in first.message and "(as 'A1')" in second.message
    assert column(apps, "applicant_id") == ["A1", "Ａ１"]  # visible: kept as written


# ---------------------------------------------------------------------------------------------
# A bad row makes only that applicant invalid


def test_a_bad_row_makes_only_that_applicant_invalid(role: Role, tmp_path: Path) -> None:
    path = book(tmp_path, ".xlsx", table(
        passing("A1", E1="Extensive"), passing("A2"), passing("A3"), passing("A4", E1="Limited"),
        edits={(1, "E2 rating"): Err("#REF!"), (2, "E1 rating"): "Loads"}))
    sift = run_sift(role, [path])
    status = {r["applicant_id"]: r["status"] for r in sift.records()}
    assert status == {"A1": "shortlisted", "A2": "invalid", "A3": "invalid",
                      "A4": "failed_essential"}
    invalid = {r["applicant_id"]: r["errors"] for r in sift.records()
               if r["status"] == "invalid"}
    assert [e["type"] for e in invalid["A2"]] == ["error-cell"]
    assert [e["type"] for e in invalid["A3"]] == ["unknown-rating"]
    assert sift.summary()["applicants"] == 4


# ---------------------------------------------------------------------------------------------
# An unreadable file stops rank; --skip-unreadable names it in every output

runner = CliRunner()


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "roles").mkdir()
    write_role(tmp_path / "roles")
    write_applicants(tmp_path / "good.csv", [passing("A1"), passing("A2", E1="Extensive")])
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 half a download")
    (tmp_path / "locked.xlsx").write_bytes(b"%PDF-1.4 not a workbook")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHORTLIST_ROLES", raising=False)
    return tmp_path


def test_unreadable_files_stop_rank_and_are_listed(workdir: Path) -> None:
    result = runner.invoke(app, ["rank", "test-ds", "good.csv", "broken.xlsx", "locked.xlsx"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "2 input file(s) could not be read" in result.stderr
    assert "broken.xlsx" in result.stderr and "locked.xlsx" in result.stderr
    assert "Traceback" not in result.output


def test_skip_unreadable_names_the_files_in_every_output(workdir: Path) -> None:
    args = ["rank", "test-ds", "good.csv", "broken.xlsx", "--skip-unreadable"]
    as_json = runner.invoke(app, [*args, "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    assert data["summary"]["unreadable_files"] == ["broken.xlsx"]
    assert data["summary"]["applicants"] == 2

    as_table = runner.invoke(app, args)
    assert as_table.exit_code == 0, as_table.output
    assert "1 unreadable file(s) skipped: broken.xlsx" in as_table.stdout

    as_csv = runner.invoke(app, [*args, "-o", "out.csv"])
    assert as_csv.exit_code == 0, as_csv.output
    assert "skipped unreadable file broken.xlsx" in as_csv.stderr

    as_xlsx = runner.invoke(app, [*args, "-o", "panel.xlsx"])
    assert as_xlsx.exit_code == 0, as_xlsx.output
    ws = openpyxl.load_workbook(workdir / "panel.xlsx")["Run"]
    cells = [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    assert "broken.xlsx" in cells
    assert "No (unreadable)" in cells
    assert any("1 unreadable file(s) skipped: broken.xlsx" in c for c in cells)


# ---------------------------------------------------------------------------------------------
# CSV output neutralises formula-like text; JSON keeps it


HOSTILE = {"=HYPERLINK(\"http://x.test\",\"click\")": "name", "+44 20 7946 0000": "name",
           "-1+2": "id", "@SUM(A1:A9)": "id", "=cmd|' /C calc'!A0": "evidence"}


def test_csv_output_neutralises_formula_like_text(workdir: Path) -> None:
    write_applicants(workdir / "hostile.csv", [
        passing("=1+1", "=HYPERLINK(\"http://x.test\",\"click\")",
                evidence={"E1": "=cmd|' /C calc'!A0"}),
        passing("-1+2", "+44 20 7946 0000", evidence={"E1": "-2 years"}),
        passing("@SUM(A1:A9)", "@home", E2="=2+3"),
    ])
    args = ["rank", "test-ds", "hostile.csv", "--include-evidence"]
    out = runner.invoke(app, [*args, "-o", "out.csv"])
    assert out.exit_code == 0, out.output
    with (workdir / "out.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    cells = [c for row in rows[1:] for c in row]
    for cell in cells:
        assert not cell.startswith(("=", "+", "-", "@", "\t", "\r", "\n")), cell
    for text in ("=1+1", "=HYPERLINK(\"http://x.test\",\"click\")", "=cmd|' /C calc'!A0",
                 "-1+2", "+44 20 7946 0000", "-2 years", "@SUM(A1:A9)", "@home"):
        assert "'" + text in cells, text
    data = json.loads(runner.invoke(app, [*args, "--format", "json"]).stdout)
    by_id = {a["applicant_id"]: a for a in data["applicants"]}
    assert set(by_id) == {"=1+1", "-1+2", "@SUM(A1:A9)"}
    assert by_id["=1+1"]["name"] == "=HYPERLINK(\"http://x.test\",\"click\")"
    assert by_id["-1+2"]["name"] == "+44 20 7946 0000"
    assert by_id["=1+1"]["criteria"]["E1"]["evidence"] == "=cmd|' /C calc'!A0"
    assert "'=2+3'" in by_id["@SUM(A1:A9)"]["errors"][0]["message"]


@pytest.mark.parametrize("lead", ["=", "+", "-", "@", "\t", "\r", "\n"])
def test_csv_writer_neutralises_every_text_cell(lead: str, monkeypatch: pytest.MonkeyPatch,
                                                role: Role, tmp_path: Path) -> None:
    """Names and ids are trimmed when read, so tab/CR/LF can only lead a cell built later (a
    reason, an error message): the writer neutralises every text cell, whatever its column."""
    from shortlist.exporters import csv as csv_out

    sift = run_sift(role, [write_applicants(tmp_path / "a.csv", [passing("A1")])])
    text = f"{lead}1+1"
    monkeypatch.setattr(csv_out, "csv_rows", lambda _sift: iter([[text, 3, None, text]]))
    buf = io.BytesIO()
    csv_out.write_csv(sift, buf)
    [_, row] = list(csv.reader(io.StringIO(buf.getvalue().decode("utf-8"), newline="")))
    assert row == ["'" + text, "3", "", "'" + text]


# ---------------------------------------------------------------------------------------------
# What the guard notes about cells


def test_guard_notes_repeated_ods_formula_and_merged_cells(tmp_path: Path) -> None:
    from .test_guard import write_ods

    content = (
        '<table:table table:name="T"><table:table-row table:number-rows-repeated="3">'
        '<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'
        '<table:table-cell table:formula="of:=1" office:value-type="float" office:value="1" '
        'table:number-columns-repeated="2"><text:p>1</text:p></table:table-cell>'
        "</table:table-row><table:table-row>"
        '<table:table-cell table:number-columns-spanned="2" table:number-rows-spanned="1" '
        'office:value-type="string"><text:p>Ratings</text:p></table:table-cell>'
        "<table:covered-table-cell/>"
        '<table:table-cell table:formula="of:=NA()" office:value-type="string" '
        'office:string-value="" calcext:value-type="error"><text:p>#N/A</text:p>'
        "</table:table-cell></table:table-row></table:table>")
    inspection = guard.inspect(write_ods(tmp_path / "r.ods", content))
    assert inspection.problems == []
    marks = inspection.cells["T"]
    assert sorted(zip(marks.formula_rows, marks.formula_cols, strict=True)) == [
        (0, 1), (0, 2), (1, 1), (1, 2), (2, 1), (2, 2), (3, 2)]
    assert list(marks.errors()) == [(3, 2, "#N/A")]
    assert marks.merges == [(3, 0, 3, 1)]


CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "calamine"


@pytest.mark.skipif(not (CORPUS / "issue_182.xlsb").exists(), reason="calamine corpus absent")
def test_xlsb_formula_cells_are_noted() -> None:
    """.xlsb sheets are found by name through workbook.bin (BrtBundleSh records)."""
    marks = guard.inspect(CORPUS / "issue_182.xlsb").cells["formula_vals"]
    assert sorted(zip(marks.formula_rows, marks.formula_cols, strict=True)) == [
        (0, 0), (1, 0), (2, 0)]


def test_check_says_which_sheet_it_read(workdir: Path) -> None:
    write_book(workdir / "decoy.xlsx",
               SheetSpec("Applications", table(passing("X1")), state="hidden"),
               SheetSpec("Applications (final)", table(passing("A1"))))
    result = runner.invoke(app, ["check", "test-ds", "decoy.xlsx"])
    assert result.exit_code == 0, result.output
    assert "decoy.xlsx: 1 applicant(s), table layout (read sheet 'Applications (final)')" \
        in result.stdout
    assert "is hidden and looks like applications; not read" in result.stdout
