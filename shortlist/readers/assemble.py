"""Blocks from every file → one frame of applicants, with every value validated.

This is the hot path of a large read, so it works column by column over plain lists and
only builds a located `Problem` for a value that is actually wrong.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ..errors import Problem
from ..role import YES_NO, Criterion, Field, Role
from ..words import count_words
from .blocks import Block, evidence_key_of, rating_key_of
from .cells import CellError, cell_text, rating_key, shorten

BLANK = -1  # level index of a blank rating
UNKNOWN = -2  # (while reading) a rating that is not on the criterion's scale
#: Rating cells whose equal values are one rating (not so True and 1: see `_any_levels`).
_PLAIN_RATINGS = {str, int, float, type(None)}


class _Rows:
    """The concatenation of the blocks' applicants, with each one's block for messages."""

    def __init__(self, blocks: list[Block]):
        self.blocks = blocks
        self.n = sum(len(b) for b in blocks)
        self.owner = [(b, i) for b in blocks for i in range(len(b))]
        self.cell_errors = any(b.cell_errors for b in blocks)

    def values(self, key: str) -> list[Any]:
        out: list[Any] = []
        for b in self.blocks:
            vals = b.values.get(key)
            out.extend(vals if vals is not None else [None] * len(b))
        return out

    def missing(self, key: str) -> np.ndarray:
        """For each applicant, whether its block has no column (or form entry) for `key`."""
        return np.repeat(np.array([key not in b.values for b in self.blocks], dtype=bool),
                         [len(b) for b in self.blocks])

    def problem(self, k: int, type_: str, message: str, key: str) -> Problem:
        b, i = self.owner[k]
        return b.problem(type_, message, key, i)


@dataclass
class Part:
    """The applicants of some blocks, each value validated; what is left is to compare their
    ids with everyone else's (`combine`). Parts are assembled where the blocks were read, so a
    folder read by worker processes is assembled by them too."""

    blocks: list[Block]
    columns: dict[str, Any]  # column name -> list or NumPy array, one value per applicant
    errors: list[list[Problem]]
    warnings: list[Problem]
    id_errors_at: list[int]  # where each applicant's id errors go among its errors


def assemble(role: Role, blocks: list[Block]
             ) -> tuple[pd.DataFrame, list[list[Problem]], list[Problem]]:
    """One frame (see `Applications`), each applicant's errors, and warnings.

    Monitoring data never makes an applicant invalid: a value outside its list is a warning.
    """
    return combine([assemble_part(role, blocks)])


def combine(parts: list[Part]) -> tuple[pd.DataFrame, list[list[Problem]], list[Problem]]:
    """`assemble` of the parts' blocks, in order: their columns joined, and ids compared
    across all of them (blank ids, and ids used twice within or across files)."""
    parts = [p for p in parts if p.blocks] or parts[:1]
    if len(parts) == 1:
        part = parts[0]
        columns = dict(part.columns)
        errors, warnings, id_at = part.errors, part.warnings, part.id_errors_at
    else:
        columns = {key: np.concatenate([p.columns[key] for p in parts])
                   if isinstance(value, np.ndarray)
                   else [v for p in parts for v in p.columns[key]]
                   for key, value in parts[0].columns.items()}
        errors = [e for p in parts for e in p.errors]
        warnings = [w for p in parts for w in p.warnings]
        id_at = [i for p in parts for i in p.id_errors_at]
    rows = _Rows([b for p in parts for b in p.blocks])
    for k, found in enumerate(_check_ids(rows, columns["applicant_id"], errors, id_at)):
        if found:
            errors[k][id_at[k]:id_at[k]] = found
    columns["sheet"] = pd.Series(columns["sheet"], dtype=object)
    return pd.DataFrame(columns), errors, warnings


def assemble_part(role: Role, blocks: list[Block]) -> Part:
    """Validate the values of `blocks` (see `Part`)."""
    rows = _Rows(blocks)
    errors: list[list[Problem]] = [[*b.block_errors, *b.row_errors.get(i, [])]
                                   for b, i in rows.owner]
    warnings: list[Problem] = []
    columns: dict[str, Any] = {
        "file": [b.file for b, _ in rows.owner],
        "sheet": [b.sheet for b, _ in rows.owner],
        "row": [b.rows[i] for b, i in rows.owner],
    }
    for f in role.fields:
        raw = rows.values(f.name)
        texts = [" ".join(cell_text(v).split()) for v in raw]
        if f.name == "applicant_id":
            texts = _visible_ids(rows, texts, warnings)
        bad = _error_cells(rows, raw, f.name, f.label, "a value" if f.values is None else
                           "one of " + ", ".join(repr(v) for v in f.values),
                           warnings if f.monitoring else None, errors)
        if f.name == "guaranteed_interview":
            columns[f.name] = _yes_no(rows, raw, texts, errors, f.label, bad)
        else:
            columns[f.name] = _field_values(rows, f, texts, errors, warnings, bad)
    id_errors_at = [len(e) for e in errors]  # (ids are compared by `combine`)
    for c in role.criteria:
        key = rating_key_of(c.id)
        unreadable = rows.missing(key)
        values = rows.values(key)
        if set(map(type, values)) <= _PLAIN_RATINGS:  # nearly always
            levels = _plain_levels(rows, c, values, errors, unreadable)
        else:
            levels = _any_levels(rows, c, values, errors, unreadable)
        columns[f"level:{c.id}"] = levels
        columns[f"unreadable:{c.id}"] = unreadable
        raw_evidence = rows.values(evidence_key_of(c.id))
        try:  # nearly always all text: strip it at C speed
            evidence = list(map(str.strip, raw_evidence))
        except TypeError:
            evidence = [v.strip() if type(v) is str else cell_text(v).strip()
                        for v in raw_evidence]
        for k in _error_cells(rows, raw_evidence, evidence_key_of(c.id), f"{c.id} evidence",
                              "text", None, errors):
            evidence[k] = ""
        columns[f"evidence:{c.id}"] = evidence
        columns[f"words:{c.id}"] = count_words(evidence)
    return Part(blocks, columns, errors, warnings, id_errors_at)


def _plain_levels(rows: _Rows, c: Criterion, values: list[str | float | None],
                  errors: list[list[Problem]], unreadable: np.ndarray) -> np.ndarray:
    """The level index of each rating in `values`, all text, numbers or blank: each value is
    looked up once (3 and 3.0 are one rating, as their text is). Ratings not on the scale are
    reported, and marked `unreadable`."""
    lookup = c.scale.lookup()
    found = {v: _level(v, lookup) for v in set(values)}
    levels = np.fromiter(map(found.__getitem__, values), dtype=np.int16, count=rows.n)
    for k in np.flatnonzero(levels == UNKNOWN).tolist():
        errors[k].append(_unknown_rating(rows, k, c, values[k]))
        unreadable[k] = True
        levels[k] = BLANK
    return levels


def _any_levels(rows: _Rows, c: Criterion, values: list[Any], errors: list[list[Problem]],
                unreadable: np.ndarray) -> np.ndarray:
    """`_plain_levels` for ratings of any type of cell: true/false, dates, error values."""
    lookup = c.scale.lookup()
    levels = np.full(rows.n, BLANK, dtype=np.int16)
    found: dict[tuple[type, Any], int] = {}  # (1, 1.0 and True are equal, not one rating)
    for k, value in enumerate(values):
        if type(value) is CellError:
            errors[k].append(rows.problem(
                k, "error-cell", f"{c.id} rating is {value.describe()}, not a rating; "
                f"expected one of {c.scale.accepted()} (correct the formula, or type "
                "the rating)", rating_key_of(c.id)))
            unreadable[k] = True
            continue
        memo = (type(value), value)
        level = found.get(memo)
        if level is None:
            level = found[memo] = _level(value, lookup)
        if level == UNKNOWN:
            errors[k].append(_unknown_rating(rows, k, c, value))
            unreadable[k] = True
        else:
            levels[k] = level
    return levels


def _level(value: Any, lookup: dict[str, int]) -> int:
    """A rating's level index: BLANK for a blank cell, UNKNOWN if not on the scale."""
    norm = "" if value is None or value == "" else rating_key(value)
    if not norm:
        return BLANK
    return lookup.get(norm, UNKNOWN)


def _unknown_rating(rows: _Rows, k: int, c: Criterion, value: Any) -> Problem:
    return rows.problem(k, "unknown-rating", f"{c.id} rating "
                        f"{shorten(cell_text(value).strip())!r} is not on the {c.scale.name} "
                        f"scale; expected one of {c.scale.accepted()}", rating_key_of(c.id))


def _error_cells(rows: _Rows, raw: list[Any], key: str, what: str, expected: str,
                 warnings: list[Problem] | None, errors: list[list[Problem]]) -> set[int]:
    """Report each error value (#N/A…) among `raw` at its cell; return their indices, which
    the caller reads as blank without reporting anything more.

    An error cell in a monitoring field is a warning (`warnings` given): monitoring data never
    makes an applicant invalid.
    """
    bad: set[int] = set()
    if not rows.cell_errors:
        return bad
    for k, value in enumerate(raw):
        if type(value) is not CellError:
            continue
        bad.add(k)
        problem = rows.problem(k, "error-cell", f"{what} is {value.describe()}; expected "
                               f"{expected} (correct the formula, or type the value)", key)
        if warnings is not None:
            warnings.append(replace(problem, severity="warning", message=problem.message
                                    + " (monitoring data: read as blank)"))
        else:
            errors[k].append(problem)
    return bad


def _field_values(rows: _Rows, f: Field, texts: list[str], errors: list[list[Problem]],
                  warnings: list[Problem], bad: set[int]) -> list[str]:
    out = []
    canonical: dict[str, str | None] = {}  # a field has few distinct values
    for k, text in enumerate(texts):
        if k in bad:  # an error cell, reported already
            out.append("")
            continue
        if text and f.values is not None:
            if text in canonical:
                canon = canonical[text]
            else:
                canon = canonical[text] = f.canonical(text)
            if canon is None:
                problem = rows.problem(k, "bad-value", f"{f.label} is {text!r}; expected one "
                                       "of " + ", ".join(repr(v) for v in f.values), f.name)
                if f.monitoring:
                    warnings.append(replace(problem, severity="warning", message=problem.message
                                            + " (monitoring data: kept as given)"))
                else:
                    errors[k].append(problem)
                    text = ""
            else:
                text = canon
        elif not text and f.required:
            errors[k].append(rows.problem(
                k, "missing-value", f"{f.label} is blank; every applicant needs one", f.name))
        out.append(text)
    return out


def _yes_no(rows: _Rows, raw: list[Any], texts: list[str], errors: list[list[Problem]],
            label: str, bad: set[int]) -> list[bool]:
    lookup = YES_NO.lookup()
    out = []
    for k, (value, text) in enumerate(zip(raw, texts, strict=True)):
        if k in bad:  # an error cell, reported already
            out.append(False)
            continue
        level = lookup.get(rating_key(value)) if text else 0
        if level is None:
            errors[k].append(rows.problem(
                k, "bad-value", f"{label} is {text!r}; expected {YES_NO.accepted()}",
                "guaranteed_interview"))
        out.append(level == 1)
    return out


def _visible_ids(rows: _Rows, ids: list[str], warnings: list[Problem]) -> list[str]:
    """Ids without invisible format characters (zero-width space, zero-width (non-)joiner,
    byte-order mark, soft hyphen, direction marks: Unicode category Cf), which a copy and
    paste can bring in and nobody can see; each id cleaned is warned about at its cell."""
    out = ids
    for k, text in enumerate(ids):
        if text.isascii():
            continue
        hidden = [ch for ch in text if unicodedata.category(ch) == "Cf"]
        if not hidden:
            continue
        clean = " ".join("".join(ch for ch in text if unicodedata.category(ch) != "Cf").split())
        if out is ids:
            out = list(ids)
        out[k] = clean
        names = ", ".join(dict.fromkeys(
            f"U+{ord(ch):04X} {unicodedata.name(ch, 'format character').lower()}"
            for ch in hidden))
        warnings.append(replace(rows.problem(
            k, "id-cleaned", f"applicant id {clean!r} held invisible characters ({names}); "
            f"they are removed and the id is read as {clean!r}", "applicant_id"),
            severity="warning"))
    return out


def id_key(applicant_id: str) -> str:
    """What two ids are compared by: case, and Unicode's compatibility forms (full-width
    letters, ligatures), ignored."""
    if applicant_id.isascii():
        return applicant_id.casefold()
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", applicant_id).casefold())


def _check_ids(rows: _Rows, ids: list[str], errors: list[list[Problem]],
               before: list[int]) -> list[list[Problem]]:
    """Each applicant's id errors: a blank id (unless its first `before[k]` errors explain
    it) and ids used twice (within or across files; case, spaces, invisible characters and
    compatibility forms ignored)."""
    found: list[list[Problem]] = [[] for _ in ids]
    groups: dict[str, list[int]] = {}
    for k, applicant_id in enumerate(ids):
        if applicant_id:
            groups.setdefault(id_key(applicant_id), []).append(k)
        elif not any(p.type in ("missing-value", "missing-column", "missing-field",
                                "error-cell") for p in errors[k][:before[k]]):
            found[k].append(rows.problem(
                k, "missing-value", "Applicant ID is blank; every applicant needs one",
                "applicant_id"))
    for members in groups.values():
        if len(members) < 2:
            continue
        for k in members:
            where = "; ".join(_where(rows, m) + (f" (as {ids[m]!r})" if ids[m] != ids[k] else "")
                              for m in members if m != k)
            found[k].append(rows.problem(
                k, "duplicate-id", f"applicant id {ids[k]!r} is also used at {where}; "
                "expected each applicant once", "applicant_id"))
    return found


def _where(rows: _Rows, k: int) -> str:
    b, i = rows.owner[k]
    sheet = f" sheet {b.sheet!r}" if b.sheet else ""
    return f"{b.file}{sheet} row {b.where('applicant_id', i)[0]}"
