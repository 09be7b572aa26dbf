"""The `shortlist` command: a thin Typer layer over the library.

Data goes to stdout, messages to stderr. Exit codes: 0 success (flagged failures included),
1 bad role file, unreadable input or `check` found errors, 2 usage error.
"""

from __future__ import annotations

import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from tabulate import tabulate

from . import __version__
from .errors import RoleError, ShortlistError
from .explain import explain as explain_applicant
from .explain import render_explanation
from .exporters import FORMATS, SUFFIXES
from .output import write_atomic
from .readers import expand_inputs, read_applications
from .role import Role, find_role, load_role, role_files, roles_dir
from .sift import Sift, run_sift
from .templates import write_template

app = typer.Typer(
    name="shortlist",
    help="Score, rank and shortlist applicants' self-assessments against a role's essential "
         "and desirable criteria.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"


class CheckFormat(StrEnum):
    table = "table"
    json = "json"


class Layout(StrEnum):
    form = "form"
    table = "table"


RoleArg = Annotated[str, typer.Argument(
    help="A role id found in ./roles/ (or $SHORTLIST_ROLES), or a path to a role .toml file.",
    show_default=False)]
InputsArg = Annotated[list[Path], typer.Argument(
    help="Application files (.xlsx .xlsm .xls .ods .csv) or folders of them.",
    show_default=False)]


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"Error: {message}", err=True)
    raise typer.Exit(code)


def warn(message: str) -> None:
    typer.echo(f"Warning: {message}", err=True)


def _load(role: str) -> Role:
    try:
        return find_role(role)
    except RoleError as exc:
        fail(f"role file has {len(exc.problems)} problem(s):\n" + "\n".join(
            f"  {p}" for p in exc.problems))
    except ShortlistError as exc:
        fail(str(exc))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"shortlist {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Score, rank and shortlist applicants against a role's criteria."""


@app.command()
def rank(
    role: RoleArg,
    inputs: InputsArg,
    top: Annotated[int | None, typer.Option(
        "--top", min=1, help="Shortlist size (default: the role's [shortlist] size). Ties at "
        "the cut-off are all kept.")] = None,
    min_score: Annotated[float | None, typer.Option(
        "--min-score", min=0, max=100, help="Lowest total score (0-100) that can be "
        "shortlisted (default: the role's min_score).")] = None,
    fmt: Annotated[OutputFormat | None, typer.Option(
        "--format", "-f", help="Output format; by default taken from -o's suffix, else table.",
        case_sensitive=False)] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write to this file instead of stdout (xlsx needs it).",
        dir_okay=False)] = None,
    anonymise: Annotated[bool, typer.Option(
        "--anonymise", help="Leave names and personal fields out; show applicant ids only.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output file.")
                     ] = False,
    skip_unreadable: Annotated[bool, typer.Option(
        "--skip-unreadable", help="Rank the readable files even if some cannot be read (the "
        "outputs name the skipped files).")] = False,
    include_evidence: Annotated[bool, typer.Option(
        "--include-evidence", help="Include every applicant's evidence text (xlsx: an "
        "Evidence sheet for everyone, not only the shortlist; csv and json: evidence "
        "columns/keys).")] = False,
) -> None:
    """Score and rank applicants, flag essential failures, and print or export the shortlist."""
    fmt = _output_format(fmt, output)
    r = _load(role)
    sift = _sift(r, inputs, top=top, min_score=min_score, anonymise=anonymise,
                 skip_unreadable=skip_unreadable, include_evidence=include_evidence)
    _report_input_problems(sift)
    writer = FORMATS[fmt.value]
    if output is None:
        writer(sift, sys.stdout.buffer)
        sys.stdout.flush()
    else:
        files, _ = expand_inputs(inputs)
        try:
            write_atomic(output, lambda fh: writer(sift, fh), force=force, inputs=files)
        except ShortlistError as exc:
            fail(str(exc))
        for note in sift.notes:
            warn(note)
        typer.echo(f"Wrote {output} ({fmt.value}). {sift.summary_line()}", err=True)


def _output_format(fmt: OutputFormat | None, output: Path | None) -> OutputFormat:
    if fmt is None and output is not None:
        by_suffix = SUFFIXES.get(output.suffix.lower())
        if by_suffix is None:
            fail(f"cannot tell the format from {output.name!r}; add --format "
                 f"({', '.join(FORMATS)}) or use a suffix: {', '.join(SUFFIXES)}", 2)
        fmt = OutputFormat(by_suffix)
    fmt = fmt or OutputFormat.table
    if fmt is OutputFormat.xlsx and output is None:
        fail("--format xlsx needs an output file: add -o FILE.xlsx", 2)
    return fmt


def _sift(role: Role, inputs: list[Path], **options: Any) -> Sift:
    try:
        return run_sift(role, inputs, **options)
    except ShortlistError as exc:
        msg = str(exc)
        if "could not be read" in msg:
            msg += "\nNo ranking was made, because it would leave applicants out. Fix or " \
                   "remove the files, or use --skip-unreadable to rank the rest."
        fail(msg)


def _report_input_problems(sift: Sift) -> None:
    invalid = sift.summary()["invalid"]
    if invalid:
        warn(f"{invalid} applicant(s) are invalid and not ranked; run `shortlist check` "
             "for every problem with its location.")
    for p in sift.apps.unreadable:
        warn(f"skipped unreadable file {p}")


@app.command()
def check(
    role: RoleArg,
    inputs: InputsArg,
    fmt: Annotated[CheckFormat, typer.Option("--format", "-f", case_sensitive=False,
                                             help="Report format.")] = CheckFormat.table,
) -> None:
    """Report every problem in the role and the inputs, without ranking. Exit 1 on errors."""
    try:
        r = find_role(role)
    except RoleError as exc:
        if fmt is CheckFormat.json:
            typer.echo(json.dumps({"role_problems": [str(p) for p in exc.problems],
                                   "problems": [], "summary": {"errors": len(exc.problems)}},
                                  indent=2))
        else:
            typer.echo("\n".join(str(p) for p in exc.problems))
        fail(f"role file has {len(exc.problems)} problem(s)")
    except ShortlistError as exc:
        fail(str(exc))
    try:
        apps = read_applications(r, inputs)
    except ShortlistError as exc:
        fail(str(exc))
    errors = [p for p in apps.problems if p.is_error]
    warnings = [p for p in apps.problems if p.severity == "warning"]
    summary = {"files": len(apps.inputs), "applicants": len(apps),
               "invalid_applicants": sum(1 for e in apps.errors if any(p.is_error for p in e)),
               "unreadable_files": len({p.file for p in apps.unreadable}),
               "errors": len(errors), "warnings": len(warnings)}
    if fmt is CheckFormat.json:
        typer.echo(json.dumps({
            "role": {"id": r.id, "file": r.path, "sha256": r.sha256},
            "inputs": [{**i.to_dict(), "layout": i.layout, "readable": i.readable,
                        "read_as": i.notes} for i in apps.inputs],
            "problems": [p.to_dict() for p in apps.problems],
            "summary": summary}, indent=2, ensure_ascii=False))
    else:
        rows = [[p.severity, p.file or "", p.sheet or "", "" if p.row is None else p.row,
                 p.column or "", p.message] for p in apps.problems]
        if rows:
            typer.echo(tabulate(rows, ["Severity", "File", "Sheet", "Row", "Column", "Problem"],
                                tablefmt="simple", maxcolwidths=[None, 40, 16, None, 24, 70],
                                disable_numparse=True))
        for i in apps.inputs:
            how = f" ({', '.join(i.notes)})" if i.notes else ""
            state = (f"{i.applicants} applicant(s), {i.layout} layout" if i.readable
                     else "UNREADABLE")
            typer.echo(f"{i.file}: {state}{how}")
        typer.echo(f"{summary['files']} file(s), {summary['applicants']} applicant(s): "
                   f"{summary['errors']} error(s), {summary['warnings']} warning(s); "
                   f"{summary['invalid_applicants']} applicant(s) invalid.")
    if errors:
        raise typer.Exit(1)


@app.command()
def template(
    role: RoleArg,
    output: Annotated[Path, typer.Option(
        "--output", "-o", help="The workbook to write (.xlsx).", dir_okay=False,
        show_default=False)],
    layout: Annotated[Layout, typer.Option(
        "--layout", "-l", case_sensitive=False,
        help="form: one applicant per workbook; table: one applicant per row.")] = Layout.form,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
) -> None:
    """Write a blank workbook for applicants to fill in, with drop-down lists of the scale
    levels and the word limits shown."""
    r = _load(role)
    if output.suffix.lower() != ".xlsx":
        fail(f"template {output.name!r} must be an .xlsx file", 2)
    try:
        write_atomic(output, lambda fh: write_template(r, fh, layout.value), force=force)
    except ShortlistError as exc:
        fail(str(exc))
    typer.echo(f"Wrote {output} ({layout.value} template for {r.id}, "
               f"{len(r.criteria)} criteria).", err=True)


@app.command("roles")
def list_roles() -> None:
    """List the roles found in ./roles/ (or $SHORTLIST_ROLES)."""
    files = role_files()
    if not files:
        fail(f"no role files in {roles_dir()}/ (set $SHORTLIST_ROLES or run from the folder "
             "that holds roles/)")
    rows = []
    bad = False
    for path in files:
        try:
            r = load_role(path)
        except RoleError as exc:
            bad = True
            rows.append(["(invalid)", f"{len(exc.problems)} problem(s): {exc.problems[0]}", "",
                         "", str(path)])
            continue
        rows.append([r.id, r.title, str(len(r.essentials)), str(len(r.desirables)),
                     str(path)])
    typer.echo(tabulate(rows, ["Role", "Title", "Essential", "Desirable", "File"],
                        tablefmt="simple", maxcolwidths=[None, 60, None, None, None]))
    if bad:
        raise typer.Exit(1)


@app.command()
def show(role: RoleArg) -> None:
    """Print a role: its details, scales and every criterion."""
    r = _load(role)
    typer.echo(f"{r.title} ({r.id})")
    for label, value in (("Organisation", r.organisation), ("Location", r.location),
                         ("Reports to", r.reports_to), ("Source", r.source)):
        if value:
            typer.echo(f"{label}: {value}")
    typer.echo(f"Shortlist: top {r.size}, minimum score {r.min_score:g}, tie-break "
               f"{', '.join(r.tie_break) or 'none'}; file {r.path}")
    typer.echo("")
    used = {c.scale.name for c in r.criteria}
    for s in r.scales.values():
        if s.name in used:
            levels = " < ".join(s.levels)
            typer.echo(f"Scale {s.name}: {levels} (points "
                       f"{', '.join(f'{p:g}' for p in s.points)})")
    typer.echo("")
    rows = []
    for c in r.criteria:
        cond = c.applies_if.describe() if c.applies_if else ""
        rows.append([c.id, c.kind, c.scale.name, c.pass_level or "", f"{c.weight:g}",
                     c.evidence, c.word_limit or "", cond, c.section, c.text])
    typer.echo(tabulate(rows, ["ID", "Kind", "Scale", "Pass", "Weight", "Evidence", "Words",
                               "Applies if", "Section", "Criterion"], tablefmt="simple_grid",
                        maxcolwidths=[None] * 7 + [18, 18, 50], disable_numparse=True))


@app.command()
def explain(
    role: RoleArg,
    inputs: InputsArg,
    applicant: Annotated[str, typer.Option("--applicant", "-a", help="The applicant id.",
                                           show_default=False)],
    top: Annotated[int | None, typer.Option("--top", min=1, help="Shortlist size.")] = None,
    min_score: Annotated[float | None, typer.Option("--min-score", min=0, max=100,
                                                    help="Lowest score shortlisted.")] = None,
    fmt: Annotated[CheckFormat, typer.Option("--format", "-f", case_sensitive=False,
                                             help="Output format.")] = CheckFormat.table,
    anonymise: Annotated[bool, typer.Option("--anonymise", help="Leave the name out.")
                         ] = False,
) -> None:
    """Show how one applicant's score, rank and shortlist decision arose."""
    r = _load(role)
    sift = _sift(r, inputs, top=top, min_score=min_score, anonymise=anonymise)
    try:
        data = explain_applicant(sift, applicant)
    except ShortlistError as exc:
        fail(str(exc))
    if fmt is CheckFormat.json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        typer.echo(render_explanation(sift, data), nl=False)


def main() -> None:
    """Entry point: run the app; our own errors become one line, never a traceback."""
    try:
        app()
    except ShortlistError as exc:
        typer.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        typer.echo("Interrupted.", err=True)
        sys.exit(130)
    except Exception as exc:  # a bug: say so plainly rather than dump a traceback
        if os.environ.get("SHORTLIST_DEBUG"):
            raise
        typer.echo(f"Error: internal error ({type(exc).__name__}: {exc}). Set "
                   "SHORTLIST_DEBUG=1 for details and please report it.", err=True)
        sys.exit(1)
