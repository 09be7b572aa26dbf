"""Ranking: pure. Scores in, competition ranks, statuses and the shortlist out.

Applicants who are valid and meet every essential are ranked by score, then by the role's
tie-break keys, all descending; equal keys share a rank (1, 2, 2, 4), ordered by applicant id.
The shortlist is every ranked applicant with rank <= top and score >= min_score, so ties at
the cut-off are all kept; guaranteed-interview claimants who meet the essentials (and the
score floor) are added whatever their rank.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .role import Role
from .scoring import COMPARE_DECIMALS, tie_break_column

SHORTLISTED, RANKED, FAILED, INVALID = "shortlisted", "ranked", "failed_essential", "invalid"
STATUSES = (SHORTLISTED, RANKED, FAILED, INVALID)
_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """'A2' before 'A10'; case-insensitive; digits compared as numbers."""
    return tuple((0, int(part)) if part.isdigit() else (1, part.casefold())
                 for part in _DIGITS.split(text) if part != "")


@dataclass(frozen=True)
class Options:
    top: int
    min_score: float


def rank(role: Role, frame: pd.DataFrame, scored: pd.DataFrame, options: Options) -> pd.DataFrame:
    """Columns `rank` (nullable int), `status`, `shortlisted`, `reason`, `order` (0-based
    output position), `tied_with` (how many others share the rank); index as `scored`."""
    n = len(scored)
    eligible = scored["valid"].to_numpy() & scored["essential_met"].to_numpy()
    keys = [scored["score"].to_numpy()]
    keys += [scored[tie_break_column(k)].to_numpy(dtype=float) for k in role.tie_break]
    keys = [np.where(np.isnan(k), -np.inf, np.round(k, COMPARE_DECIMALS)) for k in keys]
    ids = frame["applicant_id"].tolist()
    id_order = np.empty(n, dtype=np.int64)
    id_order[sorted(range(n), key=lambda i: (natural_key(ids[i]), ids[i]))] = np.arange(n)

    # lexsort sorts by the last key first: id ascending breaks exact ties deterministically.
    idx = np.flatnonzero(eligible)
    order = idx[np.lexsort([id_order[idx], *[-k[idx] for k in reversed(keys)]])]
    ranks = np.full(n, -1, dtype=np.int64)
    if len(order):
        stacked = np.column_stack([k[order] for k in keys])
        new_group = np.ones(len(order), dtype=bool)
        new_group[1:] = np.any(stacked[1:] != stacked[:-1], axis=1)
        positions = np.arange(1, len(order) + 1)
        ranks[order] = np.maximum.accumulate(np.where(new_group, positions, 0))
    group_size = pd.Series(ranks).map(pd.Series(ranks[ranks > 0]).value_counts()).fillna(0)

    score_ok = np.round(scored["score"].to_numpy(), COMPARE_DECIMALS) >= options.min_score
    by_rank = eligible & (ranks <= options.top) & score_ok
    gis = frame["guaranteed_interview"].to_numpy(dtype=bool) if "guaranteed_interview" in frame \
        else np.zeros(n, dtype=bool)
    by_gis = eligible & gis & score_ok & ~by_rank
    # Panel marks: an applicant some assessor has not marked keeps their (provisional) rank
    # but cannot be shortlisted until marked; nobody else takes the place meanwhile.
    unmarked = scored["not_fully_marked"].to_numpy(dtype=bool) if "not_fully_marked" in scored \
        else np.zeros(n, dtype=bool)
    by_rank &= ~unmarked
    by_gis &= ~unmarked
    shortlisted = by_rank | by_gis

    valid = scored["valid"].to_numpy()
    status = np.where(~valid, INVALID, np.where(~eligible, FAILED,
                      np.where(shortlisted, SHORTLISTED, RANKED)))
    reason = np.full(n, "", dtype=object)
    cutoff_tie = by_rank & (ranks + group_size.to_numpy() - 1 > options.top)
    reason[by_rank] = [f"rank {r} within the top {options.top}" for r in ranks[by_rank]]
    reason[cutoff_tie] = [f"rank {r}, tied at the cut-off (top {options.top})"
                          for r in ranks[cutoff_tie]]
    reason[by_gis] = "guaranteed interview scheme: meets every essential criterion"
    below_floor = eligible & ~score_ok
    reason[below_floor] = f"score below the minimum of {options.min_score:g}"
    outside = eligible & score_ok & ~shortlisted
    reason[outside] = f"outside the top {options.top}"
    reason[eligible & unmarked] = [
        f"not fully marked (provisional rank {r}): cannot be shortlisted until every "
        "assessor has marked every criterion" for r in ranks[eligible & unmarked]]

    # Output order: ranked by rank then id; failed by id; invalid by where they were read.
    failed = np.flatnonzero(valid & ~eligible)
    failed = failed[np.argsort(id_order[failed], kind="stable")]
    invalid = np.flatnonzero(~valid)
    sources = list(zip(frame["file"].tolist(), frame["sheet"].fillna("").tolist(),
                       frame["row"].tolist(), strict=True))
    invalid = np.array(sorted(invalid, key=lambda i: sources[i]), dtype=np.int64)
    output_order = np.empty(n, dtype=np.int64)
    output_order[np.concatenate([order, failed, invalid]).astype(np.int64)] = np.arange(n)

    return pd.DataFrame({
        "rank": pd.array([int(r) if r > 0 else None for r in ranks], dtype="Int64"),
        "status": status,
        "shortlisted": shortlisted,
        "reason": reason,
        "order": output_order,
        "tied_with": np.where(ranks > 0, group_size.to_numpy() - 1, 0).astype(np.int64),
    }, index=scored.index)
