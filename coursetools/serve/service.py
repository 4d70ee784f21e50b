"""The service behind the web pages and the API: who is asking, taking an upload in, what an attempt looks like.

:class:`Service` ties the parts together: the course folder, the settings, the database (:mod:`.store`), the files
(:mod:`.layout`), the upload checks (:mod:`.intake`) and the grading thread (:mod:`.grader`). The web layer
(:mod:`.app`) only translates HTTP to these calls and back.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import time
from dataclasses import dataclass
from pathlib import Path

from ..course.coursedir import CourseDir
from ..course.notebooks import read_notebook
from ..grading import results
from ..grading.job import GradingSettings
from ..reporting import feedback as feedback_pages
from ..reporting.grades import Exercise, Row
from . import intake, layout, policy
from .config import ServeSettings
from .due import DueDates
from .grader import GradingLoop
from .intake import AssignmentInfo
from .store import DONE, Attempt, Refused, Store
from .tokens import INSTRUCTOR, STUDENT

log = logging.getLogger("coursetools.serve")


@dataclass(frozen=True)
class Identity:
    """Who is asking: a student (their id) or the instructor."""

    subject: str
    role: str

    @property
    def instructor(self) -> bool:
        return self.role == INSTRUCTOR


def _due_dates(cd: CourseDir) -> dict[str, float | None]:
    with cd.gradebook() as gb:
        return {a.name: (a.duedate.replace(tzinfo=datetime.timezone.utc).timestamp() if a.duedate else None)
                for a in gb.assignments}


def open_assignments(cd: CourseDir, settings: ServeSettings) -> dict[str, AssignmentInfo]:
    """The assignments students may hand in: those of ``[serve] assignments`` (default: every one in the gradebook)
    that have a release notebook."""
    due = _due_dates(cd)
    names = list(settings.assignments) or cd.assignments()
    missing = [n for n in names if n not in due]
    if missing:
        raise ValueError(f"[serve] assignments names {missing}, which are not in the gradebook {cd.root}: release "
                         f"them first (python -m coursetools release)")
    found: dict[str, AssignmentInfo] = {}
    with cd.gradebook() as gb:
        for name in names:
            notebooks = [nb.name for nb in gb.find_assignment(name).notebooks]
            if len(notebooks) != 1 or not cd.release_notebook(name, notebooks[0]).is_file():
                log.warning("%s is not open for hand-in: the service takes assignments of exactly one released "
                            "notebook (it has %s)", name, notebooks)
                continue
            release = read_notebook(cd.release_notebook(name, notebooks[0]))
            ids = frozenset(c.metadata["nbgrader"]["grade_id"] for c in release.cells
                            if c.get("metadata", {}).get("nbgrader", {}).get("grade_id"))
            source = cd.source_notebook(name, notebooks[0])
            hidden = policy.hidden_parts(read_notebook(source)) if source.is_file() else {}
            found[name] = AssignmentInfo(name, notebooks[0], ids, hidden, due.get(name))
    return found


class Service:
    """The grading service on one course folder."""

    def __init__(self, cd: CourseDir, settings: ServeSettings, grading: GradingSettings | None = None, *,
                 workers: int | None = None, scheduler: str | None = None, grade: bool = True):
        self.cd, self.settings = cd, settings
        self.grading = grading or GradingSettings()
        self.assignments = open_assignments(cd, settings)
        self.store = Store(layout.service_dir(cd))
        self.due = DueDates(cd.db_url)
        self.loop = GradingLoop(cd, self.store, settings, self.grading, self.assignments, workers, scheduler,
                                self.due) if grade else None
        self.started = time.time()

    # -- life ---------------------------------------------------------------------------------------------------
    def recover(self) -> dict[str, int]:
        """Before serving: attempts being graded go back to the queue, attempts on disk without a row are queued,
        and each attempt of record is in submitted/ as it should be."""
        requeued = self.store.requeue_interrupted()
        found = 0
        for stored in layout.stored_attempts(self.cd):
            if self.store.recover(stored.student, stored.assignment, stored.number, stored.meta):
                found += 1
        resynced = 0
        for attempt in self.store.attempts():
            info = self.assignments.get(attempt.assignment)
            if not attempt.of_record or info is None:
                continue
            folder = layout.attempt_dir(self.cd, attempt.student, attempt.assignment, attempt.number)
            if not layout.record_matches(self.cd, attempt.student, attempt.assignment, folder, info.notebook):
                layout.set_record(self.cd, attempt.student, attempt.assignment, folder, info.notebook)
                resynced += 1
        if requeued or found or resynced:
            log.info("recovered: %d attempts back in the queue, %d found on disk, %d records restored",
                     requeued, found, resynced)
        return {"requeued": requeued, "found": found, "resynced": resynced}

    def start(self) -> None:
        self.recover()
        if self.loop is not None:
            self.loop.start()

    def stop(self) -> None:
        if self.loop is not None and self.loop.is_alive():
            self.loop.stop()

    # -- who is asking --------------------------------------------------------------------------------------------
    def identify(self, token: str) -> Identity | None:
        found = self.store.who(token.strip())
        return Identity(*found) if found else None

    def session(self, secret: str) -> Identity | None:
        found = self.store.session(secret)
        return Identity(*found) if found else None

    # -- handing in -----------------------------------------------------------------------------------------------
    def admit(self, who: Identity, assignment: str, filename: str | None, data: bytes, via: str,
              claimed_student: str | None = None) -> Attempt:
        """Check an upload, write it to disk (flushed) and queue it; raises :class:`Refused` with the reason."""
        if who.role != STUDENT:
            raise Refused(403, "The instructor's token cannot hand in: sign in with a student's token.")
        if claimed_student not in (None, "", who.subject):
            log.warning("refused: the token of %s tried to hand in as %r", who.subject, claimed_student[:100])
            raise Refused(403, f"This token belongs to {who.subject}: it cannot hand in for {claimed_student[:100]!r}.")
        info = intake.check_assignment(assignment, self.assignments)
        intake.check_filename(filename)
        intake.check_size(data, self.settings.max_upload_bytes)
        intake.check_notebook(data, info, self.assignments)
        now = time.time()
        due = self.due(info.name)
        late = not policy.on_time(now, due)
        if late and not self.settings.accept_late:
            raise Refused(403, f"The due date of {info.name} has passed "
                               f"({datetime.datetime.fromtimestamp(due or 0).astimezone():%Y-%m-%d %H:%M %Z}): "
                               "it takes no more hand-ins.")
        sha256 = hashlib.sha256(data).hexdigest()

        def write(number: int, public_id: str) -> dict:
            meta = {"student": who.subject, "assignment": info.name, "number": number, "public_id": public_id,
                    "submitted_at": now, "size": len(data), "sha256": sha256, "via": via, "late": late,
                    "filename": (filename or "")[:200]}
            layout.write_attempt(self.cd, who.subject, info.name, number, info.notebook, data, meta)
            return meta

        attempt = self.store.admit(who.subject, info.name, now, self.settings.attempts_per_hour,
                                   self.settings.attempts_per_day, self.settings.queue_limit, write)
        log.info("received %s attempt %d of %s (%d bytes, via %s)", info.name, attempt.number, who.subject,
                 len(data), via)
        if self.loop is not None:
            self.loop.wake()
        return attempt

    # -- reading attempts -----------------------------------------------------------------------------------------
    def attempt_for(self, who: Identity, public_id: str) -> Attempt | None:
        """The attempt, if ``who`` may see it (its student, or the instructor); None otherwise."""
        attempt = self.store.get(public_id) if public_id and len(public_id) < 64 else None
        if attempt is None or not (who.instructor or attempt.student == who.subject):
            return None
        return attempt

    def result(self, attempt: Attempt) -> results.GradingResult | None:
        return results.load(layout.results_dir(self.cd, attempt.student, attempt.assignment, attempt.number))

    def messages(self, attempt: Attempt, result: results.GradingResult, now: float | None = None
                 ) -> dict[str, list[str]]:
        """Failure messages by grade_id, as the course's hidden-case policy lets the student see them now."""
        info = self.assignments.get(attempt.assignment)
        raw = {c.grade_id: list(c.messages) for c in result.cells}
        show = policy.show_hidden(self.settings.hidden_messages, self.due(attempt.assignment), now or time.time())
        return policy.redact(raw, info.hidden if info else {}, show)

    def status(self, attempt: Attempt, feedback_url: str) -> dict:
        """The API's view of an attempt."""
        done = attempt.state == DONE
        data = {"id": attempt.public_id, "assignment": attempt.assignment, "attempt": attempt.number,
                "status": attempt.shown_status, "submitted_at": _iso(attempt.submitted_at), "late": attempt.late,
                "score": attempt.score if done else None, "max_score": attempt.max_score if done else None,
                "of_record": attempt.of_record, "feedback_url": feedback_url if done else None,
                "reason": attempt.reason if done else "", "exercises": [], "queue_position": None}
        if not done and attempt.state == "queued":
            data["queue_position"] = self.store.queue_position(attempt) + 1
        result = self.result(attempt) if done else None
        if result is not None:
            messages = self.messages(attempt, result)
            data["exercises"] = [{"notebook": c.notebook, "grade_id": c.grade_id, "score": c.score,
                                  "max_score": c.max_score, "messages": messages.get(c.grade_id, [])}
                                 for c in result.cells]
        return data

    def feedback_html(self, attempt: Attempt) -> str | None:
        """The feedback page of a graded attempt (the course's own feedback page, for this attempt)."""
        result = self.result(attempt)
        if result is None:
            return None
        several = len({c.notebook for c in result.cells}) > 1
        exercises = [Exercise(c.notebook, c.grade_id, c.max_score) for c in result.cells]
        row = Row(attempt.student, attempt.assignment, result.status, result.reason,
                  points={e.column(several): c.score for e, c in zip(exercises, result.cells)},
                  late_penalty=attempt.late_penalty if attempt.of_record else 0.0,
                  max_total=sum(c.max_score for c in result.cells))
        notebook = exercises[0].notebook if exercises else self.assignments[attempt.assignment].notebook
        return feedback_pages.render(self.cd, row, exercises, notebook, several,
                                     messages=self.messages(attempt, result))

    def report_path(self) -> Path:
        return self.cd.reports / "report.html"


def _iso(t: float) -> str:
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).isoformat(timespec="seconds")
