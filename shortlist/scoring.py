"""Scoring: pure and vectorised. Applications in, per-criterion points and scores out.

For each criterion that applies to an applicant (its `applies_if` holds):
points are the rating's points (blank: 0, and a failure if essential); under
`evidence = "required"` a rating above the lowest level with blank evidence counts as the
lowest level (flag `unevidenced`); evidence over the word limit is flagged, never penalised;
an essential is met when the (counted) level is at or above its pass level.
score = 100 × Σ weight·points / Σ weight·max over applicable criteria with weight > 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .readers import BLANK, Applications
from .role import Criterion, normalise_value

if TYPE_CHECKING:
    from .marks import PanelMarks

#: Scores are compared at this many decimals, so that floating-point noise never splits a tie
#: while any two genuinely different scores (differences of 1e-6 or more) stay apart.
COMPARE_DECIMALS = 9


def applies_mask(criterion: Criterion, frame: pd.DataFrame) -> np.ndarray:
    cond = criterion.applies_if
    if cond is None:
        return np.ones(len(frame), dtype=bool)
    wanted = {normalise_value(v) for v in cond.values}
    values = frame[cond.field].to_numpy(dtype=object)
    return np.fromiter((normalise_value(v) in wanted for v in values), dtype=bool,
                       count=len(values))


def score(apps: Applications, marks: PanelMarks | None = None) -> pd.DataFrame:
    """Per applicant: per-criterion `applies:`, `counted:` (level as counted), `points:`, `met:`,
    `unevidenced:`, `over_limit:` columns, and `score`, `desirable_score`,
    `essential_score`, `essential_met`, `valid`. Index matches `apps.frame`.

    With the panel's `marks`, a marked cell's points are its final marks' points (and an
    essential is met when they reach the pass level's points); the columns `marked:`,
    `needs_moderation:` and `unmarked:` per marked criterion and `not_fully_marked` are added.
    """
    role, frame = apps.role, apps.frame
    n = len(frame)
    out: dict[str, np.ndarray] = {}
    totals = {kind: (np.zeros(n), np.zeros(n)) for kind in ("all", "essential", "desirable")}
    essential_met = np.ones(n, dtype=bool)
    for c in role.criteria:
        applies = applies_mask(c, frame)
        claimed = frame[f"level:{c.id}"].to_numpy(dtype=np.int16)
        has_evidence = frame[f"words:{c.id}"].to_numpy() > 0
        unevidenced = applies & (c.evidence == "required") & (claimed > 0) & ~has_evidence
        level = np.where(unevidenced, 0, claimed)
        table = np.asarray(c.scale.points, dtype=float)
        points = np.where(level == BLANK, 0.0, table[np.clip(level, 0, None)])
        reaches = level >= (c.pass_index if c.pass_index is not None else 0)
        panel = marks.criterion(c.id) if marks is not None else None
        if panel is not None:
            # The assessors' marks replace the self-rating wherever anyone marked the cell.
            marked = panel.marked
            unevidenced &= ~marked
            points = np.where(marked, panel.points, points)
            if c.pass_index is not None:
                need = table[c.pass_index]
                reaches = np.where(marked, np.round(panel.points, COMPARE_DECIMALS) >= need,
                                   level >= c.pass_index)
            out[f"marked:{c.id}"] = marked
            out[f"needs_moderation:{c.id}"] = panel.needs_moderation
            out[f"unmarked:{c.id}"] = panel.unmarked
        if c.essential and c.pass_index is not None:
            met = ~applies | reaches
            essential_met &= met
        else:
            met = np.ones(n, dtype=bool)
        limit = c.word_limit
        words = frame[f"words:{c.id}"].to_numpy()
        over = applies & (c.evidence != "none") & (limit is not None) & (words > (limit or 0))
        out[f"applies:{c.id}"] = applies
        out[f"counted:{c.id}"] = level
        out[f"points:{c.id}"] = np.where(applies, points, np.nan)
        out[f"met:{c.id}"] = met
        out[f"unevidenced:{c.id}"] = unevidenced
        out[f"over_limit:{c.id}"] = over
        if c.weight > 0:
            for kind in ("all", c.kind):
                num, den = totals[kind]
                num += np.where(applies, c.weight * points, 0.0)
                den += np.where(applies, c.weight * c.scale.max_points, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        for kind, column in (("all", "score"), ("essential", "essential_score"),
                             ("desirable", "desirable_score")):
            num, den = totals[kind]
            value = np.where(den > 0, 100.0 * num / den, np.nan)
            out[column] = np.where(np.isnan(value), 0.0, value) if kind == "all" else value
    out["essential_met"] = essential_met
    if marks is not None:
        out["not_fully_marked"] = marks.not_fully_marked
    out["valid"] = np.array([not any(p.is_error for p in errs) for errs in apps.errors],
                            dtype=bool)
    return pd.DataFrame(out, index=frame.index)


def tie_break_column(key: str) -> str:
    """The scored column a `tie_break` key compares."""
    if key in ("desirable", "essential"):
        return f"{key}_score"
    return f"points:{key}"

