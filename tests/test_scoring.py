"""Scoring, rule by rule as the SPEC states it, with the numbers worked out by hand.

The default role (see conftest): E1 weight 2 on 0..4, E2 weight 1 on points 0,1,3,5, D1 weight
1 on 0..4, D2 weight 1 yes/no for constables only, G1 a weight-0 yes/no gate. So the
denominator is 2·4 + 5 + 4 = 17 for a Sergeant and 18 for a Constable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shortlist.readers import read_applications
from shortlist.role import Role, load_role
from shortlist.scoring import score

from .conftest import (
    criterion,
    passing,
    records_by_id,
    role_data,
    sift_of,
    write_applicants,
    write_role,
)


def one(role: Role, tmp_path: Path, a: Any, **options: Any) -> dict[str, Any]:
    """The record of a single applicant sifted alone."""
    return records_by_id(sift_of(role, [a], tmp_path, **options))[str(a.id)]


def words(n: int) -> str:
    return " ".join(f"word{i}" for i in range(n))


# ---------------------------------------------------------------------------------------------
# The score formula


def test_score_is_weighted_points_over_weighted_maximum(role: Role, tmp_path: Path) -> None:
    rec = one(role, tmp_path, passing("A1", E1="Substantial", E2="Excellent", D1="Limited"))
    # (2·3 + 1·5 + 1·1) / (2·4 + 1·5 + 1·4) = 12/17
    assert rec["score"] == 70.59
    assert rec["desirable_score"] == 25.0  # 1/4
    assert rec["criteria"]["E1"] == {"rating": "Substantial", "points": 3, "max": 4,
                                     "weight": 2, "met": True, "words": 8, "applies": True}
    assert rec["criteria"]["E2"]["points"] == 5, "custom points: Excellent is worth 5"
    assert rec["criteria"]["E2"]["max"] == 5


def test_custom_points_are_used_not_level_positions(role: Role, tmp_path: Path) -> None:
    # Good is the third level (index 2) but worth 3 points.
    rec = one(role, tmp_path, passing("A1", E1="Some", E2="Good", D1="None"))
    assert rec["criteria"]["E2"]["points"] == 3
    assert rec["score"] == 41.18  # (2·2 + 3 + 0) / 17 = 7/17


def test_full_marks_score_100(role: Role, tmp_path: Path) -> None:
    rec = one(role, tmp_path, passing("A1", E1="Extensive", E2="Excellent", D1="Extensive",
                                      D2="Yes", rank="Constable"))
    assert rec["score"] == 100.0
    assert rec["desirable_score"] == 100.0


def test_weight_zero_gate_is_not_scored(tmp_path: Path) -> None:
    data = role_data()
    criterion(data, "G1")["pass"] = "No"  # so both answers meet the gate
    role = load_role(write_role(tmp_path, data))
    sift = sift_of(role, [passing("A1", G1="Yes"), passing("A2", G1="No")], tmp_path)
    recs = records_by_id(sift)
    assert recs["A1"]["score"] == recs["A2"]["score"] == 41.18
    assert recs["A1"]["rank"] == recs["A2"]["rank"] == 1
    assert recs["A1"]["criteria"]["G1"]["weight"] == 0


def test_weight_zero_gate_still_decides_essential_met(role: Role, tmp_path: Path) -> None:
    rec = one(role, tmp_path, passing("A1", G1="No"))
    assert rec["essential_met"] is False
    assert rec["failures"] == [{"criterion": "G1", "reason": 'rated "No", needs "Yes"'}]
    assert rec["score"] == 41.18, "the gate moves no points"


# ---------------------------------------------------------------------------------------------
# Blank ratings


def test_blank_essential_rating_is_zero_points_and_no_answer(role: Role, tmp_path: Path) -> None:
    rec = one(role, tmp_path, passing("A1", E2=""))
    assert rec["criteria"]["E2"]["rating"] is None
    assert rec["criteria"]["E2"]["points"] == 0
    assert rec["criteria"]["E2"]["met"] is False
    assert rec["score"] == 23.53  # (2·2 + 0 + 0) / 17 = 4/17
    assert rec["essential_met"] is False
    assert rec["status"] == "failed_essential"
    assert rec["failures"] == [{"criterion": "E2", "reason": 'no answer, needs "Good"'}]


def test_blank_desirable_rating_is_zero_points_not_a_failure(role: Role, tmp_path: Path) -> None:
    rec = one(role, tmp_path, passing("A1", D1=""))
    assert rec["criteria"]["D1"]["points"] == 0
    assert rec["essential_met"] is True
    assert rec["failures"] == []
    assert rec["score"] == 41.18
    assert rec["desirable_score"] == 0.0


# ---------------------------------------------------------------------------------------------
# Evidence


def test_unevidenced_rating_counts_as_lowest_level(role: Role, tmp_path: Path) -> None:
    rec = one(role, tmp_path, passing("A1", E1="Substantial", evidence={"E1": ""}))
    e1 = rec["criteria"]["E1"]
    assert e1["rating"] == "Substantial", "the claimed rating is still reported"
    assert e1["points"] == 0
    assert e1["counted_as"] == "None"
    assert e1["met"] is False, "the essential is judged on the counted level"
    assert rec["score"] == 17.65  # (0 + 3 + 0) / 17
    assert {"criterion": "E1", "flag": "unevidenced",
            "detail": 'rated "Substantial" with no evidence; counted as "None"'} in rec["flags"]
    assert rec["status"] == "failed_essential"
    [failure] = rec["failures"]
    assert failure["criterion"] == "E1"
    assert 'needs "Some"' in failure["reason"]
    assert "no evidence" in failure["reason"]


def test_white_space_evidence_is_blank(role: Role, tmp_path: Path) -> None:
    rec = one(role, tmp_path, passing("A1", E1="Some", evidence={"E1": "  \n "}))
    assert [f["flag"] for f in rec["flags"]] == ["unevidenced"]
    assert rec["criteria"]["E1"]["points"] == 0


def test_lowest_level_without_evidence_is_not_flagged(role: Role, tmp_path: Path) -> None:
    data = role_data()
    criterion(data, "E1")["pass"] = "None"
    role = load_role(write_role(tmp_path, data))
    rec = one(role, tmp_path, passing("A1", E1="None", evidence={"E1": ""}))
    assert rec["flags"] == []
    assert rec["criteria"]["E1"]["met"] is True
    assert rec["essential_met"] is True


def test_unevidenced_essential_with_lowest_pass_is_still_met(tmp_path: Path) -> None:
    data = role_data()
    criterion(data, "E1")["pass"] = "None"
    role = load_role(write_role(tmp_path, data))
    rec = one(role, tmp_path, passing("A1", E1="Extensive", evidence={"E1": ""}))
    assert rec["criteria"]["E1"]["points"] == 0
    assert rec["criteria"]["E1"]["met"] is True
    assert rec["status"] == "shortlisted"
    assert [f["flag"] for f in rec["flags"]] == ["unevidenced"]


def test_optional_evidence_may_be_blank(role: Role, tmp_path: Path) -> None:
    rec = one(role, tmp_path, passing("A1", E2="Excellent", evidence={"E2": ""}))
    assert rec["criteria"]["E2"]["points"] == 5
    assert rec["criteria"]["E2"]["words"] == 0
    assert rec["flags"] == []


def test_over_word_limit_is_flagged_without_changing_points(role: Role, tmp_path: Path) -> None:
    long = one(role, tmp_path / "long", passing("A1", E1="Substantial",
                                                evidence={"E1": words(312)}))
    short = one(role, tmp_path / "short", passing("A1", E1="Substantial"))
    assert long["flags"] == [{"criterion": "E1", "flag": "over_word_limit",
                              "detail": "312 words, limit 250"}]
    assert long["criteria"]["E1"]["words"] == 312
    assert long["criteria"]["E1"]["points"] == short["criteria"]["E1"]["points"] == 3
    assert long["score"] == short["score"]
    assert long["status"] == short["status"] == "shortlisted"


def test_criterion_word_limit_overrides_the_roles(role: Role, tmp_path: Path) -> None:
    rec = one(role, tmp_path, passing("A1", evidence={"E2": words(51)}))
    assert rec["flags"] == [{"criterion": "E2", "flag": "over_word_limit",
                             "detail": "51 words, limit 50"}]


def test_evidence_at_the_word_limit_is_not_flagged(role: Role, tmp_path: Path) -> None:
    rec = one(role, tmp_path, passing("A1", evidence={"E1": words(250), "E2": words(50)}))
    assert rec["flags"] == []


def test_words_are_counted_across_lines_and_spaces(role: Role, tmp_path: Path) -> None:
    rec = one(role, tmp_path, passing("A1", evidence={"E1": "one  two\nthree\tfour "}))
    assert rec["criteria"]["E1"]["words"] == 4


def test_no_word_limit_when_role_sets_none(tmp_path: Path) -> None:
    data = role_data()
    del data["shortlist"]["word_limit"]
    role = load_role(write_role(tmp_path, data))
    assert role.criterion("E1").word_limit is None
    rec = one(role, tmp_path, passing("A1", evidence={"E1": words(1000)}))
    assert rec["flags"] == []


# ---------------------------------------------------------------------------------------------
# Essential criteria and failure reasons


def test_failure_reason_names_rating_and_pass(role: Role, tmp_path: Path) -> None:
    rec = one(role, tmp_path, passing("A1", E1="Limited"))
    assert rec["failures"] == [{"criterion": "E1", "reason": 'rated "Limited", needs "Some"'}]
    assert rec["essential_met"] is False
    assert rec["rank"] is None
    assert rec["shortlisted"] is False
    assert rec["score"] == 29.41  # (2·1 + 3) / 17: failed applicants still get a score


def test_every_unmet_essential_is_a_failure(role: Role, tmp_path: Path) -> None:
    rec = one(role, tmp_path, passing("A1", G1="No", E1="None", E2="Fair"))
    assert rec["failures"] == [
        {"criterion": "G1", "reason": 'rated "No", needs "Yes"'},
        {"criterion": "E1", "reason": 'rated "None", needs "Some"'},
        {"criterion": "E2", "reason": 'rated "Fair", needs "Good"'},
    ]


def test_rating_at_the_pass_level_meets_the_essential(role: Role, tmp_path: Path) -> None:
    rec = one(role, tmp_path, passing("A1", E1="Some", E2="Good"))
    assert rec["criteria"]["E1"]["met"] is True
    assert rec["criteria"]["E2"]["met"] is True
    assert rec["essential_met"] is True
    assert rec["criteria"]["D1"]["met"] is None, "desirables are never met or unmet"


# ---------------------------------------------------------------------------------------------
# applies_if


def test_criterion_that_does_not_apply_is_left_out_of_the_score(role: Role,
                                                                tmp_path: Path) -> None:
    sergeant = one(role, tmp_path / "s", passing("A1", D2="Yes", rank="Sergeant"))
    constable = one(role, tmp_path / "c", passing("A1", D2="Yes", rank="Constable"))
    assert sergeant["criteria"]["D2"]["applies"] is False
    assert sergeant["criteria"]["D2"]["points"] is None
    assert sergeant["score"] == 41.18  # 7/17: D2 is in neither numerator nor denominator
    assert sergeant["desirable_score"] == 0.0  # 0/4
    assert constable["criteria"]["D2"]["applies"] is True
    assert constable["criteria"]["D2"]["points"] == 1
    assert constable["score"] == 44.44  # 8/18
    assert constable["desirable_score"] == 20.0  # 1/5


def test_applies_if_matches_values_case_insensitively(role: Role, tmp_path: Path) -> None:
    rec = one(role, tmp_path, passing("A1", D2="Yes", rank="detective  constable"))
    assert rec["fields"]["current_rank"] == "Detective Constable"
    assert rec["criteria"]["D2"]["applies"] is True


def _role_with_conditional_essential(tmp_path: Path) -> Role:
    data = role_data()
    data["criteria"].append({
        "id": "SU1", "section": "Step up", "text": "Ready for promotion", "kind": "essential",
        "scale": "experience", "pass": "Some", "weight": 0,
        "applies_if": {"field": "current_rank", "in": ["Constable"]}})
    return load_role(write_role(tmp_path, data))


def test_essential_that_does_not_apply_is_not_a_gate(tmp_path: Path) -> None:
    role = _role_with_conditional_essential(tmp_path)
    path = write_applicants(tmp_path / "a.csv", [
        passing("S1", rank="Sergeant"),
        passing("C1", rank="Constable"),
        passing("C2", rank="Constable", SU1="Substantial"),
    ], criteria=("G1", "E1", "E2", "D1", "D2", "SU1"))
    from shortlist.sift import run_sift

    recs = records_by_id(run_sift(role, [path]))
    assert recs["S1"]["essential_met"] is True
    assert recs["S1"]["criteria"]["SU1"]["met"] is None
    assert recs["S1"]["criteria"]["SU1"]["applies"] is False
    assert recs["C1"]["essential_met"] is False
    assert recs["C1"]["failures"] == [{"criterion": "SU1", "reason": 'no answer, needs "Some"'}]
    assert recs["C2"]["essential_met"] is True


def test_desirable_score_is_null_when_no_desirable_applies(tmp_path: Path) -> None:
    data = role_data()
    data["criteria"] = [c for c in data["criteria"] if c["id"] != "D1"]
    role = load_role(write_role(tmp_path, data))
    path = write_applicants(tmp_path / "a.csv", [
        passing("S1", rank="Sergeant"), passing("C1", rank="Constable", D2="Yes")],
        criteria=("G1", "E1", "E2", "D2"))
    from shortlist.sift import run_sift

    recs = records_by_id(run_sift(role, [path]))
    assert recs["S1"]["desirable_score"] is None
    assert recs["S1"]["score"] == 53.85  # 7/13
    assert recs["S1"]["rank"] == 2, "a null desirable score sorts below any number"
    assert recs["C1"]["desirable_score"] == 100.0
    assert recs["C1"]["score"] == 57.14  # 8/14


# ---------------------------------------------------------------------------------------------
# The scoring frame (library level)


def test_score_frame_columns(role: Role, tmp_path: Path) -> None:
    path = write_applicants(tmp_path / "a.csv", [
        passing("A1", E1="Substantial", evidence={"E1": ""}), passing("A2", E2="")])
    apps = read_applications(role, [path])
    s = score(apps)
    assert list(s.index) == list(apps.frame.index)
    assert s["unevidenced:E1"].tolist() == [True, False]
    assert s["counted:E1"].tolist() == [0, 2]
    assert s["met:E2"].tolist() == [True, False]
    assert s["essential_met"].tolist() == [False, False]
    assert s["valid"].tolist() == [True, True]
    assert s["score"].round(4).tolist() == [round(300 / 17, 4), round(400 / 17, 4)]


def test_invalid_applicant_has_no_score(role: Role, tmp_path: Path) -> None:
    rec = one(role, tmp_path, passing("A1", E1="Brilliant"))
    assert rec["status"] == "invalid"
    assert rec["score"] is None and rec["desirable_score"] is None
    assert rec["rank"] is None


@pytest.mark.parametrize("rating", ["Extensive", "extensive", " EXTENSIVE ", "4", "4.0"])
def test_rating_spellings_score_the_same(role: Role, tmp_path: Path, rating: str) -> None:
    rec = one(role, tmp_path, passing("A1", E1=rating))
    assert rec["criteria"]["E1"]["rating"] == "Extensive"
    assert rec["criteria"]["E1"]["points"] == 4
    assert rec["score"] == 64.71  # (8 + 3) / 17


def test_alias_rating(role: Role, tmp_path: Path) -> None:
    rec = one(role, tmp_path, passing("A1", D1="N/A", E2="OK"))
    assert rec["criteria"]["D1"]["rating"] == "None"
    assert rec["criteria"]["E2"]["rating"] == "Fair"


@pytest.mark.parametrize("name", ["rank", "status", "row", "file"])
def test_field_named_like_an_output_column(tmp_path: Path, name: str) -> None:
    import json

    from shortlist.errors import RoleError
    from shortlist.sift import run_sift

    data = role_data()
    data["fields"][0]["name"] = name
    criterion(data, "D2")["applies_if"]["field"] = name
    try:
        role = load_role(write_role(tmp_path, data))
    except RoleError as exc:  # refusing the name is a fix too, if it says which field
        assert any(p.field == "name" and name in p.criterion for p in exc.problems)
        return
    a = passing("A1", D2="Yes")
    a.fields[name] = "Constable"
    path = write_applicants(tmp_path / "a.csv", [a],
                            fields={name: "Current rank", "sex": "Sex"})
    sift = run_sift(role, [path])
    [rec] = sift.records()
    assert rec["fields"][name] == "Constable"
    assert rec["criteria"]["D2"]["applies"] is True
    assert rec["source"]["row"] == 2 and rec["source"]["file"].endswith("a.csv")
    assert rec["status"] == "shortlisted" and rec["rank"] == 1
    json.dumps(sift.to_dict(), allow_nan=False)


# ---------------------------------------------------------------------------------------------
# The real roles, end to end


@pytest.mark.parametrize("role_id", ["secou-ds", "btp-msoct-ds"])
def test_real_role_sift(tmp_path: Path, role_id: str) -> None:
    from shortlist.sift import run_sift

    from .conftest import ROLES_DIR, Applicant

    role = load_role(ROLES_DIR / f"{role_id}.toml")
    at_pass = {c.id: c.pass_level or c.scale.levels[0] for c in role.criteria}
    at_top = {c.id: c.scale.levels[-1] for c in role.criteria}
    fields = {"current_rank": "Current substantive rank"} if role_id == "secou-ds" else {}

    def person(aid: str, ratings: dict[str, str], rank: str = "Sergeant") -> Applicant:
        return Applicant(aid, f"Person {aid}", dict(ratings), {},
                         {"current_rank": rank})

    conditional = [c.id for c in role.criteria if c.applies_if is not None]
    no_step_up = {k: v for k, v in at_pass.items() if k not in conditional}
    first_essential = next(c for c in role.essentials if (c.pass_index or 0) > 0)
    below = first_essential.scale.levels[(first_essential.pass_index or 0) - 1]
    path = write_applicants(tmp_path / "apps.csv", [
        person("P1", at_pass),
        person("P2", at_top),
        person("P3", {**at_pass, first_essential.id: below}),
        person("P4", no_step_up, rank="Sergeant"),
        person("P5", no_step_up, rank="Constable"),
    ], criteria=[c.id for c in role.criteria], fields=fields)
    recs = records_by_id(run_sift(role, [path]))
    assert all(r["errors"] == [] for r in recs.values()), recs
    assert recs["P2"]["score"] == 100.0 and recs["P2"]["rank"] == 1
    assert recs["P1"]["essential_met"] is True
    assert recs["P3"]["status"] == "failed_essential"
    assert recs["P3"]["failures"] == [{
        "criterion": first_essential.id,
        "reason": f'rated "{below}", needs "{first_essential.pass_level}"'}]
    if role_id == "secou-ds":
        assert conditional, "the step-up criteria apply to constables only"
        assert recs["P4"]["essential_met"] is True
        assert {f["criterion"] for f in recs["P5"]["failures"]} == set(conditional)
        assert all("no answer" in f["reason"] for f in recs["P5"]["failures"])
