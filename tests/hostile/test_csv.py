"""CSV files against the limits a workbook's sheet has, and CSV text in unusual dress.

A CSV of nothing but separators costs a Python list slot per field whatever the file's size,
so the cell limit (records × widest record) applies as it does to a sheet's used range, and
the cell-length limit applies to each field; a field that is merely long is told apart from
an unbalanced quote. UTF-16 without a byte-order mark is read as the text it is.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from shortlist.readers import guard, read_applications, sources
from shortlist.readers.guard import Limits, detect_kind
from shortlist.readers.sources import Unreadable, read_csv
from shortlist.role import Role

from ..conftest import passing, table_header, write_applicants
from .test_limits import run_check

HEADER = "Applicant ID,Name,E1 rating,E1 evidence\r\n"


def refused(data: bytes, limits: Limits = guard.DEFAULT_LIMITS) -> guard.Problem:
    with pytest.raises(Unreadable) as caught:
        read_csv(data, "x.csv", limits)
    return caught.value.problem


# --------------------------------------------------------------------------------------------
# Cells


def test_a_csv_of_separators_is_refused_at_the_cell_limit() -> None:
    data = ("," * 99 + "\n").encode() * 5_000  # 500,000 empty fields
    p = refused(data, Limits(max_cells=100_000))
    assert p.type == "sheet-too-large"
    assert p.row == 1_001  # the first record that takes it past 100,000 cells
    assert "1,001 records of up to 100 fields" in p.message
    assert "--limit max_cells=N" in p.message
    assert len(read_csv(data, "x.csv", Limits(max_cells=500_000)).rows) == 5_000
    # a file's total is one table's in a CSV: the lower of the two limits is the one named
    p = refused(data, Limits(max_total_cells=100_000))
    assert p.row == 1_001 and "--limit max_total_cells=N" in p.message


def test_raising_the_cell_limit_cannot_pass_the_computers_memory(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sources, "memory_ceiling", lambda: 20 * 1_000)  # room for 1,000 cells
    p = refused(("," * 9 + "\n").encode() * 200, Limits(max_cells=10**9, max_total_cells=10**9))
    assert (p.type, p.row) == ("too-large-for-memory", 101)
    assert "no --limit can allow it" in p.message


def test_records_times_the_widest_record_is_what_counts() -> None:
    data = b"a\n" * 999 + b"," * 99 + b"\n"  # 1,000 records, one of them 100 fields wide
    assert refused(data, Limits(max_cells=99_999)).row == 1_000
    assert len(read_csv(data, "x.csv", Limits(max_cells=100_000)).rows) == 1_000


def test_one_enormous_line_is_refused_before_it_is_split() -> None:
    p = refused(b"a,b\n" + b"," * 2_000_000 + b"\n", Limits(max_cells=1_000_000))
    assert (p.type, p.row) == ("sheet-too-large", 2)
    assert "a record of 2,000,001 fields" in p.message


def test_a_50_mb_csv_of_separators_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "commas.csv"
    path.write_bytes(("," * 99 + "\n").encode() * 500_000)  # 50 million fields, 50 MB
    code, report, stderr, peak = run_check(str(path))
    assert code == 1, stderr[-1000:]
    [problem] = report["problems"]  # type: ignore[misc]
    assert problem["type"] == "sheet-too-large" and problem["row"] == 100_001
    assert 0 < peak < 400 * 1024**2, peak  # was 16 times the file's size


# --------------------------------------------------------------------------------------------
# Long fields


def test_a_field_longer_than_the_csv_modules_default_is_read() -> None:
    data = (HEADER + 'A1,Ann,Some,"' + "w" * 200_000 + '"\r\n').encode()
    sheet = read_csv(data, "x.csv")
    assert len(sheet.rows[1][3]) == 200_000


def test_an_over_long_field_is_named_as_such_with_its_limit() -> None:
    data = (HEADER + "A1,Ann,Some,text\r\n" + 'A2,Bob,Some,"' + "w" * 5_000 + '"\r\n').encode()
    p = refused(data, Limits(max_cell_chars=1_000))
    assert (p.type, p.row) == ("cell-too-large", 3)
    assert "longer than the 1,000 characters allowed in one cell" in p.message
    assert "--limit max_cell_chars=N" in p.message
    assert "quote" not in p.message
    assert len(read_csv(data, "x.csv", Limits(max_cell_chars=5_000)).rows) == 3
    unquoted = (HEADER + "A1,Ann,Some," + "w" * 5_000 + "\r\n").encode()
    assert refused(unquoted, Limits(max_cell_chars=1_000)).type == "cell-too-large"


def test_an_unbalanced_quote_is_still_an_unbalanced_quote() -> None:
    rest = "".join(f"A{i},B,Some,text\r\n" for i in range(3, 400))
    data = (HEADER + 'A2,Ann,Some,"oops\r\n' + rest).encode()
    p = refused(data, Limits(max_cell_chars=1_000))  # the quote swallows the rest: > 1,000
    assert (p.type, p.row) == ("bad-csv", 2)
    assert "unbalanced quote" in p.message
    small = refused((HEADER + 'A2,Ann,Some,"oops\r\n').encode())
    assert (small.type, small.row) == ("bad-csv", 2)


def test_the_csv_modules_setting_is_put_back() -> None:
    before = csv.field_size_limit()
    read_csv((HEADER + "A1,Ann,Some,x\r\n").encode(), "x.csv", Limits(max_cell_chars=77))
    refused((HEADER + "A1,Ann,Some," + "w" * 100 + "\r\n").encode(), Limits(max_cell_chars=77))
    assert csv.field_size_limit() == before


# --------------------------------------------------------------------------------------------
# UTF-16 without a byte-order mark


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_read(role: Role, tmp_path: Path, encoding: str) -> None:
    path = write_applicants(tmp_path / "a.csv", [passing("A1", "Zoë Brontë")])
    text = path.read_text(encoding="utf-8")
    path.write_bytes(text.encode(encoding))  # no BOM
    assert detect_kind(path).kind == "csv"
    apps = read_applications(role, [path])
    assert apps.problems == []
    assert apps.frame["name"].tolist() == ["Zoë Brontë"]
    assert apps.inputs[0].notes == [f"{encoding}, comma-separated"]


def test_utf16_without_bom_named_xlsx_is_called_text(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_bytes(",".join(table_header()).encode("utf-16-le"))
    [p] = guard.inspect_file(path)
    assert p.type == "wrong-extension"
    assert "CSV/text file (it begins 'Applicant ID," in p.message


def test_binary_with_nul_bytes_is_still_not_text() -> None:
    assert guard.utf16_without_bom(bytes(range(256)) * 4) is None
    assert guard.utf16_without_bom(b"\x00" * 64) is None
    assert guard.utf16_without_bom("Applicant ID".encode("utf-16-le")) == "utf-16-le"
    p = refused(b"\x00\x01\x02garbage\x00" * 10)
    assert p.type == "not-text"
