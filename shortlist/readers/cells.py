"""Cell values as read from any format, turned into the text `shortlist` compares."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from ..role import normalise_value


def cell_text(value: Any) -> str:
    """A cell as text: whole numbers without '.0', dates in ISO form, blanks as ''."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def is_blank(value: Any) -> bool:
    return cell_text(value).strip() == ""


def rating_key(value: Any) -> str:
    """A rating cell as the key looked up in a scale (case and white space ignored)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return normalise_value(cell_text(value))


def column_letter(index: int) -> str:
    """0-based column index → spreadsheet letters (0 → A, 27 → AB)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def shorten(text: str, limit: int = 60) -> str:
    """`text` cut at a word boundary to about `limit` characters, with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
    return cut.rstrip(" ,;:-") + "…"
