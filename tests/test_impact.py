"""The adverse-impact report: counts, rates and ratios by stage on data with known rates, the
four-fifths flag at its boundary, small groups never revealed (also by subtraction from the
totals), the CLI and the workbook's Impact sheet."""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import tempfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from shortlist.cli import app
from shortlist.exporters.impact import IMPACT_FORMATS, render_impact, write_impact_csv
from shortlist.exporters.xlsx import write_xlsx
from shortlist.impact import (
    MIN_GROUP,
    NOT_LISTED,
    NOT_STATED,
    OTHER,
    POOLED,
    PREFER_NOT,
    STAGES,
    ImpactError,
    ImpactReport,
    UnknownMonitoringField,
    impact,
)
from shortlist.role import Role, load_role
from shortlist.sift import Sift, run_sift

from .conftest import Applicant, passing, role_data, write_applicants, write_role

runner = CliRunner()


def people(sex: str, applied: int, met: int, shortlisted: int, prefix: str) -> list[Applicant]:
    """`applied` applicants of `sex`: `met` meet every essential and, of those,
    `shortlisted` score 64.71 (D1 Extensive) while the rest score 41.18; with min_score 50
    and a large top, exactly `shortlisted` are shortlisted."""
    assert applied >= met >= shortlisted
    out = []
    for k in range(applied):
        if k < shortlisted:
            a = passing(f"{prefix}{k + 1}", D1="Extensive", sex=sex)
        elif k < met:
            a = passing(f"{prefix}{k + 1}", sex=sex)
        else:
            a = passing(f"{prefix}{k + 1}", E1="Limited", sex=sex)
        out.append(a)
    return out


def sift_of(role: Role, applicants: list[Applicant], directory: Path) -> Sift:
    path = write_applicants(directory / "applicants.csv", applicants)
    return run_sift(role, [path], top=1000, min_score=50)


def groups(report: ImpactReport, field: str = "sex") -> dict[str, dict[str, Any]]:
    f = next(f for f in report.to_dict()["impact"]["fields"] if f["field"] == field)
    return {g["group"]: g for g in f["groups"]}


def test_known_rates(role: Role, tmp_path: Path) -> None:
    sift = sift_of(role, [*people("Female", 10, 8, 6, "F"), *people("Male", 20, 18, 8, "M"),
                          *people("Prefer not to say", 5, 5, 2, "P")], tmp_path)
    report = impact(sift)
    data = report.to_dict()["impact"]
    assert data["totals"] == {"applied": 35,
                              "met_essentials": {"count": 31, "rate": round(31 / 35, 4)},
                              "shortlisted": {"count": 16, "rate": round(16 / 35, 4)}}
    g = groups(report)
    assert list(g) == ["Female", "Male", "Prefer not to say"]
    female, male, pns = g["Female"], g["Male"], g["Prefer not to say"]
    assert female["applied"] == 10 and male["applied"] == 20 and pns["applied"] == 5
    assert female["met_essentials"] == {"count": 8, "rate": 0.8, "impact_ratio": 0.8889,
                                        "below_four_fifths": False}
    assert male["met_essentials"] == {"count": 18, "rate": 0.9, "impact_ratio": 1.0,
                                      "below_four_fifths": False}
    assert female["shortlisted"] == {"count": 6, "rate": 0.6, "impact_ratio": 1.0,
                                     "below_four_fifths": False}
    assert male["shortlisted"] == {"count": 8, "rate": 0.4, "impact_ratio": 0.6667,
                                   "below_four_fifths": True}
    assert male["notes"] == []  # one more shortlisted (0.45) would still be under 0.8 × 0.6
    assert pns["compared"] is False and pns["shortlisted"]["impact_ratio"] is None
    assert pns["shortlisted"]["rate"] == 0.4
    sex = data["fields"][0]
    assert sex["reference"] == {"met_essentials": "Male", "shortlisted": "Female"}
    text = render_impact(report)
    assert "0.67 BELOW 4/5" in text and "8 (40.0%)" in text


@pytest.mark.parametrize(("male_shortlisted", "flagged", "note"), [
    (4, False, False),  # 0.4 / 0.5 = 0.8 exactly: not below four-fifths
    (3, True, True),    # 0.6: flagged, and one more (0.4 / 0.5 = 0.8) would clear it
    (2, True, False),   # 0.4: one more would not clear it
])
def test_four_fifths_boundary(role: Role, tmp_path: Path, male_shortlisted: int,
                              flagged: bool, note: bool) -> None:
    sift = sift_of(role, [*people("Female", 10, 10, 5, "F"),
                          *people("Male", 10, 10, male_shortlisted, "M")], tmp_path)
    male = groups(impact(sift))["Male"]
    assert male["shortlisted"]["below_four_fifths"] is flagged
    assert any("one more applicant selected would clear the flag" in n
               for n in male["notes"]) is note


def test_a_small_group_is_pooled_with_the_next_smallest(role: Role, tmp_path: Path) -> None:
    sift = sift_of(role, [*people("Female", 10, 9, 5, "F"), *people("Male", 12, 10, 4, "M"),
                          *people("Prefer not to say", 3, 3, 1, "P")], tmp_path)
    report = impact(sift)
    g = groups(report)
    # The 3 alone would be given away by the totals (25 - 10 - 12), so the smallest other
    # group joins them in one row, shown in full; neither is named.
    assert list(g) == ["Male", POOLED]
    assert g[POOLED]["applied"] == 13 and g[POOLED]["pooled"] is True
    assert g[POOLED]["met_essentials"] == {"count": 12, "rate": round(12 / 13, 4),
                                           "impact_ratio": None, "below_four_fifths": None}
    assert g[POOLED]["shortlisted"]["count"] == 6
    assert g[POOLED]["compared"] is False  # it holds "Prefer not to say"
    assert g["Male"]["applied"] == 12 and g["Male"]["shortlisted"]["count"] == 4
    notes = report.to_dict()["impact"]["fields"][0]["notes"]
    assert any("too small to judge" in n for n in notes)  # one group left to compare
    text = render_impact(report)
    assert "Female" not in text and "Prefer not" not in text


def ethnic_role(tmp_path: Path) -> Role:
    data = role_data()
    data["fields"].append({"name": "ethnic", "label": "Ethnic group", "monitoring": True,
                           "values": ["Asian", "Black", "Mixed", "White", "Other"]})
    return load_role(write_role(tmp_path, data))


def test_groups_under_5_are_one_row_compared_but_never_the_reference(tmp_path: Path) -> None:
    """Three small groups (3, 2 and 3 applicants) make one row of 8, compared with the
    highest named group; which groups it holds is not said."""
    role = ethnic_role(tmp_path)
    spec = [("White", 24, 18, 5), ("Asian", 7, 6, 3), ("Black", 3, 3, 1), ("Mixed", 2, 2, 1),
            ("Other", 3, 3, 0)]
    apps = []
    for value, applied, met, shortlisted in spec:
        for a in people("Female", applied, met, shortlisted, value[0]):
            a.fields["ethnic"] = value
            apps.append(a)
    path = write_applicants(tmp_path / "a.csv", apps, fields={
        "current_rank": "Current rank", "sex": "Sex", "ethnic": "Ethnic group"})
    report = impact(run_sift(role, [path], top=1000, min_score=50), "ethnic")
    g = groups(report, "ethnic")
    assert list(g) == ["Asian", "White", POOLED]
    pool = g[POOLED]
    assert pool["applied"] == 8 and pool["met_essentials"]["count"] == 8
    assert pool["shortlisted"]["count"] == 2 and pool["compared"] is True
    assert report.fields[0].reference == {"met_essentials": "Asian", "shortlisted": "Asian"}
    assert pool["shortlisted"]["impact_ratio"] == round((2 / 8) / (3 / 7), 4)
    assert pool["shortlisted"]["below_four_fifths"] is True
    assert pool["met_essentials"]["impact_ratio"] == round(1 / (6 / 7), 4)  # can exceed 1
    for s in ("applied", "met_essentials", "shortlisted"):  # the rows add up to the totals
        shown = [x["applied"] if s == "applied" else x[s]["count"] for x in g.values()]
        assert sum(shown) == report.totals[s]
    text = json.dumps(report.to_dict()) + render_impact(report)
    assert "Black" not in text and "Mixed" not in text and '"Other"' not in text


def test_a_breakdown_that_cannot_be_shown_safely_is_withheld(role: Role, tmp_path: Path) -> None:
    sift = sift_of(role, [*people("Female", 3, 3, 1, "F"), *people("Male", 20, 10, 4, "M")],
                   tmp_path)
    report = impact(sift)
    sex = report.to_dict()["impact"]["fields"][0]
    assert sex["withheld"] is True and sex["groups"] == []
    assert "withheld" in sex["notes"][0]
    assert "Female" not in render_impact(report) and "Male" not in render_impact(report)
    out = io.BytesIO()
    write_impact_csv(report, out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8"))))
    assert [r["group"] for r in rows if r["field"] == "sex"] == [""]


def test_answers_that_are_not_a_characteristic_are_pooled_first(role: Role,
                                                                tmp_path: Path) -> None:
    sift = sift_of(role, [*people("Female", 10, 9, 5, "F"), *people("Male", 12, 10, 4, "M"),
                          *people("prefer not to say", 3, 3, 1, "P"),
                          *people("", 3, 2, 1, "B")], tmp_path)
    g = groups(impact(sift))
    pooled = f"{PREFER_NOT} or not stated"
    assert list(g) == ["Female", "Male", pooled]
    assert g[pooled]["applied"] == 6 and g[pooled]["compared"] is False
    assert g["Female"]["shortlisted"]["impact_ratio"] == 1.0
    assert g["Male"]["shortlisted"]["impact_ratio"] == round((4 / 12) / (5 / 10), 4)


def test_invalid_applicants_count_as_applied_only(role: Role, tmp_path: Path) -> None:
    bad = passing("X1", E2="Superb", sex="Female")  # an unknown rating: invalid
    sift = sift_of(role, [*people("Female", 9, 9, 5, "F"), bad, *people("Male", 10, 10, 5, "M")],
                   tmp_path)
    report = impact(sift)
    assert groups(report)["Female"]["applied"] == 10
    assert groups(report)["Female"]["met_essentials"]["count"] == 9
    assert any("invalid" in n for n in report.notes)


def test_by_one_field_and_errors(role: Role, tmp_path: Path) -> None:
    sift = sift_of(role, people("Female", 5, 5, 5, "F"), tmp_path)
    assert [f.field for f in impact(sift, "Sex").fields] == ["sex"]
    assert impact(sift).record["options"]["by"] is None
    assert impact(sift, "sex").record["options"]["by"] == "sex"
    with pytest.raises(UnknownMonitoringField, match="'current_rank' is not a monitoring "
                       "field of role test-ds; expected one of sex"):
        impact(sift, "current_rank")
    data = role_data()
    data["fields"] = [f for f in data["fields"] if not f.get("monitoring")]
    bare = load_role(write_role(tmp_path, data, "bare.toml"))
    with pytest.raises(ImpactError, match="has no monitoring fields"):
        impact(sift_of(bare, people("Female", 5, 5, 5, "F"), tmp_path))


def test_free_text_and_unlisted_values(tmp_path: Path) -> None:
    data = role_data()
    data["fields"].append({"name": "religion", "label": "Religion", "monitoring": True})
    role = load_role(write_role(tmp_path, data))
    apps = [*people("Femalee", 5, 5, 1, "F"), *people("Male", 6, 6, 3, "M")]
    for k, a in enumerate(apps):
        a.fields["religion"] = "Buddhist" if k < 5 else ["none", " None "][k % 2]
    apps[5].fields["religion"] = "Jedi, as Obi-Wan"  # a rare answer could identify someone
    path = write_applicants(tmp_path / "a.csv", apps, fields={
        "current_rank": "Current rank", "sex": "Sex", "religion": "Religion"})
    report = impact(run_sift(role, [path], top=1000, min_score=50))
    assert list(groups(report)) == ["Male", NOT_LISTED]
    religion = groups(report, "religion")
    # "None" and " None " are one group of 5; the 1 rare answer would be 11 - 5 - 5, so it
    # is pooled with the next group (the later of two equally small ones).
    assert list(religion) == ["Buddhist", POOLED]
    assert religion["Buddhist"]["applied"] == 5 and religion[POOLED]["applied"] == 6
    assert religion[POOLED]["compared"] is False
    assert "Jedi" not in json.dumps(report.to_dict())
    assert OTHER not in json.dumps(report.to_dict())


def test_csv_is_tidy(role: Role, tmp_path: Path) -> None:
    sift = sift_of(role, [*people("Female", 10, 8, 6, "F"), *people("Male", 20, 18, 8, "M")],
                   tmp_path)
    out = io.BytesIO()
    write_impact_csv(impact(sift), out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8"))))
    assert rows[0] == {"field": "", "group": "All applicants", "stage": "applied", "count": "30",
                       "rate": "", "impact_ratio": "", "below_four_fifths": "",
                       "compared": "False", "pooled": "False", "notes": ""}
    male = {r["stage"]: r for r in rows if r["group"] == "Male"}
    assert male["shortlisted"]["count"] == "8" and male["shortlisted"]["impact_ratio"] == "0.6667"
    assert male["shortlisted"]["below_four_fifths"] == "True"
    assert set(IMPACT_FORMATS) == {"table", "csv", "json"}


def test_workbook_impact_sheet(tmp_path: Path) -> None:
    data = role_data()
    data["fields"].append({"name": "age_band", "label": "Age band", "monitoring": True,
                           "values": ["16-34", "35-54", "55+"]})
    role = load_role(write_role(tmp_path, data))
    apps = [*people("Female", 10, 8, 6, "F"), *people("Male", 20, 18, 8, "M")]
    for k, a in enumerate(apps):
        a.fields["age_band"] = "55+" if k < 3 else "16-34" if k < 12 else "35-54"
    path = write_applicants(tmp_path / "a.csv", apps, fields={
        "current_rank": "Current rank", "sex": "Sex", "age_band": "Age band"})
    out = io.BytesIO()
    write_xlsx(run_sift(role, [path], top=1000, min_score=50), out)
    ws = openpyxl.load_workbook(io.BytesIO(out.getvalue()))["Impact"]
    rows = [r for r in ws.iter_rows(values_only=True) if r[0]]
    by_group = {r[0]: r for r in rows}
    assert by_group["Sex (sex)"] and by_group["Age band (age_band)"]
    assert by_group["Male"][1:10] == (20, 18, 0.9, 1, "No", 8, 0.4, 0.6667, "Yes")
    assert by_group["Female"][1:10] == (10, 8, 0.8, 0.8889, "No", 6, 0.6, 1, "No")
    # 3 people in 55+ would be given away by the totals: the next smallest band joins them.
    assert "55+" not in by_group and "16-34" not in by_group
    # 55+ is F1-F3 (all shortlisted); 16-34 is F4-F10 and M1-M2 (5 met, 2 failed; M1, M2
    # met and shortlisted). 35-54 is M3-M20: 16 met, 6 shortlisted, the only named band.
    assert by_group[POOLED][1:10] == (12, 10, 0.8333, 0.9375, "No", 8, 0.6667, 2, "No")
    assert by_group["35-54"][1:10] == (18, 16, 0.8889, 1, "No", 6, 0.3333, 1, "No")


def test_cli_impact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "roles").mkdir()
    write_role(tmp_path / "roles")
    write_applicants(tmp_path / "a.csv", [*people("Female", 10, 8, 6, "F"),
                                          *people("Male", 20, 18, 8, "M")])
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHORTLIST_ROLES", raising=False)
    args = ["impact", "test-ds", "a.csv", "--top", "1000", "--min-score", "50"]
    result = runner.invoke(app, [*args, "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["inputs"][0]["file"] == "a.csv" and data["options"]["by"] is None
    assert data["impact"]["fields"][0]["groups"][1]["shortlisted"]["below_four_fifths"]
    table = runner.invoke(app, [*args, "--by", "sex"])
    assert table.exit_code == 0 and "Sex (sex)" in table.stdout and "Run record" in table.stdout
    written = runner.invoke(app, [*args, "-o", "impact.csv"])
    assert written.exit_code == 0, written.output
    record = json.loads((tmp_path / "impact.csv.run.json").read_text(encoding="utf-8"))
    assert record["output"] == {"file": "impact.csv", "sha256": hashlib.sha256(
        (tmp_path / "impact.csv").read_bytes()).hexdigest()}
    assert record["inputs"] == data["inputs"] and "impact" not in record
    role_file = tmp_path / "roles" / "test-ds.toml"
    before = role_file.read_bytes()
    over_role = runner.invoke(app, [*args, "-o", "roles/test-ds.toml", "--format", "json",
                                    "--force"])
    assert over_role.exit_code == 1
    assert "Error: output roles/test-ds.toml is one of the inputs" in over_role.stderr
    assert role_file.read_bytes() == before
    unknown = runner.invoke(app, [*args, "--by", "shoe_size"])
    assert unknown.exit_code == 2
    assert "Error: 'shoe_size' is not a monitoring field of role test-ds; expected one of sex" \
        in unknown.stderr


# ---------------------------------------------------------------------------------------------
# No output reveals a group of fewer than 5, even by subtraction from the total

BASES = {"Female": "Female", "Male": "Male", "Prefer not to say": PREFER_NOT, "": NOT_STATED,
         "Unknown": NOT_LISTED}
BANDS = {"16-34": "16-34", "35-54": "35-54", "55+": "55+", "": NOT_STATED}
ANSWERS = (PREFER_NOT, NOT_STATED, NOT_LISTED)


def assert_nothing_small_derivable(field: dict[str, Any], truth: dict[str, list[int]],
                                   totals: dict[str, int]) -> None:
    """`truth`: each true group's applicants' outcomes (0 failed an essential, 1 met them,
    2 shortlisted). The rows shown must be a partition of the applicants, each of 5 or more
    and true at every stage; then every number a reader can form by adding shown numbers or
    subtracting them from the totals is about a union of rows, so about 0 or at least 5
    people, and never one group of fewer than 5 by itself."""
    reached = {"applied": lambda o: True, "met_essentials": lambda o: o >= 1,
               "shortlisted": lambda o: o == 2}
    rows = field["groups"]
    if field["withheld"]:
        assert rows == []
        return
    members: list[set[str]] = []
    for row in rows:
        label = row["group"]
        if row["pooled"]:
            named = {b for m in members for b in m}
            named |= {b for r in rows if not r["pooled"] for b in truth if b == r["group"]
                      or (" or " in r["group"] and b in ANSWERS
                          and b.lower() in r["group"].lower())}
            members.append({b for b in truth if b not in named})
        elif " or " in label:  # answers that are not a characteristic, pooled
            members.append({b for b in truth if b in ANSWERS and b.lower() in label.lower()})
        else:
            members.append({label})
    assert sorted(b for m in members for b in m) == sorted(truth), "a partition"
    for row, m in zip(rows, members, strict=True):
        assert row["applied"] == sum(len(truth[b]) for b in m) >= MIN_GROUP
        for s in ("met_essentials", "shortlisted"):
            assert row[s]["count"] == sum(reached[s](o) for b in m for o in truth[b])
    for s in STAGES:
        shown = [r["applied"] if s == "applied" else r[s]["count"] for r in rows]
        assert sum(shown) == totals[s]
    small = [b for b, outcomes in truth.items() if 0 < len(outcomes) < MIN_GROUP]
    for k in range(1, len(rows) + 1):
        for subset in itertools.combinations(range(len(rows)), k):
            union = set().union(*(members[j] for j in subset))
            size = sum(len(truth[b]) for b in union)
            assert size == 0 or size >= MIN_GROUP
            assert not any(union == {b} for b in small)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(list(BASES)), st.sampled_from(list(BANDS)),
                          st.integers(0, 2)), min_size=0, max_size=30))
def test_no_group_under_5_can_be_derived(spec: list[tuple[str, str, int]]) -> None:
    applicants = []
    for k, (sex, band, outcome) in enumerate(spec):
        extra: dict[str, Any] = {"E1": "Limited"} if outcome == 0 else \
            {"D1": "Extensive"} if outcome == 2 else {}
        a = passing(f"A{k}", sex=sex, **extra)
        a.fields["band"] = band
        applicants.append(a)
    data = role_data()
    data["fields"].append({"name": "band", "label": "Age band", "monitoring": True,
                           "values": ["16-34", "35-54", "55+"]})
    with tempfile.TemporaryDirectory() as d:
        role = load_role(write_role(Path(d), data))
        path = write_applicants(Path(d) / "a.csv", applicants, fields={
            "current_rank": "Current rank", "sex": "Sex", "band": "Age band"})
        report = impact(run_sift(role, [path], top=1000, min_score=50))
    impact_data = report.to_dict()["impact"]
    totals = {"applied": impact_data["totals"]["applied"],
              **{s: impact_data["totals"][s]["count"] for s in STAGES[1:]}}
    assert totals["applied"] == len(spec)
    for name, bases, column in (("sex", BASES, 0), ("band", BANDS, 1)):
        truth: dict[str, list[int]] = {}
        for row in spec:
            truth.setdefault(bases[row[column]], []).append(row[2])
        field = next(f for f in impact_data["fields"] if f["field"] == name)
        assert_nothing_small_derivable(field, truth, totals)


def test_applicant_text_in_group_names_is_never_a_formula(tmp_path: Path) -> None:
    data = role_data()
    data["fields"].append({"name": "religion", "label": "Religion", "monitoring": True})
    role = load_role(write_role(tmp_path, data))
    apps = people("Female", 10, 10, 5, "F")
    for k, a in enumerate(apps):
        a.fields["religion"] = '=HYPERLINK("http://x","y")' if k < 5 else "@SUM(A1)"
    path = write_applicants(tmp_path / "a.csv", apps, fields={
        "current_rank": "Current rank", "sex": "Sex", "religion": "Religion"})
    sift = run_sift(role, [path], top=1000, min_score=50)
    out = io.BytesIO()
    write_xlsx(sift, out)
    ws = openpyxl.load_workbook(io.BytesIO(out.getvalue()))["Impact"]
    cells = {c.value: c for row in ws.iter_rows() for c in row if c.value is not None}
    for text in ('=HYPERLINK("http://x","y")', "@SUM(A1)"):
        assert cells[text].data_type == "s"
    buf = io.BytesIO()
    write_impact_csv(impact(sift), buf)
    assert "'=HYPERLINK" in buf.getvalue().decode("utf-8")
