"""Progress display: only on a terminal, never in piped output."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from shortlist.progress import Reporter


def test_disabled_reporter_is_silent(capsys: pytest.CaptureFixture[str]) -> None:
    with Reporter(enabled=False) as progress:
        progress.file(0, 2, Path("a.xlsx"))
        progress.stage("Writing out.xlsx")
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_piped_stderr_disables_progress() -> None:
    # pytest captures stderr, so it is not a terminal here
    assert Reporter.for_terminal(quiet=False).enabled is False
    assert Reporter.for_terminal(quiet=True).enabled is False


def test_enabled_reporter_draws_on_its_console(monkeypatch: pytest.MonkeyPatch) -> None:
    buffer = io.StringIO()
    monkeypatch.setattr("shortlist.progress.Console",
                        lambda **_: Console(file=buffer, force_terminal=True, width=80))
    with Reporter(enabled=True) as progress:
        progress.file(0, 3, Path("first.xlsx"))
        progress.file(1, 3, Path("second.xlsx"))
        progress.stage("Writing out.xlsx")
    text = buffer.getvalue()
    assert "second.xlsx" in text and "Writing out.xlsx" in text


def test_limit_option_lowers_and_raises_a_guard_limit(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from shortlist.cli import app

    root = Path(__file__).resolve().parents[1]
    form = str(root / "sample_applications" / "secou-ds" / "forms" / "form_F001.xlsx")
    role = str(root / "roles" / "secou-ds.toml")
    runner = CliRunner()
    strict = runner.invoke(app, ["check", role, form, "--limit", "max_cells=10"])
    assert strict.exit_code == 1
    assert "more than 10 cells" in strict.stdout
    relaxed = runner.invoke(app, ["check", role, form, "--limit", "max_cells=1_000"])
    assert relaxed.exit_code == 0, relaxed.output
    bad = runner.invoke(app, ["check", role, form, "--limit", "max_cellz=10"])
    assert bad.exit_code == 2 and "max_cells" in bad.output
    quiet = runner.invoke(app, ["rank", role, form, "-o", str(tmp_path / "o.json"), "-q"])
    assert quiet.exit_code == 0 and "Wrote" not in quiet.output
