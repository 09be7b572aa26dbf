"""The bundled sample applications: the tool's outcomes match those the generator computed
independently from the SPEC's rules (sample_applications/expected/ROLE.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shortlist.role import load_role
from shortlist.sift import run_sift

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_applications"
ROLES = ["secou-ds", "btp-msoct-ds"]
CASES = [(role, name) for role in ROLES
         for name in json.loads((SAMPLES / "expected" / f"{role}.json").read_text())["inputs"]]


@pytest.mark.parametrize(("role_id", "name"), CASES, ids=[f"{r}/{n}" for r, n in CASES])
def test_sample_outcomes_match_the_generators_expectations(role_id: str, name: str) -> None:
    expected = json.loads((SAMPLES / "expected" / f"{role_id}.json").read_text())
    want = expected["inputs"][name]
    sift = run_sift(load_role(ROOT / "roles" / f"{role_id}.toml"), [SAMPLES / role_id / name])
    got = list(sift.records())
    summary = sift.summary()
    for key in ("applicants", "ranked", "failed_essential", "shortlisted"):
        assert summary[key] == want[key], key
    assert [r["applicant_id"] for r in got] == [r["applicant_id"] for r in want["results"]]
    for g, w in zip(got, want["results"], strict=True):
        assert (g["status"], g["rank"], g["score"], g["desirable_score"], g["essential_met"]) \
            == (w["status"], w["rank"], w["score"], w["desirable_score"], w["essential_met"]), \
            w["applicant_id"]
        assert [f["criterion"] for f in g["failures"]] == \
            [f[0] if isinstance(f, list) else f for f in w["failures"]], w["applicant_id"]
        assert sorted((f["criterion"], f["flag"]) for f in g["flags"]) == \
            sorted(tuple(f) for f in w["flags"]), w["applicant_id"]


@pytest.mark.parametrize("role_id", ROLES)
def test_samples_exercise_every_outcome(role_id: str) -> None:
    """Ties at the cut-off, a guaranteed interview, and every kind of essential failure."""
    sift = run_sift(load_role(ROOT / "roles" / f"{role_id}.toml"),
                    [SAMPLES / role_id / "applications.xlsx"])
    records = list(sift.records())
    summary = sift.summary()
    assert summary["applicants"] >= 40
    assert summary["tied_at_cutoff"] and summary["shortlisted"] > summary["top"]
    assert summary["guaranteed_interview_added"] >= 1
    reasons = [f["reason"] for r in records for f in r["failures"]]
    assert any(r.startswith("no answer") for r in reasons)
    assert any("with no evidence" in r for r in reasons)
    assert any(r.startswith("rated") and "no evidence" not in r for r in reasons)
    flags = {f["flag"] for r in records for f in r["flags"]}
    assert flags == {"unevidenced", "over_word_limit"}


def test_messy_samples_fail_check_with_located_errors() -> None:
    from typer.testing import CliRunner

    from shortlist.cli import app

    result = CliRunner().invoke(app, ["check", str(ROOT / "roles" / "secou-ds.toml"),
                                      str(SAMPLES / "messy"), "--format", "json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    errors = [p for p in report["problems"] if p["severity"] == "error"]
    by_file = {Path(p["file"]).name for p in errors}
    assert {"unknown_rating.xlsx", "missing_id_column.csv", "duplicate_ids.csv",
            "blank_id.xlsx", "not_a_spreadsheet.xlsx", "empty.csv",
            "bad_field_value.csv"} <= by_file
    clean = {"semicolon_cp1252.csv", "hidden_sheet_decoy.xlsx", "formula_like_text.csv",
             "tab_utf8_bom.csv"}
    assert not by_file & clean
    rating = next(p for p in errors if p["type"] == "unknown-rating")
    assert (rating["sheet"], rating["row"]) == ("Applications", 6)
    assert "E2 rating" in rating["column"] and "Quite a lot" in rating["message"]
    assert "Sound" in rating["message"]
