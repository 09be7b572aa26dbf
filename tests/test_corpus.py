"""Real-world spreadsheets written by other tools (../shared/corpus): every file gets a correct
read or a clean, located error from `shortlist check` — never a traceback, crash or hang."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "calamine"
ROLE = Path(__file__).resolve().parents[1] / "roles" / "secou-ds.toml"
SUFFIXES = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods", ".csv"}
FILES = sorted(p for p in CORPUS.glob("*") if p.suffix.lower() in SUFFIXES) \
    if CORPUS.is_dir() else []


def _check(path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONFAULTHANDLER": "0"}
    env.pop("SHORTLIST_DEBUG", None)
    return subprocess.run(
        [sys.executable, "-m", "shortlist", "check", str(ROLE), str(path), "--format", "json"],
        capture_output=True, text=True, timeout=60, env=env,
        preexec_fn=_limit_memory if sys.platform.startswith("linux") else None,
    )


def _limit_memory() -> None:
    import resource

    limit = 3 * 1024**3  # a crafted file must not be able to take more than this
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


@pytest.mark.skipif(not FILES, reason=f"corpus not found at {CORPUS}")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_every_corpus_file_gets_a_read_or_a_located_error(path: Path) -> None:
    result = _check(path)
    assert result.returncode in (0, 1), (result.returncode, result.stderr[-2000:])
    assert "Traceback" not in result.stderr
    assert "internal error" not in result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["files"] == 1
    for problem in report["problems"]:
        assert problem["file"], problem
        assert problem["message"], problem
        if problem["message"].startswith("has no header row"):
            assert "; searched " in problem["message"], "names the sheets and rows searched"
    if result.returncode == 1:
        errors = [p for p in report["problems"] if p["severity"] == "error"]
        assert errors, "exit 1 must come with at least one located error"
        assert all(Path(p["file"]).name == path.name for p in errors)


@pytest.mark.skipif(not FILES, reason=f"corpus not found at {CORPUS}")
def test_damaged_and_headerless_corpus_files_say_where_and_what_to_do() -> None:
    damaged = json.loads(_check(CORPUS / "OOM_alloc3.xls").stdout)["problems"][0]
    assert damaged["type"] == "corrupt-file"
    assert "open it in Excel or LibreOffice" in damaged["message"]
    [none] = json.loads(_check(CORPUS / "any_sheets.xlsx").stdout)["problems"]
    assert none["type"] == "no-header"
    assert none["message"].endswith("searched 3 sheets: 'Visible' rows 1–5 (all it holds); "
                                    "hidden 'Hidden' (no cells); hidden 'VeryHidden' (no cells)")
