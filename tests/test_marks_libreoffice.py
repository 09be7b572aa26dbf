"""A real client: LibreOffice opens the assessors' marking workbook and the panel's workbook
with marks; a marking sheet filled in and saved by LibreOffice reads back exactly. Skipped
when LibreOffice is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from shortlist.exporters.xlsx import write_xlsx
from shortlist.marks import load_panel, read_marking_sheet
from shortlist.marksheet import write_marking_sheet
from shortlist.role import Role
from shortlist.sift import run_sift, sift_applications

from .conftest import passing, write_applicants
from .marking import fill
from .test_libreoffice import (  # noqa: F401 (profile is a fixture)
    ALL_SHEETS_CSV,
    SOFFICE,
    by_header,
    convert,
    profile,
    read_csv,
)

pytestmark = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice) is not installed; "
    "apt-get install libreoffice-calc-nogui to run these tests")

FULL = {"E1": "Some", "E2": "Good", "D1": "None"}


def test_marking_sheet_saved_by_libreoffice_reads_back(role: Role, profile: Path,  # noqa: F811
                                                        tmp_path: Path) -> None:
    apps_path = write_applicants(tmp_path / "apps" / "a.csv", [
        passing("A1", evidence={"E1": "=1+1 is not a formula"}),
        passing("A2", rank="Constable", D2="Yes")])
    sift = run_sift(role, [apps_path])
    template = tmp_path / "template.xlsx"
    with template.open("wb") as fh:
        write_marking_sheet(sift, fh)
    filled = tmp_path / "filled" / "ann.xlsx"
    filled.parent.mkdir()
    fill(template, filled, {"A1": {**FULL, "E1": "Substantial"},
                            "A2": {**FULL, "D2": "Yes"}}, assessor="Ann",
         comments={"A2": "Clear examples"})
    convert(profile, filled, "xlsx", tmp_path / "saved")
    read = read_marking_sheet(role, tmp_path / "saved" / "ann.xlsx")
    assert read.problems == []
    assert read.assessor == "Ann"
    assert {r.applicant_id: r.marks for r in read.rows} == {
        "A1": {"E1": 3, "E2": 2, "D1": 0, "D2": -3},
        "A2": {"E1": 2, "E2": 2, "D1": 0, "D2": 1}}
    assert [r.comment for r in read.rows] == ["", "Clear examples"]

    # The panel's workbook with the marks opens too, the Moderation sheet included.
    panel = load_panel(sift.apps, [tmp_path / "saved" / "ann.xlsx"])
    out = tmp_path / "panel.xlsx"
    with out.open("wb") as fh:
        write_xlsx(sift_applications(sift.apps, panel=panel), fh)
    convert(profile, out, ALL_SHEETS_CSV, tmp_path / "csv")
    sheets = {p.stem.split("-", 1)[1]: p for p in (tmp_path / "csv").glob("panel-*.csv")}
    assert {"Breakdown", "Moderation"} <= set(sheets)
    head, body = by_header(read_csv(sheets["Breakdown"]), "Rank")
    assert head[6:9] == ["E1", "E1 self", "E1 Ann"]
    assert {r[1]: r[6:9] for r in body} == {"A1": ["3", "Some", "Substantial"],
                                            "A2": ["2", "Some", "Some"]}
    evidence = read_csv(next((tmp_path / "csv").glob("panel-Evidence*.csv")))
    assert not any("#" in cell for row in evidence for cell in row)
