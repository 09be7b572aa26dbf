"""What a sift's outputs may show: name-blind views of the applications, and monitoring data
kept out of every ranked output.

`Sift` holds the applications its outputs read. With `anonymise`, that is a copy made by
`anonymise_applications`, so every output (terminal, CSV, JSON, xlsx, explain, and any added
later) is name-blind without each exporter having to remember to be:

- names, and every personal field that decides nothing (fields other than the applicant id
  and those an `applies_if` reads), are blanked;
- input files are shown as "input 1", "input 2"… (their position in the run record's
  `inputs`, which keeps each file's SHA-256), because a one-applicant form is often named
  after the person; sheets are shown as "sheet 1", "sheet 2"… for the same reason; file and
  sheet names inside problem messages are replaced the same way;
- a problem message quoting the value of a personal field is replaced by one that does not;
- in evidence, the applicant's own name (whole, or any part of it) and any other
  applicant's full name are replaced by "[name removed]". Other names an applicant writes
  (a referee's, a colleague's) cannot be known and are left as written;
- the assessors' comments lose the same names (`anonymise_panel`); the assessors' own names
  and marking files are the panel's, not the applicants', and are kept.

`ApplicantNames` is that one way of taking names out of text, used by every anonymised output
and by the name-blind marking workbook (`shortlist.marksheet`).

Scores, ranks and statuses are computed before any of this and never change. Fields an
`applies_if` reads and the guaranteed-interview claim are kept in the frame (a library caller
re-ranking needs them) but no output prints them when anonymised; `withhold_scheme_reasons`
words the reason of an applicant shortlisted under the scheme without naming it.

Whatever the mode, a problem quoting a *monitoring* value (a value outside the field's list)
is reworded by `redact_monitoring` before it reaches an output: monitoring data is only ever
reported in aggregate (see `impact`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from .errors import Problem
from .marks import PanelMarks
from .readers import Applications, InputSummary
from .role import Field, Role

NAME_REMOVED = "[name removed]"
#: Words in a name field that are titles or ranks, not names: never redacted on their own.
TITLES = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "pc", "dc", "ps",
    "ds", "di", "dci", "dsu", "supt", "sgt", "insp", "det", "acting", "temporary",
})
_NAME_SPLIT = re.compile(r"[\s\-‐–—'’.,]+")


def input_label(n: int) -> str:
    """How input `n` (1-based, as listed in the run record) is named in anonymised outputs."""
    return f"input {n}"


def personal_fields(role: Role) -> tuple[Field, ...]:
    """Non-monitoring fields other than the applicant id: what `--anonymise` leaves out."""
    return tuple(f for f in role.scored_fields if f.name != "applicant_id")


class _Labels:
    """Stable stand-ins for file and sheet names, and a rewriter for text that quotes them."""

    def __init__(self, inputs: Iterable[InputSummary]):
        self.files: dict[str, str] = {}
        for n, i in enumerate(inputs, 1):
            self.files.setdefault(i.file, input_label(n))
        self._skipped = 0
        self.sheets: dict[tuple[str | None, str], str] = {}
        self._pattern: re.Pattern[str] | None = None
        self._quoted: dict[str, str] = {}

    def file(self, name: str | None) -> str | None:
        if name is None:
            return None
        if name not in self.files:  # a folder's other files: named in warnings only
            self._skipped += 1
            self.files[name] = f"skipped file {self._skipped}"
            self._pattern = None
        return self.files[name]

    def sheet(self, file: str | None, sheet: str | None) -> str | None:
        if sheet is None:
            return None
        key = (file, sheet)
        if key not in self.sheets:
            count = sum(1 for f, _ in self.sheets if f == file)
            self.sheets[key] = f"sheet {count + 1}"
            self._pattern = None
        return self.sheets[key]

    def text(self, message: str) -> str:
        """`message` with every known file name, and every quoted sheet name, replaced."""
        if self._pattern is None:
            self._quoted = {name: label for name, label in self.files.items() if name}
            for (_, sheet), label in self.sheets.items():
                self._quoted.setdefault(repr(sheet), repr(label))
            keys = sorted(self._quoted, key=len, reverse=True)
            self._pattern = re.compile("|".join(map(re.escape, keys))) if keys else None
            if self._pattern is None:
                return message
        return self._pattern.sub(lambda m: self._quoted[m.group(0)], message)


def _value_hidden(fields: Iterable[Field], why: str) -> Callable[[Problem], Problem]:
    """A rewriter of problems that quote the value of one of `fields`."""
    prefixes = tuple((f"{f.label} is ", f) for f in fields)

    def rewrite(p: Problem) -> Problem:
        if p.type != "bad-value":
            return p
        for prefix, f in prefixes:
            if p.message.startswith(prefix) and not p.message.startswith(f"{f.label} is blank"):
                return replace(p, message=f"{f.label} is not one of its allowed values "
                                          f"({why})")
        return p
    return rewrite


def _rewrite_problems(apps: Applications, rewrite: Callable[[Problem], Problem]
                      ) -> tuple[list[list[Problem]], list[Problem]]:
    cache: dict[Problem, Problem] = {}

    def one(p: Problem) -> Problem:
        if p not in cache:
            cache[p] = rewrite(p)
        return cache[p]

    return [[one(p) for p in row] for row in apps.errors], [one(p) for p in apps.problems]


def redact_monitoring(apps: Applications) -> Applications:
    """`apps` with every problem that quotes a monitoring value reworded not to."""
    monitoring = [f for f in apps.role.fields if f.monitoring]
    if not monitoring:
        return apps
    rewrite = _value_hidden(monitoring, "monitoring data: kept as given, not shown here; "
                                        "`shortlist check` shows it")
    errors, problems = _rewrite_problems(apps, rewrite)
    return replace(apps, errors=errors, problems=problems)


def anonymise_panel(panel: PanelMarks, apps: Applications) -> PanelMarks:
    """`panel` with applicants' names taken out of the assessors' comments, as from evidence
    (`apps` are the applications as read, with their names). Assessors' own names and their
    marking files are kept: they are the panel's, not the applicants'."""
    scrub = applicant_names(apps)
    comments = [[(who, scrub.text(i, text)) for who, text in said]
                for i, said in enumerate(panel.comments)]
    return replace(panel, comments=comments)


def anonymise_applications(apps: Applications) -> Applications:
    """A name-blind copy of `apps` for outputs (see the module's docstring)."""
    role, frame = apps.role, apps.frame.copy()
    labels = _Labels(apps.inputs)
    files = frame["file"].tolist()
    frame["file"] = [labels.file(f) for f in files]
    frame["sheet"] = pd.Series([labels.sheet(f, s) for f, s in
                                zip(files, frame["sheet"].tolist(), strict=True)],
                               dtype=object, index=frame.index)
    scrub = applicant_names(apps)
    for c in role.criteria:
        key = f"evidence:{c.id}"
        if key in frame and c.evidence != "none":
            frame[key] = scrub.column(frame[key].tolist())
    keep = role.condition_fields | {"applicant_id", "guaranteed_interview"}
    for f in personal_fields(role):
        if f.name not in keep and f.name in frame:
            frame[f.name] = np.full(len(frame), "", dtype=object)

    personal = _value_hidden(personal_fields(role), "value withheld: anonymised")

    def rewrite(p: Problem) -> Problem:
        p = personal(p)
        return replace(p, file=labels.file(p.file), sheet=labels.sheet(p.file, p.sheet),
                       message=labels.text(p.message))

    # Problems name sheets the frame does not (hidden ones): number them before rewriting.
    for p in apps.problems:
        labels.file(p.file)
        labels.sheet(p.file, p.sheet)
    errors, problems = _rewrite_problems(apps, rewrite)
    inputs = [replace(i, file=labels.file(i.file) or "", sheet=labels.sheet(i.file, i.sheet),
                      notes=[labels.text(n) for n in i.notes]) for i in apps.inputs]
    return replace(apps, frame=frame, errors=errors, problems=problems, inputs=inputs)


# Splitting text into words for the quick tests: punctuation, apostrophes and dashes are
# separators, so "Smith's" and "Brontë-Hughes" yield "Smith", "Brontë" and "Hughes".
_SEPARATORS = str.maketrans({c: " " for c in "!\"#$%&()*+,./:;<=>?@[\\]^_`{|}~'’‐-–—"})
_WORD = re.compile(r"\w+(?:[-‐'’]\w+)*")


def _parts(name: str) -> list[str]:
    return [p for p in _NAME_SPLIT.split(name) if len(p) >= 2 and p.casefold() not in TITLES]


_OwnName = tuple[frozenset[str], re.Pattern[str]]


@lru_cache(maxsize=100_000)
def _own_name(name: str) -> _OwnName | None:
    """The words whose presence in a text means `name` may be in it, and the pattern that
    finds it: the whole name in any case and spacing, or each part (not a title) as written
    or in capitals."""
    parts, words = _parts(name), name.split()
    alternatives = [r"(?i:" + r"\s+".join(map(re.escape, words)) + ")"] if len(words) > 1 \
        else []
    for part in sorted(set(parts), key=len, reverse=True):
        alternatives += [re.escape(part), re.escape(part.upper())]
    if not alternatives:
        return None
    needles = frozenset(form for p in parts
                        for form in (p, p.upper(), p.lower(), p.capitalize()))
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")
    return needles, pattern


class ApplicantNames:
    """The applicants' names, to take out of text written by or about each of them (their
    evidence, an assessor's comment): each text loses its applicant's own name and any
    applicant's full name (see `NameRedactor`)."""

    def __init__(self, names: Sequence[Any]):
        texts = [str(n or "").strip() for n in names]
        self.redactor = NameRedactor(texts)
        self.owns = [_own_name(n) if n else None for n in texts]

    def column(self, texts: list[Any]) -> list[Any]:
        """One text per applicant, in the order of the names."""
        return self.redactor.redact_column(texts, self.owns)

    def text(self, i: int, text: str) -> str:
        """A text by or about applicant `i`."""
        return self.redactor.redact_found(text, self.owns[i])


def applicant_names(apps: Applications) -> ApplicantNames:
    """The names of `apps` (as read, before any anonymising), ready to take out of text."""
    frame = apps.frame
    return ApplicantNames(frame["name"].tolist() if "name" in frame else [""] * len(frame))


def redact_name(text: str, name: str) -> str:
    """`text` with `name`, and each part of it (not titles such as "DS"), replaced by
    "[name removed]". Parts are matched as written in the name or in capitals, so "Will" is
    removed but "will" is kept."""
    return NameRedactor(()).redact(text, name)


class NameRedactor:
    """Takes applicants' names out of their evidence: their own name (see `redact_name`)
    and any applicant's full name (two words or more, the first capitalised as names are
    written). The words of a whole column of evidence are found in one pass and only texts
    that may hold a word sought are searched, so the cost hardly grows with the number of
    applicants."""

    def __init__(self, names: Iterable[str]):
        full = {tuple(_WORD.findall(n)) for n in names if n}
        full = {words for words in full if len(words) > 1}
        self.names = {" ".join(words).casefold() for words in full}
        self.first = {form for words in full for form in
                      (words[0], words[0].capitalize(), words[0].upper())}
        self.first_parts = {p for f in self.first for p in f.translate(_SEPARATORS).split()}
        self.longest = max((len(words) for words in full), default=0)

    def redact(self, text: str, own: str = "") -> str:
        """`text` without its author's name `own` or any applicant's full name."""
        return self.redact_found(text, _own_name(own.strip()) if own.strip() else None)

    def redact_column(self, texts: list[Any], owns: list[_OwnName | None]) -> list[Any]:
        """Each text without its author's name (`owns`, row by row) or any applicant's.

        The words of the whole column are found first, in one pass: only texts that may
        hold a word sought are looked at one by one (usually few or none)."""
        sought = set(self.first_parts)
        for own in owns:
            if own is not None:
                sought |= own[0]
        present = sought.intersection(
            "\n".join(t for t in texts if t).translate(_SEPARATORS).split())
        if not present:
            return texts
        return [self.redact_found(t, own) if t and any(w in t for w in present) else t
                for t, own in zip(texts, owns, strict=True)]

    def redact_found(self, text: str, own: _OwnName | None) -> str:
        if not text:
            return text
        tokens = text.translate(_SEPARATORS).split()
        if own is not None and not own[0].isdisjoint(tokens):
            text = own[1].sub(NAME_REMOVED, text)
        if self.names and not self.first_parts.isdisjoint(tokens):
            text = self._others(text)
        return text

    def _others(self, text: str) -> str:
        words = list(_WORD.finditer(text))
        folded = [w.group(0).casefold() for w in words]
        spans: list[tuple[int, int]] = []
        k = 0
        while k < len(words):
            if words[k].group(0) in self.first:
                for n in range(min(self.longest, len(words) - k), 1, -1):
                    if " ".join(folded[k:k + n]) in self.names:
                        spans.append((words[k].start(), words[k + n - 1].end()))
                        k += n - 1
                        break
            k += 1
        for start, end in reversed(spans):
            text = text[:start] + NAME_REMOVED + text[end:]
        return text


def withhold_scheme_reasons(ranked: pd.DataFrame, top: int) -> pd.DataFrame:
    """`ranked` with the reason of each applicant shortlisted outside the top `top` (which
    only the guaranteed interview scheme does) worded without naming the scheme."""
    rank = ranked["rank"].to_numpy(dtype=float, na_value=np.nan)
    added = ranked["shortlisted"].to_numpy(dtype=bool) & (np.nan_to_num(rank, nan=0) > top)
    if not added.any():
        return ranked
    out = ranked.copy()
    reason = out["reason"].to_numpy(dtype=object).copy()
    reason[added] = (f"meets every essential criterion; shortlisted outside the top {top} "
                     "(the reason is withheld in anonymised output)")
    out["reason"] = reason
    return out
