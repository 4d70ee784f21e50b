"""The single writer: one graded submission into the gradebook and ``autograded/``, as nbgrader's autograde would.

Only the client process writes (so the gradebook, SQLite or PostgreSQL, has one writer: no "database is locked",
no lost grade), and it writes each submission once: one open gradebook for the batch, one commit per submission,
nbgrader's own writers (:class:`~.preprocessors.SaveAutoGradesOnce`, :class:`~.preprocessors.AssignLatePenaltiesOnce`)
on the executed notebook the worker reviewed. The worker already wrote the review's overrides into that notebook, so
nbgrader scores them as it scores any failed test; flagged cells get ``needs_manual_grade`` in the same pass.
"""

from __future__ import annotations

import datetime
import logging
import os
import threading
import time
import warnings
from pathlib import Path

import nbformat
from nbconvert.exporters.exporter import ResourcesDict

from .. import integrity
from ..course import settings
from ..course.coursedir import CourseDir
from ..course.text import terminal_safe
from . import results
from .job import NotebookOutcome
from .results import ERROR, NOT_RUN, GradingResult, cell_results, zero_cells

log = logging.getLogger("coursetools.autograde")

#: One submission written at a time by this process, whatever the number of batches running.
WRITE_LOCK = threading.RLock()
#: Tries at one submission's transaction when another writer gets in the way (see :func:`_is_contention`).
WRITE_ATTEMPTS = 8
TIMESTAMP_FILE = "timestamp.txt"


def parse_timestamp(data: bytes | None) -> tuple[datetime.datetime | None, str]:
    """A submission's ``timestamp.txt`` as nbgrader reads it: (time, "") or (None, why it could not be read)."""
    from nbgrader.utils import parse_utc

    if data is None:
        return None, ""
    text = data[:200].decode("utf-8", "replace").strip()
    if not text:
        return None, ""
    try:
        return parse_utc(text), ""
    except Exception as error:  # noqa: BLE001 - whatever the file holds, the submission is graded as on time
        return None, f"timestamp.txt is not a date and time ({type(error).__name__}): the submission is taken as on time"


def _is_text(name: str) -> bool:
    try:
        name.encode("utf-8")
        return True
    except UnicodeEncodeError:
        return False


def _is_contention(error: BaseException) -> bool:
    """Whether a failed write lost a race with another writer, so that the same write, tried again, succeeds.

    Two autograde processes on one gradebook (two instructors, two assignments) may both find no row for a new
    student and both insert it: one gets an IntegrityError. On SQLite one may also find the file locked.
    """
    from nbgrader.api import InvalidEntry
    from sqlalchemy.exc import IntegrityError, OperationalError

    text = str(error)
    if isinstance(error, IntegrityError):
        return True
    if isinstance(error, InvalidEntry):  # nbgrader's add_* wrap the IntegrityError, keeping its text
        return "IntegrityError" in text or "UniqueViolation" in text
    return isinstance(error, OperationalError) and "locked" in text.lower()


def ignore_nbgraders_autoflush_warnings() -> None:
    """nbgrader's ``update_or_create_submission`` trips an autoflush warning of SQLAlchemy 2 ("Object of type
    <SubmittedAssignment> not in session..."); the rows are written all the same: that warning alone is ignored.

    A filter added for good, not ``warnings.catch_warnings`` around the write: that swaps the whole process's
    filters and restores them on exit, and a local cluster's worker threads share this process (see
    :func:`.worker.ignore_cell_id_repairs`).
    """
    from sqlalchemy.exc import SAWarning

    warnings.filterwarnings("ignore", message=r"Object of type <Submitted\w+> not in session", category=SAWarning,
                            module=r"nbgrader\.api")


class Recorder:
    """Writes results into the gradebook and autograded/, as nbgrader's autograde would; only ever in the client."""

    def __init__(self, cd: CourseDir, assignment: str, config, writers: list, snapshot: dict,
                 assignment_digest: str, limits: dict | None = None, source_files: dict[str, bytes] | None = None,
                 deadlines=None, partial_credit=None):
        from nbgrader.converters import Autograde
        from nbgrader.coursedir import CourseDirectory

        self.cd, self.assignment, self.config = cd, assignment, config
        self.writers = writers
        self.snapshot, self.assignment_digest, self.limits = snapshot, assignment_digest, limits or {}
        self.source_files = source_files or {}
        self.deadlines = deadlines  # coursetools.course.deadlines.Deadlines: each student's extension
        ignore_nbgraders_autoflush_warnings()
        coursedir = CourseDirectory(config=config)
        self.course_id = coursedir.course_id or "default_course"
        self.ignore = list(coursedir.ignore)
        self.permissions = int(str(Autograde(coursedir=coursedir, config=config).permissions), 8)
        self._gradebook = None
        #: The course's partial-credit policy, applied here, outside every sandbox, to the grader's own verdicts.
        self.partial_credit = partial_credit if partial_credit is not None else settings.load().partial_credit()

    # -- the gradebook, open for the whole batch ----------------------------------------------------------------
    @property
    def gradebook(self):
        if self._gradebook is None:
            from nbgrader.api import Gradebook

            self._gradebook = Gradebook(self.cd.db_url, self.course_id)
        return self._gradebook

    def close(self) -> None:
        if self._gradebook is not None:
            self._gradebook.close()
            self._gradebook = None

    def __enter__(self) -> Recorder:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- one submission ---------------------------------------------------------------------------------------------
    def record(self, student: str, outcomes: list[NotebookOutcome], digest: str, files: dict[str, bytes] | None = None,
               seconds: float = 0.0, worker: str = "", extra: integrity.Review | None = None) -> GradingResult:
        """Write one submission's outcome: gradebook, autograded notebooks, integrity.json, grading.json.

        ``files``: the submission's other files (timestamp.txt included), as read by the client; ``extra``: what
        the client found in the folder itself (entries it did not read). Batches running at once in this process
        (the demo grades its assignments side by side) take turns: one submission is written at a time.
        """
        with WRITE_LOCK:
            return self._record(student, outcomes, digest, files or {}, seconds, worker, extra)

    def _record(self, student: str, outcomes: list[NotebookOutcome], digest: str, files: dict[str, bytes],
                seconds: float, worker: str, extra: integrity.Review | None = None) -> GradingResult:
        result = GradingResult(student, self.assignment, results.GRADED, content_hash=digest,
                               assignment_hash=self.assignment_digest, limits=dict(self.limits),
                               seconds=round(seconds, 3), worker=worker,
                               graded_at=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))
        result.status = results.worst(o.status for o in outcomes)
        reasons = [o for o in outcomes if o.status == result.status and o.reason]
        if len(outcomes) == 1 or len(reasons) <= 1:
            result.reason = reasons[0].reason if reasons else ""
        else:
            result.reason = "; ".join(f"{o.name}.ipynb: {o.reason}" for o in reasons)
        result.cell_seconds = round(sum(o.cell_seconds for o in outcomes), 3)
        applied = next((o.sandbox for o in outcomes if o.sandbox), None)
        if applied:
            result.isolation = {"sandboxed": bool(applied.get("sandboxed")), "limits": applied.get("limits", {})}
        found = extra.merge(integrity.Review()) if extra is not None else integrity.Review()
        for outcome in outcomes:
            found = found.merge(outcome.review or integrity.Review())
        timestamp, timestamp_problem = parse_timestamp(files.get(TIMESTAMP_FILE))
        if timestamp_problem:
            found.add("bad_timestamp", integrity.REVIEW, timestamp_problem)
        if result.status == results.GRADED and not result.reason:
            # Graded, but not as handed in, or with something to look at: the reason says what.
            result.reason = integrity.notice(found)
        dest = self._prepare_folder(student, files)
        if not _is_text(student):
            # A folder name that is not UTF-8 (made by hand, not by collect) cannot be a gradebook id.
            result.status = results.REJECTED
            result.reason = (f"the folder name {student.encode('utf-8', 'surrogateescape')!r} is not UTF-8 text, so "
                             "it cannot be a student id: rename the folder")
            result.cells = [c for name in self.snapshot for c in zero_cells(self.snapshot[name], result.reason)]
            found.add("rejected", integrity.REVIEW, result.reason)
            integrity.save(found, dest)
            results.save(result, dest)
            return result
        gb = self.gradebook
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                cells = self._write(gb, student, outcomes, timestamp, found, dest)
                gb.db.commit()
                result.cells += cells
                break
            except Exception as error:  # noqa: BLE001 - recorded; the batch goes on
                gb.db.rollback()
                if attempt < WRITE_ATTEMPTS and _is_contention(error):
                    # Another writer (a second autograde on the same gradebook) added the same student or
                    # submission between our look and our insert, or held SQLite's lock: look again.
                    time.sleep(0.05 * attempt)
                    continue
                result.status, result.reason = ERROR, f"recording the grades failed: {type(error).__name__}: {error}"
                log.exception("recording %s/%s failed", terminal_safe(student, one_line=True), self.assignment)
                break
        integrity.save(found, dest)
        self._set_permissions(dest)
        results.save(result, dest)
        return result

    def _write(self, gb, student: str, outcomes: list[NotebookOutcome], timestamp: datetime.datetime | None,
               found: integrity.Review, dest: Path) -> list:
        """One submission's rows (not yet committed) and executed notebooks; returns its cells for grading.json."""
        cells: list = []
        self._open_submission(gb, student, timestamp)
        for outcome in outcomes:
            snapshot = self.snapshot[outcome.name]
            if outcome.status in NOT_RUN:
                self._zero(gb, student, outcome.name)
                label = results.LABELS[outcome.status]
                cells += zero_cells(snapshot, f"{label}: {outcome.reason}")
            elif outcome.status == ERROR or outcome.executed is None:
                cells += zero_cells(snapshot, "", score=None)
            else:
                if outcome.review is not None:
                    integrity.apply_partial_credit(outcome.review, outcome.executed, self.partial_credit)
                self._save_grades(gb, student, outcome, self._flagged(found, snapshot))
                nbformat.write(outcome.executed, dest / f"{outcome.name}.ipynb")
                cells += cell_results(outcome.name, outcome.executed)
        return cells

    def _flagged(self, found: integrity.Review, snapshot: dict) -> list[str]:
        """The grade_ids a flagged submission marks for a manual look: the overridden ones, or its first test cell."""
        if not found.flags:
            return []
        names = sorted(c["name"] for c in snapshot["grade_cells"])
        overridden = [g for g in names if g in found.overrides]
        return overridden or names[:1]

    def _open_submission(self, gb, student: str, timestamp: datetime.datetime | None) -> None:
        """nbgrader's Autograde.init_assignment: the student, and the submission with its timestamp.

        With deadlines, also the student's extension (nbgrader's ``SubmittedAssignment.extension``, which its
        ``total_seconds_late`` counts): set when course.toml gives one, cleared when it no longer does.
        """
        gb.update_or_create_student(student)
        extra = {}
        if self.deadlines is not None:
            extra["extension"] = self.deadlines.extension(student, self.assignment)
        if timestamp:  # SQLAlchemy's autoflush warning here: see ignore_nbgraders_autoflush_warnings
            gb.update_or_create_submission(self.assignment, student, timestamp=timestamp, **extra)
        else:
            gb.update_or_create_submission(self.assignment, student, **extra)

    def _zero(self, gb, student: str, notebook: str) -> None:
        """nbgrader's treatment of a missing notebook: every grade 0, nothing to review."""
        submission = gb.find_submission_notebook(notebook, self.assignment, student)
        for grade in submission.grades:
            grade.auto_score = 0
            grade.needs_manual_grade = False

    def _save_grades(self, gb, student: str, outcome: NotebookOutcome, flagged: list[str]) -> None:
        resources = ResourcesDict()
        resources.update({
            "unique_key": outcome.name, "output_files_dir": f"{outcome.name}_files",
            "nbgrader": {"student": student, "assignment": self.assignment, "notebook": outcome.name,
                         "db_url": self.cd.db_url},
            "coursetools": {"gradebook": gb, "flagged": flagged}})
        notebook = outcome.executed
        for writer in self.writers:
            notebook, resources = writer(config=self.config)(notebook, resources)

    def _prepare_folder(self, student: str, files: dict[str, bytes]) -> Path:
        """autograded/<student>/<assignment>/ afresh: the submission's other files, then the source folder's."""
        from nbgrader.utils import rmtree

        dest = self.cd.autograded_dir(student, self.assignment)
        for folder in (self.cd.autograded, dest.parent, dest):
            if folder.is_symlink():
                folder.unlink()  # the grader's own folders are real folders: a link is never written through
        if dest.exists():
            rmtree(str(dest))
        dest.mkdir(parents=True)
        for relative, data in {**files, **self.source_files}.items():
            target = (dest / relative).resolve()
            if dest.resolve() not in target.parents:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                target.unlink()
            target.write_bytes(data)
        return dest

    def _set_permissions(self, dest: Path) -> None:
        for folder, _, names in os.walk(dest):
            for name in names:
                os.chmod(os.path.join(folder, name), self.permissions)

