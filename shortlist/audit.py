"""The run record every output carries, and writing an output together with it.

The record (`Sift.run_record()`) names the tool version, the time, the role file and every
input with its SHA-256, every option, the counts and every problem found in the inputs;
after a panel round, every marking sheet and the agreed sheet with their SHA-256 and the
rule combining the marks. Where it goes:

- JSON: the top-level keys beside `applicants` (the record *is* the JSON minus applicants);
- xlsx: the Run sheet;
- the terminal table, `explain` and `impact` text: a footer (`render_record`);
- CSV: a sidecar file `<output>.run.json` (a CSV has no place for it that every reader
  would skip), which also holds the CSV's own SHA-256 so the two cannot be mixed up. CSV
  written to stdout has no sidecar: use `--format json` (or `-o`) for a record.

Nothing in a record depends on the moment but `created`, so running the same inputs twice
gives records (and JSON) identical apart from that one key.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from .output import check_target, write_atomic, write_files
from .paths import display_path

#: Sidecar suffix added to a CSV output's name: `ranking.csv` → `ranking.csv.run.json`.
SIDECAR_SUFFIX = ".run.json"
#: Formats whose file cannot hold the record, so it is written beside them.
SIDECAR_FORMATS = frozenset({"csv"})


def sidecar_path(path: Path) -> Path:
    return path.with_name(path.name + SIDECAR_SUFFIX)


def render_record(record: Mapping[str, Any]) -> str:
    """The run record as a few lines of text, for the foot of a terminal output."""
    lines = [f"Run record: shortlist {record.get('shortlist_version', '?')}, created "
             f"{record.get('created', '')}"]
    role = record.get("role")
    if role:
        lines.append(f"  role: {role['id']}, {role['file']}, SHA-256 {role['sha256']}")
    for i in record.get("inputs", []):
        lines.append(f"  input: {i['file']}, {i['applicants']} applicant(s), "
                     f"SHA-256 {i['sha256'] or '(unreadable)'}")
    panel = record.get("panel")
    if panel:
        for sheet in panel.get("marks", []):
            lines.append(f"  marks: {_marking_sheet(sheet)}")
        if panel.get("agreed"):
            lines.append(f"  agreed marks: {_marking_sheet(panel['agreed'])}")
    options = record.get("options")
    if options:
        lines.append("  options: " + ", ".join(f"{k} {_option(v)}" for k, v in options.items()))
    problems = record.get("problems") or []
    errors = sum(1 for p in problems if p["severity"] == "error")
    warnings = sum(1 for p in problems if p["severity"] == "warning")
    if errors or warnings:
        lines.append(f"  problems in the inputs: {errors} error(s), {warnings} warning(s); "
                     "run `shortlist check` for each with its location")
    return "\n".join(lines) + "\n"


def _marking_sheet(sheet: Mapping[str, Any]) -> str:
    return (f"{sheet['file']}, assessor {sheet['assessor']}, {sheet['applicants']} "
            f"applicant(s), SHA-256 {sheet['sha256']}")


def _option(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "default" if value is None else str(value)


def write_with_record(path: Path, write: Callable[[BinaryIO], None], record: Mapping[str, Any],
                      *, sidecar: bool, force: bool = False,
                      inputs: Iterable[Path] = ()) -> list[Path]:
    """Write an output atomically and, with `sidecar`, its run record beside it (with the
    output's SHA-256). Both targets are checked before either is written, and both are
    written in full before either is renamed into place, so a refusal (an existing file
    without `force`, an input, a file open in another program) or a failed write leaves
    nothing half done. Returns the files written."""
    inputs = list(inputs)
    if not sidecar:
        write_atomic(path, write, force=force, inputs=inputs)
        return [path]
    side = sidecar_path(path)
    for target in (path, side):  # refuse before the output is made, not after
        check_target(target, force=force, inputs=inputs)
    buf = io.BytesIO()
    write(buf)
    data = buf.getvalue()
    full = {**record, "output": {"file": display_path(path),
                                 "sha256": hashlib.sha256(data).hexdigest()}}
    text = json.dumps(full, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    write_files([(path, _bytes_writer(data)), (side, _bytes_writer(text.encode("utf-8")))],
                force=force, inputs=inputs)
    return [path, side]


def _bytes_writer(data: bytes) -> Callable[[BinaryIO], None]:
    def write(fh: BinaryIO) -> None:
        fh.write(data)
    return write

