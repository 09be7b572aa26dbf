"""Outputs of a sift. Each format is one function `(sift, binary stream) -> None` in FORMATS."""

from __future__ import annotations

from collections.abc import Callable
from typing import BinaryIO

from ..sift import Sift
from .csv import write_csv
from .json import write_json
from .table import write_table
from .xlsx import write_xlsx

Writer = Callable[[Sift, BinaryIO], None]

FORMATS: dict[str, Writer] = {
    "table": write_table,
    "csv": write_csv,
    "json": write_json,
    "xlsx": write_xlsx,
}

#: Output file suffix → format, for `-o` without `--format`.
SUFFIXES = {".txt": "table", ".csv": "csv", ".json": "json", ".xlsx": "xlsx"}

__all__ = ["FORMATS", "SUFFIXES", "Writer"]
