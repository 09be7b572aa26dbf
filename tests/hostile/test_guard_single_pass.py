"""The guard's single-pass shortcuts measure exactly what the separate passes measured."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from shortlist.readers import guard
from shortlist.readers.guard import Limits, inspect_file
from tests.hostile.test_guard import sheet_xml, write_xlsx

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    f'<x:sst xmlns:x="{MAIN}" count="6" uniqueCount="6">'
    "<x:si><x:t>alpha</x:t></x:si><x:si/><x:si><x:r><x:t>rich</x:t></x:r><x:r><x:t> text</x:t>"
    "</x:r></x:si><x:si></x:si><x:si><x:t xml:space=\"preserve\">" + "long " * 400
    + "</x:t></x:si><x:si><x:t>last</x:t></x:si></x:sst>"
)


@pytest.mark.parametrize("chunk", [7, 64, 1 << 20])
def test_shared_string_lengths_of_first_pass_match_the_separate_pass(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    monkeypatch.setattr(guard, "_CHUNK", chunk)  # many pieces: strings cut across them
    path = write_xlsx(tmp_path / "sst.xlsx", sheet_xml(""), sst=SST)
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("xl/sharedStrings.xml")
        inspector = guard._Inspector(path, guard.DEFAULT_LIMITS)
        eager, separate = guard._SstInfo(), guard._SstInfo()
        assert inspector.scan_sst(zf, info, eager, True)
        assert inspector.sst_lengths(zf, info, separate)
    assert eager.lengths is not None
    assert list(eager.lengths) == list(separate.lengths or [])
    assert len(eager.lengths) == 4  # the two strings without <t>/<r> are skipped


def test_repeated_shared_strings_still_counted_exactly(tmp_path: Path) -> None:
    sst = SST.replace("long " * 400, "long " * 2000)
    cells = "".join(f'<c r="A{r}" t="s"><v>2</v></c>' for r in range(1, 1201))
    sheet = sheet_xml(f'<row r="1">{cells}</row>')
    path = write_xlsx(tmp_path / "rep.xlsx", sheet, sst=sst)
    problems = inspect_file(path, Limits(max_expanded_chars=10_000_000))
    assert [p.type for p in problems] == ["text-too-large"]
    assert "--limit max_expanded_chars=" in problems[0].message


def test_exceeded_limits_are_named(tmp_path: Path) -> None:
    body = '<row r="5000"><c r="Z5000" t="inlineStr"><is><t>x</t></is></c></row>'
    path = write_xlsx(tmp_path / "far.xlsx", sheet_xml(body))
    problems = inspect_file(path, Limits(max_cells=1000))
    assert [p.type for p in problems] == ["sheet-too-large"]
    assert "more than 1,000 cells (limit max_cells; raise it with --limit max_cells=N)" \
        in problems[0].message
