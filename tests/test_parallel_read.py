"""Many small files are read by worker processes: the result is exactly that of reading them
one after another, whatever happens to the workers."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import shortlist.readers as readers
from shortlist.readers import WORKERS_ENV, Applications, FileRead, read_applications
from shortlist.role import Role, load_role

from .conftest import passing, write_applicants, write_form, write_role

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="workers are forked on Linux only")

ANSWERS = {"G1": ("Yes", ""), "E1": ("Substantial", "I ran Operation Nightjar."),
           "E2": ("Excellent", "Reports praised."), "D1": ("Some", "Courses"),
           "D2": ("Yes", "Passed in 2022")}


def fields(applicant_id: str) -> dict[str, Any]:
    return {"Applicant ID": applicant_id, "Name": f"Person {applicant_id}",
            "Current rank": "Constable", "Sex": "Male"}


@pytest.fixture(scope="module")
def role(tmp_path_factory: pytest.TempPathFactory) -> Role:
    return load_role(write_role(tmp_path_factory.mktemp("role")))


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory, role: Role) -> Path:
    """48 inputs: forms (some with problems, two sharing an id), tables, and files that
    cannot be read, in an order where each kind turns up in several batches of files."""
    folder = tmp_path_factory.mktemp("apps")
    for k in range(40):
        answers: dict[str, tuple[Any, Any]] = dict(ANSWERS)
        form_fields = fields(f"F{k:02}")
        if k % 9 == 3:
            answers["E1"] = ("Heaps", "x")  # not on the scale
        if k % 9 == 7:
            del answers["E2"]  # a criterion missing
        if k == 12:
            form_fields["Applicant ID"] = "F11"  # the same id as another file's
        if k == 19:
            form_fields["Current rank"] = "Inspector"  # not an allowed value
        if k in (10, 31):  # the two biggest files
            answers["D1"] = ("Some", " ".join(f"course{n}" for n in range(4000)))
        write_form(folder / f"f{k:02}.xlsx", answers, fields=form_fields, role=role)
    write_applicants(folder / "f05a.csv", [passing("T1"), passing("T2", E1="Lots")])
    write_applicants(folder / "f21a.xlsx", [passing("T3"), passing("F30")])  # F30 twice
    (folder / "f08a.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (folder / "f14a.csv").write_bytes(b"")
    (folder / "f26a.xlsx").write_text("Applicant ID,Name\nA1,Ann\n")  # a CSV named .xlsx
    (folder / "f33a.csv").write_text("nothing,to,see\n1,2,3\n")  # no header
    write_applicants(folder / "f37a.csv", [passing("T4")], criteria=("G1", "E2"))
    (folder / "f39a.txt").write_text("notes")  # not a spreadsheet: a warning
    return folder


def read(role: Role, folder: Path, monkeypatch: pytest.MonkeyPatch, workers: int,
         **kwargs: Any) -> Applications:
    monkeypatch.setenv(WORKERS_ENV, str(workers))
    return read_applications(role, [folder], **kwargs)


def assert_same(a: Applications, b: Applications) -> None:
    pd.testing.assert_frame_equal(a.frame, b.frame, check_exact=True)
    assert a.errors == b.errors
    assert a.problems == b.problems
    assert a.inputs == b.inputs


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A record of which process reads which file ('pid name' lines; 'handed back' when a
    worker leaves a file to the main process)."""
    log = tmp_path / "reads.log"
    real = readers._read_file

    def logged(path: Path, *args: Any) -> FileRead | None:
        read = real(path, *args)
        with log.open("a") as fh:
            fh.write(f"{os.getpid()} {path.name}{' handed back' if read is None else ''}\n")
        return read

    monkeypatch.setattr(readers, "_read_file", logged)
    return log


def reads(log: Path) -> list[tuple[int, str]]:
    return [(int(pid), name) for pid, name in
            (line.split(" ", 1) for line in log.read_text().splitlines())]


def test_parallel_read_is_the_sequential_read(role: Role, folder: Path, log: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    sequential = read(role, folder, monkeypatch, 1)
    assert {pid for pid, _ in reads(log)} == {os.getpid()}
    log.unlink()
    parallel = read(role, folder, monkeypatch, 2)
    assert_same(parallel, sequential)
    by_worker = [name for pid, name in reads(log) if pid != os.getpid()]
    assert sorted(by_worker) == sorted(p.name for p in folder.iterdir() if p.suffix != ".txt")
    # The fixture's problems all came through.
    types = {p.type for p in parallel.problems}
    assert {"unknown-rating", "missing-criterion", "duplicate-id", "bad-value", "empty-file",
            "wrong-extension", "no-header", "missing-column", "not-a-spreadsheet"} <= types
    assert [Path(i.file).name for i in parallel.inputs if not i.readable] == [
        "f08a.xlsx", "f14a.csv", "f26a.xlsx", "f33a.csv"]
    assert len(parallel.frame) == 40 + 5
    assert parallel.frame["file"].tolist() == sorted(parallel.frame["file"].tolist())


def test_progress_is_told_of_each_file_in_input_order(role: Role, folder: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    told: list[tuple[int, int, str]] = []
    read(role, folder, monkeypatch, 2, on_file=lambda i, n, p: told.append((i, n, p.name)))
    names = sorted(p.name for p in folder.iterdir() if p.suffix != ".txt")
    assert told == [(i, len(names), name) for i, name in enumerate(names)]


@pytest.mark.parametrize("failure", ["dies", "raises"])
def test_a_worker_that_fails_loses_nothing(role: Role, folder: Path, log: Path, failure: str,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    sequential = read(role, folder, monkeypatch, 1)
    main = os.getpid()
    logged = readers._read_file

    def crashing(path: Path, *args: Any) -> FileRead | None:
        if os.getpid() != main and path.name == "f20.xlsx":
            if failure == "dies":
                os._exit(70)  # as a crash in native code would
            raise MemoryError
        return logged(path, *args)

    monkeypatch.setattr(readers, "_read_file", crashing)
    log.unlink()
    parallel = read(role, folder, monkeypatch, 2)
    assert_same(parallel, sequential)
    assert (main, "f20.xlsx") in reads(log), "read again by the main process"


def test_big_files_are_read_by_the_main_process(role: Role, folder: Path, log: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    sequential = read(role, folder, monkeypatch, 1)
    sizes = sorted(p.stat().st_size for p in folder.iterdir())
    monkeypatch.setattr(readers, "PARALLEL_MAX_FILE_BYTES", sizes[-3])  # f10 and f31 are big
    log.unlink()
    parallel = read(role, folder, monkeypatch, 2)
    assert_same(parallel, sequential)
    here = sorted(name for pid, name in reads(log) if pid == os.getpid())
    assert here == ["f10.xlsx", "f31.xlsx"]


def test_workbooks_needing_much_memory_are_handed_back(role: Role, folder: Path, log: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    sequential = read(role, folder, monkeypatch, 1)
    monkeypatch.setattr(readers, "PARALLEL_MAX_GRID_BYTES", 0)  # every workbook
    log.unlink()
    parallel = read(role, folder, monkeypatch, 2)
    assert_same(parallel, sequential)
    done = reads(log)
    handed_back = [n.removesuffix(" handed back") for pid, n in done if n.endswith("back")]
    assert "f00.xlsx" in handed_back and (os.getpid(), "f00.xlsx") in done
    assert not any(n.endswith(".csv") for n in handed_back)


def test_few_files_are_read_in_this_process(role: Role, tmp_path: Path, log: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    for k in range(readers.PARALLEL_MIN_FILES - 1):
        write_applicants(tmp_path / "apps" / f"t{k:02}.csv", [passing(f"T{k}")])
    apps = read(role, tmp_path / "apps", monkeypatch, 2)
    assert len(apps.frame) == readers.PARALLEL_MIN_FILES - 1
    assert {pid for pid, _ in reads(log)} == {os.getpid()}


def _count_in_daemon(role: Role, folder: Path, out: Any) -> None:
    out.put(len(read_applications(role, [folder]).frame))


def test_a_daemon_process_reads_on_its_own(role: Role, folder: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    import multiprocessing

    monkeypatch.setenv(WORKERS_ENV, "2")
    context = multiprocessing.get_context("fork")
    out = context.SimpleQueue()
    daemon = context.Process(target=_count_in_daemon, args=(role, folder, out), daemon=True)
    daemon.start()
    daemon.join(60)
    assert daemon.exitcode == 0 and out.get() == 45, "read without starting workers"


@pytest.mark.parametrize(("setting", "expected"), [
    ("1", 1), ("3", 3), (" 2 ", 2), ("64", 40), ("0", None), ("-2", None), ("many", None),
    ("", None),
])
def test_workers_setting(setting: str, expected: int | None,
                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(WORKERS_ENV, setting)
    default = min(len(os.sched_getaffinity(0)), 40)
    assert readers.worker_count(40) == (default if expected is None else expected)
