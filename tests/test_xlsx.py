"""The panel's workbook: its sheets, and applicant text kept as text whatever it holds."""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import python_calamine
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from shortlist.exporters import FORMATS
from shortlist.exporters.xlsx import (
    MAX_CELL_CHARS,
    TRUNCATION_MARK,
    ExcelText,
    excel_text,
    write_xlsx,
)
from shortlist.role import Role
from shortlist.sift import Sift, run_sift

from .conftest import applicant, passing, write_applicants

SHEETS = ["Shortlist", "Ranking", "Breakdown", "Evidence", "Impact", "Role", "Run"]
HEADER = 4  # the header row (1-based) of the applicant sheets

HOSTILE_NAMES = [
    '=HYPERLINK("http://example.com/x","Click me")',
    "+44 20 7946 0000",
    "-1+1",
    "@SUM(A1:A9)",
    "=1+1",
    "<r><t>rich</t></r>",
    '<r><t>x</t></r></is></c><c r="Z1"><f>1+1</f></c><c><is><r><t>y</t></r>',
    "_x0041_ literal escape",
    "O'Brien & Sons <b>",
]


def sift_for(role: Role, applicants: list[Any], tmp_path: Path, **options: Any) -> Sift:
    path = write_applicants(tmp_path / "applicants.csv", applicants)
    return run_sift(role, [path], **options)


def workbook_bytes(sift: Sift, **options: Any) -> bytes:
    out = io.BytesIO()
    write_xlsx(sift, out, **options)
    return out.getvalue()


def load(data: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(data))


def column_values(ws: Any, header: str, header_row: int = HEADER) -> list[Any]:
    heads = [c.value for c in ws[header_row]]
    col = heads.index(header) + 1
    return [ws.cell(r, col).value for r in range(header_row + 1, ws.max_row + 1)]


def all_strings(data: bytes) -> list[str]:
    wb = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    out = []
    for name in wb.sheet_names:
        for row in wb.get_sheet_by_name(name).to_python():
            out += [v for v in row if isinstance(v, str)]
    return out


@pytest.fixture
def hostile(role: Role, tmp_path: Path) -> Sift:
    """Nine applicants named with text a spreadsheet could misread, all passing (so all are
    shortlisted with top=20), plus one who fails an essential."""
    people = [passing(f"H{i}", name, E1="Extensive" if i == 0 else "Some")
              for i, name in enumerate(HOSTILE_NAMES)]
    people.append(passing("F1", "Fails Essential", E1="Limited"))
    return sift_for(role, people, tmp_path, top=20)


# ---------------------------------------------------------------------------------------------
# Structure


def test_format_is_registered() -> None:
    assert FORMATS["xlsx"] is write_xlsx


def test_sheets_panes_and_filters(hostile: Sift) -> None:
    wb = load(workbook_bytes(hostile))
    assert wb.sheetnames == SHEETS
    assert wb.active.title == "Shortlist"
    for name in ("Shortlist", "Ranking", "Breakdown", "Evidence"):
        ws = wb[name]
        assert ws.freeze_panes is not None and ws.freeze_panes.endswith(str(HEADER + 1)), name
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A4:"), name
        assert ws.print_title_rows or name == "Shortlist"
        assert ws.page_setup.orientation == "landscape"
        assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert wb["Role"].auto_filter.ref


def test_shortlist_and_ranking_follow_the_sift(hostile: Sift) -> None:
    wb = load(workbook_bytes(hostile))
    records = list(hostile.records())
    shortlisted = [r for r in records if r["shortlisted"]]
    ws = wb["Shortlist"]
    assert [c.value for c in ws[HEADER]] == ["Rank", "Applicant ID", "Name", "Score",
                                             "Desirable score", "Reason"]
    ids = column_values(ws, "Applicant ID")
    assert ids[:len(shortlisted)] == [r["applicant_id"] for r in shortlisted]
    assert ws.cell(HEADER + 1, 4).number_format == "0.00"

    ranking = wb["Ranking"]
    assert column_values(ranking, "Applicant ID") == [r["applicant_id"] for r in records]
    assert column_values(ranking, "Score") == [r["score"] for r in records]
    assert column_values(ranking, "Rank") == [r["rank"] for r in records]
    statuses = column_values(ranking, "Status")
    assert statuses[-1] == "Failed an essential"
    failures = column_values(ranking, "Failures")
    assert failures[-1] == 'E1: rated "Limited", needs "Some"'
    assert column_values(ranking, "Row") == [r["source"]["row"] for r in records]


def test_failure_and_flag_texts_match_the_sift(role: Role, tmp_path: Path) -> None:
    people = [
        passing("P1", E1="Extensive", evidence={"E1": ""}),  # unevidenced → counted as None
        passing("P2", E2="Fair", evidence={"E2": "word " * 60}),  # fails E2, over limit
        applicant("P3", G1="Yes"),  # no answers
        passing("P4", rank="Constable", D2="Yes"),
    ]
    sift = sift_for(role, people, tmp_path)
    ws = load(workbook_bytes(sift))["Ranking"]
    by_id = dict(zip(column_values(ws, "Applicant ID"), range(HEADER + 1, ws.max_row + 1),
                     strict=True))
    heads = [c.value for c in ws[HEADER]]
    for i in range(len(sift.apps.frame)):
        rec = sift.record(i)
        row = by_id[rec["applicant_id"]]
        failures = ws.cell(row, heads.index("Failures") + 1).value
        expected = "\n".join(f"{c.id}: {r}" for c, r in sift.failures(i))
        assert (failures or "") == expected
        flags = ws.cell(row, heads.index("Flags") + 1).value or ""
        for c, flag, detail in sift.flags(i):
            assert f"{c.id}: {flag.replace('_', ' ')}" in flags
            assert detail in flags
        assert len(flags.splitlines()) == len(sift.flags(i))


def test_breakdown_marks_unmet_and_not_applicable(role: Role, tmp_path: Path) -> None:
    people = [passing("S1"), passing("C1", rank="Constable", D2="Yes"),
              passing("F1", E1="Limited")]
    sift = sift_for(role, people, tmp_path)
    data = workbook_bytes(sift)
    ws = load(data)["Breakdown"]
    heads = [c.value for c in ws[HEADER]]
    assert heads[-5:] == ["G1", "E1", "E2", "D1", "D2"]
    rows = {ws.cell(r, 2).value: r for r in range(HEADER + 1, ws.max_row + 1)}
    d2 = heads.index("D2") + 1
    assert ws.cell(rows["S1"], d2).value == "n/a"  # a Sergeant: D2 does not apply
    assert ws.cell(rows["C1"], d2).value == 1
    e1 = heads.index("E1") + 1
    unmet = ws.cell(rows["F1"], e1)
    assert unmet.value == 1
    assert unmet.fill.fgColor.rgb.endswith("FFC7CE")
    assert not ws.cell(rows["S1"], e1).fill.fgColor.rgb.endswith("FFC7CE")
    rules = [r for cf in ws.conditional_formatting for r in cf.rules]
    assert sum(r.type == "colorScale" for r in rules) == 5
    assert any(r.type == "cellIs" and r.operator == "lessThan" for r in rules)
    assert "Experience of serious organised crime investigation" in ws.cell(HEADER - 1,
                                                                           e1).value


def test_evidence_sheet_holds_the_shortlisted_or_everyone(role: Role, tmp_path: Path) -> None:
    people = [passing("A1", E1="Extensive", evidence={"E1": "Led Operation Tide.\nIt worked."}),
              passing("A2"), passing("A3"), passing("A4"), passing("A5", E1="Limited")]
    sift = sift_for(role, people, tmp_path, top=1)
    ws = load(workbook_bytes(sift))["Evidence"]
    ids = column_values(ws, "Applicant ID")
    assert ids == ["A1"] * len(role.criteria)
    evidence = column_values(ws, "Evidence")
    assert evidence[1] == "Led Operation Tide.\nIt worked."
    assert ws.cell(HEADER + 2, 11).alignment.wrap_text
    assert column_values(ws, "Criterion") == [c.id for c in role.criteria]

    everyone = load(workbook_bytes(sift, include_evidence=True))["Evidence"]
    assert len(column_values(everyone, "Applicant ID")) == 5 * len(role.criteria)


def test_role_and_run_sheets(hostile: Sift) -> None:
    wb = load(workbook_bytes(hostile))
    role_text = [c.value for row in wb["Role"].iter_rows() for c in row if c.value is not None]
    for c in hostile.role.criteria:
        assert c.id in role_text and c.text in role_text
    assert hostile.role.sha256 in role_text
    run = {row[0].value: row[1].value for row in wb["Run"].iter_rows() if row[0].value}
    assert run["Tool"].startswith("shortlist ")
    assert run["Role file SHA-256"] == hostile.role.sha256
    assert run["Applicants read"] == 10
    assert run["Shortlisted"] == hostile.summary()["shortlisted"]
    run_text = [c.value for row in wb["Run"].iter_rows() for c in row if c.value is not None]
    assert hostile.apps.inputs[0].sha256 in run_text


def test_score_distribution_chart(hostile: Sift) -> None:
    data = workbook_bytes(hostile)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        chart = z.read("xl/charts/chart1.xml").decode()
    assert "<c:barChart>" in chart and 'val="stacked"' in chart
    assert chart.count("<c:ser>") == 3
    ws = load(data)["Shortlist"]
    band_row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == "Score band")
    counts = [sum(ws.cell(r, c).value for r in range(band_row + 1, band_row + 11))
              for c in (3, 4, 5)]
    assert counts == [9, 0, 1]  # shortlisted, ranked but not shortlisted, failed
    # Written in constant-memory mode, the chart still carries its data: the band labels as
    # text (not numbers, which Excel would show as 1-10), the counts and the series names.
    cached = re.findall(r"<c:cat><c:strRef><c:f>Shortlist!\$B\$\d+:\$B\$\d+</c:f>"
                        r"<c:strCache><c:ptCount val=\"10\"/>(.*?)</c:strCache>", chart, re.S)
    assert len(cached) == 3
    labels = re.findall(r"<c:v>(.*?)</c:v>", cached[0], re.S)
    assert labels[0] == "0–10" and labels[-1] == "90–100"
    assert "<c:numRef><c:f>Shortlist!$B" not in chart
    values = re.findall(r"<c:val><c:numRef>.*?<c:ptCount val=\"10\"/>(.*?)</c:numCache>", chart)
    assert [sum(int(v) for v in re.findall(r"<c:v>(\d+)</c:v>", s)) for s in values] == counts
    assert re.findall(r"<c:tx><c:strRef>.*?<c:v>(.*?)</c:v>", chart) == [
        "Shortlisted", "Ranked, not shortlisted", "Failed an essential"]


@pytest.mark.parametrize("anonymise", [False, True])
def test_the_chart_marks_the_cut_off(role: Role, tmp_path: Path, anonymise: bool) -> None:
    people = [passing("A1", E1="Extensive", D1="Extensive"),  # 88.24, rank 1
              passing("A2", E1="Extensive", D1="Substantial"),  # 82.35, not shortlisted
              passing("A3", E1="Extensive", D1="Some"),  # 76.47
              passing("A4", gis="Yes"),  # 41.18, shortlisted under the scheme
              passing("A5", E1="Limited")]  # 29.41, failed
    sift = sift_for(role, people, tmp_path, top=1, anonymise=anonymise)
    data = workbook_bytes(sift)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        chart = z.read("xl/charts/chart1.xml").decode()
    assert "Score distribution (cut-off 88.24)" in chart
    assert re.findall(r"<c:tx><c:strRef>.*?<c:v>(.*?)</c:v>", chart) == [
        "Shortlisted (top 1)", "Shortlisted outside the top 1", "Ranked, not shortlisted",
        "Failed an essential"]
    ws = load(data)["Shortlist"]
    band_row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 2).value == "Score band")
    table = {ws.cell(r, 2).value: [ws.cell(r, c).value for c in range(3, 7)]
             for r in range(band_row + 1, band_row + 11)}
    # The band holding the cut-off says so, and shows both the shortlisted and the rest.
    assert table["80–90\n(cut-off 88.24)"] == [1, 0, 1, 0]
    assert table["70–80"] == [0, 0, 1, 0]
    assert table["40–50"] == [0, 1, 0, 0]
    assert table["20–30"] == [0, 0, 0, 1]
    assert "<c:v>80–90\n(cut-off 88.24)</c:v>" in chart


def test_anonymised_workbook_names_nobody(role: Role, tmp_path: Path) -> None:
    sift = sift_for(role, [passing("A1", "Alice Unique"), passing("A2", "Bob Unique")],
                    tmp_path, anonymise=True)
    data = workbook_bytes(sift)
    assert not any("Unique" in s for s in all_strings(data))
    wb = load(data)
    assert "Name" not in [c.value for c in wb["Ranking"][HEADER]]
    assert "Current rank" not in [c.value for c in wb["Ranking"][HEADER]]


def test_nobody_shortlisted(role: Role, tmp_path: Path) -> None:
    sift = sift_for(role, [passing("A1", E1="Limited")], tmp_path)
    wb = load(workbook_bytes(sift))
    assert wb["Shortlist"].cell(HEADER + 1, 1).value == "Nobody is shortlisted."
    assert wb["Evidence"].cell(HEADER + 1, 1).value == "Nobody is shortlisted."


def test_mixed_csv_and_workbook_sources(role: Role, tmp_path: Path) -> None:
    a = write_applicants(tmp_path / "a.csv", [passing("A1")])
    b = write_applicants(tmp_path / "b.xlsx", [passing("B1")], sheet="Apps")
    sift = run_sift(role, [a, b])
    ws = load(workbook_bytes(sift))["Ranking"]
    assert sorted(str(v) for v in column_values(ws, "Sheet") if v) == ["Apps"]


# ---------------------------------------------------------------------------------------------
# Applicant text is text


def test_hostile_names_are_plain_text(hostile: Sift) -> None:
    data = workbook_bytes(hostile)
    wb = load(data)
    for sheet in ("Shortlist", "Ranking", "Breakdown", "Evidence"):
        ws = wb[sheet]
        cells = {ws.cell(r, 3).value: ws.cell(r, 3) for r in range(HEADER + 1, ws.max_row + 1)}
        for name in HOSTILE_NAMES:
            if name.startswith("_x"):
                continue  # openpyxl does not undo Excel's _xHHHH_ escape; calamine below does
            cell = cells[name]
            assert cell.data_type == "s", (sheet, name)
            assert cell.quotePrefix == name.startswith(("=", "+", "-", "@")), (sheet, name)
    strings = all_strings(data)
    for name in HOSTILE_NAMES:
        assert name in strings


def test_no_formula_anywhere(hostile: Sift) -> None:
    data = workbook_bytes(hostile, include_evidence=True)
    wb = load(data)
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/sheet"):
                xml = z.read(name).decode()
                assert "<f>" not in xml and "<f " not in xml, name
                assert '<c r="Z1"' not in xml, name  # the cell HOSTILE_NAMES tries to inject


def test_never_uses_the_guessing_write(hostile: Sift, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("Worksheet.write() guesses types; write_string() is required")

    monkeypatch.setattr(Worksheet, "write", refuse)
    workbook_bytes(hostile, include_evidence=True)


def test_control_characters_replaced_and_reported(role: Role, tmp_path: Path) -> None:
    people = [passing("C1", "Bell\x07 Name", evidence={"E1": "Back\x08space\x1b[31m"})]
    sift = sift_for(role, people, tmp_path)
    notes: list[str] = []
    out = io.BytesIO()
    write_xlsx(sift, out, notes=notes)
    wb = load(out.getvalue())
    assert wb["Ranking"].cell(HEADER + 1, 3).value == "Bell\ufffd Name"
    evidence = column_values(wb["Evidence"], "Evidence")
    assert "Back\ufffdspace\ufffd[31m" in evidence
    assert any("Name of applicant C1" in n and "U+FFFD" in n and "Ranking!C5" in n
               for n in notes)
    assert any("Evidence of applicant C1" in n for n in notes)
    run_text = [c.value for row in wb["Run"].iter_rows() for c in row if c.value]
    assert any(isinstance(v, str) and "Name of applicant C1" in v for v in run_text)


def test_long_evidence_truncated_and_reported(role: Role, tmp_path: Path) -> None:
    long = "evidence " * 5000  # 45,000 characters
    sift = sift_for(role, [passing("L1", evidence={"E1": long})], tmp_path)
    notes: list[str] = []
    out = io.BytesIO()
    write_xlsx(sift, out, notes=notes)
    evidence = column_values(load(out.getvalue())["Evidence"], "Evidence")
    cut = next(e for e in evidence if e and e.startswith("evidence evidence"))
    assert len(cut) == MAX_CELL_CHARS
    assert cut.endswith(TRUNCATION_MARK)
    assert long.startswith(cut[:-len(TRUNCATION_MARK)])
    assert any("Evidence of applicant L1" in n and "44,999 characters" in n for n in notes)


def test_clean_workbook_has_no_notes(hostile: Sift) -> None:
    notes: list[str] = []
    write_xlsx(hostile, io.BytesIO(), notes=notes)
    assert notes == []


@pytest.mark.parametrize(("text", "expected", "replaced"), [
    ("plain", "plain", 0),
    ("tab\tcr\rlf\n", "tab\tcr\rlf\n", 0),
    ("nul\x00bell\x07", "nul\ufffdbell\ufffd", 2),
    ("lone \ud800 surrogate \udfff", "lone \ufffd surrogate \ufffd", 2),
    ("non-characters \ufffe\uffff", "non-characters \ufffd\ufffd", 2),
    ("emoji 🙂 kept", "emoji 🙂 kept", 0),
])
def test_excel_text_replaces_what_a_cell_cannot_hold(text: str, expected: str,
                                                     replaced: int) -> None:
    assert excel_text(text) == (expected, replaced, None)


def test_excel_text_cuts_in_utf16_units() -> None:
    # Each emoji is two UTF-16 units: 20,000 of them are 40,000 units, over the limit.
    text, replaced, cut_from = excel_text("🙂" * 20_000)
    assert (replaced, cut_from) == (0, 20_000)
    assert len(text.encode("utf-16-le")) // 2 <= MAX_CELL_CHARS
    assert text.endswith(TRUNCATION_MARK) and "\ufffd" not in text
    assert excel_text("x" * MAX_CELL_CHARS) == ("x" * MAX_CELL_CHARS, 0, None)


@pytest.mark.parametrize("text", ["\tleading tab", "\rleading cr", "\nleading lf", "=A1",
                                  "-", "+", "@", "<r>only</r>"])
def test_excel_text_writer_cells(text: str) -> None:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False})
    ws = wb.add_worksheet("S")
    x = ExcelText(wb, {"text": {}})
    x.write(ws, 0, 0, text)
    wb.close()
    cell = load(out.getvalue())["S"]["A1"]
    assert cell.data_type == "s"
    assert cell.quotePrefix == (text[0] in "=+-@\t\r\n")
    value = python_calamine.CalamineWorkbook.from_filelike(
        io.BytesIO(out.getvalue())).get_sheet_by_name("S").to_python()[0][0]
    assert value == text


def test_many_applicants(role: Role, tmp_path: Path) -> None:
    people = [passing(f"A{i:04d}", f"Person {i}", E1=("Some", "Substantial", "Extensive")[i % 3],
                      D1=("None", "Limited", "Some")[i % 3]) for i in range(1500)]
    sift = sift_for(role, people, tmp_path)
    wb = load(workbook_bytes(sift))
    assert wb["Ranking"].max_row == HEADER + 1500
    assert wb["Breakdown"].max_row == HEADER + 1500
    ref = wb["Ranking"].auto_filter.ref
    assert re.fullmatch(r"A4:[A-Z]+1504", ref)


def test_evidence_continues_on_more_sheets(role: Role, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shortlist.exporters.xlsx.MAX_ROWS", HEADER + 16)  # 16 rows a sheet
    sift = sift_for(role, [passing(f"A{i}") for i in range(5)], tmp_path)
    wb = load(workbook_bytes(sift, include_evidence=True))
    assert wb.sheetnames == ["Shortlist", "Ranking", "Breakdown", "Evidence", "Evidence (2)",
                             "Impact", "Role", "Run"]
    ids = column_values(wb["Evidence"], "Applicant ID") + \
        column_values(wb["Evidence (2)"], "Applicant ID")
    assert len(ids) == 5 * len(role.criteria)
    assert ids == sorted(ids, key=lambda s: int(s[1:]))


def test_too_many_applicants_for_a_sheet(role: Role, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from shortlist.errors import OutputError

    monkeypatch.setattr("shortlist.exporters.xlsx.MAX_ROWS", HEADER + 2)
    sift = sift_for(role, [passing(f"A{i}") for i in range(3)], tmp_path)
    with pytest.raises(OutputError, match="3 applicants do not fit"):
        write_xlsx(sift, io.BytesIO())


def test_numbers_are_numbers_that_read_as_written(role: Role, tmp_path: Path) -> None:
    from shortlist.marks import match_marks
    from shortlist.readers import read_applications
    from shortlist.sift import sift_applications

    from .marking import sheet

    path = write_applicants(tmp_path / "apps.csv", [passing("A1"), passing("A2")])
    apps = read_applications(role, [path])
    # Three assessors' E1 marks (2, 3 and 2 points) make a mean of 2.333…
    marks = [sheet(role, {"A1": {"E1": level}, "A2": {"E1": "Some"}}, assessor=who)
             for who, level in (("Ann", "Some"), ("Bob", "Substantial"), ("Cy", "Some"))]
    sift = sift_applications(apps, panel=match_marks(apps, marks, None, "mean"))
    wb = load(workbook_bytes(sift))
    ws = wb["Breakdown"]
    heads = [c.value for c in ws[HEADER]]
    shown = {}
    for row in ws.iter_rows(min_row=HEADER + 1):
        for cid in ("E1", "E2", "D1"):
            cell = row[heads.index(cid)]
            assert cell.number_format == "General", (cid, cell.number_format)
            shown.setdefault(cid, set()).add(cell.value)
    assert shown["E1"] == {2.33, 2}  # rounded to 2 decimals, whole numbers as such
    assert shown["E2"] == {3}
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert "#" not in cell.number_format, (ws.title, cell.coordinate)

    facts = {r[1].value: r[2].value for r in wb["Role"].iter_rows(min_row=2, max_row=16)
             if r[1].value}
    assert facts["Shortlist size"] == 3 and facts["Minimum score"] == 0
    assert facts["Default word limit"] == 250
    run = {r[0].value: r[1].value for r in wb["Run"].iter_rows() if r[0].value}
    assert run["Top (shortlist size)"] == 3 and run["Minimum score"] == 0


def test_workbook_is_zipped_at_a_fast_level_and_xlsxwriter_is_left_as_it_was(
        hostile: Sift, monkeypatch: pytest.MonkeyPatch) -> None:
    import xlsxwriter.workbook

    levels: list[int | None] = []
    real = xlsxwriter.workbook.ZipFile

    class Spy(zipfile.ZipFile):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            levels.append(kwargs.get("compresslevel"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(xlsxwriter.workbook, "ZipFile", Spy)
    data = workbook_bytes(hostile)
    assert levels == [1]
    assert xlsxwriter.workbook.ZipFile is Spy  # put back after the workbook was stored
    monkeypatch.setattr(xlsxwriter.workbook, "ZipFile", real)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None
        assert {i.compress_type for i in zf.infolist()} == {zipfile.ZIP_DEFLATED}
    assert load(data).sheetnames[:3] == ["Shortlist", "Ranking", "Breakdown"]
