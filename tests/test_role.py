"""Role files: loading the real roles, validating a role file, finding a role by id or path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from shortlist.errors import RoleError, RoleNotFound, RoleProblem
from shortlist.readers.cells import rating_key
from shortlist.role import YES_NO, Role, find_role, load_role

from .conftest import ROLES_DIR, criterion, role_data, write_role

# ---------------------------------------------------------------------------------------------
# The real roles


@pytest.mark.parametrize("role_id", ["secou-ds", "btp-msoct-ds"])
def test_real_role_loads(role_id: str) -> None:
    r = load_role(ROLES_DIR / f"{role_id}.toml")
    assert r.id == role_id
    assert r.title
    assert r.essentials, "a role has essential criteria"
    assert r.size >= 1
    assert 0 <= r.min_score <= 100
    assert len({c.id for c in r.criteria}) == len(r.criteria)
    assert len(r.sha256) == 64
    for c in r.criteria:
        assert c.section and c.text
        if c.essential:
            assert c.pass_level in c.scale.levels
        else:
            assert c.pass_level is None
        assert c.weight >= 0
    assert any(c.weight > 0 for c in r.criteria)
    # Monitoring data never decides whether a criterion applies.
    monitoring = {f.name for f in r.fields if f.monitoring}
    assert not r.condition_fields & monitoring


def test_secou_step_up_criteria_apply_only_to_constables() -> None:
    r = load_role(ROLES_DIR / "secou-ds.toml")
    step_up = [c for c in r.criteria if c.id.startswith("SU")]
    assert step_up
    for c in step_up:
        assert c.applies_if is not None and c.applies_if.field == "current_rank"
        assert set(c.applies_if.values) == {"Constable", "Detective Constable"}


def test_real_roles_have_distinct_ids() -> None:
    ids = [load_role(p).id for p in sorted(ROLES_DIR.glob("*.toml"))]
    assert sorted(ids) == ["btp-msoct-ds", "secou-ds"]


# ---------------------------------------------------------------------------------------------
# The small test role


def test_test_role_loads(role: Role) -> None:
    assert role.id == "test-ds"
    assert [c.id for c in role.criteria] == ["G1", "E1", "E2", "D1", "D2"]
    assert role.tie_break == ("desirable",)
    assert role.size == 3 and role.min_score == 0 and role.word_limit == 250
    e1, e2 = role.criterion("E1"), role.criterion("E2")
    assert e1.word_limit == 250, "the role's word limit is the default"
    assert e2.word_limit == 50, "a criterion's word_limit overrides it"
    assert e1.evidence == "required" and e2.evidence == "optional"
    assert role.criterion("D1").evidence == "optional", "evidence defaults to optional"
    assert role.criterion("G1").scale is YES_NO
    assert role.criterion("G1").weight == 0
    assert e2.scale.points == (0, 1, 3, 5)
    assert e1.scale.points == (0, 1, 2, 3, 4), "points default to 0..n-1"
    assert e1.pass_index == 2
    assert role.criterion("D2").applies_if is not None
    assert [f.name for f in role.fields][:3] == ["applicant_id", "name", "guaranteed_interview"]
    assert role.field("sex").monitoring
    assert "sex" not in {f.name for f in role.scored_fields}


def test_weight_defaults_to_one(tmp_path: Path) -> None:
    data = role_data()
    del criterion(data, "D1")["weight"]
    assert load_role(write_role(tmp_path, data)).criterion("D1").weight == 1


def test_pass_level_matched_case_insensitively(tmp_path: Path) -> None:
    data = role_data()
    criterion(data, "E1")["pass"] = "some"
    assert load_role(write_role(tmp_path, data)).criterion("E1").pass_level == "Some"


def test_scale_lookup_accepts_labels_aliases_and_points(role: Role) -> None:
    grade = role.criterion("E2").scale
    lookup = grade.lookup()
    assert lookup["excellent"] == 3
    assert lookup["ok"] == 1, "alias"
    assert lookup["5"] == 3, "point values"
    assert lookup["3"] == 2
    assert "2" not in lookup, "2 is not a point value of this scale"


@pytest.mark.parametrize("typed", ["5", "5.0", "5.00", "05", "+5", " 5 ", 5, 5.0])
def test_a_point_value_is_found_however_it_is_typed(role: Role, typed: object) -> None:
    assert role.criterion("E2").scale.lookup()[rating_key(typed)] == 3


@pytest.mark.parametrize("typed", ["2", "5.5", "nan", "inf", "5e0x", "5..0"])
def test_other_numbers_are_not_point_values(role: Role, typed: str) -> None:
    assert rating_key(typed) not in role.criterion("E2").scale.lookup()


# ---------------------------------------------------------------------------------------------
# Validation: every problem names the file, the criterion (or table) and the field, and says
# what was expected.


def problems_of(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> list[RoleProblem]:
    data = role_data()
    change(data)
    path = write_role(tmp_path, data)
    with pytest.raises(RoleError) as info:
        load_role(path)
    for p in info.value.problems:
        assert p.file == str(path)
        assert str(path) in str(p)
    assert str(info.value) == "\n".join(str(p) for p in info.value.problems)
    return info.value.problems


def only(problems: list[RoleProblem]) -> RoleProblem:
    assert len(problems) == 1, problems
    return problems[0]


def set_in(cid: str, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        criterion(data, cid)[key] = value
    return change


def drop_in(cid: str, key: str) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        del criterion(data, cid)[key]
    return change


@pytest.mark.parametrize(
    ("change", "where", "field", "expected"),
    [
        pytest.param(set_in("E1", "scale", "skill"), "criterion E1", "scale",
                     "expected one of the scales: yes_no, experience, grade",
                     id="unknown-scale"),
        pytest.param(set_in("E1", "pass", "Brilliant"), "criterion E1", "pass",
                     "expected one of None, Limited, Some, Substantial, Extensive",
                     id="pass-not-on-scale"),
        pytest.param(set_in("D1", "pass", "Some"), "criterion D1", "pass",
                     "only essential criteria have a pass level", id="pass-on-desirable"),
        pytest.param(drop_in("E1", "pass"), "criterion E1", "pass",
                     "an essential criterion needs the lowest level that meets it",
                     id="missing-pass"),
        pytest.param(set_in("E1", "weight", -1), "criterion E1", "weight",
                     "expected a number >= 0", id="negative-weight"),
        pytest.param(set_in("E1", "weight", "two"), "criterion E1", "weight",
                     "expected a whole number or a number", id="text-weight"),
        pytest.param(set_in("E1", "weight", True), "criterion E1", "weight",
                     "expected a whole number or a number", id="bool-weight"),
        pytest.param(set_in("E1", "evidence", "mandatory"), "criterion E1", "evidence",
                     'expected "required", "optional" or "none"', id="bad-evidence"),
        pytest.param(set_in("E1", "kind", "nice-to-have"), "criterion E1", "kind",
                     'expected "essential" or "desirable"', id="bad-kind"),
        pytest.param(set_in("E1", "word_limit", 0), "criterion E1", "word_limit",
                     "expected a positive whole number", id="zero-word-limit"),
        pytest.param(set_in("D2", "applies_if", {"field": "grade", "in": ["Constable"]}),
                     "criterion D2", "applies_if", "expected one of the role's fields",
                     id="applies-if-unknown-field"),
        pytest.param(set_in("D2", "applies_if", {"field": "sex", "in": ["Female"]}),
                     "criterion D2", "applies_if", "monitoring data never affects a score",
                     id="applies-if-monitoring-field"),
        pytest.param(set_in("D2", "applies_if", {"field": "current_rank", "in": ["PC"]}),
                     "criterion D2", "applies_if", "not values of field 'current_rank'",
                     id="applies-if-value-not-allowed"),
        pytest.param(set_in("D2", "applies_if", {"field": "current_rank"}),
                     "criterion D2", "applies_if", "expected a table like",
                     id="applies-if-malformed"),
        pytest.param(set_in("E1", "colour", "blue"), "criterion E1", "colour",
                     "is not a known key; expected one of", id="unknown-criterion-key"),
        pytest.param(drop_in("E1", "text"), "criterion E1", "text", "is missing; expected",
                     id="missing-text"),
        pytest.param(set_in("E2", "id", "E1"), "criterion E1", "id", "expected unique ids",
                     id="duplicate-id"),
        pytest.param(set_in("E2", "id", "e1"), "criterion e1", "id", "expected unique ids",
                     id="duplicate-id-other-case"),
        pytest.param(set_in("E1", "id", "1st criterion"), "criterion 1st criterion", "id",
                     "expected a short id such as E1", id="bad-id"),
    ],
)
def test_criterion_problem_is_located(tmp_path: Path, change: Callable[[dict[str, Any]], None],
                                      where: str, field: str, expected: str) -> None:
    p = only(problems_of(tmp_path, change))
    assert p.criterion == where
    assert p.field == field
    assert expected in p.message
    assert where in str(p) and f"field {field!r}" in str(p)


def scale_change(name: str, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        data["scales"][name][key] = value
    return change


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        pytest.param(scale_change("grade", "points", [0, 3, 1, 5]), "points",
                     "expected 4 numbers >= 0, strictly increasing", id="points-not-increasing"),
        pytest.param(scale_change("grade", "points", [0, 1, 2]), "points",
                     "expected 4 numbers >= 0, strictly increasing", id="points-wrong-count"),
        pytest.param(scale_change("grade", "points", [-1, 1, 2, 3]), "points",
                     "strictly increasing", id="points-negative"),
        pytest.param(scale_change("grade", "points", [0, 1, "3", 5]), "points",
                     "strictly increasing", id="points-text"),
        pytest.param(scale_change("grade", "levels", ["Only"]), "levels",
                     "expected at least two non-empty labels", id="one-level"),
        pytest.param(scale_change("grade", "levels", ["Poor", "Fair", "fair", "Excellent"]),
                     "levels", "differ only in case", id="levels-differ-by-case"),
        pytest.param(scale_change("grade", "aliases", {"ok": "Fine"}), "aliases",
                     "expected one of the levels", id="alias-to-unknown-level"),
        pytest.param(scale_change("grade", "shades", 3), "shades",
                     "is not a known key", id="unknown-scale-key"),
    ],
)
def test_scale_problem_is_located(tmp_path: Path, change: Callable[[dict[str, Any]], None],
                                  field: str, expected: str) -> None:
    problems = problems_of(tmp_path, change)
    scale_problems = [p for p in problems if p.criterion == "scale 'grade'"]
    p = only(scale_problems)
    assert p.field == field
    assert expected in p.message


def test_yes_no_cannot_be_redefined(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        data["scales"]["yes_no"] = {"levels": ["No", "Maybe", "Yes"]}
    p = only(problems_of(tmp_path, change))
    assert p.criterion == "scale 'yes_no'"
    assert "built in" in p.message


@pytest.mark.parametrize(
    ("change", "table", "field", "expected"),
    [
        pytest.param(lambda d: d["shortlist"].update(tie_break=["desirable", "seniority"]),
                     "[shortlist]", "tie_break",
                     "expected \"desirable\", \"essential\" or a criterion id",
                     id="tie-break-unknown"),
        pytest.param(lambda d: d["shortlist"].update(size=0), "[shortlist]", "size",
                     "expected a whole number of at least 1", id="size-zero"),
        pytest.param(lambda d: d["shortlist"].update(min_score=101), "[shortlist]",
                     "min_score", "expected a number from 0 to 100", id="min-score-too-high"),
        pytest.param(lambda d: d["shortlist"].update(top=5), "[shortlist]", "top",
                     "is not a known key", id="unknown-shortlist-key"),
        pytest.param(lambda d: d["role"].update(salary="£40k"), "[role]", "salary",
                     "is not a known key", id="unknown-role-key"),
        pytest.param(lambda d: d["role"].pop("id"), "[role]", "id", "is missing",
                     id="missing-role-id"),
        pytest.param(lambda d: d["role"].update(id="Test DS"), "[role]", "id",
                     "expected lower-case letters", id="bad-role-id"),
        pytest.param(lambda d: d.update(extras={"a": 1}), "top level", "extras",
                     "is not a known key", id="unknown-top-level-table"),
        pytest.param(lambda d: d["fields"][0].update(monitoring="yes"), "field 'current_rank'",
                     "monitoring", "expected true or false", id="field-monitoring-text"),
        pytest.param(lambda d: d["fields"].append({"name": "Current Rank"}),
                     "field 'Current Rank'", "name", "expected lower-case letters",
                     id="field-bad-name"),
    ],
)
def test_table_problem_is_located(tmp_path: Path, change: Callable[[dict[str, Any]], None],
                                  table: str, field: str, expected: str) -> None:
    problems = problems_of(tmp_path, change)
    matching = [p for p in problems if p.criterion == table and p.field == field]
    assert matching, problems
    assert expected in matching[0].message


def test_every_criterion_weight_zero_is_reported(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        for c in data["criteria"]:
            c["weight"] = 0
    p = only(problems_of(tmp_path, change))
    assert p.field == "weight"
    assert "expected at least one criterion with weight > 0" in p.message


def test_no_criteria_is_reported(tmp_path: Path) -> None:
    p = only(problems_of(tmp_path, lambda d: d.pop("criteria")))
    assert p.field == "criteria"
    assert "at least one [[criteria]]" in p.message


def test_all_problems_are_reported_together(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        criterion(data, "E1")["scale"] = "skill"
        criterion(data, "E2")["pass"] = "Great"
        criterion(data, "D1")["pass"] = "Some"
        criterion(data, "D1")["weight"] = -2
        criterion(data, "D2")["evidence"] = "sometimes"
        data["shortlist"]["tie_break"] = ["luck"]
        data["scales"]["grade"]["colour"] = "red"
    problems = problems_of(tmp_path, change)
    located = {(p.criterion, p.field) for p in problems}
    assert {("criterion E1", "scale"), ("criterion E2", "pass"), ("criterion D1", "pass"),
            ("criterion D1", "weight"), ("criterion D2", "evidence"),
            ("[shortlist]", "tie_break"), ("scale 'grade'", "colour")} <= located


def test_invalid_toml_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text('[role]\nid = "x"\ntitle = "unterminated\n', encoding="utf-8")
    with pytest.raises(RoleError) as info:
        load_role(path)
    p = only(info.value.problems)
    assert p.file == str(path)
    assert "is not valid TOML" in p.message
    assert "line 3" in p.message


def test_non_utf8_role_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes('[role]\nid = "x"\ntitle = "Caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(RoleError) as info:
        load_role(path)
    assert "is not UTF-8 text" in only(info.value.problems).message


def test_missing_role_file(tmp_path: Path) -> None:
    with pytest.raises(RoleError) as info:
        load_role(tmp_path / "nope.toml")
    assert "cannot be read" in only(info.value.problems).message


# ---------------------------------------------------------------------------------------------
# Finding a role


def test_find_role_by_id_in_roles_folder(in_repo: Path) -> None:
    assert find_role("secou-ds").id == "secou-ds"
    assert find_role("btp-msoct-ds").id == "btp-msoct-ds"


def test_find_role_by_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = write_role(tmp_path)
    assert find_role(str(path)).id == "test-ds"
    assert find_role("test-ds.toml").id == "test-ds", "a relative .toml path"
    assert find_role(str(ROLES_DIR / "secou-ds.toml")).id == "secou-ds"


def test_find_role_in_shortlist_roles_folder(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    write_role(folder)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SHORTLIST_ROLES", str(folder))
    assert find_role("test-ds").id == "test-ds"


def test_find_role_whose_file_name_differs_from_its_id(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    write_role(tmp_path, name="some-other-name.toml")
    monkeypatch.setenv("SHORTLIST_ROLES", str(tmp_path))
    assert find_role("test-ds").id == "test-ds"


def test_unknown_role_id_lists_the_known_roles(in_repo: Path) -> None:
    with pytest.raises(RoleNotFound) as info:
        find_role("chief-constable")
    message = str(info.value)
    assert "'chief-constable'" in message
    assert "btp-msoct-ds" in message and "secou-ds" in message


def test_unknown_role_id_with_no_roles_folder(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHORTLIST_ROLES", raising=False)
    with pytest.raises(RoleNotFound) as info:
        find_role("secou-ds")
    assert "no role files" in str(info.value)
    assert "SHORTLIST_ROLES" in str(info.value)


def test_missing_role_path(tmp_path: Path) -> None:
    with pytest.raises(RoleNotFound) as info:
        find_role(str(tmp_path / "missing.toml"))
    assert "does not exist" in str(info.value)


def test_find_role_reports_problems_of_a_bad_role(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    data = role_data()
    criterion(data, "E1")["scale"] = "skill"
    write_role(tmp_path, data)
    monkeypatch.setenv("SHORTLIST_ROLES", str(tmp_path))
    with pytest.raises(RoleError) as info:
        find_role("test-ds")
    assert only(info.value.problems).field == "scale"


def test_applies_if_on_guaranteed_interview_is_refused(tmp_path: Path) -> None:
    change = set_in("D2", "applies_if", {"field": "guaranteed_interview", "in": ["Yes"]})
    p = only(problems_of(tmp_path, change))
    assert (p.criterion, p.field) == ("criterion D2", "applies_if")


def test_a_bad_default_word_limit_is_reported_once(tmp_path: Path) -> None:
    p = only(problems_of(tmp_path, lambda d: d["shortlist"].update(word_limit=-3)))
    assert (p.criterion, p.field) == ("[shortlist]", "word_limit")


def test_criteria_that_are_all_invalid_are_not_also_reported_as_missing(tmp_path: Path) -> None:
    def change(data: dict[str, Any]) -> None:
        for c in data["criteria"]:
            c["weight"] = -1
    problems = problems_of(tmp_path, change)
    assert {p.field for p in problems} == {"weight"}
    assert len(problems) == len(role_data()["criteria"])


def test_a_scale_with_problems_is_not_also_called_unknown(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, scale_change("grade", "points", [0, 1]))
    assert [(p.criterion, p.field) for p in problems] == [("scale 'grade'", "points")]
