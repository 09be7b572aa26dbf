"""Batch runs: many campaigns (a role, its applications, options and an output) from one plan.

A plan is a TOML file, validated like a role file (every problem reported together, each with
the plan file, the campaign and the key, and what was expected)::

    [defaults]                      # optional: options for every campaign
    anonymise = true

    [[campaigns]]
    name = "secou-ds"               # required and unique: names the campaign in the summary
    role = "../../roles/secou-ds.toml"   # a role file, or a role id (as on the command line)
    inputs = ["../secou-ds/applications.xlsx"]   # files or folders
    output = "out/secou-ds.xlsx"    # optional; the format follows the suffix unless `format`
    format = "xlsx"                 # optional: table, csv, json, xlsx
    top = 8                         # optional options, as on the command line:
    min_score = 0                   #   top, min_score, anonymise, skip_unreadable,
    anonymise = false               #   include_evidence

Paths are relative to the plan file. `run_batch` runs every campaign; one that fails (a bad
role file, an unreadable input, an output that exists) is recorded with its error and the
rest still run. An output's folder is made if missing.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from tabulate import tabulate

from . import __version__
from .errors import RoleError, ShortlistError
from .exporters import FORMATS, SUFFIXES
from .paths import display_path
from .readers import expand_inputs
from .role import find_role, load_role
from .save import write_output
from .sift import run_sift

OPTION_KEYS = ("top", "min_score", "anonymise", "skip_unreadable", "include_evidence",
               "format")
CAMPAIGN_KEYS = ("name", "role", "inputs", "output", *OPTION_KEYS)
PLAN_KEYS = ("defaults", "campaigns")


@dataclass(frozen=True)
class PlanProblem:
    """One problem in a plan: which file, which campaign (or table), which key."""

    file: str
    message: str
    campaign: str | None = None
    key: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.campaign:
            where.append(self.campaign)
        if self.key:
            where.append(f"key {self.key!r}")
        return f"{', '.join(where)}: {self.message}"


class PlanError(ShortlistError):
    """A plan could not be loaded; carries every problem found in it."""

    def __init__(self, problems: Sequence[PlanProblem]):
        self.problems = list(problems)
        super().__init__(f"plan has {len(self.problems)} problem(s):\n"
                         + "\n".join(f"  {p}" for p in self.problems))


@dataclass(frozen=True)
class Campaign:
    name: str
    role: str
    #: The role file, when `role` is a path (resolved against the plan's folder).
    role_path: Path | None
    inputs: tuple[Path, ...]
    output: Path | None = None
    format: str | None = None
    top: int | None = None
    min_score: float | None = None
    anonymise: bool = False
    skip_unreadable: bool = False
    include_evidence: bool = False


@dataclass(frozen=True)
class Plan:
    path: str
    sha256: str
    campaigns: tuple[Campaign, ...]


@dataclass
class CampaignResult:
    campaign: Campaign
    error: str | None = None
    role_id: str | None = None
    summary: dict[str, Any] | None = None
    #: The run record of the campaign's sift (see `shortlist.audit`).
    record: dict[str, Any] | None = None
    files: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        c = self.campaign
        return {
            "name": c.name,
            "status": "ok" if self.ok else "failed",
            "error": self.error,
            "role": self.role_id or c.role,
            "output": display_path(c.output) if c.output else None,
            "format": _format_of(c) if c.output else None,
            "files": [display_path(p) for p in self.files],
            "summary": self.summary,
            "run": self.record,
        }


@dataclass
class BatchResult:
    plan: Plan
    results: list[CampaignResult]
    force: bool = False
    created: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def failed(self) -> list[CampaignResult]:
        return [r for r in self.results if not r.ok]

    def to_dict(self) -> dict[str, Any]:
        return {
            "shortlist_version": __version__,
            "plan": {"file": display_path(Path(self.plan.path)), "sha256": self.plan.sha256},
            "options": {"force": self.force},
            "created": self.created.isoformat(timespec="seconds"),
            "summary": {"campaigns": len(self.results),
                        "succeeded": len(self.results) - len(self.failed),
                        "failed": len(self.failed)},
            "campaigns": [r.to_dict() for r in self.results],
        }


# ---------------------------------------------------------------------------------------------
# Loading and validation


class _Collector:
    def __init__(self, file: str):
        self.file = file
        self.problems: list[PlanProblem] = []

    def add(self, message: str, campaign: str | None = None, key: str | None = None) -> None:
        self.problems.append(PlanProblem(self.file, message, campaign, key))


def _check_options(table: Mapping[str, Any], where: str, out: _Collector) -> dict[str, Any]:
    """The options in `table`, each checked; bad ones are reported and left out."""
    options: dict[str, Any] = {}
    if "top" in table:
        top = table["top"]
        if isinstance(top, bool) or not isinstance(top, int) or top < 1:
            out.add(f"is {top!r}; expected a whole number of at least 1", where, "top")
        else:
            options["top"] = top
    if "min_score" in table:
        ms = table["min_score"]
        if isinstance(ms, bool) or not isinstance(ms, int | float) or not 0 <= ms <= 100:
            out.add(f"is {ms!r}; expected a number from 0 to 100", where, "min_score")
        else:
            options["min_score"] = float(ms)
    for key in ("anonymise", "skip_unreadable", "include_evidence"):
        if key in table:
            if not isinstance(table[key], bool):
                out.add(f"is {table[key]!r}; expected true or false", where, key)
            else:
                options[key] = table[key]
    if "format" in table:
        fmt = table["format"]
        if fmt not in FORMATS:
            out.add(f"is {fmt!r}; expected one of {', '.join(FORMATS)}", where, "format")
        else:
            options["format"] = fmt
    return options


def _unknown(table: Mapping[str, Any], allowed: Sequence[str], where: str | None,
             out: _Collector) -> None:
    for key in table:
        if key not in allowed:
            out.add(f"is not a known key; expected one of {', '.join(allowed)}", where, key)


def load_plan(path: str | os.PathLike[str]) -> Plan:
    """Load and validate a plan; raise `PlanError` listing every problem found."""
    file = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise PlanError([PlanProblem(file, f"cannot be read: {exc.strerror or exc}")]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise PlanError([PlanProblem(file, "is not UTF-8 text")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise PlanError([PlanProblem(file, f"is not valid TOML: {exc}")]) from None
    out = _Collector(file)
    base = Path(path).parent
    _unknown(data, PLAN_KEYS, "top level", out)
    defaults: dict[str, Any] = {}
    raw_defaults = data.get("defaults", {})
    if not isinstance(raw_defaults, dict):
        out.add("expected a [defaults] table", "[defaults]")
    else:
        _unknown(raw_defaults, OPTION_KEYS, "[defaults]", out)
        defaults = _check_options(raw_defaults, "[defaults]", out)
    tables = data.get("campaigns")
    if not isinstance(tables, list) or not tables:
        out.add("expected at least one [[campaigns]] table with a name, a role and inputs",
                "top level", "campaigns")
        tables = []
    campaigns: list[Campaign] = []
    names: set[str] = set()
    outputs: dict[Path, str] = {}
    for n, table in enumerate(tables, 1):
        where = f"campaign #{n}"
        if not isinstance(table, dict):
            out.add("expected a [[campaigns]] table", where)
            continue
        name = table.get("name")
        if not isinstance(name, str) or not name.strip():
            out.add("is missing or blank; expected the campaign's name (text)", where, "name")
            name = ""
        else:
            name = name.strip()
            where = f"campaign {name!r}"
            if name in names:
                out.add("is used by another campaign; expected each name once", where, "name")
            names.add(name)
        _unknown(table, CAMPAIGN_KEYS, where, out)
        role = table.get("role")
        role_path: Path | None = None
        if not isinstance(role, str) or not role.strip():
            out.add("is missing or blank; expected a role file (relative to the plan) or a "
                    "role id", where, "role")
            role = ""
        elif role.endswith(".toml") or "/" in role or os.sep in role:
            role_path = _resolve(base, role)
        inputs = table.get("inputs")
        if isinstance(inputs, str):
            inputs = [inputs]
        if (not isinstance(inputs, list) or not inputs
                or not all(isinstance(i, str) and i.strip() for i in inputs)):
            out.add(f"is {inputs!r}; expected a list of files or folders (relative to the "
                    "plan)", where, "inputs")
            inputs = []
        options = {**defaults, **_check_options(table, where, out)}
        output: Path | None = None
        raw_output = table.get("output")
        if raw_output is not None:
            if not isinstance(raw_output, str) or not raw_output.strip():
                out.add(f"is {raw_output!r}; expected a file name (relative to the plan)",
                        where, "output")
            else:
                output = _resolve(base, raw_output)
                if "format" not in options and output.suffix.lower() not in SUFFIXES:
                    out.add(f"is {raw_output!r}, whose suffix names no format; expected a "
                            f"suffix {', '.join(SUFFIXES)} or a `format` key", where, "output")
                key = output.resolve()
                if key in outputs:
                    out.add(f"is also the output of campaign {outputs[key]!r}; expected each "
                            "campaign to write its own file", where, "output")
                outputs[key] = name
        elif options.get("format") == "xlsx":
            out.add("is missing; format xlsx needs an output file", where, "output")
        campaigns.append(Campaign(
            name, role, role_path, tuple(_resolve(base, i) for i in inputs), output,
            options.get("format"), options.get("top"), options.get("min_score"),
            options.get("anonymise", False), options.get("skip_unreadable", False),
            options.get("include_evidence", False)))
    if out.problems:
        raise PlanError(out.problems)
    return Plan(file, hashlib.sha256(raw).hexdigest(), tuple(campaigns))


# ---------------------------------------------------------------------------------------------
# Running


def run_campaign(c: Campaign, *, force: bool = False,
                 protect: Sequence[Path] = ()) -> CampaignResult:
    """Run one campaign and write its output; its failure is recorded, never raised. The
    output is never written over one of the campaign's own inputs or role file, nor over
    one of `protect` (say, the plan and every other campaign's files)."""
    result = CampaignResult(c)
    try:
        role = load_role(c.role_path) if c.role_path is not None else find_role(c.role)
        result.role_id = role.id
        sift = run_sift(role, c.inputs, top=c.top, min_score=c.min_score,
                        anonymise=c.anonymise, skip_unreadable=c.skip_unreadable,
                        include_evidence=c.include_evidence)
        if c.output is not None:
            files, _ = expand_inputs(c.inputs)
            c.output.parent.mkdir(parents=True, exist_ok=True)
            result.files = write_output(sift, c.output, _format_of(c), force=force,
                                        inputs=[*files, *protect])
        result.summary = sift.summary()
        result.record = sift.run_record()
    except RoleError as exc:
        result.error = (f"role file has {len(exc.problems)} problem(s): "
                        + "; ".join(str(p) for p in exc.problems))
    except ShortlistError as exc:
        result.error = str(exc)
    except OSError as exc:
        result.error = f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
    return result


def plan_files(plan: Plan) -> list[Path]:
    """The files a plan reads: the plan itself and every campaign's role file and inputs
    (as far as they can be found; a campaign whose files cannot be found fails on its own)."""
    files = [Path(plan.path)]
    for c in plan.campaigns:
        with contextlib.suppress(ShortlistError):
            files.append(c.role_path if c.role_path is not None else Path(find_role(c.role).path))
        for i in c.inputs:
            with contextlib.suppress(ShortlistError):
                files += expand_inputs([i])[0]
    return files


def run_batch(plan: Plan | str | os.PathLike[str], *, force: bool = False,
              progress: Callable[[int, Campaign], None] | None = None) -> BatchResult:
    """Run every campaign of `plan` (a `Plan` or a plan file: `PlanError` if it is invalid),
    continuing past any that fails. `progress(k, campaign)` is called before each. No
    campaign's output is written over the plan or any campaign's role file or inputs."""
    if not isinstance(plan, Plan):
        plan = load_plan(plan)
    protect = plan_files(plan)
    results = []
    for k, c in enumerate(plan.campaigns, 1):
        if progress is not None:
            progress(k, c)
        results.append(run_campaign(c, force=force, protect=protect))
    return BatchResult(plan, results, force)


def _resolve(base: Path, path: str) -> Path:
    """`path` from a plan: relative to the plan's folder; `..` resolved (so messages name
    the file plainly)."""
    return Path(os.path.normpath(base.absolute() / Path(path).expanduser()))


def _format_of(c: Campaign) -> str:
    if c.format is not None:
        return c.format
    return SUFFIXES.get(c.output.suffix.lower(), "table") if c.output else "table"



# ---------------------------------------------------------------------------------------------
# The summary


SUMMARY_HEAD = ["Campaign", "Role", "Applicants", "Ranked", "Failed\nessential", "Invalid",
                "Shortlisted", "Output"]


def render_batch(result: BatchResult) -> str:
    rows = []
    for r in result.results:
        s = r.summary or {}
        output = display_path(r.campaign.output) if r.campaign.output else "(none)"
        rows.append([r.campaign.name, r.role_id or r.campaign.role,
                     *(str(s[k]) if r.ok else "" for k in
                       ("applicants", "ranked", "failed_essential", "invalid", "shortlisted")),
                     output if r.ok else "FAILED (see below)"])
    lines = [tabulate(rows, SUMMARY_HEAD, tablefmt="simple_outline", disable_numparse=True,
                      maxcolwidths=[30, 20, None, None, None, None, None, 50])]
    for r in result.failed:
        lines.append(f"Campaign {r.campaign.name!r} failed: {r.error}")
    d = result.to_dict()
    lines.append(f"{d['summary']['campaigns']} campaign(s): {d['summary']['succeeded']} "
                 f"succeeded, {d['summary']['failed']} failed.")
    lines.append("")
    lines.append(f"Run record: shortlist {__version__}, created {d['created']}")
    lines.append(f"  plan: {d['plan']['file']}, SHA-256 {d['plan']['sha256']}")
    lines.append("  each output carries its own run record (inputs and their SHA-256)")
    return "\n".join(lines) + "\n"


def write_batch_table(result: BatchResult, out: BinaryIO) -> None:
    out.write(render_batch(result).encode("utf-8"))


def write_batch_json(result: BatchResult, out: BinaryIO) -> None:
    text = json.dumps(result.to_dict(), ensure_ascii=False, indent=2, allow_nan=False)
    out.write(text.encode("utf-8") + b"\n")


BATCH_FORMATS: dict[str, Callable[[BatchResult, BinaryIO], None]] = {
    "table": write_batch_table,
    "json": write_batch_json,
}
