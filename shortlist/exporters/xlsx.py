"""The panel's Excel workbook."""

from __future__ import annotations

from typing import BinaryIO

import xlsxwriter

from ..sift import Sift
from .csv import csv_header, csv_rows


def write_xlsx(sift: Sift, out: BinaryIO) -> None:
    wb = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False,
                                   "strings_to_urls": False, "strings_to_numbers": False})
    ws = wb.add_worksheet("Ranking")
    for j, h in enumerate(csv_header(sift)):
        ws.write_string(0, j, h)
    for i, row in enumerate(csv_rows(sift), 1):
        for j, v in enumerate(row):
            if isinstance(v, bool) or v is None:
                ws.write_string(i, j, "" if v is None else str(v).upper())
            elif isinstance(v, int | float):
                ws.write_number(i, j, v)
            else:
                ws.write_string(i, j, str(v))
    wb.close()
