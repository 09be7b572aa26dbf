"""The `shortlist` command: a thin Typer layer over the library.

Data goes to stdout, messages to stderr. Exit codes: 0 success (flagged failures included),
1 bad role file, unreadable input or `check` found errors, 2 usage error.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import fields as dataclass_fields
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from tabulate import tabulate

from . import __version__
from .audit import write_with_record
from .batch import BATCH_FORMATS, Campaign, PlanError, load_plan, run_batch
from .errors import RoleError, ShortlistError, UnreadableInputs
from .explain import explain as explain_applicant
from .explain import render_explanation
from .exporters import FORMATS, SUFFIXES
from .exporters.impact import IMPACT_FORMATS
from .impact import UnknownMonitoringField
from .impact import impact as impact_report
from .marksheet import write_marking_sheet
from .output import write_atomic
from .progress import Reporter
from .readers import DEFAULT_LIMITS, Limits, expand_inputs, read_applications
from .role import Role, find_role, load_role, role_files, roles_dir
from .save import write_output
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
    marking = "marking"


class CombineRule(StrEnum):
    mean = "mean"
    median = "median"
    min = "min"


MarksOpt = Annotated[list[Path] | None, typer.Option(
    "--marks", "-m", help="An assessor's marking sheet (from `template --layout marking`); "
    "repeat for each assessor. Marks replace self-ratings where given.", dir_okay=False,
    show_default=False)]
AgreedOpt = Annotated[Path | None, typer.Option(
    "--agreed", help="The marking sheet agreed at moderation: its marks override the "
    "assessors' cell by cell (needs --marks).", dir_okay=False, show_default=False)]
CombineOpt = Annotated[CombineRule | None, typer.Option(
    "--combine", case_sensitive=False, help="How several assessors' marks on a criterion "
    "combine: mean, median or min of their points (default mean; needs --marks).",
    show_default=False)]


def _panel(marks: list[Path] | None, agreed: Path | None,
           combine: CombineRule | None) -> dict[str, Any]:
    """run_sift's panel options, after checking they make sense together."""
    if not marks and (agreed is not None or combine is not None):
        fail(f"{'--agreed' if agreed is not None else '--combine'} needs the assessors' "
             "marking sheets: add --marks FILE for each", 2)
    return {"marks": marks or [], "agreed": agreed,
            "combine": (combine or CombineRule.mean).value}


RoleArg = Annotated[str, typer.Argument(
    help="A role id found in ./roles/ (or $SHORTLIST_ROLES), or a path to a role .toml file.",
    show_default=False)]
InputsArg = Annotated[list[Path], typer.Argument(
    help="Application files (.xlsx .xlsm .xls .ods .csv) or folders of them.",
    show_default=False)]


QuietOpt = Annotated[bool, typer.Option(
    "--quiet", "-q", help="No progress display and no 'Wrote …' message (warnings and errors "
    "are still shown).")]
LimitOpt = Annotated[list[str] | None, typer.Option(
    "--limit", metavar="NAME=VALUE", help="Raise (or lower) a safety limit on input files, "
    "e.g. --limit max_cells=50000000. Repeatable; names: " + ", ".join(
        f.name for f in dataclass_fields(Limits)) + ".", show_default=False)]


def _limits(values: list[str] | None) -> Limits:
    """`--limit NAME=VALUE` options → Limits (usage error on an unknown name or bad value)."""
    limits = DEFAULT_LIMITS
    known = {f.name: f for f in dataclass_fields(Limits)}
    for item in values or []:
        name, _, raw = item.partition("=")
        name = name.strip()
        if name not in known:
            fail(f"--limit {item!r}: unknown limit; expected NAME=VALUE with NAME one of "
                 f"{', '.join(known)}", 2)
        number: Any
        try:
            number = float(raw.replace("_", "")) if known[name].type == "float" \
                else int(raw.replace("_", ""))
        except ValueError:
            fail(f"--limit {item!r}: expected a number after '='", 2)
        if number <= 0:
            fail(f"--limit {item!r}: expected a positive number", 2)
        limits = replace(limits, **{name: number})
    return limits


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
        "--anonymise", help="Name-blind: leave names and personal fields out, show "
        "applicant ids only, and name input files 'input 1', 'input 2'….")
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
    marks: MarksOpt = None,
    agreed: AgreedOpt = None,
    combine: CombineOpt = None,
    limit: LimitOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Score and rank applicants, flag essential failures, and print or export the shortlist."""
    fmt = _output_format(fmt, output)
    panel = _panel(marks, agreed, combine)
    limits = _limits(limit)
    r = _load(role)
    with Reporter.for_terminal(quiet) as progress:
        sift = _sift(r, inputs, top=top, min_score=min_score, anonymise=anonymise,
                     skip_unreadable=skip_unreadable, include_evidence=include_evidence,
                     limits=limits, on_file=progress.file, **panel)
        progress.stage(f"Writing {output.name if output else fmt.value}")
        if output is None:
            FORMATS[fmt.value](sift, sys.stdout.buffer)
            sys.stdout.flush()
        else:
            files, _ = expand_inputs(inputs)
            try:
                written = write_output(sift, output, fmt.value, force=force, inputs=[
                    *files, *panel["marks"], *filter(None, [panel["agreed"]])])
            except ShortlistError as exc:
                fail(str(exc))
    _report_input_problems(sift)
    for note in sift.notes:
        warn(note)
    if output is not None and not quiet:
        record = f" (run record in {written[1]})" if len(written) > 1 else ""
        typer.echo(f"Wrote {output} ({fmt.value}){record}. {sift.summary_line()}", err=True)


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
    except UnreadableInputs as exc:
        fail(f"{exc}\nNo ranking was made, because it would leave applicants out. Fix or "
             "remove the files, or use --skip-unreadable to rank the rest.")
    except ShortlistError as exc:
        fail(str(exc))


MAX_WARNINGS_SHOWN = 10


def _report_input_problems(sift: Sift) -> None:
    """On stderr: the inputs' warnings (formula cells, hidden sheets…), one line each with its
    location (the first few when there are many), the invalid applicants' count and the files
    skipped. Columns that match nothing (an email address, a timestamp) are normal in exported
    forms: `check` names them; here they are one line."""
    unmatched = [p for p in sift.apps.problems if p.type == "unmatched-column"]
    if unmatched:
        warn(f"{len(unmatched)} column(s) match no field or criterion of the role and are not "
             "used; run `shortlist check` to see which.")
    warnings = [p for p in sift.apps.problems
                if p.severity == "warning" and p.type != "unmatched-column"]
    shown = warnings if len(warnings) <= MAX_WARNINGS_SHOWN else \
        warnings[:MAX_WARNINGS_SHOWN - 1]
    for p in shown:
        warn(str(p))
    if len(shown) < len(warnings):
        warn(f"… and {len(warnings) - len(shown)} more warning(s) about the inputs; run "
             "`shortlist check` for every one with its location.")
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
    limit: LimitOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Report every problem in the role and the inputs, without ranking. Exit 1 on errors."""
    limits = _limits(limit)
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
        with Reporter.for_terminal(quiet) as progress:
            apps = read_applications(r, inputs, limits=limits, on_file=progress.file)
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
        help="form: one applicant per workbook; table: one applicant per row; marking: an "
        "assessor's marking sheet for the applicants in INPUT.")] = Layout.form,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    inputs: Annotated[list[Path] | None, typer.Argument(
        help="--layout marking only: the application files (or folders) to mark.",
        show_default=False)] = None,
    everyone: Annotated[bool, typer.Option(
        "--all", help="--layout marking: list every valid applicant, not only those meeting "
        "every essential criterion on self-assessment.")] = False,
    names: Annotated[bool, typer.Option(
        "--names", help="--layout marking: show applicants' names (name-blind by default).")
    ] = False,
    assessor: Annotated[str, typer.Option(
        "--assessor", help="--layout marking: fill in the Assessor cell.")] = "",
) -> None:
    """Write a blank workbook for applicants to fill in, with drop-down lists of the scale
    levels and the word limits shown; or (--layout marking) an assessor's marking sheet."""
    r = _load(role)
    if output.suffix.lower() != ".xlsx":
        fail(f"template {output.name!r} must be an .xlsx file", 2)
    if layout is Layout.marking:
        _marking_template(r, output, inputs or [], everyone=everyone, names=names,
                          assessor=assessor, force=force)
        return
    if inputs or everyone or names or assessor:
        fail("INPUT, --all, --names and --assessor are for --layout marking", 2)
    try:
        write_atomic(output, lambda fh: write_template(r, fh, layout.value), force=force,
                     inputs=[Path(r.path)] if r.path else [])
    except ShortlistError as exc:
        fail(str(exc))
    typer.echo(f"Wrote {output} ({layout.value} template for {r.id}, "
               f"{len(r.criteria)} criteria).", err=True)


def _marking_template(r: Role, output: Path, inputs: list[Path], *, everyone: bool,
                      names: bool, assessor: str, force: bool) -> None:
    if not inputs:
        fail("--layout marking needs the applications to mark: add INPUT files or folders", 2)
    sift = _sift(r, inputs)
    _report_input_problems(sift)
    files, _ = expand_inputs(inputs)
    listed: list[int] = []
    try:
        write_atomic(output, lambda fh: listed.append(write_marking_sheet(
            sift, fh, everyone=everyone, names=names, assessor=assessor)),
            force=force, inputs=[*files, *sift.files_read])
    except ShortlistError as exc:
        fail(str(exc))
    who = "valid applicants" if everyone else \
        "applicants meeting every essential criterion on self-assessment"
    typer.echo(f"Wrote {output} (marking sheet for {r.id}: {listed[0]} {who}"
               f"{'' if names else ', name-blind'}).", err=True)


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
                               "Applies if", "Section", "Criterion"], tablefmt="simple_outline",
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
    anonymise: Annotated[bool, typer.Option(
        "--anonymise", help="Leave the name and personal fields out; name the inputs "
        "'input 1', 'input 2'….")] = False,
    marks: MarksOpt = None,
    agreed: AgreedOpt = None,
    combine: CombineOpt = None,
) -> None:
    """Show how one applicant's score, rank and shortlist decision arose."""
    panel = _panel(marks, agreed, combine)
    r = _load(role)
    sift = _sift(r, inputs, top=top, min_score=min_score, anonymise=anonymise, **panel)
    try:
        data = explain_applicant(sift, applicant)
    except ShortlistError as exc:
        fail(str(exc))
    if fmt is CheckFormat.json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        typer.echo(render_explanation(sift, data), nl=False)


class ImpactFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


@app.command()
def impact(
    role: RoleArg,
    inputs: InputsArg,
    by: Annotated[str | None, typer.Option(
        "--by", help="Report by this monitoring field only (default: every monitoring "
        "field of the role).", show_default=False)] = None,
    top: Annotated[int | None, typer.Option("--top", min=1, help="Shortlist size.")] = None,
    min_score: Annotated[float | None, typer.Option("--min-score", min=0, max=100,
                                                    help="Lowest score shortlisted.")] = None,
    fmt: Annotated[ImpactFormat | None, typer.Option(
        "--format", "-f", case_sensitive=False,
        help="Output format; by default taken from -o's suffix, else table.")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Write to this file instead of stdout (csv: with its run "
        "record beside it as FILE.run.json).", dir_okay=False)] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output file.")
                     ] = False,
    anonymise: Annotated[bool, typer.Option(
        "--anonymise", help="Name the inputs 'input 1', 'input 2'… in the run record.")
    ] = False,
    skip_unreadable: Annotated[bool, typer.Option(
        "--skip-unreadable", help="Report on the readable files even if some cannot be read.")
    ] = False,
    marks: MarksOpt = None,
    agreed: AgreedOpt = None,
    combine: CombineOpt = None,
) -> None:
    """Adverse impact by stage (applied, met essentials, shortlisted) for each monitoring
    field and group, with the four-fifths flag; on the panel's marks with --marks. Groups
    under 5 are combined into one row so that none can be worked out from the totals."""
    panel = _panel(marks, agreed, combine)
    if fmt is None and output is not None:
        by_suffix = {".txt": "table", ".csv": "csv", ".json": "json"}.get(output.suffix.lower())
        if by_suffix is None:
            fail(f"cannot tell the format from {output.name!r}; add --format "
                 f"({', '.join(IMPACT_FORMATS)}) or use a suffix: .txt, .csv, .json", 2)
        fmt = ImpactFormat(by_suffix)
    fmt = fmt or ImpactFormat.table
    r = _load(role)
    sift = _sift(r, inputs, top=top, min_score=min_score, anonymise=anonymise,
                 skip_unreadable=skip_unreadable, **panel)
    try:
        report = impact_report(sift, by)
    except UnknownMonitoringField as exc:
        fail(str(exc), 2)
    except ShortlistError as exc:
        fail(str(exc))
    writer = IMPACT_FORMATS[fmt.value]
    if output is None:
        writer(report, sys.stdout.buffer)
        sys.stdout.flush()
        return
    files, _ = expand_inputs(inputs)
    try:
        written = write_with_record(output, lambda fh: writer(report, fh), report.record,
                                    sidecar=fmt is ImpactFormat.csv, force=force,
                                    inputs=[*files, *sift.files_read])
    except ShortlistError as exc:
        fail(str(exc))
    record = f" (run record in {written[1]})" if len(written) > 1 else ""
    typer.echo(f"Wrote {output} ({fmt.value}){record}.", err=True)


@app.command()
def batch(
    plan: Annotated[Path, typer.Argument(
        help="The plan: a TOML file listing the campaigns (role, inputs, options, output); "
        "paths in it are relative to it.", exists=True, dir_okay=False, show_default=False)],
    fmt: Annotated[CheckFormat, typer.Option("--format", "-f", case_sensitive=False,
                                             help="Summary format.")] = CheckFormat.table,
    force: Annotated[bool, typer.Option("--force", help="Replace existing output files.")
                     ] = False,
) -> None:
    """Run every campaign in a plan and print a summary; a failing campaign is reported and
    the rest still run. Exit 1 if any failed."""
    try:
        p = load_plan(plan)
    except PlanError as exc:
        fail(str(exc))

    def progress(k: int, c: Campaign) -> None:
        typer.echo(f"[{k}/{len(p.campaigns)}] {c.name}", err=True)

    result = run_batch(p, force=force, progress=progress)
    BATCH_FORMATS[fmt.value](result, sys.stdout.buffer)
    sys.stdout.flush()
    if result.failed:
        raise typer.Exit(1)


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
