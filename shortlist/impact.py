"""Adverse impact by stage: for each monitoring field and group, how many applied, met every
essential criterion and were shortlisted, and how each group's rate compares with the
group with the highest rate (the four-fifths rule of thumb). Pure over a `Sift`.

Stages and rates. *applied* is every applicant read (invalid ones too: they applied, and
were not taken further); *met essentials* is a valid application meeting every essential
criterion; *shortlisted* is the shortlist. A stage's rate is its count over the group's
applicants, so the shortlisted rate is the bottom line and the met-essentials rate shows
where a difference arises. The impact ratio is a group's rate over the highest rate among
the groups compared at that stage; under 0.8 (four-fifths) it is flagged. The rule is a
rule of thumb, not a test of significance: small groups swing on one person, so a flag
that one more selected applicant would clear says so.

Groups. A value of the field is a group; blank is "Not stated"; "Prefer not to say" (and
its spellings) is its own group; values outside the role's list are "Not in the role's
list"; in a free-text field (no list of values), answers given by fewer than 5 are "Other
answers", since a rare answer the applicant typed could itself identify them. Those four are
shown but never compared: they are not groups of people sharing a characteristic. When one
of them is small they are pooled into one row ("Prefer not to say or not stated").

Small numbers. Every applicant's total at each stage is known (the ranked outputs give it),
so anything shown can be subtracted from the totals. The rule, for every stage at once:

- the rows shown for a field are a partition of the applicants (every applicant is in
  exactly one row) and every row holds at least 5 applicants, with its counts, rates and
  ratios in full;
- the groups of 1 to 4 applicants are pooled into one row, "Other groups (combined)",
  whose members are not named; if the pool holds fewer than 5, the next group (answers that
  are not a characteristic first, then the smallest) is merged into it, until it holds 5
  or more;
- if that leaves no other row, the field's breakdown is withheld, with a note.

So whatever sums and differences of shown numbers a reader forms, including the totals, they
describe a union of rows: 5 or more people, never a group of fewer than 5 by itself. The
pool is compared (against the highest named group) only when every group in it shares a
characteristic; it is never the reference. No cross-tabulation of two fields is made.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from .errors import ShortlistError
from .ranking import RANKED, SHORTLISTED
from .role import Field, Role, normalise_value
from .sift import Sift

STAGES = ("applied", "met_essentials", "shortlisted")
STAGE_LABELS = {"applied": "Applied", "met_essentials": "Met essentials",
                "shortlisted": "Shortlisted"}
MIN_GROUP = 5
FOUR_FIFTHS = Fraction(4, 5)
NOT_STATED = "Not stated"
PREFER_NOT = "Prefer not to say"
NOT_LISTED = "Not in the role's list"
OTHER = "Other answers (each given by fewer than 5)"
#: The row that pools the groups of fewer than 5 (and any merged with them).
POOLED = "Other groups (combined)"
POOLED_NOTE = "groups of fewer than 5 (not named), with the next group where needed"
#: Spellings (normalised) of an answer that declines to say.
DECLINED = frozenset(normalise_value(v) for v in (
    "Prefer not to say", "Prefer not to answer", "Rather not say", "Not stated",
    "Not disclosed", "Declined", "Declined to say", "Declined to answer", "Do not wish to say",
))

class ImpactError(ShortlistError):
    """The impact report cannot be made: the role has no monitoring field."""


class UnknownMonitoringField(ImpactError):
    """`by` names no monitoring field of the role."""


@dataclass(frozen=True)
class StageResult:
    count: int
    rate: float | None = None
    impact_ratio: float | None = None
    below_four_fifths: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "rate": self.rate, "impact_ratio": self.impact_ratio,
                "below_four_fifths": self.below_four_fifths}


@dataclass(frozen=True)
class GroupResult:
    group: str
    applied: int
    #: Per stage after `applied`: met_essentials, shortlisted.
    stages: dict[str, StageResult]
    compared: bool
    #: The row pools groups of fewer than 5 (see the module's docstring).
    pooled: bool = False
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.group, "applied": self.applied, "compared": self.compared,
                "pooled": self.pooled,
                **{s: r.to_dict() for s, r in self.stages.items()},
                "notes": list(self.notes)}


@dataclass(frozen=True)
class FieldImpact:
    field: str
    label: str
    groups: tuple[GroupResult, ...]
    #: Per stage, the compared group with the highest rate (None when there is none).
    reference: dict[str, str | None]
    notes: tuple[str, ...] = ()
    #: No breakdown can be shown without revealing a group of fewer than 5 (`groups` is
    #: empty and a note says why).
    withheld: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "label": self.label, "withheld": self.withheld,
                "reference": self.reference, "groups": [g.to_dict() for g in self.groups],
                "notes": list(self.notes)}


@dataclass
class ImpactReport:
    role: Role
    fields: tuple[FieldImpact, ...]
    totals: dict[str, int]
    #: The sift's run record (see `shortlist.audit`), with `by`.
    record: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        applied = self.totals["applied"]
        totals: dict[str, Any] = {"applied": applied}
        for s in STAGES[1:]:
            totals[s] = {"count": self.totals[s], "rate": _rate(self.totals[s], applied)}
        return {**self.record, "impact": {
            "stages": list(STAGES), "four_fifths": float(FOUR_FIFTHS),
            "min_group": MIN_GROUP, "totals": totals,
            "fields": [f.to_dict() for f in self.fields], "notes": list(self.notes)}}


def monitoring_fields(role: Role) -> tuple[Field, ...]:
    return tuple(f for f in role.fields if f.monitoring)


def impact(sift: Sift, by: str | None = None) -> ImpactReport:
    """The adverse-impact report of `sift` for every monitoring field, or the one named `by`.
    Raises `ImpactError` when the role has no monitoring field or `by` names none."""
    role = sift.role
    fields = monitoring_fields(role)
    if not fields:
        raise ImpactError(f"role {role.id} has no monitoring fields (fields with "
                          "`monitoring = true`); there is nothing to report impact by")
    if by is not None:
        chosen = [f for f in fields if by in (f.name, f.label)
                  or normalise_value(by) in (normalise_value(f.name), normalise_value(f.label))]
        if not chosen:
            raise UnknownMonitoringField(
                f"{by!r} is not a monitoring field of role {role.id}; expected one of "
                + ", ".join(f.name for f in fields))
        fields = (chosen[0],)
    status = sift.col("status").astype(str)
    reached = {"applied": np.ones(len(status), dtype=bool),
               "met_essentials": np.isin(status, [RANKED, SHORTLISTED]),
               "shortlisted": status == SHORTLISTED}
    totals = {s: int(m.sum()) for s, m in reached.items()}
    notes = []
    invalid = int(np.sum(~sift.col("valid").astype(bool)))
    if invalid:
        notes.append(f"{invalid} invalid application(s) count as applied but not as meeting "
                     "the essentials; fix them (`shortlist check`) for a final report.")
    record = sift.run_record()
    unmarked = record["summary"].get("not_fully_marked", 0)
    if unmarked:
        notes.append(f"{unmarked} applicant(s) not fully marked cannot be shortlisted until "
                     "every assessor has marked them, so the shortlisted stage is provisional.")
    record["options"] = {**record["options"], "by": fields[0].name if by is not None else None}
    return ImpactReport(role, tuple(_field_impact(sift, f, reached) for f in fields), totals,
                        record, notes)


def _groups_of(f: Field, values: Sequence[Any]) -> tuple[list[str], list[str]]:
    """Each applicant's group, and the groups in display order."""
    listed = {normalise_value(v): v for v in f.values or ()}
    spelled: dict[str, str] = {}
    keys: list[str] = []
    for raw in values:
        text = " ".join(str(raw or "").split())
        norm = normalise_value(text)
        if not norm:
            keys.append(NOT_STATED)
        elif norm in DECLINED:
            keys.append(PREFER_NOT)
        elif f.values is not None:
            keys.append(listed.get(norm, NOT_LISTED))
        else:  # free text: one group per value, whatever its case and spacing
            if norm not in spelled or text < spelled[norm]:
                spelled[norm] = text
            keys.append(norm)
    labels = [spelled.get(k, k) if f.values is None and k not in (NOT_STATED, PREFER_NOT)
              else k for k in keys]
    if f.values is None:  # a rare answer, typed by the applicant, could itself identify them
        sizes = Counter(labels)
        labels = [OTHER if g not in (NOT_STATED, PREFER_NOT) and sizes[g] < MIN_GROUP else g
                  for g in labels]
    present = set(labels)
    ordered = [v for v in f.values or () if normalise_value(v) not in DECLINED]
    ordered += sorted((g for g in present if g not in ordered
                       and g not in (NOT_LISTED, OTHER, PREFER_NOT, NOT_STATED)),
                      key=str.casefold)
    ordered += [NOT_LISTED, OTHER, PREFER_NOT, NOT_STATED]
    return labels, [g for g in ordered if g in present]


def _field_impact(sift: Sift, f: Field, reached: dict[str, np.ndarray]) -> FieldImpact:
    labels, order = _groups_of(f, sift.field(f.name).tolist())
    group_of = np.asarray(labels, dtype=object)

    def count(groups: Sequence[str]) -> dict[str, int]:
        members = np.isin(group_of, list(groups))
        return {s: int(np.sum(reached[s] & members)) for s in STAGES}

    counts = {g: count([g]) for g in order}
    uncompared = {NOT_STATED, PREFER_NOT, NOT_LISTED, OTHER}
    # Answers that are not a characteristic are pooled when one of them is small, so that
    # they, rather than a group compared, make up the numbers.
    answers = [g for g in order if g in uncompared]
    if len(answers) > 1 and any(counts[g]["applied"] < MIN_GROUP for g in answers):
        label = answers[0] + "".join((" or " if k == len(answers) - 1 else ", ")
                                     + g[0].lower() + g[1:] for k, g in enumerate(answers[1:], 1))
        group_of[np.isin(group_of, answers)] = label
        order = [g for g in order if g not in uncompared] + [label]
        uncompared.add(label)
        counts = {g: counts[g] for g in order if g != label} | {label: count([label])}

    # Disclosure control: the groups under 5 go into one pool; while it holds fewer than 5,
    # the next group joins it (answers that are not a characteristic first, then the
    # smallest), so every row shown holds 5 or more and the rows partition the applicants.
    pool = [g for g in order if counts[g]["applied"] < MIN_GROUP]
    while pool and sum(counts[g]["applied"] for g in pool) < MIN_GROUP:
        rest = [g for g in order if g not in pool]
        if not rest:
            break
        pool.append(min(reversed(rest), key=lambda g: (g not in uncompared, counts[g]["applied"])))
    named = [g for g in order if g not in pool]
    if pool and not named:
        return FieldImpact(f.name, f.label, (), {s: None for s in STAGES[1:]}, (
            f"Breakdown by {f.label} withheld: with groups of fewer than {MIN_GROUP} "
            "applicants, any breakdown would let one be worked out from the totals.",), True)
    rows = {g: counts[g] for g in named}
    pool_compared = bool(pool) and not any(g in uncompared for g in pool)
    if pool:
        rows[POOLED] = count(pool)
    reference_groups = [g for g in named if g not in uncompared]
    compared = reference_groups + ([POOLED] if pool_compared else [])

    reference: dict[str, str | None] = {}
    best: dict[str, Fraction | None] = {}
    notes: list[str] = []
    for s in STAGES[1:]:
        rates = {g: Fraction(rows[g][s], rows[g]["applied"]) for g in reference_groups}
        top = max(rates.values(), default=None)
        if len(compared) < 2:
            top = None
        elif top == 0:
            notes.append(f"{STAGE_LABELS[s]}: nobody in the groups compared reached this "
                         "stage, so there is no ratio.")
            top = None
        best[s] = top
        reference[s] = next((g for g in reference_groups if rates[g] == top), None) \
            if top else None
    if len(compared) < 2:
        notes.append(f"Fewer than two groups of {MIN_GROUP} or more applicants to compare "
                     f"(by {f.label}), so no impact ratio is given: too small to judge.")
    if NOT_LISTED in labels:
        notes.append(f"Some {f.label} values are not in the role's list; `shortlist check` "
                     "names them.")

    groups = []
    for g, c in rows.items():
        stages: dict[str, StageResult] = {}
        group_notes: list[str] = [POOLED_NOTE] if g == POOLED else []
        for s in STAGES[1:]:
            rate = _rate(c[s], c["applied"])
            top = best[s]
            if g not in compared or top is None:
                stages[s] = StageResult(c[s], rate)
                continue
            ratio = Fraction(c[s], c["applied"]) / top
            below = ratio < FOUR_FIFTHS
            stages[s] = StageResult(c[s], rate, round(float(ratio), 4), below)
            if below and Fraction(c[s] + 1, c["applied"]) / top >= FOUR_FIFTHS:
                group_notes.append(f"{STAGE_LABELS[s]}: one more applicant selected would "
                                   "clear the flag; treat it with care")
        if g in uncompared:
            group_notes.append("not compared: not a group sharing a characteristic")
        elif g == POOLED and not pool_compared:
            group_notes.append("not compared: holds answers that are not a characteristic")
        groups.append(GroupResult(g, c["applied"], stages, g in compared, g == POOLED,
                                  tuple(group_notes)))
    return FieldImpact(f.name, f.label, tuple(groups), reference, tuple(notes))


def _rate(count: int, applied: int) -> float | None:
    return round(count / applied, 4) if applied else None
