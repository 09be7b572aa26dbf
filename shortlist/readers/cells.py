"""Cell values as read from any format, turned into the text `shortlist` compares."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from ..role import normalise_rating
from .guard import ERROR_MEANINGS


class CellError:
    """A cell holding a spreadsheet error value (``#N/A``, ``#DIV/0!``, ``Err:502``…) where data
    was expected: the formula in it failed. python-calamine reads such a cell as an empty
    string; the reader puts one of these in its place so that it is reported, not read as
    blank. One instance per code (`CellError.of`)."""

    __slots__ = ("code",)

    def __init__(self, code: str) -> None:
        self.code = code

    @classmethod
    def of(cls, code: str) -> CellError:
        found = _KNOWN_ERRORS.get(code)
        if found is None:
            found = cls(code)
            if len(_KNOWN_ERRORS) < 1000:
                _KNOWN_ERRORS[code] = found
        return found

    def __str__(self) -> str:
        return self.code or "#ERROR"

    def __repr__(self) -> str:
        return f"CellError({self.code!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CellError) and other.code == self.code

    def __hash__(self) -> int:
        return hash((CellError, self.code))

    def describe(self) -> str:
        """'the error value #N/A (a value that is not available…)', for messages."""
        code = self.code
        meaning = ERROR_MEANINGS.get(code.upper())
        if meaning is None and code.lower().startswith("err:"):
            meaning = "a calculation error in LibreOffice"
        if not code:
            return "an error value (a formula that failed)"
        return f"the error value {code}" + (f" ({meaning})" if meaning else "")


_KNOWN_ERRORS: dict[str, CellError] = {}


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
    """A rating cell as the key looked up in a scale (case and white space ignored, point
    values in any decimal spelling)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return normalise_rating(cell_text(value))


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
