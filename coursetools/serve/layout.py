"""Where the service keeps what students hand in: nbgrader's layout, every attempt beside the one of record.

::

    submitted/<student>/<a>/<a>.ipynb, timestamp.txt          the attempt of record, as nbgrader expects it
    submitted/<student>/.attempts/<a>/0001/<a>.ipynb          every attempt, as uploaded, with
                                      .../timestamp.txt       when it arrived (nbgrader's format, UTC)
                                      .../attempt.json        who, when, its size and SHA-256, how it came
    autograded/<student>/.attempts/<a>/0001/grading.json      how each attempt was graded (and integrity.json)
    service/service.db                                        the queue, the attempts, token hashes, sessions

nbgrader's own tools (``nbgrader autograde``, formgrader) and ``coursetools autograde`` see only the attempt of
record: they skip names starting with a dot. An attempt is written to a private folder, each file flushed to disk
(fsync), then the folder renamed into place and its parent flushed: after a crash an attempt is either complete
or absent, and it is complete before the student is told it arrived.
"""

from __future__ import annotations

import datetime
import json
import os
import secrets
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..course.coursedir import CourseDir

ATTEMPTS = ".attempts"
ATTEMPT_FILE = "attempt.json"
TIMESTAMP_FILE = "timestamp.txt"
SERVICE_DIR = "service"
INCOMING = ".incoming-"


def service_dir(cd: CourseDir) -> Path:
    return cd.root / SERVICE_DIR


def attempts_dir(cd: CourseDir, student: str, assignment: str) -> Path:
    return cd.submitted / student / ATTEMPTS / assignment


def attempt_dir(cd: CourseDir, student: str, assignment: str, number: int) -> Path:
    return attempts_dir(cd, student, assignment) / f"{number:04d}"


def results_dir(cd: CourseDir, student: str, assignment: str, number: int) -> Path:
    return cd.autograded / student / ATTEMPTS / assignment / f"{number:04d}"


def nbgrader_timestamp(when: float) -> str:
    """``when`` (seconds since the epoch) as nbgrader's submit writes timestamp.txt (UTC)."""
    return datetime.datetime.fromtimestamp(when, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_synced(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def _makedirs_synced(path: Path) -> None:
    """``mkdir -p``, flushing each parent whose entries changed (so a new folder survives a power cut)."""
    missing = []
    probe = path
    while not probe.exists():
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        folder.mkdir(exist_ok=True)
        _fsync_dir(folder.parent)


@dataclass(frozen=True)
class StoredAttempt:
    """An attempt as found on disk."""

    student: str
    assignment: str
    number: int
    folder: Path
    meta: dict


def write_attempt(cd: CourseDir, student: str, assignment: str, number: int, notebook: str, data: bytes,
                  meta: dict) -> Path:
    """Write one attempt durably (see the module's docstring) and return its folder."""
    parent = attempts_dir(cd, student, assignment)
    _makedirs_synced(parent)
    incoming = parent / f"{INCOMING}{secrets.token_hex(6)}"
    incoming.mkdir()
    try:
        _write_synced(incoming / f"{notebook}.ipynb", data)
        _write_synced(incoming / TIMESTAMP_FILE, (nbgrader_timestamp(meta["submitted_at"]) + "\n").encode())
        _write_synced(incoming / ATTEMPT_FILE, (json.dumps(meta, indent=1, sort_keys=True) + "\n").encode())
        _fsync_dir(incoming)
        final = attempt_dir(cd, student, assignment, number)
        os.rename(incoming, final)  # fails if the number is taken: never overwrite an attempt
        _fsync_dir(parent)
    except BaseException:
        shutil.rmtree(incoming, ignore_errors=True)
        raise
    return final


def read_attempt(folder: Path, notebook: str) -> tuple[bytes, bytes]:
    """(notebook bytes, timestamp.txt bytes) of an attempt."""
    return (folder / f"{notebook}.ipynb").read_bytes(), (folder / TIMESTAMP_FILE).read_bytes()


def stored_attempts(cd: CourseDir) -> list[StoredAttempt]:
    """Every complete attempt on disk; half-written folders of a crash (never acknowledged) are removed."""
    found: list[StoredAttempt] = []
    if not cd.submitted.is_dir():
        return found
    for student_dir in sorted(p for p in cd.submitted.iterdir() if p.is_dir()):
        root = student_dir / ATTEMPTS
        if not root.is_dir():
            continue
        for assignment_dir in sorted(p for p in root.iterdir() if p.is_dir()):
            for folder in sorted(assignment_dir.iterdir()):
                if folder.name.startswith(INCOMING):
                    shutil.rmtree(folder, ignore_errors=True)
                    continue
                if not (folder.is_dir() and folder.name.isdigit()):
                    continue
                try:
                    meta = json.loads((folder / ATTEMPT_FILE).read_text(encoding="utf-8"))
                except (OSError, ValueError):
                    continue
                found.append(StoredAttempt(student_dir.name, assignment_dir.name, int(folder.name), folder, meta))
    return found


def set_record(cd: CourseDir, student: str, assignment: str, folder: Path, notebook: str) -> Path:
    """Make the attempt in ``folder`` the one of record: its notebook and timestamp into submitted/<s>/<a>/.

    Each file is replaced atomically; :func:`record_matches` tells after a crash whether both arrived.
    """
    target = cd.submission_dir(student, assignment)
    _makedirs_synced(target)
    for name in (f"{notebook}.ipynb", TIMESTAMP_FILE):
        tmp = target / f".{name}.{secrets.token_hex(4)}"
        _write_synced(tmp, (folder / name).read_bytes())
        os.replace(tmp, target / name)
    _fsync_dir(target)
    return target


def record_matches(cd: CourseDir, student: str, assignment: str, folder: Path, notebook: str) -> bool:
    """Whether submitted/<s>/<a>/ holds exactly the attempt in ``folder``."""
    target = cd.submission_dir(student, assignment)
    try:
        return all((target / n).read_bytes() == (folder / n).read_bytes()
                   for n in (f"{notebook}.ipynb", TIMESTAMP_FILE))
    except OSError:
        return False
