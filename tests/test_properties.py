"""Invariants over random small roles and random applicants (hypothesis).

Each example writes a random role file and a CSV of random applicants, runs the sift, and
checks an invariant against an independent model of the SPEC's rules computed with exact
fractions.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections import Counter
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from shortlist.exporters.csv import write_csv
from shortlist.ranking import natural_key
from shortlist.role import load_role
from shortlist.sift import Sift, run_sift

from .conftest import Applicant, to_toml, write_applicants

SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

LABELS = ["Nil", "Low", "Mid", "High", "Top"]
BANDS = ["Alpha", "Beta", "Gamma"]
SEXES = ["Female", "Male", "Prefer not to say"]
FIELDS = {"band": "Band", "sex": "Sex"}


@dataclass(frozen=True)
class CritSpec:
    id: str
    kind: str
    levels: tuple[str, ...]
    points: tuple[int, ...]
    custom_points: bool
    pass_index: int | None
    weight: int
    evidence: str
    applies_to: tuple[str, ...] | None  # bands, or None for "always"

    @property
    def yes_no(self) -> bool:
        return self.levels == ("No", "Yes")


@dataclass(frozen=True)
class RoleSpec:
    criteria: tuple[CritSpec, ...]
    size: int
    min_score: int
    word_limit: int | None
    tie_break: tuple[str, ...]

    def data(self) -> dict[str, Any]:
        scales: dict[str, Any] = {}
        criteria = []
        for c in self.criteria:
            table: dict[str, Any] = {"id": c.id, "section": "Criteria", "text": f"Criterion {c.id}",
                                     "kind": c.kind, "weight": c.weight, "evidence": c.evidence}
            if c.yes_no:
                table["scale"] = "yes_no"
            else:
                table["scale"] = f"s_{c.id}"
                scale: dict[str, Any] = {"levels": list(c.levels)}
                if c.custom_points:
                    scale["points"] = list(c.points)
                scales[f"s_{c.id}"] = scale
            if c.pass_index is not None:
                table["pass"] = c.levels[c.pass_index]
            if c.applies_to is not None:
                table["applies_if"] = {"field": "band", "in": list(c.applies_to)}
            criteria.append(table)
        shortlist: dict[str, Any] = {"size": self.size, "min_score": self.min_score,
                                     "tie_break": list(self.tie_break)}
        if self.word_limit is not None:
            shortlist["word_limit"] = self.word_limit
        data: dict[str, Any] = {"role": {"id": "random-role", "title": "Random role"},
                                "shortlist": shortlist}
        if scales:
            data["scales"] = scales
        data["criteria"] = criteria
        data["fields"] = [{"name": "band", "label": "Band", "values": BANDS},
                          {"name": "sex", "label": "Sex", "monitoring": True, "values": SEXES}]
        return data


@st.composite
def crit_specs(draw: st.DrawFn, index: int) -> CritSpec:
    kind = draw(st.sampled_from(["essential", "desirable"]))
    if draw(st.booleans()):
        levels, points, custom = ("No", "Yes"), (0, 1), False
    else:
        n = draw(st.integers(2, 5))
        levels = tuple(LABELS[:n])
        custom = draw(st.booleans())
        if custom:
            start = draw(st.integers(0, 2))
            steps = draw(st.lists(st.integers(1, 3), min_size=n - 1, max_size=n - 1))
            pts = [start]
            for s in steps:
                pts.append(pts[-1] + s)
            points = tuple(pts)
        else:
            points = tuple(range(n))
    pass_index = draw(st.integers(0, len(levels) - 1)) if kind == "essential" else None
    applies_to = draw(st.none() | st.lists(st.sampled_from(BANDS), min_size=1, max_size=2,
                                           unique=True).map(tuple))
    return CritSpec(
        id=f"C{index}", kind=kind, levels=levels, points=points, custom_points=custom,
        pass_index=pass_index, weight=draw(st.sampled_from([0, 1, 1, 2, 3])),
        evidence=draw(st.sampled_from(["required", "optional", "none"])),
        applies_to=applies_to)


@st.composite
def role_specs(draw: st.DrawFn) -> RoleSpec:
    n = draw(st.integers(1, 4))
    criteria = [draw(crit_specs(i + 1)) for i in range(n)]
    if not any(c.weight > 0 for c in criteria):
        criteria[0] = replace(criteria[0], weight=1)
    keys = ["desirable", "essential", *(c.id for c in criteria)]
    tie_break = draw(st.lists(st.sampled_from(keys), max_size=2, unique=True))
    return RoleSpec(tuple(criteria), size=draw(st.integers(1, 5)),
                    min_score=draw(st.sampled_from([0, 0, 0, 25, 50])),
                    word_limit=draw(st.sampled_from([None, 3, 5])), tie_break=tuple(tie_break))


@dataclass
class AppSpec:
    id: str
    band: str
    sex: str
    gis: str
    ratings: dict[str, int]          # level index, -1 blank, -2 unreadable
    spellings: dict[str, str]        # how the rating is written
    words: dict[str, int]

    def applicant(self) -> Applicant:
        return Applicant(self.id, f"Name {self.id}", dict(self.spellings),
                         {cid: " ".join(["word"] * n) for cid, n in self.words.items()},
                         {"band": self.band, "sex": self.sex}, self.gis)


@st.composite
def app_specs(draw: st.DrawFn, role: RoleSpec) -> AppSpec:
    ident = draw(st.one_of(st.integers(1, 25).map(lambda n: f"A{n}"),
                           st.just(""))) if draw(st.integers(0, 19)) == 0 else \
        f"A{draw(st.integers(1, 25))}"
    ratings: dict[str, int] = {}
    spellings: dict[str, str] = {}
    words: dict[str, int] = {}
    for c in role.criteria:
        choice = draw(st.integers(0, 30))
        if choice == 0:
            ratings[c.id], spellings[c.id] = -2, "???"
        elif choice <= 3:
            ratings[c.id], spellings[c.id] = -1, ""
        else:
            level = draw(st.integers(0, len(c.levels) - 1))
            ratings[c.id] = level
            style = draw(st.sampled_from(["label", "upper", "points"]))
            if style == "label":
                spellings[c.id] = c.levels[level]
            elif style == "upper":
                spellings[c.id] = f" {c.levels[level].upper()} "
            else:
                spellings[c.id] = str(c.points[level])
        words[c.id] = draw(st.sampled_from([0, 1, 2, 4, 7]))
    return AppSpec(ident, draw(st.sampled_from(BANDS)), draw(st.sampled_from(SEXES)),
                   draw(st.sampled_from(["", "", "Yes", "No"])), ratings, spellings, words)


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[RoleSpec, list[AppSpec]]:
    role = draw(role_specs())
    apps = draw(st.lists(app_specs(role), min_size=0, max_size=12))
    return role, apps


def run(role: RoleSpec, apps: list[AppSpec], directory: Path, name: str = "apps.csv") -> Sift:
    role_path = directory / "role.toml"
    if not role_path.exists():
        role_path.write_text(to_toml(role.data()), encoding="utf-8")
    path = write_applicants(directory / name, [a.applicant() for a in apps],
                            criteria=[c.id for c in role.criteria], fields=FIELDS)
    return run_sift(load_role(role_path), [path])


# ---------------------------------------------------------------------------------------------
# The model


def model(role: RoleSpec, apps: list[AppSpec]) -> list[dict[str, Any]]:
    """Per applicant: valid, essential_met, score and the ranking key, as exact fractions."""
    id_counts = Counter(a.id.casefold() for a in apps if a.id)
    out = []
    for a in apps:
        valid = bool(a.id) and id_counts[a.id.casefold()] == 1 and \
            all(r != -2 for r in a.ratings.values())
        totals = {k: [Fraction(0), Fraction(0)] for k in ("all", "essential", "desirable")}
        met = True
        points_of: dict[str, Fraction | None] = {}
        for c in role.criteria:
            applies = c.applies_to is None or a.band in c.applies_to
            if not applies:
                points_of[c.id] = None
                continue
            level = a.ratings[c.id]
            if c.evidence == "required" and level > 0 and a.words[c.id] == 0:
                level = 0
            pts = Fraction(c.points[level]) if level >= 0 else Fraction(0)
            points_of[c.id] = pts
            if c.pass_index is not None and level < c.pass_index:
                met = False
            if c.weight > 0:
                for k in ("all", c.kind):
                    totals[k][0] += c.weight * pts
                    totals[k][1] += c.weight * c.points[-1]

        ratio = {k: 100 * num / den if den else None for k, (num, den) in totals.items()}
        score = ratio["all"] or Fraction(0)
        key: list[Any] = [score]
        for t in role.tie_break:
            key.append(ratio[t] if t in ("desirable", "essential") else points_of[t])
        out.append({"valid": valid, "essential_met": met, "score": score,
                    "key": tuple(float("-inf") if v is None else v for v in key)})
    return out


# ---------------------------------------------------------------------------------------------
# Properties


@SETTINGS
@given(scenarios())
def test_every_applicant_appears_exactly_once_in_every_output(
        scenario: tuple[RoleSpec, list[AppSpec]]) -> None:
    role, apps = scenario
    with tempfile.TemporaryDirectory() as d:
        sift = run(role, apps, Path(d))
        expected_rows = list(range(2, len(apps) + 2))
        records = list(sift.records())
        assert sorted(r["source"]["row"] for r in records) == expected_rows
        data = sift.to_dict()
        assert sorted(r["source"]["row"] for r in data["applicants"]) == expected_rows
        assert data["summary"]["applicants"] == len(apps)
        s = data["summary"]
        assert s["ranked"] + s["failed_essential"] + s["invalid"] == len(apps)
        buf = io.BytesIO()
        write_csv(sift, buf)
        rows = list(csv.DictReader(io.StringIO(buf.getvalue().decode("utf-8"))))
        assert sorted(int(r["source_row"]) for r in rows) == expected_rows
        assert [r["applicant_id"] or None for r in rows] == \
            [r["applicant_id"] for r in records]


@SETTINGS
@given(scenarios())
def test_scores_are_within_0_and_100_and_match_the_model(
        scenario: tuple[RoleSpec, list[AppSpec]]) -> None:
    role, apps = scenario
    with tempfile.TemporaryDirectory() as d:
        sift = run(role, apps, Path(d))
        expected = model(role, apps)
        by_row = {r["source"]["row"]: r for r in sift.records()}
        for i, m in enumerate(expected):
            rec = by_row[i + 2]
            assert (rec["status"] == "invalid") == (not m["valid"]), rec
            if not m["valid"]:
                assert rec["score"] is None and rec["rank"] is None
                continue
            assert 0 <= rec["score"] <= 100
            assert rec["desirable_score"] is None or 0 <= rec["desirable_score"] <= 100
            assert rec["score"] == round(float(m["score"]), 2)
            assert rec["essential_met"] == m["essential_met"]
            assert (rec["rank"] is not None) == m["essential_met"]


@SETTINGS
@given(scenarios())
def test_ranks_are_standard_competition_ranks_of_the_keys(
        scenario: tuple[RoleSpec, list[AppSpec]]) -> None:
    role, apps = scenario
    with tempfile.TemporaryDirectory() as d:
        sift = run(role, apps, Path(d))
        expected = model(role, apps)
        records = list(sift.records())
        ranked = [(r, expected[r["source"]["row"] - 2]) for r in records
                  if r["rank"] is not None]
        for rec, m in ranked:
            assert m["valid"] and m["essential_met"]
            better = sum(1 for _, other in ranked if other["key"] > m["key"])
            assert rec["rank"] == better + 1, (rec["applicant_id"], m["key"])
        for (r1, m1) in ranked:
            for (r2, m2) in ranked:
                assert (r1["rank"] == r2["rank"]) == (m1["key"] == m2["key"])
        # Output order: ranked by rank then id, then failed, then invalid.
        order = [(r["rank"], natural_key(r["applicant_id"])) for r, _ in ranked]
        assert order == sorted(order)
        statuses = [r["status"] for r in records]
        groups = ["ranked" if s in ("shortlisted", "ranked") else s for s in statuses]
        assert groups == sorted(groups, key=["ranked", "failed_essential", "invalid"].index)
        # The shortlist: rank <= top and score >= floor, or a guaranteed-interview claimant.
        top, floor = role.size, role.min_score
        for rec, m in ranked:
            gis = apps[rec["source"]["row"] - 2].gis == "Yes"
            above_floor = m["score"] >= floor
            assert rec["shortlisted"] == (above_floor and (rec["rank"] <= top or gis))


@SETTINGS
@given(scenarios())
def test_same_input_gives_the_same_json(scenario: tuple[RoleSpec, list[AppSpec]]) -> None:
    role, apps = scenario
    with tempfile.TemporaryDirectory() as d:
        first = run(role, apps, Path(d)).to_dict()
        second = run(role, apps, Path(d)).to_dict()
        first.pop("created")
        second.pop("created")
        assert first == second


@st.composite
def raised(draw: st.DrawFn) -> tuple[RoleSpec, list[AppSpec], int, str]:
    role, apps = draw(scenarios())
    assume(apps)
    who = draw(st.integers(0, len(apps) - 1))
    cid = draw(st.sampled_from([c.id for c in role.criteria]))
    return role, apps, who, cid


@SETTINGS
@given(raised())
def test_raising_a_rating_never_lowers_the_score(
        case: tuple[RoleSpec, list[AppSpec], int, str]) -> None:
    role, apps, who, cid = case
    c = next(c for c in role.criteria if c.id == cid)
    a = apps[who]
    assume(a.ratings[cid] != -2 and a.ratings[cid] < len(c.levels) - 1)
    a.words[cid] = max(a.words[cid], 1)  # evidence present
    higher = a.ratings[cid] + 1
    b = replace(a, ratings={**a.ratings, cid: higher},
                spellings={**a.spellings, cid: c.levels[higher]}, words=dict(a.words))
    with tempfile.TemporaryDirectory() as d:
        before = run(role, apps, Path(d), "before.csv")
        after = run(role, [*apps[:who], b, *apps[who + 1:]], Path(d), "after.csv")
        rec_before = next(r for r in before.records() if r["source"]["row"] == who + 2)
        rec_after = next(r for r in after.records() if r["source"]["row"] == who + 2)
        assert rec_before["status"] == "invalid" or rec_after["status"] != "invalid"
        if rec_before["score"] is not None:
            assert rec_after["score"] >= rec_before["score"]
            assert rec_after["essential_met"] >= rec_before["essential_met"]


@st.composite
def remonitored(draw: st.DrawFn) -> tuple[RoleSpec, list[AppSpec], list[str]]:
    role, apps = draw(scenarios())
    sexes = draw(st.lists(st.sampled_from([*SEXES, "", "Unknown", "prefer not to say"]),
                          min_size=len(apps), max_size=len(apps)))
    return role, apps, sexes


@SETTINGS
@given(remonitored())
def test_monitoring_data_changes_no_outcome(
        case: tuple[RoleSpec, list[AppSpec], list[str]]) -> None:
    role, apps, sexes = case
    changed = [replace(a, sex=s) for a, s in zip(apps, sexes, strict=True)]

    def outcome(sift: Sift) -> list[tuple[Any, ...]]:
        return [(r["applicant_id"], r["source"]["row"], r["score"], r["desirable_score"],
                 r["rank"], r["status"], r["shortlisted"], r["reason"]) for r in sift.records()]

    def ranked_outputs(sift: Sift) -> tuple[Any, ...]:
        """Everything the ranked outputs show but the input's name (which differs here)."""
        data = sift.to_dict()
        name = data["inputs"][0]["file"]
        records = json.loads(json.dumps(data["applicants"]).replace(name, "INPUT"))
        buf = io.BytesIO()
        write_csv(sift, buf)
        rows = list(csv.reader(io.StringIO(buf.getvalue().decode().replace(name, "INPUT"))))
        shortlist = sorted(r["applicant_id"] or "" for r in records if r["shortlisted"])
        return records, data["summary"], rows, shortlist

    with tempfile.TemporaryDirectory() as d:
        before = run(role, apps, Path(d), "before.csv")
        after = run(role, changed, Path(d), "after.csv")
        assert outcome(before) == outcome(after)
        # Not only the same decisions: the same outputs, so no monitoring value shows.
        assert ranked_outputs(before) == ranked_outputs(after)
