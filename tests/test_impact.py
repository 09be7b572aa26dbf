"""The adverse-impact report: counts, rates and ratios by stage on data with known rates, the
four-fifths flag at its boundary, small groups never revealed (also by subtraction from the
totals), the CLI and the workbook's Impact sheet."""

from __future__ import annotations

import csv
import hashlib
import io
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
    NOT_LISTED,
    NOT_STATED,
    OTHER,
    PREFER_NOT,
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


def test_small_group_is_shown_as_under_5_and_not_derivable(role: Role, tmp_path: Path) -> None:
    sift = sift_of(role, [*people("Female", 10, 9, 5, "F"), *people("Male", 12, 10, 4, "M"),
                          *people("Prefer not to say", 3, 3, 1, "P")], tmp_path)
    report = impact(sift)
    g = groups(report)
    assert g["Prefer not to say"]["applied"] == "<5"
    assert g["Prefer not to say"]["shortlisted"] == {
        "count": "<5", "rate": None, "impact_ratio": None, "below_four_fifths": None}
    # Total (25, known from the ranking) less the groups shown must not give the 3 away:
    # the smallest other group is withheld too, so what is left covers 13 people.
    assert g["Female"]["applied"] == "withheld" and g["Female"]["suppressed"] == "complementary"
    assert g["Male"]["applied"] == 12
    assert report.totals["applied"] - 12 == 13
    notes = report.to_dict()["impact"]["fields"][0]["notes"]
    assert any("too small to judge" in n for n in notes)  # one group left to compare


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
    assert list(religion) == ["Buddhist", "None", OTHER]  # case and spaces ignored
    assert religion["Buddhist"]["applied"] == 5 and religion[OTHER]["applied"] == "<5"
    assert religion["None"]["applied"] == "withheld"  # else 11 - 5 - 5 would give the 1
    assert "Jedi" not in json.dumps(report.to_dict())


def test_csv_is_tidy(role: Role, tmp_path: Path) -> None:
    sift = sift_of(role, [*people("Female", 10, 8, 6, "F"), *people("Male", 20, 18, 8, "M")],
                   tmp_path)
    out = io.BytesIO()
    write_impact_csv(impact(sift), out)
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8"))))
    assert rows[0] == {"field": "", "group": "All applicants", "stage": "applied", "count": "30",
                       "rate": "", "impact_ratio": "", "below_four_fifths": "",
                       "compared": "False", "notes": ""}
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
    assert by_group["55+"][1:4] == ("<5", "<5", None)
    # 3 people are hidden in 55+, so the next smallest band is withheld as well.
    assert by_group["16-34"][1] == "withheld" and isinstance(by_group["35-54"][1], int)


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
    unknown = runner.invoke(app, [*args, "--by", "shoe_size"])
    assert unknown.exit_code == 2
    assert "Error: 'shoe_size' is not a monitoring field of role test-ds; expected one of sex" \
        in unknown.stderr


# ---------------------------------------------------------------------------------------------
# No output reveals a group of fewer than 5, even by subtraction from the total

BASES = {"Female": "Female", "Male": "Male", "Prefer not to say": PREFER_NOT, "": NOT_STATED,
         "Unknown": NOT_LISTED}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(list(BASES)), st.integers(0, 2)),
                min_size=0, max_size=30))
def test_no_group_under_5_can_be_derived(spec: list[tuple[str, int]]) -> None:
    applicants = []
    for k, (sex, outcome) in enumerate(spec):
        extra: dict[str, Any] = {"E1": "Limited"} if outcome == 0 else \
            {"D1": "Extensive"} if outcome == 2 else {}
        applicants.append(passing(f"A{k}", sex=sex, **extra))
    true: dict[str, int] = {}
    for sex, _ in spec:
        true[BASES[sex]] = true.get(BASES[sex], 0) + 1
    with tempfile.TemporaryDirectory() as d:
        role = load_role(write_role(Path(d)))
        report = impact(sift_of(role, applicants, Path(d)))
    g = groups(report)

    def members(label: str) -> int:
        if " or " in label:  # pooled answers that are not a characteristic
            return sum(n for b, n in true.items()
                       if b in (PREFER_NOT, NOT_STATED, NOT_LISTED) and b.lower() in label.lower())
        return true.get(label, 0)

    assert sum(members(label) for label in g) == len(spec)
    hidden = 0
    for label, group in g.items():
        n = members(label)
        assert n > 0
        if isinstance(group["applied"], int):
            assert group["applied"] == n >= 5
        else:
            assert group["applied"] == ("<5" if n < 5 else "withheld")
            assert all(group[s]["rate"] is None for s in ("met_essentials", "shortlisted"))
            hidden += n
    # What subtraction from the total gives is about no one, or at least 5 people, or is
    # the total itself (everything withheld).
    shown = [x for x in g.values() if isinstance(x["applied"], int)]
    assert hidden == 0 or hidden >= 5 or not shown


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
