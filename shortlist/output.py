"""Writing output files safely: never over an input, never over an existing file without
`force`, never over a file open in Excel or LibreOffice, and atomically (each file is written
to a temporary name in its own folder, then renamed into place).

A new file gets the permissions any new file would (0666 less the umask), so colleagues who
share the folder can open it; a file replaced with `force` keeps its own permissions.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

from .errors import OutputError

Writer = Callable[[BinaryIO], None]

#: The lock files office programs leave beside a file they have open: (program, name).
LOCK_FILES: tuple[tuple[str, Callable[[str], str]], ...] = (
    ("LibreOffice", lambda name: f".~lock.{name}#"),
    ("Excel", lambda name: f"~${name}"),
)


def lock_file(path: Path) -> tuple[str, Path] | None:
    """The program that has `path` open, and its lock file beside it, if any."""
    for program, lock_name in LOCK_FILES:
        lock = path.with_name(lock_name(path.name))
        if lock.exists():
            return program, lock
    return None


def _same_file(a: Path, b: Path) -> bool:
    """Whether two paths name one file (also through a link, or another spelling of it)."""
    try:
        return os.path.samefile(a, b)
    except OSError:  # either does not exist (yet)
        return a.resolve() == b.resolve()


def check_target(path: Path, *, force: bool = False, inputs: Iterable[Path] = ()) -> Path:
    """The file `path` may be written as (links resolved), or `OutputError` saying why not:
    it is one of `inputs` (whatever `force` says), a folder, exists without `force`, is open
    in Excel or LibreOffice, or its folder does not exist."""
    target = path.resolve()
    for p in inputs:
        if _same_file(Path(p), target):
            raise OutputError(f"output {path} is one of the inputs; choose another file name")
    if target.is_dir():
        raise OutputError(f"output {path} is a folder; expected a file name")
    if target.exists():
        if not force:
            raise OutputError(f"output {path} already exists; use --force to replace it")
        _refuse_if_open(path, target)
    if not target.parent.is_dir():
        raise OutputError(f"cannot write {path}: folder {target.parent} does not exist")
    return target


def _refuse_if_open(path: Path, target: Path) -> None:
    locked = lock_file(target)
    if locked is not None:
        program, lock = locked
        raise OutputError(f"output {path} is open in {program} (lock file {lock.name}); close "
                          "it and try again (if it is not open anywhere, the lock file was "
                          "left behind: delete it)")


def new_file_mode() -> int:
    """The permissions a program creating a file gets by default: 0666 less the umask."""
    mask = os.umask(0o022)  # reading the umask means setting it; put it straight back
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: Path, write: Writer, *, force: bool = False,
                 inputs: Iterable[Path] = ()) -> None:
    """Write one file with `write(binary stream)`, safely (see the module's docstring)."""
    write_files([(path, write)], force=force, inputs=inputs)


def write_files(files: Sequence[tuple[Path, Writer]], *, force: bool = False,
                inputs: Iterable[Path] = ()) -> None:
    """Write several files together: every target is checked (`check_target`) before any is
    written, and each is written in full to a temporary file before any is renamed into
    place, so a refusal or a failed write leaves every old file as it was and no temporary
    file behind."""
    inputs = list(inputs)
    targets = [check_target(path, force=force, inputs=inputs) for path, _ in files]
    temps: list[str] = []
    try:
        for (path, write), target in zip(files, targets, strict=True):
            temps.append(_write_temp(path, target, write))
        for (path, _), target, tmp in zip(files, targets, temps, strict=True):
            if target.exists():  # opened while we were writing?
                _refuse_if_open(path, target)
            _replace(path, tmp, target)
    finally:
        for tmp in temps:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)


def _replace(path: Path, tmp: str, target: Path) -> None:
    try:
        os.replace(tmp, target)
    except PermissionError:
        raise OutputError(f"cannot write {path}: permission denied (is it open in another "
                          "program, such as Excel?)") from None
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None


def _write_temp(path: Path, target: Path, write: Writer) -> str:
    """Write a temporary file beside `target` with the mode `target` should have; its name."""
    try:
        mode = stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        mode = new_file_mode()
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    return tmp
