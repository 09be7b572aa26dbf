"""The Python API: `from shortlist import …` gives the names the README documents, and the
README's example runs."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from pathlib import Path

import pytest

import shortlist

from .conftest import REPO


def test_every_exported_name_exists() -> None:
    for name in shortlist.__all__:
        assert getattr(shortlist, name) is not None, name
    for name in ("load_role", "find_role", "read_applications", "run_sift", "Sift", "explain",
                 "impact", "run_batch", "load_plan", "write_output"):
        assert name in shortlist.__all__


def readme_example() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("\n## Python API\n", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, "the README's Python API section has a ```python example"
    return match.group(1)


def test_the_readme_example_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The files the example names, laid out as in the repository, so it writes nothing there.
    for rel in ("roles", "sample_applications/secou-ds", "sample_applications/btp-msoct-ds",
                "sample_applications/plans"):
        shutil.copytree(REPO / rel, tmp_path / rel, ignore=shutil.ignore_patterns("out"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SHORTLIST_ROLES", raising=False)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(readme_example(), "README.md", "exec"), {"__name__": "__readme__"})
    printed = out.getvalue()
    assert printed.startswith("44 applicants: 37 ranked")
    assert "['secou-ds.csv', 'secou-ds.csv.run.json']" in printed
    assert "SECOU Detective Sergeant 10" in printed
    assert (tmp_path / "sample_applications/plans/out/secou-ds.xlsx").exists()
