#!/usr/bin/env python3
"""Benchmark `shortlist rank` at national-campaign scale.

Generates seeded synthetic workbooks (cached under benchmarks/data/), then times, each in its
own process so that peak RSS is clean:

- ours: `python -m shortlist rank ROLE INPUT -o OUT.xlsx --force`, end to end, and its stages
  (imports, role, read, score+rank, write xlsx) timed in-process with the library;
- the naive baseline a user would write: `pandas.read_excel` (default engine, openpyxl), a
  per-row Python loop for the score and the essential check, `sort_values`, and
  `DataFrame.to_excel` (default engine);
- the floor: python-calamine's raw read of the same file, plus xlsxwriter (constant_memory)
  writing the same cells as our output workbook;
- for a folder of one-applicant form workbooks: our read against an openpyxl (read-only) loop.

Prints Markdown tables: medians of --repeat runs, ratios, peak RSS, and PASS/FAIL for each
speed and memory target. Run from anywhere with the project's interpreter:

    .venv/bin/python benchmarks/bench.py                 # 2,000, 20,000 and 50,000 + forms
    .venv/bin/python benchmarks/bench.py --size 20000    # one size only

Generated workbooks are deleted at the end unless --keep-data; workbooks already present
(kept by an earlier run with the same parameters) are reused and left in place.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STARTED = time.time()  # for workers: when this interpreter reached our code
HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"
OUT = HERE / "out"
GENERATOR_VERSION = 1  # bump when the generated data changes, so caches are rebuilt
DEFAULT_SEED = 5
TARGET_SIZE = 20_000  # the size the speed and memory targets are stated for
BIG_SIZE = 50_000

# Targets: (key, description, limit, "min" = measured >= limit, "max" = <= limit).
TARGETS = (
    ("speedup", "end to end vs naive baseline at 20,000 (baseline / ours)", 6.0, "min"),
    ("vs_floor", "end to end vs floor at 20,000 (ours / floor)", 2.0, "max"),
    ("scaling", "50,000 vs 20,000 time (ours 50k / ours 20k)", 2.8, "max"),
    ("rss", "peak RSS at 20,000 vs raw calamine read (ours / calamine)", 1.5, "max"),
    ("forms", "1,000 forms read vs openpyxl (openpyxl / ours)", 8.0, "min"),
)

# ---------------------------------------------------------------------------------------------
# The benchmark role: 30 criteria (10 essential, 20 desirable), evidence required, 250 words.

EXPERIENCE = ("None", "Limited", "Some", "Substantial", "Extensive")
PROFICIENCY = ("None", "Developing", "Competent", "Expert")
SCALES = {"experience": EXPERIENCE, "proficiency": PROFICIENCY}
RANKS = ("Constable", "Detective Constable", "Sergeant", "Detective Sergeant")
SEXES = ("Female", "Male", "Prefer not to say")
CONDITIONAL = {"D20": ("current_rank", ("Constable", "Detective Constable"))}
WORD_LIMIT = 250
# How applicants rate themselves: skewed towards the upper levels, as self-assessments are.
LEVEL_WEIGHTS = {"experience": (0.005, 0.015, 0.25, 0.42, 0.31),
                 "proficiency": (0.03, 0.17, 0.50, 0.30)}


@dataclass(frozen=True)
class Crit:
    id: str
    kind: str
    scale: str
    pass_level: str | None
    weight: int


def criteria() -> list[Crit]:
    out = [Crit(f"E{i}", "essential", "experience", "Substantial" if i == 1 else "Some",
                2 if i <= 3 else 1) for i in range(1, 11)]
    out += [Crit(f"D{i}", "desirable", "proficiency" if i % 2 else "experience", None, 1)
            for i in range(1, 21)]
    return out


def role_toml() -> str:
    lines = [
        "# Benchmark role written by benchmarks/bench.py: 30 criteria (10 essential, 20",
        "# desirable), evidence required, 250-word limit. Not a real role.",
        "[role]", 'id = "bench-30"', 'title = "Benchmark role (30 criteria)"',
        'organisation = "shortlist benchmarks"', "",
        "[shortlist]", "size = 20", "min_score = 0", f"word_limit = {WORD_LIMIT}",
        'tie_break = ["desirable", "essential"]', "",
    ]
    for name, levels in SCALES.items():
        lines += [f"[scales.{name}]", "levels = [" + ", ".join(f'"{v}"' for v in levels) + "]",
                  'aliases = { "n/a" = "None" }', ""]
    lines += ["[[fields]]", 'name = "current_rank"', 'label = "Current rank"',
              "required = true", "values = [" + ", ".join(f'"{v}"' for v in RANKS) + "]", "",
              "[[fields]]", 'name = "sex"', 'label = "Sex"', "monitoring = true",
              "values = [" + ", ".join(f'"{v}"' for v in SEXES) + "]", ""]
    for c in criteria():
        section = "Essential criteria" if c.kind == "essential" else "Desirable criteria"
        lines += ["[[criteria]]", f'id = "{c.id}"', f'section = "{section}"',
                  f'text = "{criterion_text(c)}"', f'kind = "{c.kind}"', f'scale = "{c.scale}"']
        if c.pass_level:
            lines.append(f'pass = "{c.pass_level}"')
        lines += [f"weight = {c.weight}", 'evidence = "required"', f"word_limit = {WORD_LIMIT}"]
        if c.id in CONDITIONAL:
            field, values = CONDITIONAL[c.id]
            lines.append(f'applies_if = {{ field = "{field}", in = ['
                         + ", ".join(f'"{v}"' for v in values) + "] }")
        lines.append("")
    return "\n".join(lines)


def criterion_text(c: Crit) -> str:
    return f"Benchmark criterion {c.id}: {TOPICS[int(c.id[1:]) % len(TOPICS)]}"


TOPICS = (
    "leading complex investigations", "supervising a team of investigators",
    "managing covert intelligence sources", "preparing case files for court",
    "disclosure under CPIA", "risk assessment and management", "interviewing suspects",
    "working with partner agencies", "financial investigation", "digital evidence",
    "briefing and debriefing operations", "coaching and developing staff",
)

_WORDS = """
investigation evidence suspect witness statement interview officer team supervised led managed
operation intelligence source covert surveillance warrant arrest custody charge prosecution
court file disclosure exhibit forensic digital phone download analysis review decision log
policy risk assessment threat harm victim safeguarding partner agency briefing debrief plan
strategy tactical resources budget overtime deployment priority objective outcome result
successful conviction sentence months years complex serious organised crime drugs firearms
fraud money laundering trafficking exploitation county lines vulnerable young people families
community engagement trust confidence public protection national regional force unit squad
detective sergeant constable inspector senior investigating manager colleague mentor coached
developed trained assessed feedback performance development review welfare wellbeing support
pressure deadline timescale weekend night shift rota allocation workload quality standard
compliance legislation PACE RIPA CPIA code practice guidance authority authorised application
renewed cancelled reviewed audited inspected recorded documented submitted presented attended
liaised coordinated negotiated challenged escalated resolved identified recognised ensured
maintained improved reduced increased delivered achieved completed secured obtained seized
recovered cash vehicles premises search entry scene cordon preservation continuity integrity
"""
WORD_BANK = _WORDS.split()

_FIRST = ("Alex Sam Jordan Taylor Morgan Casey Jamie Robin Chris Pat Lee Dana Kim Ash "
          "Priya Amir Chen Fatima Oliver Amelia Noah Isla Jack Grace Mohammed Olivia "
          "Harry Emily George Sophie Arjun Zara Tom Ruth Kofi Aisha")
FIRST_NAMES = _FIRST.split()
_LAST = ("Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Roberts Johnson "
         "Walker Wright Khan Patel Ali Hughes Edwards Green Hall Wood Clarke Jackson Hill "
         "Lewis Harris Martin Cooper Ward Morris Okafor Nowak Murphy Kelly")
SURNAMES = _LAST.split()


def write_role(path: Path) -> None:
    text = role_toml()
    if not path.exists() or path.read_text("utf-8") != text:
        path.write_text(text, "utf-8")


# ---------------------------------------------------------------------------------------------
# Data generation (seeded, cached by parameters)


class TextPool:
    """Random evidence: windows of 30–120 words from one long seeded stream of bank words.

    Slicing a pre-joined stream is ~50× faster than joining fresh words per cell, and windows
    start at random places in a stream far longer than deflate's 32 KB window, so the workbook
    compresses like independent texts do."""

    def __init__(self, rng: Any, words: int = 2_000_000):
        import numpy as np

        bank = np.array(WORD_BANK, dtype=object)
        picks = bank[rng.integers(0, len(bank), words)]
        lengths = np.fromiter((len(w) + 1 for w in picks), dtype=np.int64, count=words)
        self.starts = np.concatenate([[0], np.cumsum(lengths)])
        self.text = " ".join(picks.tolist()) + " "
        self.words = words

    def draw(self, rng: Any, k: int) -> list[str]:
        counts = rng.integers(30, 121, k)
        firsts = rng.integers(0, self.words - 121, k)
        starts, text = self.starts, self.text
        return [text[starts[f]:starts[f + c] - 1] for f, c in zip(firsts, counts, strict=True)]


def _rating_draws(rng: Any, n: int, crits: list[Crit]) -> dict[str, Any]:
    """Per criterion: level index per applicant (-1 blank), and how each is spelt."""
    out = {}
    for c in crits:
        weights = LEVEL_WEIGHTS[c.scale]
        levels = rng.choice(len(weights), size=n, p=weights)
        levels[rng.random(n) < 0.002] = -1  # a blank rating now and then
        style = rng.random(n)  # < 0.02: point value as a number; < 0.04: odd case/spaces
        out[c.id] = (levels, style)
    return out


def _spell(scale: tuple[str, ...], level: int, style: float) -> Any:
    if level < 0:
        return None
    if style < 0.02:
        return level  # typed as the point value
    if style < 0.04:
        return f" {scale[level].upper()} "
    return scale[level]


def table_path(n: int, seed: int, shared_strings: bool = False) -> Path:
    strings = "_sst" if shared_strings else ""
    return DATA / f"table_n{n}_c30_s{seed}{strings}_v{GENERATOR_VERSION}.xlsx"


def forms_path(n: int, seed: int) -> Path:
    return DATA / f"forms_n{n}_c30_s{seed}_v{GENERATOR_VERSION}"


TABLE_FIELDS = ("Applicant ID", "Name", "Email", "Current rank", "Guaranteed interview", "Sex")


def generate_table(path: Path, n: int, seed: int, shared_strings: bool = False) -> None:
    """One workbook, one applicant per row: fields, then `E1 rating | E1 evidence | …`.

    By default text is written inline (xlsxwriter's constant_memory mode: fast, little
    memory); with `shared_strings` it goes to a shared-string table, as Excel saves it."""
    import numpy as np
    import xlsxwriter

    rng = np.random.default_rng([seed, n, 1])
    crits = criteria()
    pool = TextPool(rng)
    ratings = _rating_draws(rng, n, crits)
    no_evidence = rng.random((n, len(crits))) < 0.01  # unevidenced ratings
    ranks = rng.choice(len(RANKS), size=n, p=(0.3, 0.4, 0.2, 0.1))
    sexes = rng.choice(len(SEXES), size=n)
    gis = rng.random(n) < 0.03
    firsts = rng.integers(0, len(FIRST_NAMES), n)
    lasts = rng.integers(0, len(SURNAMES), n)
    tmp = path.with_name(path.name + ".part")
    wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": not shared_strings,
                                        "strings_to_urls": False, "strings_to_numbers": False,
                                        "strings_to_formulas": False})
    ws = wb.add_worksheet("Applications")
    header = list(TABLE_FIELDS)
    for c in crits:
        header += [f"{c.id} rating", f"{c.id} evidence"]
    ws.write_row(0, 0, header)
    for i in range(n):
        first, last = FIRST_NAMES[firsts[i]], SURNAMES[lasts[i]]
        row: list[Any] = [f"A{i + 1:06d}", f"{first} {last}",
                          f"{first}.{last}{i}@example.org".lower(), RANKS[ranks[i]],
                          "Yes" if gis[i] else "No", SEXES[sexes[i]]]
        texts = pool.draw(rng, len(crits))
        for j, c in enumerate(crits):
            levels, style = ratings[c.id]
            row.append(_spell(SCALES[c.scale], int(levels[i]), float(style[i])))
            row.append(None if no_evidence[i, j] else texts[j])
        ws.write_row(i + 1, 0, row)
    wb.close()
    tmp.replace(path)


def generate_forms(folder: Path, n: int, seed: int) -> None:
    """`n` one-applicant workbooks in the form layout of `shortlist template --layout form`."""
    import numpy as np
    import xlsxwriter

    rng = np.random.default_rng([seed, n, 2])
    crits = criteria()
    pool = TextPool(rng, words=400_000)
    ratings = _rating_draws(rng, n, crits)
    ranks = rng.choice(len(RANKS), size=n, p=(0.3, 0.4, 0.2, 0.1))
    tmp = folder.with_name(folder.name + ".part")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for i in range(n):
        name = f"{FIRST_NAMES[i % len(FIRST_NAMES)]} {SURNAMES[(i * 7) % len(SURNAMES)]}"
        wb = xlsxwriter.Workbook(str(tmp / f"F{i + 1:05d}.xlsx"),
                                 {"constant_memory": True, "strings_to_urls": False,
                                  "strings_to_numbers": False, "strings_to_formulas": False})
        ws = wb.add_worksheet("Application")
        fields = (("Applicant ID", f"F{i + 1:05d}"), ("Name", name),
                  ("Current rank", RANKS[ranks[i]]), ("Guaranteed interview", "No"))
        for r, (label, value) in enumerate(fields):
            ws.write_row(r, 0, [label, value])
        top = len(fields) + 1
        ws.write_row(top, 0, ["Criterion ID", "Section", "Criterion", "Your rating",
                              "Your evidence"])
        texts = pool.draw(rng, len(crits))
        for j, c in enumerate(crits):
            levels, style = ratings[c.id]
            section = "Essential criteria" if c.kind == "essential" else "Desirable criteria"
            ws.write_row(top + 1 + j, 0, [c.id, section, criterion_text(c),
                                          _spell(SCALES[c.scale], int(levels[i]),
                                                 float(style[i])), texts[j]])
        wb.close()
    tmp.rename(folder)


# ---------------------------------------------------------------------------------------------
# Workers: each measured step runs as `bench.py _worker KIND …` in a fresh process. They write
# their in-process timings (s) to a JSON file; the wrapper below records wall time and RSS.


def _worker_stages(role: str, inputs: str, out: str, profile: str | None) -> dict[str, Any]:
    """Our pipeline, stage by stage, as `shortlist rank` runs it."""
    t0 = time.perf_counter()
    from shortlist.exporters import FORMATS
    from shortlist.readers import read_applications
    from shortlist.role import load_role
    from shortlist.sift import sift_applications

    t_import = time.perf_counter() - t0
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t = {"import": t_import}
    t0 = time.perf_counter()
    r = load_role(role)
    t["role"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    apps = read_applications(r, [inputs])
    t["read"] = time.perf_counter() - t0
    if apps.unreadable:
        raise SystemExit(f"unreadable input: {apps.unreadable[0]}")
    t0 = time.perf_counter()
    sift = sift_applications(apps)
    t["score_rank"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    with open(out, "wb") as fh:
        FORMATS["xlsx"](sift, fh)
    t["write"] = time.perf_counter() - t0
    if profiler is not None and profile:
        profiler.disable()
        profiler.dump_stats(profile)
    scored = sift.scored
    return {"times": t, "summary": {k: v for k, v in sift.summary().items()
                                    if isinstance(v, int)},
            "scores": _score_map(apps.frame["applicant_id"].tolist(),
                                 scored["score"].tolist(),
                                 (scored["valid"] & scored["essential_met"]).tolist())}


def _score_map(ids: list[str], scores: list[float], met: list[bool]) -> dict[str, Any]:
    return {str(i): [round(float(s), 2), bool(m)] for i, s, m in zip(ids, scores, met,
                                                                    strict=True)}


def _worker_baseline(src: str, out: str) -> dict[str, Any]:
    """What a user would write: pandas defaults and a per-row loop."""
    import pandas as pd

    crits = criteria()
    lookup = {}
    for name, levels in SCALES.items():
        table = {label.casefold(): i for i, label in enumerate(levels)}
        table.update({str(i): i for i in range(len(levels))})
        table["n/a"] = 0
        lookup[name] = table
    max_total = {c.id: c.weight * (len(SCALES[c.scale]) - 1) for c in crits}
    t0 = time.perf_counter()
    df = pd.read_excel(src)
    t1 = time.perf_counter()
    scores, met = [], []
    for _, row in df.iterrows():
        total = possible = 0.0
        ok = True
        for c in crits:
            if c.id in CONDITIONAL:
                _, values = CONDITIONAL[c.id]
                if row[TABLE_FIELDS[3]] not in values:
                    continue
            rating, evidence = row[f"{c.id} rating"], row[f"{c.id} evidence"]
            level = -1 if pd.isna(rating) else lookup[c.scale][str(rating).strip().casefold()]
            if level > 0 and pd.isna(evidence):
                level = 0  # evidence required: unevidenced counts as the lowest level
            total += c.weight * max(level, 0)
            possible += max_total[c.id]
            if c.pass_level and level < SCALES[c.scale].index(c.pass_level):
                ok = False
        scores.append(100 * total / possible)
        met.append(ok)
    df["score"] = scores
    df["essential_met"] = met
    ranked = df.sort_values(["essential_met", "score", "Applicant ID"],
                            ascending=[False, False, True])
    ranked["rank"] = ranked["score"].where(ranked["essential_met"]).rank(method="min",
                                                                         ascending=False)
    t2 = time.perf_counter()
    ranked.to_excel(out, index=False)
    t3 = time.perf_counter()
    from pandas.io.excel._util import get_default_engine

    return {"times": {"read": t1 - t0, "score_rank": t2 - t1, "write": t3 - t2},
            "engines": {"read": get_default_engine("xlsx", "reader"),
                        "write": get_default_engine("xlsx", "writer")},
            "scores": _score_map([str(x) for x in df["Applicant ID"]], scores, met)}


def _worker_floor_read(src: str) -> dict[str, Any]:
    from python_calamine import CalamineWorkbook

    t0 = time.perf_counter()
    rows = CalamineWorkbook.from_path(src).get_sheet_by_index(0).to_python()
    t = time.perf_counter() - t0
    return {"times": {"read": t}, "rows": len(rows)}


def _worker_floor_write(source: str, out: str) -> dict[str, Any]:
    """Write the cells of our output workbook (read first, untimed) with xlsxwriter."""
    import xlsxwriter
    from python_calamine import CalamineWorkbook

    wb_in = CalamineWorkbook.from_path(source)
    sheets = [(name, wb_in.get_sheet_by_name(name).to_python()) for name in wb_in.sheet_names]
    del wb_in
    t0 = time.perf_counter()
    wb = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_urls": False,
                                   "strings_to_numbers": False, "strings_to_formulas": False})
    cells = 0
    for name, rows in sheets:
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v == "" or v is None:
                    continue
                cells += 1
                if isinstance(v, bool):
                    ws.write_boolean(r, c, v)
                elif isinstance(v, int | float):
                    ws.write_number(r, c, v)
                else:
                    ws.write_string(r, c, str(v))
    wb.close()
    return {"times": {"write": time.perf_counter() - t0}, "cells": cells,
            "sheets": len(sheets)}


def _worker_forms_openpyxl(folder: str) -> dict[str, Any]:
    """A user's loop over one-applicant forms with openpyxl's read-only mode."""
    from openpyxl import load_workbook

    t0 = time.perf_counter()
    applicants = []
    for path in sorted(Path(folder).glob("*.xlsx")):
        wb = load_workbook(path, read_only=True, data_only=True)
        fields: dict[str, Any] = {}
        ratings: dict[str, Any] = {}
        in_table = False
        for row in wb.worksheets[0].iter_rows(values_only=True):
            if not row or row[0] is None:
                continue
            if in_table:
                ratings[str(row[0])] = (row[3], row[4])
            elif row[0] == "Criterion ID":
                in_table = True
            else:
                fields[str(row[0])] = row[1] if len(row) > 1 else None
        wb.close()
        applicants.append((fields, ratings))
    return {"times": {"read": time.perf_counter() - t0}, "applicants": len(applicants)}


def _worker_forms_calamine(folder: str) -> dict[str, Any]:
    from python_calamine import CalamineWorkbook

    t0 = time.perf_counter()
    count = 0
    for path in sorted(Path(folder).glob("*.xlsx")):
        rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
        count += bool(rows)
    return {"times": {"read": time.perf_counter() - t0}, "applicants": count}


WORKERS: dict[str, Callable[..., dict[str, Any]]] = {
    "stages": _worker_stages,
    "baseline": _worker_baseline,
    "floor_read": _worker_floor_read,
    "floor_write": _worker_floor_write,
    "forms_openpyxl": _worker_forms_openpyxl,
    "forms_calamine": _worker_forms_calamine,
}


def worker_main(argv: list[str], started: float) -> None:
    kind, result, *args = argv
    params: list[str | None] = list(args)
    if kind == "stages":
        params = [*args[:3], args[3] if len(args) > 3 else None]
    data = WORKERS[kind](*params)
    # Wall-clock instants, so the parent can tell interpreter start-up and exit apart.
    data["started"], data["finished"] = started, time.time()
    Path(result).write_text(json.dumps(data), "utf-8")


# ---------------------------------------------------------------------------------------------
# Measuring a child process: a tiny wrapper (no site, no imports beyond the stdlib) spawns it
# and reports its wall time and its own ru_maxrss via wait4, so nothing else is counted.

_WRAPPER = """\
import json, os, subprocess, sys, time
log = open(sys.argv[2], "ab")
start, t = time.time(), time.perf_counter()
p = subprocess.Popen(sys.argv[3:], stdout=log, stderr=log)
_, status, usage = os.wait4(p.pid, 0)
wall, end = time.perf_counter() - t, time.time()
with open(sys.argv[1], "w") as fh:
    json.dump({"wall": wall, "start": start, "end": end, "maxrss_kb": usage.ru_maxrss,
               "exit": os.waitstatus_to_exitcode(status)}, fh)
"""


class ChildFailed(Exception):
    """A measured process exited with an error."""


@dataclass
class Run:
    wall: float
    rss_mb: float
    result: dict[str, Any]


def measure(cmd: Sequence[str], label: str, result: Path | None = None) -> Run:
    OUT.mkdir(parents=True, exist_ok=True)
    usage_file = OUT / f"{label}.usage.json"
    log = OUT / f"{label}.log"
    log.write_bytes(b"")
    if result is not None:
        result.unlink(missing_ok=True)
    subprocess.run([sys.executable, "-I", "-S", "-c", _WRAPPER, str(usage_file), str(log),
                    *cmd], check=True, cwd=ROOT)
    usage = json.loads(usage_file.read_text("utf-8"))
    if usage["exit"] != 0:
        tail = " / ".join(log.read_text("utf-8", errors="replace").strip()[-1500:]
                          .splitlines())
        raise ChildFailed(f"`{' '.join(cmd[1:])}` exited with {usage['exit']}: {tail}")
    data = json.loads(result.read_text("utf-8")) if result is not None else {}
    if "started" in data:
        data["times"]["start-up"] = data["started"] - usage["start"]
        data["times"]["exit"] = usage["end"] - data["finished"]
    return Run(usage["wall"], usage["maxrss_kb"] / 1024, data)


def worker_cmd(kind: str, result: Path, *args: str | Path) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "_worker", kind, str(result),
            *map(rel, args)]


def rel(path: str | Path) -> str:
    """A path as typed from the repository root (where every child runs)."""
    return os.path.relpath(path, ROOT) if Path(path).is_absolute() else str(path)


def ours_cmd(role: Path, src: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "shortlist", "rank", rel(role), rel(src), "-o", rel(out),
            "--force"]


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The benchmark


@dataclass
class Series:
    """Repeated runs of one measured thing."""

    runs: list[Run]

    def wall(self) -> float:
        return statistics.median(r.wall for r in self.runs)

    def rss(self) -> float:
        return statistics.median(r.rss_mb for r in self.runs)

    def stage(self, name: str) -> float:
        return statistics.median(float(r.result["times"][name]) for r in self.runs)


def bench_size(n: int, role: Path, src: Path, repeat: int, baseline_repeat: int,
               profile: bool) -> dict[str, Any]:
    res: dict[str, Any] = {"n": n, "input_mb": src.stat().st_size / 1e6, "repeat": repeat}
    try:
        return _bench_size(n, role, src, repeat, baseline_repeat, profile, res)
    except ChildFailed as exc:
        say(f"  [{n}] FAILED: {exc}")
        res["error"] = str(exc)
        return res


def _bench_size(n: int, role: Path, src: Path, repeat: int, baseline_repeat: int,
                profile: bool, res: dict[str, Any]) -> dict[str, Any]:
    out = OUT / f"ours_{n}.xlsx"
    ours, stages, floor_read, floor_write = [], [], [], []
    for k in range(repeat):
        say(f"  [{n}] run {k + 1}/{repeat}: ours end to end")
        ours.append(measure(ours_cmd(role, src, out), f"ours_{n}"))
        say(f"  [{n}] run {k + 1}/{repeat}: ours by stage")
        result = OUT / f"stages_{n}.json"
        stages.append(measure(worker_cmd("stages", result, role, src, OUT / f"stages_{n}.xlsx"),
                              f"stages_{n}", result))
        read = stages[-1].result["summary"]["applicants"]
        if read != n:
            said = (OUT / f"ours_{n}.log").read_text("utf-8", errors="replace").strip()
            raise ChildFailed(f"ours read {read:,} of {n:,} applicants; `shortlist rank` said: "
                              f"{said[-300:]}")
        say(f"  [{n}] run {k + 1}/{repeat}: floor (calamine read, xlsxwriter write)")
        result = OUT / f"floor_read_{n}.json"
        floor_read.append(measure(worker_cmd("floor_read", result, src), f"floor_read_{n}",
                                  result))
        result = OUT / f"floor_write_{n}.json"
        floor_write.append(measure(worker_cmd("floor_write", result, out,
                                              OUT / f"floor_{n}.xlsx"),
                                   f"floor_write_{n}", result))
    s_ours, s_stages = Series(ours), Series(stages)
    s_fr, s_fw = Series(floor_read), Series(floor_write)
    res["output_mb"] = out.stat().st_size / 1e6
    res["output_cells"] = floor_write[-1].result["cells"]
    res["ours"] = s_ours.wall()
    res["ours_rss"] = s_ours.rss()
    res["ours_runs"] = [r.wall for r in ours]
    res["stages"] = {k: s_stages.stage(k) for k in stages[0].result["times"]}
    res["stages_wall"] = s_stages.wall()
    res["summary"] = stages[-1].result["summary"]
    res["floor_read"] = s_fr.stage("read")
    res["floor_write"] = s_fw.stage("write")
    res["floor"] = res["floor_read"] + res["floor_write"]
    res["calamine_rss"] = s_fr.rss()
    if baseline_repeat:
        runs = []
        for k in range(baseline_repeat):
            say(f"  [{n}] run {k + 1}/{baseline_repeat}: naive baseline (pandas defaults)")
            result = OUT / f"baseline_{n}.json"
            runs.append(measure(worker_cmd("baseline", result, src, OUT / f"baseline_{n}.xlsx"),
                                f"baseline_{n}", result))
        s_base = Series(runs)
        res["baseline"] = s_base.wall()
        res["baseline_repeat"] = baseline_repeat
        res["baseline_stages"] = {k: s_base.stage(k) for k in runs[0].result["times"]}
        res["baseline_rss"] = s_base.rss()
        res["baseline_engines"] = runs[0].result["engines"]
        res["agreement"] = compare_scores(stages[-1].result["scores"],
                                          runs[-1].result["scores"])
    if profile:
        say(f"  [{n}] profiling our pipeline (cProfile)")
        prof = OUT / f"profile_{n}.pstats"
        result = OUT / f"stages_{n}.json"
        measure(worker_cmd("stages", result, role, src, OUT / f"stages_{n}.xlsx", prof),
                f"profile_{n}", result)
        res["profile"] = write_profile_report(prof, OUT / f"profile_{n}.txt")
    return res


def compare_scores(ours: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any]:
    """The baseline must do the same work: same applicants, scores and essential checks."""
    same_ids = ours.keys() == theirs.keys()
    differ = sum(1 for k, v in ours.items() if theirs.get(k) != v)
    return {"same_applicants": same_ids, "differences": differ}


def write_profile_report(stats_file: Path, report: Path) -> str:
    import io
    import pstats

    buf = io.StringIO()
    stats = pstats.Stats(str(stats_file), stream=buf)
    stats.sort_stats("tottime").print_stats(30)
    stats.sort_stats("cumulative").print_stats(40)
    report.write_text(buf.getvalue(), "utf-8")
    return str(report.relative_to(ROOT))


def bench_forms(n: int, role: Path, folder: Path, repeat: int) -> dict[str, Any]:
    out = OUT / f"ours_forms_{n}.xlsx"
    ours, stages, opx, cal = [], [], [], []
    for k in range(repeat):
        say(f"  [forms] run {k + 1}/{repeat}: ours end to end, by stage, openpyxl, calamine")
        ours.append(measure(ours_cmd(role, folder, out), "ours_forms"))
        result = OUT / "stages_forms.json"
        stages.append(measure(worker_cmd("stages", result, role, folder,
                                         OUT / "stages_forms.xlsx"), "stages_forms", result))
        read = stages[-1].result["summary"]["applicants"]
        if read != n:
            raise ChildFailed(f"ours read {read:,} of {n:,} forms; see {rel(OUT)}/*forms*.log")
        result = OUT / "forms_openpyxl.json"
        opx.append(measure(worker_cmd("forms_openpyxl", result, folder), "forms_openpyxl",
                           result))
        result = OUT / "forms_calamine.json"
        cal.append(measure(worker_cmd("forms_calamine", result, folder), "forms_calamine",
                           result))
    return {"n": n, "ours": Series(ours).wall(), "ours_rss": Series(ours).rss(),
            "stages": {k: Series(stages).stage(k) for k in stages[0].result["times"]},
            "openpyxl": Series(opx).stage("read"), "openpyxl_wall": Series(opx).wall(),
            "calamine": Series(cal).stage("read"),
            "applicants": stages[-1].result["summary"]["applicants"]}


# ---------------------------------------------------------------------------------------------
# Report


def machine_info() -> list[tuple[str, str]]:
    from importlib.metadata import PackageNotFoundError, version

    def ver(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "not installed"

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count() or 0
    mem = ""
    try:
        import psutil

        mem = f"{psutil.virtual_memory().total / 2**30:.1f} GiB RAM"
    except ImportError:
        pass
    return [
        ("Machine", f"{cpu}, {os.cpu_count()} CPUs ({usable} usable){', ' + mem if mem else ''}"
                    f"; {platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("Packages", ", ".join(f"{p} {ver(p)}" for p in (
            "shortlist", "pandas", "numpy", "python-calamine", "xlsxwriter", "openpyxl"))),
    ]


def fmt_s(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}"


def fmt_x(x: float | None) -> str:
    return "–" if x is None else f"{x:.2f}×"


def md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |",
             "| " + " | ".join("---" if i == 0 else "---:" for i in range(len(header))) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def report(sizes: list[dict[str, Any]], forms: dict[str, Any] | None, args: argparse.Namespace,
           load: tuple[tuple[float, ...], tuple[float, ...]], command: str) -> str:
    by_n = {s["n"]: s for s in sizes}
    failed = [s for s in sizes if "error" in s]
    sizes = [s for s in sizes if "error" not in s]
    parts = ["## shortlist benchmark", ""]
    parts += [f"- **{k}**: {v}" for k, v in machine_info()]
    parts.append(f"- **Load average** (1, 5, 15 min) at start {_load(load[0])}, at end "
                 f"{_load(load[1])}; the machine may be shared, so figures are noisy")
    parts += [f"- **Command**: `{command}`",
              "- **Inputs**: seeded synthetic workbooks, 30 criteria, a rating and 30–120 words "
              "of evidence each; text stored " + ("in a shared-string table (as Excel saves it)"
                                                 if args.shared_strings else
                                                 "inline (xlsxwriter constant_memory)"), ""]
    parts += [f"**{s['n']:,} applicants: ours FAILED** – {s['error']}" for s in failed]
    parts += [""] if failed else []
    if sizes:
        cols = [f"{s['n']:,}" for s in sizes]
        rows: list[list[str]] = []

        def row(label: str, get: Callable[[dict[str, Any]], str]) -> None:
            rows.append([label, *[get(s) for s in sizes]])

        row("Input workbook (MB)", lambda s: f"{s['input_mb']:.1f}")
        row("Output workbook (MB / cells)",
            lambda s: f"{s['output_mb']:.1f} / {s['output_cells']:,}")
        row("Ranked / failed essential / invalid",
            lambda s: f"{s['summary']['ranked']:,} / {s['summary']['failed_essential']:,} / "
                      f"{s['summary']['invalid']:,}")
        row("**Ours, end to end** (`shortlist rank … -o out.xlsx`)",
            lambda s: f"**{fmt_s(s['ours'])}**")
        row("– interpreter start-up", lambda s: fmt_s(s["stages"]["start-up"]))
        row("– imports (shortlist, pandas, numpy…)", lambda s: fmt_s(s["stages"]["import"]))
        row("– role file", lambda s: fmt_s(s["stages"]["role"]))
        row("– read applications", lambda s: fmt_s(s["stages"]["read"]))
        row("– score + rank", lambda s: fmt_s(s["stages"]["score_rank"]))
        row("– write xlsx", lambda s: fmt_s(s["stages"]["write"]))
        row("– interpreter exit", lambda s: fmt_s(s["stages"]["exit"]))
        row("Stage run, whole process", lambda s: fmt_s(s["stages_wall"]))
        row("Naive baseline, end to end", lambda s: _baseline_cell(s))
        row("– `read_excel` / loop + sort / `to_excel`", lambda s: " / ".join(
            fmt_s(s["baseline_stages"][k]) for k in ("read", "score_rank", "write"))
            if "baseline" in s else "–")
        row("Floor: calamine read + xlsxwriter write",
            lambda s: f"{fmt_s(s['floor'])} ({fmt_s(s['floor_read'])} + "
                      f"{fmt_s(s['floor_write'])})")
        row("Baseline / ours", lambda s: fmt_x(ratio(s.get("baseline"), s["ours"])))
        row("Ours / floor", lambda s: fmt_x(ratio(s["ours"], s["floor"])))
        row("Peak RSS ours (MB)", lambda s: f"{s['ours_rss']:.0f}")
        row("Peak RSS calamine raw read (MB)", lambda s: f"{s['calamine_rss']:.0f}")
        row("Peak RSS baseline (MB)",
            lambda s: f"{s['baseline_rss']:.0f}" if "baseline" in s else "–")
        row("RSS ours / calamine", lambda s: fmt_x(ratio(s["ours_rss"], s["calamine_rss"])))
        parts += [f"Median of {args.repeat} runs (s) unless noted; each run is a fresh process.",
                  "", md_table(["Applicants (30 criteria)", *cols], rows), ""]
        engines = next((s["baseline_engines"] for s in sizes if "baseline" in s), None)
        notes = ["Stages are timed with the library in a separate process (`bench.py _worker "
                 "stages`), so they add up to that run, not exactly to the end-to-end one.",
                 "The floor is in-process time only (no interpreter start-up): a strict floor."]
        if engines:
            notes.append(f"Baseline engines (pandas defaults here): read `{engines['read']}`, "
                         f"write `{engines['write']}`.")
        for s in sizes:
            if "agreement" in s:
                a = s["agreement"]
                ok = a["same_applicants"] and a["differences"] == 0
                notes.append(f"{s['n']:,}: baseline and ours agree on every score and "
                             "essential check" if ok else
                             f"{s['n']:,}: baseline and ours DIFFER on {a['differences']:,} "
                             "applicants' score or essential check (check the baseline)")
        parts += [f"- {n}" for n in notes] + [""]
    if forms and "error" in forms:
        parts += [f"**{forms['n']:,} forms: ours FAILED** – {forms['error']}", ""]
    elif forms:
        st = forms["stages"]
        rows = [
            ["Ours, end to end", fmt_s(forms["ours"])],
            ["Ours, read stage (in-process)", fmt_s(st["read"])],
            ["openpyxl read-only loop (in-process)", fmt_s(forms["openpyxl"])],
            ["python-calamine loop (in-process)", fmt_s(forms["calamine"])],
            ["openpyxl / ours (read)", fmt_x(ratio(forms["openpyxl"], st["read"]))],
            ["openpyxl / ours (ours end to end)", fmt_x(ratio(forms["openpyxl"],
                                                              forms["ours"]))],
        ]
        parts += [f"{forms['n']:,} form workbooks (one applicant each, 30 criteria); median of "
                  f"{args.repeat} runs (s).", "", md_table(["Forms", "s"], rows), ""]
    parts += ["### Targets", "", md_table(["Target", "Measured", "Limit", "Result"],
                                          target_rows(by_n, forms)), ""]
    return "\n".join(parts)


def _baseline_cell(s: dict[str, Any]) -> str:
    if "baseline" not in s:
        return "skipped"
    runs = s["baseline_repeat"]
    return fmt_s(s["baseline"]) + (f" ({runs} run{'s' if runs > 1 else ''})"
                                   if runs != s["repeat"] else "")


def _load(values: tuple[float, ...]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


def measured_targets(by_n: dict[int, dict[str, Any]],
                     forms: dict[str, Any] | None) -> dict[str, float | None]:
    """Each target's measured ratio; NaN where ours failed, None where not measured."""
    at = by_n.get(TARGET_SIZE)
    big = by_n.get(BIG_SIZE)
    nan = float("nan")
    if at and "error" in at:
        return {"speedup": nan, "vs_floor": nan, "scaling": nan if big else None, "rss": nan,
                "forms": measured_targets({}, forms)["forms"]}
    return {
        "speedup": ratio(at.get("baseline"), at["ours"]) if at else None,
        "vs_floor": ratio(at["ours"], at["floor"]) if at else None,
        "scaling": (nan if big and "error" in big else
                    ratio(big["ours"], at["ours"]) if at and big else None),
        "rss": ratio(at["ours_rss"], at["calamine_rss"]) if at else None,
        "forms": (nan if forms and "error" in forms else
                  ratio(forms["openpyxl"], forms["stages"]["read"]) if forms else None),
    }


def target_rows(by_n: dict[int, dict[str, Any]], forms: dict[str, Any] | None) -> list[list[str]]:
    measured = measured_targets(by_n, forms)
    rows = []
    for key, text, limit, how in TARGETS:
        value = measured[key]
        if value is None:
            result = "not measured"
        elif value != value:  # NaN: ours failed on a size this target needs
            result = "**FAIL** (ours failed)"
            value = None
        else:
            ok = value >= limit if how == "min" else value <= limit
            result = "**PASS**" if ok else "**FAIL**"
        rows.append([text, fmt_x(value), ("≥ " if how == "min" else "≤ ") + f"{limit:g}×",
                     result])
    return rows


# ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        description="Benchmark `shortlist rank` against a naive pandas baseline and the "
                    "python-calamine/xlsxwriter floor; prints a Markdown table.")
    p.add_argument("--sizes", default=f"2000,{TARGET_SIZE},{BIG_SIZE}",
                   help="comma-separated applicant counts (default: %(default)s)")
    p.add_argument("--size", type=int, help="benchmark this one size only")
    p.add_argument("--forms", type=int, default=1000,
                   help="number of one-applicant form workbooks (0 to skip; default 1000)")
    p.add_argument("--repeat", type=int, default=3, help="runs per measurement (default 3)")
    p.add_argument("--baseline-repeat", type=int,
                   help="runs of the naive baseline (default: --repeat up to 5,000 "
                        "applicants, else 1, as it takes minutes)")
    p.add_argument("--skip-baseline", action="store_true", help="do not run the baseline")
    p.add_argument("--keep-data", action="store_true",
                   help="keep the generated workbooks in benchmarks/data for later runs")
    p.add_argument("--profile", action="store_true",
                   help="also profile our pipeline (cProfile) once per size; reports in "
                        "benchmarks/out/profile_N.txt")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED, help="data seed (default 5)")
    p.add_argument("--shared-strings", action="store_true",
                   help="store the table workbooks' text in a shared-string table, as Excel "
                        "saves it (slower to generate; default: inline strings)")
    args = p.parse_args(argv)
    try:
        args.size_list = [args.size] if args.size else [
            int(x.replace("_", "")) for x in args.sizes.split(",") if x.strip()]
    except ValueError:
        p.error(f"--sizes must be comma-separated whole numbers, not {args.sizes!r}")
    if any(n < 1 for n in args.size_list) or args.repeat < 1 or args.forms < 0:
        p.error("sizes and --repeat must be at least 1, --forms at least 0")
    return args


def main(argv: list[str]) -> None:
    if argv[:1] == ["_worker"]:
        worker_main(argv[1:], STARTED)
        return
    args = parse_args(argv)
    command = "python benchmarks/bench.py" + ("" if not argv else " " + " ".join(argv))
    DATA.mkdir(parents=True, exist_ok=True)
    OUT.mkdir(parents=True, exist_ok=True)
    role = DATA / "bench-role.toml"
    write_role(role)
    generated: list[Path] = []
    load_start = os.getloadavg()
    results = []
    try:
        for n in args.size_list:
            src = table_path(n, args.seed, args.shared_strings)
            if not src.exists():
                say(f"generating {src.relative_to(ROOT)} ({n:,} applicants × 30 criteria)…")
                t0 = time.perf_counter()
                generate_table(src, n, args.seed, args.shared_strings)
                generated.append(src)
                say(f"  done in {time.perf_counter() - t0:.0f} s, "
                    f"{src.stat().st_size / 1e6:.0f} MB")
            baseline_repeat = 0 if args.skip_baseline else (
                args.baseline_repeat if args.baseline_repeat is not None
                else args.repeat if n <= 5000 else 1)
            say(f"benchmarking {n:,} applicants")
            results.append(bench_size(n, role, src, args.repeat, baseline_repeat,
                                      args.profile))
        forms = None
        if args.forms:
            folder = forms_path(args.forms, args.seed)
            if not folder.exists():
                say(f"generating {folder.relative_to(ROOT)}/ ({args.forms:,} forms)…")
                generate_forms(folder, args.forms, args.seed)
                generated.append(folder)
            say(f"benchmarking {args.forms:,} forms")
            try:
                forms = bench_forms(args.forms, role, folder, args.repeat)
            except ChildFailed as exc:
                say(f"  [forms] FAILED: {exc}")
                forms = {"n": args.forms, "error": str(exc)}
    finally:
        if not args.keep_data:
            for path in generated:
                shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    text = report(results, forms, args, (load_start, os.getloadavg()), command)
    (OUT / "results.json").write_text(json.dumps(
        {"sizes": results, "forms": forms, "targets": measured_targets(
            {s["n"]: s for s in results}, forms)}, indent=2, default=str), "utf-8")
    (OUT / "results.md").write_text(text + "\n", "utf-8")
    print(text)


if __name__ == "__main__":
    main(sys.argv[1:])
