"""A real client: LibreOffice opens the panel's workbook and the applicants' templates.

It converts them (to CSV, showing the values it reads, and back to xlsx, as an applicant saving
a filled-in form would) and the values must be the ones written. Skipped when LibreOffice is
not installed (`apt-get install libreoffice-calc-nogui`).
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from shortlist.readers import read_applications
from shortlist.role import Role
from shortlist.sift import Sift

from .conftest import passing
from .test_templates import (
    SEED_ROLES,
    answers,
    check_read_back,
    fill_form,
    fill_table,
    seed_role,
    template,
)
from .test_xlsx import HOSTILE_NAMES, sift_for, workbook_bytes

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None, reason="LibreOffice (soffice) is not installed; "
    "apt-get install libreoffice-calc-nogui to run these tests")

# CSV export options: comma, double quote, UTF-8, values as shown, every sheet (LibreOffice
# 7.2+ writes NAME-SHEET.csv for each).
ALL_SHEETS_CSV = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true,false,false,-1"
TIMEOUT = 180


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private LibreOffice profile, so the tests neither touch nor wait for the user's."""
    return tmp_path_factory.mktemp("lo-profile")


def convert(profile: Path, source: Path, target: str, outdir: Path) -> None:
    assert SOFFICE is not None
    outdir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [SOFFICE, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
         "--convert-to", target, "--outdir", str(outdir), str(source)],
        capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text("utf-8"), newline="")))


def by_header(rows: list[list[str]], first: str) -> tuple[list[str], list[list[str]]]:
    """The header row starting with `first`, and the rows under it (to the first blank)."""
    start = next(i for i, r in enumerate(rows) if r and r[0] == first)
    body = []
    for r in rows[start + 1:]:
        if not any(r):
            break
        body.append(r)
    return rows[start], body


@pytest.fixture
def hostile(role: Role, tmp_path: Path) -> Sift:
    people = [passing(f"H{i}", name, E1="Extensive" if i == 0 else "Some")
              for i, name in enumerate(HOSTILE_NAMES)]
    people.append(passing("F1", "Fails Essential", E1="Limited"))
    return sift_for(role, people, tmp_path, top=20)


def test_libreoffice_reads_the_ranked_workbook(hostile: Sift, profile: Path,
                                               tmp_path: Path) -> None:
    source = tmp_path / "ranked.xlsx"
    source.write_bytes(workbook_bytes(hostile, include_evidence=True))
    convert(profile, source, ALL_SHEETS_CSV, tmp_path / "csv")
    sheets = {p.stem.split("-", 1)[1]: p for p in (tmp_path / "csv").glob("ranked-*.csv")}
    assert set(sheets) == {"Shortlist", "Ranking", "Breakdown", "Evidence", "Impact", "Role",
                           "Run"}

    records = list(hostile.records())
    head, body = by_header(read_csv(sheets["Ranking"]), "Rank")
    col = {h: j for j, h in enumerate(head)}
    assert [r[col["Applicant ID"]] for r in body] == [r["applicant_id"] for r in records]
    assert [r[col["Name"]] for r in body] == [r["name"] for r in records]
    assert [r[col["Score"]] for r in body] == [f"{r['score']:.2f}" for r in records]
    assert [r[col["Rank"]] for r in body] == [str(r["rank"] or "") for r in records]

    head, body = by_header(read_csv(sheets["Shortlist"]), "Rank")
    shown = {r[2] for r in body}
    for name in HOSTILE_NAMES:
        assert name in shown  # the text itself: not a formula's result, not an error

    # Saved again by LibreOffice, the names are still text cells, not formulas.
    convert(profile, source, "xlsx", tmp_path / "resaved")
    wb = openpyxl.load_workbook(tmp_path / "resaved" / "ranked.xlsx")
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    names = {c.value: c for c in wb["Shortlist"]["C"]}
    assert names['=HYPERLINK("http://example.com/x","Click me")'].data_type == "s"


@pytest.mark.parametrize("role_id", SEED_ROLES)
def test_libreoffice_reads_the_blank_form(role_id: str, profile: Path, tmp_path: Path) -> None:
    role = seed_role(role_id)
    source = tmp_path / "form.xlsx"
    template(role, "form", source)
    convert(profile, source, ALL_SHEETS_CSV, tmp_path / "csv")
    rows = read_csv(tmp_path / "csv" / "form-Application.csv")
    assert rows[0][0] == f"Application – {role.title}"
    head, body = by_header(rows, "Criterion ID")
    assert head[:7] == ["Criterion ID", "Section", "Criterion", "Your rating", "Your evidence",
                        "Word limit", "Words"]
    assert [r[0] for r in body] == [c.id for c in role.criteria]
    for r, c in zip(body, role.criteria, strict=True):
        assert r[6] == ("" if c.evidence == "none" else "0")


def _filled(role: Role, layout: str, path: Path) -> list[dict[str, Any]]:
    if layout == "form":
        ans = [answers(role, 1)]
        wb = template(role, "form")
        fill_form(wb, role, ans[0])
    else:
        ans = [answers(role, i) for i in range(3)]
        wb = template(role, "table")
        fill_table(wb, role, ans)
    wb.save(path)
    return ans


@pytest.mark.parametrize("layout", ["form", "table"])
@pytest.mark.parametrize("role_id", SEED_ROLES)
def test_template_filled_and_saved_by_libreoffice_reads_back(
        role_id: str, layout: str, profile: Path, tmp_path: Path) -> None:
    role = seed_role(role_id)
    source = tmp_path / "filled" / f"{layout}.xlsx"
    source.parent.mkdir()
    ans = _filled(role, layout, source)
    convert(profile, source, "xlsx", tmp_path / "saved")
    apps = read_applications(role, [tmp_path / "saved" / f"{layout}.xlsx"])
    check_read_back(apps, role, ans)


@pytest.mark.parametrize("role_id", SEED_ROLES)
def test_libreoffice_counts_the_words(role_id: str, profile: Path, tmp_path: Path) -> None:
    role = seed_role(role_id)
    source = tmp_path / "filled.xlsx"
    ans = _filled(role, "form", source)[0]
    convert(profile, source, ALL_SHEETS_CSV, tmp_path / "csv")
    _, body = by_header(read_csv(tmp_path / "csv" / "filled-Application.csv"), "Criterion ID")
    for r in body:
        c = role.criterion(r[0])
        if c.evidence == "none":
            continue
        assert r[6] == str(len(ans["evidence"].get(c.id, "").split())), c.id


# Evidence as applicants paste it: tabs, non-breaking spaces (from Word or a web page), runs
# of spaces, spaces at the ends, Windows line breaks.
PASTED = ["First\tsecond\tthird", "Led\u00a0the\u00a0team and won", "  spaced   out  words  ",
          "Line one\r\nline two\r\n\r\nline three", "\u00a0\ttabbed\u00a0\t", "one"]


@pytest.mark.parametrize("role_id", SEED_ROLES)
def test_the_form_counts_words_as_shortlist_does(role_id: str, profile: Path,
                                                 tmp_path: Path) -> None:
    role = seed_role(role_id)
    ans = answers(role, 1)
    evidence = [c for c in role.criteria if c.evidence != "none"]
    ans["evidence"] = {c.id: PASTED[k % len(PASTED)] for k, c in enumerate(evidence)}
    wb = template(role, "form")
    fill_form(wb, role, ans)
    source = tmp_path / "pasted.xlsx"
    wb.save(source)
    convert(profile, source, ALL_SHEETS_CSV, tmp_path / "csv")
    _, body = by_header(read_csv(tmp_path / "csv" / "pasted-Application.csv"), "Criterion ID")
    shown = {r[0]: r[6] for r in body if r[0] in ans["evidence"]}
    assert shown == {cid: str(len(text.split())) for cid, text in ans["evidence"].items()}
    # ... and the tool, reading the same file, counts the same.
    apps = read_applications(role, [source])
    for cid, text in ans["evidence"].items():
        assert int(apps.frame[f"words:{cid}"].iloc[0]) == len(text.split()), cid
