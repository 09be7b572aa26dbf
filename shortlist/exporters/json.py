"""JSON: the stable, machine-readable contract. Text is written unchanged."""

from __future__ import annotations

import json
from typing import BinaryIO

from ..sift import Sift


def write_json(sift: Sift, out: BinaryIO) -> None:
    text = json.dumps(sift.to_dict(), ensure_ascii=False, indent=2, allow_nan=False)
    out.write(text.encode("utf-8") + b"\n")
