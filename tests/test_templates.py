"""Applicants' templates: laid out as the readers expect, with drop-downs, word counts and
protection; filled in and read back, every value comes back exactly."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from shortlist.readers import Applications, read_applications
from shortlist.role import Criterion, Field, Role, load_role
from shortlist.templates import (
    FORM_HEADER,
    LISTS_SHEET,
    MONITORING_BAND,
    MONITORING_SHEET,
    TABLE_ROWS,
    write_template,
)

from .conftest import REPO, role_data, write_role

SEED_ROLES = ["secou-ds", "btp-msoct-ds"]


def seed_role(role_id: str) -> Role:
    return load_role(REPO / "roles" / f"{role_id}.toml")


def template(role: Role, layout: str, path: Path | None = None) -> Any:
    out = io.BytesIO()
    write_template(role, out, layout)
    if path is not None:
        path.write_bytes(out.getvalue())
    return openpyxl.load_workbook(io.BytesIO(out.getvalue()))


# ---------------------------------------------------------------------------------------------
# Filling in a template as an applicant (or a recruiter collating) would


def answers(role: Role, i: int) -> dict[str, Any]:
    """Applicant i's answers: every field and criterion, varied by i."""
    fields: dict[str, Any] = {
        "applicant_id": f"APP-{i:03d}",
        "name": f"Zoë O'Connor-{i}",
        "guaranteed_interview": "Yes" if i % 2 else "No",
    }
    for f in role.fields:
        if f.name not in fields and f.values:
            fields[f.name] = f.values[i % len(f.values)]
        elif f.name not in fields:
            fields[f.name] = f"value {i}"
    ratings, evidence = {}, {}
    for j, c in enumerate(role.criteria):
        ratings[c.id] = c.scale.levels[(i + j) % len(c.scale.levels)]
        if c.evidence != "none" and (i + j) % 5:
            evidence[c.id] = (f"In 2021 I led «{c.id}» work – with 'quotes', & <angles>.\n"
                              f"Second line for applicant {i}.")
    return {"fields": fields, "ratings": ratings, "evidence": evidence}


def fill_form(wb: Any, role: Role, ans: dict[str, Any]) -> None:
    labels = {f.label: f.name for f in role.fields}
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        for row in ws.iter_rows(max_col=1):
            cell = row[0]
            if cell.value in labels:
                ws.cell(cell.row, 2).value = ans["fields"][labels[cell.value]]
    ws = wb["Application"]
    for row in ws.iter_rows(max_col=1):
        cid = row[0].value
        if cid in ans["ratings"]:
            ws.cell(row[0].row, 4).value = ans["ratings"][cid]
            if cid in ans["evidence"]:
                ws.cell(row[0].row, 5).value = ans["evidence"][cid]


def table_columns(ws: Any) -> tuple[int, dict[str, int]]:
    for row in ws.iter_rows(max_row=20):
        if row[0].value == "Applicant ID":
            return row[0].row, {c.value: c.column for c in row if c.value}
    raise AssertionError("no header row")


def fill_table(wb: Any, role: Role, all_answers: list[dict[str, Any]]) -> None:
    ws = wb["Applications"]
    header_row, cols = table_columns(ws)
    for k, ans in enumerate(all_answers):
        r = header_row + 1 + k
        for f in role.fields:
            ws.cell(r, cols[f.label]).value = ans["fields"][f.name]
        for c in role.criteria:
            ws.cell(r, cols[f"{c.id} rating"]).value = ans["ratings"][c.id]
            if c.id in ans["evidence"]:
                ws.cell(r, cols[f"{c.id} evidence"]).value = ans["evidence"][c.id]


def check_read_back(apps: Applications, role: Role, all_answers: list[dict[str, Any]]) -> None:
    errors = [str(p) for p in apps.problems if p.is_error]
    assert errors == []
    assert len(apps.frame) == len(all_answers)
    frame = apps.frame
    for k, ans in enumerate(all_answers):
        row = frame.iloc[k]
        for f in role.fields:
            expected = ans["fields"][f.name]
            if f.name == "guaranteed_interview":
                assert bool(row[f.name]) is (expected == "Yes")
            else:
                assert row[f.name] == expected, f.name
        for c in role.criteria:
            assert int(row[f"level:{c.id}"]) == c.scale.levels.index(ans["ratings"][c.id]), c.id
            assert row[f"evidence:{c.id}"] == ans["evidence"].get(c.id, ""), c.id


@pytest.mark.parametrize("role_id", SEED_ROLES)
def test_form_round_trip(role_id: str, tmp_path: Path) -> None:
    role = seed_role(role_id)
    paths = []
    all_answers = [answers(role, i) for i in range(3)]
    for i, ans in enumerate(all_answers):
        wb = template(role, "form")
        fill_form(wb, role, ans)
        paths.append(tmp_path / f"form-{i}.xlsx")
        wb.save(paths[-1])
    apps = read_applications(role, paths)
    check_read_back(apps, role, all_answers)
    assert [i.layout for i in apps.inputs] == ["form"] * 3
    assert [p for p in apps.problems if not p.is_error] == []


@pytest.mark.parametrize("role_id", SEED_ROLES)
def test_table_round_trip(role_id: str, tmp_path: Path) -> None:
    role = seed_role(role_id)
    all_answers = [answers(role, i) for i in range(4)]
    wb = template(role, "table")
    fill_table(wb, role, all_answers)
    path = tmp_path / "table.xlsx"
    wb.save(path)
    apps = read_applications(role, [path])
    check_read_back(apps, role, all_answers)
    assert apps.inputs[0].layout == "table"
    unmatched = [p for p in apps.problems if p.type == "unmatched-column"]
    assert unmatched == []


@pytest.mark.parametrize("layout", ["form", "table"])
@pytest.mark.parametrize("role_id", SEED_ROLES)
def test_blank_template_reads_without_crashing(role_id: str, layout: str,
                                               tmp_path: Path) -> None:
    role = seed_role(role_id)
    path = tmp_path / "blank.xlsx"
    template(role, layout, path)
    apps = read_applications(role, [path])
    if layout == "table":
        assert len(apps.frame) == 0  # 500 formatted rows, but nobody in them
    else:
        assert len(apps.frame) == 1
        assert any(p.type == "missing-value" and "Applicant ID" in p.message
                   for p in apps.problems)


# ---------------------------------------------------------------------------------------------
# The form layout


def validation_values(wb: Any, ws: Any, coordinate: str) -> list[str]:
    """The drop-down values a cell offers (inline list or a range on another sheet)."""
    for dv in ws.data_validations.dataValidation:
        if coordinate in dv.sqref:
            assert dv.type == "list"
            formula = dv.formula1
            if formula.startswith('"'):
                return formula.strip('"').split(",")
            sheet, ref = formula.lstrip("=").split("!")
            return [c.value for row in wb[sheet][ref.replace("$", "")] for c in row]
    raise AssertionError(f"no drop-down on {coordinate}")


def form_rows(ws: Any) -> dict[str, int]:
    return {row[0].value: row[0].row for row in ws.iter_rows(max_col=1) if row[0].value}


@pytest.mark.parametrize("role_id", SEED_ROLES)
def test_form_layout(role_id: str) -> None:
    role = seed_role(role_id)
    wb = template(role, "form")
    ws = wb.worksheets[0]
    assert ws.title == "Application"
    assert ws["A1"].value == f"Application – {role.title}"
    assert "word limit" in ws["A2"].value and "locked" in ws["A2"].value
    assert ws["A3"].value is None
    rows = form_rows(ws)
    labels = ["Applicant ID", "Name", "Guaranteed interview",
              *[f.label for f in role.fields
                if not f.monitoring and f.name not in ("applicant_id", "name",
                                                       "guaranteed_interview")]]
    assert [ws.cell(4 + k, 1).value for k in range(len(labels))] == labels
    header = 4 + len(labels) + 1
    assert ws.cell(header - 1, 1).value is None
    assert [ws.cell(header, j).value for j in range(1, 8)] == list(FORM_HEADER)
    assert [ws.cell(header + 1 + k, 1).value for k in range(len(role.criteria))] == \
        [c.id for c in role.criteria]
    assert validation_values(wb, ws, f"B{rows['Guaranteed interview']}") == ["Yes", "No"]

    rules = {str(cf.sqref): cf.rules for cf in ws.conditional_formatting}
    for c in role.criteria:
        r = rows[c.id]
        assert ws.cell(r, 2).value == c.section
        assert ws.cell(r, 3).value.startswith(c.text)
        assert validation_values(wb, ws, f"D{r}") == list(c.scale.levels)
        assert ws.cell(r, 4).protection.locked is False
        assert ws.cell(r, 3).protection.locked is not False
        assert ws.cell(r, 1).protection.locked is not False
        if c.evidence == "none":
            assert ws.cell(r, 5).protection.locked is not False
            continue
        assert ws.cell(r, 5).protection.locked is False
        assert ws.cell(r, 5).alignment.wrap_text
        assert ws.row_dimensions[r].height >= 100
        assert ws.cell(r, 6).value == c.word_limit
        formula = ws.cell(r, 7).value
        assert formula.startswith("=IF(LEN(") and f"E{r}" in formula
        assert ws.cell(r, 7).protection.locked is not False
        assert rules[f"G{r}"][0].operator == "greaterThan"
        assert rules[f"G{r}"][0].formula == [str(c.word_limit)]
    for f in role.fields:
        if f.values and not f.monitoring:
            assert validation_values(wb, ws, f"B{rows[f.label]}") == list(f.values)
    assert ws.protection.sheet is True
    assert not ws.protection.password
    assert ws.cell(rows["Applicant ID"], 2).protection.locked is False
    assert ws.cell(rows["Applicant ID"], 1).protection.locked is not False
    assert ws.print_title_rows == f"${header}:${header}"


@pytest.mark.parametrize("role_id", SEED_ROLES)
def test_form_monitoring_sheet(role_id: str) -> None:
    role = seed_role(role_id)
    wb = template(role, "form")
    ws = wb[MONITORING_SHEET]
    assert ws.sheet_state == "visible"
    assert ws["A1"].value == "Equality monitoring (optional)"
    assert "optional" in ws["A2"].value and "never used in scoring" in ws["A2"].value
    assert ws["A3"].value is None
    monitoring = [f for f in role.fields if f.monitoring]
    assert [ws.cell(4 + k, 1).value for k in range(len(monitoring))] == \
        [f.label for f in monitoring]
    for k, f in enumerate(monitoring):
        assert validation_values(wb, ws, f"B{4 + k}") == list(f.values or ())
        assert ws.cell(4 + k, 2).protection.locked is False
    assert ws.protection.sheet is True and not ws.protection.password
    # No monitoring field is asked on the application itself.
    application = {c.value for row in wb["Application"].iter_rows() for c in row}
    assert not {f.label for f in monitoring} & application
    # "Ethnic group" values hold commas, so its list lives on the hidden Lists sheet.
    assert wb[LISTS_SHEET].sheet_state == "hidden"


def test_no_monitoring_sheet_without_monitoring_fields(tmp_path: Path) -> None:
    data = role_data()
    data["fields"] = [f for f in data["fields"] if not f.get("monitoring")]
    role = load_role(write_role(tmp_path, data))
    wb = template(role, "form")
    assert wb.sheetnames == ["Application"]  # every list fits inline: no Lists sheet
    assert "optional" not in wb["Application"]["A2"].value


def test_long_level_lists_go_to_the_lists_sheet(tmp_path: Path) -> None:
    data = role_data()
    data["scales"]["long"] = {"levels": [f"Level {k} with a long description" for k in range(12)]}
    data["criteria"][3]["scale"] = "long"  # D1
    role = load_role(write_role(tmp_path, data))
    wb = template(role, "form")
    ws = wb["Application"]
    row = form_rows(ws)["D1"]
    dv = next(dv for dv in ws.data_validations.dataValidation if f"D{row}" in dv.sqref)
    assert dv.formula1.startswith(f"{LISTS_SHEET}!") or dv.formula1.startswith(f"={LISTS_SHEET}!")
    assert validation_values(wb, ws, f"D{row}") == list(role.criterion("D1").scale.levels)


def test_unknown_layout() -> None:
    with pytest.raises(ValueError, match="layout 'wide'"):
        write_template(seed_role("secou-ds"), io.BytesIO(), "wide")


# ---------------------------------------------------------------------------------------------
# The table layout


def expected_table_header(role: Role) -> list[str]:
    head = ["Applicant ID", "Name", "Guaranteed interview"]
    head += [f.label for f in role.fields if not f.monitoring
             and f.name not in ("applicant_id", "name", "guaranteed_interview")]
    for c in role.criteria:
        head.append(f"{c.id} rating")
        if c.evidence != "none":
            head.append(f"{c.id} evidence")
    head += [f.label for f in role.fields if f.monitoring]
    return head


def column_format(ws: Any, col: int) -> Any:
    """The column dimension (with its format) covering column `col` (1-based)."""
    for dim in ws.column_dimensions.values():
        if dim.min is not None and dim.min <= col <= dim.max:
            return dim
    raise AssertionError(f"no format for column {col}")


def _criterion_of(role: Role, header: str) -> Criterion | None:
    cid = header.rsplit(" ", 1)[0]
    try:
        return role.criterion(cid)
    except KeyError:
        return None


@pytest.mark.parametrize("role_id", SEED_ROLES)
def test_table_layout(role_id: str) -> None:
    role = seed_role(role_id)
    wb = template(role, "table")
    ws = wb["Applications"]
    assert ws["A1"].value == f"Applications – {role.title}"
    header_row, cols = table_columns(ws)
    heads = [c.value for c in ws[header_row] if c.value]
    assert heads == expected_table_header(role)
    first, last = header_row + 1, header_row + TABLE_ROWS
    fields: dict[str, Field] = {f.label: f for f in role.fields}
    for head, col in cols.items():
        letter = openpyxl.utils.get_column_letter(col)
        c = _criterion_of(role, head)
        if head.endswith(" rating") and c is not None:
            assert validation_values(wb, ws, f"{letter}{first}") == list(c.scale.levels)
            assert validation_values(wb, ws, f"{letter}{last}") == list(c.scale.levels)
            comment = ws.cell(header_row, col).comment.text
            assert c.text in comment and "Word limit" in comment
        elif head.endswith(" evidence") and c is not None:
            assert column_format(ws, col).alignment.wrap_text
        elif fields[head].values:
            assert validation_values(wb, ws, f"{letter}{first}") == list(fields[head].values)
        # Input rows are unlocked through their column's format; the header is locked.
        assert column_format(ws, col).protection.locked is False
        assert ws.cell(header_row, col).protection.locked is not False
    assert ws.protection.sheet is True and not ws.protection.password
    assert ws.freeze_panes == f"C{header_row + 1}"
    criteria = wb["Criteria"]
    ids = [criteria.cell(r, 1).value for r in range(4, 4 + len(role.criteria))]
    assert ids == [c.id for c in role.criteria]
    for c in role.criteria:
        r = 4 + ids.index(c.id)
        assert criteria.cell(r, 3).value.startswith(c.text)
        # A word limit is a number, so it can be compared and summed.
        assert criteria.cell(r, 8).value == (
            "no evidence" if c.evidence == "none" else
            "no limit" if c.word_limit is None else c.word_limit)


@pytest.mark.parametrize("layout", ["form", "table"])
@pytest.mark.parametrize("role_id", SEED_ROLES)
def test_only_formulas_are_word_counts(role_id: str, layout: str) -> None:
    role = seed_role(role_id)
    wb = template(role, layout)
    formulas = [(ws.title, c.coordinate, c.value) for ws in wb for row in ws.iter_rows()
                for c in row if c.data_type == "f"]
    if layout == "table":
        assert formulas == []
        return
    counted = [c for c in role.criteria if c.evidence != "none"]
    assert len(formulas) == len(counted)
    rows = form_rows(wb["Application"])
    for (sheet, coordinate, formula), c in zip(formulas, counted, strict=True):
        assert (sheet, coordinate) == ("Application", f"G{rows[c.id]}")
        assert formula.startswith("=IF(LEN(TRIM(SUBSTITUTE(SUBSTITUTE(")
        # Counted as `str.split()` counts: CR, LF, tab and non-breaking space separate words.
        for char in ("CHAR(13)", "CHAR(10)", "CHAR(9)", "_xlfn.UNICHAR(160)"):
            assert f'{char}," ")' in formula, char
        assert f"(E{rows[c.id]}," in formula


@pytest.mark.parametrize("role_id", SEED_ROLES)
def test_table_monitoring_columns_are_set_apart(role_id: str, tmp_path: Path) -> None:
    role = seed_role(role_id)
    monitoring = [f.label for f in role.fields if f.monitoring]
    assert monitoring
    wb = template(role, "table")
    ws = wb["Applications"]
    header_row, cols = table_columns(ws)
    heads = [c.value for c in ws[header_row]]
    first = heads.index(monitoring[0])
    # At the far right, after a blank column, under their own band.
    assert heads[first:] == monitoring and heads[first - 1] is None
    band = ws.cell(header_row - 1, first + 1)
    assert band.value == MONITORING_BAND
    merged = [str(m) for m in ws.merged_cells.ranges]
    assert f"{band.coordinate}:{ws.cell(header_row - 1, len(heads)).coordinate}" in merged
    app_fill = ws.cell(header_row, 1).fill.fgColor.rgb
    for label in monitoring:
        header = ws.cell(header_row, cols[label])
        assert header.fill.fgColor.rgb != app_fill
        assert "never used in scoring" in header.comment.text
        fmt = column_format(ws, cols[label])
        assert fmt.protection.locked is False
        assert fmt.fill.fgColor.rgb != column_format(ws, cols["Applicant ID"]).fill.fgColor.rgb
    # Filled in, every column is read, the monitoring fields too, and nothing is unmatched.
    all_answers = [answers(role, i) for i in range(3)]
    fill_table(wb, role, all_answers)
    wb.save(tmp_path / "filled.xlsx")
    apps = read_applications(role, [tmp_path / "filled.xlsx"])
    check_read_back(apps, role, all_answers)
    assert [str(p) for p in apps.problems] == []
    for f in role.fields:
        if f.monitoring:
            assert list(apps.frame[f.name]) == [a["fields"][f.name] for a in all_answers]
