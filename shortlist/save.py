"""Writing a sift's output file with its run record: the one place `rank`, `batch` and scripts
save a sift."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from .audit import SIDECAR_FORMATS, write_with_record
from .errors import OutputError
from .exporters import FORMATS, SUFFIXES
from .sift import Sift


def output_format(path: str | os.PathLike[str], fmt: str | None = None) -> str:
    """`fmt`, or the format `path`'s suffix stands for; raises `OutputError` when neither
    names one of `FORMATS`."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise OutputError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
        return fmt
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise OutputError(f"cannot tell the format from {Path(path).name!r}; expected a "
                          f"suffix {', '.join(SUFFIXES)} or a format ({', '.join(FORMATS)})")
    return SUFFIXES[suffix]


def write_output(sift: Sift, path: str | os.PathLike[str], fmt: str | None = None, *,
                 force: bool = False, inputs: Iterable[str | os.PathLike[str]] = ()
                 ) -> list[Path]:
    """Write `sift` to `path` as `fmt` (default: by suffix), atomically; a CSV gets its run
    record beside it as `<path>.run.json`. Never writes over a file the sift read (its role
    file, applications and marking sheets) or one of `inputs`, whatever `force` says; nor
    over an existing file without `force`. Returns the files written."""
    fmt = output_format(path, fmt)
    writer = FORMATS[fmt]
    return write_with_record(Path(path), lambda fh: writer(sift, fh), sift.run_record(),
                             sidecar=fmt in SIDECAR_FORMATS, force=force,
                             inputs=[*sift.files_read, *(Path(p) for p in inputs)])
