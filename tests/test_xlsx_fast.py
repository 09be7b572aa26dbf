"""The workbook's fast bodies (exporters/xlsx_fast.py) write what xlsxwriter writes.

The big sheets' rows are written as XML straight into xlsxwriter's row stream. Written both
ways — fast, and cell by cell through xlsxwriter (`xlsx_fast.ENABLED` off) — the workbook must
be the same: the same XML in every part but the creation time, and, as openpyxl reads it, the
same value, type, number format, font, fill, alignment, border and quote prefix in every cell,
and the same row heights, for a sift full of hostile text.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from shortlist.exporters import xlsx_fast
from shortlist.exporters.xlsx import MAX_CELL_CHARS, ExcelText, write_xlsx
from shortlist.role import Role
from shortlist.sift import Sift

from .conftest import applicant, passing
from .test_xlsx import HOSTILE_NAMES, sift_for

HOSTILE_TEXT = [
    *HOSTILE_NAMES,
    "\tTab first", "\rCR first", "\nLF first", " leading and trailing space ",
    "Bell\x07 and escape\x1b[31m and nul\x00", "non-char \uffff",
    "line one\r\nline two\nline three", "emoji 😀 and astral 𝄞 𠀀", "x_x0041_y _x00e9_",
    '<r>only a lookalike</r>', "<r>=1+1</r>", "a & b < c > d \" e ' f", "]]> <![CDATA[ x",
    "=cmd|' /C calc'!A0", "-", "@", "+", "'already quoted",
]


def _people() -> list[Any]:
    people = []
    for i, text in enumerate(HOSTILE_TEXT):
        long = ("evidence 😀 " * 3000) if i % 5 == 0 else text  # over the cell limit
        people.append(passing(f"H{i}", text, E1="Extensive" if i % 3 else "Some",
                              evidence={"E1": long, "E2": f"{text}\n{text}"}))
    people.append(passing("F1", "Fails Essential", E1="Limited"))
    people.append(passing("U1", "Unreadable Rating", E2="Banana <r>x</r>"))
    people.append(passing("=I1", "=Invalid", E1=""))
    people.append(applicant("D1", "Detective", rank="Detective Constable", G1="Yes",
                            E1="Some", E2="Good", D1="Extensive"))
    return people


def _both(sift: Sift, monkeypatch: pytest.MonkeyPatch, **options: Any
          ) -> tuple[bytes, bytes, list[str], list[str]]:
    fast_notes: list[str] = []
    slow_notes: list[str] = []
    fast, slow = io.BytesIO(), io.BytesIO()
    write_xlsx(sift, fast, notes=fast_notes, **options)
    with monkeypatch.context() as m:
        m.setattr(xlsx_fast, "ENABLED", False)
        write_xlsx(sift, slow, notes=slow_notes, **options)
    return fast.getvalue(), slow.getvalue(), fast_notes, slow_notes


def _parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return {n: z.read(n) for n in z.namelist() if n != "docProps/core.xml"}


def _cells(data: bytes) -> dict[str, Any]:
    wb = openpyxl.load_workbook(io.BytesIO(data), rich_text=True)
    out: dict[str, Any] = {}
    for ws in wb.worksheets:
        out[ws.title] = {
            "dimension": ws.dimensions,
            "heights": {r: d.height for r, d in ws.row_dimensions.items()},
            "filter": ws.auto_filter.ref,
            "panes": ws.freeze_panes,
            "merged": sorted(str(m) for m in ws.merged_cells.ranges),
            "cf": sorted(str(r.sqref) for r in ws.conditional_formatting),
            "cells": [(c.coordinate, repr(c.value), c.data_type, c.number_format, repr(c.font),
                       repr(c.fill), repr(c.alignment), repr(c.border), c.quotePrefix)
                      for row in ws.iter_rows() for c in row],
        }
    return out


@pytest.mark.parametrize("block", [xlsx_fast.BLOCK, 3])  # 3: blocks of every sort
@pytest.mark.parametrize("options", [
    {}, {"anonymise": True}, {"include_evidence": True},
])
def test_fast_bodies_write_what_xlsxwriter_writes(role: Role, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  options: dict[str, Any], block: int) -> None:
    monkeypatch.setattr(xlsx_fast, "BLOCK", block)
    sift = sift_for(role, _people(), tmp_path, top=10, **options)
    # Text no CSV file can hold, as a reader could hand it over.
    frame = sift.apps.frame
    frame.loc[frame.index[1], "name"] = "lone \ud800 surrogate \udfff"
    fast, slow, fast_notes, slow_notes = _both(sift, monkeypatch)
    assert fast_notes == slow_notes
    if not options:
        assert any("U+FFFD" in n and "Ranking!" in n for n in fast_notes)
    assert any(f"{MAX_CELL_CHARS:,}" in n for n in fast_notes)
    fast_parts, slow_parts = _parts(fast), _parts(slow)
    assert fast_parts.keys() == slow_parts.keys()
    for name in slow_parts:
        assert fast_parts[name] == slow_parts[name], name
    assert _cells(fast) == _cells(slow)


def test_clean_text_blocks_write_what_xlsxwriter_writes(role: Role, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    # Blocks of plain text, some with one value xlsxwriter changes: a space or tab at either
    # end, "&", a literal _x0041_, a formula-like start (quote-prefixed), non-ASCII text.
    odd = {7: " space first", 12: "tab last\t", 17: "a & b", 21: "x_x0041_", 26: "=1+1",
           31: "café", 35: "line\nbreak"}
    people = [passing(f"C{i:02d}", odd.get(i, f"Plain Name {i}"),
                      evidence={"E1": odd.get(i + 1, f"plain evidence {i}")})
              for i in range(40)]
    monkeypatch.setattr(xlsx_fast, "BLOCK", 4)
    sift = sift_for(role, people, tmp_path, top=30)
    fast, slow, fast_notes, slow_notes = _both(sift, monkeypatch)
    assert fast_notes == slow_notes == []
    assert _parts(fast) == _parts(slow)


def test_evidence_over_several_sheets(role: Role, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("shortlist.exporters.xlsx.MAX_ROWS", 4 + 16)  # 16 rows a sheet
    sift = sift_for(role, _people()[:9], tmp_path, top=10, include_evidence=True)
    fast, slow, fast_notes, slow_notes = _both(sift, monkeypatch)
    assert fast_notes == slow_notes
    parts = _parts(fast)
    assert parts == _parts(slow)
    assert sum(name.startswith("xl/worksheets/sheet") for name in parts) > 8


def test_hostile_text_stays_text(role: Role, tmp_path: Path) -> None:
    sift = sift_for(role, _people(), tmp_path, top=10)
    out = io.BytesIO()
    write_xlsx(sift, out, notes=[])
    wb = openpyxl.load_workbook(io.BytesIO(out.getvalue()))
    for name in ("Ranking", "Breakdown"):
        ws = wb[name]
        names = [c.value for c in ws["C"][4:]]
        for text in [t for t in HOSTILE_TEXT[:9] if "_x" not in t]:  # openpyxl: _x escapes
            assert text in names
        for row in ws.iter_rows(min_row=5):
            for c in row:
                assert c.data_type != "f"
                if isinstance(c.value, str) and c.value[0] in "=+-@\t\r\n":
                    assert c.quotePrefix, (name, c.coordinate, c.value)
                assert c.hyperlink is None


def test_fast_path_is_used(role: Role, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sift = sift_for(role, _people(), tmp_path, top=10)
    bodies: list[int] = []
    real = xlsx_fast.Body.write

    def counting(self: xlsx_fast.Body) -> None:
        bodies.append(self.n)
        real(self)

    monkeypatch.setattr(xlsx_fast.Body, "write", counting)
    write_xlsx(sift, io.BytesIO(), notes=[])
    assert len(bodies) == 4  # Shortlist, Ranking, Breakdown and Evidence


# ---------------------------------------------------------------------------------------------
# The quick tests agree with the rules they stand for

TEXT = st.text(st.sampled_from("abr_x0F9 \t\n\r\x00\x01\x1f&<>/=+-@'é😀\ud800\ufffe\uffff"),
               max_size=12)


@given(TEXT.filter(bool))
def test_as_is_is_the_care_pattern(text: str) -> None:
    assert xlsx_fast._as_is(text) == (xlsx_fast._CARE.search(text) is None)


@given(st.lists(TEXT))
def test_all_as_is_only_when_each_is(texts: list[str]) -> None:
    if xlsx_fast._all_as_is(texts):
        assert all(xlsx_fast._CARE.search(v) is None for v in texts if v)


@given(st.lists(st.one_of(st.none(), TEXT)))
def test_needing_fit_is_needs_fit(values: list[str | None]) -> None:
    assert ExcelText.needing_fit(values) == [
        k for k, v in enumerate(values) if v and ExcelText.needs_fit(v)]


@given(st.lists(st.one_of(TEXT.filter(bool), TEXT.map(lambda t: f"<r>{t}</r>"))))
def test_text_kinds_of_many_are_each_ones(texts: list[str]) -> None:
    assert ExcelText.text_kinds(texts) == [ExcelText.text_kind(v) for v in texts]


def test_needing_fit_finds_long_text() -> None:
    long = "x" * (MAX_CELL_CHARS // 2 + 1)
    assert ExcelText.needing_fit(["a", None, long, ""]) == [2]
