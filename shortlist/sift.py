"""A sift: one role, its applications, scored and ranked; the one object every output reads.

`run_sift` is the library's front door: role and inputs in, a `Sift` out. Its `records()` are
the applicants in output order as plain dicts (the JSON contract), and `summary()` the counts.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import __version__
from .anonymise import (
    anonymise_applications,
    anonymise_panel,
    redact_monitoring,
    withhold_scheme_reasons,
)
from .errors import ApplicantNotFound, UnreadableInputs
from .marks import PanelMarks, load_panel
from .paths import display_path
from .ranking import FAILED, INVALID, RANKED, SHORTLISTED, Options, rank
from .readers import DEFAULT_LIMITS, Applications, Limits, read_applications
from .role import Criterion, Role, format_points
from .scoring import score


@dataclass
class Sift:
    role: Role
    apps: Applications
    scored: pd.DataFrame
    ranked: pd.DataFrame
    options: Options
    anonymise: bool = False
    skip_unreadable: bool = False
    include_evidence: bool = False
    #: The sift panel's marks, when assessors marked the evidence (None: self-assessment).
    panel: PanelMarks | None = None
    #: Things an output had to change to write the data (e.g. text cut to fit a cell).
    notes: list[str] = field(default_factory=list)
    #: Every file the sift read (role, applications, marking sheets), as absolute paths: the
    #: files an output must never be written over (names in `apps` may be anonymised).
    files_read: tuple[Path, ...] = ()
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    _columns: dict[str, np.ndarray] = field(default_factory=dict, repr=False)

    def field(self, name: str) -> np.ndarray:
        """An applicant field's values (a role field may share a name with a result column,
        such as `rank` or `status`, so fields are read from the applications alone)."""
        key = f"field:{name}"
        if key not in self._columns:
            self._columns[key] = self.apps.frame[name].to_numpy()
        return self._columns[key]

    def col(self, name: str) -> np.ndarray:
        """A result column (scored, ranked, or read per criterion / source) as a NumPy
        array (cached). Applicant fields: use `field`."""
        if name not in self._columns:
            for frame in (self.scored, self.ranked, self.apps.frame):
                if name in frame:
                    self._columns[name] = frame[name].to_numpy()
                    break
            else:
                raise KeyError(name)
        return self._columns[name]

    @property
    def order(self) -> np.ndarray:
        """Row positions of the applicants in output order."""
        return np.argsort(self.ranked["order"].to_numpy(), kind="stable")

    def summary(self) -> dict[str, Any]:
        status = self.ranked["status"]
        ranked_n = int(status.isin([SHORTLISTED, RANKED]).sum())
        shortlisted = int((status == SHORTLISTED).sum())
        by_rank = int((self.ranked["shortlisted"] & (self.ranked["rank"].fillna(10**12)
                                                     <= self.options.top)).sum())
        return {
            "applicants": len(self.ranked),
            "ranked": ranked_n,
            "failed_essential": int((status == FAILED).sum()),
            "invalid": int((status == INVALID).sum()),
            "shortlisted": shortlisted,
            "top": self.options.top,
            "tied_at_cutoff": by_rank > self.options.top,
            "guaranteed_interview_added": shortlisted - by_rank,
            "unreadable_files": [p.file for p in self.apps.unreadable],
            **self._panel_summary(),
        }

    def _panel_summary(self) -> dict[str, Any]:
        if self.panel is None:
            return {}
        valid = self.col("valid").astype(bool)
        cells = sum(int(np.sum(self.col(f"needs_moderation:{c.id}") & valid))
                    for c in self.panel.criteria)
        return {"not_fully_marked": int(np.sum(self.col("not_fully_marked") & valid)),
                "needs_moderation": cells}

    def summary_line(self) -> str:
        s = self.summary()
        text = (f"{s['applicants']} applicants: {s['ranked']} ranked, {s['failed_essential']} "
                f"failed an essential criterion, {s['invalid']} invalid; {s['shortlisted']} "
                f"shortlisted (top {s['top']}")
        if self.options.min_score:
            text += f", minimum score {self.options.min_score:g}"
        text += ")"
        notes = []
        if s["tied_at_cutoff"]:
            notes.append("ties at the cut-off are all kept, so the shortlist is longer than "
                         f"{s['top']}")
        if s["guaranteed_interview_added"] and self.anonymise:
            notes.append(f"{s['guaranteed_interview_added']} more shortlisted outside the top "
                         f"{s['top']} (the reason is withheld in anonymised output)")
        elif s["guaranteed_interview_added"]:
            notes.append(f"{s['guaranteed_interview_added']} added under the guaranteed "
                         "interview scheme")
        if s["unreadable_files"]:
            notes.append(f"{len(s['unreadable_files'])} unreadable file(s) skipped: "
                         + ", ".join(s["unreadable_files"]))
        if s.get("not_fully_marked"):
            notes.append(f"{s['not_fully_marked']} not fully marked (not shortlisted until "
                         "every assessor has marked them)")
        if s.get("needs_moderation"):
            notes.append(f"{s['needs_moderation']} mark(s) more than one level apart need "
                         "moderation")
        return text + ("; " + "; ".join(notes) if notes else "") + "."

    def records(self) -> Iterator[dict[str, Any]]:
        """Every applicant, in output order, as the JSON contract's dict."""
        for i in self.order:
            yield self.record(int(i))

    def record(self, i: int) -> dict[str, Any]:
        col = self.col
        rec: dict[str, Any] = {"applicant_id": self.field("applicant_id")[i] or None}
        if not self.anonymise:
            rec["name"] = self.field("name")[i] or None
        valid = bool(col("valid")[i])
        rank_value = col("rank")[i]
        rec.update({
            "rank": None if pd.isna(rank_value) else int(rank_value),
            "score": _round(col("score")[i]) if valid else None,
            "desirable_score": _round(col("desirable_score")[i]) if valid else None,
            "essential_met": bool(col("essential_met")[i]),
            "shortlisted": bool(col("shortlisted")[i]),
            "status": str(col("status")[i]),
            "reason": str(col("reason")[i]) or None,
            "failures": [{"criterion": c.id, "reason": r} for c, r in self.failures(i)],
            "flags": [{"criterion": c.id, "flag": f, "detail": d} for c, f, d in self.flags(i)],
            "errors": [_error_dict(p) for p in self.apps.errors[i] if p.is_error],
            "criteria": {c.id: self.criterion_record(i, c) for c in self.role.criteria},
        })
        if not self.anonymise:
            rec["guaranteed_interview"] = bool(self.field("guaranteed_interview")[i])
            rec["fields"] = {f.name: self.field(f.name)[i] or None
                             for f in self.role.scored_fields
                             if f.name not in ("applicant_id", "name", "guaranteed_interview")}
        if self.panel is not None:
            rec["assessor_comments"] = [{"assessor": who, "comment": text}
                                        for who, text in self.panel.comments[i]]
        rec["source"] = {"file": col("file")[i], "sheet": col("sheet")[i],
                         "row": int(col("row")[i])}
        return rec

    def criterion_record(self, i: int, c: Criterion) -> dict[str, Any]:
        claimed = int(self.col(f"level:{c.id}")[i])
        applies = bool(self.col(f"applies:{c.id}")[i])
        out: dict[str, Any] = {
            "rating": c.scale.levels[claimed] if claimed >= 0 else None,
            "points": _num(self.col(f"points:{c.id}")[i]) if applies else None,
            "max": _num(c.scale.max_points),
            "weight": _num(c.weight),
            "met": bool(self.col(f"met:{c.id}")[i]) if c.essential and applies else None,
            "words": int(self.col(f"words:{c.id}")[i]) if c.evidence != "none" else None,
            "applies": applies,
        }
        if bool(self.col(f"unevidenced:{c.id}")[i]):
            out["counted_as"] = c.scale.levels[0]
        if self.include_evidence and c.evidence != "none":
            out["evidence"] = self.col(f"evidence:{c.id}")[i]
        if self.panel is not None:
            out["self_rating"] = out["rating"]
            out["marks"] = self.panel.marks_record(i, c) if c.evidence != "none" else []
            out["final"] = self.panel.final_record(
                i, c, float(self.col(f"points:{c.id}")[i]),
                int(self.col(f"counted:{c.id}")[i])) if applies else None
        return out

    def failures(self, i: int) -> list[tuple[Criterion, str]]:
        """Each unmet essential criterion of applicant i, with a reason a person can read."""
        return self.all_failures[i]

    def flags(self, i: int) -> list[tuple[Criterion, str, str]]:
        """Applicant i's flags: (criterion, flag, detail)."""
        return self.all_flags[i]

    @cached_property
    def all_failures(self) -> list[list[tuple[Criterion, str]]]:
        """`failures` for every applicant, built criterion by criterion (fast at scale)."""
        out: list[list[tuple[Criterion, str]]] = [[] for _ in range(len(self.ranked))]
        for c in self.role.essentials:
            unmet = ~self.col(f"met:{c.id}").astype(bool) & ~self.col(f"unreadable:{c.id}")
            claimed, unevidenced = self.col(f"level:{c.id}"), self.col(f"unevidenced:{c.id}")
            needs = f'needs "{c.pass_level}"'
            for k in np.flatnonzero(unmet).tolist():
                level = int(claimed[k])
                if level < 0:
                    reason = f"no answer, {needs}"
                elif unevidenced[k]:
                    reason = (f'rated "{c.scale.levels[level]}" with no evidence, so counted '
                              f'as "{c.scale.levels[0]}"; {needs}')
                else:
                    reason = f'rated "{c.scale.levels[level]}", {needs}'
                if self.panel is not None:
                    reason = self.panel.failure_reason(k, c) or reason
                out[k].append((c, reason))
        return out

    @cached_property
    def all_flags(self) -> list[list[tuple[Criterion, str, str]]]:
        """`flags` for every applicant, in criterion order."""
        out: list[list[tuple[Criterion, str, str]]] = [[] for _ in range(len(self.ranked))]
        for c in self.role.criteria:
            unevidenced, over = self.col(f"unevidenced:{c.id}"), self.col(f"over_limit:{c.id}")
            claimed, words = self.col(f"level:{c.id}"), self.col(f"words:{c.id}")
            for k in np.flatnonzero(unevidenced | over).tolist():
                if unevidenced[k]:
                    out[k].append((c, "unevidenced",
                                   f'rated "{c.scale.levels[int(claimed[k])]}" with no '
                                   f'evidence; counted as "{c.scale.levels[0]}"'))
                if over[k]:
                    out[k].append((c, "over_word_limit",
                                   f"{int(words[k])} words, limit {c.word_limit}"))
        if self.panel is not None:
            order = {c.id: j for j, c in enumerate(self.role.criteria)}
            for k, extra in enumerate(self.panel.flags()):
                if extra:  # kept in criterion order (the sort is stable)
                    out[k] = sorted(out[k] + extra, key=lambda f: order[f[0].id])
        return out

    def index_of(self, applicant_id: str) -> int:
        ids = self.apps.frame["applicant_id"].str.strip().str.casefold()
        hits = np.flatnonzero(ids.to_numpy() == applicant_id.strip().casefold())
        if not len(hits):
            known = self.apps.frame["applicant_id"].tolist()
            sample = ", ".join(sorted(k for k in known if k)[:10])
            raise ApplicantNotFound(f"no applicant {applicant_id!r} in the inputs; "
                                    f"{len(known)} applicants read (e.g. {sample})")
        return int(hits[0])

    def to_dict(self) -> dict[str, Any]:
        return {**self.run_record(), "applicants": list(self.records())}

    def run_record(self) -> dict[str, Any]:
        """The record of the run every output carries (see `shortlist.audit`): the JSON
        contract without `applicants`."""
        role = self.role
        return {
            "shortlist_version": __version__,
            "role": {"id": role.id, "title": role.title, "file": display_path(role.path),
                     "sha256": role.sha256},
            "inputs": [i.to_dict() for i in self.apps.inputs],
            "options": {"top": self.options.top, "min_score": _num(self.options.min_score),
                        "anonymise": self.anonymise, "skip_unreadable": self.skip_unreadable,
                        "include_evidence": self.include_evidence,
                        **({"combine": self.panel.combine} if self.panel is not None else {})},
            "created": self.created.isoformat(timespec="seconds"),
            **({"panel": self.panel.to_dict()} if self.panel is not None else {}),
            "summary": self.summary(),
            # Every problem found in the inputs, as `shortlist check --format json` lists
            # them: errors (also under each invalid applicant), warnings and notes.
            "problems": [p.to_dict() for p in self.apps.problems],
        }


def _round(x: Any) -> float | None:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return None
    return round(float(x), 2)


def _num(x: Any) -> int | float | None:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return None
    return int(x) if float(x).is_integer() else float(format_points(float(x)))


def _error_dict(p: Any) -> dict[str, Any]:
    return {"type": p.type, "file": p.file, "sheet": p.sheet, "row": p.row,
            "column": p.column_name, "column_letter": p.column_letter, "message": p.message}


def run_sift(role: Role, inputs: Sequence[str | os.PathLike[str]], *, top: int | None = None,
             min_score: float | None = None, anonymise: bool = False,
             skip_unreadable: bool = False, include_evidence: bool = False,
             marks: Sequence[str | os.PathLike[str]] = (),
             agreed: str | os.PathLike[str] | None = None, combine: str = "mean",
             limits: Limits = DEFAULT_LIMITS,
             on_file: Callable[[int, int, Path], None] | None = None) -> Sift:
    """Read, score and rank. Raises `UnreadableInputs` if a file cannot be read at all,
    unless `skip_unreadable`, in which case the outputs name the skipped files.

    `marks` are the assessors' marking sheets and `agreed` the moderated one (see
    `shortlist.marks`); their problems raise `MarksError`. `limits` bound what an input may
    cost before it is refused; `on_file` is told of each file as it is read."""
    apps = read_applications(role, inputs, limits=limits, on_file=on_file)
    if apps.unreadable and not skip_unreadable:
        raise UnreadableInputs(apps.unreadable)
    panel = load_panel(apps, marks, agreed, combine) if marks or agreed is not None else None
    return sift_applications(apps, top=top, min_score=min_score, anonymise=anonymise,
                             skip_unreadable=skip_unreadable, include_evidence=include_evidence,
                             panel=panel)


def sift_applications(apps: Applications, *, top: int | None = None,
                      min_score: float | None = None, anonymise: bool = False,
                      skip_unreadable: bool = False, include_evidence: bool = False,
                      panel: PanelMarks | None = None) -> Sift:
    role = apps.role
    options = Options(top=role.size if top is None else top,
                      min_score=role.min_score if min_score is None else float(min_score))
    scored = score(apps, panel)
    ranked = rank(role, apps.frame, scored, options)
    # Outputs read what the Sift holds: decisions are made above, on the applications as
    # read; what outputs may show (never monitoring values; with `anonymise`, no names or
    # personal fields) is settled here, once, for every output.
    read = [role.path, *(i.file for i in apps.inputs)]
    if panel is not None:
        read += [s.file for s in panel.sheets]
        if panel.agreed_sheet is not None:
            read.append(panel.agreed_sheet.file)
    files_read = tuple(Path(p).absolute() for p in read if p)
    apps = redact_monitoring(apps)
    if anonymise:
        if panel is not None:  # assessors' comments may name applicants, as evidence may
            panel = anonymise_panel(panel, apps)
        apps = anonymise_applications(apps)
        ranked = withhold_scheme_reasons(ranked, options.top)
    return Sift(role, apps, scored, ranked, options, anonymise, skip_unreadable,
                include_evidence, panel=panel, files_read=files_read)
