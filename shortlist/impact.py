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
shown but never compared: they are not groups of people sharing a characteristic.

Small numbers. No output may reveal an individual:

- a group with 1 to 4 applicants is shown as "<5" at every stage, with no rate or ratio,
  and noted as too small to judge;
- complementary disclosure: everyone's total is known (the ranked outputs give it), so a
  lone suppressed group could be worked out as the total less the others. While the
  suppressed groups hold fewer than 5 applicants between them, the smallest group still
  shown is suppressed too (shown as "withheld"), so what can be derived by subtraction is
  never about fewer than 5 people;
- no cross-tabulation of two fields is made, so one field's groups cannot be split by
  another's.
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
SMALL = "<5"
WITHHELD = "withheld"
NOT_STATED = "Not stated"
PREFER_NOT = "Prefer not to say"
NOT_LISTED = "Not in the role's list"
OTHER = "Other answers (each given by fewer than 5)"
#: Spellings (normalised) of an answer that declines to say.
DECLINED = frozenset(normalise_value(v) for v in (
    "Prefer not to say", "Prefer not to answer", "Rather not say", "Not stated",
    "Not disclosed", "Declined", "Declined to say", "Declined to answer", "Do not wish to say",
))

#: A count as shown: a number, "<5" or "withheld".
Count = int | str


class ImpactError(ShortlistError):
    """The impact report cannot be made: the role has no monitoring field."""


class UnknownMonitoringField(ImpactError):
    """`by` names no monitoring field of the role."""


@dataclass(frozen=True)
class StageResult:
    count: Count
    rate: float | None = None
    impact_ratio: float | None = None
    below_four_fifths: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "rate": self.rate, "impact_ratio": self.impact_ratio,
                "below_four_fifths": self.below_four_fifths}


@dataclass(frozen=True)
class GroupResult:
    group: str
    applied: Count
    #: Per stage after `applied`: met_essentials, shortlisted.
    stages: dict[str, StageResult]
    compared: bool
    #: None, "fewer than 5" (primary) or "complementary" (secondary suppression).
    suppressed: str | None = None
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"group": self.group, "applied": self.applied, "compared": self.compared,
                "suppressed": self.suppressed,
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

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "label": self.label, "reference": self.reference,
                "groups": [g.to_dict() for g in self.groups], "notes": list(self.notes)}


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
    pooled = [g for g in order if g in uncompared]
    if len(pooled) > 1 and any(counts[g]["applied"] < MIN_GROUP for g in pooled):
        label = pooled[0] + "".join((" or " if k == len(pooled) - 1 else ", ")
                                    + g[0].lower() + g[1:] for k, g in enumerate(pooled[1:], 1))
        group_of[np.isin(group_of, pooled)] = label
        order = [g for g in order if g not in uncompared] + [label]
        uncompared.add(label)
        counts = {g: counts[g] for g in order if g != label} | {label: count([label])}

    # Suppression: primary (1-4 applicants), then complementary until the suppressed groups
    # hold at least MIN_GROUP applicants between them (or nothing is left to suppress),
    # taking groups that are not compared first, then the smallest.
    suppressed = {g: "fewer than 5" for g in order if 0 < counts[g]["applied"] < MIN_GROUP}
    while 0 < sum(counts[g]["applied"] for g in suppressed) < MIN_GROUP:
        shown = [g for g in order if g not in suppressed]
        if not shown:
            break
        smallest = min(reversed(shown),
                       key=lambda g: (g not in uncompared, counts[g]["applied"]))
        suppressed[smallest] = "complementary"

    compared = [g for g in order if g not in suppressed and g not in uncompared]
    reference: dict[str, str | None] = {}
    best: dict[str, Fraction | None] = {}
    notes: list[str] = []
    for s in STAGES[1:]:
        rates = {g: Fraction(counts[g][s], counts[g]["applied"]) for g in compared}
        top = max(rates.values(), default=None)
        if len(compared) < 2:
            top = None
        elif top == 0:
            notes.append(f"{STAGE_LABELS[s]}: nobody in the groups compared reached this "
                         "stage, so there is no ratio.")
            top = None
        best[s] = top
        reference[s] = next((g for g in compared if rates[g] == top), None) if top else None
    if len(compared) < 2:
        notes.append(f"Fewer than two groups of {MIN_GROUP} or more applicants to compare "
                     f"(by {f.label}), so no impact ratio is given: too small to judge.")
    if NOT_LISTED in order:
        notes.append(f"Some {f.label} values are not in the role's list; `shortlist check` "
                     "names them.")
    if any(v == "complementary" for v in suppressed.values()):
        notes.append("A group is withheld although it has 5 or more applicants, so that a "
                     "group of fewer than 5 cannot be worked out from the totals.")

    groups = []
    for g in order:
        c = counts[g]
        if g in suppressed:
            shown_count: Count = SMALL if suppressed[g] == "fewer than 5" else WITHHELD
            why = ("fewer than 5 applicants: too small to judge; counts withheld"
                   if suppressed[g] == "fewer than 5" else
                   "withheld so that a smaller group cannot be worked out from the totals")
            groups.append(GroupResult(g, shown_count,
                                      {s: StageResult(shown_count) for s in STAGES[1:]},
                                      False, suppressed[g], (why,)))
            continue
        stages: dict[str, StageResult] = {}
        group_notes: list[str] = []
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
        groups.append(GroupResult(g, c["applied"], stages, g in compared, None,
                                  tuple(group_notes)))
    return FieldImpact(f.name, f.label, tuple(groups), reference, tuple(notes))


def _rate(count: int, applied: int) -> float | None:
    return round(count / applied, 4) if applied else None
