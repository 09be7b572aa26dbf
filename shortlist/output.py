"""Writing output files safely: never over an input, never over an existing file without
`force`, and atomically (a temporary file in the same folder, renamed into place)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

from .errors import OutputError


def write_atomic(path: Path, write: Callable[[BinaryIO], None], *, force: bool = False,
                 inputs: Iterable[Path] = ()) -> None:
    target = path.resolve()
    for p in inputs:
        if p.resolve() == target:
            raise OutputError(f"output {path} is one of the inputs; choose another file name")
    if target.is_dir():
        raise OutputError(f"output {path} is a folder; expected a file name")
    if target.exists() and not force:
        raise OutputError(f"output {path} already exists; use --force to replace it")
    if not target.parent.is_dir():
        raise OutputError(f"cannot write {path}: folder {target.parent} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except PermissionError:
        raise OutputError(f"cannot write {path}: permission denied (is it open in another "
                          "program, such as Excel?)") from None
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
